//! The mode 6 conversation of a check, sans-IO: which requests to send to one server and how
//! their answers become [`HostMetrics`].
//!
//! Two rounds, so that many servers can be asked at once over one socket (the caller runs each
//! round for every server with `Transport::run_many`):
//!
//! 1. [`HostProbe::system_requests`]: READSTAT (the association list with every selection
//!    code) and READVAR of the system variables a check needs, by name so the answer fits one
//!    datagram.
//! 2. [`HostProbe::on_system`] returns READVAR requests for the system peer's variables (for
//!    every candidate, at most [`MAX_CANDIDATES`], when there is no system peer); their
//!    answers go to [`HostProbe::on_peers`].
//!
//! Any request may be lost: [`HostProbe::finish`] fills in what arrived, names what did not,
//! and leaves the rest of [`HostMetrics`] empty, so the verdict can decide from what arrived
//! and say so.

use crate::control::{
    AssocId, AssocStatus, ControlError, ControlOpcode, ControlRequest, ControlResponse,
    LeapIndicator, Selection, VarList,
};
use crate::format::vars::{decode_netnum, parse_uint};
use crate::record::{LeapField, SystemVariables};
use crate::time::CivilTime;

use super::metrics::{HostMetrics, PeerMetrics};

/// The system variables a check reads. All are known to ntpd 4.2.8 and NTPsec 1.2.2 (an unknown
/// name would make the server refuse the whole request); `expire` is sent only when a leap
/// file is loaded.
pub const SYSTEM_VARIABLES: &str =
    "leap,stratum,refid,rootdelay,rootdisp,peer,offset,sys_jitter,expire";

/// The peer variables a check reads.
pub const PEER_VARIABLES: &str = "srcadr,stratum,reach,offset,jitter,delay,dispersion";

/// Most candidates read when a server has no system peer.
pub const MAX_CANDIDATES: usize = 8;

/// Why a request brought no data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeFailure {
    /// True when nothing (or not all) came back in time; false when the server answered with
    /// an error or something unreadable.
    pub lost: bool,
    /// What happened, for people.
    pub message: String,
}

impl ProbeFailure {
    /// Classifies a mode 6 exchange error.
    #[must_use]
    pub fn from_control(err: &ControlError) -> Self {
        let lost = matches!(
            err,
            ControlError::Timeout { .. } | ControlError::Incomplete { .. }
        );
        Self {
            lost,
            message: err.to_string(),
        }
    }

    /// A failure of the socket itself (counted as lost).
    #[must_use]
    pub fn network(message: impl Into<String>) -> Self {
        Self {
            lost: true,
            message: message.into(),
        }
    }
}

/// What one request came to.
pub type Outcome = Result<ControlResponse, ProbeFailure>;

/// One server's check in progress.
#[derive(Debug, Default)]
pub struct HostProbe {
    answered: bool,
    header_leap: Option<LeapIndicator>,
    status_leap: Option<LeapIndicator>,
    assocs: Option<Vec<AssocStatus>>,
    system: Option<SystemVariables>,
    expire: Option<String>,
    requested: Vec<(AssocId, Option<Selection>)>,
    peers: Vec<PeerMetrics>,
    missing: Vec<String>,
    failures: Vec<String>,
}

/// What a finished probe found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProbeResult {
    /// Whether the server answered anything at all (an error reply counts).
    pub answered: bool,
    /// The quantities that arrived.
    pub metrics: HostMetrics,
    /// The requests whose data is missing (`system variables`, `association list`,
    /// `variables of association 1234`).
    pub missing: Vec<String>,
    /// Why, one message per missing request.
    pub failures: Vec<String>,
}

impl HostProbe {
    /// A probe with nothing asked yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The first round: READSTAT, then READVAR of [`SYSTEM_VARIABLES`].
    #[must_use]
    pub fn system_requests() -> [ControlRequest; 2] {
        [
            ControlRequest::new(ControlOpcode::ReadStatus, AssocId::SYSTEM, Vec::new()),
            ControlRequest::new(
                ControlOpcode::ReadVariables,
                AssocId::SYSTEM,
                SYSTEM_VARIABLES,
            ),
        ]
    }

    /// Takes the first round's answers (in the order of [`HostProbe::system_requests`]) and
    /// returns the second round's requests.
    pub fn on_system(&mut self, readstat: Outcome, sysvars: Outcome) -> Vec<ControlRequest> {
        if let Some(r) = self.note(readstat, "association list") {
            self.status_leap = Some(r.system_status().leap);
            match r.assoc_list() {
                Ok(list) => self.assocs = Some(list),
                Err(e) => self.fail("association list", &format!("unreadable: {e}")),
            }
        }
        if let Some(r) = self.note(sysvars, "system variables") {
            let read = r.variables().map_err(|e| e.to_string()).and_then(|vars| {
                let system = SystemVariables::from_vars("", &vars).map_err(|e| e.to_string())?;
                Ok((system, vars.text("expire").map(str::to_owned)))
            });
            match read {
                Ok((system, expire)) => {
                    self.system = Some(system);
                    self.expire = expire;
                }
                Err(e) => self.fail("system variables", &format!("unreadable: {e}")),
            }
        }
        self.requested = self.peers_to_read();
        self.requested
            .iter()
            .map(|(assoc, _)| {
                ControlRequest::new(ControlOpcode::ReadVariables, *assoc, PEER_VARIABLES)
            })
            .collect()
    }

    /// Takes the second round's answers, in the order [`HostProbe::on_system`] returned the
    /// requests (missing trailing outcomes count as lost).
    pub fn on_peers(&mut self, outcomes: Vec<Outcome>) {
        let mut outcomes = outcomes.into_iter();
        for (assoc, selection) in std::mem::take(&mut self.requested) {
            let what = format!("variables of association {assoc}");
            let outcome = outcomes
                .next()
                .unwrap_or_else(|| Err(ProbeFailure::network("not sent")));
            let Some(r) = self.note(outcome, &what) else {
                continue;
            };
            match r.variables() {
                Ok(vars) => {
                    let selection = selection.unwrap_or_else(|| r.peer_status().selection);
                    self.peers.push(peer_metrics(assoc, selection, &vars));
                }
                Err(e) => self.fail(&what, &format!("unreadable: {e}")),
            }
        }
    }

    /// Everything learned, with `now_unix` (the checker's clock) for the leap file's days left.
    #[must_use]
    pub fn finish(self, now_unix: i64) -> ProbeResult {
        let mut m = HostMetrics::default();
        let leap = self
            .system
            .as_ref()
            .map(|s| LeapIndicator::from_bits(s.leap.code))
            .or(self.status_leap)
            .or(self.header_leap);
        m.leap = leap.map(LeapField::from);
        if let Some(s) = &self.system {
            m.stratum = Some(s.stratum);
            m.refid = Some(s.refid.clone());
            m.system_offset_s = s.offset_ms.map(ms);
            m.system_jitter_s = s.sys_jitter_ms.map(ms);
            m.root_delay_s = Some(ms(s.root_delay_ms));
            m.root_dispersion_s = Some(ms(s.root_dispersion_ms));
            m.root_distance_s = Some(ms(s.synch_distance_ms()));
        }
        if let Some(list) = &self.assocs {
            let count = |least: Selection| {
                u32::try_from(
                    list.iter()
                        .filter(|a| u8::from(a.status.selection) >= u8::from(least))
                        .count(),
                )
                .unwrap_or(u32::MAX)
            };
            m.associations = Some(u32::try_from(list.len()).unwrap_or(u32::MAX));
            m.truechimers = Some(count(Selection::Excess));
            m.candidates = Some(count(Selection::Candidate));
        }
        m.system_peer = best_peer(self.peers);
        m.offset_s = m.system_peer.as_ref().and_then(|p| p.offset_s);
        m.jitter_s = m.system_peer.as_ref().and_then(|p| p.jitter_s);
        m.synchronized = synchronized(
            leap,
            m.stratum,
            self.assocs.as_deref().map(has_system_peer),
            self.system.as_ref().map(|s| s.system_peer != 0),
        );
        if let Some(expiry) = self.expire.as_deref().and_then(parse_ctl_date) {
            let c = CivilTime::from_unix(expiry);
            m.leapfile_expires = Some(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}Z",
                c.year, c.month, c.day, c.hour, c.minute
            ));
            m.leapfile_expiry_unix = Some(expiry);
            #[expect(
                clippy::cast_precision_loss,
                reason = "seconds between two dates fit an f64 exactly"
            )]
            let days = (expiry - now_unix) as f64 / 86_400.0;
            m.leapfile_days_left = Some(days);
        }
        ProbeResult {
            answered: self.answered,
            metrics: m,
            missing: self.missing,
            failures: self.failures,
        }
    }

    /// Records an outcome: the response, or why `what` is missing.
    fn note(&mut self, outcome: Outcome, what: &str) -> Option<ControlResponse> {
        match outcome {
            Ok(r) => {
                self.answered = true;
                self.header_leap = Some(r.leap);
                Some(r)
            }
            Err(f) => {
                self.answered |= !f.lost;
                self.fail(what, &f.message);
                None
            }
        }
    }

    fn fail(&mut self, what: &str, why: &str) {
        self.missing.push(what.to_owned());
        self.failures.push(format!("{what}: {why}"));
    }

    /// The system peer; else every candidate (best first, at most [`MAX_CANDIDATES`]); else,
    /// when the association list is missing, the `peer` system variable.
    fn peers_to_read(&self) -> Vec<(AssocId, Option<Selection>)> {
        match &self.assocs {
            Some(list) => {
                let at_least = |least: Selection| {
                    list.iter()
                        .filter(move |a| u8::from(a.status.selection) >= u8::from(least))
                };
                let mut chosen: Vec<&AssocStatus> = at_least(Selection::SysPeer).take(1).collect();
                if chosen.is_empty() {
                    chosen = at_least(Selection::Candidate)
                        .take(MAX_CANDIDATES)
                        .collect();
                }
                chosen
                    .into_iter()
                    .map(|a| (a.assoc, Some(a.status.selection)))
                    .collect()
            }
            None => self
                .system
                .as_ref()
                .filter(|s| s.system_peer != 0)
                .map(|s| (AssocId(s.system_peer), Some(Selection::SysPeer)))
                .into_iter()
                .collect(),
        }
    }
}

fn has_system_peer(list: &[AssocStatus]) -> bool {
    list.iter()
        .any(|a| u8::from(a.status.selection) >= u8::from(Selection::SysPeer))
}

/// Synchronized when every piece of evidence that arrived agrees; unsynchronized as soon as
/// one says so; unknown when the evidence that arrived cannot tell.
fn synchronized(
    leap: Option<LeapIndicator>,
    stratum: Option<u8>,
    peer_in_list: Option<bool>,
    peer_in_vars: Option<bool>,
) -> Option<bool> {
    let says_no = leap == Some(LeapIndicator::Unsynchronized)
        || stratum.is_some_and(|s| s == 0 || s >= 16)
        || peer_in_list == Some(false)
        || (peer_in_list.is_none() && peer_in_vars == Some(false));
    if says_no {
        return Some(false);
    }
    let has_peer = peer_in_list.or(peer_in_vars);
    (leap.is_some() && stratum.is_some() && has_peer == Some(true)).then_some(true)
}

/// The system peer if it was read; else the candidate with the smallest offset (as
/// monitoring-plugins' `check_ntp_peer` chooses).
fn best_peer(peers: Vec<PeerMetrics>) -> Option<PeerMetrics> {
    let rank = |p: &PeerMetrics| {
        let is_sys = p.selection == Selection::SysPeer.condition()
            || p.selection == Selection::PpsPeer.condition();
        (!is_sys, p.offset_s.map_or(f64::INFINITY, f64::abs))
    };
    peers.into_iter().min_by(|a, b| {
        rank(a)
            .partial_cmp(&rank(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    })
}

fn peer_metrics(assoc: AssocId, selection: Selection, vars: &VarList) -> PeerMetrics {
    let float = |n: &str| vars.get(n).and_then(|v| v.as_f64().ok()).map(ms);
    let reach = vars
        .text("reach")
        .and_then(parse_uint)
        .and_then(|r| u8::try_from(r).ok());
    PeerMetrics {
        assoc_id: assoc.0,
        selection: selection.condition().to_owned(),
        address: vars
            .text("srcadr")
            .and_then(decode_netnum)
            .map(|a| a.ip().to_string()),
        stratum: vars
            .get("stratum")
            .and_then(|v| v.as_u64().ok())
            .map(|s| u8::try_from(s).unwrap_or(u8::MAX)),
        reach,
        reach_bits: reach.map(u8::count_ones),
        offset_s: float("offset"),
        jitter_s: float("jitter"),
        delay_s: float("delay"),
        dispersion_s: float("dispersion"),
    }
}

/// Milliseconds (as ntpd reports them, at most nanoseconds in their decimals) to seconds,
/// rounded to the picosecond so that `0.036` ms reads `0.000036` s, not `0.000035999999…`.
fn ms(value: f64) -> f64 {
    (value * 1e9).round() / 1e12
}

/// Reads ntpd's `ctl_putfs` date, `YYYYMMDDHHMM` in UTC (the `expire` and `leapsec` system
/// variables), as a Unix time.
#[must_use]
pub fn parse_ctl_date(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() != 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |range: std::ops::Range<usize>| t.get(range).and_then(|s| s.parse::<u16>().ok());
    let (year, month, day, hour, minute) = (
        field(0..4)?,
        field(4..6)?,
        field(6..8)?,
        field(8..10)?,
        field(10..12)?,
    );
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60;
    valid.then(|| {
        CivilTime {
            year: i64::from(year),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
            hour: u8::try_from(hour).unwrap_or(0),
            minute: u8::try_from(minute).unwrap_or(0),
            second: 0,
            weekday: 0,
        }
        .to_unix()
    })
}

#[cfg(test)]
mod tests;
