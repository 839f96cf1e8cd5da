//! `ntptrace`: follow the NTP synchronization path up to stratum 1.
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an output
//! stream so tests can capture what it prints. The walk's rules live in [`ntpkit::trace`]; this
//! crate reads hops over the network ([`read`]), prints them as the classic tool does
//! ([`render`]) or as one JSON document, and maps the way the walk ended to an exit code.

pub mod cli;
pub mod read;
pub mod render;

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser as _;
use ntpkit::format::render_json;
use ntpkit::record::{StopReason, TraceHop, TraceReport, TraceStop};
use ntpkit::trace::{Step, TraceWalk};
use ntpkit::transport::{Family, Transport, resolve, reverse_lookup};

pub use cli::Cli;

/// How long a reverse lookup may take before the address is shown instead.
const NAME_LOOKUP_BOUND: Duration = Duration::from_millis(300);

/// Exit status when a hop answered neither mode 6 nor mode 3, or the host does not resolve.
const EXIT_UNREACHABLE: u8 = 3;

/// Runs `ntptrace` with parsed arguments, writing results to `out`: each hop's line as soon as
/// it is read, or one JSON document at the end. Why a walk ended short of the primary source
/// goes to stderr as one line.
///
/// # Errors
/// No UDP socket can be opened, or writing to `out` fails.
pub fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let start = cli.start();
    let address = match resolve(start, 123, Family::Any) {
        Ok(address) => address.ip(),
        Err(err) => {
            // Whatever the resolver's error kind, a host that cannot be found is unreachable.
            eprintln!("ntptrace: {start}: {err}");
            return Ok(ExitCode::from(EXIT_UNREACHABLE));
        }
    };
    let transport = Transport::new(cli.timeout).context("cannot open a UDP socket")?;
    let mut reader = read::HopReader::new(transport);
    let mut walk = TraceWalk::new(cli.max_hosts);
    let mut target = walk.begin(start, address);
    let mut hops: Vec<TraceHop> = Vec::new();
    let stop: TraceStop = loop {
        let mut hop = match reader.read(&target) {
            Ok(hop) => hop,
            Err(why) => {
                break TraceWalk::unreachable(&target, &why.mode6, &why.mode3, hops.last());
            }
        };
        if !cli.numeric {
            hop.name = reverse_lookup(target.address, NAME_LOOKUP_BOUND);
        }
        let step = walk.after(&mut hop);
        if !cli.json {
            writeln!(out, "{}", render::classic_line(&hop))?;
            out.flush()?;
        }
        hops.push(hop);
        match step {
            Step::Next(next) => target = next,
            Step::Stop(stop) => break stop,
        }
    };
    let complete = stop.reason.is_complete();
    if !complete {
        eprintln!("ntptrace: {}: {}", stop.host, stop.message);
    }
    let code = match stop.reason {
        _ if complete => 0,
        StopReason::Unreachable => EXIT_UNREACHABLE,
        _ => 1,
    };
    if cli.json {
        let report = TraceReport {
            start: start.to_owned(),
            hops,
            stop,
            complete,
        };
        render_json(&report, out)?;
    }
    out.flush()?;
    Ok(ExitCode::from(code))
}

/// The exit status for an error that ended the run early: 3 when the host does not resolve
/// (or the network is unreachable), 1 otherwise.
fn exit_code(err: &anyhow::Error) -> u8 {
    let unreachable = err.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|e| {
            matches!(
                e.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::HostUnreachable
            )
        })
    });
    if unreachable { EXIT_UNREACHABLE } else { 1 }
}

/// Parses the process arguments, runs, and maps errors to a one-line message and exit code.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli, &mut io::stdout().lock()) {
        Ok(code) => code,
        Err(err) => {
            if err
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("ntptrace: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}
