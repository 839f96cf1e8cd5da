//! The lock file: two runs that may adjust the clock never do so at once (as msntp's lock). An
//! advisory `flock` on a file (default `/run/ntpdate.lock`) holding the owner's PID; the lock goes
//! with the process, so a crashed run never leaves a stale lock behind.
//!
//! The file is also the slew journal: while a slew holds the clock's frequency skewed, its second line
//! is `slewing base_ppm=F`, the frequency to put back. A run killed mid-slew (SIGKILL, power) leaves
//! that line behind, and the next clock-setting run restores the frequency first
//! ([`unfinished_slew`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

/// Why the lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it.
    Held {
        /// The lock file.
        path: PathBuf,
        /// The PID written by the holder, if readable.
        pid: Option<u32>,
    },
    /// The file cannot be opened or locked.
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Held { path, pid } => {
                let who = pid.map_or_else(|| "another process".to_owned(), |p| format!("pid {p}"));
                write!(
                    f,
                    "another ntpdate ({who}) holds the lock {}; not adjusting the clock",
                    path.display()
                )
            }
            Self::Io { path, source } => {
                write!(f, "cannot lock {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Held { .. } => None,
            Self::Io { source, .. } => Some(source),
        }
    }
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Lock {
    file: File,
    previous: String,
}

/// An unfinished slew recorded in a lock file's text: the PID that wrote it (if readable) and the
/// frequency, ppm, to restore.
#[must_use]
pub fn unfinished_slew(text: &str) -> Option<(Option<u32>, f64)> {
    let mut lines = text.lines();
    let pid = lines.next().and_then(|l| l.trim().parse().ok());
    let base = lines.find_map(|l| l.trim().strip_prefix("slewing base_ppm="))?;
    let base: f64 = base
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite() && f.abs() <= 500.0)?;
    Some((pid, base))
}

impl Lock {
    /// Takes the lock without waiting and writes our PID into the file.
    ///
    /// # Errors
    /// [`LockError::Held`] when another process has it, [`LockError::Io`] when the file cannot be
    /// opened (e.g. `/run` is not writable without root).
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let io_err = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockError::Held {
                    path: path.to_owned(),
                    pid: text.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let mut previous = String::new();
        let _ = file.read_to_string(&mut previous);
        let mut lock = Self { file, previous };
        lock.note(None).map_err(io_err)?;
        Ok(lock)
    }

    /// What the file held before we took it (a previous owner's PID and journal).
    pub fn previous(&self) -> &str {
        &self.previous
    }

    /// Rewrites the file: our PID, then `line` if given (the slew journal).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn note(&mut self, line: Option<&str>) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        writeln!(self.file, "{}", std::process::id())?;
        if let Some(line) = line {
            writeln!(self.file, "{line}")?;
        }
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_lines() {
        assert_eq!(
            unfinished_slew("123\nslewing base_ppm=12.5\n"),
            Some((Some(123), 12.5))
        );
        assert_eq!(unfinished_slew("123\n"), None);
        assert_eq!(unfinished_slew(""), None);
        assert_eq!(
            unfinished_slew("x\nslewing base_ppm=-0.25"),
            Some((None, -0.25))
        );
        assert_eq!(unfinished_slew("1\nslewing base_ppm=nan"), None);
        assert_eq!(unfinished_slew("1\nslewing base_ppm=9000"), None);
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = std::env::temp_dir().join(format!("ntpdate-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ntpdate.lock");
        let first = Lock::acquire(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        match Lock::acquire(&path) {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Held, got {other:?}"),
        }
        drop(first);
        let mut again = Lock::acquire(&path).unwrap();
        again.note(Some("slewing base_ppm=-3.5")).unwrap();
        drop(again);
        let third = Lock::acquire(&path).unwrap();
        assert_eq!(
            unfinished_slew(third.previous()),
            Some((Some(std::process::id()), -3.5))
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
        drop(third);
        let missing = dir.join("no/such/dir/lock");
        let err = Lock::acquire(&missing).unwrap_err();
        assert!(matches!(err, LockError::Io { .. }));
        assert!(err.to_string().starts_with("cannot lock "));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
