//! Mode 7 responses: fragment checks and reassembly as ntpdc's `getresponse` does them
//! (protocol notes §7.3).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use thiserror::Error;

use crate::error::DecodeError;
use crate::wire::Reader;

use super::PrivateError;
use super::header::{
    Implementation, InfoCode, MAX_COUNT, MAX_SEQUENCE, MODE_PRIVATE, PrivateHeader, RequestCode,
};
use super::items::PrivateItem;

/// Most item octets one response fragment carries (`RESP_DATA_SIZE`); ntpdc's receive buffer
/// holds no more, so it ignores fragments claiming more.
pub const RESP_DATA_SIZE: usize = 500;

/// Number of distinct fragment sequence numbers (0..=127).
const SLOTS: usize = MAX_SEQUENCE as usize + 1;

/// A complete response: every fragment's items, concatenated in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateResponse {
    /// Implementation the server answered for.
    pub implementation: Implementation,
    /// Request code answered.
    pub code: RequestCode,
    /// Size of each item (identical in every fragment); 0 for a bare acknowledgement.
    pub itemsize: u16,
    /// Total number of items.
    pub nitems: usize,
    /// `nitems · itemsize` octets of item data.
    pub items: Vec<u8>,
}

impl PrivateResponse {
    /// Decodes every item as `T`, zero-extending items smaller than `T`'s full size.
    ///
    /// # Errors
    /// The response's item size is not a layout of `T` (ntpdc: "incorrect item size returned
    /// by remote host"), or the data is shorter than `nitems · itemsize`.
    pub fn decode_items<T: PrivateItem>(&self) -> Result<Vec<T>, PrivateError> {
        if self.nitems == 0 {
            return Ok(Vec::new());
        }
        let size = usize::from(self.itemsize);
        if !T::SIZES.contains(&size) {
            return Err(PrivateError::ItemSize {
                size,
                expected: T::SIZES,
            });
        }
        let mut rest = self.items.as_slice();
        let mut out = Vec::with_capacity(self.nitems.min(rest.len() / size.max(1)));
        for _ in 0..self.nitems {
            out.push(T::decode(rest, size)?);
            rest = rest.get(size..).unwrap_or_default();
        }
        Ok(out)
    }

    /// Splits the response into datagrams the way ntpd sends it: at most
    /// `floor(500 / itemsize)` items per fragment, sequence 0, 1, …, M set on all but the
    /// last. Meant for tests and fake servers.
    ///
    /// # Errors
    /// `items` is not `nitems · itemsize` octets, or more than 128 fragments are needed.
    pub fn encode_fragments(&self, version: u8) -> Result<Vec<Vec<u8>>, PrivateError> {
        let size = usize::from(self.itemsize);
        if self.nitems.checked_mul(size) != Some(self.items.len()) {
            return Err(DecodeError::BadLength(format!(
                "{} octets of items, expected {} of {size}",
                self.items.len(),
                self.nitems
            ))
            .into());
        }
        // A bare acknowledgement (item size 0) is one fragment.
        let per = RESP_DATA_SIZE
            .checked_div(size)
            .map_or(self.nitems, |p| p.max(1))
            .max(1);
        let count = self.nitems.div_ceil(per).max(1);
        if count > SLOTS {
            return Err(PrivateError::OutOfRange {
                field: "fragments",
                value: count,
            });
        }
        let mut out = Vec::with_capacity(count);
        for (seq, index) in (0_u8..).zip(0..count) {
            let first = index * per;
            let n = per.min(self.nitems - first);
            let header = PrivateHeader {
                response: true,
                more: index + 1 < count,
                version,
                sequence: seq,
                nitems: u16::try_from(n).ok().filter(|v| *v <= MAX_COUNT).ok_or(
                    PrivateError::OutOfRange {
                        field: "nitems",
                        value: n,
                    },
                )?,
                itemsize: self.itemsize,
                ..PrivateHeader::request(self.implementation, self.code)
            };
            let mut datagram = header.encode().to_vec();
            datagram.extend(
                self.items
                    .get(first * size..(first + n) * size)
                    .unwrap_or_default(),
            );
            out.push(datagram);
        }
        Ok(out)
    }
}

/// Why a datagram was ignored rather than accepted (ntpdc skips all of these silently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IgnoreReason {
    /// Shorter than the 8-octet header.
    #[error("short ({0} octet) packet")]
    TooShort(usize),
    /// Version outside 1..=4.
    #[error("version {0}")]
    BadVersion(u8),
    /// Not mode 7.
    #[error("mode {0}")]
    NotPrivate(u8),
    /// The A bit is set: responses are never authenticated.
    #[error("authenticated packet")]
    Authenticated,
    /// The R bit is clear.
    #[error("request packet, wanted response")]
    NotResponse,
    /// The must-be-zero field is not zero.
    #[error("nonzero MBZ field {0}")]
    NonZeroMbz(u8),
    /// An answer to another implementation or request (old data).
    #[error("implementation/request {implementation:?}/{code:?}")]
    OtherRequest {
        /// Implementation in the datagram.
        implementation: Implementation,
        /// Request code in the datagram.
        code: RequestCode,
    },
    /// `nitems · itemsize` is more than the datagram (or 500 octets) holds.
    #[error("{nitems} items of {itemsize} octets, but {payload} octets of data")]
    ItemsExceedPayload {
        /// Items claimed.
        nitems: u16,
        /// Item size claimed.
        itemsize: u16,
        /// Data octets usable.
        payload: usize,
    },
    /// The item size differs from earlier fragments.
    #[error("itemsize {itemsize}, previous {expected}")]
    ItemSizeChanged {
        /// This fragment's item size.
        itemsize: u16,
        /// The first fragment's item size.
        expected: u16,
    },
    /// This sequence number already arrived.
    #[error("duplicate sequence number {0}")]
    DuplicateSequence(u8),
    /// A second fragment without the M bit.
    #[error("second end sequence packet {0}")]
    SecondLast(u8),
    /// A sequence number after the last fragment.
    #[error("sequence number {0} after the last")]
    BeyondLast(u8),
    /// The response was already complete.
    #[error("response already complete")]
    AlreadyComplete,
}

/// What one datagram did to a [`PrivateReassembler`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FragmentOutcome {
    /// Not part of this response (or redundant); nothing changed.
    Ignored(IgnoreReason),
    /// A new fragment was stored; more are needed.
    Accepted,
    /// The last missing fragment arrived.
    Complete(PrivateResponse),
}

/// A fragment that passed the per-datagram checks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fragment {
    header: PrivateHeader,
    data: Vec<u8>,
}

/// The per-datagram checks of ntpdc's `getresponse`, in its order. An error code ends the
/// exchange (even on a non-final fragment); anything else unusable is ignored.
fn check(
    datagram: &[u8],
    implementation: Implementation,
    code: RequestCode,
) -> Result<Result<Fragment, IgnoreReason>, PrivateError> {
    let Ok(header) = PrivateHeader::decode(datagram) else {
        return Ok(Err(IgnoreReason::TooShort(datagram.len())));
    };
    let ignore = if !(1..=4).contains(&header.version) {
        Some(IgnoreReason::BadVersion(header.version))
    } else if header.mode != MODE_PRIVATE {
        Some(IgnoreReason::NotPrivate(header.mode))
    } else if header.authenticated {
        Some(IgnoreReason::Authenticated)
    } else if !header.response {
        Some(IgnoreReason::NotResponse)
    } else if header.mbz != 0 {
        Some(IgnoreReason::NonZeroMbz(header.mbz))
    } else if header.implementation != implementation || header.code != code {
        Some(IgnoreReason::OtherRequest {
            implementation: header.implementation,
            code: header.code,
        })
    } else {
        None
    };
    if let Some(reason) = ignore {
        return Ok(Err(reason));
    }
    if header.err != InfoCode::Okay {
        return Err(PrivateError::Info(header.err));
    }
    let mut r = Reader::new(datagram);
    r.skip(PrivateHeader::LEN)?;
    let payload = r.remaining().min(RESP_DATA_SIZE);
    let claimed = usize::from(header.nitems).checked_mul(usize::from(header.itemsize));
    // Everything above says the datagram answers our request: its items must fit in it.
    match claimed.filter(|n| *n <= payload) {
        Some(n) => Ok(Ok(Fragment {
            header,
            data: r.bytes(n)?.to_vec(),
        })),
        None => Err(PrivateError::Malformed(IgnoreReason::ItemsExceedPayload {
            nitems: header.nitems,
            itemsize: header.itemsize,
            payload,
        })),
    }
}

/// Collects the fragments of one response by sequence number and M bit.
///
/// Fragments may arrive in any order; duplicates, a second "last" fragment and fragments
/// after the last are ignored; every fragment must have the first one's item size; the
/// response is complete when fragments `0..=last` have all arrived. Storage is bounded by 128
/// fragments of at most 500 data octets.
#[derive(Debug, Clone)]
pub struct PrivateReassembler {
    implementation: Implementation,
    code: RequestCode,
    itemsize: Option<u16>,
    fragments: Vec<Option<Fragment>>,
    last: Option<u8>,
    complete: bool,
}

impl PrivateReassembler {
    /// Expects the answer to `code` for `implementation`.
    #[must_use]
    pub fn new(implementation: Implementation, code: RequestCode) -> Self {
        Self {
            implementation,
            code,
            itemsize: None,
            fragments: vec![None; SLOTS],
            last: None,
            complete: false,
        }
    }

    /// Whether any fragment has been accepted.
    #[must_use]
    pub fn has_fragments(&self) -> bool {
        self.itemsize.is_some()
    }

    /// Offers one datagram.
    ///
    /// # Errors
    /// [`PrivateError::Info`] when the server answered with an error code.
    pub fn push(&mut self, datagram: &[u8]) -> Result<FragmentOutcome, PrivateError> {
        if self.complete {
            return Ok(FragmentOutcome::Ignored(IgnoreReason::AlreadyComplete));
        }
        let fragment = match check(datagram, self.implementation, self.code)? {
            Ok(fragment) => fragment,
            Err(reason) => return Ok(FragmentOutcome::Ignored(reason)),
        };
        let h = fragment.header;
        if let Some(expected) = self.itemsize.filter(|e| *e != h.itemsize) {
            return Ok(FragmentOutcome::Ignored(IgnoreReason::ItemSizeChanged {
                itemsize: h.itemsize,
                expected,
            }));
        }
        let seq = h.sequence;
        let Some(slot) = self.fragments.get_mut(usize::from(seq)) else {
            return Ok(FragmentOutcome::Ignored(IgnoreReason::BeyondLast(seq)));
        };
        if let Some(held) = slot {
            // A repeat is harmless (the network duplicated it); other data under the same
            // sequence number means someone else answers too.
            if held.data != fragment.data || held.header.more != h.more {
                return Err(PrivateError::ConflictingFragment(seq));
            }
            return Ok(FragmentOutcome::Ignored(IgnoreReason::DuplicateSequence(
                seq,
            )));
        }
        match self.last {
            Some(_) if !h.more => {
                return Ok(FragmentOutcome::Ignored(IgnoreReason::SecondLast(seq)));
            }
            Some(last) if seq > last => {
                return Ok(FragmentOutcome::Ignored(IgnoreReason::BeyondLast(seq)));
            }
            _ => {}
        }
        if !h.more {
            self.last = Some(seq);
        }
        self.itemsize = Some(h.itemsize);
        *slot = Some(fragment);
        Ok(self
            .assemble()
            .map_or(FragmentOutcome::Accepted, FragmentOutcome::Complete))
    }

    /// The response, once fragments `0..=last` are all present.
    fn assemble(&mut self) -> Option<PrivateResponse> {
        let last = usize::from(self.last?);
        let needed = self.fragments.get(..=last)?;
        if needed.iter().any(Option::is_none) {
            return None;
        }
        self.complete = true;
        let mut response = PrivateResponse {
            implementation: self.implementation,
            code: self.code,
            itemsize: self.itemsize.unwrap_or(0),
            nitems: 0,
            items: Vec::new(),
        };
        for fragment in needed.iter().flatten() {
            response.nitems += usize::from(fragment.header.nitems);
            response.items.extend(&fragment.data);
        }
        self.fragments.clear();
        Some(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::{PeerSummaryItem, SysInfoItem};

    const IMPL: Implementation = Implementation::Xntpd;
    const CODE: RequestCode = RequestCode::PeerListSum;

    fn fragment(seq: u8, more: bool, nitems: u16, itemsize: u16, fill: u8) -> Vec<u8> {
        let header = PrivateHeader {
            response: true,
            more,
            sequence: seq,
            nitems,
            itemsize,
            ..PrivateHeader::request(IMPL, CODE)
        };
        let mut d = header.encode().to_vec();
        d.resize(8 + usize::from(nitems) * usize::from(itemsize), fill);
        d
    }

    fn with_header(mut d: Vec<u8>, f: impl FnOnce(&mut PrivateHeader)) -> Vec<u8> {
        let mut h = PrivateHeader::decode(&d).unwrap();
        f(&mut h);
        d[..8].copy_from_slice(&h.encode());
        d
    }

    fn complete(r: FragmentOutcome) -> PrivateResponse {
        match r {
            FragmentOutcome::Complete(resp) => resp,
            other => panic!("not complete: {other:?}"),
        }
    }

    #[test]
    fn single_fragment() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        let resp = complete(re.push(&fragment(0, false, 2, 4, 0xaa)).unwrap());
        assert_eq!(resp.nitems, 2);
        assert_eq!(resp.itemsize, 4);
        assert_eq!(resp.items, vec![0xaa; 8]);
        assert_eq!(
            re.push(&fragment(0, false, 2, 4, 0xaa)).unwrap(),
            FragmentOutcome::Ignored(IgnoreReason::AlreadyComplete)
        );
    }

    #[test]
    fn acknowledgement_is_empty() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        let resp = complete(re.push(&fragment(0, false, 0, 0, 0)).unwrap());
        assert_eq!((resp.nitems, resp.itemsize, resp.items.len()), (0, 0, 0));
        assert!(resp.decode_items::<SysInfoItem>().unwrap().is_empty());
    }

    #[test]
    fn out_of_order_fragments() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        assert_eq!(
            re.push(&fragment(2, false, 1, 4, 3)).unwrap(),
            FragmentOutcome::Accepted
        );
        assert_eq!(
            re.push(&fragment(0, true, 2, 4, 1)).unwrap(),
            FragmentOutcome::Accepted
        );
        let resp = complete(re.push(&fragment(1, true, 1, 4, 2)).unwrap());
        assert_eq!(resp.nitems, 4);
        assert_eq!(resp.items, [[1; 8].as_slice(), &[2; 4], &[3; 4]].concat());
    }

    #[test]
    fn duplicates_second_last_and_beyond_last_are_ignored() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        assert_eq!(
            re.push(&fragment(0, true, 1, 4, 1)).unwrap(),
            FragmentOutcome::Accepted
        );
        assert_eq!(
            re.push(&fragment(0, true, 1, 4, 1)).unwrap(),
            FragmentOutcome::Ignored(IgnoreReason::DuplicateSequence(0))
        );
        assert_eq!(
            re.push(&fragment(2, false, 1, 4, 3)).unwrap(),
            FragmentOutcome::Accepted
        );
        assert_eq!(
            re.push(&fragment(3, false, 1, 4, 4)).unwrap(),
            FragmentOutcome::Ignored(IgnoreReason::SecondLast(3))
        );
        assert_eq!(
            re.push(&fragment(5, true, 1, 4, 4)).unwrap(),
            FragmentOutcome::Ignored(IgnoreReason::BeyondLast(5))
        );
        let resp = complete(re.push(&fragment(1, true, 1, 4, 2)).unwrap());
        assert_eq!(resp.items, [[1; 4], [2; 4], [3; 4]].concat());
    }

    #[test]
    fn a_duplicate_with_other_data_fails_the_response() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        assert_eq!(
            re.push(&fragment(0, true, 1, 4, 1)).unwrap(),
            FragmentOutcome::Accepted
        );
        assert_eq!(
            re.push(&fragment(0, true, 1, 4, 9)),
            Err(PrivateError::ConflictingFragment(0))
        );
        // The same data claiming to be the last is a conflict too.
        let mut re = PrivateReassembler::new(IMPL, CODE);
        re.push(&fragment(0, true, 1, 4, 1)).unwrap();
        assert_eq!(
            re.push(&fragment(0, false, 1, 4, 1)),
            Err(PrivateError::ConflictingFragment(0))
        );
    }

    #[test]
    fn endless_and_far_fragments_stay_bounded() {
        // 128 fragments, all with the M bit: held, never complete, no panic.
        let mut re = PrivateReassembler::new(IMPL, CODE);
        for seq in 0..128_u8 {
            assert_eq!(
                re.push(&fragment(seq, true, 1, 4, seq)).unwrap(),
                FragmentOutcome::Accepted
            );
        }
        assert!(re.has_fragments());
        // Only the last of 128: waits for the 127 others.
        let mut re = PrivateReassembler::new(IMPL, CODE);
        assert_eq!(
            re.push(&fragment(127, false, 1, 4, 1)).unwrap(),
            FragmentOutcome::Accepted
        );
    }

    #[test]
    fn fragments_after_a_late_last_are_dropped() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        assert_eq!(
            re.push(&fragment(3, true, 1, 4, 9)).unwrap(),
            FragmentOutcome::Accepted
        );
        assert_eq!(
            re.push(&fragment(0, true, 1, 4, 1)).unwrap(),
            FragmentOutcome::Accepted
        );
        let resp = complete(re.push(&fragment(1, false, 1, 4, 2)).unwrap());
        assert_eq!(resp.items, [[1; 4], [2; 4]].concat());
    }

    #[test]
    fn item_size_change_is_ignored() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        assert_eq!(
            re.push(&fragment(0, true, 1, 72, 1)).unwrap(),
            FragmentOutcome::Accepted
        );
        assert_eq!(
            re.push(&fragment(1, false, 2, 32, 2)).unwrap(),
            FragmentOutcome::Ignored(IgnoreReason::ItemSizeChanged {
                itemsize: 32,
                expected: 72
            })
        );
        assert!(matches!(
            re.push(&fragment(1, false, 1, 72, 2)).unwrap(),
            FragmentOutcome::Complete(_)
        ));
    }

    #[test]
    fn error_mid_stream_ends_the_exchange() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        assert_eq!(
            re.push(&fragment(0, true, 1, 4, 1)).unwrap(),
            FragmentOutcome::Accepted
        );
        let err = with_header(fragment(1, true, 0, 0, 0), |h| h.err = InfoCode::NoData);
        assert_eq!(re.push(&err), Err(PrivateError::Info(InfoCode::NoData)));
        let auth = with_header(fragment(0, false, 0, 0, 0), |h| h.err = InfoCode::Auth);
        assert_eq!(
            PrivateReassembler::new(IMPL, CODE).push(&auth),
            Err(PrivateError::Info(InfoCode::Auth))
        );
    }

    #[test]
    fn never_trusts_the_item_count() {
        let mut re = PrivateReassembler::new(IMPL, CODE);
        let mut short = fragment(0, false, 3, 72, 1);
        short.truncate(8 + 2 * 72);
        assert_eq!(
            re.push(&short),
            Err(PrivateError::Malformed(IgnoreReason::ItemsExceedPayload {
                nitems: 3,
                itemsize: 72,
                payload: 144
            }))
        );
        // 4095 · 4095 octets claimed in a tiny datagram.
        let huge = with_header(fragment(0, false, 0, 0, 0), |h| {
            h.nitems = 0xfff;
            h.itemsize = 0xfff;
        });
        assert!(matches!(
            re.push(&huge),
            Err(PrivateError::Malformed(IgnoreReason::ItemsExceedPayload {
                payload: 0,
                ..
            }))
        ));
        // One item larger than a whole payload.
        let big = with_header(fragment(0, false, 1, 72, 1), |h| h.itemsize = 600);
        assert!(matches!(
            re.push(&big),
            Err(PrivateError::Malformed(IgnoreReason::ItemsExceedPayload {
                itemsize: 600,
                ..
            }))
        ));
        // More than the 500 octets ntpdc's buffer holds.
        assert!(matches!(
            re.push(&fragment(0, false, 7, 72, 1)),
            Err(PrivateError::Malformed(IgnoreReason::ItemsExceedPayload {
                payload: 500,
                ..
            }))
        ));
        // Trailing octets beyond the items are allowed.
        let mut padded = fragment(0, false, 1, 4, 1);
        padded.extend([0; 12]);
        assert_eq!(complete(re.push(&padded).unwrap()).items, [1; 4]);
    }

    #[test]
    fn header_checks_in_ntpdc_order() {
        let ok = fragment(0, false, 0, 0, 0);
        let cases: Vec<(Vec<u8>, IgnoreReason)> = vec![
            (ok[..7].to_vec(), IgnoreReason::TooShort(7)),
            (
                with_header(ok.clone(), |h| h.version = 0),
                IgnoreReason::BadVersion(0),
            ),
            (
                with_header(ok.clone(), |h| h.version = 5),
                IgnoreReason::BadVersion(5),
            ),
            (
                with_header(ok.clone(), |h| h.mode = 6),
                IgnoreReason::NotPrivate(6),
            ),
            (
                with_header(ok.clone(), |h| h.authenticated = true),
                IgnoreReason::Authenticated,
            ),
            (
                with_header(ok.clone(), |h| h.response = false),
                IgnoreReason::NotResponse,
            ),
            (
                with_header(ok.clone(), |h| h.mbz = 2),
                IgnoreReason::NonZeroMbz(2),
            ),
            (
                with_header(ok.clone(), |h| h.implementation = Implementation::XntpdOld),
                IgnoreReason::OtherRequest {
                    implementation: Implementation::XntpdOld,
                    code: CODE,
                },
            ),
            (
                with_header(ok.clone(), |h| h.code = RequestCode::PeerList),
                IgnoreReason::OtherRequest {
                    implementation: IMPL,
                    code: RequestCode::PeerList,
                },
            ),
            // A request-shaped error reply is still ignored: R is checked before err.
            (
                with_header(ok.clone(), |h| {
                    h.response = false;
                    h.err = InfoCode::Auth;
                }),
                IgnoreReason::NotResponse,
            ),
        ];
        for (datagram, reason) in cases {
            let mut re = PrivateReassembler::new(IMPL, CODE);
            assert_eq!(
                re.push(&datagram).unwrap(),
                FragmentOutcome::Ignored(reason)
            );
            assert!(!re.has_fragments());
        }
        for version in 1..=4 {
            let d = with_header(ok.clone(), |h| h.version = version);
            assert!(matches!(
                PrivateReassembler::new(IMPL, CODE).push(&d).unwrap(),
                FragmentOutcome::Complete(_)
            ));
        }
    }

    #[test]
    fn typed_items_and_fragment_encoding() {
        let item = PeerSummaryItem::decode(&[7; 72], 72).unwrap();
        let items: Vec<u8> = (0..15).flat_map(|_| item.encode(72).unwrap()).collect();
        let resp = PrivateResponse {
            implementation: IMPL,
            code: CODE,
            itemsize: 72,
            nitems: 15,
            items,
        };
        let frags = resp.encode_fragments(2).unwrap();
        // floor(500 / 72) = 6 items per fragment.
        assert_eq!(frags.len(), 3);
        assert_eq!(&frags[0][..8], &[0xd7, 0, 3, 1, 0, 6, 0, 72]);
        assert_eq!(&frags[2][..8], &[0x97, 2, 3, 1, 0, 3, 0, 72]);
        let mut re = PrivateReassembler::new(IMPL, CODE);
        let mut last = FragmentOutcome::Accepted;
        for f in frags.iter().rev() {
            last = re.push(f).unwrap();
        }
        let back = complete(last);
        assert_eq!(back, resp);
        assert_eq!(
            back.decode_items::<PeerSummaryItem>().unwrap(),
            vec![item; 15]
        );
        assert!(matches!(
            back.decode_items::<SysInfoItem>(),
            Err(PrivateError::ItemSize { size: 72, .. })
        ));
    }

    #[test]
    fn short_items_are_zero_extended() {
        let v4 = PeerSummaryItem::decode(&[0x11; 32], 32).unwrap();
        let resp = PrivateResponse {
            implementation: Implementation::XntpdOld,
            code: CODE,
            itemsize: 32,
            nitems: 2,
            items: [v4.encode(32).unwrap(), v4.encode(32).unwrap()].concat(),
        };
        assert_eq!(resp.decode_items::<PeerSummaryItem>().unwrap(), vec![v4; 2]);
        let truncated = PrivateResponse {
            items: vec![0; 40],
            ..resp
        };
        assert!(matches!(
            truncated.decode_items::<PeerSummaryItem>(),
            Err(PrivateError::Decode(DecodeError::Truncated { .. }))
        ));
    }

    #[test]
    fn fragment_encoding_limits() {
        let bad = PrivateResponse {
            implementation: IMPL,
            code: CODE,
            itemsize: 4,
            nitems: 2,
            items: vec![0; 7],
        };
        assert!(bad.encode_fragments(2).is_err());
        let too_many = PrivateResponse {
            itemsize: 500,
            nitems: 129,
            items: vec![0; 500 * 129],
            ..bad
        };
        assert_eq!(
            too_many.encode_fragments(2),
            Err(PrivateError::OutOfRange {
                field: "fragments",
                value: 129
            })
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::private::items::{MonitorList, PeerSummaryItem, RestrictItem};
    use crate::private::test_gens::response_any;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_datagrams_never_panic(
            datagrams in proptest::collection::vec(
                proptest::collection::vec(any::<u8>(), 0..600), 0..20),
        ) {
            let mut re = PrivateReassembler::new(
                Implementation::Xntpd, RequestCode::PeerListSum);
            for d in &datagrams {
                if let Ok(FragmentOutcome::Complete(resp)) = re.push(d) {
                    let _ = resp.decode_items::<PeerSummaryItem>();
                    let _ = MonitorList::from_response(&resp);
                }
            }
        }

        #[test]
        fn plausible_datagrams_never_panic(
            heads in proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u16>(), any::<u16>()), 1..30),
            body in proptest::collection::vec(any::<u8>(), 0..520),
        ) {
            // Valid response headers with random flags, sequence and counts.
            let mut re = PrivateReassembler::new(
                Implementation::Xntpd, RequestCode::GetRestrict);
            for (flags, seq, nitems, itemsize) in heads {
                let header = PrivateHeader {
                    response: true,
                    more: flags & 1 != 0,
                    sequence: seq & 0x7f,
                    nitems: nitems & 0xfff,
                    itemsize: itemsize & 0xfff,
                    ..PrivateHeader::request(Implementation::Xntpd, RequestCode::GetRestrict)
                };
                let d = [header.encode().as_slice(), &body].concat();
                if let Ok(FragmentOutcome::Complete(resp)) = re.push(&d) {
                    let _ = resp.decode_items::<RestrictItem>();
                }
            }
        }

        #[test]
        fn shuffled_duplicated_fragments_reassemble(
            resp in response_any(),
            order in proptest::collection::vec(any::<prop::sample::Index>(), 0..200),
        ) {
            let frags = resp.encode_fragments(2).unwrap();
            // Every fragment at least once, in a random order, with random duplicates.
            let mut sequence: Vec<usize> = (0..frags.len()).collect();
            sequence.extend(order.iter().map(|i| i.index(frags.len())));
            for (k, i) in order.iter().enumerate() {
                let (a, b) = (k % sequence.len(), i.index(sequence.len()));
                sequence.swap(a, b);
            }
            let mut re = PrivateReassembler::new(resp.implementation, resp.code);
            let mut done = None;
            for i in sequence {
                match re.push(&frags[i]).unwrap() {
                    FragmentOutcome::Complete(r) => {
                        prop_assert!(done.is_none());
                        done = Some(r);
                    }
                    FragmentOutcome::Accepted => prop_assert!(done.is_none()),
                    FragmentOutcome::Ignored(_) => {}
                }
            }
            prop_assert_eq!(done, Some(resp));
        }
    }
}
