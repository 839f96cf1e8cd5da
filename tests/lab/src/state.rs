//! The machine-wide record of the running lab (`/run/ntpkit-lab/state.json`), the lock serialising lab
//! start-up and teardown, and the leases that keep a supervised lab alive.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use crate::daemons::DaemonRun;
use crate::paths::STATE_DIR;
use crate::process::{self, ProcId};
use crate::topology::{self, Host};

/// How the lab's lifetime is managed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Started by `ntpkit-lab up`; lives until `ntpkit-lab down`.
    Persistent,
    /// Started by a test process; a supervisor tears it down once no leasing process is left.
    Supervised,
}

/// Progress of the lab's start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Still starting; `step` says where.
    Starting,
    /// Synchronised and usable.
    Ready,
    /// Start-up failed at `step`; `error` says why; everything started was torn down.
    Failed,
}

/// Durations of the start-up phases, in seconds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Provisioning check (or provisioning itself on a cold cache).
    pub provision_s: f64,
    /// Namespaces, bridge, addresses.
    pub network_s: f64,
    /// Starting the daemons.
    pub start_s: f64,
    /// Waiting for the chain to synchronise.
    pub sync_s: f64,
    /// Per daemon host: seconds from daemon start until it reported its stratum.
    pub synced_after_s: Vec<(String, f64)>,
}

/// Everything needed to use, check and tear down a lab.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    /// [`topology::LAYOUT`] of the code that started it.
    pub layout: u32,
    /// Lifetime management.
    pub mode: Mode,
    /// Start-up progress.
    pub status: Status,
    /// The current (or failed) step.
    pub step: String,
    /// Why start-up failed.
    pub error: Option<String>,
    /// The lab log (start-up steps, commands, supervisor events).
    pub log: PathBuf,
    /// The supervisor of a supervised lab.
    pub supervisor: Option<ProcId>,
    /// The provisioning cache used.
    pub cache: PathBuf,
    /// Root of the reference ntp packages.
    pub ref_root: PathBuf,
    /// Run directory (configs, logs).
    pub run_dir: PathBuf,
    /// The keys file every daemon uses.
    pub keys_file: PathBuf,
    /// Namespaces created, bridge first.
    pub namespaces: Vec<String>,
    /// Hosts with their addresses.
    pub hosts: Vec<Host>,
    /// Daemons started.
    pub daemons: Vec<DaemonRun>,
    /// Phase durations.
    pub timings: Timings,
}

/// Path of the state file.
pub fn state_file() -> PathBuf {
    Path::new(STATE_DIR).join("state.json")
}

fn leases_dir() -> PathBuf {
    Path::new(STATE_DIR).join("leases")
}

impl State {
    /// Reads the state file; `None` if there is none (or it is unreadable, e.g. half-written by a crash).
    pub fn load() -> Option<Self> {
        let text = fs::read_to_string(state_file()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the state file atomically.
    pub fn save(&self) -> anyhow::Result<()> {
        fs::create_dir_all(STATE_DIR).with_context(|| format!("cannot create {STATE_DIR}"))?;
        let tmp = Path::new(STATE_DIR).join(format!("state.json.{}", std::process::id()));
        let text = serde_json::to_string_pretty(self).context("cannot serialise the lab state")?;
        fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        fs::rename(&tmp, state_file())
            .with_context(|| format!("cannot write {}", state_file().display()))
    }

    /// Removes the state file (and stale leases).
    pub fn remove() {
        let _ = fs::remove_file(state_file());
        let _ = fs::remove_dir_all(leases_dir());
    }

    /// Checks that a ready lab is really there: its namespaces exist and its daemons run.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.status != Status::Ready {
            bail!(
                "the lab is not ready (status {:?}, step '{}')",
                self.status,
                self.step
            );
        }
        if self.layout != topology::LAYOUT {
            bail!(
                "the running lab has layout {} but this code expects {}; run 'ntpkit-lab down'",
                self.layout,
                topology::LAYOUT
            );
        }
        self.health()
    }

    /// Whether the lab's namespaces, daemons and supervisor are all there (whatever its layout).
    pub fn validate_alive(&self) -> bool {
        self.health().is_ok()
    }

    fn health(&self) -> anyhow::Result<()> {
        if let Some(ns) = self.namespaces.iter().find(|ns| !process::netns_exists(ns)) {
            bail!("namespace {ns} is gone");
        }
        if let Some(d) = self.daemons.iter().find(|d| !d.proc.alive()) {
            bail!(
                "the daemon of {} (pid {}) is gone; see {}",
                d.host,
                d.proc.pid,
                d.log().display()
            );
        }
        if let Some(s) = self.supervisor.filter(|s| !s.alive()) {
            bail!("the lab supervisor (pid {}) is gone", s.pid);
        }
        Ok(())
    }
}

/// The exclusive lock on lab start-up and teardown, held until dropped.
#[derive(Debug)]
pub struct StateLock {
    _file: fs::File,
}

impl StateLock {
    /// Blocks until the lock is ours.
    pub fn acquire() -> anyhow::Result<Self> {
        fs::create_dir_all(STATE_DIR).with_context(|| format!("cannot create {STATE_DIR}"))?;
        let path = Path::new(STATE_DIR).join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(Self { _file: file })
    }
}

/// Registers `proc` as a user of the supervised lab.
pub fn add_lease(proc: ProcId) -> anyhow::Result<()> {
    let dir = leases_dir();
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(proc.pid.to_string());
    let mut f =
        fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(f, "{}", proc.start).with_context(|| format!("cannot write {}", path.display()))
}

/// Removes the leases of processes that are gone and returns the live ones.
pub fn live_leases() -> Vec<ProcId> {
    let Ok(dir) = fs::read_dir(leases_dir()) else {
        return Vec::new();
    };
    let mut live = Vec::new();
    for entry in dir.filter_map(Result::ok) {
        let pid = entry.file_name().to_str().and_then(|n| n.parse().ok());
        let start = fs::read_to_string(entry.path())
            .ok()
            .and_then(|s| s.trim().parse().ok());
        match (pid, start) {
            (Some(pid), Some(start)) if (ProcId { pid, start }).alive() => {
                live.push(ProcId { pid, start });
            }
            _ => {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    live
}
