//! The 8-octet mode 7 header (protocol notes §7.1) and its code enums: implementation numbers,
//! request codes (§7.4) and the error field's info codes (§7.3).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;

use crate::error::DecodeError;
use crate::wire::Reader;

/// The mode number of private (ntpdc) messages.
pub const MODE_PRIVATE: u8 = 7;

/// The version number ntpdc 4.2.8 puts in its requests (`RM_VN_MODE(0, 0, 0)` → `0x17`).
pub const PRIVATE_VERSION: u8 = 2;

/// The largest fragment sequence number (`MAXSEQ`): the field has 7 bits.
pub const MAX_SEQUENCE: u8 = 127;

/// The largest `nitems` or `itemsize` value: each field has 12 bits.
pub const MAX_COUNT: u16 = 0x0fff;

/// The implementation a request is addressed to (`IMPL_*`, header octet 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Implementation {
    /// `IMPL_UNIV` (0): the universal implementation, which defines no requests.
    Univ,
    /// `IMPL_XNTPD_OLD` (2): xntpd 3 numbering and pre-IPv6 ("v4") item sizes.
    XntpdOld,
    /// `IMPL_XNTPD` (3): ntpd 4 with IPv6-capable (full-size) items.
    Xntpd,
    /// Any other value.
    Unknown(u8),
}

impl Implementation {
    /// Whether a server answering this implementation uses the full, IPv6-capable item sizes.
    #[must_use]
    pub const fn is_v6_capable(self) -> bool {
        matches!(self, Self::Xntpd)
    }
}

impl From<u8> for Implementation {
    fn from(value: u8) -> Self {
        match value {
            0 => Self::Univ,
            2 => Self::XntpdOld,
            3 => Self::Xntpd,
            other => Self::Unknown(other),
        }
    }
}

impl From<Implementation> for u8 {
    fn from(value: Implementation) -> Self {
        match value {
            Implementation::Univ => 0,
            Implementation::XntpdOld => 2,
            Implementation::Xntpd => 3,
            Implementation::Unknown(other) => other,
        }
    }
}

macro_rules! request_codes {
    ($($(#[$doc:meta])* $variant:ident = $value:literal, $name:literal, $auth:literal;)*) => {
        /// A mode 7 request code (header octet 3, protocol notes §7.4).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RequestCode {
            $($(#[$doc])* $variant,)*
            /// Any code not in the table.
            Unknown(u8),
        }

        impl RequestCode {
            /// Every named code, in numeric order.
            pub const ALL: &'static [RequestCode] = &[$(RequestCode::$variant),*];

            /// The code's name in `ntp_request.h`, e.g. `REQ_PEER_LIST`.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => Some($name),)*
                    Self::Unknown(_) => None,
                }
            }

            /// Whether ntpd 4.2.8 wants this request authenticated with its `requestkey`
            /// (when `auth` is enabled), per the §7.4 table.
            #[must_use]
            pub fn needs_auth(self) -> bool {
                match self {
                    $(Self::$variant => $auth,)*
                    Self::Unknown(_) => false,
                }
            }
        }

        impl From<u8> for RequestCode {
            fn from(value: u8) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<RequestCode> for u8 {
            fn from(value: RequestCode) -> Self {
                match value {
                    $(RequestCode::$variant => $value,)*
                    RequestCode::Unknown(other) => other,
                }
            }
        }
    };
}

request_codes! {
    /// `REQ_PEER_LIST` (0): `listpeers`.
    PeerList = 0, "REQ_PEER_LIST", false;
    /// `REQ_PEER_LIST_SUM` (1): `peers`, `dmpeers`.
    PeerListSum = 1, "REQ_PEER_LIST_SUM", false;
    /// `REQ_PEER_INFO` (2): `showpeer`.
    PeerInfo = 2, "REQ_PEER_INFO", false;
    /// `REQ_PEER_STATS` (3): `pstats`.
    PeerStats = 3, "REQ_PEER_STATS", false;
    /// `REQ_SYS_INFO` (4): `sysinfo`.
    SysInfo = 4, "REQ_SYS_INFO", false;
    /// `REQ_SYS_STATS` (5): `sysstats`.
    SysStats = 5, "REQ_SYS_STATS", false;
    /// `REQ_IO_STATS` (6): `iostats`.
    IoStats = 6, "REQ_IO_STATS", false;
    /// `REQ_MEM_STATS` (7): `memstats`.
    MemStats = 7, "REQ_MEM_STATS", false;
    /// `REQ_LOOP_INFO` (8): `loopinfo`.
    LoopInfo = 8, "REQ_LOOP_INFO", false;
    /// `REQ_TIMER_STATS` (9): `timerstats`.
    TimerStats = 9, "REQ_TIMER_STATS", false;
    /// `REQ_CONFIG` (10): `addpeer`, `addserver`, `addrefclock`, `broadcast`.
    Config = 10, "REQ_CONFIG", true;
    /// `REQ_UNCONFIG` (11): `unconfig`.
    Unconfig = 11, "REQ_UNCONFIG", true;
    /// `REQ_SET_SYS_FLAG` (12): `enable`.
    SetSysFlag = 12, "REQ_SET_SYS_FLAG", true;
    /// `REQ_CLR_SYS_FLAG` (13): `disable`.
    ClrSysFlag = 13, "REQ_CLR_SYS_FLAG", true;
    /// `REQ_MONITOR` (14): xntp3 only; 4.2.8 answers INFO_ERR_REQ.
    Monitor = 14, "REQ_MONITOR", false;
    /// `REQ_NOMONITOR` (15): xntp3 only; 4.2.8 answers INFO_ERR_REQ.
    NoMonitor = 15, "REQ_NOMONITOR", false;
    /// `REQ_GET_RESTRICT` (16): `reslist`.
    GetRestrict = 16, "REQ_GET_RESTRICT", false;
    /// `REQ_RESADDFLAGS` (17): `restrict`.
    ResAddFlags = 17, "REQ_RESADDFLAGS", true;
    /// `REQ_RESSUBFLAGS` (18): `unrestrict`.
    ResSubFlags = 18, "REQ_RESSUBFLAGS", true;
    /// `REQ_UNRESTRICT` (19): `delrestrict`.
    Unrestrict = 19, "REQ_UNRESTRICT", true;
    /// `REQ_MON_GETLIST` (20): `monlist <version>`; always INFO_ERR_NODATA in 4.2.8.
    MonGetList = 20, "REQ_MON_GETLIST", false;
    /// `REQ_RESET_STATS` (21): `reset`.
    ResetStats = 21, "REQ_RESET_STATS", true;
    /// `REQ_RESET_PEER` (22): `preset`.
    ResetPeer = 22, "REQ_RESET_PEER", true;
    /// `REQ_REREAD_KEYS` (23): `readkeys`.
    RereadKeys = 23, "REQ_REREAD_KEYS", true;
    /// `REQ_DO_DIRTY_HACK` (24): unused; INFO_ERR_REQ.
    DoDirtyHack = 24, "REQ_DO_DIRTY_HACK", false;
    /// `REQ_DONT_DIRTY_HACK` (25): unused; INFO_ERR_REQ.
    DontDirtyHack = 25, "REQ_DONT_DIRTY_HACK", false;
    /// `REQ_TRUSTKEY` (26): `trustedkey`.
    TrustKey = 26, "REQ_TRUSTKEY", true;
    /// `REQ_UNTRUSTKEY` (27): `untrustedkey`.
    UntrustKey = 27, "REQ_UNTRUSTKEY", true;
    /// `REQ_AUTHINFO` (28): `authinfo`.
    AuthInfo = 28, "REQ_AUTHINFO", false;
    /// `REQ_TRAPS` (29): `traps`.
    Traps = 29, "REQ_TRAPS", false;
    /// `REQ_ADD_TRAP` (30): `addtrap`.
    AddTrap = 30, "REQ_ADD_TRAP", true;
    /// `REQ_CLR_TRAP` (31): `clrtrap`.
    ClrTrap = 31, "REQ_CLR_TRAP", true;
    /// `REQ_REQUEST_KEY` (32): `requestkey`.
    RequestKey = 32, "REQ_REQUEST_KEY", true;
    /// `REQ_CONTROL_KEY` (33): `controlkey`.
    ControlKey = 33, "REQ_CONTROL_KEY", true;
    /// `REQ_GET_CTLSTATS` (34): `ctlstats`.
    GetCtlStats = 34, "REQ_GET_CTLSTATS", false;
    /// `REQ_GET_LEAPINFO` (35): xntp3 `info_leap`; 4.2.8 answers INFO_ERR_REQ.
    GetLeapInfo = 35, "REQ_GET_LEAPINFO", false;
    /// `REQ_GET_CLOCKINFO` (36): `clockstat`.
    GetClockInfo = 36, "REQ_GET_CLOCKINFO", false;
    /// `REQ_SET_CLKFUDGE` (37): `fudge`.
    SetClkFudge = 37, "REQ_SET_CLKFUDGE", true;
    /// `REQ_GET_KERNEL` (38): `kerninfo`.
    GetKernel = 38, "REQ_GET_KERNEL", false;
    /// `REQ_GET_CLKBUGINFO` (39): `clkbug`.
    GetClkBugInfo = 39, "REQ_GET_CLKBUGINFO", false;
    /// Code 40 (xntp3 `REQ_SET_SELECT_CODE`): INFO_ERR_REQ in 4.2.8.
    SetSelectCode = 40, "REQ_SET_SELECT_CODE", false;
    /// `REQ_SET_PRECISION` (41): not used; INFO_ERR_REQ.
    SetPrecision = 41, "REQ_SET_PRECISION", false;
    /// `REQ_MON_GETLIST_1` (42): `monlist`; always INFO_ERR_NODATA in 4.2.8.
    MonGetList1 = 42, "REQ_MON_GETLIST_1", false;
    /// `REQ_HOSTNAME_ASSOCID` (43): not in ntpd's table; INFO_ERR_REQ.
    HostnameAssocId = 43, "REQ_HOSTNAME_ASSOCID", false;
    /// `REQ_IF_STATS` (44): `ifstats`.
    IfStats = 44, "REQ_IF_STATS", true;
    /// `REQ_IF_RELOAD` (45): `ifreload`.
    IfReload = 45, "REQ_IF_RELOAD", true;
}

/// The 4-bit error field of a response (`INFO_OKAY`, `INFO_ERR_*`, protocol notes §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InfoCode {
    /// `INFO_OKAY` (0).
    Okay,
    /// `INFO_ERR_IMPL` (1): implementation not supported.
    Impl,
    /// `INFO_ERR_REQ` (2): request code not implemented.
    Req,
    /// `INFO_ERR_FMT` (3): bad item size, length or format.
    Fmt,
    /// `INFO_ERR_NODATA` (4): no data, or unknown peer.
    NoData,
    /// `INFO_ERR_AUTH` (7): authentication or permission failure.
    Auth,
    /// Any other value (5 and 6 are unused).
    Unknown(u8),
}

impl InfoCode {
    /// What ntpdc prints for this code (without its `***` prefix).
    #[must_use]
    pub fn ntpdc_message(self) -> String {
        match self {
            Self::Okay => "done!".to_owned(),
            Self::Impl => "Server implementation incompatible with our own".to_owned(),
            Self::Req => "Server doesn't implement this request".to_owned(),
            Self::Fmt => {
                "Server reports a format error in the received packet (shouldn't happen)".to_owned()
            }
            Self::NoData => "Server reports data not found".to_owned(),
            Self::Auth => "Permission denied".to_owned(),
            Self::Unknown(code) => format!("Server returns unknown error code {code}"),
        }
    }
}

/// Lowercase one-line meaning, for error chains.
impl fmt::Display for InfoCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Okay => f.write_str("okay"),
            Self::Impl => f.write_str("implementation incompatible"),
            Self::Req => f.write_str("request not implemented"),
            Self::Fmt => f.write_str("format error in request"),
            Self::NoData => f.write_str("data not found"),
            Self::Auth => f.write_str("permission denied"),
            Self::Unknown(code) => write!(f, "unknown error code {code}"),
        }
    }
}

impl From<u8> for InfoCode {
    fn from(value: u8) -> Self {
        match value {
            0 => Self::Okay,
            1 => Self::Impl,
            2 => Self::Req,
            3 => Self::Fmt,
            4 => Self::NoData,
            7 => Self::Auth,
            other => Self::Unknown(other),
        }
    }
}

impl From<InfoCode> for u8 {
    fn from(value: InfoCode) -> Self {
        match value {
            InfoCode::Okay => 0,
            InfoCode::Impl => 1,
            InfoCode::Req => 2,
            InfoCode::Fmt => 3,
            InfoCode::NoData => 4,
            InfoCode::Auth => 7,
            InfoCode::Unknown(other) => other,
        }
    }
}

/// The 8-octet header of every mode 7 message (protocol notes §7.1).
///
/// Decoding only splits fields; whether a header is acceptable is decided by the request
/// encoder and the response checks. Encoding masks each field to its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrivateHeader {
    /// R bit: this is a response.
    pub response: bool,
    /// M bit: more fragments follow.
    pub more: bool,
    /// Version number (3 bits).
    pub version: u8,
    /// Mode (3 bits); 7 for private messages.
    pub mode: u8,
    /// A bit: the request carries a MAC.
    pub authenticated: bool,
    /// Fragment sequence number (7 bits); 0 in requests.
    pub sequence: u8,
    /// Implementation number.
    pub implementation: Implementation,
    /// Request code.
    pub code: RequestCode,
    /// Error field (4 bits).
    pub err: InfoCode,
    /// Number of items (12 bits).
    pub nitems: u16,
    /// Must-be-zero field (4 bits).
    pub mbz: u8,
    /// Size of each item in octets (12 bits).
    pub itemsize: u16,
}

impl PrivateHeader {
    /// Octets in the header (`REQ_LEN_HDR`, `RESP_HEADER_SIZE`).
    pub const LEN: usize = 8;

    /// A request header as ntpdc builds it: VN 2, mode 7, no flags, sequence 0, err 0.
    #[must_use]
    pub fn request(implementation: Implementation, code: RequestCode) -> Self {
        Self {
            response: false,
            more: false,
            version: PRIVATE_VERSION,
            mode: MODE_PRIVATE,
            authenticated: false,
            sequence: 0,
            implementation,
            code,
            err: InfoCode::Okay,
            nitems: 0,
            mbz: 0,
            itemsize: 0,
        }
    }

    /// Splits the first 8 octets of `bytes` into fields.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] when fewer than 8 octets are given.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let [rm_vn_mode, auth_seq, implementation, code] = r.take::<4>()?;
        let err_nitems = r.u16()?;
        let mbz_itemsize = r.u16()?;
        Ok(Self {
            response: rm_vn_mode & 0x80 != 0,
            more: rm_vn_mode & 0x40 != 0,
            version: (rm_vn_mode >> 3) & 0x07,
            mode: rm_vn_mode & 0x07,
            authenticated: auth_seq & 0x80 != 0,
            sequence: auth_seq & 0x7f,
            implementation: implementation.into(),
            code: code.into(),
            err: InfoCode::from(high_nibble(err_nitems)),
            nitems: err_nitems & MAX_COUNT,
            mbz: high_nibble(mbz_itemsize),
            itemsize: mbz_itemsize & MAX_COUNT,
        })
    }

    /// The 8 wire octets, each field masked to its width.
    #[must_use]
    pub fn encode(&self) -> [u8; 8] {
        let rm_vn_mode = (u8::from(self.response) << 7)
            | (u8::from(self.more) << 6)
            | ((self.version & 0x07) << 3)
            | (self.mode & 0x07);
        let auth_seq = (u8::from(self.authenticated) << 7) | (self.sequence & 0x7f);
        let err_nitems = (u16::from(u8::from(self.err) & 0x0f) << 12) | (self.nitems & MAX_COUNT);
        let mbz_itemsize = (u16::from(self.mbz & 0x0f) << 12) | (self.itemsize & MAX_COUNT);
        let [e0, e1] = err_nitems.to_be_bytes();
        let [m0, m1] = mbz_itemsize.to_be_bytes();
        [
            rm_vn_mode,
            auth_seq,
            self.implementation.into(),
            self.code.into(),
            e0,
            e1,
            m0,
            m1,
        ]
    }
}

fn high_nibble(word: u16) -> u8 {
    // A u16 shifted right by 12 always fits in 4 bits.
    u8::try_from(word >> 12).unwrap_or(0x0f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implementation_codes_both_ways() {
        for (value, code) in [
            (0, Implementation::Univ),
            (2, Implementation::XntpdOld),
            (3, Implementation::Xntpd),
            (1, Implementation::Unknown(1)),
            (255, Implementation::Unknown(255)),
        ] {
            assert_eq!(Implementation::from(value), code);
            assert_eq!(u8::from(code), value);
        }
        assert!(Implementation::Xntpd.is_v6_capable());
        assert!(!Implementation::XntpdOld.is_v6_capable());
    }

    #[test]
    fn every_request_code_both_ways() {
        assert_eq!(RequestCode::ALL.len(), 46);
        for (value, code) in (0_u8..).zip(RequestCode::ALL) {
            assert_eq!(RequestCode::from(value), *code);
            assert_eq!(u8::from(*code), value);
            assert!(code.name().is_some_and(|n| n.starts_with("REQ_")));
        }
        for value in 46..=255 {
            assert_eq!(RequestCode::from(value), RequestCode::Unknown(value));
            assert_eq!(u8::from(RequestCode::Unknown(value)), value);
            assert_eq!(RequestCode::Unknown(value).name(), None);
        }
    }

    #[test]
    fn request_code_table_spot_checks() {
        for (code, name, auth) in [
            (RequestCode::PeerList, "REQ_PEER_LIST", false),
            (RequestCode::Config, "REQ_CONFIG", true),
            (RequestCode::GetRestrict, "REQ_GET_RESTRICT", false),
            (RequestCode::ResetStats, "REQ_RESET_STATS", true),
            (RequestCode::TrustKey, "REQ_TRUSTKEY", true),
            (RequestCode::GetCtlStats, "REQ_GET_CTLSTATS", false),
            (RequestCode::MonGetList1, "REQ_MON_GETLIST_1", false),
            (RequestCode::IfStats, "REQ_IF_STATS", true),
            (RequestCode::IfReload, "REQ_IF_RELOAD", true),
        ] {
            assert_eq!(code.name(), Some(name));
            assert_eq!(code.needs_auth(), auth, "{name}");
        }
        let authed = RequestCode::ALL.iter().filter(|c| c.needs_auth()).count();
        assert_eq!(authed, 19);
    }

    #[test]
    fn info_codes_both_ways_with_messages() {
        for (value, code, message) in [
            (0, InfoCode::Okay, "done!"),
            (
                1,
                InfoCode::Impl,
                "Server implementation incompatible with our own",
            ),
            (2, InfoCode::Req, "Server doesn't implement this request"),
            (
                3,
                InfoCode::Fmt,
                "Server reports a format error in the received packet (shouldn't happen)",
            ),
            (4, InfoCode::NoData, "Server reports data not found"),
            (
                5,
                InfoCode::Unknown(5),
                "Server returns unknown error code 5",
            ),
            (
                6,
                InfoCode::Unknown(6),
                "Server returns unknown error code 6",
            ),
            (7, InfoCode::Auth, "Permission denied"),
        ] {
            assert_eq!(InfoCode::from(value), code);
            assert_eq!(u8::from(code), value);
            assert_eq!(code.ntpdc_message(), message);
        }
        assert_eq!(InfoCode::Auth.to_string(), "permission denied");
    }

    fn sample() -> PrivateHeader {
        PrivateHeader {
            response: true,
            more: true,
            version: 2,
            mode: 7,
            authenticated: false,
            sequence: 5,
            implementation: Implementation::Xntpd,
            code: RequestCode::PeerListSum,
            err: InfoCode::Okay,
            nitems: 6,
            mbz: 0,
            itemsize: 72,
        }
    }

    #[test]
    fn header_fields_both_ways() {
        let base = sample();
        let cases: Vec<(PrivateHeader, [u8; 8])> = vec![
            (base, [0xd7, 0x05, 0x03, 0x01, 0x00, 0x06, 0x00, 0x48]),
            (
                PrivateHeader::request(Implementation::Xntpd, RequestCode::PeerListSum),
                [0x17, 0x00, 0x03, 0x01, 0, 0, 0, 0],
            ),
            (
                PrivateHeader {
                    more: false,
                    ..base
                },
                [0x97, 0x05, 0x03, 0x01, 0x00, 0x06, 0x00, 0x48],
            ),
            (
                PrivateHeader {
                    response: false,
                    more: false,
                    ..base
                },
                [0x17, 0x05, 0x03, 0x01, 0x00, 0x06, 0x00, 0x48],
            ),
            (
                PrivateHeader { version: 4, ..base },
                [0xe7, 0x05, 0x03, 0x01, 0x00, 0x06, 0x00, 0x48],
            ),
            (
                PrivateHeader { mode: 6, ..base },
                [0xd6, 0x05, 0x03, 0x01, 0x00, 0x06, 0x00, 0x48],
            ),
            (
                PrivateHeader {
                    authenticated: true,
                    sequence: 127,
                    ..base
                },
                [0xd7, 0xff, 0x03, 0x01, 0x00, 0x06, 0x00, 0x48],
            ),
            (
                PrivateHeader {
                    implementation: Implementation::XntpdOld,
                    code: RequestCode::IfReload,
                    ..base
                },
                [0xd7, 0x05, 0x02, 0x2d, 0x00, 0x06, 0x00, 0x48],
            ),
            (
                PrivateHeader {
                    err: InfoCode::Auth,
                    nitems: 0xfff,
                    ..base
                },
                [0xd7, 0x05, 0x03, 0x01, 0x7f, 0xff, 0x00, 0x48],
            ),
            (
                PrivateHeader {
                    err: InfoCode::Unknown(15),
                    mbz: 0xf,
                    itemsize: 0xabc,
                    ..base
                },
                [0xd7, 0x05, 0x03, 0x01, 0xf0, 0x06, 0xfa, 0xbc],
            ),
        ];
        for (header, bytes) in cases {
            assert_eq!(header.encode(), bytes, "{header:?}");
            assert_eq!(PrivateHeader::decode(&bytes).unwrap(), header);
        }
    }

    #[test]
    fn header_truncated() {
        assert_eq!(
            PrivateHeader::decode(&[0x97, 0, 3, 1, 0, 0, 0]),
            Err(DecodeError::Truncated { need: 2, have: 1 })
        );
    }

    #[test]
    fn encode_masks_out_of_range_fields() {
        let h = PrivateHeader {
            sequence: 0xff,
            nitems: 0xffff,
            itemsize: 0x1234,
            version: 9,
            ..sample()
        };
        let back = PrivateHeader::decode(&h.encode()).unwrap();
        assert_eq!(
            (back.sequence, back.nitems, back.itemsize, back.version),
            (0x7f, 0xfff, 0x234, 1)
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_header_octet_pattern_round_trips(bytes: [u8; 8]) {
            prop_assert_eq!(PrivateHeader::decode(&bytes).unwrap().encode(), bytes);
        }

        #[test]
        fn codes_round_trip(value: u8) {
            prop_assert_eq!(u8::from(RequestCode::from(value)), value);
            prop_assert_eq!(u8::from(Implementation::from(value)), value);
            prop_assert_eq!(u8::from(InfoCode::from(value)), value);
        }
    }
}
