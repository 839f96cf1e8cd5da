//! `leap`: see leap seconds coming and set the warning bits (protocol notes §6.3), as
//! `ntpq leap [options] [host...]` and as the shell command `leap [options]`.
//!
//! - no options: each server's leap state (bits, TAI−UTC, leap table, next leap, expiry);
//! - `--set add|delete|none|pass`: what the daemon in front of us supports — xntpd 3's
//!   writable `leapwarning`/`leapindicator` within its windows, `:config leapfile PATH` for
//!   ntpd 4.x and NTPsec — then the state read back; `--dry-run` shows the write instead;
//! - `--check-file FILE`: a local `leap-seconds.list` judged (hash, expiry, order), alone or
//!   before `--set` arms a server with the same file.
//!
//! The decisions are `ntpkit::leap`'s; this file asks, sends and prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Parser};
use ntpkit::control::{AssocId, ControlError, ControlOpcode, ErrorCode, VarList};
use ntpkit::leap::{
    LeapDaemon, LeapFileCheckRecord, LeapPlanError, LeapRequest, LeapSecondsFile, LeapSetRecord,
    LeapSeverity, LeapWrite, MODERN_VARIABLES, ServerLeapState, XNTPD3_VARIABLES, Xntpd3Write,
    expected_from_file, iso_utc, judge_leapfile, judge_xntpd3, plan_xntpd3,
};
use ntpkit_shell::build::{opt, spec};
use ntpkit_shell::{ArgKind, CommandSpec, Invocation, LineError};

mod text;

use super::emit_json;
use crate::cli::Cli;
use crate::commands::exit_code;
use crate::session::{NoKey, Session};
use text::{emit_set, print_file_check, print_status};

/// The shell's `leap` command (ntpq reads at most four arguments: use `--opt=value`).
pub static COMMANDS: [CommandSpec; 1] = [spec(
    "leap",
    &[opt(
        "--set=add|delete|none|pass --leapfile=PATH --dry-run --check-file=FILE",
        ArgKind::Rest,
    )],
    "show leap second state; set leap warning bits; check a leap-seconds file",
)];

/// The options of `leap`, on the command line and in the shell.
#[derive(Debug, Clone, Default, Args)]
pub struct LeapArgs {
    /// Arm or clear a leap second (authenticated): add, delete, none (ignore the sources' leap
    /// bits), pass (pass them through).
    #[arg(long, value_name = "add|delete|none|pass")]
    pub set: Option<LeapRequest>,
    /// ntpd 4.x and NTPsec: a leap-seconds file on the server, loaded with `:config leapfile`.
    #[arg(long, value_name = "PATH", requires = "set")]
    pub leapfile: Option<String>,
    /// Show what would be sent (after reading the server's state) and send no write.
    #[arg(long, requires = "set")]
    pub dry_run: bool,
    /// Check a local leap-seconds file (hash, expiry, order); with --set, before arming.
    #[arg(long, value_name = "FILE")]
    pub check_file: Option<PathBuf>,
}

/// `ntpq leap [options] [host...]`.
#[derive(Debug, Clone, Args)]
#[command(
    about = "Leap seconds: show them coming, set the warning bits, check a leap-seconds file",
    after_help = "Authenticated writes use -k KEYFILE -a KEYID. Exit status: 0 done, 1 refused \
                  or not confirmed (or an invalid file), 2 usage, 3 no answer, 4 permission."
)]
pub struct LeapCommand {
    /// The options.
    #[command(flatten)]
    pub opts: LeapArgs,
    /// Servers (default localhost); --set takes one.
    #[arg(value_name = "host")]
    pub hosts: Vec<String>,
}

/// The shell's words as a command line.
#[derive(Debug, Parser)]
#[command(name = "leap", no_binary_name = true, disable_version_flag = true)]
struct ShellLeap {
    #[command(flatten)]
    opts: LeapArgs,
}

/// A refusal or a result that was not confirmed (exit status 1).
#[derive(Debug, Clone)]
pub struct LeapFailed(pub String);

impl std::fmt::Display for LeapFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LeapFailed {}

fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `ntpq leap …` from the command line.
///
/// # Errors
/// Writing to `out` fails.
pub fn run_cli(cli: &Cli, cmd: &LeapCommand, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut err = std::io::stderr();
    let opts = &cmd.opts;
    let usage = |err: &mut std::io::Stderr, msg: &str| -> anyhow::Result<ExitCode> {
        writeln!(err, "ntpq: leap: {msg}")?;
        Ok(ExitCode::from(2))
    };
    if !cli.hosts.is_empty() || !cli.commands.is_empty() || cli.interactive || cli.tui {
        return usage(
            &mut err,
            "-c, -p, -i and --tui do not go with 'leap', and its hosts follow it: ntpq leap [options] [host...]",
        );
    }
    if opts.set.is_none() && opts.check_file.is_some() {
        if !cmd.hosts.is_empty() {
            return usage(
                &mut err,
                "--check-file alone checks a local file and asks no server; add --set to arm one",
            );
        }
        let path = opts.check_file.as_deref().unwrap_or(Path::new(""));
        return Ok(match check_file(path, cli.json, out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                out.flush()?;
                writeln!(err, "ntpq: leap --check-file: {e:#}")?;
                ExitCode::from(exit_code(&e))
            }
        });
    }
    if opts.set.is_some() && cmd.hosts.len() > 1 {
        return usage(&mut err, "--set changes one server at a time");
    }
    let mut session = match crate::session_for(cli) {
        Ok(s) => s,
        Err(e) => {
            writeln!(err, "ntpq: {e:#}")?;
            return Ok(ExitCode::from(1));
        }
    };
    let hosts = if cmd.hosts.is_empty() {
        vec!["localhost".to_owned()]
    } else {
        cmd.hosts.clone()
    };
    session.host_count = hosts.len();
    let mut status = 0;
    for (i, host) in hosts.iter().enumerate() {
        if i > 0 && !cli.json {
            writeln!(out)?;
        }
        let family = session.family;
        let result = session
            .open_host(host, family)
            .map_err(|e| e.context("cannot resolve host"))
            .and_then(|()| run(&mut session, opts, out));
        if let Err(e) = result {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return Ok(ExitCode::SUCCESS);
            }
            out.flush()?;
            writeln!(err, "ntpq: {host}: {}: {e:#}", title(opts))?;
            status = status.max(exit_code(&e));
        }
        out.flush()?;
    }
    Ok(ExitCode::from(status))
}

/// The shell's `leap [options]` on the current host.
///
/// # Errors
/// Bad options, or as [`run`].
pub fn shell(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    if !inv.ignored.is_empty() {
        bail!(LineError::Usage(format!(
            "leap takes at most four options (write --opt=value); not run because of '{}'",
            inv.ignored.join(" ")
        )));
    }
    let parsed = match ShellLeap::try_parse_from(inv.words()) {
        Ok(p) => p,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            write!(out, "{}", e.render())?;
            return Ok(());
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad options");
            bail!(LineError::Usage(
                first.trim_start_matches("error: ").to_owned()
            ));
        }
    };
    let opts = parsed.opts;
    if opts.set.is_none()
        && let Some(path) = &opts.check_file
    {
        return check_file(path, s.json, out);
    }
    run(s, &opts, out)
}

fn title(opts: &LeapArgs) -> String {
    match opts.set {
        Some(r) => format!("leap --set {r}"),
        None => "leap".to_owned(),
    }
}

/// Shows or sets the current host's leap state.
///
/// # Errors
/// No answer, a refusal, a result not confirmed, or writing failed.
pub fn run(s: &mut Session, opts: &LeapArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    match opts.set {
        None => {
            let state = read_state(s)?;
            let record = state.record(&s.host_name(), now_f64());
            if s.json {
                emit_json(out, &record)
            } else {
                print_status(&record, out)
            }
        }
        Some(request) => set(s, opts, request, out),
    }
}

/// Reads the server's leap variables, telling the daemons apart: ntpd 4.x and NTPsec know
/// `version` and the leap table's variables; xntpd 3 knows neither (UNKNOWNVAR) but has
/// `leapwarning` and `leapindicator`.
fn read_state(s: &mut Session) -> anyhow::Result<ServerLeapState> {
    let pivot = Session::now_unix();
    match s.query(
        ControlOpcode::ReadVariables,
        AssocId::SYSTEM,
        MODERN_VARIABLES,
        false,
    ) {
        Ok(response) => {
            let vars = VarList::parse_partial(&response.data).0;
            let daemon = vars
                .text("version")
                .map_or(LeapDaemon::Unknown, LeapDaemon::from_version);
            Ok(ServerLeapState::from_vars(daemon, &vars, pivot))
        }
        Err(e)
            if matches!(
                e.downcast_ref::<ControlError>(),
                Some(ControlError::Server(ErrorCode::UnknownVariable))
            ) =>
        {
            let response = s
                .query(
                    ControlOpcode::ReadVariables,
                    AssocId::SYSTEM,
                    XNTPD3_VARIABLES,
                    false,
                )
                .context(
                    "the server knows neither ntpd 4.x's leap variables nor xntpd 3's leapwarning",
                )?;
            let vars = VarList::parse_partial(&response.data).0;
            Ok(ServerLeapState::from_vars(LeapDaemon::Xntpd3, &vars, pivot))
        }
        Err(e) => Err(e.context(format!("readvar {MODERN_VARIABLES}"))),
    }
}

/// How `--set` changes this daemon.
enum Method {
    Writevar(Xntpd3Write),
    Leapfile(String),
}

fn plan(
    state: &ServerLeapState,
    opts: &LeapArgs,
    request: LeapRequest,
    now: f64,
) -> Result<Method, LeapPlanError> {
    match state.daemon {
        LeapDaemon::Xntpd3 if opts.leapfile.is_some() => Err(LeapPlanError::LeapfileOnXntpd3),
        LeapDaemon::Xntpd3 => plan_xntpd3(request, state.now(now)).map(Method::Writevar),
        LeapDaemon::Ntpd | LeapDaemon::Ntpsec => opts
            .leapfile
            .clone()
            .map(Method::Leapfile)
            .ok_or(LeapPlanError::NeedsLeapfile(state.daemon)),
        LeapDaemon::Unknown => Err(LeapPlanError::UnknownDaemon(
            state.version.clone().unwrap_or_default(),
        )),
    }
}

fn set(
    s: &mut Session,
    opts: &LeapArgs,
    request: LeapRequest,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let host = s.host_name();
    let now = now_f64();
    let mut file_check = None;
    let mut expected = None;
    if let Some(path) = &opts.check_file {
        let (record, file) = load_and_check(path, now)?;
        let valid = record.report.valid;
        let agrees = valid
            .then(|| expected_from_file(request, &file, now.floor() as i64))
            .transpose();
        file_check = Some(record);
        match agrees {
            Ok(e) => expected = e.flatten(),
            Err(e) => return refuse_file(s, file_check.as_ref(), &e.to_string(), out),
        }
        if !valid {
            return refuse_file(s, file_check.as_ref(), "the checked file is not valid", out);
        }
    }
    let before = read_state(s)?;
    let mut record = LeapSetRecord {
        host: host.clone(),
        command: "leap --set",
        daemon: before.daemon,
        request,
        method: None,
        dry_run: opts.dry_run,
        write: None,
        reply: None,
        ok: false,
        message: String::new(),
        before: before.record(&host, now),
        after: None,
        file_check,
    };
    let method = match plan(&before, opts, request, now) {
        Ok(m) => m,
        Err(e) => {
            record.message = e.to_string();
            emit_set(s, &record, out)?;
            bail!(LeapFailed(record.message));
        }
    };
    let key_id = s.auth.key_id.map(|k| k.0);
    let (opcode, name, payload) = match &method {
        Method::Writevar(w) => (ControlOpcode::WriteVariables, "writevar", w.payload()),
        Method::Leapfile(path) => (
            ControlOpcode::Configure,
            "configure",
            format!("leapfile {path}"),
        ),
    };
    record.method = Some(match method {
        Method::Writevar(_) => "writevar",
        Method::Leapfile(_) => "leapfile",
    });
    record.write = Some(LeapWrite {
        opcode: name,
        assoc_id: 0,
        payload: payload.clone(),
        key_id,
    });
    if key_id.is_none() {
        bail!(NoKey);
    }
    if opts.dry_run {
        record.ok = true;
        record.message = "dry run: nothing sent".to_owned();
        return emit_set(s, &record, out);
    }
    let response = match s.query(opcode, AssocId::SYSTEM, payload.as_str(), true) {
        Ok(r) => r,
        Err(e) => {
            let hint = match (&method, e.downcast_ref::<ControlError>()) {
                (Method::Writevar(_), Some(ControlError::Server(ErrorCode::Permission))) => {
                    " (xntpd 3 refuses when the key is not its controlkey, or when its clock puts the leap outside the window)"
                }
                (_, Some(ControlError::Server(ErrorCode::Permission))) => {
                    " (the key is not the server's controlkey)"
                }
                _ => "",
            };
            return Err(e.context(format!("{name} '{payload}' refused{hint}")));
        }
    };
    let after = read_state(s)?;
    let verdict = match &method {
        Method::Writevar(w) => judge_xntpd3(w, &after),
        Method::Leapfile(_) => {
            let reply = reply_text(&response.data);
            record.reply = Some(reply.clone());
            if reply != "Config Succeeded" {
                record.after = Some(after.record(&host, now));
                record.message = format!("the server did not accept the line: {reply}");
                emit_set(s, &record, out)?;
                bail!(LeapFailed(record.message));
            }
            judge_leapfile(request, &before, &after, expected, now_f64())
        }
    };
    record.after = Some(after.record(&host, now_f64()));
    record.ok = verdict.ok;
    record.message = verdict.message;
    emit_set(s, &record, out)?;
    if !record.ok {
        bail!(LeapFailed(record.message));
    }
    Ok(())
}

fn refuse_file(
    s: &Session,
    check: Option<&LeapFileCheckRecord>,
    why: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if let Some(check) = check {
        if s.json {
            emit_json(out, check)?;
        } else {
            print_file_check(check, out)?;
        }
    }
    bail!(LeapFailed(format!("{why}: nothing sent")))
}

fn reply_text(data: &[u8]) -> String {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    String::from_utf8_lossy(data.get(..end).unwrap_or_default())
        .trim()
        .to_owned()
}

fn load_and_check(path: &Path, now: f64) -> anyhow::Result<(LeapFileCheckRecord, LeapSecondsFile)> {
    // A local file that cannot be read is a failed command (1), not an unreachable host (3).
    let bytes = std::fs::read(path)
        .map_err(|e| LeapFailed(format!("cannot read '{}': {e}", path.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    let file = LeapSecondsFile::parse(&text);
    let now_s = now.floor() as i64;
    let record = LeapFileCheckRecord {
        command: "leap --check-file",
        file: path.display().to_string(),
        checked_at: iso_utc(now_s),
        report: file.check(now_s),
    };
    Ok((record, file))
}

/// `--check-file` alone.
///
/// # Errors
/// The file cannot be read or is not valid ([`LeapFailed`]), or writing failed.
pub fn check_file(path: &Path, json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let (record, _) = load_and_check(path, now_f64())?;
    if json {
        emit_json(out, &record)?;
    } else {
        print_file_check(&record, out)?;
    }
    if !record.report.valid {
        let errors = record
            .report
            .findings
            .iter()
            .filter(|f| f.severity == LeapSeverity::Error)
            .count();
        bail!(LeapFailed(format!(
            "'{}' is not valid: {errors} error{}",
            record.file,
            if errors == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_options_parse_like_the_command_line() {
        let p =
            ShellLeap::try_parse_from(["--set=add", "--leapfile=/srv/leap", "--dry-run"]).unwrap();
        assert_eq!(p.opts.set, Some(LeapRequest::Add));
        assert_eq!(p.opts.leapfile.as_deref(), Some("/srv/leap"));
        assert!(p.opts.dry_run);
        assert!(ShellLeap::try_parse_from(["--dry-run"]).is_err());
        assert!(ShellLeap::try_parse_from(["--set=later"]).is_err());
        assert!(ShellLeap::try_parse_from(["--leapfile=/x"]).is_err());
    }

    #[test]
    fn reply_text_stops_at_nul() {
        assert_eq!(
            reply_text(b"Config Succeeded\r\n\0junk"),
            "Config Succeeded"
        );
        assert_eq!(reply_text(b""), "");
    }
}
