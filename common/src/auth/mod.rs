//! Symmetric-key authentication (protocol notes §3, §8, §9): key IDs, key types, keys, MACs
//! and keys files.
//!
//! A [`Key`] holds MAC-ready secret bytes (for the legacy DES types: the 8-octet key in
//! standard parity form), zeroizes them on drop and never shows them in `Debug` output.
//! [`KeysFile`] reads, checks and writes `ntp.keys` files; [`keygen`] generates them (ntp-keygen's
//! layout) and [`chrony`] converts them to chrony's format; [`des`] holds the xntp3 DES key forms
//! and parity helpers.

mod acl;
pub mod chrony;
pub mod des;
mod entry;
mod error;
mod exposure;
pub mod keygen;
mod keys;
mod keytext;
mod keytype;
mod lint;
mod mac;
mod scan;
#[cfg(test)]
mod test_gens;

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use acl::{KeyAcl, KeyAclEntry, KeyAclError};
pub use entry::{KeyEntry, MAX_FILE_KEY_ID};
pub use error::{KeysError, KeysErrorKind};
pub use exposure::KeysExposure;
pub use keys::{KeysFile, KeysLine, MAX_KEYS_FILE_LEN, MAX_LINE_LEN};
pub use keytext::{KeyTextError, MAX_ASCII_KEY_LEN, MAX_HEX_KEY_DIGITS};
pub use keytype::{KeyType, KeyTypeError};
pub use lint::{FindingSeverity, KeysFinding};
pub use mac::{MAX_MAC_LEN, MacValue};

/// A key number from a keys file or a packet trailer (`keyid` in ntpd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct KeyId(pub u32);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A symmetric key: ID, type and secret octets.
pub struct Key {
    id: KeyId,
    kind: KeyType,
    secret: Zeroizing<Vec<u8>>,
}

impl Key {
    /// Builds a key from MAC-ready secret octets.
    #[must_use]
    pub fn new(id: KeyId, kind: KeyType, secret: Vec<u8>) -> Self {
        Self {
            id,
            kind,
            secret: Zeroizing::new(secret),
        }
    }

    /// Builds a key from the text a person types or a keys file holds (protocol notes §8.3).
    ///
    /// For digest and CMAC types a text of at most 20 octets is used verbatim and a longer one
    /// is hex (up to 128 digits; an odd last digit is the high half of a final octet), the rule
    /// ntpd 4.2.8p11+ applies both to keys files and to the ntpq/ntpdc password prompt. For the
    /// DES types the text is an `A`, `S` or `N` key (protocol notes §9.1). Unlike a keys file,
    /// a prompt may contain spaces or `#`; they are kept.
    ///
    /// # Errors
    ///
    /// A [`KeyTextError`] saying what is wrong and where, never which characters.
    pub fn from_text(id: KeyId, kind: KeyType, text: &str) -> Result<Self, KeyTextError> {
        let mut secret = keytext::decode(kind, text)?;
        Ok(Self::new(id, kind, std::mem::take(&mut *secret)))
    }

    /// The key's number.
    #[must_use]
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The key's MAC algorithm.
    #[must_use]
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// The secret octets the MAC is computed with.
    #[must_use]
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Computes the MAC of `message` (everything before the key ID on the wire).
    #[must_use]
    pub fn mac(&self, message: &[u8]) -> Vec<u8> {
        self.mac_value(message).to_vec()
    }

    /// As [`Key::mac`], without allocating: the MAC is returned inline. This is the code path
    /// every signature takes, and what `authspeed` measures.
    #[must_use]
    pub fn mac_value(&self, message: &[u8]) -> MacValue {
        mac::compute(self.kind, &self.secret, message)
    }

    /// Key ID (network order) followed by the MAC of `message`: the wire trailer.
    #[must_use]
    pub fn trailer(&self, message: &[u8]) -> Vec<u8> {
        let mac = self.mac_value(message);
        let mut out = Vec::with_capacity(4 + mac.len());
        out.extend_from_slice(&self.id.0.to_be_bytes());
        out.extend_from_slice(&mac);
        out
    }

    /// Checks `mac` against the MAC of `message` in constant time; a length mismatch fails.
    #[must_use]
    pub fn verify(&self, message: &[u8], mac: &[u8]) -> bool {
        mac::verify(self.kind, &self.secret, message, mac)
    }
}

/// Shows the ID and type only: key material never appears in debug output.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Keys are equal when ID, type and secret are; the secrets are compared in constant time.
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.kind == other.kind
            && self.secret.len() == other.secret.len()
            && bool::from(self.secret.ct_eq(&other.secret))
    }
}

impl Eq for Key {}

impl Clone for Key {
    fn clone(&self) -> Self {
        Self::new(self.id, self.kind, self.secret.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_from_typed_text_follow_the_file_rules() {
        let id = KeyId(1);
        let cases: [(KeyType, &str, &[u8]); 5] = [
            (KeyType::Md5, "password", b"password"),
            // A prompt may hold what a keys file cannot: spaces and `#`.
            (KeyType::Md5, "my # pass", b"my # pass"),
            (
                KeyType::Sha1,
                "000102030405060708090a",
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            ),
            (
                KeyType::DesAscii,
                "ugosnod",
                &[0xea, 0xce, 0xdf, 0xe6, 0xdc, 0xdf, 0xc8, 0x01],
            ),
            (KeyType::DesNtp, "8080808080808080", &[1; 8]),
        ];
        for (kind, text, secret) in cases {
            let key = Key::from_text(id, kind, text).unwrap();
            assert_eq!(key, Key::new(id, kind, secret.to_vec()), "{kind} {text}");
        }
        assert_eq!(
            Key::from_text(id, KeyType::Md5, "a passphrase of 24 chars"),
            Err(KeyTextError::BadHexDigit { position: 2 })
        );
    }

    #[test]
    fn equality_needs_id_type_and_secret() {
        let key = Key::new(KeyId(1), KeyType::Md5, b"abc".to_vec());
        assert_eq!(key, key.clone());
        assert_ne!(key, Key::new(KeyId(2), KeyType::Md5, b"abc".to_vec()));
        assert_ne!(key, Key::new(KeyId(1), KeyType::Sha1, b"abc".to_vec()));
        assert_ne!(key, Key::new(KeyId(1), KeyType::Md5, b"abd".to_vec()));
        assert_ne!(key, Key::new(KeyId(1), KeyType::Md5, b"ab".to_vec()));
    }
}
