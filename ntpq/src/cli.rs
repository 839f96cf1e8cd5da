//! The command line (clap) and the plan resolved from it.

use std::path::PathBuf;

use clap::{ArgAction, ArgMatches, CommandFactory, FromArgMatches, Parser, ValueEnum};

/// Tasks that are not classic commands.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Leap seconds: show them coming, set the warning bits, check a leap-seconds file.
    Leap(crate::cmd::leap::LeapCommand),
    /// Check servers like a monitoring plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Check(crate::check::CheckCommand),
    /// Serve the check's metrics over HTTP for Prometheus (each scrape asks the servers).
    Serve(crate::check::ServeCommand),
}

/// How address refids are shown (ntpq 4.2.8p15's `drefid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RefidMode {
    /// Dotted quad.
    Ipv4,
    /// ntpd's 32-bit hash in hex.
    Hash,
}

/// Command line of `ntpq`.
#[derive(Debug, Parser)]
#[command(
    name = "ntpq",
    version,
    propagate_version = true,
    about = "query and control NTP servers over mode 6 (classic ntpq, plus JSON)",
    after_help = "Commands are those of the classic ntpq; with none on the command line ntpq \
                  reads them from standard input (with a prompt on a terminal). Type `help`.",
    after_long_help = crate::commands::table().render_help_section()
)]
pub struct Cli {
    /// A task of its own instead of classic commands (`ntpq leap …`).
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Resolve host names to IPv4 addresses only.
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6", global = true)]
    pub ipv4: bool,
    /// Resolve host names to IPv6 addresses only.
    #[arg(short = '6', long = "ipv6", global = true)]
    pub ipv6: bool,
    /// A command to run (repeatable); each runs on every host, in order.
    #[arg(short = 'c', long = "command", value_name = "cmd", action = ArgAction::Append)]
    pub command: Vec<String>,
    /// Raise the debug level by one (repeatable).
    #[arg(short = 'd', long = "debug-level", action = ArgAction::Count)]
    pub debug: u8,
    /// Set the debug level.
    #[arg(short = 'D', long = "set-debug-level", value_name = "n")]
    pub set_debug: Option<u8>,
    /// Read commands interactively even with -c.
    #[arg(short = 'i', long = "interactive", conflicts_with_all = ["command", "peers"])]
    pub interactive: bool,
    /// Print addresses, never host names.
    #[arg(short = 'n', long = "numeric", global = true)]
    pub numeric: bool,
    /// Print the peers billboard (the `peers` command).
    #[arg(short = 'p', long = "peers")]
    pub peers: bool,
    /// Show full remote names in peers tables, wrapping long ones.
    #[arg(short = 'w', long = "wide")]
    pub wide: bool,
    /// Always print the `associd=… status=…` line of readvar.
    #[arg(long = "old-rv")]
    pub old_rv: bool,
    /// How address refids are shown.
    #[arg(short = 'r', long = "refid", value_enum, value_name = "ipv4|hash")]
    pub refid: Option<RefidMode>,
    /// Print every result as JSON: one document per command per host.
    #[arg(long, global = true)]
    pub json: bool,
    /// Keys file for authenticated requests (with -a).
    #[arg(short = 'k', long = "keyfile", value_name = "file", global = true)]
    pub keyfile: Option<PathBuf>,
    /// Key ID to authenticate with, from the keys file (-k).
    #[arg(
        short = 'a',
        long = "authentication",
        value_name = "keyid",
        requires = "keyfile",
        global = true
    )]
    pub keyid: Option<u32>,
    /// Watch the servers live in a terminal UI (peers, system variables, MRU list).
    #[arg(long, conflicts_with_all = ["command", "peers", "interactive", "json"])]
    pub tui: bool,
    /// Show units after times and frequencies.
    #[arg(short = 'u', long = "units")]
    pub units: bool,
    /// Servers to ask (default: localhost); several are asked at once over one socket.
    #[arg(value_name = "host")]
    pub hosts: Vec<String>,
    /// Also ask the hosts listed in this file, one per line (`#` starts a comment; `-` is
    /// standard input).
    #[arg(short = 'f', long = "hosts-file", value_name = "file")]
    pub hosts_file: Option<std::path::PathBuf>,
    /// `-c` and `-p` commands in the order they were given.
    #[arg(skip)]
    pub commands: Vec<String>,
}

impl Cli {
    /// Parses `args` (the first is the program name), keeping `-c`/`-p` in their order.
    ///
    /// # Errors
    /// A usage error, with clap's message and exit code 2 (or help/version output).
    pub fn try_parse_ordered<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Self::command().try_get_matches_from(args)?;
        let mut cli = Self::from_arg_matches(&matches)?;
        cli.commands = ordered_commands(&matches);
        Ok(cli)
    }
}

fn ordered_commands(matches: &ArgMatches) -> Vec<String> {
    let mut indexed: Vec<(usize, String)> = Vec::new();
    if let (Some(idx), Some(vals)) = (
        matches.indices_of("command"),
        matches.get_many::<String>("command"),
    ) {
        indexed.extend(idx.zip(vals.cloned()));
    }
    if matches.get_flag("peers")
        && let Some(idx) = matches.indices_of("peers")
    {
        indexed.extend(idx.map(|i| (i, "peers".to_owned())));
    }
    indexed.sort_by_key(|(i, _)| *i);
    indexed.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_keep_their_order() {
        let cli = Cli::try_parse_ordered(["ntpq", "-c", "rv", "-p", "-c", "as", "-n", "h1", "h2"])
            .unwrap();
        assert_eq!(cli.commands, ["rv", "peers", "as"]);
        assert_eq!(cli.hosts, ["h1", "h2"]);
        assert!(cli.numeric);
    }

    #[test]
    fn usage_errors() {
        for args in [
            &["ntpq", "-4", "-6"][..],
            &["ntpq", "-i", "-c", "rv"],
            &["ntpq", "-a", "1"],
            &["ntpq", "--refid", "bogus"],
        ] {
            let err = Cli::try_parse_ordered(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
