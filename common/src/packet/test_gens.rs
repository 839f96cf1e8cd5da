//! proptest strategies for the packet types.

use proptest::collection::vec;
use proptest::prelude::*;

use super::{ExtensionField, LeapIndicator, NtpMode, NtpPacket, ReferenceId, Stratum, Trailer};
use crate::auth::KeyId;
use crate::time::{NtpShort, NtpTimestamp};

/// Any timestamp.
pub(crate) fn timestamp_any() -> impl Strategy<Value = NtpTimestamp> {
    any::<u64>().prop_map(NtpTimestamp::from_bits)
}

/// Any trailer that decodes back to itself: none, a crypto-NAK, or a MAC of 4..=20 octets in
/// steps of 4.
pub(crate) fn trailer_any() -> impl Strategy<Value = Trailer> {
    prop_oneof![
        Just(Trailer::None),
        any::<u32>().prop_map(|id| Trailer::CryptoNak(KeyId(id))),
        (any::<u32>(), 1_usize..=5).prop_flat_map(|(id, words)| {
            vec(any::<u8>(), words * 4).prop_map(move |mac| Trailer::Mac {
                key_id: KeyId(id),
                mac,
            })
        }),
    ]
}

/// An extension field long enough (≥ 28 octets) that ntpd's rule cannot mistake it for a
/// trailer, with a value of whole words.
pub(crate) fn extension_any() -> impl Strategy<Value = ExtensionField> {
    (any::<u16>(), 6_usize..=16).prop_flat_map(|(field_type, words)| {
        vec(any::<u8>(), words * 4).prop_map(move |value| ExtensionField { field_type, value })
    })
}

/// Any packet that `encode` can represent: version below 8, well-formed extension fields
/// and trailer.
pub(crate) fn packet_any() -> impl Strategy<Value = NtpPacket> {
    let first = (
        0_u8..4,
        0_u8..8,
        0_u8..8,
        any::<u8>(),
        any::<i8>(),
        any::<i8>(),
    );
    let middle = (any::<u32>(), any::<u32>(), any::<[u8; 4]>());
    let times = [
        timestamp_any(),
        timestamp_any(),
        timestamp_any(),
        timestamp_any(),
    ];
    let tail = (vec(extension_any(), 0..3), trailer_any());
    (first, middle, times, tail).prop_map(
        |(
            (li, version, mode, stratum, poll, precision),
            (delay, dispersion, refid),
            [reference, origin, receive, transmit],
            (extensions, trailer),
        )| NtpPacket {
            leap: LeapIndicator::from_bits(li),
            version,
            mode: NtpMode::from_bits(mode),
            stratum: Stratum(stratum),
            poll,
            precision,
            root_delay: NtpShort(delay),
            root_dispersion: NtpShort(dispersion),
            reference_id: ReferenceId(refid),
            reference_timestamp: reference,
            origin_timestamp: origin,
            receive_timestamp: receive,
            transmit_timestamp: transmit,
            extensions,
            trailer,
        },
    )
}
