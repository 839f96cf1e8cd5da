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
            if rem % 4 != 0 {
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
mod tests {
    use super::*;
    use crate::auth::KeyType;
    use crate::error::DecodeError;
    use proptest::prelude::*;

    pub(super) fn unhex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    /// Protocol notes §10.2 E6: ntpdate `-a 1` request, v4, xmt `e4a1b2c3.12345678`, MD5.
    pub(super) const E6: &str = "e3 00 03 fa 00 01 00 00 00 01 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        00 00 00 00 00 00 00 00 e4 a1 b2 c3 12 34 56 78
        00 00 00 01 bd c7 df ba 68 e1 4c 22 5a 30 bd 11
        25 a5 e7 7b";
    /// The SHA-1 digest of the same request with the same key text.
    pub(super) const E6_SHA1_DIGEST: &str = "06fef19abce518ac0e1757d827c447e3ed3a6b5a";

    pub(super) fn md5_key() -> Key {
        Key::new(KeyId(1), KeyType::Md5, b"password".to_vec())
    }

    pub(super) fn sha1_key() -> Key {
        Key::new(KeyId(1), KeyType::Sha1, b"password".to_vec())
    }

    /// The E6 request as a packet, without trailer.
    fn e6_packet() -> NtpPacket {
        NtpPacket {
            leap: LeapIndicator::Unsynchronized,
            version: 4,
            mode: NtpMode::Client,
            poll: 3,
            precision: -6,
            root_delay: NtpShort(0x0001_0000),
            root_dispersion: NtpShort(0x0001_0000),
            transmit_timestamp: NtpTimestamp::new(0xe4a1_b2c3, 0x1234_5678),
            ..NtpPacket::default()
        }
    }

    fn header_with(offset: usize, bytes: &[u8]) -> Vec<u8> {
        let mut wire = vec![0; HEADER_LEN];
        wire[offset..offset + bytes.len()].copy_from_slice(bytes);
        wire
    }

    #[test]
    fn header_fields_both_ways() {
        let p = NtpPacket::default;
        let ts = NtpTimestamp::new(0xe4a1_b2c3, 0x8000_0001);
        let ts_bytes = [0xe4, 0xa1, 0xb2, 0xc3, 0x80, 0, 0, 1];
        use LeapIndicator as L;
        use NtpMode as M;
        let cases: Vec<(NtpPacket, usize, &[u8])> = vec![
            (p(), 0, &[0x00]),
            // LI in bits 7–6.
            (
                NtpPacket {
                    leap: L::AddSecond,
                    ..p()
                },
                0,
                &[0x40],
            ),
            (
                NtpPacket {
                    leap: L::DeleteSecond,
                    ..p()
                },
                0,
                &[0x80],
            ),
            (
                NtpPacket {
                    leap: L::Unsynchronized,
                    ..p()
                },
                0,
                &[0xc0],
            ),
            // VN in bits 5–3.
            (NtpPacket { version: 1, ..p() }, 0, &[0x08]),
            (NtpPacket { version: 3, ..p() }, 0, &[0x18]),
            (NtpPacket { version: 4, ..p() }, 0, &[0x20]),
            (NtpPacket { version: 7, ..p() }, 0, &[0x38]),
            // Mode in bits 2–0.
            (
                NtpPacket {
                    mode: M::SymmetricActive,
                    ..p()
                },
                0,
                &[0x01],
            ),
            (
                NtpPacket {
                    mode: M::SymmetricPassive,
                    ..p()
                },
                0,
                &[0x02],
            ),
            (
                NtpPacket {
                    mode: M::Client,
                    ..p()
                },
                0,
                &[0x03],
            ),
            (
                NtpPacket {
                    mode: M::Server,
                    ..p()
                },
                0,
                &[0x04],
            ),
            (
                NtpPacket {
                    mode: M::Broadcast,
                    ..p()
                },
                0,
                &[0x05],
            ),
            (
                NtpPacket {
                    mode: M::Control,
                    ..p()
                },
                0,
                &[0x06],
            ),
            (
                NtpPacket {
                    mode: M::Private,
                    ..p()
                },
                0,
                &[0x07],
            ),
            // All three together.
            (
                NtpPacket {
                    leap: L::Unsynchronized,
                    version: 4,
                    mode: M::Client,
                    ..p()
                },
                0,
                &[0xe3],
            ),
            (
                NtpPacket {
                    version: 3,
                    mode: M::Server,
                    ..p()
                },
                0,
                &[0x1c],
            ),
            (
                NtpPacket {
                    leap: L::AddSecond,
                    version: 2,
                    mode: M::Broadcast,
                    ..p()
                },
                0,
                &[0x55],
            ),
            // Stratum.
            (
                NtpPacket {
                    stratum: Stratum(1),
                    ..p()
                },
                1,
                &[1],
            ),
            (
                NtpPacket {
                    stratum: Stratum(15),
                    ..p()
                },
                1,
                &[15],
            ),
            (
                NtpPacket {
                    stratum: Stratum(16),
                    ..p()
                },
                1,
                &[16],
            ),
            (
                NtpPacket {
                    stratum: Stratum(255),
                    ..p()
                },
                1,
                &[255],
            ),
            // Poll and precision are signed.
            (NtpPacket { poll: 3, ..p() }, 2, &[0x03]),
            (NtpPacket { poll: 17, ..p() }, 2, &[0x11]),
            (NtpPacket { poll: -1, ..p() }, 2, &[0xff]),
            (
                NtpPacket {
                    precision: -6,
                    ..p()
                },
                3,
                &[0xfa],
            ),
            (
                NtpPacket {
                    precision: -20,
                    ..p()
                },
                3,
                &[0xec],
            ),
            (
                NtpPacket {
                    precision: 1,
                    ..p()
                },
                3,
                &[0x01],
            ),
            // Root delay and dispersion, 16.16.
            (
                NtpPacket {
                    root_delay: NtpShort(0x0001_0000),
                    ..p()
                },
                4,
                &[0, 1, 0, 0],
            ),
            (
                NtpPacket {
                    root_delay: NtpShort(0xffff_8000),
                    ..p()
                },
                4,
                &[0xff, 0xff, 0x80, 0],
            ),
            (
                NtpPacket {
                    root_dispersion: NtpShort(0x0000_8000),
                    ..p()
                },
                8,
                &[0, 0, 0x80, 0],
            ),
            (
                NtpPacket {
                    root_dispersion: NtpShort(0x1234_5678),
                    ..p()
                },
                8,
                &[0x12, 0x34, 0x56, 0x78],
            ),
            // Reference ID, wire order.
            (
                NtpPacket {
                    reference_id: ReferenceId([192, 0, 2, 1]),
                    ..p()
                },
                12,
                &[192, 0, 2, 1],
            ),
            (
                NtpPacket {
                    reference_id: ReferenceId(*b"GPS\0"),
                    ..p()
                },
                12,
                b"GPS\0",
            ),
            // The four timestamps.
            (
                NtpPacket {
                    reference_timestamp: ts,
                    ..p()
                },
                16,
                &ts_bytes,
            ),
            (
                NtpPacket {
                    origin_timestamp: ts,
                    ..p()
                },
                24,
                &ts_bytes,
            ),
            (
                NtpPacket {
                    receive_timestamp: ts,
                    ..p()
                },
                32,
                &ts_bytes,
            ),
            (
                NtpPacket {
                    transmit_timestamp: ts,
                    ..p()
                },
                40,
                &ts_bytes,
            ),
        ];
        for (packet, offset, bytes) in cases {
            let wire = header_with(offset, bytes);
            assert_eq!(packet.encode(), wire, "encode {packet:?}");
            assert_eq!(
                NtpPacket::decode(&wire).unwrap(),
                packet,
                "decode {wire:02x?}"
            );
        }
    }

    #[test]
    fn root_delay_and_dispersion_values() {
        let wire = header_with(4, &[0, 0, 0x40, 0, 0, 1, 0x80, 0]);
        let packet = NtpPacket::decode(&wire).unwrap();
        assert!((packet.root_delay.signed_seconds() - 0.25).abs() < 1e-12);
        assert!((packet.root_dispersion.seconds() - 1.5).abs() < 1e-12);
    }

    #[test]
    fn trailer_shapes_both_ways() {
        let mac = |n: usize| (1..=n).map(|b| b as u8).collect::<Vec<u8>>();
        let cases: Vec<(Vec<u8>, Trailer)> = vec![
            (vec![], Trailer::None),
            (vec![0, 0, 0, 0], Trailer::CryptoNak(KeyId(0))),
            (vec![0, 0, 0, 7], Trailer::CryptoNak(KeyId(7))),
            (
                [&[0, 0, 0, 2][..], &mac(4)].concat(),
                Trailer::Mac {
                    key_id: KeyId(2),
                    mac: mac(4),
                },
            ),
            // xntp3 DES: 12 octets.
            (
                [&[0, 0, 0, 3][..], &mac(8)].concat(),
                Trailer::Mac {
                    key_id: KeyId(3),
                    mac: mac(8),
                },
            ),
            (
                [&[0, 0, 0, 4][..], &mac(12)].concat(),
                Trailer::Mac {
                    key_id: KeyId(4),
                    mac: mac(12),
                },
            ),
            // MD5 / CMAC: 20 octets.
            (
                [&[0, 1, 0, 0][..], &mac(16)].concat(),
                Trailer::Mac {
                    key_id: KeyId(0x1_0000),
                    mac: mac(16),
                },
            ),
            // SHA-1 and truncated longer digests: 24 octets.
            (
                [&[0xff, 0xff, 0xff, 0xff][..], &mac(20)].concat(),
                Trailer::Mac {
                    key_id: KeyId(u32::MAX),
                    mac: mac(20),
                },
            ),
        ];
        for (rest, trailer) in cases {
            let wire = [vec![0; HEADER_LEN], rest].concat();
            let packet = NtpPacket::decode(&wire).unwrap();
            assert_eq!(packet.trailer, trailer);
            assert_eq!(packet.trailer.len(), wire.len() - HEADER_LEN);
            assert!(packet.extensions.is_empty());
            assert_eq!(packet.encode(), wire);
        }
        assert_eq!(Trailer::None.key_id(), None);
        assert!(Trailer::None.is_empty());
        assert_eq!(Trailer::CryptoNak(KeyId(9)).key_id(), Some(KeyId(9)));
    }

    #[test]
    fn malformed_lengths() {
        let ext = |field_type: u16, length: u16| {
            [field_type.to_be_bytes(), length.to_be_bytes()].concat()
        };
        let cases: Vec<(Vec<u8>, PacketError)> = vec![
            (vec![1], PacketError::TrailerLength(1)),
            (vec![1, 2], PacketError::TrailerLength(2)),
            (vec![1, 2, 3], PacketError::TrailerLength(3)),
            (vec![0; 5], PacketError::TrailerLength(5)),
            (vec![0; 22], PacketError::TrailerLength(22)),
            (vec![0; 30], PacketError::TrailerLength(30)),
            // More than 24 octets must start with a valid extension field.
            (
                [ext(1, 0), vec![0; 24]].concat(),
                PacketError::ExtensionLength {
                    offset: 48,
                    length: 0,
                },
            ),
            (
                [ext(1, 2), vec![0; 24]].concat(),
                PacketError::ExtensionLength {
                    offset: 48,
                    length: 2,
                },
            ),
            (
                [ext(1, 30), vec![0; 24]].concat(),
                PacketError::ExtensionLength {
                    offset: 48,
                    length: 30,
                },
            ),
            (
                [ext(1, 32), vec![0; 24]].concat(),
                PacketError::ExtensionLength {
                    offset: 48,
                    length: 32,
                },
            ),
            // After one good field, the rest is re-evaluated.
            (
                [ext(2, 28), vec![0; 24], ext(3, 36), vec![0; 24]].concat(),
                PacketError::ExtensionLength {
                    offset: 76,
                    length: 36,
                },
            ),
        ];
        for (rest, error) in cases {
            let wire = [vec![0; HEADER_LEN], rest].concat();
            assert_eq!(NtpPacket::decode(&wire), Err(error), "{wire:02x?}");
        }
        assert_eq!(
            NtpPacket::decode(&[0x23; 47]),
            Err(PacketError::Decode(DecodeError::Truncated {
                need: 8,
                have: 7
            }))
        );
        assert!(NtpPacket::decode(&[]).is_err());
    }

    #[test]
    fn extension_fields_are_skipped_and_kept() {
        let body: Vec<u8> = (0..24).collect();
        let field = [&[0x02, 0x01, 0x00, 0x1c][..], &body].concat();
        let mac_trailer = [&[0, 0, 0, 1][..], &[0xaa; 16]].concat();
        let wire = [vec![0x23; HEADER_LEN], field.clone(), field, mac_trailer].concat();
        let packet = NtpPacket::decode(&wire).unwrap();
        let expected = ExtensionField {
            field_type: 0x0201,
            value: body,
        };
        assert_eq!(packet.extensions, vec![expected.clone(), expected]);
        assert_eq!(
            packet.trailer,
            Trailer::Mac {
                key_id: KeyId(1),
                mac: vec![0xaa; 16]
            }
        );
        assert_eq!(packet.encode(), wire);
        // A value that is not whole words is zero-padded on encode.
        let odd = NtpPacket {
            extensions: vec![ExtensionField {
                field_type: 1,
                value: vec![9; 25],
            }],
            ..NtpPacket::default()
        };
        let encoded = odd.encode();
        assert_eq!(encoded.len(), HEADER_LEN + 4 + 28);
        assert_eq!(&encoded[HEADER_LEN..HEADER_LEN + 4], &[0, 1, 0, 32]);
        assert_eq!(&encoded[encoded.len() - 3..], &[0, 0, 0]);
    }

    #[test]
    fn e6_md5_and_sha1_byte_exact() {
        let md5 = unhex(E6);
        assert_eq!(md5.len(), 68);
        assert_eq!(e6_packet().encode_with_key(&md5_key()), md5);
        let decoded = NtpPacket::decode(&md5).unwrap();
        assert_eq!(
            decoded,
            NtpPacket {
                trailer: Trailer::Mac {
                    key_id: KeyId(1),
                    mac: md5[52..].to_vec()
                },
                ..e6_packet()
            }
        );
        assert_eq!(decoded.verify(&md5_key()), Ok(KeyId(1)));
        assert_eq!(decoded.encode(), md5);

        let sha1 = [&md5[..52], &unhex(E6_SHA1_DIGEST)].concat();
        assert_eq!(sha1.len(), 72);
        assert_eq!(e6_packet().encode_with_key(&sha1_key()), sha1);
        let decoded = NtpPacket::decode(&sha1).unwrap();
        assert_eq!(decoded.verify(&sha1_key()), Ok(KeyId(1)));
        assert_eq!(
            decoded.verify(&md5_key()),
            Err(PacketError::BadMac(KeyId(1)))
        );
    }

    #[test]
    fn verification_failures() {
        let good = NtpPacket::decode(&unhex(E6)).unwrap();
        let mut tampered = good.clone();
        tampered.poll = 4;
        let other_key = Key::new(KeyId(2), KeyType::Md5, b"password".to_vec());
        let cases = [
            (good.clone(), md5_key(), Ok(KeyId(1))),
            (tampered, md5_key(), Err(PacketError::BadMac(KeyId(1)))),
            (
                good.clone(),
                other_key,
                Err(PacketError::KeyIdMismatch {
                    expected: KeyId(2),
                    got: KeyId(1),
                }),
            ),
            (
                NtpPacket {
                    trailer: Trailer::None,
                    ..good.clone()
                },
                md5_key(),
                Err(PacketError::MissingMac),
            ),
            (
                NtpPacket {
                    trailer: Trailer::CryptoNak(KeyId(0)),
                    ..good
                },
                md5_key(),
                Err(PacketError::CryptoNak(KeyId(0))),
            ),
        ];
        for (packet, key, want) in cases {
            assert_eq!(packet.verify(&key), want);
        }
    }

    #[test]
    fn kiss_of_death_detection() {
        let kod = |leap, stratum| NtpPacket {
            leap,
            stratum: Stratum(stratum),
            reference_id: ReferenceId(*b"RATE"),
            ..NtpPacket::default()
        };
        assert_eq!(
            kod(LeapIndicator::Unsynchronized, 0).kiss_code(),
            Some(KissCode::Rate)
        );
        assert_eq!(kod(LeapIndicator::Unsynchronized, 1).kiss_code(), None);
        assert_eq!(kod(LeapIndicator::NoWarning, 0).kiss_code(), None);
        let packet = kod(LeapIndicator::Unsynchronized, 0);
        assert_eq!(
            packet.reference_id.interpret(packet.refid_context()),
            RefIdValue::Kiss(KissCode::Rate)
        );
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = NtpPacket::decode(&bytes);
        }

        #[test]
        fn decoding_is_lossless(bytes in proptest::collection::vec(any::<u8>(), 48..160)) {
            if let Ok(packet) = NtpPacket::decode(&bytes) {
                prop_assert_eq!(packet.encode(), bytes);
            }
        }

        #[test]
        fn round_trip(packet in test_gens::packet_any()) {
            prop_assert_eq!(NtpPacket::decode(&packet.encode()), Ok(packet));
        }

        #[test]
        fn signed_packets_verify(packet in test_gens::packet_any()) {
            let decoded = NtpPacket::decode(&packet.encode_with_key(&md5_key())).unwrap();
            prop_assert_eq!(decoded.verify(&md5_key()), Ok(KeyId(1)));
            prop_assert_eq!(&decoded.extensions, &packet.extensions);
        }
    }
}
