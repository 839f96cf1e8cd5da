//! The MRU list client (protocol notes §5): READ_MRU requests carrying a nonce, paging
//! parameters, the caller's filters and resume points ("priors"), and the assembly of the
//! answers into one list of clients.
//!
//! [`MruCollector`] is sans-IO: it builds each request's payload and digests each response's
//! variables or error; the caller sends REQ_NONCE first and the requests it asks for. The
//! policy follows ntpq 4.2.8 (§5.4.1): start with `frags=32`, grow by one fragment after each
//! answer, halve after a timeout, switch to `limit=` after `CERR_BADVALUE`, drop the offered
//! priors after `CERR_UNKNOWNVAR` and start again at most 8 times.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use thiserror::Error;

use super::error::{ControlError, ErrorCode};
use super::header::CONTROL_MAX_DATA;
use super::vars::{VarList, split_indexed};
use crate::time::NtpTimestamp;

/// Most fragments ntpq asks for per answer (`MAXFRAGS`).
pub const MRU_MAX_FRAGS: u32 = 32;
/// Most rows per answer in `limit` mode.
const MRU_MAX_LIMIT: u32 = 96;
/// Restarts from the beginning before giving up.
const MRU_MAX_RESTARTS: u32 = 8;
/// Requests one nonce may serve before a new REQ_NONCE (ntpq's rule).
const NONCE_USES: u32 = 4;

/// One client in the server's MRU list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MruEntry {
    /// Address and source port.
    pub addr: SocketAddr,
    /// Time of its last packet (server clock).
    pub last: NtpTimestamp,
    /// Time of its first packet.
    pub first: NtpTimestamp,
    /// Packets counted.
    pub count: u64,
    /// Mode of the last packet.
    pub mode: u8,
    /// Version of the last packet.
    pub version: u8,
    /// Restriction flags applied to it (`RES_*`).
    pub restrict: u32,
}

/// Why MRU collection stopped with an error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MruError {
    /// The server kept losing our resume points.
    #[error(
        "gave up after {0} restarts: the server's MRU list changes faster than it can be read (raise its mru limits)"
    )]
    TooManyRestarts(u32),
    /// A request failed in a way collection cannot recover from.
    #[error(transparent)]
    Control(#[from] ControlError),
    /// The answer referred to an entry we do not hold, or was otherwise inconsistent.
    #[error("inconsistent MRU answer: {0}")]
    Inconsistent(String),
}

/// What to do after a response was digested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MruProgress {
    /// Send [`MruCollector::request`] again.
    More,
    /// The list is complete.
    Done,
}

/// Assembles the MRU list from successive READ_MRU answers.
#[derive(Debug, Clone)]
pub struct MruCollector {
    filters: Vec<(String, String)>,
    nonce: Option<String>,
    nonce_uses: u32,
    frags: u32,
    limit: u32,
    row_limit: u32,
    cap_frags: bool,
    restarts: u32,
    offered: usize,
    /// Oldest first.
    entries: Vec<MruEntry>,
    updates: usize,
    now: Option<NtpTimestamp>,
}

impl MruCollector {
    /// A collector sending these server-side filters (`mincount`, `resall`, `resany`,
    /// `maxlstint`, `laddr`, …) with every request.
    #[must_use]
    pub fn new(filters: Vec<(String, String)>) -> Self {
        Self {
            filters,
            nonce: None,
            nonce_uses: 0,
            frags: MRU_MAX_FRAGS,
            limit: MRU_MAX_LIMIT,
            row_limit: 256,
            cap_frags: true,
            restarts: 0,
            offered: 0,
            entries: Vec::new(),
            updates: 0,
            now: None,
        }
    }

    /// Whether a REQ_NONCE must be sent before the next request.
    #[must_use]
    pub fn needs_nonce(&self) -> bool {
        self.nonce.is_none() || self.nonce_uses >= NONCE_USES
    }

    /// Takes the `nonce=` of a REQ_NONCE answer.
    ///
    /// # Errors
    /// The answer has no nonce.
    pub fn set_nonce(&mut self, vars: &VarList) -> Result<(), MruError> {
        let nonce = vars
            .text("nonce")
            .ok_or_else(|| MruError::Inconsistent("no nonce in the nonce answer".to_owned()))?;
        self.nonce = Some(nonce.to_owned());
        self.nonce_uses = 0;
        Ok(())
    }

    /// The payload of the next READ_MRU request: nonce, `frags=` or `limit=`, the filters,
    /// then `addr.N=…, last.N=…` resume points from the newest entry held, as many as fit.
    #[must_use]
    pub fn request(&mut self) -> String {
        let mut out = format!("nonce={}", self.nonce.as_deref().unwrap_or_default());
        if self.cap_frags {
            out.push_str(&format!(", frags={}", self.frags));
        } else {
            out.push_str(&format!(", limit={}", self.limit));
        }
        for (name, value) in &self.filters {
            out.push_str(&format!(", {name}={value}"));
        }
        self.offered = 0;
        for (i, entry) in self.entries.iter().rev().enumerate().take(16) {
            // `[addr%zone]:port` for IPv6: the server matches priors on the exact address.
            let addr = entry.addr.to_string();
            let prior = format!(", addr.{i}={addr}, last.{i}=0x{}", entry.last);
            if out.len() + prior.len() > CONTROL_MAX_DATA {
                break;
            }
            out.push_str(&prior);
            self.offered += 1;
        }
        self.nonce_uses += 1;
        out
    }

    /// Digests a successful answer.
    ///
    /// # Errors
    /// The answer names an entry we do not hold as its starting point.
    pub fn on_response(&mut self, vars: &VarList) -> Result<MruProgress, MruError> {
        if let Some(nonce) = vars.text("nonce") {
            self.nonce = Some(nonce.to_owned());
            self.nonce_uses = 0;
        }
        let mut rows: BTreeMap<u32, Partial> = BTreeMap::new();
        let mut complete = false;
        for var in vars.iter() {
            let value = var.text().unwrap_or_default();
            match split_indexed(&var.name) {
                ("now", None) => {
                    self.now = value.parse().ok();
                    complete = true;
                }
                (tag, Some(index)) => rows.entry(index).or_default().set(tag, value),
                // `nonce` was taken above; `addr.older`, `last.older` and `last.newest`
                // only restate what we sent or received.
                _ => {}
            }
        }
        for row in rows.into_values() {
            if let Some(entry) = row.finish() {
                self.insert(entry);
            }
        }
        if self.cap_frags {
            self.frags = (self.frags + 1).min(MRU_MAX_FRAGS);
        } else {
            let grown = (self.limit + 1).max(self.limit * 33 / 32);
            self.limit = grown.min(MRU_MAX_LIMIT).min(self.row_limit);
        }
        Ok(if complete {
            MruProgress::Done
        } else {
            MruProgress::More
        })
    }

    /// Digests a failed request; `Ok(())` means: send [`MruCollector::request`] again.
    ///
    /// # Errors
    /// The failure cannot be recovered from.
    pub fn on_error(&mut self, err: ControlError) -> Result<(), MruError> {
        match err {
            ControlError::Server(ErrorCode::UnknownVariable) if self.offered > 0 => {
                // None of our resume points is in the server's list any more.
                let keep = self.entries.len().saturating_sub(self.offered);
                self.entries.truncate(keep);
                if self.entries.is_empty() {
                    self.restarts += 1;
                    if self.restarts > MRU_MAX_RESTARTS {
                        return Err(MruError::TooManyRestarts(MRU_MAX_RESTARTS));
                    }
                }
                Ok(())
            }
            ControlError::Server(ErrorCode::BadValue) => {
                if self.cap_frags {
                    self.cap_frags = false;
                } else {
                    self.row_limit = self.row_limit.saturating_sub(1).max(1);
                    self.limit = self.limit.min(self.row_limit);
                }
                Ok(())
            }
            ControlError::Timeout { .. } | ControlError::Incomplete { .. } => {
                if self.cap_frags {
                    self.frags = (self.frags / 2).max(2);
                } else {
                    self.limit = (self.limit / 2).max(2);
                }
                Ok(())
            }
            other => Err(other.into()),
        }
    }

    /// The clients collected, oldest first.
    #[must_use]
    pub fn entries(&self) -> &[MruEntry] {
        &self.entries
    }

    /// Entries that replaced an earlier entry of the same address.
    #[must_use]
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// The server's `now` from the final answer.
    #[must_use]
    pub fn now(&self) -> Option<NtpTimestamp> {
        self.now
    }

    fn insert(&mut self, entry: MruEntry) {
        if let Some(pos) = self.entries.iter().position(|e| e.addr == entry.addr) {
            self.entries.remove(pos);
            self.updates += 1;
        }
        self.entries.push(entry);
    }
}

#[derive(Debug, Default)]
struct Partial {
    addr: Option<SocketAddr>,
    last: Option<NtpTimestamp>,
    first: Option<NtpTimestamp>,
    count: Option<u64>,
    mv: Option<u64>,
    rs: Option<u64>,
}

impl Partial {
    fn set(&mut self, tag: &str, value: &str) {
        match tag {
            "addr" => self.addr = parse_addr(value),
            "last" => self.last = value.parse().ok(),
            "first" => self.first = value.parse().ok(),
            "ct" => self.count = value.parse().ok(),
            "mv" => self.mv = value.parse().ok(),
            "rs" => {
                let hex = value.strip_prefix("0x").unwrap_or(value);
                self.rs = u64::from_str_radix(hex, 16).ok();
            }
            // ntpd injects random tags; newer servers add score and drop counts.
            _ => {}
        }
    }

    fn finish(self) -> Option<MruEntry> {
        let mv = self.mv?;
        Some(MruEntry {
            addr: self.addr?,
            last: self.last?,
            first: self.first?,
            count: self.count.filter(|&c| c >= 1)?,
            mode: u8::try_from(mv & 7).ok()?,
            version: u8::try_from((mv >> 3) & 7).ok()?,
            restrict: u32::try_from(self.rs?).ok()?,
        })
    }
}

fn parse_addr(value: &str) -> Option<SocketAddr> {
    value.parse().ok().or_else(|| {
        let (ip, port) = value.rsplit_once(':')?;
        Some(SocketAddr::new(ip.parse().ok()?, port.parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> VarList {
        VarList::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn pages_until_now() {
        let mut c = MruCollector::new(vec![("mincount".into(), "2".into())]);
        assert!(c.needs_nonce());
        c.set_nonce(&vars("nonce=abc\r\n")).unwrap();
        assert!(!c.needs_nonce());
        assert_eq!(c.request(), "nonce=abc, frags=32, mincount=2");
        let first = "nonce=def, addr.0=10.0.0.1:123, last.0=0xe4a1b2c3.00000000, \
                     first.0=0xe4a1b000.00000000, ct.0=12, mv.0=35, rs.0=0x0, qwe.0=5, \
                     rs.1=0x420, addr.1=[fd77::10]:40000, mv.1=36, last.1=0xe4a1b2c4.0, \
                     first.1=0xe4a1b2c4.0, ct.1=1";
        assert_eq!(c.on_response(&vars(first)).unwrap(), MruProgress::More);
        assert_eq!(c.entries().len(), 2);
        assert_eq!(c.entries()[1].restrict, 0x420);
        assert_eq!((c.entries()[0].mode, c.entries()[0].version), (3, 4));
        let req = c.request();
        assert_eq!(
            req,
            "nonce=def, frags=32, mincount=2, addr.0=[fd77::10]:40000, \
             last.0=0xe4a1b2c4.00000000, addr.1=10.0.0.1:123, last.1=0xe4a1b2c3.00000000"
        );
        let last = "nonce=ghi, last.older=0xe4a1b2c4.0, addr.older=[fd77::10]:40000, \
                    addr.0=10.0.0.1:123, last.0=0xe4a1b2d0.0, first.0=0xe4a1b000.0, ct.0=13, \
                    mv.0=35, rs.0=0x0, now=0xe4a1b2d1.0, last.newest=0xe4a1b2d0.0";
        assert_eq!(c.on_response(&vars(last)).unwrap(), MruProgress::Done);
        assert_eq!(c.entries().len(), 2);
        assert_eq!(c.updates(), 1);
        assert_eq!(c.entries()[1].count, 13);
        assert_eq!(c.now(), Some(NtpTimestamp::new(0xe4a1_b2d1, 0)));
    }

    #[test]
    fn errors_adjust_the_paging() {
        let mut c = MruCollector::new(Vec::new());
        c.set_nonce(&vars("nonce=n")).unwrap();
        c.on_error(ControlError::Timeout { attempts: 2 }).unwrap();
        assert!(c.request().contains("frags=16"));
        c.on_error(ControlError::Server(ErrorCode::BadValue))
            .unwrap();
        assert!(c.request().contains("limit=96"));
        assert!(!c.needs_nonce());
        let _ = (c.request(), c.request());
        assert!(c.needs_nonce(), "four requests used the nonce up");
        assert!(matches!(
            c.on_error(ControlError::Server(ErrorCode::Permission)),
            Err(MruError::Control(_))
        ));
    }

    #[test]
    fn lost_priors_restart_then_give_up() {
        let mut c = MruCollector::new(Vec::new());
        let one = "addr.0=10.0.0.1:123, last.0=0x1.0, first.0=0x1.0, ct.0=1, mv.0=35, rs.0=0";
        for _ in 0..MRU_MAX_RESTARTS {
            c.on_response(&vars(one)).unwrap();
            let _ = c.request();
            c.on_error(ControlError::Server(ErrorCode::UnknownVariable))
                .unwrap();
            assert!(c.entries().is_empty());
        }
        c.on_response(&vars(one)).unwrap();
        let _ = c.request();
        assert_eq!(
            c.on_error(ControlError::Server(ErrorCode::UnknownVariable)),
            Err(MruError::TooManyRestarts(8))
        );
    }
}
