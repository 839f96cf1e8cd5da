//! ntpdc against a scripted misbehaving mode 7 server (issue 14): every hostile case of the
//! lab's scripted responder (`PrivateStep`), for `peers`, `sysinfo` and `monlist`. Each run
//! must end with the documented exit code, one error line naming host, command and what was
//! wrong, nothing on stdout that looks like a result, within its timeout and retry budget.

use std::time::Duration;

use ntpkit_lab::{CleanFailure, Lab};

const NTPDC: &str = env!("CARGO_BIN_EXE_ntpdc");

/// ntpdc's per-datagram timeout in these runs (`-c "timeout 300"`).
const TIMEOUT_MS: u64 = 300;

/// (mode 7 step, exit code, what the error line says, mode 7 requests sent at most)
const CASES: &[(&str, i32, &str, usize)] = &[
    // From another address: never the server's.
    ("spoof-addr", 3, "timed out, nothing received", 2),
    // From the server's address, ignored, and named.
    (
        "bad-code",
        3,
        "timed out, nothing valid received (2 datagrams from the server ignored, the last: implementation/request",
        2,
    ),
    (
        "no-r-bit",
        3,
        "timed out, nothing valid received (2 datagrams from the server ignored, the last: request packet, wanted response)",
        2,
    ),
    (
        "bad-impl",
        3,
        "timed out, nothing valid received (2 datagrams from the server ignored, the last: implementation/request",
        2,
    ),
    (
        "short",
        3,
        "timed out, nothing valid received (2 datagrams from the server ignored, the last: short (4 octet) packet)",
        2,
    ),
    ("count-long", 1, "malformed response: 5 items of", 1),
    (
        "item-size",
        1,
        "malformed response: 1 items of 600 octets",
        1,
    ),
    (
        "overflow",
        1,
        "malformed response: 4095 items of 4095 octets",
        1,
    ),
    ("gap", 3, "timed out with incomplete data", 2),
    ("endless", 3, "timed out with incomplete data", 2),
    ("huge-seq", 3, "timed out with incomplete data", 2),
    (
        "dup-differ",
        1,
        "two response fragments with sequence 0 carry different data",
        1,
    ),
    ("mixed-size", 3, "timed out with incomplete data", 2),
    ("error:9", 1, "server error: unknown error code 9", 1),
    ("error:5", 1, "server error: unknown error code 5", 1),
    // The implementation fallback (3 → 2) and the request size fallback (192 → 160 → 48)
    // end: a server that refuses every form is reported, not asked forever.
    ("error:1", 1, "server error: ", 3),
    ("error:3", 1, "server error: ", 4),
    ("silent", 3, "timed out, nothing received", 2),
];

/// (command, what its result would show)
const COMMANDS: &[(&str, &[&str])] = &[
    ("peers", &["10.77.0.1"]),
    ("sysinfo", &["system peer:", "10.77.0.1"]),
    ("monlist", &["10.77.0.10"]),
];

fn private_requests(requests: &[Vec<u8>]) -> usize {
    requests
        .iter()
        .filter(|r| r.first().is_some_and(|b| b & 7 == 7))
        .count()
}

fn check_command(command: &str, result_text: &[&str]) {
    let lab = Lab::get();
    let timeout = format!("timeout {TIMEOUT_MS}");
    for &(step, code, what, most) in CASES {
        let responder = lab.scripted_responder("silent", "", step);
        let addr = responder.v4.ip().to_string();
        let out = lab
            .command(NTPDC)
            .args(["-n", "-c", &timeout, "-c", command, &addr])
            .run();
        let label = format!("{command} {step}");
        // Mode 7 (first try and resend), then mode 6 to tell silence from mode 7 being off:
        // timeout × attempts × 2, three times over, plus start-up. A hang check.
        let budget = Duration::from_millis(TIMEOUT_MS * 2 * 2);
        // The classic fallback notes ("changing to older implementation") are not errors.
        let note = format!("ntpdc: {addr}: {command}: note: ");
        CleanFailure {
            code,
            prefix: format!("ntpdc: {addr}: {command}: "),
            what,
            within: budget * 3 + Duration::from_secs(2),
            not_on_stdout: result_text,
            banners: &[&note],
        }
        .check(&label, &out);
        let sent = private_requests(&responder.settled_requests());
        assert!(
            (1..=most).contains(&sent),
            "{label}: {sent} mode 7 requests (at most {most}):\n{out}"
        );
    }
}

#[test]
fn peers_fails_cleanly_on_every_hostile_answer() {
    check_command(COMMANDS[0].0, COMMANDS[0].1);
}

#[test]
fn sysinfo_fails_cleanly_on_every_hostile_answer() {
    check_command(COMMANDS[1].0, COMMANDS[1].1);
}

#[test]
fn monlist_fails_cleanly_on_every_hostile_answer() {
    check_command(COMMANDS[2].0, COMMANDS[2].1);
}

#[test]
fn correct_answers_from_the_scripted_server_are_shown() {
    // The baseline of the table above: the same server answering correctly is believed, and a
    // spoofed answer followed by the real one gets the real one.
    let lab = Lab::get();
    for script in ["ok", "spoof-addr,ok", "bad-code,ok"] {
        for &(command, result_text) in COMMANDS {
            let responder = lab.scripted_responder("silent", "", script);
            let addr = responder.v4.ip().to_string();
            let out = lab
                .command(NTPDC)
                .args(["-n", "-c", "timeout 300", "-c", command, &addr])
                .run();
            out.assert_success();
            let shown = result_text.last().copied().unwrap_or_default();
            assert!(out.stdout.contains(shown), "{command} {script}:\n{out}");
            let want = if script == "ok" { 1 } else { 2 };
            assert_eq!(
                private_requests(&responder.settled_requests()),
                want,
                "{command} {script}:\n{out}"
            );
        }
    }
}

#[test]
fn a_stratum_1_refid_cannot_put_control_characters_on_the_terminal() {
    // The scripted server's stratum-1 refid is 10.77.0.1: octets 0x0a (a line feed) and
    // 0x4d ('M'), then a NUL that ends the text, read as text at stratum 1.
    let lab = Lab::get();
    let responder = lab.scripted_responder("silent", "", "ok");
    let addr = responder.v4.ip().to_string();
    let out = lab
        .command(NTPDC)
        .args(["-n", "-c", "sysinfo", &addr])
        .run();
    out.assert_success();
    assert!(out.stdout.contains("reference ID:         [.M]\n"), "{out}");
}
