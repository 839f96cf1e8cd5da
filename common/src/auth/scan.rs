//! The keys-file line grammar (protocol notes §8.1), shared by the parser and the lint.
//!
//! ```text
//! line  = *WSP [ keyno 1*WSP type 1*WSP key [ 1*WSP acl ] ] *WSP [ "#" comment ] EOL
//! ```
//!
//! Fields are separated by spaces or tabs and end at `#`, as in ntpd's `nexttok`.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use super::KeyId;
use super::acl::KeyAcl;
use super::entry::{self, KeyEntry};
use super::error::KeysErrorKind;
use super::keys::{KeysLine, MAX_LINE_LEN};

/// The lines of `bytes` with their 1-based numbers; a final newline ends the last line rather
/// than starting an empty one.
pub(super) fn split_lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n')
        .take(if bytes.is_empty() { 0 } else { usize::MAX })
        .enumerate()
        .map(|(index, line)| (index + 1, line))
}

/// A field of a line and the column (1-based) where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub(super) text: &'a str,
    pub(super) column: usize,
}

/// A line split the way ntpd's tokenizer splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ScannedLine<'a> {
    /// Up to five fields: number, type, key, access list, and the first extra one.
    pub(super) tokens: Vec<Token<'a>>,
    /// The text after `#`, with the column of the `#`.
    pub(super) comment: Option<Token<'a>>,
}

/// The most fields worth keeping: anything after the fifth is already an error.
const MAX_TOKENS: usize = 5;

/// Checks a raw line's characters and splits it into fields and comment.
pub(super) fn scan_line(raw: &[u8]) -> Result<ScannedLine<'_>, KeysErrorKind> {
    if raw.len() > MAX_LINE_LEN {
        return Err(KeysErrorKind::LineTooLong {
            len: raw.len(),
            max: MAX_LINE_LEN,
        });
    }
    let line = std::str::from_utf8(raw).map_err(|e| KeysErrorKind::NotUtf8 {
        column: e.valid_up_to() + 1,
    })?;
    if let Some(index) = raw
        .iter()
        .position(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Err(KeysErrorKind::ControlChar {
            column: index + 1,
            byte: raw.get(index).copied().unwrap_or_default(),
        });
    }
    let (code, comment) = match line.split_once('#') {
        Some((code, rest)) => (
            code,
            Some(Token {
                text: rest,
                column: code.len() + 1,
            }),
        ),
        None => (line, None),
    };
    if let Some(index) = code.bytes().position(|b| !b.is_ascii()) {
        return Err(KeysErrorKind::NonAscii { column: index + 1 });
    }
    let mut tokens = Vec::new();
    let mut offset = 0;
    for piece in code.split([' ', '\t']) {
        if !piece.is_empty() && tokens.len() < MAX_TOKENS {
            tokens.push(Token {
                text: piece,
                column: offset + 1,
            });
        }
        offset += piece.len() + 1;
    }
    Ok(ScannedLine { tokens, comment })
}

/// Turns a scanned line into a [`KeysLine`].
pub(super) fn build_line(scanned: &ScannedLine<'_>) -> Result<KeysLine, KeysErrorKind> {
    let mut tokens = scanned.tokens.iter();
    let Some(id_token) = tokens.next() else {
        return Ok(match scanned.comment {
            Some(comment) => KeysLine::Comment(comment.text.to_owned()),
            None => KeysLine::Blank,
        });
    };
    let id = parse_key_id(*id_token)?;
    let type_token = tokens.next().ok_or(KeysErrorKind::MissingType { id })?;
    // The key's presence is checked before the type is judged, so a line that lost its type
    // (`5 hunter2`) says "missing key" instead of echoing the secret as an unknown type.
    let key_token = tokens.next().ok_or(KeysErrorKind::MissingKey { id })?;
    let kind = entry::parse_type_name(id, type_token.text)?;
    let mut entry = KeyEntry::from_token(id, kind, type_token.text, key_token.text)?;
    if let Some(acl_token) = tokens.next() {
        let acl = KeyAcl::parse_field(acl_token.text).map_err(|(offset, error)| {
            KeysErrorKind::BadAcl {
                id,
                column: acl_token.column + offset,
                error,
            }
        })?;
        entry = entry.with_acl(acl);
    }
    if let Some(extra) = tokens.next() {
        return Err(KeysErrorKind::TrailingText {
            id,
            column: extra.column,
        });
    }
    let entry = entry.with_comment(scanned.comment.map(|c| c.text))?;
    Ok(KeysLine::Entry(entry))
}

/// A key number: decimal digits only, 1..=65535.
pub(super) fn parse_key_id(token: Token<'_>) -> Result<KeyId, KeysErrorKind> {
    if !token.text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(KeysErrorKind::BadKeyId {
            column: token.column,
        });
    }
    let value = token.text.bytes().fold(0_u64, |acc, digit| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    });
    let id = u32::try_from(value).map_or(KeyId(u32::MAX), KeyId);
    match entry::check_id(id) {
        Err(KeysErrorKind::KeyIdReserved { .. }) => Err(KeysErrorKind::KeyIdReserved { id: value }),
        other => other.map(|()| id),
    }
}
