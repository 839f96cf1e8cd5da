use super::*;
use crate::control::{PeerStatus, Sequence};

fn response(opcode: ControlOpcode, assoc: u16, status: u16, data: &[u8]) -> ControlResponse {
    ControlResponse {
        opcode,
        sequence: Sequence(1),
        assoc: AssocId(assoc),
        status,
        leap: LeapIndicator::from_bits(u8::try_from(status >> 14).unwrap()),
        version: 2,
        data: data.to_vec(),
        fragments: 1,
        authenticated: false,
    }
}

/// READSTAT with `(assoc, selection code)` pairs, from a server whose status word is `status`.
fn readstat(status: u16, assocs: &[(u16, u8)]) -> Outcome {
    let list: Vec<AssocStatus> = assocs
        .iter()
        .map(|&(id, sel)| AssocStatus {
            assoc: AssocId(id),
            status: PeerStatus::from_bits(0x9014 | (u16::from(sel) << 8)),
        })
        .collect();
    Ok(response(
        ControlOpcode::ReadStatus,
        0,
        status,
        &AssocStatus::encode_list(&list),
    ))
}

fn readvar(assoc: u16, text: &str) -> Outcome {
    Ok(response(
        ControlOpcode::ReadVariables,
        assoc,
        0x0615,
        text.as_bytes(),
    ))
}

fn lost() -> Outcome {
    Err(ProbeFailure::from_control(&ControlError::Timeout {
        attempts: 2,
        strays: 0,
        last_stray: None,
    }))
}

const NTP3_SYSTEM: &str = "leap=00, stratum=3, refid=10.77.0.2, rootdelay=0.125, \
                           rootdisp=12.423, peer=49023, offset=+0.028463, sys_jitter=0.000000";
const NTP3_PEER: &str = "srcadr=10.77.0.2, stratum=2, reach=0xff, offset=+0.026, \
                         jitter=0.006, delay=0.073, dispersion=0.624";

#[test]
fn asks_for_the_system_then_the_system_peer() {
    let [stat, vars] = HostProbe::system_requests();
    assert_eq!(
        (stat.opcode, stat.assoc, stat.data.len()),
        (ControlOpcode::ReadStatus, AssocId::SYSTEM, 0)
    );
    assert_eq!(vars.data, SYSTEM_VARIABLES.as_bytes());
    let mut probe = HostProbe::new();
    let next = probe.on_system(
        readstat(0x0615, &[(41, 4), (49023, 6), (50, 1)]),
        readvar(0, NTP3_SYSTEM),
    );
    assert_eq!(next.len(), 1);
    assert_eq!(
        (next[0].opcode, next[0].assoc),
        (ControlOpcode::ReadVariables, AssocId(49023))
    );
    assert_eq!(next[0].data, PEER_VARIABLES.as_bytes());
    probe.on_peers(vec![readvar(49023, NTP3_PEER)]);
    let r = probe.finish(0);
    assert!(r.answered && r.missing.is_empty(), "{r:?}");
    let m = r.metrics;
    assert_eq!(m.synchronized, Some(true));
    assert_eq!((m.stratum, m.leap.unwrap().name), (Some(3), "leap_none"));
    assert_eq!(m.refid.unwrap().text, "10.77.0.2");
    assert!((m.offset_s.unwrap() - 26e-6).abs() < 1e-12);
    assert!((m.jitter_s.unwrap() - 6e-6).abs() < 1e-12);
    assert!((m.root_distance_s.unwrap() - 0.012_485_5).abs() < 1e-12);
    assert!((m.system_offset_s.unwrap() - 28.463e-6).abs() < 1e-12);
    assert_eq!(
        (m.associations, m.truechimers, m.candidates),
        (Some(3), Some(2), Some(2))
    );
    let peer = m.system_peer.unwrap();
    assert_eq!(peer.address.as_deref(), Some("10.77.0.2"));
    assert_eq!((peer.reach, peer.reach_bits), (Some(255), Some(8)));
    assert_eq!(
        (peer.selection.as_str(), peer.stratum),
        ("sys.peer", Some(2))
    );
    assert!(m.leapfile_expires.is_none());
}

#[test]
fn without_a_system_peer_the_best_candidate_is_reported() {
    let mut probe = HostProbe::new();
    let next = probe.on_system(
        readstat(0x0615, &[(1, 4), (2, 5), (3, 3)]),
        readvar(0, NTP3_SYSTEM),
    );
    let asked: Vec<u16> = next.iter().map(|r| r.assoc.0).collect();
    assert_eq!(asked, [1, 2]);
    probe.on_peers(vec![
        readvar(1, "srcadr=10.0.0.1, offset=-5.0, jitter=1, reach=0x7f"),
        readvar(2, "srcadr=10.0.0.2, offset=2.0, jitter=3, reach=0377"),
    ]);
    let m = probe.finish(0).metrics;
    let peer = m.system_peer.unwrap();
    assert_eq!((peer.assoc_id, peer.selection.as_str()), (2, "backup"));
    assert_eq!(peer.reach_bits, Some(8));
    assert_eq!(m.offset_s, Some(0.002));
    assert_eq!(m.synchronized, Some(false), "no system peer in the list");
}

#[test]
fn lost_requests_are_named_and_the_rest_still_counts() {
    // The system variables are lost: the association list still gives the sources, the
    // system peer (read from the list) its offset and reach, the status word the leap bits.
    let mut probe = HostProbe::new();
    let next = probe.on_system(readstat(0x0615, &[(49023, 6)]), lost());
    assert_eq!(next.len(), 1);
    probe.on_peers(vec![readvar(49023, NTP3_PEER)]);
    let r = probe.finish(0);
    assert!(r.answered);
    assert_eq!(r.missing, ["system variables"]);
    assert_eq!(
        r.failures,
        ["system variables: no response after 2 attempts"]
    );
    assert_eq!(r.metrics.stratum, None);
    assert_eq!(r.metrics.synchronized, None, "the stratum is missing");
    assert_eq!(r.metrics.leap.unwrap().code, 0);
    assert!(r.metrics.offset_s.is_some());

    // The list is lost: the `peer` variable names the system peer.
    let mut probe = HostProbe::new();
    let next = probe.on_system(lost(), readvar(0, NTP3_SYSTEM));
    assert_eq!(next[0].assoc, AssocId(49023));
    probe.on_peers(vec![lost()]);
    let r = probe.finish(0);
    assert_eq!(
        r.missing,
        ["association list", "variables of association 49023"]
    );
    assert_eq!(r.metrics.synchronized, Some(true));
    assert_eq!(r.metrics.truechimers, None);
    assert_eq!(r.metrics.offset_s, None);

    // Nothing at all.
    let mut probe = HostProbe::new();
    assert!(probe.on_system(lost(), lost()).is_empty());
    probe.on_peers(Vec::new());
    let r = probe.finish(0);
    assert!(!r.answered);
    assert_eq!(r.missing.len(), 2);
}

#[test]
fn a_server_error_is_an_answer_but_no_data() {
    let refused = Err(ProbeFailure::from_control(&ControlError::Server(
        crate::control::ErrorCode::Permission,
    )));
    let mut probe = HostProbe::new();
    probe.on_system(refused.clone(), refused);
    let r = probe.finish(0);
    assert!(r.answered);
    assert!(
        r.failures[0].starts_with("association list: server error"),
        "{r:?}"
    );
}

#[test]
fn unsynchronized_servers_say_so() {
    let mut probe = HostProbe::new();
    let next = probe.on_system(
        readstat(0xc016, &[(7, 0)]),
        readvar(
            0,
            "leap=11, stratum=16, refid=INIT, rootdelay=0.000, rootdisp=0.000, peer=0, offset=0",
        ),
    );
    assert!(next.is_empty());
    let m = probe.finish(0).metrics;
    assert_eq!(m.synchronized, Some(false));
    assert_eq!((m.leap.unwrap().code, m.stratum), (3, Some(16)));
    assert_eq!((m.truechimers, m.candidates), (Some(0), Some(0)));
}

#[test]
fn leap_file_expiry_is_read_from_ntpds_date_format() {
    assert_eq!(parse_ctl_date("202606280000"), Some(1_782_604_800));
    for bad in [
        "",
        "2026062800",
        "202613010000",
        "20260628000x",
        "202606282400",
    ] {
        assert_eq!(parse_ctl_date(bad), None, "{bad}");
    }
    let mut probe = HostProbe::new();
    probe.on_system(
        readstat(0x0615, &[]),
        readvar(0, &format!("{NTP3_SYSTEM}, expire=202606280000")),
    );
    let m = probe.finish(1_782_604_800 - 10 * 86_400).metrics;
    assert_eq!(m.leapfile_expires.as_deref(), Some("2026-06-28T00:00Z"));
    assert_eq!(m.leapfile_expiry_unix, Some(1_782_604_800));
    assert_eq!(m.leapfile_days_left, Some(10.0));
}

#[test]
fn unreadable_answers_do_not_panic() {
    let mut probe = HostProbe::new();
    let garbage = Ok(response(ControlOpcode::ReadStatus, 0, 0, &[1, 2, 3]));
    let bad_vars = readvar(0, "leap=00, stratum=x");
    probe.on_system(garbage, bad_vars);
    let r = probe.finish(0);
    assert!(r.answered);
    assert_eq!(r.missing, ["association list", "system variables"]);
}
