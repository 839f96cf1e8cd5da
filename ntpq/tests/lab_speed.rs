//! ntpq on the lab at a distance: debug lines through an impairing relay, pipelined billboards
//! compared with the reference ntpq's one-at-a-time ones, MRU lists of 10,000 clients (also
//! through a lossy relay) compared with the reference ntpq's, and fleets of servers over one
//! socket.

use std::time::Duration;

use ntpkit_lab::{Impairment, Lab};

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
