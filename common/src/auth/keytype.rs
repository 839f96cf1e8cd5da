//! Key types and their names in keys files (protocol notes §3.1, §8.2, §9.1).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The MAC algorithm a key is used with (protocol notes §3.1, §8.2, §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// MD5 over key ‖ message, 16-octet MAC (`M` or `MD5` in a keys file).
    Md5,
    /// SHA-1 over key ‖ message, 20-octet MAC.
    Sha1,
    /// SHA-256 over key ‖ message, truncated to 20 octets on the wire as ntpd 4.2.8p11+ and
    /// NTPsec do.
    Sha256,
    /// AES-128-CMAC (RFC 4493) with the key zero-padded or cut to 16 octets, 16-octet MAC.
    Aes128Cmac,
    /// xntp3 DES-CBC MAC, key given as up to 8 ASCII characters (`A`).
    DesAscii,
    /// xntp3 DES-CBC MAC, key given as 16 hex digits with parity in the low bit (`S`).
    DesStandard,
    /// xntp3 DES-CBC MAC, key given as 16 hex digits with parity in the high bit (`N`).
    DesNtp,
}

/// Digest and cipher names that ntpd or NTPsec accept through OpenSSL but ntpkit does not
/// implement. Listing them keeps `MD4` or `MDC2` from falling into the "starts with M means
/// MD5" rule, which in ntpd only applies to names OpenSSL does not know.
const UNSUPPORTED_NAMES: &[&str] = &[
    "MD2",
    "MD4",
    "MDC2",
    "MD5-SHA1",
    "RMD160",
    "RIPEMD160",
    "RIPEMD-160",
    "SHA224",
    "SHA384",
    "SHA512",
    "SHA512-224",
    "SHA512-256",
    "SHA3-224",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "SHAKE128",
    "SHAKE256",
    "SM3",
    "BLAKE2B512",
    "BLAKE2S256",
    "WHIRLPOOL",
    "AES-192",
    "AES-256",
    "AES192CMAC",
    "AES256CMAC",
];

/// The longest type name echoed back in an error; a longer token is shown cut.
const MAX_ECHOED_NAME: usize = 32;

/// Why a type token from a keys file (or a command line) names no usable key type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyTypeError {
    /// The token was empty.
    #[error("empty key type")]
    Empty,
    /// A digest or cipher name other implementations know, which ntpkit does not implement.
    #[error("unsupported key type '{0}'")]
    Unsupported(String),
    /// A name no implementation knows.
    #[error("unknown key type '{0}'")]
    Unknown(String),
}

impl KeyType {
    /// Every key type, in the order of the enum.
    pub const ALL: [Self; 7] = [
        Self::Md5,
        Self::Sha1,
        Self::Sha256,
        Self::Aes128Cmac,
        Self::DesAscii,
        Self::DesStandard,
        Self::DesNtp,
    ];

    /// Octets of MAC this key type puts after the key ID.
    #[must_use]
    pub const fn mac_len(self) -> usize {
        match self {
            Self::Md5 | Self::Aes128Cmac => 16,
            Self::Sha1 | Self::Sha256 => 20,
            Self::DesAscii | Self::DesStandard | Self::DesNtp => 8,
        }
    }

    /// Whether this is one of the legacy xntp3 DES types.
    #[must_use]
    pub const fn is_des(self) -> bool {
        matches!(self, Self::DesAscii | Self::DesStandard | Self::DesNtp)
    }

    /// The canonical keys-file name: `MD5`, `SHA1`, `SHA256`, `AES128CMAC`, `A`, `S` or `N`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Aes128Cmac => "AES128CMAC",
            Self::DesAscii => "A",
            Self::DesStandard => "S",
            Self::DesNtp => "N",
        }
    }

    /// Reads a type token as ntpd and NTPsec do (protocol notes §8.2), ignoring case.
    ///
    /// `M`, `MD5`, `SHA`, `SHA1`, `SHA256`, `AES128CMAC`, NTPsec's `AES` and `AES-128`, and the
    /// xntp3 DES letters `A`, `S`, `N` are recognised. Any other name that starts with `M` and is
    /// not a digest name other implementations know is MD5, as in ntpd.
    ///
    /// # Errors
    ///
    /// [`KeyTypeError::Empty`] for an empty token, [`KeyTypeError::Unsupported`] for digests
    /// such as `SHA384` or `RMD160` that ntpkit does not implement, and
    /// [`KeyTypeError::Unknown`] for anything else.
    pub fn from_name(text: &str) -> Result<Self, KeyTypeError> {
        if text.is_empty() {
            return Err(KeyTypeError::Empty);
        }
        let upper = text.to_ascii_uppercase();
        let kind = match upper.as_str() {
            "M" | "MD5" => Self::Md5,
            "SHA" | "SHA1" => Self::Sha1,
            "SHA256" => Self::Sha256,
            "AES128CMAC" | "AES" | "AES-128" => Self::Aes128Cmac,
            "A" => Self::DesAscii,
            "S" => Self::DesStandard,
            "N" => Self::DesNtp,
            name if UNSUPPORTED_NAMES.contains(&name) => {
                return Err(KeyTypeError::Unsupported(echo(text)));
            }
            name if name.starts_with('M') => Self::Md5,
            _ => return Err(KeyTypeError::Unknown(echo(text))),
        };
        Ok(kind)
    }

    /// Whether `text` names this type only through ntpd's "anything starting with M is MD5"
    /// fallback, i.e. it is neither a canonical name nor a documented alias.
    #[must_use]
    pub fn is_md5_fallback_name(text: &str) -> bool {
        let upper = text.to_ascii_uppercase();
        !matches!(upper.as_str(), "M" | "MD5")
            && Self::from_name(text).is_ok_and(|kind| kind == Self::Md5)
    }
}

/// A printable, bounded copy of a type token for an error message.
fn echo(text: &str) -> String {
    text.chars()
        .take(MAX_ECHOED_NAME)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyType {
    type Err = KeyTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_types() {
        let cases = [
            ("M", KeyType::Md5),
            ("m", KeyType::Md5),
            ("MD5", KeyType::Md5),
            ("md5", KeyType::Md5),
            ("Md5", KeyType::Md5),
            ("MyOwnType", KeyType::Md5),
            ("mumble", KeyType::Md5),
            ("SHA1", KeyType::Sha1),
            ("sha1", KeyType::Sha1),
            ("SHA", KeyType::Sha1),
            ("SHA256", KeyType::Sha256),
            ("sha256", KeyType::Sha256),
            ("AES128CMAC", KeyType::Aes128Cmac),
            ("aes128cmac", KeyType::Aes128Cmac),
            ("AES", KeyType::Aes128Cmac),
            ("aes", KeyType::Aes128Cmac),
            ("AES-128", KeyType::Aes128Cmac),
            ("A", KeyType::DesAscii),
            ("a", KeyType::DesAscii),
            ("S", KeyType::DesStandard),
            ("s", KeyType::DesStandard),
            ("N", KeyType::DesNtp),
            ("n", KeyType::DesNtp),
        ];
        for (text, want) in cases {
            assert_eq!(KeyType::from_name(text), Ok(want), "{text}");
            assert_eq!(text.parse::<KeyType>(), Ok(want), "{text}");
        }
    }

    #[test]
    fn unknown_and_unsupported_names_are_errors_naming_the_type() {
        let cases = [
            ("SHA384", KeyTypeError::Unsupported("SHA384".into())),
            ("sha512", KeyTypeError::Unsupported("sha512".into())),
            ("RMD160", KeyTypeError::Unsupported("RMD160".into())),
            ("MD4", KeyTypeError::Unsupported("MD4".into())),
            ("mdc2", KeyTypeError::Unsupported("mdc2".into())),
            ("SHA3-256", KeyTypeError::Unsupported("SHA3-256".into())),
            ("AES-256", KeyTypeError::Unsupported("AES-256".into())),
            ("DES", KeyTypeError::Unknown("DES".into())),
            ("X", KeyTypeError::Unknown("X".into())),
            ("SHA2", KeyTypeError::Unknown("SHA2".into())),
            ("", KeyTypeError::Empty),
        ];
        for (text, want) in cases {
            let got = KeyType::from_name(text);
            assert_eq!(got, Err(want), "{text}");
            if !text.is_empty() {
                let message = got.unwrap_err().to_string();
                assert!(message.contains(&format!("'{text}'")), "{message}");
            }
        }
    }

    #[test]
    fn echoed_names_are_bounded_and_printable() {
        let long = "Q".repeat(100);
        let Err(KeyTypeError::Unknown(shown)) = KeyType::from_name(&long) else {
            panic!("expected an unknown type");
        };
        assert_eq!(shown.len(), MAX_ECHOED_NAME);
        let Err(KeyTypeError::Unknown(shown)) = KeyType::from_name("x\u{7}y") else {
            panic!("expected an unknown type");
        };
        assert_eq!(shown, "x?y");
    }

    #[test]
    fn display_is_canonical_and_parses_back() {
        let names = ["MD5", "SHA1", "SHA256", "AES128CMAC", "A", "S", "N"];
        for (kind, name) in KeyType::ALL.into_iter().zip(names) {
            assert_eq!(kind.to_string(), name);
            assert_eq!(KeyType::from_name(name), Ok(kind));
        }
    }

    #[test]
    fn mac_lengths_follow_protocol_notes_3_2() {
        let lens = [16, 20, 20, 16, 8, 8, 8];
        for (kind, len) in KeyType::ALL.into_iter().zip(lens) {
            assert_eq!(kind.mac_len(), len, "{kind}");
        }
    }

    #[test]
    fn md5_fallback_names_are_flagged() {
        assert!(KeyType::is_md5_fallback_name("Mine"));
        assert!(!KeyType::is_md5_fallback_name("M"));
        assert!(!KeyType::is_md5_fallback_name("md5"));
        assert!(!KeyType::is_md5_fallback_name("MD4"));
        assert!(!KeyType::is_md5_fallback_name("SHA1"));
    }
}
