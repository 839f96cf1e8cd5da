//! Where the lab keeps things: the provisioning cache, the run directory, the machine-wide state, and the
//! `ntpkit-lab` binary that supervises labs and runs relays.

use std::env;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context as _, bail};

/// Machine-wide state of the running lab: `state.json`, `lock`, `leases/`.
///
/// Network namespaces are machine-wide, so their bookkeeping is too: every checkout of the project on the
/// machine sees the same lab. `/run` is a tmpfs, emptied at boot like the namespaces themselves.
pub const STATE_DIR: &str = "/run/ntpkit-lab";

/// The provisioning script, embedded so the binary works from anywhere.
pub const PROVISION_SCRIPT: &str = include_str!("../scripts/provision.sh");

/// The workspace root, as seen when this crate was compiled.
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Directories of one lab cache.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The cache: `$NTPKIT_LAB_CACHE`, else `<workspace>/.lab-cache`.
    pub cache: PathBuf,
    /// Root of the unpacked reference ntp 4.2.8p15 packages.
    pub ref_root: PathBuf,
    /// Configs, keys, logs and pid files of the current (or last) lab run.
    pub run: PathBuf,
}

impl Paths {
    /// The paths for this process's environment.
    pub fn from_env() -> Self {
        let cache = env::var_os("NTPKIT_LAB_CACHE")
            .filter(|v| !v.is_empty())
            .map_or_else(|| workspace_root().join(".lab-cache"), PathBuf::from);
        let cache = if cache.is_absolute() {
            cache
        } else {
            env::current_dir().map(|d| d.join(&cache)).unwrap_or(cache)
        };
        Self {
            ref_root: cache.join("ref"),
            run: cache.join("run"),
            cache,
        }
    }

    /// Whether the cache holds a completed provisioning (a cheap check; `provision` verifies fully).
    pub fn provisioned(&self) -> bool {
        self.cache.join("provisioned").is_file() && self.ref_root.join("usr/sbin/ntpd").is_file()
    }

    /// The log of the last provisioning run.
    pub fn provision_log(&self) -> PathBuf {
        self.cache.join("provision.log")
    }
}

/// `LD_LIBRARY_PATH` for the reference binaries.
pub fn ref_library_path(ref_root: &Path) -> String {
    format!(
        "{}:{}",
        ref_root.join("usr/lib/x86_64-linux-gnu").display(),
        ref_root.join("lib/x86_64-linux-gnu").display()
    )
}

/// The `ntpkit-lab` binary (supervisor, relay, probe), found once per process.
///
/// In order: `$NTPKIT_LAB_BIN`; this process if it is `ntpkit-lab`; a `cargo build -p ntpkit-lab` when
/// running under cargo (a no-op when fresh, and it keeps the binary in step with this library); the
/// binary next to the test executable's `deps/` directory.
pub fn lab_binary() -> anyhow::Result<&'static Path> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| find_lab_binary().map_err(|e| format!("{e:#}")))
        .as_deref()
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn find_lab_binary() -> anyhow::Result<PathBuf> {
    if let Some(bin) = env::var_os("NTPKIT_LAB_BIN").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(bin));
    }
    let exe = env::current_exe().context("cannot locate the current executable")?;
    if exe.file_name().is_some_and(|n| n == "ntpkit-lab") {
        return Ok(exe);
    }
    if env::var_os("CARGO").is_some() {
        // Built with the profile of the running test executable.
        return crate::binaries::workspace_binary("ntpkit-lab", "ntpkit-lab");
    }
    let sibling = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("ntpkit-lab"));
    match sibling {
        Some(p) if p.is_file() => Ok(p),
        _ => bail!(
            "cannot find the ntpkit-lab binary: set NTPKIT_LAB_BIN or run the tests under cargo"
        ),
    }
}
