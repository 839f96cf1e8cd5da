//! The 12-octet mode 6 header (protocol notes §4.1), its scalar fields and the opcodes (§4.2).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;

use super::status::LeapIndicator;
use crate::error::DecodeError;
use crate::wire::Reader;

/// The NTP mode number of control messages.
pub const MODE_CONTROL: u8 = 6;

/// Octets in a mode 6 header (`CTL_HEADER_LEN`).
pub const CONTROL_HEADER_LEN: usize = 12;

/// Most data octets one mode 6 datagram carries (`CTL_MAX_DATA_LEN`), request or response.
pub const CONTROL_MAX_DATA: usize = 468;

const RESPONSE_BIT: u8 = 0x80;
const ERROR_BIT: u8 = 0x40;
const MORE_BIT: u8 = 0x20;
const OPCODE_MASK: u8 = 0x1f;

/// The request sequence number, echoed in every fragment of the response (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Sequence(pub u16);

impl Sequence {
    /// The following sequence number, wrapping after 65535 as ntpq's `u_short` does.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }
}

impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An association ID; 0 addresses the system itself rather than a peer (§4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AssocId(pub u16);

impl AssocId {
    /// Association 0: the system variables and system status word.
    pub const SYSTEM: Self = Self(0);

    /// Whether this is association 0.
    #[must_use]
    pub const fn is_system(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for AssocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A mode 6 opcode: the low five bits of the second header octet (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ControlOpcode {
    /// 0, `CTL_OP_UNSPEC`: returns only the status word of an association or the system.
    Unspec,
    /// 1, `CTL_OP_READSTAT`: association list (assoc 0) or default peer variables.
    ReadStatus,
    /// 2, `CTL_OP_READVAR`: system or peer variables.
    ReadVariables,
    /// 3, `CTL_OP_WRITEVAR`: set variables (authenticated).
    WriteVariables,
    /// 4, `CTL_OP_READCLOCK`: reference clock variables.
    ReadClock,
    /// 5, `CTL_OP_WRITECLOCK`: always refused by ntpd.
    WriteClock,
    /// 6, `CTL_OP_SETTRAP`: register a trap.
    SetTrap,
    /// 7, `CTL_OP_ASYNCMSG`: trap message, sent by the server only.
    AsyncMessage,
    /// 8, `CTL_OP_CONFIGURE`: one configuration line (authenticated).
    Configure,
    /// 9, `CTL_OP_SAVECONFIG`: save the configuration to a file (authenticated).
    SaveConfig,
    /// 10, `CTL_OP_READ_MRU`: a slice of the MRU list (§5).
    ReadMru,
    /// 11, `CTL_OP_READ_ORDLIST_A`: interface or restriction lists (authenticated, §4.13).
    ReadOrderedList,
    /// 12, `CTL_OP_REQ_NONCE`: a nonce for READ_MRU (§5.1).
    RequestNonce,
    /// 31, `CTL_OP_UNSETTRAP`: remove a trap.
    UnsetTrap,
    /// Any other value.
    Unknown(u8),
}

impl ControlOpcode {
    /// Whether ntpd 4.2.8 refuses this opcode unless the request is signed with the
    /// `controlkey` (§4.2 "Auth required").
    #[must_use]
    pub const fn requires_auth(self) -> bool {
        matches!(
            self,
            Self::WriteVariables | Self::Configure | Self::SaveConfig | Self::ReadOrderedList
        )
    }
}

impl From<u8> for ControlOpcode {
    fn from(code: u8) -> Self {
        match code {
            0 => Self::Unspec,
            1 => Self::ReadStatus,
            2 => Self::ReadVariables,
            3 => Self::WriteVariables,
            4 => Self::ReadClock,
            5 => Self::WriteClock,
            6 => Self::SetTrap,
            7 => Self::AsyncMessage,
            8 => Self::Configure,
            9 => Self::SaveConfig,
            10 => Self::ReadMru,
            11 => Self::ReadOrderedList,
            12 => Self::RequestNonce,
            31 => Self::UnsetTrap,
            other => Self::Unknown(other),
        }
    }
}

impl From<ControlOpcode> for u8 {
    fn from(op: ControlOpcode) -> Self {
        match op {
            ControlOpcode::Unspec => 0,
            ControlOpcode::ReadStatus => 1,
            ControlOpcode::ReadVariables => 2,
            ControlOpcode::WriteVariables => 3,
            ControlOpcode::ReadClock => 4,
            ControlOpcode::WriteClock => 5,
            ControlOpcode::SetTrap => 6,
            ControlOpcode::AsyncMessage => 7,
            ControlOpcode::Configure => 8,
            ControlOpcode::SaveConfig => 9,
            ControlOpcode::ReadMru => 10,
            ControlOpcode::ReadOrderedList => 11,
            ControlOpcode::RequestNonce => 12,
            ControlOpcode::UnsetTrap => 31,
            ControlOpcode::Unknown(code) => code,
        }
    }
}

/// ntpd's short names (`readstat`, `read_mru`, …); unknown codes print as `opcode_<n>`.
impl fmt::Display for ControlOpcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Unspec => "unspec",
            Self::ReadStatus => "readstat",
            Self::ReadVariables => "readvar",
            Self::WriteVariables => "writevar",
            Self::ReadClock => "readclock",
            Self::WriteClock => "writeclock",
            Self::SetTrap => "settrap",
            Self::AsyncMessage => "asyncmsg",
            Self::Configure => "configure",
            Self::SaveConfig => "saveconfig",
            Self::ReadMru => "read_mru",
            Self::ReadOrderedList => "read_ordlist_a",
            Self::RequestNonce => "req_nonce",
            Self::UnsetTrap => "unsettrap",
            Self::Unknown(code) => return write!(f, "opcode_{code}"),
        };
        f.write_str(name)
    }
}

/// The mode 6 header (§4.1). The mode field is always 6 and is not stored.
///
/// Decoding keeps every other field as sent (VN included, even outside 1..=4) so that
/// `encode(decode(x)) == x`; acceptance rules belong to the reassembler (§4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlHeader {
    /// LI: 0 in requests, the server's leap bits in responses.
    pub leap: LeapIndicator,
    /// VN, 0..=7 on the wire; clients send 2 by default, servers echo the request's.
    pub version: u8,
    /// R bit: set in responses.
    pub response: bool,
    /// E bit: set in error responses, whose status high octet is the [`ErrorCode`].
    ///
    /// [`ErrorCode`]: super::ErrorCode
    pub error: bool,
    /// M bit: more fragments follow.
    pub more: bool,
    /// The operation.
    pub opcode: ControlOpcode,
    /// Chosen by the client, echoed in every response fragment.
    pub sequence: Sequence,
    /// 0 in requests; in responses a status word (§4.7) or `error_code << 8`.
    pub status: u16,
    /// The association addressed (0 = system).
    pub assoc: AssocId,
    /// Octet offset of this fragment's data in the reassembled payload (0 in requests).
    pub offset: u16,
    /// Data octets in this datagram, excluding padding and MAC.
    pub count: u16,
}

impl ControlHeader {
    /// The VN ntpq (both flavours) sends unless told otherwise.
    pub const DEFAULT_VERSION: u8 = 2;

    /// A request header as ntpq builds it: LI 0, no flags, status 0, offset 0.
    #[must_use]
    pub const fn request(
        opcode: ControlOpcode,
        version: u8,
        sequence: Sequence,
        assoc: AssocId,
        count: u16,
    ) -> Self {
        Self {
            leap: LeapIndicator::NoWarning,
            version,
            response: false,
            error: false,
            more: false,
            opcode,
            sequence,
            status: 0,
            assoc,
            offset: 0,
            count,
        }
    }

    /// Decodes the first 12 octets of `datagram`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 12 octets are given, [`DecodeError::BadMode`]
    /// if the mode is not 6.
    pub fn decode(datagram: &[u8]) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(datagram))
    }

    /// Reads a header from the cursor.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let [li_vn_mode, rem_op] = r.take::<2>()?;
        let sequence = Sequence(r.u16()?);
        let status = r.u16()?;
        let assoc = AssocId(r.u16()?);
        let offset = r.u16()?;
        let count = r.u16()?;
        let mode = li_vn_mode & 0x07;
        if mode != MODE_CONTROL {
            return Err(DecodeError::BadMode(mode));
        }
        Ok(Self {
            leap: LeapIndicator::from_bits(li_vn_mode >> 6),
            version: (li_vn_mode >> 3) & 0x07,
            response: rem_op & RESPONSE_BIT != 0,
            error: rem_op & ERROR_BIT != 0,
            more: rem_op & MORE_BIT != 0,
            opcode: ControlOpcode::from(rem_op & OPCODE_MASK),
            sequence,
            status,
            assoc,
            offset,
            count,
        })
    }

    /// The 12 wire octets. The VN and opcode are masked to their 3 and 5 bits.
    #[must_use]
    pub fn encode(&self) -> [u8; CONTROL_HEADER_LEN] {
        let li_vn_mode = (self.leap.to_bits() << 6) | ((self.version & 0x07) << 3) | MODE_CONTROL;
        let mut rem_op = u8::from(self.opcode) & OPCODE_MASK;
        for (set, bit) in [
            (self.response, RESPONSE_BIT),
            (self.error, ERROR_BIT),
            (self.more, MORE_BIT),
        ] {
            if set {
                rem_op |= bit;
            }
        }
        let mut out = [0; CONTROL_HEADER_LEN];
        let words = [
            u16::from_be_bytes([li_vn_mode, rem_op]),
            self.sequence.0,
            self.status,
            self.assoc.0,
            self.offset,
            self.count,
        ];
        for (chunk, word) in out.chunks_exact_mut(2).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ControlHeader {
        ControlHeader::request(
            ControlOpcode::ReadStatus,
            2,
            Sequence(1),
            AssocId::SYSTEM,
            0,
        )
    }

    #[test]
    fn opcodes_both_directions() {
        let table = [
            (0, ControlOpcode::Unspec, "unspec"),
            (1, ControlOpcode::ReadStatus, "readstat"),
            (2, ControlOpcode::ReadVariables, "readvar"),
            (3, ControlOpcode::WriteVariables, "writevar"),
            (4, ControlOpcode::ReadClock, "readclock"),
            (5, ControlOpcode::WriteClock, "writeclock"),
            (6, ControlOpcode::SetTrap, "settrap"),
            (7, ControlOpcode::AsyncMessage, "asyncmsg"),
            (8, ControlOpcode::Configure, "configure"),
            (9, ControlOpcode::SaveConfig, "saveconfig"),
            (10, ControlOpcode::ReadMru, "read_mru"),
            (11, ControlOpcode::ReadOrderedList, "read_ordlist_a"),
            (12, ControlOpcode::RequestNonce, "req_nonce"),
            (31, ControlOpcode::UnsetTrap, "unsettrap"),
            (13, ControlOpcode::Unknown(13), "opcode_13"),
            (30, ControlOpcode::Unknown(30), "opcode_30"),
        ];
        for (code, op, name) in table {
            assert_eq!(ControlOpcode::from(code), op, "{code}");
            assert_eq!(u8::from(op), code);
            assert_eq!(op.to_string(), name);
        }
        for code in 0..=u8::MAX {
            assert_eq!(u8::from(ControlOpcode::from(code)), code);
        }
    }

    #[test]
    fn auth_required_opcodes() {
        let needs: Vec<u8> = (0..32)
            .filter(|&c| ControlOpcode::from(c).requires_auth())
            .collect();
        assert_eq!(needs, [3, 8, 9, 11]);
    }

    #[test]
    fn each_field_both_directions() {
        type Edit = fn(&mut ControlHeader);
        let table: [(Edit, [u8; 12]); 11] = [
            (|_| {}, [0x16, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
            (
                |h| h.leap = LeapIndicator::Unsynchronized,
                [0xd6, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.version = 4,
                [0x26, 0x01, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.response = true,
                [0x16, 0x81, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.error = true,
                [0x16, 0x41, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.more = true,
                [0x16, 0x21, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.opcode = ControlOpcode::UnsetTrap,
                [0x16, 0x1f, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.sequence = Sequence(0xabcd),
                [0x16, 0x01, 0xab, 0xcd, 0, 0, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.status = 0x0615,
                [0x16, 0x01, 0, 1, 0x06, 0x15, 0, 0, 0, 0, 0, 0],
            ),
            (
                |h| h.assoc = AssocId(0xfe01),
                [0x16, 0x01, 0, 1, 0, 0, 0xfe, 0x01, 0, 0, 0, 0],
            ),
            (
                |h| {
                    h.offset = 468;
                    h.count = 13;
                },
                [0x16, 0x01, 0, 1, 0, 0, 0, 0, 0x01, 0xd4, 0, 13],
            ),
        ];
        for (edit, bytes) in table {
            let mut h = base();
            edit(&mut h);
            assert_eq!(h.encode(), bytes, "{h:?}");
            assert_eq!(ControlHeader::decode(&bytes), Ok(h));
        }
    }

    #[test]
    fn rejects_short_and_wrong_mode() {
        assert_eq!(
            ControlHeader::decode(&[0x16; 11]),
            Err(DecodeError::Truncated { need: 2, have: 1 })
        );
        let mut bytes = base().encode();
        bytes[0] = 0x17;
        assert_eq!(ControlHeader::decode(&bytes), Err(DecodeError::BadMode(7)));
    }

    #[test]
    fn sequence_wraps() {
        assert_eq!(Sequence(u16::MAX).next(), Sequence(0));
        assert_eq!(Sequence(7).next(), Sequence(8));
        assert!(AssocId::SYSTEM.is_system());
        assert!(!AssocId(3).is_system());
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::ControlHeader;
    use crate::control::test_gens::header_any;

    proptest! {
        #[test]
        fn decode_inverts_encode(header in header_any()) {
            prop_assert_eq!(ControlHeader::decode(&header.encode()), Ok(header));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(header) = ControlHeader::decode(&bytes) {
                prop_assert_eq!(&header.encode()[..], &bytes[..12]);
            }
        }
    }
}
