//! Configuration commands end to end on the lab's ntpd 4.2.8p15, each effect checked through
//! another path (the reference ntpdc or ntpq, or ntpkit's own NTP client), each change undone
//! by a guard even when the test fails. Addresses come from 10.77.98.1–50.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use ntpkit::auth::{Key, KeyId, KeyType};
use ntpkit::packet::{ClientRequest, NtpPacket};
use ntpkit::time::{NtpTimestamp, UnixTime};
use ntpkit_lab::Lab;

use crate::support::{ours_signed, state_lock, theirs, theirs_signed, value_of};

/// Runs reference ntpdc commands (signed with key 1) when dropped.
struct Undo<'a> {
    lab: &'a Lab,
    host: String,
    commands: Vec<String>,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        let mut args: Vec<&str> = Vec::new();
        for c in &self.commands {
            args.extend(["-c", c.as_str()]);
        }
        args.push(&self.host);
        theirs_signed(self.lab, &args);
    }
}

fn undo<'a>(lab: &'a Lab, host: &str, commands: &[&str]) -> Undo<'a> {
    Undo {
        lab,
        host: host.to_owned(),
        commands: commands.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn ntp3(lab: &Lab) -> String {
    lab.ntp3().v4.to_string()
}

#[test]
fn addserver_addpeer_broadcast_then_unconfig() {
    let lab = Lab::get();
    let _key = crate::support::signing();
    let host = ntp3(lab);
    let _undo = undo(lab, &host, &["unconfig 10.77.98.1 10.77.98.2 10.77.98.3"]);
    let out = ours_signed(
        lab,
        1,
        &[
            "-c",
            "addserver 10.77.98.1 iburst minpoll 4 maxpoll 6",
            "-c",
            "addpeer 10.77.98.2 0 4",
            "-c",
            "broadcast 10.77.98.3",
            &host,
        ],
    );
    assert_eq!(out.stdout, "done!\ndone!\ndone!\n", "{out}");
    let list = theirs(lab, &["-n", "-c", "listpeers", &host]).stdout;
    for line in [
        "client       10.77.98.1",
        "sym_active   10.77.98.2",
        "broadcast    10.77.98.3",
    ] {
        assert!(
            list.contains(line),
            "reference listpeers shows '{line}':\n{list}"
        );
    }
    let info = theirs(lab, &["-n", "-c", "showpeer 10.77.98.1", &host]).stdout;
    assert!(info.contains("hpoll 4"), "minpoll 4 took:\n{info}");
    let out = ours_signed(
        lab,
        1,
        &["-c", "unconfig 10.77.98.1 10.77.98.2 10.77.98.3", &host],
    );
    assert_eq!(out.stdout, "done!\n", "{out}");
    let list = theirs(lab, &["-n", "-c", "listpeers", &host]).stdout;
    assert!(!list.contains("10.77.98."), "all gone:\n{list}");
    // Unconfiguring what is not there is the server's "data not found".
    let out = ours_signed(lab, 1, &["-c", "unconfig 10.77.98.1", &host]);
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr
            .contains("unconfig: server error: data not found"),
        "{out}"
    );
}

#[test]
fn a_full_addserver_line_reaches_the_server_intact() {
    let lab = Lab::get();
    let _key = crate::support::signing();
    let host = ntp3(lab);
    let _undo = undo(lab, &host, &["unconfig 10.77.98.12"]);
    // Thirteen words after the address: classic ntpdc's fourteen arguments, every one used
    // (ntpq's seven-token lines would have cut it after `iburst`). Bare numbers are the key ID
    // and version; the later `keyid`/`version` keywords override them.
    let line =
        "addserver -4 10.77.98.12 5 3 iburst prefer burst minpoll 4 maxpoll 6 keyid 0 version 4";
    let out = ours_signed(lab, 1, &["--json", "-c", line, &host]);
    out.assert_success();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["arguments"].as_array().map(Vec::len), Some(15), "{doc}");
    assert_eq!(doc["result"]["minpoll"], 4, "{doc}");
    assert_eq!(doc["result"]["maxpoll"], 6, "{doc}");
    assert_eq!(doc["result"]["version"], 4, "{doc}");
    assert_eq!(doc["result"]["keyid"], 0, "{doc}");
    // What the daemon made of it, read by the reference ntpdc.
    let info = theirs(lab, &["-n", "-c", "showpeer 10.77.98.12", &host]).stdout;
    assert!(info.contains("hmode client"), "{info}");
    assert!(info.contains("hpoll 4, keyid 0, version 4"), "{info}");
    assert!(info.contains("flags config, prefer, burst"), "{info}");
    // The same line without its address is a usage error, before anything is sent.
    let usage = ours_signed(lab, 1, &["-c", "addserver -4", &host]);
    assert_eq!(usage.code, Some(2), "{usage}");
    assert!(
        usage
            .stderr
            .starts_with("usage: addserver [ -4|-6 ] address [ keyid ] [ version ] [ "),
        "{usage}"
    );
}

#[test]
fn restrict_unrestrict_delrestrict_show_in_reslist() {
    let lab = Lab::get();
    let _key = crate::support::signing();
    let host = ntp3(lab);
    let _undo = undo(
        lab,
        &host,
        &[
            "delrestrict 10.77.98.7 255.255.255.255",
            "delrestrict 10.77.98.8 255.255.255.255 ntpport",
        ],
    );
    let out = ours_signed(
        lab,
        1,
        &[
            "-c",
            "restrict 10.77.98.7 255.255.255.255 nomodify notrap kod",
            "-c",
            "restrict 10.77.98.8 255.255.255.255 ntpport noquery",
            &host,
        ],
    );
    assert_eq!(out.stdout, "done!\ndone!\n", "{out}");
    let line = |text: &str, addr: &str| {
        text.lines()
            .find(|l| l.starts_with(addr))
            .map(|l| l.split_whitespace().skip(3).collect::<Vec<_>>().join(" "))
    };
    let list = theirs(lab, &["-n", "-c", "reslist", &host]).stdout;
    assert_eq!(
        line(&list, "10.77.98.7 "),
        Some("nomodify, notrap, kod".to_owned()),
        "{list}"
    );
    assert_eq!(
        line(&list, "10.77.98.8 "),
        Some("ntpport, noquery".to_owned()),
        "{list}"
    );
    let out = ours_signed(
        lab,
        1,
        &["-c", "unrestrict 10.77.98.7 255.255.255.255 notrap", &host],
    );
    assert_eq!(out.stdout, "done!\n", "{out}");
    let list = theirs(lab, &["-n", "-c", "reslist", &host]).stdout;
    assert_eq!(
        line(&list, "10.77.98.7 "),
        Some("nomodify, kod".to_owned()),
        "{list}"
    );
    let out = ours_signed(
        lab,
        1,
        &[
            "-c",
            "delrestrict 10.77.98.7 255.255.255.255",
            "-c",
            "delrestrict 10.77.98.8 255.255.255.255 ntpport",
            &host,
        ],
    );
    assert_eq!(out.stdout, "done!\ndone!\n", "{out}");
    let list = theirs(lab, &["-n", "-c", "reslist", &host]).stdout;
    assert_eq!(line(&list, "10.77.98.7 "), None, "{list}");
    assert_eq!(line(&list, "10.77.98.8 "), None, "{list}");
    // Flags delrestrict cannot take are refused before anything is sent.
    let out = ours_signed(
        lab,
        1,
        &["-c", "delrestrict 10.77.98.7 255.255.255.255 kod", &host],
    );
    assert_eq!(out.code, Some(2), "{out}");
}

#[test]
fn enable_and_disable_show_in_sysinfo() {
    let lab = Lab::get();
    let host = ntp3(lab);
    let _state = state_lock();
    let _undo = undo(lab, &host, &["enable stats", "disable calibrate"]);
    let flags = || {
        let text = theirs(lab, &["-n", "-c", "sysinfo", &host]).stdout;
        value_of(&text, "system flags")
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(flags(), "auth monitor ntp stats");
    let out = ours_signed(
        lab,
        1,
        &["-c", "disable stats", "-c", "enable calibrate", &host],
    );
    assert_eq!(out.stdout, "done!\ndone!\n", "{out}");
    assert_eq!(flags(), "auth monitor ntp calibrate");
    let out = ours_signed(
        lab,
        1,
        &["-c", "enable stats", "-c", "disable calibrate", &host],
    );
    assert_eq!(out.stdout, "done!\ndone!\n", "{out}");
    assert_eq!(flags(), "auth monitor ntp stats");
    let out = ours_signed(lab, 1, &["-c", "enable bogus", &host]);
    assert_eq!(out.code, Some(2), "{out}");
}

#[test]
fn addtrap_and_clrtrap_show_in_traps() {
    let lab = Lab::get();
    let _key = crate::support::signing();
    let host = ntp3(lab);
    let _undo = undo(lab, &host, &["clrtrap 10.77.98.6 5555"]);
    let out = ours_signed(lab, 1, &["-c", "addtrap 10.77.98.6 5555", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let traps = theirs(lab, &["-n", "-c", "traps", &host]).stdout;
    assert!(traps.contains("address 10.77.98.6, port 5555"), "{traps}");
    let out = ours_signed(lab, 1, &["-c", "clrtrap 10.77.98.6 5555", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let traps = theirs(lab, &["-n", "-c", "traps", &host]);
    assert!(!traps.stdout.contains("10.77.98.6"), "{traps}");
}

#[test]
fn reset_timer_restarts_the_counters_and_preset_meets_the_server_quirk() {
    let lab = Lab::get();
    let host = ntp3(lab);
    let _state = state_lock();
    let since = || {
        let text = theirs(lab, &["-n", "-c", "timerstats", &host]).stdout;
        value_of(&text, "time since reset")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    std::thread::sleep(Duration::from_secs(2));
    let before = since();
    let out = ours_signed(lab, 1, &["-c", "reset timer", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let after = since();
    assert!(after < before.max(2), "time since reset {before} → {after}");
    // 4.2.8 looks peers up with port 0 for RESET_PEER and never finds one: both tools get
    // "data not found" for a peer that exists.
    let peer = lab.ntp2().v4.to_string();
    let out = ours_signed(lab, 1, &["-c", &format!("preset {peer}"), &host]);
    assert!(
        out.stderr.contains("preset: server error: data not found"),
        "{out}"
    );
    let reference = theirs_signed(lab, &["-c", &format!("preset {peer}"), &host]);
    assert!(reference.stderr.contains("data not found"), "{reference}");
    let out = ours_signed(lab, 1, &["-c", "reset bogus", &host]);
    assert_eq!(out.code, Some(2), "{out}");
}

fn now() -> NtpTimestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock after 1970");
    NtpTimestamp::from_unix(UnixTime {
        secs: i64::try_from(since.as_secs()).expect("fits"),
        nanos: since.subsec_nanos(),
    })
}

fn lab_key(lab: &Lab, id: u32) -> Key {
    let k = lab.key(id);
    let kind: KeyType = k.kind.parse().expect("lab key type");
    Key::from_text(KeyId(id), kind, k.secret).expect("lab key text")
}

/// Whether `host` answers an NTP client request signed with `key` with a MAC that verifies
/// (it does only while it trusts the key).
fn answers_with_valid_mac(lab: &Lab, host: SocketAddr, key: &Key) -> bool {
    let request = ClientRequest {
        transmit: now(),
        key: Some(key),
        ..ClientRequest::default()
    };
    lab.udp_exchange(host, &request.encode(), 1, Duration::from_secs(3))
        .first()
        .and_then(|d| NtpPacket::decode(&d.data).ok())
        .is_some_and(|p| p.verify(key).is_ok())
}

#[test]
fn untrustedkey_trustedkey_and_readkeys() {
    let lab = Lab::get();
    let host = ntp3(lab);
    let _state = state_lock();
    let _undo = undo(lab, &host, &["untrustedkey 98", "trustedkey 4", "readkeys"]);
    let addr = SocketAddr::new(lab.ntp3().v4.into(), 123);
    let aes = lab_key(lab, 4);
    assert!(
        answers_with_valid_mac(lab, addr, &aes),
        "key 4 trusted to begin with"
    );
    let out = ours_signed(lab, 1, &["-c", "untrustedkey 4", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    assert!(
        !answers_with_valid_mac(lab, addr, &aes),
        "key 4 no longer trusted"
    );
    // ntpd 4.2.8p15 forgets an untrusted key's secret: trusting it again takes a readkeys.
    let out = ours_signed(lab, 1, &["-c", "trustedkey 4", "-c", "readkeys", &host]);
    assert_eq!(out.stdout, "done!\ndone!\n", "{out}");
    assert!(
        answers_with_valid_mac(lab, addr, &aes),
        "key 4 trusted again"
    );

    // trustedkey of an unknown ID adds a (secretless) key slot; untrustedkey frees it.
    let stored = || {
        let text = theirs(lab, &["-n", "-c", "authinfo", &host]).stdout;
        value_of(&text, "stored keys")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let base = stored();
    let out = ours_signed(lab, 1, &["-c", "trustedkey 98", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    assert_eq!(stored(), base + 1);
    let out = ours_signed(lab, 1, &["-c", "untrustedkey 98", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    assert_eq!(stored(), base);
}

/// Puts ntp3's requestkey back to 1, whichever key is in force.
struct RestoreRequestKey<'a>(&'a Lab);

impl Drop for RestoreRequestKey<'_> {
    fn drop(&mut self) {
        let host = ntp3(self.0);
        for id in [1, 2, 4, 3] {
            if ours_signed(self.0, id, &["-c", "requestkey 1", &host]).success() {
                return;
            }
        }
    }
}

#[test]
fn requestkey_md5_sha1_and_aes_cmac_and_a_wrong_key() {
    let lab = Lab::get();
    let host = ntp3(lab);
    let _state = state_lock();
    let _key = crate::support::changing_request_key();
    let _restore = RestoreRequestKey(lab);
    // MD5 (key 1) makes SHA1 (key 2) the request key.
    let out = ours_signed(lab, 1, &["-c", "requestkey 2", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let refused = theirs_signed(lab, &["-c", "readkeys", &host]);
    assert!(
        refused.stderr.contains("Permission denied"),
        "key 1 is out:\n{refused}"
    );
    // SHA1 signs, and makes AES-CMAC (key 4) the request key.
    let out = ours_signed(lab, 2, &["-c", "readkeys", "-c", "requestkey 4", &host]);
    assert_eq!(out.stdout, "done!\ndone!\n", "{out}");
    // AES-CMAC signs, and puts MD5 back.
    let out = ours_signed(lab, 4, &["-c", "readkeys", "-c", "requestkey 1", &host]);
    assert_eq!(out.stdout, "done!\ndone!\n", "{out}");
    let ok = theirs_signed(lab, &["-c", "readkeys", &host]);
    assert!(ok.stdout.contains("done!"), "key 1 is back:\n{ok}");

    // A key the server does not want: a clear refusal, exit 4.
    let out = ours_signed(lab, 2, &["-c", "readkeys", &host]);
    assert_eq!(out.code, Some(4), "{out}");
    assert!(
        out.stderr
            .contains("readkeys: server error: permission denied (key 2 SHA1 refused"),
        "{out}"
    );
    // The right ID with a wrong secret, typed in.
    let out = crate::support::ours(
        lab,
        &[
            "-n",
            "-c",
            "keyid 1",
            "-c",
            "passwd notTheSecret",
            "-c",
            "readkeys",
            &host,
        ],
    );
    assert_eq!(out.code, Some(4), "{out}");
    assert!(out.stderr.contains("permission denied"), "{out}");
    // No key at all: said before anything is sent, with ntpq's code for it (4).
    let out = crate::support::ours(lab, &["-n", "-c", "readkeys", &host]);
    assert_eq!(out.code, Some(4), "{out}");
    assert!(out.stderr.contains("authentication needed"), "{out}");
}

#[test]
fn controlkey_moves_mode_6_authentication() {
    use ntpkit::control::{
        AssocId, ControlFragment, ControlOpcode, ControlRequest, MacAlignment, Sequence,
    };
    let lab = Lab::get();
    let host = ntp3(lab);
    let _state = state_lock();
    let _undo = undo(lab, &host, &["controlkey 1"]);
    let addr = SocketAddr::new(lab.ntp3().v4.into(), 123);
    // An authenticated mode 6 READ_ORDLIST_A: accepted only with the control key.
    let accepted = |key: &Key| {
        let request =
            ControlRequest::new(ControlOpcode::ReadOrderedList, AssocId::SYSTEM, Vec::new());
        let bytes = request
            .encode(Sequence(9), Some((key, MacAlignment::Eight)))
            .expect("encodes");
        lab.udp_exchange(addr, &bytes, 1, Duration::from_secs(3))
            .first()
            .and_then(|d| {
                ControlFragment::decode(&d.data)
                    .ok()
                    .map(|f| !f.header.error)
            })
            .unwrap_or(false)
    };
    let (md5, sha1) = (lab_key(lab, 1), lab_key(lab, 2));
    let out = ours_signed(lab, 1, &["-c", "controlkey 2", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let moved = (accepted(&sha1), accepted(&md5));
    let out = ours_signed(lab, 1, &["-c", "controlkey 1", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    assert_eq!(moved, (true, false), "key 2 controls, key 1 does not");
    assert!(accepted(&md5), "key 1 controls again");
}

#[test]
fn fudge_shows_in_clockstat_and_addrefclock_in_listpeers() {
    let lab = Lab::get();
    let _key = crate::support::signing();
    let host = lab.ntp1().v4.to_string();
    let _undo = undo(
        lab,
        &host,
        &["fudge 127.127.1.0 time2 0", "unconfig 127.127.1.3"],
    );
    let out = ours_signed(lab, 1, &["-c", "fudge 127.127.1.0 time2 0.25", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let stat = theirs(lab, &["-n", "-c", "clockstat 127.127.1.0", &host]).stdout;
    assert_eq!(value_of(&stat, "fudge time 2"), Some("+0.250000"), "{stat}");
    let out = ours_signed(lab, 1, &["-c", "fudge 127.127.1.0 time2 0", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let stat = theirs(lab, &["-n", "-c", "clockstat 127.127.1.0", &host]).stdout;
    assert_eq!(value_of(&stat, "fudge time 2"), Some("+0.000000"), "{stat}");

    let out = ours_signed(
        lab,
        1,
        &["-c", "addrefclock 127.127.1.3 0 minpoll 4", &host],
    );
    assert_eq!(out.stdout, "done!\n", "{out}");
    let list = theirs(lab, &["-n", "-c", "listpeers", &host]).stdout;
    assert!(list.contains("client       127.127.1.3"), "{list}");
    let out = ours_signed(lab, 1, &["-c", "unconfig 127.127.1.3", &host]);
    assert_eq!(out.stdout, "done!\n", "{out}");
    let list = theirs(lab, &["-n", "-c", "listpeers", &host]).stdout;
    assert!(!list.contains("127.127.1.3"), "{list}");
}
