//! One mode 7 request/response as a sans-IO [`Exchange`], and ntpdc's compatibility
//! fallbacks as a planner (protocol notes §7.3).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::net::IpAddr;

use crate::auth::Key;
use crate::exchange::{Exchange, Progress};
use crate::time::NtpTimestamp;

use super::PrivateError;
use super::header::{Implementation, InfoCode, MODE_PRIVATE, PrivateHeader, RequestCode};
use super::items::{ConfPeerItem, PrivateItem};
use super::request::{PrivateRequest, RequestSize};
use super::response::{FragmentOutcome, IgnoreReason, PrivateReassembler, PrivateResponse};

/// A mode 7 request in flight: sends once, resends once on timeout, and completes when the
/// reassembled response is complete or the server reports an error.
///
/// Fragments received before a resend are kept: ntpd answers the same request with the same
/// fragment sequence, so the second answer fills the gaps of the first.
#[derive(Debug, Clone)]
pub struct PrivateExchange {
    code: RequestCode,
    datagram: Vec<u8>,
    reassembler: PrivateReassembler,
    resent: bool,
    strays: u32,
    last_stray: Option<IgnoreReason>,
}

impl PrivateExchange {
    /// Builds the exchange and the first datagram. With `auth`, the request is signed with the
    /// key and carries the timestamp (the caller's clock plus ntpdc's `delay`).
    ///
    /// # Errors
    /// The request cannot be encoded (see [`PrivateRequest::encode`] and
    /// [`PrivateRequest::encode_authenticated`]).
    pub fn new(
        request: &PrivateRequest,
        auth: Option<(&Key, NtpTimestamp)>,
    ) -> Result<(Self, Vec<u8>), PrivateError> {
        let datagram = match auth {
            Some((key, timestamp)) => request.encode_authenticated(key, timestamp)?,
            None => request.encode()?,
        };
        let exchange = Self {
            code: request.code,
            datagram: datagram.clone(),
            reassembler: PrivateReassembler::new(request.implementation, request.code),
            resent: false,
            strays: 0,
            last_stray: None,
        };
        Ok((exchange, datagram))
    }
}

impl Exchange for PrivateExchange {
    type Output = PrivateResponse;
    type Error = PrivateError;

    /// The request code: mode 7 responses carry nothing more specific.
    fn key(&self) -> u64 {
        u8::from(self.code).into()
    }

    /// The request code of a mode 7 response; `None` for anything else.
    fn key_of(datagram: &[u8]) -> Option<u64> {
        let header = PrivateHeader::decode(datagram).ok()?;
        (header.response && header.mode == MODE_PRIVATE).then(|| u8::from(header.code).into())
    }

    fn on_datagram(&mut self, datagram: &[u8]) -> Result<Progress<PrivateResponse>, PrivateError> {
        Ok(match self.reassembler.push(datagram)? {
            FragmentOutcome::Complete(response) => Progress::Done(response),
            FragmentOutcome::Ignored(reason) => {
                self.note_stray(reason);
                Progress::Pending
            }
            FragmentOutcome::Accepted => Progress::Pending,
        })
    }

    fn on_stray(&mut self, datagram: &[u8]) {
        // A copy of the reassembler says what is wrong with it; a stray changes nothing held.
        if let Ok(FragmentOutcome::Ignored(reason)) = self.reassembler.clone().push(datagram) {
            self.note_stray(reason);
        }
    }

    fn on_timeout(&mut self) -> Result<Vec<u8>, PrivateError> {
        if !self.resent {
            self.resent = true;
            Ok(self.datagram.clone())
        } else if self.reassembler.has_fragments() {
            Err(PrivateError::Incomplete)
        } else if let Some(last) = self.last_stray {
            Err(PrivateError::NoValidAnswer {
                strays: self.strays,
                last,
            })
        } else {
            Err(PrivateError::Timeout)
        }
    }
}

impl PrivateExchange {
    fn note_stray(&mut self, reason: IgnoreReason) {
        self.strays = self.strays.saturating_add(1);
        self.last_stray = Some(reason);
    }
}

/// What to do after a server error, per ntpdc's compatibility logic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackStep {
    /// Send the request again with the planner's new implementation and request size (items
    /// re-encoded at [`FallbackPlanner::item_size`]).
    Resend,
    /// `REQ_CONFIG` only: send it again with the 16-octet `old_conf_peer` item.
    OldConfPeer,
    /// Nothing left to try: report this error.
    GiveUp(InfoCode),
}

/// ntpdc's per-host compatibility state: implementation 3 and 192-octet requests at first,
/// stepping down on `INFO_ERR_IMPL` and `INFO_ERR_FMT` (§7.3 table).
///
/// The state persists across requests to the same host, as ntpdc's globals do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FallbackPlanner {
    implementation: Implementation,
    size: RequestSize,
}

impl Default for FallbackPlanner {
    fn default() -> Self {
        Self::new()
    }
}

impl FallbackPlanner {
    /// A new host: implementation 3 ([`Implementation::Xntpd`]), 192-octet requests.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            implementation: Implementation::Xntpd,
            size: RequestSize::Full,
        }
    }

    /// The implementation to address the next request to.
    #[must_use]
    pub const fn implementation(&self) -> Implementation {
        self.implementation
    }

    /// The request size to send the next request at.
    #[must_use]
    pub const fn request_size(&self) -> RequestSize {
        self.size
    }

    /// The item size for `T` with the current implementation.
    #[must_use]
    pub fn item_size<T: PrivateItem>(&self) -> usize {
        T::size_for(self.implementation)
    }

    /// Refuses IPv6 addresses locally once the server is known to be pre-IPv6, as ntpdc does.
    ///
    /// # Errors
    /// [`PrivateError::Ipv6Unsupported`] for an IPv6 address with implementation 2.
    pub fn check_address(&self, addr: IpAddr) -> Result<(), PrivateError> {
        if addr.is_ipv6() && !self.implementation.is_v6_capable() {
            Err(PrivateError::Ipv6Unsupported)
        } else {
            Ok(())
        }
    }

    /// Decides what follows `error` in answer to `request` (which was built from this
    /// planner's state), updating the state as ntpdc does:
    ///
    /// - `INFO_ERR_FMT` below the smallest size: shrink the request one step (192 → 160 →
    ///   48); with implementation 3 also drop to implementation 2 (ntpdc reports the first
    ///   FMT to the command as IMPL, which then downgrades);
    /// - `INFO_ERR_IMPL` with implementation 3: drop to implementation 2;
    /// - `INFO_ERR_FMT` at 48 octets for a `REQ_CONFIG` with a full `conf_peer`: retry with
    ///   `old_conf_peer`. Because a `conf_peer` cannot fit a 48-octet request at all, the
    ///   step 160 → 48 of a `REQ_CONFIG` goes straight to `old_conf_peer` instead of first
    ///   sending the truncated packet ntpdc sends;
    /// - anything else is reported.
    pub fn on_error(&mut self, request: &PrivateRequest, error: InfoCode) -> FallbackStep {
        let old_conf_peer = usize::from(request.itemsize) == ConfPeerItem::OLD_SIZE;
        let config = request.code == RequestCode::Config && !old_conf_peer;
        match error {
            InfoCode::Fmt => match self.size.smaller() {
                Some(smaller) => {
                    self.size = smaller;
                    self.implementation = Implementation::XntpdOld;
                    if config && smaller == RequestSize::Legacy {
                        FallbackStep::OldConfPeer
                    } else {
                        FallbackStep::Resend
                    }
                }
                None if config => FallbackStep::OldConfPeer,
                None => FallbackStep::GiveUp(error),
            },
            InfoCode::Impl if self.implementation == Implementation::Xntpd => {
                self.implementation = Implementation::XntpdOld;
                FallbackStep::Resend
            }
            other => FallbackStep::GiveUp(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{KeyId, KeyType};
    use crate::private::items::{PeerSummaryItem, SysStatsItem};

    fn reply(
        code: RequestCode,
        seq: u8,
        more: bool,
        err: InfoCode,
        items: &[u8],
        size: u16,
    ) -> Vec<u8> {
        let header = PrivateHeader {
            response: true,
            more,
            sequence: seq,
            err,
            nitems: u16::try_from(items.len())
                .unwrap()
                .checked_div(size)
                .unwrap_or(0),
            itemsize: size,
            ..PrivateHeader::request(Implementation::Xntpd, code)
        };
        [header.encode().as_slice(), items].concat()
    }

    #[test]
    fn a_timeout_says_what_the_server_sent_instead() {
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::SysStats);
        let (mut ex, _) = PrivateExchange::new(&req, None).unwrap();
        // Another request's answer, then the answer with the R bit clear.
        let other = reply(RequestCode::SysInfo, 0, false, InfoCode::Okay, &[], 0);
        ex.on_stray(&other);
        let mut request_bit = reply(RequestCode::SysStats, 0, false, InfoCode::Okay, &[], 0);
        request_bit[0] &= 0x7f;
        ex.on_stray(&request_bit);
        ex.on_timeout().unwrap();
        let err = ex.on_timeout().unwrap_err();
        assert!(matches!(
            err,
            PrivateError::NoValidAnswer {
                strays: 2,
                last: IgnoreReason::NotResponse
            }
        ));
        assert_eq!(
            err.to_string(),
            "timed out, nothing valid received (2 datagrams from the server ignored, the last: \
             request packet, wanted response)"
        );
        // Nothing at all: a plain timeout.
        let (mut ex, _) = PrivateExchange::new(&req, None).unwrap();
        ex.on_timeout().unwrap();
        assert_eq!(ex.on_timeout(), Err(PrivateError::Timeout));
    }

    #[test]
    fn exchange_sends_and_completes() {
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::SysStats);
        let (mut ex, datagram) = PrivateExchange::new(&req, None).unwrap();
        assert_eq!(datagram.len(), 192);
        assert_eq!(ex.key(), 5);
        let stats = SysStatsItem {
            timeup: 99,
            ..SysStatsItem::default()
        };
        let body = stats.encode(44).unwrap();
        let d = reply(RequestCode::SysStats, 0, false, InfoCode::Okay, &body, 44);
        assert_eq!(PrivateExchange::key_of(&d), Some(5));
        // The request itself (echoed back, say) is not a response.
        assert_eq!(PrivateExchange::key_of(&datagram), None);
        assert_eq!(PrivateExchange::key_of(&[0x97, 0, 3]), None);
        match ex.on_datagram(&d).unwrap() {
            Progress::Done(resp) => {
                assert_eq!(resp.decode_items::<SysStatsItem>().unwrap(), vec![stats]);
            }
            Progress::Pending => panic!("should be done"),
        }
    }

    #[test]
    fn exchange_authenticated_e5() {
        let key = Key::new(KeyId(1), KeyType::Md5, b"password".to_vec());
        let req = PrivateRequest::with_raw_items(
            Implementation::Xntpd,
            RequestCode::ResetStats,
            4,
            1,
            vec![0, 0, 0, 4],
        )
        .unwrap();
        let ts = NtpTimestamp::new(0xe4a1_b2c3, 0x8000_0000);
        let (mut ex, datagram) = PrivateExchange::new(&req, Some((&key, ts))).unwrap();
        assert_eq!(datagram.len(), 212);
        assert_eq!(&datagram[208..], &[0x29, 0x12, 0xf9, 0x3a]);
        let ack = reply(RequestCode::ResetStats, 0, false, InfoCode::Auth, &[], 0);
        assert_eq!(
            ex.on_datagram(&ack),
            Err(PrivateError::Info(InfoCode::Auth))
        );
    }

    #[test]
    fn timeout_resends_once() {
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::PeerListSum);
        let (mut ex, datagram) = PrivateExchange::new(&req, None).unwrap();
        assert_eq!(ex.on_timeout().unwrap(), datagram);
        assert_eq!(ex.on_timeout(), Err(PrivateError::Timeout));

        let (mut ex, _) = PrivateExchange::new(&req, None).unwrap();
        let item = PeerSummaryItem::decode(&[3; 72], 72)
            .unwrap()
            .encode(72)
            .unwrap();
        let first = reply(RequestCode::PeerListSum, 0, true, InfoCode::Okay, &item, 72);
        assert_eq!(ex.on_datagram(&first).unwrap(), Progress::Pending);
        assert!(ex.on_timeout().is_ok());
        // The resent request's answer fills the gap.
        assert_eq!(ex.on_datagram(&first).unwrap(), Progress::Pending);
        let (mut again, _) = PrivateExchange::new(&req, None).unwrap();
        again.on_datagram(&first).unwrap();
        again.on_timeout().unwrap();
        assert_eq!(again.on_timeout(), Err(PrivateError::Incomplete));
        let last = reply(
            RequestCode::PeerListSum,
            1,
            false,
            InfoCode::Okay,
            &item,
            72,
        );
        assert!(matches!(ex.on_datagram(&last).unwrap(), Progress::Done(r) if r.nitems == 2));
    }

    #[test]
    fn planner_impl_then_sizes() {
        let mut p = FallbackPlanner::new();
        let req = |p: &FallbackPlanner| PrivateRequest {
            size: p.request_size(),
            ..PrivateRequest::new(p.implementation(), RequestCode::PeerListSum)
        };
        assert_eq!(
            (p.implementation(), p.request_size()),
            (Implementation::Xntpd, RequestSize::Full)
        );
        assert_eq!(p.on_error(&req(&p), InfoCode::Impl), FallbackStep::Resend);
        assert_eq!(p.implementation(), Implementation::XntpdOld);
        assert_eq!(
            p.on_error(&req(&p), InfoCode::Impl),
            FallbackStep::GiveUp(InfoCode::Impl)
        );
        assert_eq!(p.on_error(&req(&p), InfoCode::Fmt), FallbackStep::Resend);
        assert_eq!(p.request_size(), RequestSize::Medium);
        assert_eq!(p.on_error(&req(&p), InfoCode::Fmt), FallbackStep::Resend);
        assert_eq!(p.request_size(), RequestSize::Legacy);
        assert_eq!(
            p.on_error(&req(&p), InfoCode::Fmt),
            FallbackStep::GiveUp(InfoCode::Fmt)
        );
        assert_eq!(
            p.on_error(&req(&p), InfoCode::Auth),
            FallbackStep::GiveUp(InfoCode::Auth)
        );
    }

    #[test]
    fn planner_first_fmt_also_drops_implementation() {
        let mut p = FallbackPlanner::new();
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::SysInfo);
        assert_eq!(p.on_error(&req, InfoCode::Fmt), FallbackStep::Resend);
        assert_eq!(
            (p.implementation(), p.request_size()),
            (Implementation::XntpdOld, RequestSize::Medium)
        );
        assert_eq!(p.item_size::<PeerSummaryItem>(), 32);
        assert!(p.check_address("2001:db8::1".parse().unwrap()).is_err());
        assert!(p.check_address("192.0.2.1".parse().unwrap()).is_ok());
        assert!(
            FallbackPlanner::new()
                .check_address("2001:db8::1".parse().unwrap())
                .is_ok()
        );
    }

    #[test]
    fn planner_config_falls_back_to_old_conf_peer() {
        let mut p = FallbackPlanner::new();
        let config = |p: &FallbackPlanner, itemsize: usize| PrivateRequest {
            size: p.request_size(),
            ..PrivateRequest::with_raw_items(
                p.implementation(),
                RequestCode::Config,
                itemsize,
                1,
                vec![0; itemsize],
            )
            .unwrap()
        };
        // 192/impl 3 → 160/impl 2 → old_conf_peer at 48.
        assert_eq!(
            p.on_error(&config(&p, 168), InfoCode::Fmt),
            FallbackStep::Resend
        );
        assert_eq!(p.item_size::<ConfPeerItem>(), 144);
        assert_eq!(
            p.on_error(&config(&p, 144), InfoCode::Fmt),
            FallbackStep::OldConfPeer
        );
        assert_eq!(p.request_size(), RequestSize::Legacy);
        assert_eq!(
            p.on_error(&config(&p, 16), InfoCode::Fmt),
            FallbackStep::GiveUp(InfoCode::Fmt)
        );
        // Already at 48 (learned from an earlier command): straight to old_conf_peer.
        assert_eq!(
            p.on_error(&config(&p, 144), InfoCode::Fmt),
            FallbackStep::OldConfPeer
        );
        assert_eq!(
            p.on_error(&config(&p, 144), InfoCode::NoData),
            FallbackStep::GiveUp(InfoCode::NoData)
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_datagrams_never_panic_the_exchange(
            datagrams in proptest::collection::vec(
                proptest::collection::vec(any::<u8>(), 0..300), 0..10),
        ) {
            let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::PeerList);
            let (mut ex, _) = PrivateExchange::new(&req, None).unwrap();
            for d in &datagrams {
                let _ = PrivateExchange::key_of(d);
                if ex.on_datagram(d).is_err() {
                    break;
                }
            }
        }

        #[test]
        fn requests_encode_or_refuse(
            code: u8,
            itemsize in 0_usize..5000,
            nitems in 0_usize..5000,
            items in proptest::collection::vec(any::<u8>(), 0..300),
            size in proptest::sample::select(&[RequestSize::Full, RequestSize::Medium, RequestSize::Legacy][..]),
        ) {
            if let Ok(req) = PrivateRequest::with_raw_items(
                Implementation::Xntpd, code.into(), itemsize, nitems, items)
            {
                let req = PrivateRequest { size, ..req };
                if let Ok(wire) = req.encode() {
                    prop_assert_eq!(wire.len(), size.octets());
                    let h = PrivateHeader::decode(&wire).unwrap();
                    prop_assert_eq!((h.nitems, h.itemsize), (req.nitems, req.itemsize));
                }
            }
        }
    }
}
