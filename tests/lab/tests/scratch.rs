//! Scratch daemons: both daemons start in their own namespace with the test's configuration,
//! answer there (on loopback, or on the lab bridge), and leave nothing behind when dropped.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use ntpkit_lab::{Daemon, Lab, RefTool, SCRATCH_LAB_INDEXES, ScratchDaemon, ScratchKind, Tools};

/// A bare NTPv4 client request (mode 3), transmit time `e4a1b2c3.00000000`.
fn client_request() -> Vec<u8> {
    let mut packet = vec![0_u8; 48];
    packet[0] = 0xe3;
    packet[40..44].copy_from_slice(&[0xe4, 0xa1, 0xb2, 0xc3]);
    packet
}

/// Whether `reply` is a server reply to [`client_request`].
fn answers(reply: &[u8]) -> bool {
    reply.len() >= 48 && reply[0] & 0x07 == 4 && reply[24..28] == [0xe4, 0xa1, 0xb2, 0xc3]
}

#[test]
fn scratch_daemons_answer_on_loopback_and_vanish_when_dropped() {
    let tools = Tools::get();
    for kind in [
        ScratchKind::Reference,
        ScratchKind::Ntpsec,
        ScratchKind::Chrony,
    ] {
        let conf: &[&str] = match kind {
            ScratchKind::Chrony => &["allow 127.0.0.1", "allow ::1", "local stratum 10"],
            _ => &["restrict 127.0.0.1", "restrict ::1"],
        };
        let daemon = ScratchDaemon::builder(kind)
            .conf_lines(conf.iter().copied())
            .start(tools);
        assert!(daemon.alive());
        assert_eq!(
            daemon.addr(),
            "127.0.0.1:123".parse::<SocketAddr>().unwrap()
        );
        let conf = std::fs::read_to_string(daemon.dir().join("ntp.conf")).unwrap();
        assert_eq!(
            conf.contains("\ndisable kernel\n"),
            kind != ScratchKind::Chrony,
            "{conf}"
        );
        for to in [daemon.addr(), SocketAddr::new(daemon.v6().into(), 123)] {
            let replies = daemon.udp_exchange(to, &client_request(), 1, Duration::from_secs(3));
            assert!(
                replies.first().is_some_and(|r| answers(&r.data)),
                "{kind:?} at {to}: {replies:?}\n{}",
                daemon.log()
            );
        }
        // Tools run in the daemon's namespace: the reference ntpq reads an ntpd's version (chrony
        // has no mode 6).
        let want = match kind {
            ScratchKind::Reference => Some("ntpd 4.2.8p15"),
            ScratchKind::Ntpsec => Some("ntpsec-1.2.2"),
            ScratchKind::Chrony => None,
        };
        if let Some(want) = want {
            daemon
                .reference(RefTool::Ntpq)
                .args(["-n", "-c", "rv 0 version", "127.0.0.1"])
                .run()
                .assert_stdout_contains(want);
        }

        let (netns, pid, dir) = (
            daemon.netns().to_owned(),
            daemon.pid().unwrap(),
            daemon.dir().to_owned(),
        );
        assert!(Path::new("/run/netns").join(&netns).exists());
        drop(daemon);
        assert!(
            !Path::new("/run/netns").join(&netns).exists(),
            "{netns} left behind"
        );
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(
            state.is_empty() || state.contains(") Z "),
            "daemon {pid} still runs: {state}"
        );
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
}

#[test]
#[should_panic(expected = "scratch daemons never discipline the machine's clock")]
fn enabling_the_kernel_discipline_is_refused() {
    let _ = ScratchDaemon::builder(Daemon::Reference)
        .conf_line("enable  kernel")
        .start(Tools::get());
}

#[test]
fn a_scratch_daemon_on_the_lab_bridge_serves_the_lab_client() {
    let lab = Lab::get();
    let daemon = ScratchDaemon::builder(Daemon::Ntpsec)
        .on_lab(lab)
        .start(lab.tools());
    let index = daemon.v4().octets()[3];
    assert!(SCRATCH_LAB_INDEXES.contains(&index), "{}", daemon.v4());
    let lease = Path::new("/run/ntpkit-lab/scratch").join(index.to_string());
    assert!(lease.exists());
    // The lab's client reaches it over IPv4 and IPv6 (time service is open to everyone).
    for to in [daemon.addr(), SocketAddr::new(daemon.v6().into(), 123)] {
        let replies = lab.udp_exchange(to, &client_request(), 1, Duration::from_secs(3));
        assert!(
            replies.first().is_some_and(|r| answers(&r.data)),
            "{to}: {replies:?}\n{}",
            daemon.log()
        );
    }
    drop(daemon);
    assert!(!lease.exists(), "the address lease is given back");
}
