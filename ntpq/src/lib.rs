//! `ntpq`: query and control NTP servers over mode 6 (classic ntpq, plus JSON).
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an output
//! stream so tests can capture what it prints. Commands run through the shared shell
//! (`ntpkit-shell`): from `-c` (each on every host, in order), from a terminal with a prompt,
//! or from a pipe. `ntpq check` and `ntpq serve` (health checks, [`check`]) are subcommands.

pub mod check;
pub mod cli;
pub mod cmd;
pub mod commands;
pub mod session;
pub mod tui;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;
use ntpkit::auth::{KeyId, KeysFile};
use ntpkit::transport::Family;
use ntpkit_shell::{Input, Shell, stdin_is_interactive};

pub use cli::Cli;
use cli::RefidMode;
use commands::{Ntpq, exit_code};
use session::Session;

/// Builds the session the command line asks for.
///
/// # Errors
/// The keys file cannot be read.
pub fn session_for(cli: &Cli) -> anyhow::Result<Session> {
    let mut s = Session::new();
    s.family = if cli.ipv4 {
        Family::V4
    } else if cli.ipv6 {
        Family::V6
    } else {
        Family::Any
    };
    s.hostnames = !cli.numeric;
    s.wide = cli.wide;
    s.old_rv = cli.old_rv;
    s.refid_hash = cli.refid == Some(RefidMode::Hash);
    s.json = cli.json;
    s.units = cli.units;
    s.debug = i32::from(cli.set_debug.unwrap_or(0)) + i32::from(cli.debug);
    if let Some(path) = &cli.keyfile {
        let keys =
            KeysFile::load(path).with_context(|| format!("keys file '{}'", path.display()))?;
        s.auth.keys_file = Some(keys);
    }
    if let Some(id) = cli.keyid {
        s.auth.key_id = Some(KeyId(id));
    }
    Ok(s)
}

/// Runs `ntpq` with parsed arguments, writing results to `out` and errors to standard error.
///
/// # Errors
/// Writing to `out` fails.
pub fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    if let Some(cli::Action::Leap(leap)) = &cli.action {
        return cmd::leap::run_cli(cli, leap, out);
    }
    if let Some(cli::Action::Check(c)) = &cli.action {
        return check::run(cli, c, out);
    }
    if let Some(cli::Action::Serve(s)) = &cli.action {
        return check::serve::run(cli, s, &mut io::stderr());
    }
    let mut err = io::stderr();
    let session = match session_for(cli) {
        Ok(s) => s,
        Err(e) => {
            writeln!(err, "ntpq: {e:#}")?;
            return Ok(ExitCode::from(1));
        }
    };
    let hosts: Vec<String> = if cli.hosts.is_empty() {
        vec!["localhost".to_owned()]
    } else {
        cli.hosts.clone()
    };
    if cli.tui {
        let plan = tui::TuiPlan {
            hosts,
            family: session.family,
            names: session.hostnames,
            timeout: tui::poll::TUI_TIMEOUT,
        };
        if let Err(e) = tui::run(&plan) {
            writeln!(err, "ntpq: {e:#}")?;
            return Ok(ExitCode::FAILURE);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut shell = Shell::new(Ntpq::new(session));
    {
        let s = &mut shell.handler_mut().session;
        s.host_count = hosts.len();
        s.host_width = hosts.iter().map(String::len).max().unwrap_or(0);
    }
    if !cli.commands.is_empty() {
        let mut first_host = true;
        for host in &hosts {
            let family = shell.handler().session.family;
            if let Err(e) = shell.handler_mut().session.open_host(host, family) {
                writeln!(err, "ntpq: {e:#}")?;
                shell.fail(exit_code(&e).max(3));
                continue;
            }
            let json = shell.handler().session.json;
            if !first_host && !json {
                writeln!(out)?;
            }
            first_host = false;
            for (i, command) in cli.commands.iter().enumerate() {
                if i > 0 && !shell.handler().session.json {
                    writeln!(out)?;
                }
                match shell.run_line(command, out, &mut err) {
                    Ok(ntpkit_shell::Flow::Quit) => return Ok(ExitCode::from(shell.status())),
                    Ok(ntpkit_shell::Flow::Continue) => {}
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        return Ok(ExitCode::SUCCESS);
                    }
                    Err(e) => return Err(e.into()),
                }
                out.flush()?;
            }
        }
        return Ok(ExitCode::from(shell.status()));
    }
    if let Some(host) = hosts.first() {
        let family = shell.handler().session.family;
        if let Err(e) = shell.handler_mut().session.open_host(host, family) {
            writeln!(err, "ntpq: {e:#}")?;
        }
    }
    let interactive = cli.interactive || stdin_is_interactive();
    let table = commands::table();
    let mut input = Input::stdin(&table, interactive)?;
    match shell.run_input(&mut input, out, &mut err) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        other => other?,
    }
    Ok(ExitCode::from(shell.status()))
}

/// Parses the process arguments, runs, and maps errors to a one-line message and exit code.
#[must_use]
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_ordered(&args) {
        Ok(cli) => cli,
        Err(e) => return check::exit_on_usage_error(&e, &args),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match run(&cli, &mut out) {
        Ok(code) => code,
        Err(err) => {
            if err
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("ntpq: {err:#}");
            ExitCode::FAILURE
        }
    }
}
