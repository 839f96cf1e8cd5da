//! The NIST/IERS `leap-seconds.list` file: reading it the way ntpd 4.2.8 and NTPsec read it,
//! checking it before a server is pointed at it, and writing one with a correct hash.
//!
//! The format (from the file's own header): `#$ N` is the last update and `#@ N` the expiry,
//! both in NTP seconds since 1900; each entry line is `N OFFSET [# comment]`, the NTP second
//! at which TAI−UTC becomes `OFFSET`; `#h` carries five hexadecimal words, the SHA-1 of the
//! file's data. The data hashed are the decimal digits of the `#$` and `#@` values and of each
//! entry line up to its comment, in file order, with every other character (white space,
//! signs) left out. NIST writes the five words without leading zeros, so any 1–8 digit word
//! is accepted.
//!
//! How the daemons treat what the check reports (observed on ntpd 4.2.8p15 and NTPsec 1.2.2
//! through `:config leapfile`): a bad or malformed hash, an entry not at 00:00 UTC on the first
//! of a month ("bad transition time") and entries out of order ("times not ascending") make
//! them keep their old table; a missing hash and an expired file are logged and *loaded* — an
//! expired file replaces a good table.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt::Write as _;

use serde::Serialize;
use sha1::{Digest as _, Sha1};

use super::calendar::{
    DAY_S, days_between, is_month_start, iso_date, iso_utc, ntp_seconds_to_unix,
};

/// A file expiring sooner than this is flagged.
const EXPIRY_WARNING_DAYS: f64 = 28.0;

/// One transition: from the NTP second `ntp_seconds` on, TAI−UTC is `tai_offset` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeapEntry {
    /// Line number (1-based) in the file it was read from; 0 for an entry built in code.
    pub line: usize,
    /// NTP seconds since 1900-01-01 00:00 UTC.
    pub ntp_seconds: u64,
    /// TAI−UTC from this instant on, seconds.
    pub tai_offset: i32,
}

impl LeapEntry {
    /// The transition as Unix seconds.
    #[must_use]
    pub fn unix(&self) -> i64 {
        ntp_seconds_to_unix(self.ntp_seconds)
    }
}

/// The `#h` line as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashLine {
    /// No `#h` line.
    Missing,
    /// A `#h` line that is not five hexadecimal words.
    Malformed {
        /// Its line number.
        line: usize,
        /// Its text after `#h`.
        text: String,
    },
    /// Five words, as a 20-octet digest.
    Present {
        /// Its line number.
        line: usize,
        /// The digest it states.
        digest: [u8; 20],
    },
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeapSeverity {
    /// Worth knowing; the daemons load the file.
    Warning,
    /// The file should not be used: the daemons refuse it, or it would mislead them.
    Error,
}

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeapFinding {
    /// `error` or `warning`.
    pub severity: LeapSeverity,
    /// The line it concerns, if one.
    pub line: Option<usize>,
    /// What is wrong, one sentence without a trailing period.
    pub message: String,
}

impl LeapFinding {
    fn error(line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            severity: LeapSeverity::Error,
            line,
            message: message.into(),
        }
    }

    fn warning(line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            severity: LeapSeverity::Warning,
            line,
            message: message.into(),
        }
    }
}

/// A leap-seconds file as read: what it states, the hash of its data, and the problems met
/// while reading lines. Reading never fails; [`LeapSecondsFile::check`] judges the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeapSecondsFile {
    /// `#$`: last update, NTP seconds.
    pub updated: Option<u64>,
    /// `#@`: expiry, NTP seconds.
    pub expires: Option<u64>,
    /// The entries, in file order.
    pub entries: Vec<LeapEntry>,
    /// The `#h` line (the last one, as ntpd reads it).
    pub hash_line: HashLine,
    /// SHA-1 of the file's data by the NIST rule.
    pub computed_hash: [u8; 20],
    findings: Vec<LeapFinding>,
}

/// The hash check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HashStatus {
    /// The stated hash matches the data.
    Ok,
    /// It does not.
    Mismatch,
    /// No `#h` line.
    Missing,
    /// A `#h` line that cannot be read.
    Malformed,
}

/// A transition as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeapTransition {
    /// When, `2027-01-01T00:00:00Z`.
    pub at: String,
    /// The same instant in NTP seconds, as the file writes it.
    pub ntp_seconds: u64,
    /// TAI−UTC from then on, seconds.
    pub tai_offset_s: i32,
    /// `insert` (the offset grows by one: a 61-second minute before it), `delete`, or
    /// `initial` for the first entry.
    pub kind: &'static str,
    /// Days from the time of the check (negative: past).
    pub days_from_now: f64,
}

/// The result of checking a file: everything `ntpq leap --check-file` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeapFileReport {
    /// No error-level finding.
    pub valid: bool,
    /// The hash check.
    pub hash: HashStatus,
    /// The hash the file states, as five 8-digit words.
    pub hash_in_file: Option<String>,
    /// The hash of its data.
    pub hash_computed: String,
    /// `#$`, last update.
    pub updated: Option<String>,
    /// `#@`, expiry.
    pub expires: Option<String>,
    /// Days until it expires (negative: expired).
    pub days_to_expire: Option<f64>,
    /// Number of entries.
    pub entries: usize,
    /// The newest entry.
    pub last_entry: Option<LeapTransition>,
    /// TAI−UTC in force at the time of the check, seconds.
    pub tai_offset_s: Option<i32>,
    /// The first transition after the time of the check, if the file announces one.
    pub next_leap: Option<LeapTransition>,
    /// Errors, then warnings, each in line order.
    pub findings: Vec<LeapFinding>,
}

/// The leading decimal number of `text` and what follows it; `None` without digits or when
/// the number is not followed by the end, white space or `#` (ntpd's `parsefail`).
fn leading_number(text: &str) -> Option<(u64, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, rest) = text.split_at(end);
    let ok_end = rest.is_empty() || rest.starts_with('#') || rest.starts_with(char::is_whitespace);
    if digits.is_empty() || !ok_end {
        return None;
    }
    Some((digits.parse().ok()?, rest))
}

/// A signed decimal number at the start of `text` (after white space), followed by the end,
/// white space or `#`.
fn leading_signed(text: &str) -> Option<i32> {
    let t = text.trim_start();
    let (negative, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (value, _) = leading_number(body)?;
    let value = i32::try_from(value).ok()?;
    Some(if negative { -value } else { value })
}

/// The digits of `text` up to its first `#`: what the hash covers of one line.
fn hashed_digits(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes()
        .take_while(|&b| b != b'#')
        .filter(u8::is_ascii_digit)
}

/// Five hexadecimal words of 1–8 digits (an optional `0x` each), nothing else.
fn parse_hash_words(text: &str) -> Option<[u8; 20]> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() != 5 {
        return None;
    }
    let mut digest = [0_u8; 20];
    for (chunk, word) in digest.chunks_exact_mut(4).zip(&words) {
        let hex = word.strip_prefix("0x").unwrap_or(word);
        if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let value = u32::from_str_radix(hex, 16).ok()?;
        chunk.copy_from_slice(&value.to_be_bytes());
    }
    Some(digest)
}

/// The five-word form of a digest, 8 digits each: `49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e`.
#[must_use]
pub fn hash_text(digest: &[u8; 20]) -> String {
    let mut out = String::with_capacity(44);
    for (i, chunk) in digest.chunks_exact(4).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for b in chunk {
            let _ = write!(out, "{b:02x}");
        }
    }
    out
}

/// The NIST hash of a file stating `updated`, `expires` and `entries`, written in plain
/// decimal (which is how [`LeapFileSpec::render`] writes them).
#[must_use]
pub fn nist_hash(updated: u64, expires: u64, entries: &[(u64, i32)]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(updated.to_string());
    h.update(expires.to_string());
    for (ntp, offset) in entries {
        h.update(ntp.to_string());
        h.update(offset.unsigned_abs().to_string());
    }
    h.finalize().into()
}

impl LeapSecondsFile {
    /// Reads `text` line by line as the daemons do.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut hasher = Sha1::new();
        let mut file = Self {
            updated: None,
            expires: None,
            entries: Vec::new(),
            hash_line: HashLine::Missing,
            computed_hash: [0; 20],
            findings: Vec::new(),
        };
        let mut hash_lines = 0;
        for (index, raw) in text.split('\n').enumerate() {
            let n = index + 1;
            let line = raw.trim_end();
            if let Some(rest) = line.strip_prefix("#h") {
                hash_lines += 1;
                file.hash_line = match parse_hash_words(rest) {
                    Some(digest) => HashLine::Present { line: n, digest },
                    None => HashLine::Malformed {
                        line: n,
                        text: rest.trim().to_owned(),
                    },
                };
            } else if let Some((tag, rest)) = line
                .strip_prefix("#$")
                .map(|r| ("#$", r))
                .or_else(|| line.strip_prefix("#@").map(|r| ("#@", r)))
            {
                hasher.update(hashed_digits(rest).collect::<Vec<u8>>());
                let what = if tag == "#$" { "last update" } else { "expiry" };
                match leading_number(rest.trim_start()) {
                    Some((value, _)) if tag == "#$" => file.updated = Some(value),
                    Some((value, _)) => file.expires = Some(value),
                    None => file.findings.push(LeapFinding::error(
                        Some(n),
                        format!("'{tag}' {what} is not a number: '{}'", rest.trim()),
                    )),
                }
            } else if line.starts_with('#') || line.is_empty() {
            } else if line.starts_with(|c: char| c.is_ascii_digit()) {
                hasher.update(hashed_digits(line).collect::<Vec<u8>>());
                let entry = leading_number(line).and_then(|(ntp, rest)| {
                    leading_signed(rest).map(|offset| LeapEntry {
                        line: n,
                        ntp_seconds: ntp,
                        tai_offset: offset,
                    })
                });
                match entry {
                    Some(e) => file.entries.push(e),
                    None => file.findings.push(LeapFinding::error(
                        Some(n),
                        format!(
                            "not an entry 'NTP-SECONDS OFFSET': '{line}' (the daemons refuse the file)"
                        ),
                    )),
                }
            } else if line.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                file.findings.push(LeapFinding::error(
                    Some(n),
                    "entry starts with white space: the daemons skip it without a word",
                ));
            } else {
                file.findings.push(LeapFinding::warning(
                    Some(n),
                    format!("neither a comment nor an entry, ignored: '{line}'"),
                ));
            }
        }
        if hash_lines > 1 {
            file.findings.push(LeapFinding::warning(
                None,
                format!("{hash_lines} '#h' lines: the last one counts"),
            ));
        }
        file.computed_hash = hasher.finalize().into();
        file
    }

    /// The hash check's outcome.
    #[must_use]
    pub fn hash_status(&self) -> HashStatus {
        match &self.hash_line {
            HashLine::Missing => HashStatus::Missing,
            HashLine::Malformed { .. } => HashStatus::Malformed,
            HashLine::Present { digest, .. } if *digest == self.computed_hash => HashStatus::Ok,
            HashLine::Present { .. } => HashStatus::Mismatch,
        }
    }

    /// The entry in force at `unix` (the last one not after it).
    #[must_use]
    pub fn in_force(&self, unix: i64) -> Option<&LeapEntry> {
        self.entries.iter().rev().find(|e| e.unix() <= unix)
    }

    /// The first entry after `unix`.
    #[must_use]
    pub fn next_after(&self, unix: i64) -> Option<&LeapEntry> {
        self.entries.iter().find(|e| e.unix() > unix)
    }

    /// Whether the transition at `entry` inserts (`Some(true)`) or deletes a second: the sign
    /// of its offset change from the entry before. `None` for the first entry or one not in
    /// this file.
    #[must_use]
    pub fn inserts(&self, entry: &LeapEntry) -> Option<bool> {
        let i = self.entries.iter().position(|e| e == entry)?;
        let previous = self.entries.get(i.checked_sub(1)?)?;
        Some(entry.tai_offset > previous.tai_offset)
    }

    fn transition(&self, entry: &LeapEntry, now_unix: i64) -> LeapTransition {
        LeapTransition {
            at: iso_utc(entry.unix()),
            ntp_seconds: entry.ntp_seconds,
            tai_offset_s: entry.tai_offset,
            kind: match self.inserts(entry) {
                None => "initial",
                Some(true) => "insert",
                Some(false) => "delete",
            },
            days_from_now: days_between(now_unix as f64, entry.unix()),
        }
    }

    /// Judges the file at `now_unix` (Unix seconds, UTC).
    #[must_use]
    pub fn check(&self, now_unix: i64) -> LeapFileReport {
        let mut findings = self.findings.clone();
        let hash = self.hash_status();
        match (&self.hash_line, hash) {
            (HashLine::Missing, _) => findings.push(LeapFinding::error(
                None,
                "no '#h' hash line: the daemons log 'no hash signature' and load it unchecked",
            )),
            (HashLine::Malformed { line, text }, _) => findings.push(LeapFinding::error(
                Some(*line),
                format!(
                    "'#h' is not five hexadecimal words: '{text}' (the daemons refuse the file)"
                ),
            )),
            (HashLine::Present { line, digest }, HashStatus::Mismatch) => {
                findings.push(LeapFinding::error(
                    Some(*line),
                    format!(
                        "hash mismatch: the file states {}, its data hash to {} (the daemons refuse the file)",
                        hash_text(digest),
                        hash_text(&self.computed_hash)
                    ),
                ));
            }
            _ => {}
        }
        let days_to_expire = self
            .expires
            .map(|e| days_between(now_unix as f64, ntp_seconds_to_unix(e)));
        match (self.expires, days_to_expire) {
            (Some(e), Some(days)) if days <= 0.0 => findings.push(LeapFinding::error(
                None,
                format!(
                    "expired on {} ({:.0} days ago): the daemons load it but distrust it, and it replaces a current table",
                    iso_date(ntp_seconds_to_unix(e)),
                    (-days).floor()
                ),
            )),
            (Some(e), Some(days)) if days < EXPIRY_WARNING_DAYS => {
                findings.push(LeapFinding::warning(
                    None,
                    format!(
                        "expires on {}, in {days:.1} days",
                        iso_date(ntp_seconds_to_unix(e))
                    ),
                ));
            }
            (None, _) => findings.push(LeapFinding::error(
                None,
                "no '#@' expiry line: the daemons treat the table as expired",
            )),
            _ => {}
        }
        match (self.updated, self.expires) {
            (None, _) => findings.push(LeapFinding::warning(None, "no '#$' last-update line")),
            (Some(u), Some(e)) if u > e => findings.push(LeapFinding::warning(
                None,
                "last update is after the expiry",
            )),
            (Some(u), _) if ntp_seconds_to_unix(u) > now_unix.saturating_add(DAY_S) => {
                findings.push(LeapFinding::warning(
                    None,
                    format!(
                        "last update {} is in the future",
                        iso_date(ntp_seconds_to_unix(u))
                    ),
                ));
            }
            _ => {}
        }
        if self.entries.is_empty() {
            findings.push(LeapFinding::error(None, "no entries"));
        }
        for pair in self.entries.windows(2) {
            let [a, b] = pair else { continue };
            if b.ntp_seconds <= a.ntp_seconds {
                findings.push(LeapFinding::error(
                    Some(b.line),
                    format!(
                        "{} is not after the entry on line {} ({}): times not ascending (the daemons refuse the file)",
                        iso_utc(b.unix()),
                        a.line,
                        iso_utc(a.unix())
                    ),
                ));
            } else if b.tai_offset.abs_diff(a.tai_offset) != 1 {
                findings.push(LeapFinding::error(
                    Some(b.line),
                    format!(
                        "TAI-UTC goes from {} to {} s: a leap second changes it by exactly 1",
                        a.tai_offset, b.tai_offset
                    ),
                ));
            }
        }
        for e in &self.entries {
            if !is_month_start(e.unix()) {
                findings.push(LeapFinding::error(
                    Some(e.line),
                    format!(
                        "{} is not 00:00 UTC on the first of a month: bad transition time (the daemons refuse the file)",
                        iso_utc(e.unix())
                    ),
                ));
            }
        }
        findings.sort_by_key(|f| (std::cmp::Reverse(f.severity), f.line));
        let stated = match &self.hash_line {
            HashLine::Present { digest, .. } => Some(hash_text(digest)),
            _ => None,
        };
        LeapFileReport {
            valid: findings.iter().all(|f| f.severity != LeapSeverity::Error),
            hash,
            hash_in_file: stated,
            hash_computed: hash_text(&self.computed_hash),
            updated: self.updated.map(|u| iso_utc(ntp_seconds_to_unix(u))),
            expires: self.expires.map(|e| iso_utc(ntp_seconds_to_unix(e))),
            days_to_expire,
            entries: self.entries.len(),
            last_entry: self.entries.last().map(|e| self.transition(e, now_unix)),
            tai_offset_s: self.in_force(now_unix).map(|e| e.tai_offset),
            next_leap: self
                .next_after(now_unix)
                .map(|e| self.transition(e, now_unix)),
            findings,
        }
    }
}

/// What a generated file states; [`LeapFileSpec::render`] writes it with a correct hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeapFileSpec {
    /// Last update, NTP seconds.
    pub updated: u64,
    /// Expiry, NTP seconds.
    pub expires: u64,
    /// `(NTP seconds, TAI−UTC)` in order.
    pub entries: Vec<(u64, i32)>,
}

impl LeapFileSpec {
    /// The file text in the NIST layout: comments, `#$`, `#@`, the entries with their dates
    /// as comments, and `#h` (8-digit words).
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("#\tleap-seconds.list written by ntpkit\n#\n");
        let _ = writeln!(
            out,
            "#\tLast update: {}\n#$\t{}\n#",
            iso_date(ntp_seconds_to_unix(self.updated)),
            self.updated
        );
        let _ = writeln!(
            out,
            "#\tExpires: {}\n#@\t{}\n#",
            iso_date(ntp_seconds_to_unix(self.expires)),
            self.expires
        );
        for (ntp, offset) in &self.entries {
            let _ = writeln!(
                out,
                "{ntp}\t{offset}\t# {}",
                iso_date(ntp_seconds_to_unix(*ntp))
            );
        }
        let hash = nist_hash(self.updated, self.expires, &self.entries);
        let _ = writeln!(out, "#\n#h\t{}", hash_text(&hash));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::calendar::{unix_to_ntp_seconds, utc_midnight};
    use super::*;

    /// The data part of the IERS file shipped with Debian's tzdata 2025b, with its hash line.
    const IERS: &str = "#$\t3960835200\n#@\t3991593600\n\
        2272060800\t10\t# 1 Jan 1972\n2287785600\t11\t# 1 Jul 1972\n2303683200\t12\t# 1 Jan 1973\n\
        2335219200\t13\t# 1 Jan 1974\n2366755200\t14\t# 1 Jan 1975\n2398291200\t15\t# 1 Jan 1976\n\
        2429913600\t16\t# 1 Jan 1977\n2461449600\t17\t# 1 Jan 1978\n2492985600\t18\t# 1 Jan 1979\n\
        2524521600\t19\t# 1 Jan 1980\n2571782400\t20\t# 1 Jul 1981\n2603318400\t21\t# 1 Jul 1982\n\
        2634854400\t22\t# 1 Jul 1983\n2698012800\t23\t# 1 Jul 1985\n2776982400\t24\t# 1 Jan 1988\n\
        2840140800\t25\t# 1 Jan 1990\n2871676800\t26\t# 1 Jan 1991\n2918937600\t27\t# 1 Jul 1992\n\
        2950473600\t28\t# 1 Jul 1993\n2982009600\t29\t# 1 Jul 1994\n3029443200\t30\t# 1 Jan 1996\n\
        3076704000\t31\t# 1 Jul 1997\n3124137600\t32\t# 1 Jan 1999\n3345062400\t33\t# 1 Jan 2006\n\
        3439756800\t34\t# 1 Jan 2009\n3550089600\t35\t# 1 Jul 2012\n3644697600\t36\t# 1 Jul 2015\n\
        3692217600\t37\t# 1 Jan 2017\n#\n#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e\n";

    fn ntp(y: i64, m: u8, d: u8) -> u64 {
        unix_to_ntp_seconds(utc_midnight(y, m, d))
    }

    /// The published entries (1972–2017) and `next`.
    fn spec(next: Option<(u64, i32)>) -> LeapFileSpec {
        let mut entries: Vec<(u64, i32)> = LeapSecondsFile::parse(IERS)
            .entries
            .iter()
            .map(|e| (e.ntp_seconds, e.tai_offset))
            .collect();
        entries.extend(next);
        LeapFileSpec {
            updated: ntp(2026, 11, 1),
            expires: ntp(2027, 6, 28),
            entries,
        }
    }

    #[test]
    fn the_iers_file_hashes_as_published() {
        let file = LeapSecondsFile::parse(IERS);
        assert_eq!(file.hash_status(), HashStatus::Ok);
        assert_eq!(file.entries.len(), 28);
        let before = utc_midnight(2026, 6, 1);
        let report = file.check(before);
        assert!(report.valid, "{:?}", report.findings);
        assert_eq!(report.tai_offset_s, Some(37));
        assert_eq!(report.next_leap, None);
        assert_eq!(report.expires.as_deref(), Some("2026-06-28T00:00:00Z"));
        assert_eq!(
            report.hash_computed,
            "49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e"
        );
        // Five months later it has expired.
        let later = file.check(utc_midnight(2026, 11, 21));
        assert!(!later.valid);
        assert!(
            later.findings[0]
                .message
                .starts_with("expired on 2026-06-28 (146 days ago)")
        );
    }

    #[test]
    fn hash_words_without_leading_zeros_are_read() {
        let text = IERS.replace(
            "#h\t49db2447 571e5e1b 2f002a53 9c8da8e4 39b8e49e",
            "#h 49db2447 571e5e1b 2f002a53 9c8da8e4 0x39b8e49e",
        );
        assert_eq!(LeapSecondsFile::parse(&text).hash_status(), HashStatus::Ok);
        assert_eq!(
            parse_hash_words("1 2 3 4 5")
                .map(|d| hash_text(&d))
                .as_deref(),
            Some("00000001 00000002 00000003 00000004 00000005")
        );
        for bad in [
            "1 2 3 4",
            "1 2 3 4 5 6",
            "1 2 3 4 123456789",
            "1 2 3 4 xyz",
            "",
        ] {
            assert_eq!(parse_hash_words(bad), None, "{bad}");
        }
    }

    #[test]
    fn generated_files_round_trip_with_a_correct_hash() {
        let s = spec(Some((ntp(2027, 1, 1), 38)));
        let text = s.render();
        let file = LeapSecondsFile::parse(&text);
        assert_eq!(file.hash_status(), HashStatus::Ok, "{text}");
        assert_eq!(file.updated, Some(s.updated));
        assert_eq!(file.expires, Some(s.expires));
        let read: Vec<(u64, i32)> = file
            .entries
            .iter()
            .map(|e| (e.ntp_seconds, e.tai_offset))
            .collect();
        assert_eq!(read, s.entries);
        let report = file.check(utc_midnight(2026, 11, 21));
        assert!(report.valid, "{:?}", report.findings);
        let next = report.next_leap.unwrap();
        assert_eq!(next.at, "2027-01-01T00:00:00Z");
        assert_eq!(next.kind, "insert");
        assert_eq!(next.tai_offset_s, 38);
        assert!((next.days_from_now - 41.0).abs() < 1e-9);
        assert_eq!(report.tai_offset_s, Some(37));
    }

    #[test]
    fn a_changed_digit_breaks_the_hash() {
        let text = spec(Some((ntp(2027, 1, 1), 38)))
            .render()
            .replace("\t38\t", "\t39\t");
        let report = LeapSecondsFile::parse(&text).check(utc_midnight(2026, 11, 21));
        assert!(!report.valid);
        assert_eq!(report.hash, HashStatus::Mismatch);
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.message.starts_with("hash mismatch: the file states")),
            "{report:?}"
        );
    }

    #[test]
    fn order_dates_and_steps_are_checked() {
        let now = utc_midnight(2026, 11, 21);
        let check = |entries: Vec<(u64, i32)>| {
            let s = LeapFileSpec {
                entries,
                ..spec(None)
            };
            LeapSecondsFile::parse(&s.render()).check(now)
        };
        let backwards = check(vec![(3_692_217_600, 37), (2_272_060_800, 10)]);
        assert!(!backwards.valid);
        assert!(
            backwards
                .findings
                .iter()
                .any(|f| f.message.contains("times not ascending")),
            "{backwards:?}"
        );
        let mid_month = check(vec![(3_692_217_600, 37), (ntp(2027, 1, 15), 38)]);
        assert!(
            mid_month.findings[0]
                .message
                .contains("bad transition time")
        );
        let jump = check(vec![(3_692_217_600, 37), (ntp(2027, 1, 1), 39)]);
        assert!(jump.findings[0].message.contains("exactly 1"));
        let delete = check(vec![(3_692_217_600, 37), (ntp(2027, 1, 1), 36)]);
        assert!(delete.valid);
        assert_eq!(delete.next_leap.unwrap().kind, "delete");
        assert!(!check(Vec::new()).valid);
    }

    #[test]
    fn missing_lines_and_odd_lines_are_reported() {
        let report = LeapSecondsFile::parse("2272060800 10\n").check(0);
        assert!(!report.valid);
        let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.starts_with("no '#h'")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.starts_with("no '#@'")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.starts_with("no '#$'")),
            "{messages:?}"
        );
        let odd = LeapSecondsFile::parse("  2272060800 10\nhello\n2272060800 x\n#$ soon\n");
        let lines: Vec<(Option<usize>, LeapSeverity)> =
            odd.findings.iter().map(|f| (f.line, f.severity)).collect();
        assert_eq!(
            lines,
            [
                (Some(1), LeapSeverity::Error),
                (Some(2), LeapSeverity::Warning),
                (Some(3), LeapSeverity::Error),
                (Some(4), LeapSeverity::Error),
            ]
        );
    }

    #[test]
    fn hashing_covers_digits_before_comments_only() {
        // White space, signs and comments do not change the hash; digits do.
        let a = LeapSecondsFile::parse("#$ 1\n#@ 2\n3 4 # 5\n").computed_hash;
        let b = LeapSecondsFile::parse("#$\t1 # x9\n#@   2\n3\t+4\t#\n").computed_hash;
        let c = LeapSecondsFile::parse("#$ 1\n#@ 2\n3 45\n").computed_hash;
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, nist_hash(1, 2, &[(3, 4)]));
    }

    proptest::proptest! {
        #[test]
        fn any_text_never_panics(
            text in "([#$@h0-9 \t+-]|[0-9]{1,25}|\n|.){0,200}",
            now in -10_000_000_000_i64..10_000_000_000,
        ) {
            let _ = LeapSecondsFile::parse(&text).check(now);
        }
    }

    #[test]
    fn arbitrary_text_never_panics() {
        for text in [
            "",
            "#",
            "#h",
            "#$",
            "#@",
            "\u{0}\u{1}",
            "9999999999999999999999 1",
            "1 -",
            "1 99999999999",
        ] {
            let _ = LeapSecondsFile::parse(text).check(0);
        }
    }
}
