//! The state an ntpq session keeps between commands (host, timeouts, keys, output modes,
//! the association cache and the variable list) and its one network operation: a mode 6
//! query.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail};
use ntpkit::auth::{Key, KeyId, KeyType, KeysFile};
use ntpkit::control::{
    AssocId, AssocStatus, ControlOpcode, ControlRequest, ControlResponse, VarList,
};
use ntpkit::format::vars::CookOptions;
use ntpkit::packet::refclock_display;
use ntpkit::transport::{Family, resolve};

use crate::link::{Answer, Link, Query, Sequences};

/// The classic primary receive timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a reverse lookup may take before the address is shown instead.
const NAME_LOOKUP_BOUND: Duration = Duration::from_millis(300);

/// The server currently addressed.
#[derive(Debug, Clone)]
pub struct Target {
    /// As given (name or address).
    pub name: String,
    /// The address family asked for (`-4`, `-6`).
    pub family: Family,
    /// Where requests go, once the name was resolved (at the first request, not before).
    pub addr: Option<SocketAddr>,
    /// The name was looked up and does not resolve.
    pub unresolvable: bool,
}

/// The current host's name did not resolve: its remaining commands are skipped.
#[derive(Debug, Clone)]
pub struct Unresolved(pub String);

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unresolved {}

/// Authentication settings: `keyid`, `keytype`, `passwd`, or `-k`/`-a`.
#[derive(Debug, Default)]
pub struct AuthSettings {
    /// The key ID (`keyid`); 0/None means none.
    pub key_id: Option<KeyId>,
    /// The digest for `passwd` (`keytype`), MD5 by default.
    pub key_type: Option<KeyType>,
    /// The key made by `passwd` or found in the keys file.
    pub key: Option<Key>,
    /// The keys file given with `-k`, read at the first signed request.
    pub keys_path: Option<PathBuf>,
    /// The keys file, once read.
    pub keys_file: Option<KeysFile>,
    /// `authenticate yes`: sign every request.
    pub always: bool,
}

impl AuthSettings {
    /// The digest type in use.
    pub fn key_type(&self) -> KeyType {
        self.key_type.unwrap_or(KeyType::Md5)
    }
}

/// Everything a session remembers.
#[derive(Debug)]
pub struct Session {
    /// Where requests go, if a host is open.
    pub target: Option<Target>,
    /// How many hosts the command line named (ntpq labels output when more than one).
    pub host_count: usize,
    /// Widest host name on the command line (the peers `server (local)` column).
    pub host_width: usize,
    /// `-4` / `-6`.
    pub family: Family,
    /// Receive timeout.
    pub timeout: Duration,
    /// `delay`: milliseconds added to authenticated timestamps (kept for compatibility).
    pub delay_ms: i64,
    /// Keys and authentication.
    pub auth: AuthSettings,
    /// `hostnames`: reverse-resolve addresses.
    pub hostnames: bool,
    /// `raw` / `cooked`.
    pub raw: bool,
    /// `json`.
    pub json: bool,
    /// `-u`: units after values.
    pub units: bool,
    /// `-w`.
    pub wide: bool,
    /// `--old-rv`.
    pub old_rv: bool,
    /// `drefid hash`.
    pub refid_hash: bool,
    /// Debug level.
    pub debug: i32,
    /// VN of requests (`ntpversion`).
    pub version: u8,
    /// The association list from the last READSTAT, sorted by ID.
    pub assoc_cache: Vec<AssocStatus>,
    /// The list `addvars` builds and `readlist`/`writelist` send.
    pub varlist: VarList,
    link: Link,
    sequences: Sequences,
    names: HashMap<IpAddr, String>,
}

impl Session {
    /// A session with the classic defaults and no host open.
    pub fn new() -> Self {
        Self {
            target: None,
            host_count: 1,
            host_width: 0,
            family: Family::Any,
            timeout: DEFAULT_TIMEOUT,
            delay_ms: 20,
            auth: AuthSettings::default(),
            hostnames: true,
            raw: false,
            json: false,
            units: false,
            wide: false,
            old_rv: false,
            refid_hash: false,
            debug: 0,
            version: 2,
            assoc_cache: Vec::new(),
            varlist: VarList::new(),
            link: Link::Own(None),
            sequences: Sequences::after(seed_sequence()),
            names: HashMap::new(),
        }
    }

    /// Sends this session's requests through `link` from now on (a fleet's shared socket).
    pub fn set_link(&mut self, link: Link) {
        self.link = link;
    }

    /// Whether the current host's name failed to resolve.
    pub fn unresolvable(&self) -> bool {
        self.target.as_ref().is_some_and(|t| t.unresolvable)
    }

    /// Opens `name` as the current host (forgetting the association cache), resolving it now
    /// (the `host` command, which must say whether the name is good).
    ///
    /// # Errors
    /// The name does not resolve.
    pub fn open_host(&mut self, name: &str, family: Family) -> anyhow::Result<()> {
        // Unresolved: exit 3 however the lookup failed (no such name, no address of the family).
        let addr = resolve(name, 123, family)
            .map_err(|e| Unresolved(format!("{name}: cannot resolve host: {e}")))?;
        self.target = Some(Target {
            name: name.to_owned(),
            family,
            addr: Some(addr),
            unresolvable: false,
        });
        self.assoc_cache.clear();
        Ok(())
    }

    /// Makes `name` the current host without resolving it: that waits for the first request,
    /// so commands that need no server (and hosts never asked) cost no lookup.
    pub fn set_host(&mut self, name: &str, family: Family) {
        self.target = Some(Target {
            name: name.to_owned(),
            family,
            addr: None,
            unresolvable: false,
        });
        self.assoc_cache.clear();
    }

    /// The current host's address, resolved at the first call.
    ///
    /// # Errors
    /// No current host, or its name does not resolve ([`Unresolved`]).
    pub fn target_addr(&mut self) -> anyhow::Result<SocketAddr> {
        let target = self
            .target
            .as_mut()
            .ok_or_else(|| anyhow!("no current host"))?;
        if let Some(addr) = target.addr {
            return Ok(addr);
        }
        let addr = resolve(&target.name, 123, target.family).map_err(|e| {
            target.unresolvable = true;
            Unresolved(format!("cannot resolve host: {e}"))
        })?;
        target.addr = Some(addr);
        Ok(addr)
    }

    /// The current host's name, for messages.
    pub fn host_name(&self) -> String {
        self.target
            .as_ref()
            .map_or_else(|| "(no host)".to_owned(), |t| t.name.clone())
    }

    /// The key to sign with, if one is set up.
    fn signing_key(&mut self) -> anyhow::Result<&Key> {
        if self.auth.keys_file.is_none()
            && let Some(path) = &self.auth.keys_path
        {
            // The error names the file and line itself.
            let keys = KeysFile::load(path)?;
            warn_exposure(path);
            self.auth.keys_file = Some(keys);
        }
        if self.auth.key.is_none()
            && let (Some(file), Some(id)) = (&self.auth.keys_file, self.auth.key_id)
        {
            let key = file
                .get(id)
                .ok_or_else(|| anyhow!("key {id} is not in the keys file"))?;
            self.auth.key = Some(key.clone());
        }
        match &self.auth.key {
            Some(key) => Ok(key),
            None => bail!(NoKey),
        }
    }

    /// Sends one request and returns the complete response. `auth` signs it (as do all
    /// requests with `authenticate yes`).
    ///
    /// # Errors
    /// No host, no key for a signed request, a network error, a timeout or a server error.
    pub fn query(
        &mut self,
        opcode: ControlOpcode,
        assoc: AssocId,
        data: impl Into<Vec<u8>>,
        auth: bool,
    ) -> anyhow::Result<ControlResponse> {
        let query = self.make_query(opcode, assoc, data, auth)?;
        self.exchange(vec![query])
            .pop()
            .unwrap_or_else(|| Err(anyhow!("no answer")))
            .map(|(response, _)| response)
    }

    /// Sends many unsigned requests (signed with `authenticate yes`) at once, a window of them
    /// in flight, and returns their answers in the same order: one round trip for what ntpq
    /// asks one after another.
    ///
    /// # Errors
    /// No host, or no key when every request must be signed; each answer carries its own
    /// failure.
    pub fn query_many(
        &mut self,
        requests: Vec<(ControlOpcode, AssocId, Vec<u8>)>,
    ) -> anyhow::Result<Vec<anyhow::Result<ControlResponse>>> {
        let queries = requests
            .into_iter()
            .map(|(opcode, assoc, data)| self.make_query(opcode, assoc, data, false))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(self
            .exchange(queries)
            .into_iter()
            .map(|a| a.map(|(response, _)| response))
            .collect())
    }

    /// The query a command means: this session's VN, timeout and (when `auth` or
    /// `authenticate yes`) key.
    ///
    /// # Errors
    /// A signed request with no key set up.
    pub fn make_query(
        &mut self,
        opcode: ControlOpcode,
        assoc: AssocId,
        data: impl Into<Vec<u8>>,
        auth: bool,
    ) -> anyhow::Result<Query> {
        let key = if auth || self.auth.always {
            Some(self.signing_key()?.clone())
        } else {
            None
        };
        let request = ControlRequest::new(opcode, assoc, data).with_version(self.version);
        Ok(Query::new(request, key, self.timeout))
    }

    /// Runs prepared queries against the current host, returning each answer with its
    /// traffic, in order.
    pub fn exchange(&mut self, queries: Vec<Query>) -> Vec<Answer> {
        let peer = match self.target_addr() {
            Ok(peer) => peer,
            Err(e) => {
                let unresolved = e.downcast_ref::<Unresolved>().cloned();
                let message = format!("{e:#}");
                return queries
                    .iter()
                    .map(|_| match &unresolved {
                        Some(u) => Err(anyhow::Error::new(u.clone())),
                        None => Err(anyhow!("{message}")),
                    })
                    .collect();
            }
        };
        let lists: Vec<bool> = queries
            .iter()
            .map(|q| {
                matches!(
                    q.request.opcode,
                    ControlOpcode::ReadVariables | ControlOpcode::ReadClock
                )
            })
            .collect();
        self.link
            .run(peer, queries, self.debug, &mut self.sequences)
            .into_iter()
            .zip(lists)
            .map(|(answer, list)| match answer {
                // A variable list that does not parse is not shown in part: a server that
                // sends one is broken or hostile, and the items before the fault may be too.
                Ok((response, _)) if list && let Err(e) = response.variables() => {
                    Err(anyhow!("malformed variable list: {e}"))
                }
                other => other,
            })
            .collect()
    }

    /// READSTAT: refreshes and returns the association cache, sorted by ID.
    ///
    /// # Errors
    /// See [`Session::query`]; a list whose length is not a multiple of 4.
    pub fn fetch_associations(&mut self) -> anyhow::Result<&[AssocStatus]> {
        let response = self.query(
            ControlOpcode::ReadStatus,
            AssocId::SYSTEM,
            Vec::new(),
            false,
        )?;
        let mut list = response.assoc_list()?;
        list.sort_by_key(|a| a.assoc.0);
        self.assoc_cache = list;
        Ok(&self.assoc_cache)
    }

    /// The name to show for an address: numeric with `hostnames no`, the refclock name for
    /// `127.127.t.u`, else a reverse lookup bounded in time (the address if it fails).
    pub fn display_name(&mut self, ip: IpAddr) -> String {
        if !self.hostnames {
            return ip.to_string();
        }
        if ntpkit::packet::is_refclock_addr(ip) {
            return refclock_display(ip);
        }
        if let Some(name) = self.names.get(&ip) {
            return name.clone();
        }
        let name = reverse_lookup(ip).unwrap_or_else(|| ip.to_string());
        self.names.insert(ip, name.clone());
        name
    }

    /// The current time as a Unix time.
    pub fn now_unix() -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    /// Formats variables with this session's settings: `f` gets the cooking options.
    pub fn with_cook_options<T>(&mut self, f: impl FnOnce(&CookOptions<'_>) -> T) -> T {
        let hostnames = self.hostnames;
        let names = std::cell::RefCell::new(&mut self.names);
        let host_name = |ip: IpAddr| -> String {
            if !hostnames {
                return ip.to_string();
            }
            if ntpkit::packet::is_refclock_addr(ip) {
                return refclock_display(ip);
            }
            let mut names = names.borrow_mut();
            names
                .entry(ip)
                .or_insert_with(|| reverse_lookup(ip).unwrap_or_else(|| ip.to_string()))
                .clone()
        };
        let opts = CookOptions {
            now_unix: Self::now_unix(),
            utc_offset: &ntpkit::local_time::utc_offset_at,
            refid_hash: self.refid_hash,
            host_name: &host_name,
        };
        f(&opts)
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// A signed request was asked for but no key is set up.
#[derive(Debug, Clone, Copy)]
pub struct NoKey;

impl std::fmt::Display for NoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no key for authenticated requests (use -k/-a, or keyid and passwd)")
    }
}

impl std::error::Error for NoKey {}

/// Reverse DNS given up after [`NAME_LOOKUP_BOUND`] so that a slow resolver never stalls a
/// table.
fn reverse_lookup(ip: IpAddr) -> Option<String> {
    ntpkit::transport::reverse_lookup(ip, NAME_LOOKUP_BOUND)
}

/// A sequence start that differs between runs, so that a late answer to a previous run is
/// not taken for ours.
pub fn seed_sequence() -> u16 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u16::try_from((nanos ^ std::process::id()) & 0x7fff).unwrap_or(1)
}

/// Warns once per run (a fleet has a session per host) when the keys file is readable beyond
/// its owner.
fn warn_exposure(path: &std::path::Path) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    if let Some(exposure) = ntpkit::auth::KeysExposure::of_file(path) {
        WARNED.call_once(|| eprintln!("ntpq: warning: {}: {exposure}", path.display()));
    }
}
