//! One key line of a keys file: number, type spelling, key text, access list, comment.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::acl::KeyAcl;
use super::error::KeysErrorKind;
use super::keytext;
use super::{Key, KeyId, KeyType, KeyTypeError};

/// The highest key number a keys file may use; higher numbers are autokey session keys.
pub const MAX_FILE_KEY_ID: u32 = 65_535;

/// A key as a keys file states it.
///
/// Besides the usable [`Key`] it keeps the type spelling and key text exactly as written, so a
/// file is written back as it was read (`M` stays `M`, `AES` stays `AES`, hex stays hex in its
/// case). The key text is a secret: it is zeroized on drop and left out of `Debug`.
#[derive(Clone)]
pub struct KeyEntry {
    key: Key,
    type_name: String,
    text: Zeroizing<String>,
    acl: KeyAcl,
    comment: Option<String>,
}

impl KeyEntry {
    /// An entry for key `id` of type `kind`, spelled canonically, with key text `text`.
    ///
    /// # Errors
    ///
    /// [`KeysErrorKind::KeyIdZero`] or [`KeysErrorKind::KeyIdReserved`] for a number outside
    /// 1..=65535, and [`KeysErrorKind::BadKey`] for text a keys file cannot carry (spaces, `#`,
    /// control or non-ASCII characters) or that is not a valid key of this type.
    pub fn new(id: KeyId, kind: KeyType, text: &str) -> Result<Self, KeysErrorKind> {
        Self::with_type_name(id, kind.name(), text)
    }

    /// As [`KeyEntry::new`], with the type spelled `type_name` (any spelling
    /// [`KeyType::from_name`] accepts, such as `M` or `AES`).
    ///
    /// # Errors
    ///
    /// As [`KeyEntry::new`], plus [`KeysErrorKind::BadType`] for an unusable type spelling.
    pub fn with_type_name(id: KeyId, type_name: &str, text: &str) -> Result<Self, KeysErrorKind> {
        check_id(id)?;
        let kind = parse_type_name(id, type_name)?;
        keytext::check_carryable(text).map_err(|error| KeysErrorKind::BadKey { id, error })?;
        Self::from_token(id, kind, type_name, text)
    }

    /// An entry whose key text is chosen to encode `secret` (MAC-ready octets; for DES types
    /// the standard-form key): verbatim when it is at most 20 printable characters, else hex;
    /// DES keys in the form `kind` names.
    ///
    /// # Errors
    ///
    /// As [`KeyEntry::new`]; [`KeyTextError::Unrepresentable`](super::KeyTextError::Unrepresentable) inside
    /// [`KeysErrorKind::BadKey`] for secrets no key text can produce (e.g. 1 to 10 binary
    /// octets, which would need 2 to 20 hex digits and so be read as ASCII).
    pub fn from_secret(id: KeyId, kind: KeyType, secret: &[u8]) -> Result<Self, KeysErrorKind> {
        check_id(id)?;
        let text =
            keytext::encode(kind, secret).map_err(|error| KeysErrorKind::BadKey { id, error })?;
        Self::from_token(id, kind, kind.name(), &text)
    }

    /// Builds an entry from tokens already known to be carryable and a resolved type.
    pub(super) fn from_token(
        id: KeyId,
        kind: KeyType,
        type_name: &str,
        text: &str,
    ) -> Result<Self, KeysErrorKind> {
        let key =
            Key::from_text(id, kind, text).map_err(|error| KeysErrorKind::BadKey { id, error })?;
        let mut owned = Zeroizing::new(String::with_capacity(text.len()));
        owned.push_str(text);
        Ok(Self {
            key,
            type_name: type_name.to_owned(),
            text: owned,
            acl: KeyAcl::default(),
            comment: None,
        })
    }

    /// This entry restricted to the addresses in `acl`.
    #[must_use]
    pub fn with_acl(mut self, acl: KeyAcl) -> Self {
        self.acl = acl;
        self
    }

    /// This entry with a trailing comment (the text after `#`), or none.
    ///
    /// # Errors
    ///
    /// [`KeysErrorKind::BadComment`] when the text holds a control character other than tab.
    pub fn with_comment(mut self, comment: Option<&str>) -> Result<Self, KeysErrorKind> {
        if let Some(text) = comment {
            check_comment(text)?;
        }
        self.comment = comment.map(str::to_owned);
        Ok(self)
    }

    /// The key number.
    #[must_use]
    pub fn id(&self) -> KeyId {
        self.key.id()
    }

    /// The key type.
    #[must_use]
    pub fn kind(&self) -> KeyType {
        self.key.kind()
    }

    /// The type as spelled in the file.
    #[must_use]
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The usable key.
    #[must_use]
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The key text as written in the file. This is secret material.
    #[must_use]
    pub fn key_text(&self) -> &str {
        &self.text
    }

    /// The addresses the key is trusted from (empty: anywhere).
    #[must_use]
    pub fn acl(&self) -> &KeyAcl {
        &self.acl
    }

    /// The comment after `#` on the same line, if any.
    #[must_use]
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The usable key, dropping the rest.
    #[must_use]
    pub fn into_key(self) -> Key {
        self.key
    }

    /// Writes the line (without newline) in ntp-keygen's layout: `%2d TYPE KEY[ ACL][  #C]`.
    pub(super) fn render(&self, out: &mut impl fmt::Write) -> fmt::Result {
        write!(out, "{:>2} {} ", self.id(), self.type_name)?;
        out.write_str(&self.text)?;
        if !self.acl.is_empty() {
            write!(out, " {}", self.acl)?;
        }
        if let Some(comment) = &self.comment {
            write!(out, "  #{comment}")?;
        }
        Ok(())
    }
}

/// Checks a number is usable in a keys file.
pub(super) fn check_id(id: KeyId) -> Result<(), KeysErrorKind> {
    match id.0 {
        0 => Err(KeysErrorKind::KeyIdZero),
        n if n > MAX_FILE_KEY_ID => Err(KeysErrorKind::KeyIdReserved { id: u64::from(n) }),
        _ => Ok(()),
    }
}

/// Resolves a type spelling, which must also survive the keys-file tokenizer.
pub(super) fn parse_type_name(id: KeyId, type_name: &str) -> Result<KeyType, KeysErrorKind> {
    let bad = |error| KeysErrorKind::BadType { id, error };
    if keytext::check_carryable(type_name).is_err() {
        let shown = type_name.chars().map(|c| {
            if c.is_ascii_graphic() && c != '#' {
                c
            } else {
                '?'
            }
        });
        return Err(bad(KeyTypeError::Unknown(shown.take(32).collect())));
    }
    KeyType::from_name(type_name).map_err(bad)
}

/// Comments may hold any text but control characters (tab is fine).
pub(super) fn check_comment(text: &str) -> Result<(), KeysErrorKind> {
    match text.chars().position(|c| c.is_control() && c != '\t') {
        Some(index) => Err(KeysErrorKind::BadComment {
            position: index + 1,
        }),
        None => Ok(()),
    }
}

/// Entries are equal when everything written in the file is; key text compares in constant
/// time.
impl PartialEq for KeyEntry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
            && self.type_name == other.type_name
            && self.text.len() == other.text.len()
            && bool::from(self.text.as_bytes().ct_eq(other.text.as_bytes()))
            && self.acl == other.acl
            && self.comment == other.comment
    }
}

impl Eq for KeyEntry {}

/// Shows everything but the key text.
impl fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEntry")
            .field("id", &self.id())
            .field("kind", &self.kind())
            .field("type_name", &self.type_name)
            .field("acl", &self.acl)
            .field("comment", &self.comment)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::KeyTextError;

    #[test]
    fn constructors_validate() {
        let id = KeyId(7);
        let cases: [(KeyId, &str, &str, Option<KeysErrorKind>); 9] = [
            (id, "MD5", "secret", None),
            (id, "M", "secret", None),
            (id, "AES", "0123456789abcdef0123456789abcdef", None),
            (KeyId(0), "MD5", "secret", Some(KeysErrorKind::KeyIdZero)),
            (
                KeyId(65_536),
                "MD5",
                "secret",
                Some(KeysErrorKind::KeyIdReserved { id: 65_536 }),
            ),
            (
                id,
                "MD5",
                "two words",
                Some(KeysErrorKind::BadKey {
                    id,
                    error: KeyTextError::NotCarryable { position: 4 },
                }),
            ),
            (
                id,
                "MD5",
                "a#b",
                Some(KeysErrorKind::BadKey {
                    id,
                    error: KeyTextError::NotCarryable { position: 2 },
                }),
            ),
            (
                id,
                "SHA384",
                "secret",
                Some(KeysErrorKind::BadType {
                    id,
                    error: KeyTypeError::Unsupported("SHA384".into()),
                }),
            ),
            (
                id,
                "MD 5",
                "secret",
                Some(KeysErrorKind::BadType {
                    id,
                    error: KeyTypeError::Unknown("MD?5".into()),
                }),
            ),
        ];
        for (id, type_name, text, want) in cases {
            let got = KeyEntry::with_type_name(id, type_name, text);
            assert_eq!(got.err(), want, "{id} {type_name}");
        }
    }

    #[test]
    fn from_secret_round_trips_through_text() {
        let entry = KeyEntry::from_secret(KeyId(3), KeyType::Sha1, &[0xa5; 20]).unwrap();
        assert_eq!(entry.key_text(), "a5".repeat(20));
        assert_eq!(entry.key().secret(), &[0xa5; 20]);
        let des = KeyEntry::from_secret(KeyId(3), KeyType::DesNtp, &[1; 8]).unwrap();
        assert_eq!(des.key_text(), "8080808080808080");
        assert_eq!(des.type_name(), "N");
    }

    #[test]
    fn render_uses_keygen_layout() {
        let entry = KeyEntry::new(KeyId(1), KeyType::Md5, "abc")
            .unwrap()
            .with_comment(Some(" MD5 key"))
            .unwrap();
        let mut line = String::new();
        entry.render(&mut line).unwrap();
        assert_eq!(line, " 1 MD5 abc  # MD5 key");
        let entry = KeyEntry::new(KeyId(12345), KeyType::Md5, "abc")
            .unwrap()
            .with_acl(KeyAcl::parse_field("192.0.2.1,::1/64").unwrap());
        let mut line = String::new();
        entry.render(&mut line).unwrap();
        assert_eq!(line, "12345 MD5 abc 192.0.2.1,::1/64");
    }

    #[test]
    fn comments_reject_control_characters() {
        let entry = KeyEntry::new(KeyId(1), KeyType::Md5, "abc").unwrap();
        assert!(
            entry
                .clone()
                .with_comment(Some("tab\tis fine, é too"))
                .is_ok()
        );
        assert_eq!(
            entry.with_comment(Some("line\nbreak")).err(),
            Some(KeysErrorKind::BadComment { position: 5 })
        );
    }

    #[test]
    fn debug_hides_key_text() {
        let entry = KeyEntry::new(KeyId(1), KeyType::Md5, "hunter2").unwrap();
        let shown = format!("{entry:?} {:?}", entry.key());
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
