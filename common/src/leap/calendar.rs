//! Leap second dates: ISO renderings, the daemons' two spellings of a leap table time
//! (`leapsec=202701010000` from ntpd 4.2.8, `leapsec="2027-01-01T00:00Z"` from NTPsec), the
//! rule both daemons apply to a table entry (00:00 UTC on the first of a month), and xntpd 3's
//! leap windows (protocol notes §6.3.1).
//!
//! Every function takes "now" as a parameter; nothing here reads a clock.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::time::{CivilTime, UNIX_EPOCH_NTP};

/// Seconds in a day.
pub const DAY_S: i64 = 86_400;

/// xntpd 3 accepts `leapwarning` only this close to a possible leap instant (31 days,
/// `OKAYTOSETWARNING` in its `ntp_leap.c`).
pub const XNTPD3_WARNING_WINDOW_S: i64 = 31 * DAY_S;

/// xntpd 3 accepts `leapindicator` only this close to a possible leap instant (24 hours,
/// `DAYBEFORE`); ntpd 4.2.8 and NTPsec announce a leap from their table (`leap=01`) in the same
/// last day only.
pub const ANNOUNCE_WINDOW_S: i64 = DAY_S;

/// A count of NTP seconds (era 0, as a leap-seconds file writes them) as Unix seconds.
#[must_use]
pub fn ntp_seconds_to_unix(ntp: u64) -> i64 {
    i64::try_from(ntp).unwrap_or(i64::MAX) - i64::from(UNIX_EPOCH_NTP)
}

/// Unix seconds as a count of NTP seconds since 1900 (saturating at 0 before 1900).
#[must_use]
pub fn unix_to_ntp_seconds(unix: i64) -> u64 {
    u64::try_from(unix.saturating_add(i64::from(UNIX_EPOCH_NTP))).unwrap_or(0)
}

/// `2027-01-01T00:00:00Z`.
#[must_use]
pub fn iso_utc(unix: i64) -> String {
    let c = CivilTime::from_unix(unix);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2027-01-01` (the day a transition starts).
#[must_use]
pub fn iso_date(unix: i64) -> String {
    let c = CivilTime::from_unix(unix);
    format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
}

/// Unix seconds of 00:00:00 UTC on a calendar day.
#[must_use]
pub fn utc_midnight(year: i64, month: u8, day: u8) -> i64 {
    CivilTime {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        weekday: 0,
    }
    .to_unix()
}

/// Whether `unix` is 00:00:00 UTC on the first day of a month: the only transition times ntpd
/// 4.2.8 and NTPsec 1.2.2 load from a leap-seconds file (others: "bad transition time").
#[must_use]
pub fn is_month_start(unix: i64) -> bool {
    let c = CivilTime::from_unix(unix);
    c.day == 1 && c.hour == 0 && c.minute == 0 && c.second == 0
}

/// A leap table time as the daemons report it in `leapsec` and `expire`: ntpd 4.2.8's
/// filestamp `YYYYMMDDhhmm` (UTC, notes §1), or NTPsec's `YYYY-MM-DDThh:mm[:ss]Z`, with or
/// without quotes. `None` for anything else.
#[must_use]
pub fn parse_leap_time(text: &str) -> Option<i64> {
    let t = text.trim().trim_matches('"');
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day, hour, minute, second) = if t.len() == 12 && !t.contains('-') {
        (
            num(t.get(0..4)?)?,
            num(t.get(4..6)?)?,
            num(t.get(6..8)?)?,
            num(t.get(8..10)?)?,
            num(t.get(10..12)?)?,
            0,
        )
    } else {
        let body = t.strip_suffix('Z')?;
        let (date, time) = body.split_once('T')?;
        let mut d = date.split('-');
        let (y, mo, da) = (d.next()?, d.next()?, d.next()?);
        if d.next().is_some() || y.len() != 4 || mo.len() != 2 || da.len() != 2 {
            return None;
        }
        let mut tm = time.split(':');
        let (h, mi) = (tm.next()?, tm.next()?);
        let s = tm.next().unwrap_or("00");
        if tm.next().is_some() || h.len() != 2 || mi.len() != 2 || s.len() != 2 {
            return None;
        }
        (num(y)?, num(mo)?, num(da)?, num(h)?, num(mi)?, num(s)?)
    };
    let small = |v: i64, max: i64| u8::try_from(v).ok().filter(|&v| i64::from(v) <= max);
    let civil = CivilTime {
        year,
        month: small(month, 12).filter(|&m| m >= 1)?,
        day: small(day, 31).filter(|&d| d >= 1)?,
        hour: small(hour, 23)?,
        minute: small(minute, 59)?,
        second: small(second, 59)?,
        weekday: 0,
    };
    let unix = civil.to_unix();
    // Reject dates that do not exist (31 June rolls over to 1 July).
    (CivilTime::from_unix(unix).day == civil.day).then_some(unix)
}

/// The next instant at which xntpd 3 considers a leap second possible, strictly after `now`:
/// 00:00 UTC on 1 January or 1 July (the end of December or June, its `calleapwhen`).
#[must_use]
pub fn next_possible_leap(now_unix: i64) -> i64 {
    let year = CivilTime::from_unix(now_unix).year;
    [
        utc_midnight(year, 7, 1),
        utc_midnight(year + 1, 1, 1),
        utc_midnight(year + 1, 7, 1),
    ]
    .into_iter()
    .find(|&t| t > now_unix)
    .unwrap_or_else(|| utc_midnight(year + 2, 1, 1))
}

/// Which of xntpd 3's writable leap variables its window rules accept `secs_to_leap` seconds
/// before a possible leap (notes §6.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Xntpd3Window {
    /// The last 24 hours: `leapindicator` (and `leapwarning`).
    Indicator,
    /// The last 31 days: `leapwarning` only.
    Warning,
    /// Neither: xntpd 3 answers a write with PERMISSION.
    Closed,
}

impl Xntpd3Window {
    /// The window `secs_to_leap` seconds before a possible leap instant.
    #[must_use]
    pub fn at(secs_to_leap: i64) -> Self {
        if secs_to_leap <= ANNOUNCE_WINDOW_S {
            Self::Indicator
        } else if secs_to_leap <= XNTPD3_WARNING_WINDOW_S {
            Self::Warning
        } else {
            Self::Closed
        }
    }

    /// `indicator`, `warning` or `closed`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Indicator => "indicator",
            Self::Warning => "warning",
            Self::Closed => "closed",
        }
    }
}

/// Days from `now` to `then` (negative when `then` is past), to the thousandth (86 s).
#[must_use]
pub fn days_between(now_unix: f64, then_unix: i64) -> f64 {
    ((then_unix as f64 - now_unix) / DAY_S as f64 * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_times_in_both_spellings() {
        let jan = utc_midnight(2027, 1, 1);
        for text in [
            "202701010000",
            "2027-01-01T00:00Z",
            "\"2027-01-01T00:00Z\"",
            "2027-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_leap_time(text), Some(jan), "{text}");
        }
        assert_eq!(
            parse_leap_time("202606280000"),
            Some(utc_midnight(2026, 6, 28))
        );
        for bad in [
            "",
            "2027010100",
            "20270101000x",
            "202702300000",
            "2027-13-01T00:00Z",
            "2027-01-01 00:00",
            "2027-1-01T00:00Z",
            "202701012400",
        ] {
            assert_eq!(parse_leap_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_renderings() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso_utc(utc_midnight(2027, 1, 1) + 3661),
            "2027-01-01T01:01:01Z"
        );
        assert_eq!(iso_date(utc_midnight(2026, 12, 31) + 86_399), "2026-12-31");
        assert_eq!(ntp_seconds_to_unix(3_692_217_600), utc_midnight(2017, 1, 1));
        assert_eq!(unix_to_ntp_seconds(utc_midnight(2017, 1, 1)), 3_692_217_600);
        assert_eq!(unix_to_ntp_seconds(-3_000_000_000), 0);
    }

    #[test]
    fn month_starts() {
        assert!(is_month_start(utc_midnight(2026, 12, 1)));
        assert!(!is_month_start(utc_midnight(2026, 12, 15)));
        assert!(!is_month_start(utc_midnight(2026, 12, 1) + 1));
    }

    #[test]
    fn possible_leaps_are_the_ends_of_june_and_december() {
        let jul = utc_midnight(2026, 7, 1);
        let jan = utc_midnight(2027, 1, 1);
        assert_eq!(next_possible_leap(utc_midnight(2026, 3, 5)), jul);
        assert_eq!(next_possible_leap(jul - 1), jul);
        assert_eq!(next_possible_leap(jul), jan);
        assert_eq!(next_possible_leap(utc_midnight(2026, 11, 21)), jan);
        assert_eq!(next_possible_leap(jan - 1), jan);
        assert_eq!(next_possible_leap(jan), utc_midnight(2027, 7, 1));
    }

    #[test]
    fn xntpd3_windows() {
        assert_eq!(Xntpd3Window::at(3600), Xntpd3Window::Indicator);
        assert_eq!(Xntpd3Window::at(DAY_S), Xntpd3Window::Indicator);
        assert_eq!(Xntpd3Window::at(DAY_S + 1), Xntpd3Window::Warning);
        assert_eq!(Xntpd3Window::at(31 * DAY_S), Xntpd3Window::Warning);
        assert_eq!(Xntpd3Window::at(31 * DAY_S + 1), Xntpd3Window::Closed);
        assert!((days_between(0.0, DAY_S * 3 / 2) - 1.5).abs() < 1e-9);
    }
}
