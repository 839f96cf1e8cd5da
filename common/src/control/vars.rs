//! Variable lists: the `name=value, …` text of mode 6 requests and responses (protocol notes
//! §4.9), parsed with ntpq's `nextvar` rules (§4.9.3), plus typed value accessors.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::time::NtpTimestamp;

/// Longest variable name ntpq accepts (`MAXVARLEN` − 1).
pub const MAX_NAME_LEN: usize = 255;

/// Longest value ntpq accepts (`MAXVALLEN` − 1).
pub const MAX_VALUE_LEN: usize = 2047;

/// Why a variable-list text could not be parsed or encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VarListError {
    /// A quoted value has no closing quote before the end of its line.
    #[error("unterminated quoted value at octet {position}")]
    UnterminatedValue {
        /// Offset of the opening quote.
        position: usize,
    },
    /// Something other than `,` or a line end follows a quoted value.
    #[error("unexpected text after quoted value at octet {position}")]
    TrailingJunk {
        /// Offset of the first unexpected octet.
        position: usize,
    },
    /// A name is longer than [`MAX_NAME_LEN`].
    #[error("variable name at octet {position} is {len} octets long, more than {MAX_NAME_LEN}")]
    NameTooLong {
        /// Offset of the name.
        position: usize,
        /// Its length.
        len: usize,
    },
    /// A value is longer than [`MAX_VALUE_LEN`].
    #[error("value at octet {position} is {len} octets long, more than {MAX_VALUE_LEN}")]
    ValueTooLong {
        /// Offset of the value.
        position: usize,
        /// Its length.
        len: usize,
    },
    /// A name that would not read back as itself (empty, too long, holding `,` `=` CR LF NUL,
    /// or with leading or trailing white space).
    #[error("variable name '{0}' cannot be encoded")]
    InvalidName(String),
    /// A value that would not read back as itself.
    #[error("value of variable '{0}' cannot be encoded")]
    InvalidValue(String),
}

/// Why a variable's value could not be read as the type asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VarError {
    /// The list has no variable of that name.
    #[error("variable '{0}' not present")]
    Missing(String),
    /// The variable is a bare name without `=`.
    #[error("variable '{0}' has no value")]
    NoValue(String),
    /// The value does not parse as the expected type.
    #[error("variable '{name}' is not {expected}: '{value}'")]
    Malformed {
        /// The variable's name.
        name: String,
        /// Its value as received.
        value: String,
        /// What was expected, e.g. `an unsigned integer`.
        expected: &'static str,
    },
}

/// One `name` or `name=value` item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Variable {
    /// The name, trimmed.
    pub name: String,
    /// The value as received, trimmed, quotes kept (`"ntpd 4.2.8p15"`); `None` for a bare name.
    pub value: Option<String>,
}

impl Variable {
    /// A `name=value` item.
    #[must_use]
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// A bare `name` item, as in a READVAR request.
    #[must_use]
    pub fn bare(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: None,
        }
    }

    /// The value without its surrounding quotes, if it was quoted; `None` for a bare name.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        let value = self.value.as_deref()?;
        Some(
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value),
        )
    }

    /// Whether the value is a quoted string.
    #[must_use]
    pub fn is_quoted(&self) -> bool {
        self.value
            .as_deref()
            .is_some_and(|v| v.len() >= 2 && v.starts_with('"') && v.ends_with('"'))
    }

    /// The name split as an MRU-style indexed tag: see [`split_indexed`].
    #[must_use]
    pub fn indexed_name(&self) -> (&str, Option<u32>) {
        split_indexed(&self.name)
    }

    /// The value as a decimal floating-point number (`offset=-0.123`).
    ///
    /// # Errors
    /// No value, or not a number.
    pub fn as_f64(&self) -> Result<f64, VarError> {
        self.convert("a number", |v| f64::from_str(v).ok())
    }

    /// The value as a signed decimal integer (`precision=-23`).
    ///
    /// # Errors
    /// No value, or not an integer.
    pub fn as_i64(&self) -> Result<i64, VarError> {
        self.convert("an integer", |v| i64::from_str(v).ok())
    }

    /// The value as an unsigned integer: decimal, or hexadecimal with `0x`.
    ///
    /// # Errors
    /// No value, or not an unsigned integer.
    pub fn as_u64(&self) -> Result<u64, VarError> {
        self.convert("an unsigned integer", |v| match strip_hex_prefix(v) {
            Some(hex) => parse_hex(hex),
            None => u64::from_str(v).ok().filter(|_| !v.starts_with('+')),
        })
    }

    /// The value as hexadecimal, with or without `0x` (`reach=0xff`, `flash=0x0`).
    ///
    /// # Errors
    /// No value, or not hexadecimal.
    pub fn as_hex(&self) -> Result<u64, VarError> {
        self.convert("hexadecimal", |v| {
            parse_hex(strip_hex_prefix(v).unwrap_or(v))
        })
    }

    /// The value as an NTP timestamp, `0xSSSSSSSS.FFFFFFFF`.
    ///
    /// # Errors
    /// No value, or not a timestamp.
    pub fn as_timestamp(&self) -> Result<NtpTimestamp, VarError> {
        self.convert("a timestamp", |v| NtpTimestamp::from_str(v).ok())
    }

    /// The value as white-space separated numbers (`filtdelay= 0.51 0.49 …`).
    ///
    /// # Errors
    /// No value, or an element that is not a number.
    pub fn as_f64_array(&self) -> Result<Vec<f64>, VarError> {
        self.convert("a list of numbers", |v| {
            v.split_ascii_whitespace()
                .map(|x| f64::from_str(x).ok())
                .collect()
        })
    }

    fn convert<T>(
        &self,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, VarError> {
        let text = self
            .text()
            .ok_or_else(|| VarError::NoValue(self.name.clone()))?;
        parse(text.trim()).ok_or_else(|| VarError::Malformed {
            name: self.name.clone(),
            value: self.value.clone().unwrap_or_default(),
            expected,
        })
    }
}

fn strip_hex_prefix(v: &str) -> Option<&str> {
    v.strip_prefix("0x").or_else(|| v.strip_prefix("0X"))
}

fn parse_hex(hex: &str) -> Option<u64> {
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
}

/// Splits an indexed tag such as the MRU list's `addr.12` into `("addr", Some(12))`; names
/// without a decimal suffix after the last dot come back whole (`last.older` →
/// `("last.older", None)`).
#[must_use]
pub fn split_indexed(name: &str) -> (&str, Option<u32>) {
    match name.rsplit_once('.') {
        Some((tag, index))
            if !tag.is_empty()
                && !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit()) =>
        {
            match u32::from_str(index) {
                Ok(n) => (tag, Some(n)),
                Err(_) => (name, None),
            }
        }
        _ => (name, None),
    }
}

/// An ordered list of variables, as a response carries them or a request asks for them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct VarList(Vec<Variable>);

impl VarList {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A list of bare names, as a READVAR request sends them.
    #[must_use]
    pub fn names<S: AsRef<str>>(names: &[S]) -> Self {
        names.iter().map(|n| Variable::bare(n.as_ref())).collect()
    }

    /// Parses response text with ntpq's rules (§4.9.3): items separated by `,` and white
    /// space (CR LF included); a name runs to `,` `=` CR or LF; a value starting with `"`
    /// runs to the next `"` (commas allowed inside, quotes kept), any other value to `,` CR
    /// or LF; names and values are trimmed; an empty name is skipped; the text ends at its
    /// first NUL (NTPsec pads with NULs). Invalid UTF-8 is replaced by U+FFFD.
    ///
    /// # Errors
    /// An unterminated quoted value, text after a closing quote, or a name or value longer
    /// than ntpq's buffers (counted as stored, after any replacement, so that every list this
    /// returns can be encoded).
    pub fn parse(text: &[u8]) -> Result<Self, VarListError> {
        match Self::parse_partial(text) {
            (list, None) => Ok(list),
            (_, Some(err)) => Err(err),
        }
    }

    /// Parses like [`VarList::parse`] but keeps the items read before an error, as ntpq
    /// prints what it could parse.
    #[must_use]
    pub fn parse_partial(text: &[u8]) -> (Self, Option<VarListError>) {
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        let mut scan = Scanner {
            text: text.get(..end).unwrap_or_default(),
            pos: 0,
        };
        let mut list = Self::new();
        loop {
            match scan.next_item() {
                Ok(Some(var)) => list.0.push(var),
                Ok(None) => return (list, None),
                Err(err) => return (list, Some(err)),
            }
        }
    }

    /// Encodes the list as request text, items joined by `,` (`stratum,refid`,
    /// `nonce=…,frags=32`).
    ///
    /// # Errors
    /// An item that would not parse back as itself (see [`VarListError::InvalidName`] and
    /// [`VarListError::InvalidValue`]).
    pub fn encode(&self) -> Result<String, VarListError> {
        let mut out = String::new();
        for (i, var) in self.0.iter().enumerate() {
            if !name_is_encodable(&var.name) {
                return Err(VarListError::InvalidName(var.name.clone()));
            }
            if i > 0 {
                out.push(',');
            }
            out.push_str(&var.name);
            if let Some(value) = &var.value {
                if !value_is_encodable(value) {
                    return Err(VarListError::InvalidValue(var.name.clone()));
                }
                out.push('=');
                out.push_str(value);
            }
        }
        Ok(out)
    }

    /// Appends an item.
    pub fn push(&mut self, var: Variable) {
        self.0.push(var);
    }

    /// The number of items.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The items in order.
    #[must_use]
    pub fn as_slice(&self) -> &[Variable] {
        &self.0
    }

    /// Iterates over the items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Variable> {
        self.0.iter()
    }

    /// The first item with this name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.0.iter().find(|v| v.name == name)
    }

    /// The first item with this name, or [`VarError::Missing`].
    ///
    /// # Errors
    /// No item has this name.
    pub fn require(&self, name: &str) -> Result<&Variable, VarError> {
        self.get(name)
            .ok_or_else(|| VarError::Missing(name.to_owned()))
    }

    /// The raw value (quotes kept) of the first item with this name.
    #[must_use]
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name)?.value.as_deref()
    }

    /// The unquoted value of the first item with this name.
    #[must_use]
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name)?.text()
    }

    /// [`Variable::as_f64`] of the named item.
    ///
    /// # Errors
    /// Missing item, no value, or not a number.
    pub fn get_f64(&self, name: &str) -> Result<f64, VarError> {
        self.require(name)?.as_f64()
    }

    /// [`Variable::as_i64`] of the named item.
    ///
    /// # Errors
    /// Missing item, no value, or not an integer.
    pub fn get_i64(&self, name: &str) -> Result<i64, VarError> {
        self.require(name)?.as_i64()
    }

    /// [`Variable::as_u64`] of the named item.
    ///
    /// # Errors
    /// Missing item, no value, or not an unsigned integer.
    pub fn get_u64(&self, name: &str) -> Result<u64, VarError> {
        self.require(name)?.as_u64()
    }

    /// [`Variable::as_hex`] of the named item.
    ///
    /// # Errors
    /// Missing item, no value, or not hexadecimal.
    pub fn get_hex(&self, name: &str) -> Result<u64, VarError> {
        self.require(name)?.as_hex()
    }

    /// [`Variable::as_timestamp`] of the named item.
    ///
    /// # Errors
    /// Missing item, no value, or not a timestamp.
    pub fn get_timestamp(&self, name: &str) -> Result<NtpTimestamp, VarError> {
        self.require(name)?.as_timestamp()
    }

    /// [`Variable::as_f64_array`] of the named item.
    ///
    /// # Errors
    /// Missing item, no value, or an element that is not a number.
    pub fn get_f64_array(&self, name: &str) -> Result<Vec<f64>, VarError> {
        self.require(name)?.as_f64_array()
    }
}

/// ntpd's response style, `name=value, name=value` (without line folding).
impl fmt::Display for VarList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, var) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&var.name)?;
            if let Some(value) = &var.value {
                write!(f, "={value}")?;
            }
        }
        Ok(())
    }
}

impl From<Vec<Variable>> for VarList {
    fn from(vars: Vec<Variable>) -> Self {
        Self(vars)
    }
}

impl FromIterator<Variable> for VarList {
    fn from_iter<I: IntoIterator<Item = Variable>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl IntoIterator for VarList {
    type Item = Variable;
    type IntoIter = std::vec::IntoIter<Variable>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a VarList {
    type Item = &'a Variable;
    type IntoIter = std::slice::Iter<'a, Variable>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// White space as ntpq trims it: every octet up to and including the space.
fn is_blank(b: u8) -> bool {
    b <= b' '
}

fn is_line_end(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn name_is_encodable(name: &str) -> bool {
    let bytes = name.as_bytes();
    !name.is_empty()
        && bytes.len() <= MAX_NAME_LEN
        && !bytes
            .iter()
            .any(|&b| b == b',' || b == b'=' || b == 0 || is_line_end(b))
        && bytes.first().is_some_and(|&b| !is_blank(b))
        && bytes.last().is_some_and(|&b| !is_blank(b))
}

fn value_is_encodable(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() > MAX_VALUE_LEN || bytes.iter().any(|&b| b == 0 || is_line_end(b)) {
        return false;
    }
    if bytes.first().is_some_and(|&b| is_blank(b)) || bytes.last().is_some_and(|&b| is_blank(b)) {
        return false;
    }
    match bytes.strip_prefix(b"\"") {
        // A quoted value must end at its first closing quote.
        Some(inner) => inner.iter().position(|&b| b == b'"').map(|at| at + 1) == Some(inner.len()),
        None => !bytes.contains(&b','),
    }
}

/// A cursor over response text that never indexes.
struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// Advances over octets matching `pred` and returns them.
    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        let n = rest.iter().position(|&b| !pred(b)).unwrap_or(rest.len());
        self.pos += n;
        rest.get(..n).unwrap_or_default()
    }

    /// The next item, `None` at the end of the text.
    fn next_item(&mut self) -> Result<Option<Variable>, VarListError> {
        loop {
            self.take_while(|b| b == b',' || is_blank(b));
            if self.peek().is_none() {
                return Ok(None);
            }
            let name_at = self.pos;
            let raw_name = self.take_while(|b| b != b',' && b != b'=' && !is_line_end(b));
            let (name_at, name) = trim(name_at, raw_name);
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                Some(self.value()?)
            } else {
                None
            };
            if name.is_empty() {
                continue;
            }
            // Counted after invalid UTF-8 is replaced (U+FFFD is 3 octets), so that whatever
            // parses can be encoded and read back.
            let name = String::from_utf8_lossy(name).into_owned();
            if name.len() > MAX_NAME_LEN {
                return Err(VarListError::NameTooLong {
                    position: name_at,
                    len: name.len(),
                });
            }
            return Ok(Some(Variable { name, value }));
        }
    }

    /// The value after `=`, leaving the cursor on its terminator.
    fn value(&mut self) -> Result<String, VarListError> {
        // Every blank the value would be trimmed of, not only space and tab: a value that
        // starts with a quote after trimming is read as a quoted value, else it could not be
        // written back.
        let inline_blank = |b| is_blank(b) && !is_line_end(b);
        self.take_while(inline_blank);
        let start = self.pos;
        let raw = if self.peek() == Some(b'"') {
            self.pos += 1;
            self.take_while(|b| b != b'"' && !is_line_end(b));
            if self.peek() != Some(b'"') {
                return Err(VarListError::UnterminatedValue { position: start });
            }
            self.pos += 1;
            let quoted = self.text.get(start..self.pos).unwrap_or_default();
            self.take_while(inline_blank);
            if self.peek().is_some_and(|b| b != b',' && !is_line_end(b)) {
                return Err(VarListError::TrailingJunk { position: self.pos });
            }
            quoted
        } else {
            trim(start, self.take_while(|b| b != b',' && !is_line_end(b))).1
        };
        let value = String::from_utf8_lossy(raw).into_owned();
        if value.len() > MAX_VALUE_LEN {
            return Err(VarListError::ValueTooLong {
                position: start,
                len: value.len(),
            });
        }
        Ok(value)
    }
}

/// Trims blanks from both ends, returning the new start offset and the slice.
fn trim(at: usize, bytes: &[u8]) -> (usize, &[u8]) {
    let lead = bytes
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(bytes.len());
    let rest = bytes.get(lead..).unwrap_or_default();
    let keep = rest
        .iter()
        .rposition(|&b| !is_blank(b))
        .map_or(0, |i| i + 1);
    (at + lead, rest.get(..keep).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Items<'a> = &'a [(&'a str, Option<&'a str>)];

    fn vars(items: Items<'_>) -> VarList {
        items
            .iter()
            .map(|&(n, v)| Variable {
                name: n.to_owned(),
                value: v.map(str::to_owned),
            })
            .collect()
    }

    #[test]
    fn parse_table() {
        let table: &[(&str, Items<'_>)] = &[
            ("", &[]),
            ("\r\n", &[]),
            ("stratum=2", &[("stratum", Some("2"))]),
            ("a=1, b=2", &[("a", Some("1")), ("b", Some("2"))]),
            ("a=1,b", &[("a", Some("1")), ("b", None)]),
            ("bare", &[("bare", None)]),
            ("empty=, next", &[("empty", Some("")), ("next", None)]),
            ("  a  =   x y  ,", &[("a", Some("x y"))]),
            (
                "version=\"ntpd 4.2.8p15, x\", stratum=2",
                &[
                    ("version", Some("\"ntpd 4.2.8p15, x\"")),
                    ("stratum", Some("2")),
                ],
            ),
            (
                "precision=-23,\r\nrootdelay=1.234",
                &[("precision", Some("-23")), ("rootdelay", Some("1.234"))],
            ),
            ("a=1\r\nb=2\r\n", &[("a", Some("1")), ("b", Some("2"))]),
            ("a=1\r\n\0\0\0\0", &[("a", Some("1"))]),
            ("a=1\0b=2", &[("a", Some("1"))]),
            ("=5, x=1", &[("x", Some("1"))]),
            (",,, ,a", &[("a", None)]),
            ("q=\"\"", &[("q", Some("\"\""))]),
            ("u=a\"b", &[("u", Some("a\"b"))]),
            ("t=\"x\"  \r\n", &[("t", Some("\"x\""))]),
            ("a=1,a=2", &[("a", Some("1")), ("a", Some("2"))]),
        ];
        for &(text, want) in table {
            assert_eq!(VarList::parse(text.as_bytes()), Ok(vars(want)), "{text:?}");
        }
    }

    #[test]
    fn parse_errors_name_the_position() {
        let table = [
            (
                "a=1, v=\"open",
                VarListError::UnterminatedValue { position: 7 },
            ),
            (
                "v=\"broken\r\n\", x=1",
                VarListError::UnterminatedValue { position: 2 },
            ),
            ("v=\"x\"y, z=1", VarListError::TrailingJunk { position: 5 }),
        ];
        for (text, err) in table {
            assert_eq!(
                VarList::parse(text.as_bytes()),
                Err(err.clone()),
                "{text:?}"
            );
        }
        let (partial, err) = VarList::parse_partial(b"a=1, b=2, v=\"open");
        assert_eq!(partial, vars(&[("a", Some("1")), ("b", Some("2"))]));
        assert_eq!(err, Some(VarListError::UnterminatedValue { position: 12 }));
    }

    #[test]
    fn length_caps() {
        let long_name = "n".repeat(256);
        assert_eq!(
            VarList::parse(format!("a=1, {long_name}=2").as_bytes()),
            Err(VarListError::NameTooLong {
                position: 5,
                len: 256
            })
        );
        let ok_name = "n".repeat(255);
        assert!(VarList::parse(format!("{ok_name}=2").as_bytes()).is_ok());
        let long_value = "v".repeat(2048);
        assert_eq!(
            VarList::parse(format!("a={long_value}").as_bytes()),
            Err(VarListError::ValueTooLong {
                position: 2,
                len: 2048
            })
        );
        assert!(VarList::parse(format!("a={}", "v".repeat(2047)).as_bytes()).is_ok());
    }

    /// Found by the `varlist` fuzz target (minimized input `.=\x1d"`): only space and tab were
    /// skipped before looking for an opening quote, but the unquoted value was then trimmed of
    /// every blank, leaving the value `"`, which `encode` refused (it would open a quoted
    /// value). Every blank is now skipped before the quote check.
    #[test]
    fn blanks_before_a_quote_open_a_quoted_value() {
        assert_eq!(
            VarList::parse(b".=\x1d\""),
            Err(VarListError::UnterminatedValue { position: 3 })
        );
        let list = VarList::parse(b"a=\x1d\"x, y\"\x0b, b=\x01 2 \x02").unwrap();
        assert_eq!(list.value("a"), Some("\"x, y\""));
        assert_eq!(list.value("b"), Some("2"));
        assert_eq!(
            VarList::parse(list.encode().unwrap().as_bytes()).unwrap(),
            list
        );
    }

    /// Found by the `varlist` fuzz target: 115 octets of invalid UTF-8 in a name passed the
    /// 255-octet cap but became a 355-octet name (each octet replaced by the 3-octet U+FFFD),
    /// which `encode` refused and which would not have parsed back. Lengths are now counted
    /// on the text as stored.
    #[test]
    fn length_caps_count_replaced_invalid_utf8() {
        let name = [0xb1_u8; 86]; // 86 × 3 = 258 octets once replaced
        let mut text = name.to_vec();
        text.extend(b" filtdelay=1");
        assert_eq!(
            VarList::parse(&text),
            Err(VarListError::NameTooLong {
                position: 0,
                len: 258 + " filtdelay".len()
            })
        );
        let list = VarList::parse(&[0xb1; 85]).unwrap();
        let encoded = list.encode().unwrap();
        assert_eq!(VarList::parse(encoded.as_bytes()).unwrap(), list);
        let mut value = b"a=".to_vec();
        value.extend([0xff; 683]); // 2049 octets once replaced
        assert!(matches!(
            VarList::parse(&value),
            Err(VarListError::ValueTooLong { len: 2049, .. })
        ));
        value.truncate(2 + 682);
        let list = VarList::parse(&value).unwrap();
        assert_eq!(
            VarList::parse(list.encode().unwrap().as_bytes()).unwrap(),
            list
        );
    }

    #[test]
    fn encode_table_both_directions() {
        let table: &[(Items<'_>, &str)] = &[
            (&[], ""),
            (&[("stratum", None), ("refid", None)], "stratum,refid"),
            (
                &[
                    ("nonce", Some("e4a1b2c380000000a1b2c3d4")),
                    ("frags", Some("32")),
                ],
                "nonce=e4a1b2c380000000a1b2c3d4,frags=32",
            ),
            (&[("leap", Some(""))], "leap="),
            (&[("s", Some("\"a, b\""))], "s=\"a, b\""),
        ];
        for &(items, text) in table {
            let list = vars(items);
            assert_eq!(list.encode().as_deref(), Ok(text));
            assert_eq!(VarList::parse(text.as_bytes()), Ok(list));
        }
        assert_eq!(
            VarList::names(&["stratum", "refid"]).encode().unwrap(),
            "stratum,refid"
        );
    }

    #[test]
    fn encode_refuses_what_would_not_read_back() {
        for name in ["", "a,b", "a=b", " a", "a ", "a\r", "a\0"] {
            let list: VarList = [Variable::bare(name)].into_iter().collect();
            assert_eq!(
                list.encode(),
                Err(VarListError::InvalidName(name.to_owned()))
            );
        }
        for value in ["a,b", " a", "a ", "\"open", "\"x\"y", "a\nb", "\"", "a\0"] {
            let list: VarList = [Variable::new("n", value)].into_iter().collect();
            assert_eq!(
                list.encode(),
                Err(VarListError::InvalidValue("n".to_owned())),
                "{value:?}"
            );
        }
    }

    #[test]
    fn peer_sample_from_the_notes() {
        // Protocol notes §10.4.
        let text = "srcadr=192.0.2.1, srcport=123, dstadr=192.0.2.99, dstport=123, leap=0, \
                    stratum=2, precision=-23,\r\nrootdelay=1.234, rootdisp=5.678, \
                    refid=198.51.100.4, reftime=0xe4a1b000.12345678, reach=0xff, \
                    filtdelay= 0.51 0.49 0.52 0.50 0.53 0.48 0.50 0.51, \
                    flash=0x0, version=\"ntpd 4.2.8p15@1.3728-o\"\r\n";
        let list = VarList::parse(text.as_bytes()).unwrap();
        assert_eq!(list.len(), 15);
        assert_eq!(list.value("srcadr"), Some("192.0.2.1"));
        assert_eq!(list.get_u64("stratum"), Ok(2));
        assert_eq!(list.get_i64("precision"), Ok(-23));
        assert_eq!(list.get_f64("rootdelay"), Ok(1.234));
        assert_eq!(list.get_hex("reach"), Ok(0xff));
        assert_eq!(list.get_u64("reach"), Ok(0xff));
        assert_eq!(list.get_hex("flash"), Ok(0));
        assert_eq!(
            list.get_timestamp("reftime"),
            Ok(NtpTimestamp::new(0xe4a1_b000, 0x1234_5678))
        );
        assert_eq!(
            list.get_f64_array("filtdelay"),
            Ok(vec![0.51, 0.49, 0.52, 0.50, 0.53, 0.48, 0.50, 0.51])
        );
        assert_eq!(list.value("version"), Some("\"ntpd 4.2.8p15@1.3728-o\""));
        assert_eq!(list.text("version"), Some("ntpd 4.2.8p15@1.3728-o"));
        assert!(list.get("version").unwrap().is_quoted());
    }

    #[test]
    fn typed_access_errors() {
        let list = vars(&[("bare", None), ("word", Some("xyz")), ("neg", Some("-1"))]);
        assert_eq!(list.get_f64("nope"), Err(VarError::Missing("nope".into())));
        assert_eq!(list.get_f64("bare"), Err(VarError::NoValue("bare".into())));
        assert_eq!(
            list.get_u64("neg"),
            Err(VarError::Malformed {
                name: "neg".into(),
                value: "-1".into(),
                expected: "an unsigned integer"
            })
        );
        assert!(list.get_hex("word").is_err());
        assert!(list.get_timestamp("word").is_err());
        assert!(list.get_f64_array("word").is_err());
        assert_eq!(
            list.get_f64("word").unwrap_err().to_string(),
            "variable 'word' is not a number: 'xyz'"
        );
    }

    #[test]
    fn mru_sample_and_indexed_names() {
        // Protocol notes §10.4.
        let text = "nonce=e4a1b2c380000000a1b2c3d4, addr.0=192.0.2.7:123, \
                    last.0=0xe4a1b2c3.00000000, first.0=0xe4a1b000.00000000, ct.0=12, \
                    mv.0=35, rs.0=0x0, qwe.0=12345, now=0xe4a1b2d0.1a2b3c4d, \
                    last.newest=0xe4a1b2c8.00000000";
        let list = VarList::parse(text.as_bytes()).unwrap();
        let indexed: Vec<_> = list.iter().map(Variable::indexed_name).collect();
        assert_eq!(indexed[1], ("addr", Some(0)));
        assert_eq!(indexed[9], ("last.newest", None));
        assert_eq!(list.get_u64("mv.0"), Ok(35));
        let table = [
            ("addr.12", ("addr", Some(12))),
            ("last.older", ("last.older", None)),
            ("stratum", ("stratum", None)),
            ("a.b.3", ("a.b", Some(3))),
            ("x.", ("x.", None)),
            (".5", (".5", None)),
            ("n.99999999999", ("n.99999999999", None)),
        ];
        for (name, want) in table {
            assert_eq!(split_indexed(name), want, "{name}");
        }
    }

    #[test]
    fn display_is_response_style() {
        let list = vars(&[("a", Some("1")), ("b", None), ("c", Some("\"x\""))]);
        assert_eq!(list.to_string(), "a=1, b, c=\"x\"");
        assert_eq!(VarList::parse(list.to_string().as_bytes()), Ok(list));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::VarList;
    use crate::control::test_gens::var_list_any;

    proptest! {
        #[test]
        fn parse_inverts_encode(list in var_list_any()) {
            let text = list.encode().expect("well-formed lists encode");
            prop_assert_eq!(VarList::parse(text.as_bytes()), Ok(list.clone()));
            // ntpd's style, with spaces and line folding, reads back the same.
            let items: Vec<String> = list
                .iter()
                .map(|v| match &v.value {
                    Some(value) => format!("{}  =  {value} ", v.name),
                    None => format!(" {} ", v.name),
                })
                .collect();
            let folded = items.join(",\r\n") + "\r\n\0\0";
            prop_assert_eq!(VarList::parse(folded.as_bytes()), Ok(list));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..800)) {
            let (partial, err) = VarList::parse_partial(&bytes);
            if err.is_none() {
                prop_assert_eq!(VarList::parse(&bytes), Ok(partial));
            }
        }

        #[test]
        fn text_like_input_never_panics(text in "[a-z=,\" \r\n\t0-9.]{0,200}") {
            let _ = VarList::parse(text.as_bytes());
        }
    }
}
