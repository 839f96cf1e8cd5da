//! ntpdate against a scripted misbehaving NTP server (issue 14): the cases the sanity table
//! of `lab.rs` (`every_sanity_rejection_against_the_scripted_server`: kiss-o'-death codes,
//! replies whose origin is not ours, bad and missing MACs, silence, bad timestamps, strata and
//! distances) does not have: replies from another address, MACs under another key ID or of a
//! wrong length. Each run must end with the documented exit code, one error line naming the
//! host and what was wrong, no result, within its timeout and retry budget.

use std::time::Duration;

use ntpkit_lab::{CleanFailure, Lab};

const NTPDATE: &str = env!("CARGO_BIN_EXE_ntpdate");

/// (mode 4 script, signed with key 1, exit code, what the error line says, requests at most)
const CASES: &[(&str, bool, i32, &str, usize)] = &[
    // The right answer, from another address: never taken; resent once, then given up.
    ("spoof-addr", false, 3, "no reply after 2 attempts", 2),
    ("spoof-addr", true, 3, "no reply after 2 attempts", 2),
    (
        "mac-keyid",
        true,
        4,
        "authentication failed: mac key id 99 does not match key id 1",
        4,
    ),
    (
        "mac-len",
        true,
        4,
        "authentication failed: bad mac trailer length 14",
        4,
    ),
];

#[test]
fn ntpdate_fails_cleanly_on_spoofed_sources_and_foreign_macs() {
    let lab = Lab::get();
    let keys = lab.private_keys_file().to_string_lossy().into_owned();
    for &(script, signed, code, what, most) in CASES {
        let responder = lab.ntp_responder(script);
        let addr = responder.v4.ip().to_string();
        let mut args = vec!["-q", "-t", "0.3"];
        if signed {
            args.extend(["-k", &keys, "-a", "1"]);
        }
        args.push(&addr);
        let out = lab.command(NTPDATE).args(&args).run();
        let label = format!("{script} signed={signed}");
        // 4 samples, each sent and resent: timeout × 8, three times over, plus start-up.
        CleanFailure {
            code,
            prefix: format!("ntpdate: no server suitable for synchronization found: {addr}: "),
            what,
            within: Duration::from_millis(300 * 8 * 3) + Duration::from_secs(2),
            not_on_stdout: &["time server", &format!("server {addr},")],
            banners: &[],
        }
        .check(&label, &out);
        // The key signs the requests; it never shows.
        let secret = lab.key(1).secret;
        assert!(
            !out.stdout.contains(secret) && !out.stderr.contains(secret),
            "{label}: key material in the output:\n{out}"
        );
        let seen = responder.settled_requests().len();
        assert!(
            (1..=most).contains(&seen),
            "{label}: {seen} requests (at most {most}):\n{out}"
        );
    }
}

#[test]
fn a_spoofed_source_then_the_real_reply_is_believed() {
    let lab = Lab::get();
    let responder = lab.ntp_responder("spoof-addr,ok");
    let addr = responder.v4.ip().to_string();
    let out = lab
        .command(NTPDATE)
        .args(["-q", "-p", "1", "-t", "0.3", &addr])
        .run();
    out.assert_success();
    assert!(
        out.stdout.contains(&format!("server {addr}, stratum 2")),
        "{out}"
    );
    assert_eq!(responder.settled_requests().len(), 2, "{out}");
}
