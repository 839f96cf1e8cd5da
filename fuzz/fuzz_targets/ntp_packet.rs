//! The NTP packet of modes 1–5 (`ntpkit::packet`): any datagram either fails to decode or
//! decodes to a packet that re-encodes to the very same octets (the decoder keeps every octet),
//! decodes again to an equal packet, and goes through a client's acceptance checks, the refid
//! and kiss-code views and the clock sample without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::auth::{Key, KeyId, KeyType};
use ntpkit::exchange::{Exchange, Progress};
use ntpkit::packet::{ClientExchange, ClientRequest, NtpPacket, RefIdContext};
use ntpkit::time::NtpTimestamp;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = NtpPacket::decode(data) else {
        return;
    };
    let encoded = packet.encode();
    assert_eq!(encoded, data, "decode keeps every octet");
    let again = NtpPacket::decode(&encoded).expect("an encoded packet decodes");
    assert_eq!(again, packet);
    assert_eq!(again.encode(), encoded);
    assert_eq!(
        packet.encode_without_trailer().len() + packet.trailer.len(),
        data.len()
    );

    // The views a tool prints.
    let _ = packet.kiss_code().map(|code| code.to_string());
    for context in [
        packet.refid_context(),
        RefIdContext::peer(packet.stratum),
        RefIdContext::peer(packet.stratum).with_ipv6_upstream(),
    ] {
        let _ = packet.reference_id.summary(context);
        let _ = packet.reference_id.interpret(context).to_string();
    }
    let _ = format!("{} {} {}", packet.leap, packet.mode, packet.stratum);
    for ts in [packet.reference_timestamp, packet.transmit_timestamp] {
        let _ = ts.pretty(1_700_000_000, -3600);
        let _ = ts.date_string(i64::from(packet.poll) << 40, 14 * 3600);
    }

    // A client that sent the origin timestamp this reply echoes, with and without a key.
    let key = Key::new(KeyId(1), KeyType::Md5, b"fuzzing".to_vec());
    for key in [None, Some(&key)] {
        let request = ClientRequest {
            transmit: packet.origin_timestamp,
            key,
            ..ClientRequest::default()
        };
        let (mut exchange, _) = ClientExchange::new(request);
        if let Ok(Progress::Done(reply)) = exchange.on_datagram(data) {
            assert_eq!(reply.packet, packet);
            let t4 = NtpTimestamp::from_bits(packet.transmit_timestamp.to_bits().wrapping_add(1));
            let sample = reply.sample(t4);
            assert!(!sample.offset.is_nan() && !sample.delay.is_nan());
        }
    }
});
