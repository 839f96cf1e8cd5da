//! `ntpdc`: query and configure ntpd over mode 7 private messages (classic ntpdc).
//!
//! The binary is a thin `main` over [`main`]; [`run`] takes parsed arguments and an output
//! stream so tests can capture what it prints. Commands come from `-c` (and `-l`, `-p`, `-s`),
//! from standard input, or from an interactive prompt; each runs against each host in turn.
//! Text goes to the output in the classic layouts; with `--json` each command on each host
//! prints one pretty-printed JSON document (a stream of documents, as ntpq prints them). Errors print one line on stderr,
//! `ntpdc: HOST: COMMAND: what`, and set the exit code (1 server error or failed command,
//! 2 usage, 3 timeout or unreachable, 4 authentication refused).

pub mod cli;
mod commands;
mod error;
mod metered;
mod render;
mod session;

use std::fs::File;
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

use clap::Parser;
use ntpkit::auth::KeysFile;
use ntpkit::transport::Family;
use serde_json::{Value, json};

pub use cli::Cli;
use commands::{Ctx, Lookup};
use error::{CmdError, RunStatus};
use render::View;
use session::{AuthState, Session, Settings, unix_now};

/// Runs commands for one invocation: the session, how results are printed, and the exit
/// status so far.
struct Runner {
    session: Session,
    json: bool,
    status: RunStatus,
    hosts: Vec<(IpAddr, String)>,
}

/// What [`Runner::execute`] tells its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

impl Runner {
    /// Runs one command line; prints its result or its error.
    fn execute(&mut self, line: &str, out: &mut dyn Write) -> std::io::Result<Flow> {
        let mut words = commands::tokenize(line);
        if words.is_empty() {
            return Ok(Flow::Continue);
        }
        // `command args > file` sends the output to a file.
        let mut redirect = None;
        if let Some(at) = words.iter().position(|w| w.starts_with('>')) {
            let target = words[at].trim_start_matches('>').to_owned();
            let rest = words.split_off(at);
            redirect = Some(if target.is_empty() {
                rest.get(1).cloned().unwrap_or_default()
            } else {
                target
            });
        }
        let word = words.remove(0);
        let host = self.session.host().map(|h| h.name.clone());
        let command = match commands::find(&word) {
            Ok(c) => c,
            Err(lookup) => {
                let err = match lookup {
                    Lookup::Unknown => CmdError::Usage("unknown command".into()),
                    Lookup::Ambiguous(all) => {
                        CmdError::Usage(format!("ambiguous command: {}", all.join(", ")))
                    }
                };
                self.report(out, host.as_deref(), &word, &err, &[])?;
                return Ok(Flow::Continue);
            }
        };
        if command.remote && self.session.host().is_none() {
            let err = CmdError::Failed("no host open, use `host'".into());
            self.report(out, None, command.name, &err, &words)?;
            return Ok(Flow::Continue);
        }
        let mut file;
        let sink: &mut dyn Write = match redirect.as_deref() {
            Some("") => {
                let err = CmdError::Usage("no file for redirect".into());
                self.report(out, host.as_deref(), command.name, &err, &[])?;
                return Ok(Flow::Continue);
            }
            Some(path) => match File::create(path) {
                Ok(f) => {
                    file = f;
                    &mut file
                }
                Err(e) => {
                    let err = CmdError::Failed(format!("cannot write '{path}': {e}"));
                    self.report(out, host.as_deref(), command.name, &err, &[])?;
                    return Ok(Flow::Continue);
                }
            },
            None => out,
        };
        let now = unix_now();
        let view = View {
            hostnames: self.session.settings.hostnames,
            now,
            utc_offset: ntpkit::local_time::utc_offset_at(now),
            hosts: &self.hosts,
        };
        let mut ctx = Ctx {
            session: &mut self.session,
            view,
        };
        let result = (command.run)(&mut ctx, &words);
        let exchanges = self.session.take_exchanges();
        for note in self.session.take_notes() {
            eprintln!(
                "ntpdc: {}{}: note: {note}",
                prefix(host.as_deref()),
                command.name
            );
        }
        let host = self.session.host().map(|h| h.name.clone()).or(host);
        match result {
            Ok(output) => {
                if self.json {
                    let doc = json!({
                        "host": host,
                        "command": command.name,
                        "arguments": words,
                        "ok": true,
                        "result": output.json,
                        "exchanges": exchanges,
                    });
                    writeln!(sink, "{doc:#}")?;
                } else {
                    sink.write_all(output.text.as_bytes())?;
                }
                sink.flush()?;
                Ok(if output.quit {
                    Flow::Quit
                } else {
                    Flow::Continue
                })
            }
            Err(err) => {
                let exchanges = serde_json::to_value(exchanges).unwrap_or(Value::Null);
                self.report_with(
                    sink,
                    host.as_deref(),
                    command.name,
                    &words,
                    &err,
                    &exchanges,
                )?;
                Ok(Flow::Continue)
            }
        }
    }

    fn report(
        &mut self,
        out: &mut dyn Write,
        host: Option<&str>,
        command: &str,
        err: &CmdError,
        words: &[String],
    ) -> std::io::Result<()> {
        self.report_with(out, host, command, words, err, &json!([]))
    }

    fn report_with(
        &mut self,
        out: &mut dyn Write,
        host: Option<&str>,
        command: &str,
        words: &[String],
        err: &CmdError,
        exchanges: &Value,
    ) -> std::io::Result<()> {
        eprintln!("ntpdc: {}{command}: {err}", prefix(host));
        self.status.fail(err.exit_code());
        if self.json {
            let doc = json!({
                "host": host,
                "command": command,
                "arguments": words,
                "ok": false,
                "error": { "kind": err.kind(), "message": err.to_string() },
                "exchanges": exchanges,
            });
            writeln!(out, "{doc:#}")?;
            out.flush()?;
        }
        Ok(())
    }
}

fn prefix(host: Option<&str>) -> String {
    host.map(|h| format!("{h}: ")).unwrap_or_default()
}

/// Names from `/etc/hosts`, for `hostnames yes` (ntpkit has no reverse DNS).
fn etc_hosts() -> Vec<(IpAddr, String)> {
    let Ok(text) = std::fs::read_to_string("/etc/hosts") else {
        return Vec::new();
    };
    let mut hosts = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        if let (Some(addr), Some(name)) = (words.next(), words.next())
            && let Ok(ip) = addr.parse::<IpAddr>()
            && !hosts.iter().any(|(a, _)| *a == ip)
        {
            hosts.push((ip, name.to_owned()));
        }
    }
    hosts
}

/// Runs `ntpdc` with parsed arguments, writing results to `out`.
///
/// # Errors
/// Writing to `out` fails, or no UDP socket can be opened.
pub fn run(cli: &Cli, out: &mut impl Write) -> anyhow::Result<ExitCode> {
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
            Ok(file) => auth.keys = Some((path.clone(), file)),
            Err(err) => {
                eprintln!("ntpdc: {err}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    let mut runner = Runner {
        session: Session::new(settings, auth)?,
        json: cli.json,
        status: RunStatus::default(),
        hosts: etc_hosts(),
    };
    let hosts: Vec<String> = if cli.hosts.is_empty() {
        vec!["localhost".to_owned()]
    } else {
        cli.hosts.clone()
    };
    let commands = cli.command_list();
    let out: &mut dyn Write = out;
    if !commands.is_empty() {
        'hosts: for host in &hosts {
            if let Err(err) = runner.session.open(host, None) {
                eprintln!("ntpdc: {host}: {err}");
                runner.status.fail(3);
                continue;
            }
            for command in &commands {
                if hosts.len() > 1 && !runner.json {
                    writeln!(out, "--- {host} ---")?;
                }
                if runner.execute(command, out)? == Flow::Quit {
                    break 'hosts;
                }
            }
        }
        if !cli.interactive {
            return Ok(runner.status.into());
        }
    }
    if runner.session.host().is_none()
        && let Err(err) = runner.session.open(&hosts[0], None)
    {
        eprintln!("ntpdc: {}: {err}", hosts[0]);
    }
    read_commands(&mut runner, out, cli.interactive)?;
    Ok(runner.status.into())
}

/// The shared shell's command table over ntpdc's commands: names and help for its line
/// editor's completion.
fn shell_table() -> ntpkit_shell::CommandTable {
    let lists: Vec<&'static [ntpkit_shell::CommandSpec]> =
        commands::SPECS.iter().map(std::slice::from_ref).collect();
    ntpkit_shell::CommandTable::new("ntpdc", &lists)
}

/// Reads command lines until their end or `quit`: through the shared shell's line editor
/// (prompt `ntpdc> `, history, command completion) on a terminal or with `-i`, plain lines
/// from a pipe.
fn read_commands(
    runner: &mut Runner,
    out: &mut dyn Write,
    interactive: bool,
) -> std::io::Result<()> {
    let table = shell_table();
    let mut input =
        ntpkit_shell::Input::stdin(&table, interactive || ntpkit_shell::stdin_is_interactive())?;
    while let Some(line) = input.next_line()? {
        if runner.execute(&line, out)? == Flow::Quit {
            break;
        }
    }
    Ok(())
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
    fn hosts_file_lines() {
        // Parsing is exercised on whatever /etc/hosts holds; localhost is nearly universal.
        let hosts = etc_hosts();
        assert!(hosts.iter().all(|(_, n)| !n.is_empty()));
    }

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
        assert!(text.contains("usage: peers [-4|-6]"), "{text}");
    }
}
