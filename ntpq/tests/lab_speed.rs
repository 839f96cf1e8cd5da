//! ntpq on the lab at a distance: debug lines through an impairing relay, pipelined billboards
//! compared with the reference ntpq's one-at-a-time ones, MRU lists of 10,000 clients (also
//! through a lossy relay) compared with the reference ntpq's, and fleets of servers over one
//! socket.

use std::collections::BTreeSet;
use std::net::Ipv6Addr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ntpkit_lab::{Impairment, Lab, Normalizer, RefTool};

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");

#[test]
fn debug_shows_fragments_duplicates_and_late_answers() {
    let lab = Lab::get();
    let ntp3 = lab.ntp3();
    // Every datagram is delivered twice: the second copy of a fragment is a duplicate, the
    // second copy of an answer's last fragment arrives after the answer is complete.
    let relay = lab.relay(
        ntp3,
        &Impairment {
            delay: Duration::from_millis(5),
            duplicate: 1.0,
            seed: 13,
            ..Impairment::default()
        },
    );
    let host = relay.v4.ip().to_string();
    let out = lab
        .command(NTPQ)
        .args(["-n", "-d", "-c", "rv &1", "-c", "rv &1", &host])
        .run();
    out.assert_success();
    let lines: Vec<&str> = out.stderr.lines().collect();
    let count = |needle: &str| lines.iter().filter(|l| l.contains(needle)).count();
    let from = format!("from {}:123: ", relay.v4.ip());
    // READSTAT and two READVARs of a peer: ntpd sends its variables in two fragments.
    assert_eq!(
        count(&format!(
            "sent 12 octets to {}:123: readstat seq=",
            relay.v4.ip()
        )),
        1,
        "{}",
        out.stderr
    );
    assert!(
        lines.iter().any(|l| l.starts_with("received 480 octets ")
            && l.contains(&from)
            && l.contains(" offset=0 count=468 R=1 E=0 M=1 VN=2")),
        "{}",
        out.stderr
    );
    assert!(
        lines.iter().any(|l| l.contains(&from)
            && l.contains(" offset=468 ")
            && l.contains(" R=1 E=0 M=0 VN=2")),
        "{}",
        out.stderr
    );
    assert_eq!(
        count("2 packets reassembled into response"),
        2,
        "{}",
        out.stderr
    );
    assert!(
        count(&format!("{from}duplicate fragment at offset 0")) >= 1,
        "{}",
        out.stderr
    );
    assert!(
        count("matches no outstanding request (a late or duplicate answer)") >= 1,
        "{}",
        out.stderr
    );
    // The variables themselves are as without -d.
    assert!(
        out.stdout.contains("srcadr=10.77.0.2, srcport=123"),
        "{}",
        out.stdout
    );
}

/// Serialises the tests that fill and read the fleet daemon's MRU list.
static MRU: Mutex<()> = Mutex::new(());

/// 10,000 clients the fleet daemon has never seen, sent to one of its addresses that no
/// recent run used, filled once per test run: `mrulist laddr=` lists them (ntpd keeps the local
/// address an entry was created with, and recycles entries over a minute old as new ones come).
/// The address and the clients' addresses.
fn mru_clients(lab: &Lab) -> &'static (String, BTreeSet<String>) {
    static FILLED: OnceLock<(String, BTreeSet<String>)> = OnceLock::new();
    FILLED.get_or_init(|| {
        let count = 10_000;
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let laddr = format!("fd77::50:{}", 11 + secs % 150);
        let first = 65_536 + secs * 100_000;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/fill-mru.py");
        let out = lab
            .command("python3")
            .args([
                script,
                "10.77.0.50",
                &count.to_string(),
                &first.to_string(),
                &laddr,
            ])
            .timeout(Duration::from_secs(60))
            .run();
        out.assert_success();
        assert_eq!(out.stdout.trim(), count.to_string());
        let sent = (0..count)
            .map(|i| Ipv6Addr::from((0xfd78_u128 << 112) + u128::from(first + i - 65_535)))
            .map(|a| a.to_string())
            .collect();
        (laddr, sent)
    })
}

/// The addresses of an mrulist table.
fn addresses(text: &str) -> BTreeSet<String> {
    text.lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().last().map(str::to_owned))
        .collect()
}

/// The rows of an mrulist table without the columns that change between two reads (lstint,
/// avgint): restriction, flags, mode, version, count, port, address.
fn mru_rows(text: &str) -> BTreeSet<String> {
    text.lines()
        .skip(2)
        .map(|l| l.split_whitespace().skip(2).collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn mrulist_of_ten_thousand_clients_matches_the_reference() {
    let lab = Lab::get();
    let _serial = MRU
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let fleet = lab.host("fleet").v4.to_string();
    let (laddr, sent) = mru_clients(lab);
    let command = format!("mrulist laddr={laddr}");
    let ours = lab.command(NTPQ).args(["-n", "-c", &command, &fleet]).run();
    ours.assert_success();
    let theirs = lab
        .reference(RefTool::Ntpq)
        .args(["-n", "-c", &command, &fleet])
        .run();
    let (ours_rows, their_rows) = (mru_rows(&ours.stdout), mru_rows(&theirs.stdout));
    assert!(ours_rows.len() >= 10_000, "{}", ours.stderr);
    assert!(ours_rows == their_rows, "the entry sets differ");
    assert!(sent.is_subset(&addresses(&ours.stdout)), "clients missing");
    assert_eq!(
        ours.stderr,
        format!(
            "Ctrl-C will stop MRU retrieval and display partial results.\n\
             Retrieved {} unique MRU entries and 0 updates.\n",
            ours_rows.len()
        )
    );
    // Oldest first is the arrival order: rows are printed as they come, the same rows.
    let streamed = lab
        .command(NTPQ)
        .args(["-n", "-c", &format!("{command} sort=-lstint"), &fleet])
        .run();
    streamed.assert_success();
    assert!(mru_rows(&streamed.stdout) == their_rows);
    // And in JSON.
    let json = lab
        .command(NTPQ)
        .args(["-n", "--json", "-c", &command, &fleet])
        .run();
    json.assert_success();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["entries"].as_array().map(Vec::len),
        Some(ours_rows.len())
    );
}

#[test]
fn mrulist_through_a_lossy_relay_lists_the_same_clients() {
    let lab = Lab::get();
    let _serial = MRU
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let fleet = lab.host("fleet");
    let (laddr, sent) = mru_clients(lab);
    // 50 ms round trips and 5% of the datagrams lost in each direction: a 128-fragment
    // answer almost never arrives whole, so every page is kept from its received prefix.
    let relay = lab.relay(
        fleet,
        &Impairment {
            delay: Duration::from_millis(25),
            loss: 0.05,
            seed: 1313,
            ..Impairment::default()
        },
    );
    let command = format!("mrulist laddr={laddr}");
    let ours = lab
        .command(NTPQ)
        .args(["-n", "-d", "-c", &command, &relay.v4.ip().to_string()])
        .timeout(Duration::from_secs(120))
        .run();
    ours.assert_success();
    let theirs = lab
        .reference(RefTool::Ntpq)
        .args(["-n", "-c", &command, &fleet.v4.to_string()])
        .run();
    let (ours_rows, their_rows) = (mru_rows(&ours.stdout), mru_rows(&theirs.stdout));
    assert!(ours_rows.len() >= 10_000);
    assert!(ours_rows == their_rows, "the entry sets differ");
    assert!(sent.is_subset(&addresses(&ours.stdout)), "clients missing");
    // Loss did happen, and partial answers were used rather than asked for again.
    let debug = &ours.stderr;
    assert!(
        debug.contains(" packets reassembled into response"),
        "{debug}"
    );
    eprintln!(
        "lossy mrulist: {:?}, {} requests",
        ours.elapsed,
        debug
            .lines()
            .filter(|l| l.contains(": read_mru seq=") && l.starts_with("sent"))
            .count()
    );
}

/// Servers that answer nothing (nothing in the lab has these addresses): their billboard
/// rows never change, so two reads a moment apart compare exactly.
const SILENT_SERVERS: [&str; 9] = [
    "10.77.98.1",
    "10.77.98.2",
    "10.77.98.3",
    "10.77.98.4",
    "10.77.98.5",
    "10.77.98.6",
    "10.77.98.7",
    "10.77.98.8",
    "10.77.98.9",
];

/// Adds servers to a daemon with `:config` and removes them again when dropped.
struct Configured<'a> {
    lab: &'a Lab,
    host: String,
    servers: &'a [&'a str],
}

impl<'a> Configured<'a> {
    fn add(lab: &'a Lab, host: String, servers: &'a [&'a str]) -> Self {
        let added = Self { lab, host, servers };
        added.config(|s| format!(":config server {s} minpoll 10 maxpoll 10"));
        added
    }

    fn config(&self, line: impl Fn(&str) -> String) {
        let keys = self.lab.private_keys_file().display().to_string();
        let mut args = vec!["-n".to_owned(), "-k".into(), keys, "-a".into(), "1".into()];
        for s in self.servers {
            args.extend(["-c".to_owned(), line(s)]);
        }
        args.push(self.host.clone());
        let out = self.lab.command(NTPQ).args(&args).run();
        out.assert_success();
    }
}

impl Drop for Configured<'_> {
    fn drop(&mut self) {
        self.config(|s| format!(":config unpeer {s}"));
    }
}

#[test]
fn pipelined_billboards_match_the_reference_with_ten_associations() {
    let lab = Lab::get();
    let fleet = lab.host("fleet").v4.to_string();
    let _servers = Configured::add(lab, fleet.clone(), &SILENT_SERVERS);
    for command in ["peers", "lpeers", "apeers", "opeers", "lopeers"] {
        let ours = lab.command(NTPQ).args(["-n", "-c", command, &fleet]).run();
        ours.assert_success();
        let theirs = lab
            .reference(RefTool::Ntpq)
            .args(["-n", "-c", command, &fleet])
            .run();
        let normalizer = Normalizer::default();
        assert_eq!(
            normalizer.normalize(&ours.stdout),
            normalizer.normalize(&theirs.stdout),
            "{command}"
        );
        assert!(ours.stdout.lines().count() >= 12, "{}", ours.stdout);
    }
    // Every association's variables were asked for before the first answer came back.
    let debug = lab
        .command(NTPQ)
        .args(["-n", "-d", "-c", "peers", &fleet])
        .run();
    let lines: Vec<&str> = debug.stderr.lines().collect();
    let first_answer = lines
        .iter()
        .position(|l| l.starts_with("received") && l.contains(": readvar"))
        .expect("an answer");
    let asked = lines[..first_answer]
        .iter()
        .filter(|l| l.starts_with("sent") && l.contains(": readvar"))
        .count();
    assert_eq!(asked, 10, "{}", debug.stderr);
    // Statistics of several peers at once, as one at a time.
    let ids: Vec<String> = lab
        .command(NTPQ)
        .args(["-n", "-c", "associations", &fleet])
        .run()
        .stdout
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .take(4)
        .collect();
    let together = lab
        .command(NTPQ)
        .args(["-n", "-c", &format!("pstats {}", ids.join(" ")), &fleet])
        .run();
    together.assert_success();
    let mut args = vec!["-n".to_owned()];
    for id in &ids {
        args.extend(["-c".to_owned(), format!("pstats {id}")]);
    }
    args.push(fleet.clone());
    let apart = lab.command(NTPQ).args(&args).run();
    let labels = |t: &str| -> Vec<String> {
        t.lines()
            .map(|l| l.split(':').next().unwrap_or(l).to_owned())
            .collect()
    };
    assert_eq!(labels(&together.stdout), labels(&apart.stdout));
    assert_eq!(
        together.stdout.matches("remote host:").count(),
        ids.len(),
        "{}",
        together.stdout
    );
}

#[test]
fn a_fleet_of_two_hundred_addresses_over_one_socket() {
    let lab = Lab::get();
    let fleet = lab.host("fleet");
    let mut hosts: Vec<String> = fleet.fleet_v4.iter().map(ToString::to_string).collect();
    assert_eq!(hosts.len(), 200);
    // One silent address in the middle and one that does not resolve.
    hosts.insert(50, "10.77.9.9".to_owned());
    hosts.insert(120, "no-such-host.invalid".to_owned());
    let mut args = vec![
        "-n".to_owned(),
        "-c".into(),
        "timeout 1000".into(),
        "-c".into(),
        "rv 0 stratum".into(),
    ];
    args.extend(hosts.iter().cloned());
    let out = lab
        .command(NTPQ)
        .args(&args)
        .timeout(Duration::from_secs(30))
        .run();
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let printed: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    let want: Vec<String> = hosts
        .iter()
        .filter(|h| h.starts_with("10.77.50."))
        .map(|h| format!("server={h} stratum=1"))
        .collect();
    assert_eq!(printed, want);
    let errors: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "{}", out.stderr);
    assert!(errors[0].starts_with("ntpq: 10.77.9.9: rv 0 stratum: no response"));
    assert!(errors[1].starts_with("ntpq: no-such-host.invalid: rv 0 stratum: cannot resolve"));
    // The silent host costs its own two timeouts, concurrently with everything else.
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    // The same hosts from a file (-f), in its order.
    let file = std::env::temp_dir().join(format!("ntpq-fleet-{}.txt", std::process::id()));
    std::fs::write(
        &file,
        format!("# the fleet\n{}\n", want_hosts(&hosts).join("\n")),
    )
    .unwrap();
    let from_file = lab
        .command(NTPQ)
        .args([
            "-n",
            "-c",
            "rv 0 stratum",
            "-f",
            &file.display().to_string(),
        ])
        .run();
    std::fs::remove_file(&file).unwrap();
    from_file.assert_success();
    let printed: Vec<&str> = from_file.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(printed, want);
}

fn want_hosts(hosts: &[String]) -> Vec<String> {
    hosts
        .iter()
        .filter(|h| h.starts_with("10.77.50."))
        .cloned()
        .collect()
}
