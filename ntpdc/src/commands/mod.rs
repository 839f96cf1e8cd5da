//! The command table: every ntpdc command with its argument synopsis, a one-line help and
//! its handler. Commands may be abbreviated to any unique prefix, as in the classic tool.

mod args;
mod builtin;
mod config;
mod query;

use serde_json::Value;

use crate::error::CmdError;
use crate::render::View;
use crate::session::Session;

pub use args::tokenize;

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

/// A command handler: the context and the arguments after the command word.
pub type Handler = fn(&mut Ctx<'_, '_>, &[String]) -> Result<Output, CmdError>;

/// One command.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Its name.
    pub name: &'static str,
    /// Argument synopsis.
    pub usage: &'static str,
    /// One-line description.
    pub help: &'static str,
    /// Whether it talks to the server (needs an open host).
    pub remote: bool,
    /// Its handler.
    pub run: Handler,
}

const fn local(
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    run: Handler,
) -> Command {
    Command {
        name,
        usage,
        help,
        remote: false,
        run,
    }
}

const fn remote(
    name: &'static str,
    usage: &'static str,
    help: &'static str,
    run: Handler,
) -> Command {
    Command {
        name,
        usage,
        help,
        remote: true,
        run,
    }
}

/// Every command, built-ins first (so `h` is `help`, as in the classic tool's lookup order).
pub const COMMANDS: &[Command] = &[
    local("?", "[command]", "the same as help", builtin::help),
    local(
        "help",
        "[command]",
        "list the commands, or show one command's synopsis",
        builtin::help,
    ),
    local(
        "timeout",
        "[msec]",
        "show or set how long to wait for a reply",
        builtin::timeout,
    ),
    local(
        "delay",
        "[msec]",
        "show or set the time added to authentication timestamps",
        builtin::delay,
    ),
    local(
        "host",
        "[-4|-6] [hostname]",
        "show or change the server queried",
        builtin::host,
    ),
    local(
        "passwd",
        "[secret]",
        "give the secret of the key used to sign requests",
        builtin::passwd,
    ),
    local(
        "hostnames",
        "[yes|no]",
        "show reference clocks and known hosts by name, or only addresses",
        builtin::hostnames,
    ),
    local(
        "debug",
        "[no|more|less]",
        "show or change the debugging level",
        builtin::debug,
    ),
    local("quit", "", "leave ntpdc", builtin::quit),
    local("exit", "", "leave ntpdc", builtin::quit),
    local(
        "keyid",
        "[keyid]",
        "show or set the key ID used to sign requests (0: send unsigned)",
        builtin::keyid,
    ),
    local(
        "keytype",
        "[md5|sha1|sha256|aes128cmac]",
        "show or set the type of a key given with passwd",
        builtin::keytype,
    ),
    local("version", "", "show ntpdc's version", builtin::version),
    remote(
        "listpeers",
        "[-4|-6]",
        "list the server's associations, one a line",
        query::listpeers,
    ),
    remote(
        "peers",
        "[-4|-6]",
        "summary of every association (tally by mode)",
        query::peers,
    ),
    remote(
        "dmpeers",
        "[-4|-6]",
        "summary of every association (tally by selection)",
        query::dmpeers,
    ),
    remote(
        "showpeer",
        "[-4|-6] address [address...]",
        "everything the server holds about up to four associations",
        query::showpeer,
    ),
    remote(
        "pstats",
        "[-4|-6] address [address...]",
        "packet counters of up to four associations",
        query::pstats,
    ),
    remote(
        "loopinfo",
        "[oneline|multiline]",
        "the clock discipline loop's state",
        query::loopinfo,
    ),
    remote(
        "sysinfo",
        "",
        "the server's system variables and flags",
        query::sysinfo,
    ),
    remote(
        "sysstats",
        "",
        "the server's packet counters",
        query::sysstats,
    ),
    remote(
        "memstats",
        "",
        "association memory counters",
        query::memstats,
    ),
    remote("iostats", "", "input/output counters", query::iostats),
    remote("timerstats", "", "timer counters", query::timerstats),
    remote(
        "addpeer",
        "[-4|-6] address [keyid] [version] [prefer|burst|iburst|minpoll N|maxpoll N|keyid N|version N...]",
        "add a symmetric active association",
        config::addpeer,
    ),
    remote(
        "addserver",
        "[-4|-6] address [keyid] [version] [prefer|burst|iburst|minpoll N|maxpoll N|keyid N|version N...]",
        "add a client association to a server",
        config::addserver,
    ),
    remote(
        "addrefclock",
        "address [mode] [prefer|minpoll N|maxpoll N...]",
        "add a reference clock",
        config::addrefclock,
    ),
    remote(
        "broadcast",
        "[-4|-6] address [keyid] [version] [minpoll N|maxpoll N|keyid N|version N...]",
        "add a broadcast association",
        config::broadcast,
    ),
    remote(
        "unconfig",
        "[-4|-6] address [address...]",
        "remove up to eight configured associations",
        config::unconfig,
    ),
    remote(
        "enable",
        "auth|bclient|calibrate|kernel|monitor|ntp|pps|stats...",
        "set system flags",
        config::enable,
    ),
    remote(
        "disable",
        "auth|bclient|calibrate|kernel|monitor|ntp|pps|stats...",
        "clear system flags",
        config::disable,
    ),
    remote(
        "reslist",
        "[-4|-6]",
        "the server's restriction list",
        query::reslist,
    ),
    remote(
        "restrict",
        "[-4|-6] address mask ntpport|ignore|noserve|notrust|noquery|nomodify|nopeer|notrap|lptrap|limited|version|kod|flake...",
        "add a restriction entry, or flags to one",
        config::restrict,
    ),
    remote(
        "unrestrict",
        "[-4|-6] address mask ntpport|ignore|noserve|notrust|noquery|nomodify|nopeer|notrap|lptrap|limited|version|kod|flake...",
        "remove flags from a restriction entry",
        config::unrestrict,
    ),
    remote(
        "delrestrict",
        "[-4|-6] address mask [ntpport]",
        "delete a restriction entry",
        config::delrestrict,
    ),
    remote(
        "monlist",
        "[version]",
        "the server's monitor (MRU) list; mode 7 traffic is metered",
        query::monlist,
    ),
    remote(
        "reset",
        "io|sys|mem|timer|auth|ctl|allpeers...",
        "reset counters of the named subsystems",
        config::reset,
    ),
    remote(
        "preset",
        "[-4|-6] address [address...]",
        "reset the counters of up to eight associations",
        config::preset,
    ),
    remote(
        "readkeys",
        "",
        "make the server read its keys file again",
        config::readkeys,
    ),
    remote(
        "trustedkey",
        "keyid [keyid...]",
        "add keys to the server's trusted keys",
        config::trustedkey,
    ),
    remote(
        "untrustedkey",
        "keyid [keyid...]",
        "remove keys from the server's trusted keys",
        config::untrustedkey,
    ),
    remote(
        "authinfo",
        "",
        "the server's authentication counters",
        query::authinfo,
    ),
    remote("traps", "", "the traps set in the server", query::traps),
    remote(
        "addtrap",
        "[-4|-6] address [port] [interface]",
        "set a trap",
        config::addtrap,
    ),
    remote(
        "clrtrap",
        "[-4|-6] address [port] [interface]",
        "clear a trap",
        config::clrtrap,
    ),
    remote(
        "requestkey",
        "keyid",
        "change the key the server wants on mode 7 requests",
        config::requestkey,
    ),
    remote(
        "controlkey",
        "keyid",
        "change the key the server wants on mode 6 writes",
        config::controlkey,
    ),
    remote(
        "ctlstats",
        "",
        "the server's mode 6 counters",
        query::ctlstats,
    ),
    remote(
        "clockstat",
        "address [address...]",
        "status of up to eight reference clocks",
        query::clockstat,
    ),
    remote(
        "fudge",
        "address time1|time2|val1|val2|flags value",
        "change one of a reference clock's fudge factors",
        config::fudge,
    ),
    remote(
        "clkbug",
        "address [address...]",
        "debugging values of up to eight reference clocks",
        query::clkbug,
    ),
    remote(
        "kerninfo",
        "",
        "the kernel clock discipline's variables",
        query::kerninfo,
    ),
    remote(
        "ifstats",
        "",
        "the server's interfaces and their counters",
        query::ifstats,
    ),
    remote(
        "ifreload",
        "",
        "make the server rescan its interfaces, then list them",
        query::ifreload,
    ),
];

/// Why a word names no single command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// No command starts with it.
    Unknown,
    /// Several commands start with it.
    Ambiguous(Vec<&'static str>),
}

/// The command `word` names: an exact name, or the one name it is a prefix of.
///
/// # Errors
/// No command, or more than one, matches.
pub fn find(word: &str) -> Result<&'static Command, Lookup> {
    if let Some(exact) = COMMANDS.iter().find(|c| c.name == word) {
        return Ok(exact);
    }
    let matches: Vec<&Command> = COMMANDS
        .iter()
        .filter(|c| !word.is_empty() && c.name.starts_with(word))
        .collect();
    match matches.as_slice() {
        [] => Err(Lookup::Unknown),
        [one] => Ok(one),
        many => Err(Lookup::Ambiguous(many.iter().map(|c| c.name).collect())),
    }
}

/// The commands as the shared shell describes them (for its line editor's completion); `?`
/// and `help` are the shell's own.
pub static SPECS: std::sync::LazyLock<Vec<ntpkit_shell::CommandSpec>> =
    std::sync::LazyLock::new(|| {
        COMMANDS
            .iter()
            .filter(|c| !matches!(c.name, "?" | "help"))
            .map(|c| ntpkit_shell::CommandSpec {
                name: c.name,
                args: &[],
                help: c.help,
            })
            .collect()
    });

/// The names for completion and help, sorted, without `?`.
#[must_use]
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|n| *n != "?")
        .collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations() {
        assert_eq!(find("peers").unwrap().name, "peers");
        assert_eq!(find("sysi").unwrap().name, "sysinfo");
        assert_eq!(find("mon").unwrap().name, "monlist");
        assert!(matches!(find("sys"), Err(Lookup::Ambiguous(v)) if v == ["sysinfo", "sysstats"]));
        assert!(matches!(find("bogus"), Err(Lookup::Unknown)));
        assert!(matches!(find(""), Err(Lookup::Unknown)));
    }

    #[test]
    fn every_command_is_documented_once() {
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.name), "{} twice", c.name);
            assert!(!c.help.is_empty() && !c.help.contains('\n'), "{}", c.name);
        }
        assert_eq!(names().len(), COMMANDS.len() - 1);
    }
}
