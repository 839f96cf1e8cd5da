//! `associations` and its cached and full forms, and the peers billboards (`peers`,
//! `lpeers`, `apeers`, `opeers`, `lopeers`).

use std::io::Write;
use std::net::IpAddr;

use ntpkit::control::{AssocId, AssocStatus, ControlOpcode, ControlResponse, PeerStatus, VarList};
use ntpkit::format::vars::{decode_netnum, escape_text, ms_text, pretty_interval};
use ntpkit::packet::refclock_name;
use ntpkit::record::{AssociationRecord, PeerRecord, PeerVariables};
use ntpkit_shell::{Arg, Invocation, IpVersion};

use super::emit_json;
use crate::session::Session;

const RULE: &str = "==============================================================================";

/// `associations`, `lassociations`, `passociations`, `lpassociations`.
///
/// # Errors
/// The query failed or writing failed.
pub fn associations(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let name = inv.command.name;
    let all = name.starts_with('l');
    if !name.contains("passoc") {
        s.fetch_associations()?;
    }
    let host = s.host_name();
    let shown: Vec<(usize, AssocStatus)> = s
        .assoc_cache
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, a)| all || a.status.configured || a.status.reachable)
        .map(|(i, a)| (i + 1, a))
        .collect();
    if s.json {
        let records: Vec<AssociationRecord> = shown
            .iter()
            .map(|(index, a)| AssociationRecord {
                host: host.clone(),
                index: *index,
                assoc_id: a.assoc.0,
                status: a.status.into(),
            })
            .collect();
        return emit_json(
            out,
            &serde_json::json!({"host": host, "command": name, "associations": records}),
        );
    }
    if s.assoc_cache.is_empty() {
        writeln!(out, "No association ID's in list")?;
        return Ok(());
    }
    writeln!(
        out,
        "ind assid status  conf reach auth condition  last_event cnt"
    )?;
    writeln!(out, "{}", &RULE[..59])?;
    for (index, a) in shown {
        writeln!(out, "{}", association_row(index, a, s.version).trim_end())?;
    }
    Ok(())
}

fn association_row(index: usize, a: AssocStatus, version: u8) -> String {
    let st = a.status;
    let conf = if st.configured { "yes" } else { "no" };
    let (reach, auth) = if st.broadcast {
        ("none", if st.auth_enabled { "yes" } else { "none" })
    } else {
        (
            if st.reachable { "yes" } else { "no" },
            match (st.auth_enabled, st.authentic) {
                (true, true) => "ok ",
                (true, false) => "bad",
                (false, _) => "none",
            },
        )
    };
    let condition = if version > 1 {
        st.selection.condition().to_owned()
    } else {
        old_condition(st.to_bits()).to_owned()
    };
    format!(
        "{index:3} {:5}  {:04x}   {conf:>3.3}  {reach:>4}  {auth:>4.4} {condition:>9.9} {:>11} {:2}",
        a.assoc.0,
        st.to_bits(),
        st.event.last_event(),
        st.event_count,
    )
}

/// The condition names of ntpq's VN 1 layout.
fn old_condition(word: u16) -> &'static str {
    let high = word >> 8;
    match high & 0x3 {
        0 if high & 0x08 == 0 => "insane",
        0 if high & 0x04 == 0 => "hi_disp",
        1 => "sel_cand",
        2 => "sync_cand",
        3 => "sys_peer",
        _ => "",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Peers,
    Apeers,
    Opeers,
}

/// The peers billboards.
///
/// # Errors
/// A query failed or writing failed.
pub fn peers(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let name = inv.command.name;
    let all = name.starts_with('l');
    let mut layout = match name {
        "apeers" => Layout::Apeers,
        "opeers" | "lopeers" => Layout::Opeers,
        _ => Layout::Peers,
    };
    if layout == Layout::Peers && s.refid_hash {
        layout = Layout::Apeers;
    }
    let family = match inv.arg(0) {
        Some(Arg::Version(IpVersion::V4)) => Some(false),
        Some(Arg::Version(IpVersion::V6)) => Some(true),
        _ => None,
    };
    let mut rows = Vec::new();
    for (assoc, response) in read_peer_variables(s, all)? {
        if response.data.is_empty() {
            anyhow::bail!("no information returned for association {assoc}");
        }
        let vars = VarList::parse_partial(&response.data).0;
        let row = PeerRow::read(s, assoc, response.peer_status(), &vars);
        if family.is_none_or(|v6| row.vars.address.is_some_and(|ip| ip.is_ipv6() == v6)) {
            rows.push(row);
        }
    }
    if s.json {
        let host = s.host_name();
        let records: Vec<PeerRecord> = rows.iter().map(|r| r.record(&host, layout)).collect();
        return emit_json(
            out,
            &serde_json::json!({"host": host, "command": name, "peers": records}),
        );
    }
    let multi = s.host_count > 1;
    // As ntpq: the column is as wide as the longest host name given (the heading is cut to
    // it), a local address at most one character wider. The old billboard (`opeers`) heads
    // it `server` and shows the host asked in it. (The reference sets that width for
    // numeric hosts only in `peers`, so its `opeers` alone prints a column of width 0; ntpkit
    // always uses the width `peers` uses.)
    let width = s.host_width;
    let old = layout == Layout::Opeers;
    if multi {
        let heading = if old { "server" } else { "server (local)" };
        write!(out, "{heading:<width$.width$} ")?;
    }
    writeln!(out, "{}", header(layout))?;
    if multi {
        write!(out, "{}", "=".repeat(width + 1))?;
    }
    writeln!(out, "{RULE}")?;
    let now = ntp_now();
    for row in rows {
        if multi {
            let local = match row.vars.local {
                Some(ip) if !old => s.display_name(ip),
                _ => trunc_left(&s.host_name(), width),
            };
            write!(out, "{local:<width$.cut$} ", cut = width + 1)?;
        }
        let line = row.render(s, layout, now, multi.then_some(width));
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Reads the association list, then every listed association's variables at once (a window
/// of requests in flight, so two round trips in all instead of one per association), as the
/// peers billboards, `ntpq check` and the TUI's refresh need them. `all` includes
/// associations that are neither configured nor reachable (`lpeers`). The answers keep the
/// association order.
///
/// # Errors
/// The association list cannot be read, or any association's variables cannot.
pub fn read_peer_variables(
    s: &mut Session,
    all: bool,
) -> anyhow::Result<Vec<(AssocId, ControlResponse)>> {
    s.fetch_associations()?;
    let ids: Vec<AssocId> = s
        .assoc_cache
        .iter()
        .filter(|a| all || a.status.configured || a.status.reachable)
        .map(|a| a.assoc)
        .collect();
    // ntpq asks with an empty variable list (fuzzball compatibility).
    let requests = ids
        .iter()
        .map(|&id| (ControlOpcode::ReadVariables, id, Vec::new()))
        .collect();
    ids.into_iter()
        .zip(s.query_many(requests)?)
        .map(|(id, answer)| Ok((id, answer?)))
        .collect()
}

fn header(layout: Layout) -> &'static str {
    match layout {
        Layout::Peers => {
            "     remote           refid      st t when poll reach   delay   offset  jitter"
        }
        Layout::Apeers => {
            "     remote       refid   assid  st t when poll reach   delay   offset  jitter"
        }
        Layout::Opeers => {
            "     remote           local      st t when poll reach   delay   offset    disp"
        }
    }
}

fn ntp_now() -> u32 {
    let unix = Session::now_unix();
    u32::try_from((unix + i64::from(ntpkit::time::UNIX_EPOCH_NTP)).rem_euclid(1 << 32)).unwrap_or(0)
}

/// One billboard row: the peer's variables and the name shown for it.
#[derive(Debug, Clone)]
struct PeerRow {
    vars: PeerVariables,
    remote: String,
}

impl PeerRow {
    fn read(s: &mut Session, assoc: AssocId, status: PeerStatus, vars: &VarList) -> Self {
        let vars = PeerVariables::from_vars(assoc, status, vars);
        let remote = match (&vars.srchost, vars.address) {
            (Some(h), _) => h.clone(),
            (None, Some(ip)) => s.display_name(ip),
            (None, None) => "0.0.0.0".to_owned(),
        };
        Self { vars, remote }
    }

    /// The refid column text (before padding): `opeers` shows the local address instead,
    /// `apeers` short refclock names and IPv4 refids in hex.
    fn refid_text(&self, layout: Layout) -> String {
        let v = &self.vars;
        match layout {
            Layout::Opeers => {
                let local = v
                    .local
                    .map_or_else(|| "0.0.0.0".to_owned(), |ip| ip.to_string());
                trunc_left(&local, 15)
            }
            Layout::Apeers if !v.flash.is_loop() => {
                let refid = v.refid.as_deref().filter(|r| r.len() > 4);
                match refid.and_then(decode_netnum).map(|a| a.ip()) {
                    Some(IpAddr::V4(v4)) if !v4.is_unspecified() => match refclock_name(v4) {
                        Some(name) => name.chars().take(8).collect(),
                        None => format!("{:x}", u32::from(v4)),
                    },
                    _ => v.refid_text(),
                }
            }
            _ => v.refid_text(),
        }
    }

    fn render(&self, s: &Session, layout: Layout, now: u32, multi: Option<usize>) -> String {
        let v = &self.vars;
        let tally = if s.version <= 1 {
            // ntpq's decoding for `ntpversion 1`: two bits of the selection only.
            [' ', '.', '+', '*'][usize::from((v.status.to_bits() >> 8) & 0x3)]
        } else {
            v.status.selection.tally()
        };
        let mut line = String::new();
        if s.wide && self.remote.len() > 15 {
            let indent = multi.map_or(0, |w| w + 1) + 1 + 15 + 1;
            line.push_str(&format!("{tally}{}\n{}", self.remote, " ".repeat(indent)));
        } else {
            line.push_str(&format!("{tally}{:<15.15} ", self.remote));
        }
        let refid = escape_text(self.refid_text(layout).as_bytes());
        line.push_str(&refid);
        if layout == Layout::Apeers {
            line.push_str(&" ".repeat(9usize.saturating_sub(refid.len())));
            line.push_str(&format!("{:<6}", v.assoc.0));
        } else {
            line.push_str(&" ".repeat(15usize.saturating_sub(refid.len())));
        }
        let unit = if s.units { "ms" } else { "" };
        let jitter = if layout == Layout::Opeers {
            v.dispersion_ms
        } else {
            v.jitter_ms.or(v.dispersion_ms)
        };
        let ms =
            |v: Option<f64>, signed: bool| format!("{}{unit}", ms_text(v.unwrap_or(0.0), signed));
        line.push_str(&format!(
            " {:2} {} {:>4.4} {:>4.4}  {:3o}  {:>7.7} {:>8.7} {:>7.7}",
            v.stratum.unwrap_or(0),
            v.type_char(),
            pretty_interval(v.when_s(now)),
            pretty_interval(i64::try_from(v.poll_s()).unwrap_or(i64::MAX)),
            v.reach,
            ms(v.delay_ms, false),
            ms(v.offset_ms, true),
            ms(jitter, false),
        ));
        line
    }

    fn record(&self, host: &str, layout: Layout) -> PeerRecord {
        let mut record = self.vars.record(host, &self.remote, ntp_now());
        if layout == Layout::Opeers {
            record.refid = None;
        }
        record
    }
}

/// ntpq's `trunc_left`: keep the right end, marking the cut with `_`.
fn trunc_left(text: &str, width: usize) -> String {
    if text.len() <= width || width < 2 {
        return text.to_owned();
    }
    format!("_{}", &text[text.len() + 1 - width..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn association_rows() {
        let row = |word: u16| {
            association_row(
                1,
                AssocStatus {
                    assoc: AssocId(28597),
                    status: PeerStatus::from_bits(word),
                },
                2,
            )
            .trim_end()
            .to_owned()
        };
        assert_eq!(
            row(0xf61a),
            "  1 28597  f61a   yes   yes   ok   sys.peer    sys_peer  1"
        );
        assert_eq!(
            row(0x961a),
            "  1 28597  961a   yes   yes  none  sys.peer    sys_peer  1"
        );
        assert_eq!(
            row(0x8811),
            "  1 28597  8811   yes  none  none    reject    mobilize  1"
        );
        assert_eq!(
            row(0xd314),
            "  1 28597  d314   yes   yes   bad   outlier   reachable  1"
        );
    }

    #[test]
    fn truncation_keeps_the_right_end() {
        assert_eq!(trunc_left("fd77::1", 15), "fd77::1");
        assert_eq!(trunc_left("fe80::fb:e8ff:fe83:44ed", 15), "_e8ff:fe83:44ed");
    }
}
