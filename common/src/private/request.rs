//! Mode 7 requests: layout, request sizes and authentication (protocol notes §7.2).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::auth::Key;
use crate::time::NtpTimestamp;

use super::PrivateError;
use super::header::{Implementation, MAX_COUNT, PRIVATE_VERSION, PrivateHeader, RequestCode};
use super::items::PrivateItem;

/// The fixed request lengths ntpdc uses before any MAC (`req_pkt_size`, §7.2–7.3).
///
/// ntpdc starts at 192 octets and shrinks one step each time a server reports a format error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RequestSize {
    /// 192 octets (`REQ_LEN_NOMAC`, ntpd 4.2.8): room for one full-size `conf_peer`.
    #[default]
    Full,
    /// 160 octets: the first fallback.
    Medium,
    /// 48 octets: xntp3's request length, the last fallback.
    Legacy,
}

impl RequestSize {
    /// Octets in an unauthenticated request of this size; the key ID sits here when
    /// authenticated with a digest of 16 octets or fewer.
    #[must_use]
    pub const fn octets(self) -> usize {
        match self {
            Self::Full => 192,
            Self::Medium => 160,
            Self::Legacy => 48,
        }
    }

    /// The next smaller size ntpdc tries after a format error, if any.
    #[must_use]
    pub const fn smaller(self) -> Option<Self> {
        match self {
            Self::Full => Some(Self::Medium),
            Self::Medium => Some(Self::Legacy),
            Self::Legacy => None,
        }
    }
}

/// A mode 7 request: header fields and raw item data.
///
/// `items` normally holds `nitems · itemsize` octets; it may be shorter where a server reads a
/// different stride than the declared size (see [`super::TrustKeyList`]). Request sizes,
/// padding and the MAC trailer are added by [`PrivateRequest::encode`] and
/// [`PrivateRequest::encode_authenticated`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateRequest {
    /// Implementation number; ntpdc starts with [`Implementation::Xntpd`].
    pub implementation: Implementation,
    /// Request code.
    pub code: RequestCode,
    /// Declared size of each item (12 bits).
    pub itemsize: u16,
    /// Declared number of items (12 bits).
    pub nitems: u16,
    /// Item data, concatenated.
    pub items: Vec<u8>,
    /// Request length before any MAC.
    pub size: RequestSize,
    /// Version number in the header; ntpdc sends 2.
    pub version: u8,
}

impl PrivateRequest {
    /// A request without items, 192 octets, VN 2.
    #[must_use]
    pub fn new(implementation: Implementation, code: RequestCode) -> Self {
        Self {
            implementation,
            code,
            itemsize: 0,
            nitems: 0,
            items: Vec::new(),
            size: RequestSize::Full,
            version: PRIVATE_VERSION,
        }
    }

    /// A request carrying `items`, each encoded in `itemsize` octets.
    ///
    /// # Errors
    /// `itemsize` is not a layout of `T`, an item cannot be encoded at that size, or the
    /// counts exceed 12 bits.
    pub fn with_items<T: PrivateItem>(
        implementation: Implementation,
        code: RequestCode,
        items: &[T],
        itemsize: usize,
    ) -> Result<Self, PrivateError> {
        let mut data = Vec::with_capacity(items.len().saturating_mul(itemsize));
        for item in items {
            data.extend(item.encode(itemsize)?);
        }
        Self::with_raw_items(implementation, code, itemsize, items.len(), data)
    }

    /// A request with pre-encoded item data and explicit counts.
    ///
    /// # Errors
    /// `itemsize` or `nitems` exceeds 12 bits.
    pub fn with_raw_items(
        implementation: Implementation,
        code: RequestCode,
        itemsize: usize,
        nitems: usize,
        items: Vec<u8>,
    ) -> Result<Self, PrivateError> {
        Ok(Self {
            itemsize: count("itemsize", itemsize)?,
            nitems: count("nitems", nitems)?,
            items,
            ..Self::new(implementation, code)
        })
    }

    /// The header this request is sent with (A bit clear).
    #[must_use]
    pub fn header(&self) -> PrivateHeader {
        PrivateHeader {
            version: self.version,
            nitems: self.nitems,
            itemsize: self.itemsize,
            ..PrivateHeader::request(self.implementation, self.code)
        }
    }

    /// Octets the server will treat as item data: the declared `nitems · itemsize`, or the
    /// raw data when that is longer.
    fn data_len(&self) -> usize {
        (usize::from(self.nitems) * usize::from(self.itemsize)).max(self.items.len())
    }

    /// The unauthenticated datagram: header, items and zero fill to [`Self::size`] octets.
    ///
    /// # Errors
    /// The items do not fit, or a count exceeds 12 bits.
    pub fn encode(&self) -> Result<Vec<u8>, PrivateError> {
        self.body(self.size.octets(), self.size.octets(), false)
    }

    /// The authenticated datagram (A bit set), with `timestamp` (normally the client's clock
    /// plus ntpdc's `delay`, default 20 ms) in the slot before the key ID. The server rejects
    /// requests whose timestamp is more than 10 s from its clock.
    ///
    /// - digests of 16 octets or fewer (MD5, AES-CMAC, DES): timestamp at `size − 8`, key ID at
    ///   `size`, MAC over octets `0..size` (212 octets in all for MD5 at 192);
    /// - 20-octet digests (SHA1, SHA256): only at [`RequestSize::Full`]; with
    ///   `r = roundup4(8 + data + 8)` the timestamp sits at `r − 8`, the key ID at `r` and the
    ///   MAC over `0..r` follows, `r + 24` octets in all.
    ///
    /// # Errors
    /// The items do not fit, a count exceeds 12 bits, or a long digest is used with a reduced
    /// request size.
    pub fn encode_authenticated(
        &self,
        key: &Key,
        timestamp: NtpTimestamp,
    ) -> Result<Vec<u8>, PrivateError> {
        let mac_len = key.kind().mac_len();
        let mac_at = if mac_len > 16 {
            if self.size != RequestSize::Full {
                return Err(PrivateError::DigestNeedsFullSize { mac_len });
            }
            (PrivateHeader::LEN + self.data_len() + 8).next_multiple_of(4)
        } else {
            self.size.octets()
        };
        // The timestamp takes the last 8 octets before the key ID.
        let room = self.size.octets().saturating_sub(8);
        let mut out = self.body(mac_at, room, true)?;
        let ts_at = mac_at - 8;
        if let Some(slot) = out.get_mut(ts_at..mac_at) {
            slot.copy_from_slice(&timestamp.to_be_bytes());
        }
        out.extend(key.trailer(&out));
        Ok(out)
    }

    /// Header and items, zero-filled to `len`; items may use octets up to `room`.
    fn body(&self, len: usize, room: usize, authenticated: bool) -> Result<Vec<u8>, PrivateError> {
        count("itemsize", usize::from(self.itemsize))?;
        count("nitems", usize::from(self.nitems))?;
        let data = self.data_len();
        let room_for_items = room.saturating_sub(PrivateHeader::LEN);
        if data > room_for_items {
            return Err(PrivateError::RequestTooLarge {
                len: data,
                room: room_for_items,
            });
        }
        let header = PrivateHeader {
            authenticated,
            ..self.header()
        };
        let mut out = Vec::with_capacity(len + 24);
        out.extend(header.encode());
        out.extend(&self.items);
        out.resize(len, 0);
        Ok(out)
    }
}

fn count(field: &'static str, value: usize) -> Result<u16, PrivateError> {
    u16::try_from(value)
        .ok()
        .filter(|v| *v <= MAX_COUNT)
        .ok_or(PrivateError::OutOfRange { field, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{KeyId, KeyType};
    use crate::private::header::{InfoCode, MODE_PRIVATE};

    fn md5_key() -> Key {
        Key::new(KeyId(1), KeyType::Md5, b"password".to_vec())
    }

    fn unhex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    #[test]
    fn e4_peer_list_sum_unauthenticated() {
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::PeerListSum);
        let wire = req.encode().unwrap();
        let mut want = vec![0x17, 0x00, 0x03, 0x01, 0, 0, 0, 0];
        want.resize(192, 0);
        assert_eq!(wire, want);
    }

    #[test]
    fn e5_reset_sys_authenticated_md5() {
        let req = PrivateRequest::with_raw_items(
            Implementation::Xntpd,
            RequestCode::ResetStats,
            4,
            1,
            vec![0, 0, 0, 4],
        )
        .unwrap();
        let wire = req
            .encode_authenticated(&md5_key(), NtpTimestamp::new(0xe4a1_b2c3, 0x8000_0000))
            .unwrap();
        let mut want = unhex("17 80 03 15 00 01 00 04 00 00 00 04");
        want.resize(184, 0);
        want.extend(unhex(
            "e4 a1 b2 c3 80 00 00 00
             00 00 00 01 7d 6d ab fa 7b 47 7e b5 12 f9 29 ac 29 12 f9 3a",
        ));
        assert_eq!(wire.len(), 212);
        assert_eq!(wire, want);
        assert!(md5_key().verify(&wire[..192], &wire[196..]));
    }

    #[test]
    fn unauthenticated_fallback_sizes() {
        for (size, len) in [
            (RequestSize::Full, 192),
            (RequestSize::Medium, 160),
            (RequestSize::Legacy, 48),
        ] {
            let req = PrivateRequest {
                size,
                ..PrivateRequest::new(Implementation::XntpdOld, RequestCode::SysInfo)
            };
            let wire = req.encode().unwrap();
            assert_eq!(wire.len(), len);
            assert_eq!(&wire[..4], &[0x17, 0x00, 0x02, 0x04]);
            assert!(wire[4..].iter().all(|b| *b == 0));
        }
        assert_eq!(RequestSize::Full.smaller(), Some(RequestSize::Medium));
        assert_eq!(RequestSize::Medium.smaller(), Some(RequestSize::Legacy));
        assert_eq!(RequestSize::Legacy.smaller(), None);
    }

    #[test]
    fn short_digest_layout_follows_request_size() {
        let ts = NtpTimestamp::new(1, 2);
        for (size, key_at) in [(RequestSize::Medium, 160), (RequestSize::Legacy, 48)] {
            let req = PrivateRequest {
                size,
                ..PrivateRequest::new(Implementation::XntpdOld, RequestCode::RereadKeys)
            };
            let wire = req.encode_authenticated(&md5_key(), ts).unwrap();
            assert_eq!(wire.len(), key_at + 20);
            assert_eq!(wire[1], 0x80);
            assert_eq!(&wire[key_at - 8..key_at], &ts.to_be_bytes());
            assert_eq!(&wire[key_at..key_at + 4], &[0, 0, 0, 1]);
            assert!(md5_key().verify(&wire[..key_at], &wire[key_at + 4..]));
        }
        // AES-CMAC has a 16-octet digest: the same fixed layout as MD5.
        let cmac = Key::new(KeyId(2), KeyType::Aes128Cmac, b"0123456789abcdef".to_vec());
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::RereadKeys);
        let wire = req.encode_authenticated(&cmac, ts).unwrap();
        assert_eq!(wire.len(), 212);
        assert!(cmac.verify(&wire[..192], &wire[196..]));
        // xntp3 DES: 48 + 4 + 8 = 60 octets.
        let des = Key::new(KeyId(3), KeyType::DesStandard, vec![1; 8]);
        let req = PrivateRequest {
            size: RequestSize::Legacy,
            ..PrivateRequest::new(Implementation::XntpdOld, RequestCode::RereadKeys)
        };
        assert_eq!(req.encode_authenticated(&des, ts).unwrap().len(), 60);
    }

    #[test]
    fn long_digest_layout_follows_items() {
        let sha1 = Key::new(KeyId(9), KeyType::Sha1, b"password".to_vec());
        let ts = NtpTimestamp::new(0xe4a1_b2c3, 0x8000_0000);
        for (nitems, itemsize, r) in [(0, 0, 16), (1, 4, 20), (1, 5, 24), (1, 168, 184)] {
            let req = PrivateRequest::with_raw_items(
                Implementation::Xntpd,
                RequestCode::Config,
                itemsize,
                nitems,
                vec![0xab; nitems * itemsize],
            )
            .unwrap();
            let wire = req.encode_authenticated(&sha1, ts).unwrap();
            assert_eq!(wire.len(), r + 24, "r = {r}");
            assert_eq!(&wire[r - 8..r], &ts.to_be_bytes());
            assert_eq!(&wire[r..r + 4], &[0, 0, 0, 9]);
            assert!(sha1.verify(&wire[..r], &wire[r + 4..]));
            assert!(wire[8 + nitems * itemsize..r - 8].iter().all(|b| *b == 0));
        }
        let req = PrivateRequest {
            size: RequestSize::Medium,
            ..PrivateRequest::new(Implementation::Xntpd, RequestCode::RereadKeys)
        };
        assert_eq!(
            req.encode_authenticated(&sha1, ts),
            Err(PrivateError::DigestNeedsFullSize { mac_len: 20 })
        );
    }

    #[test]
    fn items_must_fit() {
        let big = |size, n| PrivateRequest {
            size,
            ..PrivateRequest::with_raw_items(
                Implementation::Xntpd,
                RequestCode::Config,
                n,
                1,
                vec![1; n],
            )
            .unwrap()
        };
        // 184 octets of data fit an unauthenticated 192 request, 176 an authenticated one.
        assert!(big(RequestSize::Full, 184).encode().is_ok());
        assert_eq!(
            big(RequestSize::Full, 185).encode(),
            Err(PrivateError::RequestTooLarge {
                len: 185,
                room: 184
            })
        );
        let ts = NtpTimestamp::ZERO;
        assert!(
            big(RequestSize::Full, 176)
                .encode_authenticated(&md5_key(), ts)
                .is_ok()
        );
        assert_eq!(
            big(RequestSize::Full, 177).encode_authenticated(&md5_key(), ts),
            Err(PrivateError::RequestTooLarge {
                len: 177,
                room: 176
            })
        );
        // A v4 conf_peer (144) just fits an authenticated 160 request; xntp3's 48 holds 32.
        assert!(
            big(RequestSize::Medium, 144)
                .encode_authenticated(&md5_key(), ts)
                .is_ok()
        );
        assert!(
            big(RequestSize::Legacy, 32)
                .encode_authenticated(&md5_key(), ts)
                .is_ok()
        );
        assert!(
            big(RequestSize::Legacy, 33)
                .encode_authenticated(&md5_key(), ts)
                .is_err()
        );
    }

    #[test]
    fn counts_are_twelve_bits() {
        let r = PrivateRequest::with_raw_items(
            Implementation::Xntpd,
            RequestCode::PeerInfo,
            4096,
            1,
            vec![],
        );
        assert_eq!(
            r,
            Err(PrivateError::OutOfRange {
                field: "itemsize",
                value: 4096
            })
        );
        let mut ok = PrivateRequest::new(Implementation::Xntpd, RequestCode::PeerInfo);
        ok.nitems = 0x1000;
        assert!(matches!(
            ok.encode(),
            Err(PrivateError::OutOfRange {
                field: "nitems",
                ..
            })
        ));
    }

    #[test]
    fn header_of_request() {
        let req = PrivateRequest::with_raw_items(
            Implementation::Xntpd,
            RequestCode::PeerInfo,
            32,
            2,
            vec![0; 64],
        )
        .unwrap();
        let h = PrivateHeader::decode(&req.encode().unwrap()).unwrap();
        assert_eq!(
            h,
            PrivateHeader {
                response: false,
                more: false,
                version: 2,
                mode: MODE_PRIVATE,
                authenticated: false,
                sequence: 0,
                implementation: Implementation::Xntpd,
                code: RequestCode::PeerInfo,
                err: InfoCode::Okay,
                nitems: 2,
                mbz: 0,
                itemsize: 32,
            }
        );
    }
}
