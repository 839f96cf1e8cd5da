//! From sampled servers to the result: per-server best samples and the selection
//! ([`Outcome::select`]), the JSON record ([`Outcome::record`]), and the classic text lines.

use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::SystemTime;

use ntpkit::record::{
    DateAction, DateReport, DateSample, DateSelection, DateServer, DriftRecord, ServerStatus,
};
use ntpkit::sync::{self, Candidate, Measurement, Selection, drift::DriftEstimate};
use ntpkit::time::CivilTime;

use crate::cli::Mode;
use crate::query::{Failure, SampleResult, ServerState};

/// Servers, their best samples and the selection among them.
#[derive(Debug)]
pub struct Outcome {
    /// Every server, in command-line order.
    pub servers: Vec<ServerState>,
    /// Per server: index in its `samples` of the best accepted sample.
    pub best: Vec<Option<usize>>,
    /// The selection; indices are server indices.
    pub selection: Selection,
}

fn ms(s: f64) -> f64 {
    s * 1e3
}

impl Outcome {
    /// Picks each server's best sample and selects among the servers that have one.
    pub fn select(servers: Vec<ServerState>) -> Self {
        let best: Vec<Option<usize>> = servers
            .iter()
            .map(|s| {
                let accepted: Vec<usize> = s
                    .samples
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| matches!(r, SampleResult::Accepted { .. }))
                    .map(|(i, _)| i)
                    .collect();
                sync::best_sample(&s.measurements()).and_then(|b| accepted.get(b).copied())
            })
            .collect();
        let with_sample: Vec<usize> = (0..servers.len())
            .filter(|&i| best.get(i).copied().flatten().is_some())
            .collect();
        let candidates: Vec<Candidate> = with_sample
            .iter()
            .filter_map(|&i| {
                let m = Self::best_of(&servers, &best, i)?;
                Some(Candidate {
                    offset: m.offset,
                    root_distance: m.root_distance,
                    stratum: m.stratum,
                })
            })
            .collect();
        let local = sync::select(&candidates);
        let map = |v: &[usize]| -> Vec<usize> {
            v.iter()
                .filter_map(|&c| with_sample.get(c).copied())
                .collect()
        };
        let selection = Selection {
            truechimers: map(&local.truechimers),
            falsetickers: map(&local.falsetickers),
            interval: local.interval,
            chosen: local.chosen.and_then(|c| with_sample.get(c).copied()),
        };
        Self {
            servers,
            best,
            selection,
        }
    }

    fn best_of(servers: &[ServerState], best: &[Option<usize>], i: usize) -> Option<Measurement> {
        let b = best.get(i).copied().flatten()?;
        match servers.get(i)?.samples.get(b)? {
            SampleResult::Accepted { m, .. } => Some(*m),
            SampleResult::Rejected { .. } => None,
        }
    }

    /// The best sample of server `i`.
    pub fn best_measurement(&self, i: usize) -> Option<Measurement> {
        Self::best_of(&self.servers, &self.best, i)
    }

    /// The chosen server and its best sample.
    pub fn chosen(&self) -> Option<(&ServerState, Measurement)> {
        let i = self.selection.chosen?;
        Some((self.servers.get(i)?, self.best_measurement(i)?))
    }

    /// Why no server could be used, in one line.
    pub fn why_none(&self) -> String {
        if self.selection.chosen.is_none() && !self.selection.falsetickers.is_empty() {
            return "no majority of servers agree on the time (every server is a falseticker)"
                .to_owned();
        }
        let reasons: Vec<String> = self
            .servers
            .iter()
            .map(|s| format!("{}: {}", s.name, server_reason(s)))
            .collect();
        reasons.join("; ")
    }

    /// The exit code when no server could be used: 3 if none answered, 4 if every failure was
    /// authentication, else 1.
    pub fn failure_code(&self) -> u8 {
        let failures: Vec<Failure> = self
            .servers
            .iter()
            .flat_map(|s| {
                s.samples
                    .iter()
                    .filter_map(|r| match r {
                        SampleResult::Rejected { failure, .. } => Some(*failure),
                        SampleResult::Accepted { .. } => None,
                    })
                    .chain(s.stop.iter().map(|(_, f)| *f))
            })
            .collect();
        if !self.selection.falsetickers.is_empty() || failures.is_empty() {
            1
        } else if failures.iter().all(|f| *f == Failure::Unreachable) {
            3
        } else if failures.iter().all(|f| *f == Failure::Authentication) {
            4
        } else {
            1
        }
    }

    /// The JSON record.
    pub fn record(
        &self,
        mode: Mode,
        action: DateAction,
        drift: Option<(usize, DriftEstimate)>,
    ) -> DateReport {
        let name = |i: usize| self.servers.get(i).map(|s| s.name.clone());
        let servers = self
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| self.server_record(i, s))
            .collect();
        let selection = (!self.selection.truechimers.is_empty()
            || !self.selection.falsetickers.is_empty())
        .then(|| DateSelection {
            server: self.selection.chosen.and_then(name),
            truechimers: self
                .selection
                .truechimers
                .iter()
                .filter_map(|&i| name(i))
                .collect(),
            falsetickers: self
                .selection
                .falsetickers
                .iter()
                .filter_map(|&i| name(i))
                .collect(),
            interval_ms: self.selection.interval.map(|(l, h)| [ms(l), ms(h)]),
        });
        DateReport {
            mode: mode.name(),
            servers,
            selection,
            action,
            drift: drift.and_then(|(i, d)| {
                Some(DriftRecord {
                    server: name(i)?,
                    ppm: d.ppm,
                    error_ppm: d.error_ppm,
                    points: d.points,
                    span_s: d.span,
                })
            }),
        }
    }

    fn server_record(&self, i: usize, s: &ServerState) -> DateServer {
        let best = self.best.get(i).copied().flatten();
        let m = self.best_measurement(i);
        let status = if self.selection.chosen == Some(i) {
            ServerStatus::Selected
        } else if self.selection.truechimers.contains(&i) {
            ServerStatus::Truechimer
        } else if self.selection.falsetickers.contains(&i) {
            ServerStatus::Falseticker
        } else {
            ServerStatus::Rejected
        };
        let reason = match status {
            ServerStatus::Selected | ServerStatus::Truechimer => None,
            ServerStatus::Falseticker => Some(
                "falseticker: its interval does not overlap the one the majority agrees on"
                    .to_owned(),
            ),
            ServerStatus::Rejected => Some(server_reason(s)),
        };
        let accepted: Vec<Measurement> = s.measurements();
        let jitter = sync::best_sample(&accepted).map(|b| sync::jitter(&accepted, b));
        let p = s.last.as_ref();
        DateServer {
            server: s.name.clone(),
            address: s.addr.map(|a| a.to_string()),
            stratum: p.map(|p| p.stratum.0),
            leap: p.map(|p| p.leap.name()),
            refid: p.map(|p| p.reference_id.summary(p.refid_context())),
            root_delay_ms: p.map(|p| ms(p.root_delay.signed_seconds())),
            root_dispersion_ms: p.map(|p| ms(p.root_dispersion.seconds())),
            key_id: s.key_id,
            samples: s
                .samples
                .iter()
                .map(|r| match r {
                    SampleResult::Accepted { m, .. } => DateSample {
                        accepted: true,
                        offset_ms: Some(ms(m.offset)),
                        delay_ms: Some(ms(m.delay)),
                        dispersion_ms: Some(ms(m.dispersion)),
                        root_distance_ms: Some(ms(m.root_distance)),
                        reason: None,
                    },
                    SampleResult::Rejected { reason, .. } => DateSample {
                        accepted: false,
                        offset_ms: None,
                        delay_ms: None,
                        dispersion_ms: None,
                        root_distance_ms: None,
                        reason: Some(reason.clone()),
                    },
                })
                .collect(),
            best,
            offset_ms: m.map(|m| ms(m.offset)),
            delay_ms: m.map(|m| ms(m.delay)),
            dispersion_ms: m.map(|m| ms(m.dispersion)),
            root_distance_ms: m.map(|m| ms(m.root_distance)),
            jitter_ms: m.and(jitter).map(ms),
            ignored_replies: s.ignored,
            status,
            reason,
        }
    }
}

/// Why a server gave no usable sample: its stop reason, else its last rejection.
pub fn server_reason(s: &ServerState) -> String {
    if let Some((why, _)) = &s.stop {
        return why.clone();
    }
    s.samples
        .iter()
        .rev()
        .find_map(|r| match r {
            SampleResult::Rejected { reason, .. } => Some(reason.clone()),
            SampleResult::Accepted { .. } => None,
        })
        .unwrap_or_else(|| "no usable sample".to_owned())
}

/// `server 10.77.0.1, stratum 1, offset +0.000080, delay 0.00021`, as the classic `-q`.
pub fn server_line(s: &ServerState, m: &Measurement) -> String {
    let addr = s
        .addr
        .map_or_else(|| s.name.clone(), |a| a.ip().to_string());
    format!(
        "server {addr}, stratum {}, offset {:+.6}, delay {:.5}",
        m.stratum, m.offset, m.delay
    )
}

/// `step time server 10.77.0.1 offset +2.500102 sec` (the classic result line; `adjust` for a slew).
pub fn result_message(kind: &str, s: &ServerState, offset: f64) -> String {
    let addr = s
        .addr
        .map_or_else(|| s.name.clone(), |a| a.ip().to_string());
    let verb = if kind == "step" { "step" } else { "adjust" };
    format!("{verb} time server {addr} offset {offset:+.6} sec")
}

/// `21 Nov 06:39:31 ntpdate[22034]: ` (UTC), the classic prefix of result lines on stdout.
pub fn log_prefix(now: SystemTime) -> String {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let c = CivilTime::from_unix(secs);
    format!(
        "{:2} {} {:02}:{:02}:{:02} ntpdate[{}]: ",
        c.day,
        c.month_name(),
        c.hour,
        c.minute,
        c.second,
        std::process::id()
    )
}

/// Where result lines go: standard output with the classic prefix, or syslog (`-s`).
#[derive(Debug)]
pub enum Log<'a> {
    /// Standard output.
    Stdout,
    /// A syslog socket (`/dev/log`).
    Syslog(&'a Path),
}

/// syslog priority: facility daemon (3), severity notice (5) or error (3).
fn priority(error: bool) -> u8 {
    (3 << 3) | if error { 3 } else { 5 }
}

impl Log<'_> {
    /// Writes one result line. With syslog, a line the socket refuses goes to stderr instead.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn line(&self, out: &mut impl Write, message: &str, error: bool) -> io::Result<()> {
        match self {
            Self::Stdout => writeln!(out, "{}{message}", log_prefix(SystemTime::now())),
            Self::Syslog(path) => {
                let c = CivilTime::from_unix(
                    SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
                );
                let datagram = format!(
                    "<{}>{} {:2} {:02}:{:02}:{:02} ntpdate[{}]: {message}",
                    priority(error),
                    c.month_name(),
                    c.day,
                    c.hour,
                    c.minute,
                    c.second,
                    std::process::id()
                );
                let sent =
                    UnixDatagram::unbound().and_then(|s| s.send_to(datagram.as_bytes(), path));
                if let Err(e) = sent {
                    eprintln!("ntpdate: syslog {}: {e}; {message}", path.display());
                }
                Ok(())
            }
        }
    }
}
