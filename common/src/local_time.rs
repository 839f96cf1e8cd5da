//! The local time zone's offset from UTC, for dates printed in local time as the classic tools'
//! `prettydate` prints them.
//!
//! **Not sans-IO.** Like [`transport`](crate::transport), this module touches the system: it
//! asks the maintained `chrono` crate, which reads `$TZ` (a zone name, a TZif file or a POSIX
//! rule) or else `/etc/localtime`. It lives in `ntpkit` so that every tool that prints local
//! dates (`ntpq`, `ntpdc`) uses one implementation; the renderings themselves
//! ([`NtpTimestamp::pretty`](crate::time::NtpTimestamp::pretty),
//! [`CookOptions`](crate::format::vars::CookOptions)) still take the offset as a parameter.

use chrono::{Local, Offset, TimeZone};

/// The local time zone's offset east of UTC, in seconds, at `unix` seconds since 1970; 0 (UTC)
/// for an instant the zone cannot express.
#[must_use]
pub fn utc_offset_at(unix: i64) -> i32 {
    Local
        .timestamp_opt(unix, 0)
        .single()
        .map_or(0, |t| t.offset().fix().local_minus_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_within_a_day_and_out_of_range_instants_are_utc() {
        // The machine's zone is whatever it is; its offsets are whole minutes within a day.
        for unix in [0, 1_000_000_000, 1_800_000_000, 4_102_444_800] {
            let offset = utc_offset_at(unix);
            assert!(
                offset.abs() < 86_400 && offset % 60 == 0,
                "{unix}: {offset}"
            );
        }
        assert_eq!(utc_offset_at(i64::MAX), 0);
    }
}
