//! What a tool run against a misbehaving server must show (issue 14): the documented exit code,
//! one error line naming the host and what was wrong, nothing on standard output that looks
//! like a result, an end well within its timeout and retry budget, and no more requests than
//! that budget allows.

use std::time::Duration;

use crate::exec::RunOutput;

/// The expected clean failure of one run.
#[derive(Debug, Clone)]
pub struct CleanFailure<'a> {
    /// The exit code (docs/exit-codes.md).
    pub code: i32,
    /// How the one error line starts: `ntpq: 10.77.20.250: rv: `.
    pub prefix: String,
    /// Text the error line must contain: what was wrong.
    pub what: &'a str,
    /// The run must have ended before this (a hang check, not a speed check).
    pub within: Duration,
    /// Text that would make standard output look like a valid result.
    pub not_on_stdout: &'a [&'a str],
    /// Lines the tool prints on standard error besides errors (banners) that are not counted.
    pub banners: &'a [&'a str],
}

impl CleanFailure<'_> {
    /// Panics, naming `case` and showing the whole run, unless `out` fails as expected.
    #[track_caller]
    pub fn check(&self, case: &str, out: &RunOutput) {
        assert!(!out.timed_out, "{case}: hung:\n{out}");
        assert_eq!(out.code, Some(self.code), "{case}: exit code:\n{out}");
        assert!(
            out.elapsed < self.within,
            "{case}: took {:?}, more than {:?}:\n{out}",
            out.elapsed,
            self.within
        );
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter(|l| !self.banners.iter().any(|b| l.starts_with(b)))
            .collect();
        assert_eq!(errors.len(), 1, "{case}: one error line:\n{out}");
        let line = errors.first().copied().unwrap_or_default();
        assert!(
            line.starts_with(&self.prefix),
            "{case}: error line should start '{}':\n{out}",
            self.prefix
        );
        assert!(
            line.contains(self.what),
            "{case}: error line should say '{}':\n{out}",
            self.what
        );
        assert!(!out.stderr.contains("panicked"), "{case}: panic:\n{out}");
        for text in self.not_on_stdout {
            assert!(
                !out.stdout.contains(text),
                "{case}: '{text}' on stdout looks like a result:\n{out}"
            );
        }
    }
}
