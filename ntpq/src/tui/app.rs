//! The TUI's state: every server with its latest answers and its history, the pane shown,
//! the sort order and the selection. No I/O: the event loop feeds it through
//! [`super::update::update`] and [`super::view::render`] reads it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ntpkit::control::{AssocId, MruEntry, SystemStatus, VarList};
use ntpkit::record::{PeerVariables, RateBits, SystemVariables};
use ntpkit::time::{NtpTimestamp, UNIX_EPOCH_NTP};

use super::event::{MruList, PeerAnswer, Snapshot};

/// Samples kept per series (at the default refresh, a peer polled every 8 s fills this in
/// 40 minutes).
pub const HISTORY_LEN: usize = 300;

/// Refresh intervals `+`/`-` step through.
pub const INTERVALS: [Duration; 7] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(300),
];

/// The default refresh interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

/// What the main area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The peers billboard.
    Peers,
    /// One peer's variables, filter registers and history.
    Detail,
    /// The system variables.
    System,
    /// The MRU list.
    Mru,
}

impl Pane {
    /// Its name in titles and export file names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Peers => "peers",
            Self::Detail => "peer",
            Self::System => "system",
            Self::Mru => "mru",
        }
    }
}

/// A column of the peers table (each one sortable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerColumn {
    /// Association ID: the server's own order.
    Assoc,
    /// Tally character, by selection code (system peer first when reversed).
    Tally,
    /// Remote name.
    Remote,
    /// Refid text.
    Refid,
    /// Stratum.
    Stratum,
    /// `t`.
    Type,
    /// Seconds since the last packet.
    When,
    /// Poll interval.
    Poll,
    /// Reach register, by how many of the last 8 polls were answered.
    Reach,
    /// Delay.
    Delay,
    /// Offset, by magnitude.
    Offset,
    /// Jitter.
    Jitter,
}

impl PeerColumn {
    /// Every column, in table order (`Assoc` is the unsorted order).
    pub const ALL: [Self; 12] = [
        Self::Assoc,
        Self::Tally,
        Self::Remote,
        Self::Refid,
        Self::Stratum,
        Self::Type,
        Self::When,
        Self::Poll,
        Self::Reach,
        Self::Delay,
        Self::Offset,
        Self::Jitter,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            Self::Assoc => "assoc",
            Self::Tally => "tally",
            Self::Remote => "remote",
            Self::Refid => "refid",
            Self::Stratum => "st",
            Self::Type => "t",
            Self::When => "when",
            Self::Poll => "poll",
            Self::Reach => "reach",
            Self::Delay => "delay",
            Self::Offset => "offset",
            Self::Jitter => "jitter",
        }
    }
}

/// A column of the MRU table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MruColumn {
    /// Packets counted (the default: top talkers first).
    Count,
    /// Average interval.
    AvgInt,
    /// Seconds since the last packet.
    LstInt,
    /// Address.
    Address,
    /// Rate flag (`K` before `L` before `.` when reversed).
    Flag,
}

impl MruColumn {
    /// Every column, in the order `<`/`>` step through.
    pub const ALL: [Self; 5] = [
        Self::Count,
        Self::AvgInt,
        Self::LstInt,
        Self::Address,
        Self::Flag,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::AvgInt => "avgint",
            Self::LstInt => "lstint",
            Self::Address => "address",
            Self::Flag => "r",
        }
    }
}

/// A sort order: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<C> {
    /// The column.
    pub column: C,
    /// Largest first.
    pub descending: bool,
}

/// One time series (a peer's offset, delay and jitter, or the system's offset, frequency and
/// jitter), newest last.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// `(when, [a, b, c])` samples.
    pub samples: VecDeque<(SystemTime, [f64; 3])>,
    /// What the last sample was taken from (a peer's `rec`), so that a peer polled less
    /// often than we refresh adds one sample per packet.
    pub last_key: Option<NtpTimestamp>,
}

impl History {
    /// Adds a sample unless `key` says it is the one already held.
    pub fn push(&mut self, at: SystemTime, key: Option<NtpTimestamp>, values: [f64; 3]) {
        if key.is_some() && key == self.last_key {
            return;
        }
        if key.is_none() && self.samples.back().is_some_and(|(_, v)| *v == values) {
            return;
        }
        self.last_key = key;
        self.samples.push_back((at, values));
        while self.samples.len() > HISTORY_LEN {
            self.samples.pop_front();
        }
    }

    /// One series (0, 1 or 2) oldest first.
    pub fn series(&self, index: usize) -> Vec<f64> {
        self.samples
            .iter()
            .filter_map(|(_, v)| v.get(index).copied())
            .collect()
    }
}

/// A peer row: its variables as last read, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRow {
    /// The billboard variables.
    pub vars: PeerVariables,
    /// Every variable as received.
    pub raw: VarList,
    /// When they were read.
    pub updated: SystemTime,
    /// Why the last poll could not read them (the row then shows older data).
    pub error: Option<String>,
}

/// A server's system variables as last read.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemView {
    /// The status word.
    pub status: SystemStatus,
    /// Every variable as received.
    pub vars: VarList,
    /// The typed record, or why the variables do not make one.
    pub record: Result<SystemVariables, String>,
    /// `ss_uptime`, when the server reports it.
    pub uptime_s: Option<u64>,
    /// When they were read.
    pub updated: SystemTime,
}

/// The MRU list of one server.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum MruState {
    /// Never asked for.
    #[default]
    Idle,
    /// A fetch is running.
    Fetching {
        /// Clients received so far.
        entries: usize,
        /// Requests sent so far.
        requests: usize,
        /// The server's `mru_depth` when the fetch began, if it reports one.
        expected: Option<u64>,
        /// The list of the previous fetch, shown meanwhile.
        previous: Option<Box<MruList>>,
    },
    /// The last fetch finished.
    Done(Box<MruList>),
    /// The last fetch failed.
    Failed(String),
}

impl MruState {
    /// The list to show, if any.
    pub fn list(&self) -> Option<&MruList> {
        match self {
            Self::Done(list)
            | Self::Fetching {
                previous: Some(list),
                ..
            } => Some(list),
            _ => None,
        }
    }
}

/// Everything known about one server.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// The name or address as given.
    pub name: String,
    /// Polls answered.
    pub polls: u64,
    /// When the last poll ended.
    pub last_attempt: Option<SystemTime>,
    /// When the last poll succeeded.
    pub last_ok: Option<SystemTime>,
    /// Why the last poll failed.
    pub error: Option<String>,
    /// System variables.
    pub system: Option<SystemView>,
    /// Peer rows in association order.
    pub peers: Vec<PeerRow>,
    /// Each association's history, kept across refreshes and server switches.
    pub history: BTreeMap<u16, History>,
    /// The system's offset, frequency and jitter.
    pub sys_history: History,
    /// The selected association.
    pub selected: Option<AssocId>,
    /// Scroll position of the detail pane's variable list.
    pub detail_scroll: u16,
    /// The MRU list.
    pub mru: MruState,
    /// The selected MRU row.
    pub mru_selected: usize,
}

impl Server {
    /// A server not asked yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            polls: 0,
            last_attempt: None,
            last_ok: None,
            error: None,
            system: None,
            peers: Vec::new(),
            history: BTreeMap::new(),
            sys_history: History::default(),
            selected: None,
            detail_scroll: 0,
            mru: MruState::Idle,
            mru_selected: 0,
        }
    }

    /// Takes in one poll's answer.
    pub fn apply(&mut self, at: SystemTime, result: Result<Snapshot, String>) {
        self.last_attempt = Some(at);
        let snapshot = match result {
            Ok(s) => s,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        self.polls += 1;
        self.last_ok = Some(at);
        self.error = None;
        let record = SystemVariables::from_vars(self.name.clone(), &snapshot.system.vars)
            .map_err(|e| e.to_string());
        if let Ok(r) = &record {
            let values = [
                r.offset_ms.unwrap_or(0.0),
                r.frequency_ppm.unwrap_or(0.0),
                r.sys_jitter_ms.unwrap_or(0.0),
            ];
            self.sys_history.push(at, None, values);
        }
        self.system = Some(SystemView {
            status: snapshot.system.status,
            vars: snapshot.system.vars,
            record,
            uptime_s: snapshot.system.uptime_s,
            updated: at,
        });
        let mut rows = Vec::with_capacity(snapshot.peers.len());
        for answer in snapshot.peers {
            match answer {
                PeerAnswer::Read { status, vars } => {
                    let assoc = status.assoc;
                    let pv = PeerVariables::from_vars(assoc, status.status, &vars);
                    let values = [
                        pv.offset_ms.unwrap_or(0.0),
                        pv.delay_ms.unwrap_or(0.0),
                        pv.jitter_ms.unwrap_or(0.0),
                    ];
                    if pv.reach != 0 {
                        self.history
                            .entry(assoc.0)
                            .or_default()
                            .push(at, pv.rec, values);
                    }
                    rows.push(PeerRow {
                        vars: pv,
                        raw: vars,
                        updated: at,
                        error: None,
                    });
                }
                PeerAnswer::Failed { status, error } => {
                    let old = self.peers.iter().find(|r| r.vars.assoc == status.assoc);
                    if let Some(old) = old {
                        rows.push(PeerRow {
                            error: Some(error),
                            ..old.clone()
                        });
                    }
                }
            }
        }
        self.peers = rows;
        if self
            .selected
            .is_none_or(|a| !self.peers.iter().any(|r| r.vars.assoc == a))
        {
            self.selected = self.peers.first().map(|r| r.vars.assoc);
        }
    }

    /// Whether a row shows old data: the last poll did not refresh it, or the server has not
    /// heard from the peer for more than two of its poll intervals.
    pub fn is_stale(&self, row: &PeerRow, now: SystemTime) -> bool {
        if row.error.is_some() || self.last_attempt.is_some_and(|t| t > row.updated) {
            return true;
        }
        let when = row.vars.when_s(ntp_seconds(now));
        let limit = i64::try_from(row.vars.poll_s().saturating_mul(2)).unwrap_or(i64::MAX);
        row.vars.reach != 0 && when > limit
    }

    /// The rows in the order `sort` asks for.
    pub fn sorted_peers(&self, sort: Sort<PeerColumn>, now: SystemTime) -> Vec<&PeerRow> {
        let mut rows: Vec<&PeerRow> = self.peers.iter().collect();
        let now = ntp_seconds(now);
        rows.sort_by(|a, b| {
            let (a, b) = (&a.vars, &b.vars);
            let f = |v: Option<f64>| v.unwrap_or(f64::NAN);
            let order = match sort.column {
                PeerColumn::Assoc => a.assoc.0.cmp(&b.assoc.0),
                PeerColumn::Tally => {
                    u8::from(a.status.selection).cmp(&u8::from(b.status.selection))
                }
                PeerColumn::Remote => a.remote(true).cmp(&b.remote(true)),
                PeerColumn::Refid => a.refid_text().cmp(&b.refid_text()),
                PeerColumn::Stratum => a.stratum.cmp(&b.stratum),
                PeerColumn::Type => a.type_char().cmp(&b.type_char()),
                PeerColumn::When => a.when_s(now).cmp(&b.when_s(now)),
                PeerColumn::Poll => a.poll_s().cmp(&b.poll_s()),
                PeerColumn::Reach => (a.reach & 0xff)
                    .count_ones()
                    .cmp(&(b.reach & 0xff).count_ones())
                    .then(a.reach.cmp(&b.reach)),
                PeerColumn::Delay => f(a.delay_ms).total_cmp(&f(b.delay_ms)),
                PeerColumn::Offset => f(a.offset_ms).abs().total_cmp(&f(b.offset_ms).abs()),
                PeerColumn::Jitter => f(a.jitter_ms).total_cmp(&f(b.jitter_ms)),
            };
            let order = order.then(a.assoc.0.cmp(&b.assoc.0));
            if sort.descending {
                order.reverse()
            } else {
                order
            }
        });
        rows
    }

    /// Where this server's daemon keeps the rate-limit bits of MRU entries (by its
    /// `version`).
    pub fn rate_bits(&self) -> RateBits {
        RateBits::for_version(self.system.as_ref().and_then(|s| s.vars.text("version")))
    }

    /// The selected row, if any.
    pub fn selected_row(&self) -> Option<&PeerRow> {
        let assoc = self.selected?;
        self.peers.iter().find(|r| r.vars.assoc == assoc)
    }
}

/// The whole TUI state.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The servers, in command-line order.
    pub servers: Vec<Server>,
    /// The server shown.
    pub current: usize,
    /// The pane shown.
    pub pane: Pane,
    /// Order of the peers table.
    pub sort: Sort<PeerColumn>,
    /// Order of the MRU table.
    pub mru_sort: Sort<MruColumn>,
    /// Refresh interval.
    pub interval: Duration,
    /// The help overlay is open.
    pub help: bool,
    /// The current time (from the last tick or poll).
    pub now: SystemTime,
    /// A one-line message for the footer (export written, …).
    pub message: Option<String>,
    /// Show refclock names rather than their addresses (no `-n`).
    pub names: bool,
}

impl App {
    /// A new state for `hosts`.
    pub fn new(hosts: &[String], names: bool, now: SystemTime) -> Self {
        Self {
            servers: hosts.iter().map(Server::new).collect(),
            current: 0,
            pane: Pane::Peers,
            sort: Sort {
                column: PeerColumn::Assoc,
                descending: false,
            },
            mru_sort: Sort {
                column: MruColumn::Count,
                descending: true,
            },
            interval: DEFAULT_INTERVAL,
            help: false,
            now,
            message: None,
            names,
        }
    }

    /// The server shown.
    pub fn server(&self) -> Option<&Server> {
        self.servers.get(self.current)
    }

    /// The server shown, to change.
    pub fn server_mut(&mut self) -> Option<&mut Server> {
        self.servers.get_mut(self.current)
    }

    /// The MRU entries of the server shown, in the MRU table's order, with the server's
    /// `now`.
    pub fn sorted_mru(&self) -> Option<(Vec<&MruEntry>, NtpTimestamp)> {
        let server = self.server()?;
        let bits = server.rate_bits();
        let list = server.mru.list()?;
        let mut rows: Vec<&MruEntry> = list.entries.iter().collect();
        let avg = |e: &MruEntry| {
            seconds_between(e.last, e.first)
                / f64::from(u32::try_from(e.count).unwrap_or(u32::MAX).max(1))
        };
        rows.sort_by(|a, b| {
            let order = match self.mru_sort.column {
                MruColumn::Count => a.count.cmp(&b.count),
                MruColumn::AvgInt => avg(a).total_cmp(&avg(b)),
                // Larger lstint = older last packet.
                MruColumn::LstInt => b.last.to_bits().cmp(&a.last.to_bits()),
                MruColumn::Address => addr_order(a, b),
                MruColumn::Flag => flag_rank(a.restrict, bits).cmp(&flag_rank(b.restrict, bits)),
            };
            let order = order.then_with(|| addr_order(a, b));
            if self.mru_sort.descending {
                order.reverse()
            } else {
                order
            }
        });
        Some((rows, list.now))
    }
}

/// 2 for a KoD client, 1 for a rate-limited one, 0 otherwise.
pub fn flag_rank(restrict: u32, bits: RateBits) -> u8 {
    match bits.flag(restrict) {
        "K" => 2,
        "L" => 1,
        _ => 0,
    }
}

fn addr_order(a: &MruEntry, b: &MruEntry) -> Ordering {
    let key = |e: &MruEntry| match e.addr.ip() {
        std::net::IpAddr::V4(v4) => (0, v4.to_ipv6_mapped().octets(), e.addr.port()),
        std::net::IpAddr::V6(v6) => (1, v6.octets(), e.addr.port()),
    };
    key(a).cmp(&key(b))
}

fn seconds_between(later: NtpTimestamp, earlier: NtpTimestamp) -> f64 {
    NtpTimestamp::from_bits(later.to_bits().wrapping_sub(earlier.to_bits())).as_offset_seconds()
}

/// A system time in NTP seconds (era 0 wraps as the wire does).
pub fn ntp_seconds(t: SystemTime) -> u32 {
    let unix = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    u32::try_from((unix + i64::from(UNIX_EPOCH_NTP)).rem_euclid(1 << 32)).unwrap_or(0)
}

/// Whole seconds from `earlier` to `later` (0 if `later` is earlier).
pub fn age_s(later: SystemTime, earlier: SystemTime) -> u64 {
    later.duration_since(earlier).map_or(0, |d| d.as_secs())
}
