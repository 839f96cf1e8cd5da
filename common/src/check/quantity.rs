//! Quantities on a check's command line: durations that carry their unit (`50ms`, `0.05s`,
//! `500us`), day counts, and limits given as `CRIT` or `WARN,CRIT`; and the human rendering of
//! seconds in status lines.
//!
//! A duration without a unit is refused (except `0`): the habit this check replaces, reading
//! `ntpq -p`, is exactly where milliseconds get mistaken for seconds.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A value on the command line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("'{text}': {reason}")]
pub struct QuantityError {
    /// The text given.
    pub text: String,
    /// What was expected.
    pub reason: &'static str,
}

impl QuantityError {
    /// An error about `text`.
    #[must_use]
    pub fn new(text: &str, reason: &'static str) -> Self {
        Self {
            text: text.to_owned(),
            reason,
        }
    }
}

/// Units a duration may carry, longest suffix first so that `ms` is not read as `s`.
const UNITS: [(&str, f64); 6] = [
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("sec", 1.0),
    ("s", 1.0),
];

/// Reads a non-negative duration with its unit (`ns`, `us`/`µs`, `ms`, `s`) into seconds:
/// `50ms` → 0.05, `0.05s` → 0.05, `500us` → 0.0005. A bare `0` is accepted.
///
/// # Errors
/// No unit, an unknown unit, a negative, infinite or unparsable number.
pub fn parse_seconds(text: &str) -> Result<f64, QuantityError> {
    let t = text.trim();
    let (number, scale) = match UNITS
        .iter()
        .find_map(|(unit, scale)| t.strip_suffix(unit).map(|n| (n.trim_end(), *scale)))
    {
        Some(found) => found,
        None if t.parse::<f64>().is_ok_and(|v| v == 0.0) => (t, 1.0),
        None => {
            return Err(QuantityError::new(
                text,
                "a duration needs a unit: s, ms, us or ns (as in 50ms, 0.05s, 500us)",
            ));
        }
    };
    let value = number
        .parse::<f64>()
        .map_err(|_| QuantityError::new(text, "not a number followed by s, ms, us or ns"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(QuantityError::new(
            text,
            "a duration must be a finite number of at least 0",
        ));
    }
    Ok(value * scale)
}

/// Reads a number of days (`30`, `7.5`; a `d` suffix is allowed).
///
/// # Errors
/// Not a finite number.
pub fn parse_days(text: &str) -> Result<f64, QuantityError> {
    let t = text.trim();
    let number = t.strip_suffix('d').unwrap_or(t).trim_end();
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(QuantityError::new(text, "expected a number of days")),
    }
}

/// A limit with up to two levels: crossing `warn` gives WARNING, crossing `crit` CRITICAL.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limit<T> {
    /// The WARNING level.
    pub warn: Option<T>,
    /// The CRITICAL level.
    pub crit: Option<T>,
}

impl<T: Copy> Limit<T> {
    /// No levels: the quantity is reported but not judged.
    #[must_use]
    pub const fn none() -> Self {
        Self {
            warn: None,
            crit: None,
        }
    }

    /// Whether either level is set.
    #[must_use]
    pub const fn is_set(&self) -> bool {
        self.warn.is_some() || self.crit.is_some()
    }

    /// Reads `CRIT` or `WARN,CRIT` with `level` reading each part.
    ///
    /// # Errors
    /// A part `level` refuses, or more than two parts.
    pub fn parse_with(
        text: &str,
        level: impl Fn(&str) -> Result<T, QuantityError>,
    ) -> Result<Self, QuantityError> {
        let parts: Vec<&str> = text.split(',').collect();
        match parts.as_slice() {
            [crit] => Ok(Self {
                warn: None,
                crit: Some(level(crit)?),
            }),
            [warn, crit] => Ok(Self {
                warn: Some(level(warn)?),
                crit: Some(level(crit)?),
            }),
            _ => Err(QuantityError::new(
                text,
                "expected CRIT or WARN,CRIT (one or two values)",
            )),
        }
    }
}

impl FromStr for Limit<u32> {
    type Err = QuantityError;

    /// `CRIT` or `WARN,CRIT`, whole numbers.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_with(s, |part| {
            part.trim()
                .parse::<u32>()
                .map_err(|_| QuantityError::new(part, "expected a whole number"))
        })
    }
}

/// Seconds as a status line shows them: in s, ms or us by magnitude, three decimals, with
/// the sign when `signed` (`+0.026 ms`, `-2.500 s`, `512.0 us`).
#[must_use]
pub fn format_seconds(seconds: f64, signed: bool) -> String {
    let a = seconds.abs();
    let (value, unit, decimals) = if a >= 1.0 {
        (seconds, "s", 3)
    } else if a >= 1e-3 {
        (seconds * 1e3, "ms", 3)
    } else {
        (seconds * 1e6, "us", 1)
    };
    if signed {
        format!("{value:+.decimals$} {unit}")
    } else {
        format!("{value:.decimals$} {unit}")
    }
}

/// A number as performance data and OpenMetrics show it: the shortest text that reads back
/// to the same value, never in exponent form (many graphers refuse `1e-05`).
pub struct PlainNumber(pub f64);

impl fmt::Display for PlainNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v == 0.0 {
            // Never "-0".
            return f.write_str("0");
        }
        // Rust's Display of f64 is already the shortest round-trip text without exponent.
        write!(f, "{v}")
    }
}

impl fmt::Debug for PlainNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_and_honour_units() {
        for (text, want) in [
            ("50ms", 0.05),
            ("0.05s", 0.05),
            ("500us", 0.0005),
            ("500µs", 0.0005),
            ("2 s", 2.0),
            ("1sec", 1.0),
            ("250ns", 2.5e-7),
            ("0", 0.0),
            (" 1.5ms ", 0.0015),
        ] {
            let got = parse_seconds(text).unwrap();
            assert!((got - want).abs() < 1e-15, "{text}: {got}");
        }
        for bad in ["50", "0.05", "ms", "-1ms", "infs", "5 minutes", "1m", ""] {
            let err = parse_seconds(bad).unwrap_err();
            assert_eq!(err.text, bad);
        }
        assert!(
            parse_seconds("50")
                .unwrap_err()
                .to_string()
                .contains("needs a unit")
        );
    }

    #[test]
    fn days_and_limits() {
        assert_eq!(parse_days("30").unwrap(), 30.0);
        assert_eq!(parse_days("7.5d").unwrap(), 7.5);
        assert!(parse_days("soon").is_err());
        assert_eq!(
            "4".parse::<Limit<u32>>().unwrap(),
            Limit {
                warn: None,
                crit: Some(4)
            }
        );
        assert_eq!(
            "3,4".parse::<Limit<u32>>().unwrap(),
            Limit {
                warn: Some(3),
                crit: Some(4)
            }
        );
        for bad in ["", "1,2,3", "x", "-1", "3,"] {
            assert!(bad.parse::<Limit<u32>>().is_err(), "{bad}");
        }
        let days = Limit::parse_with("60,30", parse_days).unwrap();
        assert_eq!((days.warn, days.crit), (Some(60.0), Some(30.0)));
        assert!(!Limit::<u32>::none().is_set());
    }

    #[test]
    fn seconds_read_naturally() {
        assert_eq!(format_seconds(2.5, true), "+2.500 s");
        assert_eq!(format_seconds(-0.3, true), "-300.000 ms");
        assert_eq!(format_seconds(2.6e-5, true), "+26.0 us");
        assert_eq!(format_seconds(0.0125, false), "12.500 ms");
        assert_eq!(PlainNumber(2.6e-5).to_string(), "0.000026");
        assert_eq!(PlainNumber(-0.0).to_string(), "0");
        assert_eq!(PlainNumber(16.0).to_string(), "16");
        assert_eq!(PlainNumber(-0.3).to_string(), "-0.3");
    }
}
