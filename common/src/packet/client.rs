//! The sans-IO mode 3 → mode 4 client exchange (protocol notes §2.6) and the RFC 5905
//! offset/delay arithmetic (§8).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use super::{LeapIndicator, NtpMode, NtpPacket, PacketError, ReferenceId, Stratum};
use crate::auth::{Key, KeyId};
use crate::exchange::{Exchange, Progress};
use crate::time::{NtpShort, NtpTimestamp};
use crate::wire::Reader;

/// Frequency tolerance ϕ of RFC 5905 (15 ppm), used for the dispersion estimate.
const PHI: f64 = 15e-6;

/// 2^32, the scale of the 32.32 timestamp format.
const FRACTION_SCALE: f64 = 4_294_967_296.0;

/// What a client request looks like; the defaults are ntpdate's (protocol notes §2.6).
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'k> {
    /// Version number to send, 1..=4 (ntpdate `-o`, default 4).
    pub version: u8,
    /// The caller's clock at sending time (T1). Replies must echo it as their origin.
    pub transmit: NtpTimestamp,
    /// Key to authenticate the request with (ntpdate `-a keyid -k file`); replies must then
    /// carry a valid MAC under the same key.
    pub key: Option<&'k Key>,
    /// Poll exponent to send (ntpdate: 3, `NTP_MINPOLL`).
    pub poll: i8,
    /// Precision exponent to send (ntpdate: −6).
    pub precision: i8,
}

impl Default for ClientRequest<'_> {
    fn default() -> Self {
        Self {
            version: 4,
            transmit: NtpTimestamp::ZERO,
            key: None,
            poll: 3,
            precision: -6,
        }
    }
}

impl ClientRequest<'_> {
    /// The request packet as ntpdate builds it: LI = 3, mode 3, stratum 0, root delay and
    /// root dispersion 1.0 s, refid and every timestamp but the transmit time zero.
    #[must_use]
    pub fn packet(&self) -> NtpPacket {
        NtpPacket {
            leap: LeapIndicator::Unsynchronized,
            version: self.version,
            mode: NtpMode::Client,
            stratum: Stratum::UNSPECIFIED,
            poll: self.poll,
            precision: self.precision,
            root_delay: NtpShort(0x0001_0000),
            root_dispersion: NtpShort(0x0001_0000),
            reference_id: ReferenceId::ZERO,
            transmit_timestamp: self.transmit,
            ..NtpPacket::default()
        }
    }

    /// The datagram to send: the packet, with key ID and MAC when a key is set.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let packet = self.packet();
        match self.key {
            Some(key) => packet.encode_with_key(key),
            None => packet.encode(),
        }
    }
}

/// A validated reply to a client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerReply {
    /// The decoded reply.
    pub packet: NtpPacket,
    /// The key whose MAC verified, when the request was authenticated.
    pub authenticated: Option<KeyId>,
}

impl ServerReply {
    /// Offset and delay of this reply given the caller's receive time `t4`: T1 is the
    /// origin the server echoed (our transmit time), T2 and T3 its receive and transmit times.
    #[must_use]
    pub fn sample(&self, t4: NtpTimestamp) -> Sample {
        sample(
            self.packet.origin_timestamp,
            self.packet.receive_timestamp,
            self.packet.transmit_timestamp,
            t4,
        )
    }
}

/// One clock sample from the four timestamps of a client/server round trip (RFC 5905 §8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// θ = ((T2 − T1) + (T3 − T4)) / 2, seconds; positive when the server is ahead.
    pub offset: f64,
    /// δ = (T4 − T1) − (T3 − T2), seconds. Not clamped: a negative value means the
    /// timestamps are inconsistent.
    pub delay: f64,
    /// ϕ · (T4 − T1), seconds: the dispersion the local clock's frequency tolerance adds over
    /// the round trip. RFC 5905's ε also adds both precisions (2^precision), which the caller
    /// knows and this function does not.
    pub dispersion_estimate: f64,
}

/// Computes offset, delay and dispersion from T1 (client transmit), T2 (server receive), T3
/// (server transmit) and T4 (client receive).
///
/// Every difference is taken on the 64-bit wire values modulo 2^64 and read as a signed
/// 32.32 number, so the result is right across an era boundary (e.g. T1 just before and T2
/// just after 2036-02-07) as long as each difference is under 68 years.
#[must_use]
pub fn sample(t1: NtpTimestamp, t2: NtpTimestamp, t3: NtpTimestamp, t4: NtpTimestamp) -> Sample {
    // Sums of two differences need 65 bits: use i128.
    let forward = i128::from(difference(t2, t1));
    let backward = i128::from(difference(t3, t4));
    let round_trip = i128::from(difference(t4, t1));
    let server_time = i128::from(difference(t3, t2));
    let seconds = |raw: i128| raw as f64 / FRACTION_SCALE;
    Sample {
        offset: seconds(forward + backward) / 2.0,
        delay: seconds(round_trip - server_time),
        dispersion_estimate: PHI * seconds(round_trip).abs(),
    }
}

/// `a − b` in units of 2^-32 s, modulo 2^64 and read as two's complement.
fn difference(a: NtpTimestamp, b: NtpTimestamp) -> i64 {
    i64::from_be_bytes(a.to_bits().wrapping_sub(b.to_bits()).to_be_bytes())
}

/// A mode 3 request awaiting its mode 4 (or mode 2) reply, as ntpdate performs it.
///
/// The transport demultiplexes replies by the origin timestamp: [`Exchange::key`] is the
/// transmit timestamp sent, [`Exchange::key_of`] a reply's origin timestamp. The receive time
/// T4 never reaches the exchange; pass it to [`ServerReply::sample`].
///
/// By default a reply from an unsynchronized server (a kiss-o'-death, or stratum 16 and
/// above) ends the exchange with an error, as a client that wants time needs.
/// [`ClientExchange::reporting_unsynchronized`] returns such replies instead, for callers that
/// only want to know the server's state (ntptrace reading a hop that refuses mode 6).
#[derive(Debug)]
pub struct ClientExchange {
    datagram: Vec<u8>,
    transmit: NtpTimestamp,
    key: Option<Key>,
    attempts: u32,
    done: bool,
    report_unsynchronized: bool,
}

impl ClientExchange {
    /// Datagrams sent before [`Exchange::on_timeout`] gives up: the request and one resend.
    pub const MAX_ATTEMPTS: u32 = 2;

    /// Starts an exchange; returns it with the datagram to send.
    #[must_use]
    pub fn new(request: ClientRequest<'_>) -> (Self, Vec<u8>) {
        let datagram = request.encode();
        let exchange = Self {
            datagram: datagram.clone(),
            transmit: request.transmit,
            key: request.key.cloned(),
            attempts: 1,
            done: false,
            report_unsynchronized: false,
        };
        (exchange, datagram)
    }

    /// The same exchange, returning replies from unsynchronized servers (kiss-o'-death codes
    /// such as `INIT` or `DENY`, stratum 16 and above) as [`ServerReply`]s instead of errors.
    /// The caller reads the state from [`ServerReply::packet`] (for example
    /// [`NtpPacket::kiss_code`]). Version, mode, MAC and zero-timestamp checks still apply.
    #[must_use]
    pub fn reporting_unsynchronized(mut self) -> Self {
        self.report_unsynchronized = true;
        self
    }

    /// The transmit timestamp (T1) sent, which a reply must echo as its origin.
    #[must_use]
    pub const fn transmit(&self) -> NtpTimestamp {
        self.transmit
    }

    /// The checks of protocol notes §2.6 on a decoded reply whose origin matched.
    fn accept(&self, packet: NtpPacket) -> Result<ServerReply, PacketError> {
        if !(1..=4).contains(&packet.version) {
            return Err(PacketError::BadVersion(packet.version));
        }
        if !matches!(packet.mode, NtpMode::Server | NtpMode::SymmetricPassive) {
            return Err(PacketError::BadMode(packet.mode));
        }
        // Authenticate first, so that a forged kiss-o'-death cannot end an authenticated
        // exchange with anything but an authentication error.
        let authenticated = match &self.key {
            Some(key) => Some(packet.verify(key)?),
            None => None,
        };
        if !self.report_unsynchronized {
            if let Some(code) = packet.kiss_code() {
                return Err(PacketError::Kiss {
                    code,
                    poll: packet.poll,
                });
            }
            if packet.stratum.0 >= Stratum::UNSYNCHRONIZED.0 {
                return Err(PacketError::BadStratum(packet.stratum));
            }
        }
        if packet.receive_timestamp.is_zero() {
            return Err(PacketError::ZeroTimestamp("receive"));
        }
        if packet.transmit_timestamp.is_zero() {
            return Err(PacketError::ZeroTimestamp("transmit"));
        }
        Ok(ServerReply {
            packet,
            authenticated,
        })
    }
}

impl Exchange for ClientExchange {
    type Output = ServerReply;
    type Error = PacketError;

    fn key(&self) -> u64 {
        self.transmit.to_bits()
    }

    /// The origin timestamp of a datagram of at least 48 octets in mode 4 or 2.
    fn key_of(datagram: &[u8]) -> Option<u64> {
        if datagram.len() < super::HEADER_LEN {
            return None;
        }
        let mut r = Reader::new(datagram);
        let mode = NtpMode::from_bits(r.u8().ok()?);
        if !matches!(mode, NtpMode::Server | NtpMode::SymmetricPassive) {
            return None;
        }
        r.skip(23).ok()?;
        r.u64().ok()
    }

    /// Accepts a reply after the checks of protocol notes §2.6. A reply whose origin is not
    /// our transmit time, and anything after completion, is ignored (`Pending`).
    fn on_datagram(&mut self, datagram: &[u8]) -> Result<Progress<ServerReply>, PacketError> {
        if self.done {
            return Ok(Progress::Pending);
        }
        let packet = NtpPacket::decode(datagram)?;
        if packet.origin_timestamp != self.transmit {
            return Ok(Progress::Pending);
        }
        self.done = true;
        self.accept(packet).map(Progress::Done)
    }

    /// Resends the identical request once, then reports [`PacketError::Timeout`].
    fn on_timeout(&mut self) -> Result<Vec<u8>, PacketError> {
        if self.done || self.attempts >= Self::MAX_ATTEMPTS {
            self.done = true;
            return Err(PacketError::Timeout {
                attempts: self.attempts,
            });
        }
        self.attempts += 1;
        Ok(self.datagram.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::tests::{E6, md5_key, unhex};
    use crate::packet::{KissCode, Trailer};

    const XMT: NtpTimestamp = NtpTimestamp::new(0xe4a1_b2c3, 0x1234_5678);

    fn request(key: Option<&Key>) -> ClientRequest<'_> {
        ClientRequest {
            transmit: XMT,
            key,
            ..ClientRequest::default()
        }
    }

    /// A plausible stratum-2 reply to the request sent at [`XMT`].
    fn reply() -> NtpPacket {
        NtpPacket {
            version: 4,
            mode: NtpMode::Server,
            stratum: Stratum(2),
            poll: 3,
            precision: -23,
            reference_id: ReferenceId([192, 0, 2, 1]),
            reference_timestamp: NtpTimestamp::new(0xe4a1_b000, 0),
            origin_timestamp: XMT,
            receive_timestamp: NtpTimestamp::new(0xe4a1_b2c3, 0x2000_0000),
            transmit_timestamp: NtpTimestamp::new(0xe4a1_b2c3, 0x2100_0000),
            ..NtpPacket::default()
        }
    }

    #[test]
    fn request_is_ntpdate_shaped() {
        let (exchange, datagram) = ClientExchange::new(request(None));
        assert_eq!(datagram, unhex(E6)[..48].to_vec());
        assert_eq!(exchange.key(), 0xe4a1_b2c3_1234_5678);
        assert_eq!(exchange.transmit(), XMT);

        let key = md5_key();
        let (exchange, datagram) = ClientExchange::new(request(Some(&key)));
        assert_eq!(datagram, unhex(E6));
        assert_eq!(exchange.key(), XMT.to_bits());

        let v3 = ClientRequest {
            version: 3,
            ..request(None)
        };
        assert_eq!(v3.encode()[0], 0xdb);
    }

    #[test]
    fn key_of_reads_reply_origin() {
        let with_mode = |mode| NtpPacket { mode, ..reply() }.encode();
        let cases = [
            (with_mode(NtpMode::Server), Some(XMT.to_bits())),
            (with_mode(NtpMode::SymmetricPassive), Some(XMT.to_bits())),
            (with_mode(NtpMode::Client), None),
            (with_mode(NtpMode::Control), None),
            (reply().encode()[..47].to_vec(), None),
            (Vec::new(), None),
        ];
        for (datagram, want) in cases {
            assert_eq!(ClientExchange::key_of(&datagram), want, "{datagram:02x?}");
        }
    }

    #[test]
    fn unauthenticated_reply_checks() {
        let r = reply;
        let kod = |code: &str| NtpPacket {
            leap: LeapIndicator::Unsynchronized,
            stratum: Stratum(0),
            poll: 10,
            reference_id: ReferenceId::from_ascii(code),
            ..r()
        };
        // `Ok(None)`: ignored; `Ok(Some(packet))`: completed with `packet`.
        type Expected = Result<Option<NtpPacket>, PacketError>;
        let cases: Vec<(Vec<u8>, Expected)> = vec![
            (r().encode(), Ok(Some(r()))),
            (
                NtpPacket {
                    mode: NtpMode::SymmetricPassive,
                    version: 1,
                    ..r()
                }
                .encode(),
                Ok(Some(NtpPacket {
                    mode: NtpMode::SymmetricPassive,
                    version: 1,
                    ..r()
                })),
            ),
            // An unsynchronized (LI = 3) but non-KoD reply is delivered for the caller to judge.
            (
                NtpPacket {
                    leap: LeapIndicator::Unsynchronized,
                    ..r()
                }
                .encode(),
                Ok(Some(NtpPacket {
                    leap: LeapIndicator::Unsynchronized,
                    ..r()
                })),
            ),
            // A MAC on a reply we did not authenticate is ignored.
            (
                r().encode_with_key(&md5_key()),
                Ok(Some(
                    NtpPacket::decode(&r().encode_with_key(&md5_key())).unwrap(),
                )),
            ),
            // Someone else's reply: ignored.
            (
                NtpPacket {
                    origin_timestamp: NtpTimestamp::new(1, 2),
                    ..r()
                }
                .encode(),
                Ok(None),
            ),
            (
                NtpPacket { version: 0, ..r() }.encode(),
                Err(PacketError::BadVersion(0)),
            ),
            (
                NtpPacket { version: 5, ..r() }.encode(),
                Err(PacketError::BadVersion(5)),
            ),
            (
                NtpPacket {
                    mode: NtpMode::Broadcast,
                    ..r()
                }
                .encode(),
                Err(PacketError::BadMode(NtpMode::Broadcast)),
            ),
            (
                NtpPacket {
                    mode: NtpMode::Client,
                    ..r()
                }
                .encode(),
                Err(PacketError::BadMode(NtpMode::Client)),
            ),
            (
                kod("RATE").encode(),
                Err(PacketError::Kiss {
                    code: KissCode::Rate,
                    poll: 10,
                }),
            ),
            (
                kod("DENY").encode(),
                Err(PacketError::Kiss {
                    code: KissCode::Deny,
                    poll: 10,
                }),
            ),
            (
                kod("XABC").encode(),
                Err(PacketError::Kiss {
                    code: KissCode::Unknown("XABC".into()),
                    poll: 10,
                }),
            ),
            (
                NtpPacket {
                    stratum: Stratum(16),
                    ..r()
                }
                .encode(),
                Err(PacketError::BadStratum(Stratum(16))),
            ),
            (
                NtpPacket {
                    receive_timestamp: NtpTimestamp::ZERO,
                    ..r()
                }
                .encode(),
                Err(PacketError::ZeroTimestamp("receive")),
            ),
            (
                NtpPacket {
                    transmit_timestamp: NtpTimestamp::ZERO,
                    ..r()
                }
                .encode(),
                Err(PacketError::ZeroTimestamp("transmit")),
            ),
            (
                [r().encode(), vec![0; 2]].concat(),
                Err(PacketError::TrailerLength(2)),
            ),
        ];
        for (datagram, want) in cases {
            let (mut exchange, _) = ClientExchange::new(request(None));
            let got = exchange.on_datagram(&datagram);
            let want = want.map(|packet| match packet {
                Some(packet) => Progress::Done(ServerReply {
                    packet,
                    authenticated: None,
                }),
                None => Progress::Pending,
            });
            assert_eq!(got, want, "{datagram:02x?}");
        }
    }

    #[test]
    fn reporting_unsynchronized_replies() {
        let unsynchronized = [
            NtpPacket {
                leap: LeapIndicator::Unsynchronized,
                stratum: Stratum(0),
                reference_id: ReferenceId::from_ascii("INIT"),
                ..reply()
            },
            NtpPacket {
                leap: LeapIndicator::Unsynchronized,
                stratum: Stratum(0),
                reference_id: ReferenceId::from_ascii("DENY"),
                ..reply()
            },
            NtpPacket {
                stratum: Stratum(16),
                ..reply()
            },
        ];
        for packet in unsynchronized {
            let (mut strict, _) = ClientExchange::new(request(None));
            assert!(strict.on_datagram(&packet.encode()).is_err(), "{packet:?}");
            let (lenient, _) = ClientExchange::new(request(None));
            let mut lenient = lenient.reporting_unsynchronized();
            let got = lenient.on_datagram(&packet.encode()).unwrap();
            assert_eq!(
                got,
                Progress::Done(ServerReply {
                    packet: packet.clone(),
                    authenticated: None
                })
            );
        }
        // The other checks still apply.
        let (lenient, _) = ClientExchange::new(request(None));
        let mut lenient = lenient.reporting_unsynchronized();
        let zero = NtpPacket {
            transmit_timestamp: NtpTimestamp::ZERO,
            ..reply()
        };
        assert_eq!(
            lenient.on_datagram(&zero.encode()),
            Err(PacketError::ZeroTimestamp("transmit"))
        );
        let (lenient, _) = ClientExchange::new(request(None));
        let mut lenient = lenient.reporting_unsynchronized();
        let client = NtpPacket {
            mode: NtpMode::Client,
            ..reply()
        };
        assert_eq!(
            lenient.on_datagram(&client.encode()),
            Err(PacketError::BadMode(NtpMode::Client))
        );
    }

    #[test]
    fn authenticated_reply_checks() {
        let key = md5_key();
        let other = Key::new(KeyId(2), crate::auth::KeyType::Md5, b"password".to_vec());
        let signed = reply().encode_with_key(&key);
        let mut forged = signed.clone();
        forged[10] ^= 1;
        let kod = NtpPacket {
            leap: LeapIndicator::Unsynchronized,
            stratum: Stratum(0),
            reference_id: ReferenceId(*b"RATE"),
            ..reply()
        };
        let cases: Vec<(Vec<u8>, Result<(), PacketError>)> = vec![
            (signed.clone(), Ok(())),
            (reply().encode(), Err(PacketError::MissingMac)),
            (forged, Err(PacketError::BadMac(KeyId(1)))),
            (
                NtpPacket {
                    trailer: Trailer::CryptoNak(KeyId(0)),
                    ..reply()
                }
                .encode(),
                Err(PacketError::CryptoNak(KeyId(0))),
            ),
            (
                reply().encode_with_key(&other),
                Err(PacketError::KeyIdMismatch {
                    expected: KeyId(1),
                    got: KeyId(2),
                }),
            ),
            (
                kod.encode_with_key(&key),
                Err(PacketError::Kiss {
                    code: KissCode::Rate,
                    poll: 3,
                }),
            ),
            // An unsigned KoD cannot end an authenticated exchange as a KoD.
            (kod.encode(), Err(PacketError::MissingMac)),
        ];
        for (datagram, want) in cases {
            let (mut exchange, _) = ClientExchange::new(request(Some(&key)));
            let got = exchange.on_datagram(&datagram);
            let want = want.map(|()| {
                Progress::Done(ServerReply {
                    packet: NtpPacket::decode(&signed).unwrap(),
                    authenticated: Some(KeyId(1)),
                })
            });
            assert_eq!(got, want, "{datagram:02x?}");
        }
    }

    #[test]
    fn completes_once_and_times_out_after_one_resend() {
        let (mut exchange, first) = ClientExchange::new(request(None));
        assert_eq!(exchange.on_timeout(), Ok(first.clone()));
        assert_eq!(
            exchange.on_timeout(),
            Err(PacketError::Timeout { attempts: 2 })
        );

        let (mut exchange, _) = ClientExchange::new(request(None));
        assert!(matches!(
            exchange.on_datagram(&reply().encode()),
            Ok(Progress::Done(_))
        ));
        // Duplicates after completion are harmless.
        assert_eq!(
            exchange.on_datagram(&reply().encode()),
            Ok(Progress::Pending)
        );
    }

    fn ts(seconds: u32, fraction: u32) -> NtpTimestamp {
        NtpTimestamp::new(seconds, fraction)
    }

    #[test]
    fn sample_arithmetic() {
        const HALF: u32 = 0x8000_0000;
        const QUARTER: u32 = 0x4000_0000;
        const EIGHTH: u32 = 0x2000_0000;
        // (t1, t2, t3, t4, offset, delay)
        let cases = [
            // Symmetric path, clocks agree.
            (
                ts(100, 0),
                ts(100, HALF),
                ts(100, HALF),
                ts(101, 0),
                0.0,
                1.0,
            ),
            // Server ahead.
            (
                ts(1000, 0),
                ts(1010, EIGHTH),
                ts(1010, QUARTER),
                ts(1000, HALF),
                9.9375,
                0.375,
            ),
            // Server behind: negative offset.
            (
                ts(1000, 0),
                ts(997, EIGHTH),
                ts(997, QUARTER),
                ts(1000, HALF),
                -3.0625,
                0.375,
            ),
            // Era boundary between T1 and T2 (2036-02-07 06:28:16 UTC).
            (
                ts(u32::MAX, HALF),
                ts(0, QUARTER),
                ts(0, HALF),
                ts(1, 0),
                0.125,
                1.25,
            ),
            // Client behind the boundary, server already past it.
            (
                ts(u32::MAX, 0),
                ts(9, 0),
                ts(9, 0),
                ts(u32::MAX, HALF),
                9.75,
                0.5,
            ),
            // Offsets whose sum overflows 64 bits are still right.
            (
                ts(0, 0),
                ts(0x7000_0000, 0),
                ts(0x7000_0000, 0),
                ts(0, 0),
                f64::from(0x7000_0000_u32),
                0.0,
            ),
            // Inconsistent timestamps give a negative delay; it is not clamped.
            (
                ts(10, 0),
                ts(10, HALF),
                ts(11, HALF),
                ts(10, HALF),
                0.75,
                -0.5,
            ),
        ];
        for (t1, t2, t3, t4, offset, delay) in cases {
            let s = sample(t1, t2, t3, t4);
            assert_eq!(s.offset, offset, "offset {t1} {t2} {t3} {t4}");
            assert_eq!(s.delay, delay, "delay {t1} {t2} {t3} {t4}");
            let round_trip = NtpTimestamp::from_bits(t4.to_bits().wrapping_sub(t1.to_bits()));
            let want = PHI * round_trip.as_offset_seconds().abs();
            assert!((s.dispersion_estimate - want).abs() < 1e-15);
        }
    }

    #[test]
    fn reply_sample_uses_echoed_origin() {
        let (mut exchange, _) = ClientExchange::new(request(None));
        let Ok(Progress::Done(reply)) = exchange.on_datagram(&reply().encode()) else {
            panic!("reply not accepted");
        };
        let t4 = ts(0xe4a1_b2c3, 0x3234_5678);
        let s = reply.sample(t4);
        assert_eq!(
            s,
            sample(
                XMT,
                ts(0xe4a1_b2c3, 0x2000_0000),
                ts(0xe4a1_b2c3, 0x2100_0000),
                t4
            )
        );
        assert!((s.delay - f64::from(0x1f00_0000_u32) / FRACTION_SCALE).abs() < 1e-12);
    }
}
