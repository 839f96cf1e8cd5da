use super::*;
use crate::packet::{NtpMode, NtpPacket, ReferenceId, Stratum};
use crate::time::NtpShort;

const T1: NtpTimestamp = NtpTimestamp::new(0xe4a1_b2c3, 0);

fn ts(offset_s: f64) -> NtpTimestamp {
    NtpTimestamp::from_bits(
        T1.to_bits()
            .wrapping_add(NtpTimestamp::from_offset_seconds(offset_s).to_bits()),
    )
}

/// A reply to a request sent at T1, received 10 ms later, from a server 0.25 s ahead that spent
/// 1 ms on it.
fn reply() -> NtpPacket {
    NtpPacket {
        version: 4,
        mode: NtpMode::Server,
        stratum: Stratum(2),
        precision: -20,
        root_delay: NtpShort::from_seconds(0.004),
        root_dispersion: NtpShort::from_seconds(0.010),
        reference_id: ReferenceId([10, 77, 0, 1]),
        reference_timestamp: ts(-60.0),
        origin_timestamp: T1,
        receive_timestamp: ts(0.25 + 0.0045),
        transmit_timestamp: ts(0.25 + 0.0055),
        ..NtpPacket::default()
    }
}

fn check(p: NtpPacket) -> Result<Measurement, Fault> {
    let r = ServerReply {
        packet: p,
        authenticated: None,
    };
    check_reply(&r, ts(0.010), -20, &Limits::default())
}

#[test]
fn a_good_reply_measures() {
    let m = check(reply()).unwrap();
    assert!((m.offset - 0.25).abs() < 1e-6, "{m:?}");
    assert!((m.delay - 0.009).abs() < 1e-6, "{m:?}");
    assert!((m.root_distance - 0.0165).abs() < 1e-4, "{m:?}");
    assert_eq!(m.stratum, 2);
}

/// A packet and a test its fault must pass.
type FaultCase = (NtpPacket, fn(&Fault) -> bool);

#[test]
fn every_fault_is_caught() {
    let cases: Vec<FaultCase> = vec![
        (
            NtpPacket {
                leap: LeapIndicator::Unsynchronized,
                ..reply()
            },
            |f| *f == Fault::Unsynchronized,
        ),
        (
            NtpPacket {
                stratum: Stratum(0),
                ..reply()
            },
            |f| *f == Fault::UnspecifiedStratum,
        ),
        (
            NtpPacket {
                transmit_timestamp: ts(0.2),
                ..reply()
            },
            |f| matches!(f, Fault::TransmitBeforeReceive(s) if (s - 0.0545).abs() < 1e-6),
        ),
        (
            // Server time longer than the round trip: the delay comes out negative.
            NtpPacket {
                receive_timestamp: ts(0.2),
                transmit_timestamp: ts(0.3),
                ..reply()
            },
            |f| matches!(f, Fault::NegativeDelay(d) if (d + 0.09).abs() < 1e-6),
        ),
        (
            NtpPacket {
                reference_timestamp: NtpTimestamp::ZERO,
                ..reply()
            },
            |f| *f == Fault::NoReference,
        ),
        (
            NtpPacket {
                reference_timestamp: ts(-2.0 * 86_400.0),
                ..reply()
            },
            |f| matches!(f, Fault::ReferenceTooOld(a) if *a > 86_400.0),
        ),
        (
            NtpPacket {
                root_dispersion: NtpShort::from_seconds(2.0),
                ..reply()
            },
            |f| matches!(f, Fault::TooFarAway(d) if *d > 2.0),
        ),
    ];
    for (packet, want) in cases {
        let got = check(packet.clone()).unwrap_err();
        assert!(want(&got), "{packet:?} gave {got:?}");
        assert!(!got.to_string().is_empty());
    }
}

fn m(offset: f64, delay: f64) -> Measurement {
    Measurement {
        offset,
        delay,
        dispersion: 0.0,
        root_distance: 0.01,
        stratum: 2,
    }
}

#[test]
fn best_sample_is_the_one_with_least_delay() {
    let samples = [m(0.1, 0.03), m(0.2, 0.01), m(0.3, 0.02)];
    assert_eq!(best_sample(&samples), Some(1));
    assert_eq!(best_sample(&[]), None);
    // Offsets 0.1 and 0.3 around 0.2: RMS 0.1.
    assert!((jitter(&samples, 1) - 0.1).abs() < 1e-12);
    assert_eq!(jitter(&samples[..1], 0), 0.0);
}

fn c(offset: f64, root_distance: f64, stratum: u8) -> Candidate {
    Candidate {
        offset,
        root_distance,
        stratum,
    }
}

#[test]
fn selection_rejects_falsetickers() {
    // (candidates, truechimers, chosen)
    let cases: Vec<(Vec<Candidate>, Vec<usize>, Option<usize>)> = vec![
        (vec![c(0.0, 0.01, 2)], vec![0], Some(0)),
        // Two agree, a stratum-1 server 2.5 s ahead is a falseticker: the stratum 2 wins.
        (
            vec![c(0.001, 0.02, 2), c(0.0015, 0.03, 3), c(2.5, 0.01, 1)],
            vec![0, 1],
            Some(0),
        ),
        // Lowest stratum among truechimers, then smallest distance.
        (
            vec![c(0.0, 0.05, 2), c(0.002, 0.01, 2), c(0.001, 0.2, 1)],
            vec![0, 1, 2],
            Some(2),
        ),
        (
            vec![c(0.0, 0.05, 2), c(0.002, 0.01, 2)],
            vec![0, 1],
            Some(1),
        ),
        // Two that disagree: no majority.
        (vec![c(0.0, 0.01, 1), c(-0.3, 0.01, 1)], vec![], None),
        // Three that all disagree.
        (
            vec![c(0.0, 0.01, 1), c(-0.3, 0.01, 1), c(2.5, 0.01, 1)],
            vec![],
            None,
        ),
        // Five servers, two liars on different sides.
        (
            vec![
                c(0.0, 0.01, 2),
                c(0.005, 0.01, 2),
                c(-0.003, 0.01, 3),
                c(1.0, 0.01, 1),
                c(-1.0, 0.01, 1),
            ],
            vec![0, 1, 2],
            Some(0),
        ),
        (vec![], vec![], None),
    ];
    for (cands, truechimers, chosen) in cases {
        let s = select(&cands);
        assert_eq!(s.truechimers, truechimers, "{cands:?}");
        assert_eq!(s.chosen, chosen, "{cands:?}");
        assert_eq!(s.truechimers.len() + s.falsetickers.len(), cands.len());
        assert_eq!(s.interval.is_some(), chosen.is_some());
    }
}
