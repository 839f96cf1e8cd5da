//! ntptrace's walk up a synchronization path, sans-IO: the requests that read a hop, the
//! typed hop built from a mode 6 variable list or a mode 3 reply, and the rules that pick the
//! next hop or stop.
//!
//! The classic ntptrace (a Perl script over ntpq) reads each hop's system variables, prints
//! stratum, offset and synchronization distance, and follows the source address of the hop's
//! system peer until stratum 0, 1 or 16, a `127.127.t.u` refid or next hop, or `-m` hosts.
//! [`TraceWalk`] keeps those rules in that order and adds what the script lacks: loop
//! detection, unsynchronized hops (leap 11), and hops that refuse mode 6 and are read with a
//! mode 3 client request instead, whose refid (when it is an IPv4 address) names the next hop.
//!
//! A hop is read with one request, [`system_request`], which names the variables wanted,
//! `peeradr` (the system peer's source address) among them. A server that does not know one of
//! them refuses the whole list; the tool then asks [`plain_system_request`] and the system
//! peer's `srcadr` ([`source_address_request`]), as the classic tool does.

use std::net::{IpAddr, SocketAddr};

use crate::control::{AssocId, ControlOpcode, ControlRequest, VarError, VarList, Variable};
use crate::packet::{
    KissCode, LeapIndicator, RefIdContext, RefIdKind, ReferenceId, Sample, ServerReply, Stratum,
    is_refclock_addr,
};
use crate::record::{NextFrom, ReadBy, StopReason, SystemVariables, TraceHop, TraceStop};

/// The system variables one hop is read with: everything the classic line and the JSON
/// record need, and `peeradr`, which saves the classic second request for `srcadr`.
pub const SYSTEM_VARIABLES: &str =
    "version,leap,stratum,precision,rootdelay,rootdisp,refid,peer,offset,peeradr";

/// `readvar 0` naming [`SYSTEM_VARIABLES`]: one request per hop.
#[must_use]
pub fn system_request() -> ControlRequest {
    ControlRequest::new(
        ControlOpcode::ReadVariables,
        AssocId::SYSTEM,
        SYSTEM_VARIABLES.as_bytes(),
    )
}

/// `readvar 0` with no list (the server's default set), for a server that refuses
/// [`system_request`] because it does not know one of the names.
#[must_use]
pub fn plain_system_request() -> ControlRequest {
    ControlRequest::new(ControlOpcode::ReadVariables, AssocId::SYSTEM, Vec::new())
}

/// `readvar <assoc> srcadr`: the source address of the system peer, the classic tool's
/// second request per hop.
#[must_use]
pub fn source_address_request(assoc: AssocId) -> ControlRequest {
    ControlRequest::new(ControlOpcode::ReadVariables, assoc, &b"srcadr"[..])
}

/// An address as ntpd writes it in `peeradr` or `srcadr`: `10.77.0.2`, `10.77.0.2:123`,
/// `fd77::2` or `[fd77::2]:123`. `None` for anything else, and for the unspecified address
/// (`0.0.0.0:0` when there is no system peer).
#[must_use]
pub fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let ip = text
        .parse::<SocketAddr>()
        .map(|s| s.ip())
        .or_else(|_| text.parse::<IpAddr>())
        .ok()?;
    (!ip.is_unspecified()).then_some(ip)
}

/// A hop to read: its number, its label and its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HopTarget {
    /// 1 for the first host.
    pub hop: u32,
    /// The host as asked (the argument, or the address the previous hop named).
    pub host: String,
    /// Where to send.
    pub address: IpAddr,
}

/// Names xntpd 3 uses for variables ntpd 4 renamed, mapped as the classic ntptrace's
/// `NTP::Util` maps them: `phase` is `offset`, `rootdispersion` is `rootdisp`.
const OBSOLETE_NAMES: [(&str, &str); 2] = [("phase", "offset"), ("rootdispersion", "rootdisp")];

/// `vars` with the obsolete names renamed, when the current name is absent.
fn with_current_names(vars: &VarList) -> VarList {
    vars.iter()
        .map(|v| {
            let renamed = OBSOLETE_NAMES
                .iter()
                .find(|(old, new)| v.name == *old && vars.get(new).is_none());
            match renamed {
                Some((_, new)) => Variable {
                    name: (*new).to_owned(),
                    value: v.value.clone(),
                },
                None => v.clone(),
            }
        })
        .collect()
}

/// Builds a hop from the system variables read over mode 6 ([`system_request`] or
/// [`plain_system_request`]; xntpd 3's `phase` and `rootdispersion` are read as `offset` and
/// `rootdisp`). `system_peer_address` is taken from `peeradr` when present; otherwise the caller
/// may fill it from [`source_address_request`].
///
/// # Errors
/// A required variable (`leap`, `stratum`, `refid`, `rootdelay`, `rootdisp`) is missing or
/// malformed, or an optional one is malformed.
pub fn hop_from_variables(target: &HopTarget, vars: &VarList) -> Result<TraceHop, VarError> {
    let vars = &with_current_names(vars);
    let sys = SystemVariables::from_vars(target.host.clone(), vars)?;
    let peer_address = vars.text("peeradr").and_then(parse_address);
    let precision = vars
        .get("precision")
        .map(crate::control::Variable::as_i64)
        .transpose()?
        .and_then(|p| i8::try_from(p).ok());
    let mut refid = sys.refid.clone();
    // A secondary server's refid is the hash of its upstream's address when that is IPv6.
    if peer_address.is_some_and(|a| a.is_ipv6())
        && refid.kind == RefIdKind::Ipv4
        && let Ok(raw) = refid.text.parse::<ReferenceId>()
    {
        refid = raw.summary(RefIdContext::peer(Stratum(sys.stratum)).with_ipv6_upstream());
    }
    Ok(TraceHop {
        hop: target.hop,
        host: target.host.clone(),
        address: target.address.to_string(),
        name: None,
        read_by: ReadBy::Mode6,
        mode6_error: None,
        version: sys.version.clone(),
        leap: sys.leap,
        stratum: sys.stratum,
        refid,
        offset_ms: sys.offset_ms,
        root_delay_ms: sys.root_delay_ms,
        root_dispersion_ms: sys.root_dispersion_ms,
        synch_distance_ms: sys.synch_distance_ms(),
        precision,
        system_peer: (sys.system_peer != 0).then_some(sys.system_peer),
        system_peer_address: peer_address.map(|a| a.to_string()),
        measured_offset_ms: None,
        measured_delay_ms: None,
        next: None,
        next_from: None,
    })
}

/// Builds a hop from a mode 3 reply, for a hop that gave no mode 6 answer (`mode6_error`
/// says why). `sample` is the offset and delay the exchange measured, when the receive time
/// is known.
#[must_use]
pub fn hop_from_reply(
    target: &HopTarget,
    reply: &ServerReply,
    mode6_error: String,
    sample: Option<Sample>,
) -> TraceHop {
    let p = &reply.packet;
    let root_delay_ms = p.root_delay.signed_seconds() * 1e3;
    let root_dispersion_ms = p.root_dispersion.seconds() * 1e3;
    TraceHop {
        hop: target.hop,
        host: target.host.clone(),
        address: target.address.to_string(),
        name: None,
        read_by: ReadBy::Mode3,
        mode6_error: Some(mode6_error),
        version: None,
        leap: p.leap.into(),
        stratum: p.stratum.to_ntpd(),
        refid: p.reference_id.summary(p.refid_context()),
        offset_ms: None,
        root_delay_ms,
        root_dispersion_ms,
        synch_distance_ms: root_dispersion_ms + root_delay_ms / 2.0,
        precision: Some(p.precision),
        system_peer: None,
        system_peer_address: None,
        measured_offset_ms: sample.map(|s| s.offset * 1e3),
        measured_delay_ms: sample.map(|s| s.delay * 1e3),
        next: None,
        next_from: None,
    }
}

/// What to do after a hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Read this hop next.
    Next(HopTarget),
    /// The walk is over.
    Stop(TraceStop),
}

/// The walk's state: the hosts seen and the `-m` limit.
#[derive(Debug, Clone, Default)]
pub struct TraceWalk {
    max_hosts: u32,
    visited: Vec<(IpAddr, u32)>,
}

impl TraceWalk {
    /// A walk showing at most `max_hosts` hosts; 0 means no limit, as in the classic tool
    /// (loop detection still ends every walk).
    #[must_use]
    pub fn new(max_hosts: u32) -> Self {
        Self {
            max_hosts,
            visited: Vec::new(),
        }
    }

    /// The first hop: `host` as given, resolved to `address`.
    pub fn begin(&mut self, host: impl Into<String>, address: IpAddr) -> HopTarget {
        self.visited.clear();
        self.visited.push((address, 1));
        HopTarget {
            hop: 1,
            host: host.into(),
            address,
        }
    }

    /// Decides what follows `hop` (which was read for the last target handed out), and
    /// records the next address in it. The checks run in the classic tool's order — stratum
    /// 0, 1 or 16, a `127.127.t.u` refid, `-m`, the next host, a `127.127.t.u` next host —
    /// with unsynchronized (leap 11) and refused hops checked with stratum 16, and a loop
    /// checked last.
    pub fn after(&mut self, hop: &mut TraceHop) -> Step {
        let stop = |reason, message: String| {
            Step::Stop(TraceStop {
                reason,
                host: hop.host.clone(),
                message,
            })
        };
        if let Some(code) = refusal(hop) {
            return stop(
                StopReason::Refused,
                format!("refused by kiss-o'-death '{code}'"),
            );
        }
        if hop.stratum == 0 {
            return stop(StopReason::StratumZero, "stratum 0".to_owned());
        }
        if hop.leap.code == LeapIndicator::Unsynchronized.to_bits()
            || hop.stratum >= Stratum::UNSYNCHRONIZED.0
        {
            return stop(
                StopReason::Unsynchronized,
                format!(
                    "unsynchronized (leap {:02b}, stratum {}, refid '{}')",
                    hop.leap.code, hop.stratum, hop.refid.text
                ),
            );
        }
        if hop.stratum == 1 {
            return stop(
                StopReason::Primary,
                format!("primary server (stratum 1, refid '{}')", hop.refid.text),
            );
        }
        if hop.refid.kind == RefIdKind::Ipv4
            && hop.refid.text.parse::<IpAddr>().is_ok_and(is_refclock_addr)
        {
            return stop(
                StopReason::Refclock,
                format!("synchronized to reference clock {}", hop.refid.text),
            );
        }
        if self.max_hosts != 0 && hop.hop >= self.max_hosts {
            return stop(
                StopReason::MaxHosts,
                format!(
                    "stopped after {} host{} (-m {})",
                    hop.hop,
                    if hop.hop == 1 { "" } else { "s" },
                    self.max_hosts
                ),
            );
        }
        let (next, from) = match next_address(hop) {
            Ok(next) => next,
            Err((reason, message)) => return stop(reason, message),
        };
        if is_refclock_addr(next) {
            return stop(
                StopReason::Refclock,
                format!("synchronized to reference clock {next}"),
            );
        }
        hop.next = Some(next.to_string());
        hop.next_from = Some(from);
        if let Some((_, at)) = self.visited.iter().find(|(a, _)| *a == next) {
            return stop(
                StopReason::Loop,
                format!("synchronization loop: next hop {next} is hop {at} again"),
            );
        }
        let target = HopTarget {
            hop: hop.hop + 1,
            host: next.to_string(),
            address: next,
        };
        self.visited.push((next, target.hop));
        Step::Next(target)
    }

    /// The stop for a target that answered neither mode 6 (`mode6`) nor mode 3 (`mode3`).
    /// `previous` is the hop that named it: when that was a mode 3 hop's refid, the message
    /// says the refid may have been an IPv6 upstream's hash.
    #[must_use]
    pub fn unreachable(
        target: &HopTarget,
        mode6: &str,
        mode3: &str,
        previous: Option<&TraceHop>,
    ) -> TraceStop {
        let mut message = format!("no answer to mode 6 ({mode6}) or mode 3 ({mode3})");
        if let Some(p) = previous.filter(|p| p.next_from == Some(NextFrom::Refid)) {
            message.push_str(&format!(
                "; {} is the refid of {}, which may be the hash of an IPv6 upstream rather \
                 than an address",
                target.address, p.host
            ));
        }
        TraceStop {
            reason: StopReason::Unreachable,
            host: target.host.clone(),
            message,
        }
    }
}

/// A mode 3 kiss-o'-death that refuses service, as opposed to a state code such as `INIT`.
fn refusal(hop: &TraceHop) -> Option<String> {
    if hop.read_by != ReadBy::Mode3 || hop.refid.kind != RefIdKind::Kiss {
        return None;
    }
    let code = KissCode::from_text(&hop.refid.text);
    (code.is_access_denied() || code == KissCode::Rate).then(|| code.to_string())
}

/// The next hop's address: the system peer's for mode 6, the refid for mode 3 — and for a
/// mode 6 hop whose system peer's address is unknown (xntpd 3 names none in its variables, and
/// a server may refuse the `srcadr` request), the refid too.
fn next_address(hop: &TraceHop) -> Result<(IpAddr, NextFrom), (StopReason, String)> {
    match hop.read_by {
        ReadBy::Mode6 => {
            if let Some(a) = hop.system_peer_address.as_deref().and_then(parse_address) {
                return Ok((a, NextFrom::SystemPeer));
            }
            refid_address(hop).ok_or_else(|| {
                let orphan = matches!(hop.refid.text.as_str(), "127.0.0.1" | "LOOP");
                let message = if orphan {
                    format!(
                        "no system peer to follow (refid '{}': an orphan parent)",
                        hop.refid.text
                    )
                } else {
                    format!(
                        "no system peer to follow, and refid '{}' is not an address",
                        hop.refid.text
                    )
                };
                (StopReason::NoSystemPeer, message)
            })
        }
        ReadBy::Mode3 => refid_address(hop).ok_or_else(|| {
            (
                StopReason::RefidNotFollowable,
                format!(
                    "refid '{}' is not a unicast IPv4 address and cannot be followed (an IPv6 \
                     upstream's refid is a hash of its address)",
                    hop.refid.text
                ),
            )
        }),
    }
}

/// The refid as the next hop's address: an IPv4 refid that is a unicast address or a
/// reference clock's `127.127.t.u`. Nothing tells an IPv6 upstream's hash from an address, so
/// a hash that looks like a unicast address is returned too.
fn refid_address(hop: &TraceHop) -> Option<(IpAddr, NextFrom)> {
    if hop.refid.kind != RefIdKind::Ipv4 {
        return None;
    }
    match hop.refid.text.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4))
            if is_refclock_addr(IpAddr::V4(v4))
                || !(matches!(v4.octets(), [0 | 240..=255, ..])
                    || v4.is_loopback()
                    || v4.is_multicast()) =>
        {
            Some((IpAddr::V4(v4), NextFrom::Refid))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;
    use crate::packet::{NtpMode, NtpPacket};
    use crate::time::{NtpShort, NtpTimestamp};

    fn vars(text: &str) -> VarList {
        VarList::parse(text.as_bytes()).unwrap()
    }

    fn target(hop: u32, host: &str) -> HopTarget {
        HopTarget {
            hop,
            host: host.to_owned(),
            address: host.parse().unwrap(),
        }
    }

    /// The lab's ntp3 as `system_request` reads it.
    const NTP3: &str = "version=\"ntpd 4.2.8p15@1.3728-o\", leap=00, stratum=3, precision=-24, \
        rootdelay=0.125, rootdisp=12.663, refid=10.77.0.2, peer=49023, offset=+0.028463, \
        peeradr=10.77.0.2:123";
    const NTP2: &str = "version=\"ntpd ntpsec-1.2.2\", leap=00, stratum=2, precision=-24, \
        rootdelay=0.049, rootdisp=12.020, refid=10.77.0.1, peer=17767, offset=+0.015534, \
        peeradr=10.77.0.1:123";
    const NTP1: &str = "version=\"ntpd 4.2.8p15@1.3728-o\", leap=00, stratum=1, precision=-24, \
        rootdelay=0.000, rootdisp=10.292, refid=LOCL, peer=9263, offset=+0.000000, \
        peeradr=127.127.1.0:123";

    fn reply(stratum: u8, leap: LeapIndicator, refid: ReferenceId) -> ServerReply {
        ServerReply {
            packet: NtpPacket {
                leap,
                version: 4,
                mode: NtpMode::Server,
                stratum: Stratum(stratum),
                precision: -24,
                root_delay: NtpShort::from_seconds(0.000_125),
                root_dispersion: NtpShort::from_seconds(0.0125),
                reference_id: refid,
                transmit_timestamp: NtpTimestamp::new(1, 0),
                receive_timestamp: NtpTimestamp::new(1, 0),
                ..NtpPacket::default()
            },
            authenticated: None,
        }
    }

    #[test]
    fn addresses_as_ntpd_writes_them() {
        let cases = [
            ("10.77.0.2", Some("10.77.0.2")),
            ("10.77.0.2:123", Some("10.77.0.2")),
            ("[fd77::2]:123", Some("fd77::2")),
            ("fd77::2", Some("fd77::2")),
            (" 10.77.0.1 ", Some("10.77.0.1")),
            ("0.0.0.0:0", None),
            ("::", None),
            ("ntp1.example", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_address(text).map(|a| a.to_string()).as_deref(),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn one_request_names_every_variable() {
        let r = system_request();
        assert_eq!(r.opcode, ControlOpcode::ReadVariables);
        assert!(r.assoc.is_system());
        assert_eq!(r.data, SYSTEM_VARIABLES.as_bytes());
        assert!(plain_system_request().data.is_empty());
        let s = source_address_request(AssocId(49023));
        assert_eq!(
            (s.assoc, s.data.as_slice()),
            (AssocId(49023), &b"srcadr"[..])
        );
    }

    #[test]
    fn walks_the_lab_chain_to_stratum_1() {
        let mut walk = TraceWalk::new(99);
        let first = walk.begin("10.77.0.3", "10.77.0.3".parse().unwrap());
        let mut h1 = hop_from_variables(&first, &vars(NTP3)).unwrap();
        assert_eq!(h1.system_peer, Some(49023));
        assert!((h1.synch_distance_ms - (12.663 + 0.125 / 2.0)).abs() < 1e-12);
        assert_eq!(h1.precision, Some(-24));
        let Step::Next(second) = walk.after(&mut h1) else {
            panic!("stopped at ntp3")
        };
        assert_eq!(second, target(2, "10.77.0.2"));
        assert_eq!(
            (h1.next.as_deref(), h1.next_from),
            (Some("10.77.0.2"), Some(NextFrom::SystemPeer))
        );
        let mut h2 = hop_from_variables(&second, &vars(NTP2)).unwrap();
        let Step::Next(third) = walk.after(&mut h2) else {
            panic!("stopped at ntp2")
        };
        let mut h3 = hop_from_variables(&third, &vars(NTP1)).unwrap();
        assert_eq!(h3.refid.kind, RefIdKind::Refclock);
        let Step::Stop(stop) = walk.after(&mut h3) else {
            panic!("went past ntp1")
        };
        assert_eq!(stop.reason, StopReason::Primary);
        assert_eq!(stop.host, "10.77.0.1");
        assert!(stop.reason.is_complete());
        assert_eq!(h3.next, None);
    }

    #[test]
    fn max_hosts_stops_after_printing() {
        let mut walk = TraceWalk::new(1);
        let first = walk.begin("ntp3", "10.77.0.3".parse().unwrap());
        let mut h = hop_from_variables(&first, &vars(NTP3)).unwrap();
        let Step::Stop(stop) = walk.after(&mut h) else {
            panic!("went on with -m 1")
        };
        assert_eq!(
            (stop.reason, stop.host.as_str()),
            (StopReason::MaxHosts, "ntp3")
        );
        // Stratum 1 is checked before -m, as in the classic script.
        let mut walk = TraceWalk::new(1);
        let first = walk.begin("10.77.0.1", "10.77.0.1".parse().unwrap());
        let mut h = hop_from_variables(&first, &vars(NTP1)).unwrap();
        assert!(matches!(walk.after(&mut h), Step::Stop(s) if s.reason == StopReason::Primary));
    }

    #[test]
    fn a_hop_seen_again_is_a_loop() {
        let a = "leap=00, stratum=9, rootdelay=0.1, rootdisp=20.0, refid=10.77.56.1, peer=2, \
                 offset=+0.01, peeradr=10.77.56.1:123";
        let b = "leap=00, stratum=10, rootdelay=0.2, rootdisp=21.0, refid=10.77.55.1, peer=3, \
                 offset=+0.02, peeradr=10.77.55.1:123";
        let mut walk = TraceWalk::new(0);
        let first = walk.begin("10.77.55.1", "10.77.55.1".parse().unwrap());
        let mut h1 = hop_from_variables(&first, &vars(a)).unwrap();
        let Step::Next(second) = walk.after(&mut h1) else {
            panic!("stopped at a")
        };
        let mut h2 = hop_from_variables(&second, &vars(b)).unwrap();
        let Step::Stop(stop) = walk.after(&mut h2) else {
            panic!("walked into the loop")
        };
        assert_eq!(stop.reason, StopReason::Loop);
        assert_eq!(stop.host, "10.77.56.1");
        assert!(
            stop.message.contains("10.77.55.1 is hop 1"),
            "{}",
            stop.message
        );
        assert_eq!(h2.next.as_deref(), Some("10.77.55.1"));
        assert!(!stop.reason.is_complete());
    }

    #[test]
    fn classic_stops_and_unsynchronized_hops() {
        let cases = [
            (
                "leap=11, stratum=16, rootdelay=0.0, rootdisp=0.0, refid=INIT, peer=0",
                StopReason::Unsynchronized,
            ),
            (
                "leap=11, stratum=3, rootdelay=0.0, rootdisp=0.0, refid=10.77.0.2, peer=4",
                StopReason::Unsynchronized,
            ),
            (
                "leap=00, stratum=0, rootdelay=0.0, rootdisp=0.0, refid=GPS, peer=4",
                StopReason::StratumZero,
            ),
            (
                "leap=00, stratum=4, rootdelay=0.0, rootdisp=1.0, refid=127.127.1.0, peer=4",
                StopReason::Refclock,
            ),
            (
                "leap=00, stratum=4, rootdelay=0.0, rootdisp=1.0, refid=10.0.0.1, peer=4, \
                 peeradr=127.127.1.0:123",
                StopReason::Refclock,
            ),
            (
                "leap=00, stratum=5, rootdelay=0.0, rootdisp=1.0, refid=127.0.0.1, peer=0, \
                 peeradr=0.0.0.0:0",
                StopReason::NoSystemPeer,
            ),
        ];
        for (text, want) in cases {
            let mut walk = TraceWalk::new(99);
            let first = walk.begin("10.77.0.9", "10.77.0.9".parse().unwrap());
            let mut hop = hop_from_variables(&first, &vars(text)).unwrap();
            let Step::Stop(stop) = walk.after(&mut hop) else {
                panic!("went on after {text}")
            };
            assert_eq!(stop.reason, want, "{text}");
        }
        let orphan = "leap=00, stratum=5, rootdelay=0.0, rootdisp=1.0, refid=127.0.0.1, peer=0";
        let mut walk = TraceWalk::new(99);
        let first = walk.begin("10.77.0.9", "10.77.0.9".parse().unwrap());
        let mut hop = hop_from_variables(&first, &vars(orphan)).unwrap();
        let Step::Stop(stop) = walk.after(&mut hop) else {
            panic!("went on from an orphan parent")
        };
        assert!(stop.message.contains("orphan parent"), "{}", stop.message);
    }

    #[test]
    fn xntpd3_variables_and_a_system_peer_without_address() {
        // xntpd 3's default list: old names, and no peeradr.
        let text = "system=\"SunOS\", leap=0, stratum=2, rootdelay=12.34, \
                    rootdispersion=45.67, peer=0, refid=10.77.0.1, poll=6, phase=0.123";
        let mut walk = TraceWalk::new(99);
        let first = walk.begin("127.77.0.1", "127.77.0.1".parse().unwrap());
        let mut hop = hop_from_variables(&first, &vars(text)).unwrap();
        assert_eq!(hop.offset_ms, Some(0.123));
        assert_eq!(hop.root_dispersion_ms, 45.67);
        assert!((hop.synch_distance_ms - (45.67 + 12.34 / 2.0)).abs() < 1e-12);
        assert_eq!(
            (hop.system_peer, hop.system_peer_address.as_deref()),
            (None, None)
        );
        // No system peer address: the refid names the next hop, as for a mode 3 hop.
        let Step::Next(next) = walk.after(&mut hop) else {
            panic!("did not follow the refid")
        };
        assert_eq!(next, target(2, "10.77.0.1"));
        assert_eq!(hop.next_from, Some(NextFrom::Refid));
        // Current names win over old ones.
        let both = "leap=0, stratum=2, rootdelay=1, rootdisp=2, rootdispersion=9, refid=GPS, \
                    offset=0.5, phase=7";
        let hop = hop_from_variables(&first, &vars(both)).unwrap();
        assert_eq!((hop.root_dispersion_ms, hop.offset_ms), (2.0, Some(0.5)));
        // Neither a system peer address nor an address for a refid.
        let hash = "leap=0, stratum=3, rootdelay=1, rootdisp=2, refid=242.209.136.1, peer=5";
        let mut walk = TraceWalk::new(99);
        let first = walk.begin("10.77.0.9", "10.77.0.9".parse().unwrap());
        let mut hop = hop_from_variables(&first, &vars(hash)).unwrap();
        let Step::Stop(stop) = walk.after(&mut hop) else {
            panic!("followed a refid in 240/4")
        };
        assert_eq!(stop.reason, StopReason::NoSystemPeer);
        assert!(stop.message.contains("not an address"), "{}", stop.message);
    }

    #[test]
    fn an_ipv6_system_peer_marks_the_refid_as_a_hash() {
        let peer: Ipv6Addr = "fd77::1".parse().unwrap();
        let hash = ReferenceId::for_ipv6(peer).to_ipv4();
        let text = format!(
            "leap=00, stratum=2, rootdelay=0.1, rootdisp=1.0, refid={hash}, peer=7, \
             peeradr=[fd77::1]:123"
        );
        let mut walk = TraceWalk::new(99);
        let first = walk.begin("fd77::51", "fd77::51".parse().unwrap());
        let mut hop = hop_from_variables(&first, &vars(&text)).unwrap();
        assert_eq!(hop.refid.kind, RefIdKind::Ipv6Hash);
        assert_eq!(hop.system_peer_address.as_deref(), Some("fd77::1"));
        let Step::Next(next) = walk.after(&mut hop) else {
            panic!("did not follow the IPv6 system peer")
        };
        assert_eq!(next.address, IpAddr::V6(peer));
    }

    #[test]
    fn mode_3_hops_follow_ipv4_refids_only() {
        let walk_one = |r: ServerReply| {
            let mut walk = TraceWalk::new(99);
            let first = walk.begin("10.77.0.51", "10.77.0.51".parse().unwrap());
            let mut hop = hop_from_reply(&first, &r, "timed out".to_owned(), None);
            (walk.after(&mut hop), hop)
        };
        let ok = reply(2, LeapIndicator::NoWarning, ReferenceId([10, 77, 0, 1]));
        let (step, hop) = walk_one(ok);
        assert_eq!(step, Step::Next(target(2, "10.77.0.1")));
        assert_eq!(hop.read_by, ReadBy::Mode3);
        assert_eq!(hop.next_from, Some(NextFrom::Refid));
        assert_eq!(hop.mode6_error.as_deref(), Some("timed out"));
        assert_eq!(hop.offset_ms, None);
        assert!(
            (hop.root_delay_ms - 0.125).abs() < 0.02,
            "{}",
            hop.root_delay_ms
        );
        assert!(
            (hop.synch_distance_ms - (hop.root_dispersion_ms + hop.root_delay_ms / 2.0)).abs()
                < 1e-12
        );

        let cases = [
            (
                reply(2, LeapIndicator::NoWarning, ReferenceId([224, 1, 2, 3])),
                StopReason::RefidNotFollowable,
            ),
            (
                reply(3, LeapIndicator::NoWarning, ReferenceId([0, 9, 8, 7])),
                StopReason::RefidNotFollowable,
            ),
            (
                reply(3, LeapIndicator::NoWarning, ReferenceId([250, 9, 8, 7])),
                StopReason::RefidNotFollowable,
            ),
            (
                reply(4, LeapIndicator::NoWarning, ReferenceId([127, 127, 1, 0])),
                StopReason::Refclock,
            ),
            (
                reply(
                    0,
                    LeapIndicator::Unsynchronized,
                    ReferenceId::from_ascii("INIT"),
                ),
                StopReason::Unsynchronized,
            ),
            (
                reply(
                    0,
                    LeapIndicator::Unsynchronized,
                    ReferenceId::from_ascii("DENY"),
                ),
                StopReason::Refused,
            ),
            (
                reply(
                    0,
                    LeapIndicator::Unsynchronized,
                    ReferenceId::from_ascii("RATE"),
                ),
                StopReason::Refused,
            ),
            (
                reply(
                    2,
                    LeapIndicator::Unsynchronized,
                    ReferenceId([10, 77, 0, 1]),
                ),
                StopReason::Unsynchronized,
            ),
            (
                reply(1, LeapIndicator::NoWarning, ReferenceId::from_ascii("GPS")),
                StopReason::Primary,
            ),
        ];
        for (r, want) in cases {
            let (step, hop) = walk_one(r);
            let Step::Stop(stop) = step else {
                panic!("went on from {hop:?}")
            };
            assert_eq!(stop.reason, want, "{hop:?}");
        }
    }

    #[test]
    fn unreachable_hops_say_where_their_address_came_from() {
        let t = target(2, "10.77.0.53");
        let stop = TraceWalk::unreachable(&t, "timed out", "timed out", None);
        assert_eq!(stop.reason, StopReason::Unreachable);
        assert_eq!(stop.host, "10.77.0.53");
        assert!(!stop.message.contains("hash"));
        let mut walk = TraceWalk::new(99);
        let first = walk.begin("10.77.0.51", "10.77.0.51".parse().unwrap());
        let mut hop = hop_from_reply(
            &first,
            &reply(2, LeapIndicator::NoWarning, ReferenceId([10, 77, 0, 53])),
            "timed out".to_owned(),
            None,
        );
        let Step::Next(next) = walk.after(&mut hop) else {
            panic!("did not follow the refid")
        };
        let stop = TraceWalk::unreachable(&next, "timed out", "timed out", Some(&hop));
        assert!(
            stop.message.contains("refid of 10.77.0.51"),
            "{}",
            stop.message
        );
    }
}
