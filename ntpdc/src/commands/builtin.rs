//! Built-in commands: settings of the session itself, no server involved (except `host`,
//! which only resolves a name).

use ntpkit::auth::{Key, KeyId, KeyType};
use serde_json::json;

use super::args::{family_and_rest, number};
use super::{Ctx, Output};
use crate::error::{CmdError, usage};

/// The one argument of a command that takes at most one (the shell drops any more).
fn first(args: &[String]) -> Option<&str> {
    args.first().map(String::as_str)
}

pub fn timeout(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    if let Some(ms) = first(args) {
        ctx.session.settings.timeout_ms = number::<u64>(ms, "timeout")?.max(1);
    }
    let ms = ctx.session.settings.timeout_ms;
    Ok(Output::new(
        if args.is_empty() {
            format!("primary timeout {ms} ms\n")
        } else {
            String::new()
        },
        json!({ "timeout_ms": ms }),
    ))
}

pub fn delay(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    if let Some(ms) = first(args) {
        ctx.session.settings.delay_ms = number::<i64>(ms, "delay")?;
    }
    let ms = ctx.session.settings.delay_ms;
    Ok(Output::new(
        if args.is_empty() {
            format!("delay {ms} ms\n")
        } else {
            String::new()
        },
        json!({ "delay_ms": ms }),
    ))
}

pub fn host(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let (family, rest) = family_and_rest(args);
    let name = match rest.as_slice() {
        [] => {
            let text = ctx.session.host().map_or_else(
                || "no current host\n".to_owned(),
                |h| format!("current host is {}\n", h.name),
            );
            let json = json!({ "host": ctx.session.host().map(|h| h.name.clone()) });
            return Ok(Output::new(text, json));
        }
        [name] => *name,
        [_, extra, ..] => return Err(usage(format!("unexpected argument '{extra}'"))),
    };
    match ctx.session.open(name, family) {
        Ok(()) => {
            let addr = ctx.session.host().map(|h| h.addr.ip());
            Ok(Output::new(
                format!("current host set to {name}\n"),
                json!({ "host": name, "address": addr }),
            ))
        }
        Err(err) => {
            let still = ctx.session.host().map_or_else(
                || "still no current host".to_owned(),
                |h| format!("current host remains {}", h.name),
            );
            let message = format!("{err}; {still}");
            Err(match err {
                CmdError::Unresolved(_) => CmdError::Unresolved(message),
                _ => CmdError::Failed(message),
            })
        }
    }
}

/// Reads a secret from the terminal without echo (the shared shell's prompt).
fn prompt_secret() -> Result<String, CmdError> {
    ntpkit_shell::read_secret("Password: ")
        .map_err(|_| usage("no terminal to ask the secret on: give it as `passwd SECRET`"))
}

pub fn passwd(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let id = match ctx.session.auth.keyid {
        Some(id) if id != 0 => id,
        _ => return Err(usage("keyid must be defined first (`keyid N`)")),
    };
    let secret = match first(args) {
        Some(s) => s.to_owned(),
        None => prompt_secret()?,
    };
    if secret.is_empty() {
        return Err(usage("password unchanged"));
    }
    let kind = ctx.session.auth.keytype();
    let key = Key::from_text(KeyId(id), kind, &secret)
        .map_err(|e| usage(format!("unusable secret for a {} key: {e}", kind.name())))?;
    ctx.session.auth.typed = Some(key);
    Ok(Output::new(
        String::new(),
        json!({ "keyid": id, "keytype": kind.name() }),
    ))
}

pub fn hostnames(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    match first(args) {
        None => {}
        Some("yes") => ctx.session.settings.hostnames = true,
        Some("no") => ctx.session.settings.hostnames = false,
        Some(other) => return Err(usage(format!("'{other}': yes or no"))),
    }
    let on = ctx.session.settings.hostnames;
    let text = match (args.is_empty(), on) {
        (false, _) => String::new(),
        (true, true) => "hostnames being shown\n".to_owned(),
        (true, false) => "hostnames not being shown\n".to_owned(),
    };
    Ok(Output::new(text, json!({ "hostnames": on })))
}

pub fn debug(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    let level = &mut ctx.session.settings.debug;
    let text = match first(args) {
        None => format!("debug level is {level}\n"),
        Some(word) => {
            match word {
                "no" => *level = 0,
                "more" => *level = level.saturating_add(1),
                "less" => *level = level.saturating_sub(1),
                other => return Err(usage(format!("'{other}': no, more or less"))),
            }
            format!("debug level set to {level}\n")
        }
    };
    let level = ctx.session.settings.debug;
    Ok(Output::new(text, json!({ "debug": level })))
}

pub fn quit(_ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    Ok(Output {
        quit: true,
        ..Output::new(String::new(), json!({ "quit": true }))
    })
}

pub fn keyid(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    if let Some(word) = first(args) {
        ctx.session.auth.keyid = Some(number(word, "key ID")?);
        return Ok(Output::new(
            String::new(),
            json!({ "keyid": ctx.session.auth.keyid }),
        ));
    }
    let text = match ctx.session.auth.keyid {
        None => "no keyid defined\n".to_owned(),
        Some(0) => "no keyid will be sent\n".to_owned(),
        Some(id) => format!("keyid is {id}\n"),
    };
    Ok(Output::new(
        text,
        json!({ "keyid": ctx.session.auth.keyid }),
    ))
}

pub fn keytype(ctx: &mut Ctx<'_, '_>, args: &[String]) -> Result<Output, CmdError> {
    if let Some(word) = first(args) {
        let kind = KeyType::from_name(word).map_err(|e| usage(e.to_string()))?;
        ctx.session.auth.keytype = Some(kind);
        return Ok(Output::new(
            String::new(),
            json!({ "keytype": kind.name() }),
        ));
    }
    let kind = ctx.session.auth.keytype();
    Ok(Output::new(
        format!(
            "keytype is {} with {} octet digests\n",
            kind.name(),
            kind.mac_len()
        ),
        json!({ "keytype": kind.name(), "digest_octets": kind.mac_len() }),
    ))
}

pub fn version(_ctx: &mut Ctx<'_, '_>, _args: &[String]) -> Result<Output, CmdError> {
    let version = env!("CARGO_PKG_VERSION");
    Ok(Output::new(
        format!("ntpdc {version} (ntpkit)\n"),
        json!({ "version": version }),
    ))
}
