//! Building mode 6 requests: padding and optional MAC (protocol notes §4.5).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use super::error::ControlError;
use super::header::{AssocId, CONTROL_MAX_DATA, ControlHeader, ControlOpcode, Sequence};
use crate::auth::Key;
use crate::wire::pad_to;

/// Where the key ID goes in an authenticated mode 6 datagram (§4.5 "Note on alignment").
///
/// Our notes say NTPsec's ntpd looks for the key ID at `roundup4(12 + count)`, but the lab's
/// NTPsec 1.2.2 refuses that layout whenever it differs from `roundup8(12 + count)` and accepts
/// the 8-octet one, exactly like ntpd 4.2.8p15 (`common/tests/lab.rs` checks both daemons). So
/// [`MacAlignment::Eight`] is right for both; [`MacAlignment::Four`] is what NTPsec's own ntpq
/// sends, kept for servers that want it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MacAlignment {
    /// Pad to 8 octets, key ID at `roundup8(12 + count)`: ntpd 4.2.8 and NTPsec 1.2.2.
    #[default]
    Eight,
    /// Pad to 4 octets only, key ID at `roundup4(12 + count)`: NTPsec ntpq's layout.
    Four,
}

impl MacAlignment {
    /// The multiple the datagram is padded to before the key ID.
    #[must_use]
    pub const fn octets(self) -> usize {
        match self {
            Self::Eight => 8,
            Self::Four => 4,
        }
    }
}

/// A mode 6 request before a sequence number is given to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ControlRequest {
    /// The operation.
    pub opcode: ControlOpcode,
    /// The association addressed (0 = system).
    pub assoc: AssocId,
    /// The payload: a variable list, a configuration line, a file name, or nothing.
    pub data: Vec<u8>,
    /// The VN to send, 1..=4; [`ControlHeader::DEFAULT_VERSION`] (2) unless changed.
    pub version: u8,
}

impl ControlRequest {
    /// A request with VN 2.
    #[must_use]
    pub fn new(opcode: ControlOpcode, assoc: AssocId, data: impl Into<Vec<u8>>) -> Self {
        Self {
            opcode,
            assoc,
            data: data.into(),
            version: ControlHeader::DEFAULT_VERSION,
        }
    }

    /// The same request with another VN (ntpq's `ntpversion`).
    #[must_use]
    pub fn with_version(mut self, version: u8) -> Self {
        self.version = version;
        self
    }

    /// Encodes the datagram: header, data, zeros to a multiple of 4 and, when `auth` is given,
    /// zeros to the alignment's multiple followed by the key ID and the MAC of every octet
    /// before it.
    ///
    /// # Errors
    /// [`ControlError::DataTooLong`] beyond 468 data octets, [`ControlError::BadVersion`]
    /// for a VN outside 1..=4.
    pub fn encode(
        &self,
        sequence: Sequence,
        auth: Option<(&Key, MacAlignment)>,
    ) -> Result<Vec<u8>, ControlError> {
        if !(1..=4).contains(&self.version) {
            return Err(ControlError::BadVersion(self.version));
        }
        let too_long = || ControlError::DataTooLong {
            len: self.data.len(),
            max: CONTROL_MAX_DATA,
        };
        if self.data.len() > CONTROL_MAX_DATA {
            return Err(too_long());
        }
        let count = u16::try_from(self.data.len()).map_err(|_| too_long())?;
        let header = ControlHeader::request(self.opcode, self.version, sequence, self.assoc, count);
        Ok(assemble(&header, &self.data, auth))
    }
}

/// Header ‖ data ‖ zero padding to 4 ‖ optional (padding to the alignment ‖ key ID ‖ MAC).
/// The header's count is taken as given.
pub(crate) fn assemble(
    header: &ControlHeader,
    data: &[u8],
    auth: Option<(&Key, MacAlignment)>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.encode().len() + data.len() + 32);
    out.extend_from_slice(&header.encode());
    out.extend_from_slice(data);
    pad_to(&mut out, 4);
    if let Some((key, alignment)) = auth {
        pad_to(&mut out, alignment.octets());
        let trailer = key.trailer(&out);
        out.extend(trailer);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{KeyId, KeyType};

    fn md5_key() -> Key {
        Key::new(KeyId(1), KeyType::Md5, b"password".to_vec())
    }

    #[test]
    fn vector_e1_readstat() {
        let req = ControlRequest::new(ControlOpcode::ReadStatus, AssocId::SYSTEM, vec![]);
        assert_eq!(
            req.encode(Sequence(1), None).unwrap(),
            [0x16, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn vector_e2_readvar() {
        let req = ControlRequest::new(
            ControlOpcode::ReadVariables,
            AssocId::SYSTEM,
            "stratum,refid",
        );
        let want = [
            0x16, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x73, 0x74,
            0x72, 0x61, 0x74, 0x75, 0x6d, 0x2c, 0x72, 0x65, 0x66, 0x69, 0x64, 0x00, 0x00, 0x00,
        ];
        assert_eq!(req.encode(Sequence(2), None).unwrap(), want);
    }

    const E3: [u8; 52] = [
        0x16, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x74, 0x69, 0x6e,
        0x6b, 0x65, 0x72, 0x20, 0x70, 0x61, 0x6e, 0x69, 0x63, 0x20, 0x30, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x84, 0x57, 0x62, 0x6e, 0x79, 0xbc, 0x3f, 0xa4, 0x0a,
        0xdf, 0xdb, 0x55, 0xe5, 0xda, 0xf9, 0x22,
    ];

    #[test]
    fn vector_e3_authenticated_configure() {
        let key = md5_key();
        let req = ControlRequest::new(ControlOpcode::Configure, AssocId::SYSTEM, "tinker panic 0");
        let bytes = req
            .encode(Sequence(3), Some((&key, MacAlignment::Eight)))
            .unwrap();
        assert_eq!(bytes, E3);
        assert!(key.verify(&E3[..32], &E3[36..]));
    }

    #[test]
    fn ntpsec_alignment_pads_to_four_only() {
        let key = md5_key();
        let req = ControlRequest::new(ControlOpcode::Configure, AssocId::SYSTEM, "tinker panic 0");
        let bytes = req
            .encode(Sequence(3), Some((&key, MacAlignment::Four)))
            .unwrap();
        assert_eq!(bytes.len(), 28 + 20);
        assert_eq!(bytes[..26], E3[..26]);
        assert_eq!(bytes[28..32], [0, 0, 0, 1]);
        assert!(key.verify(&bytes[..28], &bytes[32..]));
    }

    #[test]
    fn alignments_agree_when_already_a_multiple_of_eight() {
        // 12 + 12 = 24: both flavours put the key ID at 24.
        let key = md5_key();
        let req = ControlRequest::new(ControlOpcode::ReadVariables, AssocId(3), "stratum,peer");
        let org = req.encode(Sequence(9), Some((&key, MacAlignment::Eight)));
        let sec = req.encode(Sequence(9), Some((&key, MacAlignment::Four)));
        assert_eq!(org, sec);
        assert_eq!(org.unwrap().len(), 24 + 20);
    }

    #[test]
    fn padding_table() {
        // (data length, unauthenticated length, authenticated MD5 length for ntp.org)
        for (len, plain, signed) in [
            (0, 12, 36),
            (1, 16, 36),
            (4, 16, 36),
            (5, 20, 44),
            (468, 480, 500),
        ] {
            let req = ControlRequest::new(
                ControlOpcode::ReadVariables,
                AssocId::SYSTEM,
                vec![b'a'; len],
            );
            assert_eq!(req.encode(Sequence(1), None).unwrap().len(), plain, "{len}");
            let bytes = req
                .encode(Sequence(1), Some((&md5_key(), MacAlignment::Eight)))
                .unwrap();
            assert_eq!(bytes.len(), signed, "{len}");
        }
    }

    #[test]
    fn refuses_oversized_data_and_bad_versions() {
        let req = ControlRequest::new(ControlOpcode::Configure, AssocId::SYSTEM, vec![b'x'; 469]);
        assert_eq!(
            req.encode(Sequence(1), None),
            Err(ControlError::DataTooLong { len: 469, max: 468 })
        );
        for version in [0, 5, 7] {
            let req = ControlRequest::new(ControlOpcode::ReadStatus, AssocId::SYSTEM, vec![])
                .with_version(version);
            assert_eq!(
                req.encode(Sequence(1), None),
                Err(ControlError::BadVersion(version))
            );
        }
        let v4 =
            ControlRequest::new(ControlOpcode::ReadStatus, AssocId::SYSTEM, vec![]).with_version(4);
        assert_eq!(v4.encode(Sequence(1), None).unwrap()[0], 0x26);
    }
}
