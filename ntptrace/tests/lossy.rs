//! ntptrace over a lossy link (issue 14). The relay fronts the first hop only: ntptrace asks
//! the relay's address, which answers as ntp3; ntp3's system peer (ntp2) and ntp1 are then asked
//! directly. What the lossy link can change is the first hop's answer, so the trace must name
//! the same hops with the same strata and refids as the lossless trace of ntp3, the relay's
//! address in place of ntp3's, and stop for the same reason (exit 0).

use std::time::Duration;

use ntpkit_lab::{Impairment, Lab};

const NTPTRACE: &str = env!("CARGO_BIN_EXE_ntptrace");

/// The trace with offsets and distances masked: `host: stratum N, offset ~, synch distance ~`.
fn shape(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.split(", ")
                .map(|part| match part.split_once(' ') {
                    Some(("offset" | "synch", _)) => {
                        format!("{} ~", part.split(' ').next().unwrap_or(""))
                    }
                    _ => part.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect()
}

#[test]
fn a_trace_through_a_lossy_first_hop_matches_the_lossless_trace() {
    let lab = Lab::get();
    let ntp3 = lab.ntp3();
    let relay = lab.relay(ntp3, &Impairment::lossy_link(1421));
    let direct = ntp3.v4.to_string();
    let relayed = relay.v4.ip().to_string();
    for json in [false, true] {
        let run = |host: &str| {
            let mut cmd = lab.command(NTPTRACE);
            cmd.arg("-n");
            if json {
                cmd.arg("--json");
            }
            cmd.arg(host).timeout(Duration::from_secs(60)).run()
        };
        let plain = run(&direct);
        plain.assert_success();
        let lossy = run(&relayed);
        assert_eq!(lossy.code, Some(0), "{}", lossy.stderr);
        if json {
            let doc = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
            let (a, b) = (doc(&lossy.stdout), doc(&plain.stdout));
            assert_eq!(a["stop"], b["stop"]);
            let hops = |d: &serde_json::Value| {
                d["hops"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| (h["stratum"].clone(), h["refid"].clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(hops(&a), hops(&b));
        } else {
            let lossy_shape = shape(&lossy.stdout.replacen(&relayed, &direct, 1));
            assert_eq!(lossy_shape, shape(&plain.stdout));
            assert_eq!(lossy_shape.len(), 3, "{}", lossy.stdout);
        }
        eprintln!(
            "lossy ntptrace{}: {:.2} s (lossless {:.2} s)",
            if json { " --json" } else { "" },
            lossy.elapsed.as_secs_f64(),
            plain.elapsed.as_secs_f64()
        );
    }
}
