//! The lab is real: the reference and NTPsec tools see the expected chain, authentication works, and the
//! relay delays real mode 6 traffic.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ntpkit_lab::{Impairment, Lab, NtpsecTool, RefTool, Tools, normalize};

/// Mode 6 READVAR, assoc 0, no variables: `16 02 00 01 ...` = LI 0, VN 2, mode 6; opcode 2; sequence 1.
const READVAR: [u8; 12] = [0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0];

fn ntpq(lab: &Lab, args: &[&str]) -> String {
    let out = lab.reference(RefTool::Ntpq).args(args).run();
    out.assert_success();
    out.stdout
}

/// The row of the sys peer (`*` tally) in a peers table.
fn sys_peer(table: &str) -> Option<String> {
    table
        .lines()
        .find_map(|l| l.strip_prefix('*'))
        .and_then(|r| r.split_whitespace().next())
        .map(str::to_owned)
}

#[test]
fn reference_ntpq_sees_the_chain() {
    let lab = Lab::get();
    let expect = [
        ("ntp1", "127.127.1.0"),
        ("ntp2", "10.77.0.1"),
        ("ntp3", "10.77.0.2"),
    ];
    for (host, peer) in expect {
        let table = ntpq(lab, &["-n", "-p", &lab.host(host).v4.to_string()]);
        assert_eq!(sys_peer(&table).as_deref(), Some(peer), "{host}:\n{table}");
    }
    // Without -n the local clock shows by its driver name (no resolver is asked for it).
    let table = ntpq(lab, &["-p", &lab.ntp1().v4.to_string()]);
    assert_eq!(sys_peer(&table).as_deref(), Some("LOCAL(0)"), "{table}");
    let stratum = ntpq(
        lab,
        &["-n", "-c", "rv 0 stratum", &lab.ntp3().v4.to_string()],
    );
    assert_eq!(stratum.trim(), "stratum=3");
}

#[test]
fn reference_ntpq_works_over_ipv6() {
    let lab = Lab::get();
    let table = ntpq(lab, &["-n", "-p", &lab.ntp3().v6.to_string()]);
    assert_eq!(sys_peer(&table).as_deref(), Some("10.77.0.2"), "{table}");
}

#[test]
fn reference_ntpdc_sees_the_chain_and_ntpsec_has_no_mode_7() {
    let lab = Lab::get();
    for (host, peer) in [("ntp1", "127.127.1.0"), ("ntp3", "10.77.0.2")] {
        let out = lab
            .reference(RefTool::Ntpdc)
            .args(["-n", "-c", "peers", &lab.host(host).v4.to_string()])
            .run();
        out.assert_success();
        assert_eq!(
            sys_peer(&out.stdout).as_deref(),
            Some(peer),
            "{host}:\n{out}"
        );
    }
    let out = lab
        .reference(RefTool::Ntpdc)
        .args(["-n", "-c", "peers", &lab.ntp2().v4.to_string()])
        .run();
    assert!(
        out.stdout.contains("timed out") || out.stderr.contains("timed out"),
        "{out}"
    );
}

#[test]
fn ntpsec_ntpq_sees_ntp2() {
    let lab = Lab::get();
    let out = lab
        .ntpsec(NtpsecTool::Ntpq)
        .args(["-n", "-p", &lab.ntp2().v4.to_string()])
        .run();
    out.assert_success();
    assert_eq!(sys_peer(&out.stdout).as_deref(), Some("10.77.0.1"), "{out}");
}

#[test]
fn authenticated_configuration_works_on_both_daemons() {
    let lab = Lab::get();
    let md5 = lab.key(1);
    let ntp1 = lab.ntp1().v4.to_string();
    let config = ":config restrict 10.77.99.99 nomodify";
    let out = lab
        .reference(RefTool::Ntpq)
        .args([
            "-n",
            "-c",
            "keyid 1",
            "-c",
            &format!("passwd {}", md5.secret),
            "-c",
            config,
            &ntp1,
        ])
        .run();
    out.assert_stdout_contains("Config Succeeded");
    // A trusted key that is not the control key is refused.
    let sha1 = lab.key(2);
    let out = lab
        .reference(RefTool::Ntpq)
        .args([
            "-n",
            "-c",
            "keytype sha1",
            "-c",
            "keyid 2",
            "-c",
            &format!("passwd {}", sha1.secret),
            "-c",
            config,
            &ntp1,
        ])
        .run();
    assert!(!out.stdout.contains("Config Succeeded"), "{out}");
    let keys = lab.keys_file().to_string_lossy().into_owned();
    let out = lab
        .ntpsec(NtpsecTool::Ntpq)
        .args([
            "-n",
            "-a",
            "1",
            "-k",
            &keys,
            "-c",
            config,
            &lab.ntp2().v4.to_string(),
        ])
        .run();
    out.assert_stdout_contains("Config Succeeded");
}

#[test]
fn reference_ntpdc_authenticates_with_the_request_key() {
    let lab = Lab::get();
    let out = lab
        .reference(RefTool::Ntpdc)
        .args([
            "-n",
            "-c",
            "keyid 1",
            "-c",
            &format!("passwd {}", lab.key(1).secret),
            "-c",
            "reslist",
        ])
        .arg(lab.ntp3().v4.to_string())
        .run();
    out.assert_success();
    assert!(out.stdout.contains("10.77.0.0"), "{out}");
}

#[test]
fn relay_delays_mode_6_traffic() {
    let lab = Lab::get();
    let server = SocketAddr::new(lab.ntp1().v4.into(), 123);
    let direct = lab.udp_exchange(server, &READVAR, 1, Duration::from_secs(2));
    assert_eq!(direct.len(), 1, "no direct reply");
    let relay = lab.relay(lab.ntp1(), &Impairment::delay(Duration::from_millis(150)));
    let replies = lab.udp_exchange(relay.v4, &READVAR, 1, Duration::from_secs(3));
    let reply = replies.first().expect("no reply through the relay");
    assert_eq!(reply.from, relay.v4);
    // Response bit + READVAR opcode, sequence echoed, and some variables.
    assert_eq!(
        reply.data.get(..4),
        Some(&[0x16, 0x82, 0x00, 0x01][..]),
        "{:02x?}",
        reply.data
    );
    assert!(String::from_utf8_lossy(&reply.data).contains("stratum=1"));
    assert!(
        reply.after >= Duration::from_millis(300),
        "relay added only {:?}",
        reply.after
    );
    assert!(
        reply.after < direct[0].after + Duration::from_millis(1500),
        "{:?}",
        reply.after
    );
    // IPv6 and the reference ntpq go through it too (it listens on port 123).
    let v6 = lab.udp_exchange(relay.v6, &READVAR, 1, Duration::from_secs(3));
    assert_eq!(v6.len(), 1);
    let t = Instant::now();
    let out = ntpq(
        lab,
        &["-n", "-c", "rv 0 stratum", &relay.v4.ip().to_string()],
    );
    assert_eq!(out.trim(), "stratum=1");
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[test]
fn relay_loss_drops_everything_at_probability_one() {
    let lab = Lab::get();
    let relay = lab.relay(
        lab.ntp3(),
        &Impairment {
            loss: 1.0,
            ..Impairment::default()
        },
    );
    let replies = lab.udp_exchange(relay.v4, &READVAR, 1, Duration::from_millis(500));
    assert!(replies.is_empty());
    // Dropping the relay stops it and gives its addresses back.
    let addr = relay.v4.ip().to_string();
    drop(relay);
    let out = lab
        .command("ip")
        .args(["-br", "addr"])
        .place(ntpkit_lab::Place::Netns(lab.host("relay").netns.clone()))
        .run();
    out.assert_success();
    assert!(!out.stdout.contains(&format!("{addr}/")), "{out}");
}

#[test]
fn client_pool_addresses_are_routed() {
    let lab = Lab::get();
    let from = "10.78.3.4:0";
    let out = lab
        .command(std::env!("CARGO_BIN_EXE_ntpkit-lab"))
        .args([
            "probe",
            "--from",
            from,
            "--to",
            &format!("{}:123", lab.ntp2().v4),
            "--hex",
            "160200010000000000000000",
        ])
        .run();
    out.assert_success().assert_stdout_contains("reply ");
}

#[test]
fn normalized_tables_are_stable_between_runs() {
    let lab = Lab::get();
    let ntp3 = lab.ntp3().v4.to_string();
    let a = normalize(&ntpq(lab, &["-n", "-p", &ntp3]));
    std::thread::sleep(Duration::from_millis(1100));
    let b = normalize(&ntpq(lab, &["-n", "-p", &ntp3]));
    assert_eq!(a, b);
    assert!(a.contains("*10.77.0.2 10.77.0.1 2 u ~"), "{a}");
    let rv = normalize(&ntpq(lab, &["-n", "-c", "rv", &ntp3]));
    assert!(
        rv.contains("\nstratum=3\n") && rv.contains("\noffset=~"),
        "{rv}"
    );
}

#[test]
fn ntpsec_and_reference_peers_tables_normalise_alike() {
    let lab = Lab::get();
    let ntp2 = lab.ntp2().v4.to_string();
    let reference = ntpq(lab, &["-n", "-p", &ntp2]);
    let ntpsec = lab.ntpsec(NtpsecTool::Ntpq).args(["-n", "-p", &ntp2]).run();
    ntpsec.assert_success();
    // Column widths and number formats differ; identity columns must not.
    assert_eq!(
        normalize(&reference),
        normalize(&ntpsec.stdout),
        "{reference}\n{ntpsec}"
    );
}

#[test]
fn daemons_cannot_set_the_clock() {
    let lab = Lab::get();
    for d in &lab.state().daemons {
        let status = std::fs::read_to_string(format!("/proc/{}/status", d.proc.pid)).unwrap();
        let bnd = status
            .lines()
            .find_map(|l| l.strip_prefix("CapBnd:"))
            .unwrap()
            .trim();
        let bnd = u64::from_str_radix(bnd, 16).unwrap();
        assert_eq!(
            bnd & (1 << 25),
            0,
            "{} may set the clock (CapBnd {bnd:x})",
            d.host
        );
        let conf = std::fs::read_to_string(d.dir.join("ntp.conf")).unwrap();
        assert!(conf.lines().any(|l| l == "disable kernel"));
    }
}

#[test]
fn tools_run_without_network() {
    let dir = std::env::temp_dir().join(format!("ntpkit-lab-keygen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Tools::get()
        .reference(RefTool::NtpKeygen)
        .arg("-M")
        .current_dir(&dir)
        .run();
    out.assert_success();
    let made = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with("ntpkey_MD5key"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(made, "{out}");
}
