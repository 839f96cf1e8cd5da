//! Authenticated administration: `:config`, `config-from-file`, `saveconfig`, and the ordered
//! lists `ifstats` and `reslist` (protocol notes §4.13, §6.1, §6.2).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;

use anyhow::{Context, bail};
use ntpkit::control::{AssocId, ControlOpcode, VarList, split_indexed};
use ntpkit::format::vars::{decode_netnum, parse_uint};
use ntpkit::record::{ConfigRecord, InterfaceRecord, RestrictRecord};
use ntpkit_shell::Invocation;

use super::emit_json;
use crate::session::Session;

/// The reply that means a configuration line was accepted.
const CONFIG_OK: &str = "Config Succeeded";

/// A configuration request the server answered with something other than success.
#[derive(Debug, Clone)]
pub struct ConfigRejected(pub String);

impl std::fmt::Display for ConfigRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "server did not accept it: {}", self.0)
    }
}

impl std::error::Error for ConfigRejected {}

fn reply_text(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(&data[..end]).trim_end().to_owned()
}

/// `:config`, `config-from-file`, `saveconfig`.
///
/// # Errors
/// No key, the server refused (permission, or a reply other than success), or writing
/// failed.
pub fn config(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let arg = inv.str_arg(0).unwrap_or_default().to_owned();
    let host = s.host_name();
    let record = |request: &str, reply: &str, ok: bool| ConfigRecord {
        host: host.clone(),
        command: inv.command.name.to_owned(),
        request: request.to_owned(),
        reply: reply.to_owned(),
        ok,
    };
    match inv.command.name {
        ":config" => {
            let line = arg.trim_end();
            let response = s.query(ControlOpcode::Configure, AssocId::SYSTEM, line, true)?;
            let reply = reply_text(&response.data);
            let ok = reply == CONFIG_OK;
            if s.json {
                emit_json(out, &record(line, &reply, ok))?;
            } else {
                if let Some(col) = syntax_error_column(&reply, line) {
                    writeln!(out, "{line}")?;
                    writeln!(out, "{}^", "_".repeat(col.saturating_sub(1)))?;
                }
                writeln!(out, "{reply}")?;
            }
            if !ok {
                bail!(ConfigRejected(reply));
            }
        }
        "config-from-file" => {
            let text =
                std::fs::read_to_string(&arg).with_context(|| format!("cannot read '{arg}'"))?;
            let mut records = Vec::new();
            let mut failed = None;
            if !s.json {
                writeln!(out, "Sending configuration file, one line at a time.")?;
            }
            for (n, line) in text.lines().enumerate() {
                // ntpd 4.2.8p15 refuses the line with its newline ("unprintable character").
                let payload = line.trim_end().to_owned();
                let response = s
                    .query(ControlOpcode::Configure, AssocId::SYSTEM, payload, true)
                    .with_context(|| format!("line {}: not sent", n + 1))?;
                let reply = reply_text(&response.data);
                let ok = reply == CONFIG_OK;
                if !s.json {
                    writeln!(out, "Line No: {} {reply}: {line}", n + 1)?;
                }
                records.push(record(line, &reply, ok));
                if !ok && failed.is_none() {
                    failed = Some(format!("line {}: {reply}", n + 1));
                }
            }
            if s.json {
                emit_json(
                    out,
                    &serde_json::json!({"host": host, "command": "config-from-file", "file": arg, "lines": records}),
                )?;
            } else {
                writeln!(out, "Done sending file")?;
            }
            if let Some(reason) = failed {
                bail!(ConfigRejected(reason));
            }
        }
        _ => {
            let response = s.query(
                ControlOpcode::SaveConfig,
                AssocId::SYSTEM,
                arg.as_str(),
                true,
            )?;
            let reply = reply_text(&response.data);
            let ok = reply.starts_with("Configuration saved to");
            if s.json {
                emit_json(out, &record(&arg, &reply, ok))?;
            } else if reply.is_empty() {
                writeln!(out, "(no response message, curiously)")?;
            } else {
                writeln!(out, "{reply}")?;
            }
            if !ok {
                bail!(ConfigRejected(reply));
            }
        }
    }
    Ok(())
}

/// The column of a `column N syntax error` reply, if it lies within the line.
fn syntax_error_column(reply: &str, line: &str) -> Option<usize> {
    let rest = reply.strip_prefix("column ")?;
    let (col, tail) = rest.split_once(' ')?;
    let col: usize = col.parse().ok()?;
    (tail.starts_with("syntax error") && col <= line.len() + 1).then_some(col)
}

/// Groups `name.N=value` tags by index.
fn stanzas(vars: &VarList) -> BTreeMap<u32, BTreeMap<String, Option<String>>> {
    let mut out: BTreeMap<u32, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for var in vars.iter() {
        if let (tag, Some(index)) = split_indexed(&var.name) {
            out.entry(index)
                .or_default()
                .insert(tag.to_owned(), var.text().map(str::to_owned));
        }
    }
    out
}

const IF_FIELDS: [&str; 12] = [
    "addr", "bcast", "en", "flags", "mc", "name", "pc", "rx", "tl", "tx", "txerr", "up",
];

/// `ifstats`, `reslist`.
///
/// # Errors
/// No key, the server refused, or writing failed.
pub fn ordered_list(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let ifstats = inv.command.name == "ifstats";
    let payload = if ifstats {
        "ifstats"
    } else {
        "addr_restrictions"
    };
    let response = s.query(
        ControlOpcode::ReadOrderedList,
        AssocId::SYSTEM,
        payload,
        true,
    )?;
    let vars = VarList::parse_partial(&response.data).0;
    let host = s.host_name();
    let rows = stanzas(&vars);
    let int = |row: &BTreeMap<String, Option<String>>, k: &str| -> i64 {
        row.get(k)
            .and_then(|v| v.as_deref())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let uint = |row: &BTreeMap<String, Option<String>>, k: &str| -> u64 {
        row.get(k)
            .and_then(|v| v.as_deref())
            .and_then(parse_uint)
            .unwrap_or(0)
    };
    let text = |row: &BTreeMap<String, Option<String>>, k: &str| -> Option<String> {
        row.get(k).and_then(Clone::clone)
    };
    if ifstats {
        let mut records = Vec::new();
        for (index, row) in &rows {
            // NTPsec 1.2.2 leaves out two of the twelve fields; its rows are shown with
            // the missing counters as 0 rather than dropped (ntpq 4.2.8 drops them).
            let have = IF_FIELDS.iter().filter(|f| row.contains_key(**f)).count();
            if !row.contains_key("addr") || !row.contains_key("name") {
                eprintln!(
                    "ntpq: {host}: ifstats: incomplete row {index} with {have} (of {}) fields",
                    IF_FIELDS.len()
                );
                continue;
            }
            records.push(InterfaceRecord {
                host: host.clone(),
                index: u64::from(*index),
                name: text(row, "name").unwrap_or_default(),
                address: text(row, "addr").unwrap_or_default(),
                broadcast: text(row, "bcast").filter(|b| !b.is_empty()),
                enabled: int(row, "en") != 0,
                flags: uint(row, "flags"),
                ttl: int(row, "tl"),
                mcast_count: int(row, "mc"),
                received: int(row, "rx"),
                sent: int(row, "tx"),
                send_failed: int(row, "txerr"),
                peers: uint(row, "pc"),
                uptime_s: uint(row, "up"),
            });
        }
        if s.json {
            return emit_json(
                out,
                &serde_json::json!({"host": host, "command": "ifstats", "interfaces": records}),
            );
        }
        writeln!(
            out,
            "    interface name                                        send"
        )?;
        writeln!(
            out,
            " #  address/broadcast     drop flag ttl mc received sent failed peers   uptime"
        )?;
        writeln!(out, "{}", "=".repeat(78))?;
        for r in records {
            writeln!(
                out,
                "{:3} {:<24.24} {} {:4x} {:3} {:2} {:6} {:6} {:6} {:5} {:8}",
                r.index,
                r.name,
                if r.enabled { '.' } else { 'D' },
                r.flags,
                r.ttl,
                r.mcast_count,
                r.received,
                r.sent,
                r.send_failed,
                r.peers,
                r.uptime_s
            )?;
            writeln!(out, "    {}", r.address)?;
            if let Some(b) = r.broadcast {
                writeln!(out, "    {b}")?;
            }
        }
        return Ok(());
    }
    let mut records = Vec::new();
    for row in rows.values() {
        let (Some(addr), Some(mask)) = (text(row, "addr"), text(row, "mask")) else {
            continue;
        };
        let entry = match prefix_len(&mask) {
            Some(bits) => format!("{addr}/{bits}"),
            None => format!("{addr} {mask}"),
        };
        records.push(RestrictRecord {
            host: host.clone(),
            address: addr,
            mask,
            entry,
            hits: uint(row, "hits"),
            flags: text(row, "flags")
                .unwrap_or_default()
                .split_ascii_whitespace()
                .map(str::to_owned)
                .collect(),
        });
    }
    if s.json {
        return emit_json(
            out,
            &serde_json::json!({"host": host, "command": "reslist", "restrictions": records}),
        );
    }
    writeln!(out, "   hits    addr/prefix or addr mask")?;
    writeln!(out, "           restrictions")?;
    writeln!(out, "{}", "=".repeat(78))?;
    for r in records {
        writeln!(out, "{:10} {}", r.hits, r.entry)?;
        writeln!(out, "           {}", r.flags.join(" "))?;
    }
    Ok(())
}

/// The prefix length of a contiguous netmask (`255.255.0.0` → 16, `ffff:ffff::` → 32).
fn prefix_len(mask: &str) -> Option<u32> {
    let bits: u128 = match decode_netnum(mask)?.ip() {
        IpAddr::V4(v4) => u128::from(u32::from(v4)) << 96,
        IpAddr::V6(v6) => u128::from(v6),
    };
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0).then_some(ones)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(prefix_len("255.255.255.255"), Some(32));
        assert_eq!(prefix_len("255.255.0.0"), Some(16));
        assert_eq!(prefix_len("0.0.0.0"), Some(0));
        assert_eq!(prefix_len("255.0.255.0"), None);
        assert_eq!(prefix_len("ffff:ffff:ffff:ffff::"), Some(64));
    }

    #[test]
    fn syntax_error_columns() {
        assert_eq!(
            syntax_error_column("column 8 syntax error", "server x y"),
            Some(8)
        );
        assert_eq!(syntax_error_column("column 80 syntax error", "abc"), None);
        assert_eq!(syntax_error_column("Config Succeeded", "abc"), None);
    }
}
