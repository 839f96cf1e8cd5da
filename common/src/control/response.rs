//! Response datagrams (one fragment each, with an optional MAC trailer) and the reassembled
//! response (protocol notes §4.5 last paragraph, §4.6).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::borrow::Cow;

use super::error::ControlError;
use super::header::{
    AssocId, CONTROL_HEADER_LEN, CONTROL_MAX_DATA, ControlHeader, ControlOpcode, Sequence,
};
use super::peer::{AssocStatus, PeerStatus};
use super::request::{MacAlignment, assemble};
use super::status::{ClockStatus, LeapIndicator, SystemStatus};
use super::vars::{VarList, VarListError};
use crate::auth::{Key, KeyId};
use crate::error::DecodeError;
use crate::wire::{Reader, pad_to};

/// Longest trailer a mode 6 datagram carries: key ID and a 20-octet digest (§3.2).
const MAX_TRAILER: usize = 24;

/// The key ID and MAC found after a datagram's data and padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacTrailer<'a> {
    /// The key the sender claims to have used.
    pub key_id: KeyId,
    /// The digest; empty for a 4-octet crypto-NAK.
    pub mac: &'a [u8],
}

/// One mode 6 datagram seen as header, data and optional MAC trailer, borrowing from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlFragment<'a> {
    /// The header.
    pub header: ControlHeader,
    /// `count` octets of data.
    pub data: &'a [u8],
    /// The key ID and MAC, if the datagram carries one.
    pub trailer: Option<MacTrailer<'a>>,
    /// Everything before the key ID: what the MAC covers.
    signed: &'a [u8],
}

impl<'a> ControlFragment<'a> {
    /// Splits a datagram. A trailer is recognized after the data padded to 8 octets (what
    /// ntp.org ntpd sends) when the padding octets are zero, else after the data padded to 4
    /// (NTPsec), when 4 to 24 octets remain there in whole words; other trailing octets are
    /// ignored, as ntpq ignores them.
    ///
    /// # Errors
    /// A datagram shorter than the header plus `count`, or not of mode 6.
    pub fn decode(datagram: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(datagram);
        let header = ControlHeader::read(&mut r)?;
        let data = r.bytes(usize::from(header.count))?;
        let end = CONTROL_HEADER_LEN + data.len();
        let (signed, trailer) = match find_trailer(datagram, end) {
            Some(at) => {
                let (signed, tail) = datagram.split_at(at);
                let mut t = Reader::new(tail);
                let key_id = KeyId(t.u32()?);
                let trailer = MacTrailer {
                    key_id,
                    mac: t.rest(),
                };
                (signed, Some(trailer))
            }
            None => (datagram, None),
        };
        Ok(Self {
            header,
            data,
            trailer,
            signed,
        })
    }

    /// Encodes the fragment the way ntpd sends one: the header as it is (its `count` should
    /// be `data.len()`, as [`ControlFragment::decode`] leaves it), the data, zeros to a
    /// multiple of 4 and, with a trailer, zeros to a multiple of 8, the key ID and the MAC as
    /// stored (not recomputed). Decoding the result gives back the header, the data and the
    /// trailer of any decoded fragment (octets the decoder ignored, such as junk after the
    /// data, are not kept).
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let trailer_len = self.trailer.map_or(0, |t| 8 + t.mac.len());
        let mut out = Vec::with_capacity(CONTROL_HEADER_LEN + self.data.len() + 4 + trailer_len);
        out.extend_from_slice(&self.header.encode());
        out.extend_from_slice(self.data);
        pad_to(&mut out, 4);
        if let Some(trailer) = self.trailer {
            pad_to(&mut out, 8);
            out.extend_from_slice(&trailer.key_id.0.to_be_bytes());
            out.extend_from_slice(trailer.mac);
        }
        out
    }

    /// The octets the MAC covers (the whole datagram when there is no trailer).
    #[must_use]
    pub fn signed_part(&self) -> &'a [u8] {
        self.signed
    }

    /// Whether the datagram carries a MAC made with `key`: the key IDs match and the digest
    /// verifies (in constant time).
    #[must_use]
    pub fn verify(&self, key: &Key) -> bool {
        self.trailer
            .is_some_and(|t| t.key_id == key.id() && key.verify(self.signed, t.mac))
    }

    /// Whether `datagram` carries a MAC made with `key` after its data padded to 8 octets or
    /// to 4, whichever verifies. [`ControlFragment::decode`] must guess the position from the
    /// padding; NTPsec 1.2.2 puts the key ID after the data padded to 8 but does not always
    /// zero the last 4 padding octets (the lab saw `01 31 32 33` there), which reads as a
    /// trailer after padding to 4 of the right length for SHA1.
    #[must_use]
    pub fn verify_datagram(datagram: &[u8], key: &Key) -> bool {
        let Ok(header) = ControlHeader::decode(datagram) else {
            return false;
        };
        let end = CONTROL_HEADER_LEN + usize::from(header.count);
        [end.next_multiple_of(8), end.next_multiple_of(4)]
            .into_iter()
            .filter(|&at| {
                datagram
                    .len()
                    .checked_sub(at)
                    .is_some_and(|rest| (4..=MAX_TRAILER).contains(&rest) && rest % 4 == 0)
            })
            .any(|at| {
                let (signed, tail) = datagram.split_at(at);
                let mut t = Reader::new(tail);
                t.u32()
                    .is_ok_and(|id| KeyId(id) == key.id() && key.verify(signed, t.rest()))
            })
    }
}

/// Where the key ID starts, if a plausible trailer follows the data ending at `end`.
fn find_trailer(datagram: &[u8], end: usize) -> Option<usize> {
    let len = datagram.len();
    let at4 = end.next_multiple_of(4);
    let at8 = end.next_multiple_of(8);
    let plausible = |at: usize| {
        let rest = len.checked_sub(at)?;
        ((4..=MAX_TRAILER).contains(&rest) && rest % 4 == 0).then_some(at)
    };
    let zero_gap = datagram
        .get(at4..at8)
        .is_some_and(|gap| gap.iter().all(|&b| b == 0));
    if at8 > at4
        && zero_gap
        && let Some(at) = plausible(at8)
    {
        return Some(at);
    }
    plausible(at4)
}

/// A complete, reassembled mode 6 response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ControlResponse {
    /// The opcode answered.
    pub opcode: ControlOpcode,
    /// The sequence number of the request answered.
    pub sequence: Sequence,
    /// The association the server reported (ntpq tolerates a mismatch with the request's).
    pub assoc: AssocId,
    /// The status word of the final fragment, which is authoritative (§4.6).
    pub status: u16,
    /// The server's leap bits, from the final fragment's header.
    pub leap: LeapIndicator,
    /// The VN of the final fragment.
    pub version: u8,
    /// The reassembled data.
    pub data: Vec<u8>,
    /// How many fragments carried it.
    pub fragments: usize,
    /// Whether the request was authenticated and every fragment accepted carried a valid
    /// MAC made with the same key. Informational: ntpq does not check response MACs.
    pub authenticated: bool,
}

impl ControlResponse {
    /// The status word read as a system status word (association 0).
    #[must_use]
    pub fn system_status(&self) -> SystemStatus {
        SystemStatus::from_bits(self.status)
    }

    /// The status word read as a peer status word (association ≠ 0).
    #[must_use]
    pub fn peer_status(&self) -> PeerStatus {
        PeerStatus::from_bits(self.status)
    }

    /// The status word read as a clock status word (READCLOCK).
    #[must_use]
    pub fn clock_status(&self) -> ClockStatus {
        ClockStatus::from_bits(self.status)
    }

    /// The data as text, without NTPsec's trailing NUL padding; invalid UTF-8 is replaced.
    #[must_use]
    pub fn text(&self) -> Cow<'_, str> {
        let end = self
            .data
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |last| last + 1);
        String::from_utf8_lossy(self.data.get(..end).unwrap_or_default())
    }

    /// The data parsed as a variable list (§4.9.3).
    ///
    /// # Errors
    /// See [`VarList::parse`].
    pub fn variables(&self) -> Result<VarList, VarListError> {
        VarList::parse(&self.data)
    }

    /// The data decoded as a READSTAT association list (§4.8).
    ///
    /// # Errors
    /// See [`AssocStatus::decode_list`].
    pub fn assoc_list(&self) -> Result<Vec<AssocStatus>, DecodeError> {
        AssocStatus::decode_list(&self.data)
    }

    /// The server side: splits the data into response datagrams of at most 468 data octets,
    /// each carrying this response's header fields, M set on all but the last, and, with
    /// `auth`, a MAC as ntpd adds to answers of authenticated requests. Empty data gives one
    /// empty final fragment. Used by tests and test servers.
    ///
    /// # Errors
    /// [`ControlError::TooMuchData`] when the data cannot be addressed by the 16-bit offset.
    pub fn to_fragments(
        &self,
        auth: Option<(&Key, MacAlignment)>,
    ) -> Result<Vec<Vec<u8>>, ControlError> {
        let max = usize::from(u16::MAX);
        let too_much = || ControlError::TooMuchData {
            end: self.data.len(),
            max,
        };
        let mut chunks: Vec<&[u8]> = self.data.chunks(CONTROL_MAX_DATA).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        let last = chunks.len() - 1;
        let mut offset = 0usize;
        let mut out = Vec::with_capacity(chunks.len());
        for (i, chunk) in chunks.into_iter().enumerate() {
            let header = ControlHeader {
                leap: self.leap,
                version: self.version,
                response: true,
                error: false,
                more: i != last,
                opcode: self.opcode,
                sequence: self.sequence,
                status: self.status,
                assoc: self.assoc,
                offset: u16::try_from(offset).map_err(|_| too_much())?,
                count: u16::try_from(chunk.len()).map_err(|_| too_much())?,
            };
            out.push(assemble(&header, chunk, auth));
            offset += chunk.len();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::KeyType;

    fn key(id: u32) -> Key {
        Key::new(KeyId(id), KeyType::Md5, b"password".to_vec())
    }

    fn response(data: &[u8]) -> ControlResponse {
        ControlResponse {
            opcode: ControlOpcode::ReadVariables,
            sequence: Sequence(5),
            assoc: AssocId::SYSTEM,
            status: 0x0615,
            leap: LeapIndicator::NoWarning,
            version: 2,
            data: data.to_vec(),
            fragments: 1,
            authenticated: false,
        }
    }

    #[test]
    fn plain_fragment() {
        let frames = response(b"stratum=2").to_fragments(None).unwrap();
        assert_eq!(frames.len(), 1);
        let frag = ControlFragment::decode(&frames[0]).unwrap();
        assert_eq!(frag.data, b"stratum=2");
        assert_eq!(frag.trailer, None);
        assert_eq!(frag.signed_part(), &frames[0][..]);
        assert!(!frag.verify(&key(1)));
        assert_eq!(frames[0].len(), 24);
    }

    #[test]
    fn trailer_after_padding_to_eight_and_to_four() {
        for (alignment, data_len, key_at) in [
            (MacAlignment::Eight, 9, 24),  // 21 → 24, already a multiple of 8
            (MacAlignment::Eight, 14, 32), // 26 → 28 → 32
            (MacAlignment::Four, 14, 28),  // 26 → 28
            (MacAlignment::Eight, 0, 16),  // 12 → 16
            (MacAlignment::Four, 0, 12),
        ] {
            let k = key(1);
            let frames = response(&vec![b'x'; data_len])
                .to_fragments(Some((&k, alignment)))
                .unwrap();
            let frag = ControlFragment::decode(&frames[0]).unwrap();
            let trailer = frag.trailer.expect("trailer");
            assert_eq!(trailer.key_id, KeyId(1));
            assert_eq!(trailer.mac.len(), 16);
            assert_eq!(frag.signed_part().len(), key_at, "{alignment:?} {data_len}");
            assert!(frag.verify(&k));
            assert!(!frag.verify(&key(2)));
            let other_secret = Key::new(KeyId(1), KeyType::Md5, b"secret".to_vec());
            assert!(!frag.verify(&other_secret));
        }
    }

    #[test]
    fn sha1_trailer_after_padding_to_four() {
        // 24-octet trailer right after 28 octets: the 4 octets after the data are the key ID,
        // not zero padding, so they are not taken for padding to 8.
        let k = Key::new(KeyId(7), KeyType::Sha1, b"password".to_vec());
        let frames = response(&[b'y'; 14])
            .to_fragments(Some((&k, MacAlignment::Four)))
            .unwrap();
        assert_eq!(frames[0].len(), 28 + 24);
        let frag = ControlFragment::decode(&frames[0]).unwrap();
        assert_eq!(frag.trailer.map(|t| t.key_id), Some(KeyId(7)));
        assert!(frag.verify(&k));
    }

    #[test]
    fn crypto_nak_and_junk() {
        let mut bytes = response(b"abcd").to_fragments(None).unwrap().remove(0);
        bytes.extend([0, 0, 0, 0]);
        let frag = ControlFragment::decode(&bytes).unwrap();
        assert_eq!(
            frag.trailer,
            Some(MacTrailer {
                key_id: KeyId(0),
                mac: &[]
            })
        );
        bytes.extend([1; 40]);
        let frag = ControlFragment::decode(&bytes).unwrap();
        assert_eq!(frag.trailer, None);
    }

    #[test]
    fn encode_is_decode_reversed() {
        let k = key(3);
        for (data, auth) in [
            (&b""[..], None),
            (b"stratum=2", None),
            (b"abcd", Some((&k, MacAlignment::Eight))),
            (b"abcdefghijklmn", Some((&k, MacAlignment::Four))),
            (b"x", Some((&k, MacAlignment::Eight))),
        ] {
            let frames = response(data).to_fragments(auth).unwrap();
            let frag = ControlFragment::decode(&frames[0]).unwrap();
            let bytes = frag.encode();
            let back = ControlFragment::decode(&bytes).unwrap();
            assert_eq!(
                (back.header, back.data, back.trailer),
                (frag.header, frag.data, frag.trailer)
            );
            if auth.is_none_or(|(_, a)| a == MacAlignment::Eight) {
                // ntpd's own layout comes back octet for octet.
                assert_eq!(bytes, frames[0]);
                assert!(auth.is_none() || back.verify(&k));
            }
        }
    }

    #[test]
    fn encode_drops_junk_and_keeps_a_crypto_nak() {
        // Data, then a 4-octet key ID right after the data padded to 4 (a crypto-NAK).
        let mut bytes = response(b"abcd").to_fragments(None).unwrap().remove(0);
        bytes.extend(9_u32.to_be_bytes());
        let frag = ControlFragment::decode(&bytes).unwrap();
        let encoded = frag.encode();
        // 16 octets padded to 16, then the key ID.
        assert_eq!(encoded, [&bytes[..16], &9_u32.to_be_bytes()].concat());
        assert_eq!(
            ControlFragment::decode(&encoded).unwrap().trailer,
            frag.trailer
        );
        // Junk that is no trailer is not kept.
        let mut junk = response(b"abcd").to_fragments(None).unwrap().remove(0);
        junk.extend([1; 40]);
        assert_eq!(ControlFragment::decode(&junk).unwrap().encode(), junk[..16]);
    }

    #[test]
    fn truncated_data_is_an_error() {
        let mut bytes = response(b"abcdefgh").to_fragments(None).unwrap().remove(0);
        bytes.truncate(16);
        assert_eq!(
            ControlFragment::decode(&bytes),
            Err(DecodeError::Truncated { need: 8, have: 4 })
        );
    }

    #[test]
    fn splits_into_468_octet_fragments() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let frames = response(&data).to_fragments(None).unwrap();
        let headers: Vec<_> = frames
            .iter()
            .map(|f| ControlHeader::decode(f).unwrap())
            .map(|h| (h.offset, h.count, h.more, h.response))
            .collect();
        assert_eq!(
            headers,
            [
                (0, 468, true, true),
                (468, 468, true, true),
                (936, 64, false, true)
            ]
        );
        let empty = response(b"").to_fragments(None).unwrap();
        assert_eq!(empty.len(), 1);
        assert_eq!(ControlHeader::decode(&empty[0]).unwrap().count, 0);
    }

    #[test]
    fn typed_views() {
        let mut r = response(b"nonce=e4a1b2c380000000a1b2c3d4\r\n\0\0");
        assert_eq!(r.text(), "nonce=e4a1b2c380000000a1b2c3d4\r\n");
        assert_eq!(
            r.variables().unwrap().text("nonce"),
            Some("e4a1b2c380000000a1b2c3d4")
        );
        assert_eq!(
            r.system_status().to_string(),
            "leap_none, sync_ntp, 1 event, clock_sync"
        );
        r.status = 0x961a;
        assert_eq!(
            r.peer_status().to_string(),
            "conf, reach, sel_sys.peer, 1 event, sys_peer"
        );
        r.status = 0x0021;
        assert_eq!(r.clock_status().to_string(), "2 events, clk_no_reply");
        r.data = vec![0, 1, 0x96, 0x1a];
        assert_eq!(r.assoc_list().unwrap()[0].assoc, AssocId(1));
        r.data = vec![0; 4];
        assert_eq!(r.text(), "");
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::ControlFragment;
    use crate::auth::{Key, KeyId, KeyType};

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(frag) = ControlFragment::decode(&bytes) {
                prop_assert_eq!(frag.data.len(), usize::from(frag.header.count));
                let key = Key::new(KeyId(1), KeyType::Md5, b"password".to_vec());
                let _ = frag.verify(&key);
                let encoded = frag.encode();
                let back = ControlFragment::decode(&encoded).unwrap();
                prop_assert_eq!(
                    (back.header, back.data, back.trailer),
                    (frag.header, frag.data, frag.trailer)
                );
            }
        }
    }
}
