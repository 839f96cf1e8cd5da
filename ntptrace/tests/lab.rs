//! `ntptrace` against the lab, compared with the reference `ntptrace` (the 4.2.8p15 Perl script
//! over the reference ntpq) in the same test: the chain ntp3 → ntp2 (NTPsec) → ntp1, IPv6 hosts,
//! `-m 1`, a hop with `noquery` for the client (`quiet`, read by mode 3), an upstream that
//! answers the client nothing (`hidden`), a real synchronization loop (`loopa`/`loopb`), the
//! scripted responder for mode 3 states, and the JSON document against docs/json.md.

use std::time::Duration;

use ntpkit_lab::{Host, Lab, RefTool, RunOutput, Xntpd3Script};
use serde_json::Value;

fn ours(lab: &Lab, args: &[&str]) -> RunOutput {
    lab.command(env!("CARGO_BIN_EXE_ntptrace")).args(args).run()
}

fn reference(lab: &Lab, args: &[&str]) -> RunOutput {
    lab.reference(RefTool::Ntptrace).args(args).run()
}

/// Ours and the reference with the same arguments, started together so that both read each
/// hop within milliseconds (a daemon's root dispersion jumps at its clock updates).
fn side_by_side(lab: &Lab, args: &[&str]) -> (RunOutput, RunOutput) {
    std::thread::scope(|s| {
        let theirs = s.spawn(|| reference(lab, args));
        let out = ours(lab, args);
        (out, theirs.join().expect("the reference run panicked"))
    })
}

fn json(out: &RunOutput) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{out}"))
}

/// One classic line, `HOST: stratum S, offset O, synch distance D[, refid 'X'][ annotation]`.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    host: String,
    stratum: u8,
    offset: Option<f64>,
    distance: f64,
    /// The rest after the distance: `, refid 'X'` and our mode 3 annotation.
    rest: String,
}

#[track_caller]
fn not_classic<T>(line: &str) -> T {
    panic!("not a classic ntptrace line: {line:?}")
}

fn parse_line(line: &str) -> Line {
    let fail = || not_classic(line);
    let (host, tail) = line.split_once(": stratum ").unwrap_or_else(fail);
    let (stratum, tail) = tail.split_once(", offset ").unwrap_or_else(fail);
    let (offset, tail) = tail.split_once(", synch distance ").unwrap_or_else(fail);
    let digits = tail
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(tail.len());
    let (distance, rest) = tail.split_at(digits);
    for number in [offset, distance] {
        // `%f`: six decimals.
        assert!(
            number == "-" || number.split_once('.').is_some_and(|(_, f)| f.len() == 6),
            "{line:?}"
        );
    }
    Line {
        host: host.to_owned(),
        stratum: stratum.parse().unwrap_or_else(|_| not_classic(line)),
        offset: (offset != "-").then(|| offset.parse().unwrap_or_else(|_| not_classic(line))),
        distance: distance.parse().unwrap_or_else(|_| not_classic(line)),
        rest: rest.to_owned(),
    }
}

fn lines(text: &str) -> Vec<Line> {
    text.lines().map(parse_line).collect()
}

/// Same hosts, strata and refids; offsets and distances within `tolerance` seconds (both runs
/// read the daemons a few milliseconds apart, and root dispersion grows meanwhile).
fn same_hops(ours: &[Line], theirs: &[Line], tolerance: f64) -> Result<(), String> {
    if ours.len() != theirs.len() {
        return Err(format!("{ours:#?}\n{theirs:#?}"));
    }
    for (o, t) in ours.iter().zip(theirs) {
        if (&o.host, o.stratum, &o.rest) != (&t.host, t.stratum, &t.rest) {
            return Err(format!("{o:?} / {t:?}"));
        }
        let (oo, to) = (o.offset.unwrap_or(f64::NAN), t.offset.unwrap_or(f64::NAN));
        if (oo - to).abs() > tolerance {
            return Err(format!("offset {o:?} / {t:?}"));
        }
        if (o.distance - t.distance).abs() > tolerance {
            return Err(format!("distance {o:?} / {t:?}"));
        }
    }
    Ok(())
}

#[track_caller]
fn assert_same_hops(ours: &[Line], theirs: &[Line], tolerance: f64) {
    if let Err(e) = same_hops(ours, theirs, tolerance) {
        panic!("{e}");
    }
}

/// [`side_by_side`] until both agree within `tolerance`, three tries at most: a daemon's clock
/// update between the two reads of a hop moves its root dispersion by up to a millisecond (the
/// classic script forks an ntpq per hop, slower still on a loaded machine). Asserts on the
/// last try.
#[track_caller]
fn agreeing(lab: &Lab, args: &[&str], tolerance: f64) -> (RunOutput, RunOutput) {
    for _ in 0..2 {
        let (out, theirs) = side_by_side(lab, args);
        if same_hops(&lines(&out.stdout), &lines(&theirs.stdout), tolerance).is_ok() {
            return (out, theirs);
        }
    }
    let (out, theirs) = side_by_side(lab, args);
    assert_same_hops(&lines(&out.stdout), &lines(&theirs.stdout), tolerance);
    (out, theirs)
}

#[test]
fn chain_to_stratum_1_matches_the_reference() {
    let lab = Lab::get();
    let ntp3 = lab.ntp3().v4.to_string();
    let (out, _) = agreeing(lab, &["-n", &ntp3], 0.000_5);
    out.assert_success();
    assert!(out.stderr.is_empty(), "{out}");
    let ours_lines = lines(&out.stdout);
    let hops: Vec<(&str, u8)> = ours_lines
        .iter()
        .map(|l| (l.host.as_str(), l.stratum))
        .collect();
    assert_eq!(
        hops,
        [("10.77.0.3", 3), ("10.77.0.2", 2), ("10.77.0.1", 1)],
        "{out}"
    );
    assert_eq!(ours_lines[2].rest, ", refid 'LOCL'");

    // Without -n: no resolver answers in the lab. The classic script dies on the first reverse
    // lookup; ours shows the addresses.
    let theirs = reference(lab, &[&ntp3]);
    assert!(theirs.stdout.is_empty(), "{theirs}");
    assert!(theirs.stderr.contains("getnameinfo failed"), "{theirs}");
    let out = ours(lab, &[&ntp3]);
    out.assert_success();
    // Read after the reference's run: a clock update may have moved root dispersion since.
    assert_same_hops(&lines(&out.stdout), &ours_lines, 0.002);
    // The middle hop is the NTPsec daemon, read over mode 6 like the others.
    let doc = json(&ours(lab, &["-n", "--json", &ntp3]));
    let versions: Vec<&str> = doc["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["version"].as_str().unwrap_or_default())
        .collect();
    assert!(versions[0].starts_with("ntpd 4.2.8p15"), "{versions:?}");
    assert!(versions[1].contains("ntpsec-1.2.2"), "{versions:?}");
    assert!(versions[2].starts_with("ntpd 4.2.8p15"), "{versions:?}");
    for hop in doc["hops"].as_array().unwrap() {
        assert_eq!(hop["read_by"], "mode6");
    }
    assert_eq!(doc["stop"]["reason"], "primary");
}

#[test]
fn max_hosts_1_matches_the_reference() {
    let lab = Lab::get();
    let ntp3 = lab.ntp3().v4.to_string();
    let (out, _) = agreeing(lab, &["-n", "-m", "1", &ntp3], 0.000_5);
    out.assert_success();
    assert_eq!(lines(&out.stdout).len(), 1);
    let doc = json(&ours(lab, &["-n", "-m", "1", "--json", &ntp3]));
    assert_eq!(doc["stop"]["reason"], "max_hosts");
    assert_eq!(doc["complete"], true);
    // -r names the host when no positional one is given, as in the classic tool.
    let out = ours(lab, &["-n", "-m", "1", "-r", &ntp3]);
    out.assert_success();
    assert_eq!(lines(&out.stdout)[0].host, ntp3);
}

#[test]
fn ipv6_hosts() {
    let lab = Lab::get();
    // Starting over IPv6; ntp3's system peer is IPv4, so the walk continues over IPv4.
    let ntp3 = lab.ntp3().v6.to_string();
    let (out, _) = agreeing(lab, &["-n", &ntp3], 0.000_5);
    out.assert_success();
    assert_eq!(lines(&out.stdout)[0].host, "fd77::3");

    // `leaf` is synchronized to `quiet` over IPv6: its refid is the hash of fd77::51 and the walk
    // follows its system peer's IPv6 address.
    let leaf = lab.host("leaf");
    let doc = json(&ours(lab, &["-n", "--json", &leaf.v6.to_string()]));
    let hops = doc["hops"].as_array().unwrap();
    assert_eq!(hops[0]["host"], "fd77::52");
    assert_eq!(hops[0]["refid"]["kind"], "ipv6_hash");
    assert_eq!(hops[0]["refid"]["text"], "242.209.136.1");
    assert_eq!(hops[0]["system_peer_address"], "fd77::51");
    assert_eq!(hops[0]["next"], "fd77::51");
    assert_eq!(hops[1]["address"], "fd77::51");
}

/// The reference ntpq's view: whether mode 6 to `addr` times out from the client.
fn mode6_times_out(lab: &Lab, addr: &str) -> bool {
    let out = lab
        .reference(RefTool::Ntpq)
        .args(["-n", "-c", "rv 0 stratum", addr])
        .run();
    format!("{}{}", out.stdout, out.stderr).contains("timed out")
}

#[test]
fn noquery_hop_is_read_by_mode_3() {
    let lab = Lab::get();
    let (leaf, quiet) = (lab.host("leaf"), lab.host("quiet"));
    // The setting is real: quiet refuses mode 6 to the client (IPv4 and IPv6) but serves time.
    assert!(mode6_times_out(lab, &quiet.v4.to_string()));
    assert!(mode6_times_out(lab, &quiet.v6.to_string()));
    let ntpdate = lab
        .reference(RefTool::Ntpdate)
        .args(["-q", &quiet.v4.to_string()])
        .run();
    ntpdate.assert_stdout_contains(&format!("server {}, stratum 2,", quiet.v4));

    let leaf_addr = leaf.v4.to_string();
    let (out, theirs) = side_by_side(lab, &["-n", &leaf_addr]);
    out.assert_success();
    let got = lines(&out.stdout);
    let hops: Vec<(&str, u8, Option<f64>)> = got
        .iter()
        .map(|l| (l.host.as_str(), l.stratum, l.offset.map(|_| 0.0)))
        .collect();
    assert_eq!(
        hops,
        [
            ("10.77.0.52", 3, Some(0.0)),
            ("fd77::51", 2, None),
            ("10.77.0.1", 1, Some(0.0))
        ],
        "{out}"
    );
    assert_eq!(
        got[1].rest,
        " [mode 3; mode 6: no response after 2 attempts]"
    );
    // The reference stops silently where mode 6 is refused: only leaf's line, which we match
    // (within a clock update's step of root dispersion: one run each, no retry here).
    assert_same_hops(&got[..1], &lines(&theirs.stdout), 0.002);

    let doc = json(&ours(lab, &["-n", "--json", &leaf_addr]));
    let hop = &doc["hops"][1];
    assert_eq!(hop["read_by"], "mode3");
    assert_eq!(hop["mode6_error"], "no response after 2 attempts");
    assert_eq!(hop["offset_ms"], Value::Null);
    assert_eq!(hop["system_peer"], Value::Null);
    assert_eq!(hop["refid"]["text"], "10.77.0.1");
    assert_eq!(
        (&hop["next"], &hop["next_from"]),
        (&"10.77.0.1".into(), &"refid".into())
    );
    assert!(hop["measured_delay_ms"].as_f64().is_some_and(|d| d >= 0.0));
    assert_eq!(doc["hops"][2]["read_by"], "mode6");
    assert_eq!(doc["stop"]["reason"], "primary");
}

#[test]
fn unreachable_upstream_is_named() {
    let lab = Lab::get();
    let (stray, hidden) = (lab.host("stray"), lab.host("hidden"));
    // hidden is synchronized (read from its own namespace) but answers the client nothing.
    assert_eq!(
        lab.sys_stratum(hidden),
        Some((2, lab.ntp1().v4.to_string()))
    );
    let (out, _) = agreeing(lab, &["-n", &stray.v4.to_string()], 0.000_5);
    assert_eq!(out.code, Some(3), "{out}");
    assert_eq!(lines(&out.stdout).len(), 1, "{out}");
    assert_eq!(
        out.stderr.trim(),
        "ntptrace: 10.77.0.53: no answer to mode 6 (no response after 2 attempts) or mode 3 \
         (no reply after 2 attempts)"
    );

    let doc = json(&ours(lab, &["-n", "--json", &stray.v4.to_string()]));
    assert_eq!(doc["stop"]["reason"], "unreachable");
    assert_eq!(doc["stop"]["host"], "10.77.0.53");
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["hops"][0]["next"], "10.77.0.53");
    // A host that is unreachable from the start: exit 3, one line, nothing on stdout.
    let out = ours(lab, &["-n", &hidden.v6.to_string()]);
    assert_eq!(out.code, Some(3), "{out}");
    assert!(out.stdout.is_empty(), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
}

/// Runs `trace` while both loop daemons select each other (checked with the reference ntpq
/// before and after); runs it again when the loop broke in between.
fn while_in_loop(lab: &Lab, a: &Host, b: &Host, trace: impl Fn() -> RunOutput) -> RunOutput {
    for _ in 0..5 {
        assert!(
            lab.wait_for_loop(a, b, Duration::from_secs(420)),
            "loopa and loopb did not select each other within 7 minutes"
        );
        let out = trace();
        if lab.in_loop(a, b) {
            return out;
        }
    }
    panic!("the loop kept breaking while it was traced")
}

#[test]
fn synchronization_loop_is_detected() {
    let lab = Lab::get();
    let (a, b) = (lab.host("loopa"), lab.host("loopb"));
    let start = a.v4.to_string();
    let out = while_in_loop(lab, a, b, || ours(lab, &["-n", &start]));
    assert_eq!(out.code, Some(1), "{out}");
    let got = lines(&out.stdout);
    let hosts: Vec<&str> = got.iter().map(|l| l.host.as_str()).collect();
    // loopa's main address, then the fleet addresses each one uses for the other.
    assert_eq!(hosts, ["10.77.0.55", "10.77.56.1", "10.77.55.1"], "{out}");
    assert_eq!(
        out.stderr.trim(),
        "ntptrace: 10.77.55.1: synchronization loop: next hop 10.77.56.1 is hop 2 again"
    );
    // The classic tool walks round the loop until -m.
    let theirs = while_in_loop(lab, a, b, || reference(lab, &["-n", "-m", "6", &start]));
    let theirs: Vec<String> = lines(&theirs.stdout).into_iter().map(|l| l.host).collect();
    assert_eq!(
        theirs,
        [
            "10.77.0.55",
            "10.77.56.1",
            "10.77.55.1",
            "10.77.56.1",
            "10.77.55.1",
            "10.77.56.1"
        ]
    );

    let out = while_in_loop(lab, a, b, || ours(lab, &["-n", "--json", &start]));
    let doc = json(&out);
    assert_eq!(doc["stop"]["reason"], "loop");
    assert_eq!(doc["complete"], false);
    let hops = doc["hops"].as_array().unwrap();
    assert_eq!(hops[2]["next"], "10.77.56.1");
    for hop in hops {
        assert_eq!(hop["next_from"], "system_peer");
        assert!(
            (2..=15).contains(&hop["stratum"].as_u64().unwrap()),
            "{hop}"
        );
    }
}

#[test]
fn mode_3_states_from_the_scripted_server() {
    let lab = Lab::get();
    // A server that ignores mode 6 and answers mode 3 with stratum 2 and refid 10.77.0.1.
    let ok = lab.ntp_responder("ok");
    let addr = ok.v4.ip().to_string();
    let out = ours(lab, &["-n", &addr]);
    out.assert_success();
    let got = lines(&out.stdout);
    assert_eq!(
        got.iter()
            .map(|l| (l.host.as_str(), l.stratum))
            .collect::<Vec<_>>(),
        [(addr.as_str(), 2), ("10.77.0.1", 1)]
    );
    // Root delay 1 ms and root dispersion 2 ms in the 16.16 format (65 and 131 units): 0.002495 s.
    assert_eq!(got[0].distance, 0.002_495, "{out}");

    let cases = [
        (
            "leap3",
            1,
            "unsynchronized",
            "unsynchronized (leap 11, stratum 2",
        ),
        (
            "kod:INIT",
            1,
            "unsynchronized",
            "unsynchronized (leap 11, stratum 16",
        ),
        ("kod:DENY", 1, "refused", "refused by kiss-o'-death 'DENY'"),
        (
            "refid:242.209.136.1",
            1,
            "refid_not_followable",
            "refid '242.209.136.1' is not a unicast IPv4 address and cannot be followed",
        ),
        (
            "refid:10.77.0.99",
            3,
            "unreachable",
            "may be the hash of an IPv6 upstream",
        ),
    ];
    for (script, code, reason, message) in cases {
        let responder = lab.ntp_responder(script);
        let addr = responder.v4.ip().to_string();
        let out = ours(lab, &["-n", "--json", &addr]);
        assert_eq!(out.code, Some(code), "{script}: {out}");
        assert!(out.stderr.contains(message), "{script}: {out}");
        let doc = json(&out);
        assert_eq!(doc["stop"]["reason"], reason, "{script}");
        assert_eq!(doc["hops"][0]["read_by"], "mode3", "{script}");
    }
}

#[test]
fn xntpd3_variables_through_the_classic_requests() {
    let lab = Lab::get();
    // The lab's scripted xntpd 3: no `peeradr` (nor `version`, `offset`, `rootdisp`: it says
    // `phase` and `rootdispersion`), stratum 2, refid 10.77.0.1, system peer 0.
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let xntpd3 = lab.xntpd3_responder(&Xntpd3Script {
        clock_unix: i64::try_from(clock).unwrap(),
        key_id: 1,
        key: "ntpkitLabMd5Key1".into(),
        leap_warning: 0,
        leap_indicator: 0,
        source_leap: 0,
        omitted_counts: false,
    });
    let addr = xntpd3.addr.ip().to_string();
    let (out, theirs) = side_by_side(lab, &["-n", &addr]);
    out.assert_success();
    let got = lines(&out.stdout);
    // The same first line as the classic script, which maps the old names the same way; it then
    // stops (no `srcadr` for system peer 0), where ours follows the refid.
    assert_same_hops(&got[..1], &lines(&theirs.stdout), 0.0);
    assert_eq!(
        got.iter()
            .map(|l| (l.host.as_str(), l.stratum))
            .collect::<Vec<_>>(),
        [(addr.as_str(), 2), ("10.77.0.1", 1)]
    );
    // phase 0.123 ms; rootdispersion 45.67 + rootdelay 12.34 / 2 ms.
    assert_eq!(
        (got[0].offset, got[0].distance),
        (Some(0.000_123), 0.051_840)
    );
    // The named list was refused as a whole (UNKNOWNVAR), then the default list read.
    let log = xntpd3.log();
    let ours_requests: Vec<&String> = log.iter().filter(|l| l.contains("op=2")).collect();
    assert!(
        ours_requests
            .iter()
            .any(|l| l.contains("peeradr") && l.ends_with("-> error 5")),
        "{log:#?}"
    );
    assert!(
        ours_requests
            .iter()
            .any(|l| l.contains("data=''") && l.ends_with("-> ok")),
        "{log:#?}"
    );
    let doc = json(&ours(lab, &["-n", "--json", &addr]));
    assert_eq!(doc["hops"][0]["read_by"], "mode6");
    assert_eq!(doc["hops"][0]["next_from"], "refid");
    assert_eq!(doc["hops"][0]["version"], Value::Null);
}

#[test]
fn bad_hosts_fail_cleanly() {
    let lab = Lab::get();
    let out = ours(lab, &["no-such-host.invalid"]);
    assert_eq!(out.code, Some(3), "{out}");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(
        out.stderr.starts_with("ntptrace: no-such-host.invalid: "),
        "{out}"
    );
    // The default host is 127.0.0.1, where nothing runs in the client namespace.
    let out = ours(lab, &["-n", "-t", "0.2"]);
    assert_eq!(out.code, Some(3), "{out}");
    assert!(
        out.stderr.starts_with("ntptrace: 127.0.0.1: no answer"),
        "{out}"
    );
}

/// Checks a value's type: `"string"`, `"number"`, `"int"`, `"bool"`, `"object"`, `"array"`,
/// with `"?"` appended when null is allowed.
#[track_caller]
fn check(doc: &Value, key: &str, kind: &str) {
    let value = doc
        .get(key)
        .unwrap_or_else(|| panic!("missing key '{key}' in {doc}"));
    let (kind, nullable) = kind.strip_suffix('?').map_or((kind, false), |k| (k, true));
    if nullable && value.is_null() {
        return;
    }
    let ok = match kind {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "int" => value.is_i64() || value.is_u64(),
        "bool" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => panic!("unknown kind {kind}"),
    };
    assert!(ok, "'{key}' is not {kind}: {value}");
}

/// The shape docs/json.md documents for `ntptrace --json`.
#[track_caller]
fn assert_documented_shape(doc: &Value) {
    for (key, kind) in [
        ("start", "string"),
        ("hops", "array"),
        ("stop", "object"),
        ("complete", "bool"),
    ] {
        check(doc, key, kind);
    }
    for (key, kind) in [
        ("reason", "string"),
        ("host", "string"),
        ("message", "string"),
    ] {
        check(&doc["stop"], key, kind);
    }
    for hop in doc["hops"].as_array().unwrap() {
        for (key, kind) in [
            ("hop", "int"),
            ("host", "string"),
            ("address", "string"),
            ("name", "string?"),
            ("read_by", "string"),
            ("mode6_error", "string?"),
            ("version", "string?"),
            ("leap", "object"),
            ("stratum", "int"),
            ("refid", "object"),
            ("offset_ms", "number?"),
            ("root_delay_ms", "number"),
            ("root_dispersion_ms", "number"),
            ("synch_distance_ms", "number"),
            ("precision", "int?"),
            ("system_peer", "int?"),
            ("system_peer_address", "string?"),
            ("measured_offset_ms", "number?"),
            ("measured_delay_ms", "number?"),
            ("next", "string?"),
            ("next_from", "string?"),
        ] {
            check(hop, key, kind);
        }
        check(&hop["leap"], "code", "int");
        check(&hop["leap"], "name", "string");
        for key in ["kind", "text", "hex"] {
            check(&hop["refid"], key, "string");
        }
        assert!(["mode6", "mode3"].contains(&hop["read_by"].as_str().unwrap()));
        let mode3 = hop["read_by"] == "mode3";
        assert_eq!(hop["mode6_error"].is_string(), mode3, "{hop}");
        assert_eq!(hop["measured_delay_ms"].is_number(), mode3, "{hop}");
        assert_eq!(hop["offset_ms"].is_number(), !mode3, "{hop}");
        assert_eq!(hop["next"].is_string(), hop["next_from"].is_string());
        let distance = hop["root_dispersion_ms"].as_f64().unwrap()
            + hop["root_delay_ms"].as_f64().unwrap() / 2.0;
        assert!((hop["synch_distance_ms"].as_f64().unwrap() - distance).abs() < 1e-9);
    }
    let reasons = [
        "primary",
        "stratum_zero",
        "refclock",
        "max_hosts",
        "unsynchronized",
        "loop",
        "no_system_peer",
        "refid_not_followable",
        "refused",
        "unreachable",
    ];
    assert!(reasons.contains(&doc["stop"]["reason"].as_str().unwrap()));
}

#[test]
fn json_follows_the_documented_shape() {
    let lab = Lab::get();
    let leaf = lab.host("leaf").v4.to_string();
    let stray = lab.host("stray").v4.to_string();
    let ntp3 = lab.ntp3().v4.to_string();
    for args in [
        vec!["-n", "--json", ntp3.as_str()],
        vec!["--json", leaf.as_str()],
        vec!["-n", "--json", stray.as_str()],
        vec!["-n", "--json", "-m", "2", ntp3.as_str()],
    ] {
        let out = ours(lab, &args);
        let doc = json(&out);
        assert_documented_shape(&doc);
        assert_eq!(doc["complete"], out.code == Some(0), "{out}");
        // Hop numbers count up from 1, and each hop names the next one.
        let hops = doc["hops"].as_array().unwrap();
        for (i, pair) in hops.windows(2).enumerate() {
            assert_eq!(pair[0]["hop"], i + 1);
            assert_eq!(pair[0]["next"], pair[1]["host"]);
        }
    }
}
