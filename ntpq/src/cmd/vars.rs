//! Variable commands: `readvar`/`rv`, `readlist`/`rl`, `clockvar`/`cv`, `clocklist`/`cl`,
//! `writevar`, `writelist`, `mreadvar`/`mrv`, `mreadlist`/`mrl`, the variable list
//! (`addvars`, `rmvars`, `clearvars`, `showvars`), and the canned sets (`sysinfo`,
//! `sysstats`, `kerninfo`, `monstats`, `iostats`, `timerstats`, `authinfo`, `pstats`).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;

use anyhow::bail;
use ntpkit::control::{
    AssocId, ClockStatus, ControlOpcode, ControlResponse, PeerStatus, SystemStatus, VarList,
    Variable,
};
use ntpkit::format::vars::{VarKind, decode_netnum, render_cooked, render_raw_text};
use ntpkit::packet::ReferenceId;
use ntpkit::record::{StatusField, VarValue, VariablesRecord};
use ntpkit_shell::{Arg, Invocation};

use super::{assoc_arg, emit_json, server_prefix};
use crate::session::Session;

/// Parses a `name[=value][,...]` argument the way ntpq's `doaddvlist` does.
pub fn parse_var_arg(text: &str) -> Vec<Variable> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((name, value)) => Variable::new(name.trim(), value.trim()),
            None => Variable::bare(item),
        })
        .collect()
}

fn encode(list: &VarList) -> anyhow::Result<Vec<u8>> {
    Ok(list.encode()?.into_bytes())
}

/// `rv`, `rl`, `cv`, `cl`.
///
/// # Errors
/// The query failed or writing failed.
pub fn read(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let name = inv.command.name;
    let assoc = assoc_arg(s, inv.arg(0))?;
    let clock = matches!(name, "clockvar" | "cv" | "clocklist" | "cl");
    let list = match name {
        "readlist" | "rl" | "clocklist" | "cl" => s.varlist.clone(),
        _ => {
            let mut list = VarList::new();
            for arg in inv.args.iter().skip(1) {
                if let Arg::Str(text) = arg {
                    parse_var_arg(text).into_iter().for_each(|v| list.push(v));
                }
            }
            list
        }
    };
    let opcode = if clock {
        ControlOpcode::ReadClock
    } else {
        ControlOpcode::ReadVariables
    };
    let response = s.query(opcode, assoc, encode(&list)?, false)?;
    let kind = var_kind(clock, assoc);
    let quiet = !s.old_rv && !list.is_empty();
    print_list(s, out, name, assoc, &response, kind, quiet)
}

fn var_kind(clock: bool, assoc: AssocId) -> VarKind {
    if clock {
        VarKind::Clock
    } else if assoc.is_system() {
        VarKind::System
    } else {
        VarKind::Peer
    }
}

/// Prints a variable-list answer as ntpq's `dolist` does, or as JSON.
fn print_list(
    s: &mut Session,
    out: &mut dyn Write,
    command: &str,
    assoc: AssocId,
    response: &ControlResponse,
    kind: VarKind,
    quiet: bool,
) -> anyhow::Result<()> {
    if s.json {
        return emit_json(out, &variables_record(s, command, assoc, response, kind));
    }
    let prefix = server_prefix(s);
    if response.data.is_empty() {
        let clock = if kind == VarKind::Clock { " clock" } else { "" };
        if assoc.is_system() {
            writeln!(out, "{prefix}No system{clock} variables returned")?;
        } else {
            writeln!(
                out,
                "{prefix}No information returned for{clock} association {assoc}"
            )?;
        }
        return Ok(());
    }
    write!(out, "{prefix}")?;
    if !quiet {
        write!(out, "associd={assoc} ")?;
    }
    out.write_all(render_vars(s, response, kind, quiet).as_bytes())?;
    Ok(())
}

/// The status line (unless `quiet`) and the variables, raw or cooked.
fn render_vars(s: &mut Session, response: &ControlResponse, kind: VarKind, quiet: bool) -> String {
    let mut text = String::new();
    if s.raw {
        if !quiet {
            text.push_str(&format!("status=0x{:04x},\n", response.status));
        }
        text.push_str(&render_raw_text(&response.data));
    } else {
        if !quiet {
            text.push_str(&format!(
                "status={:04x} {},\n",
                response.status,
                kind.status_text(response.status)
            ));
        }
        text.push_str(&s.with_cook_options(|o| render_cooked(&response.data, kind, o)));
    }
    text
}

fn status_field(kind: VarKind, status: u16) -> StatusField {
    match kind {
        VarKind::System => StatusField::System(SystemStatus::from_bits(status).into()),
        VarKind::Peer => StatusField::Peer(PeerStatus::from_bits(status).into()),
        VarKind::Clock => StatusField::Clock(ClockStatus::from_bits(status).into()),
    }
}

fn variables_record(
    s: &Session,
    command: &str,
    assoc: AssocId,
    response: &ControlResponse,
    kind: VarKind,
) -> VariablesRecord {
    let (list, _) = VarList::parse_partial(&response.data);
    let variables: BTreeMap<String, VarValue> = list
        .iter()
        .map(|v| (v.name.clone(), VarValue::from_received(v.value.as_deref())))
        .collect();
    VariablesRecord {
        host: s.host_name(),
        command: command.to_owned(),
        assoc_id: assoc.0,
        status: status_field(kind, response.status),
        variables,
    }
}

/// `writevar`, `writelist` (authenticated WRITEVAR).
///
/// # Errors
/// No key, the server refused, or writing failed.
pub fn write(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let assoc = assoc_arg(s, inv.arg(0))?;
    let list = if inv.command.name == "writelist" {
        s.varlist.clone()
    } else {
        parse_var_arg(inv.str_arg(1).unwrap_or_default())
            .into_iter()
            .collect()
    };
    let response = s.query(ControlOpcode::WriteVariables, assoc, encode(&list)?, true)?;
    if response.data.is_empty() {
        if s.json {
            return emit_json(
                out,
                &variables_record(
                    s,
                    inv.command.name,
                    assoc,
                    &response,
                    var_kind(false, assoc),
                ),
            );
        }
        writeln!(out, "{}done! (no data returned)", server_prefix(s))?;
        return Ok(());
    }
    print_list(
        s,
        out,
        inv.command.name,
        assoc,
        &response,
        var_kind(false, assoc),
        false,
    )
}

/// `mrv`, `mrl`: every association of the cached list from `lo` to `hi`.
///
/// # Errors
/// An ID not in the list, a query failure, or writing failed.
pub fn read_range(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let lo = assoc_arg(s, inv.arg(0))?;
    let hi = assoc_arg(s, inv.arg(1))?;
    if s.assoc_cache.is_empty() {
        s.fetch_associations()?;
    }
    let position = |id: AssocId| s.assoc_cache.iter().position(|a| a.assoc == id);
    let (Some(from), Some(to)) = (position(lo), position(hi)) else {
        bail!("association IDs {lo} and {hi} must both be in the association list");
    };
    let (from, to) = (from.min(to), from.max(to));
    let ids: Vec<AssocId> = s.assoc_cache[from..=to].iter().map(|a| a.assoc).collect();
    let list = if matches!(inv.command.name, "mreadlist" | "mrl") {
        s.varlist.clone()
    } else {
        parse_var_arg(inv.str_arg(2).unwrap_or_default())
            .into_iter()
            .collect()
    };
    let quiet = !s.old_rv && !list.is_empty();
    let payload = encode(&list)?;
    let requests = ids
        .iter()
        .map(|&id| (ControlOpcode::ReadVariables, id, payload.clone()))
        .collect();
    let answers = s.query_many(requests)?;
    let mut shown = Shown::new(answers.len());
    for (assoc, answer) in ids.into_iter().zip(answers) {
        let Some(response) = shown.take(answer) else {
            continue;
        };
        if shown.count > 1 && !s.json {
            writeln!(out)?;
        }
        print_list(
            s,
            out,
            inv.command.name,
            assoc,
            &response,
            VarKind::Peer,
            quiet,
        )?;
    }
    shown.finish()
}

/// The associations of a multi-association command that answered, and the first failure: the
/// answers that came are shown, and a run missing some ends flagged partial (exit 5), or with
/// the failure itself when none came.
struct Shown {
    count: usize,
    asked: usize,
    failure: Option<anyhow::Error>,
}

impl Shown {
    fn new(asked: usize) -> Self {
        Self {
            count: 0,
            asked,
            failure: None,
        }
    }

    /// The response to show, or `None` (the failure kept) for a failed answer.
    fn take(&mut self, answer: anyhow::Result<ControlResponse>) -> Option<ControlResponse> {
        match answer {
            Ok(response) => {
                self.count += 1;
                Some(response)
            }
            Err(e) => {
                self.failure.get_or_insert(e);
                None
            }
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self.failure {
            None => Ok(()),
            Some(e) if self.count == 0 => Err(e),
            Some(e) => Err(e.context(ntpkit::PartialResult {
                shown: format!("{} of {} associations shown", self.count, self.asked),
            })),
        }
    }
}

/// `addvars`, `rmvars`, `clearvars`, `showvars`.
///
/// # Errors
/// Writing failed.
pub fn edit_list(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let arg = inv.str_arg(0).unwrap_or_default();
    match inv.command.name {
        "addvars" => {
            for var in parse_var_arg(arg) {
                let mut kept: VarList = s
                    .varlist
                    .iter()
                    .filter(|v| v.name != var.name)
                    .cloned()
                    .collect();
                kept.push(var);
                s.varlist = kept;
            }
        }
        "rmvars" => {
            for var in parse_var_arg(arg) {
                if s.varlist.get(&var.name).is_none() {
                    writeln!(out, "Variable `{}' not found", var.name)?;
                }
                s.varlist = s
                    .varlist
                    .iter()
                    .filter(|v| v.name != var.name)
                    .cloned()
                    .collect();
            }
        }
        "clearvars" => s.varlist = VarList::new(),
        _ => {
            if s.json {
                let vars: BTreeMap<&str, VarValue> = s
                    .varlist
                    .iter()
                    .map(|v| (v.name.as_str(), VarValue::from_received(v.value.as_deref())))
                    .collect();
                return emit_json(
                    out,
                    &serde_json::json!({"command": "showvars", "variables": vars}),
                );
            }
            if s.varlist.is_empty() {
                writeln!(out, "No variables on list")?;
            }
            for var in s.varlist.iter() {
                // ntpq 4.2.8p15 prints a bare name as `name=`.
                writeln!(
                    out,
                    "{}={}",
                    var.name,
                    var.value.as_deref().unwrap_or_default()
                )?;
            }
        }
    }
    Ok(())
}

/// How a canned set shows a variable (ntpq's `vdc` types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    Text,
    AddrPort,
    AddrWithPort,
    Mode,
    Leap,
    RefId,
    Time,
}

type Canned = &'static [(&'static str, &'static str, Show)];

const SYSINFO: Canned = &[
    ("peeradr", "system peer:      ", Show::AddrWithPort),
    ("peermode", "system peer mode: ", Show::Mode),
    ("leap", "leap indicator:   ", Show::Leap),
    ("stratum", "stratum:          ", Show::Text),
    ("precision", "log2 precision:   ", Show::Text),
    ("rootdelay", "root delay:       ", Show::Text),
    ("rootdisp", "root dispersion:  ", Show::Text),
    ("refid", "reference ID:     ", Show::RefId),
    ("reftime", "reference time:   ", Show::Time),
    ("sys_jitter", "system jitter:    ", Show::Text),
    ("clk_jitter", "clock jitter:     ", Show::Text),
    ("clk_wander", "clock wander:     ", Show::Text),
    ("bcastdelay", "broadcast delay:  ", Show::Text),
    ("authdelay", "symm. auth. delay:", Show::Text),
];

const SYSSTATS: Canned = &[
    ("ss_uptime", "uptime:               ", Show::Text),
    ("ss_reset", "sysstats reset:       ", Show::Text),
    ("ss_received", "packets received:     ", Show::Text),
    ("ss_thisver", "current version:      ", Show::Text),
    ("ss_oldver", "older version:        ", Show::Text),
    ("ss_badformat", "bad length or format: ", Show::Text),
    ("ss_badauth", "authentication failed:", Show::Text),
    ("ss_declined", "declined:             ", Show::Text),
    ("ss_restricted", "restricted:           ", Show::Text),
    ("ss_limited", "rate limited:         ", Show::Text),
    ("ss_kodsent", "KoD responses:        ", Show::Text),
    ("ss_processed", "processed for time:   ", Show::Text),
];

const KERNINFO: Canned = &[
    ("koffset", "pll offset:          ", Show::Text),
    ("kfreq", "pll frequency:       ", Show::Text),
    ("kmaxerr", "maximum error:       ", Show::Text),
    ("kesterr", "estimated error:     ", Show::Text),
    ("kstflags", "kernel status:       ", Show::Text),
    ("ktimeconst", "pll time constant:   ", Show::Text),
    ("kprecis", "precision:           ", Show::Text),
    ("kfreqtol", "frequency tolerance: ", Show::Text),
    ("kppsfreq", "pps frequency:       ", Show::Text),
    ("kppsstab", "pps stability:       ", Show::Text),
    ("kppsjitter", "pps jitter:          ", Show::Text),
    ("kppscalibdur", "calibration interval ", Show::Text),
    ("kppscalibs", "calibration cycles:  ", Show::Text),
    ("kppsjitexc", "jitter exceeded:     ", Show::Text),
    ("kppsstbexc", "stability exceeded:  ", Show::Text),
    ("kppscaliberrs", "calibration errors:  ", Show::Text),
];

const MONSTATS: Canned = &[
    ("mru_enabled", "enabled:            ", Show::Text),
    ("mru_depth", "addresses:          ", Show::Text),
    ("mru_deepest", "peak addresses:     ", Show::Text),
    ("mru_maxdepth", "maximum addresses:  ", Show::Text),
    ("mru_mindepth", "reclaim above count:", Show::Text),
    ("mru_maxage", "reclaim older than: ", Show::Text),
    ("mru_mem", "kilobytes:          ", Show::Text),
    ("mru_maxmem", "maximum kilobytes:  ", Show::Text),
];

const IOSTATS: Canned = &[
    ("iostats_reset", "time since reset:     ", Show::Text),
    ("total_rbuf", "receive buffers:      ", Show::Text),
    ("free_rbuf", "free receive buffers: ", Show::Text),
    ("used_rbuf", "used receive buffers: ", Show::Text),
    ("rbuf_lowater", "low water refills:    ", Show::Text),
    ("io_dropped", "dropped packets:      ", Show::Text),
    ("io_ignored", "ignored packets:      ", Show::Text),
    ("io_received", "received packets:     ", Show::Text),
    ("io_sent", "packets sent:         ", Show::Text),
    ("io_sendfailed", "packet send failures: ", Show::Text),
    ("io_wakeups", "input wakeups:        ", Show::Text),
    ("io_goodwakeups", "useful input wakeups: ", Show::Text),
];

const TIMERSTATS: Canned = &[
    ("timerstats_reset", "time since reset:  ", Show::Text),
    ("timer_overruns", "timer overruns:    ", Show::Text),
    ("timer_xmts", "calls to transmit: ", Show::Text),
];

const AUTHINFO: Canned = &[
    ("authreset", "time since reset:", Show::Text),
    ("authkeys", "stored keys:     ", Show::Text),
    ("authfreek", "free keys:       ", Show::Text),
    ("authklookups", "key lookups:     ", Show::Text),
    ("authknotfound", "keys not found:  ", Show::Text),
    ("authkuncached", "uncached keys:   ", Show::Text),
    ("authkexpired", "expired keys:    ", Show::Text),
    ("authencrypts", "encryptions:     ", Show::Text),
    ("authdecrypts", "decryptions:     ", Show::Text),
];

const PSTATS: Canned = &[
    ("src", "remote host:         ", Show::AddrPort),
    ("dst", "local address:       ", Show::AddrPort),
    ("timerec", "time last received:  ", Show::Text),
    ("timer", "time until next send:", Show::Text),
    ("timereach", "reachability change: ", Show::Text),
    ("sent", "packets sent:        ", Show::Text),
    ("received", "packets received:    ", Show::Text),
    ("badauth", "bad authentication:  ", Show::Text),
    ("bogusorg", "bogus origin:        ", Show::Text),
    ("oldpkt", "duplicate:           ", Show::Text),
    ("seldisp", "bad dispersion:      ", Show::Text),
    ("selbroken", "bad reference time:  ", Show::Text),
    ("candidate", "candidate order:     ", Show::Text),
];

const MODES: [&str; 9] = [
    "unspec",
    "sym_active",
    "sym_passive",
    "client",
    "server",
    "broadcast",
    "control",
    "private",
    "bclient",
];

/// The canned sets and `pstats`.
///
/// # Errors
/// The query failed or writing failed.
pub fn canned(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let name = inv.command.name;
    let (table, show_status) = match name {
        "sysinfo" => (SYSINFO, true),
        "sysstats" => (SYSSTATS, false),
        "kerninfo" => (KERNINFO, true),
        "monstats" => (MONSTATS, false),
        "iostats" => (IOSTATS, false),
        "timerstats" => (TIMERSTATS, false),
        "authinfo" => (AUTHINFO, false),
        _ => (PSTATS, true),
    };
    let assocs = if name == "pstats" {
        let mut assocs = Vec::new();
        for arg in &inv.args {
            let assoc = assoc_arg(s, Some(arg))?;
            if assoc.is_system() {
                bail!("pstats needs a peer association, not 0");
            }
            assocs.push(assoc);
        }
        assocs
    } else {
        vec![AssocId::SYSTEM]
    };
    let mut request = VarList::new();
    for (tag, _, show) in table {
        if *show == Show::AddrPort {
            request.push(Variable::bare(format!("{tag}adr")));
            request.push(Variable::bare(format!("{tag}port")));
        } else {
            request.push(Variable::bare(*tag));
        }
    }
    // Several peers' statistics are asked for at once.
    let payload = encode(&request)?;
    let requests = assocs
        .iter()
        .map(|&assoc| (ControlOpcode::ReadVariables, assoc, payload.clone()))
        .collect();
    let answers = s.query_many(requests)?;
    let mut shown = Shown::new(answers.len());
    for (assoc, answer) in assocs.into_iter().zip(answers) {
        let Some(response) = shown.take(answer) else {
            continue;
        };
        if shown.count > 1 && !s.json {
            writeln!(out)?;
        }
        print_canned(s, out, name, table, show_status, assoc, &response)?;
    }
    shown.finish()
}

/// One canned set as ntpq prints it (or its JSON document).
fn print_canned(
    s: &mut Session,
    out: &mut dyn Write,
    name: &str,
    table: Canned,
    show_status: bool,
    assoc: AssocId,
    response: &ControlResponse,
) -> anyhow::Result<()> {
    let kind = var_kind(false, assoc);
    if s.json {
        return emit_json(out, &variables_record(s, name, assoc, response, kind));
    }
    let (vars, _) = VarList::parse_partial(&response.data);
    let mut text = String::new();
    if show_status {
        text.push_str(&format!(
            "associd={assoc} status={:04x} {},\n",
            response.status,
            kind.status_text(response.status)
        ));
    }
    for (tag, label, show) in table {
        let value = vars
            .get(tag)
            .map(|v| v.text().unwrap_or_default().to_owned());
        let shown = match show {
            Show::Text => value,
            Show::Leap => value
                .and_then(|v| v.parse::<u8>().ok())
                .map(|v| format!("{}{}", (v >> 1) & 1, v & 1)),
            Show::Mode => value.and_then(|v| v.parse::<usize>().ok()).map(|m| {
                MODES
                    .get(m)
                    .map_or_else(|| format!("mode#{m}"), |n| (*n).to_owned())
            }),
            Show::RefId => value.map(|v| match decode_netnum(&v) {
                Some(addr) if s.refid_hash => match addr.ip() {
                    std::net::IpAddr::V4(v4) => format!("0x{}", ReferenceId::from(v4).hex()),
                    std::net::IpAddr::V6(v6) => format!("0x{}", ReferenceId::for_ipv6(v6).hex()),
                },
                Some(addr) => addr.ip().to_string(),
                None => v,
            }),
            Show::Time => Some(s.with_cook_options(|o| {
                o.pretty_date(
                    value
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(ntpkit::time::NtpTimestamp::ZERO),
                )
            })),
            Show::AddrWithPort => Some(addr_port(
                s,
                value
                    .and_then(|v| decode_netnum(&v))
                    .unwrap_or(unspecified()),
            )),
            Show::AddrPort => {
                let ip = vars
                    .get(&format!("{tag}adr"))
                    .and_then(|v| v.text())
                    .and_then(decode_netnum)
                    .unwrap_or(unspecified());
                let port = vars
                    .get(&format!("{tag}port"))
                    .and_then(|v| v.as_u64().ok())
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(0);
                Some(addr_port(s, SocketAddr::new(ip.ip(), port)))
            }
        };
        if let Some(shown) = shown {
            text.push_str(&format!("{label}  {shown}\n"));
        }
    }
    write!(out, "{}{text}", server_prefix(s))?;
    Ok(())
}

fn unspecified() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

/// `nntohostp`: the host name or address, with the port.
fn addr_port(s: &mut Session, addr: SocketAddr) -> String {
    let name = if addr.ip().is_unspecified() {
        addr.ip().to_string()
    } else {
        s.display_name(addr.ip())
    };
    if addr.is_ipv6() && name.parse::<std::net::IpAddr>().is_ok() {
        format!("[{name}]:{}", addr.port())
    } else {
        format!("{name}:{}", addr.port())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_arguments() {
        let vars = parse_var_arg("stratum, refid=x ,,leap");
        assert_eq!(
            vars,
            [
                Variable::bare("stratum"),
                Variable::new("refid", "x"),
                Variable::bare("leap")
            ]
        );
        assert!(parse_var_arg("").is_empty());
    }
}
