//! One module per mode: generation, checking, conversions.

pub mod check;
pub mod convert;
pub mod generate;

use std::path::Path;

/// A path as shown in messages and records.
pub fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Permission bits as octal text, e.g. `0600`.
pub fn octal_mode(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}
