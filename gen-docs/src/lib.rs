//! gen-docs: ntpkit's man pages and shell completions, generated from the tools' own
//! definitions so that they never drift from the code.
//!
//! Everything a page says about options, subcommands and interactive commands comes from the
//! tools themselves: each binary's clap [`Command`] (its `Cli`) and, for `ntpq` and `ntpdc`,
//! the command table their shell runs ([`CommandTable`]). A feature that adds an option, a
//! subcommand or a shell command appears in the man page and the completions without a change
//! here. What clap cannot know is kept in [`TOOLS`] (files and examples, checked by this crate's
//! tests against the same definitions) and in `docs/exit-codes.md` (the EXIT STATUS sections,
//! read from its tables; see [`exit_codes`]).
//!
//! `cargo run -p gen-docs -- man DIR` writes `DIR/man1/*.1`; `… completions DIR` writes
//! `DIR/bash/<bin>`, `DIR/zsh/_<bin>` and `DIR/fish/<bin>.fish`; `… all DIR` both.

pub mod complete;
pub mod exit_codes;
pub mod man;
pub mod pages;

use clap::{Command, CommandFactory};
use ntpkit_shell::CommandTable;

/// One example for a man page: what it does and the command line.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// One sentence.
    pub what: &'static str,
    /// The command line, as typed in a POSIX shell.
    pub line: &'static str,
}

/// A file a tool reads or writes, beyond paths that are option defaults (those are listed
/// from the clap definition itself).
#[derive(Debug, Clone, Copy)]
pub struct File {
    /// The path, or a pattern in the tool's own terms.
    pub path: &'static str,
    /// What it is for.
    pub what: &'static str,
}

/// One ntpkit binary.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// The binary's name.
    pub bin: &'static str,
    /// The Cargo package that builds it.
    pub package: &'static str,
    /// Its clap definition.
    pub command: fn() -> Command,
    /// Its interactive command table, for tools with a shell.
    pub table: Option<fn() -> CommandTable>,
    /// Files it uses.
    pub files: &'static [File],
    /// Examples for the man page.
    pub examples: &'static [Example],
}

impl Tool {
    /// The clap definition, built (every argument and subcommand final, `help` included).
    #[must_use]
    pub fn built_command(&self) -> Command {
        let mut cmd = (self.command)().bin_name(self.bin);
        cmd.build();
        cmd
    }

    /// The argument taking shell commands (`-c`), for tools with a command table.
    #[must_use]
    pub fn command_arg(&self) -> Option<clap::Id> {
        self.table?;
        (self.command)()
            .get_arguments()
            .find(|a| a.get_short() == Some('c') && a.get_action().takes_values())
            .map(|a| a.get_id().clone())
    }

    /// The docs page about the tool, `docs/<bin>.md`.
    #[must_use]
    pub fn page(&self) -> String {
        format!("{}.md", self.bin)
    }
}

const KEYS: File = File {
    path: "ntp.keys",
    what: "symmetric keys file (ntpd's `keys` file: `ID TYPE SECRET` lines) given with -k; \
           authenticated requests use the key chosen with -a or `keyid`",
};

/// Every ntpkit binary, in the order the README lists them.
pub static TOOLS: [Tool; 6] = [
    Tool {
        bin: "ntpq",
        package: "ntpq",
        command: ntpq::Cli::command,
        table: Some(ntpq::commands::table),
        files: &[KEYS],
        examples: &[
            Example {
                what: "The peers billboard of the local daemon, addresses numeric.",
                line: "ntpq -n -p",
            },
            Example {
                what: "Two system variables of two servers.",
                line: "ntpq -c \"rv 0 offset,stratum\" ntp1.example.net ntp2.example.net",
            },
            Example {
                what: "The associations and the system counters, as JSON.",
                line: "ntpq --json -c associations -c sysstats time.example.net",
            },
            Example {
                what: "Add a server at run time, authenticated with key 1 of a keys file.",
                line: "ntpq -k /etc/ntp.keys -a 1 -c \":config server 192.0.2.7 iburst\" localhost",
            },
            Example {
                what: "The clients a server has seen, busiest first (the MRU list).",
                line: "ntpq -n -c \"mrulist sort=-count\" time.example.net",
            },
        ],
    },
    Tool {
        bin: "ntpdc",
        package: "ntpdc",
        command: ntpdc::Cli::command,
        table: Some(ntpdc::command_table),
        files: &[KEYS],
        examples: &[
            Example {
                what: "The associations of a server with mode 7 enabled.",
                line: "ntpdc -n -p time.example.net",
            },
            Example {
                what: "System information and packet counters, as JSON.",
                line: "ntpdc --json -c sysinfo -c sysstats time.example.net",
            },
            Example {
                what: "Add a server, signed with the server's requestkey 1.",
                line: "ntpdc -k /etc/ntp.keys -a 1 -c \"addserver 192.0.2.7 iburst\" localhost",
            },
        ],
    },
    Tool {
        bin: "ntptrace",
        package: "ntptrace",
        command: ntptrace::Cli::command,
        table: None,
        files: &[],
        examples: &[
            Example {
                what: "Follow the path from a server up to its primary source, addresses only.",
                line: "ntptrace -n time.example.net",
            },
            Example {
                what: "Only the first two hosts of the path.",
                line: "ntptrace -m 2 time.example.net",
            },
            Example {
                what: "Every hop with every value, how it was read and why the walk stopped, as JSON.",
                line: "ntptrace -n --json time.example.net",
            },
        ],
    },
    Tool {
        bin: "ntpdate",
        package: "ntpdate",
        command: ntpdate::Cli::command,
        table: None,
        files: &[File {
            path: "/etc/ntp.keys",
            what: "keys file read for -a (another with -k)",
        }],
        examples: &[
            Example {
                what: "Offsets of three servers, without touching the clock.",
                line: "ntpdate -q 0.pool.example.net 1.pool.example.net 2.pool.example.net",
            },
            Example {
                what: "Set the clock from two servers, never stepping it backwards.",
                line: "ntpdate --no-step-back time1.example.net time2.example.net",
            },
            Example {
                what: "Authenticated query with key 3 of the default keys file, as JSON.",
                line: "ntpdate -q -a 3 --json time.example.net",
            },
            Example {
                what: "Measure the local clock's frequency error over ten minutes.",
                line: "ntpdate -q --drift 600 time.example.net",
            },
        ],
    },
    Tool {
        bin: "ntp-keygen",
        package: "keygen",
        command: keygen::Cli::command,
        table: None,
        files: &[
            File {
                path: "ntpkey_MD5key_<host>.<NTP seconds>",
                what: "the generated keys file (mode 0600)",
            },
            File {
                path: "ntp.keys",
                what: "symbolic link to the newest generated file",
            },
        ],
        examples: &[
            Example {
                what: "The classic file: 10 MD5 and 10 SHA1 keys, linked from ntp.keys.",
                line: "ntp-keygen -M",
            },
            Example {
                what: "Five AES-CMAC keys numbered from 100 to a file, with the ntp.conf lines.",
                line: "ntp-keygen -t aes128cmac -n 5 --first-id 100 -o fleet.keys --config",
            },
            Example {
                what: "Check keys files for mistakes ntpd would silently accept.",
                line: "ntp-keygen --check /etc/ntp.keys",
            },
            Example {
                what: "Convert a keys file for chrony.",
                line: "ntp-keygen --chrony /etc/ntp.keys",
            },
        ],
    },
    Tool {
        bin: "authspeed",
        package: "authspeed",
        command: authspeed::Cli::command,
        table: None,
        files: &[],
        examples: &[
            Example {
                what: "The cost of every key type, with built-in sample keys.",
                line: "authspeed",
            },
            Example {
                what: "MD5 keys of a keys file, 100000 operations, as JSON.",
                line: "authspeed -m -n 100000 --json /etc/ntp.keys",
            },
        ],
    },
];

/// The tool building binary `bin`.
#[must_use]
pub fn tool(bin: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.bin == bin)
}

/// The names of every interactive command of a table except the `?` alias of `help`.
#[must_use]
pub fn command_names(table: &CommandTable) -> Vec<&'static str> {
    table.completions("")
}

/// `cmd` and every subcommand below it (not clap's `help`), each with its path of names
/// (`["ntpq"]`, `["ntpq", "check"]`).
#[must_use]
pub fn walk(cmd: &Command) -> Vec<(Vec<String>, Command)> {
    fn visit(path: &[String], cmd: &Command, out: &mut Vec<(Vec<String>, Command)>) {
        out.push((path.to_vec(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" || sub.is_hide_set() {
                continue;
            }
            let mut p = path.to_vec();
            p.push(sub.get_name().to_owned());
            visit(&p, sub, out);
        }
    }
    let mut out = Vec::new();
    visit(&[cmd.get_name().to_owned()], cmd, &mut out);
    out
}
