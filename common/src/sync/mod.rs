//! Turning replies from several servers into one time, as a one-shot client (ntpdate, sntp) does:
//! the sanity checks a reply must pass before it may move a clock ([`check_reply`]), the best sample
//! of each server ([`best_sample`]), the selection among servers that rejects falsetickers by interval
//! intersection ([`select`], RFC 5905 §11.2.1), and the local clock's frequency error from a series of
//! offsets ([`drift::estimate`]).
//!
//! Sans-IO like the rest of the crate: times are parameters (seconds as `f64`), nothing here reads a
//! clock or touches a socket.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

pub mod drift;
mod select;

pub use select::{Candidate, Selection, select};

use std::fmt;

use crate::packet::{LeapIndicator, ServerReply};
use crate::time::NtpTimestamp;

/// Thresholds a reply must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest acceptable root distance, seconds (ntpd's `maxdist` default 1.5 s).
    pub max_distance: f64,
    /// Oldest acceptable reference time, seconds before the reply's transmit time (ntpdate's
    /// `NTP_MAXAGE`, one day).
    pub max_reference_age: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_distance: 1.5,
            max_reference_age: 86_400.0,
        }
    }
}

/// Why a reply that passed the exchange's checks (version, mode, origin, MAC, kiss-o'-death, stratum
/// 16, zero timestamps) still cannot be used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// LI = 3 without the KoD stratum: the server says its clock is not synchronized.
    Unsynchronized,
    /// Wire stratum 0 without LI = 3: unspecified, not a time source.
    UnspecifiedStratum,
    /// The server's transmit time is before its receive time (seconds between them).
    TransmitBeforeReceive(f64),
    /// The round-trip delay is negative (seconds): the timestamps cannot all be right.
    NegativeDelay(f64),
    /// The server's reference time is zero: it never synchronized.
    NoReference,
    /// The server last synchronized this many seconds ago, more than [`Limits::max_reference_age`].
    ReferenceTooOld(f64),
    /// The root distance (seconds) exceeds [`Limits::max_distance`].
    TooFarAway(f64),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsynchronized => {
                f.write_str("leap not in sync (LI 3): server is unsynchronized")
            }
            Self::UnspecifiedStratum => f.write_str("stratum 0 (unspecified) without a kiss code"),
            Self::TransmitBeforeReceive(s) => {
                write!(f, "bogus timestamps: transmit {s:.6} s before receive")
            }
            Self::NegativeDelay(d) => write!(f, "bogus timestamps: negative delay {d:.6} s"),
            Self::NoReference => f.write_str("server has never synchronized (reference time 0)"),
            Self::ReferenceTooOld(age) => {
                write!(f, "too long without sync: reference time {age:.0} s old")
            }
            Self::TooFarAway(d) => write!(f, "too far away: root distance {d:.6} s"),
        }
    }
}

/// One usable clock sample and the server state it came with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// θ, seconds; positive when the server is ahead of the local clock.
    pub offset: f64,
    /// δ, seconds (never negative).
    pub delay: f64,
    /// ε: the server's and our precision plus the frequency tolerance over the round trip.
    pub dispersion: f64,
    /// λ = (root delay + δ)/2 + root dispersion + ε, seconds.
    pub root_distance: f64,
    /// The server's wire stratum.
    pub stratum: u8,
}

/// Negative delays down to this (seconds) are rounding, not lies; they count as zero.
const DELAY_SLACK: f64 = 1e-6;

/// Checks a reply (already accepted by [`crate::packet::ClientExchange`]) received at `t4` and
/// turns it into a [`Measurement`]. `local_precision` is our clock's precision exponent.
///
/// # Errors
/// The first [`Fault`] found.
pub fn check_reply(
    reply: &ServerReply,
    t4: NtpTimestamp,
    local_precision: i8,
    limits: &Limits,
) -> Result<Measurement, Fault> {
    let p = &reply.packet;
    if p.leap == LeapIndicator::Unsynchronized {
        return Err(Fault::Unsynchronized);
    }
    if p.stratum.is_unspecified() {
        return Err(Fault::UnspecifiedStratum);
    }
    let server_time = seconds_between(p.transmit_timestamp, p.receive_timestamp);
    if server_time < 0.0 {
        return Err(Fault::TransmitBeforeReceive(-server_time));
    }
    let sample = reply.sample(t4);
    if sample.delay < -DELAY_SLACK {
        return Err(Fault::NegativeDelay(sample.delay));
    }
    if p.reference_timestamp.is_zero() {
        return Err(Fault::NoReference);
    }
    let age = seconds_between(p.transmit_timestamp, p.reference_timestamp);
    if age > limits.max_reference_age {
        return Err(Fault::ReferenceTooOld(age));
    }
    let delay = sample.delay.max(0.0);
    let dispersion = 2f64.powi(i32::from(p.precision))
        + 2f64.powi(i32::from(local_precision))
        + sample.dispersion_estimate;
    let root_distance = (p.root_delay.signed_seconds().abs() + delay) / 2.0
        + p.root_dispersion.seconds()
        + dispersion;
    if root_distance > limits.max_distance {
        return Err(Fault::TooFarAway(root_distance));
    }
    Ok(Measurement {
        offset: sample.offset,
        delay,
        dispersion,
        root_distance,
        stratum: p.stratum.0,
    })
}

/// `a − b` in seconds, modulo 2^64 of the wire values (right across an era boundary).
fn seconds_between(a: NtpTimestamp, b: NtpTimestamp) -> f64 {
    NtpTimestamp::from_bits(a.to_bits().wrapping_sub(b.to_bits())).as_offset_seconds()
}

/// The index of the sample with the smallest delay (ntpdate's and RFC 5905's clock filter choice),
/// or `None` for no samples.
#[must_use]
pub fn best_sample(samples: &[Measurement]) -> Option<usize> {
    samples
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.delay.total_cmp(&b.1.delay))
        .map(|(i, _)| i)
}

/// The RMS of the other samples' offsets around the best one's: the server's jitter (RFC 5905 ψ).
#[must_use]
pub fn jitter(samples: &[Measurement], best: usize) -> f64 {
    let Some(b) = samples.get(best) else {
        return 0.0;
    };
    let others: Vec<f64> = samples
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, s)| (s.offset - b.offset).powi(2))
        .collect();
    if others.is_empty() {
        return 0.0;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "at most a few samples per server"
    )]
    let n = others.len() as f64;
    (others.iter().sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests;
