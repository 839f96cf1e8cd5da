//! ntptrace against a scripted misbehaving server (issue 14): every hostile mode 6 answer to
//! its one `readvar` per hop (it then falls back to mode 3, which the server ignores), and the
//! hostile mode 3 answers of its fallback (kiss-o'-death, spoofing, silence). Each run must end
//! with the documented exit code (docs/exit-codes.md: 1 a refusal, 3 a hop answering neither
//! mode), one error line naming the host and what was wrong, no hop shown as a valid sample,
//! within its timeout and retry budget.

use std::time::Duration;

use ntpkit_lab::{CleanFailure, Lab};

const NTPTRACE: &str = env!("CARGO_BIN_EXE_ntptrace");

/// ntptrace's per-reply timeout in these runs (`-t 0.3`).
const TIMEOUT_MS: u64 = 300;

/// (mode 3/4 script, mode 6 script, exit code, what the error line says)
const CASES: &[(&str, &str, i32, &str)] = &[
    (
        "silent",
        "spoof-addr",
        3,
        "mode 6 (no response after 2 attempts)",
    ),
    (
        "silent",
        "spoof-seq",
        3,
        "mode 6 (no response after 2 attempts (4 datagrams from the server ignored, the last: wrong sequence",
    ),
    (
        "silent",
        "bad-opcode",
        3,
        "datagrams from the server ignored, the last: wrong opcode",
    ),
    (
        "silent",
        "no-r-bit",
        3,
        "the last: not a response (R bit clear))",
    ),
    (
        "silent",
        "short",
        3,
        "the last: 8 octets is shorter than a mode 6 header)",
    ),
    (
        "silent",
        "count-long",
        3,
        "mode 6 (response fragment claims 576 data octets but carries 176)",
    ),
    (
        "silent",
        "overlap",
        3,
        "mode 6 (incomplete response: 2 fragments",
    ),
    (
        "silent",
        "gap",
        3,
        "mode 6 (incomplete response: 2 fragments",
    ),
    (
        "silent",
        "endless",
        3,
        "mode 6 (response exceeds 32 fragments)",
    ),
    (
        "silent",
        "huge-offset",
        3,
        "mode 6 (response data reaching octet 65022 exceeds the 15360-octet limit)",
    ),
    (
        "silent",
        "dup-differ",
        3,
        "mode 6 (two response fragments at offset 0 carry different data)",
    ),
    (
        "silent",
        "error:99",
        3,
        "mode 6 (server error: unknown error code 99)",
    ),
    (
        "silent",
        "unterminated",
        3,
        "mode 6 (malformed variable list: unterminated quoted value at octet 8)",
    ),
    (
        "silent",
        "value-64k",
        3,
        "mode 6 (response data reaching octet 15444 exceeds the 15360-octet limit)",
    ),
    (
        "silent",
        "silent",
        3,
        "mode 6 (no response after 2 attempts)",
    ),
    // The mode 3 fallback.
    ("kod:DENY", "silent", 1, "refused by kiss-o'-death 'DENY'"),
    ("kod:RSTR", "silent", 1, "refused by kiss-o'-death 'RSTR'"),
    ("kod:RATE", "silent", 1, "refused by kiss-o'-death 'RATE'"),
    ("kod:DENY", "error:1", 1, "refused by kiss-o'-death 'DENY'"),
    ("spoof", "silent", 3, "mode 3 (no reply after 2 attempts)"),
    (
        "spoof-addr",
        "silent",
        3,
        "mode 3 (no reply after 2 attempts)",
    ),
];

#[test]
fn ntptrace_fails_cleanly_on_every_hostile_answer() {
    let lab = Lab::get();
    for &(ntp, control, code, what) in CASES {
        let responder = lab.scripted_responder(ntp, control, "");
        let addr = responder.v4.ip().to_string();
        let out = lab.command(NTPTRACE).args(["-n", "-t", "0.3", &addr]).run();
        let label = format!("mode 3 {ntp}, mode 6 {control}");
        // Mode 6 then mode 3, each sent and resent: timeout × 4, three times over, plus
        // start-up. A hang check.
        let budget = Duration::from_millis(TIMEOUT_MS * 4);
        CleanFailure {
            code,
            prefix: format!("ntptrace: {addr}: "),
            what,
            within: budget * 3 + Duration::from_secs(2),
            // No sample: a refused hop shows stratum 16 and no offset.
            not_on_stdout: &["stratum 2", "offset 0.", "offset -0.", "10.77.0.1"],
            banners: &[],
        }
        .check(&label, &out);
        let sent = responder.settled_requests().len();
        assert!((2..=4).contains(&sent), "{label}: {sent} requests:\n{out}");
    }
}

#[test]
fn spoofed_mode_6_answers_are_ignored_and_the_resend_is_believed() {
    let lab = Lab::get();
    for spoof in ["spoof-addr", "spoof-seq"] {
        let responder = lab.scripted_responder("silent", &format!("{spoof},ok"), "");
        let addr = responder.v4.ip().to_string();
        let out = lab.command(NTPTRACE).args(["-n", "-t", "0.3", &addr]).run();
        out.assert_success();
        // The scripted server says stratum 2 with ntp1 as its source; the walk goes on there.
        assert!(
            out.stdout.starts_with(&format!("{addr}: stratum 2, ")),
            "{spoof}:\n{out}"
        );
        assert_eq!(responder.settled_requests().len(), 2, "{spoof}:\n{out}");
    }
}
