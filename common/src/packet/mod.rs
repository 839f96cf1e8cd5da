//! The NTP packet of modes 1–5 (RFC 5905 §7.3, protocol notes §2): the 48-octet header,
//! extension fields, the symmetric-key MAC trailer, reference IDs and the sans-IO client
//! exchange ntpdate-style tools use.
//!
//! [`NtpPacket::decode`] accepts any header (every version, mode and stratum) and keeps every
//! octet, so `encode` reproduces the datagram exactly and a MAC can be checked against the
//! re-encoded bytes; the *acceptance* checks of a client (version 1..=4, server mode, origin,
//! kiss-o'-death, MAC) live in [`ClientExchange`].
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

mod client;
mod error;
mod fields;
mod refclock;
mod refid;
#[cfg(test)]
mod test_gens;

pub use client::{ClientExchange, ClientRequest, Sample, ServerReply, sample};
pub use error::PacketError;
pub use fields::{LeapIndicator, NtpMode, Stratum};
pub use refclock::{is_refclock_addr, refclock_display, refclock_name, refclock_type_name};
pub use refid::{
    KissCode, RefIdContext, RefIdKind, RefIdOrigin, RefIdSummary, RefIdValue, ReferenceId,
    refid_for_ipv6,
};

use crate::auth::{Key, KeyId};
use crate::time::{NtpShort, NtpTimestamp};
use crate::wire::Reader;

/// Octets in the fixed header (`LEN_PKT_NOMAC`).
pub const HEADER_LEN: usize = 48;

/// The longest octet count after the header that is read as a MAC trailer rather than an
/// extension field (key ID + 20-octet digest; ntpd's `MAX_MAC_LEN`).
pub const MAX_TRAILER_LEN: usize = 24;

/// One NTP packet of modes 1–5: header, extension fields and MAC trailer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NtpPacket {
    /// Leap indicator (bits 7–6 of octet 0).
    pub leap: LeapIndicator,
    /// Version number (bits 5–3 of octet 0); only the low three bits are sent.
    pub version: u8,
    /// Association mode (bits 2–0 of octet 0).
    pub mode: NtpMode,
    /// Stratum (octet 1), the wire value.
    pub stratum: Stratum,
    /// Poll exponent, log2 seconds (octet 2).
    pub poll: i8,
    /// Clock precision, log2 seconds (octet 3), e.g. −20 ≈ 1 µs.
    pub precision: i8,
    /// Root delay, 16.16 seconds (octets 4–7); ntpd reads it as signed.
    pub root_delay: NtpShort,
    /// Root dispersion, unsigned 16.16 seconds (octets 8–11).
    pub root_dispersion: NtpShort,
    /// Reference ID (octets 12–15); see [`ReferenceId::interpret`].
    pub reference_id: ReferenceId,
    /// When the system clock was last set or corrected (octets 16–23).
    pub reference_timestamp: NtpTimestamp,
    /// T1: the client's transmit time echoed by the server (octets 24–31).
    pub origin_timestamp: NtpTimestamp,
    /// T2: when the request arrived at the server (octets 32–39).
    pub receive_timestamp: NtpTimestamp,
    /// T3: when the reply left the server (octets 40–47).
    pub transmit_timestamp: NtpTimestamp,
    /// Extension fields between the header and the trailer (NTPv4 Autokey and later), kept
    /// so the packet re-encodes exactly.
    pub extensions: Vec<ExtensionField>,
    /// What follows the header and extension fields.
    pub trailer: Trailer,
}

/// One extension field (RFC 7822): a 16-bit type, a 16-bit length and the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExtensionField {
    /// The field type (Autokey: the opcode word's upper half).
    pub field_type: u16,
    /// The octets after the 4-octet field header. Its length should be a multiple of 4;
    /// [`NtpPacket::encode`] zero-pads it if it is not.
    pub value: Vec<u8>,
}

/// The octets after the header and extension fields (protocol notes §2.5, §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Trailer {
    /// Nothing: an unauthenticated packet.
    #[default]
    None,
    /// A key ID alone (4 octets): "the server could not authenticate you".
    CryptoNak(KeyId),
    /// A key ID and the MAC (digest) of everything before the key ID.
    Mac {
        /// The key the MAC was computed with.
        key_id: KeyId,
        /// The MAC: 16 octets for MD5 and AES-CMAC, 20 for SHA-1 and truncated longer
        /// digests, 8 for xntp3 DES (4 to 20 octets, a multiple of 4, decode).
        mac: Vec<u8>,
    },
}

impl Trailer {
    /// The trailer's key ID, if it has one.
    #[must_use]
    pub const fn key_id(&self) -> Option<KeyId> {
        match self {
            Self::None => None,
            Self::CryptoNak(id) | Self::Mac { key_id: id, .. } => Some(*id),
        }
    }

    /// Octets the trailer occupies on the wire.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::None => 0,
            Self::CryptoNak(_) => 4,
            Self::Mac { mac, .. } => 4 + mac.len(),
        }
    }

    /// Whether the trailer is absent.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        matches!(self, Self::None)
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        if let Some(id) = self.key_id() {
            out.extend_from_slice(&id.0.to_be_bytes());
        }
        if let Self::Mac { mac, .. } = self {
            out.extend_from_slice(mac);
        }
    }
}

impl NtpPacket {
    /// Decodes a datagram: the 48-octet header, then extension fields and the MAC trailer by
    /// ntpd's rules (protocol notes §2.5): with `rem` octets left, 0 means no trailer, 4 a
    /// crypto-NAK, 8..=24 a key ID and MAC, more than 24 an extension field to skip before
    /// looking again.
    ///
    /// # Errors
    /// [`PacketError::Decode`] for fewer than 48 octets, [`PacketError::TrailerLength`] when
    /// the rest is not a multiple of 4, and [`PacketError::ExtensionLength`] for a malformed
    /// extension field.
    pub fn decode(datagram: &[u8]) -> Result<Self, PacketError> {
        let mut r = Reader::new(datagram);
        let first = r.u8()?;
        let mut packet = Self {
            leap: LeapIndicator::from_bits(first >> 6),
            version: (first >> 3) & 0b111,
            mode: NtpMode::from_bits(first),
            stratum: Stratum(r.u8()?),
            poll: r.i8()?,
            precision: r.i8()?,
            root_delay: NtpShort(r.u32()?),
            root_dispersion: NtpShort(r.u32()?),
            reference_id: ReferenceId(r.take()?),
            reference_timestamp: NtpTimestamp::from_be_bytes(r.take()?),
            origin_timestamp: NtpTimestamp::from_be_bytes(r.take()?),
            receive_timestamp: NtpTimestamp::from_be_bytes(r.take()?),
            transmit_timestamp: NtpTimestamp::from_be_bytes(r.take()?),
            extensions: Vec::new(),
            trailer: Trailer::None,
        };
        loop {
            let rem = r.remaining();
            if !rem.is_multiple_of(4) {
                return Err(PacketError::TrailerLength(rem));
            }
            if rem == 0 {
                break;
            }
            if rem <= MAX_TRAILER_LEN {
                let key_id = KeyId(r.u32()?);
                packet.trailer = match r.rest() {
                    [] => Trailer::CryptoNak(key_id),
                    mac => Trailer::Mac {
                        key_id,
                        mac: mac.to_vec(),
                    },
                };
                break;
            }
            let offset = r.position();
            let field_type = r.u16()?;
            let length = r.u16()?;
            let body = usize::from(length)
                .checked_sub(4)
                .filter(|body| length % 4 == 0 && *body <= r.remaining())
                .ok_or(PacketError::ExtensionLength { offset, length })?;
            packet.extensions.push(ExtensionField {
                field_type,
                value: r.bytes(body)?.to_vec(),
            });
        }
        Ok(packet)
    }

    /// Encodes header, extension fields and trailer.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.encode_without_trailer();
        self.trailer.encode_into(&mut out);
        out
    }

    /// Encodes header and extension fields, then appends `key`'s ID and its MAC over them
    /// (protocol notes §3.1); the packet's own [`NtpPacket::trailer`] is ignored.
    #[must_use]
    pub fn encode_with_key(&self, key: &Key) -> Vec<u8> {
        let mut out = self.encode_without_trailer();
        let trailer = key.trailer(&out);
        out.extend(trailer);
        out
    }

    /// Header and extension fields: the octets a MAC covers.
    #[must_use]
    pub fn encode_without_trailer(&self) -> Vec<u8> {
        let ext_len: usize = self
            .extensions
            .iter()
            .map(|e| 4 + e.value.len().next_multiple_of(4))
            .sum();
        let mut out = Vec::with_capacity(HEADER_LEN + ext_len + self.trailer.len());
        out.push((self.leap.to_bits() << 6) | ((self.version & 0b111) << 3) | self.mode.to_bits());
        out.push(self.stratum.0);
        out.extend_from_slice(&self.poll.to_be_bytes());
        out.extend_from_slice(&self.precision.to_be_bytes());
        out.extend_from_slice(&self.root_delay.0.to_be_bytes());
        out.extend_from_slice(&self.root_dispersion.0.to_be_bytes());
        out.extend_from_slice(&self.reference_id.0);
        for ts in [
            self.reference_timestamp,
            self.origin_timestamp,
            self.receive_timestamp,
            self.transmit_timestamp,
        ] {
            out.extend_from_slice(&ts.to_be_bytes());
        }
        for field in &self.extensions {
            let padded = field.value.len().next_multiple_of(4);
            // Lengths beyond the 16-bit field cannot be represented; saturate rather than wrap.
            let length = u16::try_from(4 + padded).unwrap_or(u16::MAX);
            out.extend_from_slice(&field.field_type.to_be_bytes());
            out.extend_from_slice(&length.to_be_bytes());
            out.extend_from_slice(&field.value);
            out.resize(out.len() + padded - field.value.len(), 0);
        }
        out
    }

    /// Checks the packet's MAC trailer with `key` and returns the key ID on success.
    ///
    /// # Errors
    /// [`PacketError::MissingMac`] without a trailer, [`PacketError::CryptoNak`] for a bare key
    /// ID, [`PacketError::KeyIdMismatch`] when the trailer names another key, and
    /// [`PacketError::BadMac`] when the MAC does not verify.
    pub fn verify(&self, key: &Key) -> Result<KeyId, PacketError> {
        match &self.trailer {
            Trailer::None => Err(PacketError::MissingMac),
            Trailer::CryptoNak(id) => Err(PacketError::CryptoNak(*id)),
            Trailer::Mac { key_id, .. } if *key_id != key.id() => Err(PacketError::KeyIdMismatch {
                expected: key.id(),
                got: *key_id,
            }),
            Trailer::Mac { key_id, mac } => {
                if key.verify(&self.encode_without_trailer(), mac) {
                    Ok(*key_id)
                } else {
                    Err(PacketError::BadMac(*key_id))
                }
            }
        }
    }

    /// The kiss code when this is a kiss-o'-death: LI = 3 and wire stratum 0, the test ntpd
    /// applies to server packets (protocol notes §2.4).
    #[must_use]
    pub fn kiss_code(&self) -> Option<KissCode> {
        (self.leap == LeapIndicator::Unsynchronized && self.stratum.is_unspecified())
            .then(|| KissCode::from(self.reference_id))
    }

    /// The context to interpret this packet's refid in (wire stratum, packet origin).
    #[must_use]
    pub const fn refid_context(&self) -> RefIdContext {
        RefIdContext::packet(self.stratum)
    }
}

#[cfg(test)]
mod tests;
