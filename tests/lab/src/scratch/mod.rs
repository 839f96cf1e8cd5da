//! Scratch daemons: a reference ntpd 4.2.8p15, NTPsec 1.2.2 or chrony started for one test, with the test's
//! own configuration and keys, in a fresh network namespace of its own, so it can be configured freely
//! without disturbing the shared lab.
//!
//! ```no_run
//! use ntpkit_lab::{Daemon, ScratchDaemon, Tools};
//!
//! let daemon = ScratchDaemon::builder(Daemon::Ntpsec)
//!     .keys_file("/tmp/my.keys")
//!     .conf_line("trustedkey 1 2 3")
//!     .conf_line("controlkey 1")
//!     .start(Tools::get());
//! // Our tool, in the daemon's namespace, talking to it over loopback.
//! let out = daemon.command("target/debug/ntpq").args(["-c", "rv", "127.0.0.1"]).run();
//! ```
//!
//! - **Network.** By default the namespace has only loopback: the daemon answers on `127.0.0.1`/`::1`, and
//!   tests reach it by running commands in its namespace ([`ScratchDaemon::command`],
//!   [`ScratchDaemon::reference`], [`ScratchDaemon::udp_exchange`]). Nothing else on the machine can
//!   reach it and it can reach nothing. [`ScratchBuilder::on_lab`] attaches it instead to the lab bridge on
//!   a spare address `10.77.0.60`–`69` / `fd77::60`–`69` (claimed machine-wide, see
//!   [`SCRATCH_LAB_INDEXES`]), so lab hosts can talk to it and it can use lab daemons as servers.
//! - **Safety.** An ntpd configuration always starts with `disable kernel` (a test line saying `enable
//!   kernel` is refused), chrony runs with `-x`, and every daemon runs under `setpriv --bounding-set
//!   -sys_time`, exactly like the lab daemons: it can never touch the machine's clock.
//! - **Lifetime.** Dropping the handle stops the daemon, deletes the namespace and (unless the thread is
//!   panicking, so a failed test keeps its logs) the daemon's directory. A watchdog stops it too if the
//!   test process dies without dropping it, and namespaces of dead test processes are swept when the next
//!   scratch daemon starts.
//! - **Files.** Each daemon has a directory `<cache>/scratch/<namespace>/` with `ntp.conf`, `ntpd.log`,
//!   `stdout.log`, `ntpd.pid` and its drift and statistics files.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::exec::{LabCommand, NtpsecTool, Place, RefTool};
use crate::paths::{self, Paths};
use crate::probe::{self, Datagram};
use crate::process::{self, ProcId};
use crate::topology::Daemon;
use crate::{Lab, Tools};

mod chrony;
mod net;

pub use net::SCRATCH_LAB_INDEXES;
use net::{NETNS_PREFIX, Network, delete_netns, spawn_watchdog, sweep_stale};

/// How long a daemon may take to listen on port 123.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// What a scratch namespace runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScratchKind {
    /// The reference ntpd 4.2.8p15.
    Reference,
    /// NTPsec 1.2.2.
    Ntpsec,
    /// chrony (bookworm's `chronyd`, unpacked on first use, run with `-x`: it never sets the clock).
    /// It serves NTP only to addresses an `allow` line names.
    Chrony,
}

impl ScratchKind {
    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reference => Daemon::Reference.label(),
            Self::Ntpsec => Daemon::Ntpsec.label(),
            Self::Chrony => "chrony",
        }
    }
}

impl From<Daemon> for ScratchKind {
    fn from(daemon: Daemon) -> Self {
        match daemon {
            Daemon::Reference => Self::Reference,
            Daemon::Ntpsec => Self::Ntpsec,
        }
    }
}

/// How to start a scratch daemon; see [`ScratchDaemon::builder`].
#[derive(Clone, Debug)]
pub struct ScratchBuilder {
    kind: ScratchKind,
    network: Network,
    conf: Vec<String>,
    keys: Option<Keys>,
    clock_shift_s: Option<f64>,
}

#[derive(Clone, Debug)]
enum Keys {
    File(PathBuf),
    Text(String),
}

impl ScratchBuilder {
    /// Uses the keys file at `path` (read where it is; the test keeps it until the daemon stops).
    pub fn keys_file(mut self, path: impl AsRef<Path>) -> Self {
        self.keys = Some(Keys::File(path.as_ref().to_owned()));
        self
    }

    /// Writes `text` as the daemon's keys file (mode 0600, in its directory).
    pub fn keys_text(mut self, text: impl Into<String>) -> Self {
        self.keys = Some(Keys::Text(text.into()));
        self
    }

    /// Appends one configuration line (after `disable kernel`, the drift file and the `keys` line).
    pub fn conf_line(mut self, line: impl Into<String>) -> Self {
        self.conf.push(line.into());
        self
    }

    /// Appends configuration lines.
    pub fn conf_lines<I, S>(mut self, lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.conf.extend(lines.into_iter().map(Into::into));
        self
    }

    /// Runs the daemon (reference ntpd or NTPsec; chrony refuses) on a clock shifted by `seconds`
    /// through libfaketime, e.g. to three hours before a leap second of its leap file. Only the
    /// daemon's view of the time changes. The reference ntpd also runs under the wrapper that
    /// refuses kernel receive timestamps, as the lab's `ahead` and `behind` do; NTPsec 1.2.2 does
    /// not: without them it exits at the first packet it receives ("fetch_timestamp: no
    /// msghdrs"), so its receive timestamps stay unshifted.
    pub fn clock_shift(mut self, seconds: f64) -> Self {
        self.clock_shift_s = Some(seconds);
        self
    }

    /// Attaches the daemon to the lab bridge on a spare address (see [`SCRATCH_LAB_INDEXES`]) instead of
    /// loopback only; it routes the client pools via the lab's client like every lab host.
    pub fn on_lab(mut self, lab: &Lab) -> Self {
        let client = lab.client();
        self.network = Network::Lab {
            client_v4: client.v4,
            client_v6: client.v6,
            peers: lab.hosts().iter().map(|h| h.netns.clone()).collect(),
            taken: lab.hosts().iter().map(|h| h.v4).collect(),
        };
        self
    }

    /// Starts the daemon and waits until it listens on port 123.
    ///
    /// # Panics
    /// If it cannot start: the message names the step and the daemon's log.
    #[track_caller]
    pub fn start(self, tools: &Tools) -> ScratchDaemon {
        let kind = self.kind;
        ScratchDaemon::start(&self, tools)
            .unwrap_or_else(|e| panic!("ntpkit-lab: scratch {}: {e:#}", kind.label()))
    }
}

/// A daemon started for one test in its own namespace; stopped and removed when dropped.
#[derive(Debug)]
pub struct ScratchDaemon {
    kind: ScratchKind,
    netns: String,
    dir: PathBuf,
    v4: Ipv4Addr,
    v6: Ipv6Addr,
    ref_root: PathBuf,
    proc: Option<ProcId>,
    child: Option<Child>,
    watchdog: Option<Child>,
    lease: Option<PathBuf>,
}

impl ScratchDaemon {
    /// A builder for a scratch `kind` daemon (loopback only, no keys, no extra configuration): a
    /// [`Daemon`] or [`ScratchKind::Chrony`].
    pub fn builder(kind: impl Into<ScratchKind>) -> ScratchBuilder {
        ScratchBuilder {
            kind: kind.into(),
            network: Network::Loopback,
            conf: Vec::new(),
            keys: None,
            clock_shift_s: None,
        }
    }

    fn start(builder: &ScratchBuilder, tools: &Tools) -> anyhow::Result<Self> {
        let refuses = |l: &&String| {
            builder.kind != ScratchKind::Chrony
                && l.split_whitespace().collect::<Vec<_>>() == ["enable", "kernel"]
        };
        if builder.kind == ScratchKind::Chrony && builder.clock_shift_s.is_some() {
            bail!("a shifted clock is offered for ntpd and NTPsec only");
        }
        if let Some(line) = builder.conf.iter().find(refuses) {
            bail!("refusing '{line}': scratch daemons never discipline the machine's clock");
        }
        sweep_stale();
        let me = ProcId::current();
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let netns = format!("{NETNS_PREFIX}{}.{}.{n}", me.pid, me.start);
        let dir = Paths::from_env().cache.join("scratch").join(&netns);
        let mut daemon = Self {
            kind: builder.kind,
            netns,
            dir,
            v4: Ipv4Addr::LOCALHOST,
            v6: Ipv6Addr::LOCALHOST,
            ref_root: tools.ref_root().to_owned(),
            proc: None,
            child: None,
            watchdog: None,
            lease: None,
        };
        // From here on, Drop cleans up whatever was made.
        let attached = net::create(&daemon.netns, &builder.network)?;
        daemon.v4 = attached.v4;
        daemon.v6 = attached.v6;
        daemon.lease = attached.lease;
        let conf = daemon.write_files(builder)?;
        daemon.spawn(&conf, builder.clock_shift_s)?;
        daemon.wait_ready()?;
        Ok(daemon)
    }

    fn write_files(&self, builder: &ScratchBuilder) -> anyhow::Result<PathBuf> {
        let dir = &self.dir;
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let keys = match &builder.keys {
            None => None,
            Some(Keys::File(path)) => Some(path.clone()),
            Some(Keys::Text(text)) => {
                let path = dir.join("ntp.keys");
                fs::write(&path, text)
                    .and_then(|()| fs::set_permissions(&path, fs::Permissions::from_mode(0o600)))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Some(path)
            }
        };
        let conf = match self.kind {
            ScratchKind::Chrony => {
                chrony::render_conf(&self.netns, dir, keys.as_deref(), &builder.conf)
            }
            ScratchKind::Reference | ScratchKind::Ntpsec => {
                render_conf(self.kind, &self.netns, dir, keys.as_deref(), &builder.conf)
            }
        };
        let path = dir.join("ntp.conf");
        fs::write(&path, conf).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    fn spawn(&mut self, conf: &Path, clock_shift_s: Option<f64>) -> anyhow::Result<()> {
        let out_path = match self.kind {
            // chronyd -d logs to standard error: that file is its log.
            ScratchKind::Chrony => self.log_path(),
            ScratchKind::Reference | ScratchKind::Ntpsec => self.dir.join("stdout.log"),
        };
        let out = fs::File::create(&out_path)
            .with_context(|| format!("cannot create {}", out_path.display()))?;
        let err = out.try_clone().context("cannot duplicate a file handle")?;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.netns]).args([
            "setpriv",
            "--bounding-set",
            "-sys_time",
            "--",
        ]);
        if let Some(shift) = clock_shift_s {
            if self.kind == ScratchKind::Reference {
                let wrapper = self.dir.join("no-packet-stamps.py");
                fs::write(&wrapper, crate::daemons::NO_PACKET_STAMPS)
                    .with_context(|| format!("cannot write {}", wrapper.display()))?;
                cmd.arg("/usr/bin/python3").arg(wrapper);
            }
            cmd.env("LD_PRELOAD", crate::daemons::LIBFAKETIME)
                .env("FAKETIME", format!("{shift:+.3}s"))
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        let program = match self.kind {
            ScratchKind::Reference | ScratchKind::Ntpsec => {
                let ntpd = if self.kind == ScratchKind::Reference {
                    cmd.env("LD_LIBRARY_PATH", paths::ref_library_path(&self.ref_root));
                    RefTool::Ntpd.path(&self.ref_root)
                } else {
                    PathBuf::from("/usr/sbin/ntpd")
                };
                cmd.arg(&ntpd).arg("-n").arg("-c").arg(conf);
                cmd.arg("-p").arg(self.dir.join("ntpd.pid"));
                cmd.arg("-l").arg(self.log_path());
                ntpd
            }
            ScratchKind::Chrony => {
                // -d: foreground, logging to standard error (its log file); -x: never set the clock;
                // -u root: stay root as the ntpd daemons do, so it reads the files the test wrote.
                let chronyd = chrony::chronyd()?;
                cmd.arg(&chronyd)
                    .args(["-d", "-x", "-u", "root", "-f"])
                    .arg(conf);
                chronyd
            }
        };
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        // `ip netns exec` and `setpriv` exec in place: the child's PID is the daemon's.
        self.proc = ProcId::of(child.id());
        self.child = Some(child);
        if self.proc.is_none() {
            bail!("exited at once; see {}", out_path.display());
        }
        self.watchdog = spawn_watchdog(&self.netns, self.proc).ok();
        Ok(())
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut bound = vec![udp_hex(self.v4)];
        if self.kind == ScratchKind::Chrony {
            // chronyd binds only the wildcard address.
            bound.push(udp_hex(Ipv4Addr::UNSPECIFIED));
        }
        loop {
            if !self.alive() {
                bail!(
                    "exited during start-up; see {}:\n{}",
                    self.dir.display(),
                    process::tail(&self.log_path(), 15)
                );
            }
            let table = process::run(
                "ip",
                &["netns", "exec", &self.netns, "cat", "/proc/net/udp"],
            )
            .unwrap_or_default();
            let listening = table.lines().any(|l| {
                l.split_whitespace()
                    .nth(1)
                    .is_some_and(|local| bound.iter().any(|b| b == local))
            });
            if listening {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "not listening on port 123 after {} s (chrony needs an 'allow' line); see {}",
                    READY_TIMEOUT.as_secs(),
                    self.log_path().display()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Which daemon runs.
    pub fn kind(&self) -> ScratchKind {
        self.kind
    }

    /// Its network namespace.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// Its IPv4 address: `127.0.0.1`, or its lab address.
    pub fn v4(&self) -> Ipv4Addr {
        self.v4
    }

    /// Its IPv6 address: `::1`, or its lab address.
    pub fn v6(&self) -> Ipv6Addr {
        self.v6
    }

    /// Its NTP service address (IPv4, port 123).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(self.v4), 123)
    }

    /// Its directory (configuration, logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The daemon's own log file (`ntpd.log`; `chronyd.log` for chrony).
    pub fn log_path(&self) -> PathBuf {
        match self.kind {
            ScratchKind::Chrony => self.dir.join("chronyd.log"),
            ScratchKind::Reference | ScratchKind::Ntpsec => self.dir.join("ntpd.log"),
        }
    }

    /// The daemon's log so far (empty if unreadable).
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The daemon's process ID.
    pub fn pid(&self) -> Option<u32> {
        self.proc.map(|p| p.pid)
    }

    /// Whether the daemon still runs.
    pub fn alive(&self) -> bool {
        self.proc.is_some_and(ProcId::alive)
    }

    /// Runs `program` in the daemon's namespace.
    pub fn command(&self, program: impl AsRef<OsStr>) -> LabCommand {
        LabCommand::new(Place::Netns(self.netns.clone()), program)
    }

    /// A reference tool in the daemon's namespace.
    pub fn reference(&self, tool: RefTool) -> LabCommand {
        LabCommand::reference(Place::Netns(self.netns.clone()), &self.ref_root, tool)
    }

    /// An NTPsec tool in the daemon's namespace.
    pub fn ntpsec(&self, tool: NtpsecTool) -> LabCommand {
        LabCommand::ntpsec(Place::Netns(self.netns.clone()), tool)
    }

    /// Sends one datagram from inside the daemon's namespace and collects up to `replies` replies within
    /// `timeout`.
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
}

impl Drop for ScratchDaemon {
    fn drop(&mut self) {
        if let Some(p) = self.proc {
            p.terminate(Duration::from_secs(3));
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        delete_netns(&self.netns);
        if let Some(lease) = self.lease.take() {
            let _ = fs::remove_file(lease);
        }
        if !thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// The configuration: the safety lines, the daemon's files, the keys, then the test's lines.
fn render_conf(
    kind: ScratchKind,
    netns: &str,
    dir: &Path,
    keys: Option<&Path>,
    lines: &[String],
) -> String {
    let mut c = String::new();
    let _ = writeln!(
        c,
        "# ntpkit-lab scratch daemon {netns} ({}); generated",
        kind.label()
    );
    // Never discipline the machine's clock (the daemon also runs without CAP_SYS_TIME).
    c.push_str("disable kernel\n");
    let _ = writeln!(c, "driftfile {}", dir.join("ntp.drift").display());
    // NTPsec defaults to /var/log/ntpsec/.
    let _ = writeln!(c, "statsdir {}/", dir.display());
    if let Some(keys) = keys {
        let _ = writeln!(c, "keys {}", keys.display());
    }
    for line in lines {
        c.push_str(line);
        c.push('\n');
    }
    c
}

/// `/proc/net/udp`'s rendering of an IPv4 address on port 123 (the address as a host-order word).
fn udp_hex(addr: Ipv4Addr) -> String {
    format!("{:08X}:007B", u32::from_le_bytes(addr.octets()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_starts_with_the_safety_lines() {
        let conf = render_conf(
            ScratchKind::Ntpsec,
            "ntpkit-s1.2.0",
            Path::new("/d"),
            Some(Path::new("/k")),
            &["controlkey 1".to_owned()],
        );
        let lines: Vec<&str> = conf.lines().collect();
        assert_eq!(
            &lines[1..],
            [
                "disable kernel",
                "driftfile /d/ntp.drift",
                "statsdir /d/",
                "keys /k",
                "controlkey 1"
            ]
        );
    }

    #[test]
    fn udp_table_addresses() {
        assert_eq!(udp_hex(Ipv4Addr::LOCALHOST), "0100007F:007B");
        assert_eq!(udp_hex(Ipv4Addr::new(10, 77, 0, 41)), "29004D0A:007B");
    }
}
