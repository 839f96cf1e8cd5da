//! `ntpq leap` (issue 10) against real daemons and a scripted xntpd 3:
//!
//! - local checks of generated leap-seconds files (valid, bad hash, expired, out of order);
//! - a scratch ntpd 4.2.8p15 armed through `--leapfile` with a generated file (leap at the end
//!   of next month), confirmed by the reference ntpq; a bad-hash file is caught by the read-back;
//! - scratch ntpd 4.2.8p15 and NTPsec on libfaketime clocks three hours before a leap: armed,
//!   both announce it (`leap=01`), as their own ntpq shows;
//! - a scratch NTPsec: direct writes refused cleanly, a leap file accepted;
//! - xntpd 3's window rules on the lab's scripted responder;
//! - the lab's daemons read without changes, compared with the reference ntpq;
//! - every JSON document against the shape documented in docs/json.md.
//!
//! Every daemon that gets a leap armed is a scratch daemon of the test's own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ntpkit::leap::{LeapFileSpec, iso_utc};
use ntpkit::time::CivilTime;
use ntpkit_lab::{
    Daemon, Lab, NtpsecTool, RefTool, RunOutput, ScratchDaemon, Tools, Xntpd3Responder,
    Xntpd3Script,
};
use serde_json::Value;

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");
const KEY: &str = "leapKey4ntpkit";

/// The transitions published up to 2017 (NTP seconds, TAI−UTC), as in every leap-seconds.list.
const PUBLISHED: [(u64, i32); 28] = [
    (2_272_060_800, 10),
    (2_287_785_600, 11),
    (2_303_683_200, 12),
    (2_335_219_200, 13),
    (2_366_755_200, 14),
    (2_398_291_200, 15),
    (2_429_913_600, 16),
    (2_461_449_600, 17),
    (2_492_985_600, 18),
    (2_524_521_600, 19),
    (2_571_782_400, 20),
    (2_603_318_400, 21),
    (2_634_854_400, 22),
    (2_698_012_800, 23),
    (2_776_982_400, 24),
    (2_840_140_800, 25),
    (2_871_676_800, 26),
    (2_918_937_600, 27),
    (2_950_473_600, 28),
    (2_982_009_600, 29),
    (3_029_443_200, 30),
    (3_076_704_000, 31),
    (3_124_137_600, 32),
    (3_345_062_400, 33),
    (3_439_756_800, 34),
    (3_550_089_600, 35),
    (3_644_697_600, 36),
    (3_692_217_600, 37),
];

const NTP_UNIX: i64 = 2_208_988_800;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap())
}

/// 00:00 UTC on the first of the month `ahead` months after the current one.
fn month_start(unix: i64, ahead: i64) -> i64 {
    let c = CivilTime::from_unix(unix);
    let months = c.year * 12 + i64::from(c.month) - 1 + ahead;
    CivilTime {
        year: months.div_euclid(12),
        month: u8::try_from(months.rem_euclid(12) + 1).unwrap(),
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        weekday: 0,
    }
    .to_unix()
}

fn utc_midnight(year: i64, month: u8, day: u8) -> i64 {
    CivilTime {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        weekday: 0,
    }
    .to_unix()
}

fn ntp(unix: i64) -> u64 {
    u64::try_from(unix + NTP_UNIX).unwrap()
}

/// A leap-seconds file with the published entries, `extra` (Unix time, TAI−UTC) and an expiry,
/// hashed correctly by ntpkit.
fn leap_file(extra: &[(i64, i32)], expires: i64) -> String {
    let mut entries = PUBLISHED.to_vec();
    entries.extend(extra.iter().map(|&(t, o)| (ntp(t), o)));
    LeapFileSpec {
        updated: ntp(month_start(now(), -1)),
        expires: ntp(expires),
        entries,
    }
    .render()
}

/// `text` with the first digit of its `#h` line changed.
fn corrupt_hash(text: &str) -> String {
    let at = text.find("#h\t").unwrap() + 3;
    let old = &text[at..=at];
    let new = if old == "0" { "1" } else { "0" };
    format!("{}{new}{}", &text[..at], &text[at + 1..])
}

/// The filestamp ntpd 4.2.8 prints for `leapsec`/`expire`: `YYYYMMDDhhmm`.
fn filestamp(unix: i64) -> String {
    let c = CivilTime::from_unix(unix);
    format!(
        "{:04}{:02}{:02}{:02}{:02}",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

/// A private directory for one test's files.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ntpq-leap-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Our ntpq run locally (no network needed).
fn local(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(NTPQ).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The value after `label:` in our text output.
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{label}:")))
        .map_or("", str::trim)
}

/// One line on stderr, nothing more.
#[track_caller]
fn one_error_line(out: &RunOutput, needle: &str) {
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].starts_with("ntpq: "), "{out}");
    assert!(lines[0].contains(needle), "expected {needle:?}:\n{out}");
}

/// A scratch daemon of `kind` that takes `:config` and mode 6 writes signed with key 1, synchronised
/// to its local clock; `shift` puts it on a clock shifted by that many seconds.
fn scratch(kind: Daemon, shift: Option<f64>) -> ScratchDaemon {
    let mut b = ScratchDaemon::builder(kind)
        .keys_text(format!("1 MD5 {KEY}\n"))
        .conf_lines([
            "trustedkey 1",
            "controlkey 1",
            "restrict 127.0.0.1",
            "restrict ::1",
            "server 127.127.1.0 minpoll 3 maxpoll 4 prefer",
            "fudge 127.127.1.0 stratum 0",
        ]);
    if let Some(seconds) = shift {
        b = b.clock_shift(seconds);
    }
    b.start(Tools::get())
}

fn keys(dir: &TempDir) -> String {
    let path = dir.write(
        "ntp.keys",
        &format!("1 MD5 {KEY}\n2 MD5 notTheControlKey\n"),
    );
    // Private, as keys files should be: ntpq warns about one others can read.
    std::fs::set_permissions(
        &path,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600),
    )
    .unwrap();
    path
}

fn ours(d: &ScratchDaemon, keys: &str, args: &[&str]) -> RunOutput {
    let mut all = vec!["-k", keys, "-a", "1"];
    all.extend(args);
    d.command(NTPQ)
        .args(all)
        .timeout(Duration::from_secs(30))
        .run()
}

fn reference_rv(d: &ScratchDaemon, vars: &str) -> String {
    let out = match d.kind() {
        ntpkit_lab::ScratchKind::Ntpsec => d
            .ntpsec(NtpsecTool::Ntpq)
            .args(["-n", "-c", &format!("rv 0 {vars}"), "127.0.0.1"])
            .run(),
        _ => d
            .reference(RefTool::Ntpq)
            .args(["-n", "-c", &format!("rv 0 {vars}"), "127.0.0.1"])
            .run(),
    };
    out.stdout
}

#[test]
fn check_file_valid_bad_hash_expired_and_out_of_order() {
    let dir = TempDir::new("check");
    let now = now();
    let next = month_start(now, 2);
    let expires = month_start(now, 8);
    let valid = leap_file(&[(next, 38)], expires);
    let good = dir.write("good.list", &valid);
    let (code, out, err) = local(&["leap", "--check-file", &good]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(field(&out, "valid"), "yes");
    assert!(field(&out, "hash").starts_with("ok ("), "{out}");
    assert_eq!(field(&out, "entries"), "29");
    assert_eq!(field(&out, "tai"), "37 s");
    assert!(
        field(&out, "next leap").starts_with(&format!("{} insert to 38 s", iso_utc(next))),
        "{out}"
    );
    assert!(err.is_empty(), "{err}");

    // One digit of the data changed: the hash no longer matches.
    let bad = dir.write(
        "bad.list",
        &valid.replace(&format!("{}\t37", 3_692_217_600_u64), "3692217600\t37 "),
    );
    let tampered = valid.replace("3692217600\t37", "3692217601\t37");
    let bad_hash = dir.write("badhash.list", &tampered);
    let (code, out, err) = local(&["leap", "--check-file", &bad_hash]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert_eq!(field(&out, "valid"), "no");
    assert!(field(&out, "hash").starts_with("mismatch (file "), "{out}");
    assert!(out.contains("hash mismatch: the file states"), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("ntpq: leap --check-file: "), "{err}");
    // White space is not hashed: the first copy is still valid.
    assert_eq!(local(&["leap", "--check-file", &bad]).0, Some(0));

    let expired = dir.write(
        "expired.list",
        &leap_file(&[], month_start(now, -1) - 4 * 86_400),
    );
    let (code, out, _) = local(&["leap", "--check-file", &expired]);
    assert_eq!(code, Some(1), "{out}");
    assert!(field(&out, "hash").starts_with("ok"), "{out}");
    assert!(field(&out, "error").starts_with("expired on "), "{out}");

    let mut swapped = PUBLISHED.to_vec();
    swapped.swap(26, 27);
    let backwards = LeapFileSpec {
        updated: ntp(month_start(now, -1)),
        expires: ntp(expires),
        entries: swapped,
    }
    .render();
    let (code, out, _) = local(&["leap", "--check-file", &dir.write("order.list", &backwards)]);
    assert_eq!(code, Some(1), "{out}");
    assert!(field(&out, "hash").starts_with("ok"), "{out}");
    assert!(out.contains("times not ascending"), "{out}");

    let mid_month = dir.write("mid.list", &leap_file(&[(next + 14 * 86_400, 38)], expires));
    let (code, out, _) = local(&["leap", "--check-file", &mid_month]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("bad transition time"), "{out}");

    let (code, _, err) = local(&["leap", "--check-file", "/nonexistent/leap.list"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("cannot read '/nonexistent/leap.list'"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["leap", "--check-file", "x", "localhost"][..],
        &["leap", "--dry-run"],
        &["leap", "--leapfile", "/x"],
        &["leap", "--set", "sideways"],
        &["leap", "--set", "add", "h1", "h2"],
        &["-c", "rv", "leap"],
    ] {
        let (code, out, err) = local(args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
}

#[test]
fn ntpd_arms_a_leap_from_a_generated_file() {
    let dir = TempDir::new("ntpd");
    let d = scratch(Daemon::Reference, None);
    let keys = keys(&dir);
    let now = now();
    // The end of next month: the transition is the first of the month after.
    let leap = month_start(now, 2);
    let expires = month_start(now, 8);
    let text = leap_file(&[(leap, 38)], expires);
    let file = d.dir().join("leap-seconds.list");
    std::fs::write(&file, &text).unwrap();
    let file = file.to_str().unwrap().to_owned();
    let bad = d.dir().join("bad.list");
    std::fs::write(&bad, corrupt_hash(&text)).unwrap();
    let bad = bad.to_str().unwrap().to_owned();

    let before = ours(&d, &keys, &["leap", "127.0.0.1"]);
    before.assert_success();
    assert_eq!(
        field(&before.stdout, "leapsec"),
        "- (no leap table)",
        "{before}"
    );
    assert_eq!(field(&before.stdout, "next leap"), "none scheduled");
    assert!(field(&before.stdout, "daemon").starts_with("ntpd (ntpd 4.2.8p15"));

    // A dry run reads and shows the write, and sends nothing.
    let dry = ours(
        &d,
        &keys,
        &[
            "leap",
            "--set",
            "add",
            "--leapfile",
            &file,
            "--dry-run",
            "127.0.0.1",
        ],
    );
    dry.assert_success();
    assert_eq!(
        field(&dry.stdout, "would send"),
        format!("configure assoc 0 'leapfile {file}', signed with key 1")
    );
    assert_eq!(field(&dry.stdout, "result"), "dry run: nothing sent");
    assert!(!d.log().contains("config: leapfile"), "{}", d.log());
    assert!(!reference_rv(&d, "leapsec").contains("leapsec="));

    // A file with a bad hash: ntpd answers "Config Succeeded" and keeps its table; the read-back
    // tells.
    let refused = ours(
        &d,
        &keys,
        &["leap", "--set", "add", "--leapfile", &bad, "127.0.0.1"],
    );
    assert_eq!(refused.code, Some(1), "{refused}");
    assert_eq!(field(&refused.stdout, "reply"), "Config Succeeded");
    one_error_line(&refused, "the server armed no leap: it has no leap table");
    assert!(d.log().contains("signature mismatch"), "{}", d.log());

    // Checked locally first, then armed; the reference ntpq sees the table.
    let armed = ours(
        &d,
        &keys,
        &[
            "leap",
            "--set",
            "add",
            "--leapfile",
            &file,
            "--check-file",
            &file,
            "127.0.0.1",
        ],
    );
    armed.assert_success();
    assert_eq!(field(&armed.stdout, "valid"), "yes", "{armed}");
    assert_eq!(
        field(&armed.stdout, "sent"),
        format!("configure assoc 0 'leapfile {file}', signed with key 1")
    );
    assert!(
        field(&armed.stdout, "result").starts_with(&format!("leap armed for {}", iso_utc(leap))),
        "{armed}"
    );
    assert!(d.log().contains("good hash signature"), "{}", d.log());
    let rv = reference_rv(&d, "leap,leapsec,expire");
    assert!(rv.contains(&format!("leapsec={}", filestamp(leap))), "{rv}");
    assert!(
        rv.contains(&format!("expire={}", filestamp(expires))),
        "{rv}"
    );
    let shown = ours(&d, &keys, &["leap", "127.0.0.1"]);
    assert_eq!(field(&shown.stdout, "leapsec"), iso_utc(leap));
    assert!(field(&shown.stdout, "next leap").starts_with(&iso_utc(leap)));
    assert!(field(&shown.stdout, "expire").starts_with(&iso_utc(expires)));

    // `--set add` again with a file that asks for a deletion: refused before anything is sent.
    let deletion = d.dir().join("delete.list");
    std::fs::write(&deletion, leap_file(&[(leap, 36)], expires)).unwrap();
    let deletion = deletion.to_str().unwrap();
    let log_before = d.log().len();
    let disagree = ours(
        &d,
        &keys,
        &[
            "leap",
            "--set",
            "add",
            "--leapfile",
            deletion,
            "--check-file",
            deletion,
            "127.0.0.1",
        ],
    );
    assert_eq!(disagree.code, Some(1), "{disagree}");
    one_error_line(&disagree, "announces a deletion");
    assert!(!d.log()[log_before..].contains("config:"), "{}", d.log());

    // Disarm with a file without the leap.
    let none = d.dir().join("none.list");
    std::fs::write(&none, leap_file(&[], expires)).unwrap();
    let none = none.to_str().unwrap();
    let cleared = ours(
        &d,
        &keys,
        &["leap", "--set", "none", "--leapfile", none, "127.0.0.1"],
    );
    cleared.assert_success();
    assert!(
        field(&cleared.stdout, "result").starts_with("no leap pending"),
        "{cleared}"
    );
    let rv = reference_rv(&d, "leapsec");
    assert!(rv.contains("leapsec=201701010000"), "{rv}");

    // Without a key nothing is sent; a key that is not the controlkey is refused (exit 4).
    let keyless = d
        .command(NTPQ)
        .args(["leap", "--set", "add", "--leapfile", &file, "127.0.0.1"])
        .run();
    assert_eq!(keyless.code, Some(4), "{keyless}");
    one_error_line(&keyless, "no key for authenticated requests");
    let wrong = d
        .command(NTPQ)
        .args([
            "-k",
            &keys,
            "-a",
            "2",
            "leap",
            "--set",
            "add",
            "--leapfile",
            &file,
            "127.0.0.1",
        ])
        .run();
    assert_eq!(wrong.code, Some(4), "{wrong}");
    one_error_line(&wrong, "permission denied");
}

/// Polls `check` every second until it holds or `limit` passes.
fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    false
}

#[test]
fn armed_leaps_are_announced_in_the_last_day() {
    let dir = TempDir::new("announce");
    let keys = keys(&dir);
    let leap = month_start(now(), 1);
    // Three hours before the leap, by the daemon's clock.
    let shift = (leap - 3 * 3600 - now()) as f64;
    let expires = month_start(leap, 6);
    for kind in [Daemon::Reference, Daemon::Ntpsec] {
        let d = scratch(kind, Some(shift));
        let file = d.dir().join("leap-seconds.list");
        std::fs::write(&file, leap_file(&[(leap, 38)], expires)).unwrap();
        let armed = ours(
            &d,
            &keys,
            &[
                "leap",
                "--set",
                "add",
                "--leapfile",
                file.to_str().unwrap(),
                "127.0.0.1",
            ],
        );
        armed.assert_success();
        assert!(
            field(&armed.stdout, "result")
                .starts_with(&format!("leap armed for {}", iso_utc(leap))),
            "{armed}"
        );
        // The daemon sets its leap bits at its next clock update.
        let announced = wait_for(Duration::from_secs(120), || {
            reference_rv(&d, "leap").contains("leap=01")
        });
        assert!(
            announced,
            "{kind:?} never announced the leap: {}\n{}",
            reference_rv(&d, "leap,leapsec,expire,clock"),
            d.log()
        );
        let shown = ours(&d, &keys, &["leap", "127.0.0.1"]);
        assert_eq!(
            field(&shown.stdout, "leap"),
            "01 leap_add_sec, announced",
            "{shown}"
        );
        let next = field(&shown.stdout, "next leap");
        assert!(
            next.starts_with(&format!("{} (in 0.1 days)", iso_utc(leap))),
            "{shown}"
        );
        let rv = reference_rv(&d, "leapsec");
        let expected = if kind == Daemon::Ntpsec {
            format!("leapsec=\"{}Z\"", &iso_utc(leap)[..16])
        } else {
            format!("leapsec={}", filestamp(leap))
        };
        assert!(rv.contains(&expected), "{rv}");
    }
}

#[test]
fn ntpsec_refuses_direct_writes_but_loads_a_leapfile() {
    let dir = TempDir::new("ntpsec");
    let keys = keys(&dir);
    let d = scratch(Daemon::Ntpsec, None);
    let refused = ours(&d, &keys, &["leap", "--set", "add", "127.0.0.1"]);
    assert_eq!(refused.code, Some(1), "{refused}");
    one_error_line(&refused, "NTPsec has no writable variables");
    assert_eq!(field(&refused.stdout, "method"), "none");
    assert!(field(&refused.stdout, "daemon").starts_with("ntpsec (ntpd ntpsec-1.2.2"));
    // The raw write is refused as well.
    let raw = ours(&d, &keys, &["-c", "writevar 0 leap=1", "127.0.0.1"]);
    assert_eq!(raw.code, Some(1), "{raw}");
    one_error_line(&raw, "unspecified error");

    let leap = month_start(now(), 2);
    let file = d.dir().join("leap-seconds.list");
    std::fs::write(&file, leap_file(&[(leap, 38)], month_start(now(), 8))).unwrap();
    let armed = ours(
        &d,
        &keys,
        &[
            "leap",
            "--set",
            "add",
            "--leapfile",
            file.to_str().unwrap(),
            "127.0.0.1",
        ],
    );
    armed.assert_success();
    let rv = reference_rv(&d, "leapsec");
    assert!(
        rv.contains(&format!("leapsec=\"{}Z\"", &iso_utc(leap)[..16])),
        "{rv}"
    );
}

fn xntpd3(lab: &Lab, clock: i64, quirk: bool) -> Xntpd3Responder {
    lab.xntpd3_responder(&Xntpd3Script {
        clock_unix: clock,
        key_id: 1,
        key: KEY.into(),
        leap_warning: 0,
        leap_indicator: 0,
        source_leap: 0,
        omitted_counts: quirk,
    })
}

fn writes(r: &Xntpd3Responder) -> Vec<String> {
    r.log()
        .into_iter()
        .filter(|l| l.contains(" op=3 "))
        .collect()
}

#[test]
fn xntpd3_leap_bits_follow_the_window_rules() {
    let lab = Lab::get();
    let dir = TempDir::new("xntpd3");
    let keys = keys(&dir);
    let july = utc_midnight(2027, 7, 1);
    let run = |r: &Xntpd3Responder, args: &[&str]| {
        let addr = r.addr.ip().to_string();
        let mut all = vec!["-k", keys.as_str(), "-a", "1"];
        all.extend(args);
        all.push(&addr);
        lab.command(NTPQ).args(all).run()
    };

    // Eleven days before a possible leap: the warning window.
    let r = xntpd3(lab, july - 11 * 86_400, false);
    let dry = run(&r, &["leap", "--set", "add", "--dry-run"]);
    dry.assert_success();
    assert_eq!(
        field(&dry.stdout, "would send"),
        "writevar assoc 0 'leapwarning=1', signed with key 1"
    );
    assert!(writes(&r).is_empty(), "{:?}", r.log());
    let set = run(&r, &["leap", "--set", "add"]);
    set.assert_success();
    assert_eq!(
        field(&set.stdout, "result"),
        "leapwarning=01 set: a leap second insertion at 2027-07-01T00:00:00Z"
    );
    assert_eq!(
        writes(&r),
        ["request op=3 assoc=0 auth=ok data='leapwarning=1' -> ok"]
    );
    let shown = run(&r, &["leap"]);
    assert_eq!(field(&shown.stdout, "daemon"), "xntpd3 (SunOS)");
    assert_eq!(field(&shown.stdout, "leapwarning"), "01 leap_add_sec");
    assert_eq!(field(&shown.stdout, "leap"), "00 leap_none");
    assert!(field(&shown.stdout, "next leap").starts_with("2027-07-01T00:00:00Z (in 11.0 days)"));
    assert!(
        field(&shown.stdout, "possible leap").ends_with("window: warning)"),
        "{shown}"
    );
    // The reference ntpq reads the same from the responder.
    let theirs = lab
        .reference(RefTool::Ntpq)
        .args([
            "-n",
            "-c",
            "rv 0 leapwarning,leapindicator",
            &r.addr.ip().to_string(),
        ])
        .run();
    assert!(
        theirs.stdout.contains("leapindicator=0, leapwarning=1"),
        "{theirs}"
    );
    // A key that is not the controlkey: PERMISSION, exit 4, with the reasons xntpd 3 has.
    let wrong = lab
        .command(NTPQ)
        .args([
            "-k",
            &keys,
            "-a",
            "2",
            "leap",
            "--set",
            "delete",
            &r.addr.ip().to_string(),
        ])
        .run();
    assert_eq!(wrong.code, Some(4), "{wrong}");
    one_error_line(
        &wrong,
        "writevar 'leapwarning=2' refused (xntpd 3 refuses when the key is not its controlkey",
    );
    // The raw command: an indicator is outside its window eleven days ahead.
    let raw = run(&r, &["-c", "writevar 0 leapindicator=1"]);
    assert_eq!(raw.code, Some(4), "{raw}");
    one_error_line(&raw, "permission denied");
    drop(r);

    // Six hours before it: the indicator window; the leap bits follow at once.
    let r = xntpd3(lab, july - 6 * 3600, false);
    let set = run(&r, &["leap", "--set", "delete"]);
    set.assert_success();
    assert_eq!(
        writes(&r),
        ["request op=3 assoc=0 auth=ok data='leapindicator=2' -> ok"]
    );
    let shown = run(&r, &["leap"]);
    assert_eq!(
        field(&shown.stdout, "leap"),
        "10 leap_del_sec, announced",
        "{shown}"
    );
    assert_eq!(field(&shown.stdout, "leapindicator"), "10 leap_del_sec");
    let pass = run(&r, &["leap", "--set", "pass"]);
    pass.assert_success();
    assert_eq!(
        field(&pass.stdout, "after"),
        "leap 00, leapwarning 00, leapindicator 00"
    );
    // Plain writevar keeps working as a raw command, for the reference ntpq too.
    let raw = run(&r, &["-c", "writevar 0 leapwarning=1"]);
    raw.assert_success();
    assert_eq!(raw.stdout.trim(), "done! (no data returned)");
    let theirs = lab
        .reference(RefTool::Ntpq)
        .args([
            "-n",
            "-c",
            "keyid 1",
            "-c",
            &format!("passwd {KEY}"),
            "-c",
            "writevar 0 leapindicator=3",
            "-c",
            "rv 0 leap,leapindicator,leapwarning",
            &r.addr.ip().to_string(),
        ])
        .run();
    assert!(
        theirs
            .stdout
            .contains("leap=00, leapindicator=3, leapwarning=1"),
        "{theirs}"
    );
    drop(r);

    // Two months ahead: both windows closed; nothing is sent, and the raw write is refused.
    let r = xntpd3(lab, july - 61 * 86_400, false);
    let closed = run(&r, &["leap", "--set", "add"]);
    assert_eq!(closed.code, Some(1), "{closed}");
    one_error_line(
        &closed,
        "xntpd 3 accepts leap bits only in the 31 days before a possible leap (the end of June or December); the next, 2027-07-01T00:00:00Z, is 61.0 days away by the server's clock",
    );
    assert_eq!(field(&closed.stdout, "method"), "none");
    assert!(writes(&r).is_empty(), "{:?}", r.log());
    let raw = run(&r, &["-c", "writevar 0 leapwarning=1"]);
    assert_eq!(raw.code, Some(4), "{raw}");
    assert_eq!(
        writes(&r),
        ["request op=3 assoc=0 auth=ok data='leapwarning=1' -> error 1"]
    );
    let bad_value = run(&r, &["-c", "writevar 0 leapwarning=5"]);
    assert_eq!(bad_value.code, Some(1), "{bad_value}");
    one_error_line(&bad_value, "bad variable value");
    let leapfile = run(&r, &["leap", "--set", "add", "--leapfile", "/x"]);
    assert_eq!(leapfile.code, Some(1), "{leapfile}");
    one_error_line(&leapfile, "xntpd 3 has no leap files");
    drop(r);

    // xntpd 3-5.x's sentinel quirk: a lone warning counts as an indicator too, and is refused.
    let r = xntpd3(lab, july - 11 * 86_400, true);
    let quirk = run(&r, &["leap", "--set", "add"]);
    assert_eq!(quirk.code, Some(4), "{quirk}");
    one_error_line(&quirk, "its clock puts the leap outside the window");
}

#[test]
fn lab_daemons_read_without_changes_match_the_reference() {
    let lab = Lab::get();
    for host in [lab.ntp1(), lab.ntp2(), lab.ntp3()] {
        let addr = host.v4.to_string();
        let out = lab.command(NTPQ).args(["--json", "leap", &addr]).run();
        out.assert_success();
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        let daemon = if host.name == "ntp2" {
            "ntpsec"
        } else {
            "ntpd"
        };
        assert_eq!(doc["daemon"], daemon, "{doc}");
        let theirs = if host.name == "ntp2" {
            lab.ntpsec(NtpsecTool::Ntpq)
        } else {
            lab.reference(RefTool::Ntpq)
        }
        .args(["-n", "-c", "rv 0 leap,tai,leapsec,expire", &addr])
        .run()
        .stdout;
        let leap = theirs
            .split(|c: char| c == ',' || c.is_whitespace())
            .find_map(|w| w.strip_prefix("leap="))
            .unwrap_or_else(|| panic!("{theirs}"));
        assert_eq!(doc["leap"]["code"], leap, "{doc}\n{theirs}");
        for var in ["tai", "leapsec", "expire"] {
            let key = if var == "tai" { "tai_offset_s" } else { var };
            assert_eq!(
                theirs.contains(&format!("{var}=")),
                !doc[key].is_null(),
                "{var}: {doc}\n{theirs}"
            );
        }
        // The shell command prints what the command line prints.
        let cli = lab.command(NTPQ).args(["leap", &addr]).run();
        let shell = lab.command(NTPQ).args(["-c", "leap", &addr]).run();
        let piped = lab.command(NTPQ).args([&addr]).stdin("leap\n").run();
        let stable = |t: &str| {
            t.lines()
                .filter(|l| !l.starts_with("server time:") && !l.starts_with("expire:"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(stable(&cli.stdout), stable(&shell.stdout), "{cli}\n{shell}");
        assert_eq!(stable(&cli.stdout), stable(&piped.stdout), "{cli}\n{piped}");
    }
}

/// The documented fields of one JSON document: `(name, allowed JSON types)`, from the table
/// under `#### <title>` in the leap section of docs/json.md.
fn documented(title: &str) -> Vec<(String, Vec<String>)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/json.md"))
            .unwrap();
    let section = doc
        .split("\n## ntpq leap\n")
        .nth(1)
        .expect("a '## ntpq leap' section in docs/json.md");
    let table = section
        .split(&format!("\n#### {title}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no '#### {title}' in the leap section"));
    let fields: Vec<(String, Vec<String>)> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_owned();
            let types = cells[2]
                .split(" or ")
                .map(|t| t.trim().to_owned())
                .collect();
            (name, types)
        })
        .collect();
    assert!(!fields.is_empty(), "empty table for {title}");
    fields
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `doc` has exactly the documented fields, each of a documented type (an integer is also a
/// number); nested objects are checked against their own tables.
#[track_caller]
fn assert_documented(title: &str, doc: &Value) {
    let fields = documented(title);
    let obj = doc.as_object().unwrap_or_else(|| panic!("{title}: {doc}"));
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    for key in obj.keys() {
        assert!(
            names.contains(&key.as_str()),
            "{title}: undocumented '{key}' in {doc}"
        );
    }
    for (name, types) in &fields {
        let v = obj
            .get(name)
            .unwrap_or_else(|| panic!("{title}: missing '{name}' in {doc}"));
        let t = json_type(v);
        let base = |allowed: &str| allowed.split_whitespace().next().unwrap_or("").to_owned();
        let ok = types
            .iter()
            .any(|a| base(a) == t || (base(a) == "number" && t == "integer"));
        assert!(ok, "{title}: '{name}' is {t}, documented {types:?}: {doc}");
        for allowed in types {
            let inner = allowed
                .split_once('(')
                .map(|(_, r)| r.trim_end_matches(')').to_owned());
            match (base(allowed).as_str(), inner, v) {
                ("object", Some(sub), Value::Object(_)) => assert_documented(&sub, v),
                ("array", Some(sub), Value::Array(items)) => {
                    for item in items {
                        assert_documented(&sub, item);
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn json_documents_follow_the_documented_shape() {
    let lab = Lab::get();
    let dir = TempDir::new("json");
    let now = now();
    let good = dir.write(
        "good.list",
        &leap_file(&[(month_start(now, 2), 38)], month_start(now, 8)),
    );
    let bad = dir.write("bad.list", &leap_file(&[], month_start(now, -2)));

    let (_, out, _) = local(&["--json", "leap", "--check-file", &good]);
    assert_documented("leap --check-file", &serde_json::from_str(&out).unwrap());
    let (_, out, _) = local(&["--json", "leap", "--check-file", &bad]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_documented("leap --check-file", &doc);
    assert_eq!(doc["valid"], false);

    let ntp1 = lab.ntp1().v4.to_string();
    let keys = lab.private_keys_file().to_str().unwrap().to_owned();
    let out = lab.command(NTPQ).args(["--json", "leap", &ntp1]).run();
    assert_documented("leap", &serde_json::from_str(&out.stdout).unwrap());
    // A dry run against the shared lab sends nothing.
    let out = lab
        .command(NTPQ)
        .args([
            "--json",
            "-k",
            &keys,
            "-a",
            "1",
            "leap",
            "--set",
            "add",
            "--leapfile",
            "/srv/x",
            "--dry-run",
            "--check-file",
            &good,
            &ntp1,
        ])
        .run();
    out.assert_success();
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_documented("leap --set", &doc);
    assert_eq!(doc["dry_run"], true);

    // xntpd 3: a write inside the window (confirmed) and one outside (refused, no write).
    let xkeys = self::keys(&dir);
    let july = utc_midnight(2027, 7, 1);
    for (days, ok) in [(11, true), (61, false)] {
        let r = xntpd3(lab, july - days * 86_400, false);
        let addr = r.addr.ip().to_string();
        let out = lab.command(NTPQ).args(["--json", "leap", &addr]).run();
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_documented("leap", &doc);
        assert!(doc["xntpd3"].is_object(), "{doc}");
        let out = lab
            .command(NTPQ)
            .args([
                "--json", "-k", &xkeys, "-a", "1", "leap", "--set", "add", &addr,
            ])
            .run();
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_documented("leap --set", &doc);
        assert_eq!(doc["ok"], ok, "{doc}");
        assert_eq!(doc["after"].is_object(), ok, "{doc}");
    }
}
