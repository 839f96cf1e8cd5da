//! Counter listings (`iostats`, `memstats`, `timerstats`, `authinfo`, `ctlstats`), reference
//! clocks (`clockstat`, `clkbug`) and interfaces (`ifstats`, `ifreload`).

use std::fmt::Write as _;

use ntpkit::format::classic::{lfp_text, ulfp_text};
use ntpkit::packet::refclock_type_name;
use ntpkit::private::{
    AuthInfoItem, ClockBugItem, ClockInfoItem, ControlStatsItem, IfStatsItem, InterfaceFlags,
    IoStatsItem, MemStatsItem, TimerStatsItem,
};
use ntpkit::record::private::RefIdField;
use ntpkit::time::{CivilTime, NtpTimestamp};

use super::View;

fn rows(width: usize, rows: &[(&str, u64)]) -> String {
    let mut out = String::new();
    for (label, value) in rows {
        let _ = writeln!(out, "{label:<width$}{value}");
    }
    out
}

/// `iostats`.
#[must_use]
pub fn iostats(i: &IoStatsItem) -> String {
    rows(
        22,
        &[
            ("time since reset:", i.timereset.into()),
            ("receive buffers:", i.totalrecvbufs.into()),
            ("free receive buffers:", i.freerecvbufs.into()),
            ("used receive buffers:", i.fullrecvbufs.into()),
            ("low water refills:", i.lowwater.into()),
            ("dropped packets:", i.dropped.into()),
            ("ignored packets:", i.ignored.into()),
            ("received packets:", i.received.into()),
            ("packets sent:", i.sent.into()),
            ("packets not sent:", i.notsent.into()),
            ("interrupts handled:", i.interrupts.into()),
            ("received by int:", i.int_received.into()),
        ],
    )
}

/// `memstats`, with the 128 hash bucket counts eight to a line.
#[must_use]
pub fn memstats(m: &MemStatsItem) -> String {
    let mut out = rows(
        22,
        &[
            ("time since reset:", m.timereset.into()),
            ("total peer memory:", m.totalpeermem.into()),
            ("free peer memory:", m.freepeermem.into()),
            ("calls to findpeer:", m.findpeer_calls.into()),
            ("new peer allocations:", m.allocations.into()),
            ("peer demobilizations:", m.demobilizations.into()),
        ],
    );
    out.push_str("hash table counts:   ");
    let last = m.hashcount.len().saturating_sub(1);
    for (i, count) in m.hashcount.iter().enumerate() {
        let _ = write!(out, "{count:>4}");
        if i % 8 == 7 && i != last {
            out.push('\n');
            out.push_str(&" ".repeat(21));
        }
    }
    out.push('\n');
    out
}

/// `timerstats`.
#[must_use]
pub fn timerstats(t: &TimerStatsItem) -> String {
    rows(
        19,
        &[
            ("time since reset:", t.timereset.into()),
            ("alarms handled:", t.alarms.into()),
            ("alarm overruns:", t.overflows.into()),
            ("calls to transmit:", t.xmtcalls.into()),
        ],
    )
}

/// `authinfo`.
#[must_use]
pub fn authinfo(a: &AuthInfoItem) -> String {
    rows(
        22,
        &[
            ("time since reset:", a.timereset.into()),
            ("stored keys:", a.numkeys.into()),
            ("free keys:", a.numfreekeys.into()),
            ("key lookups:", a.keylookups.into()),
            ("keys not found:", a.keynotfound.into()),
            ("uncached keys:", a.keyuncached.into()),
            ("encryptions:", a.encryptions.into()),
            ("decryptions:", a.decryptions.into()),
            ("expired keys:", a.expired.into()),
        ],
    )
}

/// `ctlstats`.
#[must_use]
pub fn ctlstats(c: &ControlStatsItem) -> String {
    rows(
        24,
        &[
            ("time since reset:", c.ctltimereset.into()),
            ("requests received:", c.numctlreq.into()),
            ("responses sent:", c.numctlresponses.into()),
            ("fragments sent:", c.numctlfrags.into()),
            ("async messages sent:", c.numasyncmsgs.into()),
            ("error msgs sent:", c.numctlerrors.into()),
            ("total bad pkts:", c.numctlbadpkts.into()),
            ("packet too short:", c.numctltooshort.into()),
            ("response on input:", c.numctlinputresp.into()),
            ("fragment on input:", c.numctlinputfrag.into()),
            ("error set on input:", c.numctlinputerr.into()),
            ("bad offset on input:", c.numctlbadoffset.into()),
            ("bad version packets:", c.numctlbadversion.into()),
            ("data in pkt too short:", c.numctldatatooshort.into()),
            ("unknown op codes:", c.numctlbadop.into()),
        ],
    )
}

/// `clockstat`, a blank line between clocks. The clock type shows the driver's short name
/// and number (`LOCAL (1)`).
#[must_use]
pub fn clockstat(items: &[ClockInfoItem]) -> String {
    let mut out = String::new();
    for (n, c) in items.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let kind = refclock_type_name(c.clock_type).map_or_else(
            || format!("unknown type ({})", c.clock_type),
            |name| format!("{name} ({})", c.clock_type),
        );
        let w = 22;
        let _ = writeln!(out, "{:<w$}{}", "clock address:", c.clockadr);
        let _ = writeln!(out, "{:<w$}{kind}", "clock type:");
        for (label, value) in [
            ("last event:", u64::from(c.lastevent)),
            ("current status:", c.currentstatus.into()),
            ("number of polls:", c.polls.into()),
            ("no response to poll:", c.noresponse.into()),
            ("bad format responses:", c.badformat.into()),
            ("bad data responses:", c.baddata.into()),
            ("running time:", c.timestarted.into()),
        ] {
            let _ = writeln!(out, "{label:<w$}{value}");
        }
        let _ = writeln!(out, "{:<w$}{}", "fudge time 1:", lfp_text(c.fudgetime1, 6));
        let _ = writeln!(out, "{:<w$}{}", "fudge time 2:", lfp_text(c.fudgetime2, 6));
        let _ = writeln!(out, "{:<w$}{}", "stratum:", c.fudgeval1);
        let refid = RefIdField::new(c.fudgeval2.to_be_bytes(), 0).text;
        let _ = writeln!(out, "{:<w$}{refid}", "reference ID:");
        let _ = writeln!(out, "{:<w$}0x{:x}", "fudge flags:", c.flags);
    }
    out
}

/// ntpd's `uglydate`: the unsigned seconds with six decimals, then `yy:ddd:hh:mm:ss.mmm`
/// (UTC, day of the year counted from 0).
fn uglydate(ts: NtpTimestamp) -> String {
    let secs = i64::from(ts.seconds) - i64::from(ntpkit::time::UNIX_EPOCH_NTP);
    let (year, yday, hour, minute, second) = if ts.seconds == 0 {
        (0, 0, 0, 0, 0)
    } else {
        let civil = CivilTime::from_unix(secs);
        let jan1 = CivilTime {
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
            ..civil
        };
        let yday = (secs - jan1.to_unix()).div_euclid(86_400);
        (
            civil.year.rem_euclid(100),
            yday,
            i64::from(civil.hour),
            i64::from(civil.minute),
            i64::from(civil.second),
        )
    };
    format!(
        "{:>17} {year:02}:{yday:03}:{hour:02}:{minute:02}:{second:02}.{:03}",
        ulfp_text(ts, 6),
        ts.millis()
    )
}

/// `clkbug`, a blank line between clocks.
#[must_use]
pub fn clkbug(items: &[ClockBugItem]) -> String {
    let mut out = String::new();
    for (n, c) in items.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{:<22}{}", "clock address:", c.clockadr);
        let _ = write!(out, "values: {}", c.nvalues);
        for (i, v) in c.values.iter().take(usize::from(c.nvalues)).enumerate() {
            if i % 4 == 0 {
                out.push('\n');
            }
            if c.svalues & (1 << i) != 0 {
                let _ = write!(out, "{:>12}", v.cast_signed());
            } else {
                let _ = write!(out, "{v:>12}");
            }
        }
        out.push('\n');
        let _ = write!(out, "times: {}", c.ntimes);
        let mut pad = 0;
        for (i, t) in c.times.iter().take(usize::from(c.ntimes)).enumerate() {
            if i % 2 == 0 {
                out.push('\n');
            } else {
                out.push_str(&" ".repeat(pad));
            }
            if c.stimes & (1 << i) != 0 {
                let _ = write!(out, "{:>17}", lfp_text(*t, 6));
                pad = 22;
            } else {
                let _ = write!(out, "{:>37}", uglydate(*t));
                pad = 2;
            }
        }
        out.push('\n');
    }
    out
}

/// The `ifstats`/`ifreload` table.
#[must_use]
pub fn ifstats(items: &[IfStatsItem], _view: &View<'_>) -> String {
    let mut out = format!(
        "{:>2} {} {:>48} {} {} {:>12} {:>3} {:>3} {:>2} {:>5} {:>5} {:>5} {:>2} {:>3} {:>7}\n",
        "#",
        'A',
        "Address/Mask/Broadcast",
        'T',
        'E',
        "IF name",
        "Flg",
        "TL",
        "#M",
        "recv",
        "sent",
        "drop",
        "S",
        "PC",
        "uptime"
    );
    out.push_str(&"=".repeat(114));
    out.push('\n');
    for i in items {
        let action = match i.action {
            1 => '.',
            2 => '+',
            3 => '-',
            _ => '?',
        };
        let _ = writeln!(
            out,
            "{:>2} {action} {:>48} A {} {:>12} {:03x} {:>3} {:>2} {:>5} {:>5} {:>5} {:>2} {:>3} {:>7}",
            i.ifnum,
            i.unaddr.to_string(),
            if i.ignore_packets != 0 { 'D' } else { 'E' },
            i.name_lossy(),
            i.flags.0,
            i.last_ttl,
            i.num_mcast,
            i.received,
            i.sent,
            i.notsent,
            i.scopeid,
            i.peercnt,
            i.uptime
        );
        let _ = writeln!(out, "     {:>48} M", i.unmask.to_string());
        if i.unaddr.is_ipv4() && i.flags.contains(InterfaceFlags::BCASTOPEN) {
            let _ = writeln!(out, "     {:>48} B", i.unbcast.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uglydate_form() {
        // 2026-11-21 06:35:17.5 UTC is day 324 of the year (counted from 0).
        let ts = NtpTimestamp::new(0xeeab_ba25, 0x8000_0000);
        assert_eq!(uglydate(ts), "4004231717.500000 26:324:06:35:17.500");
        assert_eq!(
            uglydate(NtpTimestamp::ZERO),
            "         0.000000 00:000:00:00:00.000"
        );
    }

    #[test]
    fn clkbug_like_the_lab() {
        let mut values = [0_u32; 16];
        values[7] = 18;
        let item = ClockBugItem {
            clockadr: "127.127.1.0".parse().unwrap(),
            nvalues: 8,
            ntimes: 0,
            svalues: 0,
            stimes: 0,
            values,
            times: [NtpTimestamp::ZERO; 32],
        };
        assert_eq!(
            clkbug(&[item]),
            "clock address:        127.127.1.0\n\
             values: 8\n           0           0           0           0\n           0           0           0          18\n\
             times: 0\n"
        );
    }
}
