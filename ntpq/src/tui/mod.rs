//! `ntpq --tui [host...]` and the shell's `tui`: a live console for one or many servers.
//!
//! The shape is state ([`app::App`]), events ([`event::Event`]), a pure
//! [`update::update`] and a pure [`view::render`]. Keys come from an input thread, answers
//! from one poller thread per server and from MRU fetch threads ([`poll`]), all on one
//! channel, so a slow or dead server never blocks the screen. The terminal is set up with
//! `ratatui::init()` (which also restores it if anything panics) and restored on every way
//! out of [`run`].

pub mod app;
pub mod event;
pub mod export;
pub mod poll;
pub mod update;
pub mod view;

use signal_hook::consts::{SIGHUP, SIGTERM};
use signal_hook::iterator::Signals;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, SystemTime};

use anyhow::bail;
use ntpkit::transport::Family;
use ntpkit_shell::build::opt;
use ntpkit_shell::{Arg, ArgKind, CommandSpec, Flow, Invocation, build::spec};
use ratatui::Terminal;
use ratatui::backend::Backend;

use app::App;
use event::Event;
use update::{Effect, update};

use crate::session::Session;

/// How often the screen advances its clocks (`when`, ages) when nothing else happens.
const TICK: Duration = Duration::from_secs(1);

/// The shell command that opens the TUI.
pub static COMMANDS: [CommandSpec; 1] = [spec(
    "tui",
    &[
        opt("host", ArgKind::Str),
        opt("host", ArgKind::Str),
        opt("host", ArgKind::Str),
        opt("host", ArgKind::Str),
    ],
    "watch servers live (peers, system, MRU); the current host if none is named",
)];

/// What the TUI watches and how.
#[derive(Debug, Clone)]
pub struct TuiPlan {
    /// The servers, as given.
    pub hosts: Vec<String>,
    /// `-4`/`-6`.
    pub family: Family,
    /// Show refclock names (no `-n`).
    pub names: bool,
    /// Per-datagram timeout of the queries.
    pub timeout: Duration,
}

/// Runs the TUI until `q`; the terminal is restored on every way out.
///
/// # Errors
/// Standard output is not a terminal, or the terminal cannot be driven.
pub fn run(plan: &TuiPlan) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!("tui: standard output is not a terminal");
    }
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let input = event::spawn_input(tx.clone(), Arc::clone(&stop));
    // A SIGTERM or SIGHUP ends the loop like `q`, so the restore below runs for them too.
    let mut signals = Signals::new([SIGTERM, SIGHUP])?;
    let signal_handle = signals.handle();
    let signal_tx = tx.clone();
    let signal_thread = std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = signal_tx.send(Event::Terminate);
        }
    });
    let mut app = App::new(&plan.hosts, plan.names, SystemTime::now());
    let mut workers = Workers::start(plan, app.interval, tx);
    // Restored below whatever happens, a failed set-up included (raw mode may be on already).
    let result = ratatui::try_init()
        .map_err(anyhow::Error::from)
        .and_then(|mut terminal| {
            event_loop(&mut terminal, &mut app, &rx, &mut |effect, app| {
                workers.perform(effect, app)
            })
        });
    ratatui::restore();
    signal_handle.close();
    let _ = signal_thread.join();
    stop.store(true, Ordering::Relaxed);
    workers.stop();
    let _ = input.join();
    result
}

/// The shell's `tui [host...]`: the named hosts, else the current one.
///
/// # Errors
/// No host is open and none is named, or [`run`] fails.
pub fn shell_command(s: &Session, inv: &Invocation) -> anyhow::Result<Flow> {
    let mut hosts: Vec<String> = inv
        .args
        .iter()
        .filter_map(|a| match a {
            Arg::Str(h) => Some(h.clone()),
            _ => None,
        })
        .collect();
    if hosts.is_empty() {
        match &s.target {
            Some(t) => hosts.push(t.name.clone()),
            None => bail!("tui: no current host (give one, or use `host` first)"),
        }
    }
    run(&TuiPlan {
        hosts,
        family: s.family,
        names: s.hostnames,
        timeout: s.timeout.min(poll::TUI_TIMEOUT),
    })?;
    Ok(Flow::Continue)
}

/// Draws, waits for events, updates, performs effects; returns on [`Effect::Quit`] or when
/// every sender is gone.
///
/// # Errors
/// Drawing fails.
pub fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rx: &Receiver<Event>,
    perform: &mut dyn FnMut(Effect, &mut App) -> bool,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    loop {
        terminal.draw(|frame| view::render(app, frame))?;
        let first = match rx.recv_timeout(TICK) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => Event::Tick(SystemTime::now()),
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        };
        // Take everything already queued before drawing again.
        let mut next = Some(first);
        while let Some(event) = next {
            if let Some(effect) = update(app, event)
                && !perform(effect, app)
            {
                return Ok(());
            }
            next = rx.try_recv().ok();
        }
    }
}

/// The background threads and what the loop asks of them.
struct Workers {
    plan: TuiPlan,
    pollers: Vec<Sender<poll::Command>>,
    events: Sender<Event>,
    mru_cancel: Arc<AtomicBool>,
}

impl Workers {
    fn start(plan: &TuiPlan, interval: Duration, events: Sender<Event>) -> Self {
        let pollers = plan
            .hosts
            .iter()
            .enumerate()
            .map(|(server, host)| {
                poll::spawn_poller(
                    poll::Target {
                        server,
                        host: host.clone(),
                        family: plan.family,
                        timeout: plan.timeout,
                    },
                    interval,
                    events.clone(),
                )
            })
            .collect();
        Self {
            plan: plan.clone(),
            pollers,
            events,
            mru_cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Carries out an effect; `false` means quit.
    fn perform(&mut self, effect: Effect, app: &mut App) -> bool {
        match effect {
            Effect::Quit => return false,
            Effect::Interval(d) => {
                for p in &self.pollers {
                    let _ = p.send(poll::Command::Interval(d));
                }
            }
            Effect::PollNow(server) => {
                if let Some(p) = self.pollers.get(server) {
                    let _ = p.send(poll::Command::Now);
                }
            }
            Effect::FetchMru(server) => {
                if let Some(host) = self.plan.hosts.get(server) {
                    poll::spawn_mru(
                        poll::Target {
                            server,
                            host: host.clone(),
                            family: self.plan.family,
                            timeout: self.plan.timeout,
                        },
                        self.events.clone(),
                        Arc::clone(&self.mru_cancel),
                    );
                }
            }
            Effect::Export { path, json } => {
                app.message = Some(match std::fs::write(&path, json) {
                    Ok(()) => format!("exported the view to {path}"),
                    Err(e) => format!("export failed: {path}: {e}"),
                });
            }
        }
        true
    }

    fn stop(&self) {
        self.mru_cancel.store(true, Ordering::Relaxed);
        for p in &self.pollers {
            let _ = p.send(poll::Command::Stop);
        }
    }
}

#[cfg(test)]
mod tests;
