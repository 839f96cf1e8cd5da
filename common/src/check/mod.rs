//! Health checks of NTP servers for scripts and monitoring systems (`ntpq check`, `ntpq serve`).
//!
//! A check asks each server, over mode 6, for its association list and its system variables,
//! then for the variables of its system peer (or of its candidates when it has none), and
//! judges what arrived against thresholds:
//!
//! - [`probe`]: the requests to send and the reading of their answers into [`HostMetrics`]
//!   ([`HostProbe`], sans-IO: the caller runs the requests, many hosts over one socket);
//! - [`quantity`]: durations with units (`50ms`, `0.05s`, `500us`) and `WARN,CRIT` limits;
//! - [`verdict`]: [`Thresholds`], one [`CheckResult`] per judged quantity, and the host's
//!   [`HostReport`] with its [`CheckState`] (the monitoring-plugins convention: 0 OK,
//!   1 WARNING, 2 CRITICAL, 3 UNKNOWN);
//! - [`nagios`]: the one-line status plus performance data of the monitoring-plugins
//!   development guidelines;
//! - [`openmetrics`]: the Prometheus / OpenMetrics text exposition.
//!
//! Offsets, jitters and stratum are the server's own view, as `ntpq -p` and monitoring-plugins'
//! `check_ntp_peer` show it: the offset and jitter of its system peer, its system stratum.
//! Every quantity is in SI units (seconds) here and in every rendering.

pub mod metrics;
pub mod nagios;
pub mod openmetrics;
pub mod probe;
pub mod quantity;
pub mod verdict;

use std::fmt;

use serde::Serialize;

pub use metrics::{HostMetrics, PeerMetrics};
pub use probe::{HostProbe, Outcome, ProbeFailure, ProbeResult};
pub use quantity::{Limit, QuantityError, format_seconds, parse_days, parse_seconds};
pub use verdict::{Bound, CheckResult, HostReport, Thresholds};

/// A verdict in the monitoring-plugins convention; the discriminant is the plugin exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CheckState {
    /// 0: everything within its thresholds.
    Ok,
    /// 1: a warning threshold was crossed.
    Warning,
    /// 2: a critical threshold was crossed.
    Critical,
    /// 3: the state could not be determined (no answer, missing data).
    Unknown,
}

impl CheckState {
    /// Every state, in exit-code order.
    pub const ALL: [Self; 4] = [Self::Ok, Self::Warning, Self::Critical, Self::Unknown];

    /// The plugin exit code: 0, 1, 2 or 3.
    #[must_use]
    pub const fn exit_code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Warning => 1,
            Self::Critical => 2,
            Self::Unknown => 3,
        }
    }

    /// The name the plugin guidelines use (`OK`, `WARNING`, `CRITICAL`, `UNKNOWN`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// How bad the state is when states are combined: CRITICAL, then WARNING, then UNKNOWN,
    /// then OK (monitoring-plugins' `max_state_alt`), so that a definite problem is never
    /// hidden behind a missing value.
    #[must_use]
    pub const fn severity(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Unknown => 1,
            Self::Warning => 2,
            Self::Critical => 3,
        }
    }

    /// The worse of two states (see [`CheckState::severity`]).
    #[must_use]
    pub const fn worst(self, other: Self) -> Self {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// The worst of many states; OK for none.
    pub fn worst_of(states: impl IntoIterator<Item = Self>) -> Self {
        states.into_iter().fold(Self::Ok, Self::worst)
    }
}

impl fmt::Display for CheckState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CheckState {
    type Err = QuantityError;

    /// Reads a state name in any case: `ok`, `warning`, `critical`, `unknown`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| QuantityError::new(s, "expected ok, warning, critical or unknown"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combining_states_puts_problems_before_unknown() {
        use CheckState::*;
        assert_eq!(CheckState::worst_of([]), Ok);
        assert_eq!(CheckState::worst_of([Ok, Unknown]), Unknown);
        assert_eq!(CheckState::worst_of([Unknown, Warning, Ok]), Warning);
        assert_eq!(CheckState::worst_of([Warning, Critical, Unknown]), Critical);
        assert_eq!(
            CheckState::ALL.map(CheckState::exit_code),
            [0, 1, 2, 3],
            "exit codes are the plugin convention"
        );
    }

    #[test]
    fn states_parse_in_any_case() {
        assert_eq!(
            "Warning".parse::<CheckState>().unwrap(),
            CheckState::Warning
        );
        assert_eq!("OK".parse::<CheckState>().unwrap(), CheckState::Ok);
        assert!("fine".parse::<CheckState>().is_err());
        assert_eq!(
            serde_json::to_value(CheckState::Critical).unwrap(),
            "CRITICAL"
        );
    }
}
