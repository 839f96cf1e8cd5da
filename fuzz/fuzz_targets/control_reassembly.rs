//! Mode 6 fragment reassembly (`ntpkit::control::Reassembler`) against a sequence of hostile
//! datagrams: shuffled, duplicated, overlapping, gapped, at huge offsets, with the M bit set
//! forever, errors and other requests' answers mixed in.
//!
//! Input: one octet choosing the limits (`ReassemblyLimits::fragments(1 + b % 160)`), then
//! records framed as `ntpkit_fuzz::records` reads them. A record with an even tag is a raw
//! datagram; the first raw datagram of 12 or more octets names the opcode and sequence waited
//! for (so captured answers are seeds as they are). A record with an odd tag builds an answer
//! to that request: `offset (u16) ‖ status (u16) ‖ flags ‖ data`, flags bit 0 = M, bit 1 = E,
//! bit 2 = association 1 instead of 0.
//!
//! Checked: nothing panics; after every datagram the reassembler holds at most its limits (so
//! memory stays bounded however long the M bit stays set); a complete response's data is the
//! concatenation of exactly the fragments it accepted, in offset order and without a gap, its
//! status and association those of the final fragment; nothing is accepted after completion;
//! and the response cut into fragments again (`ControlResponse::to_fragments`), fed in reverse
//! and each twice, reassembles to the same response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntpkit::control::{
    AssocId, CONTROL_HEADER_LEN, ControlError, ControlFragment, ControlHeader, ControlOpcode,
    ControlResponse, IgnoreReason, LeapIndicator, Push, Reassembler, ReassemblyLimits, Sequence,
};
use ntpkit_fuzz::{records, take_u8, take_u16};

/// A fragment the reassembler accepted, as the model remembers it.
struct Piece {
    offset: usize,
    data: Vec<u8>,
    header: ControlHeader,
}

fuzz_target!(|data: &[u8]| {
    let (limit, rest) = take_u8(data);
    let limits = ReassemblyLimits::fragments(1 + usize::from(limit) % 160);
    let records: Vec<_> = records(rest).collect();
    let (opcode, sequence) = records
        .iter()
        .filter(|r| r.tag % 2 == 0)
        .find_map(|r| ControlHeader::decode(r.body).ok())
        .map_or((ControlOpcode::ReadVariables, Sequence(1)), |h| {
            (h.opcode, h.sequence)
        });
    let mut reassembler = Reassembler::new(opcode, sequence, limits);
    let mut pieces: Vec<Piece> = Vec::new();
    let mut complete: Option<ControlResponse> = None;

    for record in records {
        let datagram = if record.tag % 2 == 0 {
            record.body.to_vec()
        } else {
            answer(opcode, sequence, record.body)
        };
        let outcome = reassembler.push(&datagram);
        assert!(reassembler.fragments() <= limits.max_fragments);
        assert!(reassembler.octets() <= limits.max_bytes);
        if complete.is_some() {
            assert_eq!(outcome, Ok(Push::Ignored(IgnoreReason::Finished)));
            continue;
        }
        match outcome {
            Ok(Push::Accepted) => pieces.push(piece(&datagram)),
            Ok(Push::Complete(response)) => {
                pieces.push(piece(&datagram));
                check_complete(&response, &mut pieces);
                complete = Some(response);
            }
            Ok(Push::Ignored(_)) | Err(_) => {}
        }
    }
    if let Some(response) = complete {
        refragment(&response);
    }
});

/// An answer to the request waited for, built from the record's fields.
fn answer(opcode: ControlOpcode, sequence: Sequence, body: &[u8]) -> Vec<u8> {
    let (offset, body) = take_u16(body);
    let (status, body) = take_u16(body);
    let (flags, data) = take_u8(body);
    let header = ControlHeader {
        leap: LeapIndicator::NoWarning,
        version: 2,
        response: true,
        error: flags & 2 != 0,
        more: flags & 1 != 0,
        opcode,
        sequence,
        status,
        assoc: AssocId(u16::from(flags & 4 != 0)),
        offset,
        count: u16::try_from(data.len()).unwrap_or(u16::MAX),
    };
    let mut datagram = header.encode().to_vec();
    datagram.extend_from_slice(data);
    datagram.resize(datagram.len().next_multiple_of(4), 0);
    datagram
}

fn piece(datagram: &[u8]) -> Piece {
    let fragment = ControlFragment::decode(datagram).expect("an accepted datagram decodes");
    Piece {
        offset: usize::from(fragment.header.offset),
        data: fragment.data.to_vec(),
        header: fragment.header,
    }
}

/// The response is the accepted pieces end to end, and the final piece's header fields.
fn check_complete(response: &ControlResponse, pieces: &mut [Piece]) {
    pieces.sort_by_key(|p| p.offset);
    let mut expected = Vec::new();
    for p in pieces.iter() {
        assert_eq!(p.offset, expected.len(), "no gap and no overlap");
        expected.extend_from_slice(&p.data);
    }
    assert_eq!(response.data, expected);
    assert_eq!(response.fragments, pieces.len());
    let finals: Vec<&Piece> = pieces.iter().filter(|p| !p.header.more).collect();
    let [last] = finals[..] else {
        panic!("{} final fragments accepted", finals.len());
    };
    assert_eq!(
        (
            response.status,
            response.assoc,
            response.leap,
            response.version
        ),
        (
            last.header.status,
            last.header.assoc,
            last.header.leap,
            last.header.version
        )
    );
}

/// The response as a server would send it, reversed and duplicated, reassembles to itself.
fn refragment(response: &ControlResponse) {
    let frames = match response.to_fragments(None) {
        Ok(frames) => frames,
        Err(ControlError::TooMuchData { .. }) => return,
        Err(other) => panic!("to_fragments: {other}"),
    };
    let mut reassembler = Reassembler::new(
        response.opcode,
        response.sequence,
        ReassemblyLimits::fragments(frames.len()),
    );
    let mut again = None;
    for frame in frames.iter().rev().flat_map(|f| [f, f]) {
        assert!(frame.len() >= CONTROL_HEADER_LEN);
        match reassembler.push(frame) {
            Ok(Push::Complete(r)) => again = Some(r),
            Ok(Push::Accepted | Push::Ignored(_)) => {}
            Err(err) => panic!("own fragments refused: {err}"),
        }
    }
    let again = again.expect("own fragments complete");
    assert_eq!(
        ControlResponse {
            fragments: frames.len(),
            ..response.clone()
        },
        again
    );
}
