//! Client-side reassembly of fragmented mode 6 responses, following ntpq's `getresponse`
//! checks in their order (protocol notes §4.6).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::BTreeMap;

use super::error::{ControlError, ErrorCode};
use super::header::{AssocId, CONTROL_HEADER_LEN, ControlHeader, ControlOpcode, Sequence};
use super::response::ControlResponse;
use super::status::LeapIndicator;
use crate::error::DecodeError;

/// Octets of reassembly buffer ntpq allows per fragment (`DATASIZE = MAXFRAGS * 480`).
const BYTES_PER_FRAGMENT: usize = 480;

/// Caps on what one response may occupy (ntpq's `MAXFRAGS` and `DATASIZE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReassemblyLimits {
    /// Fragments held at most; one more is [`ControlError::TooManyFragments`].
    pub max_fragments: usize,
    /// Highest end offset (offset + count) accepted; beyond is [`ControlError::TooMuchData`].
    pub max_bytes: usize,
}

impl ReassemblyLimits {
    /// ntpq 4.2.8's limits: 32 fragments, 32 × 480 octets.
    pub const NTPQ: Self = Self::fragments(32);

    /// Room for `n` fragments and `n` × 480 octets, e.g. `fragments(128)` for MRU requests
    /// that ask for up to 128 datagrams.
    #[must_use]
    pub const fn fragments(n: usize) -> Self {
        Self {
            max_fragments: n,
            max_bytes: n.saturating_mul(BYTES_PER_FRAGMENT),
        }
    }
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        Self::NTPQ
    }
}

/// Why a datagram was dropped without ending the exchange (ntpq's `continue` cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IgnoreReason {
    /// Shorter than a header; carries the length.
    Short(usize),
    /// VN outside 1..=4.
    BadVersion(u8),
    /// Not mode 6.
    BadMode(u8),
    /// R bit clear: a request, not a response.
    NotResponse,
    /// Another request's sequence number.
    WrongSequence(Sequence),
    /// Another request's opcode.
    WrongOpcode(ControlOpcode),
    /// Length not a multiple of 4; carries the length.
    Unpadded(usize),
    /// Count 0 with M set.
    EmptyNonFinal,
    /// A final (M clear) fragment after one was already accepted.
    SecondFinal,
    /// Same offset as a fragment already held.
    Duplicate {
        /// The fragment's offset.
        offset: u16,
    },
    /// Overlaps a fragment already held.
    Overlap {
        /// The fragment's offset.
        offset: u16,
    },
    /// The response was already complete.
    Finished,
}

/// ntpq-style debug wording: what was wrong with the datagram.
impl std::fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Short(len) => write!(f, "{len} octets is shorter than a mode 6 header"),
            Self::BadVersion(vn) => write!(f, "version {vn} is not 1 to 4"),
            Self::BadMode(mode) => write!(f, "mode {mode} is not a control message"),
            Self::NotResponse => f.write_str("not a response (R bit clear)"),
            Self::WrongSequence(seq) => write!(f, "wrong sequence {seq}"),
            Self::WrongOpcode(op) => write!(f, "wrong opcode {op}"),
            Self::Unpadded(len) => write!(f, "length {len} is not a multiple of 4"),
            Self::EmptyNonFinal => f.write_str("empty fragment with the M bit set"),
            Self::SecondFinal => f.write_str("a second final fragment (M bit clear)"),
            Self::Duplicate { offset } => write!(f, "duplicate fragment at offset {offset}"),
            Self::Overlap { offset } => {
                write!(f, "fragment at offset {offset} overlaps one already held")
            }
            Self::Finished => f.write_str("the response is already complete"),
        }
    }
}

/// What [`Reassembler::push`] did with a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Push {
    /// Dropped, harmlessly.
    Ignored(IgnoreReason),
    /// Stored; more fragments are needed.
    Accepted,
    /// Stored, and the response is now complete.
    Complete(ControlResponse),
}

/// Header fields remembered from the final fragment, whose status is authoritative.
#[derive(Debug, Clone, Copy)]
struct FinalFragment {
    status: u16,
    assoc: AssocId,
    leap: LeapIndicator,
    version: u8,
}

/// Collects the fragments of one response (one opcode and sequence number).
#[derive(Debug, Clone)]
pub struct Reassembler {
    opcode: ControlOpcode,
    sequence: Sequence,
    limits: ReassemblyLimits,
    pieces: BTreeMap<u16, Vec<u8>>,
    last: Option<FinalFragment>,
    done: bool,
}

impl Reassembler {
    /// Waits for the response to request `opcode` sent with `sequence`.
    #[must_use]
    pub fn new(opcode: ControlOpcode, sequence: Sequence, limits: ReassemblyLimits) -> Self {
        Self {
            opcode,
            sequence,
            limits,
            pieces: BTreeMap::new(),
            last: None,
            done: false,
        }
    }

    /// Fragments held.
    #[must_use]
    pub fn fragments(&self) -> usize {
        self.pieces.len()
    }

    /// Data octets held.
    #[must_use]
    pub fn octets(&self) -> usize {
        self.pieces.values().map(Vec::len).sum()
    }

    /// The data received contiguously from offset 0 (everything before the first gap), and
    /// how many fragments it spans: what an incomplete response still tells.
    #[must_use]
    pub fn prefix(&self) -> (Vec<u8>, usize) {
        let mut data = Vec::new();
        let mut fragments = 0;
        for (&at, piece) in &self.pieces {
            if usize::from(at) != data.len() {
                break;
            }
            data.extend_from_slice(piece);
            fragments += 1;
        }
        (data, fragments)
    }

    /// Whether no fragment has been accepted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Offers one received datagram.
    ///
    /// # Errors
    /// An error response ([`ControlError::Server`], even on a non-final fragment), a datagram
    /// whose count exceeds its length ([`ControlError::TruncatedFragment`]), or a limit
    /// exceeded ([`ControlError::TooMuchData`], [`ControlError::TooManyFragments`]).
    pub fn push(&mut self, datagram: &[u8]) -> Result<Push, ControlError> {
        if self.done {
            return Ok(Push::Ignored(IgnoreReason::Finished));
        }
        let header = match ControlHeader::decode(datagram) {
            Ok(h) => h,
            Err(DecodeError::BadMode(mode)) => {
                return Ok(Push::Ignored(IgnoreReason::BadMode(mode)));
            }
            Err(_) => return Ok(Push::Ignored(IgnoreReason::Short(datagram.len()))),
        };
        if let Some(reason) = self.foreign(&header) {
            return Ok(Push::Ignored(reason));
        }
        if header.error {
            return Err(ControlError::Server(ErrorCode::from_status(header.status)));
        }
        // An association mismatch is tolerated, as ntpq does (fuzzball compatibility).
        let len = datagram.len();
        if !len.is_multiple_of(4) {
            return Ok(Push::Ignored(IgnoreReason::Unpadded(len)));
        }
        let count = usize::from(header.count);
        let available = len - CONTROL_HEADER_LEN;
        if len < (CONTROL_HEADER_LEN + count).next_multiple_of(4) {
            return Err(ControlError::TruncatedFragment {
                count: header.count,
                available,
            });
        }
        if count == 0 && header.more {
            return Ok(Push::Ignored(IgnoreReason::EmptyNonFinal));
        }
        let end = usize::from(header.offset) + count;
        if end > self.limits.max_bytes {
            return Err(ControlError::TooMuchData {
                end,
                max: self.limits.max_bytes,
            });
        }
        if self.last.is_some() && !header.more {
            return Ok(Push::Ignored(IgnoreReason::SecondFinal));
        }
        if self.pieces.len() >= self.limits.max_fragments {
            return Err(ControlError::TooManyFragments {
                max: self.limits.max_fragments,
            });
        }
        let data = datagram
            .get(CONTROL_HEADER_LEN..CONTROL_HEADER_LEN + count)
            .unwrap_or_default();
        // A repeat of a held fragment is harmless (the network duplicated it); the same offset
        // with other data means someone else is answering too, and neither can be trusted.
        if self
            .pieces
            .get(&header.offset)
            .is_some_and(|held| held.as_slice() != data)
        {
            return Err(ControlError::ConflictingFragment {
                offset: header.offset,
            });
        }
        if let Some(reason) = self.collides(header.offset, end) {
            return Ok(Push::Ignored(reason));
        }
        self.pieces.insert(header.offset, data.to_vec());
        if !header.more {
            self.last = Some(FinalFragment {
                status: header.status,
                assoc: header.assoc,
                leap: header.leap,
                version: header.version,
            });
        }
        Ok(match self.complete() {
            Some(response) => {
                self.done = true;
                Push::Complete(response)
            }
            None => Push::Accepted,
        })
    }

    /// The checks that make a datagram someone else's, in ntpq's order.
    fn foreign(&self, header: &ControlHeader) -> Option<IgnoreReason> {
        if !(1..=4).contains(&header.version) {
            Some(IgnoreReason::BadVersion(header.version))
        } else if !header.response {
            Some(IgnoreReason::NotResponse)
        } else if header.sequence != self.sequence {
            Some(IgnoreReason::WrongSequence(header.sequence))
        } else if header.opcode != self.opcode {
            Some(IgnoreReason::WrongOpcode(header.opcode))
        } else {
            None
        }
    }

    /// Whether `[offset, end)` repeats or overlaps a held fragment.
    fn collides(&self, offset: u16, end: usize) -> Option<IgnoreReason> {
        if self.pieces.contains_key(&offset) {
            return Some(IgnoreReason::Duplicate { offset });
        }
        let before = self.pieces.range(..offset).next_back();
        let after = self.pieces.range(offset..).next();
        let overlaps_before =
            before.is_some_and(|(&at, data)| usize::from(at) + data.len() > usize::from(offset));
        let overlaps_after = after.is_some_and(|(&at, _)| end > usize::from(at));
        (overlaps_before || overlaps_after).then_some(IgnoreReason::Overlap { offset })
    }

    /// The response, if the final fragment is held and the data is contiguous from 0.
    fn complete(&mut self) -> Option<ControlResponse> {
        let last = self.last?;
        let mut expected = 0usize;
        for (&at, data) in &self.pieces {
            if usize::from(at) != expected {
                return None;
            }
            expected += data.len();
        }
        let fragments = self.pieces.len();
        let mut data = Vec::with_capacity(expected);
        for piece in std::mem::take(&mut self.pieces).into_values() {
            data.extend_from_slice(&piece);
        }
        Some(ControlResponse {
            opcode: self.opcode,
            sequence: self.sequence,
            assoc: last.assoc,
            status: last.status,
            leap: last.leap,
            version: last.version,
            data,
            fragments,
            authenticated: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEQ: Sequence = Sequence(10);
    const OP: ControlOpcode = ControlOpcode::ReadVariables;

    /// A response fragment with `data` at `offset`, M set when `more`.
    fn frag(offset: u16, data: &[u8], more: bool) -> Vec<u8> {
        frag_with(offset, data, more, |_| {})
    }

    fn frag_with(
        offset: u16,
        data: &[u8],
        more: bool,
        edit: impl FnOnce(&mut ControlHeader),
    ) -> Vec<u8> {
        let mut header = ControlHeader {
            leap: LeapIndicator::NoWarning,
            version: 2,
            response: true,
            error: false,
            more,
            opcode: OP,
            sequence: SEQ,
            status: if more { 0x0611 } else { 0x0615 },
            assoc: AssocId::SYSTEM,
            offset,
            count: u16::try_from(data.len()).unwrap(),
        };
        edit(&mut header);
        let mut out = header.encode().to_vec();
        out.extend_from_slice(data);
        crate::wire::pad_to(&mut out, 4);
        out
    }

    fn reassembler() -> Reassembler {
        Reassembler::new(OP, SEQ, ReassemblyLimits::NTPQ)
    }

    fn complete(push: Result<Push, ControlError>) -> ControlResponse {
        match push {
            Ok(Push::Complete(r)) => r,
            other => panic!("not complete: {other:?}"),
        }
    }

    #[test]
    fn single_fragment() {
        let r = complete(reassembler().push(&frag(0, b"stratum=2", false)));
        assert_eq!(r.data, b"stratum=2");
        assert_eq!(
            (r.status, r.fragments, r.sequence, r.opcode),
            (0x0615, 1, SEQ, OP)
        );
    }

    #[test]
    fn empty_final_fragment() {
        let r = complete(reassembler().push(&frag(0, b"", false)));
        assert!(r.data.is_empty());
    }

    #[test]
    fn out_of_order_and_status_of_last_fragment() {
        let mut re = reassembler();
        assert_eq!(re.push(&frag(8, b"cdef", false)), Ok(Push::Accepted));
        assert_eq!(re.push(&frag(4, b"b---", true)), Ok(Push::Accepted));
        assert_eq!((re.fragments(), re.octets()), (2, 8));
        let r = complete(re.push(&frag(0, b"a---", true)));
        assert_eq!(r.data, b"a---b---cdef");
        assert_eq!(r.status, 0x0615);
        assert_eq!(r.fragments, 3);
        assert_eq!(
            re.push(&frag(0, b"a---", true)),
            Ok(Push::Ignored(IgnoreReason::Finished))
        );
    }

    #[test]
    fn duplicates_overlaps_and_second_final_are_ignored() {
        let mut re = reassembler();
        assert_eq!(re.push(&frag(0, b"aaaa", true)), Ok(Push::Accepted));
        let table = [
            (
                frag(0, b"aaaa", true),
                IgnoreReason::Duplicate { offset: 0 },
            ),
            (frag(2, b"zzzz", true), IgnoreReason::Overlap { offset: 2 }),
        ];
        for (datagram, reason) in table {
            assert_eq!(re.push(&datagram), Ok(Push::Ignored(reason)));
        }
        assert_eq!(re.push(&frag(12, b"dddd", false)), Ok(Push::Accepted));
        assert_eq!(
            re.push(&frag(16, b"eeee", false)),
            Ok(Push::Ignored(IgnoreReason::SecondFinal))
        );
        // Overlaps the next held fragment (12..16) from before.
        assert_eq!(
            re.push(&frag(6, b"xxxxxxxx", true)),
            Ok(Push::Ignored(IgnoreReason::Overlap { offset: 6 }))
        );
        // Gap 4..12, then filled.
        assert_eq!(re.push(&frag(4, b"bbbb", true)), Ok(Push::Accepted));
        let r = complete(re.push(&frag(8, b"cccc", true)));
        assert_eq!(r.data, b"aaaabbbbccccdddd");
    }

    #[test]
    fn a_duplicate_with_other_data_fails_the_response() {
        let mut re = reassembler();
        assert_eq!(re.push(&frag(0, b"aaaa", true)), Ok(Push::Accepted));
        assert_eq!(
            re.push(&frag(0, b"aaaa", true)),
            Ok(Push::Ignored(IgnoreReason::Duplicate { offset: 0 }))
        );
        assert_eq!(
            re.push(&frag(0, b"zzzz", true)),
            Err(ControlError::ConflictingFragment { offset: 0 })
        );
        // Also when the copy is longer or shorter.
        let mut re = reassembler();
        assert_eq!(re.push(&frag(0, b"aaaa", true)), Ok(Push::Accepted));
        assert_eq!(
            re.push(&frag(0, b"aaaabbbb", true)),
            Err(ControlError::ConflictingFragment { offset: 0 })
        );
    }

    #[test]
    fn hostile_fragment_streams_end_within_the_limits() {
        // M bit forever: the 33rd fragment ends it.
        let mut re = reassembler();
        for i in 0..32_u16 {
            assert_eq!(re.push(&frag(i * 4, b"mmmm", true)), Ok(Push::Accepted));
        }
        assert_eq!(
            re.push(&frag(128, b"mmmm", true)),
            Err(ControlError::TooManyFragments { max: 32 })
        );
        // An offset 135 fragments in.
        let mut re = reassembler();
        assert_eq!(
            re.push(&frag(65_000, b"late", false)),
            Err(ControlError::TooMuchData {
                end: 65_004,
                max: 32 * 480
            })
        );
        // A count beyond the datagram.
        let mut re = reassembler();
        let mut long = frag(0, b"abcd", false);
        long[10..12].copy_from_slice(&400_u16.to_be_bytes());
        assert_eq!(
            re.push(&long),
            Err(ControlError::TruncatedFragment {
                count: 400,
                available: 4
            })
        );
    }

    #[test]
    fn foreign_datagrams_are_ignored() {
        let table: Vec<(Vec<u8>, IgnoreReason)> = vec![
            (vec![0x16; 8], IgnoreReason::Short(8)),
            (
                frag_with(0, b"", false, |h| h.version = 5),
                IgnoreReason::BadVersion(5),
            ),
            (
                frag_with(0, b"", false, |h| h.version = 0),
                IgnoreReason::BadVersion(0),
            ),
            (
                {
                    let mut d = frag(0, b"", false);
                    d[0] = 0x24;
                    d
                },
                IgnoreReason::BadMode(4),
            ),
            (
                frag_with(0, b"", false, |h| h.response = false),
                IgnoreReason::NotResponse,
            ),
            (
                frag_with(0, b"", false, |h| h.sequence = Sequence(9)),
                IgnoreReason::WrongSequence(Sequence(9)),
            ),
            (
                frag_with(0, b"", false, |h| h.opcode = ControlOpcode::ReadClock),
                IgnoreReason::WrongOpcode(ControlOpcode::ReadClock),
            ),
            (
                {
                    let mut d = frag(0, b"abcd", false);
                    d.push(0);
                    d
                },
                IgnoreReason::Unpadded(17),
            ),
            (frag(0, b"", true), IgnoreReason::EmptyNonFinal),
        ];
        for (datagram, reason) in table {
            let mut re = reassembler();
            assert_eq!(re.push(&datagram), Ok(Push::Ignored(reason)), "{reason:?}");
            assert!(re.is_empty());
        }
    }

    #[test]
    fn association_mismatch_is_tolerated() {
        let r = complete(reassembler().push(&frag_with(0, b"x", false, |h| h.assoc = AssocId(9))));
        assert_eq!(r.assoc, AssocId(9));
    }

    #[test]
    fn error_bit_ends_at_once_even_mid_stream() {
        let mut re = reassembler();
        assert_eq!(re.push(&frag(0, b"aaaa", true)), Ok(Push::Accepted));
        let err = frag_with(4, b"", true, |h| {
            h.error = true;
            h.status = ErrorCode::UnknownVariable.to_status();
        });
        assert_eq!(
            re.push(&err),
            Err(ControlError::Server(ErrorCode::UnknownVariable))
        );
        // The E bit is read before the padding check, as ntpq does.
        let mut odd = frag_with(0, b"", false, |h| {
            h.error = true;
            h.status = 0;
        });
        odd.push(0);
        assert_eq!(
            reassembler().push(&odd),
            Err(ControlError::Server(ErrorCode::Unspecified))
        );
    }

    #[test]
    fn count_beyond_length_is_truncation() {
        let mut d = frag(0, b"abcdefgh", false);
        d.truncate(16);
        assert_eq!(
            reassembler().push(&d),
            Err(ControlError::TruncatedFragment {
                count: 8,
                available: 4
            })
        );
    }

    #[test]
    fn too_much_data() {
        let limits = ReassemblyLimits::NTPQ;
        assert_eq!(limits.max_bytes, 15360);
        let mut re = reassembler();
        assert_eq!(
            re.push(&frag(15360 - 3, b"abcd", true)),
            Err(ControlError::TooMuchData {
                end: 15361,
                max: 15360
            })
        );
        let mut re = reassembler();
        assert_eq!(
            re.push(&frag(15360 - 4, b"abcd", false)),
            Ok(Push::Accepted)
        );
    }

    #[test]
    fn too_many_fragments_and_a_larger_limit() {
        let mut re = reassembler();
        for i in 0..32u16 {
            assert_eq!(re.push(&frag(i * 4 + 4, b"abcd", true)), Ok(Push::Accepted));
        }
        assert_eq!(
            re.push(&frag(0, b"abcd", true)),
            Err(ControlError::TooManyFragments { max: 32 })
        );
        let mut re = Reassembler::new(OP, SEQ, ReassemblyLimits::fragments(128));
        for i in 1..128u16 {
            assert_eq!(re.push(&frag(i * 4, b"abcd", i != 127)), Ok(Push::Accepted));
        }
        let r = complete(re.push(&frag(0, b"abcd", true)));
        assert_eq!((r.fragments, r.data.len()), (128, 512));
    }
}

#[cfg(test)]
mod props {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::{Push, Reassembler, ReassemblyLimits};
    use crate::control::test_gens::shuffled_fragments_any;
    use crate::control::{ControlOpcode, Sequence};

    proptest! {
        #[test]
        fn arbitrary_datagrams_never_panic(
            datagrams in vec(vec(any::<u8>(), 0..600), 0..40),
            op in 0u8..32,
            seq in any::<u16>(),
        ) {
            let mut re = Reassembler::new(ControlOpcode::from(op), Sequence(seq), ReassemblyLimits::NTPQ);
            for d in &datagrams {
                if re.push(d).is_err() {
                    break;
                }
            }
        }

        #[test]
        fn shuffled_duplicated_fragments_reassemble((response, frames) in shuffled_fragments_any()) {
            let mut re = Reassembler::new(response.opcode, response.sequence, ReassemblyLimits::fragments(4000));
            let mut done = None;
            for frame in &frames {
                match re.push(frame) {
                    Ok(Push::Complete(r)) => {
                        done = Some(r);
                        break;
                    }
                    Ok(_) => {}
                    Err(e) => prop_assert!(false, "{e}"),
                }
            }
            let got = done.expect("complete");
            prop_assert_eq!(&got.data, &response.data);
            prop_assert_eq!(got.status, response.status);
            prop_assert_eq!(got.leap, response.leap);
            prop_assert_eq!(got.version, response.version);
        }
    }
}
