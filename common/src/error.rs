//! Errors shared by every decoder in the crate.

use thiserror::Error;

/// Why a sequence of octets could not be decoded.
///
/// Each variant carries the offending value so a one-line message can say what and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended before a field could be read.
    #[error("truncated: needed {need} octets, had {have}")]
    Truncated {
        /// Octets required from the current position.
        need: usize,
        /// Octets that were left.
        have: usize,
    },
    /// The version number is outside 1..=4.
    #[error("unsupported NTP version {0}")]
    BadVersion(u8),
    /// The mode field does not match the message family being decoded.
    #[error("unexpected mode {0}")]
    BadMode(u8),
    /// A length or count field disagrees with the datagram.
    #[error("bad length: {0}")]
    BadLength(String),
    /// A field holds a value the format does not allow.
    #[error("bad value for {field}: {value}")]
    BadValue {
        /// The field's name.
        field: &'static str,
        /// The value found, as text.
        value: String,
    },
}

/// A command printed part of its answer before the rest failed to arrive: what was shown is
/// flagged as partial (on standard error, and `"partial": true` in JSON), and the tools exit 5
/// (`docs/exit-codes.md`). Its cause (a timeout, say) follows it in the error chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("partial result: {shown}")]
pub struct PartialResult {
    /// What was shown, for the message (`4096 of the entries`).
    pub shown: String,
}
