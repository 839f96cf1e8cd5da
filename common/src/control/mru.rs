//! The MRU list client (protocol notes §5): READ_MRU requests carrying a nonce, paging
//! parameters, the caller's filters and resume points ("priors"), and the assembly of the
//! answers into one list of clients.
//!
//! [`MruCollector`] is sans-IO: it builds each request's payload and digests each answer, the
//! prefix of an incomplete answer, or an error; the caller sends REQ_NONCE when
//! [`MruCollector::needs_nonce`] says so and the requests it asks for, and passes the time in.
//!
//! The policy is built for speed at a distance, where ntpq 4.2.8 is slow (§5.4.1: at most 32
//! fragments per answer, a fresh nonce every 4 requests, everything discarded after a lost
//! fragment):
//! - ask for the most fragments the server allows ([`MRU_MAX_FRAGS`], ntpd's limit), halve after
//!   a loss, a timeout or `CERR_BADVALUE` (which also lowers the ceiling for good), double again
//!   after each complete answer; below 2 fragments fall back to `limit=` as ntpq does;
//! - keep every row of the part of an incomplete answer that arrived contiguously from its start
//!   ([`MruCollector::on_partial`]) and resume after the newest of them;
//! - ask for a new nonce only when the one held may have expired (ntpd accepts a nonce for 16 s)
//!   or a request went unanswered (ntpd ignores requests with a bad nonce);
//! - restart as ntpq does when the server no longer knows any of the resume points offered
//!   (`CERR_UNKNOWNVAR`: those entries changed), at most 8 times from the beginning.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use thiserror::Error;

use super::error::{ControlError, ErrorCode};
use super::header::CONTROL_MAX_DATA;
use super::vars::{VarList, split_indexed};
use crate::time::NtpTimestamp;

/// Most fragments ntpd 4.2.8 sends in one READ_MRU answer (`frags` above it is `CERR_BADVALUE`).
pub const MRU_MAX_FRAGS: u32 = 128;
/// Fragments ntpq 4.2.8 asks for at most (`MAXFRAGS`).
pub const MRU_CLASSIC_FRAGS: u32 = 32;
/// Most rows per answer in `limit` mode.
const MRU_MAX_LIMIT: u32 = 96;
/// Restarts from the beginning before giving up.
const MRU_MAX_RESTARTS: u32 = 8;
/// How long a nonce is used: ntpd accepts it for 16 s after it made it.
pub const NONCE_LIFETIME: Duration = Duration::from_secs(10);
/// Resume points offered per request at most (ntpd reads 16).
const MAX_PRIORS: usize = 16;

/// One client in the server's MRU list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MruEntry {
    /// Address and source port (an IPv6 link-local address keeps its scope).
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
    nonce_at: Option<Instant>,
    nonce_suspect: bool,
    frags: u32,
    ceiling: u32,
    limit: u32,
    row_limit: u32,
    cap_frags: bool,
    restarts: u32,
    offered: usize,
    /// Entries in the order they arrived, oldest first. A client seen again while the list
    /// was read has an older entry here too until [`MruCollector::settle`] drops it: an index
    /// by address would cost more memory than the entries (a list may hold 100,000 clients).
    slots: Vec<MruEntry>,
    /// Whether `slots` holds one entry per address.
    settled: bool,
    /// Entries committed since [`MruCollector::take_arrivals`] was last called, when kept.
    arrivals: Option<Vec<MruEntry>>,
    updates: usize,
    now: Option<NtpTimestamp>,
}

impl MruCollector {
    /// A collector sending these server-side filters (`mincount`, `resall`, `resany`,
    /// `maxlstint`, `laddr`, …) with every request, starting at [`MRU_MAX_FRAGS`].
    #[must_use]
    pub fn new(filters: Vec<(String, String)>) -> Self {
        Self {
            filters,
            nonce: None,
            nonce_at: None,
            nonce_suspect: false,
            frags: MRU_MAX_FRAGS,
            ceiling: MRU_MAX_FRAGS,
            limit: MRU_MAX_LIMIT,
            row_limit: 256,
            cap_frags: true,
            restarts: 0,
            offered: 0,
            slots: Vec::new(),
            settled: true,
            arrivals: None,
            updates: 0,
            now: None,
        }
    }

    /// Also keep each committed entry for [`MruCollector::take_arrivals`] (to print rows as
    /// they arrive).
    #[must_use]
    pub fn with_arrivals(mut self) -> Self {
        self.arrivals = Some(Vec::new());
        self
    }

    /// Whether a REQ_NONCE must be sent before the next request: no nonce yet, the one held is
    /// [`NONCE_LIFETIME`] old at `now`, or a request using it went unanswered.
    #[must_use]
    pub fn needs_nonce(&self, now: Instant) -> bool {
        self.nonce_suspect
            || self
                .nonce_at
                .is_none_or(|at| now.saturating_duration_since(at) >= NONCE_LIFETIME)
    }

    /// Takes the `nonce=` of a REQ_NONCE answer received at `now`.
    ///
    /// # Errors
    /// The answer has no nonce.
    pub fn set_nonce(&mut self, vars: &VarList, now: Instant) -> Result<(), MruError> {
        let nonce = vars
            .text("nonce")
            .ok_or_else(|| MruError::Inconsistent("no nonce in the nonce answer".to_owned()))?;
        self.take_nonce(nonce, now);
        Ok(())
    }

    fn take_nonce(&mut self, nonce: &str, now: Instant) {
        self.nonce = Some(nonce.to_owned());
        self.nonce_at = Some(now);
        self.nonce_suspect = false;
    }

    /// Fragments the next answer may have (for the reassembly limits), at least 1.
    #[must_use]
    pub fn frags(&self) -> u32 {
        if self.cap_frags {
            self.frags
        } else {
            MRU_MAX_FRAGS
        }
    }

    /// The payload of the next READ_MRU request: nonce, `frags=` or `limit=`, the filters,
    /// then `addr.N=…, last.N=…` resume points from the newest entry held, as many as fit.
    #[must_use]
    pub fn request(&mut self) -> String {
        let priors: Vec<MruEntry> = self.newest().take(MAX_PRIORS).copied().collect();
        self.request_from(&priors)
    }

    /// What follows a whole answer, worked out from its two ends only, before its rows are
    /// committed: its nonce is at its start, its newest rows (the next resume points) and `now=`
    /// at its end. So the next request can go out at once and the answer be read
    /// ([`MruPage::read`]) while the server prepares the next one; [`MruCollector::commit`]
    /// must take the page before that request's answer is digested.
    pub fn request_after(&mut self, data: &[u8], now: Instant) -> MruNext {
        const END: usize = 4096;
        // A spliced answer (two answers to one duplicated request) has a break in its rows: the
        // next request must come from what is committed of it, not from its end.
        if MruPage::read(data).cut {
            return MruNext::Commit;
        }
        let head = whole_items(data.get(..END.min(data.len())).unwrap_or_default());
        if let Some(nonce) = MruPage::read(head).nonce {
            self.take_nonce(&nonce, now);
        }
        let start = data.len().saturating_sub(END);
        let tail = data.get(start..).unwrap_or_default();
        // From the first separator on, unless the tail is the whole answer.
        let tail = if start == 0 {
            tail
        } else {
            tail.iter()
                .position(|&b| b == b',')
                .and_then(|at| tail.get(at + 1..))
                .unwrap_or_default()
        };
        let page = MruPage::read_tail(tail);
        if page.is_last() {
            return MruNext::Done;
        }
        if page.rows.is_empty() {
            return MruNext::Commit;
        }
        let priors: Vec<MruEntry> = page.rows.iter().rev().take(MAX_PRIORS).copied().collect();
        MruNext::Request(self.request_from(&priors))
    }

    /// Takes an answer read by [`MruPage::read`] (its nonce, rows and `now=`), received at
    /// `now`, and grows the next answers.
    pub fn commit(&mut self, page: MruPage, now: Instant) -> MruProgress {
        let complete = self.take_page(page, now);
        if self.cap_frags {
            self.frags = (self.frags * 2).min(self.ceiling);
        } else {
            let grown = (self.limit + 1).max(self.limit * 33 / 32);
            self.limit = grown.min(MRU_MAX_LIMIT).min(self.row_limit);
        }
        if complete {
            MruProgress::Done
        } else {
            MruProgress::More
        }
    }

    fn request_from(&mut self, priors: &[MruEntry]) -> String {
        let mut out = format!("nonce={}", self.nonce.as_deref().unwrap_or_default());
        if self.cap_frags {
            out.push_str(&format!(", frags={}", self.frags));
        } else {
            out.push_str(&format!(", limit={}", self.limit));
        }
        for (name, value) in &self.filters {
            out.push_str(&format!(", {name}={value}"));
        }
        let mut offered = 0;
        for (i, entry) in priors.iter().enumerate() {
            // `[fe80::1%2]:123` for a scoped address, as ntpd printed it.
            let addr = entry.addr.to_string();
            let prior = format!(", addr.{i}={addr}, last.{i}=0x{}", entry.last);
            if out.len() + prior.len() > CONTROL_MAX_DATA {
                break;
            }
            out.push_str(&prior);
            offered += 1;
        }
        self.offered = offered;
        out
    }

    /// Digests the data of a complete answer received at `now`.
    ///
    /// # Errors
    /// Not at present; kept fallible for consistency checks.
    pub fn on_response(&mut self, data: &[u8], now: Instant) -> Result<MruProgress, MruError> {
        Ok(self.commit(MruPage::read(data), now))
    }

    /// Digests the part of an incomplete answer that arrived contiguously from its start
    /// (see [`ControlError::Incomplete`]): every row in it that is whole is kept, and the
    /// answers get smaller. Returns the number of entries kept.
    pub fn on_partial(&mut self, prefix: &[u8], now: Instant) -> usize {
        let before = self.len();
        // `now=` is in the last fragment only, so a prefix never completes the list.
        let _ = self.take_page(MruPage::read(whole_items(prefix)), now);
        self.shrink();
        self.len().saturating_sub(before)
    }

    /// Digests a failed request; `Ok(())` means: send [`MruCollector::request`] again
    /// (after a new nonce if [`MruCollector::needs_nonce`] says so).
    ///
    /// # Errors
    /// The failure cannot be recovered from.
    pub fn on_error(&mut self, err: ControlError) -> Result<(), MruError> {
        match err {
            ControlError::Server(ErrorCode::UnknownVariable) if self.offered > 0 => {
                // None of our resume points is in the server's list any more.
                for _ in 0..self.offered {
                    self.drop_newest();
                }
                if self.is_empty() {
                    self.restarts += 1;
                    if self.restarts > MRU_MAX_RESTARTS {
                        return Err(MruError::TooManyRestarts(MRU_MAX_RESTARTS));
                    }
                }
                Ok(())
            }
            ControlError::Server(ErrorCode::BadValue) => {
                if self.cap_frags && self.frags > 2 {
                    self.ceiling = (self.frags / 2).max(2);
                    self.frags = self.ceiling;
                } else if self.cap_frags {
                    self.cap_frags = false;
                } else {
                    self.row_limit = self.row_limit.saturating_sub(1).max(1);
                    self.limit = self.limit.min(self.row_limit);
                }
                Ok(())
            }
            ControlError::Timeout { .. } => {
                // ntpd does not answer a request whose nonce it does not accept.
                self.nonce_suspect = true;
                self.shrink();
                Ok(())
            }
            // A duplicated request (a lossy link duplicates datagrams) is answered twice under
            // one sequence number; two answers' fragments mixed can exceed the limit. The
            // answer is asked for again, smaller, from the last rows kept.
            ControlError::Incomplete { .. }
            | ControlError::TooManyFragments { .. }
            | ControlError::TooMuchData { .. } => {
                self.shrink();
                Ok(())
            }
            other => Err(other.into()),
        }
    }

    /// The clients collected, oldest first: one entry per client once the list is complete
    /// or [`MruCollector::settle`] was called (an interrupted listing).
    #[must_use]
    pub fn entries(&self) -> &[MruEntry] {
        &self.slots
    }

    /// Drops the older entry of every client seen again while the list was read (counting
    /// them as [`MruCollector::updates`]), keeping the arrival order of the rest.
    pub fn settle(&mut self) {
        if self.settled {
            return;
        }
        let mut order: Vec<u32> =
            (0..u32::try_from(self.slots.len()).unwrap_or(u32::MAX)).collect();
        let addr = |i: u32| self.slots.get(i as usize).map(|e| e.addr);
        order.sort_unstable_by_key(|&i| (addr(i), i));
        let mut keep = vec![true; self.slots.len()];
        for pair in order.windows(2) {
            if let [older, newer] = *pair
                && addr(older) == addr(newer)
                && let Some(k) = keep.get_mut(older as usize)
            {
                *k = false;
                self.updates += 1;
            }
        }
        let mut flags = keep.into_iter();
        self.slots.retain(|_| flags.next().unwrap_or(true));
        self.settled = true;
    }

    /// Number of entries held (a client seen again counts twice until settled).
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no client was collected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Entries committed since the last call, in arrival order (empty unless
    /// [`MruCollector::with_arrivals`]). A client seen again while the list was read comes
    /// again.
    pub fn take_arrivals(&mut self) -> Vec<MruEntry> {
        self.arrivals
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
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

    /// Newest entries first.
    fn newest(&self) -> impl Iterator<Item = &MruEntry> {
        self.slots.iter().rev()
    }

    /// Takes a page's nonce and rows; whether it holds `now=` (the list is complete).
    fn take_page(&mut self, page: MruPage, now: Instant) -> bool {
        if let Some(nonce) = &page.nonce {
            self.take_nonce(nonce, now);
        }
        if page.now.is_some() {
            self.now = page.now;
        }
        for entry in page.rows {
            self.insert(entry);
        }
        if page.now.is_some() {
            self.settle();
        }
        page.now.is_some()
    }

    /// Smaller answers after a loss or timeout.
    fn shrink(&mut self) {
        if self.cap_frags {
            self.frags = (self.frags / 2).max(2);
        } else {
            self.limit = (self.limit / 2).max(2);
        }
    }

    fn insert(&mut self, entry: MruEntry) {
        self.slots.push(entry);
        self.settled = false;
        if let Some(arrivals) = &mut self.arrivals {
            arrivals.push(entry);
        }
    }

    fn drop_newest(&mut self) {
        self.slots.pop();
    }
}

/// What follows a whole answer ([`MruCollector::request_after`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MruNext {
    /// The answer ends the list.
    Done,
    /// Send this request now, then commit the answer.
    Request(String),
    /// Commit the answer first, then send [`MruCollector::request`].
    Commit,
}

/// One READ_MRU answer read into rows, apart from any collector (so that it can be read on
/// another thread while the next request is out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MruPage {
    nonce: Option<String>,
    now: Option<NtpTimestamp>,
    rows: Vec<MruEntry>,
    /// The rows stop before the data does (a cut or broken row; see [`MruPage::read`]).
    cut: bool,
}

impl MruPage {
    /// Reads an answer's data, or a part of it that ends at an item boundary.
    ///
    /// READ_MRU answers are long (60 kB for 128 fragments) and plain: `name.N=value` items,
    /// none quoted, separated by `,` and blanks or CRLF (§5.3). They are read in place
    /// rather than through [`VarList`], which would copy every name and value.
    ///
    /// Rows are kept up to the first break in ntpd's numbering (0, 1, 2, …, each row whole, no
    /// field given twice differently); a page with a break never ends the list.
    #[must_use]
    pub fn read(text: &[u8]) -> Self {
        Self::parse(text, false)
    }

    /// As [`MruPage::read`], for the end of an answer cut anywhere: rows before the first whole
    /// one are skipped, not a break in the rows.
    fn read_tail(text: &[u8]) -> Self {
        Self::parse(text, true)
    }

    fn parse(text: &[u8], tail: bool) -> Self {
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        let text = text.get(..end).unwrap_or_default();
        // ntpd sends ASCII; anything else ends the readable part.
        let text = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(text.get(..e.valid_up_to()).unwrap_or_default())
                .unwrap_or_default(),
        };
        let mut page = Self::default();
        let mut rows: BTreeMap<u32, Partial> = BTreeMap::new();
        for item in text.split(',') {
            let item = item.trim();
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            match split_indexed(name.trim()) {
                ("now", None) => page.now = Some(value.parse().unwrap_or(NtpTimestamp::ZERO)),
                ("nonce", None) => page.nonce = Some(value.to_owned()),
                (tag, Some(index)) => rows.entry(index).or_default().set(tag, value),
                // `addr.older`, `last.older` and `last.newest` only restate what we sent or
                // received.
                _ => {}
            }
        }
        // ntpd numbers an answer's rows 0, 1, 2, … each with all its fields once. Anything else
        // is the end of what can be trusted: the cut end of an incomplete answer, or a splice of
        // two answers to one duplicated request (same sequence number, the random tags in other
        // places, so the fragments' offsets fall elsewhere in each) that would silently drop or
        // garble the rows at the seam. The rows before it are kept and the rest asked for again;
        // such a page never ends the list.
        let mut kept = Vec::new();
        let mut expected = if tail { None } else { Some(0) };
        for (index, partial) in rows {
            let row = (expected.is_none_or(|e| e == index) && !partial.conflict)
                .then(|| partial.finish())
                .flatten();
            match row {
                Some(entry) => {
                    kept.push(entry);
                    expected = Some(index.saturating_add(1));
                }
                None if expected.is_none() => {}
                None => {
                    page.now = None;
                    page.cut = true;
                    break;
                }
            }
        }
        page.rows = kept;
        page
    }

    /// Whether the answer ends the list (it has `now=`).
    #[must_use]
    pub fn is_last(&self) -> bool {
        self.now.is_some()
    }

    /// The rows, oldest first.
    #[must_use]
    pub fn rows(&self) -> &[MruEntry] {
        &self.rows
    }
}

/// The items of `text` that are whole: those followed by their separator (the last item of a
/// cut answer may be cut anywhere, `ct.57=1` of `ct.57=12`).
fn whole_items(text: &[u8]) -> &[u8] {
    text.iter()
        .rposition(|&b| b == b',')
        .and_then(|end| text.get(..end))
        .unwrap_or_default()
}

#[derive(Debug, Default)]
struct Partial {
    addr: Option<SocketAddr>,
    last: Option<NtpTimestamp>,
    first: Option<NtpTimestamp>,
    count: Option<u64>,
    mv: Option<u64>,
    rs: Option<u64>,
    /// A field given twice with different values.
    conflict: bool,
}

impl Partial {
    fn set(&mut self, tag: &str, value: &str) {
        fn put<T: PartialEq>(slot: &mut Option<T>, value: Option<T>, conflict: &mut bool) {
            if slot.is_some() && *slot != value {
                *conflict = true;
            }
            *slot = value;
        }
        let conflict = &mut self.conflict;
        match tag {
            "addr" => put(&mut self.addr, parse_addr(value), conflict),
            "last" => put(&mut self.last, value.parse().ok(), conflict),
            "first" => put(&mut self.first, value.parse().ok(), conflict),
            "ct" => put(&mut self.count, value.parse().ok(), conflict),
            "mv" => put(&mut self.mv, value.parse().ok(), conflict),
            "rs" => {
                let hex = value.strip_prefix("0x").unwrap_or(value);
                put(&mut self.rs, u64::from_str_radix(hex, 16).ok(), conflict);
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

    const FIRST: &str = "nonce=def, addr.0=10.0.0.1:123, last.0=0xe4a1b2c3.00000000, \
                         first.0=0xe4a1b000.00000000, ct.0=12, mv.0=35, rs.0=0x0, qwe.0=5, \
                         rs.1=0x420, addr.1=[fd77::10]:40000, mv.1=36, last.1=0xe4a1b2c4.0, \
                         first.1=0xe4a1b2c4.0, ct.1=1";

    #[test]
    fn pages_until_now() {
        let t0 = Instant::now();
        let mut c = MruCollector::new(vec![("mincount".into(), "2".into())]);
        assert!(c.needs_nonce(t0));
        c.set_nonce(&vars("nonce=abc\r\n"), t0).unwrap();
        assert!(!c.needs_nonce(t0));
        assert_eq!(c.request(), "nonce=abc, frags=128, mincount=2");
        assert_eq!(
            c.on_response(FIRST.as_bytes(), t0).unwrap(),
            MruProgress::More
        );
        let entries: Vec<_> = c.entries().to_vec();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].restrict, 0x420);
        assert_eq!((entries[0].mode, entries[0].version), (3, 4));
        let req = c.request();
        assert_eq!(
            req,
            "nonce=def, frags=128, mincount=2, addr.0=[fd77::10]:40000, \
             last.0=0xe4a1b2c4.00000000, addr.1=10.0.0.1:123, last.1=0xe4a1b2c3.00000000"
        );
        let last = "nonce=ghi, last.older=0xe4a1b2c4.0, addr.older=[fd77::10]:40000, \
                    addr.0=10.0.0.1:123, last.0=0xe4a1b2d0.0, first.0=0xe4a1b000.0, ct.0=13, \
                    mv.0=35, rs.0=0x0, now=0xe4a1b2d1.0, last.newest=0xe4a1b2d0.0";
        assert_eq!(
            c.on_response(last.as_bytes(), t0).unwrap(),
            MruProgress::Done
        );
        let entries: Vec<_> = c.entries().to_vec();
        assert_eq!(entries.len(), 2);
        assert_eq!(c.updates(), 1);
        assert_eq!(entries[1].count, 13);
        assert_eq!(entries[1].addr, "10.0.0.1:123".parse().unwrap());
        assert_eq!(c.now(), Some(NtpTimestamp::new(0xe4a1_b2d1, 0)));
    }

    #[test]
    fn nonces_are_renewed_only_when_old_or_unanswered() {
        let t0 = Instant::now();
        let mut c = MruCollector::new(Vec::new());
        c.set_nonce(&vars("nonce=n"), t0).unwrap();
        for _ in 0..10 {
            let _ = c.request();
        }
        assert!(
            !c.needs_nonce(t0 + Duration::from_secs(9)),
            "uses do not count"
        );
        assert!(c.needs_nonce(t0 + NONCE_LIFETIME));
        // Each answer's nonce restarts the clock.
        c.on_response("nonce=m".as_bytes(), t0 + Duration::from_secs(8))
            .unwrap();
        assert!(!c.needs_nonce(t0 + Duration::from_secs(17)));
        // ntpd ignores a request with a nonce it does not accept: a timeout may mean that.
        c.on_error(ControlError::Timeout {
            attempts: 2,
            strays: 0,
            last_stray: None,
        })
        .unwrap();
        assert!(c.needs_nonce(t0));
    }

    #[test]
    fn answers_shrink_on_trouble_and_grow_back() {
        let t0 = Instant::now();
        let mut c = MruCollector::new(Vec::new());
        c.set_nonce(&vars("nonce=n"), t0).unwrap();
        c.on_error(ControlError::Timeout {
            attempts: 2,
            strays: 0,
            last_stray: None,
        })
        .unwrap();
        assert!(c.request().contains("frags=64"));
        c.on_error(ControlError::Server(ErrorCode::BadValue))
            .unwrap();
        assert!(c.request().contains("frags=32"), "BADVALUE halves and caps");
        c.on_response("".as_bytes(), t0).unwrap();
        assert!(
            c.request().contains("frags=32"),
            "never above the cap again"
        );
        let incomplete = ControlError::Incomplete {
            fragments: 3,
            octets: 900,
            prefix: Vec::new(),
        };
        c.on_error(incomplete).unwrap();
        assert_eq!(c.frags(), 16);
        // Two answers to one duplicated request, mixed: asked again, smaller.
        c.on_error(ControlError::TooManyFragments { max: 16 })
            .unwrap();
        assert_eq!(c.frags(), 8);
        c.on_error(ControlError::TooMuchData {
            end: 9000,
            max: 8192,
        })
        .unwrap();
        assert_eq!(c.frags(), 4);
        c.on_response("".as_bytes(), t0).unwrap();
        c.on_response("".as_bytes(), t0).unwrap();
        c.on_response("".as_bytes(), t0).unwrap();
        assert_eq!(c.frags(), 32);
        for _ in 0..5 {
            c.on_error(ControlError::Server(ErrorCode::BadValue))
                .unwrap();
        }
        assert!(
            c.request().contains("limit=96"),
            "below 2 fragments: limit mode"
        );
        assert!(matches!(
            c.on_error(ControlError::Server(ErrorCode::Permission)),
            Err(MruError::Control(_))
        ));
    }

    #[test]
    fn the_whole_rows_of_a_prefix_are_kept() {
        let t0 = Instant::now();
        let mut c = MruCollector::new(Vec::new()).with_arrivals();
        // Cut inside `ct.1=1` of the second row: its count could be `1` or `12`.
        let cut = FIRST.find("ct.1=1").unwrap() + "ct.1=1".len();
        assert_eq!(c.on_partial(&FIRST.as_bytes()[..cut], t0), 1);
        assert_eq!(c.len(), 1);
        assert_eq!(c.take_arrivals().len(), 1);
        assert!(c.take_arrivals().is_empty());
        assert!(
            c.request()
                .starts_with("nonce=def, frags=64, addr.0=10.0.0.1:123")
        );
        // A prefix that ends in the middle of its first item keeps nothing.
        assert_eq!(c.on_partial(b"nonce=x", t0), 0);
    }

    /// An answer of `n` rows (10.0.0.1 … 10.0.0.n), `now=` at its end when `last`.
    fn answer(n: u32, last: bool) -> String {
        let mut text = "last.older=0x1.0, addr.older=10.9.9.9:123, nonce=fresh".to_owned();
        for i in 0..n {
            text.push_str(&format!(
                ", addr.{i}=10.0.0.{}:123, last.{i}=0x{:08x}.00000000, first.{i}=0x1.0, \
                 ct.{i}=1, mv.{i}=35, rs.{i}=0x0",
                i + 1,
                i + 10
            ));
        }
        if last {
            text.push_str(", now=0x000000ff.00000000, last.newest=0x1.0");
        }
        text
    }

    #[test]
    fn a_spliced_answer_keeps_the_rows_before_its_seam_and_ends_nothing() {
        let t0 = Instant::now();
        // Two answers to one duplicated request, row 2 lost at the seam, `now=` at the end.
        let whole = answer(5, true);
        let row2 = whole.find(", addr.2=").unwrap();
        let row3 = whole.find(", addr.3=").unwrap();
        let spliced = format!("{}{}", &whole[..row2], &whole[row3..]);
        let page = MruPage::read(spliced.as_bytes());
        assert_eq!(page.rows().len(), 2);
        assert!(!page.is_last(), "a spliced page never ends the list");
        // A value given twice differently (a garbled seam) is a break too.
        let garbled = whole.replacen("ct.3=1", "ct.3=1, ct.3=7", 1);
        assert_eq!(MruPage::read(garbled.as_bytes()).rows().len(), 3);
        let mut c = MruCollector::new(Vec::new());
        c.set_nonce(&vars("nonce=old"), t0).unwrap();
        // The next request comes from what is committed, not from the answer's end.
        assert_eq!(c.request_after(spliced.as_bytes(), t0), MruNext::Commit);
        assert_eq!(
            c.commit(MruPage::read(spliced.as_bytes()), t0),
            MruProgress::More
        );
        assert_eq!(c.len(), 2);
        assert!(
            c.request().contains("addr.0=10.0.0.2:123"),
            "{}",
            c.request()
        );
        // A whole answer is unchanged.
        let page = MruPage::read(whole.as_bytes());
        assert_eq!(page.rows().len(), 5);
        assert!(page.is_last());
    }

    #[test]
    fn the_next_request_comes_from_the_ends_of_an_answer() {
        let t0 = Instant::now();
        let mut c = MruCollector::new(Vec::new());
        c.set_nonce(&vars("nonce=old"), t0).unwrap();
        let data = answer(100, false);
        let MruNext::Request(next) = c.request_after(data.as_bytes(), t0) else {
            panic!("a request");
        };
        assert!(
            next.starts_with("nonce=fresh, frags=128, addr.0=10.0.0.100:123, last.0=0x0000006d"),
            "{next}"
        );
        // As many resume points as fit in one request, newest first.
        assert!(
            next.ends_with("addr.7=10.0.0.93:123, last.7=0x00000066.00000000"),
            "{next}"
        );
        // Nothing is committed until the page is: then everything is.
        assert!(c.is_empty());
        assert_eq!(
            c.commit(MruPage::read(data.as_bytes()), t0),
            MruProgress::More
        );
        assert_eq!(c.len(), 100);
        assert_eq!(
            c.request_after(answer(3, true).as_bytes(), t0),
            MruNext::Done
        );
        let page = MruPage::read(answer(3, true).as_bytes());
        assert!(page.is_last());
        assert_eq!(page.rows().len(), 3);
    }

    #[test]
    fn lost_priors_restart_then_give_up() {
        let t0 = Instant::now();
        let mut c = MruCollector::new(Vec::new());
        let one = "addr.0=10.0.0.1:123, last.0=0x1.0, first.0=0x1.0, ct.0=1, mv.0=35, rs.0=0";
        for _ in 0..MRU_MAX_RESTARTS {
            c.on_response(one.as_bytes(), t0).unwrap();
            let _ = c.request();
            c.on_error(ControlError::Server(ErrorCode::UnknownVariable))
                .unwrap();
            assert!(c.is_empty());
        }
        c.on_response(one.as_bytes(), t0).unwrap();
        let _ = c.request();
        assert_eq!(
            c.on_error(ControlError::Server(ErrorCode::UnknownVariable)),
            Err(MruError::TooManyRestarts(8))
        );
    }

    #[test]
    fn scoped_addresses_keep_their_scope() {
        let t0 = Instant::now();
        let mut c = MruCollector::new(Vec::new());
        let row = "addr.0=[fe80::1%2]:123, last.0=0x1.0, first.0=0x1.0, ct.0=1, mv.0=35, rs.0=0";
        c.on_response(row.as_bytes(), t0).unwrap();
        let entry = c.entries()[0];
        assert_eq!(entry.addr.to_string(), "[fe80::1%2]:123");
        assert!(
            c.request()
                .ends_with("addr.0=[fe80::1%2]:123, last.0=0x00000001.00000000")
        );
    }
}
