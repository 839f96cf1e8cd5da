//! ntpq on the lab at a distance: debug lines through an impairing relay, pipelined billboards
//! compared with the reference ntpq's one-at-a-time ones, MRU lists of 10,000 clients (also
//! through a lossy relay) compared with the reference ntpq's, and fleets of servers over one
//! socket.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use ntpkit_lab::{Impairment, Lab, RefTool};

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

/// The fleet address these tests' clients send to: `mrulist laddr=` lists exactly them.
const MRU_LADDR: &str = "10.77.50.11";

/// One client request from each of `count` pool addresses (from index 20,000: other users of
/// the pools start lower) to `to`.
fn fill_mru(lab: &Lab, count: usize, to: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/fill-mru.py");
    let out = lab
        .command("python3")
        .args([script, to, &count.to_string(), "20000"])
        .timeout(Duration::from_secs(60))
        .run();
    out.assert_success();
    assert_eq!(out.stdout.trim(), count.to_string());
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
    fill_mru(lab, 10_000, MRU_LADDR);
    let command = format!("mrulist laddr={MRU_LADDR}");
    let ours = lab.command(NTPQ).args(["-n", "-c", &command, &fleet]).run();
    ours.assert_success();
    let theirs = lab
        .reference(RefTool::Ntpq)
        .args(["-n", "-c", &command, &fleet])
        .run();
    let (ours_rows, their_rows) = (mru_rows(&ours.stdout), mru_rows(&theirs.stdout));
    assert_eq!(ours_rows.len(), 10_000, "{}", ours.stderr);
    assert!(ours_rows == their_rows, "the entry sets differ");
    assert_eq!(
        ours.stderr,
        "Ctrl-C will stop MRU retrieval and display partial results.\n\
         Retrieved 10000 unique MRU entries and 0 updates.\n"
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
    assert_eq!(doc["entries"].as_array().map(Vec::len), Some(10_000));
}

#[test]
fn mrulist_through_a_lossy_relay_lists_the_same_clients() {
    let lab = Lab::get();
    let _serial = MRU
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let fleet = lab.host("fleet");
    fill_mru(lab, 10_000, MRU_LADDR);
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
    let command = format!("mrulist laddr={MRU_LADDR}");
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
    assert_eq!(ours_rows.len(), 10_000);
    assert!(ours_rows == their_rows, "the entry sets differ");
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
