//! A scripted, misbehaving NTP server for client sanity tests: kiss-o'-death codes, leap 11, bad strata,
//! zero or inconsistent timestamps, spoofed origins, huge root distances, bad MACs, shifted clocks.
//!
//! The script is a comma-separated list of [`Step`]s, one per request received (the last one repeats):
//! `ok`, `offset:S`, `rate:PPM`, `kod:CODE`, `leap3`, `stratum:N`, `refid:A.B.C.D`, `xmt-zero`, `rec-zero`,
//! `xmt-before-rec`, `spoof`, `spoof+ok`, `spoof-addr`, `rootdist:S`, `stale-ref`, `badmac`, `nomac`,
//! `mac-keyid`, `mac-len`, `silent`; mode 6 and mode 7 requests follow scripts of their own
//! ([`crate::hostile`]). Every request is
//! logged on stdout as `request <n> <from> <hex>` so tests can count what a client sent.
//!
//! [`run`] is the socket loop (`ntpkit-lab ntp-responder`); [`Responder`] is the handle tests get from
//! `Lab::ntp_responder`: it listens on port 123 of its own address pair in the relay namespace.

use std::io::{BufRead as _, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use md5::{Digest as _, Md5};

use crate::hostile::{self, ControlStep, Outgoing, PrivateStep};
use crate::process::{self, ProcId};
use crate::topology::Host;

/// Seconds from the NTP era 0 epoch (1900) to the Unix epoch.
const JAN_1970: u64 = 2_208_988_800;

/// What the responder does with one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// A correct stratum-2 reply from this machine's clock.
    Ok,
    /// A correct reply from a clock shifted by this many seconds (a scripted falseticker).
    Offset(f64),
    /// A correct reply from a clock that runs this many ppm fast (its offset grows from zero at the
    /// responder's start): for drift measurements.
    Rate(f64),
    /// A kiss-o'-death: LI 3, stratum 0, the code as refid (`RATE`, `DENY`, `RSTR`, …).
    Kiss(String),
    /// LI 3 (unsynchronized) with an ordinary stratum.
    Leap3,
    /// This wire stratum (0 with LI 0 is not a KoD; 16 is "unsynchronized").
    Stratum(u8),
    /// A correct stratum-2 reply with these four refid octets instead of `10.77.0.1` (for example the
    /// hash an IPv6 upstream gives, or an address where nothing answers).
    Refid([u8; 4]),
    /// Transmit timestamp zero.
    ZeroTransmit,
    /// Receive timestamp zero.
    ZeroReceive,
    /// Transmit 10 s before receive: inconsistent timestamps (negative delay).
    TransmitBeforeReceive,
    /// Only a reply whose origin is not the request's transmit time (spoofed or stale).
    Spoof,
    /// A spoofed reply first, then the correct one.
    SpoofThenOk,
    /// A correct reply claiming this root dispersion (seconds) and as much root delay.
    RootDistance(f64),
    /// A correct reply whose reference time is two days old.
    StaleReference,
    /// A reply whose MAC does not verify (the key ID of the request, a digest of other octets).
    BadMac,
    /// A correct reply without a MAC, even to an authenticated request.
    NoMac,
    /// A correct reply signed (correctly) under key ID 99 instead of the request's.
    MacWrongKeyId,
    /// A correct reply whose digest is cut to 10 octets.
    MacWrongLength,
    /// A correct reply, sent from another address than the one asked (a spoofed source).
    SpoofAddress,
    /// No reply at all.
    Silent,
}

impl FromStr for Step {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let num = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| format!("bad number '{v}' in step '{s}'"))
        };
        Ok(match s.split_once(':') {
            Some(("offset", v)) => Self::Offset(num(v)?),
            Some(("rate", v)) => Self::Rate(num(v)?),
            Some(("kod", code)) if (1..=4).contains(&code.len()) && code.is_ascii() => {
                Self::Kiss(code.to_owned())
            }
            Some(("stratum", v)) => {
                Self::Stratum(v.parse().map_err(|_| format!("bad stratum '{v}'"))?)
            }
            Some(("rootdist", v)) => Self::RootDistance(num(v)?),
            Some(("refid", v)) => Self::Refid(
                v.parse::<std::net::Ipv4Addr>()
                    .map_err(|_| format!("bad refid '{v}' (a dotted quad)"))?
                    .octets(),
            ),
            Some(_) => return Err(format!("unknown step '{s}'")),
            None => match s {
                "ok" => Self::Ok,
                "leap3" => Self::Leap3,
                "xmt-zero" => Self::ZeroTransmit,
                "rec-zero" => Self::ZeroReceive,
                "xmt-before-rec" => Self::TransmitBeforeReceive,
                "spoof" => Self::Spoof,
                "spoof+ok" => Self::SpoofThenOk,
                "spoof-addr" => Self::SpoofAddress,
                "stale-ref" => Self::StaleReference,
                "badmac" => Self::BadMac,
                "nomac" => Self::NoMac,
                "mac-keyid" => Self::MacWrongKeyId,
                "mac-len" => Self::MacWrongLength,
                "silent" => Self::Silent,
                _ => return Err(format!("unknown step '{s}'")),
            },
        })
    }
}

/// Parses a script: comma-separated steps.
pub fn parse_script(s: &str) -> Result<Vec<Step>, String> {
    let steps: Vec<Step> = s
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if steps.is_empty() {
        return Err("empty script".to_owned());
    }
    Ok(steps)
}

/// An NTP timestamp (era 0) from a Unix time in seconds.
fn ntp_bytes(unix: f64) -> [u8; 8] {
    let secs = unix.floor();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "test times are positive and well inside era 0"
    )]
    let (s, f) = (
        (secs as u64 + JAN_1970) as u32,
        ((unix - secs) * 4_294_967_296.0) as u32,
    );
    let mut b = [0; 8];
    b[..4].copy_from_slice(&s.to_be_bytes());
    b[4..].copy_from_slice(&f.to_be_bytes());
    b
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The MD5 key the responder signs with: `(key ID, secret)`.
pub type Md5Key = (u32, Vec<u8>);

/// The replies to one request (none, one or two datagrams) under `step`. `received` is the Unix time
/// the request arrived, `started` the Unix time the responder started.
pub fn replies(
    step: &Step,
    request: &[u8],
    received: f64,
    started: f64,
    key: Option<&Md5Key>,
) -> Vec<Vec<u8>> {
    let Some(head) = request.get(..48) else {
        return Vec::new();
    };
    let version = (head[0] >> 3) & 7;
    let mut origin = [0; 8];
    origin.copy_from_slice(&head[40..48]);
    let shift = match step {
        Step::Offset(s) => *s,
        Step::Rate(ppm) => (received - started) * ppm * 1e-6,
        _ => 0.0,
    };
    let mut p = [0_u8; 48];
    let (leap, stratum) = match step {
        Step::Kiss(_) => (3, 0),
        Step::Leap3 => (3, 2),
        Step::Stratum(s) => (0, *s),
        _ => (0, 2),
    };
    p[0] = (leap << 6) | (version << 3) | 4;
    p[1] = stratum;
    p[2] = head[2];
    p[3] = (-20_i8).to_be_bytes()[0];
    // Root delay 1 ms, root dispersion 2 ms, unless the step says otherwise.
    let (delay, disp) = match step {
        Step::RootDistance(s) => (*s, *s),
        _ => (0.001, 0.002),
    };
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "scripted values are small and positive"
    )]
    let short = |v: f64| ((v * 65536.0) as u32).to_be_bytes();
    p[4..8].copy_from_slice(&short(delay));
    p[8..12].copy_from_slice(&short(disp));
    match step {
        Step::Kiss(code) => {
            let mut id = [0; 4];
            id[..code.len()].copy_from_slice(code.as_bytes());
            p[12..16].copy_from_slice(&id);
        }
        Step::Refid(octets) => p[12..16].copy_from_slice(octets),
        _ => p[12..16].copy_from_slice(&[10, 77, 0, 1]),
    }
    let now = received + shift;
    let reference = match step {
        Step::StaleReference => now - 2.0 * 86_400.0,
        _ => now - 1.0,
    };
    p[16..24].copy_from_slice(&ntp_bytes(reference));
    p[24..32].copy_from_slice(&origin);
    p[32..40].copy_from_slice(&ntp_bytes(now));
    let transmit = unix_now() + shift;
    p[40..48].copy_from_slice(&ntp_bytes(transmit));
    match step {
        Step::ZeroTransmit => p[40..48].fill(0),
        Step::ZeroReceive => p[32..40].fill(0),
        Step::TransmitBeforeReceive => p[40..48].copy_from_slice(&ntp_bytes(now - 10.0)),
        _ => {}
    }
    // The request's key ID, if it carried a MAC.
    let asked = request
        .get(48..52)
        .filter(|_| request.len() > 52)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let sign = |p: &[u8; 48], corrupt: bool| -> Vec<u8> {
        let mut out = p.to_vec();
        if let Some(id) = asked {
            let digest = match key {
                Some((kid, secret)) if *kid == id && !corrupt => {
                    Md5::new().chain_update(secret).chain_update(p).finalize()
                }
                // A digest of something else: the right length, the wrong value.
                _ => Md5::new()
                    .chain_update(b"not the key")
                    .chain_update(p)
                    .finalize(),
            };
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&digest);
        }
        out
    };
    let spoofed = || {
        let mut s = p;
        s[31] ^= 0x55;
        s[30] ^= 0x01;
        sign(&s, false)
    };
    match step {
        Step::Silent => Vec::new(),
        Step::Spoof => vec![spoofed()],
        Step::SpoofThenOk => vec![spoofed(), sign(&p, false)],
        Step::BadMac => vec![sign(&p, true)],
        Step::NoMac => vec![p.to_vec()],
        Step::MacWrongKeyId => {
            let mut out = sign(&p, false);
            if out.len() > 48 {
                out[48..52].copy_from_slice(&99_u32.to_be_bytes());
            }
            vec![out]
        }
        Step::MacWrongLength => {
            let mut out = sign(&p, false);
            if out.len() > 48 {
                out.truncate(48 + 4 + 10);
            }
            vec![out]
        }
        _ => vec![sign(&p, false)],
    }
}

/// The scripts of a responder: one per protocol, each with its own request counter.
#[derive(Debug, Clone)]
pub struct Scripts {
    /// Modes 3/4.
    pub ntp: Vec<Step>,
    /// Mode 6 (default: silent).
    pub control: Vec<ControlStep>,
    /// Mode 7 (default: silent).
    pub private: Vec<PrivateStep>,
}

/// Which protocol a request speaks: 0 modes 1–5, 1 mode 6, 2 mode 7.
fn protocol(request: &[u8]) -> usize {
    match request.first().map(|b| b & 7) {
        Some(6) => 1,
        Some(7) => 2,
        _ => 0,
    }
}

fn nth<T: Copy>(steps: &[T], index: u64) -> Option<T> {
    let i = usize::try_from(index).unwrap_or(usize::MAX);
    steps.get(i).or_else(|| steps.last()).copied()
}

/// Answers requests on `listen` by `scripts` until `lifetime` passes or `parent` exits; logs each
/// request on `out`. Spoofed replies go out from a socket on `spoof_from` of the request's
/// family (port 0), another address of the responder's host.
pub fn run(
    listen: &[SocketAddr],
    scripts: &Scripts,
    key: Option<&Md5Key>,
    spoof_from: &[std::net::IpAddr],
    lifetime: Duration,
    parent: Option<ProcId>,
    out: &mut impl Write,
) -> anyhow::Result<u64> {
    let sockets: Vec<UdpSocket> = listen
        .iter()
        .map(|a| {
            let s = UdpSocket::bind(a).with_context(|| format!("cannot bind {a}"))?;
            s.set_nonblocking(true).context("cannot set non-blocking")?;
            Ok(s)
        })
        .collect::<anyhow::Result<_>>()?;
    let spoofers: Vec<UdpSocket> = spoof_from
        .iter()
        .map(|ip| {
            UdpSocket::bind(SocketAddr::new(*ip, 0))
                .with_context(|| format!("cannot bind spoofing socket on {ip}"))
        })
        .collect::<anyhow::Result<_>>()?;
    writeln!(out, "ready")?;
    out.flush()?;
    let t0 = Instant::now();
    let started = unix_now();
    let mut count: u64 = 0;
    let mut per_protocol = [0_u64; 3];
    let mut buf = [0_u8; 2048];
    let mut last_check = Instant::now();
    while t0.elapsed() < lifetime {
        if last_check.elapsed() > Duration::from_millis(500) {
            if parent.is_some_and(|p| !p.alive()) {
                break;
            }
            last_check = Instant::now();
        }
        let mut idle = true;
        for sock in &sockets {
            let (len, from) = match sock.recv_from(&mut buf) {
                Ok(got) => got,
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock
                            | ErrorKind::ConnectionRefused
                            | ErrorKind::ConnectionReset
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(e).context("recv failed"),
            };
            let received = unix_now();
            idle = false;
            let request = &buf[..len];
            let proto = protocol(request);
            let index = per_protocol[proto];
            per_protocol[proto] += 1;
            count += 1;
            let hex: String = request.iter().map(|b| format!("{b:02x}")).collect();
            writeln!(out, "request {count} {from} {hex}")?;
            out.flush()?;
            let local = sock.local_addr()?.ip().to_string();
            let outgoing: Vec<Outgoing> = match proto {
                1 => nth(&scripts.control, index).map_or_else(Vec::new, |step| {
                    let key = key.map(|(id, secret)| (*id, secret.as_slice()));
                    hostile::control_replies(step, request, key, &local)
                }),
                2 => nth(&scripts.private, index)
                    .map_or_else(Vec::new, |step| hostile::private_replies(step, request)),
                _ => {
                    let step = nth_step(&scripts.ntp, index);
                    let spoof = step == Step::SpoofAddress;
                    replies(&step, request, received, started, key)
                        .into_iter()
                        .map(|data| Outgoing {
                            data,
                            spoofed_source: spoof,
                        })
                        .collect()
                }
            };
            for reply in outgoing {
                if reply.spoofed_source {
                    let spoofer = spoofers
                        .iter()
                        .find(|s| s.local_addr().is_ok_and(|a| a.is_ipv4() == from.is_ipv4()));
                    if let Some(s) = spoofer {
                        let _ = s.send_to(&reply.data, from);
                    }
                } else {
                    let _ = sock.send_to(&reply.data, from);
                }
            }
        }
        if idle {
            thread::sleep(Duration::from_micros(200));
        }
    }
    Ok(count)
}

fn nth_step(steps: &[Step], index: u64) -> Step {
    let i = usize::try_from(index).unwrap_or(usize::MAX);
    steps
        .get(i)
        .or_else(|| steps.last())
        .cloned()
        .unwrap_or(Step::Silent)
}

/// The scripts a responder is started with, as text: modes 3/4 ([`Step`]s), mode 6
/// ([`ControlStep`]s) and mode 7 ([`PrivateStep`]s); an empty mode 6 or mode 7 script is silent.
#[derive(Debug, Clone, Copy)]
pub struct ScriptText<'a> {
    /// Modes 3/4.
    pub ntp: &'a str,
    /// Mode 6.
    pub control: &'a str,
    /// Mode 7.
    pub private: &'a str,
}

fn check<T: FromStr<Err = String>>(text: &str) -> Result<(), String> {
    hostile::parse_steps::<T>(text).map(drop)
}

/// A running scripted responder on port 123 of its own address pair in the relay namespace. Dropping it
/// stops it and gives the addresses back.
#[derive(Debug)]
pub struct Responder {
    child: Option<Child>,
    netns: String,
    /// IPv4 address to query.
    pub v4: SocketAddr,
    /// IPv6 address to query.
    pub v6: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    /// Its log (errors, if any).
    pub log: PathBuf,
}

impl Responder {
    /// Starts a responder in `host`'s namespace (the relay host) with `script`.
    pub(crate) fn start(
        bin: &Path,
        host: &Host,
        script: &ScriptText<'_>,
        key: Option<&Md5Key>,
        lifetime: Duration,
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        parse_script(script.ntp).map_err(|e| anyhow::anyhow!("{e}"))?;
        for (text, parse) in [
            (
                script.control,
                check::<ControlStep> as fn(&str) -> Result<(), String>,
            ),
            (script.private, check::<PrivateStep>),
        ] {
            if !text.is_empty() {
                parse(text).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        let ns = host.netns.as_str();
        let index = host.v4.octets()[3];
        // Claim a free address pair from the top of the range (relays claim from the bottom): `ip addr
        // add` fails if someone else holds it.
        let mut claimed = None;
        for n in (100..=250u8).rev() {
            let v4 = crate::topology::v4(index, n);
            let add4 = ["-n", ns, "addr", "add", &format!("{v4}/16"), "dev", "eth0"];
            if process::run("ip", &add4).is_ok() {
                let v6 = crate::topology::v6(index, n);
                let add6 = [
                    "-n",
                    ns,
                    "addr",
                    "add",
                    &format!("{v6}/64"),
                    "dev",
                    "eth0",
                    "nodad",
                ];
                process::run("ip", &add6)?;
                claimed = Some((n, v4, v6));
                break;
            }
        }
        let Some((n, v4, v6)) = claimed else {
            bail!("no free responder address in {ns}")
        };
        let log = log_dir.join(format!("responder-{n}.log"));
        let mut me = Self {
            child: None,
            netns: ns.to_owned(),
            v4: SocketAddr::new(v4.into(), 123),
            v6: SocketAddr::new(v6.into(), 123),
            requests: Arc::default(),
            log: log.clone(),
        };
        let err = std::fs::File::create(&log)
            .with_context(|| format!("cannot write {}", log.display()))?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns])
            .arg(bin)
            .arg("ntp-responder")
            .arg(format!("--listen={}", me.v4))
            .arg(format!("--listen={}", me.v6))
            .arg(format!("--script={}", script.ntp))
            .arg(format!("--spoof-from={}", host.v4))
            .arg(format!("--spoof-from={}", host.v6))
            .arg(format!("--lifetime-s={}", lifetime.as_secs_f64()))
            .arg(format!("--own-addr={v4}/16"))
            .arg(format!("--own-addr={v6}/64"))
            .arg(format!("--parent={}", std::process::id()));
        if !script.control.is_empty() {
            cmd.arg(format!("--control-script={}", script.control));
        }
        if !script.private.is_empty() {
            cmd.arg(format!("--private-script={}", script.private));
        }
        if let Some((id, secret)) = key {
            cmd.arg(format!(
                "--md5-key={id}={}",
                String::from_utf8_lossy(secret)
            ));
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        let stdout = child.stdout.take().context("responder has no stdout")?;
        me.child = Some(child);
        let (tx, rx) = mpsc::channel();
        let requests = Arc::clone(&me.requests);
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let _ = tx.send(lines.next().unwrap_or_default());
            for line in lines {
                if let Ok(mut r) = requests.lock() {
                    r.push(line);
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.trim() == "ready" => Ok(me),
            _ => bail!(
                "responder did not start: {}; see {}",
                process::tail(&log, 1),
                log.display()
            ),
        }
    }

    /// The requests received, once the log has been quiet for 150 ms (at most 3 s): the log
    /// reaches this process through a pipe, so a client that just exited may have sent
    /// requests not read yet.
    pub fn settled_requests(&self) -> Vec<Vec<u8>> {
        let start = Instant::now();
        let mut seen = self.requests().len();
        let mut quiet_since = Instant::now();
        while start.elapsed() < Duration::from_secs(3) {
            thread::sleep(Duration::from_millis(25));
            let now = self.requests().len();
            if now != seen {
                seen = now;
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() >= Duration::from_millis(150) {
                break;
            }
        }
        self.requests()
    }

    /// The requests received so far, in order, as raw datagrams.
    pub fn requests(&self) -> Vec<Vec<u8>> {
        let lines = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        lines
            .iter()
            .filter_map(|l| l.split_whitespace().nth(3))
            .map(|hex| {
                (0..hex.len() / 2)
                    .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
                    .collect()
            })
            .collect()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for (a, len) in [(self.v4.ip(), 16), (self.v6.ip(), 64)] {
            let cidr = format!("{a}/{len}");
            let _ = process::run(
                "ip",
                &["-n", &self.netns, "addr", "del", &cidr, "dev", "eth0"],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(mac: bool) -> Vec<u8> {
        let mut r = vec![0_u8; 48];
        r[0] = 0xe3;
        r[2] = 3;
        r[40..48].copy_from_slice(&[0xe4, 1, 2, 3, 4, 5, 6, 7]);
        if mac {
            r.extend_from_slice(&1_u32.to_be_bytes());
            r.extend_from_slice(&[0; 16]);
        }
        r
    }

    #[test]
    fn scripts_parse() {
        assert_eq!(
            parse_script("kod:RATE, ok,offset:-0.25,stratum:16").unwrap(),
            vec![
                Step::Kiss("RATE".into()),
                Step::Ok,
                Step::Offset(-0.25),
                Step::Stratum(16)
            ]
        );
        assert!(parse_script("").is_err());
        assert!(parse_script("kod:TOOLONG").is_err());
        assert!(parse_script("offset:x").is_err());
        assert!(parse_script("dance").is_err());
        assert_eq!(
            parse_script("refid:242.209.136.1").unwrap(),
            vec![Step::Refid([242, 209, 136, 1])]
        );
        assert!(parse_script("refid:fd77::1").is_err());
    }

    #[test]
    fn replies_follow_the_step() {
        let now = 1_800_000_000.0;
        let key: Md5Key = (1, b"secret".to_vec());
        let one =
            |step: &Step, mac: bool| replies(step, &request(mac), now, now - 100.0, Some(&key));
        let ok = one(&Step::Ok, false).remove(0);
        assert_eq!(ok.len(), 48);
        assert_eq!(&ok[12..16], &[10, 77, 0, 1]);
        let refid = one(&Step::Refid([242, 209, 136, 1]), false).remove(0);
        assert_eq!((refid[1], &refid[12..16]), (2, &[242, 209, 136, 1][..]));
        assert_eq!(ok[0], 0x24, "LI 0, the request's version, mode 4");
        assert_eq!(&ok[24..32], &request(false)[40..48], "origin echoes xmt");
        let kod = one(&Step::Kiss("RATE".into()), false).remove(0);
        assert_eq!((kod[0] >> 6, kod[1], &kod[12..16]), (3, 0, &b"RATE"[..]));
        assert_eq!(one(&Step::Silent, false), Vec::<Vec<u8>>::new());
        let two = one(&Step::SpoofThenOk, false);
        assert_eq!(two.len(), 2);
        assert_ne!(&two[0][24..32], &two[1][24..32]);
        assert_eq!(&one(&Step::ZeroTransmit, false)[0][40..48], &[0; 8]);
        let signed = one(&Step::Ok, true).remove(0);
        assert_eq!(signed.len(), 68);
        let good = Md5::new()
            .chain_update(b"secret")
            .chain_update(&signed[..48])
            .finalize();
        assert_eq!(&signed[52..], good.as_slice());
        let bad = one(&Step::BadMac, true).remove(0);
        assert_ne!(&bad[52..], good.as_slice());
        assert_eq!(one(&Step::NoMac, true)[0].len(), 48);
        let keyid = one(&Step::MacWrongKeyId, true).remove(0);
        assert_eq!((&keyid[48..52], keyid.len()), (&[0, 0, 0, 99][..], 68));
        let short = one(&Step::MacWrongLength, true).remove(0);
        assert_eq!((&short[48..52], short.len()), (&[0, 0, 0, 1][..], 62));
        assert!(parse_script("spoof-addr,mac-keyid,mac-len").is_ok());
        let ahead = one(&Step::Offset(2.5), false).remove(0);
        let secs = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        assert!(secs(&ahead[32..36]) >= secs(&ok[32..36]) + 2);
        // 1e4 ppm for 100 s: one second ahead.
        let fast = one(&Step::Rate(1e4), false).remove(0);
        assert_eq!(secs(&fast[32..36]), secs(&ok[32..36]) + 1);
    }
}
