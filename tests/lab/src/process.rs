//! Small process utilities over `/proc` and the `kill`/`ip` commands (the workspace forbids `unsafe`, so no
//! direct system calls).

use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// A process identified by PID *and* start time, so a recycled PID is never mistaken for ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcId {
    /// The process ID.
    pub pid: u32,
    /// Start time in clock ticks since boot (`/proc/PID/stat` field 22).
    pub start: u64,
}

impl ProcId {
    /// Identifies a running process; `None` if it is gone or a zombie.
    pub fn of(pid: u32) -> Option<Self> {
        let (state, start) = stat(pid)?;
        (state != 'Z' && state != 'X').then_some(Self { pid, start })
    }

    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        Self::of(pid).unwrap_or(Self { pid, start: 0 })
    }

    /// Whether the same process still runs (not a zombie, not a recycled PID).
    pub fn alive(self) -> bool {
        Self::of(self.pid).is_some_and(|now| now.start == self.start)
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL; returns once the process is gone (or a zombie).
    pub fn terminate(self, grace: Duration) {
        if !self.alive() {
            return;
        }
        signal(self.pid, "TERM");
        let deadline = Instant::now() + grace;
        while self.alive() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if self.alive() {
            signal(self.pid, "KILL");
            let deadline = Instant::now() + Duration::from_secs(2);
            while self.alive() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// State letter and start time of `pid` from `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(char, u64)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is parenthesised and may contain spaces: parse after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // Field 3 is the state; the start time is field 22, i.e. 19 fields further on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// Sends a signal with the `kill` command; errors (process already gone) are ignored.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The PIDs of the processes whose network namespace is `netns` (`ip netns pids`).
pub fn netns_pids(netns: &str) -> Vec<u32> {
    Command::new("ip")
        .args(["netns", "pids", netns])
        .stderr(Stdio::null())
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a command to completion and returns its stdout; a failure names the command and its stderr.
pub fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run '{program}'"))?;
    if !out.status.success() {
        bail!(
            "'{}' failed ({}): {}",
            display_command(program, args),
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace('\n', "; ")
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `program arg1 arg2` with arguments containing spaces quoted, for messages and logs.
pub fn display_command(program: &str, args: &[&str]) -> String {
    let mut s = program.to_owned();
    for a in args {
        if a.is_empty() || a.contains(char::is_whitespace) {
            let _ = write!(s, " '{a}'");
        } else {
            let _ = write!(s, " {a}");
        }
    }
    s
}

/// Waits for `child` up to `timeout`, collecting its stdout and stderr; kills it on timeout.
///
/// Returns (exit code or `None` if killed by a signal, stdout, stderr, timed out).
pub fn wait_with_timeout(
    mut child: Child,
    timeout: Duration,
) -> (Option<i32>, Vec<u8>, Vec<u8>, bool) {
    // Readers on their own threads so a chatty child never blocks on a full pipe.
    let reader = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(_) => break None,
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    (status.and_then(|s| s.code()), stdout, stderr, timed_out)
}

/// Whether a network namespace of that name exists.
pub fn netns_exists(netns: &str) -> bool {
    Path::new("/run/netns").join(netns).exists()
}

/// The last `lines` lines of a file, for short diagnostics (e.g. the end of a log).
pub fn tail(path: &Path, lines: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_process_is_alive_and_a_recycled_pid_is_not() {
        let me = ProcId::current();
        assert!(me.alive());
        assert!(
            !ProcId {
                start: me.start + 1,
                ..me
            }
            .alive()
        );
    }

    #[test]
    fn timeout_kills_the_child() {
        let child = Command::new("sleep")
            .arg("5")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (code, _, _, timed_out) = wait_with_timeout(child, Duration::from_millis(100));
        assert!(timed_out);
        assert_eq!(code, None);
    }

    #[test]
    fn display_quotes_spaces() {
        assert_eq!(display_command("ntpq", &["-c", "rv 0"]), "ntpq -c 'rv 0'");
    }
}
