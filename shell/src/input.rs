//! Where command lines come from: a line editor with history and completion on a terminal,
//! plain lines from a pipe or file otherwise; and secrets read without echo.

use std::io::{self, BufRead, IsTerminal};

use rustyline::completion::Completer;
use rustyline::config::Config;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::MemHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};

use crate::table::CommandTable;

/// Completes command names in the first word of a line.
#[derive(Debug, Clone)]
pub struct CommandCompleter {
    table: CommandTable,
}

impl Completer for CommandCompleter {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = line.get(..pos).unwrap_or(line);
        let start = before.len() - before.trim_start().len();
        let word = &before[start..];
        if word.contains(char::is_whitespace) {
            return Ok((pos, Vec::new()));
        }
        let names = self.table.completions(word);
        Ok((start, names.into_iter().map(str::to_owned).collect()))
    }
}

impl Hinter for CommandCompleter {
    type Hint = String;
}

impl Highlighter for CommandCompleter {}

impl Validator for CommandCompleter {}

impl Helper for CommandCompleter {}

/// A source of command lines.
pub enum Input {
    /// A terminal: prompt, line editing, history (this session), tab completion.
    Editor {
        /// The editor.
        editor: Box<Editor<CommandCompleter, MemHistory>>,
        /// The prompt, e.g. `ntpq> `.
        prompt: String,
    },
    /// Lines read as they are, with no prompt (a pipe, a file, a test).
    Lines(Box<dyn BufRead>),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Editor { prompt, .. } => {
                f.debug_struct("Editor").field("prompt", prompt).finish()
            }
            Self::Lines(_) => f.write_str("Lines"),
        }
    }
}

/// Whether a person is at the keyboard: standard input and standard error are terminals (the
/// classic tools' rule for going interactive).
#[must_use]
pub fn stdin_is_interactive() -> bool {
    io::stdin().is_terminal() && io::stderr().is_terminal()
}

impl Input {
    /// A line editor prompting `<tool>> ` and completing names from `table`.
    ///
    /// # Errors
    /// The terminal cannot be set up.
    pub fn editor(table: &CommandTable) -> io::Result<Self> {
        let config = Config::builder().auto_add_history(true).build();
        let mut editor = Editor::with_history(config, MemHistory::new()).map_err(to_io)?;
        editor.set_helper(Some(CommandCompleter {
            table: table.clone(),
        }));
        Ok(Self::Editor {
            editor: Box::new(editor),
            prompt: format!("{}> ", table.tool()),
        })
    }

    /// Lines from any reader, without a prompt.
    #[must_use]
    pub fn lines(reader: impl BufRead + 'static) -> Self {
        Self::Lines(Box::new(reader))
    }

    /// Standard input: the editor when `interactive`, else plain lines.
    ///
    /// # Errors
    /// The terminal cannot be set up.
    pub fn stdin(table: &CommandTable, interactive: bool) -> io::Result<Self> {
        if interactive {
            Self::editor(table)
        } else {
            Ok(Self::lines(io::BufReader::new(io::stdin())))
        }
    }

    /// The next line without its line end; `None` at end of input. Ctrl-C at the prompt
    /// gives an empty line, as it abandons only the line being typed.
    ///
    /// # Errors
    /// Reading fails.
    pub fn next_line(&mut self) -> io::Result<Option<String>> {
        match self {
            Self::Editor { editor, prompt } => match editor.readline(prompt) {
                Ok(line) => Ok(Some(line)),
                Err(ReadlineError::Interrupted) => Ok(Some(String::new())),
                Err(ReadlineError::Eof) => Ok(None),
                Err(err) => Err(to_io(err)),
            },
            Self::Lines(reader) => {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(None);
                }
                let trimmed = line.trim_end_matches(['\n', '\r']).len();
                line.truncate(trimmed);
                Ok(Some(line))
            }
        }
    }
}

fn to_io(err: ReadlineError) -> io::Error {
    match err {
        ReadlineError::Io(io) => io,
        other => io::Error::other(other.to_string()),
    }
}

/// Reads a secret from the controlling terminal without echo (`passwd`, `Keyid:` prompts).
///
/// # Errors
/// There is no terminal to read from.
pub fn read_secret(prompt: &str) -> io::Result<String> {
    rpassword::prompt_password(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{ArgKind, ArgSpec, CommandSpec};

    #[test]
    fn plain_lines() {
        let mut input = Input::lines(io::Cursor::new("rv 0\r\n\npeers\nlast"));
        let mut got = Vec::new();
        while let Some(line) = input.next_line().unwrap() {
            got.push(line);
        }
        assert_eq!(got, ["rv 0", "", "peers", "last"]);
    }

    #[test]
    fn completes_the_first_word_only() {
        static LIST: [CommandSpec; 2] = [
            CommandSpec {
                name: "peers",
                args: &[ArgSpec::optional("-4|-6", ArgKind::IpVersion)],
                help: "",
            },
            CommandSpec {
                name: "pstats",
                args: &[],
                help: "",
            },
        ];
        let helper = CommandCompleter {
            table: CommandTable::new("ntpq", &[&LIST]),
        };
        let history = MemHistory::new();
        let ctx = Context::new(&history);
        assert_eq!(
            helper.complete("  p", 3, &ctx).unwrap(),
            (2, vec!["peers".to_owned(), "pstats".to_owned()])
        );
        assert_eq!(
            helper.complete("he", 2, &ctx).unwrap(),
            (0, vec!["help".to_owned()])
        );
        assert_eq!(helper.complete("peers -", 7, &ctx).unwrap().1.len(), 0);
    }
}
