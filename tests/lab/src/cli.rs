//! The `ntpkit-lab` command: provision, start, stop and inspect the lab; run commands in it; and the
//! helper processes the test API starts (supervisor, relay, probe).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use crate::exec::{LabCommand, NtpsecTool, Place, RefTool};
use crate::paths::Paths;
use crate::process::ProcId;
use crate::relay::{self, Impairment, Route};
use crate::state::{Mode, State};
use crate::{KEYS, Lab, probe};
use crate::{lifecycle, responder, session};

/// The ntpkit test lab: ntpd 4.2.8p15 and NTPsec daemons in network namespaces.
#[derive(Debug, Parser)]
#[command(name = "ntpkit-lab", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Install NTPsec and the lab's tools, fetch and unpack the reference ntp 4.2.8p15 (idempotent).
    Provision,
    /// Start a lab that stays up until `down` (adopts a running test lab).
    Up,
    /// Stop the lab (whoever started it) and remove leftovers of interrupted runs.
    Down,
    /// Show the lab's hosts, daemons and synchronisation; exit 1 if no healthy lab runs.
    Status,
    /// Print the lab's addresses, keys and paths as shell variable assignments.
    Env,
    /// Run a command in a lab namespace: `exec client -- ntpq -p 10.77.0.1`.
    Exec {
        /// Host name (ntp1, ntp2, ntp3, client, relay).
        host: String,
        /// The command and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<OsString>,
    },
    /// Run a reference tool (ntpq, ntpdc, ntptrace, ntpdate, sntp, ntp-keygen, ntpd) in the client
    /// namespace (without network if no lab runs).
    Ref {
        /// Tool name.
        tool: RefTool,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Run an NTPsec tool (ntpq, ntpdig, ntpkeygen, ntptrace) in the client namespace.
    Ntpsec {
        /// Tool name.
        tool: NtpsecTool,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Forward datagrams with seeded impairments (run inside a lab namespace; see docs/lab.md).
    Relay(RelayArgs),
    /// Send one UDP datagram and print the replies (`reply <micros> <from> <hex>`).
    Probe {
        /// Destination address and port.
        #[arg(long)]
        to: SocketAddr,
        /// Source address (any address of the client pools may be used in the client namespace).
        #[arg(long)]
        from: Option<SocketAddr>,
        /// The datagram, in hex.
        #[arg(long)]
        hex: String,
        /// Stop after this many replies.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Give up after this long.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
    /// A scripted, misbehaving NTP server (run inside a lab namespace; see `responder` in the docs):
    /// each request gets the next step of the script (`ok`, `kod:RATE`, `leap3`, `spoof+ok`, …).
    NtpResponder(ResponderArgs),
    /// Answer mode 7 requests from a JSON script (see `Mode7Script`), for `monlist` tests.
    Mode7Responder {
        /// Address and port to listen on (port 0: any free port).
        #[arg(long)]
        listen: SocketAddr,
        /// The script (JSON).
        #[arg(long)]
        script: PathBuf,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 120.0)]
        lifetime_s: f64,
    },
    /// Answer mode 6 as xntpd 3 does, with its writable leap variables and their windows on a
    /// scripted clock (see `Xntpd3Script`), for `ntpq leap` tests.
    Xntpd3Responder {
        /// Address and port to listen on (port 0: any free port).
        #[arg(long)]
        listen: SocketAddr,
        /// The script (JSON).
        #[arg(long)]
        script: PathBuf,
        /// Stop after this many seconds.
        #[arg(long, default_value_t = 120.0)]
        lifetime_s: f64,
    },
    /// Start a lab and supervise it for the test processes holding leases (internal).
    #[command(hide = true)]
    Supervise,
}

#[derive(Debug, clap::Args)]
struct RelayArgs {
    /// LISTEN=SERVER address pairs, e.g. `10.77.20.1:123=10.77.0.1:123` (repeatable).
    #[arg(long = "route", required = true)]
    routes: Vec<Route>,
    /// Address (CIDR) on `eth0` to delete when the relay stops, e.g. the one it listens on (repeatable).
    #[arg(long = "own-addr")]
    own_addrs: Vec<String>,
    /// One-way delay in milliseconds (each direction).
    #[arg(long, default_value_t = 0.0)]
    delay_ms: f64,
    /// Uniform jitter (±) in milliseconds.
    #[arg(long, default_value_t = 0.0)]
    jitter_ms: f64,
    /// Drop probability (0..1).
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// Duplication probability (0..1).
    #[arg(long, default_value_t = 0.0)]
    duplicate: f64,
    /// Reordering probability (0..1): the datagram is held back `--reorder-gap-ms`.
    #[arg(long, default_value_t = 0.0)]
    reorder: f64,
    /// Extra hold-back of a reordered datagram, in milliseconds.
    #[arg(long, default_value_t = 50.0)]
    reorder_gap_ms: f64,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Forward only the first N datagrams towards clients, then drop the rest.
    #[arg(long)]
    cut_after: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    lifetime_s: f64,
    /// Stop when this process exits.
    #[arg(long)]
    parent: Option<u32>,
}

#[derive(Debug, clap::Args)]
struct ResponderArgs {
    /// Address and port to answer on (repeatable).
    #[arg(long = "listen", required = true)]
    listen: Vec<SocketAddr>,
    /// Comma-separated steps, one per request; the last repeats.
    #[arg(long)]
    script: String,
    /// Comma-separated mode 6 steps (`ok`, `spoof-seq`, `gap`, …); none: mode 6 is ignored.
    #[arg(long)]
    control_script: Option<String>,
    /// Comma-separated mode 7 steps (`ok`, `overflow`, `error:9`, …); none: mode 7 is ignored.
    #[arg(long)]
    private_script: Option<String>,
    /// Send spoofed replies from this address of the host (repeatable: one per family).
    #[arg(long = "spoof-from")]
    spoof_from: Vec<std::net::IpAddr>,
    /// `ID=SECRET`: MD5 key to sign replies to requests authenticated with that key ID.
    #[arg(long)]
    md5_key: Option<String>,
    /// Address (CIDR) on `eth0` to delete when the responder stops (repeatable).
    #[arg(long = "own-addr")]
    own_addrs: Vec<String>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    lifetime_s: f64,
    /// Stop when this process exits.
    #[arg(long)]
    parent: Option<u32>,
}

/// Entry point of the binary: runs the command; prints `ntpkit-lab: <error>` as one line on failure.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ntpkit-lab: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn secs(v: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(v).with_context(|| format!("bad {what} '{v}'"))
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = Paths::from_env();
    match cli.command {
        Cmd::Provision => {
            let took = lifecycle::provision(&paths, true)?;
            eprintln!(
                "ntpkit-lab: provision: {:.1} s (cache {})",
                took.as_secs_f64(),
                paths.cache.display()
            );
        }
        Cmd::Up => {
            let state = session::up(&paths)?;
            print_status(&state);
            eprintln!("ntpkit-lab: stop it with 'ntpkit-lab down'");
        }
        Cmd::Down => session::down(&paths)?,
        Cmd::Status => {
            let Some(state) = State::load() else {
                println!("no lab is running");
                return Ok(ExitCode::FAILURE);
            };
            print_status(&state);
            if let Err(e) = state.validate() {
                println!("unhealthy: {e:#}");
                return Ok(ExitCode::FAILURE);
            }
        }
        Cmd::Env => print_env(&Lab::attach()?),
        Cmd::Exec { host, command } => {
            let lab = Lab::attach()?;
            let Some(h) = lab
                .hosts()
                .iter()
                .find(|h| h.name == host || h.netns == host)
            else {
                bail!("no host '{host}' in the lab");
            };
            let (program, args) = command.split_first().context("no command given")?;
            let mut cmd = LabCommand::new(Place::Netns(h.netns.clone()), program);
            cmd.args(args);
            return interactive(&cmd);
        }
        Cmd::Ref { tool, args } => {
            let mut cmd = match Lab::attach() {
                Ok(lab) => lab.reference(tool),
                Err(_) => {
                    lifecycle::provision(&paths, false)?;
                    eprintln!(
                        "ntpkit-lab: no lab is running; running {} without network",
                        tool.name()
                    );
                    LabCommand::reference(Place::Isolated, &paths.ref_root, tool)
                }
            };
            cmd.args(args);
            return interactive(&cmd);
        }
        Cmd::Ntpsec { tool, args } => {
            let mut cmd = match Lab::attach() {
                Ok(lab) => lab.ntpsec(tool),
                Err(_) => {
                    eprintln!(
                        "ntpkit-lab: no lab is running; running {} without network",
                        tool.name()
                    );
                    LabCommand::ntpsec(Place::Isolated, tool)
                }
            };
            cmd.args(args);
            return interactive(&cmd);
        }
        Cmd::Relay(a) => {
            let imp = Impairment {
                delay: secs(a.delay_ms / 1e3, "delay")?,
                jitter: secs(a.jitter_ms / 1e3, "jitter")?,
                loss: a.loss,
                duplicate: a.duplicate,
                reorder: a.reorder,
                reorder_gap: secs(a.reorder_gap_ms / 1e3, "reorder gap")?,
                seed: a.seed,
                cut_after: a.cut_after,
            };
            let parent = match a.parent {
                Some(pid) => Some(
                    ProcId::of(pid)
                        .with_context(|| format!("parent process {pid} is not running"))?,
                ),
                None => None,
            };
            let result = relay::run(
                &a.routes,
                &imp,
                secs(a.lifetime_s, "lifetime")?,
                parent,
                &mut std::io::stdout(),
            );
            // Give the addresses back even when the test that claimed them died.
            for cidr in &a.own_addrs {
                let _ = crate::process::run("ip", &["addr", "del", cidr, "dev", "eth0"]);
            }
            let stats = result?;
            eprintln!(
                "relay: to server: received {} sent {} dropped {}; to client: received {} sent {} dropped {}",
                stats.received[0],
                stats.sent[0],
                stats.dropped[0],
                stats.received[1],
                stats.sent[1],
                stats.dropped[1]
            );
        }
        Cmd::Probe {
            to,
            from,
            hex,
            count,
            timeout_ms,
        } => {
            let request = probe::from_hex(&hex)?;
            let got = probe::run(
                to,
                from,
                &request,
                count,
                Duration::from_millis(timeout_ms),
                &mut std::io::stdout(),
            )?;
            if got == 0 {
                println!("timeout");
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::NtpResponder(a) => {
            let err = |e: String| anyhow::anyhow!("{e}");
            let scripts = responder::Scripts {
                ntp: responder::parse_script(&a.script).map_err(err)?,
                control: match &a.control_script {
                    Some(s) => crate::hostile::parse_steps(s).map_err(err)?,
                    None => vec![crate::hostile::ControlStep::Silent],
                },
                private: match &a.private_script {
                    Some(s) => crate::hostile::parse_steps(s).map_err(err)?,
                    None => vec![crate::hostile::PrivateStep::Silent],
                },
            };
            let key = match &a.md5_key {
                Some(k) => {
                    let (id, secret) = k.split_once('=').context("--md5-key wants ID=SECRET")?;
                    let id = id.parse().with_context(|| format!("bad key ID '{id}'"))?;
                    Some((id, secret.as_bytes().to_vec()))
                }
                None => None,
            };
            let parent = match a.parent {
                Some(pid) => Some(
                    ProcId::of(pid)
                        .with_context(|| format!("parent process {pid} is not running"))?,
                ),
                None => None,
            };
            let result = responder::run(
                &a.listen,
                &scripts,
                key.as_ref(),
                &a.spoof_from,
                secs(a.lifetime_s, "lifetime")?,
                parent,
                &mut std::io::stdout(),
            );
            for cidr in &a.own_addrs {
                let _ = crate::process::run("ip", &["addr", "del", cidr, "dev", "eth0"]);
            }
            let count = result?;
            eprintln!("ntp-responder: answered {count} requests");
        }
        Cmd::Mode7Responder {
            listen,
            script,
            lifetime_s,
        } => {
            let script: crate::mode7::Mode7Script = read_script(&script, "mode 7")?;
            crate::mode7::run(
                listen,
                &script,
                secs(lifetime_s, "lifetime")?,
                &mut std::io::stdout(),
            )?;
        }
        Cmd::Xntpd3Responder {
            listen,
            script,
            lifetime_s,
        } => {
            let script: crate::xntpd3::Xntpd3Script = read_script(&script, "xntpd 3")?;
            crate::xntpd3::run(
                listen,
                &script,
                secs(lifetime_s, "lifetime")?,
                &mut std::io::stdout(),
            )?;
        }
        Cmd::Supervise => session::supervise(&paths)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a command with the terminal's stdin/stdout/stderr and returns its exit code.
fn interactive(cmd: &LabCommand) -> anyhow::Result<ExitCode> {
    let status = cmd
        .to_command()
        .status()
        .with_context(|| format!("cannot run {}", cmd.display()))?;
    Ok(status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .map_or(ExitCode::FAILURE, ExitCode::from))
}

/// Prints the status table; a closed pipe (`| head`) is not an error.
fn print_status(state: &State) {
    let mut s = String::new();
    let mode = match state.mode {
        Mode::Persistent => "persistent (ntpkit-lab up)".to_owned(),
        Mode::Supervised => {
            format!(
                "supervised for tests (supervisor pid {})",
                state.supervisor.map_or(0, |s| s.pid)
            )
        }
    };
    let _ = writeln!(
        s,
        "lab: {}, {mode}, layout {}",
        format!("{:?}", state.status).to_lowercase(),
        state.layout
    );
    let _ = writeln!(s, "cache: {}", state.cache.display());
    let _ = writeln!(s, "log: {}", state.log.display());
    let _ = writeln!(s, "keys: {}", state.keys_file.display());
    let _ = writeln!(
        s,
        "{:<7} {:<14} {:<10} {:<9} {:<14} {:>7}  sync",
        "host", "netns", "IPv4", "IPv6", "daemon", "pid"
    );
    for h in &state.hosts {
        let d = state.daemons.iter().find(|d| d.host == h.name);
        let daemon = h.daemon.map_or("-", crate::Daemon::label);
        let pid = d.map_or_else(
            || "-".to_owned(),
            |d| {
                if d.proc.alive() {
                    d.proc.pid.to_string()
                } else {
                    format!("{}(dead)", d.proc.pid)
                }
            },
        );
        let sync = if d.is_some() {
            lifecycle::host_sys_stratum(&state.ref_root, h).map_or_else(
                || "no answer".to_owned(),
                |(st, refid)| format!("stratum {st} via {refid}"),
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "{:<7} {:<14} {:<10} {:<9} {:<14} {pid:>7}  {sync}",
            h.name, h.netns, h.v4, h.v6, daemon
        );
    }
    let t = &state.timings;
    let hops: Vec<String> = t
        .synced_after_s
        .iter()
        .map(|(h, s)| format!("{h} {s:.1} s"))
        .collect();
    let _ = writeln!(
        s,
        "timings: provision {:.1} s, network {:.1} s, start {:.1} s, sync {:.1} s ({})",
        t.provision_s,
        t.network_s,
        t.start_s,
        t.sync_s,
        hops.join(", ")
    );
    let _ = std::io::stdout().lock().write_all(s.as_bytes());
}

fn print_env(lab: &Lab) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "NTPKIT_LAB_CLIENT_NETNS={}", lab.client().netns);
    for h in lab.hosts() {
        let n = h.name.to_ascii_uppercase();
        let _ = writeln!(
            out,
            "NTPKIT_LAB_{n}_V4={}\nNTPKIT_LAB_{n}_V6={}",
            h.v4, h.v6
        );
    }
    let _ = writeln!(out, "NTPKIT_LAB_KEYS={}", lab.keys_file().display());
    for k in KEYS {
        let _ = writeln!(
            out,
            "NTPKIT_LAB_KEY{}_TYPE={}\nNTPKIT_LAB_KEY{}_SECRET={}",
            k.id, k.kind, k.id, k.secret
        );
    }
    let root: PathBuf = lab.tools().ref_root().to_owned();
    let _ = writeln!(out, "NTPKIT_LAB_REF_ROOT={}", root.display());
    let _ = writeln!(
        out,
        "NTPKIT_LAB_REF_LD_LIBRARY_PATH={}",
        crate::paths::ref_library_path(&root)
    );
}

/// A responder's JSON script from `path`; `what` names the protocol in errors.
fn read_script<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    what: &str,
) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("bad {what} script"))
}
