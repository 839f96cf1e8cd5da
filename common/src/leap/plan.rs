//! What `ntpq leap --set` does for each daemon, and how it judges the result (protocol notes
//! §6.3, §6.3.1), as pure decisions over [`ServerLeapState`]s:
//!
//! - **xntpd 3**: WRITEVAR of `leapwarning` in the 31 days before a possible leap instant (end
//!   of June or December) or `leapindicator` in its last 24 hours; outside both it refuses
//!   (PERMISSION), so the write is not sent. The value is the two leap bits: `add` 01,
//!   `delete` 10, `none` 11 (ignore the sources' bits), `pass` 00 (pass them through; as the
//!   indicator it also clears the warning).
//! - **ntpd 4.x and NTPsec**: WRITEVAR of `leap` is refused (UNSPEC; NTPsec has no writable
//!   variables at all), but both load a leap-seconds file named by `:config leapfile PATH` (a
//!   path on the server) at run time. Both answer "Config Succeeded" even when they cannot use
//!   the file, so the outcome is read back: `leapsec` (the table's newest transition) must be
//!   ahead for `add`/`delete` and must not be for `none`/`pass`.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::calendar::{ANNOUNCE_WINDOW_S, Xntpd3Window, days_between, iso_utc, next_possible_leap};
use super::file::{LeapFileReport, LeapSecondsFile};
use super::status::{LeapDaemon, LeapStatusRecord, ServerLeapState};
use crate::packet::LeapIndicator;

/// What `--set` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeapRequest {
    /// Insert a second (leap bits 01).
    Add,
    /// Delete a second (10).
    Delete,
    /// No leap: ignore what the sources announce (xntpd 3's 11).
    None,
    /// Pass the sources' leap bits through; clear a local warning (00).
    Pass,
}

impl LeapRequest {
    /// `add`, `delete`, `none` or `pass`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Delete => "delete",
            Self::None => "none",
            Self::Pass => "pass",
        }
    }

    /// The two leap bits xntpd 3 takes for it.
    #[must_use]
    pub fn xntpd3_bits(self) -> LeapIndicator {
        match self {
            Self::Add => LeapIndicator::AddSecond,
            Self::Delete => LeapIndicator::DeleteSecond,
            Self::None => LeapIndicator::Unsynchronized,
            Self::Pass => LeapIndicator::NoWarning,
        }
    }

    /// `Some(true)` for an insertion, `Some(false)` for a deletion, `None` for no leap.
    #[must_use]
    pub fn wants_insert(self) -> Option<bool> {
        match self {
            Self::Add => Some(true),
            Self::Delete => Some(false),
            Self::None | Self::Pass => None,
        }
    }
}

impl fmt::Display for LeapRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LeapRequest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "add" => Ok(Self::Add),
            "delete" => Ok(Self::Delete),
            "none" => Ok(Self::None),
            "pass" => Ok(Self::Pass),
            other => Err(format!("'{other}' is not one of add, delete, none, pass")),
        }
    }
}

/// The write xntpd 3 gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Xntpd3Write {
    /// `leapwarning` or `leapindicator`.
    pub variable: &'static str,
    /// The leap bits written.
    pub bits: LeapIndicator,
    /// The leap instant it is for.
    pub possible_leap: i64,
    /// The window the server's clock is in.
    pub window: Xntpd3Window,
}

impl Xntpd3Write {
    /// The WRITEVAR payload, `leapwarning=1`.
    #[must_use]
    pub fn payload(&self) -> String {
        format!("{}={}", self.variable, self.bits.to_bits())
    }
}

/// Why `--set` sends nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LeapPlanError {
    /// xntpd 3's clock is outside both windows.
    #[error(
        "xntpd 3 accepts leap bits only in the 31 days before a possible leap (the end of June or December); the next, {}, is {days:.1} days away by the server's clock",
        iso_utc(*possible_leap)
    )]
    WindowClosed {
        /// The next possible leap instant.
        possible_leap: i64,
        /// Days to it.
        days: f64,
    },
    /// ntpd 4.x or NTPsec without `--leapfile`.
    #[error("{}", no_writable_leap(*.0))]
    NeedsLeapfile(LeapDaemon),
    /// A daemon this code does not know how to change.
    #[error(
        "cannot tell which daemon this is (version '{0}'): refusing to guess how to change its leap state"
    )]
    UnknownDaemon(String),
    /// `--leapfile` given to xntpd 3, which has no leap files.
    #[error("xntpd 3 has no leap files: drop --leapfile (its leap bits are written directly)")]
    LeapfileOnXntpd3,
    /// The local copy (`--check-file`) does not announce what `--set` asks for.
    #[error("{0}")]
    FileDisagrees(String),
}

fn no_writable_leap(daemon: LeapDaemon) -> &'static str {
    match daemon {
        LeapDaemon::Ntpsec => {
            "NTPsec has no writable variables (writevar answers 'unspecified error'); it takes leap seconds from a leap-seconds file: give --leapfile PATH, a file on the server"
        }
        _ => {
            "ntpd 4.x refuses writes of 'leap' (writevar answers 'unspecified error'); it takes leap seconds from a leap-seconds file: give --leapfile PATH, a file on the server"
        }
    }
}

/// The xntpd 3 write for `request` with the server's clock at `server_now`.
///
/// # Errors
/// [`LeapPlanError::WindowClosed`] outside both windows.
pub fn plan_xntpd3(request: LeapRequest, server_now: f64) -> Result<Xntpd3Write, LeapPlanError> {
    let now = server_now.floor() as i64;
    let possible_leap = next_possible_leap(now);
    let window = Xntpd3Window::at(possible_leap - server_now.ceil() as i64);
    let variable = match window {
        Xntpd3Window::Indicator => "leapindicator",
        Xntpd3Window::Warning => "leapwarning",
        Xntpd3Window::Closed => {
            return Err(LeapPlanError::WindowClosed {
                possible_leap,
                days: days_between(server_now, possible_leap),
            });
        }
    };
    Ok(Xntpd3Write {
        variable,
        bits: request.xntpd3_bits(),
        possible_leap,
        window,
    })
}

/// The next leap of a checked local copy of the file (`--check-file`) if it agrees with
/// `request`: an insertion for `add`, a deletion for `delete`, none for `none`/`pass`.
///
/// # Errors
/// [`LeapPlanError::FileDisagrees`] when it does not.
pub fn expected_from_file(
    request: LeapRequest,
    file: &LeapSecondsFile,
    now_unix: i64,
) -> Result<Option<i64>, LeapPlanError> {
    let next = file.next_after(now_unix);
    let found = next.map(|e| (e.unix(), file.inserts(e).unwrap_or(true)));
    match (request.wants_insert(), found) {
        (Some(want), Some((at, insert))) if want == insert => Ok(Some(at)),
        (None, None) => Ok(None),
        (Some(want), Some((at, _))) => Err(LeapPlanError::FileDisagrees(format!(
            "the checked file announces {} for {}, not the {} asked for",
            if want { "a deletion" } else { "an insertion" },
            iso_utc(at),
            request.name()
        ))),
        (Some(_), None) => Err(LeapPlanError::FileDisagrees(format!(
            "the checked file announces no leap after now: it cannot arm the {} asked for",
            request.name()
        ))),
        (None, Some((at, _))) => Err(LeapPlanError::FileDisagrees(format!(
            "the checked file still announces a leap for {}: loading it would not give '{}'",
            iso_utc(at),
            request.name()
        ))),
    }
}

/// The outcome `--set` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeapVerdict {
    /// Whether the server now does what was asked.
    pub ok: bool,
    /// What happened, one sentence.
    pub message: String,
}

impl LeapVerdict {
    fn ok(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            message: message.into(),
        }
    }

    fn failed(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            message: message.into(),
        }
    }
}

/// Judges an xntpd 3 write by the variables read back.
#[must_use]
pub fn judge_xntpd3(write: &Xntpd3Write, after: &ServerLeapState) -> LeapVerdict {
    let (read, other) = if write.variable == "leapindicator" {
        (after.leap_indicator, after.leap_warning)
    } else {
        (after.leap_warning, after.leap_indicator)
    };
    let bits =
        |li: Option<LeapIndicator>| li.map_or("absent", |l| super::status::LeapBits::from(l).code);
    if read != Some(write.bits) {
        return LeapVerdict::failed(format!(
            "the server accepted {} but reads back {}={}",
            write.payload(),
            write.variable,
            bits(read)
        ));
    }
    if write.variable == "leapindicator"
        && write.bits == LeapIndicator::NoWarning
        && other.is_some_and(|w| w != LeapIndicator::NoWarning)
    {
        return LeapVerdict::failed(format!(
            "leapindicator is 00 but leapwarning still reads {}",
            bits(other)
        ));
    }
    let what = match write.bits {
        LeapIndicator::AddSecond => "a leap second insertion",
        LeapIndicator::DeleteSecond => "a leap second deletion",
        LeapIndicator::Unsynchronized => "ignoring the sources' leap bits",
        LeapIndicator::NoWarning => "passing the sources' leap bits through",
    };
    LeapVerdict::ok(format!(
        "{}={} set: {what} at {}",
        write.variable,
        super::status::LeapBits::from(write.bits).code,
        iso_utc(write.possible_leap)
    ))
}

/// Judges `:config leapfile` by the state before and after: `expected` is the next leap of the
/// local copy (`--check-file`), if one was given.
#[must_use]
pub fn judge_leapfile(
    request: LeapRequest,
    before: &ServerLeapState,
    after: &ServerLeapState,
    expected: Option<i64>,
    local_now: f64,
) -> LeapVerdict {
    let next = after.next_leap(local_now);
    let unchanged = before.leapsec == after.leapsec && before.expire == after.expire;
    let table = match (after.leapsec, after.expire) {
        (Some(l), Some(e)) => format!(
            "its table's newest transition is {}, expiring {}",
            iso_utc(l),
            iso_utc(e)
        ),
        _ => "it has no leap table".to_owned(),
    };
    let unusable = "ntpd and NTPsec answer 'Config Succeeded' even when they cannot use the file (missing, bad hash, a transition off 00:00 UTC on the first of a month, entries out of order); see the server's log";
    let now = after.now(local_now);
    let expired = after.expire.is_some_and(|e| (e as f64) <= now);
    let announced = match after.leap {
        LeapIndicator::AddSecond => Some(true),
        LeapIndicator::DeleteSecond => Some(false),
        _ => None,
    };
    match (request.wants_insert(), next) {
        (Some(_), None) => {
            LeapVerdict::failed(format!("the server armed no leap: {table}; {unusable}"))
        }
        (Some(insert), Some(at)) => {
            if let Some(exp) = expected.filter(|&e| e != at) {
                return LeapVerdict::failed(format!(
                    "the server's next leap is {} but the checked file's is {}: it did not load that file; {unusable}",
                    iso_utc(at),
                    iso_utc(exp)
                ));
            }
            if announced.is_some_and(|a| a != insert) {
                return LeapVerdict::failed(format!(
                    "the server announces {} for {}, not the {} asked for",
                    if insert { "a deletion" } else { "an insertion" },
                    iso_utc(at),
                    request.name()
                ));
            }
            let mut message = format!(
                "leap armed for {} ({:.1} days){}",
                iso_utc(at),
                days_between(now, at),
                if unchanged {
                    "; the table was already loaded, unchanged"
                } else {
                    ""
                }
            );
            if expired {
                message.push_str("; but the table has expired");
            }
            if announced.is_none() {
                message.push_str(if (at as f64) - now <= ANNOUNCE_WINDOW_S as f64 {
                    "; the daemon sets its leap bits at its next clock update"
                } else {
                    "; the daemon announces it (leap bits) only in the last 24 hours"
                });
            }
            LeapVerdict::ok(message)
        }
        (None, Some(at)) => LeapVerdict::failed(format!(
            "a leap is still pending for {}: {table}; the file lists it, or the server kept its old table: {unusable}",
            iso_utc(at)
        )),
        (None, None) if expired => {
            LeapVerdict::ok(format!("no leap pending; {table}, which has expired"))
        }
        (None, None) => LeapVerdict::ok(format!("no leap pending; {table}")),
    }
}

/// The one request `--set` sends (or would send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeapWrite {
    /// `writevar` or `configure`.
    pub opcode: &'static str,
    /// Association 0 (the system).
    pub assoc_id: u16,
    /// The payload text.
    pub payload: String,
    /// The key it is signed with.
    pub key_id: Option<u32>,
}

/// `ntpq leap --set`: what was asked, sent and found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeapSetRecord {
    /// The server as given.
    pub host: String,
    /// `leap --set`.
    pub command: &'static str,
    /// Which daemon.
    pub daemon: LeapDaemon,
    /// `add`, `delete`, `none` or `pass`.
    pub request: LeapRequest,
    /// `writevar` (xntpd 3), `leapfile` (ntpd 4.x, NTPsec), or `null` when nothing can be sent.
    pub method: Option<&'static str>,
    /// `--dry-run`: nothing was sent.
    pub dry_run: bool,
    /// The write (to be) sent.
    pub write: Option<LeapWrite>,
    /// The server's text reply (`Config Succeeded`), if any.
    pub reply: Option<String>,
    /// Whether the plan holds and, unless this is a dry run, the server now does what was
    /// asked (read back).
    pub ok: bool,
    /// What happened.
    pub message: String,
    /// The state before.
    pub before: LeapStatusRecord,
    /// The state read back after the write.
    pub after: Option<LeapStatusRecord>,
    /// The local copy checked first (`--check-file`), if one was given.
    pub file_check: Option<LeapFileCheckRecord>,
}

/// `ntpq leap --check-file`: a local leap-seconds file judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeapFileCheckRecord {
    /// `leap --check-file`.
    pub command: &'static str,
    /// The file as given.
    pub file: String,
    /// When it was judged (the local clock).
    pub checked_at: String,
    /// The findings.
    #[serde(flatten)]
    pub report: LeapFileReport,
}

#[cfg(test)]
mod tests {
    use super::super::calendar::utc_midnight;
    use super::*;

    fn state(leapsec: Option<i64>, expire: Option<i64>, leap: LeapIndicator) -> ServerLeapState {
        ServerLeapState {
            daemon: LeapDaemon::Ntpd,
            version: Some("ntpd 4.2.8p15".into()),
            leap,
            clock: Some(utc_midnight(2026, 11, 21) as f64),
            tai: Some(37),
            leapsec,
            expire,
            leap_warning: None,
            leap_indicator: None,
        }
    }

    #[test]
    fn requests_parse_and_map_to_bits() {
        for (text, bits) in [("add", 1), ("delete", 2), ("none", 3), ("pass", 0)] {
            let r: LeapRequest = text.parse().unwrap();
            assert_eq!(r.name(), text);
            assert_eq!(r.xntpd3_bits().to_bits(), bits);
        }
        assert!("insert".parse::<LeapRequest>().is_err());
    }

    #[test]
    fn xntpd3_picks_the_variable_by_window() {
        let jan = utc_midnight(2027, 1, 1) as f64;
        let w = plan_xntpd3(LeapRequest::Add, jan - 3600.0).unwrap();
        assert_eq!(
            (w.variable, w.payload().as_str()),
            ("leapindicator", "leapindicator=1")
        );
        let w = plan_xntpd3(LeapRequest::Delete, jan - 10.0 * 86_400.0).unwrap();
        assert_eq!(w.payload(), "leapwarning=2");
        assert_eq!(w.possible_leap, jan as i64);
        let err = plan_xntpd3(LeapRequest::Add, utc_midnight(2026, 11, 21) as f64).unwrap_err();
        assert_eq!(
            err.to_string(),
            "xntpd 3 accepts leap bits only in the 31 days before a possible leap (the end of June or December); the next, 2027-01-01T00:00:00Z, is 41.0 days away by the server's clock"
        );
    }

    #[test]
    fn xntpd3_read_back() {
        let jan = utc_midnight(2027, 1, 1) as f64;
        let w = plan_xntpd3(LeapRequest::Add, jan - 5.0 * 86_400.0).unwrap();
        let mut after = state(None, None, LeapIndicator::NoWarning);
        after.daemon = LeapDaemon::Xntpd3;
        after.leap_warning = Some(LeapIndicator::AddSecond);
        after.leap_indicator = Some(LeapIndicator::NoWarning);
        let v = judge_xntpd3(&w, &after);
        assert!(v.ok, "{v:?}");
        assert_eq!(
            v.message,
            "leapwarning=01 set: a leap second insertion at 2027-01-01T00:00:00Z"
        );
        after.leap_warning = Some(LeapIndicator::NoWarning);
        assert!(!judge_xntpd3(&w, &after).ok);
    }

    #[test]
    fn leapfile_outcomes() {
        let now = utc_midnight(2026, 11, 21) as f64;
        let jan = utc_midnight(2027, 1, 1);
        let june = utc_midnight(2027, 6, 28);
        let old = state(
            Some(utc_midnight(2017, 1, 1)),
            Some(utc_midnight(2026, 6, 28)),
            LeapIndicator::NoWarning,
        );
        let armed = state(Some(jan), Some(june), LeapIndicator::NoWarning);
        let v = judge_leapfile(LeapRequest::Add, &old, &armed, Some(jan), now);
        assert!(v.ok);
        assert!(
            v.message
                .starts_with("leap armed for 2027-01-01T00:00:00Z (41.0 days)"),
            "{}",
            v.message
        );
        let v = judge_leapfile(LeapRequest::Add, &old, &old, None, now);
        assert!(!v.ok);
        assert!(
            v.message.starts_with(
                "the server armed no leap: its table's newest transition is 2017-01-01T00:00:00Z"
            ),
            "{}",
            v.message
        );
        let v = judge_leapfile(
            LeapRequest::Add,
            &old,
            &armed,
            Some(utc_midnight(2027, 7, 1)),
            now,
        );
        assert!(!v.ok);
        assert!(judge_leapfile(LeapRequest::Pass, &armed, &old, None, now).ok);
        assert!(!judge_leapfile(LeapRequest::None, &armed, &armed, None, now).ok);
        let deleting = state(Some(jan), Some(june), LeapIndicator::DeleteSecond);
        assert!(!judge_leapfile(LeapRequest::Add, &old, &deleting, None, now).ok);
        assert!(judge_leapfile(LeapRequest::Delete, &old, &deleting, None, now).ok);
    }

    #[test]
    fn a_checked_file_must_agree_with_the_request() {
        let now = utc_midnight(2026, 11, 21);
        let file = |last: i32| {
            LeapSecondsFile::parse(
                &super::super::file::LeapFileSpec {
                    updated: 1,
                    expires: 2,
                    entries: vec![(3_692_217_600, 37), (3_976_214_400, last)],
                }
                .render(),
            )
        };
        // 3976214400 is 2026-01-01 (past); none after now.
        assert_eq!(
            expected_from_file(LeapRequest::Pass, &file(38), now),
            Ok(None)
        );
        assert!(expected_from_file(LeapRequest::Add, &file(38), now).is_err());
        let ahead = LeapSecondsFile::parse(
            &super::super::file::LeapFileSpec {
                updated: 1,
                expires: 2,
                entries: vec![(3_692_217_600, 37), (4_007_750_400, 38)],
            }
            .render(),
        );
        assert_eq!(
            expected_from_file(LeapRequest::Add, &ahead, now),
            Ok(Some(utc_midnight(2027, 1, 1)))
        );
        let err = expected_from_file(LeapRequest::Delete, &ahead, now).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the checked file announces an insertion for 2027-01-01T00:00:00Z, not the delete asked for"
        );
        assert!(expected_from_file(LeapRequest::None, &ahead, now).is_err());
    }
}
