//! `ntpdc`: query and configure ntpd over mode 7 private messages (classic ntpdc).
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an output
//! stream so tests can capture what it prints. Commands run through the shell ntpq shares
//! (`ntpkit-shell`, in ntpdc's dialect: up to 18 words a line): from `-c` (and `-l`, `-p`,
//! `-s`) on each host in turn, from a terminal with a prompt, or from a pipe. Text goes to the
//! output in the classic layouts; with `--json` each command on each host prints one
//! pretty-printed JSON document (a stream of documents, as ntpq prints them). Errors print one
//! line on stderr, `ntpdc: HOST: COMMAND: what`, and set the exit code (1 server error or
//! failed command, 2 usage, 3 timeout or unreachable, 4 authentication refused).

pub mod cli;
mod commands;
mod error;
mod metered;
mod render;
mod session;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::anyhow;
use clap::Parser;
use ntpkit::auth::KeysFile;
use ntpkit::transport::Family;
use ntpkit_shell::{
    CommandSpec, CommandTable, Flow, Handler, Input, Invocation, Shell, stdin_is_interactive,
};
use serde_json::{Value, json};

pub use cli::Cli;
use commands::Ctx;
use error::CmdError;
use render::{Names, View};
use session::{AuthState, Session, Settings, unix_now};

/// Reverse lookups for `hostnames yes` give up after this long (the address is shown then).
const NAME_LOOKUP_BOUND: std::time::Duration = std::time::Duration::from_millis(300);

/// ntpdc's side of the shared shell: the session, how results are printed, and the names
/// `hostnames yes` shows.
struct Ntpdc {
    session: Session,
    json: bool,
    names: Names,
    table: CommandTable,
}

impl Ntpdc {
    /// The JSON document of one command: the envelope and its result or error.
    fn document(
        host: Option<&str>,
        invocation: &Invocation,
        outcome: Result<&Value, &CmdError>,
        exchanges: &Value,
    ) -> Value {
        let mut doc = json!({
            "host": host,
            "command": invocation.command.name,
            "arguments": invocation.words(),
            "ok": outcome.is_ok(),
            "exchanges": exchanges,
        });
        match outcome {
            Ok(result) => doc["result"] = result.clone(),
            Err(err) => {
                doc["error"] = json!({ "kind": err.kind(), "message": err.to_string() });
            }
        }
        doc
    }
}

impl Handler for Ntpdc {
    fn table(&self) -> &CommandTable {
        &self.table
    }

    /// Runs one command on the current host; prints its result, or its JSON error document
    /// and returns the error for the shell to report.
    fn execute(&mut self, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<Flow> {
        let name = inv.command.name;
        let command = commands::command(name).ok_or_else(|| anyhow!("{name}: no such command"))?;
        let host = self.session.host().map(|h| h.name.clone());
        let result = if command.remote && host.is_none() {
            Err(CmdError::Failed("no host open, use `host'".into()))
        } else {
            let now = unix_now();
            let mut ctx = Ctx {
                view: View {
                    hostnames: self.session.settings.hostnames,
                    now,
                    utc_offset: ntpkit::local_time::utc_offset_at(now),
                    names: &self.names,
                },
                session: &mut self.session,
            };
            (command.run)(&mut ctx, &inv.words())
        };
        let exchanges = self.session.take_exchanges();
        let prefix = host.as_ref().map(|h| format!("{h}: ")).unwrap_or_default();
        for note in self.session.take_notes() {
            eprintln!("ntpdc: {prefix}{name}: note: {note}");
        }
        let host = self.session.host().map(|h| h.name.clone()).or(host);
        let exchanges = serde_json::to_value(exchanges).unwrap_or(Value::Null);
        match result {
            Ok(output) => {
                if self.json {
                    let doc = Self::document(host.as_deref(), inv, Ok(&output.json), &exchanges);
                    writeln!(out, "{doc:#}")?;
                } else {
                    out.write_all(output.text.as_bytes())?;
                }
                Ok(if output.quit {
                    Flow::Quit
                } else {
                    Flow::Continue
                })
            }
            Err(err) => {
                if self.json {
                    let doc = Self::document(host.as_deref(), inv, Err(&err), &exchanges);
                    writeln!(out, "{doc:#}")?;
                }
                Err(anyhow::Error::new(err).context(format!("{prefix}{name}")))
            }
        }
    }

    fn exit_code(&self, err: &anyhow::Error) -> u8 {
        err.downcast_ref::<CmdError>()
            .map_or(1, CmdError::exit_code)
    }

    /// The classic text, or with `--json` a document whose result lists the commands (or
    /// describes the one asked about).
    fn write_help(
        &mut self,
        invocation: &Invocation,
        topic: Option<&'static CommandSpec>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        if !self.json {
            return out.write_all(self.table.render_help(topic).as_bytes());
        }
        let describe = |c: &CommandSpec| json!({ "name": c.name, "usage": c.synopsis().trim_start(), "help": c.help });
        let result = match topic {
            Some(c) => describe(c),
            None => {
                let commands: Vec<Value> = self
                    .table
                    .commands()
                    .iter()
                    .filter(|c| c.name != "?")
                    .map(|c| describe(c))
                    .collect();
                json!({ "commands": commands })
            }
        };
        let host = self.session.host().map(|h| h.name.clone());
        let doc = Self::document(host.as_deref(), invocation, Ok(&result), &json!([]));
        writeln!(out, "{doc:#}")
    }
}

/// ntpdc's command table (for documentation generators and tests).
#[must_use]
pub fn command_table() -> CommandTable {
    commands::table()
}

/// Runs `ntpdc` with parsed arguments, writing results to `out` and errors to standard error.
///
/// # Errors
/// Writing to `out` fails, or no UDP socket can be opened.
pub fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let mut err = io::stderr();
    let settings = Settings {
        hostnames: !cli.numeric,
        debug: cli.set_debug.unwrap_or(u32::from(cli.debug)),
        family: if cli.ipv4 {
            Family::V4
        } else if cli.ipv6 {
            Family::V6
        } else {
            Family::Any
        },
        ..Settings::default()
    };
    let mut auth = AuthState {
        keyid: cli.keyid,
        ..AuthState::default()
    };
    if let Some(path) = &cli.keyfile {
        match KeysFile::load(path) {
            Ok(file) => {
                if let Some(exposure) = ntpkit::auth::KeysExposure::of_file(path) {
                    writeln!(err, "ntpdc: warning: {}: {exposure}", path.display())?;
                }
                auth.keys = Some((path.clone(), file));
            }
            Err(e) => {
                writeln!(err, "ntpdc: {e}")?;
                return Ok(ExitCode::from(1));
            }
        }
    }
    let json = cli.json;
    let mut shell = Shell::new(Ntpdc {
        session: Session::new(settings, auth)?,
        json,
        names: Names::new(NAME_LOOKUP_BOUND),
        table: commands::table(),
    });
    let hosts: Vec<String> = if cli.hosts.is_empty() {
        vec!["localhost".to_owned()]
    } else {
        cli.hosts.clone()
    };
    let commands = cli.command_list();
    let out: &mut dyn Write = out;
    if !commands.is_empty() {
        'hosts: for host in &hosts {
            if let Err(e) = shell.handler_mut().session.open(host, None) {
                writeln!(err, "ntpdc: {host}: {e}")?;
                shell.fail(3);
                continue;
            }
            for command in &commands {
                if hosts.len() > 1 && !json {
                    writeln!(out, "--- {host} ---")?;
                }
                if shell.run_line(command, out, &mut err)? == Flow::Quit {
                    break 'hosts;
                }
            }
        }
        if !cli.interactive {
            return Ok(ExitCode::from(shell.status()));
        }
    }
    if shell.handler().session.host().is_none()
        && let Err(e) = shell.handler_mut().session.open(&hosts[0], None)
    {
        writeln!(err, "ntpdc: {}: {e}", hosts[0])?;
    }
    // On a terminal (or with -i): the shell's line editor, prompt `ntpdc> `, history and
    // command completion; from a pipe, plain lines.
    let interactive = cli.interactive || stdin_is_interactive();
    let mut input = Input::stdin(shell.handler().table(), interactive)?;
    shell.run_input(&mut input, out, &mut err)?;
    Ok(ExitCode::from(shell.status()))
}

/// Parses the process arguments, runs, and maps errors to a one-line message and exit code.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli, &mut std::io::stdout().lock()) {
        Ok(code) => code,
        Err(err) => {
            let broken_pipe = err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe);
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("ntpdc: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_table_answers_help() {
        let cli = Cli::parse_from(["ntpdc", "-n", "-c", "help", "-c", "help peers", "127.0.0.1"]);
        let mut out = Vec::new();
        let code = run(&cli, &mut out).unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("ntpdc commands:\n"), "{text}");
        assert!(
            text.contains("function: summary of every association"),
            "{text}"
        );
        assert!(text.contains("usage: peers [ -4|-6 ]"), "{text}");
    }
}
