//! Typed results of mode 6 queries, as ntpq's JSON shows them: status words decoded into
//! named fields, associations, peers billboard rows, variable lists, MRU entries, interface
//! and restriction lists, and configuration replies. Units are in field names: `_ms` for the
//! milliseconds ntpd reports, `_s` for seconds; addresses are full (never truncated).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::control::{ClockStatus, MruEntry, PeerStatus, SystemStatus};
use crate::packet::RefIdSummary;
use crate::time::NtpTimestamp;

use super::LeapField;

/// A system status word (§4.7.1) with its fields named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SystemStatusField {
    /// The word as four hex digits, as ntpq prints it.
    pub word: String,
    /// Leap indicator.
    pub leap: LeapField,
    /// Clock source name (`sync_ntp`).
    pub source: String,
    /// Events counted since the counter was reset.
    pub event_count: u8,
    /// The last event's name (`clock_sync`).
    pub event: String,
}

impl From<SystemStatus> for SystemStatusField {
    fn from(s: SystemStatus) -> Self {
        Self {
            word: format!("{:04x}", s.to_bits()),
            leap: s.leap.into(),
            source: s.source.to_string(),
            event_count: s.event_count,
            event: s.event.to_string(),
        }
    }
}

/// A peer status word (§4.7.2) with its fields named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerStatusField {
    /// The word as four hex digits.
    pub word: String,
    /// `conf`: configured association.
    pub configured: bool,
    /// `authenb`: a key is configured.
    pub auth_enabled: bool,
    /// `auth`: the last packet authenticated.
    pub authentic: bool,
    /// `reach`: the reach register is not zero.
    pub reachable: bool,
    /// `bcast`: broadcast, manycast or pool sender.
    pub broadcast: bool,
    /// Selection code 0–7.
    pub selection_code: u8,
    /// Selection as the `associations` condition column names it (`sys.peer`).
    pub condition: String,
    /// The peers billboard tally character.
    pub tally: String,
    /// Peer events counted.
    pub event_count: u8,
    /// Last peer event (`sys_peer`), empty for none.
    pub event: String,
}

impl From<PeerStatus> for PeerStatusField {
    fn from(s: PeerStatus) -> Self {
        Self {
            word: format!("{:04x}", s.to_bits()),
            configured: s.configured,
            auth_enabled: s.auth_enabled,
            authentic: s.authentic,
            reachable: s.reachable,
            broadcast: s.broadcast,
            selection_code: u8::from(s.selection),
            condition: s.selection.condition().to_owned(),
            tally: s.selection.tally().to_string(),
            event_count: s.event_count,
            event: if u8::from(s.event) == 0 {
                String::new()
            } else {
                s.event.to_string()
            },
        }
    }
}

/// A clock status word (§4.7.3) with its fields named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockStatusField {
    /// The word as four hex digits.
    pub word: String,
    /// The current condition (`clk_unspec`).
    pub condition: String,
    /// The last clock event (bits 7–4).
    pub last_event: String,
}

impl From<ClockStatus> for ClockStatusField {
    fn from(s: ClockStatus) -> Self {
        Self {
            word: format!("{:04x}", s.to_bits()),
            condition: s.condition.to_string(),
            last_event: s.last_event.to_string(),
        }
    }
}

/// The status word that came with a variable list, decoded for its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StatusField {
    /// Association 0.
    System(SystemStatusField),
    /// A peer association.
    Peer(PeerStatusField),
    /// A reference clock (READCLOCK).
    Clock(ClockStatusField),
}

/// One row of `associations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssociationRecord {
    /// The server asked.
    pub host: String,
    /// 1-based position in the list (what `&N` refers to).
    pub index: usize,
    /// Association ID.
    pub assoc_id: u16,
    /// Its peer status word.
    pub status: PeerStatusField,
}

/// One row of the peers billboard (`peers`, `lpeers`, `apeers`, `opeers`, `lopeers`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerRecord {
    /// The server asked.
    pub host: String,
    /// Association ID.
    pub assoc_id: u16,
    /// Tally character (`*` system peer, `+` candidate, …).
    pub tally: String,
    /// The `remote` column before truncation: host name, refclock name or address.
    pub remote: String,
    /// The peer's address in full (`srcadr`), if reported.
    pub address: Option<String>,
    /// The peer's port (`srcport`).
    pub port: Option<u16>,
    /// The local address used (`dstadr`).
    pub local: Option<String>,
    /// Reference ID, decoded (absent for `opeers`, which shows `local` instead).
    pub refid: Option<RefIdSummary>,
    /// Stratum as ntpd reports it.
    pub stratum: Option<u64>,
    /// The `t` column: `u` unicast, `b` broadcast client, `l` local refclock, `s`/`S`
    /// symmetric active/passive, `B`/`M` broadcast/multicast server, `p` pool, `a` manycast.
    pub r#type: String,
    /// Seconds since the last packet (`when`), absent if none yet.
    pub when_s: Option<i64>,
    /// Poll interval, seconds.
    pub poll_s: u64,
    /// Reach register (8 bits; the table shows it in octal).
    pub reach: u64,
    /// Round-trip delay, milliseconds.
    pub delay_ms: Option<f64>,
    /// Offset, milliseconds.
    pub offset_ms: Option<f64>,
    /// Jitter, milliseconds.
    pub jitter_ms: Option<f64>,
    /// Dispersion, milliseconds.
    pub dispersion_ms: Option<f64>,
}

/// A variable value in JSON: a number when the text is a plain decimal number, the text
/// (quotes removed) otherwise, `null` for a bare name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum VarValue {
    /// An integer value.
    Integer(i64),
    /// A decimal value.
    Number(f64),
    /// Anything else, as received (quotes removed).
    Text(String),
    /// A name without a value.
    Null,
}

impl VarValue {
    /// Reads a value as received.
    #[must_use]
    pub fn from_received(value: Option<&str>) -> Self {
        let Some(text) = value else {
            return Self::Null;
        };
        if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            return Self::Text(inner.to_owned());
        }
        let plain = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.'))
        };
        if plain(text) {
            if let Ok(i) = text.parse::<i64>() {
                return Self::Integer(i);
            }
            if let Ok(f) = text.parse::<f64>()
                && f.is_finite()
            {
                return Self::Number(f);
            }
        }
        Self::Text(text.to_owned())
    }
}

/// A variable list: `readvar`, `readlist`, `clockvar`, `mreadvar`, the canned sets
/// (`sysinfo`, `sysstats`, …) and `pstats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariablesRecord {
    /// The server asked.
    pub host: String,
    /// The command (`readvar`, `sysstats`, …).
    pub command: String,
    /// The association (0 = system).
    pub assoc_id: u16,
    /// The status word that came with the list.
    pub status: StatusField,
    /// Every variable by name, in ntpd's units (see docs/json.md).
    pub variables: BTreeMap<String, VarValue>,
}

/// One client of `mrulist`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MruRecord {
    /// The server asked.
    pub host: String,
    /// The client's address.
    pub address: String,
    /// Its source port.
    pub port: u16,
    /// Seconds from its last packet to the server's `now`.
    pub lstint_s: i64,
    /// Average seconds between its packets (ntpq 4.2.8's formula).
    pub avgint_s: i64,
    /// Restriction flags applied (`RES_*` bits).
    pub restrict: u32,
    /// `.`, `L` (limited) or `K` (kiss-o'-death).
    pub rate_flag: String,
    /// Mode of its last packet.
    pub mode: u8,
    /// Version of its last packet.
    pub version: u8,
    /// Packets received from it.
    pub count: u64,
    /// First packet, NTP timestamp in hex.
    pub first: String,
    /// Last packet, NTP timestamp in hex.
    pub last: String,
}

/// Where a daemon keeps the rate-limit bits of the restriction flags it reports per MRU
/// client (`rs.N`). The layouts differ: ntpd 4.2.8p11 added `noepeer` at 0x0020 and moved
/// the rest up, so the lab's ntpd 4.2.8p15 reports a rate-limited client as `rs=0x1d0`
/// (limited 0x0040) and the reference ntpq 4.2.8p15 marks it `L`, while NTPsec 1.2.2 keeps
/// the layout of protocol notes §5.5 (limited 0x0020, kod 0x0400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateBits {
    /// `RES_LIMITED`: the client was rate limited.
    pub limited: u32,
    /// `RES_KOD`: the client is sent a kiss-o'-death when limited.
    pub kod: u32,
}

impl RateBits {
    /// NTPsec and ntpd before 4.2.8p11 (protocol notes §5.5).
    pub const CLASSIC: Self = Self {
        limited: 0x0020,
        kod: 0x0400,
    };
    /// ntpd 4.2.8p11 and later.
    pub const NTPD_P11: Self = Self {
        limited: 0x0040,
        kod: 0x0800,
    };

    /// The layout of the daemon whose system variable `version` reads `version`
    /// (`ntpd 4.2.8p15@1.3728-o …`, `ntpd ntpsec-1.2.2`); [`RateBits::CLASSIC`] when unknown.
    #[must_use]
    pub fn for_version(version: Option<&str>) -> Self {
        let Some(rest) = version.and_then(|v| v.strip_prefix("ntpd 4.")) else {
            return Self::CLASSIC;
        };
        let mut parts = rest.split(|c: char| !c.is_ascii_digit());
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let micro: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let patch: u32 = rest
            .split_once('p')
            .and_then(|(_, p)| p.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if (minor, micro, patch) >= (2, 8, 11) {
            Self::NTPD_P11
        } else {
            Self::CLASSIC
        }
    }

    /// `K` if the client is kissed, else `L` if it is rate limited, else `.` (ntpq's `r`).
    #[must_use]
    pub fn flag(self, restrict: u32) -> &'static str {
        if restrict & self.kod != 0 {
            "K"
        } else if restrict & self.limited != 0 {
            "L"
        } else {
            "."
        }
    }
}

impl MruRecord {
    /// The row of `mrulist` for `entry`, with intervals taken against the server's `now`
    /// and rounded as ntpq 4.2.8 rounds them, and the rate flag read with `bits`.
    #[must_use]
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "intervals in seconds; ntpq rounds them to int the same way"
    )]
    pub fn from_entry(host: &str, entry: &MruEntry, now: NtpTimestamp, bits: RateBits) -> Self {
        let between = |later: NtpTimestamp, earlier: NtpTimestamp| {
            NtpTimestamp::from_bits(later.to_bits().wrapping_sub(earlier.to_bits()))
                .as_offset_seconds()
        };
        let lstint = (between(now, entry.last) + 0.5) as i64;
        let avgint = (between(entry.last, entry.first) / entry.count.max(1) as f64 + 0.5) as i64;
        Self {
            host: host.to_owned(),
            address: crate::format::address_text(&entry.addr),
            port: entry.addr.port(),
            lstint_s: lstint,
            avgint_s: avgint,
            restrict: entry.restrict,
            rate_flag: bits.flag(entry.restrict).to_owned(),
            mode: entry.mode,
            version: entry.version,
            count: entry.count,
            first: format!("0x{}", entry.first),
            last: format!("0x{}", entry.last),
        }
    }
}

/// One local address of `ifstats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterfaceRecord {
    /// The server asked.
    pub host: String,
    /// Index in the server's list.
    pub index: u64,
    /// Interface name.
    pub name: String,
    /// Address and port.
    pub address: String,
    /// Broadcast address and port, if the interface has one open.
    pub broadcast: Option<String>,
    /// Whether packets received there are processed.
    pub enabled: bool,
    /// Interface flags (`INT_*` bits).
    pub flags: u64,
    /// Last TTL.
    pub ttl: i64,
    /// Multicast groups joined.
    pub mcast_count: i64,
    /// Packets received.
    pub received: i64,
    /// Packets sent.
    pub sent: i64,
    /// Send failures.
    pub send_failed: i64,
    /// Peers using it.
    pub peers: u64,
    /// Seconds since it was opened.
    pub uptime_s: u64,
}

/// One entry of `reslist`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestrictRecord {
    /// The server asked.
    pub host: String,
    /// The address.
    pub address: String,
    /// Its mask.
    pub mask: String,
    /// `addr/prefix` when the mask is a prefix, else `addr mask`, as ntpq prints it.
    pub entry: String,
    /// Packets that matched.
    pub hits: u64,
    /// Match and restriction flags, as ntpd names them.
    pub flags: Vec<String>,
}

/// The reply to `:config`, `config-from-file` (one per line) or `saveconfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigRecord {
    /// The server asked.
    pub host: String,
    /// The command.
    pub command: String,
    /// What was sent: the configuration line or the file name.
    pub request: String,
    /// The server's reply text.
    pub reply: String,
    /// Whether the server reported success.
    pub ok: bool,
}

/// A local command's answer (`timeout`, `keyid`, `version`, …): the text ntpq prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageRecord {
    /// The command.
    pub command: String,
    /// What it reports, as the text output says it.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_numbers_when_plain() {
        for (text, want) in [
            (Some("12"), VarValue::Integer(12)),
            (Some("-24"), VarValue::Integer(-24)),
            (Some("+0.028"), VarValue::Number(0.028)),
            (Some("\"ntpd 4\""), VarValue::Text("ntpd 4".into())),
            (Some("0xff"), VarValue::Text("0xff".into())),
            (Some("10.77.0.1"), VarValue::Text("10.77.0.1".into())),
            (Some(" 0.1 0.2"), VarValue::Text(" 0.1 0.2".into())),
            (None, VarValue::Null),
        ] {
            assert_eq!(VarValue::from_received(text), want, "{text:?}");
        }
    }

    #[test]
    fn rate_bits_follow_the_daemon() {
        let p15 = RateBits::for_version(Some(
            "ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)",
        ));
        assert_eq!(p15, RateBits::NTPD_P11);
        assert_eq!(
            RateBits::for_version(Some("ntpd 4.2.8p10@1.3728")),
            RateBits::CLASSIC
        );
        assert_eq!(
            RateBits::for_version(Some("ntpd 4.2.6p5")),
            RateBits::CLASSIC
        );
        assert_eq!(
            RateBits::for_version(Some("ntpd ntpsec-1.2.2")),
            RateBits::CLASSIC
        );
        assert_eq!(RateBits::for_version(None), RateBits::CLASSIC);
        // The lab's p15 answer for a client that was rate limited (kod doused after the KoD).
        assert_eq!(p15.flag(0x1d0), "L");
        assert_eq!(RateBits::CLASSIC.flag(0x1d0), ".");
        assert_eq!(p15.flag(0x0840), "K");
        assert_eq!(RateBits::CLASSIC.flag(0x0420), "K");
    }

    #[test]
    fn status_fields() {
        let p = PeerStatusField::from(PeerStatus::from_bits(0xf61a));
        assert_eq!(
            (p.word.as_str(), p.condition.as_str(), p.tally.as_str()),
            ("f61a", "sys.peer", "*")
        );
        assert!(p.configured && p.auth_enabled && p.authentic && p.reachable);
        assert_eq!((p.event_count, p.event.as_str()), (1, "sys_peer"));
        let s = SystemStatusField::from(SystemStatus::from_bits(0x0614));
        assert_eq!(
            (s.source.as_str(), s.event.as_str()),
            ("sync_ntp", "freq_mode")
        );
        let json =
            serde_json::to_value(StatusField::Clock(ClockStatus::from_bits(0).into())).unwrap();
        assert_eq!(json["kind"], "clock");
        assert_eq!(json["condition"], "clk_unspec");
    }
}
