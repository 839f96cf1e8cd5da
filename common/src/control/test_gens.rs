//! proptest strategies for the mode 6 types (style guide: one `test_gens` module).

use proptest::prelude::*;

use super::{AssocId, ControlHeader, ControlOpcode, LeapIndicator, Sequence};

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
