//! Tests of the packet codec: every header field and trailer shape both ways, protocol
//! notes vector E6, MAC verification, and the codec properties.

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
    let ext =
        |field_type: u16, length: u16| [field_type.to_be_bytes(), length.to_be_bytes()].concat();
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
