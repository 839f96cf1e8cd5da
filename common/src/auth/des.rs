//! xntp3 DES key forms and parity (protocol notes §9.1, §9.4).
//!
//! A DES key is 8 octets; each octet carries 7 key bits and one parity bit chosen so the octet
//! has an odd number of 1 bits. xntp3 keys files write a DES key in one of three forms:
//!
//! - `S` (standard): 16 hex digits, parity in the low-order bit of each octet;
//! - `N` (NTP): 16 hex digits, parity in the high-order bit; rotating every octet left by one
//!   bit gives the standard form;
//! - `A` (ASCII): 1 to 8 characters, each shifted left one bit, zero-padded to 8 octets, then
//!   given odd parity in bit 0 (so a padding octet becomes `01`).
//!
//! Everything here works on the standard form, which is what the DES-CBC MAC uses. Conversions
//! work in place and text results are [`Zeroizing`], so no stray copies of a key outlive the
//! caller's buffers.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt::{self, Write as _};

use zeroize::Zeroizing;

use super::KeyType;
use super::keytext::KeyTextError;

/// Octets in a DES key.
pub const DES_KEY_LEN: usize = 8;

/// Hex digits in an `S` or `N` key.
pub const DES_HEX_DIGITS: usize = 2 * DES_KEY_LEN;

/// The most characters an `A` key may have.
pub const DES_ASCII_MAX: usize = DES_KEY_LEN;

/// xntp3's built-in key 0: all key bits zero, odd parity (`01` × 8).
pub const DES_ZERO_KEY: [u8; DES_KEY_LEN] = [0x01; DES_KEY_LEN];

/// Whether every octet of a standard-form key has odd parity.
#[must_use]
pub fn has_odd_parity(key: &[u8; DES_KEY_LEN]) -> bool {
    first_even_parity_octet(key).is_none()
}

/// The index (0-based) of the first octet whose parity is even, if any.
#[must_use]
pub fn first_even_parity_octet(key: &[u8; DES_KEY_LEN]) -> Option<usize> {
    key.iter().position(|octet| octet.count_ones() % 2 == 0)
}

/// Sets or clears bit 0 of every octet so it has odd parity (xntp3 `DESauth_parity`).
///
/// Returns whether any octet changed.
pub fn set_odd_parity(key: &mut [u8; DES_KEY_LEN]) -> bool {
    let mut changed = false;
    for octet in key.iter_mut() {
        let fixed = with_odd_parity(*octet);
        changed |= fixed != *octet;
        *octet = fixed;
    }
    changed
}

/// `octet` with bit 0 chosen so the octet has odd parity.
const fn with_odd_parity(octet: u8) -> u8 {
    let data = octet & 0xfe;
    if data.count_ones().is_multiple_of(2) {
        data | 1
    } else {
        data
    }
}

/// Converts an `N`-form key (parity in the high bit) to standard form, in place.
pub fn ntp_to_standard(key: &mut [u8; DES_KEY_LEN]) {
    for octet in key.iter_mut() {
        *octet = octet.rotate_left(1);
    }
}

/// Converts a standard-form key to `N` form (parity in the high bit), in place.
pub fn standard_to_ntp(key: &mut [u8; DES_KEY_LEN]) {
    for octet in key.iter_mut() {
        *octet = octet.rotate_right(1);
    }
}

/// Builds the standard-form key for an `A` key text: 1 to 8 ASCII characters.
///
/// # Errors
///
/// [`KeyTextError::Empty`], [`KeyTextError::TooLong`] beyond 8 characters (xntp3 silently
/// ignored the rest; we refuse so the key is what it looks like), and
/// [`KeyTextError::NotAscii`] for a character outside 0x01..=0x7F, which has no 7-bit form.
pub fn ascii_to_standard(text: &str) -> Result<Zeroizing<[u8; DES_KEY_LEN]>, KeyTextError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(KeyTextError::Empty);
    }
    if bytes.len() > DES_ASCII_MAX {
        return Err(KeyTextError::TooLong {
            len: bytes.len(),
            max: DES_ASCII_MAX,
        });
    }
    let mut key = Zeroizing::new([0_u8; DES_KEY_LEN]);
    for (index, (slot, &c)) in key.iter_mut().zip(bytes).enumerate() {
        if c == 0 || !c.is_ascii() {
            return Err(KeyTextError::NotAscii {
                position: index + 1,
            });
        }
        *slot = c << 1;
    }
    set_odd_parity(&mut key);
    Ok(key)
}

/// The `A` text whose key is `key`, if there is one a keys file can carry.
///
/// The key must have odd parity, its characters (octet >> 1) must be printable ASCII other than
/// `#`, and it may only end in zero padding (`01` octets).
#[must_use]
pub fn standard_to_ascii(key: &[u8; DES_KEY_LEN]) -> Option<Zeroizing<String>> {
    if !has_odd_parity(key) {
        return None;
    }
    let mut text = Zeroizing::new(String::with_capacity(DES_ASCII_MAX));
    let mut padding = false;
    for &octet in key {
        let c = octet >> 1;
        if c == 0 {
            padding = true;
        } else if padding || !c.is_ascii_graphic() || c == b'#' {
            return None;
        } else {
            text.push(char::from(c));
        }
    }
    (!text.is_empty()).then_some(text)
}

/// Reads 16 hex digits as 8 octets, without any parity check or conversion.
///
/// # Errors
///
/// [`KeyTextError::DesLength`] unless there are exactly 16 characters, and
/// [`KeyTextError::BadHexDigit`] naming the position of a non-hex character.
pub fn parse_hex(text: &str) -> Result<Zeroizing<[u8; DES_KEY_LEN]>, KeyTextError> {
    let digits = text.as_bytes();
    if digits.len() != DES_HEX_DIGITS {
        return Err(KeyTextError::DesLength { len: digits.len() });
    }
    let mut key = Zeroizing::new([0_u8; DES_KEY_LEN]);
    for (index, (slot, pair)) in key.iter_mut().zip(digits.chunks_exact(2)).enumerate() {
        let mut octet = 0_u8;
        for (offset, &c) in pair.iter().enumerate() {
            let nibble = hex_value(c).ok_or(KeyTextError::BadHexDigit {
                position: 2 * index + offset + 1,
            })?;
            octet = (octet << 4) | nibble;
        }
        *slot = octet;
    }
    Ok(key)
}

/// The 16 lowercase hex digits of `key`.
#[must_use]
pub fn to_hex(key: &[u8; DES_KEY_LEN]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::with_capacity(DES_HEX_DIGITS));
    for octet in key {
        // Writing to a String cannot fail.
        let _ = write!(text, "{octet:02x}");
    }
    text
}

/// Reads an `S` key: 16 hex digits, standard form, odd parity required.
///
/// # Errors
///
/// As [`parse_hex`], plus [`KeyTextError::DesParity`] naming the first octet with even parity.
pub fn standard_from_s(text: &str) -> Result<Zeroizing<[u8; DES_KEY_LEN]>, KeyTextError> {
    let key = parse_hex(text)?;
    check_parity(&key)?;
    Ok(key)
}

/// Reads an `N` key: 16 hex digits, parity in the high bit, returned in standard form.
///
/// # Errors
///
/// As [`standard_from_s`]; parity is checked after the conversion.
pub fn standard_from_n(text: &str) -> Result<Zeroizing<[u8; DES_KEY_LEN]>, KeyTextError> {
    let mut key = parse_hex(text)?;
    ntp_to_standard(&mut key);
    check_parity(&key)?;
    Ok(key)
}

/// The `N` text (16 hex digits) for a standard-form key.
#[must_use]
pub fn n_text(key: &[u8; DES_KEY_LEN]) -> Zeroizing<String> {
    let mut ntp = Zeroizing::new(*key);
    standard_to_ntp(&mut ntp);
    to_hex(&ntp)
}

/// A DES key read from one keys-file form, to be written in any form: the classic
/// `keyparity` conversions (protocol notes §9.1).
#[derive(Clone)]
pub struct DesKey {
    key: Zeroizing<[u8; DES_KEY_LEN]>,
    parity_fixed: bool,
}

impl DesKey {
    /// Reads `text` in the form `kind` names (`A`, `S` or `N`). With `fix_parity`, an `S` or
    /// `N` key whose octets lack odd parity gets its parity bits set (xntp3 `DESauth_parity`)
    /// instead of being refused; an `A` key always has parity.
    ///
    /// # Errors
    ///
    /// [`KeyTextError::Unrepresentable`] for a non-DES `kind`; otherwise as
    /// [`ascii_to_standard`], [`standard_from_s`] or [`standard_from_n`].
    pub fn parse(kind: KeyType, text: &str, fix_parity: bool) -> Result<Self, KeyTextError> {
        let mut parity_fixed = false;
        let key = match kind {
            KeyType::DesAscii => ascii_to_standard(text)?,
            KeyType::DesStandard | KeyType::DesNtp => {
                let mut key = parse_hex(text)?;
                if kind == KeyType::DesNtp {
                    ntp_to_standard(&mut key);
                }
                if fix_parity {
                    parity_fixed = set_odd_parity(&mut key);
                } else {
                    check_parity(&key)?;
                }
                key
            }
            KeyType::Md5 | KeyType::Sha1 | KeyType::Sha256 | KeyType::Aes128Cmac => {
                return Err(KeyTextError::Unrepresentable);
            }
        };
        Ok(Self { key, parity_fixed })
    }

    /// The key in standard form (parity in bit 0 of each octet).
    #[must_use]
    pub fn standard(&self) -> &[u8; DES_KEY_LEN] {
        &self.key
    }

    /// Whether reading the key changed a parity bit.
    #[must_use]
    pub fn parity_fixed(&self) -> bool {
        self.parity_fixed
    }

    /// The key's text in the form `kind` names: 16 hex digits for `S` and `N`; for `A` the
    /// characters, if the key has an ASCII form a keys file can carry (else `None`). `None`
    /// for non-DES types.
    #[must_use]
    pub fn text(&self, kind: KeyType) -> Option<Zeroizing<String>> {
        match kind {
            KeyType::DesAscii => standard_to_ascii(&self.key),
            KeyType::DesStandard => Some(to_hex(&self.key)),
            KeyType::DesNtp => Some(n_text(&self.key)),
            KeyType::Md5 | KeyType::Sha1 | KeyType::Sha256 | KeyType::Aes128Cmac => None,
        }
    }
}

/// Shows whether parity was fixed, never the key.
impl fmt::Debug for DesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesKey")
            .field("parity_fixed", &self.parity_fixed)
            .finish_non_exhaustive()
    }
}

fn check_parity(key: &[u8; DES_KEY_LEN]) -> Result<(), KeyTextError> {
    match first_even_parity_octet(key) {
        Some(index) => Err(KeyTextError::DesParity { octet: index + 1 }),
        None => Ok(()),
    }
}

/// The value of one hex digit, either case.
pub(super) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex8(text: &str) -> [u8; 8] {
        *parse_hex(text).unwrap()
    }

    /// Protocol notes §9.4: the xntp3 `auth.samplekeys` entries and their standard forms.
    #[test]
    fn sample_keys_convert_to_standard_form() {
        let cases = [
            ("S", "0101010101010101", "0101010101010101"),
            ("N", "8080808080808080", "0101010101010101"),
            ("A", "ugosnod", "eacedfe6dcdfc801"),
            ("S", "f1f1f1f1f1f1f1f1", "f1f1f1f1f1f1f1f1"),
            ("N", "f8f8f8f8f8f8f8f8", "f1f1f1f1f1f1f1f1"),
            ("S", "f8f8f8f8f8f8f8f8", "f8f8f8f8f8f8f8f8"),
            ("A", "a", "c201010101010101"),
            ("S", "01020407080bf1f1", "01020407080bf1f1"),
            ("N", "4040404040404040", "8080808080808080"),
            ("A", "password", "e0c2e6e6efdfe5c8"),
        ];
        for (form, text, want) in cases {
            let key = match form {
                "S" => standard_from_s(text),
                "N" => standard_from_n(text),
                _ => ascii_to_standard(text),
            };
            let key = key.unwrap_or_else(|e| panic!("{form} {text}: {e}"));
            assert_eq!(*key, hex8(want), "{form} {text}");
            assert!(has_odd_parity(&key));
        }
    }

    #[test]
    fn key6_differs_from_key7() {
        let six = standard_from_n("f8f8f8f8f8f8f8f8").unwrap();
        let seven = standard_from_s("f8f8f8f8f8f8f8f8").unwrap();
        assert_ne!(*six, *seven);
    }

    #[test]
    fn forms_convert_back() {
        let cases = [
            ("0101010101010101", "8080808080808080", Some("")),
            ("f1f1f1f1f1f1f1f1", "f8f8f8f8f8f8f8f8", Some("xxxxxxxx")),
            ("8080808080808080", "4040404040404040", Some("@@@@@@@@")),
            ("eacedfe6dcdfc801", "7567ef736eef6480", Some("ugosnod")),
            ("c201010101010101", "6180808080808080", Some("a")),
            // A character after padding, or `#`, cannot be written as an `A` key.
            ("c2010101010101c2", "6180808080808061", None),
            ("4601010101010101", "2380808080808080", None),
        ];
        for (standard, ntp, ascii) in cases {
            let key = hex8(standard);
            assert_eq!(*n_text(&key), ntp, "{standard}");
            assert_eq!(*standard_from_n(ntp).unwrap(), key, "{standard}");
            let ascii_want = ascii.filter(|a| !a.is_empty());
            assert_eq!(
                standard_to_ascii(&key).as_deref().map(String::as_str),
                ascii_want,
                "{standard}"
            );
            if let Some(text) = ascii_want {
                assert_eq!(*ascii_to_standard(text).unwrap(), key);
            }
        }
    }

    #[test]
    fn parity_check_and_fix() {
        let cases = [
            ("0101010101010101", None, "0101010101010101"),
            ("0001010101010101", Some(0), "0101010101010101"),
            ("01010101010101ff", Some(7), "01010101010101fe"),
            ("8080808080808080", None, "8080808080808080"),
            ("f0f0f0f0f0f0f0f0", Some(0), "f1f1f1f1f1f1f1f1"),
        ];
        for (text, bad, fixed) in cases {
            let mut key = hex8(text);
            assert_eq!(first_even_parity_octet(&key), bad, "{text}");
            assert_eq!(has_odd_parity(&key), bad.is_none(), "{text}");
            let changed = set_odd_parity(&mut key);
            assert_eq!(key, hex8(fixed), "{text}");
            assert_eq!(changed, text != fixed, "{text}");
            assert!(has_odd_parity(&key));
        }
        // One bit per octet is odd parity: `S 8080…` is a valid key, equal to `N 4040…`.
        assert_eq!(
            *standard_from_s("8080808080808080").unwrap(),
            *standard_from_n("4040404040404040").unwrap()
        );
    }

    #[test]
    fn hex_forms_reject_bad_text() {
        let cases = [
            ("010101010101010", KeyTextError::DesLength { len: 15 }),
            ("01010101010101010", KeyTextError::DesLength { len: 17 }),
            ("", KeyTextError::DesLength { len: 0 }),
            (
                "0101010101g10101",
                KeyTextError::BadHexDigit { position: 11 },
            ),
            (
                "x101010101010101",
                KeyTextError::BadHexDigit { position: 1 },
            ),
            ("0001010101010101", KeyTextError::DesParity { octet: 1 }),
            ("0101010101010100", KeyTextError::DesParity { octet: 8 }),
        ];
        for (text, want) in cases {
            assert_eq!(standard_from_s(text).unwrap_err(), want, "{text}");
        }
        // N keys are checked after conversion: 0x80 → 0x01 is fine, 0x00 never is.
        assert_eq!(
            standard_from_n("8080808080808000").unwrap_err(),
            KeyTextError::DesParity { octet: 8 }
        );
        assert_eq!(
            standard_from_n("0000000000000000").unwrap_err(),
            KeyTextError::DesParity { octet: 1 }
        );
    }

    #[test]
    fn ascii_form_rejects_bad_text() {
        let cases = [
            ("", KeyTextError::Empty),
            ("123456789", KeyTextError::TooLong { len: 9, max: 8 }),
            ("ab\u{e9}", KeyTextError::NotAscii { position: 3 }),
            ("a\0", KeyTextError::NotAscii { position: 2 }),
        ];
        for (text, want) in cases {
            assert_eq!(ascii_to_standard(text).unwrap_err(), want, "{text:?}");
        }
    }

    #[test]
    fn des_keys_convert_between_forms() {
        // (form, input, fix, standard, N, A, fixed)
        let cases = [
            (
                KeyType::DesAscii,
                "ugosnod",
                false,
                "eacedfe6dcdfc801",
                "7567ef736eef6480",
                Some("ugosnod"),
                false,
            ),
            (
                KeyType::DesNtp,
                "8080808080808080",
                false,
                "0101010101010101",
                "8080808080808080",
                None,
                false,
            ),
            (
                KeyType::DesStandard,
                "f1f1f1f1f1f1f1f1",
                false,
                "f1f1f1f1f1f1f1f1",
                "f8f8f8f8f8f8f8f8",
                Some("xxxxxxxx"),
                false,
            ),
            (
                KeyType::DesStandard,
                "f0f0f0f0f0f0f0f0",
                true,
                "f1f1f1f1f1f1f1f1",
                "f8f8f8f8f8f8f8f8",
                Some("xxxxxxxx"),
                true,
            ),
            (
                KeyType::DesNtp,
                "0000000000000000",
                true,
                "0101010101010101",
                "8080808080808080",
                None,
                true,
            ),
        ];
        for (kind, input, fix, standard, ntp, ascii, fixed) in cases {
            let key = DesKey::parse(kind, input, fix).unwrap();
            assert_eq!(*key.standard(), hex8(standard), "{input}");
            assert_eq!(
                key.text(KeyType::DesStandard)
                    .as_deref()
                    .map(String::as_str),
                Some(standard)
            );
            assert_eq!(
                key.text(KeyType::DesNtp).as_deref().map(String::as_str),
                Some(ntp)
            );
            assert_eq!(
                key.text(KeyType::DesAscii).as_deref().map(String::as_str),
                ascii
            );
            assert_eq!(key.text(KeyType::Md5), None);
            assert_eq!(key.parity_fixed(), fixed, "{input}");
        }
        assert_eq!(
            DesKey::parse(KeyType::DesStandard, "f0f0f0f0f0f0f0f0", false).unwrap_err(),
            KeyTextError::DesParity { octet: 1 }
        );
        assert_eq!(
            DesKey::parse(KeyType::Md5, "abc", true).unwrap_err(),
            KeyTextError::Unrepresentable
        );
        let shown = format!(
            "{:?}",
            DesKey::parse(KeyType::DesAscii, "secret", false).unwrap()
        );
        assert!(!shown.contains("e6"), "{shown}");
    }

    #[test]
    fn zero_key_is_odd_parity_zero() {
        assert!(has_odd_parity(&DES_ZERO_KEY));
        assert_eq!(*standard_from_s("0101010101010101").unwrap(), DES_ZERO_KEY);
    }
}
