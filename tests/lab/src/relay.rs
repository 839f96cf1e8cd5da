//! An impairing UDP relay, because this kernel has no netem: clients address the relay, which forwards
//! each datagram to one server (and the replies back) after a seeded-random delay, jitter, loss,
//! duplication or reordering. The server sees the relay as its client.
//!
//! The decisions ([`Impairer`]) are pure and repeatable for a seed; [`run`] is the socket loop
//! (`ntpkit-lab relay`); [`Relay`] is the handle tests get from `Lab::relay`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{BufRead as _, BufReader, ErrorKind, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::process::{self, ProcId};
use crate::topology::Host;

/// What the relay does to each datagram, independently in each direction.
#[derive(Clone, Debug, PartialEq)]
pub struct Impairment {
    /// One-way base delay.
    pub delay: Duration,
    /// Uniform jitter: each copy's delay is `delay ± jitter` (never below zero).
    pub jitter: Duration,
    /// Probability (0..=1) that a datagram is dropped.
    pub loss: f64,
    /// Probability that a second copy is sent (with its own jitter).
    pub duplicate: f64,
    /// Probability that a datagram is held back an extra `reorder_gap`, so later ones overtake it.
    pub reorder: f64,
    /// The extra hold-back of a reordered datagram.
    pub reorder_gap: Duration,
    /// PRNG seed: the same seed and traffic give the same decisions.
    pub seed: u64,
    /// Forward only the first N datagrams towards clients, then drop every later one (the
    /// server's answers stop mid-stream, for tests of partial results); `None` forwards all.
    pub cut_after: Option<u64>,
}

impl Default for Impairment {
    fn default() -> Self {
        Self {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_gap: Duration::from_millis(50),
            seed: 1,
            cut_after: None,
        }
    }
}

impl Impairment {
    /// Just a fixed one-way delay.
    pub fn delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    /// The lossy link of issue 14: 10% loss and 5% duplication in each direction, 10% of the
    /// datagrams held back 150 ms (so later ones overtake them), 50 ms ± 100 ms one way; the
    /// fates drawn from `seed`, so a run can be repeated.
    pub fn lossy_link(seed: u64) -> Self {
        Self {
            delay: Duration::from_millis(50),
            jitter: Duration::from_millis(100),
            loss: 0.1,
            duplicate: 0.05,
            reorder: 0.1,
            reorder_gap: Duration::from_millis(150),
            seed,
            cut_after: None,
        }
    }

    /// The arguments of `ntpkit-lab relay` for this impairment.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--delay-ms={}", self.delay.as_secs_f64() * 1e3),
            format!("--jitter-ms={}", self.jitter.as_secs_f64() * 1e3),
            format!("--loss={}", self.loss),
            format!("--duplicate={}", self.duplicate),
            format!("--reorder={}", self.reorder),
            format!("--reorder-gap-ms={}", self.reorder_gap.as_secs_f64() * 1e3),
            format!("--seed={}", self.seed),
        ];
        if let Some(n) = self.cut_after {
            args.push(format!("--cut-after={n}"));
        }
        args
    }
}

/// SplitMix64: tiny, fast, and good enough to decide the fate of test datagrams.
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        #[expect(clippy::cast_precision_loss, reason = "53-bit value, exact in f64")]
        let v = (self.next_u64() >> 11) as f64;
        v / (1u64 << 53) as f64
    }
}

/// Seeded decisions for one direction of one relay.
#[derive(Clone, Debug)]
pub struct Impairer {
    imp: Impairment,
    rng: SplitMix64,
    /// Whether this direction is the one towards clients (where `cut_after` applies).
    to_client: bool,
    /// Datagrams decided so far.
    seen: u64,
}

impl Impairer {
    /// Decisions for the direction `stream` (0: towards the server, 1: towards the client), so both
    /// directions are repeatable however their datagrams interleave.
    pub fn new(imp: &Impairment, stream: u64) -> Self {
        let mut seeder = SplitMix64(imp.seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03));
        Self {
            imp: imp.clone(),
            rng: SplitMix64(seeder.next_u64()),
            to_client: stream == 1,
            seen: 0,
        }
    }

    /// The send delays of one datagram's copies: empty if dropped, two entries if duplicated.
    ///
    /// Always draws the same number of random values, so one datagram's fate never shifts the next's.
    pub fn decide(&mut self) -> Vec<Duration> {
        let [lost, jitter1, reordered, duplicated, jitter2] = [(); 5].map(|()| self.rng.unit());
        self.seen += 1;
        let cut = self.to_client && self.imp.cut_after.is_some_and(|n| self.seen > n);
        if cut || lost < self.imp.loss {
            return Vec::new();
        }
        let gap = if reordered < self.imp.reorder {
            self.imp.reorder_gap
        } else {
            Duration::ZERO
        };
        let mut out = vec![self.jittered(jitter1) + gap];
        if duplicated < self.imp.duplicate {
            out.push(self.jittered(jitter2) + gap);
        }
        out
    }

    fn jittered(&self, u: f64) -> Duration {
        let offset = (u * 2.0 - 1.0) * self.imp.jitter.as_secs_f64();
        Duration::from_secs_f64((self.imp.delay.as_secs_f64() + offset).max(0.0))
    }
}

/// One relayed path: datagrams to `listen` go to `server`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// Where clients send.
    pub listen: SocketAddr,
    /// The server the relay forwards to.
    pub server: SocketAddr,
}

impl FromStr for Route {
    type Err = String;

    /// `LISTEN=SERVER`, e.g. `10.77.20.1:123=10.77.0.1:123` or `[fd77::20:1]:123=[fd77::1]:123`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (l, r) = s
            .split_once('=')
            .ok_or_else(|| format!("route '{s}' is not LISTEN=SERVER"))?;
        let parse = |a: &str| {
            a.parse::<SocketAddr>()
                .map_err(|e| format!("bad address '{a}' in route: {e}"))
        };
        Ok(Self {
            listen: parse(l)?,
            server: parse(r)?,
        })
    }
}

/// Counters of a relay run, printed when it stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Datagrams received from clients / from servers.
    pub received: [u64; 2],
    /// Datagrams sent towards servers / towards clients (copies included).
    pub sent: [u64; 2],
    /// Datagrams dropped on purpose, per direction.
    pub dropped: [u64; 2],
}

/// Most client sockets a relay keeps (one upstream socket per client address); beyond it the
/// least recently used one is closed, so that a long benchmark (a new client port per run) keeps
/// going.
const MAX_CLIENTS: usize = 1024;

struct Pending {
    data: Vec<u8>,
    to_server: bool,
    key: (usize, SocketAddr),
}

/// Runs the relay until `lifetime` ends or `parent` exits. Writes `ready` to `ready` once listening.
pub fn run(
    routes: &[Route],
    imp: &Impairment,
    lifetime: Duration,
    parent: Option<ProcId>,
    ready: &mut dyn Write,
) -> anyhow::Result<RelayStats> {
    let listeners = routes
        .iter()
        .map(|r| {
            let s =
                UdpSocket::bind(r.listen).with_context(|| format!("cannot bind {}", r.listen))?;
            s.set_nonblocking(true)
                .context("cannot make a socket non-blocking")?;
            Ok(s)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    writeln!(ready, "ready")
        .and_then(|()| ready.flush())
        .context("cannot report readiness")?;
    let mut impairers = [Impairer::new(imp, 0), Impairer::new(imp, 1)];
    let mut upstream: HashMap<(usize, SocketAddr), (UdpSocket, Instant)> = HashMap::new();
    let mut queue: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut pending: HashMap<u64, Pending> = HashMap::new();
    let mut seq = 0u64;
    let mut stats = RelayStats::default();
    let mut buf = vec![0u8; 65_536];
    let deadline = Instant::now() + lifetime;
    let mut next_parent_check = Instant::now();
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if now >= next_parent_check {
            if parent.is_some_and(|p| !p.alive()) {
                break;
            }
            next_parent_check = now + Duration::from_millis(500);
        }
        let mut arrivals: Vec<(bool, (usize, SocketAddr), Vec<u8>)> = Vec::new();
        for (i, sock) in listeners.iter().enumerate() {
            while let Some((n, from)) = recv(sock, &mut buf)? {
                arrivals.push((true, (i, from), buf[..n].to_vec()));
            }
        }
        for (key, (sock, _)) in &upstream {
            while let Some((n, _)) = recv(sock, &mut buf)? {
                arrivals.push((false, *key, buf[..n].to_vec()));
            }
        }
        for (to_server, key, data) in arrivals {
            let dir = usize::from(!to_server);
            stats.received[dir] += 1;
            if let Some((_, used)) = upstream.get_mut(&key).filter(|_| to_server) {
                *used = now;
            }
            if to_server && !upstream.contains_key(&key) {
                if upstream.len() >= MAX_CLIENTS {
                    let oldest = upstream
                        .iter()
                        .min_by_key(|(_, (_, used))| *used)
                        .map(|(k, _)| *k);
                    if let Some(oldest) = oldest {
                        upstream.remove(&oldest);
                    }
                }
                let server = routes
                    .get(key.0)
                    .map(|r| r.server)
                    .context("route index out of range")?;
                let local: IpAddr = if server.is_ipv4() {
                    Ipv4Addr::UNSPECIFIED.into()
                } else {
                    Ipv6Addr::UNSPECIFIED.into()
                };
                let s = UdpSocket::bind((local, 0)).context("cannot bind an upstream socket")?;
                s.connect(server)
                    .with_context(|| format!("cannot connect to {server}"))?;
                s.set_nonblocking(true)
                    .context("cannot make a socket non-blocking")?;
                upstream.insert(key, (s, now));
            }
            let copies = impairers[dir].decide();
            if copies.is_empty() {
                stats.dropped[dir] += 1;
            }
            for delay in copies {
                seq += 1;
                queue.push(Reverse((now + delay, seq)));
                pending.insert(
                    seq,
                    Pending {
                        data: data.clone(),
                        to_server,
                        key,
                    },
                );
            }
        }
        while let Some(&Reverse((at, id))) = queue.peek() {
            if at > Instant::now() {
                break;
            }
            queue.pop();
            let Some(p) = pending.remove(&id) else {
                continue;
            };
            let dir = usize::from(!p.to_server);
            let sent = if p.to_server {
                upstream.get(&p.key).map(|(s, _)| s.send(&p.data))
            } else {
                listeners.get(p.key.0).map(|s| s.send_to(&p.data, p.key.1))
            };
            // A refused or unreachable peer is the network's business, not the relay's.
            if matches!(sent, Some(Ok(_))) {
                stats.sent[dir] += 1;
            }
        }
        let next = queue
            .peek()
            .map_or(Duration::from_millis(1), |Reverse((at, _))| {
                at.saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(1))
            });
        thread::sleep(next);
    }
    Ok(stats)
}

fn recv(sock: &UdpSocket, buf: &mut [u8]) -> anyhow::Result<Option<(usize, SocketAddr)>> {
    match sock.recv_from(buf) {
        Ok(got) => Ok(Some(got)),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
        // ICMP errors from an earlier send surface here; they are not fatal.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e).context("recv failed"),
    }
}

/// A running relay in the lab's relay namespace, listening on its own pair of addresses (port 123, so
/// the reference tools can use it too). Dropping it stops it.
#[derive(Debug)]
pub struct Relay {
    child: Option<Child>,
    netns: String,
    /// IPv4 address clients send to (forwarded to the server's IPv4 address).
    pub v4: SocketAddr,
    /// IPv6 address clients send to (forwarded to the server's IPv6 address).
    pub v6: SocketAddr,
    /// The relay's log (its statistics when it stops).
    pub log: PathBuf,
}

impl Relay {
    /// Starts a relay in `relay_host`'s namespace towards `server` (its port 123).
    pub(crate) fn start(
        bin: &Path,
        relay_host: &Host,
        server: &Host,
        imp: &Impairment,
        lifetime: Duration,
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        let ns = relay_host.netns.as_str();
        let octets = relay_host.v4.octets();
        let index = octets[3];
        // Claim a free address pair: `ip addr add` fails if another relay holds it.
        let mut claimed = None;
        for n in 1..=250u8 {
            let v4 = crate::topology::v4(index, n);
            if process::run(
                "ip",
                &["-n", ns, "addr", "add", &format!("{v4}/16"), "dev", "eth0"],
            )
            .is_ok()
            {
                let v6 = crate::topology::v6(index, n);
                process::run(
                    "ip",
                    &[
                        "-n",
                        ns,
                        "addr",
                        "add",
                        &format!("{v6}/64"),
                        "dev",
                        "eth0",
                        "nodad",
                    ],
                )?;
                claimed = Some((n, v4, v6));
                break;
            }
        }
        let Some((n, v4, v6)) = claimed else {
            bail!("no free relay address in {ns}")
        };
        let v4 = SocketAddr::new(v4.into(), 123);
        let v6 = SocketAddr::new(v6.into(), 123);
        let log = log_dir.join(format!("relay-{n}.log"));
        // From here on, dropping `relay` releases the addresses (and stops the process once it runs).
        let mut relay = Self {
            child: None,
            netns: ns.to_owned(),
            v4,
            v6,
            log: log.clone(),
        };
        let err = std::fs::File::create(&log)
            .with_context(|| format!("cannot write {}", log.display()))?;
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(bin)
            .arg("relay")
            .arg(format!(
                "--route={v4}={}",
                SocketAddr::new(server.v4.into(), 123)
            ))
            .arg(format!(
                "--route={v6}={}",
                SocketAddr::new(server.v6.into(), 123)
            ))
            .args(imp.to_args())
            .arg(format!("--lifetime-s={}", lifetime.as_secs_f64()))
            .arg(format!("--own-addr={}/16", v4.ip()))
            .arg(format!("--own-addr={}/64", v6.ip()))
            .arg(format!("--parent={}", std::process::id()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        let stdout = child.stdout.take();
        relay.child = Some(child);
        let stdout = stdout.context("relay has no stdout")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.trim() == "ready" => Ok(relay),
            _ => bail!(
                "relay did not start: {}; see {}",
                process::tail(&log, 1),
                log.display()
            ),
        }
    }

    /// The relay address of the same family as `server_addr`.
    pub fn addr_for(&self, server_addr: IpAddr) -> SocketAddr {
        if server_addr.is_ipv4() {
            self.v4
        } else {
            self.v6
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM would end it without its statistics; they are only a courtesy.
            let _ = child.kill();
            let _ = child.wait();
        }
        for (a, len) in [(self.v4.ip(), 16), (self.v6.ip(), 64)] {
            let _ = process::run(
                "ip",
                &[
                    "-n",
                    &self.netns,
                    "addr",
                    "del",
                    &format!("{a}/{len}"),
                    "dev",
                    "eth0",
                ],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn no_impairment_forwards_everything_at_once() {
        let mut i = Impairer::new(&Impairment::default(), 0);
        for _ in 0..1000 {
            assert_eq!(i.decide(), vec![Duration::ZERO]);
        }
    }

    #[test]
    fn same_seed_same_decisions_other_seed_other_decisions() {
        let imp = Impairment {
            delay: ms(50),
            jitter: ms(20),
            loss: 0.2,
            duplicate: 0.1,
            reorder: 0.1,
            seed: 7,
            ..Impairment::default()
        };
        let run = |imp: &Impairment, stream| {
            let mut i = Impairer::new(imp, stream);
            (0..200).map(|_| i.decide()).collect::<Vec<_>>()
        };
        assert_eq!(run(&imp, 0), run(&imp, 0));
        assert_ne!(
            run(&imp, 0),
            run(&imp, 1),
            "directions use separate streams"
        );
        assert_ne!(
            run(&imp, 0),
            run(
                &Impairment {
                    seed: 8,
                    ..imp.clone()
                },
                0
            )
        );
    }

    #[test]
    fn rates_and_bounds_hold_over_many_datagrams() {
        let imp = Impairment {
            delay: ms(100),
            jitter: ms(30),
            loss: 0.25,
            duplicate: 0.1,
            reorder: 0.05,
            reorder_gap: ms(500),
            seed: 42,
            cut_after: None,
        };
        let mut i = Impairer::new(&imp, 0);
        let (mut lost, mut dup, mut reordered) = (0, 0, 0);
        let n = 20_000;
        for _ in 0..n {
            let d = i.decide();
            match d.len() {
                0 => lost += 1,
                2 => dup += 1,
                _ => {}
            }
            for copy in &d {
                if *copy >= ms(500) {
                    reordered += 1;
                    assert!(*copy >= ms(570) && *copy <= ms(630), "{copy:?}");
                } else {
                    assert!(*copy >= ms(70) && *copy <= ms(130), "{copy:?}");
                }
            }
        }
        let rate = |k: i32| f64::from(k) / f64::from(n);
        assert!((rate(lost) - 0.25).abs() < 0.02, "loss {}", rate(lost));
        assert!((rate(dup) - 0.075).abs() < 0.01, "duplicates {}", rate(dup)); // 0.1 of the 75 % kept
        assert!(reordered > 0);
    }

    #[test]
    fn cut_after_drops_every_later_datagram_towards_clients_only() {
        let imp = Impairment {
            cut_after: Some(3),
            ..Impairment::default()
        };
        let mut to_client = Impairer::new(&imp, 1);
        let fates: Vec<usize> = (0..10).map(|_| to_client.decide().len()).collect();
        assert_eq!(fates, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
        let mut to_server = Impairer::new(&imp, 0);
        assert!((0..10).all(|_| to_server.decide().len() == 1));
        // The cut does not shift the other decisions: with loss, the first three fates are
        // those of the same relay without a cut.
        let lossy = Impairment {
            loss: 0.5,
            seed: 99,
            ..Impairment::default()
        };
        let mut plain = Impairer::new(&lossy, 1);
        let mut cut = Impairer::new(
            &Impairment {
                cut_after: Some(3),
                ..lossy.clone()
            },
            1,
        );
        let plain: Vec<_> = (0..10).map(|_| plain.decide()).collect();
        let cut: Vec<_> = (0..10).map(|_| cut.decide()).collect();
        assert_eq!(cut[..3], plain[..3]);
        assert!(cut[3..].iter().all(Vec::is_empty));
        assert!(
            Impairment {
                cut_after: Some(7),
                ..Impairment::default()
            }
            .to_args()
            .contains(&"--cut-after=7".to_owned())
        );
        assert!(
            !Impairment::default()
                .to_args()
                .iter()
                .any(|a| a.starts_with("--cut-after"))
        );
    }

    #[test]
    fn jitter_never_makes_a_negative_delay() {
        let imp = Impairment {
            delay: ms(1),
            jitter: ms(10),
            ..Impairment::default()
        };
        let mut i = Impairer::new(&imp, 0);
        let delays: Vec<_> = (0..1000).flat_map(|_| i.decide()).collect();
        assert!(delays.contains(&Duration::ZERO));
        assert!(delays.iter().all(|d| *d <= ms(11)));
    }

    #[test]
    fn routes_parse_both_families() {
        let r: Route = "10.77.20.1:123=10.77.0.1:123".parse().unwrap();
        assert_eq!(r.server, "10.77.0.1:123".parse().unwrap());
        let r: Route = "[fd77::20:1]:123=[fd77::1]:123".parse().unwrap();
        assert!(r.listen.is_ipv6());
        assert!("10.77.20.1:123".parse::<Route>().is_err());
    }

    #[test]
    fn relay_delays_loopback_traffic() {
        // A loopback echo server behind a relay with 30 ms each way.
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server_addr = server.local_addr().unwrap();
        thread::spawn(move || {
            let mut b = [0u8; 64];
            while let Ok((n, from)) = server.recv_from(&mut b) {
                let _ = server.send_to(&b[..n], from);
            }
        });
        let probe = UdpSocket::bind("127.0.0.1:0").unwrap();
        let listen = {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap()
        };
        let imp = Impairment::delay(ms(30));
        let routes = [Route {
            listen,
            server: server_addr,
        }];
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            struct Ready(mpsc::Sender<()>);
            impl Write for Ready {
                fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                    let _ = self.0.send(());
                    Ok(b.len())
                }
                fn flush(&mut self) -> std::io::Result<()> {
                    Ok(())
                }
            }
            run(&routes, &imp, Duration::from_secs(3), None, &mut Ready(tx)).unwrap()
        });
        rx.recv_timeout(Duration::from_secs(2)).unwrap();
        probe
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let t = Instant::now();
        probe.send_to(b"ping", listen).unwrap();
        let mut b = [0u8; 16];
        let n = probe.recv(&mut b).unwrap();
        assert_eq!(&b[..n], b"ping");
        assert!(t.elapsed() >= ms(60), "{:?}", t.elapsed());
    }
}
