//! Sampling: every server is queried concurrently over one socket, `-p` rounds of one request each;
//! every reply is checked ([`ntpkit::packet::ClientExchange`], then [`ntpkit::sync::check_reply`]) and
//! every rejection keeps its reason. A server that sent a kiss-o'-death or never answered gets no
//! more requests.

use std::fmt::Write as _;
use std::net::{Ipv6Addr, SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use ntpkit::packet::{ClientExchange, ClientRequest, KissCode, NtpPacket, PacketError};
use ntpkit::sync::{Measurement, check_reply};
use ntpkit::time::{NtpTimestamp, UnixTime};
use ntpkit::transport::{self, Job, Transport, TransportError, TransportEvent};

use crate::cli::Plan;

/// Our clock's precision exponent (about a microsecond; Linux reads the clock in nanoseconds).
pub const LOCAL_PRECISION: i8 = -20;

/// Why a request produced no usable sample, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No reply (or the name did not resolve).
    Unreachable,
    /// The reply failed authentication.
    Authentication,
    /// Anything else: kiss-o'-death, failed sanity checks, bad packet.
    Rejected,
}

/// One request's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleResult {
    /// A usable sample, with the local time (Unix seconds) of its reply.
    Accepted {
        /// The measurement.
        m: Measurement,
        /// T4 as Unix seconds.
        at: f64,
    },
    /// No usable sample.
    Rejected {
        /// Why, for people.
        reason: String,
        /// Why, for the exit code.
        failure: Failure,
    },
}

/// Everything learned about one server.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// As given on the command line.
    pub name: String,
    /// Where it was queried.
    pub addr: Option<SocketAddr>,
    /// Why it was not (or no longer) queried.
    pub stop: Option<(String, Failure)>,
    /// Every request's outcome.
    pub samples: Vec<SampleResult>,
    /// The last decodable reply that passed the exchange's checks.
    pub last: Option<NtpPacket>,
    /// Key the replies verified with.
    pub key_id: Option<u32>,
    /// Replies dropped because their origin matched nothing we sent.
    pub ignored: u32,
}

impl ServerState {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            addr: None,
            stop: None,
            samples: Vec::new(),
            last: None,
            key_id: None,
            ignored: 0,
        }
    }

    /// The accepted samples.
    pub fn measurements(&self) -> Vec<Measurement> {
        self.samples
            .iter()
            .filter_map(|s| match s {
                SampleResult::Accepted { m, .. } => Some(*m),
                SampleResult::Rejected { .. } => None,
            })
            .collect()
    }

    fn live(&self) -> Option<SocketAddr> {
        self.stop.is_none().then_some(self.addr).flatten()
    }
}

/// Debug lines (`-d`) collected while the transport runs, printed after each round.
#[derive(Debug, Default)]
pub struct Trace {
    /// Whether to collect.
    pub on: bool,
    /// Collected lines.
    pub lines: Vec<String>,
}

impl Trace {
    fn line(&mut self, f: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(f());
        }
    }
}

/// Unix seconds of a system time.
pub fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

fn ntp_time(t: SystemTime) -> NtpTimestamp {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(_) => (0, 0),
    };
    NtpTimestamp::from_unix(UnixTime { secs, nanos })
}

/// One line describing a packet, for `-d`.
pub fn describe(p: &NtpPacket) -> String {
    let refid = p.reference_id.interpret(p.refid_context());
    format!(
        "{} v{} mode {} stratum {} poll {} precision {} rootdelay {:.6} rootdisp {:.6} refid {refid}\n    \
         ref {} org {} rec {} xmt {}",
        p.leap,
        p.version,
        p.mode.to_bits(),
        p.stratum.0,
        p.poll,
        p.precision,
        p.root_delay.signed_seconds(),
        p.root_dispersion.seconds(),
        p.reference_timestamp,
        p.origin_timestamp,
        p.receive_timestamp,
        p.transmit_timestamp,
    )
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The socket: port 123 when setting the clock without `-u` (as classic ntpdate), else ephemeral.
///
/// # Errors
/// The port cannot be bound.
pub fn transport(plan: &Plan) -> anyhow::Result<Transport> {
    if !plan.privileged_port {
        return Transport::new(plan.timeout).context("cannot open a UDP socket");
    }
    let socket = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 123))
        .or_else(|_| UdpSocket::bind(("0.0.0.0", 123)))
        .context("cannot bind UDP port 123 (is ntpd running? use -u for an unprivileged port)")?;
    Transport::from_socket(socket, plan.timeout).context("cannot use the UDP socket")
}

/// Resolves every server (a failure rejects that server only).
pub fn resolve(plan: &Plan) -> Vec<ServerState> {
    plan.servers
        .iter()
        .map(|name| {
            let mut s = ServerState::new(name);
            match transport::resolve(name, 123, plan.family) {
                Ok(addr) => s.addr = Some(addr),
                Err(e) => s.stop = Some((format!("cannot resolve: {e}"), Failure::Unreachable)),
            }
            s
        })
        .collect()
}

fn index_of(servers: &[ServerState], from: SocketAddr) -> Option<usize> {
    let canonical = |a: SocketAddr| SocketAddr::new(a.ip().to_canonical(), a.port());
    servers
        .iter()
        .position(|s| s.addr.map(canonical) == Some(canonical(from)))
}

/// Sends one request to each server in `which` at once and records the outcomes.
pub fn round(
    transport: &Transport,
    servers: &mut [ServerState],
    which: &[usize],
    plan: &Plan,
    trace: &mut Trace,
) {
    let mut jobs = Vec::new();
    let mut owners = Vec::new();
    for &i in which {
        let Some(peer) = servers.get(i).and_then(ServerState::live) else {
            continue;
        };
        // As classic ntpdate, the authentication delay is added only to authenticated requests.
        let authdelay = if plan.key.is_some() {
            plan.authdelay
        } else {
            0.0
        };
        let transmit = ntp_time(SystemTime::now() + Duration::from_secs_f64(authdelay));
        let (exchange, datagram) = ClientExchange::new(ClientRequest {
            version: plan.version,
            transmit,
            key: plan.key.as_ref(),
            ..ClientRequest::default()
        });
        jobs.push(Job {
            peer,
            exchange,
            datagram,
        });
        owners.push(i);
    }
    if jobs.is_empty() {
        return;
    }
    let window = jobs.len();
    let mut ignored: Vec<SocketAddr> = Vec::new();
    let results = {
        let names: Vec<(Option<SocketAddr>, String)> =
            servers.iter().map(|s| (s.addr, s.name.clone())).collect();
        let name_of = |a: SocketAddr| {
            let a = SocketAddr::new(a.ip().to_canonical(), a.port());
            names
                .iter()
                .find(|(addr, _)| *addr == Some(a))
                .map_or_else(|| a.to_string(), |(_, n)| n.clone())
        };
        transport.run_many_observed(jobs, window, &mut |event| match event {
            TransportEvent::Sent { peer, datagram, .. } => trace.line(|| {
                format!(
                    "transmit({}): {} octets {}",
                    name_of(peer),
                    datagram.len(),
                    hex(datagram)
                )
            }),
            TransportEvent::Delivered { from, datagram, .. } => trace.line(|| {
                let decoded = NtpPacket::decode(datagram)
                    .map_or_else(|e| format!("undecodable: {e}"), |p| describe(&p));
                format!(
                    "receive({}): {} octets {}\n    {decoded}",
                    name_of(from),
                    datagram.len(),
                    hex(datagram)
                )
            }),
            TransportEvent::Dropped {
                from,
                datagram,
                key,
            } => {
                ignored.push(from);
                trace.line(|| {
                    let why = match key {
                        Some(k) => format!(
                            "origin {} matches no request of ours (spoofed or stale reply)",
                            NtpTimestamp::from_bits(k)
                        ),
                        None => "not a server reply".to_owned(),
                    };
                    format!(
                        "ignored {} octets from {}: {why}",
                        datagram.len(),
                        name_of(from)
                    )
                });
            }
        })
    };
    for from in ignored {
        if let Some(s) = index_of(servers, from).and_then(|i| servers.get_mut(i)) {
            s.ignored += 1;
        }
    }
    for (i, result) in owners.into_iter().zip(results) {
        let Some(server) = servers.get_mut(i) else {
            continue;
        };
        let outcome = judge(server, result, plan);
        if let SampleResult::Rejected { reason, .. } = &outcome {
            trace.line(|| format!("{}: sample rejected: {reason}", server.name));
        }
        if let SampleResult::Accepted { m, .. } = &outcome {
            trace.line(|| {
                format!(
                    "{}: offset {:+.6} delay {:.6} dispersion {:.6} root distance {:.6}",
                    server.name, m.offset, m.delay, m.dispersion, m.root_distance
                )
            });
        }
        server.samples.push(outcome);
    }
}

type Outcome =
    Result<(ntpkit::packet::ServerReply, transport::Traffic), TransportError<PacketError>>;

/// Turns one exchange's result into a sample; stops the server after a kiss-o'-death, a timeout or
/// a socket error.
fn judge(server: &mut ServerState, result: Outcome, plan: &Plan) -> SampleResult {
    let rejected = |reason: String, failure| SampleResult::Rejected { reason, failure };
    match result {
        Ok((reply, traffic)) => {
            server.last = Some(reply.packet.clone());
            server.key_id = reply.authenticated.map(|k| k.0);
            let at = traffic.received_at.unwrap_or_else(SystemTime::now);
            match check_reply(&reply, ntp_time(at), LOCAL_PRECISION, &plan.limits) {
                Ok(m) => SampleResult::Accepted {
                    m,
                    at: unix_seconds(at),
                },
                Err(fault) => rejected(fault.to_string(), Failure::Rejected),
            }
        }
        Err(TransportError::Exchange(PacketError::Kiss { code, poll })) => {
            let what = match code {
                KissCode::Rate => format!(
                    "rate limit response from server (kiss-o'-death RATE, poll {poll}); no more requests"
                ),
                KissCode::Deny | KissCode::Rstr => {
                    format!("access denied (kiss-o'-death {code}); no more requests")
                }
                other => format!("kiss-o'-death {other}; no more requests"),
            };
            server.stop = Some((what.clone(), Failure::Rejected));
            rejected(what, Failure::Rejected)
        }
        Err(TransportError::Exchange(e @ PacketError::Timeout { .. })) => {
            let what = e.to_string();
            server.stop = Some((what.clone(), Failure::Unreachable));
            rejected(what, Failure::Unreachable)
        }
        Err(TransportError::Exchange(
            e @ (PacketError::MissingMac
            | PacketError::CryptoNak(_)
            | PacketError::KeyIdMismatch { .. }
            | PacketError::BadMac(_)),
        )) => rejected(
            format!("authentication failed: {e}"),
            Failure::Authentication,
        ),
        // A MAC trailer of an impossible length in a reply to our signed request: its MAC
        // cannot be verified, which is an authentication failure, not a server fault.
        Err(TransportError::Exchange(e @ PacketError::TrailerLength(_))) if plan.key.is_some() => {
            rejected(
                format!("authentication failed: {e}"),
                Failure::Authentication,
            )
        }
        Err(TransportError::Exchange(e)) => rejected(e.to_string(), Failure::Rejected),
        Err(e @ TransportError::Io(_)) => {
            let what = e.to_string();
            server.stop = Some((what.clone(), Failure::Unreachable));
            rejected(what, Failure::Unreachable)
        }
    }
}

/// Runs `plan.samples` rounds over every server.
pub fn sample_all(
    transport: &Transport,
    servers: &mut [ServerState],
    plan: &Plan,
    trace: &mut Trace,
    mut flush: impl FnMut(&mut Trace) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let all: Vec<usize> = (0..servers.len()).collect();
    for _ in 0..plan.samples {
        if servers.iter().all(|s| s.live().is_none()) {
            break;
        }
        round(transport, servers, &all, plan, trace);
        flush(trace)?;
    }
    for s in servers.iter() {
        if let Some((why, _)) = &s.stop
            && s.samples.is_empty()
        {
            trace.line(|| format!("{}: not queried: {why}", s.name));
        }
    }
    flush(trace)
}

/// Samples server `index` every `interval` for `duration` (drift measurement); returns the local
/// times, offsets and delays of the accepted samples.
pub fn sample_over_time(
    transport: &Transport,
    servers: &mut [ServerState],
    index: usize,
    plan: &Plan,
    (duration, interval): (Duration, Duration),
    trace: &mut Trace,
    mut flush: impl FnMut(&mut Trace) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<(f64, f64, f64)>> {
    let start = Instant::now();
    let before = servers.get(index).map_or(0, |s| s.samples.len());
    let mut tick = 0_u32;
    loop {
        let due = interval.saturating_mul(tick);
        if due > duration {
            break;
        }
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            thread::sleep(wait);
        }
        round(transport, servers, &[index], plan, trace);
        flush(trace)?;
        if servers.get(index).is_none_or(|s| s.stop.is_some()) {
            break;
        }
        tick += 1;
    }
    Ok(servers
        .get(index)
        .map(|s| {
            s.samples
                .iter()
                .skip(before)
                .filter_map(|r| match r {
                    SampleResult::Accepted { m, at } => Some((*at, m.offset, m.delay)),
                    SampleResult::Rejected { .. } => None,
                })
                .collect()
        })
        .unwrap_or_default())
}
