//! NTP time formats (protocol notes §1): the 64-bit 32.32 timestamp, the 32-bit 16.16 short
//! format, era-aware conversion to and from Unix time, and the classic text renderings.
//!
//! Nothing here reads a clock: conversions that need "now" take it as a `pivot` parameter.

use std::fmt;
use std::str::FromStr;

use crate::error::DecodeError;

/// NTP seconds at the Unix epoch (1970-01-01 00:00:00 UTC), `JAN_1970` in ntpd.
pub const UNIX_EPOCH_NTP: u32 = 2_208_988_800;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A point in Unix time: whole seconds (may be negative) and nanoseconds within that second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixTime {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub secs: i64,
    /// Nanoseconds, 0..1_000_000_000.
    pub nanos: u32,
}

impl UnixTime {
    /// The time as floating-point seconds.
    #[must_use]
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
}

/// A 64-bit NTP timestamp (`l_fp`, RFC 5905 §6): 32 bits of seconds and 32 bits of fraction.
///
/// The seconds wrap every 2^32 s (an *era*, ~136 years); [`NtpTimestamp::to_unix`] picks the
/// era closest to a pivot time. As an *offset* (mode 7's `l_fp` offsets) the 64 bits are a
/// two's-complement signed value: see [`NtpTimestamp::as_offset_seconds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpTimestamp {
    /// Whole seconds since the start of the era.
    pub seconds: u32,
    /// Fraction of a second in units of 2^-32 s.
    pub fraction: u32,
}

impl NtpTimestamp {
    /// The all-zero timestamp, which NTP uses for "not set".
    pub const ZERO: Self = Self::new(0, 0);

    /// Builds a timestamp from its two words.
    #[must_use]
    pub const fn new(seconds: u32, fraction: u32) -> Self {
        Self { seconds, fraction }
    }

    /// Builds a timestamp from its 64-bit wire value.
    #[must_use]
    pub const fn from_bits(bits: u64) -> Self {
        Self::new((bits >> 32) as u32, bits as u32)
    }

    /// The 64-bit wire value.
    #[must_use]
    pub const fn to_bits(self) -> u64 {
        ((self.seconds as u64) << 32) | self.fraction as u64
    }

    /// Decodes the 8 network-order octets of the wire form.
    #[must_use]
    pub const fn from_be_bytes(bytes: [u8; 8]) -> Self {
        Self::from_bits(u64::from_be_bytes(bytes))
    }

    /// Encodes the 8 network-order octets of the wire form.
    #[must_use]
    pub const fn to_be_bytes(self) -> [u8; 8] {
        self.to_bits().to_be_bytes()
    }

    /// Whether both words are zero ("not set").
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.seconds == 0 && self.fraction == 0
    }

    /// Converts to Unix time, choosing the era that puts the result within ±2^31 s of
    /// `pivot_unix` (normally the local clock's "now"), as ntpd's `ntpcal_ntp_to_time` does.
    #[must_use]
    pub fn to_unix(self, pivot_unix: i64) -> UnixTime {
        let base = pivot_unix - (1 << 31);
        let since_1970 = i64::from(self.seconds) - i64::from(UNIX_EPOCH_NTP);
        let secs = base + (since_1970 - base).rem_euclid(1 << 32);
        UnixTime {
            secs,
            nanos: fraction_to_nanos(self.fraction),
        }
    }

    /// Converts a Unix time to an NTP timestamp (the era is implied by wrapping).
    #[must_use]
    pub fn from_unix(time: UnixTime) -> Self {
        let ntp_secs = (time.secs + i64::from(UNIX_EPOCH_NTP)).rem_euclid(1 << 32);
        Self::new(
            u32::try_from(ntp_secs).unwrap_or_default(),
            nanos_to_fraction(time.nanos),
        )
    }

    /// Interprets the 64 bits as a signed two's-complement offset in seconds.
    #[must_use]
    pub fn as_offset_seconds(self) -> f64 {
        self.to_bits().cast_signed() as f64 / 4_294_967_296.0
    }

    /// Encodes a signed offset in seconds as a two's-complement `l_fp` (saturating).
    #[must_use]
    pub fn from_offset_seconds(seconds: f64) -> Self {
        // `as` saturates for out-of-range floats and maps NaN to 0, which is what we want.
        let raw = (seconds * 4_294_967_296.0) as i64;
        Self::from_bits(raw.cast_unsigned())
    }

    /// Milliseconds of the fraction as ntpd's printers compute them (`fraction / 4294967`),
    /// clamped to 999.
    #[must_use]
    pub fn millis(self) -> u32 {
        (self.fraction / 4_294_967).min(999)
    }

    /// The classic date form, e.g. `Sat, Nov 21 2026  4:41:02.123`, in the time zone that is
    /// `utc_offset_secs` east of UTC, with the era chosen around `pivot_unix`.
    #[must_use]
    pub fn date_string(self, pivot_unix: i64, utc_offset_secs: i32) -> String {
        let unix = self.to_unix(pivot_unix);
        let civil = CivilTime::from_unix(unix.secs + i64::from(utc_offset_secs));
        format!(
            "{}, {} {:>2} {} {:>2}:{:02}:{:02}.{:03}",
            civil.weekday_name(),
            civil.month_name(),
            civil.day,
            civil.year,
            civil.hour,
            civil.minute,
            civil.second,
            self.millis(),
        )
    }

    /// ntpq's "prettydate": the hex form, two spaces, and [`NtpTimestamp::date_string`].
    #[must_use]
    pub fn pretty(self, pivot_unix: i64, utc_offset_secs: i32) -> String {
        format!("{self}  {}", self.date_string(pivot_unix, utc_offset_secs))
    }
}

/// Hex form `e8a1b2c3.d4e5f607` (mode 6 values add a `0x` prefix: `format!("0x{ts}")`).
impl fmt::Display for NtpTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}.{:08x}", self.seconds, self.fraction)
    }
}

/// Parses the hex form, with or without `0x`, as mode 6 variable values carry it.
impl FromStr for NtpTimestamp {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DecodeError::BadValue {
            field: "timestamp",
            value: s.to_owned(),
        };
        let hex = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        let (secs, frac) = hex.split_once('.').ok_or_else(bad)?;
        let word = |w: &str| {
            if w.is_empty() || w.len() > 8 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            u32::from_str_radix(w, 16).map_err(|_| bad())
        };
        Ok(Self::new(word(secs)?, word(frac)?))
    }
}

/// The 32-bit NTP short format (16.16 fixed point): root delay and root dispersion in the
/// packet header, `s_fp`/`u_fp` in mode 7 items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NtpShort(pub u32);

impl NtpShort {
    /// The value as unsigned seconds (`u_fp`).
    #[must_use]
    pub fn seconds(self) -> f64 {
        f64::from(self.0) / 65_536.0
    }

    /// The value as signed seconds (`s_fp`, two's complement).
    #[must_use]
    pub fn signed_seconds(self) -> f64 {
        f64::from(self.0.cast_signed()) / 65_536.0
    }

    /// Encodes seconds, truncating as ntpd does; negative values become two's complement and
    /// out-of-range values saturate.
    #[must_use]
    pub fn from_seconds(seconds: f64) -> Self {
        if seconds < 0.0 {
            Self(((seconds * 65_536.0) as i32).cast_unsigned())
        } else {
            Self((seconds * 65_536.0) as u32)
        }
    }
}

/// A broken-down UTC (or offset-adjusted) calendar time, proleptic Gregorian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month 1..=12.
    pub month: u8,
    /// Day of the month 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=59.
    pub second: u8,
    /// Day of the week, 0 = Sunday.
    pub weekday: u8,
}

impl CivilTime {
    /// Breaks down a count of seconds since 1970-01-01 00:00:00.
    #[must_use]
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // Every narrowing below is of a value already reduced into a small range.
        Self {
            year,
            month: narrow(month),
            day: narrow(day),
            hour: narrow(tod / 3600),
            minute: narrow(tod / 60 % 60),
            second: narrow(tod % 60),
            weekday: narrow((days + 4).rem_euclid(7)),
        }
    }

    /// Seconds since 1970-01-01 00:00:00 for this calendar time (weekday is ignored).
    #[must_use]
    pub fn to_unix(&self) -> i64 {
        days_from_civil(self.year, i64::from(self.month), i64::from(self.day)) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Three-letter weekday name, `Sun`..`Sat`.
    #[must_use]
    pub fn weekday_name(&self) -> &'static str {
        WEEKDAYS
            .get(usize::from(self.weekday))
            .copied()
            .unwrap_or("???")
    }

    /// Three-letter month name, `Jan`..`Dec`.
    #[must_use]
    pub fn month_name(&self) -> &'static str {
        MONTHS
            .get(usize::from(self.month).wrapping_sub(1))
            .copied()
            .unwrap_or("???")
    }

    /// The C library's `ctime` layout without its newline, e.g. `Sat Nov 21 06:47:53 2026`
    /// (the second header line of an `ntp-keygen` keys file, protocol notes §8.5).
    #[must_use]
    pub fn ctime(&self) -> String {
        format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {}",
            self.weekday_name(),
            self.month_name(),
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }
}

fn narrow(v: i64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

fn fraction_to_nanos(fraction: u32) -> u32 {
    // Round to nearest, staying inside the second.
    (((u64::from(fraction) * 1_000_000_000 + (1 << 31)) >> 32) as u32).min(999_999_999)
}

fn nanos_to_fraction(nanos: u32) -> u32 {
    // Round to nearest so that nanos -> fraction -> nanos is the identity.
    (((u64::from(nanos.min(999_999_999)) << 32) + 500_000_000) / 1_000_000_000) as u32
}

/// Days since 1970-01-01 → (year, month, day), after H. Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01, the inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // 2026-11-21 04:41:02 UTC.
    const NOV21: i64 = 1_795_236_062;

    #[test]
    fn hex_round_trip() {
        let ts = NtpTimestamp::new(0xe8a1_b2c3, 0xd4e5_f607);
        assert_eq!(ts.to_string(), "e8a1b2c3.d4e5f607");
        for text in ["e8a1b2c3.d4e5f607", "0xe8a1b2c3.d4e5f607"] {
            assert_eq!(text.parse::<NtpTimestamp>().unwrap(), ts);
        }
        for bad in [
            "",
            "0x",
            "e8a1b2c3",
            "e8a1b2c3.",
            "123456789.0",
            "zz.00",
            ".1",
        ] {
            assert!(bad.parse::<NtpTimestamp>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bits_and_bytes() {
        let ts = NtpTimestamp::from_bits(0xe4a1_b2c3_8000_0000);
        assert_eq!(ts, NtpTimestamp::new(0xe4a1_b2c3, 0x8000_0000));
        assert_eq!(ts.to_be_bytes(), [0xe4, 0xa1, 0xb2, 0xc3, 0x80, 0, 0, 0]);
        assert_eq!(NtpTimestamp::from_be_bytes(ts.to_be_bytes()), ts);
        assert!(NtpTimestamp::ZERO.is_zero());
    }

    #[test]
    fn unix_epoch_and_eras() {
        let epoch = NtpTimestamp::new(UNIX_EPOCH_NTP, 0);
        assert_eq!(epoch.to_unix(0).secs, 0);
        // Era 0 ends 2036-02-07 06:28:16 UTC; seconds 0 after a 2036 pivot is era 1.
        let era1_start = 2_085_978_496;
        assert_eq!(NtpTimestamp::new(0, 0).to_unix(era1_start).secs, era1_start);
        assert_eq!(
            NtpTimestamp::new(u32::MAX, 0).to_unix(era1_start).secs,
            era1_start - 1
        );
        assert_eq!(
            NtpTimestamp::from_unix(UnixTime {
                secs: era1_start,
                nanos: 0
            })
            .seconds,
            0
        );
    }

    #[test]
    fn classic_date_form() {
        let ts = NtpTimestamp::from_unix(UnixTime {
            secs: NOV21,
            nanos: 123_456_789,
        });
        assert_eq!(ts.date_string(NOV21, 0), "Sat, Nov 21 2026  4:41:02.123");
        assert_eq!(
            ts.pretty(NOV21, 0),
            format!("{ts}  Sat, Nov 21 2026  4:41:02.123")
        );
        assert_eq!(ts.date_string(NOV21, 3600), "Sat, Nov 21 2026  5:41:02.123");
        assert_eq!(
            ts.date_string(NOV21, -5 * 3600),
            "Fri, Nov 20 2026 23:41:02.123"
        );
    }

    #[test]
    fn offsets_are_twos_complement() {
        for (secs, bits) in [
            (0.5, 0x0000_0000_8000_0000_u64),
            (-0.5, 0xffff_ffff_8000_0000),
            (-1.0, 0xffff_ffff_0000_0000),
            (2.25, 0x0000_0002_4000_0000),
        ] {
            assert_eq!(NtpTimestamp::from_offset_seconds(secs).to_bits(), bits);
            assert!((NtpTimestamp::from_bits(bits).as_offset_seconds() - secs).abs() < 1e-9);
        }
    }

    #[test]
    fn short_format() {
        assert!((NtpShort(0x0001_8000).seconds() - 1.5).abs() < 1e-12);
        assert!((NtpShort(0xffff_8000).signed_seconds() + 0.5).abs() < 1e-12);
        assert_eq!(NtpShort::from_seconds(1.5), NtpShort(0x0001_8000));
        assert_eq!(NtpShort::from_seconds(-0.5), NtpShort(0xffff_8000));
    }

    #[test]
    fn civil_known_dates() {
        let c = CivilTime::from_unix(NOV21);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.second),
            (2026, 11, 21, 4, 41, 2)
        );
        assert_eq!(c.weekday_name(), "Sat");
        assert_eq!(c.to_unix(), NOV21);
        let leap_day = CivilTime::from_unix(951_782_400); // 2000-02-29
        assert_eq!((leap_day.month, leap_day.day), (2, 29));
    }

    #[test]
    fn ctime_layout() {
        assert_eq!(
            CivilTime::from_unix(NOV21).ctime(),
            "Sat Nov 21 04:41:02 2026"
        );
        // Days below 10 are space-padded, as the C library does.
        assert_eq!(
            CivilTime::from_unix(1_491_004_800).ctime(),
            "Sat Apr  1 00:00:00 2017"
        );
    }

    proptest! {
        #[test]
        fn unix_round_trip(secs in -(1_i64 << 31)..(1_i64 << 33), nanos in 0_u32..1_000_000_000) {
            let t = UnixTime { secs, nanos };
            prop_assert_eq!(NtpTimestamp::from_unix(t).to_unix(secs), t);
        }

        #[test]
        fn civil_round_trip(secs in -(1_i64 << 40)..(1_i64 << 40)) {
            prop_assert_eq!(CivilTime::from_unix(secs).to_unix(), secs);
        }

        #[test]
        fn hex_text_round_trip(bits: u64) {
            let ts = NtpTimestamp::from_bits(bits);
            prop_assert_eq!(ts.to_string().parse::<NtpTimestamp>().unwrap(), ts);
        }
    }
}
