//! The state ntpdc keeps between commands — the current host and its compatibility state, the
//! key to sign with, timeouts — and the one place requests are sent: [`Session::query`], which
//! applies the classic fallbacks, meters every exchange and explains silent servers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ntpkit::auth::{Key, KeyId, KeyType, KeysFile};
use ntpkit::control::{
    AssocId, ControlError, ControlExchange, ControlOpcode, ControlRequest, ReassemblyLimits,
    Sequence,
};
use ntpkit::private::{
    FallbackPlanner, FallbackStep, Implementation, InfoCode, PrivateError, PrivateExchange,
    PrivateItem, PrivateRequest, PrivateResponse, RequestCode, ServerLong,
};
use ntpkit::time::{NtpTimestamp, UnixTime};
use ntpkit::transport::{Family, Job, Traffic, Transport, TransportError, resolve};
use serde::Serialize;

use crate::error::CmdError;
use crate::metered::{MeteredExchange, Unanswered};

/// ntpdc's default primary timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 5000;
/// ntpdc's default delay added to authentication timestamps.
pub const DEFAULT_DELAY_MS: i64 = 20;

/// How a request's items are laid out for the server as currently understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The implementation number being used (3 = full-size items, 2 = pre-IPv6 sizes).
    pub implementation: Implementation,
    /// `REQ_CONFIG` only: send the 16-octet `old_conf_peer`.
    pub old_conf_peer: bool,
    /// The server's `u_long`, which sizes key-ID items.
    pub long: ServerLong,
    /// Which `conf_restrict` the server reads.
    pub restrict: RestrictLayout,
}

/// The `conf_restrict` layouts of ntpd releases, tried in this order after format errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestrictLayout {
    /// 4.2.8p15 and p18 (60; v4 24), the lab's daemons.
    #[default]
    Late,
    /// 4.2.8p6 (48; v4 12).
    Early,
}

impl RestrictLayout {
    fn next(self) -> Option<Self> {
        match self {
            Self::Late => Some(Self::Early),
            Self::Early => None,
        }
    }
}

impl Layout {
    /// The item size for `T` under this layout.
    #[must_use]
    pub fn size<T: PrivateItem>(&self) -> usize {
        T::size_for(self.implementation)
    }
}

/// Encoded request items.
#[derive(Debug, Clone, Default)]
pub struct Items {
    /// Declared item size.
    pub itemsize: usize,
    /// Declared item count.
    pub nitems: usize,
    /// The octets.
    pub data: Vec<u8>,
}

impl Items {
    /// No items.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// `items`, each encoded in `size` octets.
    ///
    /// # Errors
    /// An item cannot be encoded at that size (an IPv6 address for an old server).
    pub fn of<T: PrivateItem>(items: &[T], size: usize) -> Result<Self, PrivateError> {
        let mut data = Vec::with_capacity(items.len() * size);
        for item in items {
            data.extend(item.encode(size)?);
        }
        Ok(Self {
            itemsize: size,
            nitems: items.len(),
            data,
        })
    }
}

/// One request: its code, whether it must be signed, and how to build its items for a layout.
pub struct Request<'a> {
    /// The request code.
    pub code: RequestCode,
    /// Whether the request is signed with the `requestkey`.
    pub auth: bool,
    /// Builds the items for the current layout.
    pub items: &'a dyn Fn(Layout) -> Result<Items, PrivateError>,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("code", &self.code)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// What one mode 7 exchange cost, for `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExchangeRecord {
    /// Request name, e.g. `REQ_MON_GETLIST_1`.
    pub request: String,
    /// Implementation number sent.
    pub implementation: u8,
    /// Whether the request was signed.
    pub authenticated: bool,
    /// Datagrams sent (a resend counts).
    pub datagrams_sent: usize,
    /// Octets sent.
    pub bytes_sent: usize,
    /// Datagrams received for this exchange.
    pub datagrams_received: usize,
    /// Octets received for this exchange.
    pub bytes_received: usize,
    /// Octets received per octet sent.
    pub amplification: f64,
    /// `ok`, the server's error (`data_not_found`, …), `timeout` or `incomplete`.
    pub outcome: String,
}

impl ExchangeRecord {
    fn new(
        request: &PrivateRequest,
        authenticated: bool,
        traffic: &Traffic,
        outcome: &str,
    ) -> Self {
        let ratio = if traffic.bytes_sent == 0 {
            0.0
        } else {
            traffic.bytes_received as f64 / traffic.bytes_sent as f64
        };
        Self {
            request: request
                .code
                .name()
                .map_or_else(|| format!("{:?}", request.code), str::to_owned),
            implementation: request.implementation.into(),
            authenticated,
            datagrams_sent: traffic.datagrams_sent,
            bytes_sent: traffic.bytes_sent,
            datagrams_received: traffic.datagrams_received,
            bytes_received: traffic.bytes_received,
            amplification: (ratio * 1000.0).round() / 1000.0,
            outcome: outcome.to_owned(),
        }
    }
}

/// The host commands go to, and what has been learnt about it.
#[derive(Debug, Clone)]
pub struct HostState {
    /// The name or address as given.
    pub name: String,
    /// Where requests go.
    pub addr: SocketAddr,
    /// Implementation and request size fallbacks.
    pub planner: FallbackPlanner,
    /// Key-ID item size.
    pub long: ServerLong,
    /// `conf_restrict` layout.
    pub restrict: RestrictLayout,
    /// Whether the host answered a mode 6 probe (after a mode 7 timeout).
    pub answers_mode6: Option<bool>,
    /// Whether the host answered any mode 7 request (its silence since is loss, not a
    /// disabled mode 7).
    pub answers_mode7: bool,
}

/// Key selection for authenticated requests.
#[derive(Debug, Default)]
pub struct AuthState {
    /// Key ID to sign with; `Some(0)` sends requests unsigned ("no keyid will be sent").
    pub keyid: Option<u32>,
    /// Key type for a password typed with `passwd`.
    pub keytype: Option<KeyType>,
    /// Keys file given with `-k`.
    pub keys: Option<(PathBuf, KeysFile)>,
    /// A key made from a `passwd` secret.
    pub typed: Option<Key>,
}

impl AuthState {
    /// The key type in force: the typed one, else MD5.
    #[must_use]
    pub fn keytype(&self) -> KeyType {
        self.keytype.unwrap_or(KeyType::Md5)
    }

    /// The key to sign with, or `None` to send unsigned (`keyid 0`).
    ///
    /// # Errors
    /// No key ID was given, or the key is neither typed nor in the keys file.
    pub fn key(&self) -> Result<Option<Key>, CmdError> {
        let Some(id) = self.keyid else {
            return Err(CmdError::NoKey(
                "authentication needed: give -k KEYFILE -a KEYID, or use `keyid` and `passwd`"
                    .into(),
            ));
        };
        if id == 0 {
            return Ok(None);
        }
        if let Some(key) = self.typed.as_ref().filter(|k| k.id() == KeyId(id)) {
            return Ok(Some(key.clone()));
        }
        match &self.keys {
            Some((path, file)) => {
                file.get(KeyId(id)).cloned().map(Some).ok_or_else(|| {
                    CmdError::Failed(format!("key {id} is not in {}", path.display()))
                })
            }
            None => Err(CmdError::NoKey(format!(
                "no secret for key {id}: give -k KEYFILE or use `passwd`"
            ))),
        }
    }
}

/// Settings the built-in commands change.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Primary timeout: how long to wait for a first reply, in all.
    pub timeout_ms: u64,
    /// Added to the clock for authentication timestamps.
    pub delay_ms: i64,
    /// Show reference clocks and hosts by name instead of bare addresses.
    pub hostnames: bool,
    /// Debug level.
    pub debug: u32,
    /// Address family for names.
    pub family: Family,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            delay_ms: DEFAULT_DELAY_MS,
            hostnames: true,
            debug: 0,
            family: Family::Any,
        }
    }
}

/// Everything kept between commands.
#[derive(Debug)]
pub struct Session {
    transport: Transport,
    /// Built-in settings.
    pub settings: Settings,
    /// Authentication.
    pub auth: AuthState,
    host: Option<HostState>,
    exchanges: Vec<ExchangeRecord>,
    notes: Vec<String>,
    sequence: u16,
}

/// The current time as an NTP timestamp.
#[must_use]
pub fn ntp_now() -> NtpTimestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    NtpTimestamp::from_unix(UnixTime {
        secs: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: since.subsec_nanos(),
    })
}

/// The current Unix time in seconds (the pivot for timestamp eras).
#[must_use]
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn is_key_request(code: RequestCode) -> bool {
    matches!(
        code,
        RequestCode::RequestKey
            | RequestCode::ControlKey
            | RequestCode::TrustKey
            | RequestCode::UntrustKey
    )
}

impl Session {
    /// A session with no host open.
    ///
    /// # Errors
    /// No UDP socket can be opened.
    pub fn new(settings: Settings, auth: AuthState) -> std::io::Result<Self> {
        let transport = Transport::new(Duration::from_millis(DEFAULT_TIMEOUT_MS / 2))?;
        Ok(Self {
            transport,
            settings,
            auth,
            host: None,
            exchanges: Vec::new(),
            notes: Vec::new(),
            sequence: 0,
        })
    }

    /// The current host, if one is open.
    #[must_use]
    pub fn host(&self) -> Option<&HostState> {
        self.host.as_ref()
    }

    /// Opens `name` (resolved now, with `family` or the session's): the new current host,
    /// with fresh compatibility state.
    ///
    /// # Errors
    /// The name does not resolve.
    pub fn open(&mut self, name: &str, family: Option<Family>) -> Result<(), CmdError> {
        let family = family.unwrap_or(self.settings.family);
        let addr = resolve(name, 123, family)
            .map_err(|e| CmdError::Unresolved(format!("cannot resolve '{name}': {e}")))?;
        self.host = Some(HostState {
            name: name.to_owned(),
            addr,
            planner: FallbackPlanner::new(),
            long: ServerLong::Lp64,
            restrict: RestrictLayout::default(),
            answers_mode6: None,
            answers_mode7: false,
        });
        Ok(())
    }

    /// Takes the exchanges recorded since the last call.
    pub fn take_exchanges(&mut self) -> Vec<ExchangeRecord> {
        std::mem::take(&mut self.exchanges)
    }

    /// Takes the notes (fallback warnings) recorded since the last call.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    fn per_attempt(&self) -> Duration {
        // Each exchange sends once more after a silence, so two waits make the primary timeout.
        Duration::from_millis((self.settings.timeout_ms / 2).max(50))
    }

    /// Sends `request` to the current host and returns the complete response, retrying as
    /// ntpdc does after implementation and format errors.
    ///
    /// # Errors
    /// No host, no key for a signed request, the server's refusal, silence, or a malformed
    /// reply.
    pub fn query(&mut self, request: &Request<'_>) -> Result<PrivateResponse, CmdError> {
        let mut host = self
            .host
            .clone()
            .ok_or_else(|| CmdError::Failed("no host open, use `host'".into()))?;
        let result = self.query_host(&mut host, request);
        self.host = Some(host);
        result
    }

    fn query_host(
        &mut self,
        host: &mut HostState,
        req: &Request<'_>,
    ) -> Result<PrivateResponse, CmdError> {
        let key = if req.auth { self.auth.key()? } else { None };
        self.transport.set_timeout(self.per_attempt());
        let mut old_conf_peer = false;
        let mut rechecked = false;
        loop {
            let layout = Layout {
                implementation: host.planner.implementation(),
                old_conf_peer,
                long: host.long,
                restrict: host.restrict,
            };
            let items = (req.items)(layout).map_err(build_error)?;
            let mut request = PrivateRequest::with_raw_items(
                layout.implementation,
                req.code,
                items.itemsize,
                items.nitems,
                items.data,
            )
            .map_err(build_error)?;
            request.size = host.planner.request_size();
            let stamp = ntp_now();
            let delay = NtpTimestamp::from_offset_seconds(self.settings.delay_ms as f64 / 1000.0);
            let timestamp = NtpTimestamp::from_bits(stamp.to_bits().wrapping_add(delay.to_bits()));
            let (exchange, first) =
                PrivateExchange::new(&request, key.as_ref().map(|k| (k, timestamp)))
                    .map_err(build_error)?;
            let job = Job {
                peer: host.addr,
                exchange: MeteredExchange::new(exchange, &first),
                datagram: first,
            };
            let signed = key.is_some();
            let code = match self.transport.run(job) {
                Ok((answer, _)) => match answer.result {
                    Ok(response) => {
                        host.answers_mode7 = true;
                        self.record(&request, signed, &answer.traffic, "ok");
                        return Ok(response);
                    }
                    Err(PrivateError::Info(code)) => {
                        host.answers_mode7 = true;
                        let outcome = CmdError::Server(code).kind();
                        self.record(&request, signed, &answer.traffic, outcome);
                        code
                    }
                    Err(other) => return Err(CmdError::Failed(format!("bad response: {other}"))),
                },
                Err(TransportError::Exchange(Unanswered { error, traffic })) => {
                    let outcome = match error {
                        PrivateError::Timeout | PrivateError::NoValidAnswer { .. } => "timeout",
                        PrivateError::Incomplete => "incomplete",
                        _ => "malformed",
                    };
                    self.record(&request, signed, &traffic, outcome);
                    // Mode 6 answered where mode 7 did not: mode 7 is off, or its datagrams
                    // were lost on a lossy link. One more mode 7 exchange tells the two apart
                    // before the host is said to have mode 7 disabled (a lossy link once made
                    // that wrong diagnosis).
                    if matches!(error, PrivateError::Timeout)
                        && !rechecked
                        && !host.answers_mode7
                        && self.answers_mode6(host)
                    {
                        rechecked = true;
                        continue;
                    }
                    return Err(match error {
                        PrivateError::Timeout => self.diagnose_silence(host),
                        // The server answers mode 7, but nothing it sent answers us.
                        e @ PrivateError::NoValidAnswer { .. } => {
                            CmdError::NoValidAnswer(e.to_string())
                        }
                        PrivateError::Incomplete => CmdError::Incomplete,
                        other => CmdError::Failed(format!("bad response: {other}")),
                    });
                }
                Err(TransportError::Io(err)) => return Err(CmdError::Io(err)),
            };
            if code == InfoCode::Fmt && is_key_request(req.code) && host.long == ServerLong::Lp64 {
                self.notes.push(
                    "format error with 8-octet key items; retrying with 4 (32-bit server)".into(),
                );
                host.long = ServerLong::Ilp32;
                continue;
            }
            let restrict = matches!(
                req.code,
                RequestCode::ResAddFlags | RequestCode::ResSubFlags | RequestCode::Unrestrict
            );
            if code == InfoCode::Fmt
                && restrict
                && let Some(next) = host.restrict.next()
            {
                self.notes.push(format!(
                    "format error with the {:?} conf_restrict layout; trying the {next:?} one",
                    host.restrict
                ));
                host.restrict = next;
                continue;
            }
            let before = (host.planner.implementation(), host.planner.request_size());
            match host.planner.on_error(&request, code) {
                FallbackStep::Resend => {
                    let (implementation, size) =
                        (host.planner.implementation(), host.planner.request_size());
                    if implementation != before.0 {
                        self.notes
                            .push("changing to older implementation (2)".to_owned());
                    }
                    if size != before.1 {
                        self.notes.push(format!(
                            "changing the request packet size from {} to {}",
                            before.1.octets(),
                            size.octets()
                        ));
                    }
                }
                FallbackStep::OldConfPeer => {
                    self.notes
                        .push("retrying command with old conf_peer size".to_owned());
                    old_conf_peer = true;
                }
                FallbackStep::GiveUp(InfoCode::Auth) => {
                    return Err(CmdError::Refused(match &key {
                        Some(k) => format!(
                            "key {} {} refused: not the server's requestkey, a wrong secret, \
                             an untrusted key, or a nomodify restriction",
                            k.id(),
                            k.kind().name()
                        ),
                        None => "request sent unsigned (keyid 0)".to_owned(),
                    }));
                }
                FallbackStep::GiveUp(code) => return Err(CmdError::Server(code)),
            }
        }
    }

    fn record(&mut self, request: &PrivateRequest, signed: bool, traffic: &Traffic, outcome: &str) {
        self.exchanges
            .push(ExchangeRecord::new(request, signed, traffic, outcome));
    }

    /// After a mode 7 silence: does the host answer mode 6 (asked once per host)?
    fn answers_mode6(&mut self, host: &mut HostState) -> bool {
        match host.answers_mode6 {
            Some(known) => known,
            None => {
                let known = self.probe_mode6(host.addr);
                host.answers_mode6 = Some(known);
                known
            }
        }
    }

    /// After a mode 7 silence: a host that answers mode 6 but never answered mode 7 has mode 7
    /// disabled; one that answered mode 7 before, or nothing at all, timed out.
    fn diagnose_silence(&mut self, host: &mut HostState) -> CmdError {
        if !host.answers_mode7 && self.answers_mode6(host) {
            CmdError::Mode7Disabled(host.name.clone())
        } else {
            CmdError::Timeout
        }
    }

    /// Sends one mode 6 READSTAT and reports whether any answer came back.
    fn probe_mode6(&mut self, addr: SocketAddr) -> bool {
        self.sequence = self.sequence.wrapping_add(1).max(1);
        let request = ControlRequest::new(ControlOpcode::ReadStatus, AssocId::SYSTEM, Vec::new());
        let Ok((exchange, datagram)) = ControlExchange::new(
            request,
            Sequence(self.sequence),
            None,
            ReassemblyLimits::NTPQ,
        ) else {
            return false;
        };
        self.transport
            .set_timeout(self.per_attempt().min(Duration::from_secs(2)));
        let answered = match self.transport.run(Job {
            peer: addr,
            exchange: exchange.with_retries(1),
            datagram,
        }) {
            Ok(_) => true,
            // An error reply is an answer too; only silence is not.
            Err(TransportError::Exchange(err)) => !matches!(
                err,
                ControlError::Timeout { .. } | ControlError::Incomplete { .. }
            ),
            Err(TransportError::Io(_)) => false,
        };
        self.transport.set_timeout(self.per_attempt());
        answered
    }
}

fn build_error(err: PrivateError) -> CmdError {
    match err {
        PrivateError::Ipv6Unsupported => {
            CmdError::Failed("server doesn't understand IPv6 addresses".into())
        }
        PrivateError::MixedFamilies => CmdError::Usage("cannot mix IPv4 and IPv6 addresses".into()),
        other => CmdError::Failed(format!("cannot build the request: {other}")),
    }
}
