//! Keys file errors (protocol notes §8.1): what is wrong, and where.
//!
//! Errors never contain key material: they name key numbers, columns and positions, and echo
//! only type names (bounded and sanitized).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;
use std::io;
use std::path::PathBuf;

use thiserror::Error;

use super::{KeyAclError, KeyId, KeyTextError, KeyTypeError};

/// What is wrong with a keys file (or with an entry being built), without file and line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeysErrorKind {
    /// The file could not be read.
    #[error("cannot read: {message}")]
    Io {
        /// The I/O error's kind.
        kind: io::ErrorKind,
        /// The I/O error's text.
        message: String,
    },
    /// The file is larger than [`MAX_KEYS_FILE_LEN`](super::MAX_KEYS_FILE_LEN).
    #[error("file is {len} octets long (limit {max})")]
    FileTooLarge {
        /// Octets found (at least).
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A line is longer than [`MAX_LINE_LEN`](super::MAX_LINE_LEN).
    #[error("line is {len} octets long (limit {max})")]
    LineTooLong {
        /// Octets in the line.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A line is not valid UTF-8.
    #[error("invalid UTF-8 at column {column}")]
    NotUtf8 {
        /// Column (1-based octet offset) of the first bad octet.
        column: usize,
    },
    /// A control character (other than tab), NUL or DEL anywhere in a line.
    #[error("{} at column {column}", control_name(*byte))]
    ControlChar {
        /// Column of the character.
        column: usize,
        /// The character.
        byte: u8,
    },
    /// A non-ASCII character outside a comment.
    #[error("non-ASCII character at column {column} outside a comment")]
    NonAscii {
        /// Column of the character.
        column: usize,
    },
    /// The first field is not a plain decimal number.
    #[error("key number at column {column} is not a decimal number")]
    BadKeyId {
        /// Column of the field.
        column: usize,
    },
    /// Key number 0.
    #[error("key 0 is reserved")]
    KeyIdZero,
    /// A key number above 65535 (saturated at `u64::MAX`).
    #[error("key {id} is reserved for autokey (keys files use 1 to 65535)")]
    KeyIdReserved {
        /// The number.
        id: u64,
    },
    /// A key number with nothing after it.
    #[error("key {id}: missing key type")]
    MissingType {
        /// The key number.
        id: KeyId,
    },
    /// A key number and type with no key.
    #[error("key {id}: missing key")]
    MissingKey {
        /// The key number.
        id: KeyId,
    },
    /// The type field names no usable key type.
    #[error("key {id}: {error}")]
    BadType {
        /// The key number.
        id: KeyId,
        /// What is wrong with the type.
        error: KeyTypeError,
    },
    /// The key field is not a valid key of its type.
    #[error("key {id}: {error}")]
    BadKey {
        /// The key number.
        id: KeyId,
        /// What is wrong with the key text.
        error: KeyTextError,
    },
    /// An access-list item is not an address with an optional prefix.
    #[error("key {id}: access list item at column {column}: {error}")]
    BadAcl {
        /// The key number.
        id: KeyId,
        /// Column of the item.
        column: usize,
        /// What is wrong with it.
        error: KeyAclError,
    },
    /// Text after the access list (ntpd ignores it; it usually means a key with a space).
    #[error("key {id}: unexpected text at column {column} after the access list")]
    TrailingText {
        /// The key number.
        id: KeyId,
        /// Column of the text.
        column: usize,
    },
    /// A key number defined twice.
    #[error("key {id} is already defined on line {first_line}")]
    DuplicateKey {
        /// The key number.
        id: KeyId,
        /// Line of the first definition.
        first_line: usize,
    },
    /// A comment given to the builder holds a control character.
    #[error("comment has a control character at position {position}")]
    BadComment {
        /// 1-based character position within the comment.
        position: usize,
    },
}

fn control_name(byte: u8) -> String {
    match byte {
        0 => "NUL octet".to_owned(),
        b'\r' => "carriage return (CRLF line ending?)".to_owned(),
        _ => format!("control character 0x{byte:02x}"),
    }
}

/// A keys file error: file, line (1-based; 0 for the whole file) and what is wrong.
///
/// Displays as one line, `PATH:LINE: what is wrong`, and never contains key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysError {
    /// The file, as given by the caller.
    pub path: PathBuf,
    /// The line, counting from 1; 0 when the error concerns the whole file.
    pub line: usize,
    /// What is wrong.
    pub kind: KeysErrorKind,
}

impl fmt::Display for KeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.path.display(), self.kind),
            line => write!(f, "{}:{line}: {}", self.path.display(), self.kind),
        }
    }
}

impl std::error::Error for KeysError {}
