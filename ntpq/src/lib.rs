//! `ntpq`: query and control NTP servers over mode 6 (classic ntpq, plus JSON).
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an
//! output stream so tests can capture what it prints.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// Command line of `ntpq`.
#[derive(Debug, Parser)]
#[command(
    name = "ntpq",
    version,
    about = "query and control NTP servers over mode 6 (classic ntpq, plus JSON)"
)]
pub struct Cli {}

/// Runs `ntpq` with parsed arguments, writing results to `out`.
///
/// # Errors
/// Returns an error when writing to `out` fails.
pub fn run(_cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Parses the process arguments, runs, and maps errors to a one-line message and exit code.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli, &mut std::io::stdout().lock()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ntpq: {err:#}");
            ExitCode::FAILURE
        }
    }
}
