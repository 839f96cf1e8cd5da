//! `loopinfo`, `sysinfo`, `sysstats`, `kerninfo`, `reslist`, `monlist` and `traps`.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use ntpkit::format::classic::{lfp_text, mode_name, sfp_text, ufp_text};
use ntpkit::private::{
    KernelInfoItem, LoopInfoItem, MonitorList, RestrictItem, SysInfoItem, SysStatsItem, TrapItem,
};
use ntpkit::record::private::{
    KernelInfoRecord, RefIdField, RestrictNumbering, TrapRecord, leap_bits,
};
use ntpkit::time::NtpShort;

use super::{View, c_g, left};

fn label(out: &mut String, label: &str, width: usize, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{label:<width$}{value}");
}

/// `loopinfo` in its multi-line or one-line form.
#[must_use]
pub fn loopinfo(item: &LoopInfoItem, oneline: bool) -> String {
    let mut out = String::new();
    if oneline {
        let _ = writeln!(
            out,
            "offset {}, frequency {}, time_const {}, watchdog {}",
            lfp_text(item.last_offset, 6),
            lfp_text(item.drift_comp, 3),
            item.compliance,
            item.watchdog_timer
        );
    } else {
        label(
            &mut out,
            "offset:",
            22,
            format!("{} s", lfp_text(item.last_offset, 6)),
        );
        label(
            &mut out,
            "frequency:",
            22,
            format!("{} ppm", lfp_text(item.drift_comp, 3)),
        );
        label(&mut out, "poll adjust:", 22, item.compliance);
        label(
            &mut out,
            "watchdog timer:",
            22,
            format!("{} s", item.watchdog_timer),
        );
    }
    out
}

/// `sysinfo`.
#[must_use]
pub fn sysinfo(item: &SysInfoItem, view: &View<'_>) -> String {
    let mut out = String::new();
    let w = 22;
    label(&mut out, "system peer:", w, view.host(item.peer));
    label(&mut out, "system peer mode:", w, mode_name(item.peer_mode));
    label(&mut out, "leap indicator:", w, leap_bits(item.leap));
    label(&mut out, "stratum:", w, item.stratum);
    label(&mut out, "precision:", w, item.precision);
    label(
        &mut out,
        "root distance:",
        w,
        format!("{} s", sfp_text(item.rootdelay, 5)),
    );
    label(
        &mut out,
        "root dispersion:",
        w,
        format!("{} s", ufp_text(item.rootdispersion, 5)),
    );
    label(
        &mut out,
        "reference ID:",
        w,
        format!("[{}]", RefIdField::new(item.refid, item.stratum).text),
    );
    label(&mut out, "reference time:", w, view.date(item.reftime));
    let flags = item.flags.names();
    let flags = if flags.is_empty() {
        "none".to_owned()
    } else {
        // ntpdc ends each word with a space.
        flags.iter().map(|f| format!("{f} ")).collect()
    };
    label(&mut out, "system flags:", w, flags);
    label(
        &mut out,
        "jitter:",
        w,
        format!("{} s", sfp_text(item.frequency, 6)),
    );
    label(
        &mut out,
        "stability:",
        w,
        format!("{} ppm", ufp_text(item.stability, 3)),
    );
    label(
        &mut out,
        "broadcastdelay:",
        w,
        format!("{} s", sfp_text(item.bdelay, 6)),
    );
    label(
        &mut out,
        "authdelay:",
        w,
        format!("{} s", lfp_text(item.authdelay, 6)),
    );
    out
}

/// `sysstats`; `rate exceeded` only when the server sent the 4.x layout (`itemsize` > 40).
#[must_use]
pub fn sysstats(item: &SysStatsItem, itemsize: usize) -> String {
    let mut out = String::new();
    let w = 24;
    for (name, value) in [
        ("time since restart:", item.timeup),
        ("time since reset:", item.timereset),
        ("packets received:", item.received),
        ("packets processed:", item.processed),
        ("current version:", item.newversionpkt),
        ("previous version:", item.oldversionpkt),
        ("declined:", item.unknownversion),
        ("access denied:", item.denied),
        ("bad length or format:", item.badlength),
        ("bad authentication:", item.badauth),
    ] {
        label(&mut out, name, w, value);
    }
    if itemsize > SysStatsItem::OLD_SIZE {
        label(&mut out, "rate exceeded:", w, item.limitrejected);
    }
    out
}

/// `kerninfo`; the PPS block only when the kernel reports a calibration interval.
#[must_use]
pub fn kerninfo(item: &KernelInfoItem) -> String {
    let mut out = String::new();
    let w = 22;
    let scale = KernelInfoRecord::time_scale(item.status);
    let seconds = |v: i32| format!("{} s", c_g(f64::from(v.cast_unsigned()) * scale));
    let ppm = |v: i32, d| format!("{} ppm", sfp_text(NtpShort(v.cast_unsigned()), d));
    label(
        &mut out,
        "pll offset:",
        w,
        format!("{} s", c_g(f64::from(item.offset) * scale)),
    );
    label(&mut out, "pll frequency:", w, ppm(item.freq, 3));
    label(&mut out, "maximum error:", w, seconds(item.maxerror));
    label(&mut out, "estimated error:", w, seconds(item.esterror));
    let names: String = item
        .status
        .names()
        .iter()
        .map(|n| format!(" {n}"))
        .collect();
    label(
        &mut out,
        "status:",
        w,
        format!("{:04x} {names}", item.status.0),
    );
    label(&mut out, "pll time constant:", w, item.constant);
    label(&mut out, "precision:", w, seconds(item.precision));
    label(&mut out, "frequency tolerance:", w, ppm(item.tolerance, 0));
    if item.shift != 0 {
        label(&mut out, "pps frequency:", w, ppm(item.ppsfreq, 3));
        label(&mut out, "pps stability:", w, ppm(item.stabil, 3));
        label(&mut out, "pps jitter:", w, seconds(item.jitter));
        label(
            &mut out,
            "calibration interval:",
            w,
            format!("{} s", 1_u64 << item.shift.min(63)),
        );
        label(&mut out, "calibration cycles:", w, item.calcnt);
        label(&mut out, "jitter exceeded:", w, item.jitcnt);
        label(&mut out, "stability exceeded:", w, item.stbcnt);
        label(&mut out, "calibration errors:", w, item.errcnt);
    }
    out
}

/// `reslist`: the restriction list, its bits read in `numbering`.
#[must_use]
pub fn reslist(items: &[RestrictItem], view: &View<'_>, numbering: RestrictNumbering) -> String {
    let mut out = String::from(
        "   address          mask            count        flags\n\
         =====================================================================\n",
    );
    for item in items {
        let host_mask = item.mask == IpAddr::V4(Ipv4Addr::BROADCAST);
        let addr = if item.addr.is_ipv6() || host_mask {
            view.host(item.addr)
        } else {
            item.addr.to_string()
        };
        let mut words = item.mflags.names();
        words.extend(numbering.names(item.flags.0, true));
        let flags = if words.is_empty() {
            "none".to_owned()
        } else {
            words.join(", ")
        };
        let _ = writeln!(
            out,
            "{} {} {:>9}  {flags}",
            left(&addr, 15),
            left(&item.mask.to_string(), 15),
            item.count
        );
    }
    out
}

/// `monlist`, in the layout of whichever struct the server sent.
#[must_use]
pub fn monlist(list: &MonitorList, view: &View<'_>) -> String {
    let mut out = String::new();
    match list {
        MonitorList::V1(items) => {
            out.push_str(
                "remote address          port local address      count m ver rstr avgint  lstint\n",
            );
            out.push_str(&"=".repeat(79));
            out.push('\n');
            for m in items {
                let _ = writeln!(
                    out,
                    "{} {:>5} {} {:>8} {:>1} {:>1} {:>6x} {:>6} {:>7}",
                    left(&view.host(m.addr), 22),
                    m.port,
                    left(&m.daddr.to_string(), 15),
                    m.count,
                    m.mode,
                    m.version,
                    m.restr,
                    m.avg_int,
                    m.last_int
                );
            }
        }
        MonitorList::Current(items) => {
            out.push_str(
                "     address               port     count mode ver rstr avgint  lstint\n",
            );
            out.push_str(&"=".repeat(79));
            out.push('\n');
            for m in items {
                let _ = writeln!(
                    out,
                    "{} {:>5} {:>9} {:>4} {:>2} {:>9x} {:>9} {:>9}",
                    left(&view.host(m.addr), 25),
                    m.port,
                    m.count,
                    m.mode,
                    m.version,
                    m.restr,
                    m.avg_int,
                    m.last_int
                );
            }
        }
        MonitorList::Old(items) => {
            out.push_str(
                "     address          port     count  mode version  lasttime firsttime\n",
            );
            out.push_str(&"=".repeat(70));
            out.push('\n');
            for m in items {
                let _ = writeln!(
                    out,
                    "{} {:>5} {:>9} {:>4}   {:>3} {:>9} {:>9}",
                    left(&view.host(m.addr), 20),
                    m.port,
                    m.count,
                    m.mode,
                    m.version,
                    m.lasttime,
                    m.firsttime
                );
            }
        }
    }
    out
}

/// `traps`, a blank line between traps.
#[must_use]
pub fn traps(items: &[TrapItem]) -> String {
    let mut out = String::new();
    for (n, item) in items.iter().enumerate() {
        let t = TrapRecord::from(item);
        if n > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "address {}, port {}", t.address, t.port);
        let interface = t
            .interface
            .map_or_else(|| "wildcard".to_owned(), |a| a.to_string());
        let _ = writeln!(out, "interface: {interface}, {}", t.priority);
        let _ = writeln!(
            out,
            "set for {} secs, last set {} secs ago",
            t.set_for_s, t.last_set_s
        );
        let _ = writeln!(
            out,
            "sequence {}, number of resets {}",
            t.sequence, t.resets
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntpkit::private::{KernelStatus, MonitorItem1, RestrictFlags, RestrictMatchFlags};

    fn view() -> View<'static> {
        View {
            hostnames: false,
            now: 0,
            utc_offset: 0,
            names: &crate::render::NO_NAMES,
        }
    }

    #[test]
    fn kerninfo_like_the_lab() {
        let item = KernelInfoItem {
            maxerror: 776_516,
            esterror: 16,
            status: KernelStatus::UNSYNC,
            constant: 4,
            precision: 1,
            tolerance: 500 << 16,
            ..KernelInfoItem::default()
        };
        assert_eq!(
            kerninfo(&item),
            "pll offset:           0 s\n\
             pll frequency:        0.000 ppm\n\
             maximum error:        0.776516 s\n\
             estimated error:      1.6e-05 s\n\
             status:               0040  unsync\n\
             pll time constant:    4\n\
             precision:            1e-06 s\n\
             frequency tolerance:  500 ppm\n"
        );
    }

    #[test]
    fn reslist_rows() {
        let item = RestrictItem {
            addr: "10.77.1.1".parse().unwrap(),
            mask: "255.255.255.255".parse().unwrap(),
            count: 0,
            flags: RestrictFlags::IGNORE,
            mflags: RestrictMatchFlags::NTPPORT | RestrictMatchFlags::INTERFACE,
        };
        let text = reslist(&[item], &view(), RestrictNumbering::Late4);
        assert_eq!(
            text.lines().nth(2).unwrap(),
            "10.77.1.1       255.255.255.255         0  ntpport, interface, ignore"
        );
    }

    #[test]
    fn monlist_v1_row() {
        let item = MonitorItem1 {
            avg_int: 64,
            last_int: 3,
            restr: 0x40,
            count: 1234,
            addr: "203.0.113.5".parse().unwrap(),
            daddr: "192.0.2.1".parse().unwrap(),
            flags: 0,
            port: 50123,
            mode: 3,
            version: 4,
        };
        let text = monlist(&MonitorList::V1(vec![item]), &view());
        assert_eq!(
            text.lines().nth(2).unwrap(),
            "203.0.113.5            50123 192.0.2.1           1234 3 4     40     64       3"
        );
    }
}
