//! `mrulist`: the server's most recently seen clients (protocol notes §5).

use std::cmp::Ordering;
use std::io::Write;
use std::net::SocketAddr;

use anyhow::bail;
use ntpkit::control::{
    AssocId, ControlError, ControlOpcode, MruCollector, MruEntry, MruProgress, VarList,
};
use ntpkit::format::address_text;
use ntpkit::record::MruRecord;
use ntpkit::time::NtpTimestamp;
use ntpkit_shell::{Arg, Invocation};

use super::emit_json;
use crate::session::Session;

/// `RES_LIMITED` and `RES_KOD` (§5.5).
const RES_LIMITED: u32 = 0x0020;
const RES_KOD: u32 = 0x0400;

/// Most READ_MRU requests one listing may take; a busy server can keep us paging forever.
const MAX_REQUESTS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    LastSeen,
    AvgInterval,
    Address,
    Count,
}

/// Parses the tags into server filters and the sort order.
/// Server-side filters, the sort key, and whether the order is reversed.
type Tags = (Vec<(String, String)>, SortKey, bool);

fn parse_tags(inv: &Invocation) -> anyhow::Result<Tags> {
    let mut filters = Vec::new();
    let mut sort = (SortKey::LastSeen, false);
    for arg in &inv.args {
        let Arg::Str(tag) = arg else { continue };
        match tag.split_once('=') {
            None if tag == "limited" || tag == "kod" => {
                let bit = if tag == "kod" { RES_KOD } else { RES_LIMITED };
                filters.push(("resany".into(), format!("0x{bit:x}")));
            }
            Some(("sort", order)) => {
                let (reverse, key) = match order.strip_prefix('-') {
                    Some(k) => (true, k),
                    None => (false, order),
                };
                let key = match key {
                    "lstint" => SortKey::LastSeen,
                    "avgint" => SortKey::AvgInterval,
                    "addr" => SortKey::Address,
                    "count" => SortKey::Count,
                    other => bail!("invalid sort order '{other}'"),
                };
                sort = (key, reverse);
            }
            Some((name @ ("mincount" | "maxlstint" | "laddr" | "resall" | "resany"), value)) => {
                filters.push((name.to_owned(), value.to_owned()));
            }
            _ => eprintln!("ntpq: ignoring unrecognized mrulist parameter: {tag}"),
        }
    }
    Ok((filters, sort.0, sort.1))
}

/// `mrulist [tag=value]...`.
///
/// # Errors
/// A request failed beyond recovery, or writing failed.
pub fn mrulist(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let (filters, key, reverse) = parse_tags(inv)?;
    if !s.json {
        eprintln!("Ctrl-C will stop MRU retrieval and display partial results.");
    }
    let mut collector = MruCollector::new(filters);
    for _ in 0..MAX_REQUESTS {
        if collector.needs_nonce() {
            let answer = s.query(
                ControlOpcode::RequestNonce,
                AssocId::SYSTEM,
                Vec::new(),
                false,
            )?;
            collector.set_nonce(&answer.variables()?)?;
        }
        let request = collector.request();
        match s.query(ControlOpcode::ReadMru, AssocId::SYSTEM, request, false) {
            Ok(answer) => {
                let vars = VarList::parse_partial(&answer.data).0;
                if collector.on_response(&vars)? == MruProgress::Done {
                    break;
                }
            }
            Err(err) => match err.downcast::<ControlError>() {
                Ok(control) => collector.on_error(control)?,
                Err(other) => return Err(other),
            },
        }
    }
    let now = collector
        .now()
        .or_else(|| collector.entries().iter().map(|e| e.last).max())
        .unwrap_or(NtpTimestamp::ZERO);
    // Oldest first as collected; the default order is newest first.
    let mut entries: Vec<MruEntry> = collector.entries().iter().rev().copied().collect();
    sort_entries(&mut entries, key, now);
    if reverse {
        entries.reverse();
    }
    let host = s.host_name();
    let records: Vec<MruRecord> = entries.iter().map(|e| record(&host, e, now)).collect();
    if s.json {
        return emit_json(
            out,
            &serde_json::json!({
                "host": host,
                "command": "mrulist",
                "now": format!("0x{now}"),
                "updates": collector.updates(),
                "entries": records,
            }),
        );
    }
    eprintln!(
        "Retrieved {} unique MRU entries and {} updates.",
        entries.len(),
        collector.updates()
    );
    writeln!(out, "lstint avgint rstr r m v  count rport remote address")?;
    writeln!(out, "{}", "=".repeat(78))?;
    for (entry, r) in entries.iter().zip(&records) {
        // A zoned (link-local) address has no useful name; its zone tells the links apart.
        let name = match entry.addr {
            SocketAddr::V6(v6) if v6.scope_id() != 0 => address_text(&entry.addr),
            _ => s.display_name(entry.addr.ip()),
        };
        writeln!(
            out,
            "{:6} {:6} {:4x} {} {} {} {:6} {:5} {name}",
            r.lstint_s, r.avgint_s, r.restrict, r.rate_flag, r.mode, r.version, r.count, r.port
        )?;
    }
    Ok(())
}

fn seconds_between(later: NtpTimestamp, earlier: NtpTimestamp) -> f64 {
    NtpTimestamp::from_bits(later.to_bits().wrapping_sub(earlier.to_bits())).as_offset_seconds()
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "intervals in seconds; ntpq rounds them to int the same way"
)]
fn record(host: &str, e: &MruEntry, now: NtpTimestamp) -> MruRecord {
    let lstint = (seconds_between(now, e.last) + 0.5) as i64;
    let avgint = (seconds_between(e.last, e.first) / e.count.max(1) as f64 + 0.5) as i64;
    let flag = if e.restrict & RES_KOD != 0 {
        "K"
    } else if e.restrict & RES_LIMITED != 0 {
        "L"
    } else {
        "."
    };
    MruRecord {
        host: host.to_owned(),
        address: address_text(&e.addr),
        port: e.addr.port(),
        lstint_s: lstint,
        avgint_s: avgint,
        restrict: e.restrict,
        rate_flag: flag.to_owned(),
        mode: e.mode,
        version: e.version,
        count: e.count,
        first: format!("0x{}", e.first),
        last: format!("0x{}", e.last),
    }
}

#[expect(clippy::cast_precision_loss, reason = "packet counts as a divisor")]
fn sort_entries(entries: &mut [MruEntry], key: SortKey, now: NtpTimestamp) {
    let avg = |e: &MruEntry| seconds_between(e.last, e.first) / e.count.max(1) as f64;
    match key {
        // Already newest first.
        SortKey::LastSeen => {
            let _ = now;
        }
        SortKey::AvgInterval => {
            entries.sort_by(|a, b| avg(a).partial_cmp(&avg(b)).unwrap_or(Ordering::Equal));
        }
        SortKey::Address => entries.sort_by(|a, b| addr_order(a.addr, b.addr)),
        SortKey::Count => entries.sort_by_key(|e| e.count),
    }
}

/// IPv4 before IPv6, then by address octets.
fn addr_order(a: SocketAddr, b: SocketAddr) -> Ordering {
    match (a, b) {
        (SocketAddr::V4(x), SocketAddr::V4(y)) => x.ip().octets().cmp(&y.ip().octets()),
        (SocketAddr::V6(x), SocketAddr::V6(y)) => x.ip().octets().cmp(&y.ip().octets()),
        (SocketAddr::V4(_), SocketAddr::V6(_)) => Ordering::Less,
        (SocketAddr::V6(_), SocketAddr::V4(_)) => Ordering::Greater,
    }
}
