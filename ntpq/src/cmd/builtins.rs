//! Local commands: settings of the session (classic ntpq `builtins`).

use std::io::Write;
use std::time::Duration;

use anyhow::bail;
use ntpkit::auth::{Key, KeyId, KeyType};
use ntpkit::transport::Family;
use ntpkit_shell::{Arg, Flow, Invocation, read_secret};

use super::emit_message;
use crate::session::Session;

/// Runs `inv` if it is a local command; `None` for commands that talk to the server.
///
/// # Errors
/// Writing fails, or a setting is refused.
pub fn run(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<Option<Flow>> {
    let name = inv.command.name;
    let uint = |i: usize| match inv.arg(i) {
        Some(Arg::Uint(v)) => Some(*v),
        _ => None,
    };
    let text = |i: usize| inv.str_arg(i);
    let message = match name {
        "quit" | "exit" => return Ok(Some(Flow::Quit)),
        "timeout" => match uint(0) {
            None => format!(
                "primary timeout {} ms",
                s.timeout.as_millis().min(u128::from(u32::MAX))
            ),
            Some(ms) => {
                s.timeout = Duration::from_millis(ms.max(1));
                return Ok(Some(Flow::Continue));
            }
        },
        "delay" => match inv.arg(0) {
            Some(Arg::Int(ms)) => {
                s.delay_ms = *ms;
                return Ok(Some(Flow::Continue));
            }
            _ => format!("delay {} ms", s.delay_ms),
        },
        "host" => host(s, inv)?,
        "poll" => "poll not implemented yet".to_owned(),
        "passwd" => passwd(s, text(0))?,
        "hostnames" => match text(0) {
            None if s.hostnames => "hostnames being shown".to_owned(),
            None => "hostnames not being shown".to_owned(),
            Some("yes") => return set(&mut s.hostnames, true),
            Some("no") => return set(&mut s.hostnames, false),
            Some(_) => bail!("What? (hostnames yes|no)"),
        },
        "debug" => {
            match text(0) {
                None => return say(s, out, name, &format!("debug level is {}", s.debug)),
                Some("no") => s.debug = 0,
                Some("more") => s.debug += 1,
                Some("less") => s.debug -= 1,
                Some(_) => bail!("What? (debug no|more|less)"),
            }
            format!("debug level set to {}", s.debug)
        }
        "keyid" => match uint(0) {
            None => match s.auth.key_id {
                Some(id) if id.0 != 0 => format!("keyid is {id}"),
                _ => "no keyid defined".to_owned(),
            },
            Some(id) => {
                let id = u32::try_from(id)
                    .ok()
                    .filter(|id| *id <= 65_535)
                    .ok_or_else(|| anyhow::anyhow!("Invalid key identifier"))?;
                s.auth.key_id = (id != 0).then_some(KeyId(id));
                s.auth.key = None;
                return Ok(Some(Flow::Continue));
            }
        },
        "keytype" => match text(0) {
            None => {
                let kind = s.auth.key_type();
                format!("keytype is {kind} with {} octet digests", kind.mac_len())
            }
            Some(t) => {
                let kind: KeyType = t
                    .parse()
                    .map_err(|_| anyhow::anyhow!("keytype '{t}' is not valid"))?;
                s.auth.key_type = Some(kind);
                s.auth.key = None;
                return Ok(Some(Flow::Continue));
            }
        },
        "version" => format!("ntpq {} (ntpkit)", env!("CARGO_PKG_VERSION")),
        "raw" => {
            s.raw = true;
            "Output set to raw".to_owned()
        }
        "cooked" => {
            s.raw = false;
            "Output set to cooked".to_owned()
        }
        "authenticate" => match text(0) {
            None if s.auth.always => "authenticated requests being sent".to_owned(),
            None => "unauthenticated requests being sent".to_owned(),
            Some("yes") => return set(&mut s.auth.always, true),
            Some("no") => return set(&mut s.auth.always, false),
            Some(_) => bail!("What? (authenticate yes|no)"),
        },
        "ntpversion" => match uint(0) {
            None => format!("NTP version being claimed is {}", s.version),
            Some(v @ 1..=4) => {
                s.version = u8::try_from(v).unwrap_or(2);
                return Ok(Some(Flow::Continue));
            }
            Some(_) => bail!("versions 1 to 4, please"),
        },
        "drefid" => match text(0) {
            None if s.refid_hash => "drefid value is hash".to_owned(),
            None => "drefid value is ipv4".to_owned(),
            Some("hash") => return set(&mut s.refid_hash, true),
            Some("ipv4") => return set(&mut s.refid_hash, false),
            Some(_) => bail!("What? (drefid hash|ipv4)"),
        },
        "json" => match text(0) {
            None => format!("json output is {}", if s.json { "on" } else { "off" }),
            Some("yes") => return set(&mut s.json, true),
            Some("no") => return set(&mut s.json, false),
            Some(_) => bail!("What? (json yes|no)"),
        },
        "units" => match text(0) {
            None => format!("units are {}", if s.units { "shown" } else { "not shown" }),
            Some("yes") => return set(&mut s.units, true),
            Some("no") => return set(&mut s.units, false),
            Some(_) => bail!("What? (units yes|no)"),
        },
        _ => return Ok(None),
    };
    say(s, out, name, &message)
}

fn set(flag: &mut bool, value: bool) -> anyhow::Result<Option<Flow>> {
    *flag = value;
    Ok(Some(Flow::Continue))
}

fn say(
    s: &Session,
    out: &mut dyn Write,
    command: &str,
    message: &str,
) -> anyhow::Result<Option<Flow>> {
    emit_message(s, out, command, message)?;
    Ok(Some(Flow::Continue))
}

/// `host [-4|-6] name`: a name that does not resolve keeps the current host and fails with
/// the unreachable code (3), as a host on the command line that does not resolve.
fn host(s: &mut Session, inv: &Invocation) -> anyhow::Result<String> {
    let (family, name) = match (inv.str_arg(0), inv.str_arg(1)) {
        (None, _) => {
            return Ok(match &s.target {
                Some(t) => format!("current host is {}", t.name),
                None => "no current host".to_owned(),
            });
        }
        (Some("-4"), Some(name)) => (Family::V4, name),
        (Some("-6"), Some(name)) => (Family::V6, name),
        (Some(name), None) => (s.family, name),
        (Some(_), Some(_)) => return Ok(remains(s)),
    };
    match s.open_host(name, family) {
        Ok(()) => Ok(format!("current host set to {name}")),
        Err(e) => Err(anyhow::Error::new(crate::session::Unresolved(format!(
            "{e}; {}",
            remains(s)
        )))),
    }
}

fn remains(s: &Session) -> String {
    match &s.target {
        Some(t) => format!("current host remains {}", t.name),
        None => "still no current host".to_owned(),
    }
}

fn passwd(s: &mut Session, given: Option<&str>) -> anyhow::Result<String> {
    let id = match s.auth.key_id {
        Some(id) => id,
        None => {
            let text = read_secret("Keyid: ")?;
            let id = text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|id| (1..=65_535).contains(id))
                .ok_or_else(|| anyhow::anyhow!("Keyid must be defined"))?;
            s.auth.key_id = Some(KeyId(id));
            KeyId(id)
        }
    };
    let kind = s.auth.key_type();
    let secret = match given {
        Some(p) => p.to_owned(),
        None => {
            let p = read_secret(&format!("{} Password: ", kind.name()))?;
            if p.is_empty() {
                return Ok("Password unchanged".to_owned());
            }
            p
        }
    };
    s.auth.key = Some(Key::from_text(id, kind, &secret)?);
    Ok(String::new())
}
