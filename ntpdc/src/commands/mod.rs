//! The command table: every ntpdc command as the shared shell reads it (its arguments shaped
//! as classic ntpdc declares them, and a one-line help), and the handler that runs it. The
//! shell does the rest: abbreviations, `help`/`?`, usage lines and `> file`.

mod args;
mod builtin;
mod config;
mod query;

use ntpkit_shell::ArgKind::{Address, IpVersion, Rest, Str};
use ntpkit_shell::build::{opt, req, spec};
use ntpkit_shell::{ArgSpec, CommandSpec, CommandTable, Dialect};
use serde_json::Value;

use crate::error::CmdError;
use crate::render::View;
use crate::session::Session;

/// What a command produced: its text (the classic layout) and its JSON result.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Text for the terminal.
    pub text: String,
    /// The `result` member of the command's JSON document.
    pub json: Value,
    /// Whether the command ends the session (`quit`).
    pub quit: bool,
}

impl Output {
    /// Text and JSON.
    #[must_use]
    pub fn new(text: String, json: Value) -> Self {
        Self {
            text,
            json,
            quit: false,
        }
    }

    /// A configuration command's acknowledgement: `done!` and `{"done": true, …details}`.
    #[must_use]
    pub fn done(mut details: serde_json::Map<String, Value>) -> Self {
        details.insert("done".into(), Value::Bool(true));
        Self::new("done!\n".into(), Value::Object(details))
    }
}

/// Everything a handler can use.
#[derive(Debug)]
pub struct Ctx<'s, 'v> {
    /// The session.
    pub session: &'s mut Session,
    /// How to show addresses and dates.
    pub view: View<'v>,
}

/// A command handler: the context and the command's arguments as words (an address after
/// the `-4`/`-6` typed before it, trailing options one word each).
pub type Handler = fn(&mut Ctx<'_, '_>, &[String]) -> Result<Output, CmdError>;

/// How a command runs.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Its handler.
    pub run: Handler,
    /// Whether it talks to the server (needs an open host).
    pub remote: bool,
}

const NONE: &[ArgSpec] = &[];
const AF: &[ArgSpec] = &[opt("-4|-6", IpVersion)];
const ADDRESSES: &[ArgSpec] = &[req("address", Address), opt("address ...", Rest)];
const PEER: &[ArgSpec] = &[
    req("address", Address),
    opt("keyid", Str),
    opt("version", Str),
    opt(
        "prefer|burst|iburst|minpoll N|maxpoll N|keyid N|version N ...",
        Rest,
    ),
];
const RESTRICT: &[ArgSpec] = &[
    req("address", Address),
    req("mask", Address),
    req(
        "ntpport|ignore|noserve|notrust|noquery|nomodify|nopeer|notrap|lptrap|limited|version|kod|flake ...",
        Rest,
    ),
];
const SYS_FLAGS: &[ArgSpec] = &[req(
    "auth|bclient|calibrate|kernel|monitor|ntp|pps|stats ...",
    Rest,
)];
const TRAP: &[ArgSpec] = &[
    req("address", Address),
    opt("port", Str),
    opt("interface", Address),
];
const KEYS: &[ArgSpec] = &[req("keyid ...", Rest)];
const KEY: &[ArgSpec] = &[req("keyid", Str)];

/// Local commands (the classic built-ins; the shell adds `?` and `help`).
pub static BUILTINS: [CommandSpec; 11] = [
    spec(
        "timeout",
        &[opt("msec", Str)],
        "show or set how long to wait for a reply",
    ),
    spec(
        "delay",
        &[opt("msec", Str)],
        "show or set the time added to authentication timestamps",
    ),
    spec(
        "host",
        &[opt("-4|-6", Str), opt("hostname", Str)],
        "show or change the server queried",
    ),
    spec(
        "passwd",
        &[opt("secret", Str)],
        "give the secret of the key used to sign requests (asked without echo if left out)",
    ),
    spec(
        "hostnames",
        &[opt("yes|no", Str)],
        "show reference clocks and hosts by name (reverse lookups), or only addresses",
    ),
    spec(
        "debug",
        &[opt("no|more|less", Str)],
        "show or change the debugging level",
    ),
    spec("quit", NONE, "leave ntpdc"),
    spec("exit", NONE, "leave ntpdc"),
    spec(
        "keyid",
        &[opt("keyid", Str)],
        "show or set the key ID used to sign requests (0: send unsigned)",
    ),
    spec(
        "keytype",
        &[opt("md5|sha1|sha256|aes128cmac", Str)],
        "show or set the type of a key given with passwd",
    ),
    spec("version", NONE, "show ntpdc's version"),
];

/// Commands that talk to the server over mode 7.
pub static OPCMDS: [CommandSpec; 41] = [
    spec(
        "listpeers",
        AF,
        "list the server's associations, one a line",
    ),
    spec("peers", AF, "summary of every association (tally by mode)"),
    spec(
        "dmpeers",
        AF,
        "summary of every association (tally by selection)",
    ),
    spec(
        "showpeer",
        ADDRESSES,
        "everything the server holds about up to four associations",
    ),
    spec(
        "pstats",
        ADDRESSES,
        "packet counters of up to four associations",
    ),
    spec(
        "loopinfo",
        &[opt("oneline|multiline", Str)],
        "the clock discipline loop's state",
    ),
    spec("sysinfo", NONE, "the server's system variables and flags"),
    spec("sysstats", NONE, "the server's packet counters"),
    spec("memstats", NONE, "association memory counters"),
    spec("iostats", NONE, "input/output counters"),
    spec("timerstats", NONE, "timer counters"),
    spec("addpeer", PEER, "add a symmetric active association"),
    spec("addserver", PEER, "add a client association to a server"),
    spec(
        "addrefclock",
        &[
            req("address", Address),
            opt("mode", Str),
            opt("prefer|minpoll N|maxpoll N ...", Rest),
        ],
        "add a reference clock",
    ),
    spec(
        "broadcast",
        &[
            req("address", Address),
            opt("keyid", Str),
            opt("version", Str),
            opt("minpoll N|maxpoll N|keyid N|version N ...", Rest),
        ],
        "add a broadcast association",
    ),
    spec(
        "unconfig",
        ADDRESSES,
        "remove up to eight configured associations",
    ),
    spec("enable", SYS_FLAGS, "set system flags"),
    spec("disable", SYS_FLAGS, "clear system flags"),
    spec("reslist", AF, "the server's restriction list"),
    spec(
        "restrict",
        RESTRICT,
        "add a restriction entry, or flags to one",
    ),
    spec(
        "unrestrict",
        RESTRICT,
        "remove flags from a restriction entry",
    ),
    spec(
        "delrestrict",
        &[
            req("address", Address),
            req("mask", Address),
            opt("ntpport", Str),
        ],
        "delete a restriction entry",
    ),
    spec(
        "monlist",
        &[opt("version", Str)],
        "the server's monitor (MRU) list; mode 7 traffic is metered",
    ),
    spec(
        "reset",
        &[req("io|sys|mem|timer|auth|ctl|allpeers ...", Rest)],
        "reset counters of the named subsystems",
    ),
    spec(
        "preset",
        ADDRESSES,
        "reset the counters of up to eight associations",
    ),
    spec("readkeys", NONE, "make the server read its keys file again"),
    spec("trustedkey", KEYS, "add keys to the server's trusted keys"),
    spec(
        "untrustedkey",
        KEYS,
        "remove keys from the server's trusted keys",
    ),
    spec("authinfo", NONE, "the server's authentication counters"),
    spec("traps", NONE, "the traps set in the server"),
    spec("addtrap", TRAP, "set a trap"),
    spec("clrtrap", TRAP, "clear a trap"),
    spec(
        "requestkey",
        KEY,
        "change the key the server wants on mode 7 requests",
    ),
    spec(
        "controlkey",
        KEY,
        "change the key the server wants on mode 6 writes",
    ),
    spec("ctlstats", NONE, "the server's mode 6 counters"),
    spec(
        "clockstat",
        ADDRESSES,
        "status of up to eight reference clocks",
    ),
    spec(
        "fudge",
        &[
            req("address", Address),
            req("time1|time2|val1|val2|flags", Str),
            req("value", Str),
        ],
        "change one of a reference clock's fudge factors",
    ),
    spec(
        "clkbug",
        ADDRESSES,
        "debugging values of up to eight reference clocks",
    ),
    spec("kerninfo", NONE, "the kernel clock discipline's variables"),
    spec(
        "ifstats",
        NONE,
        "the server's interfaces and their counters",
    ),
    spec(
        "ifreload",
        NONE,
        "make the server rescan its interfaces, then list them",
    ),
];

/// ntpdc's commands as the shared shell reads them: ntpdc's dialect (up to 18 words a line,
/// no quoting, a 78-column `help`).
#[must_use]
pub fn table() -> CommandTable {
    CommandTable::new("ntpdc", &[&BUILTINS, &OPCMDS]).with_dialect(Dialect::NTPDC)
}

/// How the command named `name` in [`table`] runs; `None` for the shell's own `?` and `help`.
#[must_use]
pub fn command(name: &str) -> Option<Command> {
    let local = |run: Handler| Some(Command { run, remote: false });
    let remote = |run: Handler| Some(Command { run, remote: true });
    match name {
        "timeout" => local(builtin::timeout),
        "delay" => local(builtin::delay),
        "host" => local(builtin::host),
        "passwd" => local(builtin::passwd),
        "hostnames" => local(builtin::hostnames),
        "debug" => local(builtin::debug),
        "quit" | "exit" => local(builtin::quit),
        "keyid" => local(builtin::keyid),
        "keytype" => local(builtin::keytype),
        "version" => local(builtin::version),
        "listpeers" => remote(query::listpeers),
        "peers" => remote(query::peers),
        "dmpeers" => remote(query::dmpeers),
        "showpeer" => remote(query::showpeer),
        "pstats" => remote(query::pstats),
        "loopinfo" => remote(query::loopinfo),
        "sysinfo" => remote(query::sysinfo),
        "sysstats" => remote(query::sysstats),
        "memstats" => remote(query::memstats),
        "iostats" => remote(query::iostats),
        "timerstats" => remote(query::timerstats),
        "addpeer" => remote(config::addpeer),
        "addserver" => remote(config::addserver),
        "addrefclock" => remote(config::addrefclock),
        "broadcast" => remote(config::broadcast),
        "unconfig" => remote(config::unconfig),
        "enable" => remote(config::enable),
        "disable" => remote(config::disable),
        "reslist" => remote(query::reslist),
        "restrict" => remote(config::restrict),
        "unrestrict" => remote(config::unrestrict),
        "delrestrict" => remote(config::delrestrict),
        "monlist" => remote(query::monlist),
        "reset" => remote(config::reset),
        "preset" => remote(config::preset),
        "readkeys" => remote(config::readkeys),
        "trustedkey" => remote(config::trustedkey),
        "untrustedkey" => remote(config::untrustedkey),
        "authinfo" => remote(query::authinfo),
        "traps" => remote(query::traps),
        "addtrap" => remote(config::addtrap),
        "clrtrap" => remote(config::clrtrap),
        "requestkey" => remote(config::requestkey),
        "controlkey" => remote(config::controlkey),
        "ctlstats" => remote(query::ctlstats),
        "clockstat" => remote(query::clockstat),
        "fudge" => remote(config::fudge),
        "clkbug" => remote(query::clkbug),
        "kerninfo" => remote(query::kerninfo),
        "ifstats" => remote(query::ifstats),
        "ifreload" => remote(query::ifreload),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntpkit_shell::{Lookup, parse_line};

    #[test]
    fn abbreviations_as_the_shell_reads_them() {
        let t = table();
        let name = |word: &str| match t.lookup(word) {
            Lookup::Found(c) => c.name,
            other => panic!("{word}: {other:?}"),
        };
        assert_eq!(name("peers"), "peers");
        assert_eq!(name("sysi"), "sysinfo");
        assert_eq!(name("mon"), "monlist");
        assert_eq!(name("?"), "?");
        assert_eq!(t.lookup("sys"), Lookup::Ambiguous(2));
        assert_eq!(t.lookup("h"), Lookup::Ambiguous(3));
        assert_eq!(t.lookup("bogus"), Lookup::Unknown);
    }

    #[test]
    fn every_command_has_one_line_of_help_and_a_handler() {
        let mut seen = std::collections::HashSet::new();
        for c in table().commands() {
            assert!(seen.insert(c.name), "{} twice", c.name);
            assert!(!c.help.is_empty() && !c.help.contains('\n'), "{}", c.name);
            let last = c.args.len().saturating_sub(1);
            for (i, a) in c.args.iter().enumerate() {
                assert!(a.kind != Rest || i == last, "{}: rest not last", c.name);
            }
            let handled = command(c.name);
            assert_eq!(
                handled.is_some(),
                !ntpkit_shell::HELP_COMMANDS.contains(&c.name),
                "{}",
                c.name
            );
            let remote = OPCMDS.iter().any(|o| o.name == c.name);
            assert_eq!(handled.is_some_and(|h| h.remote), remote, "{}", c.name);
        }
        assert_eq!(seen.len(), 2 + BUILTINS.len() + OPCMDS.len());
    }

    #[test]
    fn classic_argument_shapes() {
        let t = table();
        let words = |line: &str| parse_line(&t, line).unwrap().unwrap().words();
        assert_eq!(words("peers -6"), ["-6"]);
        assert_eq!(
            words("showpeer -6 fd77::1 fd77::2"),
            ["-6", "fd77::1", "fd77::2"]
        );
        assert_eq!(
            words("restrict 10.77.98.7 255.255.255.255 nomodify notrap kod > /dev/null"),
            ["10.77.98.7", "255.255.255.255", "nomodify", "notrap", "kod"]
        );
        let usage = |line: &str| parse_line(&t, line).unwrap_err().to_string();
        assert_eq!(
            usage("restrict 10.77.98.7 255.255.255.255"),
            "usage: restrict [ -4|-6 ] address mask \
             ntpport|ignore|noserve|notrust|noquery|nomodify|nopeer|notrap|lptrap|limited|version|kod|flake ..."
        );
        assert_eq!(usage("peers 5"), "***Version must be either 4 or 6");
        assert_eq!(
            usage("fudge 127.127.1.0 time1"),
            "usage: fudge [ -4|-6 ] address time1|time2|val1|val2|flags value"
        );
    }
}
