//! Why an NTP packet could not be decoded, verified or turned into a server reply.

use thiserror::Error;

use super::{KissCode, NtpMode, Stratum};
use crate::auth::KeyId;
use crate::error::DecodeError;

/// Errors of the mode 1–5 packet codec and of [`super::ClientExchange`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PacketError {
    /// The datagram is too short or otherwise unreadable.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The octets after the header and extension fields are not a valid MAC trailer: not a
    /// multiple of 4 (protocol notes §2.5).
    #[error("bad mac trailer length {0}")]
    TrailerLength(usize),
    /// An extension field's length is below 4, not a multiple of 4, or runs past the end.
    #[error("bad extension field length {length} at offset {offset}")]
    ExtensionLength {
        /// Offset of the extension field in the datagram.
        offset: usize,
        /// The length the field claims.
        length: u16,
    },
    /// The reply's version number is outside 1..=4.
    #[error("unsupported ntp version {0}")]
    BadVersion(u8),
    /// The reply's mode is neither server (4) nor symmetric passive (2).
    #[error("unexpected mode {0}")]
    BadMode(NtpMode),
    /// The server reports stratum 16 or above on the wire.
    #[error("server is unsynchronized: stratum {0}")]
    BadStratum(Stratum),
    /// The server sent a kiss-o'-death (LI = 3, stratum 0, RFC 5905 §7.4).
    #[error("kiss-o'-death '{code}' (poll {poll})")]
    Kiss {
        /// The kiss code from the refid field.
        code: KissCode,
        /// The KoD's poll exponent; after `RATE` a client should poll no faster than this.
        poll: i8,
    },
    /// The server answered with a timestamp that cannot be right (zero receive or transmit
    /// time), which ntpdate treats as a bogus reply.
    #[error("bogus reply: {0} timestamp is zero")]
    ZeroTimestamp(&'static str),
    /// Authentication was required but the packet carries no MAC trailer.
    #[error("reply is not authenticated")]
    MissingMac,
    /// The server sent a crypto-NAK: it could not authenticate our request.
    #[error("server sent a crypto-nak (key id {0})")]
    CryptoNak(KeyId),
    /// The MAC trailer names a different key than the one expected.
    #[error("mac key id {got} does not match key id {expected}")]
    KeyIdMismatch {
        /// The key we authenticate with.
        expected: KeyId,
        /// The key ID in the trailer.
        got: KeyId,
    },
    /// The MAC does not verify under the key.
    #[error("mac check failed for key id {0}")]
    BadMac(KeyId),
    /// No acceptable reply arrived.
    #[error("no reply after {attempts} attempts")]
    Timeout {
        /// Datagrams sent, the first one included.
        attempts: u32,
    },
}
