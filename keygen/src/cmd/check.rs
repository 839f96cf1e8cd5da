//! `ntp-keygen --check`: lint keys files.
//!
//! The line-by-line checks are `ntpkit`'s ([`KeysFile::lint_bytes`]); this module adds what only
//! the file system knows, the permissions: a keys file anyone may read or anyone but its owner
//! may write is an error, one its group may read is a warning (the classic tool creates its
//! files 0640, so that is its normal output, but the group is often wider than intended).

use std::fs;
use std::io::{self, Read as _, Write};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use ntpkit::auth::{FindingSeverity, KeysFile, KeysFinding, MAX_KEYS_FILE_LEN};
use ntpkit::format::render_json;
use ntpkit::record::KeysCheckRecord;
use zeroize::Zeroizing;

use super::{octal_mode, shown};
use crate::EXIT_FAILURE;

/// Checks every file; exit 1 if any file has an error or cannot be read.
pub fn run(
    files: &[impl AsRef<Path>],
    json: bool,
    out: &mut impl Write,
    notes: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    for file in files {
        let path = file.as_ref();
        let record = match check_file(path) {
            Ok(record) => record,
            Err(error) => {
                // One line per unreadable file; the others are still checked.
                writeln!(notes, "ntp-keygen: {error:#}")?;
                failed = true;
                continue;
            }
        };
        failed |= record.errors > 0;
        if json {
            render_json(&record, out)?;
        } else {
            render_text(&record, out)?;
        }
    }
    Ok(if failed {
        ExitCode::from(EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads and checks one file.
pub fn check_file(path: &Path) -> anyhow::Result<KeysCheckRecord> {
    let context = || format!("{}: check", shown(path));
    let meta = fs::metadata(path)
        .map_err(|e| io_error(&e))
        .with_context(context)?;
    if !meta.is_file() {
        anyhow::bail!("{}: not a regular file", context());
    }
    let mode = meta.permissions().mode();
    let mut bytes = Zeroizing::new(Vec::with_capacity(
        usize::try_from(meta.len())
            .unwrap_or(0)
            .min(MAX_KEYS_FILE_LEN)
            + 1,
    ));
    fs::File::open(path)
        .and_then(|f| f.take(MAX_KEYS_FILE_LEN as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| io_error(&e))
        .with_context(context)?;
    let mut findings = permission_findings(mode);
    findings.extend(KeysFile::lint_bytes(&bytes));
    let keys = KeysFile::parse_bytes(path, &bytes).ok().map(|f| f.len());
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    Ok(KeysCheckRecord {
        command: "check",
        file: shown(path),
        mode: octal_mode(mode),
        keys,
        errors: count(FindingSeverity::Error),
        warnings: count(FindingSeverity::Warning),
        findings,
    })
}

/// An I/O error as `cannot read: <reason>`, without the `(os error N)` suffix.
fn io_error(error: &io::Error) -> anyhow::Error {
    let text = error.to_string();
    let reason = text.split(" (os error").next().unwrap_or(&text);
    anyhow::anyhow!("cannot read: {reason}")
}

/// Findings about who may read or write the file (line 0).
fn permission_findings(mode: u32) -> Vec<KeysFinding> {
    let shown = octal_mode(mode);
    let finding = |severity, message: String| KeysFinding {
        line: 0,
        severity,
        message,
    };
    let mut findings = Vec::new();
    if mode & 0o004 != 0 {
        findings.push(finding(
            FindingSeverity::Error,
            format!("readable by everyone (mode {shown}): anyone on the host can read the keys; chmod 600"),
        ));
    }
    if mode & 0o022 != 0 {
        findings.push(finding(
            FindingSeverity::Error,
            format!("writable by others than its owner (mode {shown}): they can replace the keys; chmod 600"),
        ));
    }
    if mode & 0o040 != 0 && mode & 0o004 == 0 {
        findings.push(finding(
            FindingSeverity::Warning,
            format!("readable by its group (mode {shown}): every member can read the keys; chmod 600 unless the group is meant to"),
        ));
    }
    findings
}

/// `FILE:LINE: severity: message` per finding, then a summary line.
fn render_text(record: &KeysCheckRecord, out: &mut impl Write) -> io::Result<()> {
    for finding in &record.findings {
        match finding.line {
            0 => writeln!(
                out,
                "{}: {}: {}",
                record.file, finding.severity, finding.message
            )?,
            line => writeln!(
                out,
                "{}:{line}: {}: {}",
                record.file, finding.severity, finding.message
            )?,
        }
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let keys = match record.keys {
        Some(n) => plural(n, "key"),
        None => "not loadable".to_owned(),
    };
    writeln!(
        out,
        "{}: {keys}, {}, {}",
        record.file,
        plural(record.errors, "error"),
        plural(record.warnings, "warning")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_by_mode() {
        let severities = |mode| {
            permission_findings(mode)
                .iter()
                .map(|f| f.severity)
                .collect::<Vec<_>>()
        };
        use FindingSeverity::{Error, Warning};
        assert_eq!(severities(0o600), []);
        assert_eq!(severities(0o400), []);
        assert_eq!(severities(0o640), [Warning]);
        assert_eq!(severities(0o644), [Error]);
        assert_eq!(severities(0o604), [Error]);
        assert_eq!(severities(0o620), [Error]);
        assert_eq!(severities(0o666), [Error, Error]);
        assert!(
            permission_findings(0o100_644)[0]
                .message
                .contains("mode 0644")
        );
    }
}
