//! chrony for scratch daemons: bookworm's `chronyd` unpacked into the cache (never installed: the
//! package conflicts with NTPsec and would start a daemon in the root namespace), and its
//! configuration.
//!
//! Used by [`crate::ScratchDaemon`] with [`crate::ScratchKind::Chrony`], so tests can check that
//! files meant for chrony (`ntp-keygen --chrony`) are read by the real daemon.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

use crate::paths::Paths;

/// `chronyd`, unpacked under `<cache>/chrony/` on first use (`apt-get download chrony`, then
/// `dpkg-deb -x`), serialised by a lock file so concurrent tests unpack it once.
pub fn chronyd() -> anyhow::Result<PathBuf> {
    let cache = Paths::from_env().cache;
    let root = cache.join("chrony");
    let binary = root.join("usr/sbin/chronyd");
    if runs(&binary) {
        return Ok(binary);
    }
    fs::create_dir_all(&cache).with_context(|| format!("cannot create {}", cache.display()))?;
    let lock =
        fs::File::create(cache.join("chrony.lock")).context("cannot create the chrony lock")?;
    lock.lock().context("cannot lock the chrony lock")?;
    if runs(&binary) {
        return Ok(binary);
    }
    let debs = cache.join("chrony-debs");
    let _ = fs::remove_dir_all(&debs);
    fs::create_dir_all(&debs).with_context(|| format!("cannot create {}", debs.display()))?;
    let log = cache.join("chrony-provision.log");
    let out = Command::new("apt-get")
        .args(["download", "chrony"])
        .current_dir(&debs)
        .stdin(Stdio::null())
        .output()
        .context("cannot run apt-get")?;
    let _ = fs::write(&log, [&out.stdout[..], &out.stderr[..]].concat());
    if !out.status.success() {
        bail!("'apt-get download chrony' failed (see {})", log.display());
    }
    let deb = fs::read_dir(&debs)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .with_context(|| format!("no chrony package in {}", debs.display()))?;
    let staging = cache.join("chrony.tmp");
    let _ = fs::remove_dir_all(&staging);
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&staging)
        .status()
        .context("cannot run dpkg-deb")?;
    if !status.success() {
        bail!("'dpkg-deb -x {}' failed", deb.display());
    }
    let _ = fs::remove_dir_all(&root);
    fs::rename(&staging, &root).with_context(|| format!("cannot move {}", staging.display()))?;
    if !runs(&binary) {
        bail!("the unpacked {} does not run", binary.display());
    }
    Ok(binary)
}

fn runs(binary: &Path) -> bool {
    Command::new(binary)
        .arg("-v")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("chronyd (chrony)")
        })
}

/// chrony's configuration: its files in `dir`, no command socket, the keys, then the test's lines.
/// (The clock is kept safe by `chronyd -x` and the missing CAP_SYS_TIME, not by the file.)
pub fn render_conf(netns: &str, dir: &Path, keys: Option<&Path>, lines: &[String]) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "# ntpkit-lab scratch daemon {netns} (chrony); generated");
    let _ = writeln!(c, "driftfile {}", dir.join("chrony.drift").display());
    let _ = writeln!(c, "pidfile {}", dir.join("ntpd.pid").display());
    c.push_str("cmdport 0\n");
    if let Some(keys) = keys {
        let _ = writeln!(c, "keyfile {}", keys.display());
    }
    for line in lines {
        c.push_str(line);
        c.push('\n');
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_has_private_files_and_no_command_socket() {
        let conf = render_conf(
            "ns",
            Path::new("/d"),
            Some(Path::new("/k")),
            &["allow 127.0.0.1".into()],
        );
        let lines: Vec<&str> = conf.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "driftfile /d/chrony.drift",
                "pidfile /d/ntpd.pid",
                "cmdport 0",
                "keyfile /k",
                "allow 127.0.0.1"
            ]
        );
    }
}
