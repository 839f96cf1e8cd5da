//! Peer status words (protocol notes §4.7.2), the READSTAT association list (§4.8) and the
//! peer `flash` test bits (§4.9.3).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;

use super::header::AssocId;
use super::status::{EventCount, code_enum};
use crate::error::DecodeError;
use crate::wire::Reader;

code_enum! {
    /// Selection code, bits 10–8 of the peer status word (`CTL_PST_SEL_*`).
    ///
    /// `Display` gives the statestr name (`sel_sys.peer`); see also [`Selection::condition`]
    /// and [`Selection::tally`].
    Selection, unknown = "sel_",
    {
        /// `sel_reject`: rejected, unreachable or insane.
        Reject = 0 => "sel_reject",
        /// `sel_falsetick`: discarded by the intersection algorithm.
        Falsetick = 1 => "sel_falsetick",
        /// `sel_excess`: discarded by table overflow.
        Excess = 2 => "sel_excess",
        /// `sel_outlier`: discarded by the cluster algorithm.
        Outlier = 3 => "sel_outlier",
        /// `sel_candidate`: included by the combine algorithm.
        Candidate = 4 => "sel_candidate",
        /// `sel_backup`: backup (more than `tos maxclock` sources).
        Backup = 5 => "sel_backup",
        /// `sel_sys.peer`: the system peer.
        SysPeer = 6 => "sel_sys.peer",
        /// `sel_pps.peer`: the PPS peer.
        PpsPeer = 7 => "sel_pps.peer",
    }
}

impl Selection {
    /// The `condition` column of ntpq's `associations` (`sys.peer`, …); empty when unknown.
    #[must_use]
    pub const fn condition(self) -> &'static str {
        match self {
            Self::Reject => "reject",
            Self::Falsetick => "falsetick",
            Self::Excess => "excess",
            Self::Outlier => "outlier",
            Self::Candidate => "candidate",
            Self::Backup => "backup",
            Self::SysPeer => "sys.peer",
            Self::PpsPeer => "pps.peer",
            Self::Unknown(_) => "",
        }
    }

    /// The tally character `ntpq -p` prints before the remote (VN ≥ 2 layout).
    #[must_use]
    pub const fn tally(self) -> char {
        match self {
            Self::Falsetick => 'x',
            Self::Excess => '.',
            Self::Outlier => '-',
            Self::Candidate => '+',
            Self::Backup => '#',
            Self::SysPeer => '*',
            Self::PpsPeer => 'o',
            Self::Reject | Self::Unknown(_) => ' ',
        }
    }
}

code_enum! {
    /// Last peer event, bits 3–0 of the peer status word (`PEVNT_*` without the 0x80 flag).
    ///
    /// `Display` gives the statestr name; [`PeerEvent::last_event`] the `associations` one.
    /// Code 0 prints as `unspecified` (ntpq never prints it); `Unknown` only arises from
    /// `From<u8>` with values above 15.
    PeerEvent, unknown = "_",
    {
        /// 0: no event recorded.
        Unspecified = 0 => "unspecified",
        /// `mobilize`: association mobilized.
        Mobilize = 1 => "mobilize",
        /// `demobilize`: association demobilized.
        Demobilize = 2 => "demobilize",
        /// `unreachable`: peer became unreachable.
        Unreachable = 3 => "unreachable",
        /// `reachable`: peer became reachable.
        Reachable = 4 => "reachable",
        /// `restart`: association restarted.
        Restart = 5 => "restart",
        /// `no_reply`: no reply (e.g. during burst).
        NoReply = 6 => "no_reply",
        /// `rate_exceeded`: rate limit exceeded (kiss code RATE).
        RateExceeded = 7 => "rate_exceeded",
        /// `access_denied`: access denied (kiss code DENY).
        AccessDenied = 8 => "access_denied",
        /// `leap_armed`: leap second armed from the peer.
        LeapArmed = 9 => "leap_armed",
        /// `sys_peer`: became the system peer.
        SysPeer = 10 => "sys_peer",
        /// `clock_event`: reference clock event (`clock_alarm` in `associations`).
        ClockEvent = 11 => "clock_event",
        /// `bad_auth`: authentication failure.
        BadAuth = 12 => "bad_auth",
        /// `popcorn`: popcorn spike suppressed.
        Popcorn = 13 => "popcorn",
        /// `interleave_mode`: entered interleaved mode.
        InterleaveMode = 14 => "interleave_mode",
        /// `interleave_error`: interleaved mode error.
        InterleaveError = 15 => "interleave_error",
    }
}

impl PeerEvent {
    /// The `last_event` column of ntpq's `associations`; it names only codes 1–11 and says
    /// `clock_alarm` for [`PeerEvent::ClockEvent`].
    #[must_use]
    pub const fn last_event(self) -> &'static str {
        match self {
            Self::Mobilize => "mobilize",
            Self::Demobilize => "demobilize",
            Self::Unreachable => "unreachable",
            Self::Reachable => "reachable",
            Self::Restart => "restart",
            Self::NoReply => "no_reply",
            Self::RateExceeded => "rate_exceeded",
            Self::AccessDenied => "access_denied",
            Self::LeapArmed => "leap_armed",
            Self::SysPeer => "sys_peer",
            Self::ClockEvent => "clock_alarm",
            Self::Unspecified
            | Self::BadAuth
            | Self::Popcorn
            | Self::InterleaveMode
            | Self::InterleaveError
            | Self::Unknown(_) => "",
        }
    }
}

const CONF: u8 = 0x80;
const AUTHENB: u8 = 0x40;
const AUTH: u8 = 0x20;
const REACH: u8 = 0x10;
const BCAST: u8 = 0x08;

/// The peer status word (§4.7.2): association flags, selection, event counter and event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerStatus {
    /// Bit 15, `conf`: configured (not preemptible or ephemeral).
    pub configured: bool,
    /// Bit 14, `authenb`: a key is configured for the peer.
    pub auth_enabled: bool,
    /// Bit 13, `auth`: the last packet authenticated.
    pub authentic: bool,
    /// Bit 12, `reach`: the reach register is not zero.
    pub reachable: bool,
    /// Bit 11, `bcast`: a broadcast, manycast or pool sender association.
    pub broadcast: bool,
    /// Bits 10–8.
    pub selection: Selection,
    /// Bits 7–4: peer events counted (saturates at 15).
    pub event_count: u8,
    /// Bits 3–0: the last peer event.
    pub event: PeerEvent,
}

impl PeerStatus {
    /// Splits a peer status word into its fields.
    #[must_use]
    pub fn from_bits(word: u16) -> Self {
        let [high, low] = word.to_be_bytes();
        Self {
            configured: high & CONF != 0,
            auth_enabled: high & AUTHENB != 0,
            authentic: high & AUTH != 0,
            reachable: high & REACH != 0,
            broadcast: high & BCAST != 0,
            selection: Selection::from(high & 0x07),
            event_count: low >> 4,
            event: PeerEvent::from(low & 0x0f),
        }
    }

    /// Packs the fields; codes wider than their field are masked.
    #[must_use]
    pub fn to_bits(self) -> u16 {
        let mut high = u8::from(self.selection) & 0x07;
        for (set, bit) in self.flags() {
            if set {
                high |= bit;
            }
        }
        let low = ((self.event_count & 0x0f) << 4) | (u8::from(self.event) & 0x0f);
        u16::from_be_bytes([high, low])
    }

    /// The names of the set flag bits, in statestr order (`conf`, `authenb`, `auth`, `reach`,
    /// `bcast`).
    pub fn flag_names(self) -> impl Iterator<Item = &'static str> {
        let names = ["conf", "authenb", "auth", "reach", "bcast"];
        self.flags()
            .into_iter()
            .zip(names)
            .filter_map(|((set, _), name)| set.then_some(name))
    }

    fn flags(self) -> [(bool, u8); 5] {
        [
            (self.configured, CONF),
            (self.auth_enabled, AUTHENB),
            (self.authentic, AUTH),
            (self.reachable, REACH),
            (self.broadcast, BCAST),
        ]
    }
}

/// `statustoa` for a peer: `conf, reach, sel_sys.peer, 1 event, sys_peer`.
///
/// **QUIRK** reproduced from ntpq: with no flag bit set the text starts with `, `
/// (`, sel_reject, no events`); the event name is left out when the event code is 0.
impl fmt::Display for PeerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.flag_names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        write!(f, ", {}, {}", self.selection, EventCount(self.event_count))?;
        if self.event != PeerEvent::Unspecified {
            write!(f, ", {}", self.event)?;
        }
        Ok(())
    }
}

/// One record of the READSTAT (op 1, assoc 0) payload (§4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssocStatus {
    /// The association.
    pub assoc: AssocId,
    /// Its peer status word.
    pub status: PeerStatus,
}

impl AssocStatus {
    /// Decodes a READSTAT payload: 4-octet records `assoc ‖ status`, in the server's order.
    ///
    /// # Errors
    /// [`DecodeError::BadLength`] if the length is not a multiple of 4, as ntpq rejects it.
    pub fn decode_list(data: &[u8]) -> Result<Vec<Self>, DecodeError> {
        if !data.len().is_multiple_of(4) {
            return Err(DecodeError::BadLength(format!(
                "association list of {} octets is not a multiple of 4",
                data.len()
            )));
        }
        let mut r = Reader::new(data);
        let mut out = Vec::with_capacity(data.len() / 4);
        while r.remaining() > 0 {
            out.push(Self {
                assoc: AssocId(r.u16()?),
                status: PeerStatus::from_bits(r.u16()?),
            });
        }
        Ok(out)
    }

    /// Encodes records as a READSTAT payload.
    #[must_use]
    pub fn encode_list(list: &[Self]) -> Vec<u8> {
        list.iter()
            .flat_map(|a| {
                let [a0, a1] = a.assoc.0.to_be_bytes();
                let [s0, s1] = a.status.to_bits().to_be_bytes();
                [a0, a1, s0, s1]
            })
            .collect()
    }
}

/// The peer `flash` variable: the packet and peer tests that failed (§4.9.3, `TEST1`..`TEST13`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FlashBits(pub u16);

impl FlashBits {
    const NAMES: [&'static str; 13] = [
        "pkt_dup",
        "pkt_bogus",
        "pkt_unsync",
        "pkt_denied",
        "pkt_auth",
        "pkt_stratum",
        "pkt_header",
        "pkt_autokey",
        "pkt_crypto",
        "peer_stratum",
        "peer_dist",
        "peer_loop",
        "peer_unreach",
    ];

    /// Whether every test passed.
    #[must_use]
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// Whether `peer_loop` (`TEST12`) failed: the peer is synchronized to us.
    #[must_use]
    pub const fn is_loop(self) -> bool {
        self.0 & 0x0800 != 0
    }

    /// The names of the failed tests, lowest bit first; bits above `TEST13` have no name.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        (0u32..)
            .zip(Self::NAMES)
            .filter_map(move |(bit, name)| (self.0 & (1 << bit) != 0).then_some(name))
    }
}

/// ntpq's cooked form: `%02x` then ` ok` or the names joined by `, `, cut to 76 characters
/// plus `...` when it would not fit ntpq's 80-octet buffer (e.g. `00 ok`, `0300 pkt_crypto, …`).
impl fmt::Display for FlashBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const BUFFER: usize = 80;
        let mut text = format!("{:02x}", self.0);
        if self.is_ok() {
            text.push_str(" ok");
        } else {
            for (i, name) in self.names().enumerate() {
                text.push_str(if i == 0 { " " } else { ", " });
                text.push_str(name);
            }
        }
        if text.len() >= BUFFER {
            text.truncate(BUFFER - 4);
            text.push_str("...");
        }
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_both_directions() {
        let table = [
            (0, Selection::Reject, "sel_reject", "reject", ' '),
            (1, Selection::Falsetick, "sel_falsetick", "falsetick", 'x'),
            (2, Selection::Excess, "sel_excess", "excess", '.'),
            (3, Selection::Outlier, "sel_outlier", "outlier", '-'),
            (4, Selection::Candidate, "sel_candidate", "candidate", '+'),
            (5, Selection::Backup, "sel_backup", "backup", '#'),
            (6, Selection::SysPeer, "sel_sys.peer", "sys.peer", '*'),
            (7, Selection::PpsPeer, "sel_pps.peer", "pps.peer", 'o'),
            (9, Selection::Unknown(9), "sel_9", "", ' '),
        ];
        for (code, sel, name, condition, tally) in table {
            assert_eq!(Selection::from(code), sel);
            assert_eq!(u8::from(sel), code);
            assert_eq!(sel.to_string(), name);
            assert_eq!(sel.condition(), condition);
            assert_eq!(sel.tally(), tally);
        }
    }

    #[test]
    fn peer_events_both_directions() {
        let table = [
            (0, PeerEvent::Unspecified, "unspecified", ""),
            (1, PeerEvent::Mobilize, "mobilize", "mobilize"),
            (2, PeerEvent::Demobilize, "demobilize", "demobilize"),
            (3, PeerEvent::Unreachable, "unreachable", "unreachable"),
            (4, PeerEvent::Reachable, "reachable", "reachable"),
            (5, PeerEvent::Restart, "restart", "restart"),
            (6, PeerEvent::NoReply, "no_reply", "no_reply"),
            (7, PeerEvent::RateExceeded, "rate_exceeded", "rate_exceeded"),
            (8, PeerEvent::AccessDenied, "access_denied", "access_denied"),
            (9, PeerEvent::LeapArmed, "leap_armed", "leap_armed"),
            (10, PeerEvent::SysPeer, "sys_peer", "sys_peer"),
            (11, PeerEvent::ClockEvent, "clock_event", "clock_alarm"),
            (12, PeerEvent::BadAuth, "bad_auth", ""),
            (13, PeerEvent::Popcorn, "popcorn", ""),
            (14, PeerEvent::InterleaveMode, "interleave_mode", ""),
            (15, PeerEvent::InterleaveError, "interleave_error", ""),
            (16, PeerEvent::Unknown(16), "_16", ""),
        ];
        for (code, event, name, last) in table {
            assert_eq!(PeerEvent::from(code), event);
            assert_eq!(u8::from(event), code);
            assert_eq!(event.to_string(), name);
            assert_eq!(event.last_event(), last);
        }
    }

    fn peer(
        high_flags: [bool; 5],
        selection: Selection,
        count: u8,
        event: PeerEvent,
    ) -> PeerStatus {
        let [configured, auth_enabled, authentic, reachable, broadcast] = high_flags;
        PeerStatus {
            configured,
            auth_enabled,
            authentic,
            reachable,
            broadcast,
            selection,
            event_count: count,
            event,
        }
    }

    #[test]
    fn peer_status_vectors_both_directions() {
        // Protocol notes §10.3, plus each flag bit on its own.
        let table = [
            (
                0x961a,
                peer(
                    [true, false, false, true, false],
                    Selection::SysPeer,
                    1,
                    PeerEvent::SysPeer,
                ),
                "conf, reach, sel_sys.peer, 1 event, sys_peer",
                '*',
            ),
            (
                0x9424,
                peer(
                    [true, false, false, true, false],
                    Selection::Candidate,
                    2,
                    PeerEvent::Reachable,
                ),
                "conf, reach, sel_candidate, 2 events, reachable",
                '+',
            ),
            (
                0x8011,
                peer(
                    [true, false, false, false, false],
                    Selection::Reject,
                    1,
                    PeerEvent::Mobilize,
                ),
                "conf, sel_reject, 1 event, mobilize",
                ' ',
            ),
            (
                0x1314,
                peer(
                    [false, false, false, true, false],
                    Selection::Outlier,
                    1,
                    PeerEvent::Reachable,
                ),
                "reach, sel_outlier, 1 event, reachable",
                '-',
            ),
            (
                0x4000,
                peer(
                    [false, true, false, false, false],
                    Selection::Reject,
                    0,
                    PeerEvent::Unspecified,
                ),
                "authenb, sel_reject, no events",
                ' ',
            ),
            (
                0x2f00,
                peer(
                    [false, false, true, false, true],
                    Selection::PpsPeer,
                    0,
                    PeerEvent::Unspecified,
                ),
                "auth, bcast, sel_pps.peer, no events",
                'o',
            ),
            (
                0x0000,
                peer([false; 5], Selection::Reject, 0, PeerEvent::Unspecified),
                ", sel_reject, no events",
                ' ',
            ),
            (
                0xf8fc,
                peer([true; 5], Selection::Reject, 15, PeerEvent::BadAuth),
                "conf, authenb, auth, reach, bcast, sel_reject, 15 events, bad_auth",
                ' ',
            ),
        ];
        for (word, status, text, tally) in table {
            assert_eq!(PeerStatus::from_bits(word), status, "{word:04x}");
            assert_eq!(status.to_bits(), word);
            assert_eq!(status.to_string(), text);
            assert_eq!(status.selection.tally(), tally);
        }
    }

    #[test]
    fn every_peer_word_round_trips() {
        for word in 0..=u16::MAX {
            assert_eq!(PeerStatus::from_bits(word).to_bits(), word);
        }
    }

    #[test]
    fn readstat_list_both_directions() {
        let bytes = [0x1d, 0x7b, 0x96, 0x1a, 0x1d, 0x7c, 0x14, 0x24];
        let list = vec![
            AssocStatus {
                assoc: AssocId(7547),
                status: PeerStatus::from_bits(0x961a),
            },
            AssocStatus {
                assoc: AssocId(7548),
                status: PeerStatus::from_bits(0x1424),
            },
        ];
        assert_eq!(AssocStatus::decode_list(&bytes), Ok(list.clone()));
        assert_eq!(AssocStatus::encode_list(&list), bytes);
        assert_eq!(AssocStatus::decode_list(&[]), Ok(vec![]));
    }

    #[test]
    fn readstat_rejects_ragged_length() {
        for len in [1, 2, 3, 5, 7] {
            assert!(matches!(
                AssocStatus::decode_list(&vec![0; len]),
                Err(DecodeError::BadLength(_))
            ));
        }
    }

    #[test]
    fn flash_bits_names() {
        let table = [
            (0x0000, "00 ok", vec![]),
            (0x0001, "01 pkt_dup", vec!["pkt_dup"]),
            (0x0200, "200 peer_stratum", vec!["peer_stratum"]),
            (
                0x1c00,
                "1c00 peer_dist, peer_loop, peer_unreach",
                vec!["peer_dist", "peer_loop", "peer_unreach"],
            ),
            (0x2000, "2000", vec![]),
        ];
        for (bits, text, names) in table {
            let flash = FlashBits(bits);
            assert_eq!(flash.to_string(), text);
            assert_eq!(flash.names().collect::<Vec<_>>(), names);
        }
        let all = FlashBits(0x1fff).to_string();
        assert_eq!(all.len(), 79);
        assert!(all.starts_with("1fff pkt_dup, pkt_bogus, "));
        assert!(all.ends_with("..."));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::AssocStatus;

    proptest! {
        #[test]
        fn readstat_decode_inverts_encode(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            match AssocStatus::decode_list(&bytes) {
                Ok(list) => prop_assert_eq!(AssocStatus::encode_list(&list), bytes),
                Err(_) => prop_assert!(bytes.len() % 4 != 0),
            }
        }
    }
}
