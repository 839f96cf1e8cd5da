//! The result of one `ntpdate` run: every server with every sample, the selection, the action taken
//! on the clock (or why none was), and the drift estimate of the drift-measurement mode. Serialized
//! as one JSON document; the schema is in `docs/json.md`.

use serde::Serialize;

use crate::packet::RefIdSummary;

/// One `ntpdate` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateReport {
    /// `query` (`-q`), `debug` (`-d`), `set` (adjust the clock) or `drift` (`--drift`).
    pub mode: &'static str,
    /// Every server named on the command line, in order.
    pub servers: Vec<DateServer>,
    /// The selection among the servers that answered usefully; `None` when none did.
    pub selection: Option<DateSelection>,
    /// What was done to the clock, or why nothing was.
    pub action: DateAction,
    /// The drift measurement (`--drift` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftRecord>,
}

/// How a server fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    /// The server whose offset was used.
    Selected,
    /// Agreed with the majority but was not chosen.
    Truechimer,
    /// Usable samples, but outside the interval the majority agrees on.
    Falseticker,
    /// No usable sample (no reply, kiss-o'-death, failed sanity checks, …): see `reason`.
    Rejected,
}

/// One server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateServer {
    /// The server as given on the command line.
    pub server: String,
    /// The address queried (`10.77.0.1:123`), `None` if the name did not resolve.
    pub address: Option<String>,
    /// Stratum of its last reply.
    pub stratum: Option<u8>,
    /// Leap indicator of its last reply (`leap_none`, …, `leap_alarm`).
    pub leap: Option<&'static str>,
    /// Reference ID of its last reply.
    pub refid: Option<RefIdSummary>,
    /// Root delay of its last reply, milliseconds.
    pub root_delay_ms: Option<f64>,
    /// Root dispersion of its last reply, milliseconds.
    pub root_dispersion_ms: Option<f64>,
    /// Key ID the replies were authenticated with (`-a`).
    pub key_id: Option<u32>,
    /// Every request sent to it, in order.
    pub samples: Vec<DateSample>,
    /// Index in `samples` of the best (least-delay) accepted sample.
    pub best: Option<usize>,
    /// Offset of the best sample, milliseconds (positive: the server is ahead).
    pub offset_ms: Option<f64>,
    /// Delay of the best sample, milliseconds.
    pub delay_ms: Option<f64>,
    /// Dispersion of the best sample, milliseconds.
    pub dispersion_ms: Option<f64>,
    /// Root distance of the best sample, milliseconds.
    pub root_distance_ms: Option<f64>,
    /// RMS of the other accepted samples' offsets around the best one, milliseconds.
    pub jitter_ms: Option<f64>,
    /// Replies ignored because their origin timestamp matched no request of ours (spoofed or
    /// stale).
    pub ignored_replies: u32,
    /// The outcome.
    pub status: ServerStatus,
    /// Why the server was rejected or is a falseticker.
    pub reason: Option<String>,
}

/// One request and what became of its reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateSample {
    /// Whether the reply passed every check.
    pub accepted: bool,
    /// Offset, milliseconds (accepted samples).
    pub offset_ms: Option<f64>,
    /// Round-trip delay, milliseconds (accepted samples).
    pub delay_ms: Option<f64>,
    /// Dispersion, milliseconds (accepted samples).
    pub dispersion_ms: Option<f64>,
    /// Root distance, milliseconds (accepted samples).
    pub root_distance_ms: Option<f64>,
    /// Why the reply was rejected (or that none came).
    pub reason: Option<String>,
}

/// The selection among servers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateSelection {
    /// The chosen server (as given on the command line); `None` when no majority agrees.
    pub server: Option<String>,
    /// Servers agreeing with the majority.
    pub truechimers: Vec<String>,
    /// Servers outside the agreed interval.
    pub falsetickers: Vec<String>,
    /// The agreed interval `[low, high]` of offsets, milliseconds.
    pub interval_ms: Option<[f64; 2]>,
}

/// What happened to the clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateAction {
    /// `step`, `slew` or `none`.
    pub kind: &'static str,
    /// The adjustment, milliseconds.
    pub offset_ms: Option<f64>,
    /// The server whose offset it is.
    pub server: Option<String>,
    /// Whether the clock was changed (false for `-q`, `-d`, refusals and failures).
    pub applied: bool,
    /// For a slew: how long it takes at the slew rate, seconds.
    pub slew_seconds: Option<f64>,
    /// Why nothing (or something other than asked) was done.
    pub reason: Option<String>,
}

/// The drift-measurement result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftRecord {
    /// The server measured against.
    pub server: String,
    /// Frequency error of the local clock, ppm (positive: the local clock runs fast).
    pub ppm: f64,
    /// One-sigma error of `ppm`.
    pub error_ppm: f64,
    /// Samples used.
    pub points: usize,
    /// Time between the first and last sample, seconds.
    pub span_s: f64,
}
