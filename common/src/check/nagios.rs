//! The plugin output of the monitoring-plugins development guidelines: one status line
//! `NTP STATE: text|perfdata`, and for several servers one more line per server.
//!
//! Performance data is `label=value[UOM];[warn];[crit];[min];[max]`, space-separated, with the
//! levels in the guidelines' range syntax (`N` alerts above N, `N:` below N, `-N:N` outside ±N),
//! values in seconds with UOM `s`, and trailing empty fields left out. A label is quoted when
//! it holds a space, `=` or `'` (a quote doubled). Quantities that did not arrive are left out.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::CheckState;
use super::quantity::{Limit, PlainNumber};
use super::verdict::{HostReport, Thresholds};

/// Writes the plugin output for `reports` (one per server, in order) and returns the overall
/// state, whose exit code the plugin exits with.
///
/// # Errors
/// Writing to `out` fails.
pub fn render_nagios(reports: &[HostReport], out: &mut impl Write) -> io::Result<CheckState> {
    let state = CheckState::worst_of(reports.iter().map(|r| r.state));
    let multi = reports.len() != 1;
    let mut perf = Vec::new();
    for r in reports {
        let prefix = if multi {
            format!("{} ", r.host)
        } else {
            String::new()
        };
        perf.extend(perfdata(r, &prefix));
    }
    let text = match reports {
        [one] => format!("{}: {}", one.host, one.summary),
        _ => overview(reports),
    };
    let mut line = format!("NTP {state}: {}", clean(&text));
    if !perf.is_empty() {
        line.push('|');
        line.push_str(&perf.join(" "));
    }
    writeln!(out, "{line}")?;
    if multi {
        for r in reports {
            writeln!(
                out,
                "{}: {}: {}",
                clean(&r.host),
                r.state,
                clean(&r.summary)
            )?;
        }
    }
    Ok(state)
}

/// `3 servers: 1 CRITICAL (ntpa), 2 OK`.
fn overview(reports: &[HostReport]) -> String {
    let mut parts = Vec::new();
    for state in [
        CheckState::Critical,
        CheckState::Warning,
        CheckState::Unknown,
        CheckState::Ok,
    ] {
        let hosts: Vec<&str> = reports
            .iter()
            .filter(|r| r.state == state)
            .map(|r| r.host.as_str())
            .collect();
        if hosts.is_empty() {
            continue;
        }
        if state == CheckState::Ok {
            parts.push(format!("{} {state}", hosts.len()));
        } else {
            parts.push(format!("{} {state} ({})", hosts.len(), hosts.join(", ")));
        }
    }
    let n = reports.len();
    let servers = if n == 1 { "server" } else { "servers" };
    format!("{n} {servers}: {}", parts.join(", "))
}

/// The status text may not hold the perfdata separator or line breaks.
fn clean(text: &str) -> String {
    text.replace('|', "/").replace(['\n', '\r'], " ")
}

/// One performance data item.
struct Perf<'a> {
    label: String,
    value: f64,
    uom: &'a str,
    warn: Option<String>,
    crit: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
}

impl Perf<'_> {
    fn render(&self) -> String {
        let label = if self.label.contains([' ', '=', '\'']) {
            format!("'{}'", self.label.replace('\'', "''"))
        } else {
            self.label.clone()
        };
        let mut fields = vec![
            format!("{}{}", PlainNumber(self.value), self.uom),
            self.warn.clone().unwrap_or_default(),
            self.crit.clone().unwrap_or_default(),
            self.min
                .map(|v| PlainNumber(v).to_string())
                .unwrap_or_default(),
            self.max
                .map(|v| PlainNumber(v).to_string())
                .unwrap_or_default(),
        ];
        while fields.len() > 1 && fields.last().is_some_and(String::is_empty) {
            fields.pop();
        }
        let mut s = String::new();
        let _ = write!(s, "{label}={}", fields.join(";"));
        s
    }
}

/// Range text of a level: above `N` is bad.
fn upper(level: Option<f64>) -> Option<String> {
    level.map(|v| PlainNumber(v).to_string())
}

/// Outside ±N is bad.
fn symmetric(level: Option<f64>) -> Option<String> {
    level.map(|v| format!("{}:{}", PlainNumber(-v), PlainNumber(v)))
}

/// Below `N` is bad.
fn lower(level: Option<f64>) -> Option<String> {
    level.map(|v| format!("{}:", PlainNumber(v)))
}

fn counts(l: Limit<u32>) -> Limit<f64> {
    Limit {
        warn: l.warn.map(f64::from),
        crit: l.crit.map(f64::from),
    }
}

fn perfdata(r: &HostReport, prefix: &str) -> Vec<String> {
    let m = &r.metrics;
    let t: &Thresholds = &r.thresholds;
    let mut items = Vec::new();
    let mut push = |name: &str,
                    value: Option<f64>,
                    uom: &'static str,
                    range: fn(Option<f64>) -> Option<String>,
                    limit: Limit<f64>,
                    min: Option<f64>,
                    max: Option<f64>| {
        if let Some(value) = value {
            items.push(
                Perf {
                    label: format!("{prefix}{name}"),
                    value,
                    uom,
                    warn: range(limit.warn),
                    crit: range(limit.crit),
                    min,
                    max,
                }
                .render(),
            );
        }
    };
    push("offset", m.offset_s, "s", symmetric, t.offset, None, None);
    push("jitter", m.jitter_s, "s", upper, t.jitter, Some(0.0), None);
    push(
        "stratum",
        m.stratum.map(f64::from),
        "",
        upper,
        counts(t.stratum),
        Some(0.0),
        Some(16.0),
    );
    push(
        "truechimers",
        m.truechimers.map(f64::from),
        "",
        lower,
        counts(t.sources),
        Some(0.0),
        None,
    );
    push(
        "candidates",
        m.candidates.map(f64::from),
        "",
        lower,
        counts(t.candidates),
        Some(0.0),
        None,
    );
    push(
        "reach",
        m.system_peer
            .as_ref()
            .and_then(|p| p.reach_bits)
            .map(f64::from),
        "",
        lower,
        counts(t.reach_bits),
        Some(0.0),
        Some(8.0),
    );
    push(
        "root_distance",
        m.root_distance_s,
        "s",
        upper,
        t.root_distance,
        Some(0.0),
        None,
    );
    push(
        "leapfile_days",
        m.leapfile_days_left.map(|d| (d * 10.0).round() / 10.0),
        "",
        lower,
        t.leapfile_days,
        None,
        None,
    );
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::metrics::{HostMetrics, PeerMetrics};
    use crate::check::probe::ProbeResult;
    use crate::check::quantity::Limit;

    fn report(host: &str, offset: f64, thresholds: &Thresholds) -> HostReport {
        let metrics = HostMetrics {
            leap: Some(crate::control::LeapIndicator::NoWarning.into()),
            synchronized: Some(true),
            stratum: Some(3),
            refid: Some(
                "10.77.0.2"
                    .parse::<crate::packet::ReferenceId>()
                    .unwrap()
                    .summary(crate::packet::RefIdContext::peer(crate::packet::Stratum(3))),
            ),
            offset_s: Some(offset),
            jitter_s: Some(6e-6),
            root_distance_s: Some(0.0125),
            truechimers: Some(1),
            candidates: Some(1),
            associations: Some(1),
            system_peer: Some(PeerMetrics {
                assoc_id: 7,
                selection: "sys.peer".to_owned(),
                reach: Some(0o377),
                reach_bits: Some(8),
                offset_s: Some(offset),
                jitter_s: Some(6e-6),
                ..PeerMetrics::default()
            }),
            ..HostMetrics::default()
        };
        let probe = ProbeResult {
            answered: true,
            metrics,
            missing: vec![],
            failures: vec![],
        };
        HostReport::evaluate(host, Some(format!("{host}:123")), probe, thresholds)
    }

    fn render(reports: &[HostReport]) -> (String, CheckState) {
        let mut out = Vec::new();
        let state = render_nagios(reports, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), state)
    }

    #[test]
    fn one_server_one_line_with_perfdata() {
        let t = Thresholds {
            offset: Limit {
                warn: Some(0.05),
                crit: Some(0.1),
            },
            stratum: Limit {
                warn: None,
                crit: Some(4),
            },
            ..Thresholds::default()
        };
        let (text, state) = render(&[report("ntp3", 2.6e-5, &t)]);
        assert_eq!(state, CheckState::Ok);
        assert_eq!(
            text,
            "NTP OK: ntp3: synchronized to 10.77.0.2 at stratum 3, offset +26.0 us, \
             jitter 6.0 us|offset=0.000026s;-0.05:0.05;-0.1:0.1 jitter=0.000006s;;;0 \
             stratum=3;;4;0;16 truechimers=1;;;0 candidates=1;;;0 reach=8;;;0;8 \
             root_distance=0.0125s;;;0\n"
        );
    }

    #[test]
    fn several_servers_name_the_bad_ones() {
        let t = Thresholds {
            offset: Limit {
                warn: Some(0.1),
                crit: Some(1.0),
            },
            ..Thresholds::default()
        };
        let silent = HostReport::unreachable("10.77.0.99", "no answer (timeout)", &t);
        let reports = [
            report("a", 0.0001, &t),
            report("b b", -0.3, &t),
            report("c", 2.5, &t),
            silent,
        ];
        let (text, state) = render(&reports);
        assert_eq!(state, CheckState::Critical);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with(
                "NTP CRITICAL: 4 servers: 1 CRITICAL (c), 1 WARNING (b b), 1 UNKNOWN \
                 (10.77.0.99), 1 OK|'a offset'=0.0001s;-0.1:0.1;-1:1 "
            ),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains(" 'b b offset'=-0.3s;-0.1:0.1;-1:1 "),
            "{}",
            lines[0]
        );
        assert_eq!(
            lines[2],
            "b b: WARNING: synchronized to 10.77.0.2 at stratum 3, offset -300.000 ms \
             (WARNING: over 100.000 ms), jitter 6.0 us"
        );
        assert_eq!(lines[4], "10.77.0.99: UNKNOWN: no answer (timeout)");
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn labels_and_text_are_escaped() {
        let perf = Perf {
            label: "it's".to_owned(),
            value: 1.0,
            uom: "",
            warn: None,
            crit: None,
            min: None,
            max: None,
        };
        assert_eq!(perf.render(), "'it''s'=1");
        assert_eq!(clean("a|b\nc"), "a/b c");
    }
}
