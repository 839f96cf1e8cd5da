//! Lab lifecycle: provision, start (network, daemons, synchronisation), supervise, tear down.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use md5::{Digest as _, Md5};

use crate::daemons;
use crate::exec::{LabCommand, Place, RefTool};
use crate::paths::{self, Paths};
use crate::process::{self, ProcId};
use crate::state::{Mode, State, Status, Timings};
use crate::topology::{self, ClientAccess, HOSTS, Host, Role, Upstream};

/// Default bound on waiting for the chain to synchronise (`NTPKIT_LAB_SYNC_TIMEOUT`, seconds).
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(150);
/// Default time a supervised lab outlives its last user (`NTPKIT_LAB_LINGER`, seconds), so the next test
/// binary of the same `cargo test` run reuses it.
pub const LINGER: Duration = Duration::from_secs(20);

/// A duration from an environment variable in (possibly fractional) seconds.
pub fn env_secs(name: &str, default: Duration) -> Duration {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(default, Duration::from_secs_f64)
}

/// The lab log: timestamped lines to a file, echoed to stderr for people.
#[derive(Debug)]
pub struct Log {
    path: PathBuf,
    file: Option<fs::File>,
    echo: bool,
    t0: Instant,
}

impl Log {
    /// Appends to `path`; with `echo`, lines also go to stderr.
    pub fn open(path: &Path, echo: bool) -> Self {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok();
        Self {
            path: path.to_owned(),
            file,
            echo,
            t0: Instant::now(),
        }
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Logs one line to the file only (details such as each command).
    pub fn detail(&mut self, msg: &str) {
        let line = format!("[{:8.3}] {msg}", self.t0.elapsed().as_secs_f64());
        if let Some(f) = &mut self.file {
            let _ = writeln!(f, "{line}");
        }
    }

    /// Logs one line.
    pub fn line(&mut self, msg: &str) {
        let line = format!("[{:8.3}] {msg}", self.t0.elapsed().as_secs_f64());
        if let Some(f) = &mut self.file {
            let _ = writeln!(f, "{line}");
        }
        if self.echo {
            eprintln!("ntpkit-lab: {msg}");
        }
    }
}

/// Runs the provisioning script (idempotent; fast on a warm cache). Its output goes to
/// `<cache>/provision.log`, and to stderr too with `echo`.
pub fn provision(paths: &Paths, echo: bool) -> anyhow::Result<Duration> {
    let t0 = Instant::now();
    fs::create_dir_all(&paths.cache)
        .with_context(|| format!("cannot create {}", paths.cache.display()))?;
    let log_path = paths.provision_log();
    let mut log = fs::File::create(&log_path)
        .with_context(|| format!("cannot write {}", log_path.display()))?;
    let (reader, writer) = std::io::pipe().context("cannot create a pipe")?;
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(paths::PROVISION_SCRIPT)
        .arg("provision.sh")
        .arg(&paths.cache)
        .stdin(Stdio::null())
        .stdout(writer.try_clone().context("cannot duplicate a pipe")?)
        .stderr(writer)
        .spawn()
        .context("cannot run bash")?;
    // The command holds the only write ends now; reading ends when the script (and apt) exits.
    for line in BufReader::new(reader).lines().map_while(Result::ok) {
        let _ = writeln!(log, "{line}");
        if echo {
            eprintln!("{line}");
        }
    }
    let status = child
        .wait()
        .context("cannot wait for the provisioning script")?;
    if !status.success() {
        let last = process::tail(&log_path, 1);
        bail!(
            "provisioning failed ({status}): {last}; see {}",
            log_path.display()
        );
    }
    Ok(t0.elapsed())
}

/// A failed start: the step, why, and the log to read.
#[derive(Debug)]
pub struct StartError {
    /// The step that failed.
    pub step: String,
    /// What went wrong.
    pub error: String,
    /// The lab log.
    pub log: PathBuf,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "lab step '{}' failed: {}; see {}",
            self.step,
            self.error,
            self.log.display()
        )
    }
}

impl std::error::Error for StartError {}

/// A started lab: its state and the daemon processes (to reap, if the starter stays around).
#[derive(Debug)]
pub struct Started {
    /// The recorded state (status ready).
    pub state: State,
    /// The daemon processes.
    pub children: Vec<Child>,
}

/// Empties the run directory for a new lab and returns it. Callers hold the [`StateLock`] and have torn
/// down any previous lab.
pub fn prepare_run_dir(paths: &Paths) -> anyhow::Result<PathBuf> {
    if paths.run.exists() {
        fs::remove_dir_all(&paths.run)
            .with_context(|| format!("cannot empty {}", paths.run.display()))?;
    }
    fs::create_dir_all(&paths.run)
        .with_context(|| format!("cannot create {}", paths.run.display()))?;
    Ok(paths.run.clone())
}

/// Starts the whole lab. On failure everything started is torn down again and the state file says which
/// step failed.
pub fn start(paths: &Paths, mode: Mode, log: &mut Log) -> Result<Started, StartError> {
    let mut state = State {
        layout: topology::LAYOUT,
        mode,
        status: Status::Starting,
        step: "provision".to_owned(),
        error: None,
        log: log.path().to_owned(),
        supervisor: (mode == Mode::Supervised).then(ProcId::current),
        cache: paths.cache.clone(),
        ref_root: paths.ref_root.clone(),
        run_dir: paths.run.clone(),
        keys_file: paths.run.join("ntp.keys"),
        namespaces: topology::all_netns(),
        hosts: HOSTS.iter().map(topology::HostSpec::host).collect(),
        daemons: Vec::new(),
        timings: Timings::default(),
    };
    let mut children = Vec::new();
    match start_steps(paths, &mut state, &mut children, log) {
        Ok(()) => {
            state.status = Status::Ready;
            state.step = "ready".to_owned();
            let _ = state.save();
            Ok(Started { state, children })
        }
        Err(e) => {
            let error = format!("{e:#}");
            log.line(&format!("step '{}' failed: {error}", state.step));
            log.line("tearing down what was started");
            teardown_state(&state, log);
            for mut c in children {
                let _ = c.try_wait();
            }
            state.status = Status::Failed;
            state.error = Some(error.clone());
            let _ = state.save();
            Err(StartError {
                step: state.step.clone(),
                error,
                log: log.path().to_owned(),
            })
        }
    }
}

fn start_steps(
    paths: &Paths,
    state: &mut State,
    children: &mut Vec<Child>,
    log: &mut Log,
) -> anyhow::Result<()> {
    let step = |state: &mut State, log: &mut Log, name: &str| {
        state.step = name.to_owned();
        log.line(&format!("step: {name}"));
        let _ = state.save();
    };
    step(state, log, "provision");
    let took = provision(paths, false)?;
    state.timings.provision_s = took.as_secs_f64();
    log.line(&format!(
        "provision: {:.1} s (log {})",
        took.as_secs_f64(),
        paths.provision_log().display()
    ));

    step(state, log, "network");
    let t = Instant::now();
    topology::create_network(&mut |cmd| log.detail(cmd))?;
    state.timings.network_s = t.elapsed().as_secs_f64();
    log.line(&format!("network: {:.1} s", state.timings.network_s));

    step(state, log, "keys");
    fs::write(&state.keys_file, daemons::keys_file_text())
        .with_context(|| format!("cannot write {}", state.keys_file.display()))?;

    let t = Instant::now();
    let mut started_at = Vec::new();
    for spec in HOSTS
        .iter()
        .filter(|h| matches!(h.role, Role::Daemon { .. }))
    {
        step(state, log, &format!("start {}", spec.name));
        let (run, child) = daemons::start(spec, &paths.run, &paths.ref_root, &state.keys_file)?;
        log.line(&format!(
            "{} ({}) pid {} in {}",
            spec.name,
            run.kind.label(),
            run.proc.pid,
            run.dir.display()
        ));
        state.daemons.push(run);
        children.push(child);
        started_at.push(Instant::now());
        let _ = state.save();
    }
    // A daemon that dislikes its config exits within moments; report that rather than a sync timeout.
    thread::sleep(Duration::from_millis(500));
    check_daemons(state)?;
    state.timings.start_s = t.elapsed().as_secs_f64();
    log.line(&format!("start: {:.1} s", state.timings.start_s));

    step(state, log, "sync");
    let t = Instant::now();
    let timeout = env_secs("NTPKIT_LAB_SYNC_TIMEOUT", SYNC_TIMEOUT);
    state.timings.synced_after_s = wait_sync(state, &started_at, timeout, log)?;
    state.timings.sync_s = t.elapsed().as_secs_f64();
    log.line(&format!("sync: {:.1} s", state.timings.sync_s));
    Ok(())
}

fn check_daemons(state: &State) -> anyhow::Result<()> {
    for d in &state.daemons {
        if !d.proc.alive() {
            let out = d.dir.join("stdout.log");
            let last = process::tail(&d.log(), 3);
            let last = if last.is_empty() {
                process::tail(&out, 3)
            } else {
                last
            };
            bail!(
                "{} ({}) exited: {}; see {}",
                d.host,
                d.kind.label(),
                last.replace('\n', " | "),
                d.log().display()
            );
        }
    }
    Ok(())
}

/// Stratum and refid of a lab daemon, read with the reference ntpq from the client namespace.
pub fn sys_stratum(ref_root: &Path, addr: &str) -> Option<(u8, String)> {
    sys_stratum_from(ref_root, Place::Netns(client_netns()), addr)
}

/// Stratum and refid of a lab host's daemon: from the client namespace, or from the host's own
/// namespace (over `127.0.0.1`) when the daemon restricts the client ([`ClientAccess`]).
pub fn host_sys_stratum(ref_root: &Path, host: &Host) -> Option<(u8, String)> {
    let restricted =
        topology::spec(&host.name).is_some_and(|s| s.client_access != ClientAccess::Full);
    if restricted {
        sys_stratum_from(ref_root, Place::Netns(host.netns.clone()), "127.0.0.1")
    } else {
        sys_stratum(ref_root, &host.v4.to_string())
    }
}

fn sys_stratum_from(ref_root: &Path, place: Place, addr: &str) -> Option<(u8, String)> {
    let mut cmd = LabCommand::reference(place, ref_root, RefTool::Ntpq);
    cmd.args(["-n", "-c", "rv 0 stratum,refid", addr])
        .timeout(Duration::from_secs(5));
    let out = cmd.run();
    let text = out.stdout.replace('\n', " ");
    let value = |name: &str| {
        text.split([',', ' ']).find_map(|kv| {
            kv.trim()
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
    };
    Some((value("stratum")?.parse().ok()?, value("refid")?))
}

/// The refid ntpd shows (dotted quad) for an IPv6 upstream: the first four octets of the MD5 digest of
/// the address.
pub fn ipv6_refid_text(addr: Ipv6Addr) -> String {
    let digest = Md5::digest(addr.octets());
    let [a, b, c, d, ..] = digest.as_slice() else {
        return String::new();
    };
    format!("{a}.{b}.{c}.{d}")
}

fn client_netns() -> String {
    HOSTS
        .iter()
        .find(|h| h.role == Role::Client)
        .map_or_else(|| "ntpkit-client".to_owned(), |h| h.host().netns)
}

/// Waits until every daemon reports its expected stratum with its upstream as refid.
fn wait_sync(
    state: &State,
    started_at: &[Instant],
    timeout: Duration,
    log: &mut Log,
) -> anyhow::Result<Vec<(String, f64)>> {
    let t0 = Instant::now();
    let specs: Vec<_> = HOSTS
        .iter()
        .filter(|h| matches!(h.role, Role::Daemon { .. }))
        .collect();
    let mut synced: Vec<Option<f64>> = vec![None; specs.len()];
    let mut last: Vec<String> = vec!["no answer".to_owned(); specs.len()];
    loop {
        check_daemons(state)?;
        for (i, spec) in specs.iter().enumerate() {
            let Role::Daemon {
                upstream, stratum, ..
            } = spec.role
            else {
                continue;
            };
            if synced[i].is_some() {
                continue;
            }
            // `None`: any synchronized state will do (a loop daemon's stratum climbs).
            let want_refid = match upstream {
                Upstream::LocalClock | Upstream::ShiftedClock { .. } => Some("LOCL".to_owned()),
                Upstream::Server { host, .. } => {
                    topology::spec(host).map(|h| h.host().v4.to_string())
                }
                Upstream::ServerV6 { host } => {
                    topology::spec(host).map(|h| ipv6_refid_text(h.host().v6))
                }
                Upstream::Loop { .. } => None,
            };
            if let Some((st, refid)) = host_sys_stratum(&state.ref_root, &spec.host()) {
                last[i] = format!("stratum={st}, refid={refid}");
                let ready = match &want_refid {
                    Some(want) => st == stratum && refid == *want,
                    None => (2..=15).contains(&st),
                };
                if ready {
                    let after = started_at.get(i).map_or(0.0, |s| s.elapsed().as_secs_f64());
                    log.line(&format!(
                        "{} synchronised: stratum {st} via {refid}, {after:.1} s after its start",
                        spec.name
                    ));
                    synced[i] = Some(after);
                }
            }
        }
        if synced.iter().all(Option::is_some) {
            return Ok(specs
                .iter()
                .zip(&synced)
                .map(|(s, t)| (s.name.to_owned(), t.unwrap_or(0.0)))
                .collect());
        }
        if t0.elapsed() > timeout {
            let mut pending = String::new();
            for (i, spec) in specs
                .iter()
                .enumerate()
                .filter(|(i, _)| synced[*i].is_none())
            {
                let _ = write!(
                    pending,
                    "{}{} ({})",
                    if pending.is_empty() { "" } else { ", " },
                    spec.name,
                    last[i]
                );
            }
            bail!("not synchronised after {} s: {pending}", timeout.as_secs());
        }
        thread::sleep(Duration::from_millis(500));
    }
}

/// Tears down a recorded lab: its supervisor (unless that is us), its daemons (by PID and start time),
/// every process left in its namespaces, and the namespaces. The state file itself is left to the caller.
pub(crate) fn teardown_state(state: &State, log: &mut Log) {
    let me = ProcId::current();
    if let Some(s) = state.supervisor.filter(|s| *s != me && s.alive()) {
        log.line(&format!("stop supervisor pid {}", s.pid));
        s.terminate(Duration::from_secs(2));
    }
    for d in &state.daemons {
        if d.proc.alive() {
            log.line(&format!("stop {} pid {}", d.host, d.proc.pid));
            d.proc.terminate(Duration::from_secs(3));
        }
    }
    topology::delete_network(&state.namespaces, &mut |m| log.line(m));
}

/// Tears down whatever lab is recorded or left over (also after a crash): the recorded lab, then any
/// namespace of the current layout that still exists. Callers hold the [`StateLock`].
pub fn teardown(log: &mut Log) {
    if let Some(state) = State::load() {
        teardown_state(&state, log);
    }
    let leftovers: Vec<String> = topology::all_netns()
        .into_iter()
        .filter(|ns| process::netns_exists(ns))
        .collect();
    topology::delete_network(&leftovers, &mut |m| log.line(m));
    State::remove();
    let others = topology::existing_lab_netns();
    if !others.is_empty() {
        log.line(&format!(
            "left alone (not of this layout): {}",
            others.join(" ")
        ));
    }
}
