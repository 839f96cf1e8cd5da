//! The only way `ntpdate` changes the clock: the [`ClockControl`] trait, the decision that drives it
//! ([`decide`]), and the real implementation on the kernel's calls ([`KernelClock`]).
//!
//! Tests exercise [`decide`] and [`apply`] through a recording fake; the real implementation is only
//! ever called with a zero-size adjustment in tests, in a process without `CAP_SYS_TIME`.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clock_steering::unix::UnixClock;
use clock_steering::{Clock as _, TimeOffset};

use crate::cli::{Method, Policy};

/// Changes the system clock.
pub trait ClockControl {
    /// Steps the clock by `by` seconds at once (positive: forwards).
    ///
    /// # Errors
    /// The kernel refused (no privilege) or the value is out of range.
    fn step(&self, by: f64) -> io::Result<()>;

    /// Slews the clock by `by` seconds at `rate_ppm`, gradually, returning once done.
    ///
    /// # Errors
    /// The kernel refused, or the slew was interrupted (the clock frequency is then restored and
    /// the error says how much was slewed).
    fn slew(&self, by: f64, rate_ppm: f64) -> io::Result<()>;

    /// The clock's frequency offset, ppm (a read; needs no privilege).
    ///
    /// # Errors
    /// The kernel refused.
    fn frequency(&self) -> io::Result<f64>;

    /// Sets the clock's frequency offset, ppm. Used only to put back the frequency a slew found, when
    /// that slew was killed before it could restore it (see [`crate::lock`]).
    ///
    /// # Errors
    /// The kernel refused.
    fn set_frequency(&self, ppm: f64) -> io::Result<()>;
}

/// What to do with an offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Step by this many seconds.
    Step(f64),
    /// Slew by this many seconds; takes `seconds` at the policy's rate.
    Slew {
        /// The adjustment.
        by: f64,
        /// How long it takes.
        seconds: f64,
    },
}

impl Action {
    /// `step` or `slew`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Step(_) => "step",
            Self::Slew { .. } => "slew",
        }
    }

    /// The adjustment, seconds.
    pub fn by(self) -> f64 {
        match self {
            Self::Step(by) | Self::Slew { by, .. } => by,
        }
    }
}

/// Why an offset is not acted on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Refusal {
    /// |offset| exceeds the panic threshold and `--force` was not given.
    Panic {
        /// The offset.
        offset: f64,
        /// The threshold.
        panic: f64,
    },
    /// The offset is not a number.
    NotFinite,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Panic { offset, panic } => write!(
                f,
                "offset {offset:+.6} s exceeds the panic threshold of {panic} s; use -g to adjust anyway"
            ),
            Self::NotFinite => f.write_str("offset is not a number"),
        }
    }
}

/// Decides between stepping and slewing, ntpdate's way: `-b` steps, `-B` slews, otherwise step when
/// |offset| > 0.5 s. A step backwards becomes a slew with `--no-step-back`. Offsets beyond the panic
/// threshold are refused without `--force`.
///
/// # Errors
/// A [`Refusal`].
pub fn decide(offset: f64, policy: &Policy) -> Result<Action, Refusal> {
    if !offset.is_finite() {
        return Err(Refusal::NotFinite);
    }
    if offset.abs() > policy.panic && !policy.force {
        return Err(Refusal::Panic {
            offset,
            panic: policy.panic,
        });
    }
    let step = match policy.method {
        Method::Step => true,
        Method::Slew => false,
        Method::Auto => offset.abs() > policy.step_threshold,
    };
    if step && !(policy.no_step_back && offset < 0.0) {
        Ok(Action::Step(offset))
    } else {
        Ok(Action::Slew {
            by: offset,
            seconds: offset.abs() / (policy.slew_rate_ppm * 1e-6),
        })
    }
}

/// Carries out `action` on `clock`.
///
/// # Errors
/// The clock's error.
pub fn apply(clock: &dyn ClockControl, action: Action, policy: &Policy) -> io::Result<()> {
    match action {
        Action::Step(by) => clock.step(by),
        Action::Slew { by, .. } => clock.slew(by, policy.slew_rate_ppm),
    }
}

/// The kernel's clock: steps with `clock_adjtime(ADJ_SETOFFSET)` (atomic, relative), slews by
/// holding a frequency offset for as long as the slew takes, then restoring the frequency found.
///
/// Classic ntpdate slews with `adjtime()`, which hands the slew to the kernel and returns at once;
/// no maintained Rust crate wraps `adjtime` without `unsafe`, so this slew runs in the foreground
/// (at most 500 ppm: 1000 s for 0.5 s) and restores the frequency on SIGINT, SIGTERM and SIGHUP.
#[derive(Debug, Default)]
pub struct KernelClock;

impl KernelClock {
    fn clock() -> UnixClock {
        UnixClock::CLOCK_REALTIME
    }
}

/// Splits seconds into whole seconds and non-negative nanoseconds, as `ADJ_SETOFFSET` wants.
fn time_offset(by: f64) -> io::Result<TimeOffset> {
    if !by.is_finite() || by.abs() > 1e9 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("step of {by} s is out of range"),
        ));
    }
    let whole = by.floor();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "|by| ≤ 1e9 s and the fraction is in [0, 1e9) ns"
    )]
    let (seconds, nanos) = (whole as i64, ((by - whole) * 1e9).round() as u32);
    let (seconds, nanos) = if nanos >= 1_000_000_000 {
        (seconds + 1, 0)
    } else {
        (seconds, nanos)
    };
    Ok(TimeOffset { seconds, nanos })
}

fn kernel_error(e: impl Into<io::Error>, what: &str) -> io::Error {
    let e: io::Error = e.into();
    let hint = if e.kind() == io::ErrorKind::PermissionDenied {
        " (needs root or CAP_SYS_TIME)"
    } else {
        ""
    };
    io::Error::new(e.kind(), format!("cannot {what} the clock: {e}{hint}"))
}

impl ClockControl for KernelClock {
    fn step(&self, by: f64) -> io::Result<()> {
        let offset = time_offset(by)?;
        Self::clock()
            .step_clock(offset)
            .map(drop)
            .map_err(|e| kernel_error(e, "step"))
    }

    fn slew(&self, by: f64, rate_ppm: f64) -> io::Result<()> {
        let clock = Self::clock();
        let base = clock
            .get_frequency()
            .map_err(|e| kernel_error(e, "read the frequency of"))?;
        // The kernel clamps the frequency to ±500 ppm; keep base + rate inside it.
        let rate = rate_ppm.min(500.0 - base.abs()).max(1.0);
        let seconds = by.abs() / (rate * 1e-6);
        let skewed = base + rate.copysign(by);
        let interrupted = Arc::new(AtomicBool::new(false));
        for signal in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            signal_hook::flag::register(signal, Arc::clone(&interrupted))?;
        }
        // Zero-size: set the frequency it has (the only real call tests make, without privilege).
        let target = if by == 0.0 { base } else { skewed };
        clock
            .set_frequency(target)
            .map_err(|e| kernel_error(e, "slew"))?;
        let started = Instant::now();
        let total = Duration::from_secs_f64(seconds);
        while started.elapsed() < total && !interrupted.load(Ordering::Relaxed) {
            thread::sleep((total - started.elapsed()).min(Duration::from_millis(100)));
        }
        let done = started.elapsed().min(total).as_secs_f64() * rate * 1e-6;
        clock
            .set_frequency(base)
            .map_err(|e| kernel_error(e, "restore the frequency of"))?;
        if interrupted.load(Ordering::Relaxed) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                format!(
                    "slew interrupted after {:+.6} s of {by:+.6} s; frequency restored",
                    done.copysign(by)
                ),
            ));
        }
        Ok(())
    }

    fn frequency(&self) -> io::Result<f64> {
        Self::clock()
            .get_frequency()
            .map_err(|e| kernel_error(e, "read the frequency of"))
    }

    fn set_frequency(&self, ppm: f64) -> io::Result<()> {
        Self::clock()
            .set_frequency(ppm)
            .map(drop)
            .map_err(|e| kernel_error(e, "set the frequency of"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Records every call; optionally fails them.
    #[derive(Debug, Default)]
    pub(crate) struct Recorder {
        pub calls: RefCell<Vec<String>>,
        pub fail: Option<io::ErrorKind>,
    }

    impl ClockControl for Recorder {
        fn step(&self, by: f64) -> io::Result<()> {
            self.calls.borrow_mut().push(format!("step {by:+.6}"));
            self.fail.map_or(Ok(()), |k| Err(k.into()))
        }

        fn slew(&self, by: f64, rate_ppm: f64) -> io::Result<()> {
            self.calls
                .borrow_mut()
                .push(format!("slew {by:+.6} at {rate_ppm} ppm"));
            self.fail.map_or(Ok(()), |k| Err(k.into()))
        }

        fn frequency(&self) -> io::Result<f64> {
            Ok(7.25)
        }

        fn set_frequency(&self, ppm: f64) -> io::Result<()> {
            self.calls
                .borrow_mut()
                .push(format!("set_frequency {ppm:+.3}"));
            self.fail.map_or(Ok(()), |k| Err(k.into()))
        }
    }

    pub(crate) fn policy() -> Policy {
        Policy {
            method: Method::Auto,
            step_threshold: 0.5,
            panic: 1000.0,
            force: false,
            no_step_back: false,
            slew_rate_ppm: 500.0,
        }
    }

    #[test]
    fn decisions() {
        let p = policy();
        let with = |f: fn(&mut Policy)| {
            let mut q = policy();
            f(&mut q);
            q
        };
        let cases: Vec<(f64, Policy, Result<&str, Refusal>)> = vec![
            (0.2, p, Ok("slew +0.200000")),
            (-0.5, p, Ok("slew -0.500000")),
            (0.5001, p, Ok("step +0.500100")),
            (-2.5, p, Ok("step -2.500000")),
            (
                0.001,
                with(|q| q.method = Method::Step),
                Ok("step +0.001000"),
            ),
            (
                30.0,
                with(|q| q.method = Method::Slew),
                Ok("slew +30.000000"),
            ),
            (-2.5, with(|q| q.no_step_back = true), Ok("slew -2.500000")),
            (2.5, with(|q| q.no_step_back = true), Ok("step +2.500000")),
            (
                -0.001,
                with(|q| {
                    q.no_step_back = true;
                    q.method = Method::Step;
                }),
                Ok("slew -0.001000"),
            ),
            (
                1500.0,
                p,
                Err(Refusal::Panic {
                    offset: 1500.0,
                    panic: 1000.0,
                }),
            ),
            (-1500.0, with(|q| q.force = true), Ok("step -1500.000000")),
            (f64::NAN, p, Err(Refusal::NotFinite)),
        ];
        for (offset, policy, want) in cases {
            let got = decide(offset, &policy).map(|a| {
                let r = Recorder::default();
                apply(&r, a, &policy).unwrap();
                let call = r.calls.borrow()[0].clone();
                call.split(" at ").next().unwrap().to_owned()
            });
            assert_eq!(got.as_deref().map_err(|e| *e), want, "{offset} {policy:?}");
        }
    }

    #[test]
    fn slews_take_offset_over_rate_and_the_recorder_sees_the_rate() {
        let mut p = policy();
        p.slew_rate_ppm = 100.0;
        let a = decide(0.01, &p).unwrap();
        let Action::Slew { by, seconds } = a else {
            panic!("{a:?}")
        };
        assert!(by == 0.01 && (seconds - 100.0).abs() < 1e-9, "{a:?}");
        assert_eq!((a.kind(), a.by()), ("slew", 0.01));
        let r = Recorder::default();
        apply(&r, a, &p).unwrap();
        assert_eq!(*r.calls.borrow(), ["slew +0.010000 at 100 ppm"]);
        let failing = Recorder {
            fail: Some(io::ErrorKind::PermissionDenied),
            ..Recorder::default()
        };
        assert!(apply(&failing, Action::Step(1.0), &p).is_err());
    }

    /// Whether this process may set the clock (`CAP_SYS_TIME`, bit 25, in its effective set).
    fn has_cap_sys_time() -> bool {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let eff = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .unwrap()
            .trim();
        u64::from_str_radix(eff, 16).unwrap() & (1 << 25) != 0
    }

    /// The only test that reaches the kernel's clock calls: zero-size adjustments, in a child process
    /// whose capability bounding set lacks `CAP_SYS_TIME` (so even they are refused), as a second
    /// safety net.
    #[test]
    fn kernel_clock_zero_adjustments_are_refused_without_cap_sys_time() {
        const CHILD: &str = "NTPDATE_KERNEL_CLOCK_CHILD";
        if std::env::var_os(CHILD).is_none() {
            let out = std::process::Command::new("setpriv")
                .args(["--bounding-set", "-sys_time", "--"])
                .arg(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "clock::tests::kernel_clock_zero_adjustments_are_refused_without_cap_sys_time",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, "1")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                text.contains("1 passed"),
                "the child must have run the test: {text}"
            );
            return;
        }
        // Never call the kernel with the capability present, whatever happened above.
        assert!(!has_cap_sys_time(), "refusing: CAP_SYS_TIME is present");
        let step = KernelClock.step(0.0).unwrap_err();
        assert_eq!(step.kind(), io::ErrorKind::PermissionDenied, "{step}");
        assert!(
            step.to_string().contains("needs root or CAP_SYS_TIME"),
            "{step}"
        );
        let slew = KernelClock.slew(0.0, 500.0).unwrap_err();
        assert_eq!(slew.kind(), io::ErrorKind::PermissionDenied, "{slew}");
        // Reading the frequency changes nothing and needs no privilege.
        let ppm = KernelClock.frequency().unwrap();
        assert!(ppm.abs() <= 500.0, "{ppm}");
    }

    #[test]
    fn time_offsets_split_into_seconds_and_positive_nanos() {
        let split = |by| {
            let t = time_offset(by).unwrap();
            (t.seconds, t.nanos)
        };
        assert_eq!(split(2.5), (2, 500_000_000));
        assert_eq!(split(-0.3), (-1, 700_000_000));
        assert_eq!(split(0.0), (0, 0));
        assert_eq!(split(-2.0), (-2, 0));
        assert!(time_offset(f64::INFINITY).is_err());
    }
}
