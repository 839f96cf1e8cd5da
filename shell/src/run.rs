//! The shell loop: parse a line, answer `help`, open `> file`, run the command through the
//! tool's [`Handler`], report failures on one line and remember the exit status.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use crate::input::Input;
use crate::line::{Invocation, LineError, parse_line};
use crate::table::{CommandSpec, CommandTable, HELP_COMMANDS, Lookup};

/// What the shell does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// Stop (`quit`, `exit`).
    Quit,
}

/// Exit status for a line the shell could not parse (unknown command, bad argument).
pub const USAGE_STATUS: u8 = 2;

/// A tool's side of the shell: its commands and how to run them.
pub trait Handler {
    /// The commands offered.
    fn table(&self) -> &CommandTable;

    /// Runs one parsed command, writing its results to `out` (standard output, or the
    /// `> file` of the line).
    ///
    /// # Errors
    /// The command failed; the shell prints the error on one line and goes on.
    fn execute(&mut self, invocation: &Invocation, out: &mut dyn Write) -> anyhow::Result<Flow>;

    /// The exit status a failure stands for (1 to 255).
    fn exit_code(&self, err: &anyhow::Error) -> u8;

    /// Writes the answer to `help`/`?` once the shell has found the `topic` (`None`: list
    /// every command). The classic text unless a tool gives its own form (ntpdc's JSON).
    ///
    /// # Errors
    /// Writing to `out` fails.
    fn write_help(
        &mut self,
        _invocation: &Invocation,
        topic: Option<&'static CommandSpec>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        out.write_all(self.table().render_help(topic).as_bytes())
    }
}

/// A command shell over a [`Handler`].
#[derive(Debug)]
pub struct Shell<H> {
    handler: H,
    status: u8,
}

impl<H: Handler> Shell<H> {
    /// A shell with exit status 0.
    pub fn new(handler: H) -> Self {
        Self { handler, status: 0 }
    }

    /// The tool's handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The tool's handler, mutably.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// The highest exit status of any failed line so far (0 if none failed).
    pub fn status(&self) -> u8 {
        self.status
    }

    /// Records a failure with `code`, keeping the highest.
    pub fn fail(&mut self, code: u8) {
        self.status = self.status.max(code);
    }

    /// Runs one line. Results go to `out` (or the line's `> file`); parse errors, warnings
    /// and command failures go to `err` as one line each.
    ///
    /// # Errors
    /// Writing to `out` or `err` fails (a closed pipe, typically).
    pub fn run_line(
        &mut self,
        line: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<Flow> {
        let invocation = match parse_line(self.handler.table(), line) {
            Ok(Some(invocation)) => invocation,
            Ok(None) => return Ok(Flow::Continue),
            Err(e) => {
                writeln!(err, "{e}")?;
                self.fail(USAGE_STATUS);
                return Ok(Flow::Continue);
            }
        };
        for token in &invocation.ignored {
            writeln!(err, "***Extra arg `{token}' ignored")?;
        }
        let mut file;
        let target: &mut dyn Write = match &invocation.redirect {
            None => out,
            Some(path) => match File::create(path) {
                Ok(f) => {
                    file = BufWriter::new(f);
                    &mut file
                }
                Err(e) => {
                    writeln!(err, "***Error opening {}: {e}", path.display())?;
                    self.fail(1);
                    return Ok(Flow::Continue);
                }
            },
        };
        let flow = if HELP_COMMANDS.contains(&invocation.command.name) {
            self.help(&invocation, target, err)?;
            Flow::Continue
        } else {
            match self.handler.execute(&invocation, target) {
                Ok(flow) => flow,
                Err(e) => {
                    if let Some(io) = e.downcast_ref::<io::Error>()
                        && io.kind() == io::ErrorKind::BrokenPipe
                    {
                        return Err(io::ErrorKind::BrokenPipe.into());
                    }
                    let code = self.handler.exit_code(&e);
                    writeln!(err, "{}: {e:#}", self.handler.table().tool())?;
                    self.fail(code);
                    Flow::Continue
                }
            }
        };
        target.flush()?;
        Ok(flow)
    }

    /// Runs every line of `input` until its end or [`Flow::Quit`].
    ///
    /// # Errors
    /// Reading input or writing output fails.
    pub fn run_input(
        &mut self,
        input: &mut Input,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<()> {
        while let Some(line) = input.next_line()? {
            if self.run_line(&line, out, err)? == Flow::Quit {
                break;
            }
            out.flush()?;
        }
        Ok(())
    }

    fn help(
        &mut self,
        invocation: &Invocation,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> io::Result<()> {
        let Some(word) = invocation.str_arg(0) else {
            return self.handler.write_help(invocation, None, out);
        };
        match self.handler.table().lookup(word) {
            Lookup::Found(spec) => self.handler.write_help(invocation, Some(spec), out),
            Lookup::Unknown => {
                self.fail(USAGE_STATUS);
                writeln!(err, "Command `{word}' is unknown")
            }
            Lookup::Ambiguous(_) => {
                self.fail(USAGE_STATUS);
                writeln!(err, "Command `{word}' is ambiguous")
            }
        }
    }
}

/// Shorthand for the error a handler returns for a parse-level problem it finds itself
/// (e.g. `&N` beyond the association list): reported like [`LineError`]s.
#[must_use]
pub fn line_error(err: LineError) -> anyhow::Error {
    anyhow::Error::new(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::Arg;
    use crate::table::{ArgKind, ArgSpec, CommandSpec};

    static LIST: [CommandSpec; 3] = [
        CommandSpec {
            name: "echo",
            args: &[ArgSpec::optional("text", ArgKind::Str)],
            help: "print the text",
        },
        CommandSpec {
            name: "fail",
            args: &[ArgSpec::required("code", ArgKind::Uint)],
            help: "fail with a code",
        },
        CommandSpec {
            name: "quit",
            args: &[],
            help: "leave",
        },
    ];

    struct Echo {
        table: CommandTable,
        ran: Vec<String>,
    }

    #[derive(Debug)]
    struct Coded(u8);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "host: fail: code {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl Handler for Echo {
        fn table(&self) -> &CommandTable {
            &self.table
        }

        fn execute(&mut self, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<Flow> {
            self.ran.push(inv.command.name.to_owned());
            match inv.command.name {
                "echo" => {
                    writeln!(out, "{}", inv.str_arg(0).unwrap_or("-"))?;
                    Ok(Flow::Continue)
                }
                "fail" => match inv.arg(0) {
                    Some(Arg::Uint(code)) => Err(Coded(u8::try_from(*code)?).into()),
                    _ => unreachable!(),
                },
                _ => Ok(Flow::Quit),
            }
        }

        fn exit_code(&self, err: &anyhow::Error) -> u8 {
            err.downcast_ref::<Coded>().map_or(1, |c| c.0)
        }
    }

    fn shell() -> Shell<Echo> {
        Shell::new(Echo {
            table: CommandTable::new("tool", &[&LIST]),
            ran: Vec::new(),
        })
    }

    fn run(shell: &mut Shell<Echo>, text: &str) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut input = Input::lines(io::Cursor::new(text.to_owned()));
        shell.run_input(&mut input, &mut out, &mut err).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn runs_lines_until_quit() {
        let mut sh = shell();
        let (out, err) = run(&mut sh, "echo one\n\ne two\nq\necho never\n");
        assert_eq!(out, "one\ntwo\n");
        assert_eq!(err, "");
        assert_eq!(sh.handler().ran, ["echo", "echo", "quit"]);
        assert_eq!(sh.status(), 0);
    }

    #[test]
    fn help_is_answered_by_the_shell() {
        let mut sh = shell();
        let (out, err) = run(&mut sh, "help\n? echo\nhelp zz\n");
        assert_eq!(
            out,
            "tool commands:\n\
             echo  print the text\n\
             fail  fail with a code\n\
             help  list the commands, or describe one\n\
             quit  leave\n\
             function: print the text\nusage: echo [ text ]\n"
        );
        assert_eq!(err, "Command `zz' is unknown\n");
        assert_eq!(sh.status(), USAGE_STATUS);
        assert!(sh.handler().ran.is_empty());
    }

    #[test]
    fn failures_are_one_line_and_keep_the_highest_status() {
        let mut sh = shell();
        let (out, err) = run(&mut sh, "fail 4\nnope\nfail 3\necho still\n");
        assert_eq!(out, "still\n");
        assert_eq!(
            err,
            "tool: host: fail: code 4\n***Command `nope' unknown\ntool: host: fail: code 3\n"
        );
        assert_eq!(sh.status(), 4);
        let mut sh = shell();
        run(&mut sh, "fail\n");
        assert_eq!(sh.status(), USAGE_STATUS);
    }

    #[test]
    fn redirection_to_a_file() {
        let dir = std::env::temp_dir().join(format!("ntpkit-shell-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("out.txt");
        let mut sh = shell();
        let (out, err) = run(
            &mut sh,
            &format!(
                "echo saved > {}\necho shown\nhelp echo >{}x\n",
                file.display(),
                file.display()
            ),
        );
        assert_eq!((out.as_str(), err.as_str()), ("shown\n", ""));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "saved\n");
        let help = std::fs::read_to_string(dir.join("out.txtx")).unwrap();
        assert!(help.starts_with("function: print the text"), "{help}");
        let (_, err) = run(&mut sh, "echo x > /nonexistent-dir/out\n");
        assert!(
            err.starts_with("***Error opening /nonexistent-dir/out: "),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A tool that answers help in its own form.
    struct Json(Echo);

    impl Handler for Json {
        fn table(&self) -> &CommandTable {
            self.0.table()
        }

        fn execute(&mut self, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<Flow> {
            self.0.execute(inv, out)
        }

        fn exit_code(&self, err: &anyhow::Error) -> u8 {
            self.0.exit_code(err)
        }

        fn write_help(
            &mut self,
            invocation: &Invocation,
            topic: Option<&'static CommandSpec>,
            out: &mut dyn Write,
        ) -> io::Result<()> {
            writeln!(
                out,
                "{{\"command\":\"{}\",\"topic\":\"{}\"}}",
                invocation.command.name,
                topic.map_or("", |t| t.name)
            )
        }
    }

    #[test]
    fn a_tool_may_give_help_its_own_form() {
        let mut sh = Shell::new(Json(Echo {
            table: CommandTable::new("tool", &[&LIST]),
            ran: Vec::new(),
        }));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for line in ["help", "? ec", "help zz"] {
            sh.run_line(line, &mut out, &mut err).unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"command\":\"help\",\"topic\":\"\"}\n{\"command\":\"?\",\"topic\":\"echo\"}\n"
        );
        assert_eq!(String::from_utf8(err).unwrap(), "Command `zz' is unknown\n");
        assert_eq!(sh.status(), USAGE_STATUS);
    }
}
