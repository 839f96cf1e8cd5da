//! Command tables: what each command is called, which arguments it takes, and its help text;
//! lookup by unique prefix and the classic `help` layouts.

use std::fmt::Write as _;

/// How an argument token is interpreted (the classic tools' `NTP_STR`, `NTP_UINT`, `NTP_INT`
/// and `IP_VERSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// Any text.
    Str,
    /// An unsigned decimal number, or `&N` (the N-th cached association, ntpq only).
    Uint,
    /// A signed decimal number.
    Int,
    /// `-4` or `-6`.
    IpVersion,
}

/// One argument of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpec {
    /// The name shown in the usage line (`assocID`, `-4|-6`).
    pub name: &'static str,
    /// How the token is read.
    pub kind: ArgKind,
    /// Whether the argument may be left out (shown in `[ ]`).
    pub optional: bool,
}

impl ArgSpec {
    /// A required argument.
    #[must_use]
    pub const fn required(name: &'static str, kind: ArgKind) -> Self {
        Self {
            name,
            kind,
            optional: false,
        }
    }

    /// An optional argument.
    #[must_use]
    pub const fn optional(name: &'static str, kind: ArgKind) -> Self {
        Self {
            name,
            kind,
            optional: true,
        }
    }
}

/// One command: its full name, arguments and a one-line description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// The full name; any unique prefix selects it.
    pub name: &'static str,
    /// Its arguments, in order (the classic tools allow at most four).
    pub args: &'static [ArgSpec],
    /// What it does, shown by `help <command>`.
    pub help: &'static str,
}

impl CommandSpec {
    /// The `usage:` line: `usage: rv [ assocID ] [ varname1 ]`.
    #[must_use]
    pub fn usage(&self) -> String {
        let mut out = format!("usage: {}", self.name);
        for arg in self.args {
            if arg.optional {
                let _ = write!(out, " [ {} ]", arg.name);
            } else {
                let _ = write!(out, " {}", arg.name);
            }
        }
        out
    }
}

/// The result of looking a word up in a [`CommandTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The word is a command's full name, or a prefix of exactly one command's name.
    Found(&'static CommandSpec),
    /// No command starts with the word.
    Unknown,
    /// Several commands start with the word and none is named exactly that.
    Ambiguous(usize),
}

/// The commands one tool offers, in table order.
#[derive(Debug, Clone)]
pub struct CommandTable {
    tool: &'static str,
    commands: Vec<&'static CommandSpec>,
}

/// Names of the help commands the shell answers itself.
pub const HELP_COMMANDS: [&str; 2] = ["?", "help"];

/// Width of the `help` listing, as in the classic tools.
const SCREEN_WIDTH: usize = 76;

impl CommandTable {
    /// A table for `tool` (used in `<tool> commands:`) from one or more static lists; the
    /// shell's own `?` and `help` entries are added first.
    #[must_use]
    pub fn new(tool: &'static str, lists: &[&'static [CommandSpec]]) -> Self {
        let mut commands: Vec<&'static CommandSpec> = HELP_SPECS.iter().collect();
        commands.extend(lists.iter().flat_map(|list| list.iter()));
        Self { tool, commands }
    }

    /// The tool's name.
    #[must_use]
    pub fn tool(&self) -> &'static str {
        self.tool
    }

    /// Every command, in table order (`?` and `help` first).
    #[must_use]
    pub fn commands(&self) -> &[&'static CommandSpec] {
        &self.commands
    }

    /// Finds a command by its full name or a unique prefix; a full name wins over prefixes
    /// of longer names (`rv` is `rv`, not ambiguous with nothing; `peers` is not `peers…`).
    #[must_use]
    pub fn lookup(&self, word: &str) -> Lookup {
        if word.is_empty() {
            return Lookup::Unknown;
        }
        if let Some(exact) = self.commands.iter().copied().find(|c| c.name == word) {
            return Lookup::Found(exact);
        }
        let mut matches = self
            .commands
            .iter()
            .copied()
            .filter(|c| c.name.starts_with(word));
        match (matches.next(), matches.count()) {
            (None, _) => Lookup::Unknown,
            (Some(only), 0) => Lookup::Found(only),
            (Some(_), more) => Lookup::Ambiguous(more + 1),
        }
    }

    /// Command names starting with `prefix`, sorted, for tab completion.
    #[must_use]
    pub fn completions(&self, prefix: &str) -> Vec<&'static str> {
        let mut names: Vec<_> = self
            .commands
            .iter()
            .map(|c| c.name)
            .filter(|n| n.starts_with(prefix) && *n != "?")
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The `help` listing: `<tool> commands:` and every name but `?`, sorted, in columns
    /// filled top to bottom, each as wide as the longest name plus one.
    #[must_use]
    pub fn render_listing(&self) -> String {
        let names = self.completions("");
        let width = names.iter().map(|n| n.len()).max().unwrap_or(0) + 1;
        let cols = (SCREEN_WIDTH / width).max(1);
        let rows = names.len().div_ceil(cols);
        let mut out = format!("{} commands:\n", self.tool);
        for row in 0..rows {
            for name in names.iter().skip(row).step_by(rows.max(1)) {
                let _ = write!(out, "{name:<width$}");
            }
            out.push('\n');
        }
        out
    }

    /// `help <command>`: `function: …` and the usage line.
    #[must_use]
    pub fn render_command_help(spec: &CommandSpec) -> String {
        format!("function: {}\n{}\n", spec.help, spec.usage())
    }
}

const HELP_ARGS: &[ArgSpec] = &[ArgSpec::optional("command", ArgKind::Str)];

static HELP_SPECS: [CommandSpec; 2] = [
    CommandSpec {
        name: "?",
        args: HELP_ARGS,
        help: "list the commands, or describe one",
    },
    CommandSpec {
        name: "help",
        args: HELP_ARGS,
        help: "list the commands, or describe one",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    static LIST: [CommandSpec; 6] = [
        CommandSpec {
            name: "peers",
            args: &[ArgSpec::optional("-4|-6", ArgKind::IpVersion)],
            help: "show peers",
        },
        CommandSpec {
            name: "passwd",
            args: &[],
            help: "set password",
        },
        CommandSpec {
            name: "rv",
            args: &[
                ArgSpec::optional("assocID", ArgKind::Uint),
                ArgSpec::optional("varname1", ArgKind::Str),
            ],
            help: "read variables",
        },
        CommandSpec {
            name: "readvar",
            args: &[],
            help: "read variables",
        },
        CommandSpec {
            name: "writevar",
            args: &[
                ArgSpec::required("assocID", ArgKind::Uint),
                ArgSpec::required("name=value,[...]", ArgKind::Str),
            ],
            help: "write variables",
        },
        CommandSpec {
            name: "config-from-file",
            args: &[],
            help: "configure from a file",
        },
    ];

    fn table() -> CommandTable {
        CommandTable::new("ntpq", &[&LIST])
    }

    #[test]
    fn lookup_by_name_and_unique_prefix() {
        let t = table();
        let name = |l: Lookup| match l {
            Lookup::Found(c) => c.name,
            other => panic!("{other:?}"),
        };
        assert_eq!(name(t.lookup("peers")), "peers");
        assert_eq!(name(t.lookup("pe")), "peers");
        assert_eq!(name(t.lookup("rv")), "rv");
        assert_eq!(name(t.lookup("w")), "writevar");
        assert_eq!(name(t.lookup("he")), "help");
        assert_eq!(name(t.lookup("?")), "?");
        assert_eq!(t.lookup("p"), Lookup::Ambiguous(2));
        assert_eq!(t.lookup("r"), Lookup::Ambiguous(2));
        assert_eq!(t.lookup("x"), Lookup::Unknown);
        assert_eq!(t.lookup(""), Lookup::Unknown);
        assert_eq!(t.lookup("peersx"), Lookup::Unknown);
    }

    #[test]
    fn usage_lines() {
        let usage: Vec<_> = LIST.iter().map(CommandSpec::usage).collect();
        assert_eq!(usage[0], "usage: peers [ -4|-6 ]");
        assert_eq!(usage[1], "usage: passwd");
        assert_eq!(usage[2], "usage: rv [ assocID ] [ varname1 ]");
        assert_eq!(usage[4], "usage: writevar assocID name=value,[...]");
        assert_eq!(
            CommandTable::render_command_help(&LIST[0]),
            "function: show peers\nusage: peers [ -4|-6 ]\n"
        );
    }

    #[test]
    fn listing_in_sorted_columns() {
        // 7 names (no `?`), widest `config-from-file` (16) → width 17, 4 columns, 2 rows.
        let listing = table().render_listing();
        let want = "ntpq commands:\n\
                    config-from-file passwd           readvar          writevar         \n\
                    help             peers            rv               \n";
        assert_eq!(listing, want);
    }

    #[test]
    fn completions_sorted_without_question_mark() {
        let t = table();
        assert_eq!(t.completions("p"), ["passwd", "peers"]);
        assert_eq!(t.completions("")[0], "config-from-file");
        assert!(t.completions("?").is_empty());
    }
}
