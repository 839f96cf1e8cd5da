//! The background queries: one poller thread per server (READSTAT, then the system
//! variables and every peer's variables pipelined over one socket), and MRU fetches on
//! threads of their own. They speak through `ntpkit::transport` and `ntpkit::control`
//! directly and report on the event channel, so a slow or dead server never blocks the UI
//! or the other servers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ntpkit::control::{
    AssocId, AssocStatus, ControlError, ControlExchange, ControlOpcode, ControlRequest,
    ControlResponse, MruCollector, MruProgress, ReassemblyLimits, Sequence, VarList,
};
use ntpkit::transport::{Family, Job, Transport, TransportError, resolve};

use super::event::{Event, MruList, MruUpdate, PeerAnswer, Snapshot, SystemAnswer};

/// How long to wait for each reply datagram; with ntpq's one resend a dead server is
/// reported after twice this.
pub const TUI_TIMEOUT: Duration = Duration::from_secs(2);

/// Most exchanges in flight towards one server.
const WINDOW: usize = 8;

/// Most READ_MRU requests one fetch may take.
const MAX_MRU_REQUESTS: usize = 100_000;

/// What the loop tells a poller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Poll at this interval from now on.
    Interval(Duration),
    /// Poll now.
    Now,
    /// Stop.
    Stop,
}

/// Where a server is and how to reach it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Index in the server list.
    pub server: usize,
    /// Name or address as given.
    pub host: String,
    /// `-4`/`-6`.
    pub family: Family,
    /// Per-datagram timeout.
    pub timeout: Duration,
}

/// Starts the poller of one server; it polls at once, then every `interval`.
pub fn spawn_poller(target: Target, interval: Duration, events: Sender<Event>) -> Sender<Command> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut interval = interval;
        let mut link: Option<Link> = None;
        loop {
            let result = poll_once(&target, &mut link);
            if result.is_err() {
                // Resolve again next time (the name may have changed or come up).
                link = None;
            }
            let event = Event::Poll {
                server: target.server,
                at: SystemTime::now(),
                result,
            };
            if events.send(event).is_err() {
                return;
            }
            let mut deadline = Instant::now() + interval;
            loop {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(Command::Interval(d)) => {
                        interval = d;
                        deadline = deadline.min(Instant::now() + d);
                    }
                    Ok(Command::Now) | Err(RecvTimeoutError::Timeout) => break,
                    Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    });
    tx
}

fn poll_once(target: &Target, link: &mut Option<Link>) -> Result<Snapshot, String> {
    if link.is_none() {
        *link = Some(Link::open(target)?);
    }
    let Some(link) = link.as_mut() else {
        return Err("no socket".to_owned());
    };
    let list = link
        .query(ControlOpcode::ReadStatus, AssocId::SYSTEM, Vec::new())
        .and_then(|r| r.assoc_list().map_err(|e| e.to_string()))
        .map_err(|e| format!("readstat: {e}"))?;
    // The associations `peers` shows.
    let mut shown: Vec<AssocStatus> = list
        .into_iter()
        .filter(|a| a.status.configured || a.status.reachable)
        .collect();
    shown.sort_by_key(|a| a.assoc.0);
    let mut requests = vec![
        (AssocId::SYSTEM, Vec::new()),
        (AssocId::SYSTEM, b"ss_uptime".to_vec()),
    ];
    // An empty list asks for every variable, as ntpq's `peers` does.
    requests.extend(shown.iter().map(|a| (a.assoc, Vec::new())));
    let mut answers = link
        .query_many(ControlOpcode::ReadVariables, requests)
        .into_iter();
    let system = answers
        .next()
        .unwrap_or_else(|| Err("no answer".to_owned()))
        .map_err(|e| format!("readvar 0: {e}"))?;
    let uptime_s = answers
        .next()
        .and_then(Result::ok)
        .and_then(|r| r.variables().ok())
        .and_then(|v| v.get_u64("ss_uptime").ok());
    let peers = shown
        .into_iter()
        .zip(answers)
        .map(|(status, answer)| match answer {
            Ok(response) if !response.data.is_empty() => PeerAnswer::Read {
                status: AssocStatus {
                    assoc: status.assoc,
                    status: response.peer_status(),
                },
                vars: VarList::parse_partial(&response.data).0,
            },
            Ok(_) => PeerAnswer::Failed {
                status,
                error: format!("readvar {}: no information returned", status.assoc),
            },
            Err(e) => PeerAnswer::Failed {
                status,
                error: format!("readvar {}: {e}", status.assoc),
            },
        })
        .collect();
    Ok(Snapshot {
        system: SystemAnswer {
            status: system.system_status(),
            vars: VarList::parse_partial(&system.data).0,
            uptime_s,
        },
        peers,
    })
}

/// Starts fetching the MRU list of one server; `cancel` stops it between requests.
pub fn spawn_mru(target: Target, events: Sender<Event>, cancel: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let started = Instant::now();
        let server = target.server;
        let result = fetch_mru(&target, &events, &cancel).map(|(collector, requests)| {
            let now = collector
                .now()
                .or_else(|| collector.entries().iter().map(|e| e.last).max())
                .unwrap_or(ntpkit::time::NtpTimestamp::ZERO);
            MruList {
                entries: collector.entries().to_vec(),
                now,
                updates: collector.updates(),
                requests,
                fetched: (SystemTime::now(), started.elapsed()),
            }
        });
        if !cancel.load(Ordering::Relaxed) {
            let _ = events.send(Event::Mru {
                server,
                update: MruUpdate::Done(result),
            });
        }
    });
}

fn fetch_mru(
    target: &Target,
    events: &Sender<Event>,
    cancel: &AtomicBool,
) -> Result<(MruCollector, usize), String> {
    let mut link = Link::open(target)?;
    let expected = link
        .query(
            ControlOpcode::ReadVariables,
            AssocId::SYSTEM,
            b"mru_depth".to_vec(),
        )
        .ok()
        .and_then(|r| r.variables().ok())
        .and_then(|v| v.get_u64("mru_depth").ok());
    let mut collector = MruCollector::new(Vec::new());
    let mut requests = 0;
    while requests < MAX_MRU_REQUESTS {
        if cancel.load(Ordering::Relaxed) {
            return Err("cancelled".to_owned());
        }
        if collector.needs_nonce(Instant::now()) {
            let answer = link
                .query(ControlOpcode::RequestNonce, AssocId::SYSTEM, Vec::new())
                .map_err(|e| format!("nonce: {e}"))?;
            let vars = answer.variables().map_err(|e| format!("nonce: {e}"))?;
            collector
                .set_nonce(&vars, Instant::now())
                .map_err(|e| format!("nonce: {e}"))?;
        }
        let request = collector.request().into_bytes();
        requests += 1;
        let limits = ReassemblyLimits::fragments(usize::try_from(collector.frags()).unwrap_or(1));
        match link.exchange_within(ControlOpcode::ReadMru, AssocId::SYSTEM, request, limits) {
            Ok(answer) => {
                let progress = collector
                    .on_response(&answer.data, Instant::now())
                    .map_err(|e| format!("mrulist: {e}"))?;
                if progress == MruProgress::Done {
                    break;
                }
            }
            Err(TransportError::Exchange(err)) => collector
                .on_error(err)
                .map_err(|e| format!("mrulist: {e}"))?,
            Err(TransportError::Io(err)) => return Err(format!("mrulist: network error: {err}")),
        }
        let update = MruUpdate::Progress {
            entries: collector.entries().len(),
            requests,
            expected,
        };
        if events
            .send(Event::Mru {
                server: target.server,
                update,
            })
            .is_err()
        {
            return Err("cancelled".to_owned());
        }
    }
    Ok((collector, requests))
}

/// One socket towards one server, with its own sequence numbers.
struct Link {
    transport: Transport,
    peer: SocketAddr,
    sequence: u16,
}

impl Link {
    fn open(target: &Target) -> Result<Self, String> {
        let peer = resolve(&target.host, 123, target.family).map_err(|e| e.to_string())?;
        let transport =
            Transport::new(target.timeout).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
        Ok(Self {
            transport,
            peer,
            sequence: seed_sequence(target.server),
        })
    }

    fn job(
        &mut self,
        opcode: ControlOpcode,
        assoc: AssocId,
        data: Vec<u8>,
        limits: ReassemblyLimits,
    ) -> Result<Job<ControlExchange>, ControlError> {
        // Two numbers per exchange: a resend after a partial answer takes the next one.
        self.sequence = self.sequence.wrapping_add(2).max(1);
        let request = ControlRequest::new(opcode, assoc, data);
        let (exchange, datagram) =
            ControlExchange::new(request, Sequence(self.sequence), None, limits)?;
        Ok(Job {
            peer: self.peer,
            exchange,
            datagram,
        })
    }

    fn exchange(
        &mut self,
        opcode: ControlOpcode,
        assoc: AssocId,
        data: Vec<u8>,
    ) -> Result<ControlResponse, TransportError<ControlError>> {
        self.exchange_within(opcode, assoc, data, ReassemblyLimits::NTPQ)
    }

    /// An exchange whose answer may be longer than ntpq's 32 fragments (READ_MRU).
    fn exchange_within(
        &mut self,
        opcode: ControlOpcode,
        assoc: AssocId,
        data: Vec<u8>,
        limits: ReassemblyLimits,
    ) -> Result<ControlResponse, TransportError<ControlError>> {
        let job = self
            .job(opcode, assoc, data, limits)
            .map_err(TransportError::Exchange)?;
        self.transport.run(job).map(|(response, _)| response)
    }

    fn query(
        &mut self,
        opcode: ControlOpcode,
        assoc: AssocId,
        data: Vec<u8>,
    ) -> Result<ControlResponse, String> {
        self.exchange(opcode, assoc, data)
            .map_err(|e| e.to_string())
    }

    fn query_many(
        &mut self,
        opcode: ControlOpcode,
        requests: Vec<(AssocId, Vec<u8>)>,
    ) -> Vec<Result<ControlResponse, String>> {
        let mut jobs = Vec::new();
        let mut slots = Vec::new();
        for (assoc, data) in requests {
            match self.job(opcode, assoc, data, ReassemblyLimits::NTPQ) {
                Ok(job) => {
                    slots.push(Ok(jobs.len()));
                    jobs.push(job);
                }
                Err(e) => slots.push(Err(e.to_string())),
            }
        }
        let mut results: Vec<Option<Result<ControlResponse, String>>> = self
            .transport
            .run_many(jobs, WINDOW)
            .into_iter()
            .map(|r| Some(r.map(|(response, _)| response).map_err(|e| e.to_string())))
            .collect();
        slots
            .into_iter()
            .map(|slot| {
                slot.and_then(|i| {
                    results
                        .get_mut(i)
                        .and_then(Option::take)
                        .unwrap_or_else(|| Err("no answer".to_owned()))
                })
            })
            .collect()
    }
}

/// A sequence start that differs between runs and servers.
fn seed_sequence(server: usize) -> u16 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mixed = nanos ^ std::process::id() ^ u32::try_from(server).unwrap_or(0).wrapping_mul(7919);
    u16::try_from(mixed & 0x7fff).unwrap_or(1)
}
