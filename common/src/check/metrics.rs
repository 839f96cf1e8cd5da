//! What a check learned about one server, in SI units. Every field is optional: a value is
//! absent when the request that carries it was lost, or when the server does not have it
//! (no system peer, no leap file).

use serde::Serialize;

use crate::packet::RefIdSummary;
use crate::record::LeapField;

/// The quantities a check judges and exports for one server.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct HostMetrics {
    /// Leap indicator of the server (system variable `leap`, else the status word).
    pub leap: Option<LeapField>,
    /// Whether the server is synchronized: leap indicator not 3, stratum below 16 and a system
    /// peer selected.
    pub synchronized: Option<bool>,
    /// The server's stratum (system variable `stratum`; 16 = unsynchronized).
    pub stratum: Option<u8>,
    /// The server's reference ID.
    pub refid: Option<RefIdSummary>,
    /// Offset of the server's clock from its system peer (or best candidate), seconds:
    /// the `offset` of the `*` line of `ntpq -p`.
    pub offset_s: Option<f64>,
    /// Jitter of the system peer (or best candidate), seconds.
    pub jitter_s: Option<f64>,
    /// The system variable `offset`: the last offset the clock discipline applied, seconds.
    pub system_offset_s: Option<f64>,
    /// The system variable `sys_jitter`, seconds.
    pub system_jitter_s: Option<f64>,
    /// Root delay, seconds.
    pub root_delay_s: Option<f64>,
    /// Root dispersion, seconds.
    pub root_dispersion_s: Option<f64>,
    /// Root distance (root dispersion plus half the root delay), seconds: the server's own
    /// bound on its error, which its clients compare with their `maxdist`.
    pub root_distance_s: Option<f64>,
    /// Associations the server reported.
    pub associations: Option<u32>,
    /// Associations that survived the intersection algorithm (selection `excess` or better):
    /// monitoring-plugins' "truechimers".
    pub truechimers: Option<u32>,
    /// Associations the combine algorithm uses (selection `candidate` or better).
    pub candidates: Option<u32>,
    /// The association whose offset and jitter are reported: the system peer, or, when there
    /// is none, the candidate with the smallest offset.
    pub system_peer: Option<PeerMetrics>,
    /// When the server's leap-second file expires (UTC, `2026-06-28T00:00Z`), if one is loaded.
    pub leapfile_expires: Option<String>,
    /// The same as a Unix time, seconds.
    pub leapfile_expiry_unix: Option<i64>,
    /// Days until the leap-second file expires (negative once expired).
    pub leapfile_days_left: Option<f64>,
}

/// The association a check reports on.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PeerMetrics {
    /// Association ID.
    pub assoc_id: u16,
    /// Its selection, as `associations` names it (`sys.peer`, `candidate`, …).
    pub selection: String,
    /// Its address (`srcadr`), in full.
    pub address: Option<String>,
    /// Its stratum.
    pub stratum: Option<u8>,
    /// The reach register (8 bits; `ntpq -p` shows it in octal).
    pub reach: Option<u8>,
    /// Bits set in the reach register: how many of the last 8 polls were answered.
    pub reach_bits: Option<u32>,
    /// Offset, seconds.
    pub offset_s: Option<f64>,
    /// Jitter, seconds.
    pub jitter_s: Option<f64>,
    /// Round-trip delay, seconds.
    pub delay_s: Option<f64>,
    /// Dispersion, seconds.
    pub dispersion_s: Option<f64>,
}
