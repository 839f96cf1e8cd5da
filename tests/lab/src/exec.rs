//! Running programs inside the lab: ours by path, the reference and NTPsec tools by name, each in a lab
//! namespace (or in a fresh namespace with no network), with a timeout and captured output.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::paths;
use crate::process;

/// Default timeout of a lab command.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A tool of the reference ntp 4.2.8p15 distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefTool {
    /// `ntpq` (mode 6).
    Ntpq,
    /// `ntpdc` (mode 7).
    Ntpdc,
    /// `ntptrace`, a Perl script run with the reference `ntpq` first on `PATH`.
    Ntptrace,
    /// `ntpdate`.
    Ntpdate,
    /// `sntp`, always given `-K /dev/null` (it cannot open its KoD database otherwise).
    Sntp,
    /// `ntp-keygen`.
    NtpKeygen,
    /// `ntpd` itself (for tests that run an extra daemon).
    Ntpd,
}

impl RefTool {
    /// Every reference tool.
    pub const ALL: [Self; 7] = [
        Self::Ntpq,
        Self::Ntpdc,
        Self::Ntptrace,
        Self::Ntpdate,
        Self::Sntp,
        Self::NtpKeygen,
        Self::Ntpd,
    ];

    /// The tool's command name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ntpq => "ntpq",
            Self::Ntpdc => "ntpdc",
            Self::Ntptrace => "ntptrace",
            Self::Ntpdate => "ntpdate",
            Self::Sntp => "sntp",
            Self::NtpKeygen => "ntp-keygen",
            Self::Ntpd => "ntpd",
        }
    }

    /// Path of the tool under the reference root.
    pub fn path(self, ref_root: &Path) -> PathBuf {
        let rel = match self {
            Self::Ntpq | Self::Ntpdc | Self::Ntptrace | Self::Sntp => "usr/bin",
            Self::Ntpdate | Self::NtpKeygen | Self::Ntpd => "usr/sbin",
        };
        ref_root.join(rel).join(self.name())
    }
}

impl FromStr for RefTool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|t| t.name()).collect();
                format!(
                    "unknown reference tool '{s}' (one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// A tool of NTPsec 1.2.2 (installed system-wide).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtpsecTool {
    /// NTPsec's Python `ntpq` (authenticates with `-a KEYID -k KEYFILE`).
    Ntpq,
    /// `ntpdig`, NTPsec's SNTP client.
    Ntpdig,
    /// `ntpkeygen`.
    Ntpkeygen,
    /// NTPsec's `ntptrace`.
    Ntptrace,
}

impl NtpsecTool {
    /// Every NTPsec tool.
    pub const ALL: [Self; 4] = [Self::Ntpq, Self::Ntpdig, Self::Ntpkeygen, Self::Ntptrace];

    /// The tool's command name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ntpq => "ntpq",
            Self::Ntpdig => "ntpdig",
            Self::Ntpkeygen => "ntpkeygen",
            Self::Ntptrace => "ntptrace",
        }
    }

    /// Path of the installed tool.
    pub fn path(self) -> PathBuf {
        Path::new("/usr/bin").join(self.name())
    }
}

impl FromStr for NtpsecTool {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|t| t.name()).collect();
                format!("unknown NTPsec tool '{s}' (one of: {})", names.join(", "))
            })
    }
}

/// Where a command runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// In a lab namespace (`ip netns exec`).
    Netns(String),
    /// In a fresh, empty network namespace (`unshare --net`): no network at all. For tools that need none
    /// (`ntp-keygen`), so nothing can reach outside the machine.
    Isolated,
}

/// A command to run in the lab, built like [`std::process::Command`].
#[derive(Clone, Debug)]
pub struct LabCommand {
    place: Place,
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    dir: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
    label: String,
}

impl LabCommand {
    /// A command running `program` at `place`.
    pub fn new(place: Place, program: impl AsRef<OsStr>) -> Self {
        let program = program.as_ref().to_owned();
        let label = Path::new(&program).file_name().map_or_else(
            || program.to_string_lossy().into_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        Self {
            place,
            program,
            args: Vec::new(),
            env: Vec::new(),
            dir: None,
            stdin: None,
            timeout: DEFAULT_TIMEOUT,
            label,
        }
    }

    /// A reference tool with its library path, `PATH` and fixed arguments set up.
    pub fn reference(place: Place, ref_root: &Path, tool: RefTool) -> Self {
        let path_var = format!(
            "{}:{}:/usr/sbin:/usr/bin:/sbin:/bin",
            ref_root.join("usr/bin").display(),
            ref_root.join("usr/sbin").display()
        );
        let mut cmd = match tool {
            RefTool::Ntptrace => {
                let mut c = Self::new(place, "perl");
                c.arg("-I")
                    .arg(ref_root.join("usr/share/ntp/lib"))
                    .arg(tool.path(ref_root));
                c
            }
            _ => Self::new(place, tool.path(ref_root)),
        };
        if tool == RefTool::Sntp {
            cmd.args(["-K", "/dev/null"]);
        }
        cmd.label = format!("reference {}", tool.name());
        cmd.env("LD_LIBRARY_PATH", paths::ref_library_path(ref_root))
            .env("PATH", path_var);
        cmd
    }

    /// An NTPsec tool.
    pub fn ntpsec(place: Place, tool: NtpsecTool) -> Self {
        let mut cmd = Self::new(place, tool.path());
        cmd.label = format!("NTPsec {}", tool.name());
        cmd
    }

    /// Appends an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Sets the working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Feeds these bytes on standard input (default: none, stdin is `/dev/null`).
    pub fn stdin(&mut self, input: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Some(input.into());
        self
    }

    /// Kills the command after `timeout` (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Runs in another lab namespace (e.g. a server host) instead.
    pub fn place(&mut self, place: Place) -> &mut Self {
        self.place = place;
        self
    }

    /// The command line as a person would type it (without the namespace wrapper).
    pub fn display(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        process::display_command(&self.program.to_string_lossy(), &args)
    }

    /// The full [`Command`] (namespace wrapper included), e.g. to hand to a benchmark tool.
    pub fn to_command(&self) -> Command {
        let mut cmd = match &self.place {
            Place::Netns(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns.as_str()]);
                c
            }
            Place::Isolated => {
                let mut c = Command::new("unshare");
                c.args(["--net", "--"]);
                c
            }
        };
        cmd.arg(&self.program).args(&self.args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd
    }

    /// Runs the command to completion (or its timeout). Never panics: a command that cannot start is
    /// reported in [`RunOutput::stderr`] with no exit code.
    pub fn run(&self) -> RunOutput {
        let mut cmd = self.to_command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let started = Instant::now();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return RunOutput {
                    command: self.display(),
                    place: self.place.clone(),
                    code: None,
                    stdout: String::new(),
                    stderr: format!("cannot start {}: {e}", self.label),
                    timed_out: false,
                    elapsed: started.elapsed(),
                };
            }
        };
        if let (Some(input), Some(mut pipe)) = (self.stdin.clone(), child.stdin.take()) {
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let (code, stdout, stderr, timed_out) = process::wait_with_timeout(child, self.timeout);
        RunOutput {
            command: self.display(),
            place: self.place.clone(),
            code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            timed_out,
            elapsed: started.elapsed(),
        }
    }
}

/// What a lab command did.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// The command line (without the namespace wrapper).
    pub command: String,
    /// Where it ran.
    pub place: Place,
    /// Exit code; `None` if killed by a signal (e.g. the timeout) or it could not start.
    pub code: Option<i32>,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// Whether the timeout killed it.
    pub timed_out: bool,
    /// Wall-clock run time.
    pub elapsed: Duration,
}

impl RunOutput {
    /// Exit code 0 (note: the reference tools exit 0 even on server errors and timeouts; check the text).
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics with the whole output unless the command exited 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success(), "command failed:\n{self}");
        self
    }

    /// Panics with the whole output unless stdout contains `needle`.
    #[track_caller]
    pub fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "expected {needle:?} in stdout:\n{self}"
        );
        self
    }
}

impl fmt::Display for RunOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = match &self.place {
            Place::Netns(ns) => ns.as_str(),
            Place::Isolated => "isolated",
        };
        let status = match (self.timed_out, self.code) {
            (true, _) => format!(
                "killed after the {:.1} s timeout",
                self.elapsed.as_secs_f64()
            ),
            (false, Some(c)) => format!("exit {c} after {:.3} s", self.elapsed.as_secs_f64()),
            (false, None) => "killed by a signal or not started".to_owned(),
        };
        writeln!(f, "$ [{place}] {}\n({status})", self.command)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout.trim_end())?;
        write!(f, "--- stderr ---\n{}", self.stderr.trim_end())
    }
}
