//! ntpq against a scripted misbehaving mode 6 server (issue 14): every hostile case of the
//! lab's scripted responder (`ControlStep`), for `rv`, `peers` and `mrulist`. Each run must
//! end with the documented exit code, one error line naming host, command and what was wrong,
//! nothing on stdout that looks like a result, within its timeout and retry budget.

use std::time::Duration;

use ntpkit_lab::{CleanFailure, Lab, RunOutput};

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");

/// ntpq's per-datagram timeout in these runs (`-c "timeout 300"`).
const TIMEOUT_MS: u64 = 300;

/// One hostile case: the mode 6 step, whether the request is signed, the exit code, what the
/// error line says, and how many requests `rv` may send (its retry budget: 2 after a timeout
/// or an incomplete answer, 1 after an answer that is wrong).
struct Case {
    step: &'static str,
    signed: bool,
    code: i32,
    what: &'static str,
    requests: usize,
}

const fn case(step: &'static str, code: i32, what: &'static str, requests: usize) -> Case {
    Case {
        step,
        signed: false,
        code,
        what,
        requests,
    }
}

const fn signed(step: &'static str, what: &'static str) -> Case {
    Case {
        step,
        signed: true,
        code: 4,
        what,
        requests: 1,
    }
}

const CASES: &[Case] = &[
    // From another address: never seen by the exchange.
    case("spoof-addr", 3, "no response after 2 attempts", 2),
    // From the server's address, ignored, and named.
    case(
        "spoof-seq",
        3,
        "no response after 2 attempts (4 datagrams from the server ignored, the last: wrong sequence",
        2,
    ),
    case(
        "bad-opcode",
        3,
        "datagrams from the server ignored, the last: wrong opcode",
        2,
    ),
    case(
        "no-r-bit",
        3,
        "datagrams from the server ignored, the last: not a response (R bit clear))",
        2,
    ),
    case(
        "short",
        3,
        "no response after 2 attempts (2 datagrams from the server ignored, the last: 8 octets is shorter than a mode 6 header)",
        2,
    ),
    case("count-long", 1, "data octets but carries", 1),
    case("overlap", 1, "incomplete response", 2),
    case("gap", 1, "incomplete response", 2),
    // 32 fragments for ordinary answers, 128 for MRU answers.
    case("endless", 1, "response exceeds", 1),
    case(
        "huge-offset",
        1,
        "response data reaching octet 65022 exceeds",
        1,
    ),
    case(
        "dup-differ",
        1,
        "two response fragments at offset 0 carry different data",
        1,
    ),
    case("error:99", 1, "server error: unknown error code 99", 1),
    case("error:0", 1, "server error: unspecified error", 1),
    signed("mac-keyid", "response MAC made with key 99, not key 1"),
    signed("mac-len", "response MAC missing or of a wrong length"),
    signed("badmac", "response MAC does not verify"),
    signed("nomac", "response MAC missing"),
    case("unterminated", 1, "unterminated quoted value", 1),
    // Beyond the octet limit (15,360) or, for MRU answers, the fragment limit (128).
    case("value-64k", 1, "exceeds", 1),
    case("silent", 3, "no response after 2 attempts", 2),
];

/// A command under test: its script prefix (correct answers before the hostile one), the
/// requests that prefix costs, what its result would show, and how long it may take.
struct Command {
    name: &'static str,
    before: &'static str,
    extra_requests: usize,
    result_text: &'static [&'static str],
    /// Exchanges the command may run before giving up (the MRU list asks for a new nonce and
    /// retries with smaller answers).
    exchanges: u64,
}

const COMMANDS: &[Command] = &[
    Command {
        name: "rv",
        before: "",
        extra_requests: 0,
        result_text: &["version=", "stratum=", "refid="],
        exchanges: 1,
    },
    Command {
        name: "peers",
        before: "ok,",
        extra_requests: 1,
        result_text: &["10.77.0.1", "LOCL"],
        exchanges: 2,
    },
    Command {
        name: "mrulist",
        before: "ok,",
        extra_requests: 1,
        result_text: &["10.77.0.10"],
        exchanges: 6,
    },
];

/// What the error line says: the case's text, except where the MRU list's own loop decides.
fn expected_what(command: &Command, c: &Case) -> &'static str {
    match (command.name, c.step) {
        // It asks once per request (with patience from the nonce's round trip), several
        // requests in a row.
        ("mrulist", _) if c.what.starts_with("no response") => "no response after",
        ("mrulist", "bad-opcode" | "no-r-bit") => "no response after",
        // MRU answers are read leniently (they are never quoted); one that yields no rows and
        // no end of list, again and again, ends the listing.
        ("mrulist", "unterminated") => {
            "inconsistent MRU answer: answers carry neither entries nor the end of the list"
        }
        _ => c.what,
    }
}

fn run(lab: &Lab, addr: &str, command: &str, signed: bool) -> RunOutput {
    let keys = lab.private_keys_file().to_string_lossy().into_owned();
    let timeout = format!("timeout {TIMEOUT_MS}");
    let mut args = vec!["-n"];
    if signed {
        args.extend(["-k", &keys, "-a", "1", "-c", "authenticate yes"]);
    }
    args.extend(["-c", &timeout, "-c", command, addr]);
    lab.command(NTPQ).args(&args).run()
}

/// Mode 6 requests in the responder's log.
fn control_requests(requests: &[Vec<u8>]) -> usize {
    requests
        .iter()
        .filter(|r| r.first().is_some_and(|b| b & 7 == 6))
        .count()
}

fn check_command(command: &Command) {
    let lab = Lab::get();
    for c in CASES {
        let script = format!("{}{}", command.before, c.step);
        let responder = lab.scripted_responder("silent", &script, "");
        let addr = responder.v4.ip().to_string();
        let out = run(lab, &addr, command.name, c.signed);
        let label = format!("{} {script}", command.name);
        // Timeout × attempts × exchanges, three times over, plus start-up: a hang check.
        let budget = Duration::from_millis(TIMEOUT_MS * 2 * command.exchanges);
        CleanFailure {
            code: c.code,
            prefix: format!("ntpq: {addr}: {}: ", command.name),
            what: expected_what(command, c),
            within: budget * 3 + Duration::from_secs(2),
            not_on_stdout: command.result_text,
            banners: &["Ctrl-C will stop MRU retrieval"],
        }
        .check(&label, &out);
        // The key signs the requests; it never shows, in text or hex.
        let key = lab.key(1);
        let hex: String = key.bytes().iter().map(|b| format!("{b:02x}")).collect();
        for secret in [key.secret, hex.as_str()] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{label}: key material in the output:\n{out}"
            );
        }
        let sent = control_requests(&responder.settled_requests());
        if command.name == "mrulist" {
            // Nonce and READ_MRU requests, each retried at most once.
            let most = usize::try_from(command.exchanges * 2).unwrap_or(usize::MAX);
            assert!(
                (2..=most).contains(&sent),
                "{label}: {sent} requests:\n{out}"
            );
        } else {
            assert_eq!(
                sent,
                c.requests + command.extra_requests,
                "{label}: requests sent:\n{out}"
            );
        }
    }
}

#[test]
fn rv_fails_cleanly_on_every_hostile_answer() {
    check_command(&COMMANDS[0]);
}

#[test]
fn peers_fails_cleanly_on_every_hostile_answer() {
    check_command(&COMMANDS[1]);
}

#[test]
fn mrulist_fails_cleanly_on_every_hostile_answer() {
    check_command(&COMMANDS[2]);
}

#[test]
fn spoofed_answers_are_ignored_and_the_resend_gets_the_real_one() {
    let lab = Lab::get();
    for spoof in ["spoof-addr", "spoof-seq", "bad-opcode", "no-r-bit", "short"] {
        let responder = lab.scripted_responder("silent", &format!("{spoof},ok"), "");
        let addr = responder.v4.ip().to_string();
        let out = run(lab, &addr, "rv 0 stratum", false);
        out.assert_success();
        // The scripted server sends all its variables whatever was asked.
        assert!(out.stdout.contains("stratum=2"), "{spoof}:\n{out}");
        assert_eq!(
            control_requests(&responder.settled_requests()),
            2,
            "{spoof}"
        );
    }
}

#[test]
fn correct_answers_from_the_scripted_server_are_shown() {
    // The baseline of the table above: the same server answering correctly is believed.
    let lab = Lab::get();
    let keys = lab.private_keys_file().to_string_lossy().into_owned();
    for (command, result) in [
        ("rv", "stratum=2"),
        ("peers", "10.77.0.1"),
        ("mrulist", "10.77.0.10"),
    ] {
        let responder = lab.scripted_responder("silent", "ok", "");
        let addr = responder.v4.ip().to_string();
        let out = run(lab, &addr, command, false);
        out.assert_success();
        assert!(out.stdout.contains(result), "{command}:\n{out}");
        // Signed: the answers are signed with the same key and verify.
        let out = lab
            .command(NTPQ)
            .args(["-n", "-k", &keys, "-a", "1", "-c", "authenticate yes"])
            .args(["-c", command, &addr])
            .run();
        out.assert_success();
        assert!(out.stdout.contains(result), "{command} signed:\n{out}");
    }
}

#[test]
fn terminal_escapes_from_the_server_are_shown_escaped() {
    // Variable text is shown, but a server cannot drive the terminal: ESC and BEL appear as
    // `^[` and `^G` (ntpq's escaping) in variable lists; the billboard leaves such a refid out.
    let lab = Lab::get();
    for (command, shown) in [
        ("rv", "version=\"^[]0;owned^G^[[2J\""),
        ("peers", "*10.77.0.1 "),
    ] {
        let responder = lab.scripted_responder("silent", "escapes", "");
        let addr = responder.v4.ip().to_string();
        let out = run(lab, &addr, command, false);
        out.assert_success();
        assert!(out.stdout.contains(shown), "{command}:\n{out}");
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'),
            "{command}: raw escapes on stdout:\n{out}"
        );
    }
}
