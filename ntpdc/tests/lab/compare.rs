//! Every query command, ours against the reference ntpdc 4.2.8p15 with `-n`, on ntp1 and ntp3.

use ntpkit_lab::{Lab, Normalizer};

use crate::support::{REF_AUTH, assert_fits, ours, ours_signed, state_lock, theirs};

/// Values that move between two readings a moment apart and are not simple counters.
fn normalizer() -> Normalizer {
    [
        "watchdog timer",
        "time until next send",
        "time last received",
        "reachability change",
        "pll offset",
        "maximum error",
        "estimated error",
        "pll frequency",
        "frequency",
        "poll adjust",
        "clock type",
    ]
    .iter()
    .fold(Normalizer::default(), |n, v| n.volatile(v))
}

/// Runs `command` on `host` with both tools (the reference before and after ours) and
/// compares; returns our output.
fn compare(lab: &Lab, host: &str, command: &str, signed: bool) -> String {
    let mut ref_args = vec!["-n"];
    if signed {
        ref_args.extend_from_slice(&REF_AUTH);
    }
    ref_args.extend(["-c", command, host]);
    let before = theirs(lab, &ref_args);
    let mine = if signed {
        ours_signed(lab, 1, &["-c", command, host])
    } else {
        ours(lab, &["-n", "-c", command, host])
    };
    let after = theirs(lab, &ref_args);
    let what = format!("{host}: {command}");
    if before.stdout.is_empty() {
        // The reference failed (data not found, say): so must we, for the same reason.
        assert!(
            !mine.success(),
            "{what}: the reference failed, we did not:\n{mine}"
        );
        let theirs = before
            .stderr
            .trim()
            .trim_start_matches("***")
            .to_lowercase();
        let ours = mine.stderr.to_lowercase();
        assert!(
            ours.contains(theirs.trim_start_matches("server reports ")),
            "{what}: reference says '{theirs}', we say '{ours}'"
        );
        return String::new();
    }
    mine.assert_success();
    assert_fits(
        &what,
        &mine.stdout,
        &before.stdout,
        &after.stdout,
        &normalizer(),
    );
    mine.stdout
}

const QUERIES: &[&str] = &[
    "listpeers",
    "peers",
    "dmpeers",
    "loopinfo",
    "loopinfo oneline",
    "sysinfo",
    "sysstats",
    "memstats",
    "iostats",
    "timerstats",
    "kerninfo",
    "reslist",
    "authinfo",
    "ctlstats",
    "traps",
    "monlist",
    "clockstat 127.127.1.0",
    "clkbug 127.127.1.0",
];

fn every_query(host: &str, peer: &str) {
    let lab = Lab::get();
    let _state = state_lock();
    for command in QUERIES {
        compare(lab, host, command, false);
    }
    compare(lab, host, &format!("showpeer {peer}"), false);
    compare(lab, host, &format!("pstats {peer}"), false);
    compare(lab, host, "ifstats", true);
}

#[test]
fn every_query_matches_the_reference_on_ntp1() {
    let lab = Lab::get();
    every_query(&lab.ntp1().v4.to_string(), "127.127.1.0");
    // Our clock type names the driver by its short name; the number is the same.
    let text = ours(
        lab,
        &[
            "-n",
            "-c",
            "clockstat 127.127.1.0",
            &lab.ntp1().v4.to_string(),
        ],
    );
    text.assert_stdout_contains("clock type:           LOCAL (1)");
}

#[test]
fn every_query_matches_the_reference_on_ntp3() {
    let lab = Lab::get();
    every_query(&lab.ntp3().v4.to_string(), &lab.ntp2().v4.to_string());
}

#[test]
fn ipv6_addresses_are_shown_in_full() {
    let lab = Lab::get();
    let host = lab.ntp1().v6.to_string();
    let out = ours(lab, &["-n", "-c", "reslist -6", "-c", "ifstats", &host]);
    // Without a key, ifstats fails; reslist alone is enough here.
    assert!(
        out.stdout
            .contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        "masks in full:\n{out}"
    );
    let theirs = theirs(lab, &["-n", "-c", "reslist -6", &host]);
    assert!(theirs.stdout.contains("ffff:ffff:ffff: "), "{theirs}");
}

#[test]
fn options_l_p_s_and_several_hosts() {
    let lab = Lab::get();
    let (h1, h3) = (lab.ntp1().v4.to_string(), lab.ntp3().v4.to_string());
    let out = ours(lab, &["-n", "-l", "-p", "-s", &h1, &h3]);
    out.assert_success();
    let headers = out.stdout.lines().filter(|l| l.starts_with("--- ")).count();
    assert_eq!(
        headers, 6,
        "a header before each command on each host:\n{out}"
    );
    assert!(
        out.stdout.contains(&format!("--- {h3} ---\nclient       ")),
        "{out}"
    );
    let theirs = theirs(lab, &["-n", "-l", "-p", "-s", &h1, &h3]);
    assert_eq!(
        out.stdout.lines().count(),
        theirs.stdout.lines().count(),
        "same shape as the reference:\n{out}\n{theirs}"
    );
}

#[test]
fn commands_from_standard_input_and_abbreviations() {
    let lab = Lab::get();
    let _key = crate::support::signing();
    let host = lab.ntp3().v4.to_string();
    let out = lab
        .command(env!("CARGO_BIN_EXE_ntpdc"))
        .args(["-n", &host])
        .stdin("sysi\nloop oneline\nhelp addserver\nbogus\nsys\nquit\npeers\n")
        .run();
    assert!(
        out.stdout.contains("system peer:          10.77.0.2"),
        "{out}"
    );
    assert!(out.stdout.contains("offset +"), "{out}");
    assert!(out.stdout.contains("usage: addserver"), "{out}");
    assert!(
        !out.stdout.contains("remote           local"),
        "quit stops:\n{out}"
    );
    // The shared shell's messages are classic ntpdc's, to the letter.
    assert_eq!(
        out.stderr, "***Command `bogus' unknown\n***Command `sys' ambiguous\n",
        "{out}"
    );
    assert_eq!(out.code, Some(2), "usage errors set exit status 2");
}
