//! Raw UDP exchanges from inside a lab namespace (`ntpkit-lab probe`): send one datagram, print the
//! replies with their arrival times. Tests use it through `Lab::udp_exchange` to send hand-built packets.

use std::fmt::Write as _;
use std::io::{ErrorKind, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// One datagram received in reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Who sent it.
    pub from: SocketAddr,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Time from sending the request until it arrived.
    pub after: Duration,
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Bytes of a hex string (whitespace ignored).
pub fn from_hex(text: &str) -> anyhow::Result<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        bail!("odd number of hex digits");
    }
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).context("not hex")?;
            u8::from_str_radix(s, 16).with_context(|| format!("bad hex '{s}'"))
        })
        .collect()
}

/// Sends `request` to `to` (from `from`, or any local address) and writes one line per reply,
/// `reply <micros> <from> <hex>`, until `count` replies or `timeout`. Returns the number of replies.
pub fn run(
    to: SocketAddr,
    from: Option<SocketAddr>,
    request: &[u8],
    count: usize,
    timeout: Duration,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let local = from.unwrap_or_else(|| {
        let ip: IpAddr = if to.is_ipv4() {
            Ipv4Addr::UNSPECIFIED.into()
        } else {
            Ipv6Addr::UNSPECIFIED.into()
        };
        SocketAddr::new(ip, 0)
    });
    let sock = UdpSocket::bind(local).with_context(|| format!("cannot bind {local}"))?;
    let t0 = Instant::now();
    sock.send_to(request, to)
        .with_context(|| format!("cannot send to {to}"))?;
    let mut buf = vec![0u8; 65_536];
    let mut got = 0;
    while got < count {
        let left = timeout.saturating_sub(t0.elapsed());
        if left.is_zero() {
            break;
        }
        sock.set_read_timeout(Some(left))
            .context("cannot set a timeout")?;
        match sock.recv_from(&mut buf) {
            Ok((n, peer)) => {
                got += 1;
                let micros = t0.elapsed().as_micros();
                writeln!(
                    out,
                    "reply {micros} {peer} {}",
                    to_hex(buf.get(..n).unwrap_or_default())
                )
                .context("cannot write")?;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                writeln!(out, "refused {}", t0.elapsed().as_micros()).context("cannot write")?;
                break;
            }
            Err(e) => return Err(e).context("recv failed"),
        }
    }
    Ok(got)
}

/// Runs `ntpkit-lab probe` with `command` (the lab binary, placed in some namespace): one
/// datagram to `to`, up to `replies` replies within `timeout`.
///
/// # Panics
/// If the probe cannot run.
#[track_caller]
pub(crate) fn exchange(
    mut command: crate::exec::LabCommand,
    to: SocketAddr,
    request: &[u8],
    replies: usize,
    timeout: Duration,
) -> Vec<Datagram> {
    let out = command
        .arg("probe")
        .arg(format!("--to={to}"))
        .arg(format!("--hex={}", to_hex(request)))
        .arg(format!("--count={replies}"))
        .arg(format!("--timeout-ms={}", timeout.as_millis()))
        .timeout(timeout + Duration::from_secs(10))
        .run();
    assert!(
        out.code.is_some() && !out.timed_out,
        "ntpkit-lab probe failed:\n{out}"
    );
    parse_replies(&out.stdout)
}

/// Parses the `reply` lines of [`run`].
pub fn parse_replies(text: &str) -> Vec<Datagram> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.strip_prefix("reply ")?.split(' ');
            let micros: u64 = f.next()?.parse().ok()?;
            let from = f.next()?.parse().ok()?;
            let data = from_hex(f.next().unwrap_or("")).ok()?;
            Some(Datagram {
                from,
                data,
                after: Duration::from_micros(micros),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = [0x16, 0x02, 0x00, 0x01, 0xff];
        assert_eq!(to_hex(&bytes), "16020001ff");
        assert_eq!(from_hex("16 02 00 01 ff").unwrap(), bytes);
        assert!(from_hex("abc").is_err());
        assert!(from_hex("zz").is_err());
    }

    #[test]
    fn probe_over_loopback_reports_replies() {
        let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut b = [0u8; 64];
            let (n, from) = echo.recv_from(&mut b).unwrap();
            echo.send_to(&b[..n], from).unwrap();
        });
        let mut out = Vec::new();
        let n = run(addr, None, b"\x16\x02", 1, Duration::from_secs(2), &mut out).unwrap();
        assert_eq!(n, 1);
        let replies = parse_replies(&String::from_utf8(out).unwrap());
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].data, b"\x16\x02");
        assert_eq!(replies[0].from, addr);
    }
}
