//! Another package's binary for a test: `CARGO_BIN_EXE_<name>` only exists for the test's own package,
//! so a test of one tool that drives another (ntp-keygen's files through our ntpq) asks cargo to build
//! it, with the profile of the running test, and gets its path.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::paths::workspace_root;

/// Builds binary `bin` of workspace package `package` (a no-op when fresh) and returns its path.
///
/// # Errors
/// When not running under cargo (`$CARGO` unset), or the build fails.
pub fn workspace_binary(package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    let cargo = env::var_os("CARGO")
        .context("CARGO is not set: run the tests under cargo to build other packages' binaries")?;
    let exe = env::current_exe().context("cannot locate the current executable")?;
    let mut cmd = Command::new(&cargo);
    cmd.args(["build", "--quiet", "-p", package, "--bin", bin])
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"));
    // Test executables live in <target>/<profile dir>/deps/.
    let profile = exe
        .parent()
        .filter(|d| d.file_name().is_some_and(|n| n == "deps"))
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .and_then(|n| n.to_str());
    match profile {
        Some("release") => {
            cmd.arg("--release");
        }
        Some(p) if p != "debug" => {
            cmd.args(["--profile", p]);
        }
        _ => {}
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run '{}'", Path::new(&cargo).display()))?;
    if !out.status.success() {
        bail!(
            "'cargo build -p {package} --bin {bin}' failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && msg["target"]["name"] == bin
            && let Some(path) = msg["executable"].as_str()
        {
            return Ok(PathBuf::from(path));
        }
    }
    bail!("'cargo build -p {package} --bin {bin}' reported no executable")
}
