//! Mode 6 error codes (protocol notes §4.3) and the control exchange's error type.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;

use super::header::AssocId;
use super::reassembly::IgnoreReason;

/// The code a server puts in the status high octet of an error (E bit) response (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 0, `CERR_UNSPEC`: unspecified error.
    Unspecified,
    /// 1, `CERR_PERMISSION` (also `CERR_NORESOURCE`): authentication failure or no resource.
    Permission,
    /// 2, `CERR_BADFMT`: invalid message length or format.
    BadFormat,
    /// 3, `CERR_BADOP`: invalid opcode.
    BadOpcode,
    /// 4, `CERR_BADASSOC`: unknown association ID.
    BadAssociation,
    /// 5, `CERR_UNKNOWNVAR`: unknown variable name.
    UnknownVariable,
    /// 6, `CERR_BADVALUE`: invalid variable value.
    BadValue,
    /// 7, `CERR_RESTRICT`: administratively prohibited (RFC 9327; not sent by ntpd 4.2.8).
    Restricted,
    /// Any other code.
    Unknown(u8),
}

impl ErrorCode {
    /// The code carried by an error response's status word (its high octet).
    #[must_use]
    pub fn from_status(status: u16) -> Self {
        let [high, _] = status.to_be_bytes();
        Self::from(high)
    }

    /// The status word an error response carries for this code.
    #[must_use]
    pub fn to_status(self) -> u16 {
        u16::from(u8::from(self)) << 8
    }

    /// A short lowercase description, as used in [`ControlError`] messages.
    #[must_use]
    pub fn description(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::Unspecified => "unspecified error",
            Self::Permission => "permission denied (authentication?)",
            Self::BadFormat => "bad request format",
            Self::BadOpcode => "bad opcode",
            Self::BadAssociation => "unknown association",
            Self::UnknownVariable => "unknown variable",
            Self::BadValue => "bad variable value",
            Self::Restricted => "administratively prohibited",
            Self::Unknown(code) => return Cow::Owned(format!("unknown error code {code}")),
        })
    }

    /// ntpq's exact message (without its `***` prefix) for this code, naming `assoc` for
    /// [`ErrorCode::BadAssociation`] as ntpq does.
    #[must_use]
    pub fn ntpq_message(self, assoc: AssocId) -> String {
        match self {
            Self::BadAssociation => format!("Association ID {assoc} unknown to server"),
            other => other.to_string(),
        }
    }
}

impl From<u8> for ErrorCode {
    fn from(code: u8) -> Self {
        match code {
            0 => Self::Unspecified,
            1 => Self::Permission,
            2 => Self::BadFormat,
            3 => Self::BadOpcode,
            4 => Self::BadAssociation,
            5 => Self::UnknownVariable,
            6 => Self::BadValue,
            7 => Self::Restricted,
            other => Self::Unknown(other),
        }
    }
}

impl From<ErrorCode> for u8 {
    fn from(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Unspecified => 0,
            ErrorCode::Permission => 1,
            ErrorCode::BadFormat => 2,
            ErrorCode::BadOpcode => 3,
            ErrorCode::BadAssociation => 4,
            ErrorCode::UnknownVariable => 5,
            ErrorCode::BadValue => 6,
            ErrorCode::Restricted => 7,
            ErrorCode::Unknown(code) => code,
        }
    }
}

/// The classic ntpq message text (`show_error_msg`), e.g. `Server disallowed request
/// (authentication?)`. ntpq names the association for code 4, which this impl cannot
/// know: use [`ErrorCode::ntpq_message`] for the exact text. Code 7 is not in ntpq's table
/// and prints as an unknown code, as ntpq does.
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "Server returned an unspecified error",
            Self::Permission => "Server disallowed request (authentication?)",
            Self::BadFormat => "Server reports a bad format request packet",
            Self::BadOpcode => "Server reports a bad opcode in request",
            Self::BadAssociation => "Association ID unknown to server",
            Self::UnknownVariable => "A request variable unknown to the server",
            Self::BadValue => "Server indicates a request variable was bad",
            Self::Restricted | Self::Unknown(_) => {
                return write!(f, "Server returns unknown error code {}", u8::from(*self));
            }
        })
    }
}

/// Why a mode 6 request could not be built or its exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ControlError {
    /// The request data does not fit one datagram.
    #[error("request data of {len} octets exceeds the {max}-octet limit")]
    DataTooLong {
        /// Octets of data given.
        len: usize,
        /// The limit, [`CONTROL_MAX_DATA`](super::CONTROL_MAX_DATA).
        max: usize,
    },
    /// The request's version number is outside 1..=4, which servers drop silently.
    #[error("unsupported mode 6 version {0}, expected 1 to 4")]
    BadVersion(u8),
    /// The server answered with the E bit set.
    #[error("server error: {}", .0.description())]
    Server(ErrorCode),
    /// A fragment's count claims more data than the datagram holds (ntpq: `ERR_INCOMPLETE`).
    #[error("response fragment claims {count} data octets but carries {available}")]
    TruncatedFragment {
        /// The header's count.
        count: u16,
        /// Octets after the header.
        available: usize,
    },
    /// More fragments arrived than the reassembly limit allows (ntpq: `ERR_TOOMUCH`).
    #[error("response exceeds {max} fragments")]
    TooManyFragments {
        /// The fragment limit.
        max: usize,
    },
    /// A fragment reaches beyond the reassembly byte limit (ntpq: `ERR_TOOMUCH`).
    #[error("response data reaching octet {end} exceeds the {max}-octet limit")]
    TooMuchData {
        /// Offset plus count of the offending fragment.
        end: usize,
        /// The byte limit.
        max: usize,
    },
    /// Two fragments at the same offset carry different data: the answer cannot be trusted
    /// (ntpq keeps the first and ignores the second).
    #[error("two response fragments at offset {offset} carry different data")]
    ConflictingFragment {
        /// The offset both fragments claim.
        offset: u16,
    },
    /// A response to a signed request does not carry a valid MAC made with the request's key.
    #[error("response MAC {problem}")]
    BadMac {
        /// What is wrong with it.
        problem: MacProblem,
    },
    /// Nothing arrived before the last deadline (ntpq: `ERR_TIMEOUT`).
    #[error("no response after {}", timeout_text(*attempts, *strays, *last_stray))]
    Timeout {
        /// Datagrams sent, the first included.
        attempts: u32,
        /// Datagrams the server sent meanwhile that answered no request of ours.
        strays: u32,
        /// What was wrong with the last of them.
        last_stray: Option<IgnoreReason>,
    },
    /// Some fragments arrived but not all before the last deadline (ntpq: `ERR_INCOMPLETE`).
    #[error("incomplete response: {fragments} fragments, {octets} octets received")]
    Incomplete {
        /// Fragments held when the exchange gave up.
        fragments: usize,
        /// Data octets held.
        octets: usize,
        /// The data received contiguously from offset 0, kept only by exchanges that asked
        /// for it ([`ControlExchange::keeping_prefix`]); empty otherwise.
        ///
        /// [`ControlExchange::keeping_prefix`]: super::ControlExchange::keeping_prefix
        prefix: Vec<u8>,
    },
}

/// `2 attempts`, and what the server sent instead of an answer, if anything.
fn timeout_text(attempts: u32, strays: u32, last: Option<IgnoreReason>) -> String {
    let plural = |n: u32| if n == 1 { "" } else { "s" };
    let mut text = format!("{attempts} attempt{}", plural(attempts));
    if let Some(reason) = last.filter(|_| strays > 0) {
        text.push_str(&format!(
            " ({strays} datagram{} from the server ignored, the last: {reason})",
            plural(strays)
        ));
    }
    text
}

/// What is wrong with a response's MAC ([`ControlError::BadMac`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacProblem {
    /// No MAC trailer (or one of an impossible length).
    Missing,
    /// The trailer names another key than the request's.
    WrongKey {
        /// The key ID the response names.
        got: u32,
        /// The request's key ID.
        want: u32,
    },
    /// The digest does not verify with the request's key.
    WrongDigest,
}

impl std::fmt::Display for MacProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("missing or of a wrong length"),
            Self::WrongKey { got, want } => write!(f, "made with key {got}, not key {want}"),
            Self::WrongDigest => f.write_str("does not verify"),
        }
    }
}

impl ControlError {
    /// The message ntpq 4.2.8 prints for the same condition (without its `***` prefix);
    /// `assoc` is the association the request addressed.
    #[must_use]
    pub fn ntpq_message(&self, assoc: AssocId) -> String {
        match self {
            Self::DataTooLong { len, .. } => format!("Internal error!  qsize ({len}) too large"),
            Self::BadVersion(_) => "versions 1 to 4, please".to_owned(),
            Self::Server(code) => code.ntpq_message(assoc),
            Self::TruncatedFragment { .. } | Self::Incomplete { .. } => {
                "Response from server was incomplete".to_owned()
            }
            Self::TooManyFragments { .. } | Self::TooMuchData { .. } => {
                "Buffer size exceeded for returned data".to_owned()
            }
            Self::Timeout { .. } => "Request timed out".to_owned(),
            Self::ConflictingFragment { .. } | Self::BadMac { .. } => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_both_directions() {
        let table = [
            (
                0,
                ErrorCode::Unspecified,
                "Server returned an unspecified error",
            ),
            (
                1,
                ErrorCode::Permission,
                "Server disallowed request (authentication?)",
            ),
            (
                2,
                ErrorCode::BadFormat,
                "Server reports a bad format request packet",
            ),
            (
                3,
                ErrorCode::BadOpcode,
                "Server reports a bad opcode in request",
            ),
            (
                4,
                ErrorCode::BadAssociation,
                "Association ID 7 unknown to server",
            ),
            (
                5,
                ErrorCode::UnknownVariable,
                "A request variable unknown to the server",
            ),
            (
                6,
                ErrorCode::BadValue,
                "Server indicates a request variable was bad",
            ),
            (
                7,
                ErrorCode::Restricted,
                "Server returns unknown error code 7",
            ),
            (
                42,
                ErrorCode::Unknown(42),
                "Server returns unknown error code 42",
            ),
        ];
        for (code, err, message) in table {
            assert_eq!(ErrorCode::from(code), err);
            assert_eq!(u8::from(err), code);
            assert_eq!(ErrorCode::from_status(u16::from(code) << 8 | 0xff), err);
            assert_eq!(err.to_status(), u16::from(code) << 8);
            assert_eq!(err.ntpq_message(AssocId(7)), message);
        }
        for code in 0..=u8::MAX {
            assert_eq!(u8::from(ErrorCode::from(code)), code);
        }
    }

    #[test]
    fn messages_are_lowercase_one_liners() {
        let errors = [
            ControlError::DataTooLong { len: 500, max: 468 },
            ControlError::BadVersion(7),
            ControlError::Server(ErrorCode::UnknownVariable),
            ControlError::Server(ErrorCode::Unknown(9)),
            ControlError::TruncatedFragment {
                count: 100,
                available: 40,
            },
            ControlError::TooManyFragments { max: 32 },
            ControlError::TooMuchData {
                end: 20000,
                max: 15360,
            },
            ControlError::Timeout {
                attempts: 2,
                strays: 0,
                last_stray: None,
            },
            ControlError::Incomplete {
                fragments: 3,
                octets: 1404,
                prefix: Vec::new(),
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(text.starts_with(|c: char| c.is_ascii_lowercase()), "{text}");
            assert!(!text.ends_with('.') && !text.contains('\n'), "{text}");
        }
        assert_eq!(
            ControlError::Server(ErrorCode::UnknownVariable).to_string(),
            "server error: unknown variable"
        );
        assert_eq!(
            ControlError::Timeout {
                attempts: 2,
                strays: 0,
                last_stray: None
            }
            .ntpq_message(AssocId::SYSTEM),
            "Request timed out"
        );
        assert_eq!(
            ControlError::Server(ErrorCode::BadAssociation).ntpq_message(AssocId(3)),
            "Association ID 3 unknown to server"
        );
    }
}
