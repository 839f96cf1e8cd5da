//! Who besides its owner may read a keys file: every tool that reads one (`ntpq -k`,
//! `ntpdc -k`, `ntpdate -k`, `authspeed`, `ntp-keygen --chrony`) warns with the same words,
//! because anyone who can read the file can sign requests as the server's administrator.
//! (`ntp-keygen --check` reports the same modes as findings of its own.)

use std::fmt;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// A keys file readable beyond its owner, with its mode bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysExposure {
    /// Readable by every user (`o+r`).
    World {
        /// The file's mode bits.
        mode: u32,
    },
    /// Readable by its group (`g+r`), not by every user.
    Group {
        /// The file's mode bits.
        mode: u32,
    },
}

impl KeysExposure {
    /// The exposure of a file with permission bits `mode`, if any.
    #[must_use]
    pub fn of_mode(mode: u32) -> Option<Self> {
        if mode & 0o004 != 0 {
            Some(Self::World { mode })
        } else if mode & 0o040 != 0 {
            Some(Self::Group { mode })
        } else {
            None
        }
    }

    /// The exposure of the file at `path`; `None` also when its metadata cannot be read
    /// (reading the file reports that).
    #[must_use]
    pub fn of_file(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        Self::of_mode(meta.permissions().mode())
    }
}

impl fmt::Display for KeysExposure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::World { mode } => write!(
                f,
                "readable by everyone (mode {:04o}): anyone on the host can read the keys; chmod 600",
                mode & 0o7777
            ),
            Self::Group { mode } => write!(
                f,
                "readable by its group (mode {:04o}): every member can read the keys; chmod 600 unless the group is meant to",
                mode & 0o7777
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_by_who_may_read() {
        for (mode, expected) in [
            (0o100_600, None),
            (0o100_400, None),
            (0o100_620, None),
            (0o100_640, Some(KeysExposure::Group { mode: 0o100_640 })),
            (0o100_644, Some(KeysExposure::World { mode: 0o100_644 })),
            (0o100_604, Some(KeysExposure::World { mode: 0o100_604 })),
        ] {
            assert_eq!(KeysExposure::of_mode(mode), expected, "{mode:o}");
        }
        assert_eq!(
            KeysExposure::World { mode: 0o100_644 }.to_string(),
            "readable by everyone (mode 0644): anyone on the host can read the keys; chmod 600"
        );
        assert!(
            KeysExposure::Group { mode: 0o100_640 }
                .to_string()
                .starts_with("readable by its group (mode 0640): ")
        );
    }

    #[test]
    fn files_and_what_is_not_a_file() {
        let dir = std::env::temp_dir().join(format!("ntpkit-exposure-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keys");
        std::fs::write(&file, "1 MD5 x\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(KeysExposure::of_file(&file), None);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            KeysExposure::of_file(&file),
            Some(KeysExposure::Group { .. })
        ));
        assert_eq!(KeysExposure::of_file(&dir), None, "a directory");
        assert_eq!(KeysExposure::of_file(&dir.join("missing")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
