use super::*;
use crate::check::metrics::PeerMetrics;
use crate::record::LeapField;

fn healthy() -> HostMetrics {
    HostMetrics {
        leap: Some(LeapIndicator::NoWarning.into()),
        synchronized: Some(true),
        stratum: Some(3),
        offset_s: Some(-0.3),
        jitter_s: Some(0.002),
        root_distance_s: Some(0.0125),
        associations: Some(3),
        truechimers: Some(2),
        candidates: Some(1),
        system_peer: Some(PeerMetrics {
            assoc_id: 9,
            selection: "sys.peer".to_owned(),
            reach: Some(0o376),
            reach_bits: Some(7),
            offset_s: Some(-0.3),
            jitter_s: Some(0.002),
            ..PeerMetrics::default()
        }),
        leapfile_expires: Some("2026-12-28T00:00Z".to_owned()),
        leapfile_expiry_unix: Some(0),
        leapfile_days_left: Some(36.5),
        ..HostMetrics::default()
    }
}

fn judge_with(metrics: HostMetrics, missing: &[&str], t: &Thresholds) -> HostReport {
    let probe = ProbeResult {
        answered: true,
        metrics,
        missing: missing.iter().map(|s| (*s).to_owned()).collect(),
        failures: missing.iter().map(|s| format!("{s}: lost")).collect(),
    };
    HostReport::evaluate("h", Some("10.0.0.1:123".to_owned()), probe, t)
}

fn state_of(report: &HostReport, name: &str) -> CheckState {
    report
        .check(name)
        .unwrap_or_else(|| panic!("{name} judged"))
        .state
}

fn two(warn: f64, crit: f64) -> Limit<f64> {
    Limit {
        warn: Some(warn),
        crit: Some(crit),
    }
}

fn counts(warn: u32, crit: u32) -> Limit<u32> {
    Limit {
        warn: Some(warn),
        crit: Some(crit),
    }
}

#[test]
fn every_threshold_gives_each_state() {
    // (thresholds, check name, expected) over the healthy metrics above.
    let cases: Vec<(Thresholds, &str, CheckState)> = vec![
        (
            Thresholds {
                offset: two(0.5, 1.0),
                ..Thresholds::default()
            },
            "offset",
            CheckState::Ok,
        ),
        (
            Thresholds {
                offset: two(0.1, 1.0),
                ..Thresholds::default()
            },
            "offset",
            CheckState::Warning,
        ),
        (
            Thresholds {
                offset: two(0.1, 0.2),
                ..Thresholds::default()
            },
            "offset",
            CheckState::Critical,
        ),
        (
            Thresholds {
                jitter: two(0.001, 0.01),
                ..Thresholds::default()
            },
            "jitter",
            CheckState::Warning,
        ),
        (
            Thresholds {
                jitter: two(0.0005, 0.001),
                ..Thresholds::default()
            },
            "jitter",
            CheckState::Critical,
        ),
        (
            Thresholds {
                stratum: counts(3, 4),
                ..Thresholds::default()
            },
            "stratum",
            CheckState::Ok,
        ),
        (
            Thresholds {
                stratum: counts(2, 4),
                ..Thresholds::default()
            },
            "stratum",
            CheckState::Warning,
        ),
        (
            Thresholds {
                stratum: counts(1, 2),
                ..Thresholds::default()
            },
            "stratum",
            CheckState::Critical,
        ),
        (
            Thresholds {
                sources: counts(2, 1),
                ..Thresholds::default()
            },
            "sources",
            CheckState::Ok,
        ),
        (
            Thresholds {
                sources: counts(3, 1),
                ..Thresholds::default()
            },
            "sources",
            CheckState::Warning,
        ),
        (
            Thresholds {
                sources: counts(4, 3),
                ..Thresholds::default()
            },
            "sources",
            CheckState::Critical,
        ),
        (
            Thresholds {
                candidates: counts(2, 1),
                ..Thresholds::default()
            },
            "candidates",
            CheckState::Warning,
        ),
        (
            Thresholds {
                reach_bits: counts(8, 6),
                ..Thresholds::default()
            },
            "reach",
            CheckState::Warning,
        ),
        (
            Thresholds {
                reach_bits: counts(8, 8),
                ..Thresholds::default()
            },
            "reach",
            CheckState::Critical,
        ),
        (
            Thresholds {
                root_distance: two(0.01, 1.0),
                ..Thresholds::default()
            },
            "root_distance",
            CheckState::Warning,
        ),
        (
            Thresholds {
                leapfile_days: two(60.0, 30.0),
                ..Thresholds::default()
            },
            "leapfile",
            CheckState::Warning,
        ),
        (
            Thresholds {
                leapfile_days: two(60.0, 40.0),
                ..Thresholds::default()
            },
            "leapfile",
            CheckState::Critical,
        ),
        (
            Thresholds {
                leapfile_days: two(30.0, 7.0),
                ..Thresholds::default()
            },
            "leapfile",
            CheckState::Ok,
        ),
    ];
    for (t, name, want) in cases {
        let r = judge_with(healthy(), &[], &t);
        assert_eq!(state_of(&r, name), want, "{name}: {:?}", r.check(name));
        assert_eq!(r.state, want, "the host takes its only judged state");
        assert_eq!(r.exit_code, want.exit_code());
        assert!(!r.partial);
    }
}

#[test]
fn messages_say_what_crossed_which_level() {
    let t = Thresholds {
        offset: two(0.1, 1.0),
        reach_bits: counts(8, 4),
        stratum: Limit {
            warn: None,
            crit: Some(4),
        },
        leapfile_days: Limit {
            warn: None,
            crit: Some(7.0),
        },
        ..Thresholds::default()
    };
    let r = judge_with(healthy(), &[], &t);
    assert_eq!(
        r.check("offset").unwrap().message,
        "offset -300.000 ms (WARNING: over 100.000 ms)"
    );
    assert_eq!(
        r.check("reach").unwrap().message,
        "reach 376 (7 of 8) (WARNING: under 8)"
    );
    assert_eq!(r.check("stratum").unwrap().message, "stratum 3");
    assert_eq!(
        r.check("leapfile").unwrap().message,
        "leap file expires 2026-12-28T00:00Z, in 36.5 days"
    );
    assert_eq!(
        r.summary,
        "synchronized, offset -300.000 ms (WARNING: over 100.000 ms), jitter 2.000 ms, \
         stratum 3, reach 376 (7 of 8) (WARNING: under 8), leap file expires \
         2026-12-28T00:00Z, in 36.5 days"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["thresholds"]["offset_s"]["warn"], 0.1);
    assert_eq!(
        json["thresholds"]["stratum"]["warn"],
        serde_json::Value::Null
    );
    assert_eq!(json["thresholds"]["leap_pending"], "WARNING");
    assert_eq!(json["checks"][2]["bound"], "max_abs");
    assert_eq!(json["state"], "WARNING");
}

#[test]
fn sync_and_leap_are_always_judged() {
    let r = judge_with(healthy(), &[], &Thresholds::default());
    let names: Vec<&str> = r.checks.iter().map(|c| c.name).collect();
    assert_eq!(names, ["sync", "leap"]);
    assert_eq!(r.state, CheckState::Ok);

    let unsync = HostMetrics {
        leap: Some(LeapIndicator::Unsynchronized.into()),
        synchronized: Some(false),
        stratum: Some(16),
        candidates: Some(0),
        ..HostMetrics::default()
    };
    let r = judge_with(unsync, &[], &Thresholds::default());
    assert_eq!(r.state, CheckState::Critical);
    assert_eq!(
        r.check("sync").unwrap().message,
        "not synchronized (leap_alarm, stratum 16, no candidates)"
    );

    let pending = HostMetrics {
        leap: Some(LeapField::from(LeapIndicator::AddSecond)),
        ..healthy()
    };
    let r = judge_with(pending.clone(), &[], &Thresholds::default());
    assert_eq!(r.state, CheckState::Warning);
    assert_eq!(
        r.check("leap").unwrap().message,
        "leap second pending (leap_add_sec) (WARNING)"
    );
    let relaxed = Thresholds {
        leap_pending: CheckState::Ok,
        ..Thresholds::default()
    };
    assert_eq!(judge_with(pending, &[], &relaxed).state, CheckState::Ok);
}

#[test]
fn partial_answers_decide_from_what_arrived() {
    let t = Thresholds {
        offset: two(0.1, 1.0),
        stratum: counts(3, 4),
        ..Thresholds::default()
    };
    // No system variables: the stratum is unknown, but the offset (from the peer) still
    // gives its WARNING, which outranks UNKNOWN.
    let m = HostMetrics {
        stratum: None,
        synchronized: None,
        ..healthy()
    };
    let r = judge_with(m, &["system variables"], &t);
    assert!(r.partial);
    assert_eq!(state_of(&r, "stratum"), CheckState::Unknown);
    assert_eq!(
        r.check("stratum").unwrap().message,
        "stratum unknown (system variables lost)"
    );
    assert_eq!(state_of(&r, "sync"), CheckState::Unknown);
    assert_eq!(state_of(&r, "offset"), CheckState::Warning);
    assert_eq!(r.state, CheckState::Warning);
    assert!(
        r.summary.ends_with("; partial answer, no system variables"),
        "{}",
        r.summary
    );

    // With nothing crossed, the missing data makes the verdict UNKNOWN.
    let m = HostMetrics {
        offset_s: Some(0.001),
        stratum: None,
        synchronized: None,
        ..healthy()
    };
    assert_eq!(
        judge_with(m, &["system variables"], &t).state,
        CheckState::Unknown
    );
}

#[test]
fn silence_and_unresolved_names_are_unknown() {
    let t = Thresholds::default();
    let probe = ProbeResult {
        answered: false,
        metrics: HostMetrics::default(),
        missing: vec!["association list".to_owned(), "system variables".to_owned()],
        failures: vec![
            "association list: no response after 2 attempts".to_owned(),
            "system variables: no response after 2 attempts".to_owned(),
        ],
    };
    let r = HostReport::evaluate("h", None, probe, &t);
    assert_eq!((r.state, r.exit_code), (CheckState::Unknown, 3));
    assert_eq!(r.summary, "no answer (no response after 2 attempts)");
    assert!(!r.partial);
    // An answer made only of errors is no more use than silence, but it is an answer.
    let refused = ProbeResult {
        answered: true,
        metrics: HostMetrics::default(),
        missing: vec!["association list".to_owned(), "system variables".to_owned()],
        failures: vec![
            "association list: server error: permission denied".to_owned(),
            "system variables: server error: permission denied".to_owned(),
        ],
    };
    let r = HostReport::evaluate("h", None, refused, &t);
    assert_eq!((r.state, r.answered), (CheckState::Unknown, true));
    assert_eq!(
        r.summary,
        "no usable answer (server error: permission denied)"
    );
    let r = HostReport::unreachable("nosuch", "cannot resolve 'nosuch'", &t);
    assert_eq!(r.checks[0].name, "answer");
    assert_eq!(r.state, CheckState::Unknown);
}

#[test]
fn a_missing_leap_file_is_a_problem_only_when_watched() {
    let none = HostMetrics {
        leapfile_expires: None,
        leapfile_expiry_unix: None,
        leapfile_days_left: None,
        ..healthy()
    };
    let watched = Thresholds {
        leapfile_days: Limit {
            warn: Some(30.0),
            crit: None,
        },
        ..Thresholds::default()
    };
    let r = judge_with(none.clone(), &[], &watched);
    assert_eq!(state_of(&r, "leapfile"), CheckState::Warning);
    assert_eq!(
        r.check("leapfile").unwrap().message,
        "no leap file loaded (WARNING)"
    );
    assert_eq!(
        state_of(
            &judge_with(none.clone(), &["system variables"], &watched),
            "leapfile"
        ),
        CheckState::Unknown
    );
    assert_eq!(
        judge_with(none, &[], &Thresholds::default()).state,
        CheckState::Ok
    );
}
