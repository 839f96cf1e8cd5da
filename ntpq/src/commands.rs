//! ntpq's command table and the dispatch from a parsed line to its implementation.

use std::io::Write;

use anyhow::Context;
use ntpkit::control::{ControlError, ErrorCode, MruError};
use ntpkit::transport::TransportError;
use ntpkit_shell::build::{opt, req, spec};
use ntpkit_shell::{ArgKind::*, ArgSpec, CommandSpec, CommandTable, Flow, Handler, Invocation};

use crate::cmd;
use crate::session::{NoKey, Session, Unresolved};

const NONE: &[ArgSpec] = &[];
const ASSOC: &[ArgSpec] = &[opt("assocID", Uint)];
const AF: &[ArgSpec] = &[opt("-4|-6", IpVersion)];
const RV: &[ArgSpec] = &[
    opt("assocID", Uint),
    opt("varname1", Str),
    opt("varname2", Str),
    opt("varname3", Str),
];
const MR: &[ArgSpec] = &[req("assocIDlow", Uint), req("assocIDhigh", Uint)];
const MRV: &[ArgSpec] = &[
    req("assocIDlow", Uint),
    req("assocIDhigh", Uint),
    opt("name=value[,...]", Str),
];
const TAGS: &[ArgSpec] = &[
    opt("tag=value", Str),
    opt("tag=value", Str),
    opt("tag=value", Str),
    opt("tag=value", Str),
];
const YESNO: &[ArgSpec] = &[opt("yes|no", Str)];

/// Local commands (the classic `builtins`).
pub static BUILTINS: [CommandSpec; 19] = [
    spec(
        "timeout",
        &[opt("msec", Uint)],
        "set the primary receive time out",
    ),
    spec(
        "delay",
        &[opt("msec", Int)],
        "set the delay added to authenticated time stamps",
    ),
    spec(
        "host",
        &[opt("-4|-6", Str), opt("hostname", Str)],
        "choose the server to talk to",
    ),
    spec(
        "poll",
        &[opt("n", Uint), opt("verbose", Str)],
        "poll the server in client mode (not implemented, as in ntpq 4.2.8)",
    ),
    spec(
        "passwd",
        &[opt("password", Str)],
        "set the secret for authenticated requests (prompts without echo)",
    ),
    spec(
        "hostnames",
        YESNO,
        "choose whether host names or addresses are printed",
    ),
    spec(
        "debug",
        &[opt("no|more|less", Str)],
        "set or change the debug level",
    ),
    spec("quit", NONE, "leave ntpq"),
    spec("exit", NONE, "leave ntpq"),
    spec(
        "keyid",
        &[opt("key#", Uint)],
        "set the key ID for authenticated requests",
    ),
    spec("version", NONE, "print the version"),
    spec("raw", NONE, "print variables as received"),
    spec("cooked", NONE, "print variables decoded"),
    spec(
        "authenticate",
        YESNO,
        "authenticate every request, not only writes",
    ),
    spec(
        "ntpversion",
        &[opt("version number", Uint)],
        "set the NTP version number sent in requests",
    ),
    spec(
        "keytype",
        &[opt("key type", Str)],
        "set the digest of authenticated requests (md5, sha1, sha256, aes128cmac)",
    ),
    spec(
        "drefid",
        &[opt("hash|ipv4", Str)],
        "show address refids as addresses or as hashes",
    ),
    spec("json", YESNO, "print results as JSON documents"),
    spec("units", YESNO, "print units after times and frequencies"),
];

/// Commands that talk to the server (the classic `opcmds`).
pub static OPCMDS: [CommandSpec; 41] = [
    spec(
        "saveconfig",
        &[req("filename", Str)],
        "make the server save its configuration to a file in its saveconfigdir",
    ),
    spec("associations", NONE, "print the list of associations"),
    spec(
        "passociations",
        NONE,
        "print the association list last fetched",
    ),
    spec(
        "lassociations",
        NONE,
        "print the list of all associations, including clients",
    ),
    spec(
        "lpassociations",
        NONE,
        "print the full association list last fetched",
    ),
    spec(
        "addvars",
        &[req("name[=value][,...]", Str)],
        "add variables to the variable list",
    ),
    spec(
        "rmvars",
        &[req("name[,...]", Str)],
        "remove variables from the variable list",
    ),
    spec("clearvars", NONE, "empty the variable list"),
    spec("showvars", NONE, "print the variable list"),
    spec("readlist", ASSOC, "read the variables on the variable list"),
    spec("rl", ASSOC, "read the variables on the variable list"),
    spec(
        "writelist",
        ASSOC,
        "write the variables on the variable list",
    ),
    spec("readvar", RV, "read system or peer variables"),
    spec("rv", RV, "read system or peer variables"),
    spec(
        "writevar",
        &[req("assocID", Uint), req("name=value,[...]", Str)],
        "write system or peer variables",
    ),
    spec(
        "mreadlist",
        MR,
        "read the variable list for a range of associations",
    ),
    spec(
        "mrl",
        MR,
        "read the variable list for a range of associations",
    ),
    spec("mreadvar", MRV, "read variables of a range of associations"),
    spec("mrv", MRV, "read variables of a range of associations"),
    spec(
        "clocklist",
        ASSOC,
        "read the variable list from a reference clock",
    ),
    spec("cl", ASSOC, "read the variable list from a reference clock"),
    spec(
        "clockvar",
        &[opt("assocID", Uint), opt("name=value[,...]", Str)],
        "read reference clock variables",
    ),
    spec(
        "cv",
        &[opt("assocID", Uint), opt("name=value[,...]", Str)],
        "read reference clock variables",
    ),
    spec(
        "pstats",
        &[
            req("assocID", Uint),
            opt("assocID", Uint),
            opt("assocID", Uint),
            opt("assocID", Uint),
            opt("assocID", Uint),
            opt("assocID", Uint),
        ],
        "print the statistics of peers (several at once)",
    ),
    spec("peers", AF, "print the peers billboard"),
    spec(
        "apeers",
        AF,
        "print the peers billboard with association IDs and hashed refids",
    ),
    spec("lpeers", AF, "print the peers billboard including clients"),
    spec(
        "opeers",
        AF,
        "print the old peers billboard (local address, dispersion)",
    ),
    spec(
        "lopeers",
        AF,
        "print the old peers billboard including clients",
    ),
    spec(
        ":config",
        &[req("<configuration command line>", Str)],
        "send one configuration line to the server",
    ),
    spec(
        "config-from-file",
        &[req("<configuration filename>", Str)],
        "send the lines of a file to the server as configuration",
    ),
    spec(
        "mrulist",
        TAGS,
        "print the clients the server saw most recently; tags mincount= maxlstint= laddr= \
         resall=0x resany=0x limited kod sort=[-]lstint|avgint|addr|count",
    ),
    spec(
        "ifstats",
        NONE,
        "print the server's local addresses and their counters",
    ),
    spec("reslist", NONE, "print the server's restriction list"),
    spec("sysinfo", NONE, "print system variables in readable form"),
    spec("kerninfo", NONE, "print kernel discipline variables"),
    spec("sysstats", NONE, "print the system packet counters"),
    spec("monstats", NONE, "print the MRU list (monitor) statistics"),
    spec("authinfo", NONE, "print the authentication statistics"),
    spec("iostats", NONE, "print the I/O statistics"),
    spec("timerstats", NONE, "print the timer statistics"),
];

/// The full table.
pub fn table() -> CommandTable {
    CommandTable::new(
        "ntpq",
        &[
            &BUILTINS,
            &OPCMDS,
            &crate::tui::COMMANDS,
            &cmd::leap::COMMANDS,
        ],
    )
}

/// The session as the shell runs it.
#[derive(Debug)]
pub struct Ntpq {
    /// Session state.
    pub session: Session,
    table: CommandTable,
}

impl Ntpq {
    /// A handler over `session`.
    pub fn new(session: Session) -> Self {
        Self {
            session,
            table: table(),
        }
    }
}

impl Handler for Ntpq {
    fn table(&self) -> &CommandTable {
        &self.table
    }

    fn execute(&mut self, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<Flow> {
        let name = inv.command.name;
        let context = || {
            let mut words = vec![name.to_owned()];
            words.extend(inv.words());
            words.join(" ")
        };
        if let Some(flow) = cmd::builtins::run(&mut self.session, inv, out)? {
            return Ok(flow);
        }
        if name == "tui" {
            return crate::tui::shell_command(&self.session, inv);
        }
        let host = self.session.host_name();
        cmd::remote(&mut self.session, inv, out)
            .with_context(|| format!("{host}: {}", context()))?;
        Ok(Flow::Continue)
    }

    fn exit_code(&self, err: &anyhow::Error) -> u8 {
        exit_code(err)
    }
}

/// The exit status for an error: 5 a result printed in part, 3 timeout or unreachable, 4
/// authentication refused or not possible or a response MAC that does not verify, 2 usage, 1
/// anything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    fn control(c: &ControlError) -> u8 {
        match c {
            ControlError::Timeout { .. } => 3,
            ControlError::Server(ErrorCode::Permission) | ControlError::BadMac { .. } => 4,
            _ => 1,
        }
    }
    // Before its cause: a result was printed in part, whatever stopped the rest. (anyhow's
    // `downcast_ref` finds a context value; the chain's links are its wrappers.)
    if err.downcast_ref::<ntpkit::PartialResult>().is_some() {
        return 5;
    }
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<ControlError>() {
            return control(c);
        }
        if let Some(MruError::Control(c)) = cause.downcast_ref::<MruError>() {
            return control(c);
        }
        if let Some(t) = cause.downcast_ref::<TransportError<ControlError>>() {
            return match t {
                TransportError::Io(_) => 3,
                TransportError::Exchange(c) => control(c),
            };
        }
        if cause.downcast_ref::<NoKey>().is_some() {
            return 4;
        }
        if cause.downcast_ref::<Unresolved>().is_some() {
            return 3;
        }
        if cause.downcast_ref::<ntpkit_shell::LineError>().is_some() {
            return 2;
        }
        // Network errors only: a local file that is missing (`config-from-file`) is a failed
        // command (1), not an unreachable host.
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::NetworkUnreachable
                    | std::io::ErrorKind::HostUnreachable
            )
        {
            return 3;
        }
    }
    1
}
