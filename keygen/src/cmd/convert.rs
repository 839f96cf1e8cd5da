//! Conversions: legacy DES keys between the `A`, `S` and `N` forms (the classic `keyparity`),
//! and whole keys files to chrony's format.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use ntpkit::auth::chrony::to_chrony;
use ntpkit::auth::des::DesKey;
use ntpkit::auth::{KeyType, KeysFile};
use ntpkit::format::render_json;
use ntpkit::record::{ChronyRecord, DesConversionRecord, DesKeyRecord};

use super::shown;
use crate::EXIT_FAILURE;

/// Prints each key of `keys` (read in form `from`) in form `to` as `FORM TEXT`, ready for an
/// xntp3 keys file; with `json`, every form. A key that cannot be read is reported by its
/// position (never its text) and makes the exit code 1.
pub fn des(
    keys: &[String],
    from: KeyType,
    to: KeyType,
    fix_parity: bool,
    json: bool,
    out: &mut impl Write,
    notes: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut records = Vec::new();
    for (index, text) in keys.iter().enumerate() {
        let label = format!("key {}", index + 1);
        let key = match DesKey::parse(from, text, fix_parity) {
            Ok(key) => key,
            Err(error) => {
                writeln!(
                    notes,
                    "ntp-keygen: {label}: des: not a valid {} key: {error}",
                    from.name()
                )?;
                failed = true;
                continue;
            }
        };
        if key.parity_fixed() && !json {
            writeln!(notes, "ntp-keygen: {label}: des: parity bits set")?;
        }
        if json {
            let form = |kind| key.text(kind).map(|t| t.to_string());
            records.push(DesKeyRecord {
                s: form(KeyType::DesStandard).unwrap_or_default(),
                n: form(KeyType::DesNtp).unwrap_or_default(),
                a: form(KeyType::DesAscii),
                parity_fixed: key.parity_fixed(),
            });
            continue;
        }
        match key.text(to) {
            Some(converted) => writeln!(out, "{} {}", to.name(), converted.as_str())?,
            None => {
                writeln!(
                    notes,
                    "ntp-keygen: {label}: des: has no A form (its characters are not printable, \
                     contain '#', or follow padding)"
                )?;
                failed = true;
            }
        }
    }
    if json {
        render_json(
            &DesConversionRecord {
                command: "des",
                from: from.name(),
                keys: records,
            },
            out,
        )?;
    }
    Ok(if failed {
        ExitCode::from(EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

/// Prints `file` in chrony's key file format; notes (dropped access lists, resized AES keys) go
/// to `notes`, or into the JSON document.
pub fn chrony(
    file: &Path,
    json: bool,
    out: &mut impl Write,
    notes: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let keys = KeysFile::load(file).map_err(|e| {
        let at = match e.line {
            0 => shown(&e.path),
            line => format!("{}:{line}", shown(&e.path)),
        };
        anyhow::anyhow!("{at}: chrony: {}", e.kind)
    })?;
    if let Some(exposure) = ntpkit::auth::KeysExposure::of_file(file) {
        writeln!(notes, "ntp-keygen: warning: {}: {exposure}", shown(file))?;
    }
    let converted = to_chrony(&keys).with_context(|| format!("{}: chrony", shown(file)))?;
    if json {
        let record = ChronyRecord {
            command: "chrony",
            file: shown(file),
            keys: keys.len(),
            notes: converted.notes.clone(),
            text: converted.text.to_string(),
        };
        render_json(&record, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for note in &converted.notes {
        writeln!(
            notes,
            "ntp-keygen: {}:{}: chrony: {}",
            shown(file),
            note.line,
            note.message
        )?;
    }
    out.write_all(converted.text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
