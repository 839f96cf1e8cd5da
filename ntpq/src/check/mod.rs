//! `ntpq check` (a health check for scripts and monitoring systems) and `ntpq serve` (the same
//! metrics over HTTP for Prometheus). The judging and the renderings live in
//! [`ntpkit::check`]; this module holds the command line, the network run ([`query`]) and the
//! HTTP server ([`serve`]).
//!
//! Both are subcommands of ntpq's command line ([`crate::cli::Action`]), sharing its global
//! `-4`/`-6` and `--json`. `ntpq check` follows the monitoring-plugins convention for its exit
//! status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN — a bad command line included, which is
//! UNKNOWN (3), not clap's 2, so that a monitoring system never reads a typo as CRITICAL.

pub mod query;
pub mod serve;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use ntpkit::check::{
    CheckState, Limit, Thresholds, nagios::render_nagios, openmetrics::render_openmetrics,
    parse_days, parse_seconds,
};
use ntpkit::format::render_json;
use ntpkit::transport::Family;

use crate::cli::Cli;

pub use query::{CheckRun, check_hosts};

const CHECK_AFTER_HELP: &str = "\
Durations need a unit: 50ms, 0.05s, 500us. Limits are CRIT or WARN,CRIT (--max-stratum 3,4).
Unsynchronized servers are CRITICAL; a server that does not answer is UNKNOWN.
Offset, jitter and reach are the server's system peer's, as in `ntpq -p` and check_ntp_peer.
Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for a bad command line).
See docs/health-checks.md.";

const SERVE_AFTER_HELP: &str = "\
GET /metrics answers with the Prometheus text format, or OpenMetrics when asked for it;
every scrape queries the servers anew within --timeout. See docs/health-checks.md.";

/// How `ntpq check` prints its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One status line with performance data (monitoring-plugins), one more line per server
    /// when there are several.
    Nagios,
    /// One JSON document per server with every metric, threshold and verdict (as --json).
    Json,
    /// Prometheus / OpenMetrics text exposition (node_exporter's textfile collector).
    Prometheus,
}

/// What a check asks and how it judges: shared by `check` and `serve`.
#[derive(Debug, Clone, Args)]
pub struct CheckOptions {
    /// Longest time the whole check may take (all servers together).
    #[arg(long, value_name = "DURATION", default_value = "4s", value_parser = positive_seconds)]
    pub timeout: f64,
    /// WARNING when the system peer's |offset| is above this.
    #[arg(long, value_name = "DURATION", value_parser = seconds)]
    pub warn_offset: Option<f64>,
    /// CRITICAL when the system peer's |offset| is above this.
    #[arg(long, value_name = "DURATION", value_parser = seconds)]
    pub crit_offset: Option<f64>,
    /// WARNING when the system peer's jitter is above this.
    #[arg(long, value_name = "DURATION", value_parser = seconds)]
    pub warn_jitter: Option<f64>,
    /// CRITICAL when the system peer's jitter is above this.
    #[arg(long, value_name = "DURATION", value_parser = seconds)]
    pub crit_jitter: Option<f64>,
    /// Alert when the server's stratum is above this.
    #[arg(long, value_name = "[WARN,]CRIT", value_parser = counts)]
    pub max_stratum: Option<Limit<u32>>,
    /// Alert with fewer truechimers (associations that survived the intersection).
    #[arg(long, value_name = "[WARN,]CRIT", value_parser = counts)]
    pub min_sources: Option<Limit<u32>>,
    /// Alert with fewer candidates (associations the combine algorithm uses).
    #[arg(long, value_name = "[WARN,]CRIT", value_parser = counts)]
    pub min_candidates: Option<Limit<u32>>,
    /// Alert when fewer bits (of 8) are set in the system peer's reach register.
    #[arg(long, value_name = "[WARN,]CRIT", value_parser = reach_bits)]
    pub min_reach: Option<Limit<u32>>,
    /// Alert when the root distance (root dispersion + root delay / 2) is above this.
    #[arg(long, value_name = "[WARN,]CRIT", value_parser = seconds_limit)]
    pub max_root_distance: Option<Limit<f64>>,
    /// Alert when the leap-second file expires in fewer days (or is missing).
    #[arg(long, value_name = "[WARN,]CRIT", value_parser = days_limit)]
    pub leapfile_days: Option<Limit<f64>>,
    /// The state a pending leap second gives: ok, warning, critical or unknown.
    #[arg(long, value_name = "STATE", default_value = "warning", value_parser = state)]
    pub leap_pending: CheckState,
    /// Servers to check (default: localhost).
    #[arg(value_name = "host")]
    pub hosts: Vec<String>,
}

/// `ntpq check`.
#[derive(Debug, Args)]
#[command(
    about = "Check servers like a monitoring plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
    after_help = CHECK_AFTER_HELP
)]
pub struct CheckCommand {
    /// What to check and how to judge it.
    #[command(flatten)]
    pub options: CheckOptions,
    /// Output format (default nagios; --json is --format json).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `ntpq serve`.
#[derive(Debug, Args)]
#[command(
    about = "Serve the check's metrics over HTTP for Prometheus (each scrape asks the servers)",
    after_help = SERVE_AFTER_HELP
)]
pub struct ServeCommand {
    /// Where to listen: ADDR:PORT (127.0.0.1:9123, [::1]:9123) or :PORT (every address).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: String,
    /// What to check and how to judge it.
    #[command(flatten)]
    pub options: CheckOptions,
}

impl CheckOptions {
    /// The thresholds the options give.
    #[must_use]
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            offset: Limit {
                warn: self.warn_offset,
                crit: self.crit_offset,
            },
            jitter: Limit {
                warn: self.warn_jitter,
                crit: self.crit_jitter,
            },
            stratum: self.max_stratum.unwrap_or_default(),
            sources: self.min_sources.unwrap_or_default(),
            candidates: self.min_candidates.unwrap_or_default(),
            reach_bits: self.min_reach.unwrap_or_default(),
            root_distance: self.max_root_distance.unwrap_or_default(),
            leapfile_days: self.leapfile_days.unwrap_or_default(),
            leap_pending: self.leap_pending,
        }
    }

    /// The servers, localhost when none is given.
    #[must_use]
    pub fn hosts(&self) -> Vec<String> {
        if self.hosts.is_empty() {
            vec!["localhost".to_owned()]
        } else {
            self.hosts.clone()
        }
    }

    /// The time budget.
    #[must_use]
    pub fn budget(&self) -> Duration {
        Duration::from_secs_f64(self.timeout)
    }

    /// Runs the check these options describe, resolving names in `family`.
    #[must_use]
    pub fn run(&self, family: Family) -> CheckRun {
        check_hosts(&self.hosts(), family, &self.thresholds(), self.budget())
    }
}

/// `-4`/`-6` of the command line.
#[must_use]
pub fn family(cli: &Cli) -> Family {
    if cli.ipv4 {
        Family::V4
    } else if cli.ipv6 {
        Family::V6
    } else {
        Family::Any
    }
}

/// Why classic options given with a subcommand cannot apply, if they were.
#[must_use]
pub fn misplaced(cli: &Cli, name: &str) -> Option<String> {
    if !cli.hosts.is_empty() {
        return Some(format!(
            "its servers follow '{name}': ntpq {name} [options] [host...]"
        ));
    }
    if !cli.commands.is_empty() || cli.interactive || cli.tui {
        return Some(format!("-c, -p, -i and --tui do not go with '{name}'"));
    }
    if cli.keyfile.is_some() || cli.keyid.is_some() {
        return Some(format!(
            "-k and -a do not go with '{name}': its queries are reads, which need no key"
        ));
    }
    None
}

fn seconds(s: &str) -> Result<f64, String> {
    parse_seconds(s).map_err(|e| e.to_string())
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match seconds(s)? {
        v if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!("'{s}': expected more than 0 and at most an hour")),
    }
}

fn counts(s: &str) -> Result<Limit<u32>, String> {
    s.parse::<Limit<u32>>().map_err(|e| e.to_string())
}

fn reach_bits(s: &str) -> Result<Limit<u32>, String> {
    let limit = counts(s)?;
    if limit.warn.into_iter().chain(limit.crit).any(|n| n > 8) {
        return Err(format!("'{s}': the reach register has 8 bits"));
    }
    Ok(limit)
}

fn seconds_limit(s: &str) -> Result<Limit<f64>, String> {
    Limit::parse_with(s, parse_seconds).map_err(|e| e.to_string())
}

fn days_limit(s: &str) -> Result<Limit<f64>, String> {
    Limit::parse_with(s, parse_days).map_err(|e| e.to_string())
}

fn state(s: &str) -> Result<CheckState, String> {
    s.parse::<CheckState>().map_err(|e| e.to_string())
}

/// The plugin's exit status for a bad command line.
fn unknown_usage(msg: &str) -> anyhow::Result<ExitCode> {
    eprintln!("ntpq: check: {msg}");
    Ok(ExitCode::from(CheckState::Unknown.exit_code()))
}

/// Runs `ntpq check`: prints the verdict of every server in the chosen format and returns the
/// plugin exit status (the worst server's state).
///
/// # Errors
/// Writing to `out` fails.
pub fn run(cli: &Cli, cmd: &CheckCommand, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    if let Some(msg) = misplaced(cli, "check") {
        return unknown_usage(&msg);
    }
    let format = match (cli.json, cmd.format) {
        (true, None | Some(Format::Json)) => Format::Json,
        (true, Some(_)) => return unknown_usage("--json goes with no other --format"),
        (false, format) => format.unwrap_or(Format::Nagios),
    };
    let run = cmd.options.run(family(cli));
    let state = CheckState::worst_of(run.reports.iter().map(|r| r.state));
    match format {
        Format::Nagios => {
            render_nagios(&run.reports, out)?;
        }
        Format::Json => {
            for report in &run.reports {
                render_json(report, out)?;
            }
        }
        Format::Prometheus => {
            render_openmetrics(&run.reports, Some(run.elapsed.as_secs_f64()), out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::from(state.exit_code()))
}

/// Ends the process for a command line clap refused: with the plugin's UNKNOWN (3) when it
/// runs `ntpq check`, else as clap does (2, or 0 for help and version).
#[must_use]
pub fn exit_on_usage_error(err: &clap::Error, args: &[OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    let is_check = args.iter().skip(1).any(|a| a == "check");
    if !is_check
        || matches!(
            err.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
        )
    {
        err.exit();
    }
    let _ = err.print();
    ExitCode::from(CheckState::Unknown.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Action;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_ordered(std::iter::once("ntpq").chain(args.iter().copied()))
    }

    #[test]
    fn thresholds_come_from_the_options() {
        let cli = parse(&[
            "check",
            "--warn-offset",
            "50ms",
            "--crit-offset=0.1s",
            "--crit-jitter",
            "500us",
            "--max-stratum",
            "3,4",
            "--min-sources",
            "2",
            "--min-reach",
            "6",
            "--max-root-distance",
            "1s",
            "--leapfile-days",
            "30,7",
            "--leap-pending",
            "critical",
            "-4",
            "h1",
            "h2",
        ])
        .unwrap();
        let Some(Action::Check(check)) = &cli.action else {
            panic!("check")
        };
        let t = check.options.thresholds();
        assert_eq!((t.offset.warn, t.offset.crit), (Some(0.05), Some(0.1)));
        assert_eq!((t.jitter.warn, t.jitter.crit), (None, Some(0.0005)));
        assert_eq!((t.stratum.warn, t.stratum.crit), (Some(3), Some(4)));
        assert_eq!((t.sources.warn, t.sources.crit), (None, Some(2)));
        assert_eq!(t.reach_bits.crit, Some(6));
        assert_eq!(t.root_distance.crit, Some(1.0));
        assert_eq!(
            (t.leapfile_days.warn, t.leapfile_days.crit),
            (Some(30.0), Some(7.0))
        );
        assert_eq!(t.leap_pending, CheckState::Critical);
        assert!(!t.candidates.is_set());
        assert_eq!(family(&cli), Family::V4);
        assert_eq!(check.options.hosts(), ["h1", "h2"]);
        assert_eq!(check.format, None);
        assert_eq!(check.options.budget(), Duration::from_secs(4));
        assert_eq!(misplaced(&cli, "check"), None);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["check", "--warn-offset", "50"][..],
            &["check", "--max-stratum", "1,2,3"],
            &["check", "--min-reach", "9"],
            &["check", "--timeout", "0s"],
            &["check", "--leap-pending", "maybe"],
            &["check", "--format", "xml"],
            &["serve", "h"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
        let cli = parse(&["--json", "serve", "--listen", ":9123", "--timeout", "2s"]).unwrap();
        let Some(Action::Serve(serve)) = &cli.action else {
            panic!("serve")
        };
        assert_eq!(serve.listen, ":9123");
        assert_eq!(serve.options.hosts(), ["localhost"]);
        let cli = parse(&["-c", "rv", "check", "h"]).unwrap();
        assert!(misplaced(&cli, "check").is_some());
        let cli = parse(&["-k", "keys", "check", "h"]).unwrap();
        assert!(misplaced(&cli, "check").unwrap().contains("need no key"));
    }

    #[test]
    fn usage_errors_of_check_are_unknown() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let err = parse(&["check", "--bogus"]).unwrap_err();
        assert_eq!(
            exit_on_usage_error(&err, &args(&["ntpq", "check", "--bogus"])),
            ExitCode::from(3)
        );
    }
}
