//! The text renderings of `leap`'s records: `label: value` lines, one per fact.

use std::io::Write;

use ntpkit::leap::{
    HashStatus, LeapBits, LeapFileCheckRecord, LeapSetRecord, LeapSeverity, LeapStatusRecord,
};

use super::super::emit_json;
use crate::session::Session;

fn days(d: f64) -> String {
    if d >= 0.0 {
        format!("in {d:.1} days")
    } else {
        format!("{:.1} days ago", -d)
    }
}

fn line(out: &mut dyn Write, label: &str, value: &str) -> std::io::Result<()> {
    writeln!(out, "{:<14} {value}", format!("{label}:"))
}

pub(super) fn print_status(r: &LeapStatusRecord, out: &mut dyn Write) -> anyhow::Result<()> {
    line(out, "server", &r.host)?;
    let daemon = match &r.version {
        Some(v) => format!("{} ({v})", r.daemon.name()),
        None => r.daemon.name().to_owned(),
    };
    line(out, "daemon", &daemon)?;
    line(out, "server time", r.server_time.as_deref().unwrap_or("-"))?;
    let announced = if r.announced { ", announced" } else { "" };
    line(
        out,
        "leap",
        &format!("{} {}{announced}", r.leap.code, r.leap.name),
    )?;
    if let Some(x) = &r.xntpd3 {
        let bits = |b: Option<LeapBits>| {
            b.map_or_else(|| "-".to_owned(), |b| format!("{} {}", b.code, b.name))
        };
        line(out, "leapwarning", &bits(x.leap_warning))?;
        line(out, "leapindicator", &bits(x.leap_indicator))?;
        line(
            out,
            "possible leap",
            &format!(
                "{} ({}; window: {})",
                x.possible_leap,
                days(x.days_to_possible_leap),
                x.window
            ),
        )?;
    } else {
        let tai = r
            .tai_offset_s
            .map_or_else(|| "-".to_owned(), |t| format!("{t} s"));
        line(out, "tai", &tai)?;
        line(
            out,
            "leapsec",
            r.leapsec.as_deref().unwrap_or("- (no leap table)"),
        )?;
        let expire = match (&r.expire, r.days_to_expire) {
            (Some(e), Some(d)) => format!("{e} ({})", days(d)),
            _ => "-".to_owned(),
        };
        line(out, "expire", &expire)?;
    }
    let next = match (&r.next_leap, r.days_to_leap) {
        (Some(n), Some(d)) => format!("{n} ({})", days(d)),
        _ => "none scheduled".to_owned(),
    };
    line(out, "next leap", &next)?;
    Ok(())
}

fn state_line(r: &LeapStatusRecord) -> String {
    match &r.xntpd3 {
        Some(x) => format!(
            "leap {}, leapwarning {}, leapindicator {}",
            r.leap.code,
            x.leap_warning.map_or("-", |b| b.code),
            x.leap_indicator.map_or("-", |b| b.code)
        ),
        None => format!(
            "leap {}, leapsec {}, expire {}",
            r.leap.code,
            r.leapsec.as_deref().unwrap_or("-"),
            r.expire.as_deref().unwrap_or("-")
        ),
    }
}

pub(super) fn emit_set(s: &Session, r: &LeapSetRecord, out: &mut dyn Write) -> anyhow::Result<()> {
    if s.json {
        return emit_json(out, r);
    }
    if let Some(check) = &r.file_check {
        print_file_check(check, out)?;
        writeln!(out)?;
    }
    line(out, "server", &r.host)?;
    let daemon = match &r.before.version {
        Some(v) => format!("{} ({v})", r.daemon.name()),
        None => r.daemon.name().to_owned(),
    };
    line(out, "daemon", &daemon)?;
    line(out, "request", r.request.name())?;
    let how = match r.method {
        Some("writevar") => "writevar (xntpd 3's writable leap variables)",
        Some(_) => "leapfile (run-time configuration; writes of 'leap' are refused)",
        None => "none",
    };
    line(out, "method", how)?;
    if let Some(w) = &r.write {
        let key = w
            .key_id
            .map_or_else(|| "no key".to_owned(), |k| format!("key {k}"));
        let verb = if r.dry_run { "would send" } else { "sent" };
        line(
            out,
            verb,
            &format!(
                "{} assoc {} '{}', signed with {key}",
                w.opcode, w.assoc_id, w.payload
            ),
        )?;
    }
    if let Some(reply) = &r.reply {
        line(out, "reply", reply)?;
    }
    line(out, "before", &state_line(&r.before))?;
    if let Some(after) = &r.after {
        line(out, "after", &state_line(after))?;
    }
    line(out, "result", &r.message)?;
    Ok(())
}

pub(super) fn print_file_check(r: &LeapFileCheckRecord, out: &mut dyn Write) -> anyhow::Result<()> {
    let p = &r.report;
    line(out, "file", &r.file)?;
    line(out, "valid", if p.valid { "yes" } else { "no" })?;
    let hash = match (&p.hash_in_file, p.hash) {
        (_, HashStatus::Ok) => format!("ok ({})", p.hash_computed),
        (Some(stated), _) => format!("mismatch (file {stated}, data {})", p.hash_computed),
        (None, status) => format!(
            "{} (data {})",
            serde_json::to_value(status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            p.hash_computed
        ),
    };
    line(out, "hash", &hash)?;
    line(out, "updated", p.updated.as_deref().unwrap_or("-"))?;
    let expires = match (&p.expires, p.days_to_expire) {
        (Some(e), Some(d)) => format!("{e} ({})", days(d)),
        _ => "-".to_owned(),
    };
    line(out, "expires", &expires)?;
    line(out, "entries", &p.entries.to_string())?;
    let tai = p
        .tai_offset_s
        .map_or_else(|| "-".to_owned(), |t| format!("{t} s"));
    line(out, "tai", &tai)?;
    let next = p.next_leap.as_ref().map_or_else(
        || "none announced".to_owned(),
        |n| {
            format!(
                "{} {} to {} s ({})",
                n.at,
                n.kind,
                n.tai_offset_s,
                days(n.days_from_now)
            )
        },
    );
    line(out, "next leap", &next)?;
    for f in &p.findings {
        let severity = match f.severity {
            LeapSeverity::Error => "error",
            LeapSeverity::Warning => "warning",
        };
        let at = f.line.map_or_else(String::new, |l| format!("line {l}: "));
        line(out, severity, &format!("{at}{}", f.message))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts() {
        assert_eq!(days(40.71), "in 40.7 days");
        assert_eq!(days(-146.0), "146.0 days ago");
    }
}
