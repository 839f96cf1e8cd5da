//! The result of one `ntptrace` walk: every hop with every value read and how it was read, and
//! why the walk stopped. Serialized as one JSON document; the schema is in `docs/json.md`.

use serde::Serialize;

use super::LeapField;
use crate::packet::RefIdSummary;

/// How a hop's values were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadBy {
    /// Its system variables over mode 6 (`readvar 0`), as the classic tool reads every hop.
    Mode6,
    /// A mode 3 client request, because the hop did not answer mode 6: no system offset and
    /// no system peer, and the next hop comes from the refid.
    Mode3,
}

/// Where the next hop's address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NextFrom {
    /// The source address of the hop's system peer (mode 6 `peeradr` or `srcadr`).
    SystemPeer,
    /// The hop's reference ID read as an IPv4 address: mode 3 hops, and mode 6 hops that
    /// name no system peer address (xntpd 3).
    Refid,
}

/// One hop of the walk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceHop {
    /// 1 for the host the walk started at.
    pub hop: u32,
    /// The host as it was asked: the command-line argument for the first hop, the address
    /// the previous hop named for the others.
    pub host: String,
    /// The address the requests went to.
    pub address: String,
    /// The reverse-DNS name shown instead of the address (never looked up with `-n`).
    pub name: Option<String>,
    /// `mode6` or `mode3`.
    pub read_by: ReadBy,
    /// Why mode 6 gave no answer, for hops read by mode 3.
    pub mode6_error: Option<String>,
    /// The daemon's version string (mode 6 only).
    pub version: Option<String>,
    /// Leap indicator.
    pub leap: LeapField,
    /// Stratum as ntpd reports it: 16 = unsynchronized (a mode 3 reply's wire 0 becomes 16).
    pub stratum: u8,
    /// Reference ID, interpreted for this stratum (and as an IPv6 hash when the system peer
    /// is known to be IPv6).
    pub refid: RefIdSummary,
    /// The hop's own clock offset from its system peer, milliseconds (mode 6 only).
    pub offset_ms: Option<f64>,
    /// Root delay, milliseconds.
    pub root_delay_ms: f64,
    /// Root dispersion, milliseconds.
    pub root_dispersion_ms: f64,
    /// Synchronization distance as the classic ntptrace computes it: root dispersion plus
    /// half the root delay, milliseconds.
    pub synch_distance_ms: f64,
    /// Clock precision, log2 seconds.
    pub precision: Option<i8>,
    /// Association ID of the system peer, when there is one (mode 6 only).
    pub system_peer: Option<u16>,
    /// Source address of the system peer (mode 6 only).
    pub system_peer_address: Option<String>,
    /// Offset of the hop's clock from ours, measured by the mode 3 exchange, milliseconds.
    pub measured_offset_ms: Option<f64>,
    /// Round-trip delay of the mode 3 exchange, milliseconds.
    pub measured_delay_ms: Option<f64>,
    /// The address the walk went to next, if it went on.
    pub next: Option<String>,
    /// Where `next` came from.
    pub next_from: Option<NextFrom>,
}

/// Why the walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A stratum 1 server: the top of the path.
    Primary,
    /// A hop reporting stratum 0 (the classic tool stops there too).
    StratumZero,
    /// A hop synchronized to a reference clock at a higher stratum (refid or system peer
    /// `127.127.t.u`, such as a fudged local clock).
    Refclock,
    /// `-m` hosts were shown.
    MaxHosts,
    /// An unsynchronized hop: leap indicator 11 or stratum 16.
    Unsynchronized,
    /// The next hop is one already visited: a synchronization loop.
    Loop,
    /// A synchronized hop without a system peer address and without an address for a refid
    /// (an orphan parent, for example).
    NoSystemPeer,
    /// A mode 3 hop's refid cannot be followed: it is not a unicast IPv4 address (an IPv6
    /// upstream's refid is a hash of its address).
    RefidNotFollowable,
    /// A hop answered mode 3 with a kiss-o'-death refusing service (`DENY`, `RSTR`, `RATE`).
    Refused,
    /// A hop answered neither mode 6 nor mode 3.
    Unreachable,
}

impl StopReason {
    /// Whether the walk ended where the classic tool ends a complete trace: at the primary
    /// source (stratum 0 or 1, a reference clock) or at `-m` hosts. Every other reason is a
    /// problem in the path.
    #[must_use]
    pub const fn is_complete(self) -> bool {
        matches!(
            self,
            Self::Primary | Self::StratumZero | Self::Refclock | Self::MaxHosts
        )
    }
}

/// Why and where the walk ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStop {
    /// The reason, as a code.
    pub reason: StopReason,
    /// The host the walk ended at (for `unreachable`, the one that did not answer).
    pub host: String,
    /// One line for people.
    pub message: String,
}

/// One `ntptrace` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceReport {
    /// The host the walk started at, as given.
    pub start: String,
    /// Every hop read, in order.
    pub hops: Vec<TraceHop>,
    /// Why the walk ended.
    pub stop: TraceStop,
    /// Whether the walk ended at the path's source or at `-m` ([`StopReason::is_complete`]).
    pub complete: bool,
}
