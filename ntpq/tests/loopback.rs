//! ntpq against scripted mode 6 servers on this machine's loopback (no lab needed): the debug
//! lines for spoofed, late, duplicate and undecodable datagrams, and the order and failures of
//! many hosts asked over one socket.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::thread;
use std::time::Duration;

use ntpkit::control::{ControlHeader, ControlOpcode, ControlResponse, LeapIndicator};

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");

/// A response of `data` to the request `request`, in fragments.
fn answer(request: &[u8], data: &[u8]) -> Vec<Vec<u8>> {
    let h = ControlHeader::decode(request).unwrap();
    ControlResponse {
        opcode: h.opcode,
        sequence: h.sequence,
        assoc: h.assoc,
        status: 0x0615,
        leap: LeapIndicator::NoWarning,
        version: h.version,
        data: data.to_vec(),
        fragments: 0,
        authenticated: false,
    }
    .to_fragments(None)
    .unwrap()
}

/// Answers each request with a two-fragment `rv 0`, preceded by a copy from another address
/// (a spoofed source), a fragment with another sequence number (a late answer), a mode 4
/// datagram, and a duplicate of the first fragment.
/// The length of the last fragment the misbehaving server sends.
fn last_len() -> usize {
    12 + (rv_data().len() - 468).next_multiple_of(4)
}

/// A system variable list of two fragments (491 octets).
fn rv_data() -> String {
    format!("stratum=2, filler=\"{}\"", "x".repeat(471))
}

fn misbehaving_server() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let spoofer = UdpSocket::bind("127.0.0.2:0").unwrap();
    let addr = socket.local_addr().unwrap();
    let data = rv_data();
    thread::spawn(move || {
        let mut buf = [0_u8; 600];
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            let request = &buf[..len];
            let frags = answer(request, data.as_bytes());
            spoofer.send_to(&frags[0], from).unwrap();
            let mut late = frags[1].clone();
            late[3] = late[3].wrapping_sub(1);
            socket.send_to(&late, from).unwrap();
            socket.send_to(&[0x24; 48], from).unwrap();
            socket.send_to(&frags[0], from).unwrap();
            socket.send_to(&frags[0], from).unwrap();
            socket.send_to(&frags[1], from).unwrap();
        }
    });
    addr
}

#[test]
fn debug_lines_name_every_datagram_and_why_it_was_ignored() {
    let server = misbehaving_server();
    let out = Command::new(NTPQ)
        .args(["-n", "-d", "-c", "rv 0 stratum", &server.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    let port = server.port();
    assert!(
        lines[0].starts_with(&format!("sent 20 octets to 127.0.0.1:{port}: readvar seq=")),
        "{stderr}"
    );
    let has = |prefix: &str, rest: &str| {
        lines
            .iter()
            .any(|l| l.starts_with(prefix) && l.contains(rest))
    };
    assert!(
        has(
            "ignored 480 octets from 127.0.0.2:",
            "(a spoofed source?): readvar seq="
        ),
        "{stderr}"
    );
    assert!(
        has(
            &format!(
                "ignored {} octets from 127.0.0.1:{port}: readvar seq=",
                last_len()
            ),
            "matches no outstanding request (a late or duplicate answer)"
        ),
        "{stderr}"
    );
    assert!(
        has(
            &format!("ignored 48 octets from 127.0.0.1:{port}:"),
            "mode 4 is not a control message"
        ),
        "{stderr}"
    );
    assert!(
        has(
            &format!("ignored 480 octets from 127.0.0.1:{port}:"),
            "duplicate fragment at offset 0"
        ),
        "{stderr}"
    );
    assert!(
        has(
            &format!(
                "received {} octets from 127.0.0.1:{port}: readvar seq=",
                last_len()
            ),
            "status=0x0615 assoc=0 offset=468 count=23 R=1 E=0 M=0 VN=2"
        ),
        "{stderr}"
    );
    assert_eq!(
        lines.last(),
        Some(&"2 packets reassembled into response"),
        "{stderr}"
    );
    // Without -d: nothing on standard error.
    let quiet = Command::new(NTPQ)
        .args(["-n", "-c", "rv 0 stratum", &server.to_string()])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty());
    // `debug more` in the shell turns it on for the next command; hex dumps at level 2.
    let shell = Command::new(NTPQ)
        .args([
            "-n",
            "-c",
            "debug more",
            "-c",
            "debug more",
            "-c",
            "rv 0 stratum",
            &server.to_string(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(shell.stderr).unwrap();
    assert!(stderr.contains("\n  0000: 16 02 "), "{stderr}");
}

/// A server answering `rv 0 stratum` with `stratum=N` after `delay`, or never.
fn slow_server(stratum: u8, delay: Option<Duration>) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0_u8; 600];
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            let Some(delay) = delay else { continue };
            let request = buf[..len].to_vec();
            let socket = socket.try_clone().unwrap();
            thread::spawn(move || {
                thread::sleep(delay);
                for f in answer(&request, format!("stratum={stratum}").as_bytes()) {
                    socket.send_to(&f, from).unwrap();
                }
            });
        }
    });
    addr
}

#[test]
fn many_hosts_print_in_host_order_and_fail_alone() {
    // Later hosts answer sooner; one never answers, one does not resolve.
    let hosts: Vec<String> = vec![
        slow_server(1, Some(Duration::from_millis(300))).to_string(),
        slow_server(2, None).to_string(),
        slow_server(3, Some(Duration::from_millis(100))).to_string(),
        "no-such-host.invalid".to_owned(),
        slow_server(4, Some(Duration::ZERO)).to_string(),
    ];
    let t0 = std::time::Instant::now();
    let out = Command::new(NTPQ)
        .args(["-n", "-c", "timeout 700", "-c", "rv 0 stratum"])
        .args(&hosts)
        .output()
        .unwrap();
    let elapsed = t0.elapsed();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let want: String = [1, 3, 4]
        .iter()
        .zip([0, 2, 4])
        .map(|(n, i)| format!("server={} stratum={n}\n", hosts[i]))
        .collect::<Vec<_>>()
        .join("\n");
    let printed: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        printed,
        want.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>(),
        "{stderr}"
    );
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].starts_with(&format!("ntpq: {}: rv 0 stratum: no response", hosts[1])),
        "{stderr}"
    );
    assert!(
        errors[1].starts_with("ntpq: no-such-host.invalid: rv 0 stratum: cannot resolve host"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(3));
    // The silent host costs its two timeouts once, not once per host after it.
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

/// Associations for `peers`: READSTAT lists `count` peers; READVAR of each answers after a
/// delay that shrinks with the ID, so answers come back out of order.
fn peers_server(count: u16) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0_u8; 600];
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            let request = buf[..len].to_vec();
            let h = ControlHeader::decode(&request).unwrap();
            let data = match h.opcode {
                ControlOpcode::ReadStatus => (1..=count)
                    .flat_map(|id| [id.to_be_bytes(), 0x9614_u16.to_be_bytes()].concat())
                    .collect::<Vec<u8>>(),
                _ => format!(
                    "srcadr=10.77.{}.{}, srcport=123, dstadr=10.77.0.10, stratum={}, \
                     hmode=3, hpoll=6, ppoll=6, reach=0x{:x}, delay={}.125, offset=-{}.5, \
                     jitter=0.{:03}, refid=10.77.0.1",
                    h.assoc.0 / 256,
                    h.assoc.0 % 256,
                    h.assoc.0 % 15 + 1,
                    h.assoc.0 % 256,
                    h.assoc.0,
                    h.assoc.0,
                    h.assoc.0,
                )
                .into_bytes(),
            };
            let socket = socket.try_clone().unwrap();
            let delay = Duration::from_millis(u64::from(count.saturating_sub(h.assoc.0)) * 3);
            thread::spawn(move || {
                thread::sleep(delay);
                for f in answer(&request, &data) {
                    socket.send_to(&f, from).unwrap();
                }
            });
        }
    });
    addr
}

#[test]
fn pipelined_peers_keep_association_order() {
    let server = peers_server(20).to_string();
    let out = Command::new(NTPQ)
        .args([
            "-n", "-d", "-c", "peers", "-c", "opeers", "-c", "apeers", &server,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let debug = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{text}{debug}");
    let rows: Vec<&str> = text.lines().filter(|l| l.contains(" u ")).collect();
    assert_eq!(rows.len(), 60, "{text}");
    for table in rows.chunks(20) {
        for (i, row) in table.iter().enumerate() {
            assert!(
                row[1..].starts_with(&format!("10.77.0.{:<8}", i + 1)),
                "row {} out of order: {row}\n{text}",
                i + 1
            );
        }
    }
    // Every READVAR went out before the first answer came back (the last association
    // answers first, after the longest delay for the first).
    let first_answer = debug
        .lines()
        .position(|l| l.starts_with("received") && l.contains(": readvar"))
        .unwrap();
    let sent_before = debug
        .lines()
        .take(first_answer)
        .filter(|l| l.starts_with("sent"))
        .count();
    assert_eq!(
        sent_before,
        1 + 16,
        "READSTAT, then a window of 16:\n{debug}"
    );
}
