//! Command implementations, grouped by what they ask the server for.

pub mod admin;
pub mod builtins;
pub mod leap;
pub mod mru;
pub mod peers;
pub mod vars;

use std::io::Write;

use anyhow::{anyhow, bail};
use ntpkit::control::AssocId;
use ntpkit::format::render_json;
use ntpkit::record::MessageRecord;
use ntpkit_shell::{Arg, Invocation};
use serde::Serialize;

use crate::session::Session;

/// Runs a command that talks to the server.
///
/// # Errors
/// The query failed, the answer was unusable, or writing failed.
pub fn remote(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    match inv.command.name {
        "associations" | "lassociations" | "passociations" | "lpassociations" => {
            peers::associations(s, inv, out)
        }
        "peers" | "lpeers" | "apeers" | "opeers" | "lopeers" => peers::peers(s, inv, out),
        "readvar" | "rv" | "readlist" | "rl" | "clockvar" | "cv" | "clocklist" | "cl" => {
            vars::read(s, inv, out)
        }
        "writevar" | "writelist" => vars::write(s, inv, out),
        "mreadvar" | "mrv" | "mreadlist" | "mrl" => vars::read_range(s, inv, out),
        "addvars" | "rmvars" | "clearvars" | "showvars" => vars::edit_list(s, inv, out),
        "sysinfo" | "sysstats" | "kerninfo" | "monstats" | "iostats" | "timerstats"
        | "authinfo" | "pstats" => vars::canned(s, inv, out),
        ":config" | "config-from-file" | "saveconfig" => admin::config(s, inv, out),
        "ifstats" | "reslist" => admin::ordered_list(s, inv, out),
        "mrulist" => mru::mrulist(s, inv, out),
        "leap" => leap::shell(s, inv, out),
        other => bail!("command '{other}' is not implemented"),
    }
}

/// An association argument: a number, or `&N` for the N-th of the cached list (fetched if
/// the cache is empty).
///
/// # Errors
/// `&N` with no associations.
pub fn assoc_arg(s: &mut Session, arg: Option<&Arg>) -> anyhow::Result<AssocId> {
    match arg {
        None => Ok(AssocId::SYSTEM),
        Some(Arg::Uint(v)) => u16::try_from(*v)
            .map(AssocId)
            .map_err(|_| anyhow!("association ID {v} is out of range")),
        Some(Arg::AssocIndex(i)) => {
            if s.assoc_cache.is_empty() {
                s.fetch_associations()?;
            }
            let n = s.assoc_cache.len();
            if n == 0 {
                bail!("no associations found, '&{i}' unknown");
            }
            let index = usize::try_from(*i).unwrap_or(usize::MAX).clamp(1, n) - 1;
            Ok(s.assoc_cache
                .get(index)
                .map_or(AssocId::SYSTEM, |a| a.assoc))
        }
        Some(other) => bail!("bad association argument {other:?}"),
    }
}

/// Writes a JSON document (JSON mode) for a command's result.
///
/// # Errors
/// Writing fails.
pub fn emit_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    render_json(value, &mut buf)?;
    out.write_all(&buf)?;
    Ok(())
}

/// Writes a local command's message: the line, or a [`MessageRecord`] in JSON mode.
/// Nothing for an empty message.
///
/// # Errors
/// Writing fails.
pub fn emit_message(
    s: &Session,
    out: &mut dyn Write,
    command: &str,
    message: &str,
) -> anyhow::Result<()> {
    if message.is_empty() {
        return Ok(());
    }
    if s.json {
        emit_json(
            out,
            &MessageRecord {
                command: command.to_owned(),
                message: message.to_owned(),
            },
        )
    } else {
        writeln!(out, "{message}")?;
        Ok(())
    }
}

/// `server=<host> ` when several hosts are being asked, as ntpq prefixes variable lists.
pub fn server_prefix(s: &Session) -> String {
    if s.host_count > 1 {
        format!("server={} ", s.host_name())
    } else {
        String::new()
    }
}
