//! The sans-IO mode 6 request/response exchange, with ntpq's retry policy (protocol notes
//! §4.6, last rows).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::time::Duration;

use super::error::{ControlError, MacProblem};
use super::header::{CONTROL_HEADER_LEN, ControlHeader, ControlOpcode, Sequence};
use super::reassembly::{IgnoreReason, Push, Reassembler, ReassemblyLimits};
use super::request::{ControlRequest, MacAlignment};
use super::response::{ControlFragment, ControlResponse};
use crate::auth::Key;
use crate::exchange::{Exchange, Progress};

/// One mode 6 request and the collection of its response.
///
/// Datagrams are matched on opcode and sequence ([`Exchange::key`]); within a match the
/// [`Reassembler`] applies ntpq's acceptance rules. On a timeout the request is sent again
/// once (ntpq's `doqueryex`): with the same sequence if nothing had arrived, with the next
/// sequence (so the key changes) if part of a response was held. After the retry budget the
/// exchange fails with [`ControlError::Timeout`] or [`ControlError::Incomplete`].
#[derive(Debug)]
pub struct ControlExchange {
    request: ControlRequest,
    auth: Option<(Key, MacAlignment)>,
    sequence: Sequence,
    limits: ReassemblyLimits,
    reassembler: Reassembler,
    datagram: Vec<u8>,
    retries_left: u32,
    attempts: u32,
    authentic: bool,
    last_ignored: Option<IgnoreReason>,
    strays: u32,
    last_stray: Option<IgnoreReason>,
    patience: Option<Patience>,
    keep_prefix: bool,
}

/// How long an exchange waits: for the first datagram of an answer, and between datagrams once
/// part of it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Patience {
    first: Duration,
    between: Duration,
}

impl ControlExchange {
    /// Resends ntpq allows after a timeout or an incomplete response.
    pub const CLASSIC_RETRIES: u32 = 1;

    /// Starts an exchange; returns it with the first datagram to send. With `auth` the
    /// request is signed (the key is cloned, to sign a resend) and response MACs are checked
    /// for [`ControlResponse::authenticated`].
    ///
    /// # Errors
    /// The request cannot be encoded (see [`ControlRequest::encode`]).
    pub fn new(
        request: ControlRequest,
        sequence: Sequence,
        auth: Option<(&Key, MacAlignment)>,
        limits: ReassemblyLimits,
    ) -> Result<(Self, Vec<u8>), ControlError> {
        let datagram = request.encode(sequence, auth)?;
        let exchange = Self {
            reassembler: Reassembler::new(request.opcode, sequence, limits),
            request,
            auth: auth.map(|(key, alignment)| (key.clone(), alignment)),
            sequence,
            limits,
            datagram: datagram.clone(),
            retries_left: Self::CLASSIC_RETRIES,
            attempts: 1,
            authentic: auth.is_some(),
            last_ignored: None,
            strays: 0,
            last_stray: None,
            patience: None,
            keep_prefix: false,
        };
        Ok((exchange, datagram))
    }

    /// The same exchange waiting `first` for the first datagram of an answer and `between`
    /// once part of it arrived, instead of the transport's timeout: an answer of many
    /// fragments arrives as one burst, so a short wait after it tells a lost fragment early.
    #[must_use]
    pub fn with_patience(mut self, first: Duration, between: Duration) -> Self {
        self.patience = Some(Patience { first, between });
        self
    }

    /// The same exchange giving up at the first deadline that finds part of an answer held,
    /// with [`ControlError::Incomplete`] carrying the data received contiguously from offset
    /// 0, instead of asking again for all of it (the MRU list keeps that prefix's rows and
    /// asks for the rest). A deadline with nothing held still resends.
    #[must_use]
    pub fn keeping_prefix(mut self) -> Self {
        self.keep_prefix = true;
        self
    }

    /// The same exchange with another retry budget (0 = never resend).
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries_left = retries;
        self
    }

    /// The key [`Exchange::key`] uses for an opcode and a sequence number.
    #[must_use]
    pub fn key_for(opcode: ControlOpcode, sequence: Sequence) -> u64 {
        (u64::from(u8::from(opcode) & 0x1f) << 16) | u64::from(sequence.0)
    }

    /// The sequence number in use (it changes when a partial response forces a resend).
    #[must_use]
    pub fn sequence(&self) -> Sequence {
        self.sequence
    }

    /// Datagrams sent so far, the first included.
    #[must_use]
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The request being answered.
    #[must_use]
    pub fn request(&self) -> &ControlRequest {
        &self.request
    }

    fn auth(&self) -> Option<(&Key, MacAlignment)> {
        self.auth.as_ref().map(|(key, alignment)| (key, *alignment))
    }

    /// What is wrong with the MAC of a datagram answering our signed request: ntpd signs
    /// every fragment of such an answer with the request's key, so a fragment of ours (our
    /// sequence and opcode, a response) without a valid MAC is forged or corrupted, and the
    /// answer must not be taken. Error responses are exempt: ntpd sends them unsigned when
    /// it did not accept the request's MAC. `None` for datagrams of others and for
    /// unsigned requests.
    fn mac_problem(&self, datagram: &[u8]) -> Option<MacProblem> {
        let (key, _) = self.auth.as_ref()?;
        let header = ControlHeader::decode(datagram).ok()?;
        let ours = header.response
            && !header.error
            && header.sequence == self.sequence
            && header.opcode == self.request.opcode;
        if !ours {
            return None;
        }
        // Too short for its count: the reassembler reports that.
        let fragment = ControlFragment::decode(datagram).ok()?;
        if ControlFragment::verify_datagram(datagram, key) {
            return None;
        }
        Some(match fragment.trailer {
            None => MacProblem::Missing,
            Some(t) if t.key_id != key.id() => MacProblem::WrongKey {
                got: t.key_id.0,
                want: key.id().0,
            },
            Some(_) => MacProblem::WrongDigest,
        })
    }

    /// Notes whether an accepted fragment carries a valid MAC made with our key.
    fn check_mac(&mut self, datagram: &[u8]) {
        if let Some((key, _)) = &self.auth {
            let valid = ControlFragment::verify_datagram(datagram, key);
            self.authentic &= valid;
        }
    }
}

impl Exchange for ControlExchange {
    type Output = ControlResponse;
    type Error = ControlError;

    fn key(&self) -> u64 {
        Self::key_for(self.request.opcode, self.sequence)
    }

    fn key_of(datagram: &[u8]) -> Option<u64> {
        if datagram.len() < CONTROL_HEADER_LEN {
            return None;
        }
        let header = ControlHeader::decode(datagram).ok()?;
        header
            .response
            .then(|| Self::key_for(header.opcode, header.sequence))
    }

    fn on_datagram(&mut self, datagram: &[u8]) -> Result<Progress<ControlResponse>, ControlError> {
        self.last_ignored = None;
        if let Some(problem) = self.mac_problem(datagram) {
            return Err(ControlError::BadMac { problem });
        }
        match self.reassembler.push(datagram)? {
            Push::Ignored(reason) => {
                self.last_ignored = Some(reason);
                self.strays = self.strays.saturating_add(1);
                self.last_stray = Some(reason);
                Ok(Progress::Pending)
            }
            Push::Accepted => {
                self.check_mac(datagram);
                Ok(Progress::Pending)
            }
            Push::Complete(mut response) => {
                self.check_mac(datagram);
                response.authenticated = self.authentic;
                Ok(Progress::Done(response))
            }
        }
    }

    fn on_timeout(&mut self) -> Result<Vec<u8>, ControlError> {
        let partial = !self.reassembler.is_empty();
        if self.retries_left == 0 || (partial && self.keep_prefix) {
            return Err(if partial {
                ControlError::Incomplete {
                    fragments: self.reassembler.fragments(),
                    octets: self.reassembler.octets(),
                    prefix: if self.keep_prefix {
                        self.reassembler.prefix().0
                    } else {
                        Vec::new()
                    },
                }
            } else {
                ControlError::Timeout {
                    attempts: self.attempts,
                    strays: self.strays,
                    last_stray: self.last_stray,
                }
            });
        }
        self.retries_left -= 1;
        if partial {
            // ntpq bumps the sequence so stale fragments cannot mix with the new answer.
            self.sequence = self.sequence.next();
            self.datagram = self.request.encode(self.sequence, self.auth())?;
        }
        self.reassembler = Reassembler::new(self.request.opcode, self.sequence, self.limits);
        self.authentic = self.auth.is_some();
        self.attempts += 1;
        Ok(self.datagram.clone())
    }

    fn on_stray(&mut self, datagram: &[u8]) {
        // The checks of a reassembler for our sequence say what is wrong with it (a copy: a
        // stray never changes what is held).
        if let Ok(Push::Ignored(reason)) = self.reassembler.clone().push(datagram) {
            self.strays = self.strays.saturating_add(1);
            self.last_stray = Some(reason);
        }
    }

    fn last_ignored(&self) -> Option<String> {
        self.last_ignored.map(|reason| reason.to_string())
    }

    fn patience(&self) -> Option<Duration> {
        self.patience.map(|p| {
            if self.reassembler.is_empty() {
                p.first
            } else {
                p.between
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{KeyId, KeyType};
    use crate::control::{AssocId, ErrorCode, LeapIndicator};

    fn readvar() -> ControlRequest {
        ControlRequest::new(ControlOpcode::ReadVariables, AssocId::SYSTEM, "stratum")
    }

    fn answer(sequence: Sequence, data: &[u8]) -> ControlResponse {
        ControlResponse {
            opcode: ControlOpcode::ReadVariables,
            sequence,
            assoc: AssocId::SYSTEM,
            status: 0x0615,
            leap: LeapIndicator::NoWarning,
            version: 2,
            data: data.to_vec(),
            fragments: 1,
            authenticated: false,
        }
    }

    fn start() -> (ControlExchange, Vec<u8>) {
        ControlExchange::new(readvar(), Sequence(41), None, ReassemblyLimits::NTPQ).unwrap()
    }

    #[test]
    fn single_fragment_answer() {
        let (mut ex, sent) = start();
        assert_eq!(sent, readvar().encode(Sequence(41), None).unwrap());
        let reply = answer(Sequence(41), b"stratum=2\r\n")
            .to_fragments(None)
            .unwrap();
        assert_eq!(ControlExchange::key_of(&reply[0]), Some(ex.key()));
        match ex.on_datagram(&reply[0]) {
            Ok(Progress::Done(r)) => {
                assert_eq!(r.variables().unwrap().get_u64("stratum"), Ok(2));
                assert!(!r.authenticated);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keys() {
        let (ex, sent) = start();
        assert_eq!(ex.key(), (2 << 16) | 41);
        // A request is not a response.
        assert_eq!(ControlExchange::key_of(&sent), None);
        assert_eq!(ControlExchange::key_of(&[0x16, 0x82]), None);
        let mut mode4 = answer(Sequence(41), b"")
            .to_fragments(None)
            .unwrap()
            .remove(0);
        assert!(ControlExchange::key_of(&mode4).is_some());
        mode4[0] = 0x24;
        assert_eq!(ControlExchange::key_of(&mode4), None);
    }

    #[test]
    fn a_timeout_says_what_the_server_sent_instead() {
        let (mut ex, _) = start();
        let spoofed = answer(Sequence(42), b"stratum=1\r\n")
            .to_fragments(None)
            .unwrap();
        ex.on_stray(&spoofed[0]);
        ex.on_stray(&[0x16; 8]);
        ex.on_timeout().unwrap();
        let err = ex.on_timeout().unwrap_err();
        assert_eq!(
            err,
            ControlError::Timeout {
                attempts: 2,
                strays: 2,
                last_stray: Some(IgnoreReason::Short(8)),
            }
        );
        assert_eq!(
            err.to_string(),
            "no response after 2 attempts (2 datagrams from the server ignored, the last: \
             8 octets is shorter than a mode 6 header)"
        );
        let (mut ex, _) = start();
        ex.on_stray(&spoofed[0]);
        let err = ex.with_retries(0).on_timeout().unwrap_err();
        assert_eq!(
            err.to_string(),
            "no response after 1 attempt (1 datagram from the server ignored, the last: wrong \
             sequence 42)"
        );
    }

    #[test]
    fn server_error() {
        let (mut ex, _) = start();
        let mut header =
            ControlHeader::decode(&answer(Sequence(41), b"").to_fragments(None).unwrap()[0])
                .unwrap();
        header.error = true;
        header.status = ErrorCode::UnknownVariable.to_status();
        assert_eq!(
            ex.on_datagram(&header.encode()),
            Err(ControlError::Server(ErrorCode::UnknownVariable))
        );
    }

    #[test]
    fn timeout_with_nothing_resends_same_sequence_then_fails() {
        let (mut ex, first) = start();
        let key = ex.key();
        assert_eq!(ex.on_timeout(), Ok(first));
        assert_eq!(ex.key(), key);
        assert_eq!(ex.attempts(), 2);
        assert_eq!(
            ex.on_timeout(),
            Err(ControlError::Timeout {
                attempts: 2,
                strays: 0,
                last_stray: None
            })
        );
    }

    #[test]
    fn timeout_with_partial_data_bumps_sequence() {
        let (mut ex, _) = start();
        let data = vec![b'a'; 1000];
        let old = answer(Sequence(41), &data).to_fragments(None).unwrap();
        assert_eq!(ex.on_datagram(&old[0]), Ok(Progress::Pending));
        let resent = ex.on_timeout().unwrap();
        assert_eq!(ex.sequence(), Sequence(42));
        assert_eq!(
            ex.key(),
            ControlExchange::key_for(ControlOpcode::ReadVariables, Sequence(42))
        );
        assert_eq!(resent, readvar().encode(Sequence(42), None).unwrap());
        // Late fragments of the first answer no longer match.
        assert_eq!(ex.on_datagram(&old[1]), Ok(Progress::Pending));
        let new = answer(Sequence(42), &data).to_fragments(None).unwrap();
        assert_eq!(ex.on_datagram(&new[2]), Ok(Progress::Pending));
        assert_eq!(
            ex.on_timeout(),
            Err(ControlError::Incomplete {
                fragments: 1,
                octets: 64,
                prefix: Vec::new(),
            })
        );
    }

    #[test]
    fn ignored_datagrams_say_why() {
        let (mut ex, _) = start();
        let data = vec![b'a'; 1000];
        let frames = answer(Sequence(41), &data).to_fragments(None).unwrap();
        assert_eq!(ex.on_datagram(&frames[0]), Ok(Progress::Pending));
        assert_eq!(ex.last_ignored(), None);
        assert_eq!(ex.on_datagram(&frames[0]), Ok(Progress::Pending));
        assert_eq!(
            ex.last_ignored().as_deref(),
            Some("duplicate fragment at offset 0")
        );
        assert_eq!(ex.on_datagram(&frames[1]), Ok(Progress::Pending));
        assert_eq!(ex.last_ignored(), None);
    }

    #[test]
    fn patience_and_kept_prefix() {
        let (ex, _) = start();
        assert_eq!(ex.patience(), None);
        let (first, between) = (Duration::from_millis(300), Duration::from_millis(20));
        let mut ex = ex.with_patience(first, between).keeping_prefix();
        assert_eq!(ex.patience(), Some(first));
        let data: Vec<u8> = (0..1200).map(|i| b'a' + (i % 26) as u8).collect();
        let frames = answer(Sequence(41), &data).to_fragments(None).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(ex.on_datagram(&frames[0]), Ok(Progress::Pending));
        assert_eq!(ex.on_datagram(&frames[2]), Ok(Progress::Pending));
        assert_eq!(ex.patience(), Some(between));
        // The held prefix comes back at once instead of a resend for everything.
        assert_eq!(
            ex.on_timeout(),
            Err(ControlError::Incomplete {
                fragments: 2,
                octets: 468 + 264,
                prefix: data[..468].to_vec(),
            })
        );
        // With nothing held, a deadline still resends.
        let (ex, first_datagram) = start();
        let mut ex = ex.keeping_prefix();
        assert_eq!(ex.on_timeout(), Ok(first_datagram));
    }

    #[test]
    fn zero_retries() {
        let (ex, _) = start();
        let mut ex = ex.with_retries(0);
        assert_eq!(
            ex.on_timeout(),
            Err(ControlError::Timeout {
                attempts: 1,
                strays: 0,
                last_stray: None
            })
        );
    }

    #[test]
    fn authenticated_exchange_checks_response_macs() {
        let key = Key::new(KeyId(1), KeyType::Md5, b"password".to_vec());
        let other = Key::new(KeyId(1), KeyType::Md5, b"secret".to_vec());
        let request =
            ControlRequest::new(ControlOpcode::Configure, AssocId::SYSTEM, "tinker panic 0");
        let start = || {
            ControlExchange::new(
                request.clone(),
                Sequence(3),
                Some((&key, MacAlignment::Eight)),
                ReassemblyLimits::NTPQ,
            )
            .unwrap()
        };
        let (_, sent) = start();
        assert_eq!(sent.len(), 52);
        let mut reply = answer(Sequence(3), b"Config Succeeded\r\n");
        reply.opcode = ControlOpcode::Configure;
        let wrong_id = Key::new(KeyId(99), KeyType::Md5, b"password".to_vec());
        let cases = [
            (Some(&key), None),
            (Some(&other), Some(MacProblem::WrongDigest)),
            (
                Some(&wrong_id),
                Some(MacProblem::WrongKey { got: 99, want: 1 }),
            ),
            (None, Some(MacProblem::Missing)),
        ];
        for (signer, problem) in cases {
            let (mut ex, _) = start();
            let frames = reply
                .to_fragments(signer.map(|k| (k, MacAlignment::Eight)))
                .unwrap();
            match (ex.on_datagram(&frames[0]), problem) {
                (Ok(Progress::Done(r)), None) => assert!(r.authenticated),
                (Err(ControlError::BadMac { problem: got }), Some(want)) => assert_eq!(got, want),
                other => panic!("{other:?}"),
            }
        }
        // A digest cut short (10 octets): no trailer is recognised.
        let (mut ex, _) = start();
        let mut short = reply
            .to_fragments(Some((&key, MacAlignment::Eight)))
            .unwrap()[0]
            .clone();
        short.truncate(short.len() - 6);
        assert_eq!(
            ex.on_datagram(&short),
            Err(ControlError::BadMac {
                problem: MacProblem::Missing
            })
        );
        // NTPsec 1.2.2: the key ID after padding to 8, the last 4 padding octets not zero
        // (then the datagram also reads as a SHA1-length trailer after padding to 4).
        let (mut ex, _) = start();
        let mut odd = reply.clone();
        odd.data = b"Config Succeeded!!!\r\n".to_vec(); // 12 + 21: padded to 36, then 40
        let mut garbage = odd.to_fragments(None).unwrap().remove(0);
        assert_eq!(garbage.len(), 36);
        garbage.extend([0x01, 0x31, 0x32, 0x33]);
        let mac = key.mac(&garbage);
        garbage.extend(1_u32.to_be_bytes());
        garbage.extend(mac);
        assert!(matches!(ex.on_datagram(&garbage), Ok(Progress::Done(r)) if r.authenticated));
        // NTPsec's 4-octet alignment verifies too.
        let (mut ex, _) = start();
        let four = reply
            .to_fragments(Some((&key, MacAlignment::Four)))
            .unwrap();
        assert!(matches!(ex.on_datagram(&four[0]), Ok(Progress::Done(r)) if r.authenticated));
        // Unsigned error responses and other exchanges' datagrams are not judged.
        let (mut ex, _) = start();
        let mut foreign = reply.clone();
        foreign.sequence = Sequence(9);
        let frames = foreign.to_fragments(None).unwrap();
        assert_eq!(ex.on_datagram(&frames[0]), Ok(Progress::Pending));
        // A resend after partial data is signed again with the new sequence.
        let (mut ex, _) = start();
        let mut long = reply.clone();
        long.data = vec![b'x'; 600];
        let frames = long
            .to_fragments(Some((&key, MacAlignment::Eight)))
            .unwrap();
        assert_eq!(ex.on_datagram(&frames[0]), Ok(Progress::Pending));
        let resent = ex.on_timeout().unwrap();
        let frag = ControlFragment::decode(&resent).unwrap();
        assert_eq!(frag.header.sequence, Sequence(4));
        assert!(frag.verify(&key));
    }
}

#[cfg(test)]
mod props {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::ControlExchange;
    use crate::control::{AssocId, ControlOpcode, ControlRequest, ReassemblyLimits, Sequence};
    use crate::exchange::Exchange;

    proptest! {
        #[test]
        fn arbitrary_datagrams_never_panic(datagrams in vec(vec(any::<u8>(), 0..600), 0..20)) {
            let request = ControlRequest::new(ControlOpcode::ReadStatus, AssocId::SYSTEM, vec![]);
            let (mut ex, _) =
                ControlExchange::new(request, Sequence(1), None, ReassemblyLimits::NTPQ).unwrap();
            for d in &datagrams {
                let _ = ControlExchange::key_of(d);
                if ex.on_datagram(d).is_err() {
                    break;
                }
            }
            let _ = ex.on_timeout();
        }
    }
}
