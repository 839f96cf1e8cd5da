//! Command tables: what each command is called, which arguments it takes, and its help text;
//! lookup by unique prefix and the classic `help` layouts.

use std::fmt::Write as _;

use crate::line::MAX_ARGS;

/// How an argument token is interpreted (the classic tools' `NTP_STR`, `NTP_UINT`, `NTP_INT`,
/// `IP_VERSION` and `NTP_ADD`, and ntpdc's extra words).
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
    /// A host name or address; a `-4` or `-6` token in its place chooses the address family
    /// and does not take the place (ntpdc's `NTP_ADD`). The tool resolves it.
    Address,
    /// Every word left on the line up to the dialect's argument limit, each one argument
    /// (ntpdc's trailing options and keywords); a `>` word ends it. Only last in a command.
    Rest,
}

/// How a tool reads its lines: the classic ntpq and ntpdc differ in how many words they read
/// and whether `"` quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Most tokens read from a line (the command, its arguments, `-4`/`-6` before addresses,
    /// `>` and the file name); the rest of the line is dropped unread.
    pub max_tokens: usize,
    /// Most arguments a command is given, the words of an [`ArgKind::Rest`] included.
    pub max_args: usize,
    /// Whether `"…"` makes one token of several words.
    pub quotes: bool,
}

impl Dialect {
    /// ntpq 4.2.8: a command, four arguments and `> file`; quotes group words.
    pub const NTPQ: Self = Self {
        max_tokens: 1 + MAX_ARGS + 2,
        max_args: MAX_ARGS,
        quotes: true,
    };

    /// ntpdc 4.2.8: a command, a `-4`/`-6`, four declared and ten more arguments, and
    /// `> file` (18 tokens, 14 arguments); no quoting.
    pub const NTPDC: Self = Self {
        max_tokens: 1 + 1 + MAX_ARGS + 10 + 2,
        max_args: MAX_ARGS + 10,
        quotes: false,
    };
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
    /// Its arguments, in order (the classic tools declare at most four, the last of which may
    /// be an [`ArgKind::Rest`]).
    pub args: &'static [ArgSpec],
    /// What it does, shown by `help <command>`.
    pub help: &'static str,
}

impl CommandSpec {
    /// The `usage:` line: `usage: rv [ assocID ] [ varname1 ]`.
    #[must_use]
    pub fn usage(&self) -> String {
        format!("usage: {}{}", self.name, self.synopsis())
    }

    /// The arguments as the usage line shows them, each after a space; `[ -4|-6 ]` before the
    /// first address, as ntpdc shows it.
    #[must_use]
    pub fn synopsis(&self) -> String {
        let mut out = String::new();
        let mut family_shown = false;
        for arg in self.args {
            if arg.kind == ArgKind::Address && !family_shown {
                out.push_str(" [ -4|-6 ]");
                family_shown = true;
            }
            if arg.optional {
                let _ = write!(out, " [ {} ]", arg.name);
            } else {
                let _ = write!(out, " {}", arg.name);
            }
        }
        out
    }
}

/// Short constructors for the static command tables the tools write.
pub mod build {
    use super::{ArgKind, ArgSpec, CommandSpec};

    /// An optional argument: [`ArgSpec::optional`].
    #[must_use]
    pub const fn opt(name: &'static str, kind: ArgKind) -> ArgSpec {
        ArgSpec::optional(name, kind)
    }

    /// A required argument: [`ArgSpec::required`].
    #[must_use]
    pub const fn req(name: &'static str, kind: ArgKind) -> ArgSpec {
        ArgSpec::required(name, kind)
    }

    /// A command.
    #[must_use]
    pub const fn spec(
        name: &'static str,
        args: &'static [ArgSpec],
        help: &'static str,
    ) -> CommandSpec {
        CommandSpec { name, args, help }
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
    dialect: Dialect,
    commands: Vec<&'static CommandSpec>,
}

/// Names of the help commands the shell answers itself.
pub const HELP_COMMANDS: [&str; 2] = ["?", "help"];

impl CommandTable {
    /// A table for `tool` (used in `<tool> commands:`) from one or more static lists, read in
    /// ntpq's [`Dialect`]; the shell's own `?` and `help` entries are added first.
    #[must_use]
    pub fn new(tool: &'static str, lists: &[&'static [CommandSpec]]) -> Self {
        let mut commands: Vec<&'static CommandSpec> = HELP_SPECS.iter().collect();
        commands.extend(lists.iter().flat_map(|list| list.iter()));
        Self {
            tool,
            dialect: Dialect::NTPQ,
            commands,
        }
    }

    /// The same table read in another dialect.
    #[must_use]
    pub fn with_dialect(self, dialect: Dialect) -> Self {
        Self { dialect, ..self }
    }

    /// The tool's name.
    #[must_use]
    pub fn tool(&self) -> &'static str {
        self.tool
    }

    /// How lines are read and help is laid out.
    #[must_use]
    pub fn dialect(&self) -> &Dialect {
        &self.dialect
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

    /// The `help` listing: `<tool> commands:`, then every command but `?`, sorted as the
    /// classic tools sort them, one a line with its one-line description.
    ///
    /// The classic tools print bare names in columns; ntpkit names each command's purpose
    /// so that `help` alone says what every command does (`help <command>` adds its usage).
    #[must_use]
    pub fn render_listing(&self) -> String {
        let mut out = format!("{} commands:\n", self.tool);
        out.push_str(&self.describe_commands(""));
        out
    }

    /// Every command but `?`, sorted, one a line: `indent`, the name padded to the longest
    /// name plus two spaces, and its one-line description. Used by `help` and by the tools'
    /// `--help`.
    #[must_use]
    pub fn describe_commands(&self, indent: &str) -> String {
        let names = self.completions("");
        let width = names.iter().map(|n| n.len()).max().unwrap_or(0) + 2;
        let mut out = String::new();
        for name in names {
            let help = self
                .commands
                .iter()
                .find(|c| c.name == name)
                .map_or("", |c| c.help);
            let line = format!("{indent}{name:<width$}{help}");
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }

    /// The text the tools append to `--help`: every command with its one-line description,
    /// under a heading that says where commands are given.
    #[must_use]
    pub fn render_help_section(&self) -> String {
        format!(
            "Commands (with -c, at the `{tool}>` prompt or on standard input; any unique\n\
             prefix selects one; `help COMMAND` shows its arguments):\n{list}",
            tool = self.tool,
            list = self.describe_commands("  ")
        )
    }

    /// `help <command>`: `function: …` and the usage line.
    #[must_use]
    pub fn render_command_help(spec: &CommandSpec) -> String {
        format!("function: {}\n{}\n", spec.help, spec.usage())
    }

    /// The answer to `help` (`topic` `None`) or `help <topic>`.
    #[must_use]
    pub fn render_help(&self, topic: Option<&CommandSpec>) -> String {
        topic.map_or_else(|| self.render_listing(), Self::render_command_help)
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
    fn listing_one_command_a_line_with_its_description() {
        // 7 names (no `?`), widest `config-from-file` (16) → descriptions at column 18.
        let listing = table().render_listing();
        let want = "ntpq commands:\n\
                    config-from-file  configure from a file\n\
                    help              list the commands, or describe one\n\
                    passwd            set password\n\
                    peers             show peers\n\
                    readvar           read variables\n\
                    rv                read variables\n\
                    writevar          write variables\n";
        assert_eq!(listing, want);
        assert_eq!(table().render_help(None), listing);
        let section = table().render_help_section();
        assert!(section.starts_with("Commands (with -c, at the `ntpq>` prompt"));
        assert!(
            section.ends_with("\n  writevar          write variables\n"),
            "{section}"
        );
    }

    #[test]
    fn completions_sorted_without_question_mark() {
        let t = table();
        assert_eq!(t.completions("p"), ["passwd", "peers"]);
        assert_eq!(t.completions("")[0], "config-from-file");
        assert!(t.completions("?").is_empty());
    }

    #[test]
    fn ntpdc_listing_and_command_help() {
        static ONE: [CommandSpec; 1] = [CommandSpec {
            name: "untrustedkey",
            args: &[ArgSpec::required("keyid ...", ArgKind::Rest)],
            help: "mark keys as not trusted",
        }];
        let ntpdc = CommandTable::new("ntpdc", &[&ONE]).with_dialect(Dialect::NTPDC);
        assert_eq!(
            ntpdc.render_help(None),
            "ntpdc commands:\n\
             help          list the commands, or describe one\n\
             untrustedkey  mark keys as not trusted\n"
        );
        assert_eq!(
            ntpdc.render_help(Some(&ONE[0])),
            "function: mark keys as not trusted\nusage: untrustedkey keyid ...\n"
        );
    }
}
