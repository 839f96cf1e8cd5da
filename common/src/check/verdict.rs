//! Judging a server: thresholds, one result per judged quantity, and the server's report
//! (what `--json` prints, and what the Nagios and OpenMetrics renderings read).

use serde::Serialize;

use super::CheckState;
use super::metrics::HostMetrics;
use super::probe::ProbeResult;
use super::quantity::{Limit, format_seconds};
use crate::control::LeapIndicator;

/// Every threshold of a check. A [`Limit`] with no level is reported but not judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    /// Largest |offset| of the system peer, seconds (`--warn-offset`, `--crit-offset`).
    #[serde(rename = "offset_s")]
    pub offset: Limit<f64>,
    /// Largest jitter of the system peer, seconds (`--warn-jitter`, `--crit-jitter`).
    #[serde(rename = "jitter_s")]
    pub jitter: Limit<f64>,
    /// Largest stratum of the server (`--max-stratum`).
    pub stratum: Limit<u32>,
    /// Fewest truechimers (`--min-sources`).
    pub sources: Limit<u32>,
    /// Fewest candidates (`--min-candidates`).
    pub candidates: Limit<u32>,
    /// Fewest bits set in the system peer's reach register (`--min-reach`).
    pub reach_bits: Limit<u32>,
    /// Largest root distance, seconds (`--max-root-distance`).
    #[serde(rename = "root_distance_s")]
    pub root_distance: Limit<f64>,
    /// Fewest days before the leap file expires (`--leapfile-days`).
    pub leapfile_days: Limit<f64>,
    /// The state a pending leap second gives (`--leap-pending`, WARNING by default).
    pub leap_pending: CheckState,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            offset: Limit::none(),
            jitter: Limit::none(),
            stratum: Limit::none(),
            sources: Limit::none(),
            candidates: Limit::none(),
            reach_bits: Limit::none(),
            root_distance: Limit::none(),
            leapfile_days: Limit::none(),
            leap_pending: CheckState::Warning,
        }
    }
}

impl<T: Serialize> Serialize for Limit<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Limit", 2)?;
        st.serialize_field("warn", &self.warn)?;
        st.serialize_field("crit", &self.crit)?;
        st.end()
    }
}

/// Which side of a limit is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Bad above the levels.
    Max,
    /// Bad when the magnitude is above the levels (offsets).
    MaxAbs,
    /// Bad below the levels.
    Min,
    /// A condition with no numeric level (synchronization, leap second, answer).
    Condition,
}

/// One judged quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    /// `answer`, `sync`, `leap`, `offset`, `jitter`, `stratum`, `sources`, `candidates`,
    /// `reach`, `root_distance` or `leapfile`.
    pub name: &'static str,
    /// Its state.
    pub state: CheckState,
    /// The value judged, in `unit`; `null` when it did not arrive.
    pub value: Option<f64>,
    /// `s`, `days`, or `null` for counts and conditions.
    pub unit: Option<&'static str>,
    /// Which side of the levels is bad.
    pub bound: Bound,
    /// WARNING level, in `unit`.
    pub warn: Option<f64>,
    /// CRITICAL level, in `unit`.
    pub crit: Option<f64>,
    /// What was found, for people (`offset -300.000 ms (WARNING: over 100.000 ms)`).
    pub message: String,
}

/// A server's verdict with everything it rests on: the document `ntpq check --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostReport {
    /// Always `check`.
    pub command: &'static str,
    /// The server as given.
    pub host: String,
    /// The address asked (`10.77.0.1:123`); `null` when the name did not resolve.
    pub address: Option<String>,
    /// The verdict: the worst state of `checks`.
    pub state: CheckState,
    /// The verdict as a plugin exit code (0–3).
    pub exit_code: u8,
    /// The status text of this server (what the Nagios line says about it).
    pub summary: String,
    /// Whether the server answered anything.
    pub answered: bool,
    /// Whether some requests got no data while others did: the verdict rests on what arrived.
    pub partial: bool,
    /// What did not arrive (`system variables`, `variables of association 1234`, …).
    pub missing: Vec<String>,
    /// Why, one message each.
    pub failures: Vec<String>,
    /// Every quantity measured.
    pub metrics: HostMetrics,
    /// Every threshold in force.
    pub thresholds: Thresholds,
    /// Every quantity judged, with its state.
    pub checks: Vec<CheckResult>,
}

impl HostReport {
    /// Judges what a probe of `host` (at `address`) found.
    #[must_use]
    pub fn evaluate(
        host: &str,
        address: Option<String>,
        probe: ProbeResult,
        thresholds: &Thresholds,
    ) -> Self {
        let first_reason = |probe: &ProbeResult| {
            probe
                .failures
                .first()
                .map(|f| {
                    f.split_once(": ")
                        .map_or(f.as_str(), |(_, why)| why)
                        .to_owned()
                })
                .unwrap_or_default()
        };
        if !probe.answered {
            let message = format!("no answer ({})", first_reason(&probe));
            return Self::unknown(host, address, message, probe, thresholds);
        }
        let first_round_lost = ["association list", "system variables"]
            .iter()
            .all(|what| probe.missing.iter().any(|m| m == what));
        if first_round_lost {
            // It answered, but only with errors: nothing to judge.
            let message = format!("no usable answer ({})", first_reason(&probe));
            let mut report = Self::unknown(host, address, message, probe, thresholds);
            report.answered = true;
            return report;
        }
        let m = &probe.metrics;
        let mut checks = vec![sync_check(m, &probe.missing), leap_check(m, thresholds)];
        checks.extend(limit_checks(m, thresholds, &probe.missing));
        let state = CheckState::worst_of(checks.iter().map(|c| c.state));
        let partial = !probe.missing.is_empty();
        let mut summary = summarize(m, &checks);
        if partial {
            summary.push_str(&format!(
                "; partial answer, no {}",
                probe.missing.join(", no ")
            ));
        }
        Self {
            command: "check",
            host: host.to_owned(),
            address,
            state,
            exit_code: state.exit_code(),
            summary,
            answered: true,
            partial,
            missing: probe.missing,
            failures: probe.failures,
            metrics: probe.metrics,
            thresholds: thresholds.clone(),
            checks,
        }
    }

    /// A server that could not be asked at all (its name did not resolve, say): UNKNOWN.
    #[must_use]
    pub fn unreachable(host: &str, why: &str, thresholds: &Thresholds) -> Self {
        let probe = ProbeResult {
            answered: false,
            metrics: HostMetrics::default(),
            missing: Vec::new(),
            failures: vec![why.to_owned()],
        };
        Self::unknown(host, None, why.to_owned(), probe, thresholds)
    }

    fn unknown(
        host: &str,
        address: Option<String>,
        message: String,
        probe: ProbeResult,
        thresholds: &Thresholds,
    ) -> Self {
        Self {
            command: "check",
            host: host.to_owned(),
            address,
            state: CheckState::Unknown,
            exit_code: CheckState::Unknown.exit_code(),
            summary: message.clone(),
            answered: false,
            partial: false,
            missing: probe.missing,
            failures: probe.failures,
            metrics: probe.metrics,
            thresholds: thresholds.clone(),
            checks: vec![CheckResult {
                name: "answer",
                state: CheckState::Unknown,
                value: None,
                unit: None,
                bound: Bound::Condition,
                warn: None,
                crit: None,
                message,
            }],
        }
    }

    /// The result named `name`, if it was judged.
    #[must_use]
    pub fn check(&self, name: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.name == name)
    }
}

fn condition(name: &'static str, state: CheckState, message: String) -> CheckResult {
    CheckResult {
        name,
        state,
        value: None,
        unit: None,
        bound: Bound::Condition,
        warn: None,
        crit: None,
        message,
    }
}

fn sync_check(m: &HostMetrics, missing: &[String]) -> CheckResult {
    match m.synchronized {
        Some(true) => condition("sync", CheckState::Ok, "synchronized".to_owned()),
        Some(false) => {
            let mut why = Vec::new();
            if let Some(leap) = &m.leap {
                why.push(leap.name.to_owned());
            }
            if let Some(stratum) = m.stratum {
                why.push(format!("stratum {stratum}"));
            }
            if m.candidates == Some(0) {
                why.push("no candidates".to_owned());
            } else if m.associations.is_some() || m.system_peer.is_none() {
                why.push("no system peer".to_owned());
            }
            condition(
                "sync",
                CheckState::Critical,
                format!("not synchronized ({})", why.join(", ")),
            )
        }
        None => condition(
            "sync",
            CheckState::Unknown,
            format!("synchronization unknown (no {})", missing.join(", no ")),
        ),
    }
}

fn leap_check(m: &HostMetrics, t: &Thresholds) -> CheckResult {
    let leap = m.leap.map(|l| LeapIndicator::from_bits(l.code));
    match leap {
        Some(LeapIndicator::AddSecond | LeapIndicator::DeleteSecond) => {
            let name = m.leap.map_or("", |l| l.name);
            let mut message = format!("leap second pending ({name})");
            if t.leap_pending != CheckState::Ok {
                message.push_str(&format!(" ({})", t.leap_pending));
            }
            condition("leap", t.leap_pending, message)
        }
        Some(LeapIndicator::NoWarning | LeapIndicator::Unsynchronized) => {
            condition("leap", CheckState::Ok, "no leap second pending".to_owned())
        }
        None => condition(
            "leap",
            CheckState::Unknown,
            "leap indicator unknown".to_owned(),
        ),
    }
}

/// What a limit check is about.
struct Spec {
    name: &'static str,
    unit: Option<&'static str>,
    bound: Bound,
    /// How a level reads in messages (`100.000 ms`, `3`).
    level: fn(f64) -> String,
    /// Its name when the value is missing (`offset unknown`).
    label: &'static str,
}

fn spec(
    name: &'static str,
    unit: Option<&'static str>,
    bound: Bound,
    level: fn(f64) -> String,
    label: &'static str,
) -> Spec {
    Spec {
        name,
        unit,
        bound,
        level,
        label,
    }
}

fn level_seconds(v: f64) -> String {
    format_seconds(v, false)
}

fn level_plain(v: f64) -> String {
    format!("{v}")
}

fn level_days(v: f64) -> String {
    format!("{v} days")
}

/// Judges `value` against `limit`; `shown` says what the value is.
fn judge(
    spec: &Spec,
    value: Option<f64>,
    limit: Limit<f64>,
    absent: &str,
    shown: impl Fn(f64) -> String,
) -> CheckResult {
    let mut result = CheckResult {
        name: spec.name,
        state: CheckState::Unknown,
        value,
        unit: spec.unit,
        bound: spec.bound,
        warn: limit.warn,
        crit: limit.crit,
        message: format!("{} unknown ({absent})", spec.label),
    };
    let Some(v) = value else {
        return result;
    };
    let crossed = |level: f64| match spec.bound {
        Bound::Max => v > level,
        Bound::MaxAbs => v.abs() > level,
        Bound::Min => v < level,
        Bound::Condition => false,
    };
    let (state, level) = if let Some(c) = limit.crit.filter(|&c| crossed(c)) {
        (CheckState::Critical, Some(c))
    } else if let Some(w) = limit.warn.filter(|&w| crossed(w)) {
        (CheckState::Warning, Some(w))
    } else {
        (CheckState::Ok, None)
    };
    let side = if spec.bound == Bound::Min {
        "under"
    } else {
        "over"
    };
    result.state = state;
    result.message = match level {
        None => shown(v),
        Some(level) => format!("{} ({state}: {side} {})", shown(v), (spec.level)(level)),
    };
    result
}

fn count_limit(l: Limit<u32>) -> Limit<f64> {
    Limit {
        warn: l.warn.map(f64::from),
        crit: l.crit.map(f64::from),
    }
}

fn plural(n: f64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1.0 { one } else { many })
}

fn limit_checks(m: &HostMetrics, t: &Thresholds, missing: &[String]) -> Vec<CheckResult> {
    let lost = |what: &str| missing.iter().any(|x| x.starts_with(what));
    let system_absent = if lost("system variables") {
        "system variables lost"
    } else {
        "not reported"
    };
    let peer_absent = if m.system_peer.is_some() {
        "not reported by the system peer"
    } else if lost("variables of association") {
        "system peer variables lost"
    } else if lost("association list") {
        "association list lost"
    } else {
        "no system peer"
    };
    let list_absent = "association list lost";
    let peer = m.system_peer.as_ref();
    let mut out = Vec::new();
    if t.offset.is_set() {
        let s = spec("offset", Some("s"), Bound::MaxAbs, level_seconds, "offset");
        out.push(judge(&s, m.offset_s, t.offset, peer_absent, |v| {
            format!("offset {}", format_seconds(v, true))
        }));
    }
    if t.jitter.is_set() {
        let s = spec("jitter", Some("s"), Bound::Max, level_seconds, "jitter");
        out.push(judge(&s, m.jitter_s, t.jitter, peer_absent, |v| {
            format!("jitter {}", format_seconds(v, false))
        }));
    }
    if t.stratum.is_set() {
        let s = spec("stratum", None, Bound::Max, level_plain, "stratum");
        let value = m.stratum.map(f64::from);
        out.push(judge(
            &s,
            value,
            count_limit(t.stratum),
            system_absent,
            |v| format!("stratum {v}"),
        ));
    }
    if t.sources.is_set() {
        let s = spec("sources", None, Bound::Min, level_plain, "truechimers");
        let value = m.truechimers.map(f64::from);
        out.push(judge(&s, value, count_limit(t.sources), list_absent, |v| {
            plural(v, "truechimer", "truechimers")
        }));
    }
    if t.candidates.is_set() {
        let s = spec("candidates", None, Bound::Min, level_plain, "candidates");
        let value = m.candidates.map(f64::from);
        out.push(judge(
            &s,
            value,
            count_limit(t.candidates),
            list_absent,
            |v| plural(v, "candidate", "candidates"),
        ));
    }
    if t.reach_bits.is_set() {
        let s = spec("reach", None, Bound::Min, level_plain, "reach");
        let register = peer.and_then(|p| p.reach).unwrap_or(0);
        let value = peer.and_then(|p| p.reach_bits).map(f64::from);
        out.push(judge(
            &s,
            value,
            count_limit(t.reach_bits),
            peer_absent,
            |v| format!("reach {register:o} ({v} of 8)"),
        ));
    }
    if t.root_distance.is_set() {
        let s = spec(
            "root_distance",
            Some("s"),
            Bound::Max,
            level_seconds,
            "root distance",
        );
        out.push(judge(
            &s,
            m.root_distance_s,
            t.root_distance,
            system_absent,
            |v| format!("root distance {}", format_seconds(v, false)),
        ));
    }
    if t.leapfile_days.is_set() {
        let s = spec(
            "leapfile",
            Some("days"),
            Bound::Min,
            level_days,
            "leap file expiry",
        );
        out.push(leapfile_check(
            &s,
            m,
            t.leapfile_days,
            lost("system variables"),
        ));
    }
    out
}

fn leapfile_check(
    spec: &Spec,
    m: &HostMetrics,
    limit: Limit<f64>,
    system_lost: bool,
) -> CheckResult {
    if m.leapfile_days_left.is_some() || system_lost {
        let when = m.leapfile_expires.as_deref().unwrap_or_default();
        return judge(
            spec,
            m.leapfile_days_left,
            limit,
            "system variables lost",
            |days| {
                if days < 0.0 {
                    format!("leap file expired {when}, {:.1} days ago", -days)
                } else {
                    format!("leap file expires {when}, in {days:.1} days")
                }
            },
        );
    }
    // Asked to watch the leap file, and the server has none: as bad as an expired one.
    let state = if limit.crit.is_some() {
        CheckState::Critical
    } else {
        CheckState::Warning
    };
    CheckResult {
        name: spec.name,
        state,
        value: None,
        unit: spec.unit,
        bound: spec.bound,
        warn: limit.warn,
        crit: limit.crit,
        message: format!("no leap file loaded ({state})"),
    }
}

/// The server's status text: synchronization first, then offset and jitter (always, when
/// known), then every other judged quantity (an OK stratum only when the first part does not
/// already say it).
fn summarize(m: &HostMetrics, checks: &[CheckResult]) -> String {
    let mut parts = Vec::new();
    let find = |name: &str| checks.iter().find(|c| c.name == name);
    let says_stratum = match (m.synchronized, &m.refid, m.stratum) {
        (Some(true), Some(refid), Some(stratum)) => {
            parts.push(format!(
                "synchronized to {} at stratum {stratum}",
                refid.text
            ));
            true
        }
        _ => {
            parts.extend(find("sync").map(|c| c.message.clone()));
            false
        }
    };
    if let Some(leap) = find("leap").filter(|c| c.state != CheckState::Ok) {
        parts.push(leap.message.clone());
    }
    match (find("offset"), m.offset_s) {
        (Some(c), _) => parts.push(c.message.clone()),
        (None, Some(offset)) => parts.push(format!("offset {}", format_seconds(offset, true))),
        (None, None) => {}
    }
    match (find("jitter"), m.jitter_s) {
        (Some(c), _) => parts.push(c.message.clone()),
        (None, Some(jitter)) => parts.push(format!("jitter {}", format_seconds(jitter, false))),
        (None, None) => {}
    }
    for c in checks {
        let shown = match c.name {
            "sync" | "leap" | "offset" | "jitter" => false,
            "stratum" => !(says_stratum && c.state == CheckState::Ok),
            _ => true,
        };
        if shown {
            parts.push(c.message.clone());
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests;
