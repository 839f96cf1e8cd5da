//! The check's metrics as a Prometheus / OpenMetrics text exposition, one series per server
//! (label `server`, the server as given), SI units (`_seconds`).
//!
//! One text serves both formats: `# HELP`, `# TYPE` (always `gauge`) and, for quantities with
//! a unit, `# UNIT` lines before each family's samples, and `# EOF` at the end. The Prometheus
//! text format (0.0.4, node_exporter's textfile collector) ignores the `# UNIT` and `# EOF`
//! comments; OpenMetrics 1.0 requires them. A quantity that did not arrive has no sample;
//! a family no server has is left out. The families are documented in `docs/health-checks.md`.

use std::io::{self, Write};

use super::CheckState;
use super::quantity::PlainNumber;
use super::verdict::HostReport;

/// The content type of the text as OpenMetrics.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of the text as the Prometheus text format.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One metric family: its name, help text, unit, and how to read a server's value.
#[derive(Clone, Copy)]
pub struct Family {
    /// The metric name.
    pub name: &'static str,
    /// The `# HELP` text.
    pub help: &'static str,
    /// The `# UNIT`, if any (the name then ends with `_` and the unit).
    pub unit: Option<&'static str>,
    value: fn(&HostReport) -> Option<f64>,
}

impl std::fmt::Debug for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family").field("name", &self.name).finish()
    }
}

const fn family(
    name: &'static str,
    help: &'static str,
    unit: Option<&'static str>,
    value: fn(&HostReport) -> Option<f64>,
) -> Family {
    Family {
        name,
        help,
        unit,
        value,
    }
}

fn flag(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

fn state_value(state: CheckState) -> f64 {
    f64::from(state.exit_code())
}

/// Every per-server family, in the order they are written.
pub const FAMILIES: [Family; 20] = [
    family(
        "ntp_up",
        "1 when the server answered the check's mode 6 queries, 0 when it did not.",
        None,
        |r| Some(flag(r.answered)),
    ),
    family(
        "ntp_check_state",
        "The check's verdict as a monitoring-plugins exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        None,
        |r| Some(state_value(r.state)),
    ),
    family(
        "ntp_check_partial",
        "1 when some queries got no data and the verdict rests on what arrived.",
        None,
        |r| Some(flag(r.partial)),
    ),
    family(
        "ntp_synchronized",
        "1 when the server is synchronized (leap indicator not 3, stratum below 16, a system peer), else 0.",
        None,
        |r| r.metrics.synchronized.map(flag),
    ),
    family(
        "ntp_leap_indicator",
        "The server's leap indicator: 0 none, 1 a second to insert, 2 a second to delete, 3 unsynchronized.",
        None,
        |r| r.metrics.leap.map(|l| f64::from(l.code)),
    ),
    family(
        "ntp_stratum",
        "The server's stratum (16: unsynchronized).",
        None,
        |r| r.metrics.stratum.map(f64::from),
    ),
    family(
        "ntp_offset_seconds",
        "Offset of the server's clock from its system peer (or best candidate).",
        Some("seconds"),
        |r| r.metrics.offset_s,
    ),
    family(
        "ntp_jitter_seconds",
        "Jitter of the server's system peer (or best candidate).",
        Some("seconds"),
        |r| r.metrics.jitter_s,
    ),
    family(
        "ntp_system_offset_seconds",
        "The server's system variable offset: the last offset its clock discipline applied.",
        Some("seconds"),
        |r| r.metrics.system_offset_s,
    ),
    family(
        "ntp_system_jitter_seconds",
        "The server's system variable sys_jitter.",
        Some("seconds"),
        |r| r.metrics.system_jitter_s,
    ),
    family(
        "ntp_root_delay_seconds",
        "Round-trip delay from the server to the primary reference.",
        Some("seconds"),
        |r| r.metrics.root_delay_s,
    ),
    family(
        "ntp_root_dispersion_seconds",
        "The server's root dispersion.",
        Some("seconds"),
        |r| r.metrics.root_dispersion_s,
    ),
    family(
        "ntp_root_distance_seconds",
        "The server's root distance: root dispersion plus half the root delay.",
        Some("seconds"),
        |r| r.metrics.root_distance_s,
    ),
    family(
        "ntp_associations",
        "Associations the server reported.",
        None,
        |r| r.metrics.associations.map(f64::from),
    ),
    family(
        "ntp_truechimers",
        "Associations that survived the intersection algorithm (selection excess or better).",
        None,
        |r| r.metrics.truechimers.map(f64::from),
    ),
    family(
        "ntp_candidates",
        "Associations the combine algorithm uses (selection candidate or better).",
        None,
        |r| r.metrics.candidates.map(f64::from),
    ),
    family(
        "ntp_system_peer_stratum",
        "Stratum of the server's system peer.",
        None,
        |r| {
            r.metrics
                .system_peer
                .as_ref()
                .and_then(|p| p.stratum)
                .map(f64::from)
        },
    ),
    family(
        "ntp_system_peer_reach_bits",
        "Bits set in the system peer's reach register: how many of the last 8 polls it answered.",
        None,
        |r| {
            r.metrics
                .system_peer
                .as_ref()
                .and_then(|p| p.reach_bits)
                .map(f64::from)
        },
    ),
    family(
        "ntp_system_peer_delay_seconds",
        "Round-trip delay from the server to its system peer.",
        Some("seconds"),
        |r| r.metrics.system_peer.as_ref().and_then(|p| p.delay_s),
    ),
    family(
        "ntp_leapfile_expiry_timestamp_seconds",
        "When the server's leap-second file expires, as a Unix time.",
        Some("seconds"),
        |r| {
            #[expect(clippy::cast_precision_loss, reason = "Unix times fit an f64 exactly")]
            r.metrics.leapfile_expiry_unix.map(|t| t as f64)
        },
    ),
];

/// The per-check family: one sample per server and judged quantity.
pub const CHECK_RESULT: &str = "ntp_check_result";

/// The family of the run's duration (no `server` label).
pub const CHECK_DURATION: &str = "ntp_check_duration_seconds";

/// Escapes a label value (backslash, double quote, line feed).
#[must_use]
pub fn escape_label(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn header(out: &mut impl Write, name: &str, help: &str, unit: Option<&str>) -> io::Result<()> {
    writeln!(out, "# HELP {name} {help}")?;
    writeln!(out, "# TYPE {name} gauge")?;
    if let Some(unit) = unit {
        writeln!(out, "# UNIT {name} {unit}")?;
    }
    Ok(())
}

/// Writes the exposition for `reports` (servers should be distinct: a repeated server would
/// repeat its series), with the run's duration when given.
///
/// # Errors
/// Writing to `out` fails.
pub fn render_openmetrics(
    reports: &[HostReport],
    duration_s: Option<f64>,
    out: &mut impl Write,
) -> io::Result<()> {
    for f in &FAMILIES {
        let samples: Vec<(&str, f64)> = reports
            .iter()
            .filter_map(|r| (f.value)(r).map(|v| (r.host.as_str(), v)))
            .collect();
        if samples.is_empty() {
            continue;
        }
        header(out, f.name, f.help, f.unit)?;
        for (server, value) in samples {
            writeln!(
                out,
                "{}{{server=\"{}\"}} {}",
                f.name,
                escape_label(server),
                PlainNumber(value)
            )?;
        }
    }
    if reports.iter().any(|r| !r.checks.is_empty()) {
        header(
            out,
            CHECK_RESULT,
            "State of each judged quantity: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            None,
        )?;
        for r in reports {
            for c in &r.checks {
                writeln!(
                    out,
                    "{CHECK_RESULT}{{server=\"{}\",check=\"{}\"}} {}",
                    escape_label(&r.host),
                    c.name,
                    c.state.exit_code()
                )?;
            }
        }
    }
    if let Some(d) = duration_s {
        header(
            out,
            CHECK_DURATION,
            "How long the check of all servers took.",
            Some("seconds"),
        )?;
        writeln!(out, "{CHECK_DURATION} {}", PlainNumber(d))?;
    }
    writeln!(out, "# EOF")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::metrics::HostMetrics;
    use crate::check::probe::ProbeResult;
    use crate::check::verdict::Thresholds;

    #[test]
    fn families_follow_the_naming_rules() {
        let mut names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len(), "names are unique");
        for f in &FAMILIES {
            assert!(f.name.starts_with("ntp_"), "{}", f.name);
            assert!(
                f.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
            );
            if let Some(unit) = f.unit {
                assert!(f.name.ends_with(&format!("_{unit}")), "{}", f.name);
            }
            for reserved in ["_total", "_count", "_sum", "_bucket", "_info", "_created"] {
                assert!(!f.name.ends_with(reserved), "{}", f.name);
            }
            assert!(!f.help.contains(['\\', '"', '\n']), "{}", f.name);
        }
    }

    #[test]
    fn renders_samples_and_leaves_out_what_is_missing() {
        let t = Thresholds::default();
        let mut metrics = HostMetrics {
            offset_s: Some(-0.3),
            stratum: Some(2),
            ..HostMetrics::default()
        };
        metrics.synchronized = Some(true);
        let probe = ProbeResult {
            answered: true,
            metrics,
            missing: vec!["association list".to_owned()],
            failures: vec!["association list: no response after 2 attempts".to_owned()],
        };
        let ok = HostReport::evaluate("a\"b", None, probe, &t);
        let silent = HostReport::unreachable("fd77::99", "no answer", &t);
        let mut out = Vec::new();
        render_openmetrics(&[ok, silent], Some(0.25), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("ntp_up{server=\"a\\\"b\"} 1\nntp_up{server=\"fd77::99\"} 0\n"));
        assert!(text.contains("ntp_check_partial{server=\"a\\\"b\"} 1\n"));
        assert!(text.contains(
            "# HELP ntp_offset_seconds Offset of the server's clock from its system peer (or best candidate).\n\
             # TYPE ntp_offset_seconds gauge\n# UNIT ntp_offset_seconds seconds\n\
             ntp_offset_seconds{server=\"a\\\"b\"} -0.3\n"
        ));
        assert!(
            !text.contains("ntp_jitter_seconds"),
            "no server has a jitter"
        );
        assert!(text.contains("ntp_check_result{server=\"fd77::99\",check=\"answer\"} 3\n"));
        assert!(text.ends_with("ntp_check_duration_seconds 0.25\n# EOF\n"));
        assert_eq!(escape_label("a\\b\nc"), "a\\\\b\\nc");
    }
}
