//! Normalising tool output so ours can be compared with the reference tools' output taken moments
//! apart: values that change from second to second (when, offset, delay, jitter, dispersion, timestamps,
//! counters) become `~`, and layout whitespace is collapsed.
//!
//! Three shapes are recognised, line by line:
//! - **tables** (`ntpq -p`, `ntpdc -c peers`, `ntpq -c mrulist`): a header line followed by a `===` rule;
//!   the rows' fields are masked by the header's column name (fields counted from the left), and each
//!   row is printed with single spaces. A remote name on a line of its own is joined to its row.
//! - **`name=value` lists** (`ntpq -c rv`): one `name=value` per output line, whatever the wrapping was
//!   (wrapping depends on value widths, which are volatile too).
//! - **`label: value` lines** (`ntpdc -c sysinfo`): `label: value` with the value masked by label.
//!
//! Anything else keeps its words, with NTP timestamps (`e8a1b2c3.d4e5f6a7`) masked.

use std::collections::BTreeSet;

/// Column names, variable names and labels masked by default (compared case-insensitively).
pub const DEFAULT_VOLATILE: &[&str] = &[
    // ntpq -p / ntpdc -c peers / ntpq -c mrulist / ntpq -c associations columns
    "when",
    "poll",
    "reach",
    "delay",
    "offset",
    "jitter",
    "disp",
    "lstint",
    "avgint",
    "count",
    "rport",
    "cnt",
    "last_event",
    // ntpq rv (system and peer) variables
    "status",
    "rootdelay",
    "rootdisp",
    "reftime",
    "clock",
    "frequency",
    "sys_jitter",
    "clk_jitter",
    "clk_wander",
    "tc",
    "peer",
    "rec",
    "xmt",
    "org",
    "dst",
    "unreach",
    "hpoll",
    "ppoll",
    "headway",
    "flash",
    "dispersion",
    "filtdelay",
    "filtoffset",
    "filtdisp",
    "timer",
    "uptime",
    "ss_uptime",
    "ss_reset",
    "ss_received",
    "ss_thisver",
    "ss_oldver",
    "ss_badformat",
    "ss_badauth",
    "ss_declined",
    "ss_restricted",
    "ss_limited",
    "ss_kodsent",
    "ss_processed",
    "authdelay",
    "ntpversion",
    // ntpdc / ntpq label lines
    "root distance",
    "root dispersion",
    "reference time",
    "stability",
    "time since restart",
    "time since reset",
    "uptime",
    "sysstats reset",
    "packets received",
    "packets processed",
    "current version",
    "older version",
    "previous version",
    "bad length or format",
    "authentication failed",
    "declined",
    "restricted",
    "rate limited",
    "kod responses",
    "bad authentication",
    "access denied",
    "rate exceeded",
    "processed for time",
    "offset",
    "delay",
    "dispersion",
    "jitter",
    "originate timestamp",
    "receive timestamp",
    "transmit timestamp",
    "filter delay",
    "filter offset",
    "filter order",
    "reach",
    "hpoll",
    "ppoll",
    "valid",
    "timer",
];

/// What replaces a volatile value.
pub const MASK: &str = "~";

/// A configurable normaliser; [`normalize`] uses the defaults.
#[derive(Clone, Debug)]
pub struct Normalizer {
    volatile: BTreeSet<String>,
}

impl Default for Normalizer {
    fn default() -> Self {
        Self {
            volatile: DEFAULT_VOLATILE
                .iter()
                .map(|n| n.to_ascii_lowercase())
                .collect(),
        }
    }
}

/// Normalises with the default volatile set.
pub fn normalize(text: &str) -> String {
    Normalizer::default().normalize(text)
}

impl Normalizer {
    /// Also masks this column, variable or label.
    #[must_use]
    pub fn volatile(mut self, name: &str) -> Self {
        self.volatile.insert(name.to_ascii_lowercase());
        self
    }

    /// Keeps this column, variable or label as it is.
    #[must_use]
    pub fn stable(mut self, name: &str) -> Self {
        self.volatile.remove(&name.to_ascii_lowercase());
        self
    }

    /// Whether a name is masked.
    pub fn is_volatile(&self, name: &str) -> bool {
        self.volatile.contains(&name.trim().to_ascii_lowercase())
    }

    /// The normalised text, one line per output line.
    pub fn normalize(&self, text: &str) -> String {
        let lines: Vec<&str> = text.lines().collect();
        let mut out: Vec<String> = Vec::new();
        let mut columns: Option<Vec<String>> = None;
        let mut i = 0;
        while let Some(&line) = lines.get(i) {
            i += 1;
            let trimmed = line.trim();
            if trimmed.is_empty() {
                columns = None;
                out.push(String::new());
                continue;
            }
            if trimmed.len() >= 10 && trimmed.bytes().all(|b| b == b'=') {
                // The previous line was a table header.
                columns = i
                    .checked_sub(2)
                    .and_then(|h| lines.get(h))
                    .map(|h| words(h).map(str::to_owned).collect());
                out.push("=".to_owned());
                continue;
            }
            if let Some(cols) = &columns {
                let mut fields: Vec<&str> = words(line).collect();
                // A long remote name alone on its line continues on the next one.
                if fields.len() == 1
                    && cols.len() > 1
                    && let Some(next) = lines.get(i)
                {
                    fields.extend(words(next));
                    i += 1;
                }
                let row: Vec<&str> = fields
                    .iter()
                    .enumerate()
                    .map(|(k, f)| {
                        if cols.get(k).is_some_and(|c| self.is_volatile(c)) {
                            MASK
                        } else {
                            f
                        }
                    })
                    .collect();
                out.push(row.join(" "));
                continue;
            }
            if is_var_start(trimmed) {
                for (name, value) in split_vars(trimmed) {
                    let value = if self.is_volatile(name) {
                        MASK.to_owned()
                    } else {
                        value.to_owned()
                    };
                    out.push(format!("{name}={value}"));
                }
                continue;
            }
            if let Some((label, value)) = split_label(trimmed) {
                let value = if self.is_volatile(label) {
                    MASK.to_owned()
                } else {
                    plain(value)
                };
                out.push(format!("{label}: {value}"));
                continue;
            }
            out.push(plain(trimmed));
        }
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        out.join("\n")
    }
}

fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split_whitespace()
}

/// Words joined by single spaces, NTP timestamps masked.
fn plain(text: &str) -> String {
    words(text)
        .map(|w| {
            if is_timestamp(w.trim_end_matches(',')) {
                MASK
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `e8a1b2c3.d4e5f6a7`: an NTP timestamp in hex.
fn is_timestamp(w: &str) -> bool {
    w.split_once('.').is_some_and(|(a, b)| {
        a.len() == 8 && b.len() == 8 && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_hexdigit())
    })
}

/// Length of a variable name at the start of `s` if it is followed by `=`.
fn var_name_len(s: &str) -> Option<usize> {
    let first = s.bytes().next()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']' | b'-'))
        .count();
    (s.as_bytes().get(len) == Some(&b'=')).then_some(len)
}

fn is_var_start(line: &str) -> bool {
    var_name_len(line).is_some()
}

/// Splits `a=1, b="x, y", c=2 extra` into pairs. A new pair starts after a comma or whitespace outside
/// quotes, where a `name=` follows.
fn split_vars(line: &str) -> Vec<(&str, &str)> {
    let mut starts = Vec::new();
    let mut in_quotes = false;
    let bytes = line.as_bytes();
    for (k, &b) in bytes.iter().enumerate() {
        if b == b'"' {
            in_quotes = !in_quotes;
        }
        let at_boundary =
            k == 0 || (!in_quotes && matches!(bytes.get(k - 1), Some(b' ' | b',' | b'\t')));
        if at_boundary && let Some(n) = line.get(k..).and_then(var_name_len) {
            starts.push((k, n));
        }
    }
    let mut pairs = Vec::new();
    for (idx, &(k, n)) in starts.iter().enumerate() {
        let end = starts.get(idx + 1).map_or(line.len(), |&(next, _)| next);
        let name = line.get(k..k + n).unwrap_or_default();
        let value = line
            .get(k + n + 1..end)
            .unwrap_or_default()
            .trim()
            .trim_end_matches(',')
            .trim_end();
        pairs.push((name, value));
    }
    pairs
}

/// `label:   value` with a label of words (letters, digits, spaces and a little punctuation).
fn split_label(line: &str) -> Option<(&str, &str)> {
    let colon = line.find(':')?;
    let (label, rest) = (line.get(..colon)?, line.get(colon + 1..)?);
    let ok_label = label
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && label.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'_' | b'-' | b'/' | b'(' | b')' | b'.')
        });
    let ok_rest = rest.is_empty() || rest.starts_with([' ', '\t']);
    (ok_label && ok_rest).then(|| (label.trim_end(), rest.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_tables_keep_identity_and_mask_measurements() {
        let a = "     remote           refid      st t when poll reach   delay   offset  jitter\n\
                 ==============================================================================\n\
                 *10.77.0.2       10.77.0.1        2 u    5    8  377    0.123   -0.012   0.021\n";
        let b = "     remote                                   refid      st t when poll reach   delay   offset   jitter\n\
                 =======================================================================================================\n\
                 *10.77.0.2                                10.77.0.1        2 u    1   16   17   0.2001  +0.0100   0.0300\n";
        let want = "remote refid st t when poll reach delay offset jitter\n=\n*10.77.0.2 10.77.0.1 2 u ~ ~ ~ ~ ~ ~";
        assert_eq!(normalize(a), want);
        assert_eq!(normalize(b), want);
        let stable_poll = Normalizer::default().stable("poll").normalize(a);
        assert!(stable_poll.ends_with("2 u ~ 8 ~ ~ ~ ~"), "{stable_poll}");
    }

    #[test]
    fn ntpdc_peers_and_wrapped_remote_names() {
        let t = "     remote           local      st poll reach  delay   offset    disp\n\
                 =======================================================================\n\
                 *fd77:0:0:0:0:0:0:2222\n\
                 \x20                fd77::3          2    8  377 0.00012 -0.000012 0.00095\n";
        assert_eq!(
            normalize(t),
            "remote local st poll reach delay offset disp\n=\n*fd77:0:0:0:0:0:0:2222 fd77::3 2 ~ ~ ~ ~ ~"
        );
    }

    #[test]
    fn variable_lists_ignore_wrapping_and_mask_values() {
        let a = "associd=0 status=0615 leap_none, sync_ntp, 1 event, clock_sync,\n\
                 version=\"ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)\",\n\
                 stratum=3, precision=-24, rootdelay=0.301, refid=10.77.0.2,\n\
                 reftime=e8a1b2c3.d4e5f6a7  Fri, Nov 21 2025  5:54:12.123,\n\
                 offset=-0.012, frequency=0.000\n";
        let b = "associd=0 status=0618 leap_none, sync_ntp, 1 event, no_sys_peer,\n\
                 version=\"ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)\", stratum=3,\n\
                 precision=-24, rootdelay=0.412, refid=10.77.0.2, reftime=e8a1b2d0.00000000  Fri, Nov 21 2025  5:54:25.000,\n\
                 offset=0.301,\n\
                 frequency=0.000\n";
        assert_eq!(normalize(a), normalize(b));
        let n = normalize(a);
        assert!(n.contains("\nstratum=3\n"), "{n}");
        assert!(
            n.contains("version=\"ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)\"\n"),
            "{n}"
        );
        assert!(n.contains("\nreftime=~\n"), "{n}");
        assert!(n.starts_with("associd=0\nstatus=~\n"), "{n}");
    }

    #[test]
    fn label_lines_and_plain_text() {
        let t = "system peer:          10.77.0.2\n\
                 stratum:              3\n\
                 root dispersion:      0.94168 s\n\
                 reference time:       e8a1b2c3.d4e5f6a7  Fri, Nov 21 2025  5:54:12.123\n\
                 something at e8a1b2c3.d4e5f6a7 happened\n";
        assert_eq!(
            normalize(t),
            "system peer: 10.77.0.2\nstratum: 3\nroot dispersion: ~\nreference time: ~\nsomething at ~ happened"
        );
    }
}
