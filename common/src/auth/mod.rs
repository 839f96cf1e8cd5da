//! Symmetric-key authentication (protocol notes §3, §8, §9): key IDs, key types, keys and MACs.
//!
//! A [`Key`] holds MAC-ready secret bytes (for the legacy DES types: the 8-octet key in
//! standard parity form), zeroizes them on drop and never shows them in `Debug` output.

mod mac;

use std::fmt;

use zeroize::Zeroizing;

pub use mac::MAX_MAC_LEN;

/// A key number from a keys file or a packet trailer (`keyid` in ntpd).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct KeyId(pub u32);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

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

impl KeyType {
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
        mac::compute(self.kind, &self.secret, message)
    }

    /// Key ID (network order) followed by the MAC of `message`: the wire trailer.
    #[must_use]
    pub fn trailer(&self, message: &[u8]) -> Vec<u8> {
        let mut out = self.id.0.to_be_bytes().to_vec();
        out.extend(self.mac(message));
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

impl Clone for Key {
    fn clone(&self) -> Self {
        Self::new(self.id, self.kind, self.secret.to_vec())
    }
}
