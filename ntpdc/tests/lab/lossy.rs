//! ntpdc over a lossy link (issue 14): `peers`, `sysinfo` and `sysstats` through the lab's
//! impairing relay (10% loss, 5% duplication, reordering, ±100 ms jitter, seeded) print what
//! they print directly, volatile values masked; a server that stops answering half way through
//! a run fails the command it stopped in cleanly (exit 3, nothing of it printed).

use std::time::Duration;

use ntpkit_lab::{Impairment, Lab, Normalizer};

const NTPDC: &str = env!("CARGO_BIN_EXE_ntpdc");

#[test]
fn peers_and_sysinfo_through_a_lossy_link_match_the_lossless_run() {
    let lab = Lab::get();
    // sysinfo's and sysstats' times and counters move between two reads.
    let normal = Normalizer::default()
        .volatile("reference time")
        .volatile("root dispersion")
        .volatile("root distance")
        .volatile("jitter")
        .volatile("stability")
        .volatile("time since restart")
        .volatile("time since reset")
        .volatile("packets received")
        .volatile("packets processed")
        .volatile("current version")
        .volatile("previous version")
        .volatile("bad version")
        .volatile("access denied")
        .volatile("bad length or format")
        .volatile("bad authentication")
        .volatile("rate exceeded");
    for (host, seed) in [(lab.ntp1(), 1411), (lab.ntp3(), 1413)] {
        let relay = lab.relay(host, &Impairment::lossy_link(seed));
        for command in ["peers", "sysinfo", "sysstats"] {
            let run = |addr: String| {
                lab.command(NTPDC)
                    .args(["-n", "-c", command, &addr])
                    .timeout(Duration::from_secs(120))
                    .run()
            };
            let plain = run(host.v4.to_string());
            plain.assert_success();
            let lossy = run(relay.v4.ip().to_string());
            assert!(
                lossy.success(),
                "{command} through the relay to {}: exit {:?}: {}",
                host.name,
                lossy.code,
                lossy.stderr
            );
            assert_eq!(
                normal.normalize(&lossy.stdout),
                normal.normalize(&plain.stdout),
                "{command} on {}",
                host.name
            );
            assert_eq!(lossy.stderr, plain.stderr);
            eprintln!(
                "lossy ntpdc {command} on {}: {:.2} s (lossless {:.2} s)",
                host.name,
                lossy.elapsed.as_secs_f64(),
                plain.elapsed.as_secs_f64()
            );
        }
    }
}

#[test]
fn an_answer_cut_off_half_way_fails_cleanly() {
    let lab = Lab::get();
    let _key = crate::support::signing();
    // The relay lets no answer through after the first datagram of the run (the `sysinfo`
    // answer): `peers`, asked next, gets nothing and fails alone, after its retries.
    let relay = lab.relay(
        lab.ntp1(),
        &Impairment {
            cut_after: Some(1),
            ..Impairment::default()
        },
    );
    let out = lab
        .command(NTPDC)
        .args([
            "-n",
            "-c",
            "timeout 500",
            "-c",
            "sysinfo",
            "-c",
            "peers",
            &relay.v4.ip().to_string(),
        ])
        .timeout(Duration::from_secs(60))
        .run();
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stdout.contains("system peer:"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("remote"),
        "no peers table: {}",
        out.stdout
    );
    let host = relay.v4.ip();
    assert_eq!(
        out.stderr.lines().collect::<Vec<_>>(),
        [format!("ntpdc: {host}: peers: timed out, nothing received")],
        "{}",
        out.stderr
    );
}
