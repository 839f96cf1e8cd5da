//! A scripted mode 7 responder (`ntpkit-lab mode7-responder`): answers ntpdc's requests from a
//! JSON script, so the client side of requests a real ntpd no longer answers (`monlist`,
//! disabled since CVE-2013-5211) can be tested. Response layouts are written here from the
//! protocol notes (§7.1, §7.3, §7.5 `info_monitor_1`, `info_monitor`, `old_info_monitor`),
//! independently of ntpkit's own codec.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// What the responder answers to one request code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mode7Answer {
    /// The request code (`REQ_MON_GETLIST_1` = 42, `REQ_MON_GETLIST` = 20, …).
    pub request: u8,
    /// Error code to answer with (0 = data).
    #[serde(default)]
    pub error: u8,
    /// Item layout: `monitor_1`, `monitor` or `old_monitor`; full (IPv6-capable) size when
    /// `full`, else the pre-IPv6 size.
    #[serde(default)]
    pub layout: String,
    /// Full-size items (default) or the v4 size.
    #[serde(default = "yes")]
    pub full: bool,
    /// The entries.
    #[serde(default)]
    pub entries: Vec<MonitorEntry>,
}

fn yes() -> bool {
    true
}

/// One monitor list entry; each layout takes the fields it has.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MonitorEntry {
    /// Client address.
    pub addr: IpAddr,
    /// Local address (`monitor_1` only).
    pub daddr: IpAddr,
    /// Client port.
    pub port: u16,
    /// Mode of the last packet.
    pub mode: u8,
    /// Version of the last packet.
    pub version: u8,
    /// Packets counted.
    pub count: u32,
    /// Restriction bits.
    pub restr: u32,
    /// Average interval (s) — `lasttime` in `old_monitor`.
    pub avg_int: u32,
    /// Last interval (s) — `firsttime` in `old_monitor`.
    pub last_int: u32,
}

/// A script: the answers by request code. Requests without an answer get `INFO_ERR_REQ`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Mode7Script {
    /// The answers.
    pub answers: Vec<Mode7Answer>,
}

fn v4(addr: IpAddr) -> [u8; 4] {
    match addr {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(_) => [0; 4],
    }
}

fn v6(addr: IpAddr) -> [u8; 16] {
    match addr {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(_) => [0; 16],
    }
}

/// One entry in `layout`, full or v4 size (notes §7.5 offsets).
pub fn encode_entry(layout: &str, full: bool, e: &MonitorEntry) -> anyhow::Result<Vec<u8>> {
    let is6 = e.addr.is_ipv6();
    let mut b = Vec::new();
    match layout {
        "monitor_1" => {
            for v in [e.avg_int, e.last_int, e.restr, e.count] {
                b.extend(v.to_be_bytes());
            }
            b.extend(v4(e.addr));
            b.extend(v4(e.daddr));
            b.extend(0_u32.to_be_bytes()); // flags
            b.extend(e.port.to_be_bytes());
            b.extend([e.mode, e.version]);
            if full {
                b.extend(u32::from(is6).to_le_bytes()); // v6_flag, host order
                b.extend([0; 4]);
                b.extend(v6(e.addr));
                b.extend(v6(e.daddr));
            }
        }
        "monitor" => {
            for v in [e.avg_int, e.last_int, e.restr, e.count] {
                b.extend(v.to_be_bytes());
            }
            b.extend(v4(e.addr));
            b.extend(e.port.to_be_bytes());
            b.extend([e.mode, e.version]);
            if full {
                b.extend(u32::from(is6).to_le_bytes());
                b.extend([0; 4]);
                b.extend(v6(e.addr));
            }
        }
        "old_monitor" => {
            for v in [e.avg_int, e.last_int, e.count] {
                b.extend(v.to_be_bytes());
            }
            b.extend(v4(e.addr));
            b.extend(e.port.to_be_bytes());
            b.extend([e.mode, e.version]);
            if full {
                b.extend(u32::from(is6).to_le_bytes());
                b.extend(v6(e.addr));
            }
        }
        other => bail!("unknown layout '{other}'"),
    }
    Ok(b)
}

/// The response datagrams to `request` under `script` (none for a datagram that is not a
/// mode 7 request).
pub fn respond(script: &Mode7Script, request: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    let [first, _, implementation, code, ..] = request else {
        return Ok(Vec::new());
    };
    if first & 0x07 != 7 || first & 0x80 != 0 {
        return Ok(Vec::new());
    }
    let vn = (first >> 3) & 0x07;
    let header = |more: bool, seq: u8, err: u8, nitems: usize, size: usize| -> [u8; 8] {
        let rm = 0x80 | if more { 0x40 } else { 0 } | (vn << 3) | 7;
        let n = u16::try_from(nitems).unwrap_or(0) & 0x0fff | (u16::from(err) << 12);
        let s = u16::try_from(size).unwrap_or(0) & 0x0fff;
        let [n0, n1] = n.to_be_bytes();
        let [s0, s1] = s.to_be_bytes();
        [rm, seq, *implementation, *code, n0, n1, s0, s1]
    };
    let Some(answer) = script.answers.iter().find(|a| a.request == *code) else {
        return Ok(vec![header(false, 0, 2, 0, 0).to_vec()]);
    };
    if answer.error != 0 || answer.entries.is_empty() {
        let err = if answer.error == 0 { 4 } else { answer.error };
        return Ok(vec![header(false, 0, err, 0, 0).to_vec()]);
    }
    let items: Vec<Vec<u8>> = answer
        .entries
        .iter()
        .map(|e| encode_entry(&answer.layout, answer.full, e))
        .collect::<anyhow::Result<_>>()?;
    let size = items.first().map_or(0, Vec::len);
    let per = (500 / size.max(1)).max(1);
    let chunks: Vec<&[Vec<u8>]> = items.chunks(per).collect();
    let mut out = Vec::new();
    for (seq, chunk) in chunks.iter().enumerate() {
        let more = seq + 1 < chunks.len();
        let seq = u8::try_from(seq).context("more than 128 fragments")?;
        let mut d = header(more, seq, 0, chunk.len(), size).to_vec();
        for item in *chunk {
            d.extend(item);
        }
        out.push(d);
    }
    Ok(out)
}

/// Serves `script` on `listen` until `lifetime` passes; prints `ready <addr>` first.
pub fn run(
    listen: SocketAddr,
    script: &Mode7Script,
    lifetime: Duration,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let sock = UdpSocket::bind(listen).with_context(|| format!("cannot bind {listen}"))?;
    writeln!(out, "ready {}", sock.local_addr()?)?;
    out.flush()?;
    let end = Instant::now() + lifetime;
    let mut buf = [0_u8; 2048];
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        for reply in respond(script, buf.get(..n).unwrap_or_default())? {
            sock.send_to(&reply, from)?;
        }
    }
    Ok(())
}

/// A responder running in a lab namespace; stopped when dropped.
#[derive(Debug)]
pub struct Mode7Responder {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Mode7Responder {
    /// Starts `bin mode7-responder` in `netns` on `listen` (port 0: any) with `script`.
    pub(crate) fn start(
        bin: &Path,
        netns: &str,
        listen: SocketAddr,
        script: &Mode7Script,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        // One file per responder: tests of one binary start responders concurrently, and a
        // name shared by the process let one test's script replace another's.
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!("mode7-script-{}-{n}.json", std::process::id()));
        std::fs::write(&path, serde_json::to_vec(script)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut child = Command::new("ip")
            .args(["netns", "exec", netns])
            .arg(bin)
            .arg("mode7-responder")
            .arg(format!("--listen={listen}"))
            .arg(format!("--script={}", path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        let stdout = child.stdout.take().context("responder has no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        match line.trim().strip_prefix("ready ").map(str::parse) {
            Some(Ok(addr)) => Ok(Self { child, addr }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("mode 7 responder did not start: '{}'", line.trim())
            }
        }
    }
}

impl Drop for Mode7Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> MonitorEntry {
        MonitorEntry {
            addr: "203.0.113.5".parse().unwrap(),
            daddr: "192.0.2.1".parse().unwrap(),
            port: 50123,
            mode: 3,
            version: 4,
            count: 1234,
            restr: 0x40,
            avg_int: 64,
            last_int: 3,
        }
    }

    #[test]
    fn layouts_have_the_notes_sizes() {
        for (layout, full, size) in [
            ("monitor_1", true, 72),
            ("monitor_1", false, 32),
            ("monitor", true, 48),
            ("monitor", false, 24),
            ("old_monitor", true, 40),
            ("old_monitor", false, 20),
        ] {
            assert_eq!(
                encode_entry(layout, full, &entry()).unwrap().len(),
                size,
                "{layout}"
            );
        }
    }

    #[test]
    fn fragments_carry_at_most_500_octets() {
        let script = Mode7Script {
            answers: vec![Mode7Answer {
                request: 42,
                error: 0,
                layout: "monitor_1".into(),
                full: true,
                entries: vec![entry(); 20],
            }],
        };
        let mut request = vec![0x17, 0, 3, 42, 0, 0, 0, 0];
        request.resize(192, 0);
        let replies = respond(&script, &request).unwrap();
        // floor(500 / 72) = 6 items a fragment: 6, 6, 6, 2.
        assert_eq!(replies.len(), 4);
        assert_eq!(&replies[0][..8], &[0xd7, 0, 3, 42, 0, 6, 0, 72]);
        assert_eq!(&replies[3][..8], &[0x97, 3, 3, 42, 0, 2, 0, 72]);
        assert_eq!(replies[3].len(), 8 + 2 * 72);
        let unknown = respond(&script, &[0x17, 0, 3, 20, 0, 0, 0, 0]).unwrap();
        assert_eq!(unknown, vec![vec![0x97, 0, 3, 20, 0x20, 0, 0, 0]]);
    }
}
