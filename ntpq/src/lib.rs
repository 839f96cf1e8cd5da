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
pub mod debug;
pub mod fleet;
pub mod interrupt;
pub mod link;
pub mod session;
pub mod tui;

use std::io::{self, Write};
use std::process::ExitCode;

use ntpkit::auth::KeyId;
use ntpkit::transport::{Family, Transport};
use ntpkit_shell::{Flow, Input, Shell, stdin_is_interactive};

pub use cli::Cli;
use cli::RefidMode;
use commands::Ntpq;
use fleet::Segment;
use link::Link;
use session::Session;

/// Builds the session the command line asks for. Nothing is looked up or read yet: host names
/// resolve at the first request, the keys file at the first signed one.
///
/// # Errors
/// None at present; kept fallible for settings that may need checking.
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
    // Read at the first signed request, not before: most runs never sign anything.
    s.auth.keys_path.clone_from(&cli.keyfile);
    if let Some(id) = cli.keyid {
        s.auth.key_id = Some(KeyId(id));
    }
    Ok(s)
}

/// The hosts to ask: those on the command line, then those of `-f FILE`; localhost if none.
///
/// # Errors
/// The hosts file cannot be read.
pub fn hosts_of(cli: &Cli) -> anyhow::Result<Vec<String>> {
    let mut hosts = cli.hosts.clone();
    if let Some(path) = &cli.hosts_file {
        hosts.extend(
            fleet::read_hosts(path)
                .map_err(|e| anyhow::anyhow!("hosts file '{}': {e}", path.display()))?,
        );
    }
    if hosts.is_empty() {
        hosts.push("localhost".to_owned());
    }
    Ok(hosts)
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
    let (session, hosts) = match session_for(cli).and_then(|s| Ok((s, hosts_of(cli)?))) {
        Ok(both) => both,
        Err(e) => {
            writeln!(err, "ntpq: {e:#}")?;
            return Ok(ExitCode::from(1));
        }
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
    if !cli.commands.is_empty() && hosts.len() > 1 {
        return run_fleet(cli, &hosts, out);
    }
    let mut shell = Shell::new(Ntpq::new(session));
    label_hosts(&mut shell.handler_mut().session, &hosts);
    if !cli.commands.is_empty() {
        for host in &hosts {
            match run_commands(&mut shell, host, &cli.commands, true, out, &mut err) {
                Ok(Flow::Quit | Flow::Continue) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(ExitCode::from(shell.status()));
    }
    if let Some(host) = hosts.first() {
        let family = shell.handler().session.family;
        shell.handler_mut().session.set_host(host, family);
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

/// What ntpq shows differently when several hosts are asked: `server=` prefixes and the
/// peers table's `server (local)` column.
fn label_hosts(session: &mut Session, hosts: &[String]) {
    session.host_count = hosts.len();
    session.host_width = hosts.iter().map(String::len).max().unwrap_or(0);
}

/// Runs the `-c` commands on one host, in order, with a blank line between commands (and
/// before every host but the first) as ntpq prints them. A host whose name does not resolve
/// gets one error and no more commands.
///
/// # Errors
/// Writing fails.
pub fn run_commands(
    shell: &mut Shell<Ntpq>,
    host: &str,
    commands: &[String],
    first_host: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Flow> {
    let family = shell.handler().session.family;
    shell.handler_mut().session.set_host(host, family);
    if !first_host && !shell.handler().session.json {
        writeln!(out)?;
    }
    for (i, command) in commands.iter().enumerate() {
        if i > 0 && !shell.handler().session.json {
            writeln!(out)?;
        }
        if shell.run_line(command, out, err)? == Flow::Quit {
            return Ok(Flow::Quit);
        }
        out.flush()?;
        if shell.handler().session.unresolvable() {
            break;
        }
    }
    Ok(Flow::Continue)
}

/// Many hosts: each host's commands in a worker of their own, all requests over one socket
/// ([`fleet`]), the results printed in host order as they complete.
fn run_fleet(cli: &Cli, hosts: &[String], out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let template = session_for(cli)?;
    let transport = match Transport::new(template.timeout) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("ntpq: cannot open a UDP socket: {e}");
            return Ok(ExitCode::from(3));
        }
    };
    let mut status = 0;
    let work = |index: usize, host: &str, lane, capture: &fleet::Capture| {
        let Ok(mut session) = session_for(cli) else {
            return 1;
        };
        session.set_link(Link::Shared(lane));
        label_hosts(&mut session, hosts);
        let mut shell = Shell::new(Ntpq::new(session));
        let _ = run_commands(
            &mut shell,
            host,
            &cli.commands,
            index == 0,
            &mut capture.out(),
            &mut capture.err(),
        );
        shell.status()
    };
    let mut stderr = io::stderr();
    let result = fleet::run(hosts, &transport, work, &mut |report| {
        status = status.max(report.status);
        for segment in report.segments {
            match segment {
                Segment::Out(bytes) => out.write_all(&bytes)?,
                Segment::Err(bytes) => {
                    out.flush()?;
                    stderr.write_all(&bytes)?;
                }
            }
        }
        out.flush()
    });
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(ExitCode::from(status)),
    }
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
