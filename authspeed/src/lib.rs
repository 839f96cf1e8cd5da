//! `authspeed`: measure the cost of NTP symmetric-key authentication.
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an output
//! stream so tests can capture what it prints. The MAC code measured is `ntpkit`'s, the code
//! every ntpkit tool signs and verifies with; this crate only times it.

mod cli;
mod measure;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::bail;
use clap::Parser;
use ntpkit::auth::KeysFile;
use ntpkit::format::{render_json, render_table};
use ntpkit::record::AuthSpeedRecord;

pub use cli::{Cli, DEFAULT_BATCH, DEFAULT_COUNT};
pub use measure::PACKET_OCTETS;

/// Keys measured without a keys file: one of every type (public sample values).
const SAMPLE_KEYS: &str = "\
1 MD5 ntpkit-sample-md5-k1
2 SHA1 5e0c7d1f2a3b4c5d6e7f8091a2b3c4d5e6f70819
3 SHA256 0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff
4 AES128CMAC 00112233445566778899aabbccddeeff
5 S 0123456789abcdef
";

/// Runs `authspeed` with parsed arguments, writing results to `out`.
///
/// # Errors
///
/// An unreadable or invalid keys file (with its line), no keys of the selected types, or a
/// failed write.
pub fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let (file, source) = match &cli.keyfile {
        Some(path) => {
            let file = KeysFile::load(path).map_err(|e| {
                let at = match e.line {
                    0 => e.path.display().to_string(),
                    line => format!("{}:{line}", e.path.display()),
                };
                anyhow::anyhow!("{at}: {}", e.kind)
            })?;
            if let Some(exposure) = ntpkit::auth::KeysExposure::of_file(path) {
                eprintln!("authspeed: warning: {}: {exposure}", path.display());
            }
            (file, Some(path.display().to_string()))
        }
        None => (KeysFile::parse("built-in", SAMPLE_KEYS)?, None),
    };
    let groups = measure::group_keys(&file, |kind| cli.selects(kind));
    if groups.is_empty() {
        bail!(
            "{}: no keys of the selected types",
            source.as_deref().unwrap_or("built-in keys")
        );
    }
    let types = groups
        .iter()
        .map(|group| measure::measure(group, cli.count, cli.batch))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let record = AuthSpeedRecord {
        keys_file: source,
        packet_octets: PACKET_OCTETS,
        operations: cli.count,
        batch: cli.batch,
        types,
    };
    if cli.json {
        render_json(&record, out)?;
    } else {
        render_text(&record, out)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The table, then one `authdelay` line per type.
fn render_text(record: &AuthSpeedRecord, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{} operations per type and operation on {}-octet NTP packets, in runs of {} ({})",
        record.operations,
        record.packet_octets,
        record.batch,
        record.keys_file.as_deref().map_or_else(
            || "built-in sample keys".to_owned(),
            |f| format!("keys from {f}")
        )
    )?;
    let rows: Vec<_> = record.types.iter().flat_map(|t| t.rows()).collect();
    render_table(&rows, out)?;
    writeln!(out)?;
    writeln!(
        out,
        "# suggested authdelay (median signing time) per type; xntp3 and early ntpd 4 read it,"
    )?;
    writeln!(out, "# ntpd 4.2.8 and NTPsec reject the directive")?;
    for timing in &record.types {
        writeln!(out, "{}  # {}", timing.authdelay_line(), timing.key_type)?;
    }
    Ok(())
}

/// Parses the process arguments, runs, and maps errors to a one-line message and exit code:
/// 0 when standard output was closed early, 1 otherwise (clap exits 2 on usage errors).
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
            eprintln!("authspeed: {err:#}");
            ExitCode::FAILURE
        }
    }
}
