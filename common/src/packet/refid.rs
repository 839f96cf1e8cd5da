//! Reference IDs (RFC 5905 §7.3, protocol notes §2.4): the raw four octets, their meaning by
//! context, kiss codes and the IPv6 refid hash.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use md5::{Digest, Md5};
use serde::Serialize;

use super::Stratum;
use crate::error::DecodeError;

/// The four octets of the reference ID field, exactly as on the wire.
///
/// What they mean depends on the stratum and on where the value came from; see
/// [`ReferenceId::interpret`] with a [`RefIdContext`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ReferenceId(pub [u8; 4]);

impl ReferenceId {
    /// The all-zero refid (sent by clients such as ntpdate).
    pub const ZERO: Self = Self([0; 4]);

    /// The octets in wire order.
    #[must_use]
    pub const fn octets(self) -> [u8; 4] {
        self.0
    }

    /// An ASCII code such as `GPS` or `RATE`: the first four octets of `code`, NUL-padded.
    #[must_use]
    pub fn from_ascii(code: &str) -> Self {
        let mut out = [0; 4];
        for (dst, src) in out.iter_mut().zip(code.bytes()) {
            *dst = src;
        }
        Self(out)
    }

    /// The refid ntpd uses for an IPv6 upstream (`addr2refid`): the first four octets of the
    /// MD5 digest of the 16-octet address.
    #[must_use]
    pub fn for_ipv6(addr: Ipv6Addr) -> Self {
        let digest = Md5::digest(addr.octets());
        let mut out = [0; 4];
        for (dst, src) in out.iter_mut().zip(digest.iter()) {
            *dst = *src;
        }
        Self(out)
    }

    /// Whether this refid is the hash ntpd would send for the IPv6 upstream `addr`.
    #[must_use]
    pub fn matches_ipv6(self, addr: Ipv6Addr) -> bool {
        Self::for_ipv6(addr) == self
    }

    /// The octets read as an IPv4 address (dotted-quad rendering).
    #[must_use]
    pub const fn to_ipv4(self) -> Ipv4Addr {
        let [a, b, c, d] = self.0;
        Ipv4Addr::new(a, b, c, d)
    }

    /// The octets as text the way ntpd renders an ASCII refid: stop at the first NUL and show
    /// every non-printable octet as `.` (`ctl_putrefid`).
    #[must_use]
    pub fn ascii_text(self) -> String {
        self.0
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    '.'
                }
            })
            .collect()
    }

    /// Eight lowercase hex digits of the octets in wire order, e.g. `52fdcf75`.
    #[must_use]
    pub fn hex(self) -> String {
        let [a, b, c, d] = self.0;
        format!("{a:02x}{b:02x}{c:02x}{d:02x}")
    }

    /// What the refid means in `context` (protocol notes §2.4).
    #[must_use]
    pub fn interpret(self, context: RefIdContext) -> RefIdValue {
        match context.class() {
            RefIdKind::Ipv4 => RefIdValue::Ipv4(self.to_ipv4()),
            RefIdKind::Ipv6Hash => RefIdValue::Ipv6Hash(self),
            RefIdKind::Refclock => RefIdValue::Refclock(self.ascii_text()),
            RefIdKind::Kiss => RefIdValue::Kiss(KissCode::from(self)),
        }
    }

    /// The `{kind, text, hex}` summary used in JSON output.
    #[must_use]
    pub fn summary(self, context: RefIdContext) -> RefIdSummary {
        let value = self.interpret(context);
        RefIdSummary {
            kind: value.kind(),
            text: value.to_string(),
            hex: self.hex(),
        }
    }
}

/// Shorthand for [`ReferenceId::for_ipv6`] (test vector V5 of the protocol notes).
#[must_use]
pub fn refid_for_ipv6(addr: Ipv6Addr) -> ReferenceId {
    ReferenceId::for_ipv6(addr)
}

impl From<u32> for ReferenceId {
    /// `value` in host order; the octets are its big-endian bytes.
    fn from(value: u32) -> Self {
        Self(value.to_be_bytes())
    }
}

impl From<ReferenceId> for u32 {
    fn from(value: ReferenceId) -> Self {
        u32::from_be_bytes(value.0)
    }
}

impl From<Ipv4Addr> for ReferenceId {
    fn from(addr: Ipv4Addr) -> Self {
        Self(addr.octets())
    }
}

/// Parses the text ntpd puts in a mode 6 `refid=` value: a dotted quad for an address, else
/// one to four printable ASCII characters (NUL-padded).
impl FromStr for ReferenceId {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(addr) = s.parse::<Ipv4Addr>() {
            return Ok(addr.into());
        }
        let printable = s.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if s.is_empty() || s.len() > 4 || !printable {
            return Err(DecodeError::BadValue {
                field: "refid",
                value: s.to_owned(),
            });
        }
        Ok(Self::from_ascii(s))
    }
}

/// Where a refid was read, which decides how its stratum is to be understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RefIdOrigin {
    /// A mode 1–5 packet: the stratum is the wire value (0 = unspecified / kiss-o'-death).
    #[default]
    Packet,
    /// ntpd's own view, as mode 6 peer and system variables report it: the stratum is ntpd's
    /// internal one (16 = unspecified, 0 = a reference clock's default stratum).
    Peer,
    /// A reference-clock association (`127.127.t.u`): the refid is always the clock's ASCII
    /// code, whatever stratum it was fudged to.
    RefclockPeer,
}

/// The context needed to interpret a [`ReferenceId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RefIdContext {
    /// The stratum reported alongside the refid.
    pub stratum: Stratum,
    /// Where the refid and stratum were read.
    pub origin: RefIdOrigin,
    /// The upstream a secondary server's refid names is known to be IPv6, so the refid is an
    /// MD5 hash rather than an IPv4 address. Nothing in the refid itself tells the two apart.
    pub ipv6_upstream: bool,
}

impl RefIdContext {
    /// A refid from a packet with wire stratum `stratum`.
    #[must_use]
    pub const fn packet(stratum: Stratum) -> Self {
        Self {
            stratum,
            origin: RefIdOrigin::Packet,
            ipv6_upstream: false,
        }
    }

    /// A refid from mode 6 peer or system variables with ntpd's internal `stratum`.
    #[must_use]
    pub const fn peer(stratum: Stratum) -> Self {
        Self {
            stratum,
            origin: RefIdOrigin::Peer,
            ipv6_upstream: false,
        }
    }

    /// The same context, with the upstream known to be an IPv6 host.
    #[must_use]
    pub const fn with_ipv6_upstream(self) -> Self {
        Self {
            ipv6_upstream: true,
            ..self
        }
    }

    /// Which kind of refid this context implies (protocol notes §2.4; ntpd `ctl_putpeer`).
    const fn class(self) -> RefIdKind {
        let address = if self.ipv6_upstream {
            RefIdKind::Ipv6Hash
        } else {
            RefIdKind::Ipv4
        };
        match (self.origin, self.stratum.0) {
            (RefIdOrigin::RefclockPeer, _)
            | (RefIdOrigin::Packet, 1)
            | (RefIdOrigin::Peer, 0..=1) => RefIdKind::Refclock,
            (_, 2..=15) => address,
            // Packet stratum 0 is a kiss-o'-death; 16 and above are unsynchronized states
            // whose refid is an ntpd state code such as INIT.
            _ => RefIdKind::Kiss,
        }
    }
}

/// The kind of a refid, as the JSON `kind` field names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefIdKind {
    /// `ipv4`: the upstream's IPv4 address.
    Ipv4,
    /// `ipv6_hash`: the first four octets of MD5 of the upstream's IPv6 address.
    Ipv6Hash,
    /// `refclock`: a primary source's ASCII code such as `GPS` or `PPS`.
    Refclock,
    /// `kiss`: a kiss code or ntpd state code such as `RATE` or `INIT`.
    Kiss,
}

/// A refid interpreted in its context.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefIdValue {
    /// The upstream's IPv4 address (stratum 2..=15).
    Ipv4(Ipv4Addr),
    /// The MD5-derived refid of an IPv6 upstream (stratum 2..=15).
    Ipv6Hash(ReferenceId),
    /// A primary source's code, rendered as [`ReferenceId::ascii_text`] (e.g. `GPS`).
    Refclock(String),
    /// A kiss-o'-death or state code.
    Kiss(KissCode),
}

impl RefIdValue {
    /// The kind, as the JSON `kind` field names it.
    #[must_use]
    pub const fn kind(&self) -> RefIdKind {
        match self {
            Self::Ipv4(_) => RefIdKind::Ipv4,
            Self::Ipv6Hash(_) => RefIdKind::Ipv6Hash,
            Self::Refclock(_) => RefIdKind::Refclock,
            Self::Kiss(_) => RefIdKind::Kiss,
        }
    }
}

/// The text ntpq shows (without the dots its peers billboard adds around ASCII codes):
/// a dotted quad for addresses and hashes, the ASCII code otherwise.
impl fmt::Display for RefIdValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipv4(addr) => addr.fmt(f),
            Self::Ipv6Hash(refid) => refid.to_ipv4().fmt(f),
            Self::Refclock(text) => f.write_str(text),
            Self::Kiss(code) => code.fmt(f),
        }
    }
}

/// The JSON shape of a refid: `{"kind": "ipv4"|"ipv6_hash"|"refclock"|"kiss", "text": …,
/// "hex": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RefIdSummary {
    /// What the four octets are.
    pub kind: RefIdKind,
    /// Dotted quad or ASCII code, as in [`RefIdValue`]'s `Display`.
    pub text: String,
    /// Eight lowercase hex digits in wire order.
    pub hex: String,
}

/// A kiss code (RFC 5905 §7.4) or ntpd state code (protocol notes §2.4), shown by ntpq as
/// `.CODE.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KissCode {
    /// `ACST`: the association belongs to a unicast (manycast) server.
    Acst,
    /// `AUTH`: server authentication failed.
    Auth,
    /// `AUTO`: Autokey sequence failed.
    Auto,
    /// `BCST`: the association belongs to a broadcast server.
    Bcst,
    /// `CRYP`: cryptographic authentication or identification failed.
    Cryp,
    /// `DENY`: access denied by remote server; stop sending.
    Deny,
    /// `DROP`: lost peer in symmetric mode.
    Drop,
    /// `RSTR`: access denied due to local policy; stop sending.
    Rstr,
    /// `INIT`: the association has not yet synchronized for the first time.
    Init,
    /// `MCST`: the association belongs to a dynamically discovered server.
    Mcst,
    /// `NKEY`: no key found.
    Nkey,
    /// `NTSN`: NTS negative acknowledgement (RFC 8915).
    Ntsn,
    /// `RATE`: rate exceeded; reduce the polling rate.
    Rate,
    /// `RMOT`: alteration of the association from a remote host running ntpdc.
    Rmot,
    /// `STEP`: a step change in system time has occurred.
    Step,
    /// `TIME`: the association timed out (ntpd state code).
    Time,
    /// `GONE`: the association was removed (ntpd state code).
    Gone,
    /// `XFAC`: the local interface changed (ntpd state code).
    Xfac,
    /// `POOL`: a pool solicitor association (ntpd state code).
    Pool,
    /// Any other code, as [`ReferenceId::ascii_text`] renders it; RFC 5905 reserves codes
    /// starting with `X` for experiments.
    Unknown(String),
}

/// The known codes and their four-character texts, in one place for both directions.
const KISS_CODES: [(KissCode, &str); 19] = [
    (KissCode::Acst, "ACST"),
    (KissCode::Auth, "AUTH"),
    (KissCode::Auto, "AUTO"),
    (KissCode::Bcst, "BCST"),
    (KissCode::Cryp, "CRYP"),
    (KissCode::Deny, "DENY"),
    (KissCode::Drop, "DROP"),
    (KissCode::Rstr, "RSTR"),
    (KissCode::Init, "INIT"),
    (KissCode::Mcst, "MCST"),
    (KissCode::Nkey, "NKEY"),
    (KissCode::Ntsn, "NTSN"),
    (KissCode::Rate, "RATE"),
    (KissCode::Rmot, "RMOT"),
    (KissCode::Step, "STEP"),
    (KissCode::Time, "TIME"),
    (KissCode::Gone, "GONE"),
    (KissCode::Xfac, "XFAC"),
    (KissCode::Pool, "POOL"),
];

impl KissCode {
    /// The code for `text` (as rendered by [`ReferenceId::ascii_text`]); unknown texts become
    /// [`KissCode::Unknown`].
    #[must_use]
    pub fn from_text(text: &str) -> Self {
        KISS_CODES
            .iter()
            .find(|(_, t)| *t == text)
            .map_or_else(|| Self::Unknown(text.to_owned()), |(code, _)| code.clone())
    }

    /// The code's text, e.g. `RATE`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown(text) => text,
            known => KISS_CODES
                .iter()
                .find(|(code, _)| code == known)
                .map_or("", |(_, text)| text),
        }
    }

    /// Whether RFC 5905 tells a client receiving this code to stop sending (`DENY`, `RSTR`).
    #[must_use]
    pub const fn is_access_denied(&self) -> bool {
        matches!(self, Self::Deny | Self::Rstr)
    }

    /// Whether this is an unknown code starting with `X`, reserved for experiments.
    #[must_use]
    pub fn is_experimental(&self) -> bool {
        matches!(self, Self::Unknown(text) if text.starts_with('X'))
    }

    /// The refid octets carrying this code (NUL-padded).
    #[must_use]
    pub fn to_refid(&self) -> ReferenceId {
        ReferenceId::from_ascii(self.as_str())
    }
}

impl From<ReferenceId> for KissCode {
    fn from(refid: ReferenceId) -> Self {
        Self::from_text(&refid.ascii_text())
    }
}

impl From<&KissCode> for ReferenceId {
    fn from(code: &KissCode) -> Self {
        code.to_refid()
    }
}

/// Shows the code's text, e.g. `RATE`.
impl fmt::Display for KissCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_refid_vector_v5() {
        let addr: Ipv6Addr = "2001:db8:85a3:8d3:1319:8a2e:370:7334".parse().unwrap();
        let refid = refid_for_ipv6(addr);
        assert_eq!(refid.octets(), [0x52, 0xfd, 0xcf, 0x75]);
        assert_eq!(refid.hex(), "52fdcf75");
        assert_eq!(refid.to_ipv4().to_string(), "82.253.207.117");
        // The value upstream's test expects as a little-endian host reads it.
        assert_eq!(u32::from_le_bytes(refid.octets()), 0x75cf_fd52);
        assert!(refid.matches_ipv6(addr));
        assert!(!refid.matches_ipv6(Ipv6Addr::LOCALHOST));
        let summary = refid.summary(RefIdContext::packet(Stratum(2)).with_ipv6_upstream());
        assert_eq!(summary.kind, RefIdKind::Ipv6Hash);
        assert_eq!(summary.text, "82.253.207.117");
    }

    #[test]
    fn ascii_text_stops_at_nul_and_dots_non_printables() {
        let table: [([u8; 4], &str); 8] = [
            (*b"GPS\0", "GPS"),
            (*b"RATE", "RATE"),
            (*b"PPS\0", "PPS"),
            ([0, b'A', b'B', b'C'], ""),
            ([b'A', 0, b'B', 0], "A"),
            ([0x01, b'A', 0x7f, 0xff], ".A.."),
            (*b"a b\0", "a b"),
            ([0; 4], ""),
        ];
        for (octets, text) in table {
            assert_eq!(ReferenceId(octets).ascii_text(), text, "{octets:?}");
        }
    }

    #[test]
    fn integer_and_address_conversions() {
        let refid = ReferenceId::from(0xc000_0201_u32);
        assert_eq!(refid.octets(), [192, 0, 2, 1]);
        assert_eq!(u32::from(refid), 0xc000_0201);
        assert_eq!(ReferenceId::from(Ipv4Addr::new(192, 0, 2, 1)), refid);
        assert_eq!(ReferenceId::from_ascii("GPS"), ReferenceId(*b"GPS\0"));
        assert_eq!(ReferenceId::from_ascii("TOOLONG"), ReferenceId(*b"TOOL"));
    }

    #[test]
    fn parses_mode6_text() {
        let table: [(&str, Option<[u8; 4]>); 7] = [
            ("192.0.2.1", Some([192, 0, 2, 1])),
            ("GPS", Some(*b"GPS\0")),
            ("INIT", Some(*b"INIT")),
            ("A", Some(*b"A\0\0\0")),
            ("", None),
            ("TOOLONG", None),
            ("G\u{e9}", None),
        ];
        for (text, want) in table {
            assert_eq!(
                text.parse::<ReferenceId>().ok().map(ReferenceId::octets),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn kinds_by_context() {
        use RefIdOrigin::{Packet, Peer, RefclockPeer};
        let ascii = ReferenceId(*b"GPS\0");
        // (origin, stratum, ipv6, kind)
        let table = [
            (Packet, 0, false, RefIdKind::Kiss),
            (Packet, 1, false, RefIdKind::Refclock),
            (Packet, 2, false, RefIdKind::Ipv4),
            (Packet, 15, false, RefIdKind::Ipv4),
            (Packet, 15, true, RefIdKind::Ipv6Hash),
            (Packet, 16, false, RefIdKind::Kiss),
            (Packet, 200, true, RefIdKind::Kiss),
            (Peer, 0, false, RefIdKind::Refclock),
            (Peer, 1, false, RefIdKind::Refclock),
            (Peer, 3, false, RefIdKind::Ipv4),
            (Peer, 3, true, RefIdKind::Ipv6Hash),
            (Peer, 16, false, RefIdKind::Kiss),
            (RefclockPeer, 0, false, RefIdKind::Refclock),
            (RefclockPeer, 5, true, RefIdKind::Refclock),
        ];
        for (origin, stratum, ipv6_upstream, kind) in table {
            let context = RefIdContext {
                stratum: Stratum(stratum),
                origin,
                ipv6_upstream,
            };
            assert_eq!(ascii.interpret(context).kind(), kind, "{context:?}");
        }
    }

    #[test]
    fn values_and_summaries() {
        let table = [
            (
                ReferenceId([192, 0, 2, 7]),
                RefIdContext::packet(Stratum(2)),
                RefIdValue::Ipv4(Ipv4Addr::new(192, 0, 2, 7)),
                r#"{"kind":"ipv4","text":"192.0.2.7","hex":"c0000207"}"#,
            ),
            (
                ReferenceId(*b"GPS\0"),
                RefIdContext::packet(Stratum(1)),
                RefIdValue::Refclock("GPS".into()),
                r#"{"kind":"refclock","text":"GPS","hex":"47505300"}"#,
            ),
            (
                ReferenceId(*b"RATE"),
                RefIdContext::packet(Stratum(0)),
                RefIdValue::Kiss(KissCode::Rate),
                r#"{"kind":"kiss","text":"RATE","hex":"52415445"}"#,
            ),
            (
                ReferenceId(*b"INIT"),
                RefIdContext::peer(Stratum(16)),
                RefIdValue::Kiss(KissCode::Init),
                r#"{"kind":"kiss","text":"INIT","hex":"494e4954"}"#,
            ),
            (
                ReferenceId([0x52, 0xfd, 0xcf, 0x75]),
                RefIdContext::peer(Stratum(3)).with_ipv6_upstream(),
                RefIdValue::Ipv6Hash(ReferenceId([0x52, 0xfd, 0xcf, 0x75])),
                r#"{"kind":"ipv6_hash","text":"82.253.207.117","hex":"52fdcf75"}"#,
            ),
        ];
        for (refid, context, value, json) in table {
            assert_eq!(refid.interpret(context), value);
            let summary = refid.summary(context);
            assert_eq!(serde_json::to_string(&summary).unwrap(), json);
        }
    }

    #[test]
    fn kiss_codes_both_ways() {
        let table = [
            (KissCode::Acst, "ACST"),
            (KissCode::Auth, "AUTH"),
            (KissCode::Auto, "AUTO"),
            (KissCode::Bcst, "BCST"),
            (KissCode::Cryp, "CRYP"),
            (KissCode::Deny, "DENY"),
            (KissCode::Drop, "DROP"),
            (KissCode::Rstr, "RSTR"),
            (KissCode::Init, "INIT"),
            (KissCode::Mcst, "MCST"),
            (KissCode::Nkey, "NKEY"),
            (KissCode::Ntsn, "NTSN"),
            (KissCode::Rate, "RATE"),
            (KissCode::Rmot, "RMOT"),
            (KissCode::Step, "STEP"),
            (KissCode::Time, "TIME"),
            (KissCode::Gone, "GONE"),
            (KissCode::Xfac, "XFAC"),
            (KissCode::Pool, "POOL"),
            (KissCode::Unknown("XYZW".into()), "XYZW"),
            (KissCode::Unknown("ABC".into()), "ABC"),
        ];
        for (code, text) in table {
            let refid = ReferenceId::from_ascii(text);
            assert_eq!(KissCode::from(refid), code, "{text}");
            assert_eq!(KissCode::from_text(text), code);
            assert_eq!(code.as_str(), text);
            assert_eq!(code.to_string(), text);
            assert_eq!(ReferenceId::from(&code), refid);
        }
    }

    #[test]
    fn kiss_code_classes() {
        assert!(KissCode::Deny.is_access_denied());
        assert!(KissCode::Rstr.is_access_denied());
        assert!(!KissCode::Rate.is_access_denied());
        assert!(KissCode::Unknown("XABC".into()).is_experimental());
        assert!(!KissCode::Xfac.is_experimental());
        assert!(!KissCode::Unknown("ABCD".into()).is_experimental());
        // Non-printable octets survive as dots in the unknown code's text.
        assert_eq!(
            KissCode::from(ReferenceId([b'A', 1, b'B', 0])),
            KissCode::Unknown("A.B".into())
        );
    }
}
