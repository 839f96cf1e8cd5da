//! Who owns a lab: `ntpkit-lab up`/`down` for people and scripts, and for tests a supervisor process
//! that starts the lab and tears it down once no test process holds a lease on it.

use std::fs;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::anyhow;

use crate::lifecycle::{
    LINGER, Log, Started, env_secs, prepare_run_dir, start, teardown, teardown_state,
};
use crate::paths::{self, Paths};
use crate::process::{self, ProcId};
use crate::state::{self, Mode, State, StateLock, Status};
use crate::topology;

/// The supervisor of a lab started for tests (`ntpkit-lab supervise`): starts the lab, reaps its
/// daemons, and tears it down once no process holds a lease for [`LINGER`].
pub fn supervise(paths: &Paths) -> anyhow::Result<()> {
    let mut log = Log::open(&paths.run.join("lab.log"), false);
    log.line(&format!(
        "supervisor pid {} starting a lab",
        std::process::id()
    ));
    let Started {
        state,
        mut children,
    } = start(paths, Mode::Supervised, &mut log).map_err(|e| anyhow!("{e}"))?;
    log.line("lab ready");
    let me = ProcId::current();
    let linger = env_secs("NTPKIT_LAB_LINGER", LINGER);
    let mut idle_since: Option<Instant> = None;
    loop {
        thread::sleep(Duration::from_millis(500));
        children.retain_mut(|c| match c.try_wait() {
            Ok(Some(status)) => {
                log.line(&format!("daemon pid {} exited: {status}", c.id()));
                false
            }
            _ => true,
        });
        // `ntpkit-lab up` may adopt the lab (it becomes persistent) or `down` may remove it.
        let ours = State::load().is_some_and(|s| s.supervisor == Some(me));
        if !ours {
            log.line("the lab was adopted or removed; supervisor exiting");
            return Ok(());
        }
        if !state::live_leases().is_empty() {
            idle_since = None;
            continue;
        }
        let since = *idle_since.get_or_insert_with(Instant::now);
        if since.elapsed() < linger {
            continue;
        }
        let _lock = StateLock::acquire()?;
        if state::live_leases().is_empty()
            && State::load().is_some_and(|s| s.supervisor == Some(me))
        {
            log.line(&format!(
                "no users for {} s; tearing down",
                linger.as_secs()
            ));
            teardown_state(&state, &mut log);
            State::remove();
            for c in &mut children {
                let _ = c.try_wait();
            }
            log.line("lab down");
            return Ok(());
        }
        idle_since = None;
    }
}

/// Attaches to the running lab, or starts a supervised one leased to this process.
pub fn attach_or_start(paths: &Paths) -> Result<State, String> {
    let lock = StateLock::acquire().map_err(|e| format!("ntpkit-lab: {e:#}"))?;
    let me = ProcId::current();
    if let Some(state) = State::load() {
        if state.status == Status::Ready
            && state.layout != topology::LAYOUT
            && state.validate_alive()
        {
            return Err(format!(
                "ntpkit-lab: a lab of layout {} is running but this code expects {}; run 'ntpkit-lab down'",
                state.layout,
                topology::LAYOUT
            ));
        }
        match state.status {
            Status::Ready if state.validate().is_ok() => {
                if state.mode == Mode::Supervised {
                    state::add_lease(me).map_err(|e| format!("ntpkit-lab: {e:#}"))?;
                }
                return Ok(state);
            }
            Status::Starting if state.supervisor.is_some_and(ProcId::alive) => {
                state::add_lease(me).map_err(|e| format!("ntpkit-lab: {e:#}"))?;
                return wait_ready(state.supervisor, &state.log);
            }
            _ => {}
        }
    }
    let mut log = Log::open(&paths.cache.join("teardown.log"), false);
    teardown(&mut log);
    let run = prepare_run_dir(paths).map_err(|e| format!("ntpkit-lab: {e:#}"))?;
    state::add_lease(me).map_err(|e| format!("ntpkit-lab: {e:#}"))?;
    let bin =
        paths::lab_binary().map_err(|e| format!("ntpkit-lab: step 'find binary' failed: {e:#}"))?;
    let out_path = run.join("supervisor.out");
    let out = fs::File::create(&out_path)
        .map_err(|e| format!("ntpkit-lab: cannot write {}: {e}", out_path.display()))?;
    let err = out.try_clone().map_err(|e| format!("ntpkit-lab: {e}"))?;
    let child = Command::new(bin)
        .arg("supervise")
        .env("NTPKIT_LAB_CACHE", &paths.cache)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .map_err(|e| {
            format!(
                "ntpkit-lab: step 'supervise' failed: cannot run {}: {e}",
                bin.display()
            )
        })?;
    let supervisor = ProcId::of(child.id());
    let result = wait_ready(supervisor, &run.join("lab.log"));
    drop(lock);
    result
}

/// Waits for a starting lab to become ready (or fail).
fn wait_ready(supervisor: Option<ProcId>, log: &Path) -> Result<State, String> {
    let timeout = env_secs("NTPKIT_LAB_START_TIMEOUT", Duration::from_secs(600));
    let t0 = Instant::now();
    loop {
        let state = State::load();
        match &state {
            Some(s) if s.status == Status::Ready && s.supervisor == supervisor => {
                return s
                    .validate()
                    .map(|()| s.clone())
                    .map_err(|e| format!("ntpkit-lab: {e:#}; see {}", log.display()));
            }
            Some(s) if s.status == Status::Failed && s.supervisor == supervisor => {
                return Err(format!(
                    "ntpkit-lab: lab step '{}' failed: {}; see {}",
                    s.step,
                    s.error.as_deref().unwrap_or("unknown error"),
                    s.log.display()
                ));
            }
            _ => {}
        }
        if !supervisor.is_some_and(ProcId::alive) {
            let step = state.map_or_else(|| "supervise".to_owned(), |s| s.step);
            // Its own complaint (e.g. an unusable binary) is in supervisor.out next to the log.
            let out = log.with_file_name("supervisor.out");
            let said = process::tail(&out, 1);
            return Err(format!(
                "ntpkit-lab: the lab supervisor exited during step '{step}'{}; see {} and {}",
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {said}")
                },
                log.display(),
                out.display()
            ));
        }
        if t0.elapsed() > timeout {
            return Err(format!(
                "ntpkit-lab: the lab was not ready after {} s; see {}",
                timeout.as_secs(),
                log.display()
            ));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// `ntpkit-lab up`: starts a persistent lab (or adopts a running supervised one).
pub fn up(paths: &Paths) -> anyhow::Result<State> {
    let _lock = StateLock::acquire()?;
    if let Some(mut state) = State::load()
        && state.validate().is_ok()
    {
        if state.mode == Mode::Supervised {
            let supervisor = state.supervisor.take();
            state.mode = Mode::Persistent;
            state.save()?;
            if let Some(s) = supervisor {
                s.terminate(Duration::from_secs(2));
            }
            eprintln!(
                "ntpkit-lab: adopted the running lab; it now stays up until 'ntpkit-lab down'"
            );
        } else {
            eprintln!("ntpkit-lab: the lab is already up");
        }
        return Ok(state);
    }
    let mut log = Log::open(&paths.cache.join("teardown.log"), true);
    teardown(&mut log);
    prepare_run_dir(paths)?;
    let mut log = Log::open(&paths.run.join("lab.log"), true);
    let started = start(paths, Mode::Persistent, &mut log)?;
    Ok(started.state)
}

/// `ntpkit-lab down`: tears down whatever lab is running or left over.
pub fn down(paths: &Paths) -> anyhow::Result<()> {
    let _lock = StateLock::acquire()?;
    fs::create_dir_all(&paths.cache).ok();
    let mut log = Log::open(&paths.cache.join("teardown.log"), true);
    teardown(&mut log);
    Ok(())
}
