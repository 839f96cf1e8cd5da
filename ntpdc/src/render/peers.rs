//! `listpeers`, `peers`/`dmpeers`, `showpeer` and `pstats`.

use std::fmt::Write as _;

use ntpkit::format::classic::{lfp_text, mode_name, sfp_text, ufp_text};
use ntpkit::private::{InfoFlags, PeerInfoItem, PeerListItem, PeerStatsItem, PeerSummaryItem};
use ntpkit::record::private::{RefIdField, leap_bits, mode_tally, peers_poll_s, selection_tally};

use super::{View, left};

/// `listpeers`: mode and address, one association a line.
#[must_use]
pub fn listpeers(items: &[PeerListItem], view: &View<'_>) -> String {
    let mut out = String::new();
    for item in items {
        let _ = writeln!(
            out,
            "{} {}",
            left(&mode_name(item.hmode), 12),
            view.host(item.addr)
        );
    }
    out
}

/// The `peers` table header.
pub const PEERS_HEADER: &str = "     remote           local      st poll reach  delay   offset    disp\n\
     =======================================================================\n";

/// `peers` (`dm` false: tally by host mode) or `dmpeers` (`dm` true: tally by selection).
#[must_use]
pub fn peers(items: &[PeerSummaryItem], view: &View<'_>, dm: bool) -> String {
    let mut out = String::from(PEERS_HEADER);
    for item in items {
        let tally = if dm {
            selection_tally(item.flags)
        } else {
            mode_tally(item.flags, item.hmode)
        };
        let remote = view.host(item.srcadr);
        if remote.len() > 15 {
            // Shown in full: the row continues on the next line, under the local column.
            let _ = writeln!(out, "{tally}{remote}");
            out.push_str(&" ".repeat(16));
        } else {
            let _ = write!(out, "{tally}{remote:<15} ");
        }
        let _ = writeln!(
            out,
            "{:<15} {:>2} {:>4}  {:>3o} {:>7} {:>9} {:>7}",
            item.dstadr.to_string(),
            item.stratum,
            peers_poll_s(item.hpoll, item.ppoll),
            item.reach,
            cut(&sfp_text(item.delay, 5), 7),
            cut(&lfp_text(item.offset, 6), 9),
            cut(&ufp_text(item.dispersion, 5), 7),
        );
    }
    out
}

/// A number cut to `width` characters, as a `%N.Ns` conversion does.
fn cut(text: &str, width: usize) -> &str {
    text.get(..width).unwrap_or(text)
}

/// ntpdc's flag list after `flags`: ` a, b, c` or ` none`.
fn flag_list(flags: InfoFlags) -> String {
    if flags.is_empty() {
        " none".to_owned()
    } else {
        format!(" {}", flags.names().join(", "))
    }
}

/// `showpeer`: each association in detail, a blank line between them.
#[must_use]
pub fn showpeer(items: &[PeerInfoItem], view: &View<'_>) -> String {
    let mut out = String::new();
    for (n, p) in items.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "remote {}, local {}", p.srcadr, p.dstadr);
        let _ = writeln!(
            out,
            "hmode {}, pmode {}, stratum {}, precision {}",
            mode_name(p.hmode),
            mode_name(p.pmode),
            p.stratum,
            p.precision
        );
        let _ = writeln!(
            out,
            "leap {}, refid [{}], rootdistance {}, rootdispersion {}",
            leap_bits(p.leap),
            RefIdField::new(p.refid, p.stratum).text,
            sfp_text(p.rootdelay, 5),
            ufp_text(p.rootdispersion, 5)
        );
        let _ = writeln!(
            out,
            "ppoll {}, hpoll {}, keyid {}, version {}, association {}",
            p.ppoll, p.hpoll, p.keyid.0, p.version, p.associd
        );
        let _ = writeln!(
            out,
            "reach {:03o}, unreach {}, flash 0x{:04x}, boffset {}, ttl/mode {}",
            p.reach,
            p.unreach,
            p.flash2,
            sfp_text(p.estbdelay, 5),
            p.ttl
        );
        let _ = writeln!(out, "timer {}s, flags{}", p.timer, flag_list(p.flags));
        for (label, ts) in [
            ("reference time:     ", p.reftime),
            ("originate timestamp:", p.org),
            ("receive timestamp:  ", p.rec),
            ("transmit timestamp: ", p.xmt),
        ] {
            let _ = writeln!(out, "{label} {}", view.date(ts));
        }
        let delays: Vec<String> = p.filtdelay.iter().map(|d| sfp_text(*d, 5)).collect();
        let offsets: Vec<String> = p.filtoffset.iter().map(|o| lfp_text(*o, 6)).collect();
        let orders: Vec<String> = p.order.iter().map(u8::to_string).collect();
        filter_rows(&mut out, "filter delay: ", &delays);
        filter_rows(&mut out, "filter offset:", &offsets);
        filter_rows(&mut out, "filter order: ", &orders);
        let _ = writeln!(
            out,
            "offset {}, delay {}, error bound {}, filter error {}",
            lfp_text(p.offset, 6),
            sfp_text(p.delay, 5),
            ufp_text(p.dispersion, 5),
            ufp_text(p.selectdisp, 5)
        );
    }
    out
}

/// Eight filter values in two rows of four, each ` %-8.8s`.
fn filter_rows(out: &mut String, label: &str, values: &[String]) {
    out.push_str(label);
    for (i, v) in values.iter().enumerate() {
        let _ = write!(out, " {:<8}", cut(v, 8));
        if i == 3 {
            out.push('\n');
            out.push_str(&" ".repeat(14));
        }
    }
    out.push('\n');
}

/// `pstats`: each association's counters, a blank line between them.
#[must_use]
pub fn pstats(items: &[PeerStatsItem], view: &View<'_>) -> String {
    let mut out = String::new();
    for (n, p) in items.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let rows: [(&str, String); 13] = [
            ("remote host:", view.host(p.srcadr)),
            ("local interface:", p.dstadr.to_string()),
            ("time last received:", format!("{}s", p.timereceived)),
            ("time until next send:", format!("{}s", p.timetosend)),
            ("reachability change:", format!("{}s", p.timereachable)),
            ("packets sent:", p.sent.to_string()),
            ("packets received:", p.processed.to_string()),
            ("bad authentication:", p.badauth.to_string()),
            ("bogus origin:", p.bogusorg.to_string()),
            ("duplicate:", p.oldpkt.to_string()),
            ("bad dispersion:", p.seldisp.to_string()),
            ("bad reference time:", p.selbroken.to_string()),
            ("candidate order:", p.candidate.to_string()),
        ];
        for (label, value) in rows {
            let _ = writeln!(out, "{label:<22}{value}");
        }
        let _ = writeln!(out, "flags:\t{}", flag_list(p.flags));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntpkit::time::{NtpShort, NtpTimestamp};

    fn view() -> View<'static> {
        View {
            hostnames: false,
            now: 0,
            utc_offset: 0,
            names: &crate::render::NO_NAMES,
        }
    }

    fn summary(src: &str, dst: &str) -> PeerSummaryItem {
        PeerSummaryItem {
            dstadr: dst.parse().unwrap(),
            srcadr: src.parse().unwrap(),
            srcport: 123,
            stratum: 2,
            hpoll: 3,
            ppoll: 3,
            reach: 0o377,
            flags: InfoFlags::SYSPEER | InfoFlags::CONFIG,
            hmode: 3,
            delay: NtpShort(4),
            offset: NtpTimestamp::from_offset_seconds(0.000_029),
            dispersion: NtpShort(706),
        }
    }

    #[test]
    fn peers_row_matches_the_classic_columns() {
        let text = peers(&[summary("10.77.0.2", "10.77.0.3")], &view(), false);
        assert_eq!(
            text.lines().nth(2).unwrap(),
            "*10.77.0.2       10.77.0.3        2    8  377 0.00006 +0.000029 0.01077"
        );
    }

    #[test]
    fn long_remotes_get_their_own_line() {
        let text = peers(&[summary("fd77::2:1234:5678", "fd77::3")], &view(), true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "*fd77::2:1234:5678");
        assert_eq!(
            lines[3],
            "                fd77::3          2    8  377 0.00006 +0.000029 0.01077"
        );
    }

    #[test]
    fn listpeers_pads_the_mode() {
        let item = PeerListItem {
            addr: "127.127.1.0".parse().unwrap(),
            port: 123,
            hmode: 3,
            flags: InfoFlags::NONE,
        };
        assert_eq!(listpeers(&[item], &view()), "client       127.127.1.0\n");
    }

    #[test]
    fn filter_rows_wrap_after_four() {
        let mut out = String::new();
        let v: Vec<String> = (0..8).map(|i| i.to_string()).collect();
        filter_rows(&mut out, "filter order: ", &v);
        assert_eq!(
            out,
            "filter order:  0        1        2        3       \n               4        5        6        7       \n"
        );
    }
}
