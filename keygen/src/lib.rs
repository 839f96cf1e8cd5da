//! `ntp-keygen`: generate, check and convert NTP symmetric keys files.
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an output
//! stream so tests can capture what it prints. The key logic (generation layout, checks,
//! conversions) lives in `ntpkit::auth`; this crate holds the command line, the random source,
//! file creation and permissions, and rendering.

mod cli;
mod cmd;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

pub use cli::{Cli, Destination, GeneratePlan, Plan, UsageError};

/// Exit code when a command failed or a checked file has errors.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for usage errors (clap's own).
pub const EXIT_USAGE: u8 = 2;

/// Runs `ntp-keygen` with parsed arguments, writing results to `out` and progress notes
/// (the classic tool's "Generating new md5 file and link") to standard error.
///
/// # Errors
///
/// [`UsageError`] for impossible requests; otherwise the first failure, with its context
/// (file and command).
pub fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    run_with(cli, out, &mut io::stderr().lock())
}

/// As [`run`], with progress notes and warnings written to `notes`.
///
/// # Errors
///
/// As [`run`].
pub fn run_with(
    cli: &Cli,
    out: &mut impl Write,
    notes: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let code = match cli.plan()? {
        Plan::Generate(plan) => cmd::generate::run(&plan, cli.json, out, notes)?,
        Plan::Check(files) => cmd::check::run(&files, cli.json, out, notes)?,
        Plan::Des {
            keys,
            from,
            to,
            fix_parity,
        } => cmd::convert::des(&keys, from, to, fix_parity, cli.json, out, notes)?,
        Plan::Chrony(file) => cmd::convert::chrony(&file, cli.json, out, notes)?,
    };
    out.flush()?;
    Ok(code)
}

/// Parses the process arguments, runs, and maps errors to a one-line message and exit code:
/// 2 for usage errors, 0 when standard output was closed early (`| head`), 1 otherwise.
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
            eprintln!("ntp-keygen: {err:#}");
            if err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::from(EXIT_FAILURE)
            }
        }
    }
}
