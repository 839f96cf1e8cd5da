//! `ntpq check` and `ntpq serve` against real daemons: every threshold and every exit code
//! (the lab servers, scratch daemons behind the shifted-clock servers, a young daemon with a
//! pending leap second and a leap file, an unsynchronized daemon, a stopped one), partial
//! answers through a lossy relay, agreement with monitoring-plugins' `check_ntp_peer`, the
//! Prometheus exposition through `prometheus_client`'s parsers, `serve` scraped over HTTP, the
//! plugin output format and the JSON shape of docs/json.md.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ntpkit::time::CivilTime;
use ntpkit_lab::{
    Daemon, Host, Impairer, Impairment, Lab, LabCommand, NtpsecTool, Paths, RefTool, RunOutput,
    ScratchDaemon, Tools,
};
use serde_json::Value;

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");
/// monitoring-plugins' plugin (Debian `monitoring-plugins-basic`, installed by the provisioning).
const CHECK_NTP_PEER: &str = "/usr/lib/nagios/plugins/check_ntp_peer";

// ---- helpers -------------------------------------------------------------------------------

fn v4(host: &Host) -> String {
    host.v4.to_string()
}

/// `ntpq check ARGS` in the lab's client namespace.
fn check(lab: &Lab, args: &[&str]) -> RunOutput {
    lab.command(NTPQ).arg("check").args(args).run()
}

/// `ntpq check ARGS` wherever `cmd` runs.
fn check_in(mut cmd: LabCommand, args: &[&str]) -> RunOutput {
    cmd.arg("check").args(args).run()
}

/// The JSON documents of `ntpq check --json`, one per server.
#[track_caller]
fn reports(out: &RunOutput) -> Vec<Value> {
    serde_json::Deserializer::from_str(&out.stdout)
        .into_iter::<Value>()
        .map(|doc| doc.unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}")))
        .collect()
}

#[track_caller]
fn only_report(out: &RunOutput) -> Value {
    let mut all = reports(out);
    assert_eq!(all.len(), 1, "{out}");
    all.remove(0)
}

#[track_caller]
fn assert_exit(out: &RunOutput, code: i32, needle: &str) {
    assert_eq!(out.code, Some(code), "exit code of {}:\n{out}", out.command);
    assert!(
        out.stdout.contains(needle),
        "expected {needle:?} in the output of {}:\n{out}",
        out.command
    );
}

/// The state of check `name` in a JSON report.
fn state_of<'a>(report: &'a Value, name: &str) -> &'a str {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .and_then(|c| c["state"].as_str())
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

/// Polls `probe` once a second until it returns something, for at most `limit`.
#[track_caller]
fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        thread::sleep(Duration::from_secs(1));
    }
}

/// Waits until every report of `ntpq check --json` run by `run` says synchronized.
#[track_caller]
fn wait_synchronized(what: &str, run: impl Fn() -> RunOutput) -> Vec<Value> {
    wait_for(what, Duration::from_secs(120), || {
        let out = run();
        let all = reports(&out);
        all.iter()
            .all(|r| r["metrics"]["synchronized"] == true)
            .then_some(all)
    })
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap())
        .unwrap()
}

/// A Python with PyPI's prometheus_client, from the provisioning's venv.
fn python() -> PathBuf {
    Tools::get();
    let python = Paths::from_env().cache.join("py/bin/python3");
    assert!(
        python.is_file(),
        "{} missing: provisioning",
        python.display()
    );
    python
}

/// `check_ntp_peer -H host ARGS` where `cmd` runs; its exit code.
fn theirs(mut cmd: LabCommand, host: &str, args: &[&str]) -> RunOutput {
    cmd.args(["-H", host, "-t", "5"]).args(args).run()
}

/// Runs our check and check_ntp_peer with the same thresholds and asserts the same verdict;
/// returns it.
#[track_caller]
fn assert_agree(
    ours_cmd: LabCommand,
    their_cmd: LabCommand,
    host: &str,
    ours: &[&str],
    their: &[&str],
) -> i32 {
    let mut args = ours.to_vec();
    args.push(host);
    let o = check_in(ours_cmd, &args);
    let t = theirs(their_cmd, host, their);
    assert!(
        matches!(t.code, Some(0..=3)),
        "check_ntp_peer did not run:\n{t}"
    );
    assert_eq!(
        o.code, t.code,
        "verdicts differ on {host} (ours {ours:?}, theirs {their:?}):\n{o}\n{t}"
    );
    o.code.unwrap_or(-1)
}

// ---- the lab servers -----------------------------------------------------------------------

/// `stratum=N` and `peer=N` from a reference ntpq's `rv 0 stratum,peer`, and the conditions of
/// its `associations` rows.
fn reference_view(out: &RunOutput) -> (u64, u64, Vec<String>) {
    let value = |name: &str| {
        out.stdout
            .split([',', '\n', ' '])
            .find_map(|w| w.trim().strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in:\n{out}"))
    };
    let conditions = out
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|l| l.split_whitespace().nth(6).map(str::to_owned))
        .collect();
    (value("stratum"), value("peer"), conditions)
}

#[test]
fn lab_servers_are_ok_and_read_as_the_reference_tools_read_them() {
    let lab = Lab::get();
    let servers = [
        (v4(lab.ntp1()), false),
        (v4(lab.ntp2()), true),
        (v4(lab.ntp3()), false),
        (lab.ntp3().v6.to_string(), false),
    ];
    let mut args = vec![
        "--json",
        "--warn-offset",
        "50ms",
        "--crit-offset",
        "0.1s",
        "--warn-jitter",
        "50ms",
        "--crit-jitter",
        "100ms",
        "--max-stratum",
        "3,4",
        "--min-sources",
        "1",
        "--min-candidates",
        "1",
        "--min-reach",
        "1",
        "--max-root-distance",
        "500ms,1s",
    ];
    args.extend(servers.iter().map(|(h, _)| h.as_str()));
    let out = check(lab, &args);
    assert_eq!(out.code, Some(0), "{out}");
    let all = reports(&out);
    assert_eq!(all.len(), servers.len());
    for ((host, ntpsec), report) in servers.iter().zip(&all) {
        assert_eq!(report["host"], host.as_str());
        assert_eq!(report["state"], "OK", "{report:#}");
        assert_eq!(report["partial"], false);
        let judged: BTreeSet<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                assert_eq!(c["state"], "OK", "{c:#}");
                c["name"].as_str().unwrap()
            })
            .collect();
        let want: BTreeSet<&str> = [
            "sync",
            "leap",
            "offset",
            "jitter",
            "stratum",
            "sources",
            "candidates",
            "reach",
            "root_distance",
        ]
        .into();
        assert_eq!(judged, want);
        let reference_args = [
            "-n",
            "-c",
            "rv 0 stratum,peer",
            "-c",
            "associations",
            host.as_str(),
        ];
        let reference = if *ntpsec {
            lab.ntpsec(NtpsecTool::Ntpq).args(reference_args).run()
        } else {
            lab.reference(RefTool::Ntpq).args(reference_args).run()
        };
        let (stratum, peer, conditions) = reference_view(&reference);
        let m = &report["metrics"];
        assert_eq!(m["stratum"], stratum, "{reference}");
        assert_eq!(m["system_peer"]["assoc_id"], peer, "{reference}");
        assert_eq!(m["associations"], conditions.len());
        let truechimers = conditions
            .iter()
            .filter(|c| {
                [
                    "excess",
                    "outlier",
                    "candidate",
                    "backup",
                    "sys.peer",
                    "pps.peer",
                ]
                .contains(&c.as_str())
            })
            .count();
        assert_eq!(m["truechimers"], truechimers, "{reference}");
        assert_eq!(m["synchronized"], true);
        assert_eq!(m["leap"]["name"], "leap_none");
    }
    // The shown form: one line for the verdict, one per server.
    let out = check(lab, &[&v4(lab.ntp1()), &v4(lab.ntp2()), &v4(lab.ntp3())]);
    assert_exit(&out, 0, "NTP OK: 3 servers: 3 OK|");
    assert_eq!(out.stdout.lines().count(), 4, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "{}: OK: synchronized to 10.77.0.2 at stratum 3",
            v4(lab.ntp3())
        )),
        "{out}"
    );
}

/// The perfdata grammar of the monitoring-plugins development guidelines.
fn assert_perfdata(perf: &str) {
    let mut items = Vec::new();
    let mut item = String::new();
    let mut quoted = false;
    for c in perf.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                item.push(c);
            }
            ' ' if !quoted => items.push(std::mem::take(&mut item)),
            _ => item.push(c),
        }
    }
    items.push(item);
    let number = |s: &str| s.is_empty() || s.parse::<f64>().is_ok() && !s.contains(['e', 'E']);
    let range = |s: &str| {
        let s = s.strip_prefix('@').unwrap_or(s);
        match s.split_once(':') {
            None => number(s),
            Some((lo, hi)) => (lo == "~" || number(lo)) && number(hi),
        }
    };
    for item in items {
        let (label, rest) = item.rsplit_once('=').unwrap_or_else(|| panic!("{item}"));
        assert!(!label.is_empty() && !label.contains('='), "label of {item}");
        if label.contains(' ') {
            assert!(label.starts_with('\'') && label.ends_with('\''), "{item}");
        }
        let fields: Vec<&str> = rest.split(';').collect();
        assert!(fields.len() <= 5, "{item}");
        let value = fields[0].trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
        let uom = &fields[0][value.len()..];
        assert!(number(value) && !value.is_empty(), "value of {item}");
        assert!(
            ["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"].contains(&uom),
            "unit of {item}"
        );
        for level in fields.iter().skip(1).take(2) {
            assert!(range(level), "range in {item}");
        }
        for bound in fields.iter().skip(3) {
            assert!(number(bound), "min/max in {item}");
        }
    }
}

#[test]
fn plugin_output_follows_the_guidelines() {
    let lab = Lab::get();
    let ntp3 = v4(lab.ntp3());
    let out = check(
        lab,
        &[
            "--warn-offset",
            "50ms",
            "--crit-offset",
            "100ms",
            "--max-stratum",
            "4",
            &ntp3,
        ],
    );
    assert_eq!(out.code, Some(0), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one server, one line:\n{out}");
    let (text, perf) = lines[0].split_once('|').expect("perfdata");
    assert!(
        text.starts_with(&format!("NTP OK: {ntp3}: synchronized")),
        "{text}"
    );
    assert_perfdata(perf);
    assert!(perf.starts_with("offset="), "{perf}");
    assert!(perf.contains(";-0.05:0.05;-0.1:0.1"), "{perf}");
    assert!(perf.contains(" stratum=3;;4;0;16"), "{perf}");

    let many = [v4(lab.ntp1()), v4(lab.ntp2()), ntp3.clone()];
    let mut args = vec!["--min-sources", "1"];
    args.extend(many.iter().map(String::as_str));
    let out = check(lab, &args);
    let first = out.stdout.lines().next().unwrap();
    let (_, perf) = first.split_once('|').unwrap();
    assert_perfdata(perf);
    for host in &many {
        assert!(perf.contains(&format!("'{host} offset'=")), "{perf}");
        assert!(
            perf.contains(&format!("'{host} truechimers'=1;;1:;0")),
            "{perf}"
        );
    }
}

#[test]
fn stratum_sources_candidates_and_root_distance_give_every_state() {
    let lab = Lab::get();
    let ntp3 = v4(lab.ntp3());
    for (args, code, needle) in [
        (&["--max-stratum", "3,4"][..], 0, "NTP OK"),
        (&["--max-stratum", "2,3"], 1, "stratum 3 (WARNING: over 2)"),
        (&["--max-stratum", "1,2"], 2, "stratum 3 (CRITICAL: over 2)"),
        (&["--min-sources", "1"], 0, "1 truechimer"),
        (
            &["--min-sources", "2,1"],
            1,
            "1 truechimer (WARNING: under 2)",
        ),
        (
            &["--min-sources", "3,2"],
            2,
            "1 truechimer (CRITICAL: under 2)",
        ),
        (
            &["--min-candidates", "2,1"],
            1,
            "1 candidate (WARNING: under 2)",
        ),
        (
            &["--min-candidates", "2"],
            2,
            "1 candidate (CRITICAL: under 2)",
        ),
        (&["--max-root-distance", "1s"], 0, "root distance"),
        (
            &["--max-root-distance", "1ms,1s"],
            1,
            "(WARNING: over 1.000 ms)",
        ),
        (
            &["--max-root-distance", "1ms"],
            2,
            "(CRITICAL: over 1.000 ms)",
        ),
        (&["--min-reach", "1"], 0, " of 8)"),
    ] {
        let mut all = args.to_vec();
        all.push(&ntp3);
        let out = check(lab, &all);
        assert_exit(&out, code, needle);
    }
}

// ---- offsets and jitter: scratch daemons behind the shifted-clock servers -------------------

/// A reference ntpd on the lab bridge whose only server is `upstream`, allowed to run with any
/// offset: `tinker step 0` keeps it from stepping (it could not anyway: no CAP_SYS_TIME), so it
/// stays synchronized at the upstream's offset.
fn follower(lab: &Lab, upstream: &str) -> ScratchDaemon {
    ScratchDaemon::builder(Daemon::Reference)
        .on_lab(lab)
        .conf_lines([
            "tinker step 0".to_owned(),
            format!("server {upstream} iburst minpoll 3 maxpoll 4"),
        ])
        .start(lab.tools())
}

#[test]
fn offsets_and_jitter_of_servers_following_shifted_clocks() {
    let lab = Lab::get();
    let behind = lab.clock_shift(lab.behind()).unwrap();
    let ahead = lab.clock_shift(lab.ahead()).unwrap();
    assert!(behind < -0.2 && ahead > 2.0, "{behind} {ahead}");
    // `behind` through a relay that adds jitter, `ahead` directly.
    let relay = lab.relay(
        lab.behind(),
        &Impairment {
            delay: Duration::from_millis(10),
            jitter: Duration::from_millis(10),
            seed: 9,
            ..Impairment::default()
        },
    );
    let slow = follower(lab, &relay.v4.ip().to_string());
    let fast = follower(lab, &v4(lab.ahead()));
    let (slow_ip, fast_ip) = (slow.v4().to_string(), fast.v4().to_string());
    let synced = wait_synchronized("followers of ahead and behind", || {
        check(lab, &["--json", &slow_ip, &fast_ip])
    });
    let offset = |r: &Value| r["metrics"]["offset_s"].as_f64().unwrap();
    assert!(
        (offset(&synced[0]) - behind).abs() < 0.05,
        "{:#}",
        synced[0]
    );
    assert!((offset(&synced[1]) - ahead).abs() < 0.05, "{:#}", synced[1]);

    for (host, args, code, needle) in [
        (
            &slow_ip,
            &["--warn-offset", "100ms", "--crit-offset", "1s"][..],
            1,
            "(WARNING: over 100.000 ms)",
        ),
        (
            &slow_ip,
            &["--warn-offset", "100ms", "--crit-offset", "200ms"],
            2,
            "(CRITICAL: over 200.000 ms)",
        ),
        (
            &slow_ip,
            &["--warn-offset", "500ms", "--crit-offset", "1s"],
            0,
            "NTP OK: ",
        ),
        (&fast_ip, &["--crit-offset", "1s"], 2, "offset +2."),
        (
            &fast_ip,
            &["--warn-offset", "3s", "--crit-offset", "5000ms"],
            0,
            "NTP OK",
        ),
        (
            &slow_ip,
            &["--warn-jitter", "500us", "--crit-jitter", "1s"],
            1,
            "(WARNING: over 500.0 us)",
        ),
        (
            &slow_ip,
            &["--crit-jitter", "0.5ms"],
            2,
            "(CRITICAL: over 500.0 us)",
        ),
        (
            &fast_ip,
            &["--warn-jitter", "100ms", "--crit-jitter", "1s"],
            0,
            "NTP OK",
        ),
    ] {
        let mut all = args.to_vec();
        all.push(host);
        assert_exit(&check(lab, &all), code, needle);
    }

    // check_ntp_peer judges the same offsets (seconds) and jitters (milliseconds) alike.
    let mut seen = BTreeSet::new();
    for host in [&slow_ip, &fast_ip] {
        for (ours, their) in [
            (
                &["--warn-offset", "100ms", "--crit-offset", "1s"][..],
                &["-w", "0.1", "-c", "1"][..],
            ),
            (
                &["--warn-offset", "100ms", "--crit-offset", "200ms"],
                &["-w", "0.1", "-c", "0.2"],
            ),
            (
                &["--warn-offset", "3s", "--crit-offset", "5s"],
                &["-w", "3", "-c", "5"],
            ),
            (
                &[
                    "--warn-offset",
                    "3s",
                    "--crit-offset",
                    "5s",
                    "--warn-jitter",
                    "500us",
                    "--crit-jitter",
                    "1s",
                ],
                &["-w", "3", "-c", "5", "-j", "0.5", "-k", "1000"],
            ),
        ] {
            seen.insert(assert_agree(
                lab.command(NTPQ),
                lab.command(CHECK_NTP_PEER),
                host,
                ours,
                their,
            ));
        }
    }
    assert_eq!(
        seen,
        BTreeSet::from([0, 1, 2]),
        "every verdict was compared"
    );
}

// ---- a young server with a pending leap second and a leap file ------------------------------

/// The first second of the month after the one holding `unix`.
fn next_month_start(unix: i64) -> i64 {
    let now = CivilTime::from_unix(unix);
    let (year, month) = if now.month == 12 {
        (now.year + 1, 1)
    } else {
        (now.year, now.month + 1)
    };
    CivilTime {
        year,
        month,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        weekday: 0,
    }
    .to_unix()
}

const NTP_UNIX: i64 = 2_208_988_800;

#[test]
fn young_server_with_a_pending_leap_and_a_leap_file() {
    let lab = Lab::get();
    let tools = lab.tools();
    // The daemon's clock runs six hours before the next month start, where its leap file puts a
    // leap second: ntpd announces a leap in the last day before it.
    let now = now_unix();
    let leap = next_month_start(now + 86_400);
    let daemon_now = leap - 6 * 3600;
    let shift = daemon_now - now;
    let expire = daemon_now + 20 * 86_400;
    let dir = tempdir();
    let leapfile = dir.path.join("leap-seconds.list");
    std::fs::write(
        &leapfile,
        format!(
            "#$\t{}\n#@\t{}\n2272060800\t10\t# 1 Jan 1972\n3692217600\t37\t# 1 Jan 2017\n\
             {}\t38\t# the test's leap second\n",
            daemon_now + NTP_UNIX,
            expire + NTP_UNIX,
            leap + NTP_UNIX
        ),
    )
    .unwrap();
    let daemon = ScratchDaemon::builder(Daemon::Reference)
        .clock_shift(shift as f64)
        .conf_lines([
            "server 127.127.1.0 minpoll 3 maxpoll 4 prefer".to_owned(),
            "fudge 127.127.1.0 stratum 0".to_owned(),
            format!("leapfile {}", leapfile.display()),
        ])
        .start(tools);
    let json = |extra: &[&str]| {
        let mut args = vec!["--json"];
        args.extend(extra);
        args.push("127.0.0.1");
        check_in(daemon.command(NTPQ), &args)
    };
    wait_synchronized("the young daemon", || json(&[]));

    // Reach: the register fills one bit per 8-second poll, so it is short of 8 bits for a minute.
    let quiet = ["--leap-pending", "ok"];
    let young = only_report(&json(&quiet));
    let bits = young["metrics"]["system_peer"]["reach_bits"]
        .as_u64()
        .unwrap();
    assert!((1..8).contains(&bits), "{young:#}");
    for (args, code, needle) in [
        (&["--min-reach", "8"][..], 2, "(CRITICAL: under 8)"),
        (&["--min-reach", "8,1"], 1, "(WARNING: under 8)"),
        (&["--min-reach", "1"], 0, "NTP OK"),
    ] {
        let mut all = quiet.to_vec();
        all.extend(args);
        all.push("127.0.0.1");
        assert_exit(&check_in(daemon.command(NTPQ), &all), code, needle);
    }

    // The pending leap second.
    let pending = wait_for("the leap announcement", Duration::from_secs(60), || {
        let r = only_report(&json(&[]));
        (r["metrics"]["leap"]["code"] == 1).then_some(r)
    });
    assert_eq!(pending["state"], "WARNING", "{pending:#}");
    assert_eq!(state_of(&pending, "leap"), "WARNING");
    for (args, code, needle) in [
        (
            &[][..],
            1,
            "NTP WARNING: 127.0.0.1: synchronized to LOCL at stratum 1, leap second pending (leap_add_sec)",
        ),
        (&["--leap-pending", "critical"], 2, "NTP CRITICAL"),
        (&["--leap-pending", "ok"], 0, "NTP OK"),
    ] {
        let mut all = args.to_vec();
        all.push("127.0.0.1");
        assert_exit(&check_in(daemon.command(NTPQ), &all), code, needle);
    }
    let reference = daemon
        .reference(RefTool::Ntpq)
        .args(["-n", "-c", "rv 0 leap,expire", "127.0.0.1"])
        .run();
    assert!(reference.stdout.contains("leap=01"), "{reference}");
    // check_ntp_peer only looks at the leap indicator for an alarm: a pending leap is OK to it.
    let t = theirs(
        daemon.command(CHECK_NTP_PEER),
        "127.0.0.1",
        &["-w", "1", "-c", "2"],
    );
    assert_eq!(t.code, Some(0), "{t}");
    let o = check_in(
        daemon.command(NTPQ),
        &[
            "--leap-pending",
            "ok",
            "--warn-offset",
            "1s",
            "--crit-offset",
            "2s",
            "127.0.0.1",
        ],
    );
    assert_eq!(o.code, Some(0), "{o}");

    // The leap file: its expiry as ntpd reports it (`expire=YYYYMMDDHHMM`, the daemon's UTC),
    // in days from the checker's clock.
    let m = &pending["metrics"];
    assert_eq!(m["leapfile_expiry_unix"], expire / 60 * 60);
    let stamp = m["leapfile_expires"].as_str().unwrap();
    let digits: String = stamp.chars().filter(char::is_ascii_digit).collect();
    assert!(
        reference.stdout.contains(&format!("expire={digits}")),
        "{reference}\n{stamp}"
    );
    let days = m["leapfile_days_left"].as_f64().unwrap();
    let expected = (expire - now_unix()) as f64 / 86_400.0;
    assert!((days - expected).abs() < 0.01, "{days} vs {expected}");
    let level = |d: f64| format!("{d:.1}");
    for (warn, crit, code, needle) in [
        (days + 5.0, days - 5.0, 1, "(WARNING: under"),
        (days + 10.0, days + 5.0, 2, "(CRITICAL: under"),
        (days - 5.0, days - 10.0, 0, "leap file expires"),
    ] {
        let limit = format!("{},{}", level(warn), level(crit));
        let out = check_in(
            daemon.command(NTPQ),
            &[
                "--leap-pending",
                "ok",
                "--leapfile-days",
                &limit,
                "127.0.0.1",
            ],
        );
        assert_exit(&out, code, needle);
    }
    // A server without a leap file fails the leap-file check.
    let out = check(lab, &["--leapfile-days", "30", &v4(lab.ntp1())]);
    assert_exit(&out, 2, "no leap file loaded (CRITICAL)");
}

/// A directory removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn tempdir() -> TempDir {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("ntpkit-check-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&path).unwrap();
    TempDir { path }
}

// ---- unsynchronized, stopped, silent -------------------------------------------------------

#[test]
fn an_unsynchronized_server_is_critical_as_for_check_ntp_peer() {
    let lab = Lab::get();
    // Its only server is an address its namespace has no route to.
    let daemon = ScratchDaemon::builder(Daemon::Reference)
        .conf_line("server 10.77.97.1 iburst minpoll 3 maxpoll 4")
        .start(lab.tools());
    let out = check_in(daemon.command(NTPQ), &["--json", "127.0.0.1"]);
    let r = only_report(&out);
    assert_eq!(
        (out.code, &r["state"]),
        (Some(2), &Value::from("CRITICAL")),
        "{out}"
    );
    assert_eq!(r["metrics"]["stratum"], 16);
    assert_eq!(r["metrics"]["leap"]["code"], 3);
    assert_eq!(r["metrics"]["candidates"], 0);
    let out = check_in(daemon.command(NTPQ), &["127.0.0.1"]);
    assert_exit(
        &out,
        2,
        "NTP CRITICAL: 127.0.0.1: not synchronized (leap_alarm, stratum 16, no candidates)",
    );
    assert_agree(
        daemon.command(NTPQ),
        daemon.command(CHECK_NTP_PEER),
        "127.0.0.1",
        &["--warn-offset", "1s", "--crit-offset", "2s"],
        &["-w", "1", "-c", "2"],
    );
}

#[test]
fn a_stopped_daemon_is_unknown_and_costs_the_others_nothing() {
    let lab = Lab::get();
    let daemon = ScratchDaemon::builder(Daemon::Reference)
        .on_lab(lab)
        .conf_line("server 127.127.1.0 minpoll 3 maxpoll 4")
        .start(lab.tools());
    let stopped = daemon.v4().to_string();
    let before = only_report(&check(lab, &["--json", &stopped]));
    assert_eq!(before["answered"], true, "{before:#}");
    let pid = daemon.pid().unwrap();
    let killed = Command::new("kill").arg(pid.to_string()).status().unwrap();
    assert!(killed.success());
    wait_for("the daemon to stop", Duration::from_secs(10), || {
        (!daemon.alive()).then_some(())
    });

    let hosts = [
        v4(lab.ntp1()),
        v4(lab.ntp2()),
        stopped.clone(),
        v4(lab.ntp3()),
    ];
    let mut args = vec!["--timeout", "2s", "--max-stratum", "4"];
    args.extend(hosts.iter().map(String::as_str));
    let out = check(lab, &args);
    assert_eq!(out.code, Some(3), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "NTP UNKNOWN: 4 servers: 1 UNKNOWN ({stopped}), 3 OK|"
        )),
        "{out}"
    );
    assert_eq!(
        lines[3],
        format!("{stopped}: UNKNOWN: no answer (no response after 2 attempts)")
    );
    // Every server in one bounded wait: the silent one is given up after its two tries.
    assert!(
        out.elapsed < Duration::from_secs(4),
        "took {:?}",
        out.elapsed
    );

    let mut json_args = vec!["--json"];
    json_args.extend(&args);
    let all = reports(&check(lab, &json_args));
    let states: Vec<&str> = all.iter().map(|r| r["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["OK", "OK", "UNKNOWN", "OK"]);
    assert_eq!(all[2]["answered"], false);
    assert_eq!(
        all[2]["missing"],
        serde_json::json!(["association list", "system variables"])
    );

    // check_ntp_peer calls silence CRITICAL (a socket timeout); ours is UNKNOWN by design.
    let t = theirs(
        lab.command(CHECK_NTP_PEER),
        &stopped,
        &["-w", "1", "-c", "2"],
    );
    assert_eq!(t.code, Some(2), "{t}");
    let o = check(lab, &["--timeout", "1s", &stopped]);
    assert_eq!(o.code, Some(3), "{o}");
}

#[test]
fn names_that_do_not_resolve_are_unknown_for_that_server_only() {
    let lab = Lab::get();
    let out = check(
        lab,
        &["--timeout", "2s", &v4(lab.ntp1()), "no-such-host.invalid"],
    );
    assert_eq!(out.code, Some(3), "{out}");
    assert!(
        out.stdout
            .contains("1 UNKNOWN (no-such-host.invalid), 1 OK"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("no-such-host.invalid: UNKNOWN: cannot resolve"),
        "{out}"
    );
}

// ---- agreement with check_ntp_peer on the lab servers ---------------------------------------

#[test]
fn verdicts_agree_with_check_ntp_peer_on_the_lab_servers() {
    let lab = Lab::get();
    let servers = [
        lab.ntp1(),
        lab.ntp2(),
        lab.ntp3(),
        lab.ahead(),
        lab.behind(),
    ];
    // Our --max-stratum is the server's stratum; check_ntp_peer's -W/-C the system peer's,
    // one less. Our --min-sources counts what it calls truechimers.
    let sets: [(&[&str], &[&str]); 6] = [
        (
            &["--warn-offset", "100ms", "--crit-offset", "1s"],
            &["-w", "0.1", "-c", "1"],
        ),
        (&["--max-stratum", "2,3"], &["-W", "1", "-C", "2"]),
        (&["--max-stratum", "1,2"], &["-W", "0", "-C", "1"]),
        (&["--min-sources", "2,1"], &["-m", "2:", "-n", "1:"]),
        (&["--min-sources", "3,2"], &["-m", "3:", "-n", "2:"]),
        (
            &[
                "--warn-jitter",
                "100ms",
                "--crit-jitter",
                "200ms",
                "--min-sources",
                "1",
            ],
            &["-j", "100", "-k", "200", "-n", "1:"],
        ),
    ];
    let mut seen = BTreeSet::new();
    for host in servers {
        for (ours, their) in &sets {
            seen.insert(assert_agree(
                lab.command(NTPQ),
                lab.command(CHECK_NTP_PEER),
                &v4(host),
                ours,
                their,
            ));
        }
    }
    assert_eq!(
        seen,
        BTreeSet::from([0, 1, 2]),
        "every verdict was compared"
    );
}

// ---- partial answers -----------------------------------------------------------------------

#[test]
fn partial_answers_are_decided_from_what_arrived_and_flagged() {
    let lab = Lab::get();
    // A relay whose seeded decisions lose exactly the system-variables request and its resend:
    // towards the server the check sends READSTAT, READVAR of the system variables, that
    // READVAR again after the timeout, then READVAR of the system peer; the two answers that
    // come back must pass.
    let seed = (1..100_000)
        .find(|&seed| {
            let imp = Impairment {
                loss: 0.5,
                seed,
                ..Impairment::default()
            };
            let mut up = Impairer::new(&imp, 0);
            let mut down = Impairer::new(&imp, 1);
            let up: Vec<bool> = (0..4).map(|_| !up.decide().is_empty()).collect();
            let down: Vec<bool> = (0..2).map(|_| !down.decide().is_empty()).collect();
            up == [true, false, false, true] && down == [true, true]
        })
        .expect("a seed");
    let relay = lab.relay(
        lab.ntp2(),
        &Impairment {
            loss: 0.5,
            seed,
            ..Impairment::default()
        },
    );
    let via = relay.v4.ip().to_string();
    let out = check(
        lab,
        &[
            "--json",
            "--timeout",
            "2s",
            "--min-sources",
            "2,1",
            "--max-stratum",
            "3",
            &via,
        ],
    );
    let r = only_report(&out);
    assert_eq!(r["partial"], true, "{r:#}");
    assert_eq!(r["missing"], serde_json::json!(["system variables"]));
    // The association list arrived: one truechimer, WARNING; the stratum did not: UNKNOWN;
    // the verdict is the WARNING.
    assert_eq!(state_of(&r, "sources"), "WARNING");
    assert_eq!(state_of(&r, "stratum"), "UNKNOWN");
    assert_eq!((out.code, &r["state"]), (Some(1), &Value::from("WARNING")));
    assert!(
        r["metrics"]["offset_s"].is_number(),
        "the system peer answered"
    );
    assert!(
        r["summary"]
            .as_str()
            .unwrap()
            .ends_with("; partial answer, no system variables"),
        "{r:#}"
    );
    drop(relay);
}

// ---- Prometheus ----------------------------------------------------------------------------

/// Parses `text` with prometheus_client's Prometheus and OpenMetrics parsers; prints
/// `name server value` per sample (OpenMetrics parse), or fails.
fn parse_exposition(text: &str) -> RunOutput {
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families as prometheus
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
text = sys.stdin.read()
plain = {(f.name, f.type) for f in prometheus(text)}
for family in openmetrics(text):
    assert (family.name, family.type) in plain, family.name
    for s in family.samples:
        print(s.name, s.labels.get("server", "-"), s.labels.get("check", "-"), s.value, family.unit or "-")
"#;
    let python = python();
    let mut cmd = LabCommand::new(ntpkit_lab::Place::Isolated, &python);
    cmd.arg("-c")
        .arg(script)
        .stdin(text.as_bytes().to_vec())
        .run()
}

fn sample(parsed: &str, name: &str, server: &str) -> Option<f64> {
    parsed.lines().find_map(|l| {
        let w: Vec<&str> = l.split(' ').collect();
        (w[0] == name && w[1] == server).then(|| w[3].parse().unwrap())
    })
}

#[test]
fn prometheus_output_passes_prometheus_clients_parsers() {
    let lab = Lab::get();
    let hosts = [
        v4(lab.ntp1()),
        v4(lab.ntp2()),
        lab.ntp3().v6.to_string(),
        "10.77.97.1".to_owned(),
    ];
    let mut args = vec![
        "--format",
        "prometheus",
        "--timeout",
        "2s",
        "--max-stratum",
        "2,3",
    ];
    args.extend(hosts.iter().map(String::as_str));
    let out = check(lab, &args);
    // WARNING (ntp3's stratum) outranks the silent server's UNKNOWN.
    assert_eq!(out.code, Some(1), "{out}");
    let parsed = parse_exposition(&out.stdout);
    assert_eq!(parsed.code, Some(0), "{parsed}");
    let p = &parsed.stdout;
    assert_eq!(sample(p, "ntp_up", &hosts[0]), Some(1.0));
    assert_eq!(sample(p, "ntp_up", "10.77.97.1"), Some(0.0));
    assert_eq!(sample(p, "ntp_check_state", "10.77.97.1"), Some(3.0));
    assert_eq!(
        sample(p, "ntp_check_state", &hosts[2]),
        Some(1.0),
        "stratum 3 warns"
    );
    assert_eq!(sample(p, "ntp_stratum", &hosts[1]), Some(2.0));
    assert_eq!(
        sample(p, "ntp_stratum", "10.77.97.1"),
        None,
        "no data, no sample"
    );
    assert_eq!(sample(p, "ntp_synchronized", &hosts[2]), Some(1.0));
    assert!(sample(p, "ntp_offset_seconds", &hosts[1]).unwrap().abs() < 0.1);
    assert!(
        p.lines()
            .any(|l| l.starts_with("ntp_offset_seconds ") && l.ends_with(" seconds"))
    );
    assert!(
        p.contains(&format!("ntp_check_result {} stratum 1 ", hosts[2])),
        "{p}"
    );
    assert!(
        p.lines()
            .any(|l| l.starts_with("ntp_check_duration_seconds - - "))
    );
    // The parser is strict: without its `# EOF` the same text is refused.
    let cut = out.stdout.replace("# EOF\n", "");
    let refused = parse_exposition(&cut);
    assert_ne!(refused.code, Some(0), "{refused}");
}

#[test]
fn serve_is_scraped_over_http() {
    let lab = Lab::get();
    let hosts = [v4(lab.ntp1()), v4(lab.ntp3()), "10.77.97.1".to_owned()];
    let mut cmd = lab.command(NTPQ);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--timeout",
        "2s",
        "--min-sources",
        "1",
    ]);
    cmd.args(&hosts);
    let mut child = cmd
        .to_command()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let guard = KillOnDrop(&mut child);
    let mut first = String::new();
    BufReader::new(stderr).read_line(&mut first).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    // Three scrapes from the client namespace, parsed by prometheus_client.
    let script = r#"
import sys, time, urllib.request, urllib.error
from prometheus_client.parser import text_string_to_metric_families as prometheus
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
url = sys.argv[1]
def get(url, accept=None):
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    t = time.monotonic()
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.headers["Content-Type"], r.read().decode(), time.monotonic() - t
status, ctype, body, took = get(url)
assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
families = {f.name: f for f in prometheus(body)}
print("plain", took, families["ntp_up"].samples)
status, ctype, body, took = get(url, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
assert status == 200 and ctype.startswith("application/openmetrics-text; version=1.0.0"), ctype
for f in openmetrics(body):
    for s in f.samples:
        print("om", s.name, s.labels.get("server", "-"), s.value)
try:
    get(url.replace("/metrics", "/nothing"))
    print("no 404")
except urllib.error.HTTPError as e:
    print("status", e.code)
"#;
    let out = lab
        .command(python())
        .args(["-c", script, &url])
        .timeout(Duration::from_secs(30))
        .run();
    assert_eq!(out.code, Some(0), "{out}");
    let om = |name: &str, server: &str| {
        out.stdout.lines().find_map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            (w[0] == "om" && w[1] == name && w[2] == server).then(|| w[3].parse::<f64>().unwrap())
        })
    };
    assert_eq!(om("ntp_up", &hosts[0]), Some(1.0), "{out}");
    assert_eq!(om("ntp_up", "10.77.97.1"), Some(0.0), "{out}");
    assert_eq!(om("ntp_stratum", &hosts[1]), Some(3.0), "{out}");
    assert_eq!(om("ntp_check_state", &hosts[1]), Some(0.0), "{out}");
    assert!(out.stdout.contains("status 404"), "{out}");
    // A scrape with a silent server stays within the timeout.
    let took: f64 = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("plain "))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(took < 3.0, "a scrape took {took} s");
    drop(guard);
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_documented_jq_recipe_works() {
    let lab = Lab::get();
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/health-checks.md"
    ))
    .unwrap();
    let block = doc
        .split("<!-- recipe:jq -->")
        .nth(1)
        .expect("the recipe marker");
    let script: Vec<&str> = block
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the recipe block")
        .lines()
        .filter(|l| !l.starts_with("servers="))
        .collect();
    let script = script.join("\n");
    let bin = tempdir();
    std::os::unix::fs::symlink(NTPQ, bin.path.join("ntpq")).unwrap();
    let run = |servers: &str| {
        lab.command("bash")
            .args(["-c", &script])
            .env("PATH", format!("{}:/usr/bin:/bin", bin.path.display()))
            .env("servers", servers)
            .run()
    };
    let healthy = run(&[v4(lab.ntp1()), v4(lab.ntp2()), v4(lab.ntp3())].join(" "));
    assert_eq!(healthy.stdout, "NTP is healthy\n", "{healthy}");
    let troubled = run(&[v4(lab.ntp1()), "10.77.97.1".to_owned(), v4(lab.ntp3())].join(" "));
    assert_eq!(
        troubled.stdout, "10.77.97.1: UNKNOWN: no answer (no response after 2 attempts)\n",
        "{troubled}"
    );
}

// ---- JSON shape and command line -----------------------------------------------------------

#[test]
fn json_documents_follow_the_documented_shape() {
    let lab = Lab::get();
    let out = check(
        lab,
        &[
            "--json",
            "--timeout",
            "2s",
            "--crit-offset",
            "1s",
            &v4(lab.ntp3()),
            "10.77.97.1",
        ],
    );
    let all = reports(&out);
    assert_eq!(all.len(), 2);
    let is = |v: &Value, kind: &str| match kind {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "bool" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "string|null" => v.is_string() || v.is_null(),
        "number|null" => v.is_number() || v.is_null(),
        "bool|null" => v.is_boolean() || v.is_null(),
        "object|null" => v.is_object() || v.is_null(),
        _ => panic!("{kind}"),
    };
    for r in &all {
        for (key, kind) in [
            ("command", "string"),
            ("host", "string"),
            ("address", "string|null"),
            ("state", "string"),
            ("exit_code", "number"),
            ("summary", "string"),
            ("answered", "bool"),
            ("partial", "bool"),
            ("missing", "array"),
            ("failures", "array"),
            ("metrics", "object"),
            ("thresholds", "object"),
            ("checks", "array"),
        ] {
            assert!(is(&r[key], kind), "{key} is not {kind}: {r:#}");
        }
        assert_eq!(r["command"], "check");
        for (key, kind) in [
            ("leap", "object|null"),
            ("synchronized", "bool|null"),
            ("stratum", "number|null"),
            ("refid", "object|null"),
            ("offset_s", "number|null"),
            ("jitter_s", "number|null"),
            ("system_offset_s", "number|null"),
            ("system_jitter_s", "number|null"),
            ("root_delay_s", "number|null"),
            ("root_dispersion_s", "number|null"),
            ("root_distance_s", "number|null"),
            ("associations", "number|null"),
            ("truechimers", "number|null"),
            ("candidates", "number|null"),
            ("system_peer", "object|null"),
            ("leapfile_expires", "string|null"),
            ("leapfile_expiry_unix", "number|null"),
            ("leapfile_days_left", "number|null"),
        ] {
            assert!(is(&r["metrics"][key], kind), "metrics.{key}: {r:#}");
        }
        for key in [
            "offset_s",
            "jitter_s",
            "stratum",
            "sources",
            "candidates",
            "reach_bits",
            "root_distance_s",
            "leapfile_days",
        ] {
            let limit = &r["thresholds"][key];
            assert!(
                is(&limit["warn"], "number|null") && is(&limit["crit"], "number|null"),
                "{key}"
            );
        }
        assert!(is(&r["thresholds"]["leap_pending"], "string"));
        for c in r["checks"].as_array().unwrap() {
            for (key, kind) in [
                ("name", "string"),
                ("state", "string"),
                ("value", "number|null"),
                ("unit", "string|null"),
                ("bound", "string"),
                ("warn", "number|null"),
                ("crit", "number|null"),
                ("message", "string"),
            ] {
                assert!(is(&c[key], kind), "checks[].{key}: {c:#}");
            }
        }
    }
    let peer = &all[0]["metrics"]["system_peer"];
    for (key, kind) in [
        ("assoc_id", "number"),
        ("selection", "string"),
        ("address", "string|null"),
        ("stratum", "number|null"),
        ("reach", "number|null"),
        ("reach_bits", "number|null"),
        ("offset_s", "number|null"),
        ("jitter_s", "number|null"),
        ("delay_s", "number|null"),
        ("dispersion_s", "number|null"),
    ] {
        assert!(is(&peer[key], kind), "system_peer.{key}: {peer:#}");
    }
    assert_eq!(all[1]["state"], "UNKNOWN");
    assert_eq!(all[1]["exit_code"], 3);
}

#[test]
fn command_line_errors_are_unknown_for_check() {
    let run = |args: &[&str]| Command::new(NTPQ).args(args).output().unwrap();
    let out = run(&["check", "--warn-offset", "50", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a duration needs a unit"), "{err}");
    assert_eq!(run(&["check", "--max-stratum", "x"]).status.code(), Some(3));
    assert_eq!(run(&["check", "--bogus"]).status.code(), Some(3));
    let help = run(&["check", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--warn-offset <DURATION>"));
    // serve is no plugin: clap's usage error code.
    assert_eq!(run(&["serve", "127.0.0.1"]).status.code(), Some(2));
    let bad = run(&["serve", "--listen", "nowhere", "127.0.0.1"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("ntpq: serve: 'nowhere'"));
    // Classic options that cannot apply are refused, as UNKNOWN.
    let misplaced = run(&["-c", "rv", "check", "127.0.0.1"]);
    assert_eq!(misplaced.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&misplaced.stderr).starts_with("ntpq: check: -c, -p"));
    assert_eq!(
        run(&["check", "--json", "--format", "nagios"])
            .status
            .code(),
        Some(3)
    );
    // ntpq's own help lists both subcommands.
    let classic = String::from_utf8_lossy(&run(&["--help"]).stdout).into_owned();
    assert!(
        classic.contains("  check  Check servers like a monitoring plugin"),
        "{classic}"
    );
    assert!(
        classic.contains("  serve  Serve the check's metrics"),
        "{classic}"
    );
}
