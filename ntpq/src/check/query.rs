//! Runs a check of many servers over one socket: names resolved in parallel within a bound,
//! then the two rounds of [`HostProbe`] for every server at once through
//! [`Transport::run_many`], each request with ntpq's single resend.
//!
//! The whole run takes at most about its budget: name resolution gets a fifth of it, each
//! round two fifths split into two tries (first send and resend), so one silent server costs
//! its own verdict (UNKNOWN) and never the others' time.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ntpkit::check::{HostProbe, HostReport, Outcome, ProbeFailure, Thresholds};
use ntpkit::control::{ControlExchange, ControlRequest, ReassemblyLimits, Sequence};
use ntpkit::transport::{Family, Job, Transport, TransportError, resolve};

/// Most requests in flight at once. A run with more requests than this in one round takes
/// proportionally longer when servers are silent.
pub const WINDOW: usize = 256;

/// Shortest time allowed for one try.
const MIN_TRY: Duration = Duration::from_millis(50);

/// What a check run produced.
#[derive(Debug)]
pub struct CheckRun {
    /// One report per distinct server, in the order given.
    pub reports: Vec<HostReport>,
    /// How long the run took.
    pub elapsed: Duration,
}

/// Checks `hosts` (duplicates dropped) against `thresholds` within about `budget`.
#[must_use]
pub fn check_hosts(
    hosts: &[String],
    family: Family,
    thresholds: &Thresholds,
    budget: Duration,
) -> CheckRun {
    let started = Instant::now();
    let mut distinct: Vec<&str> = Vec::new();
    for h in hosts {
        if !distinct.contains(&h.as_str()) {
            distinct.push(h);
        }
    }
    let addrs = resolve_all(&distinct, family, budget / 5);
    let per_try = (budget / 5).max(MIN_TRY);
    let transport = match Transport::new(per_try) {
        Ok(t) => Some(t),
        Err(e) => {
            let why = format!("cannot open a UDP socket: {e}");
            return CheckRun {
                reports: distinct
                    .iter()
                    .map(|h| HostReport::unreachable(h, &why, thresholds))
                    .collect(),
                elapsed: started.elapsed(),
            };
        }
    };
    let mut sequence = Sequences::new();
    // Round 1: the association list and the system variables of every server.
    let mut probes: Vec<(usize, SocketAddr, HostProbe)> = addrs
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.as_ref().ok().map(|addr| (i, *addr, HostProbe::new())))
        .collect();
    let round1: Vec<(SocketAddr, ControlRequest)> = probes
        .iter()
        .flat_map(|(_, addr, _)| HostProbe::system_requests().map(|r| (*addr, r)))
        .collect();
    let mut answers = run_round(transport.as_ref(), round1, &mut sequence).into_iter();
    let mut round2 = Vec::new();
    let mut counts = Vec::new();
    for (_, addr, probe) in &mut probes {
        let readstat = next_outcome(&mut answers);
        let sysvars = next_outcome(&mut answers);
        let requests = probe.on_system(readstat, sysvars);
        counts.push(requests.len());
        round2.extend(requests.into_iter().map(|r| (*addr, r)));
    }
    // Round 2: the system peer (or candidates) of every server that named one.
    let mut answers = run_round(transport.as_ref(), round2, &mut sequence).into_iter();
    for ((_, _, probe), n) in probes.iter_mut().zip(counts) {
        probe.on_peers((0..n).map(|_| next_outcome(&mut answers)).collect());
    }
    let now = now_unix();
    let mut finished: Vec<Option<HostReport>> = distinct.iter().map(|_| None).collect();
    for (i, addr, probe) in probes {
        let report = HostReport::evaluate(
            distinct[i],
            Some(addr.to_string()),
            probe.finish(now),
            thresholds,
        );
        finished[i] = Some(report);
    }
    let reports = distinct
        .iter()
        .zip(addrs)
        .zip(finished)
        .map(|((host, addr), report)| match (report, addr) {
            (Some(r), _) => r,
            (None, Err(why)) => HostReport::unreachable(host, &why, thresholds),
            (None, Ok(_)) => HostReport::unreachable(host, "not asked", thresholds),
        })
        .collect();
    CheckRun {
        reports,
        elapsed: started.elapsed(),
    }
}

fn next_outcome(answers: &mut impl Iterator<Item = Outcome>) -> Outcome {
    answers
        .next()
        .unwrap_or_else(|| Err(ProbeFailure::network("not sent")))
}

/// Sequence numbers for concurrent requests, two apart: a resend after a partial answer uses
/// the next number, which must not be another request's.
struct Sequences(u16);

impl Sequences {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Self(u16::try_from((nanos ^ std::process::id()) & 0x7ffe).unwrap_or(2))
    }

    fn take(&mut self) -> Sequence {
        self.0 = self.0.wrapping_add(2).max(2);
        Sequence(self.0)
    }
}

/// Runs one round's requests, returning one outcome per request, in order.
fn run_round(
    transport: Option<&Transport>,
    requests: Vec<(SocketAddr, ControlRequest)>,
    sequence: &mut Sequences,
) -> Vec<Outcome> {
    let Some(transport) = transport else {
        return Vec::new();
    };
    let mut outcomes: Vec<Option<Outcome>> = requests.iter().map(|_| None).collect();
    let mut jobs = Vec::new();
    let mut slots = Vec::new();
    for (i, (peer, request)) in requests.into_iter().enumerate() {
        match ControlExchange::new(request, sequence.take(), None, ReassemblyLimits::NTPQ) {
            Ok((exchange, datagram)) => {
                jobs.push(Job {
                    peer,
                    exchange,
                    datagram,
                });
                slots.push(i);
            }
            Err(e) => outcomes[i] = Some(Err(ProbeFailure::from_control(&e))),
        }
    }
    for (slot, result) in slots.into_iter().zip(transport.run_many(jobs, WINDOW)) {
        outcomes[slot] = Some(match result {
            Ok((response, _)) => Ok(response),
            Err(TransportError::Exchange(e)) => Err(ProbeFailure::from_control(&e)),
            Err(TransportError::Io(e)) => Err(ProbeFailure::network(format!("network error: {e}"))),
        });
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(ProbeFailure::network("not sent"))))
        .collect()
}

/// Resolves every host at once; a name that takes longer than `bound` counts as unresolved.
fn resolve_all(hosts: &[&str], family: Family, bound: Duration) -> Vec<Result<SocketAddr, String>> {
    let (tx, rx) = mpsc::channel();
    let mut pending = 0;
    let mut results: Vec<Option<Result<SocketAddr, String>>> = hosts.iter().map(|_| None).collect();
    for (i, host) in hosts.iter().enumerate() {
        let host = (*host).to_owned();
        if let Ok(addr) = resolve_literal(&host, family) {
            results[i] = Some(addr);
            continue;
        }
        pending += 1;
        let tx = tx.clone();
        thread::spawn(move || {
            let r =
                resolve(&host, 123, family).map_err(|e| format!("cannot resolve '{host}': {e}"));
            let _ = tx.send((i, r));
        });
    }
    let deadline = Instant::now() + bound;
    while pending > 0 {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok((i, r)) => {
                results[i] = Some(r);
                pending -= 1;
            }
            Err(_) => break,
        }
    }
    results
        .into_iter()
        .zip(hosts)
        .map(|(r, host)| {
            r.unwrap_or_else(|| Err(format!("cannot resolve '{host}' within {}", show(bound))))
        })
        .collect()
}

/// An address literal resolves at once, without a thread.
fn resolve_literal(host: &str, family: Family) -> Result<Result<SocketAddr, String>, ()> {
    let literal = host.parse::<SocketAddr>().is_ok()
        || host.parse::<std::net::IpAddr>().is_ok()
        || (host.starts_with('[') && host.contains(']'));
    if literal {
        Ok(resolve(host, 123, family).map_err(|e| format!("'{host}': {e}")))
    } else {
        Err(())
    }
}

fn show(d: Duration) -> String {
    ntpkit::check::format_seconds(d.as_secs_f64(), false)
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
