//! ntpdc's classic text layouts, written from decoded mode 7 items.
//!
//! The layouts follow ntpdc 4.2.8p15 as the lab's reference binary prints them, with one
//! deliberate change: addresses are never cut to a column width, so IPv6 peers show in full
//! (a remote too long for its column goes on a line of its own, as `ntpq -w` does).

mod peers;
mod stats;
mod system;

pub use peers::{listpeers, peers, pstats, showpeer};
pub use stats::{authinfo, clkbug, clockstat, ctlstats, ifstats, iostats, memstats, timerstats};
pub use system::{kerninfo, loopinfo, monlist, reslist, sysinfo, sysstats, traps};

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use ntpkit::packet::refclock_name;
use ntpkit::time::NtpTimestamp;

/// Names of addresses for `hostnames yes`: each address is looked up once (reverse DNS,
/// `/etc/hosts` first as the system resolver does), given up after a bound so that a slow
/// resolver never stalls a table.
#[derive(Debug)]
pub struct Names {
    known: Mutex<BTreeMap<IpAddr, Option<String>>>,
    bound: Duration,
}

/// No lookups at all: every address stays an address.
#[cfg(test)]
pub static NO_NAMES: Names = Names::new(Duration::ZERO);

impl Names {
    /// Lookups bounded by `bound` (none at all when it is zero).
    #[must_use]
    pub const fn new(bound: Duration) -> Self {
        Self {
            known: Mutex::new(BTreeMap::new()),
            bound,
        }
    }

    /// Names known beforehand, and no lookups for other addresses.
    #[cfg(test)]
    #[must_use]
    pub fn known(names: impl IntoIterator<Item = (IpAddr, String)>) -> Self {
        let known = names
            .into_iter()
            .map(|(ip, name)| (ip, Some(name)))
            .collect();
        Self {
            known: Mutex::new(known),
            bound: Duration::ZERO,
        }
    }

    /// The name of `ip`, if it has one.
    pub fn name(&self, ip: IpAddr) -> Option<String> {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known
            .entry(ip)
            .or_insert_with(|| {
                if self.bound.is_zero() {
                    None
                } else {
                    ntpkit::transport::reverse_lookup(ip, self.bound)
                }
            })
            .clone()
    }
}

/// How addresses and dates are shown.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// Show reference clocks and addresses by name.
    pub hostnames: bool,
    /// Unix time now, the pivot for timestamp eras.
    pub now: i64,
    /// Local time zone offset east of UTC, seconds, for dates.
    pub utc_offset: i32,
    /// Names of addresses, used when `hostnames` is on.
    pub names: &'a Names,
}

impl View<'_> {
    /// ntpdc's `nntohost`: a name when names are shown, else the address.
    #[must_use]
    pub fn host(&self, addr: IpAddr) -> String {
        if !self.hostnames || addr.is_unspecified() {
            return addr.to_string();
        }
        if let IpAddr::V4(v4) = addr
            && let Some(name) = refclock_name(v4)
        {
            return name;
        }
        self.names.name(addr).unwrap_or_else(|| addr.to_string())
    }

    /// ntpd's `prettydate` in the local zone, or `(no time)` for a zero timestamp.
    #[must_use]
    pub fn date(&self, ts: NtpTimestamp) -> String {
        if ts.is_zero() {
            "(no time)".to_owned()
        } else {
            ts.pretty(self.now, self.utc_offset)
        }
    }
}

/// C's `%g`: six significant digits, trailing zeros dropped, exponent form for very small or
/// large magnitudes (as `kerninfo` prints its times).
#[must_use]
pub fn c_g(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    if !value.is_finite() {
        return value.to_string();
    }
    let exp = value.abs().log10().floor() as i32;
    // Rounding to six digits may carry into the next power of ten.
    let sci = format!("{value:.5e}");
    let (mantissa, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp = e.parse::<i32>().unwrap_or(exp);
    if !(-4..6).contains(&exp) {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        trim_zeros(&format!("{value:.decimals$}")).to_owned()
    }
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// A field padded to `width` on the right, never cut.
fn left(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_g() {
        assert_eq!(c_g(0.0), "0");
        assert_eq!(c_g(0.776516), "0.776516");
        assert_eq!(c_g(1.6e-05), "1.6e-05");
        assert_eq!(c_g(1e-06), "1e-06");
        assert_eq!(c_g(0.0001), "0.0001");
        assert_eq!(c_g(123456.7), "123457");
        assert_eq!(c_g(1234567.0), "1.23457e+06");
        assert_eq!(c_g(-0.5), "-0.5");
        assert_eq!(c_g(999999.7), "1e+06");
        assert_eq!(c_g(16.0), "16");
    }

    #[test]
    fn hosts_by_view() {
        let names = Names::known([("10.77.0.2".parse().unwrap(), "ntp2".to_owned())]);
        let mut view = View {
            hostnames: true,
            now: 0,
            utc_offset: 0,
            names: &names,
        };
        assert_eq!(view.host("127.127.1.0".parse().unwrap()), "LOCAL(0)");
        assert_eq!(view.host("10.77.0.2".parse().unwrap()), "ntp2");
        assert_eq!(view.host("10.77.0.3".parse().unwrap()), "10.77.0.3");
        view.hostnames = false;
        assert_eq!(view.host("127.127.1.0".parse().unwrap()), "127.127.1.0");
        assert_eq!(view.date(NtpTimestamp::ZERO), "(no time)");
    }
}
