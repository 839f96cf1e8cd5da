//! Reference-clock pseudo-addresses: ntpd names a local reference clock `127.127.t.u`, with
//! `t` the driver type and `u` the unit, and ntpq shows it as `NAME(u)`.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::net::{IpAddr, Ipv4Addr};

/// Whether `addr` is a reference-clock pseudo-address, i.e. an IPv4 address in
/// `127.127.0.0/16` (ntpd's `ISREFCLOCKADR`).
#[must_use]
pub fn is_refclock_addr(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => matches!(v4.octets(), [127, 127, _, _]),
        IpAddr::V6(_) => false,
    }
}

/// The short name of classic ntpd reference-clock driver type `driver` (as ntpq prints it),
/// or `None` for numbers that never had a driver.
///
/// The table follows ntp.org 4.2.8's driver list (types 1–46); type 0 is the placeholder
/// `UNKNOWN`, and the unused numbers 15 and 23–25 have no name.
#[must_use]
pub const fn refclock_type_name(driver: u8) -> Option<&'static str> {
    Some(match driver {
        0 => "UNKNOWN",
        1 => "LOCAL",
        2 => "GPS_TRAK",
        3 => "WWV_PST",
        4 => "SPECTRACOM",
        5 => "TRUETIME",
        6 => "IRIG_AUDIO",
        7 => "CHU_AUDIO",
        8 => "GENERIC",
        9 => "GPS_MX4200",
        10 => "GPS_AS2201",
        11 => "GPS_ARBITER",
        12 => "IRIG_TPRO",
        13 => "ATOM_LEITCH",
        14 => "MSF_EES",
        16 => "GPS_BANC",
        17 => "GPS_DATUM",
        18 => "ACTS_MODEM",
        19 => "WWV_HEATH",
        20 => "GPS_NMEA",
        21 => "GPS_VME",
        22 => "PPS",
        26 => "GPS_HP",
        27 => "MSF_ARCRON",
        28 => "SHM",
        29 => "GPS_PALISADE",
        30 => "GPS_ONCORE",
        31 => "GPS_JUPITER",
        32 => "CHRONOLOG",
        33 => "DUMBCLOCK",
        34 => "ULINK_M320",
        35 => "PCF",
        36 => "WWV_AUDIO",
        37 => "GPS_FG",
        38 => "HOPF_S",
        39 => "HOPF_P",
        40 => "JJY",
        41 => "TT_IRIG",
        42 => "GPS_ZYFER",
        43 => "GPS_RIPENCC",
        44 => "NEOCLK4X",
        45 => "PCI_TSYNC",
        46 => "GPSD_JSON",
        _ => return None,
    })
}

/// ntpq's name for the reference clock at `addr`: `NAME(u)` (e.g. `SHM(0)` for
/// `127.127.28.0`), `REFCLK(t,u)` for a driver type without a name, or `None` when `addr` is
/// not a reference-clock address (ntpd `refnumtoa`).
#[must_use]
pub fn refclock_name(addr: Ipv4Addr) -> Option<String> {
    match addr.octets() {
        [127, 127, driver, unit] => Some(match refclock_type_name(driver) {
            Some(name) => format!("{name}({unit})"),
            None => format!("REFCLK({driver},{unit})"),
        }),
        _ => None,
    }
}

/// How ntpq shows a peer's remote address: the reference-clock name for `127.127.t.u`, the
/// plain address otherwise.
#[must_use]
pub fn refclock_display(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => refclock_name(v4).unwrap_or_else(|| v4.to_string()),
        IpAddr::V6(v6) => v6.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refclock_addresses() {
        let table: [(IpAddr, bool); 5] = [
            (Ipv4Addr::new(127, 127, 28, 0).into(), true),
            (Ipv4Addr::new(127, 127, 0, 0).into(), true),
            (Ipv4Addr::new(127, 0, 0, 1).into(), false),
            (Ipv4Addr::new(192, 0, 2, 1).into(), false),
            ("::ffff:127.127.1.0".parse().unwrap(), false),
        ];
        for (addr, want) in table {
            assert_eq!(is_refclock_addr(addr), want, "{addr}");
        }
    }

    #[test]
    fn type_names() {
        let table = [
            (0, Some("UNKNOWN")),
            (1, Some("LOCAL")),
            (8, Some("GENERIC")),
            (15, None),
            (20, Some("GPS_NMEA")),
            (22, Some("PPS")),
            (23, None),
            (25, None),
            (28, Some("SHM")),
            (46, Some("GPSD_JSON")),
            (47, None),
            (255, None),
        ];
        for (driver, name) in table {
            assert_eq!(refclock_type_name(driver), name, "{driver}");
        }
        // Every named driver is a distinct name.
        let mut names: Vec<_> = (0..=255).filter_map(refclock_type_name).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
        assert_eq!(count, 43);
    }

    #[test]
    fn ntpq_remote_names() {
        let table = [
            ([127, 127, 1, 0], Some("LOCAL(0)")),
            ([127, 127, 20, 1], Some("GPS_NMEA(1)")),
            ([127, 127, 22, 0], Some("PPS(0)")),
            ([127, 127, 28, 3], Some("SHM(3)")),
            ([127, 127, 15, 2], Some("REFCLK(15,2)")),
            ([127, 127, 99, 0], Some("REFCLK(99,0)")),
            ([127, 0, 0, 1], None),
        ];
        for (octets, want) in table {
            let addr = Ipv4Addr::from(octets);
            assert_eq!(refclock_name(addr).as_deref(), want, "{addr}");
            let shown = want.map_or_else(|| addr.to_string(), str::to_owned);
            assert_eq!(refclock_display(addr.into()), shown);
        }
        assert_eq!(
            refclock_display("2001:db8::1".parse().unwrap()),
            "2001:db8::1"
        );
    }
}
