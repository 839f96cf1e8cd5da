//! The one blocking UDP transport: sends requests, routes replies to sans-IO exchanges.
//!
//! A [`Transport`] owns one socket (dual-stack IPv6 when the host has IPv6, else IPv4) and can
//! carry many exchanges at once: replies are routed by (peer address, demultiplexing key), so a
//! reply from any other address, or with a key no running exchange expects, is dropped. There is
//! no parsing here; [`Exchange`] implementations decide what a datagram means.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use thiserror::Error;

use crate::exchange::{Exchange, Progress};

/// Largest datagram we accept; anything longer is truncated by the kernel and then rejected by
/// the codec that reads it.
const MAX_DATAGRAM: usize = 65_536;

/// Why a transport-level exchange failed.
#[derive(Debug, Error)]
pub enum TransportError<E: std::error::Error + 'static> {
    /// The socket could not send or receive.
    #[error("network error: {0}")]
    Io(#[source] io::Error),
    /// The exchange itself failed (server error, malformed reply, timeout, …).
    #[error(transparent)]
    Exchange(E),
}

/// Address family restriction for name resolution (`-4` / `-6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// Either family; the first address the resolver returns wins.
    #[default]
    Any,
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// Resolves `host` once: an IP literal (`192.0.2.1`, `2001:db8::1`, `[2001:db8::1]:123`,
/// `192.0.2.1:123`) or a name, with `default_port` when none is given.
///
/// # Errors
/// The name does not resolve, or resolves to no address of the wanted family.
pub fn resolve(host: &str, default_port: u16, family: Family) -> io::Result<SocketAddr> {
    let wanted = |addr: &SocketAddr| match family {
        Family::Any => true,
        Family::V4 => addr.is_ipv4(),
        Family::V6 => addr.is_ipv6(),
    };
    let literal = host.parse::<SocketAddr>().ok().or_else(|| {
        host.parse::<IpAddr>()
            .ok()
            .map(|ip| (ip, default_port).into())
    });
    let found = match literal {
        Some(addr) => wanted(&addr).then_some(addr),
        None => (host, default_port).to_socket_addrs()?.find(wanted),
    };
    found.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("'{host}' has no address of the requested family"),
        )
    })
}

/// The host name of `ip` by reverse DNS, looked up in a helper thread and given up after
/// `bound` so that a slow or unreachable resolver never stalls a tool. `None` when there is no
/// name, the lookup fails or takes too long (the caller shows the address then).
#[must_use]
pub fn reverse_lookup(ip: IpAddr, bound: Duration) -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(dns_lookup::lookup_addr(&ip).ok());
    });
    rx.recv_timeout(bound)
        .ok()
        .flatten()
        .filter(|name| name.parse::<IpAddr>().is_err())
}

/// Bytes and datagrams one exchange moved, e.g. to report mode 7 amplification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Traffic {
    /// Datagrams sent (first send plus retries).
    pub datagrams_sent: usize,
    /// Octets sent.
    pub bytes_sent: usize,
    /// Datagrams accepted for this exchange.
    pub datagrams_received: usize,
    /// Octets accepted for this exchange.
    pub bytes_received: usize,
    /// System time at which the last accepted datagram was read from the socket: the
    /// destination timestamp (T4) for NTP client exchanges.
    pub received_at: Option<SystemTime>,
}

/// What the transport did with one datagram, for debug output (`ntpdate -d` shows every packet and
/// why a reply was ignored).
#[derive(Debug, Clone, Copy)]
pub enum TransportEvent<'a> {
    /// A datagram was sent (a first request or a retry).
    Sent {
        /// Where to.
        peer: SocketAddr,
        /// The octets.
        datagram: &'a [u8],
        /// When, by the system clock.
        at: SystemTime,
    },
    /// A datagram arrived and was handed to the running exchange it belongs to (reported
    /// after the exchange looked at it).
    Delivered {
        /// Who sent it.
        from: SocketAddr,
        /// The octets.
        datagram: &'a [u8],
        /// When it was read, by the system clock.
        at: SystemTime,
        /// Why the exchange ignored it (a duplicate fragment, …), if it did
        /// ([`Exchange::last_ignored`]).
        ignored: Option<&'a str>,
    },
    /// A datagram arrived that no running exchange expects (unknown sender, or a demultiplexing
    /// key such as an NTP origin timestamp that matches nothing we sent): it was dropped.
    Dropped {
        /// Who sent it.
        from: SocketAddr,
        /// The octets.
        datagram: &'a [u8],
        /// Its demultiplexing key, if it has one.
        key: Option<u64>,
    },
}

/// One exchange to run: where to send, the state machine, and its first datagram.
#[derive(Debug)]
pub struct Job<E> {
    /// The server to ask; only replies from exactly this address are accepted.
    pub peer: SocketAddr,
    /// The sans-IO exchange.
    pub exchange: E,
    /// The first datagram, as returned by the exchange's constructor.
    pub datagram: Vec<u8>,
}

/// What one job ended with.
pub type JobResult<E> =
    Result<(<E as Exchange>::Output, Traffic), TransportError<<E as Exchange>::Error>>;

/// A blocking UDP client socket that drives exchanges.
#[derive(Debug)]
pub struct Transport {
    socket: UdpSocket,
    dual_stack: bool,
    timeout: Duration,
    /// The read timeout last set on the socket, in milliseconds (0: none yet), so that a
    /// burst of datagrams costs one system call each, not two.
    read_timeout_ms: AtomicU64,
}

struct Running<E, T> {
    token: T,
    peer: SocketAddr,
    exchange: E,
    timeout: Duration,
    deadline: Instant,
    traffic: Traffic,
}

impl<E: Exchange, T> Running<E, T> {
    /// The next deadline: the exchange's own patience, else this job's timeout.
    fn rearm(&mut self) {
        self.deadline = Instant::now() + self.exchange.patience().unwrap_or(self.timeout);
    }
}

/// Many exchanges over one [`Transport`], fed and drained incrementally: jobs may be submitted
/// while others run, and each job's result is handed out as soon as it ends. At most `window`
/// run at once; two jobs with the same peer and key never run at once, since their replies could
/// not be told apart. [`Transport::run_many`] is a pipeline fed once and drained to the end;
/// callers that keep feeding it (a fleet of hosts, each issuing its next request when its
/// previous answer arrives) use it directly.
pub struct Pipeline<'t, E: Exchange, T> {
    transport: &'t Transport,
    window: usize,
    queue: VecDeque<(T, Job<E>, Duration)>,
    running: HashMap<(SocketAddr, u64), Running<E, T>>,
    ended: Vec<(T, JobResult<E>)>,
    buf: Vec<u8>,
}

impl<E: Exchange, T> std::fmt::Debug for Pipeline<'_, E, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("window", &self.window)
            .field("queued", &self.queue.len())
            .field("running", &self.running.len())
            .finish_non_exhaustive()
    }
}

impl<'t, E: Exchange, T> Pipeline<'t, E, T> {
    /// An empty pipeline over `transport` with at most `window` (at least 1) jobs in flight.
    #[must_use]
    pub fn new(transport: &'t Transport, window: usize) -> Self {
        Self {
            transport,
            window: window.max(1),
            queue: VecDeque::new(),
            running: HashMap::new(),
            ended: Vec::new(),
            buf: vec![0_u8; MAX_DATAGRAM],
        }
    }

    /// Queues a job with the transport's timeout; `token` comes back with its result.
    pub fn submit(&mut self, token: T, job: Job<E>) {
        let timeout = self.transport.timeout;
        self.submit_with_timeout(token, job, timeout);
    }

    /// Queues a job that waits `timeout` for each reply datagram (unless its exchange says
    /// otherwise, see [`Exchange::patience`]).
    pub fn submit_with_timeout(&mut self, token: T, job: Job<E>, timeout: Duration) {
        self.queue.push_back((token, job, timeout));
    }

    /// Jobs queued or running whose results have not been handed out.
    #[must_use]
    pub fn len(&self) -> usize {
        self.queue.len() + self.running.len() + self.ended.len()
    }

    /// Whether nothing is queued, running or waiting to be handed out.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Jobs in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.running.len()
    }

    /// Starts what the window allows, then waits for one datagram, at most until the nearest
    /// deadline and at most `max_wait` when given, and returns the jobs that ended (possibly
    /// none). Returns at once with nothing when nothing is queued or running.
    pub fn poll(
        &mut self,
        max_wait: Option<Duration>,
        observe: &mut dyn FnMut(TransportEvent<'_>),
    ) -> Vec<(T, JobResult<E>)> {
        self.start(observe);
        if let Some(next_deadline) = self.running.values().map(|r| r.deadline).min() {
            let mut wait = next_deadline.saturating_duration_since(Instant::now());
            if let Some(max) = max_wait {
                wait = wait.min(max);
            }
            let mut buf = std::mem::take(&mut self.buf);
            match self.transport.recv(&mut buf, wait) {
                Ok(Some((len, from))) => {
                    let received_at = SystemTime::now();
                    let datagram = buf.get(..len).unwrap_or_default();
                    self.deliver(datagram, from, received_at, observe);
                }
                Ok(None) => self.expire(observe),
                Err(err) => {
                    // A receive error (not a timeout) is fatal for everything in flight.
                    for (_, r) in self.running.drain() {
                        self.ended
                            .push((r.token, Err(TransportError::Io(clone_io(&err)))));
                    }
                }
            }
            self.buf = buf;
        }
        std::mem::take(&mut self.ended)
    }

    fn start(&mut self, observe: &mut dyn FnMut(TransportEvent<'_>)) {
        let mut skipped = VecDeque::new();
        while self.running.len() < self.window {
            let Some((token, job, timeout)) = self.queue.pop_front() else {
                break;
            };
            let slot = (job.peer, job.exchange.key());
            if self.running.contains_key(&slot) {
                skipped.push_back((token, job, timeout));
                continue;
            }
            let mut traffic = Traffic::default();
            match self
                .transport
                .send(&job.datagram, job.peer, &mut traffic, observe)
            {
                Ok(()) => {
                    let mut running = Running {
                        token,
                        peer: job.peer,
                        exchange: job.exchange,
                        timeout,
                        deadline: Instant::now(),
                        traffic,
                    };
                    running.rearm();
                    self.running.insert(slot, running);
                }
                Err(err) => self.ended.push((token, Err(TransportError::Io(err)))),
            }
        }
        // Deferred jobs keep their place ahead of the rest.
        while let Some(job) = skipped.pop_back() {
            self.queue.push_front(job);
        }
    }

    fn deliver(
        &mut self,
        datagram: &[u8],
        from: SocketAddr,
        received_at: SystemTime,
        observe: &mut dyn FnMut(TransportEvent<'_>),
    ) {
        let key = E::key_of(datagram);
        let Some((key, r)) = key.and_then(|key| Some((key, self.running.get_mut(&(from, key))?)))
        else {
            for r in self.running.values_mut().filter(|r| r.peer == from) {
                r.exchange.on_stray(datagram);
            }
            observe(TransportEvent::Dropped {
                from,
                datagram,
                key,
            });
            return;
        };
        let slot = (from, key);
        r.traffic.datagrams_received += 1;
        r.traffic.bytes_received += datagram.len();
        r.traffic.received_at = Some(received_at);
        let progress = r.exchange.on_datagram(datagram);
        let ignored = match progress {
            Ok(Progress::Pending) => r.exchange.last_ignored(),
            _ => None,
        };
        observe(TransportEvent::Delivered {
            from,
            datagram,
            at: received_at,
            ignored: ignored.as_deref(),
        });
        match progress {
            Ok(Progress::Pending) => {
                r.rearm();
                // Accepting a datagram may change what the exchange expects next.
                let new_key = r.exchange.key();
                if new_key != key
                    && let Some(moved) = self.running.remove(&slot)
                {
                    self.running.insert((from, new_key), moved);
                }
            }
            Ok(Progress::Done(output)) => {
                if let Some(r) = self.running.remove(&slot) {
                    self.ended.push((r.token, Ok((output, r.traffic))));
                }
            }
            Err(err) => {
                if let Some(r) = self.running.remove(&slot) {
                    self.ended
                        .push((r.token, Err(TransportError::Exchange(err))));
                }
            }
        }
    }

    fn expire(&mut self, observe: &mut dyn FnMut(TransportEvent<'_>)) {
        let now = Instant::now();
        let expired: Vec<_> = self
            .running
            .iter()
            .filter(|(_, r)| r.deadline <= now)
            .map(|(slot, _)| *slot)
            .collect();
        for slot in expired {
            let Some(mut r) = self.running.remove(&slot) else {
                continue;
            };
            match r.exchange.on_timeout() {
                Ok(datagram) => {
                    match self
                        .transport
                        .send(&datagram, r.peer, &mut r.traffic, observe)
                    {
                        Ok(()) => {
                            r.rearm();
                            self.running.insert((r.peer, r.exchange.key()), r);
                        }
                        Err(err) => self.ended.push((r.token, Err(TransportError::Io(err)))),
                    }
                }
                Err(err) => self
                    .ended
                    .push((r.token, Err(TransportError::Exchange(err)))),
            }
        }
    }
}

impl Transport {
    /// Binds an ephemeral port: dual-stack IPv6 where available, IPv4 otherwise. `timeout` is
    /// how long to wait for each reply datagram before the exchange's retry policy runs.
    ///
    /// # Errors
    /// No UDP socket can be bound.
    pub fn new(timeout: Duration) -> io::Result<Self> {
        let (socket, dual_stack) = match UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)) {
            Ok(socket) => (socket, true),
            Err(_) => (UdpSocket::bind(("0.0.0.0", 0))?, false),
        };
        Ok(Self {
            socket,
            dual_stack,
            timeout,
            read_timeout_ms: AtomicU64::new(0),
        })
    }

    /// Adopts an already bound socket, e.g. one created inside another network namespace
    /// (a socket stays in the namespace it was created in).
    ///
    /// # Errors
    /// The socket's local address cannot be read.
    pub fn from_socket(socket: UdpSocket, timeout: Duration) -> io::Result<Self> {
        let dual_stack = socket.local_addr()?.is_ipv6();
        Ok(Self {
            socket,
            dual_stack,
            timeout,
            read_timeout_ms: AtomicU64::new(0),
        })
    }

    /// Changes the per-datagram reply timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The per-datagram reply timeout.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The socket's local address (for debug output).
    ///
    /// # Errors
    /// The address cannot be read.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Runs one exchange to completion.
    ///
    /// # Errors
    /// A socket error, or the exchange's own error (including its timeout).
    pub fn run<E: Exchange>(&self, job: Job<E>) -> JobResult<E> {
        self.run_many(vec![job], 1)
            .pop()
            .unwrap_or_else(|| Err(TransportError::Io(io::ErrorKind::InvalidInput.into())))
    }

    /// Runs many exchanges over this one socket with at most `window` in flight, and returns
    /// their results in the order of `jobs`. Two jobs with the same peer and key never run at
    /// once, since their replies could not be told apart.
    pub fn run_many<E: Exchange>(&self, jobs: Vec<Job<E>>, window: usize) -> Vec<JobResult<E>> {
        self.run_many_observed(jobs, window, &mut |_| {})
    }

    /// [`Transport::run_many`], telling `observe` about every datagram sent, delivered or dropped.
    pub fn run_many_observed<E: Exchange>(
        &self,
        jobs: Vec<Job<E>>,
        window: usize,
        observe: &mut dyn FnMut(TransportEvent<'_>),
    ) -> Vec<JobResult<E>> {
        let mut results: Vec<Option<JobResult<E>>> = jobs.iter().map(|_| None).collect();
        let mut pipeline = Pipeline::new(self, window);
        for (index, job) in jobs.into_iter().enumerate() {
            pipeline.submit(index, job);
        }
        while !pipeline.is_empty() {
            for (index, result) in pipeline.poll(None, observe) {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(result);
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(TransportError::Io(io::ErrorKind::Other.into()))))
            .collect()
    }

    fn send(
        &self,
        datagram: &[u8],
        peer: SocketAddr,
        traffic: &mut Traffic,
        observe: &mut dyn FnMut(TransportEvent<'_>),
    ) -> io::Result<()> {
        let target = match peer {
            SocketAddr::V4(v4) if self.dual_stack => {
                SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
            }
            other => other,
        };
        self.socket.send_to(datagram, target)?;
        observe(TransportEvent::Sent {
            peer,
            datagram,
            at: SystemTime::now(),
        });
        traffic.datagrams_sent += 1;
        traffic.bytes_sent += datagram.len();
        Ok(())
    }

    /// Waits up to `wait` for one datagram; `Ok(None)` on timeout.
    fn recv(&self, buf: &mut [u8], wait: Duration) -> io::Result<Option<(usize, SocketAddr)>> {
        // Whole milliseconds, rounded up (a zero read timeout means "block forever" to the OS;
        // never ask for that), set only when they change: deadlines a few milliseconds apart
        // matter, a few microseconds do not.
        let ms = u64::try_from(wait.as_micros().div_ceil(1000))
            .unwrap_or(u64::MAX)
            .max(1);
        if self.read_timeout_ms.swap(ms, Ordering::Relaxed) != ms {
            self.socket
                .set_read_timeout(Some(Duration::from_millis(ms)))?;
        }
        match self.socket.recv_from(buf) {
            Ok((len, from)) => Ok(Some((len, canonical(from)))),
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            // ICMP port unreachable from an earlier send surfaces here on Linux; the affected
            // exchange will time out and retry, so it is not an error for the others.
            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// Maps IPv4-mapped IPv6 source addresses back to IPv4 so they match the address we asked.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

fn clone_io(err: &io::Error) -> io::Error {
    io::Error::new(err.kind(), err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    /// A toy exchange: the request is `[key, n]`; the reply is `[key, i, total]` fragments, and
    /// the exchange completes when it has seen `total` distinct fragments.
    #[derive(Debug)]
    struct Toy {
        key: u8,
        seen: Vec<u8>,
        retries: u8,
    }

    #[derive(Debug, Error, PartialEq)]
    #[error("toy failed: {0}")]
    struct ToyError(&'static str);

    impl Exchange for Toy {
        type Output = Vec<u8>;
        type Error = ToyError;

        fn key(&self) -> u64 {
            u64::from(self.key)
        }

        fn key_of(datagram: &[u8]) -> Option<u64> {
            datagram.first().map(|k| u64::from(*k))
        }

        fn on_datagram(&mut self, d: &[u8]) -> Result<Progress<Vec<u8>>, ToyError> {
            let (&i, &total) = (
                d.get(1).ok_or(ToyError("short"))?,
                d.get(2).ok_or(ToyError("short"))?,
            );
            if i == 0xff {
                return Err(ToyError("server error"));
            }
            if !self.seen.contains(&i) {
                self.seen.push(i);
            }
            if self.seen.len() == usize::from(total) {
                self.seen.sort_unstable();
                return Ok(Progress::Done(self.seen.clone()));
            }
            Ok(Progress::Pending)
        }

        fn on_timeout(&mut self) -> Result<Vec<u8>, ToyError> {
            if self.retries == 0 {
                return Err(ToyError("timeout"));
            }
            self.retries -= 1;
            Ok(vec![self.key, 3])
        }
    }

    fn job(peer: SocketAddr, key: u8, retries: u8) -> Job<Toy> {
        Job {
            peer,
            exchange: Toy {
                key,
                seen: vec![],
                retries,
            },
            datagram: vec![key, 3],
        }
    }

    /// A loopback server answering each request `[key, n]` with fragments in reverse order,
    /// a duplicate, and a decoy with an unknown key; key 9 is answered only on the second try.
    fn server() -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        thread::spawn(move || {
            let mut buf = [0_u8; 64];
            let mut tries_of_9 = 0;
            while let Ok((_, from)) = socket.recv_from(&mut buf) {
                let (key, n) = (buf[0], buf[1]);
                if key == 9 {
                    tries_of_9 += 1;
                    if tries_of_9 == 1 {
                        continue;
                    }
                }
                if key == 7 {
                    continue; // never answered
                }
                if key == 8 {
                    socket.send_to(&[8, 0xff, 1], from).unwrap();
                    continue;
                }
                socket.send_to(&[200, 0, 1], from).unwrap();
                for i in (0..n).rev() {
                    socket.send_to(&[key, i, n], from).unwrap();
                }
                socket.send_to(&[key, 0, n], from).unwrap();
            }
        });
        addr
    }

    #[test]
    fn routes_many_exchanges_over_one_socket() {
        let peer = server();
        let t = Transport::new(Duration::from_millis(200)).unwrap();
        let jobs = (1..=5).map(|k| job(peer, k, 1)).collect();
        let results = t.run_many(jobs, 3);
        for r in results {
            let (out, traffic) = r.unwrap();
            assert_eq!(out, vec![0, 1, 2]);
            assert_eq!(traffic.datagrams_sent, 1);
            assert!(traffic.received_at.is_some());
            assert_eq!(
                traffic.datagrams_received, 3,
                "the late duplicate is not counted"
            );
        }
    }

    #[test]
    fn retries_then_reports_the_exchange_error() {
        let peer = server();
        let t = Transport::new(Duration::from_millis(100)).unwrap();
        let results = t.run_many(vec![job(peer, 9, 1), job(peer, 7, 1), job(peer, 8, 1)], 4);
        let mut results = results.into_iter();
        let (out, traffic) = results.next().unwrap().unwrap();
        assert_eq!((out, traffic.datagrams_sent), (vec![0, 1, 2], 2));
        assert!(matches!(
            results.next().unwrap(),
            Err(TransportError::Exchange(ToyError("timeout")))
        ));
        assert!(matches!(
            results.next().unwrap(),
            Err(TransportError::Exchange(ToyError("server error")))
        ));
    }

    #[test]
    fn same_key_jobs_are_serialized_and_foreign_replies_dropped() {
        let peer = server();
        let t = Transport::new(Duration::from_millis(200)).unwrap();
        let results = t.run_many(vec![job(peer, 4, 0), job(peer, 4, 0)], 8);
        assert!(results.iter().all(Result::is_ok));
        // Replies must come from the address asked: asking a silent port times out even
        // though the server above keeps answering other clients.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let r = t.run(job(silent.local_addr().unwrap(), 4, 0));
        assert!(matches!(
            r,
            Err(TransportError::Exchange(ToyError("timeout")))
        ));
    }

    #[test]
    fn observer_sees_sent_delivered_and_dropped() {
        let peer = server();
        let t = Transport::new(Duration::from_millis(200)).unwrap();
        let mut seen = Vec::new();
        let results = t.run_many_observed(vec![job(peer, 5, 0)], 1, &mut |e| {
            seen.push(match e {
                TransportEvent::Sent { datagram, .. } => format!("sent {datagram:?}"),
                TransportEvent::Delivered { datagram, .. } => format!("got {datagram:?}"),
                TransportEvent::Dropped { datagram, key, .. } => {
                    format!("dropped {datagram:?} {key:?}")
                }
            });
        });
        assert!(results[0].is_ok());
        // The decoy with key 200 comes first and matches nothing we sent.
        assert_eq!(seen[..2], ["sent [5, 3]", "dropped [200, 0, 1] Some(200)"]);
        assert_eq!(seen.iter().filter(|s| s.starts_with("got")).count(), 3);
    }

    #[test]
    fn pipeline_takes_jobs_while_running_and_hands_results_out_early() {
        let peer = server();
        let t = Transport::new(Duration::from_millis(150)).unwrap();
        let mut pipeline = Pipeline::new(&t, 2);
        pipeline.submit("silent", job(peer, 7, 0));
        pipeline.submit_with_timeout("quick", job(peer, 1, 0), Duration::from_secs(2));
        let mut order = Vec::new();
        let mut fed = false;
        while !pipeline.is_empty() {
            for (token, result) in pipeline.poll(Some(Duration::from_millis(10)), &mut |_| {}) {
                order.push((token, result.is_ok()));
                if !fed {
                    // Fed after the first result: runs while the silent job still waits.
                    pipeline.submit("late", job(peer, 2, 0));
                    fed = true;
                }
            }
        }
        assert_eq!(
            order,
            [("quick", true), ("late", true), ("silent", false)],
            "a silent peer delays nobody"
        );
    }

    #[test]
    fn adopts_a_bound_socket() {
        let peer = server();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let t = Transport::from_socket(socket, Duration::from_millis(200)).unwrap();
        assert_eq!(t.run(job(peer, 3, 0)).unwrap().0, vec![0, 1, 2]);
    }

    #[test]
    fn resolves_literals_and_families() {
        assert_eq!(
            resolve("127.0.0.1", 123, Family::Any).unwrap(),
            "127.0.0.1:123".parse().unwrap()
        );
        assert_eq!(
            resolve("[::1]:4123", 123, Family::V6).unwrap(),
            "[::1]:4123".parse().unwrap()
        );
        assert_eq!(resolve("::1", 123, Family::Any).unwrap().port(), 123);
        assert!(resolve("127.0.0.1", 123, Family::V6).is_err());
    }
}
