//! The command line: the classic options (`ntpdate [-46bBdqsuv] [-a keyid] [-e authdelay] [-k keyfile]
//! [-o version] [-p samples] [-t timeout] server...`) plus ntpkit's, resolved into a [`Plan`].

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use ntpkit::auth::{Key, KeyId, KeysFile};
use ntpkit::sync::Limits;
use ntpkit::transport::Family;

/// Default lock file: two runs that may adjust the clock never do so at once.
pub const DEFAULT_LOCK_FILE: &str = "/run/ntpdate.lock";

/// Command line of `ntpdate`.
#[derive(Debug, Parser)]
#[command(
    name = "ntpdate",
    version,
    about = "query NTP servers and set the clock once, safely",
    long_about = "Queries NTP servers, picks the best sample of each, rejects falsetickers by \
                  interval intersection and steps (|offset| > 0.5 s) or slews the clock. Nothing \
                  is changed unless every check passes; -q only reports."
)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the classic single-letter flags are independent switches"
)]
pub struct Cli {
    /// Use IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Use IPv6 addresses only.
    #[arg(short = '6')]
    pub ipv6: bool,
    /// Always step the clock (clock_settime-style), whatever the offset.
    #[arg(short = 'b', conflicts_with = "slew")]
    pub step: bool,
    /// Always slew the clock, even when |offset| > 0.5 s.
    #[arg(short = 'B')]
    pub slew: bool,
    /// Debug: do everything but adjust the clock; show every packet and every reason a server or
    /// sample was rejected.
    #[arg(short = 'd')]
    pub debug: bool,
    /// Query only: report offsets, do not touch the clock (needs no privilege).
    #[arg(short = 'q')]
    pub query: bool,
    /// Log the result lines to syslog instead of standard output.
    #[arg(short = 's')]
    pub syslog: bool,
    /// Send from an unprivileged port even when setting the clock (default: port 123, as ntpd).
    #[arg(short = 'u')]
    pub unprivileged: bool,
    /// Verbose: say which ntpdate this is.
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Authenticate requests with this key ID; replies whose MAC fails are rejected.
    #[arg(short = 'a', value_name = "KEYID")]
    pub key_id: Option<u32>,
    /// Authentication delay added to the transmit timestamp, seconds (0 ≤ d < 1).
    #[arg(short = 'e', value_name = "AUTHDELAY", default_value_t = 0.0)]
    pub authdelay: f64,
    /// Keys file.
    #[arg(short = 'k', value_name = "KEYFILE", default_value = "/etc/ntp.keys")]
    pub keyfile: PathBuf,
    /// NTP version to send, 1..=4.
    #[arg(short = 'o', value_name = "VERSION", default_value_t = 4,
          value_parser = clap::value_parser!(u8).range(1..=4))]
    pub ntp_version: u8,
    /// Samples per server, 1..=8.
    #[arg(short = 'p', value_name = "SAMPLES", default_value_t = 4,
          value_parser = clap::value_parser!(u8).range(1..=8))]
    pub samples: u8,
    /// Reply timeout per request, seconds (one resend after it).
    #[arg(short = 't', value_name = "TIMEOUT", default_value_t = 2.0)]
    pub timeout: f64,
    /// Step even beyond the panic threshold.
    #[arg(short = 'g', long = "force")]
    pub force: bool,
    /// Refuse to adjust by more than this many seconds unless -g/--force.
    #[arg(long, value_name = "SECONDS", default_value_t = 1000.0)]
    pub panic: f64,
    /// Never step the clock backwards: slew instead (at --slew-rate).
    #[arg(long)]
    pub no_step_back: bool,
    /// Slew rate, ppm (at most 500, the kernel's limit).
    #[arg(long, value_name = "PPM", default_value_t = 500.0)]
    pub slew_rate: f64,
    /// Largest acceptable root distance, seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.5)]
    pub max_distance: f64,
    /// Lock file that keeps two runs from adjusting the clock at once.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_LOCK_FILE)]
    pub lock_file: PathBuf,
    /// Measure the local clock's frequency error against the selected server over this many
    /// seconds (query only).
    #[arg(long, value_name = "SECONDS")]
    pub drift: Option<f64>,
    /// Time between drift samples, seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 1.0,
        requires = "drift"
    )]
    pub drift_interval: f64,
    /// One JSON document on standard output instead of text.
    #[arg(long)]
    pub json: bool,
    /// Syslog socket for -s.
    #[arg(long, value_name = "PATH", default_value = "/dev/log", hide = true)]
    pub syslog_socket: PathBuf,
    /// Servers to query (names or addresses, optionally with `:port`).
    #[arg(required = true, value_name = "SERVER")]
    pub servers: Vec<String>,
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `-q`: report only.
    Query,
    /// `-d`: report everything, decide, adjust nothing.
    Debug,
    /// Adjust the clock.
    Set,
    /// `--drift`: measure the frequency error.
    Drift,
}

impl Mode {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Debug => "debug",
            Self::Set => "set",
            Self::Drift => "drift",
        }
    }
}

/// Step or slew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Step above the threshold, slew below (the default).
    Auto,
    /// `-b`.
    Step,
    /// `-B`.
    Slew,
}

/// How the clock may be adjusted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Step or slew.
    pub method: Method,
    /// |offset| above which `Auto` steps (ntpdate's 0.5 s).
    pub step_threshold: f64,
    /// |offset| above which nothing is done without `force`.
    pub panic: f64,
    /// `-g`/`--force`.
    pub force: bool,
    /// Never step backwards.
    pub no_step_back: bool,
    /// Slew rate, ppm.
    pub slew_rate_ppm: f64,
}

/// The resolved command line.
#[derive(Debug)]
pub struct Plan {
    /// What to do.
    pub mode: Mode,
    /// Servers as given.
    pub servers: Vec<String>,
    /// Address family.
    pub family: Family,
    /// Version to send.
    pub version: u8,
    /// Samples per server.
    pub samples: u8,
    /// Per-request reply timeout.
    pub timeout: Duration,
    /// Added to T1.
    pub authdelay: f64,
    /// The authentication key.
    pub key: Option<Key>,
    /// Sanity limits.
    pub limits: Limits,
    /// Adjustment policy.
    pub policy: Policy,
    /// Bind source port 123.
    pub privileged_port: bool,
    /// Lock file (set mode only).
    pub lock_file: PathBuf,
    /// Drift measurement: (duration, interval).
    pub drift: Option<(Duration, Duration)>,
    /// JSON output.
    pub json: bool,
    /// Syslog for the result lines.
    pub syslog: Option<PathBuf>,
    /// Print the version banner.
    pub verbose: bool,
}

/// A bad option value: exit code 2, like clap's own usage errors.
fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(crate::UsageError(anyhow::anyhow!(message)))
}

fn seconds(value: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| usage(format!("bad {what} '{value}'")))
}

impl Plan {
    /// Checks the options and loads the key.
    ///
    /// # Errors
    /// Out-of-range values, a keys file that cannot be read, or a key it lacks.
    pub fn from_cli(cli: &Cli) -> anyhow::Result<Self> {
        if !(0.0..1.0).contains(&cli.authdelay) {
            return Err(usage(format!(
                "authentication delay '{}' must be in [0, 1) s",
                cli.authdelay
            )));
        }
        if !(cli.timeout > 0.0 && cli.timeout <= 60.0) {
            return Err(usage(format!(
                "timeout '{}' must be in (0, 60] s",
                cli.timeout
            )));
        }
        if !(cli.slew_rate > 0.0 && cli.slew_rate <= 500.0) {
            return Err(usage(format!(
                "slew rate '{}' must be in (0, 500] ppm",
                cli.slew_rate
            )));
        }
        if !(cli.panic > 0.0 && cli.panic.is_finite()) {
            return Err(usage(format!(
                "panic threshold '{}' must be positive",
                cli.panic
            )));
        }
        if !(cli.max_distance > 0.0 && cli.max_distance.is_finite()) {
            return Err(usage(format!(
                "maximum distance '{}' must be positive",
                cli.max_distance
            )));
        }
        let mode = match (cli.drift, cli.debug, cli.query) {
            (Some(_), _, _) => Mode::Drift,
            (None, true, _) => Mode::Debug,
            (None, false, true) => Mode::Query,
            (None, false, false) => Mode::Set,
        };
        let drift = match cli.drift {
            Some(d) => {
                if !(1.0..=86_400.0).contains(&d) {
                    return Err(usage(format!(
                        "drift measurement '{d}' must be 1 to 86400 s"
                    )));
                }
                if !(0.05..=d).contains(&cli.drift_interval) {
                    return Err(usage(format!(
                        "drift interval '{}' must be 0.05 s to the measurement",
                        cli.drift_interval
                    )));
                }
                Some((
                    seconds(d, "drift")?,
                    seconds(cli.drift_interval, "drift interval")?,
                ))
            }
            None => None,
        };
        let key = match cli.key_id {
            Some(id) => {
                // The error names the file and line itself.
                let file = KeysFile::load(&cli.keyfile)?;
                if let Some(exposure) = ntpkit::auth::KeysExposure::of_file(&cli.keyfile) {
                    eprintln!("ntpdate: warning: {}: {exposure}", cli.keyfile.display());
                }
                let key = file
                    .get(KeyId(id))
                    .with_context(|| format!("key {id} is not in {}", cli.keyfile.display()))?;
                Some(key.clone())
            }
            None => None,
        };
        Ok(Self {
            mode,
            servers: cli.servers.clone(),
            family: match (cli.ipv4, cli.ipv6) {
                (true, _) => Family::V4,
                (_, true) => Family::V6,
                _ => Family::Any,
            },
            version: cli.ntp_version,
            samples: cli.samples,
            timeout: seconds(cli.timeout, "timeout")?,
            authdelay: cli.authdelay,
            key,
            limits: Limits {
                max_distance: cli.max_distance,
                ..Limits::default()
            },
            policy: Policy {
                method: match (cli.step, cli.slew) {
                    (true, _) => Method::Step,
                    (_, true) => Method::Slew,
                    _ => Method::Auto,
                },
                step_threshold: 0.5,
                panic: cli.panic,
                force: cli.force,
                no_step_back: cli.no_step_back,
                slew_rate_ppm: cli.slew_rate,
            },
            privileged_port: mode == Mode::Set && !cli.unprivileged,
            lock_file: cli.lock_file.clone(),
            drift,
            json: cli.json,
            syslog: cli.syslog.then(|| cli.syslog_socket.clone()),
            verbose: cli.verbose,
        })
    }
}
