//! ntpq's text renderings of mode 6 variables (protocol notes §4.9.3, §4.14): "cooked" and
//! "raw" variable lists, the 72-column `name=value` wrapping, escaped text, the peers
//! billboard's interval and millisecond fields, and address values.
//!
//! Everything is a pure function of its inputs; the current time, the time zone and host
//! name lookups are parameters ([`CookOptions`]).

use std::net::{IpAddr, SocketAddr};

use crate::control::{ClockStatus, FlashBits, PeerStatus, SystemStatus, VarList, Variable};
use crate::packet::{ReferenceId, refclock_name};
use crate::time::NtpTimestamp;

/// Longest output line before `name=value` items wrap (`MAXOUTLINE`).
pub const MAX_OUTPUT_LINE: usize = 72;

/// Which status word a variable list comes with, deciding how it is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    /// System variables (association 0).
    System,
    /// Peer variables.
    Peer,
    /// Reference clock variables (READCLOCK).
    Clock,
}

impl VarKind {
    /// `statustoa` for a status word of this kind.
    #[must_use]
    pub fn status_text(self, status: u16) -> String {
        match self {
            Self::System => SystemStatus::from_bits(status).to_string(),
            Self::Peer => PeerStatus::from_bits(status).to_string(),
            Self::Clock => ClockStatus::from_bits(status).to_string(),
        }
    }
}

/// What cooking needs from the outside world.
pub struct CookOptions<'a> {
    /// The current Unix time, to choose the era of 32-bit timestamps.
    pub now_unix: i64,
    /// The local time zone's offset east of UTC, in seconds, at a Unix time.
    pub utc_offset: &'a dyn Fn(i64) -> i32,
    /// `drefid hash`: show address refids as ntpd's 32-bit hash in hex.
    pub refid_hash: bool,
    /// The name to show for an address (`srcadr`, `peeradr`): a host name or the number.
    pub host_name: &'a dyn Fn(IpAddr) -> String,
}

impl std::fmt::Debug for CookOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookOptions")
            .field("now_unix", &self.now_unix)
            .field("refid_hash", &self.refid_hash)
            .finish_non_exhaustive()
    }
}

impl CookOptions<'_> {
    /// ntpq's "prettydate" of a timestamp; `(no time)` for zero.
    #[must_use]
    pub fn pretty_date(&self, ts: NtpTimestamp) -> String {
        if ts.is_zero() {
            return "(no time)".to_owned();
        }
        let unix = ts.to_unix(self.now_unix).secs;
        ts.pretty(self.now_unix, (self.utc_offset)(unix))
    }
}

/// Builds `name=value, name=value` text wrapped before [`MAX_OUTPUT_LINE`] columns with
/// `,\n`, as ntpq's `output`/`endoutput` do.
#[derive(Debug, Default)]
pub struct VarLineWriter {
    text: String,
    items: usize,
    line: usize,
}

impl VarLineWriter {
    /// An empty writer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one item.
    pub fn push(&mut self, name: &str, value: &str) {
        let len = name.len() + 1 + value.len();
        if self.items > 0 {
            if self.line + len + 2 > MAX_OUTPUT_LINE {
                self.text.push_str(",\n");
                self.line = 0;
            } else {
                self.text.push_str(", ");
                self.line += 2;
            }
        }
        self.text.push_str(name);
        self.text.push('=');
        self.text.push_str(value);
        self.items += 1;
        self.line += len;
    }

    /// The text, ending with a newline unless nothing was pushed.
    #[must_use]
    pub fn finish(mut self) -> String {
        if self.items > 0 {
            self.text.push('\n');
        }
        self.text
    }
}

/// Escapes text as `cat -v` does (ntpq's `atoascii`): `M-` for octets with the high bit,
/// `^X` for control characters, `^?` for DEL; stops at a NUL.
#[must_use]
pub fn escape_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes.iter().take_while(|&&b| b != 0) {
        escape_octet(b, &mut out);
    }
    out
}

fn escape_octet(b: u8, out: &mut String) {
    let mut c = b;
    if c & 0x80 != 0 {
        out.push_str("M-");
        c &= 0x7f;
    }
    if c < b' ' {
        out.push('^');
        out.push(char::from(c + b'@'));
    } else if c == 0x7f {
        out.push_str("^?");
    } else {
        out.push(char::from(c));
    }
}

/// ntpq's raw output of response text: printed as received, with a CR dropped before LF and
/// other non-printing octets escaped (white space is kept).
#[must_use]
pub fn render_raw_text(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    let mut iter = data.iter().peekable();
    while let Some(&b) = iter.next() {
        if b == b'\r' {
            if iter.peek() != Some(&&b'\n') {
                escape_octet(b, &mut out);
            }
        } else if b.is_ascii_whitespace() || b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            escape_octet(b, &mut out);
        }
    }
    out
}

/// How ntpq cooks a variable's value (its `cookedvars` table, 4.2.8p15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cook {
    Leap,
    Octal,
    RefId,
    Timestamp,
    Flash,
    HostAddr,
    NumAddr,
    UnsignedArray,
    SignedArray,
    Signed,
}

fn cook_of(name: &str) -> Option<Cook> {
    Some(match name {
        "leap" => Cook::Leap,
        "reach" => Cook::Octal,
        "refid" => Cook::RefId,
        "reftime" | "clock" | "org" | "rec" | "xmt" => Cook::Timestamp,
        "flash" => Cook::Flash,
        "srcadr" | "peeradr" => Cook::HostAddr,
        "dstadr" => Cook::NumAddr,
        "filtdelay" | "filtdisp" | "filterror" => Cook::UnsignedArray,
        "filtoffset" => Cook::SignedArray,
        "offset" | "frequency" => Cook::Signed,
        _ => return None,
    })
}

/// The cooked value of one variable, or `None` when it cannot be decoded (ntpq then prints
/// the raw value followed by `?`).
fn cook_value(name: &str, value: Option<&str>, kind: VarKind, opts: &CookOptions<'_>) -> Cooked {
    let Some(cook) = cook_of(name) else {
        return Cooked::AsIs;
    };
    let Some(value) = value else {
        return Cooked::Bad;
    };
    let text = match cook {
        Cook::Leap => parse_uint(value)
            .filter(|v| *v <= 3)
            .map(|v| format!("{}{}", (v >> 1) & 1, v & 1)),
        Cook::Octal => parse_uint(value).map(|v| format!("{v:03o}")),
        Cook::Timestamp => value
            .parse::<NtpTimestamp>()
            .ok()
            .map(|ts| opts.pretty_date(ts)),
        Cook::Flash => parse_uint(value)
            .and_then(|v| u16::try_from(v).ok())
            .map(|v| FlashBits(v).to_string()),
        Cook::HostAddr => decode_netnum(value).map(|a| (opts.host_name)(a.ip())),
        Cook::NumAddr => decode_netnum(value).map(|a| a.ip().to_string()),
        Cook::RefId => cook_refid(value, kind, opts.refid_hash),
        Cook::UnsignedArray | Cook::SignedArray => {
            cook_array(name, value, cook == Cook::SignedArray)
        }
        Cook::Signed => {
            if value.starts_with(|c: char| c.is_ascii_digit()) {
                Some(format!("+{}", escape_text(value.as_bytes())))
            } else {
                return Cooked::AsIs;
            }
        }
    };
    text.map_or(Cooked::Bad, Cooked::Text)
}

enum Cooked {
    Text(String),
    AsIs,
    Bad,
}

fn cook_refid(value: &str, kind: VarKind, hash: bool) -> Option<String> {
    if let Some(addr) = decode_netnum(value) {
        return Some(match addr.ip() {
            IpAddr::V4(v4) if kind == VarKind::Clock => {
                // ntpq shows a refclock's numeric refid as its characters.
                v4.octets()
                    .iter()
                    .take_while(|&&b| b != 0)
                    .map(|&b| {
                        if b.is_ascii_graphic() || b == b' ' {
                            char::from(b)
                        } else {
                            '?'
                        }
                    })
                    .collect()
            }
            IpAddr::V4(v4) => match refclock_name(v4) {
                Some(name) => name,
                None if hash => format!("0x{}", ReferenceId::from(v4).hex()),
                None => v4.to_string(),
            },
            IpAddr::V6(v6) if hash => format!("0x{}", ReferenceId::for_ipv6(v6).hex()),
            IpAddr::V6(v6) => v6.to_string(),
        });
    }
    (value.len() <= 4).then(|| value.to_owned())
}

/// `filtdelay=     0.08    0.30 …`: the name padded to 11, each value right-aligned in 7
/// with 2 decimals (signed with `+`/`-` for `filtoffset`), at most 8 values.
fn cook_array(name: &str, value: &str, signed: bool) -> Option<String> {
    let values: Vec<f64> = value
        .split_ascii_whitespace()
        .map(|v| v.parse::<f64>().ok().filter(|f| f.is_finite()))
        .collect::<Option<_>>()?;
    if values.len() > 8 {
        return None;
    }
    let mut out = " ".repeat(11usize.saturating_sub(name.len()));
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let text = if signed {
            format!("{v:+.2}")
        } else {
            format!("{:.2}", v.abs())
        };
        out.push_str(&format!("{text:>7.7}"));
    }
    Some(out)
}

/// An unsigned value as ntpq's `decodeuint` reads it: decimal, `0x` hexadecimal, or octal
/// with a leading 0.
#[must_use]
pub fn parse_uint(value: &str) -> Option<u64> {
    let v = value.trim();
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if v.len() > 1
        && let Some(oct) = v.strip_prefix('0')
    {
        return u64::from_str_radix(oct, 8).ok();
    }
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// An address value as ntpd sends it: `a.b.c.d`, `a.b.c.d:port`, an IPv6 address with an
/// optional `%scope`, or `[v6]:port`. The port is 0 when absent.
#[must_use]
pub fn decode_netnum(value: &str) -> Option<SocketAddr> {
    let v = value.trim();
    if let Ok(addr) = v.parse::<SocketAddr>() {
        return Some(addr);
    }
    let bare = |s: &str| s.split('%').next().and_then(|a| a.parse::<IpAddr>().ok());
    if let Some(inner) = v.strip_prefix('[') {
        let (addr, port) = inner.split_once(']')?;
        let port = match port.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if port.is_empty() => 0,
            None => return None,
        };
        return Some(SocketAddr::new(bare(addr)?, port));
    }
    if let Some(ip) = bare(v) {
        return Some(SocketAddr::new(ip, 0));
    }
    let (addr, port) = v.rsplit_once(':')?;
    Some(SocketAddr::new(
        addr.parse::<std::net::Ipv4Addr>().ok()?.into(),
        port.parse().ok()?,
    ))
}

/// ntpq's cooked rendering of a variable list: every item cooked per its name, undecodable
/// values shown raw with `?`, unknown names shown as received; wrapped by
/// [`VarLineWriter`]. Items after a parse failure are not shown (as in ntpq).
#[must_use]
pub fn render_cooked(data: &[u8], kind: VarKind, opts: &CookOptions<'_>) -> String {
    let (list, _) = VarList::parse_partial(data);
    let mut w = VarLineWriter::new();
    for var in list.iter() {
        push_cooked(&mut w, var, kind, opts);
    }
    w.finish()
}

/// One variable's value as ntpq's cooked output shows it: decoded per its name, as
/// received for names ntpq does not decode, or as received followed by `?` when it cannot be
/// decoded. Filter registers come without the alignment padding of the `name=value` list.
#[must_use]
pub fn cook_variable(var: &Variable, kind: VarKind, opts: &CookOptions<'_>) -> String {
    let raw = escape_text(var.value.as_deref().unwrap_or_default().as_bytes());
    match cook_value(&var.name, var.value.as_deref(), kind, opts) {
        Cooked::Text(text) => text.trim_start().to_owned(),
        Cooked::AsIs => raw,
        Cooked::Bad => format!("{raw}?"),
    }
}

fn push_cooked(w: &mut VarLineWriter, var: &Variable, kind: VarKind, opts: &CookOptions<'_>) {
    let name = escape_text(var.name.as_bytes());
    let raw = escape_text(var.value.as_deref().unwrap_or_default().as_bytes());
    match cook_value(&var.name, var.value.as_deref(), kind, opts) {
        Cooked::Text(text) => w.push(&name, &text),
        Cooked::AsIs => w.push(&name, &raw),
        Cooked::Bad => w.push(&name, &format!("{raw}?")),
    }
}

/// The `when`/`poll` form of a number of seconds (`prettyinterval`): `-` for ≤ 0, seconds to
/// 2048, then minutes `m` to 300, hours `h` to 96, days `d` to 999, years `y`, `INF`.
#[must_use]
pub fn pretty_interval(seconds: i64) -> String {
    if seconds <= 0 {
        return "-".to_owned();
    }
    if seconds <= 2048 {
        return seconds.to_string();
    }
    let minutes = seconds.saturating_add(29) / 60;
    if minutes <= 300 {
        return format!("{minutes}m");
    }
    let hours = (minutes + 29) / 60;
    if hours <= 96 {
        return format!("{hours}h");
    }
    let days = (hours + 11) / 24;
    if days <= 999 {
        return format!("{days}d");
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "days ≤ i64::MAX / 86400 fit an f64 well enough for whole years"
    )]
    let years = (days as f64 / 365.25 + 0.5).floor() as i64;
    if years <= 999 {
        format!("{years}y")
    } else {
        "INF".to_owned()
    }
}

/// A millisecond value as the peers billboard prints it: 3 decimals, with a sign when
/// `signed` (offsets), before the column's truncation.
#[must_use]
pub fn ms_text(ms: f64, signed: bool) -> String {
    if signed {
        format!("{ms:+.3}")
    } else {
        format!("{:.3}", ms.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> CookOptions<'static> {
        CookOptions {
            now_unix: 1_795_000_000,
            utc_offset: &|_| 0,
            refid_hash: false,
            host_name: &|ip| ip.to_string(),
        }
    }

    #[test]
    fn wraps_like_ntpq() {
        let mut w = VarLineWriter::new();
        for (n, v) in [("aaaaaaaaaa", "1"); 7] {
            w.push(n, v);
        }
        // Each item is 12 characters; 5 fit with separators (5·12 + 4·2 = 68), the 6th
        // would reach 82 > 72.
        assert_eq!(
            w.finish(),
            "aaaaaaaaaa=1, aaaaaaaaaa=1, aaaaaaaaaa=1, aaaaaaaaaa=1, aaaaaaaaaa=1,\n\
             aaaaaaaaaa=1, aaaaaaaaaa=1\n"
        );
        assert_eq!(VarLineWriter::new().finish(), "");
    }

    #[test]
    fn cooked_system_variables() {
        let data = b"version=\"ntpd 4.2.8p15\", leap=0, stratum=2, refid=10.77.0.1,\r\n\
              reftime=0xeeabba15.500e7fa6, offset=0.012465, frequency=-1.5, peer=3,\r\n\
              weird=\"a\x01b\", bare\r\n";
        let text = render_cooked(data, VarKind::System, &opts());
        assert_eq!(
            text,
            "version=\"ntpd 4.2.8p15\", leap=00, stratum=2, refid=10.77.0.1,\n\
             reftime=eeabba15.500e7fa6  Sat, Nov 21 2026  6:35:01.312,\n\
             offset=+0.012465, frequency=-1.5, peer=3, weird=\"a^Ab\", bare=\n"
        );
    }

    #[test]
    fn cooked_peer_variables() {
        let data = b"srcadr=10.77.0.2, dstadr=10.77.0.3, reach=0xff, flash=0x0, \
              reftime=0x00000000.00000000, leap=7, filtdelay= 0.08 0.30 0.11,\
              filtoffset= 0.03 -0.14 0.03, refid=127.127.1.0";
        let text = render_cooked(data, VarKind::Peer, &opts());
        assert_eq!(
            text,
            "srcadr=10.77.0.2, dstadr=10.77.0.3, reach=377, flash=00 ok,\n\
             reftime=(no time), leap=7?, filtdelay=     0.08    0.30    0.11,\n\
             filtoffset=   +0.03   -0.14   +0.03, refid=LOCAL(0)\n"
        );
    }

    #[test]
    fn refids_by_kind_and_mode() {
        let hash = CookOptions {
            refid_hash: true,
            ..opts()
        };
        assert_eq!(
            render_cooked(b"refid=10.77.0.1", VarKind::Peer, &hash),
            "refid=0x0a4d0001\n"
        );
        assert_eq!(
            render_cooked(b"refid=71.80.83.0", VarKind::Clock, &opts()),
            "refid=GPS\n"
        );
        assert_eq!(
            render_cooked(b"refid=TOOLONG", VarKind::Peer, &opts()),
            "refid=TOOLONG?\n"
        );
    }

    #[test]
    fn one_variable_at_a_time() {
        let list =
            VarList::parse(b"reach=0xff, flash=0x400, filtdelay= 0.08 0.30, leap=7, x=1").unwrap();
        let cooked: Vec<String> = list
            .iter()
            .map(|v| cook_variable(v, VarKind::Peer, &opts()))
            .collect();
        assert_eq!(cooked, ["377", "400 peer_dist", "0.08    0.30", "7?", "1"]);
    }

    #[test]
    fn raw_text_and_escapes() {
        assert_eq!(render_raw_text(b"a=1,\r\nb=\x02\r"), "a=1,\nb=^B^M");
        assert_eq!(escape_text(b"\xe9\x7f\0rest"), "M-i^?");
    }

    #[test]
    fn intervals() {
        for (s, want) in [
            (-5, "-"),
            (0, "-"),
            (64, "64"),
            (2048, "2048"),
            (2049, "34m"),
            (18_000, "300m"),
            (18_060, "5h"),
            (345_600, "96h"),
            (349_200, "4d"),
            (86_400 * 999, "999d"),
            (86_400 * 1200, "3y"),
            (i64::MAX, "INF"),
        ] {
            assert_eq!(pretty_interval(s), want, "{s}");
        }
    }

    #[test]
    fn numbers_and_addresses() {
        assert_eq!(parse_uint("0x1f"), Some(31));
        assert_eq!(parse_uint("017"), Some(15));
        assert_eq!(parse_uint("0"), Some(0));
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(ms_text(0.0284, true), "+0.028");
        assert_eq!(ms_text(-0.0001, true), "-0.000");
        assert_eq!(ms_text(12.3456, false), "12.346");
        for (text, want) in [
            ("10.77.0.2", "10.77.0.2:0"),
            ("10.77.0.2:123", "10.77.0.2:123"),
            ("fd77::1", "[fd77::1]:0"),
            ("[fd77::1]:123", "[fd77::1]:123"),
            ("fe80::fb:e8ff:fe83:44ed%2", "[fe80::fb:e8ff:fe83:44ed]:0"),
            ("[fe80::1%2]:123", "[fe80::1%2]:123"),
        ] {
            assert_eq!(decode_netnum(text).unwrap().to_string(), want, "{text}");
        }
        assert_eq!(decode_netnum("LOCL"), None);
    }
}
