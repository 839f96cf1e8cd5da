//! A server's leap second state as its mode 6 system variables tell it (protocol notes §4.9,
//! §6.3): which daemon it is, its leap bits, TAI−UTC, its leap table's newest transition
//! (`leapsec`) and expiry (`expire`), and xntpd 3's `leapwarning`/`leapindicator`.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use serde::Serialize;

use super::calendar::{Xntpd3Window, days_between, iso_utc, next_possible_leap, parse_leap_time};
use crate::control::VarList;
use crate::packet::LeapIndicator;

/// The variables asked of ntpd 4.x and NTPsec (each daemon leaves out `tai`, `leapsec` and
/// `expire` while it has no leap table).
pub const MODERN_VARIABLES: &str = "version,leap,clock,tai,leapsec,expire";

/// The variables asked of xntpd 3, which knows neither `version` nor the leap table.
pub const XNTPD3_VARIABLES: &str = "system,leap,clock,leapindicator,leapwarning";

/// Which daemon answers, as far as its variables tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeapDaemon {
    /// ntpd 4.x: `version="ntpd 4…"`; leap from a leap file (`:config leapfile`).
    Ntpd,
    /// NTPsec: `version="ntpd ntpsec-…"`; leap from a leap file as well.
    Ntpsec,
    /// xntpd 3: no `version`, but writable `leapwarning`/`leapindicator`.
    Xntpd3,
    /// Something else (a `version` this code does not know).
    Unknown,
}

impl LeapDaemon {
    /// The daemon a `version` string names.
    #[must_use]
    pub fn from_version(version: &str) -> Self {
        let v = version.trim().trim_matches('"');
        if v.contains("ntpsec") {
            Self::Ntpsec
        } else if v.starts_with("ntpd 4") {
            Self::Ntpd
        } else {
            Self::Unknown
        }
    }

    /// `ntpd`, `ntpsec`, `xntpd3` or `unknown`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Ntpd => "ntpd",
            Self::Ntpsec => "ntpsec",
            Self::Xntpd3 => "xntpd3",
            Self::Unknown => "unknown",
        }
    }
}

/// Two leap bits as text and name: `{"code": "01", "name": "leap_add_sec"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeapBits {
    /// The two bits, `00`…`11`.
    pub code: &'static str,
    /// ntpd's name for them as a leap indicator.
    pub name: &'static str,
}

impl From<LeapIndicator> for LeapBits {
    fn from(li: LeapIndicator) -> Self {
        Self {
            code: match li {
                LeapIndicator::NoWarning => "00",
                LeapIndicator::AddSecond => "01",
                LeapIndicator::DeleteSecond => "10",
                LeapIndicator::Unsynchronized => "11",
            },
            name: li.name(),
        }
    }
}

/// The leap state read from one server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerLeapState {
    /// Which daemon.
    pub daemon: LeapDaemon,
    /// Its `version` (or xntpd 3's `system`), quotes removed.
    pub version: Option<String>,
    /// The system leap bits (`leap`).
    pub leap: LeapIndicator,
    /// The server's clock (`clock`), Unix seconds.
    pub clock: Option<f64>,
    /// TAI−UTC (`tai`), seconds.
    pub tai: Option<i64>,
    /// The newest transition in its leap table (`leapsec`), Unix seconds.
    pub leapsec: Option<i64>,
    /// Its leap table's expiry (`expire`), Unix seconds.
    pub expire: Option<i64>,
    /// xntpd 3's `leapwarning`.
    pub leap_warning: Option<LeapIndicator>,
    /// xntpd 3's `leapindicator`.
    pub leap_indicator: Option<LeapIndicator>,
}

impl ServerLeapState {
    /// Reads the variables of one of the two READVAR lists ([`MODERN_VARIABLES`],
    /// [`XNTPD3_VARIABLES`]); `pivot_unix` (the local clock) picks the era of `clock`.
    /// Values that do not parse count as absent.
    #[must_use]
    pub fn from_vars(daemon: LeapDaemon, vars: &VarList, pivot_unix: i64) -> Self {
        let bits = |name: &str| {
            vars.get_u64(name)
                .ok()
                .and_then(|v| u8::try_from(v).ok())
                .filter(|v| *v <= 3)
                .map(LeapIndicator::from_bits)
        };
        let version = vars
            .text("version")
            .or_else(|| vars.text("system"))
            .map(str::to_owned);
        Self {
            daemon,
            version,
            leap: bits("leap").unwrap_or(LeapIndicator::Unsynchronized),
            clock: vars
                .get_timestamp("clock")
                .ok()
                .map(|t| t.to_unix(pivot_unix).as_f64()),
            tai: vars.get_i64("tai").ok(),
            leapsec: vars.text("leapsec").and_then(parse_leap_time),
            expire: vars.text("expire").and_then(parse_leap_time),
            leap_warning: bits("leapwarning"),
            leap_indicator: bits("leapindicator"),
        }
    }

    /// The server's "now": its clock if it reported one, else `local_now`.
    #[must_use]
    pub fn now(&self, local_now: f64) -> f64 {
        self.clock.unwrap_or(local_now)
    }

    /// The leap second this server is set to perform, Unix seconds: for ntpd 4.x and NTPsec the
    /// table's newest transition if it is still ahead; for xntpd 3 the next possible leap
    /// instant if its warning or indicator asks for an insertion or a deletion.
    #[must_use]
    pub fn next_leap(&self, local_now: f64) -> Option<i64> {
        let now = self.now(local_now);
        match self.daemon {
            LeapDaemon::Xntpd3 => {
                let wants = |li: Option<LeapIndicator>| {
                    matches!(
                        li,
                        Some(LeapIndicator::AddSecond | LeapIndicator::DeleteSecond)
                    )
                };
                (wants(self.leap_warning) || wants(self.leap_indicator))
                    .then(|| next_possible_leap(now.floor() as i64))
            }
            _ => self.leapsec.filter(|&t| t as f64 > now),
        }
    }

    /// The JSON record of `ntpq leap` for `host`.
    #[must_use]
    pub fn record(&self, host: &str, local_now: f64) -> LeapStatusRecord {
        let now = self.now(local_now);
        let next = self.next_leap(local_now);
        let xntpd3 = (self.daemon == LeapDaemon::Xntpd3).then(|| {
            let possible = next_possible_leap(now.floor() as i64);
            Xntpd3LeapRecord {
                leap_warning: self.leap_warning.map(LeapBits::from),
                leap_indicator: self.leap_indicator.map(LeapBits::from),
                possible_leap: iso_utc(possible),
                days_to_possible_leap: days_between(now, possible),
                window: Xntpd3Window::at(possible - now.ceil() as i64).name(),
            }
        });
        LeapStatusRecord {
            host: host.to_owned(),
            command: "leap",
            daemon: self.daemon,
            version: self.version.clone(),
            server_time: self.clock.map(|c| iso_utc(c.floor() as i64)),
            leap: self.leap.into(),
            announced: matches!(
                self.leap,
                LeapIndicator::AddSecond | LeapIndicator::DeleteSecond
            ),
            tai_offset_s: self.tai,
            leapsec: self.leapsec.map(iso_utc),
            expire: self.expire.map(iso_utc),
            next_leap: next.map(iso_utc),
            days_to_leap: next.map(|t| days_between(now, t)),
            days_to_expire: self.expire.map(|t| days_between(now, t)),
            xntpd3,
        }
    }
}

/// `ntpq leap`: one server's leap state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeapStatusRecord {
    /// The server as given.
    pub host: String,
    /// `leap`.
    pub command: &'static str,
    /// `ntpd`, `ntpsec`, `xntpd3` or `unknown`.
    pub daemon: LeapDaemon,
    /// Its `version` (xntpd 3: `system`).
    pub version: Option<String>,
    /// Its clock, `2026-11-21T07:30:00Z`.
    pub server_time: Option<String>,
    /// Its leap bits.
    pub leap: LeapBits,
    /// Whether the bits announce a leap (`01` or `10`): the last day before it.
    pub announced: bool,
    /// TAI−UTC, seconds (ntpd 4.x and NTPsec, once their table is in use).
    pub tai_offset_s: Option<i64>,
    /// The newest transition of its leap table (which may be past).
    pub leapsec: Option<String>,
    /// Its leap table's expiry.
    pub expire: Option<String>,
    /// The leap second it is set to perform.
    pub next_leap: Option<String>,
    /// Days from its clock to `next_leap`.
    pub days_to_leap: Option<f64>,
    /// Days from its clock to `expire` (negative: expired).
    pub days_to_expire: Option<f64>,
    /// xntpd 3's writable leap variables and windows; `null` for other daemons.
    pub xntpd3: Option<Xntpd3LeapRecord>,
}

/// xntpd 3's leap variables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Xntpd3LeapRecord {
    /// `leapwarning`.
    pub leap_warning: Option<LeapBits>,
    /// `leapindicator`.
    pub leap_indicator: Option<LeapBits>,
    /// The next instant it considers a leap possible (end of June or December).
    pub possible_leap: String,
    /// Days from its clock to `possible_leap`.
    pub days_to_possible_leap: f64,
    /// Which variable its window rules accept now: `indicator`, `warning` or `closed`.
    pub window: &'static str,
}

#[cfg(test)]
mod tests {
    use super::super::calendar::utc_midnight;
    use super::*;

    fn vars(text: &str) -> VarList {
        VarList::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn daemons_by_version() {
        assert_eq!(
            LeapDaemon::from_version("ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)"),
            LeapDaemon::Ntpd
        );
        assert_eq!(
            LeapDaemon::from_version("\"ntpd ntpsec-1.2.2\""),
            LeapDaemon::Ntpsec
        );
        assert_eq!(LeapDaemon::from_version("chronyd"), LeapDaemon::Unknown);
    }

    #[test]
    fn ntpd_state_with_a_pending_leap() {
        // As ntpd 4.2.8p15 sends it (raw) after loading a table with a leap on 2027-01-01.
        let now = utc_midnight(2026, 11, 21);
        let v = vars(
            "version=\"ntpd 4.2.8p15@1.3728-o\", leap=0, clock=0xeeabc647.bf1a471b, tai=37, leapsec=202701010000, expire=202706280000",
        );
        let s = ServerLeapState::from_vars(LeapDaemon::Ntpd, &v, now);
        assert_eq!(s.leap, LeapIndicator::NoWarning);
        assert_eq!(s.tai, Some(37));
        assert_eq!(s.leapsec, Some(utc_midnight(2027, 1, 1)));
        let r = s.record("10.77.0.1", now as f64);
        assert_eq!(r.server_time.as_deref(), Some("2026-11-21T07:27:03Z"));
        assert_eq!(r.next_leap.as_deref(), Some("2027-01-01T00:00:00Z"));
        assert!((r.days_to_leap.unwrap() - 40.69).abs() < 0.01);
        assert!(!r.announced);
        assert_eq!(r.leap.code, "00");
        assert!(r.xntpd3.is_none());
    }

    #[test]
    fn ntpsec_strings_and_a_past_table() {
        let now = utc_midnight(2026, 11, 21);
        let v = vars(
            "leap=1, leapsec=\"2017-01-01T00:00Z\", expire=\"2026-06-28T00:00Z\", version=\"ntpd ntpsec-1.2.2\"",
        );
        let s = ServerLeapState::from_vars(LeapDaemon::Ntpsec, &v, now);
        let r = s.record("h", now as f64);
        assert_eq!(r.leapsec.as_deref(), Some("2017-01-01T00:00:00Z"));
        assert_eq!(r.next_leap, None);
        assert!(r.days_to_expire.unwrap() < -140.0);
        assert!(r.announced);
        assert_eq!(r.server_time, None);
    }

    #[test]
    fn xntpd3_state() {
        let v = vars(
            "system=\"UNIX\", leap=0, clock=0xeee14ee5.00000000, leapindicator=0, leapwarning=1",
        );
        // clock 0xeee14ee5 is 2026-12-31T22:00:05Z.
        let s = ServerLeapState::from_vars(LeapDaemon::Xntpd3, &v, utc_midnight(2026, 11, 21));
        assert_eq!(s.version.as_deref(), Some("UNIX"));
        let r = s.record("x", 0.0);
        assert_eq!(r.next_leap.as_deref(), Some("2027-01-01T00:00:00Z"));
        let x = r.xntpd3.unwrap();
        assert_eq!(x.leap_warning.unwrap().code, "01");
        assert_eq!(x.window, "indicator");
        assert_eq!(x.possible_leap, "2027-01-01T00:00:00Z");
    }

    #[test]
    fn garbage_values_count_as_absent() {
        let v = vars("leap=7, clock=soon, tai=x, leapsec=never");
        let s = ServerLeapState::from_vars(LeapDaemon::Unknown, &v, 0);
        assert_eq!(s.leap, LeapIndicator::Unsynchronized);
        assert_eq!((s.clock, s.tai, s.leapsec), (None, None, None));
    }
}
