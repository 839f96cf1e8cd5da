//! `associations` and its cached and full forms, and the peers billboards (`peers`,
//! `lpeers`, `apeers`, `opeers`, `lopeers`).

use std::io::Write;
use std::net::IpAddr;

use ntpkit::control::{AssocId, AssocStatus, ControlOpcode, ControlResponse, PeerStatus, VarList};
use ntpkit::format::vars::{decode_netnum, escape_text, ms_text, parse_uint, pretty_interval};
use ntpkit::packet::{RefIdContext, ReferenceId, Stratum, is_refclock_addr, refclock_name};
use ntpkit::record::{AssociationRecord, PeerRecord};
use ntpkit::time::NtpTimestamp;
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
        if family.is_none_or(|v6| row.address.is_some_and(|ip| ip.is_ipv6() == v6)) {
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
    let width = s.host_width.max(14);
    if multi {
        write!(out, "{:<width$.width$} ", "server (local)")?;
    }
    writeln!(out, "{}", header(layout))?;
    if multi {
        write!(out, "{}", "=".repeat(width + 1))?;
    }
    writeln!(out, "{RULE}")?;
    let now = ntp_now();
    for row in rows {
        if multi {
            let local = match row.local {
                Some(ip) => s.display_name(ip),
                None => s.host_name(),
            };
            write!(out, "{local:<width$} ")?;
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

/// The variables of one billboard row.
#[derive(Debug, Clone)]
struct PeerRow {
    assoc: AssocId,
    status: PeerStatus,
    address: Option<IpAddr>,
    port: Option<u16>,
    srchost: Option<String>,
    local: Option<IpAddr>,
    refid: Option<String>,
    stratum: Option<u64>,
    hmode: Option<i64>,
    hpoll: i64,
    ppoll: i64,
    reach: u64,
    delay: Option<f64>,
    offset: Option<f64>,
    jitter: Option<f64>,
    dispersion: Option<f64>,
    rec: Option<NtpTimestamp>,
    reftime: Option<NtpTimestamp>,
    flash: u64,
    remote: String,
}

impl PeerRow {
    fn read(s: &mut Session, assoc: AssocId, status: PeerStatus, vars: &VarList) -> Self {
        let text = |n: &str| vars.text(n).map(str::to_owned);
        let float = |n: &str| vars.get(n).and_then(|v| v.as_f64().ok());
        let poll = |n: &str| {
            vars.get(n)
                .and_then(|v| v.as_i64().ok())
                .map_or(0, |p| if p < 0 { 3 } else { p })
        };
        let address = text("srcadr")
            .or_else(|| text("peeradr"))
            .and_then(|a| decode_netnum(&a))
            .map(|a| a.ip());
        let srchost = text("srchost").filter(|h| !h.is_empty());
        let remote = match (&srchost, address) {
            (Some(h), _) => h.clone(),
            (None, Some(ip)) => s.display_name(ip),
            (None, None) => "0.0.0.0".to_owned(),
        };
        Self {
            assoc,
            status,
            address,
            port: vars
                .get("srcport")
                .and_then(|v| v.as_u64().ok())
                .and_then(|p| u16::try_from(p).ok()),
            srchost,
            local: text("dstadr")
                .and_then(|a| decode_netnum(&a))
                .map(|a| a.ip()),
            refid: vars
                .get("refid")
                .map(|v| v.text().unwrap_or_default().to_owned()),
            stratum: vars.get("stratum").and_then(|v| v.as_u64().ok()),
            hmode: vars.get("hmode").and_then(|v| v.as_i64().ok()),
            hpoll: poll("hpoll"),
            ppoll: poll("ppoll"),
            reach: text("reach").and_then(|r| parse_uint(&r)).unwrap_or(0),
            delay: float("delay"),
            offset: float("offset"),
            jitter: float("jitter"),
            dispersion: float("dispersion").or_else(|| float("rootdisp")),
            rec: vars.get("rec").and_then(|v| v.as_timestamp().ok()),
            reftime: vars.get("reftime").and_then(|v| v.as_timestamp().ok()),
            flash: text("flash").and_then(|f| parse_uint(&f)).unwrap_or(0),
            remote,
        }
    }

    /// The `t` column (from `hmode`, else from the local address).
    fn type_char(&self) -> char {
        let src = self.address;
        let multicast = src.is_some_and(|ip| ip.is_multicast());
        match self.hmode {
            Some(6) => 'b',
            Some(5) if multicast => 'M',
            Some(5) => 'B',
            Some(3) if src.is_some_and(is_refclock_addr) => 'l',
            Some(3) if src.is_none_or(|ip| ip.is_unspecified()) => 'p',
            Some(3) if multicast => 'a',
            Some(3) => 'u',
            Some(1) => 's',
            Some(2) => 'S',
            _ => match self.local {
                Some(IpAddr::V4(v4)) => {
                    let n = u32::from(v4);
                    if n & 0xf000_0000 == 0xe000_0000 {
                        'm'
                    } else if n & 0xff == 0xff {
                        'b'
                    } else if n == 0x7f00_0001 {
                        'l'
                    } else if n & 0xffff_ffe0 == 0 {
                        '-'
                    } else {
                        'u'
                    }
                }
                Some(IpAddr::V6(v6)) if v6.is_multicast() => 'm',
                Some(IpAddr::V6(_)) => 'u',
                None => '?',
            },
        }
    }

    fn when(&self, now: u32) -> i64 {
        let last = [self.rec, self.reftime]
            .into_iter()
            .flatten()
            .find(|t| t.seconds != 0);
        match last {
            None => 0,
            Some(t) if now < t.seconds => -1,
            Some(t) => i64::from(now - t.seconds),
        }
    }

    fn poll_s(&self) -> u64 {
        1u64 << self.ppoll.min(self.hpoll).clamp(0, 62)
    }

    /// The refid column text (before padding).
    fn refid_text(&self, layout: Layout) -> String {
        if self.flash & 0x0800 != 0 && layout != Layout::Opeers {
            return "(loop)".to_owned();
        }
        if layout == Layout::Opeers {
            let local = self
                .local
                .map_or_else(|| "0.0.0.0".to_owned(), |ip| ip.to_string());
            return trunc_left(&local, 15);
        }
        let Some(refid) = &self.refid else {
            return String::new();
        };
        if refid.is_empty() {
            return String::new();
        }
        if refid.len() <= 4 {
            let code: String = refid
                .bytes()
                .map(|b| {
                    if b.is_ascii_graphic() {
                        char::from(b)
                    } else {
                        '.'
                    }
                })
                .collect();
            return format!(".{code}.");
        }
        match decode_netnum(refid).map(|a| a.ip()) {
            Some(ip) if ip.is_unspecified() => "0.0.0.0".to_owned(),
            Some(IpAddr::V4(v4)) => match refclock_name(v4) {
                Some(name) if layout == Layout::Apeers => name.chars().take(8).collect(),
                Some(name) => name,
                None if layout == Layout::Apeers => format!("{:x}", u32::from(v4)),
                None => v4.to_string(),
            },
            Some(IpAddr::V6(v6)) => v6.to_string(),
            None => String::new(),
        }
    }

    fn render(&self, s: &Session, layout: Layout, now: u32, multi: Option<usize>) -> String {
        let tally = self.status.selection.tally();
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
            line.push_str(&format!("{:<6}", self.assoc.0));
        } else {
            line.push_str(&" ".repeat(15usize.saturating_sub(refid.len())));
        }
        let unit = if s.units { "ms" } else { "" };
        let jitter = if layout == Layout::Opeers {
            self.dispersion
        } else {
            self.jitter.or(self.dispersion)
        };
        let ms =
            |v: Option<f64>, signed: bool| format!("{}{unit}", ms_text(v.unwrap_or(0.0), signed));
        line.push_str(&format!(
            " {:2} {} {:>4.4} {:>4.4}  {:3o}  {:>7.7} {:>8.7} {:>7.7}",
            self.stratum.unwrap_or(0),
            self.type_char(),
            pretty_interval(self.when(now)),
            pretty_interval(i64::try_from(self.poll_s()).unwrap_or(i64::MAX)),
            self.reach,
            ms(self.delay, false),
            ms(self.offset, true),
            ms(jitter, false),
        ));
        line
    }

    fn record(&self, host: &str, layout: Layout) -> PeerRecord {
        let refid = (layout != Layout::Opeers)
            .then(|| {
                self.refid
                    .as_deref()
                    .and_then(|r| refid_summary(r, self.stratum))
            })
            .flatten();
        PeerRecord {
            host: host.to_owned(),
            assoc_id: self.assoc.0,
            tally: self.status.selection.tally().to_string(),
            remote: self.srchost.clone().unwrap_or_else(|| self.remote.clone()),
            address: self.address.map(|ip| ip.to_string()),
            port: self.port,
            local: self.local.map(|ip| ip.to_string()),
            refid,
            stratum: self.stratum,
            r#type: self.type_char().to_string(),
            when_s: match self.when(ntp_now()) {
                w if w > 0 => Some(w),
                _ => None,
            },
            poll_s: self.poll_s(),
            reach: self.reach,
            delay_ms: self.delay,
            offset_ms: self.offset,
            jitter_ms: self.jitter,
            dispersion_ms: self.dispersion,
        }
    }
}

/// The decoded refid of a peer: a text code, or an address (hash for IPv6 upstreams).
fn refid_summary(text: &str, stratum: Option<u64>) -> Option<ntpkit::packet::RefIdSummary> {
    let stratum = Stratum(u8::try_from(stratum.unwrap_or(16).min(255)).unwrap_or(16));
    let context = RefIdContext::peer(stratum);
    if let Some(addr) = decode_netnum(text) {
        return match addr.ip() {
            IpAddr::V4(v4) => Some(ReferenceId::from(v4).summary(context)),
            IpAddr::V6(v6) => Some(ReferenceId::for_ipv6(v6).summary(context.with_ipv6_upstream())),
        };
    }
    text.parse::<ReferenceId>().ok().map(|r| r.summary(context))
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
