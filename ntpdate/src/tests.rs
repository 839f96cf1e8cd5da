//! Whole runs against loopback servers, with a recording clock: the decision logic end to end, and
//! proof that query, debug, refusals and a held lock never reach the clock.

use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser as _;
use ntpkit::packet::{NtpMode, NtpPacket, ReferenceId, Stratum};
use ntpkit::time::{NtpShort, NtpTimestamp, UnixTime};

use super::*;
use crate::clock::tests::Recorder;

fn now_shifted(shift: f64) -> NtpTimestamp {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let t = d.as_secs_f64() + shift;
    NtpTimestamp::from_unix(UnixTime {
        secs: t.floor() as i64,
        nanos: ((t - t.floor()) * 1e9) as u32,
    })
}

/// A loopback stratum-2 server whose clock is `shift` seconds off; counts requests.
fn server(shift: f64) -> (SocketAddr, Arc<AtomicUsize>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    thread::spawn(move || {
        let mut buf = [0_u8; 512];
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            seen.fetch_add(1, Ordering::SeqCst);
            let Ok(req) = NtpPacket::decode(&buf[..len]) else {
                continue;
            };
            let rec = now_shifted(shift);
            let reply = NtpPacket {
                version: req.version,
                mode: NtpMode::Server,
                stratum: Stratum(2),
                poll: req.poll,
                precision: -20,
                root_delay: NtpShort::from_seconds(0.001),
                root_dispersion: NtpShort::from_seconds(0.002),
                reference_id: ReferenceId([127, 0, 0, 2]),
                reference_timestamp: now_shifted(shift - 10.0),
                origin_timestamp: req.transmit_timestamp,
                receive_timestamp: rec,
                transmit_timestamp: now_shifted(shift),
                ..NtpPacket::default()
            };
            let _ = socket.send_to(&reply.encode(), from);
        }
    });
    (addr, count)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ntpdate-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Asserts the one recorded call is `kind` by about `by` seconds.
#[track_caller]
fn assert_call(calls: &[String], kind: &str, by: f64) {
    assert_eq!(calls.len(), 1, "{calls:?}");
    let mut words = calls[0].split_whitespace();
    assert_eq!(words.next(), Some(kind), "{calls:?}");
    let got: f64 = words.next().unwrap().parse().unwrap();
    assert!((got - by).abs() < 0.005, "{calls:?}");
}

struct Run {
    code: ExitCode,
    stdout: String,
    calls: Vec<String>,
}

fn run_args(args: &[&str], lock: &str) -> Run {
    let lock = temp(lock);
    let mut argv = vec!["ntpdate", "-u", "-t", "0.5", "--lock-file"];
    let lock_s = lock.to_string_lossy().into_owned();
    argv.push(&lock_s);
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let clock = Recorder::default();
    let mut out = Vec::new();
    let code = run_with(&cli, &mut out, &clock).unwrap();
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        calls: clock.calls.borrow().clone(),
    }
}

#[test]
fn a_large_offset_is_stepped_and_a_small_one_slewed() {
    let (ahead, _) = server(2.5);
    let r = run_args(&[&ahead.to_string()], "a.lock");
    assert_eq!(r.code, ExitCode::SUCCESS);
    assert_call(&r.calls, "step", 2.5);
    assert!(
        r.stdout.contains("step time server 127.0.0.1 offset +2.4")
            || r.stdout.contains("step time server 127.0.0.1 offset +2.5"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("server 127.0.0.1, stratum"),
        "set mode prints no server lines"
    );

    let (near, _) = server(-0.2);
    let r = run_args(&[&near.to_string()], "b.lock");
    assert_call(&r.calls, "slew", -0.2);
    assert!(r.calls[0].ends_with("at 500 ppm"));
    assert!(
        r.stdout.contains("adjust time server 127.0.0.1 offset -0."),
        "{}",
        r.stdout
    );
}

#[test]
fn options_change_the_decision() {
    let (behind, _) = server(-2.5);
    let b = behind.to_string();
    let r = run_args(&["--no-step-back", "--slew-rate", "100", &b], "c.lock");
    assert_call(&r.calls, "slew", -2.5);
    assert!(r.calls[0].ends_with("at 100 ppm"));
    let r = run_args(&["-B", &b], "d.lock");
    assert_call(&r.calls, "slew", -2.5);
    let (near, _) = server(0.01);
    let r = run_args(&["-b", &near.to_string()], "e.lock");
    assert_call(&r.calls, "step", 0.01);
}

#[test]
fn the_panic_threshold_refuses_without_force() {
    let (far, _) = server(5.0);
    let f = far.to_string();
    let r = run_args(&["--panic", "2", &f], "f.lock");
    assert_eq!(r.code, ExitCode::from(1));
    assert!(r.calls.is_empty(), "{:?}", r.calls);
    let r = run_args(&["--panic", "2", "-g", &f], "g.lock");
    assert_call(&r.calls, "step", 5.0);
}

#[test]
fn query_and_debug_never_touch_the_clock() {
    let (ahead, _) = server(2.5);
    let a = ahead.to_string();
    let r = run_args(&["-q", &a], "h.lock");
    assert_eq!(r.code, ExitCode::SUCCESS);
    assert!(r.calls.is_empty());
    assert!(
        r.stdout.contains("server 127.0.0.1, stratum 2, offset +2."),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("ntpdate["), "{}", r.stdout);
    let r = run_args(&["-d", "-p", "2", &a], "i.lock");
    assert!(r.calls.is_empty());
    assert_eq!(r.stdout.matches("transmit(").count(), 2, "{}", r.stdout);
    assert_eq!(r.stdout.matches("receive(").count(), 2, "{}", r.stdout);
    assert!(r.stdout.contains("step time server"), "{}", r.stdout);
}

#[test]
fn a_held_lock_stops_the_run_before_any_packet() {
    let (ahead, count) = server(2.5);
    let path = temp("held.lock");
    let held = lock::Lock::acquire(&path).unwrap();
    let lock_s = path.to_string_lossy().into_owned();
    let cli =
        Cli::try_parse_from(["ntpdate", "-u", "--lock-file", &lock_s, &ahead.to_string()]).unwrap();
    let clock = Recorder::default();
    let err = run_with(&cli, &mut Vec::new(), &clock).unwrap_err();
    assert!(err.to_string().contains("holds the lock"), "{err:#}");
    assert!(clock.calls.borrow().is_empty());
    thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 0, "no request may be sent");
    drop(held);
    let r = run_args(&[&ahead.to_string()], "held.lock");
    assert_eq!(r.calls.len(), 1);
}

#[test]
fn a_slew_killed_half_way_is_undone_by_the_next_run() {
    let (near, _) = server(0.1);
    let path = temp("journal.lock");
    // What a run killed during its slew leaves behind.
    std::fs::write(&path, "4242\nslewing base_ppm=12.5\n").unwrap();
    let r = run_args(&[&near.to_string()], "journal.lock");
    assert_eq!(r.code, ExitCode::SUCCESS);
    assert_eq!(r.calls.len(), 2, "{:?}", r.calls);
    assert_eq!(r.calls[0], "set_frequency +12.500");
    assert!(r.calls[1].starts_with("slew +0.1"), "{:?}", r.calls);
    // A finished slew leaves only the PID.
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(lock::unfinished_slew(&text), None, "{text}");
    assert_eq!(text.lines().count(), 1);
    // A slew whose restore failed leaves its journal line for the next run.
    let failing = Recorder {
        fail: Some(std::io::ErrorKind::PermissionDenied),
        ..Recorder::default()
    };
    let lock_s = path.to_string_lossy().into_owned();
    let cli =
        Cli::try_parse_from(["ntpdate", "-u", "--lock-file", &lock_s, &near.to_string()]).unwrap();
    assert!(run_with(&cli, &mut Vec::new(), &failing).is_err());
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        lock::unfinished_slew(&text).map(|s| s.1),
        Some(7.25),
        "{text}"
    );
}

#[test]
fn json_describes_servers_samples_selection_and_action() {
    let (a, _) = server(0.1);
    let (b, _) = server(0.1);
    let (liar, _) = server(3.0);
    let r = run_args(
        &[
            "-q",
            "--json",
            "-p",
            "3",
            &a.to_string(),
            &b.to_string(),
            &liar.to_string(),
        ],
        "j.lock",
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["mode"], "query");
    let servers = v["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 3);
    assert_eq!(servers[0]["samples"].as_array().unwrap().len(), 3);
    assert_eq!(servers[2]["status"], "falseticker");
    assert_eq!(v["selection"]["falsetickers"][0], liar.to_string());
    assert_eq!(v["action"]["kind"], "slew");
    assert_eq!(v["action"]["applied"], false);
    assert!((v["action"]["offset_ms"].as_f64().unwrap() - 100.0).abs() < 5.0);
    assert!(r.calls.is_empty());
}

#[test]
fn the_authentication_delay_applies_to_authenticated_requests_only() {
    let (near, _) = server(0.0);
    let n = near.to_string();
    let offset = |args: &[&str]| {
        let r = run_args(args, "m.lock");
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["servers"][0]["offset_ms"].as_f64()
    };
    let plain = offset(&["-q", "--json", &n]).unwrap();
    // Without -a the classic ignores -e; a 0.2 s later T1 would otherwise give a negative delay.
    let unauthenticated = offset(&["-q", "--json", "-e", "0.2", &n]).unwrap();
    assert!(
        (plain - unauthenticated).abs() < 2.0,
        "{plain} {unauthenticated}"
    );
}

#[test]
fn syslog_receives_the_result_line() {
    let (ahead, _) = server(0.05);
    let sock_path = temp("log.sock");
    let _ = std::fs::remove_file(&sock_path);
    let sink = UnixDatagram::bind(&sock_path).unwrap();
    sink.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let s = sock_path.to_string_lossy().into_owned();
    let r = run_args(&["-s", "--syslog-socket", &s, &ahead.to_string()], "k.lock");
    assert_eq!(r.code, ExitCode::SUCCESS);
    assert!(!r.stdout.contains("adjust time"), "{}", r.stdout);
    let mut buf = [0_u8; 512];
    let n = sink.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]);
    assert!(msg.starts_with("<29>"), "{msg}");
    assert!(msg.contains(" ntpdate["), "{msg}");
    assert!(
        msg.contains("adjust time server 127.0.0.1 offset +0.0"),
        "{msg}"
    );
}

#[test]
fn an_unreachable_server_exits_3_and_bad_values_are_usage_errors() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let r = run_args(&["-q", &silent.local_addr().unwrap().to_string()], "l.lock");
    assert_eq!(r.code, ExitCode::from(3));
    let cli = Cli::try_parse_from(["ntpdate", "-e", "1.5", "127.0.0.1"]).unwrap();
    let err = run_with(&cli, &mut Vec::new(), &Recorder::default()).unwrap_err();
    assert_eq!(exit_code(&err), 2, "{err:#}");
    let cli = Cli::try_parse_from(["ntpdate", "-a", "7", "-k", "/nonexistent/keys", "127.0.0.1"])
        .unwrap();
    let err = run_with(&cli, &mut Vec::new(), &Recorder::default()).unwrap_err();
    assert_eq!(exit_code(&err), 1, "{err:#}");
    assert!(Cli::try_parse_from(["ntpdate", "-p", "9", "x"]).is_err());
    assert!(Cli::try_parse_from(["ntpdate", "-o", "5", "x"]).is_err());
}
