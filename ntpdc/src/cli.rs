//! The command line: `ntpdc [-46dilnps] [-c cmd]... [-D n] [--json] [-k keyfile -a keyid]
//! [host...]`, with the classic meanings.

use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// Command line of `ntpdc`.
#[derive(Debug, Parser)]
#[command(
    name = "ntpdc",
    version,
    about = "query and configure ntpd over mode 7 private messages (classic ntpdc)",
    after_help = "Without -c, -l, -p or -s, commands are read from standard input (an \
                  interactive prompt on a terminal). `help` lists the commands.",
    after_long_help = crate::commands::table().render_help_section()
)]
pub struct Cli {
    /// Resolve host names to IPv4 addresses only.
    #[arg(short = '4', long = "ipv4", conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Resolve host names to IPv6 addresses only.
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,
    /// Run this command on each host (repeatable); no interactive session follows.
    #[arg(short = 'c', long = "command", value_name = "cmd")]
    pub commands: Vec<String>,
    /// Raise the debugging level (repeatable).
    #[arg(short = 'd', long = "debug-level", action = ArgAction::Count)]
    pub debug: u8,
    /// Set the debugging level.
    #[arg(short = 'D', long = "set-debug-level", value_name = "n")]
    pub set_debug: Option<u32>,
    /// Read commands interactively even when commands were given.
    #[arg(short = 'i', long = "interactive")]
    pub interactive: bool,
    /// Run `listpeers`.
    #[arg(short = 'l', long = "listpeers")]
    pub listpeers: bool,
    /// Show addresses numerically (no reference clock or host names).
    #[arg(short = 'n', long = "numeric")]
    pub numeric: bool,
    /// Run `peers`.
    #[arg(short = 'p', long = "peers")]
    pub peers: bool,
    /// Run `dmpeers`.
    #[arg(short = 's', long = "showpeers")]
    pub showpeers: bool,
    /// Print one JSON document per command and host instead of text.
    #[arg(long)]
    pub json: bool,
    /// Keys file for signed (configuration) requests.
    #[arg(short = 'k', long = "keyfile", value_name = "keyfile")]
    pub keyfile: Option<PathBuf>,
    /// Key ID to sign requests with (the server's `requestkey`).
    #[arg(short = 'a', long = "authkey", value_name = "keyid")]
    pub keyid: Option<u32>,
    /// Servers to query (default localhost).
    #[arg(value_name = "host")]
    pub hosts: Vec<String>,
}

impl Cli {
    /// The commands to run: `-c` ones, then those of `-l`, `-p` and `-s`.
    #[must_use]
    pub fn command_list(&self) -> Vec<String> {
        let mut list = self.commands.clone();
        for (on, cmd) in [
            (self.listpeers, "listpeers"),
            (self.peers, "peers"),
            (self.showpeers, "dmpeers"),
        ] {
            if on {
                list.push(cmd.to_owned());
            }
        }
        list
    }
}
