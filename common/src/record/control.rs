//! Typed results of mode 6 queries, as ntpq's JSON shows them: status words decoded into
//! named fields, associations, peers billboard rows, variable lists, MRU entries, interface
//! and restriction lists, and configuration replies. Units are in field names: `_ms` for the
//! milliseconds ntpd reports, `_s` for seconds; addresses are full (never truncated).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::control::{ClockStatus, PeerStatus, SystemStatus};
use crate::packet::RefIdSummary;

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
