//! proptest strategies for the mode 6 types (style guide: one `test_gens` module).

use proptest::collection::vec;
use proptest::prelude::*;

use super::{
    AssocId, ControlHeader, ControlOpcode, ControlResponse, LeapIndicator, Sequence, VarList,
    Variable,
};

/// Any opcode that survives the 5-bit wire field.
pub fn opcode_any() -> impl Strategy<Value = ControlOpcode> {
    (0u8..32).prop_map(ControlOpcode::from)
}

/// Any header whose fields fit their wire widths.
pub fn header_any() -> impl Strategy<Value = ControlHeader> {
    (
        (0u8..4, 0u8..8, any::<[bool; 3]>(), opcode_any()),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
        ),
    )
        .prop_map(
            |(
                (leap, version, [response, error, more], opcode),
                (seq, status, assoc, offset, count),
            )| {
                ControlHeader {
                    leap: LeapIndicator::from_bits(leap),
                    version,
                    response,
                    error,
                    more,
                    opcode,
                    sequence: Sequence(seq),
                    status,
                    assoc: AssocId(assoc),
                    offset,
                    count,
                }
            },
        )
}

/// A response carrying `data` (any status, leap, VN 1..=4).
pub fn response_with(data: Vec<u8>) -> impl Strategy<Value = ControlResponse> {
    (opcode_any(), any::<u16>(), any::<u16>(), 0u8..4, 1u8..=4).prop_map(
        move |(opcode, seq, status, leap, version)| ControlResponse {
            opcode,
            sequence: Sequence(seq),
            assoc: AssocId(1),
            status,
            leap: LeapIndicator::from_bits(leap),
            version,
            data: data.clone(),
            fragments: 0,
            authenticated: false,
        },
    )
}

/// A variable name that reads back as itself.
pub fn name_any() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_.:\\[\\]-]{0,20}|[a-z][a-z ]{0,6}[a-z]"
}

/// A value that reads back as itself: plain, quoted (commas allowed), empty or bare.
pub fn value_any() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        "[!#-+\\--~]([ -+\\--~]{0,30}[!-+\\--~])?".prop_map(Some),
        "[ -!#-~]{0,30}".prop_map(|s| Some(format!("\"{s}\""))),
        "-?[0-9]{1,5}\\.[0-9]{3}".prop_map(Some),
    ]
}

/// A well-formed variable list.
pub fn var_list_any() -> impl Strategy<Value = VarList> {
    vec((name_any(), value_any()), 0..12).prop_map(|items| {
        items
            .into_iter()
            .map(|(name, value)| Variable { name, value })
            .collect()
    })
}

/// The server side with an arbitrary fragment size: `response`'s data cut every `chunk`
/// octets (an empty payload gives one empty final fragment).
pub fn split_response(response: &ControlResponse, chunk: usize) -> Vec<Vec<u8>> {
    let mut chunks: Vec<&[u8]> = response.data.chunks(chunk.max(1)).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let last = chunks.len() - 1;
    let mut offset = 0;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let header = ControlHeader {
                leap: response.leap,
                version: response.version,
                response: true,
                error: false,
                more: i != last,
                opcode: response.opcode,
                sequence: response.sequence,
                status: response.status,
                assoc: response.assoc,
                offset: u16::try_from(offset).expect("offset fits"),
                count: u16::try_from(piece.len()).expect("count fits"),
            };
            offset += piece.len();
            let mut out = header.encode().to_vec();
            out.extend_from_slice(piece);
            crate::wire::pad_to(&mut out, 4);
            out
        })
        .collect()
}

/// A response, the datagrams carrying it cut at a random size, shuffled, with some
/// datagrams repeated.
pub fn shuffled_fragments_any() -> impl Strategy<Value = (ControlResponse, Vec<Vec<u8>>)> {
    (vec(any::<u8>(), 0..4000), 1usize..=468)
        .prop_flat_map(|(data, chunk)| (response_with(data), Just(chunk)))
        .prop_flat_map(|(response, chunk)| {
            let frames = split_response(&response, chunk);
            let n = frames.len();
            (Just(response), Just(frames), vec(0..n, 0..6))
        })
        .prop_flat_map(|(response, frames, repeats)| {
            let mut all = frames.clone();
            all.extend(repeats.into_iter().filter_map(|i| frames.get(i).cloned()));
            (Just(response), Just(all).prop_shuffle())
        })
}
