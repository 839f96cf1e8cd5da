//! Mode 7 messages (`ntpkit::private`): headers, response reassembly and requests.
//!
//! Input: records framed as `ntpkit_fuzz::records` reads them. A record with an even tag is a
//! raw datagram; the first of 8 or more octets names the implementation and request code
//! waited for (so captured answers are seeds as they are). A record with an odd tag builds an
//! answer to that request: `sequence ‖ flags ‖ nitems (u16) ‖ itemsize (u16) ‖ data`, flags
//! bit 0 = M, bits 4–7 = the error field.
//!
//! Checked: every header re-encodes to its 8 octets; nothing panics; a complete response holds
//! exactly the items of the fragments accepted up to the final one, in sequence order (a
//! fragment numbered after the final one is left out), and decoding it as every
//! item type (and as a monitor list) never panics; the response cut into fragments again
//! (`PrivateResponse::encode_fragments`), fed in reverse and each twice, reassembles to the
//! same response; and a request carrying the first record's octets as items encodes to a
//! datagram whose header decodes to the request's, signed or not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::auth::{Key, KeyId, KeyType};
use ntpkit::private::{
    FragmentOutcome, IgnoreReason, Implementation, InfoCode, MAX_COUNT, MonitorList, PrivateHeader,
    PrivateReassembler, PrivateRequest, PrivateResponse, RequestCode, RequestSize,
};
use ntpkit::time::NtpTimestamp;
use ntpkit_fuzz::{for_each_item_type, records, take_u8, take_u16};

/// A fragment the reassembler accepted, as the model remembers it.
struct Piece {
    sequence: u8,
    more: bool,
    nitems: u16,
    items: Vec<u8>,
}

fuzz_target!(|data: &[u8]| {
    let records: Vec<_> = records(data).collect();
    let (implementation, code) = records
        .iter()
        .filter(|r| r.tag % 2 == 0)
        .find_map(|r| PrivateHeader::decode(r.body).ok())
        .map_or((Implementation::Xntpd, RequestCode::PeerListSum), |h| {
            (h.implementation, h.code)
        });
    let mut reassembler = PrivateReassembler::new(implementation, code);
    let mut pieces = Vec::new();
    let mut complete = None;
    for record in &records {
        let datagram = if record.tag % 2 == 0 {
            record.body.to_vec()
        } else {
            answer(implementation, code, record.body)
        };
        if let Ok(header) = PrivateHeader::decode(&datagram) {
            assert_eq!(header.encode()[..], datagram[..PrivateHeader::LEN]);
        }
        let outcome = reassembler.push(&datagram);
        if complete.is_some() {
            assert_eq!(
                outcome,
                Ok(FragmentOutcome::Ignored(IgnoreReason::AlreadyComplete))
            );
            continue;
        }
        match outcome {
            Ok(FragmentOutcome::Accepted) => pieces.push(piece(&datagram)),
            Ok(FragmentOutcome::Complete(response)) => {
                pieces.push(piece(&datagram));
                check_complete(&response, &mut pieces);
                complete = Some(response);
            }
            Ok(FragmentOutcome::Ignored(_)) | Err(_) => {}
        }
    }
    if let Some(response) = complete {
        decode_all(&response);
        refragment(&response);
    }
    if let Some(first) = records.first() {
        request(implementation, code, first.body);
    }
});

/// An answer to the request waited for, built from the record's fields.
fn answer(implementation: Implementation, code: RequestCode, body: &[u8]) -> Vec<u8> {
    let (sequence, body) = take_u8(body);
    let (flags, body) = take_u8(body);
    let (nitems, body) = take_u16(body);
    let (itemsize, data) = take_u16(body);
    let header = PrivateHeader {
        response: true,
        more: flags & 1 != 0,
        sequence,
        err: InfoCode::from(flags >> 4),
        nitems,
        itemsize,
        ..PrivateHeader::request(implementation, code)
    };
    let mut datagram = header.encode().to_vec();
    datagram.extend_from_slice(data);
    datagram
}

fn piece(datagram: &[u8]) -> Piece {
    let header = PrivateHeader::decode(datagram).expect("an accepted datagram has a header");
    let len = usize::from(header.nitems) * usize::from(header.itemsize);
    Piece {
        sequence: header.sequence,
        more: header.more,
        nitems: header.nitems,
        items: datagram[PrivateHeader::LEN..PrivateHeader::LEN + len].to_vec(),
    }
}

/// The response is the accepted fragments' items in sequence order, 0, 1, … up to the final
/// fragment without a gap. Fragments accepted before the final one arrived but numbered after
/// it are left out, as they are ignored when they arrive after it.
fn check_complete(response: &PrivateResponse, pieces: &mut [Piece]) {
    pieces.sort_by_key(|p| p.sequence);
    let finals: Vec<u8> = pieces
        .iter()
        .filter(|p| !p.more)
        .map(|p| p.sequence)
        .collect();
    let [last] = finals[..] else {
        panic!("{} final fragments accepted", finals.len());
    };
    let mut items = Vec::new();
    let mut nitems = 0;
    for (expected, p) in (0_u8..).zip(pieces.iter().filter(|p| p.sequence <= last)) {
        assert_eq!(p.sequence, expected, "fragments 0..=last, each once");
        items.extend_from_slice(&p.items);
        nitems += usize::from(p.nitems);
    }
    assert_eq!(response.items, items);
    assert_eq!(response.nitems, nitems);
}

/// Every item type's decoder on the response, and ntpdc's monitor list choice.
fn decode_all(response: &PrivateResponse) {
    macro_rules! decode {
        ($ty:ty) => {
            if let Ok(items) = response.decode_items::<$ty>() {
                assert_eq!(items.len(), response.nitems);
            }
        };
    }
    for_each_item_type!(decode);
    let _ = MonitorList::from_response(response);
}

/// The response as ntpd would send it, reversed and duplicated, reassembles to itself.
fn refragment(response: &PrivateResponse) {
    // Only fails for more than 128 fragments (an empty item size with many items).
    let Ok(frames) = response.encode_fragments(2) else {
        return;
    };
    let mut reassembler = PrivateReassembler::new(response.implementation, response.code);
    let mut again = None;
    for frame in frames.iter().rev().flat_map(|f| [f, f]) {
        match reassembler.push(frame) {
            Ok(FragmentOutcome::Complete(r)) => again = Some(r),
            Ok(FragmentOutcome::Accepted | FragmentOutcome::Ignored(_)) => {}
            Err(err) => panic!("own fragments refused: {err}"),
        }
    }
    assert_eq!(again.as_ref(), Some(response));
}

/// A request carrying `body` as items, unsigned and signed, in every request size.
fn request(implementation: Implementation, code: RequestCode, body: &[u8]) {
    let (itemsize, items) = take_u8(body);
    let itemsize = usize::from(itemsize);
    let nitems = items.len().checked_div(itemsize).unwrap_or(0);
    if nitems > usize::from(MAX_COUNT) {
        return;
    }
    let mut request =
        PrivateRequest::with_raw_items(implementation, code, itemsize, nitems, items.to_vec())
            .expect("counts below 4096 are accepted");
    let keys = [
        Key::new(KeyId(1), KeyType::Md5, b"fuzzing".to_vec()),
        Key::new(KeyId(2), KeyType::Sha1, b"fuzzing".to_vec()),
    ];
    for size in [RequestSize::Full, RequestSize::Medium, RequestSize::Legacy] {
        request.size = size;
        if let Ok(bytes) = request.encode() {
            assert_eq!(bytes.len(), size.octets());
            let header = PrivateHeader::decode(&bytes).expect("a request has a header");
            assert_eq!(header, request.header());
            assert_eq!(bytes[PrivateHeader::LEN..][..items.len()], *items);
        }
        for key in &keys {
            let timestamp = NtpTimestamp::new(0xe4a1_b2c3, 0x1234_5678);
            if let Ok(bytes) = request.encode_authenticated(key, timestamp) {
                let header = PrivateHeader::decode(&bytes).expect("a request has a header");
                assert_eq!(
                    header,
                    PrivateHeader {
                        authenticated: true,
                        ..request.header()
                    }
                );
                let mac_len = key.kind().mac_len();
                let (signed, trailer) = bytes.split_at(bytes.len() - 4 - mac_len);
                assert_eq!(trailer[..4], key.id().0.to_be_bytes());
                assert!(key.verify(signed, &trailer[4..]));
                assert_eq!(signed[signed.len() - 8..], timestamp.to_be_bytes());
            }
        }
    }
}
