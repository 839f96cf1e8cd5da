//! Non-fatal keys file checks for `ntp-keygen --check` (protocol notes §8).
//!
//! [`KeysFile::lint`](super::KeysFile::lint) reads every line, reporting each line's first
//! error (what makes [`KeysFile::parse`](super::KeysFile::parse) reject the file) and warnings
//! for lines that parse but will surprise someone: legacy DES types that ntpd 4.x refuses, type
//! names that only become MD5 through ntpd's fallback, hex keys whose length means different
//! keys to different ntpd versions, CMAC keys of the wrong size, lines ntpd splits, and `#`
//! glued to a key. File permissions are the caller's business.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::entry::KeyEntry;
use super::error::KeysErrorKind;
use super::keys::{KeysLine, MAX_KEYS_FILE_LEN};
use super::scan::{ScannedLine, build_line, scan_line, split_lines};
use super::{KeyId, KeyTextError, KeyType, KeyTypeError, MAX_ASCII_KEY_LEN};

/// ntpd reads lines with a 512-octet buffer: longer lines are split, the rest read as a new
/// line.
const NTPD_LINE_LIMIT: usize = 510;

/// Hex digits ntpd before 4.2.8p11 and NTPsec decode; the rest is ignored.
const OLD_HEX_DIGITS: usize = 64;

/// How bad a finding is; serialized as `warning` or `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingSeverity {
    /// The file is readable but something in it probably does not do what was meant.
    Warning,
    /// ntpkit rejects the file (and usually ntpd does too).
    Error,
}

impl fmt::Display for FindingSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// One problem found by [`KeysFile::lint`](super::KeysFile::lint). The message never contains
/// key material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeysFinding {
    /// The line, counting from 1; 0 for the whole file.
    pub line: usize,
    /// Error or warning.
    pub severity: FindingSeverity,
    /// What is wrong, one line, lowercase.
    pub message: String,
}

impl fmt::Display for KeysFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.severity, self.message),
            line => write!(f, "{line}: {}: {}", self.severity, self.message),
        }
    }
}

/// Checks every line of `bytes`.
pub(super) fn lint_bytes(bytes: &[u8]) -> Vec<KeysFinding> {
    let mut findings = Findings::default();
    if bytes.len() > MAX_KEYS_FILE_LEN {
        let kind = KeysErrorKind::FileTooLarge {
            len: bytes.len() as u64,
            max: MAX_KEYS_FILE_LEN as u64,
        };
        findings.error(0, kind.to_string());
        return findings.0;
    }
    let mut seen = BTreeMap::new();
    for (number, raw) in split_lines(bytes) {
        lint_line(number, raw, &mut seen, &mut findings);
    }
    findings.0
}

#[derive(Default)]
struct Findings(Vec<KeysFinding>);

impl Findings {
    fn push(&mut self, line: usize, severity: FindingSeverity, message: String) {
        self.0.push(KeysFinding {
            line,
            severity,
            message,
        });
    }

    fn error(&mut self, line: usize, message: String) {
        self.push(line, FindingSeverity::Error, message);
    }

    fn warning(&mut self, line: usize, message: String) {
        self.push(line, FindingSeverity::Warning, message);
    }
}

fn lint_line(
    number: usize,
    raw: &[u8],
    seen: &mut BTreeMap<KeyId, usize>,
    findings: &mut Findings,
) {
    if raw.len() > NTPD_LINE_LIMIT {
        findings.warning(
            number,
            format!(
                "line is {} octets long: ntpd reads at most {NTPD_LINE_LIMIT} and parses the rest \
                 as another line",
                raw.len()
            ),
        );
    }
    let scanned = match scan_line(raw) {
        Ok(scanned) => scanned,
        Err(kind) => return findings.error(number, kind.to_string()),
    };
    check_glued_comment(number, raw, &scanned, findings);
    match build_line(&scanned) {
        Err(kind) => findings.error(number, explain(&kind, &scanned)),
        Ok(KeysLine::Entry(entry)) => {
            if let Some(&first) = seen.get(&entry.id()) {
                let kind = KeysErrorKind::DuplicateKey {
                    id: entry.id(),
                    first_line: first,
                };
                findings.error(number, explain(&kind, &scanned));
            } else {
                seen.insert(entry.id(), number);
            }
            check_entry(number, &entry, findings);
        }
        Ok(KeysLine::Blank | KeysLine::Comment(_)) => {}
    }
}

/// The error's message, with a hint where the cause is not obvious.
fn explain(kind: &KeysErrorKind, scanned: &ScannedLine<'_>) -> String {
    let hint = match kind {
        KeysErrorKind::BadKeyId { .. } => "; ntpd reads it with atoi, taking any leading digits",
        KeysErrorKind::BadType {
            error: KeyTypeError::Unsupported(_),
            ..
        } => "; ntpd built with OpenSSL accepts it, ntpkit does not implement it",
        KeysErrorKind::BadKey {
            id,
            error: KeyTextError::BadHexDigit { .. },
        } if looks_like_passphrase(*id, scanned) => {
            "; keys longer than 20 characters are read as hex: shorten a passphrase to 20 \
             characters or write its octets in hex"
        }
        KeysErrorKind::TrailingText { .. } => {
            "; ntpd ignores it, but it usually means a key containing a space"
        }
        KeysErrorKind::DuplicateKey { .. } => {
            "; ntpd 4.2.8 keeps the first definition and NTPsec the last"
        }
        _ => "",
    };
    format!("{kind}{hint}")
}

/// Whether the failed key is a non-DES key long enough to be read as hex.
fn looks_like_passphrase(id: KeyId, scanned: &ScannedLine<'_>) -> bool {
    let (Some(type_token), Some(key_token)) = (scanned.tokens.get(1), scanned.tokens.get(2)) else {
        return false;
    };
    let is_des = KeyType::from_name(type_token.text).is_ok_and(KeyType::is_des);
    id.0 != 0 && !is_des && key_token.text.len() > MAX_ASCII_KEY_LEN
}

/// `#` right after a field ends that field: a key like `abc#def` is really `abc`.
fn check_glued_comment(
    number: usize,
    raw: &[u8],
    scanned: &ScannedLine<'_>,
    findings: &mut Findings,
) {
    let Some(comment) = scanned.comment else {
        return;
    };
    let before = comment
        .column
        .checked_sub(2)
        .and_then(|index| raw.get(index));
    if !scanned.tokens.is_empty() && before.is_some_and(|&b| b != b' ' && b != b'\t') {
        findings.warning(
            number,
            format!(
                "'#' at column {} follows a field without a space: the field ends there and the \
                 rest of the line is a comment",
                comment.column
            ),
        );
    }
}

fn check_entry(number: usize, entry: &KeyEntry, findings: &mut Findings) {
    let id = entry.id();
    let kind = entry.kind();
    let type_name = entry.type_name();
    if kind.is_des() {
        findings.warning(
            number,
            format!(
                "key {id}: legacy xntp3 DES type '{type_name}': ntpd 4.x rejects the whole file"
            ),
        );
        return;
    }
    if KeyType::is_md5_fallback_name(type_name) {
        findings.warning(
            number,
            format!(
                "key {id}: type '{type_name}' is read as MD5 only because it starts with M; \
                 write MD5"
            ),
        );
    }
    let digits = entry.key_text().len();
    if digits > MAX_ASCII_KEY_LEN {
        let octets = entry.key().secret().len();
        if digits % 2 == 1 {
            findings.warning(
                number,
                format!(
                    "key {id}: hex key has an odd number of digits ({digits}): ntpd 4.2.8p11+ \
                     uses the last digit as a high half-octet, earlier versions drop it"
                ),
            );
        }
        if digits > OLD_HEX_DIGITS {
            findings.warning(
                number,
                format!(
                    "key {id}: hex key has {digits} digits: ntpd before 4.2.8p11 and NTPsec use \
                     only the first {OLD_HEX_DIGITS}"
                ),
            );
        }
        if digits < 40 && digits != 32 {
            findings.warning(
                number,
                format!(
                    "key {id}: key text is {digits} characters, so it is read as hex \
                     ({octets} octets), not as a passphrase"
                ),
            );
        }
    }
    let len = entry.key().secret().len();
    if kind == KeyType::Aes128Cmac && len != 16 {
        findings.warning(
            number,
            format!("key {id}: AES-128-CMAC key is {len} octets: it is zero-padded or cut to 16"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::KeysFile;

    use FindingSeverity::{Error, Warning};

    /// Expected findings: line, severity and part of the message.
    type Expected = Vec<(usize, FindingSeverity, &'static str)>;

    /// `(file, expected)`: every finding, in order.
    #[test]
    fn findings_carry_lines_severities_and_reasons() {
        let long_line = format!("1 M abc # {}", "x".repeat(600));
        let cases: Vec<(String, Expected)> = vec![
            (
                "# fine\n1 MD5 abc\n2 SHA1 0123456789abcdef0123456789abcdef01234567\n".into(),
                vec![],
            ),
            (
                "1 M a\n1 M b\n0 M c\n70000 M d\n".into(),
                vec![
                    (
                        2,
                        Error,
                        "key 1 is already defined on line 1; ntpd 4.2.8 keeps the first",
                    ),
                    (3, Error, "key 0 is reserved"),
                    (4, Error, "key 70000 is reserved for autokey"),
                ],
            ),
            (
                "1 SHA384 abc\n2 Q abc\n".into(),
                vec![
                    (
                        1,
                        Error,
                        "unsupported key type 'SHA384'; ntpd built with OpenSSL accepts it",
                    ),
                    (2, Error, "unknown key type 'Q'"),
                ],
            ),
            (
                "1 MD5 correcthorsebatterystaple\n".into(),
                vec![(1, Error, "keys longer than 20 characters are read as hex")],
            ),
            (
                "1 S 0101010101010100\n2 N 8080808080808080\n3 A abc\n".into(),
                vec![
                    (1, Error, "key 1: DES key octet 8 does not have odd parity"),
                    (
                        2,
                        Warning,
                        "legacy xntp3 DES type 'N': ntpd 4.x rejects the whole file",
                    ),
                    (3, Warning, "legacy xntp3 DES type 'A'"),
                ],
            ),
            (
                "1 Mine abc\n2 m abc\n".into(),
                vec![(
                    1,
                    Warning,
                    "type 'Mine' is read as MD5 only because it starts with M",
                )],
            ),
            (
                format!("1 SHA1 {}\n2 SHA1 {}\n", "a".repeat(41), "b".repeat(66)),
                vec![
                    (1, Warning, "odd number of digits (41)"),
                    (
                        2,
                        Warning,
                        "hex key has 66 digits: ntpd before 4.2.8p11 and NTPsec use only the first 64",
                    ),
                ],
            ),
            (
                "1 MD5 0123456789abcdef01234\n2 AES 0123456789abcdef0123456789abcdef\n".into(),
                vec![
                    (1, Warning, "odd number of digits (21)"),
                    (
                        1,
                        Warning,
                        "key text is 21 characters, so it is read as hex (11 octets), not as a passphrase",
                    ),
                ],
            ),
            (
                "1 AES shortkey\n2 AES128CMAC 0123456789abcdef\n".into(),
                vec![(
                    1,
                    Warning,
                    "AES-128-CMAC key is 8 octets: it is zero-padded or cut to 16",
                )],
            ),
            (
                "1 M abc#def\n2 M abc #def\n".into(),
                vec![(
                    1,
                    Warning,
                    "'#' at column 8 follows a field without a space",
                )],
            ),
            (
                "1 M a\r\n\r\n".into(),
                vec![
                    (1, Error, "carriage return (CRLF line ending?) at column 6"),
                    (2, Error, "carriage return (CRLF line ending?) at column 1"),
                ],
            ),
            (
                "1 M secret 192.0.2.1 trailing\n".into(),
                vec![(
                    1,
                    Error,
                    "unexpected text at column 22 after the access list; ntpd ignores it",
                )],
            ),
            (
                "1x M secret\n".into(),
                vec![(1, Error, "not a decimal number; ntpd reads it with atoi")],
            ),
            (
                long_line,
                vec![(
                    1,
                    Warning,
                    "line is 610 octets long: ntpd reads at most 510",
                )],
            ),
        ];
        for (text, want) in cases {
            let got = KeysFile::lint(&text);
            assert_eq!(got.len(), want.len(), "{text:?}: {got:#?}");
            for (finding, (line, severity, part)) in got.iter().zip(want) {
                assert_eq!(
                    (finding.line, finding.severity),
                    (line, severity),
                    "{text:?}"
                );
                assert!(
                    finding.message.contains(part),
                    "{text:?}: {}",
                    finding.message
                );
            }
        }
    }

    #[test]
    fn every_line_is_checked_after_an_error() {
        let text = "1 M\n2 M ok\n3 Q x\n4 M ok\n";
        let lines: Vec<usize> = KeysFile::lint(text).iter().map(|f| f.line).collect();
        assert_eq!(lines, [1, 3]);
        assert!(KeysFile::parse("k", text).is_err());
    }

    #[test]
    fn non_utf8_and_oversized_input() {
        let findings = KeysFile::lint_bytes(b"1 M ok\n2 M \xfe\n");
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].line, findings[0].severity), (2, Error));
        assert_eq!(findings[0].message, "invalid UTF-8 at column 5");
        let big = vec![b'#'; MAX_KEYS_FILE_LEN + 1];
        let findings = KeysFile::lint_bytes(&big);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].line, 0);
    }

    #[test]
    fn findings_display_as_one_line() {
        let findings = KeysFile::lint("\n5 M\n");
        assert_eq!(findings[0].to_string(), "2: error: key 5: missing key");
        let whole = KeysFinding {
            line: 0,
            severity: Warning,
            message: "m".into(),
        };
        assert_eq!(whole.to_string(), "warning: m");
    }
}
