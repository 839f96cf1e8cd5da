//! One command line: tokens, the command they name, typed arguments and `> file` redirection,
//! following the classic tools' rules.

use std::fmt;
use std::path::PathBuf;

use crate::table::{ArgKind, CommandSpec, CommandTable, Dialect, Lookup};

/// Longest command line the classic tools accept.
pub const MAX_LINE: usize = 512;

/// Most arguments a classic command declares (ntpq's limit on the arguments it reads).
pub const MAX_ARGS: usize = 4;

/// An address family chosen with `-4` or `-6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVersion {
    /// `-4`.
    V4,
    /// `-6`.
    V6,
}

/// A typed argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text ([`ArgKind::Str`]).
    Str(String),
    /// An unsigned number ([`ArgKind::Uint`]).
    Uint(u64),
    /// `&N` in a [`ArgKind::Uint`] position: the N-th association of the cached list.
    AssocIndex(u64),
    /// A signed number ([`ArgKind::Int`]).
    Int(i64),
    /// `-4` or `-6` ([`ArgKind::IpVersion`]).
    Version(IpVersion),
    /// A host name or address ([`ArgKind::Address`]), with the `-4`/`-6` given just before it.
    Address {
        /// The name or address as given.
        host: String,
        /// The family chosen by a `-4`/`-6` in its place, if any.
        family: Option<IpVersion>,
    },
}

impl Arg {
    /// The text of a [`Arg::Str`].
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The argument as words, as the tool was given it: text as typed, numbers in decimal,
    /// `&N`, `-4`/`-6`, and an address after its `-4`/`-6`.
    fn push_words(&self, words: &mut Vec<String>) {
        let version = |v: &IpVersion| match v {
            IpVersion::V4 => "-4".to_owned(),
            IpVersion::V6 => "-6".to_owned(),
        };
        match self {
            Self::Str(s) => words.push(s.clone()),
            Self::Uint(u) => words.push(u.to_string()),
            Self::AssocIndex(i) => words.push(format!("&{i}")),
            Self::Int(i) => words.push(i.to_string()),
            Self::Version(v) => words.push(version(v)),
            Self::Address { host, family } => {
                words.extend(family.as_ref().map(version));
                words.push(host.clone());
            }
        }
    }
}

/// A parsed command line, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The command named (by full name or prefix).
    pub command: &'static CommandSpec,
    /// Its arguments, as many as were given (optional ones may be missing).
    pub args: Vec<Arg>,
    /// `> file`: where the command's output goes instead of standard output.
    pub redirect: Option<PathBuf>,
    /// Tokens beyond the last argument the command takes, which are ignored.
    pub ignored: Vec<String>,
}

impl Invocation {
    /// The `i`-th argument, if given.
    #[must_use]
    pub fn arg(&self, i: usize) -> Option<&Arg> {
        self.args.get(i)
    }

    /// The `i`-th argument as text, if given and a string.
    #[must_use]
    pub fn str_arg(&self, i: usize) -> Option<&str> {
        self.arg(i).and_then(Arg::as_str)
    }

    /// Every argument as words (see [`Arg`]), for messages and for tools that read their
    /// arguments as words.
    #[must_use]
    pub fn words(&self) -> Vec<String> {
        let mut words = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            arg.push_words(&mut words);
        }
        words
    }
}

/// Why a line could not be turned into an [`Invocation`]; `Display` gives the classic
/// message (`***Command `x' unknown`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// The line is longer than [`MAX_LINE`].
    TooLong,
    /// No command starts with this word.
    Unknown(String),
    /// Several commands start with this word.
    Ambiguous(String),
    /// A required argument is missing: the usage line.
    Usage(String),
    /// `&N` is not a number.
    BadAssocIndex(String),
    /// Not an unsigned number.
    BadUint(String),
    /// Not a signed number.
    BadInt(String),
    /// Neither `-4` nor `-6`.
    BadIpVersion(String),
    /// `>` with no file name after it.
    NoRedirectFile,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong => f.write_str("***Line is too big"),
            Self::Unknown(word) => write!(f, "***Command `{word}' unknown"),
            Self::Ambiguous(word) => write!(f, "***Command `{word}' ambiguous"),
            Self::Usage(usage) => f.write_str(usage),
            Self::BadAssocIndex(token) => {
                write!(f, "***Association index `{token}' invalid/undecodable")
            }
            Self::BadUint(token) => write!(f, "***Illegal unsigned value {token}"),
            Self::BadInt(token) => write!(f, "***Illegal integer value {token}"),
            Self::BadIpVersion(_) => f.write_str("***Version must be either 4 or 6"),
            Self::NoRedirectFile => f.write_str("***No file for redirect"),
        }
    }
}

impl std::error::Error for LineError {}

/// Splits a line into tokens in ntpq's [`Dialect`]: white space separates them; a token
/// starting with `"` runs to the next `"` (which is dropped); after a first token starting with
/// `:` the rest of the line (leading white space skipped) is one token, so
/// `:config server 10.0.0.1 iburst` has two. At most `1 + MAX_ARGS + 2` tokens are read.
///
/// # Errors
/// [`LineError::TooLong`] for lines over [`MAX_LINE`] octets.
pub fn tokenize(line: &str) -> Result<Vec<String>, LineError> {
    Dialect::NTPQ.tokenize(line)
}

impl Dialect {
    /// Splits a line into at most [`Dialect::max_tokens`] tokens: white space separates them;
    /// with [`Dialect::quotes`], a token starting with `"` runs to the next `"` (which is
    /// dropped); after a first token starting with `:` the rest of the line (leading white
    /// space skipped) is one token.
    ///
    /// # Errors
    /// [`LineError::TooLong`] for lines over [`MAX_LINE`] octets.
    pub fn tokenize(&self, line: &str) -> Result<Vec<String>, LineError> {
        if line.len() >= MAX_LINE {
            return Err(LineError::TooLong);
        }
        let line = line.split(['\n', '\r', '\0']).next().unwrap_or_default();
        let mut tokens: Vec<String> = Vec::new();
        let mut rest = line;
        while tokens.len() < self.max_tokens {
            rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
            if rest.is_empty() {
                break;
            }
            if tokens.len() == 1 && tokens.first().is_some_and(|t| t.starts_with(':')) {
                tokens.push(rest.to_owned());
                break;
            }
            if self.quotes
                && let Some(quoted) = rest.strip_prefix('"')
            {
                let end = quoted.find('"').unwrap_or(quoted.len());
                tokens.push(quoted[..end].to_owned());
                rest = quoted.get(end + 1..).unwrap_or_default();
            } else {
                let end = rest
                    .find(|c: char| (self.quotes && c == '"') || c.is_ascii_whitespace())
                    .unwrap_or(rest.len());
                tokens.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
        Ok(tokens)
    }
}

/// Parses a line against `table`, in its [`Dialect`]; `Ok(None)` for a blank line.
///
/// Arguments are read in order while the command takes more; an optional argument may be
/// left out, and a token starting with `>` ends the arguments and names the output file
/// (`> file` or `>file`). In an address's place, `-4` and `-6` choose the family and the
/// address follows; a rest-of-line argument takes every word up to `>` or the dialect's
/// argument limit.
///
/// # Errors
/// See [`LineError`].
pub fn parse_line(table: &CommandTable, line: &str) -> Result<Option<Invocation>, LineError> {
    let dialect = table.dialect();
    let tokens = dialect.tokenize(line)?;
    let Some((word, rest)) = tokens.split_first() else {
        return Ok(None);
    };
    let command = match table.lookup(word) {
        Lookup::Found(spec) => spec,
        Lookup::Unknown => return Err(LineError::Unknown(word.clone())),
        Lookup::Ambiguous(_) => return Err(LineError::Ambiguous(word.clone())),
    };
    let mut args = Vec::new();
    let mut next = 0;
    for spec in command.args {
        let mut family = None;
        if spec.kind == ArgKind::Address {
            while let Some(version) = rest.get(next).and_then(|t| version_word(t)) {
                family = Some(version);
                next += 1;
            }
        }
        if spec.kind == ArgKind::Rest {
            let words = rest
                .iter()
                .skip(next)
                .take_while(|t| !t.starts_with('>'))
                .take(dialect.max_args.saturating_sub(args.len()));
            let before = args.len();
            args.extend(words.map(|t| Arg::Str(t.clone())));
            next += args.len() - before;
            if args.len() == before && !spec.optional {
                return Err(LineError::Usage(command.usage()));
            }
            break;
        }
        match rest.get(next) {
            None if spec.optional => break,
            None => return Err(LineError::Usage(command.usage())),
            Some(token) if spec.optional && token.starts_with('>') => break,
            Some(token) if spec.kind == ArgKind::Address => {
                args.push(Arg::Address {
                    host: token.clone(),
                    family,
                });
                next += 1;
            }
            Some(token) => {
                args.push(parse_arg(token, spec.kind)?);
                next += 1;
            }
        }
    }
    let mut redirect = None;
    let mut ignored = Vec::new();
    let mut extra = rest.iter().skip(next);
    while let Some(token) = extra.next() {
        if redirect.is_none()
            && let Some(name) = token.strip_prefix('>')
        {
            let file = if name.is_empty() {
                extra.next().ok_or(LineError::NoRedirectFile)?.clone()
            } else {
                name.to_owned()
            };
            redirect = Some(PathBuf::from(file));
        } else {
            ignored.push(token.clone());
        }
    }
    Ok(Some(Invocation {
        command,
        args,
        redirect,
        ignored,
    }))
}

/// `-4` or `-6` as a family.
fn version_word(token: &str) -> Option<IpVersion> {
    match token {
        "-4" => Some(IpVersion::V4),
        "-6" => Some(IpVersion::V6),
        _ => None,
    }
}

fn parse_arg(token: &str, kind: ArgKind) -> Result<Arg, LineError> {
    match kind {
        ArgKind::Str | ArgKind::Rest => Ok(Arg::Str(token.to_owned())),
        ArgKind::Address => Ok(Arg::Address {
            host: token.to_owned(),
            family: None,
        }),
        ArgKind::Uint => {
            if let Some(index) = token.strip_prefix('&') {
                return parse_u64(index)
                    .map(Arg::AssocIndex)
                    .ok_or_else(|| LineError::BadAssocIndex(token.to_owned()));
            }
            parse_u64(token)
                .map(Arg::Uint)
                .ok_or_else(|| LineError::BadUint(token.to_owned()))
        }
        ArgKind::Int => token
            .parse::<i64>()
            .map(Arg::Int)
            .map_err(|_| LineError::BadInt(token.to_owned())),
        ArgKind::IpVersion => version_word(token)
            .map(Arg::Version)
            .ok_or_else(|| LineError::BadIpVersion(token.to_owned())),
    }
}

/// Decimal, or hexadecimal with `0x`, as `atouint` reads it.
fn parse_u64(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::ArgSpec;

    static LIST: [CommandSpec; 4] = [
        CommandSpec {
            name: "readvar",
            args: &[
                ArgSpec::optional("assocID", ArgKind::Uint),
                ArgSpec::optional("varname1", ArgKind::Str),
                ArgSpec::optional("varname2", ArgKind::Str),
            ],
            help: "read",
        },
        CommandSpec {
            name: "peers",
            args: &[ArgSpec::optional("-4|-6", ArgKind::IpVersion)],
            help: "peers",
        },
        CommandSpec {
            name: ":config",
            args: &[ArgSpec::required("line", ArgKind::Str)],
            help: "configure",
        },
        CommandSpec {
            name: "delay",
            args: &[ArgSpec::required("msec", ArgKind::Int)],
            help: "delay",
        },
    ];

    fn parse(line: &str) -> Result<Option<Invocation>, LineError> {
        parse_line(&CommandTable::new("ntpq", &[&LIST]), line)
    }

    #[test]
    fn tokens() {
        for (line, want) in [
            ("", vec![]),
            ("   \t ", vec![]),
            ("rv 0 stratum", vec!["rv", "0", "stratum"]),
            ("  rv   &2\n", vec!["rv", "&2"]),
            (
                ":config  server 10.0.0.1 iburst ",
                vec![":config", "server 10.0.0.1 iburst "],
            ),
            (r#"addvars "a=b c" x"#, vec!["addvars", "a=b c", "x"]),
            (r#"x "open"#, vec!["x", "open"]),
            ("a b c d e f g h i", vec!["a", "b", "c", "d", "e", "f", "g"]),
        ] {
            assert_eq!(tokenize(line).unwrap(), want, "{line:?}");
        }
        assert_eq!(tokenize(&"x".repeat(600)), Err(LineError::TooLong));
    }

    #[test]
    fn typed_arguments() {
        let inv = parse("readvar 0x10 stratum refid").unwrap().unwrap();
        assert_eq!(inv.command.name, "readvar");
        assert_eq!(
            inv.args,
            [
                Arg::Uint(16),
                Arg::Str("stratum".into()),
                Arg::Str("refid".into())
            ]
        );
        let inv = parse("read &3").unwrap().unwrap();
        assert_eq!(inv.args, [Arg::AssocIndex(3)]);
        let inv = parse("pe -6").unwrap().unwrap();
        assert_eq!(inv.args, [Arg::Version(IpVersion::V6)]);
        let inv = parse("delay -20").unwrap().unwrap();
        assert_eq!(inv.args, [Arg::Int(-20)]);
        let inv = parse(":c tinker panic 0").unwrap().unwrap();
        assert_eq!(inv.str_arg(0), Some("tinker panic 0"));
        assert_eq!(parse("").unwrap(), None);
    }

    #[test]
    fn redirection_and_extra_tokens() {
        let inv = parse("peers > /tmp/out").unwrap().unwrap();
        assert!(inv.args.is_empty());
        assert_eq!(inv.redirect, Some(PathBuf::from("/tmp/out")));
        let inv = parse("readv 0 stratum >out.txt").unwrap().unwrap();
        assert_eq!(inv.args.len(), 2);
        assert_eq!(inv.redirect, Some(PathBuf::from("out.txt")));
        let inv = parse("peers -4 junk").unwrap().unwrap();
        assert_eq!(inv.ignored, ["junk"]);
        assert_eq!(parse("peers >"), Err(LineError::NoRedirectFile));
    }

    #[test]
    fn errors_in_classic_words() {
        let msg = |line: &str| parse(line).unwrap_err().to_string();
        assert_eq!(msg("zz"), "***Command `zz' unknown");
        assert_eq!(msg("readvar x"), "***Illegal unsigned value x");
        assert_eq!(
            msg("readvar &x"),
            "***Association index `&x' invalid/undecodable"
        );
        assert_eq!(msg("peers 5"), "***Version must be either 4 or 6");
        assert_eq!(msg("delay 1.5"), "***Illegal integer value 1.5");
        assert_eq!(msg(":config"), "usage: :config line");
    }

    #[test]
    fn ambiguity() {
        static AMB: [CommandSpec; 2] = [
            CommandSpec {
                name: "peers",
                args: &[],
                help: "",
            },
            CommandSpec {
                name: "pstats",
                args: &[],
                help: "",
            },
        ];
        let t = CommandTable::new("ntpq", &[&AMB]);
        assert_eq!(
            parse_line(&t, "p").unwrap_err().to_string(),
            "***Command `p' ambiguous"
        );
    }

    /// ntpdc's shapes: an address after `-4`/`-6`, optional addresses, trailing words.
    static NTPDC: [CommandSpec; 4] = [
        CommandSpec {
            name: "addserver",
            args: &[
                ArgSpec::required("addr", ArgKind::Address),
                ArgSpec::optional("keyid", ArgKind::Str),
                ArgSpec::optional("version", ArgKind::Str),
                ArgSpec::optional("option ...", ArgKind::Rest),
            ],
            help: "add a server",
        },
        CommandSpec {
            name: "showpeer",
            args: &[
                ArgSpec::required("peer_address", ArgKind::Address),
                ArgSpec::optional("peer2_addr", ArgKind::Address),
            ],
            help: "show peers",
        },
        CommandSpec {
            name: "enable",
            args: &[ArgSpec::required("flag ...", ArgKind::Rest)],
            help: "set flags",
        },
        CommandSpec {
            name: "sysinfo",
            args: &[],
            help: "system",
        },
    ];

    fn ntpdc(line: &str) -> Result<Option<Invocation>, LineError> {
        let table = CommandTable::new("ntpdc", &[&NTPDC]).with_dialect(Dialect::NTPDC);
        parse_line(&table, line)
    }

    #[test]
    fn dialects_read_different_numbers_of_tokens_and_quotes() {
        let words: Vec<String> = (1..=20).map(|i| format!("w{i}")).collect();
        let line = words.join(" ");
        assert_eq!(tokenize(&line).unwrap(), words[..7]);
        assert_eq!(Dialect::NTPDC.tokenize(&line).unwrap(), words[..18]);
        assert_eq!(
            Dialect::NTPDC.tokenize(r#"passwd "a b" c"d"#).unwrap(),
            [r#"passwd"#, r#""a"#, r#"b""#, r#"c"d"#]
        );
        assert_eq!(
            Dialect::NTPDC.tokenize("  peers\t-4 \n").unwrap(),
            ["peers", "-4"]
        );
    }

    #[test]
    fn trailing_words_reach_the_command_intact() {
        let line =
            "addserver 10.77.98.1 0 4 iburst prefer minpoll 4 maxpoll 6 keyid 9 version 3 burst";
        let inv = ntpdc(line).unwrap().unwrap();
        assert_eq!(inv.command.name, "addserver");
        assert!(inv.ignored.is_empty(), "{:?}", inv.ignored);
        assert_eq!(
            inv.words().join(" "),
            line.strip_prefix("addserver ").unwrap()
        );
        assert_eq!(
            inv.arg(0),
            Some(&Arg::Address {
                host: "10.77.98.1".into(),
                family: None
            })
        );
        // Fourteen arguments at most; what is beyond is reported as ignored.
        let many: Vec<String> = (1..=16).map(|i| format!("o{i}")).collect();
        let inv = ntpdc(&format!("addserver -6 fd77::1 {}", many.join(" ")))
            .unwrap()
            .unwrap();
        assert_eq!(inv.args.len(), Dialect::NTPDC.max_args);
        assert_eq!(
            inv.ignored,
            ["o14", "o15"],
            "18 tokens read, the rest dropped"
        );
        assert_eq!(inv.words()[..2], ["-6", "fd77::1"]);
        // ntpq's dialect would have cut the line at seven tokens.
        assert_eq!(tokenize(line).unwrap().len(), 7);
    }

    #[test]
    fn families_before_addresses_and_redirection_after_trailing_words() {
        let inv = ntpdc("showpeer -4 10.0.0.1 -6 fd77::2 > out")
            .unwrap()
            .unwrap();
        assert_eq!(
            inv.args,
            [
                Arg::Address {
                    host: "10.0.0.1".into(),
                    family: Some(IpVersion::V4)
                },
                Arg::Address {
                    host: "fd77::2".into(),
                    family: Some(IpVersion::V6)
                }
            ]
        );
        assert_eq!(inv.redirect, Some(PathBuf::from("out")));
        let inv = ntpdc("enable stats monitor >flags.txt").unwrap().unwrap();
        assert_eq!(inv.words(), ["stats", "monitor"]);
        assert_eq!(inv.redirect, Some(PathBuf::from("flags.txt")));
        let usage = |line: &str| ntpdc(line).unwrap_err().to_string();
        assert_eq!(
            usage("showpeer -4"),
            "usage: showpeer [ -4|-6 ] peer_address [ peer2_addr ]"
        );
        assert_eq!(usage("enable"), "usage: enable flag ...");
        assert_eq!(usage("enable > x"), "usage: enable flag ...");
        let inv = ntpdc("sysinfo extra").unwrap().unwrap();
        assert_eq!(inv.ignored, ["extra"]);
        assert_eq!(
            CommandTable::render_command_help(&NTPDC[0]),
            "function: add a server\n\
             usage: addserver [ -4|-6 ] addr [ keyid ] [ version ] [ option ... ]\n"
        );
    }
}
