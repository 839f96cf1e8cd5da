//! `ntpdate`: query NTP servers and set the clock once, safely.
//!
//! A run resolves the servers, samples them all at once ([`query`]), checks every reply, keeps each
//! server's least-delay sample, selects among servers by interval intersection ([`report`]), decides
//! between stepping and slewing ([`clock::decide`]) and only then, if every check passed and no other
//! run holds the lock ([`lock`]), changes the clock through [`clock::ClockControl`].
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an output stream so
//! tests can capture what it prints, and [`run_with`] also takes the clock.

pub mod cli;
pub mod clock;
pub mod lock;
pub mod query;
pub mod report;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;
use ntpkit::format::render_json;
use ntpkit::record::DateAction;
use ntpkit::sync::drift::{self, DriftPoint};

pub use cli::Cli;
use cli::{Mode, Plan};
use clock::{Action, ClockControl, KernelClock};
use query::Trace;
use report::{Log, Outcome};

/// A bad option value (exit code 2, like clap's own usage errors).
#[derive(Debug)]
pub struct UsageError(anyhow::Error);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs `ntpdate` on the kernel's clock, writing results to `out`.
///
/// # Errors
/// Bad options, an unreadable keys file, a held lock, a socket that cannot be opened, a clock the
/// kernel refuses to change, or a failed write to `out`.
pub fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    run_with(cli, out, &KernelClock)
}

fn none(reason: String) -> DateAction {
    DateAction {
        kind: "none",
        offset_ms: None,
        server: None,
        applied: false,
        slew_seconds: None,
        reason: Some(reason),
    }
}

/// Prints collected debug lines: on `out`, or on stderr when `out` carries JSON.
fn flush_trace(trace: &mut Trace, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    for line in trace.lines.drain(..) {
        if json {
            eprintln!("{line}");
        } else {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Runs `ntpdate` with `clock` as the clock to adjust.
///
/// # Errors
/// As [`run`].
pub fn run_with(
    cli: &Cli,
    out: &mut impl Write,
    clock: &dyn ClockControl,
) -> anyhow::Result<ExitCode> {
    let plan = Plan::from_cli(cli)?;
    let log = match &plan.syslog {
        Some(path) => Log::Syslog(path),
        None => Log::Stdout,
    };
    let text = !plan.json;
    if plan.verbose && text {
        log.line(
            out,
            &format!("ntpdate (ntpkit) {}", env!("CARGO_PKG_VERSION")),
            false,
        )?;
    }
    // Taken before the first packet: a second run never even measures while one adjusts.
    let mut lock = match plan.mode {
        Mode::Set => Some(lock::Lock::acquire(&plan.lock_file)?),
        Mode::Query | Mode::Debug | Mode::Drift => None,
    };
    if let Some(held) = &mut lock
        && let Some((pid, base)) = lock::unfinished_slew(held.previous())
    {
        clock
            .set_frequency(base)
            .context("restoring the frequency an interrupted slew left")?;
        held.note(None)
            .with_context(|| format!("cannot write {}", plan.lock_file.display()))?;
        let who = pid.map_or_else(String::new, |p| format!(" (pid {p})"));
        eprintln!(
            "ntpdate: restored the clock frequency to {base:+.3} ppm: an earlier slew{who} was killed before it could"
        );
    }
    let transport = query::transport(&plan)?;
    let mut servers = query::resolve(&plan);
    let mut trace = Trace {
        on: plan.mode == Mode::Debug,
        lines: Vec::new(),
    };
    let json = plan.json;
    query::sample_all(&transport, &mut servers, &plan, &mut trace, |t| {
        flush_trace(t, json, out)
    })?;
    let outcome = Outcome::select(servers);

    if text {
        // When no server is usable, the one closing line names every server's reason.
        let any = outcome.chosen().is_some();
        for (i, s) in outcome.servers.iter().enumerate() {
            match outcome.best_measurement(i) {
                Some(m) if plan.mode != Mode::Set => {
                    writeln!(out, "{}", report::server_line(s, &m))?;
                }
                None if any => eprintln!("ntpdate: {}: {}", s.name, report::server_reason(s)),
                Some(_) | None => {}
            }
        }
        for &i in &outcome.selection.falsetickers {
            if let Some(s) = outcome.servers.get(i) {
                eprintln!(
                    "ntpdate: {}: falseticker: outside the interval the majority agrees on",
                    s.name
                );
            }
        }
    }

    let Some((chosen, best)) = outcome.chosen() else {
        let why = outcome.why_none();
        if json {
            render_json(&outcome.record(plan.mode, none(why.clone()), None), out)?;
        } else {
            log.line(out, "no server suitable for synchronization found", true)?;
        }
        out.flush()?;
        eprintln!("ntpdate: no server suitable for synchronization found: {why}");
        return Ok(ExitCode::from(outcome.failure_code()));
    };

    if let Some(window) = plan.drift {
        let index = outcome.selection.chosen.unwrap_or_default();
        let mut servers = outcome.servers.clone();
        let points = query::sample_over_time(
            &transport,
            &mut servers,
            index,
            &plan,
            window,
            &mut trace,
            |t| flush_trace(t, json, out),
        )?;
        let points: Vec<DriftPoint> = points
            .iter()
            .map(|&(at, offset, delay)| DriftPoint { at, offset, delay })
            .collect();
        let outcome = Outcome::select(servers);
        let estimate = drift::estimate(&points);
        let name = outcome
            .servers
            .get(index)
            .map_or_else(String::new, |s| s.name.clone());
        let action = none("drift measurement only".to_owned());
        if json {
            render_json(
                &outcome.record(plan.mode, action, estimate.map(|e| (index, e))),
                out,
            )?;
        } else if let Some(d) = estimate {
            writeln!(
                out,
                "drift server {name}: local clock frequency error {:+.3} ppm +/- {:.3} ppm ({} samples over {:.1} s)",
                d.ppm, d.error_ppm, d.points, d.span
            )?;
        }
        out.flush()?;
        if estimate.is_none() {
            eprintln!(
                "ntpdate: {name}: drift: too few usable samples ({}) for an estimate",
                points.len()
            );
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }

    let chosen_name = chosen.name.clone();
    let action = match clock::decide(best.offset, &plan.policy) {
        Ok(a) => a,
        Err(refusal) => {
            if json {
                let mut a = none(refusal.to_string());
                a.offset_ms = Some(best.offset * 1e3);
                a.server = Some(chosen_name);
                render_json(&outcome.record(plan.mode, a, None), out)?;
            }
            out.flush()?;
            eprintln!("ntpdate: {}: not adjusting: {refusal}", chosen.name);
            return Ok(ExitCode::from(1));
        }
    };
    let message = report::result_message(action.kind(), chosen, action.by());
    let mut record_action = DateAction {
        kind: action.kind(),
        offset_ms: Some(action.by() * 1e3),
        server: Some(chosen_name),
        applied: false,
        slew_seconds: match action {
            Action::Slew { seconds, .. } => Some(seconds),
            Action::Step(_) => None,
        },
        reason: None,
    };
    if plan.mode == Mode::Set {
        if let Action::Slew { by, seconds } = action {
            eprintln!(
                "ntpdate: slewing {by:+.6} s at {} ppm takes {seconds:.1} s",
                plan.policy.slew_rate_ppm
            );
        }
        // The journal in the lock file lets a later run undo a slew killed half-way.
        let journal = match (action, &mut lock) {
            (Action::Slew { .. }, Some(held)) => {
                let base = clock.frequency()?;
                held.note(Some(&format!("slewing base_ppm={base}")))
                    .with_context(|| format!("cannot write {}", plan.lock_file.display()))?;
                Some(held)
            }
            _ => None,
        };
        let applied = clock::apply(clock, action, &plan.policy);
        // The slew restores the frequency itself, also when interrupted; only a failed restore
        // leaves the journal line for the next run.
        if let Some(held) = journal
            && (applied.is_ok()
                || applied
                    .as_ref()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::Interrupted))
        {
            held.note(None)
                .with_context(|| format!("cannot write {}", plan.lock_file.display()))?;
        }
        applied.with_context(|| format!("{}: {}", chosen.name, action.kind()))?;
        record_action.applied = true;
    } else {
        record_action.reason = Some(
            match plan.mode {
                Mode::Debug => "debug (-d): the clock is not adjusted",
                _ => "query only (-q): the clock is not adjusted",
            }
            .to_owned(),
        );
    }
    if json {
        render_json(&outcome.record(plan.mode, record_action, None), out)?;
    } else {
        log.line(out, &message, false)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Maps an error to the documented exit code: 2 usage, 1 everything else that reaches here.
fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<UsageError>().is_some() {
        2
    } else {
        1
    }
}

/// Parses the process arguments, runs, and maps errors to a one-line message and exit code.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli, &mut std::io::stdout().lock()) {
        Ok(code) => code,
        Err(err) => {
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("ntpdate: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

#[cfg(test)]
mod tests;
