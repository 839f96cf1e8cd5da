//! The ntpkit test lab: real ntpd 4.2.8p15 and NTPsec 1.2.2 daemons in Linux network namespaces, a
//! chain `ntp1` (reference, stratum 1) → `ntp2` (NTPsec) → `ntp3` (reference, authenticated to `ntp2`),
//! and a `client` namespace where our tools and the reference tools run. See `docs/lab.md`.
//!
//! Tests call [`Lab::get`], which attaches to the running lab (one started by `ntpkit-lab up`, or by
//! another test process) or starts one supervised for this process; a lab that cannot start panics
//! naming the failed step and its log. Tests never skip. Tools that need no network (`ntp-keygen`) use
//! [`Tools::get`], which only provisions.
//!
//! ```no_run
//! use ntpkit_lab::{Lab, RefTool};
//!
//! let lab = Lab::get();
//! let out = lab.reference(RefTool::Ntpq).args(["-n", "-p", &lab.ntp3().v4.to_string()]).run();
//! out.assert_stdout_contains(&format!("*{}", lab.ntp2().v4));
//! ```

mod binaries;
pub mod cli;
mod daemons;
mod exec;
mod hostile;
mod lifecycle;
mod mode7;
mod normalize;
mod paths;
mod probe;
mod process;
mod relay;
mod responder;
mod scratch;
mod session;
mod state;
mod surface;
mod terminal;
mod topology;
mod verdict;
mod xntpd3;

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

pub use binaries::workspace_binary;
pub use daemons::{ADMIN_KEY, DaemonRun, KEYS, LabKey};
pub use exec::{DEFAULT_TIMEOUT, LabCommand, NtpsecTool, Place, RefTool, RunOutput};
pub use hostile::{ControlStep, PrivateStep, parse_steps};
pub use mode7::{Mode7Answer, Mode7Responder, Mode7Script, MonitorEntry};
pub use normalize::{DEFAULT_VOLATILE, MASK, Normalizer, normalize};
pub use paths::Paths;
pub use probe::Datagram;
pub use process::ProcId;
pub use relay::{Impairer, Impairment, Relay, Route};
pub use responder::{Responder, ScriptText, Step, parse_script};
pub use scratch::{SCRATCH_LAB_INDEXES, ScratchBuilder, ScratchDaemon, ScratchKind};
pub use state::{Mode, State, Timings};
pub use surface::assert_cli_surface;
pub use terminal::strip_escapes;
pub use topology::{Daemon, Host};
pub use verdict::CleanFailure;
pub use xntpd3::{Xntpd3Responder, Xntpd3Script};

/// Default lifetime of a relay started by [`Lab::relay`]; it also stops when this process exits.
pub const RELAY_LIFETIME: Duration = Duration::from_secs(600);

/// The provisioned reference and NTPsec tools, for tests that need no lab network.
#[derive(Debug)]
pub struct Tools {
    ref_root: PathBuf,
}

impl Tools {
    /// Provisions (idempotent, cached) and returns the tools. Panics naming the log if provisioning fails.
    #[track_caller]
    pub fn get() -> &'static Self {
        static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
        let tools = TOOLS.get_or_init(|| {
            let paths = Paths::from_env();
            lifecycle::provision(&paths, false)
                .map(|_| Self {
                    ref_root: paths.ref_root,
                })
                .map_err(|e| format!("ntpkit-lab: step 'provision' failed: {e:#}"))
        });
        match tools {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// Path of a reference tool (needs the reference `LD_LIBRARY_PATH`; prefer [`Tools::reference`]).
    pub fn reference_path(&self, tool: RefTool) -> PathBuf {
        tool.path(&self.ref_root)
    }

    /// Root of the unpacked reference packages.
    pub fn ref_root(&self) -> &Path {
        &self.ref_root
    }

    /// A reference tool in a fresh network namespace with no network.
    pub fn reference(&self, tool: RefTool) -> LabCommand {
        LabCommand::reference(Place::Isolated, &self.ref_root, tool)
    }

    /// An NTPsec tool in a fresh network namespace with no network.
    pub fn ntpsec(&self, tool: NtpsecTool) -> LabCommand {
        LabCommand::ntpsec(Place::Isolated, tool)
    }
}

/// A running, synchronised lab.
#[derive(Debug)]
pub struct Lab {
    state: State,
    tools: Tools,
}

impl Lab {
    /// The lab for this test process: attaches to a running lab or starts one (leased to this process
    /// and torn down a little after the last leasing process exits).
    ///
    /// # Panics
    /// If the lab cannot start: the message names the failed step and the log to read.
    #[track_caller]
    pub fn get() -> &'static Self {
        static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
        let lab =
            LAB.get_or_init(|| session::attach_or_start(&Paths::from_env()).map(Self::from_state));
        match lab {
            Ok(l) => l,
            Err(e) => panic!("{e}"),
        }
    }

    /// Attaches to a running, healthy lab without starting one.
    pub fn attach() -> anyhow::Result<Self> {
        let state = State::load()
            .ok_or_else(|| anyhow::anyhow!("no lab is running; run 'ntpkit-lab up'"))?;
        state.validate()?;
        Ok(Self::from_state(state))
    }

    fn from_state(state: State) -> Self {
        let tools = Tools {
            ref_root: state.ref_root.clone(),
        };
        Self { state, tools }
    }

    /// The recorded state (paths, PIDs, timings).
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The provisioned tools.
    pub fn tools(&self) -> &Tools {
        &self.tools
    }

    /// Every host.
    pub fn hosts(&self) -> &[Host] {
        &self.state.hosts
    }

    /// A host by name.
    ///
    /// # Panics
    /// If there is no such host.
    #[track_caller]
    pub fn host(&self, name: &str) -> &Host {
        self.state
            .hosts
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| {
                if topology::spec(name).is_some() {
                    panic!(
                        "the running lab has no host '{name}': it was started by code that predates it; \
                         run 'ntpkit-lab down' once no tests use the lab"
                    )
                }
                panic!("the lab has no host '{name}'")
            })
    }

    /// `ahead`: reference ntpd, stratum 1 from its local clock on a clock 2.5 s ahead (libfaketime).
    pub fn ahead(&self) -> &Host {
        self.host("ahead")
    }

    /// `behind`: reference ntpd, stratum 1 from its local clock on a clock 0.3 s behind (libfaketime).
    pub fn behind(&self) -> &Host {
        self.host("behind")
    }

    /// How far a host's clock is shifted (libfaketime), in seconds; `None` for hosts on the machine's
    /// clock.
    pub fn clock_shift(&self, host: &Host) -> Option<f64> {
        topology::clock_shift_ms(&host.name).map(|ms| f64::from(ms) / 1e3)
    }

    /// Stratum and refid of a host's daemon as the reference ntpq reads them (`rv 0`), from the
    /// client namespace or, for a daemon that restricts the client, from the host's own namespace.
    /// `None` when the daemon does not answer.
    pub fn sys_stratum(&self, host: &Host) -> Option<(u8, String)> {
        lifecycle::host_sys_stratum(&self.state.ref_root, host)
    }

    /// Whether the loop daemons `a` and `b` (`loopa`, `loopb`) each report the other as their
    /// system peer: each one's refid is the other's first fleet address, the address it uses it at.
    pub fn in_loop(&self, a: &Host, b: &Host) -> bool {
        let names = |x: &Host, y: &Host| {
            self.sys_stratum(x)
                .zip(y.fleet_v4.first())
                .is_some_and(|((_, refid), fleet)| refid == fleet.to_string())
        };
        names(a, b) && names(b, a)
    }

    /// Waits until [`Lab::in_loop`] holds, polling every second, for at most `timeout`; returns
    /// whether it did. The loop daemons' strata climb until the loop breaks and forms again, so it
    /// holds most of the time but not always (see `Upstream::Loop`).
    pub fn wait_for_loop(&self, a: &Host, b: &Host, timeout: Duration) -> bool {
        let start = std::time::Instant::now();
        loop {
            if self.in_loop(a, b) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// `ntp1`: reference ntpd, stratum 1 from its local clock, mode 7 enabled.
    pub fn ntp1(&self) -> &Host {
        self.host("ntp1")
    }

    /// `ntp2`: NTPsec, stratum 2 from `ntp1`.
    pub fn ntp2(&self) -> &Host {
        self.host("ntp2")
    }

    /// `ntp3`: reference ntpd, stratum 3 from `ntp2` over an MD5-authenticated association (key 1).
    pub fn ntp3(&self) -> &Host {
        self.host("ntp3")
    }

    /// `client`: where tools run.
    pub fn client(&self) -> &Host {
        self.host("client")
    }

    /// The keys file every daemon uses (readable by tools that take `-k`). It is readable by
    /// everyone (mode 0644), so the tools warn about it on standard error; tests that compare
    /// standard error use [`Lab::private_keys_file`].
    pub fn keys_file(&self) -> &Path {
        &self.state.keys_file
    }

    /// A copy of [`Lab::keys_file`] with mode 0600 (made once per test process, in the system's
    /// temporary directory), for tools to read without their warning about a keys file others
    /// can read.
    ///
    /// # Panics
    /// If the copy cannot be written.
    #[track_caller]
    pub fn private_keys_file(&self) -> &Path {
        static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        COPY.get_or_init(|| {
            use std::os::unix::fs::PermissionsExt as _;
            let dir = std::env::temp_dir().join(format!("ntpkit-lab-keys-{}", std::process::id()));
            let path = dir.join("ntp.keys");
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::copy(self.keys_file(), &path))
                .and_then(|_| {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                })
                .unwrap_or_else(|e| panic!("ntpkit-lab: a private copy of the keys file: {e}"));
            path
        })
    }

    /// A key of the keys file by ID.
    ///
    /// # Panics
    /// If the keys file has no such key.
    #[track_caller]
    pub fn key(&self, id: u32) -> LabKey {
        KEYS.iter()
            .copied()
            .find(|k| k.id == id)
            .unwrap_or_else(|| panic!("the lab has no key {id}"))
    }

    /// The log of a host's daemon.
    pub fn daemon_log(&self, host: &Host) -> Option<PathBuf> {
        self.state
            .daemons
            .iter()
            .find(|d| d.host == host.name)
            .map(daemons::DaemonRun::log)
    }

    /// Runs `program` (e.g. our binary, `env!("CARGO_BIN_EXE_ntpq")`) in the client namespace.
    pub fn command(&self, program: impl AsRef<OsStr>) -> LabCommand {
        LabCommand::new(Place::Netns(self.client().netns.clone()), program)
    }

    /// A reference tool in the client namespace.
    pub fn reference(&self, tool: RefTool) -> LabCommand {
        LabCommand::reference(
            Place::Netns(self.client().netns.clone()),
            &self.state.ref_root,
            tool,
        )
    }

    /// An NTPsec tool in the client namespace.
    pub fn ntpsec(&self, tool: NtpsecTool) -> LabCommand {
        LabCommand::ntpsec(Place::Netns(self.client().netns.clone()), tool)
    }

    /// Sends one datagram from the client namespace and collects up to `replies` replies within
    /// `timeout` (fewer if they do not come).
    ///
    /// # Panics
    /// If the probe cannot run.
    #[track_caller]
    pub fn udp_exchange(
        &self,
        to: SocketAddr,
        request: &[u8],
        replies: usize,
        timeout: Duration,
    ) -> Vec<Datagram> {
        let bin = paths::lab_binary().unwrap_or_else(|e| panic!("ntpkit-lab: {e:#}"));
        probe::exchange(self.command(bin), to, request, replies, timeout)
    }

    /// Starts a scripted, misbehaving NTP server (see [`Step`]) on its own address pair (port 123) in
    /// the relay namespace. Replies to requests authenticated with key 1 are signed with it (MD5),
    /// unless the step says otherwise. It stops when dropped, after [`RELAY_LIFETIME`], or when this
    /// process exits.
    ///
    /// # Panics
    /// If the script does not parse or the responder cannot start.
    #[track_caller]
    pub fn ntp_responder(&self, script: &str) -> Responder {
        self.scripted_responder(script, "", "")
    }

    /// Starts a scripted responder (as [`Lab::ntp_responder`]) that also answers mode 6 requests
    /// by `control` ([`ControlStep`]s: correct answers and every hostile case of issue 14) and
    /// mode 7 requests by `private` ([`PrivateStep`]s); each protocol has its own request
    /// counter, and an empty script is silent. Correct mode 6 answers to requests signed with
    /// key 1 are signed with it; spoofed replies come from the relay host's own address.
    ///
    /// # Panics
    /// If a script does not parse or the responder cannot start.
    #[track_caller]
    pub fn scripted_responder(&self, ntp: &str, control: &str, private: &str) -> Responder {
        let script = ScriptText {
            ntp,
            control,
            private,
        };
        let bin = paths::lab_binary().unwrap_or_else(|e| panic!("ntpkit-lab: {e:#}"));
        let key = self.key(ADMIN_KEY);
        Responder::start(
            bin,
            self.host("relay"),
            &script,
            Some(&(key.id, key.bytes())),
            RELAY_LIFETIME,
            &self.state.run_dir,
        )
        .unwrap_or_else(|e| panic!("ntpkit-lab: responder {script:?}: {e:#}"))
    }

    /// Starts an impairing relay towards `server` (port 123) in the relay namespace; clients send to
    /// [`Relay::v4`]/[`Relay::v6`]. It stops when dropped, after [`RELAY_LIFETIME`], or when this
    /// process exits.
    ///
    /// # Panics
    /// If the relay cannot start.
    #[track_caller]
    pub fn relay(&self, server: &Host, impairment: &Impairment) -> Relay {
        let bin = paths::lab_binary().unwrap_or_else(|e| panic!("ntpkit-lab: {e:#}"));
        Relay::start(
            bin,
            self.host("relay"),
            server,
            impairment,
            RELAY_LIFETIME,
            &self.state.run_dir,
        )
        .unwrap_or_else(|e| panic!("ntpkit-lab: relay to {}: {e:#}", server.name))
    }

    /// Starts a scripted mode 7 responder in the client namespace on a free port of
    /// 127.0.0.1 (tools reach it as `127.0.0.1:PORT`); it stops when dropped.
    ///
    /// # Panics
    /// If it cannot start.
    #[track_caller]
    pub fn mode7_responder(&self, script: &Mode7Script) -> Mode7Responder {
        let bin = paths::lab_binary().unwrap_or_else(|e| panic!("ntpkit-lab: {e:#}"));
        Mode7Responder::start(
            bin,
            &self.client().netns,
            SocketAddr::from(([127, 0, 0, 1], 0)),
            script,
            &self.state.run_dir,
        )
        .unwrap_or_else(|e| panic!("ntpkit-lab: mode 7 responder: {e:#}"))
    }

    /// Starts a scripted xntpd 3 mode 6 responder (writable leap variables and their windows on
    /// a scripted clock) in the client namespace on port 123 of a loopback address of its own
    /// (`127.77.X.Y`, free at the time), so the reference ntpq, which takes no port, reaches it
    /// too. It stops when dropped.
    ///
    /// # Panics
    /// If it cannot start.
    #[track_caller]
    pub fn xntpd3_responder(&self, script: &Xntpd3Script) -> Xntpd3Responder {
        let bin = paths::lab_binary().unwrap_or_else(|e| panic!("ntpkit-lab: {e:#}"));
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            ^ std::process::id();
        let mut last = None;
        for n in 0..8_u32 {
            let pick = seed.wrapping_add(n.wrapping_mul(7919));
            let octet = |v: u32| u8::try_from(v % 250 + 1).unwrap_or(1);
            let listen = SocketAddr::from(([127, 77, octet(pick / 250), octet(pick)], 123));
            match Xntpd3Responder::start(
                bin,
                &self.client().netns,
                listen,
                script,
                &self.state.run_dir,
            ) {
                Ok(r) => return r,
                Err(e) => last = Some(e),
            }
        }
        panic!(
            "ntpkit-lab: xntpd 3 responder: {}",
            last.map_or_else(String::new, |e| format!("{e:#}"))
        )
    }
}
