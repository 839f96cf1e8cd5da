//! Converting a keys file to chrony's key file format (chrony.conf(5) `keyfile`).
//!
//! chrony reads `ID TYPE KEY` lines with the key as `ASCII:text` or `HEX:digits`, and comment
//! lines whose first non-blank character is `#`. It computes the same MACs as ntpd for the
//! same secret octets (digest of key ‖ packet, truncated to 20 octets in NTPv4; AES-CMAC), so
//! a conversion only has to carry each key's secret over exactly:
//!
//! - every key is written in hex, which no character of a secret can disturb;
//! - `AES128CMAC` becomes `AES128`, whose key must be exactly 16 octets: a shorter or longer
//!   ntpd key is written zero-padded or cut to 16, the octets ntpd itself uses;
//! - per-key access lists have no chrony equivalent and are dropped (with a note), trailing
//!   comments are dropped, comment lines and blank lines are kept;
//! - legacy DES keys cannot be converted: chrony has no DES MAC.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt::Write as _;

use thiserror::Error;
use zeroize::Zeroizing;

use super::keys::{KeysFile, KeysLine};
use super::lint::{FindingSeverity, KeysFinding};
use super::{KeyId, KeyType};

/// A keys file that cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChronyError {
    /// A legacy DES key.
    #[error("line {line}: key {id}: chrony has no legacy DES keys (type '{type_name}')")]
    Des {
        /// Line of the key, counting from 1.
        line: usize,
        /// The key number.
        id: KeyId,
        /// The type as spelled in the file.
        type_name: String,
    },
}

/// A converted key file: its text (a secret, zeroized on drop) and notes on what changed.
#[derive(Debug)]
pub struct ChronyKeys {
    /// The chrony key file, one line per input line.
    pub text: Zeroizing<String>,
    /// Warnings about keys whose meaning changes in chrony (dropped access lists, AES keys
    /// resized to 16 octets), each with its line.
    pub notes: Vec<KeysFinding>,
}

/// chrony's name for a key type, if chrony has it.
#[must_use]
pub const fn chrony_type(kind: KeyType) -> Option<&'static str> {
    match kind {
        KeyType::Md5 => Some("MD5"),
        KeyType::Sha1 => Some("SHA1"),
        KeyType::Sha256 => Some("SHA256"),
        KeyType::Aes128Cmac => Some("AES128"),
        KeyType::DesAscii | KeyType::DesStandard | KeyType::DesNtp => None,
    }
}

/// Converts `file` to chrony's key file format.
///
/// # Errors
///
/// [`ChronyError::Des`] for the first legacy DES key.
pub fn to_chrony(file: &KeysFile) -> Result<ChronyKeys, ChronyError> {
    // Sized once (an upper bound), so growing never leaves unzeroized copies of keys behind.
    let capacity: usize = file
        .lines()
        .iter()
        .map(|line| match line {
            KeysLine::Blank => 1,
            KeysLine::Comment(comment) => comment.len() + 2,
            KeysLine::Entry(entry) => 32 + 2 * entry.key().secret().len().max(16),
        })
        .sum();
    let mut text = Zeroizing::new(String::with_capacity(capacity));
    let mut notes = Vec::new();
    for (index, line) in file.lines().iter().enumerate() {
        let number = index + 1;
        match line {
            KeysLine::Blank => {}
            KeysLine::Comment(comment) => {
                text.push('#');
                text.push_str(comment);
            }
            KeysLine::Entry(entry) => {
                let id = entry.id();
                let Some(name) = chrony_type(entry.kind()) else {
                    return Err(ChronyError::Des {
                        line: number,
                        id,
                        type_name: entry.type_name().to_owned(),
                    });
                };
                let secret = entry.key().secret();
                let mut note = |message: String| {
                    notes.push(KeysFinding {
                        line: number,
                        severity: FindingSeverity::Warning,
                        message,
                    });
                };
                if entry.kind() == KeyType::Aes128Cmac && secret.len() != 16 {
                    note(format!(
                        "key {id}: AES-128-CMAC key of {} octets written as the 16 octets ntpd \
                         uses (zero-padded or cut): chrony requires exactly 16",
                        secret.len()
                    ));
                }
                if !entry.acl().is_empty() {
                    note(format!(
                        "key {id}: access list dropped: chrony has no per-key address restriction"
                    ));
                }
                // Writing to a String cannot fail.
                let _ = write!(text, "{id} {name} HEX:");
                if entry.kind() == KeyType::Aes128Cmac {
                    let mut key = Zeroizing::new([0_u8; 16]);
                    for (dst, src) in key.iter_mut().zip(secret) {
                        *dst = *src;
                    }
                    push_hex(&mut text, &key[..]);
                } else {
                    push_hex(&mut text, secret);
                }
            }
        }
        text.push('\n');
    }
    Ok(ChronyKeys { text, notes })
}

fn push_hex(text: &mut String, octets: &[u8]) {
    for octet in octets {
        // Writing to a String cannot fail.
        let _ = write!(text, "{octet:02X}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_every_digest_and_cmac_key() {
        let input = "# ntpkey_MD5key_host.3700000000\n\n 1 MD5 abc#def  # MD5 key\n\
                     2 SHA1 0102030405060708090a0b0c0d0e0f1011121314\n\
                     3 SHA256 000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\n\
                     4 AES128CMAC 000102030405060708090a0b0c0d0e0f\n\
                     5 AES short 192.0.2.1\n";
        let file = KeysFile::parse("k", input).unwrap();
        let out = to_chrony(&file).unwrap();
        assert_eq!(
            *out.text,
            "# ntpkey_MD5key_host.3700000000\n\n1 MD5 HEX:616263\n\
             2 SHA1 HEX:0102030405060708090A0B0C0D0E0F1011121314\n\
             3 SHA256 HEX:000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F\n\
             4 AES128 HEX:000102030405060708090A0B0C0D0E0F\n\
             5 AES128 HEX:73686F72740000000000000000000000\n"
        );
        let notes: Vec<(usize, &str)> = out
            .notes
            .iter()
            .map(|n| (n.line, n.message.as_str()))
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(notes[0].0, 7);
        assert!(
            notes[0]
                .1
                .starts_with("key 5: AES-128-CMAC key of 5 octets")
        );
        assert!(notes[1].1.starts_with("key 5: access list dropped"));
    }

    #[test]
    fn des_keys_are_refused() {
        let file = KeysFile::parse("k", "1 MD5 abc\n2 S 0101010101010101\n").unwrap();
        assert_eq!(
            to_chrony(&file).unwrap_err().to_string(),
            "line 2: key 2: chrony has no legacy DES keys (type 'S')"
        );
    }
}
