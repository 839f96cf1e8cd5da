//! Key text ↔ secret octets (protocol notes §8.3, §9.1).
//!
//! The rule shared by keys files and password prompts (ntpd 4.2.8p11+ `authdecodepw`): a text
//! of at most 20 octets is used verbatim; a longer one is hex, at most 128 digits (64 octets),
//! and an odd final digit becomes the high half of one more octet. The legacy DES types have
//! their own forms (see [`super::des`]).
//!
//! Errors name positions, never characters, so no part of a secret reaches a log.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt::Write as _;

use thiserror::Error;
use zeroize::Zeroizing;

use super::KeyType;
use super::des;

/// The longest key text used verbatim; anything longer is read as hex.
pub const MAX_ASCII_KEY_LEN: usize = 20;

/// The most hex digits a key may have (64 octets, ntpd's `AUTHPWD_MAXSECLEN`).
pub const MAX_HEX_KEY_DIGITS: usize = 128;

/// Why a key text (or secret) cannot become a key.
///
/// Positions are 1-based character positions within the key text; no variant carries any
/// character of the key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyTextError {
    /// The key text is empty.
    #[error("empty key")]
    Empty,
    /// The key text is longer than its form allows.
    #[error("key is {len} characters long (limit {max})")]
    TooLong {
        /// Characters found.
        len: usize,
        /// The limit for this form.
        max: usize,
    },
    /// A character that is not a hex digit where hex is required.
    #[error("invalid hex digit at position {position} of the key")]
    BadHexDigit {
        /// Position of the character.
        position: usize,
    },
    /// An `S` or `N` DES key that is not exactly 16 characters.
    #[error("DES key must be 16 hex digits, found {len}")]
    DesLength {
        /// Characters found.
        len: usize,
    },
    /// A DES key octet (1-based) whose parity is even.
    #[error("DES key octet {octet} does not have odd parity")]
    DesParity {
        /// The first octet at fault.
        octet: usize,
    },
    /// A character outside 7-bit ASCII where only ASCII can be used.
    #[error("non-ASCII character at position {position} of the key")]
    NotAscii {
        /// Position of the character.
        position: usize,
    },
    /// A character the keys-file tokenizer cannot carry (space, tab, `#`, control or
    /// non-ASCII characters).
    #[error("character at position {position} of the key cannot be written in a keys file")]
    NotCarryable {
        /// Position of the character.
        position: usize,
    },
    /// A DES secret that is not 8 octets.
    #[error("DES secret must be 8 octets, found {len}")]
    DesSecretLength {
        /// Octets found.
        len: usize,
    },
    /// Secret octets that have no keys-file text for this key type.
    #[error("secret cannot be written as keys-file text for this key type")]
    Unrepresentable,
}

/// Decodes key text into MAC-ready secret octets for `kind`.
///
/// Digest and CMAC types use the ≤ 20 / > 20 rule; DES types their `A`, `S` or `N` form.
pub(super) fn decode(kind: KeyType, text: &str) -> Result<Zeroizing<Vec<u8>>, KeyTextError> {
    let des_key = match kind {
        KeyType::Md5 | KeyType::Sha1 | KeyType::Sha256 | KeyType::Aes128Cmac => {
            return decode_password(text);
        }
        KeyType::DesAscii => des::ascii_to_standard(text)?,
        KeyType::DesStandard => des::standard_from_s(text)?,
        KeyType::DesNtp => des::standard_from_n(text)?,
    };
    let mut secret = Zeroizing::new(Vec::with_capacity(des::DES_KEY_LEN));
    secret.extend_from_slice(des_key.as_slice());
    Ok(secret)
}

/// The ≤ 20 verbatim / > 20 hex rule of ntpd 4.2.8p11+.
fn decode_password(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyTextError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(KeyTextError::Empty);
    }
    if bytes.len() <= MAX_ASCII_KEY_LEN {
        let mut secret = Zeroizing::new(Vec::with_capacity(bytes.len()));
        secret.extend_from_slice(bytes);
        return Ok(secret);
    }
    decode_hex(bytes)
}

/// Hex digits to octets; an odd final digit becomes the high half of a last octet.
fn decode_hex(digits: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyTextError> {
    if digits.len() > MAX_HEX_KEY_DIGITS {
        return Err(KeyTextError::TooLong {
            len: digits.len(),
            max: MAX_HEX_KEY_DIGITS,
        });
    }
    // Exact capacity: the vector never reallocates, so no unzeroized copy is left behind.
    let mut secret = Zeroizing::new(Vec::with_capacity(digits.len().div_ceil(2)));
    for (index, pair) in digits.chunks(2).enumerate() {
        let mut octet = 0_u8;
        for (offset, &c) in pair.iter().enumerate() {
            let nibble = des::hex_value(c).ok_or(KeyTextError::BadHexDigit {
                position: 2 * index + offset + 1,
            })?;
            octet |= nibble << if offset == 0 { 4 } else { 0 };
        }
        secret.push(octet);
    }
    Ok(secret)
}

/// Whether a keys-file tokenizer carries `c` inside a key token: printable ASCII except `#`.
pub(super) const fn is_carryable(c: u8) -> bool {
    c.is_ascii_graphic() && c != b'#'
}

/// Checks that every character of `text` survives the keys-file tokenizer.
pub(super) fn check_carryable(text: &str) -> Result<(), KeyTextError> {
    match text.bytes().position(|c| !is_carryable(c)) {
        Some(index) => Err(KeyTextError::NotCarryable {
            position: index + 1,
        }),
        None => Ok(()),
    }
}

/// Keys-file text for `secret` (MAC-ready octets) under `kind`, read back to the same octets.
///
/// Digest and CMAC secrets of at most 20 carryable octets are written verbatim, others as
/// lowercase hex (which needs at least 11 octets to be read as hex, and at most 64). DES secrets
/// (standard form, odd parity) are written in the form `kind` names.
pub(super) fn encode(kind: KeyType, secret: &[u8]) -> Result<Zeroizing<String>, KeyTextError> {
    match kind {
        KeyType::Md5 | KeyType::Sha1 | KeyType::Sha256 | KeyType::Aes128Cmac => {
            encode_password(secret)
        }
        KeyType::DesAscii | KeyType::DesStandard | KeyType::DesNtp => {
            let key: &[u8; des::DES_KEY_LEN] = secret
                .try_into()
                .map_err(|_| KeyTextError::DesSecretLength { len: secret.len() })?;
            if let Some(index) = des::first_even_parity_octet(key) {
                return Err(KeyTextError::DesParity { octet: index + 1 });
            }
            match kind {
                KeyType::DesAscii => {
                    des::standard_to_ascii(key).ok_or(KeyTextError::Unrepresentable)
                }
                KeyType::DesNtp => Ok(des::n_text(key)),
                _ => Ok(des::to_hex(key)),
            }
        }
    }
}

fn encode_password(secret: &[u8]) -> Result<Zeroizing<String>, KeyTextError> {
    if secret.is_empty() {
        return Err(KeyTextError::Empty);
    }
    if secret.len() <= MAX_ASCII_KEY_LEN && secret.iter().all(|&c| is_carryable(c)) {
        let mut text = Zeroizing::new(String::with_capacity(secret.len()));
        text.extend(secret.iter().map(|&c| char::from(c)));
        return Ok(text);
    }
    let digits = 2 * secret.len();
    if digits <= MAX_ASCII_KEY_LEN || digits > MAX_HEX_KEY_DIGITS {
        return Err(KeyTextError::Unrepresentable);
    }
    let mut text = Zeroizing::new(String::with_capacity(digits));
    for octet in secret {
        // Writing to a String cannot fail.
        let _ = write!(text, "{octet:02x}");
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn ascii_hex_boundary_and_odd_digits() {
        let twenty = "abcdefghij0123456789";
        let hex21 = "0123456789abcdef01234";
        let hex128 = "ab".repeat(64);
        let cases: [(&str, Vec<u8>); 8] = [
            ("a", b"a".to_vec()),
            ("password", b"password".to_vec()),
            (twenty, twenty.as_bytes().to_vec()),
            // 20 hex digits are still ASCII.
            ("0123456789abcdef0123", b"0123456789abcdef0123".to_vec()),
            // 21 digits: hex, the odd last digit is a high nibble (p11+).
            (hex21, unhex("0123456789abcdef012340")),
            ("0123456789ABCDEF012345", unhex("0123456789abcdef012345")),
            (
                "d717e22e1659305fad6ef08864923db64aba9c08",
                unhex("d717e22e1659305fad6ef08864923db64aba9c08"),
            ),
            (&hex128, vec![0xab; 64]),
        ];
        for (text, want) in cases {
            for kind in [KeyType::Md5, KeyType::Sha1, KeyType::Aes128Cmac] {
                assert_eq!(*decode(kind, text).unwrap(), want, "{kind} {text}");
            }
        }
    }

    #[test]
    fn bad_password_texts() {
        let hex129 = "a".repeat(129);
        let cases = [
            ("", KeyTextError::Empty),
            (
                hex129.as_str(),
                KeyTextError::TooLong { len: 129, max: 128 },
            ),
            // A 21-character passphrase is read as hex and fails at its first non-hex digit.
            (
                "correcthorsebatterysta",
                KeyTextError::BadHexDigit { position: 2 },
            ),
            (
                "0123456789abcdef0123g",
                KeyTextError::BadHexDigit { position: 21 },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(decode(KeyType::Md5, text).unwrap_err(), want, "{text}");
        }
    }

    #[test]
    fn prompt_texts_keep_any_octets() {
        // Password prompts use the same rule but are not limited to keys-file characters.
        assert_eq!(*decode(KeyType::Md5, "two words").unwrap(), b"two words");
        assert_eq!(*decode(KeyType::Md5, "a#b").unwrap(), b"a#b");
    }

    #[test]
    fn des_texts_use_des_forms() {
        let cases = [
            (KeyType::DesAscii, "ugosnod", "eacedfe6dcdfc801"),
            (KeyType::DesStandard, "0101010101010101", "0101010101010101"),
            (KeyType::DesNtp, "8080808080808080", "0101010101010101"),
        ];
        for (kind, text, want) in cases {
            assert_eq!(*decode(kind, text).unwrap(), unhex(want), "{kind} {text}");
        }
        assert_eq!(
            decode(KeyType::DesStandard, "0123456789abcdef0123").unwrap_err(),
            KeyTextError::DesLength { len: 20 }
        );
    }

    #[test]
    fn encode_picks_a_form_that_reads_back() {
        let cases: [(KeyType, Vec<u8>, &str); 8] = [
            (KeyType::Md5, b"password".to_vec(), "password"),
            (
                KeyType::Md5,
                b"12345678901234567890".to_vec(),
                "12345678901234567890",
            ),
            (KeyType::Sha1, vec![0xab; 20], &"ab".repeat(20)),
            (
                KeyType::Md5,
                b"with space and more".to_vec(),
                "7769746820737061636520616e64206d6f7265",
            ),
            (KeyType::Aes128Cmac, vec![0; 11], "0000000000000000000000"),
            (
                KeyType::DesStandard,
                unhex("eacedfe6dcdfc801"),
                "eacedfe6dcdfc801",
            ),
            (
                KeyType::DesNtp,
                unhex("0101010101010101"),
                "8080808080808080",
            ),
            (KeyType::DesAscii, unhex("eacedfe6dcdfc801"), "ugosnod"),
        ];
        for (kind, secret, want) in cases {
            let text = encode(kind, &secret).unwrap();
            assert_eq!(*text, want, "{kind}");
            assert_eq!(*decode(kind, &text).unwrap(), secret, "{kind}");
        }
    }

    #[test]
    fn encode_refuses_what_cannot_be_written() {
        let cases: [(KeyType, Vec<u8>, KeyTextError); 6] = [
            (KeyType::Md5, vec![], KeyTextError::Empty),
            // 10 binary octets would be 20 hex digits, which read back as ASCII.
            (KeyType::Md5, vec![0; 10], KeyTextError::Unrepresentable),
            (KeyType::Md5, vec![1; 65], KeyTextError::Unrepresentable),
            (
                KeyType::DesStandard,
                vec![1; 7],
                KeyTextError::DesSecretLength { len: 7 },
            ),
            (
                KeyType::DesNtp,
                vec![0; 8],
                KeyTextError::DesParity { octet: 1 },
            ),
            (
                KeyType::DesAscii,
                unhex("4601010101010101"),
                KeyTextError::Unrepresentable,
            ),
        ];
        for (kind, secret, want) in cases {
            assert_eq!(
                encode(kind, &secret).unwrap_err(),
                want,
                "{kind} {secret:?}"
            );
        }
    }

    #[test]
    fn carryable_characters() {
        assert!(check_carryable("abc!~").is_ok());
        let cases = [
            ("a b", 2),
            ("a\tb", 2),
            ("ab#", 3),
            ("\u{e9}", 1),
            ("ab\r", 3),
        ];
        for (text, position) in cases {
            assert_eq!(
                check_carryable(text),
                Err(KeyTextError::NotCarryable { position }),
                "{text:?}"
            );
        }
    }
}
