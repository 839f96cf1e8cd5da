//! The command-line surface every ntpkit binary shares: `--version`, `--help` and clap's
//! usage error. Each binary crate's `tests/cli.rs` calls [`assert_cli_surface`].

use std::path::Path;
use std::process::{Command, Output};

fn run(binary: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: cannot run: {e}", binary.display()))
}

/// Checks that `binary` (named `name`) prints `name version` for `--version`, a usage line for
/// `--help`, and exits 2 naming the option for an unknown option.
///
/// # Panics
/// When any of the three does not hold.
#[track_caller]
pub fn assert_cli_surface(binary: &Path, name: &str, version: &str) {
    let out = run(binary, &["--version"]);
    assert!(out.status.success(), "{name} --version: {out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{name} {version}")
    );

    let out = run(binary, &["--help"]);
    assert!(out.status.success(), "{name} --help: {out:?}");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains(&format!("Usage: {name}")), "{help}");

    let out = run(binary, &["--no-such-option"]);
    assert_eq!(out.status.code(), Some(2), "{name}: a usage error exits 2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--no-such-option"), "{err}");
}
