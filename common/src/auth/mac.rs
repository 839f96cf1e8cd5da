//! MAC computation for every key type (protocol notes §3.1, §9.2).
//!
//! Every MAC is computed into a [`MacValue`] on the stack: signing and verifying a packet
//! allocate nothing, so the cost `authspeed` measures is the cost the tools pay.

use std::fmt;
use std::ops::Deref;

use aes::Aes128;
use cmac::{Cmac, KeyInit, Mac};
use des::Des;
use des::cipher::{Array, BlockCipherEncrypt};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::KeyType;

/// The longest MAC any key type produces (SHA digests truncated to 20 octets).
pub const MAX_MAC_LEN: usize = 20;

/// A computed MAC: up to [`MAX_MAC_LEN`] octets, held inline (no allocation).
///
/// Dereferences to the MAC octets. A MAC is sent in the clear, so it is not zeroized; its
/// `Debug` output is hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacValue {
    bytes: [u8; MAX_MAC_LEN],
    len: usize,
}

impl MacValue {
    /// The first `MAX_MAC_LEN` octets of `digest` (all of a shorter one).
    fn truncated(digest: &[u8]) -> Self {
        let mut bytes = [0_u8; MAX_MAC_LEN];
        let len = digest.len().min(MAX_MAC_LEN);
        for (dst, src) in bytes.iter_mut().zip(digest) {
            *dst = *src;
        }
        Self { bytes, len }
    }

    /// The MAC octets.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }
}

impl Deref for MacValue {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for MacValue {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for MacValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MacValue(")?;
        for octet in self.as_slice() {
            write!(f, "{octet:02x}")?;
        }
        f.write_str(")")
    }
}

/// MAC of `message` under `secret` for a key of type `kind`.
pub(super) fn compute(kind: KeyType, secret: &[u8], message: &[u8]) -> MacValue {
    match kind {
        KeyType::Md5 => digest::<Md5>(secret, message),
        KeyType::Sha1 => digest::<Sha1>(secret, message),
        // Truncated to 20 octets on the wire, as ntpd 4.2.8p11+ and NTPsec do.
        KeyType::Sha256 => digest::<Sha256>(secret, message),
        KeyType::Aes128Cmac => cmac_aes128(secret, message),
        KeyType::DesAscii | KeyType::DesStandard | KeyType::DesNtp => des_cbc_mac(secret, message),
    }
}

/// Constant-time comparison of `mac` with the MAC of `message`.
pub(super) fn verify(kind: KeyType, secret: &[u8], message: &[u8], mac: &[u8]) -> bool {
    let want = compute(kind, secret, message);
    want.len() == mac.len() && bool::from(want.as_slice().ct_eq(mac))
}

/// Digest(key ‖ message), the classic NTP "keyed digest".
fn digest<D: Digest>(secret: &[u8], message: &[u8]) -> MacValue {
    let mut hasher = D::new();
    hasher.update(secret);
    hasher.update(message);
    MacValue::truncated(&hasher.finalize())
}

/// AES-128-CMAC with the key zero-padded or cut to 16 octets, as ntpd 4.2.8p11+ does.
fn cmac_aes128(secret: &[u8], message: &[u8]) -> MacValue {
    let mut key = [0_u8; 16];
    for (dst, src) in key.iter_mut().zip(secret) {
        *dst = *src;
    }
    let mut mac = <Cmac<Aes128> as KeyInit>::new(&key.into());
    mac.update(message);
    MacValue::truncated(&mac.finalize().into_bytes())
}

/// xntp3's DES-CBC MAC: zero IV, message zero-padded to 8 octets, MAC = last cipher block.
fn des_cbc_mac(secret: &[u8], message: &[u8]) -> MacValue {
    let mut key = [0_u8; 8];
    for (dst, src) in key.iter_mut().zip(secret) {
        *dst = *src;
    }
    let cipher = Des::new(&key.into());
    let mut chain = [0_u8; 8];
    for chunk in message.chunks(8) {
        for (c, m) in chain.iter_mut().zip(chunk) {
            *c ^= m;
        }
        let mut block = Array::from(chain);
        cipher.encrypt_block(&mut block);
        chain = block.into();
    }
    MacValue::truncated(&chain)
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

    /// The authspeed packet P of protocol notes §10.1: words `i * 0x22222`, big-endian.
    fn authspeed_packet() -> Vec<u8> {
        (0..12_u32)
            .flat_map(|i| (i * 0x22222).to_be_bytes())
            .collect()
    }

    #[test]
    fn protocol_notes_vectors() {
        let msg = b"ijklmnopqrstuvwx";
        let cases: [(KeyType, &[u8], &[u8], &str); 7] = [
            (
                KeyType::Md5,
                b"abcdefgh",
                msg,
                "0c0e84cf0bb7a8688e5238dbbc1c3953",
            ),
            (
                KeyType::Aes128Cmac,
                b"0123456789abcdef",
                msg,
                "b0a1cfd27f690c43a75d6c55914b1514",
            ),
            (
                KeyType::Sha1,
                b"abcdefgh",
                msg,
                "d717e22e1659305fad6ef08864923db64aba9c08",
            ),
            (
                KeyType::DesStandard,
                &[1; 8],
                &authspeed_packet(),
                "fc9e2e4fa86bd1c4",
            ),
            (
                KeyType::DesStandard,
                &[0xf1; 8],
                &authspeed_packet(),
                "da7415f7a76e7352",
            ),
            (
                KeyType::DesAscii,
                &[0xea, 0xce, 0xdf, 0xe6, 0xdc, 0xdf, 0xc8, 0x01],
                &authspeed_packet(),
                "806456f11c30efe7",
            ),
            (
                KeyType::Md5,
                b"password",
                &authspeed_packet(),
                "56b8d13e83cd44521638bbc6209c424f",
            ),
        ];
        for (kind, key, message, want) in cases {
            assert_eq!(
                compute(kind, key, message).to_vec(),
                unhex(want),
                "{kind:?}"
            );
            assert!(verify(kind, key, message, &unhex(want)));
        }
    }

    #[test]
    fn verify_rejects_changed_or_short_macs() {
        let mut mac = unhex("0c0e84cf0bb7a8688e5238dbbc1c3953");
        mac[15] = 0x54;
        assert!(!verify(
            KeyType::Md5,
            b"abcdefgh",
            b"ijklmnopqrstuvwx",
            &mac
        ));
        assert!(!verify(
            KeyType::Md5,
            b"abcdefgh",
            b"ijklmnopqrstuvwx",
            &mac[..8]
        ));
    }

    #[test]
    fn mac_values_have_each_types_length_and_show_as_hex() {
        for kind in KeyType::ALL {
            let mac = compute(kind, b"0123456789abcdef", &authspeed_packet());
            assert_eq!(mac.len(), kind.mac_len(), "{kind:?}");
            assert_eq!(mac.as_ref(), &*mac);
        }
        let mac = compute(KeyType::Md5, b"abcdefgh", b"ijklmnopqrstuvwx");
        assert_eq!(
            format!("{mac:?}"),
            "MacValue(0c0e84cf0bb7a8688e5238dbbc1c3953)"
        );
    }

    #[test]
    fn des_known_answer() {
        // V6: the standard DES KAT validates the primitive under the CBC-MAC.
        let mac = des_cbc_mac(&unhex("133457799BBCDFF1"), &unhex("0123456789ABCDEF"));
        assert_eq!(mac.to_vec(), unhex("85E813540F0AB405"));
    }
}
