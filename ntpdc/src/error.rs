//! Why a command failed, and the exit code each cause maps to.

use ntpkit::private::InfoCode;

/// A command's failure. The message is one line; the dispatcher prefixes host and command.
#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    /// The server answered with an error code other than "permission denied".
    #[error("server error: {0}")]
    Server(InfoCode),
    /// The server refused an authenticated request (`INFO_ERR_AUTH`).
    #[error("server error: permission denied ({0})")]
    Refused(String),
    /// Nothing came back, and mode 6 went unanswered too (or was not tried).
    #[error("timed out, nothing received")]
    Timeout,
    /// Datagrams came back, but none answered the request (see
    /// [`ntpkit::private::PrivateError::NoValidAnswer`]).
    #[error("{0}")]
    NoValidAnswer(String),
    /// Part of a response came back.
    #[error("timed out with incomplete data")]
    Incomplete,
    /// Mode 7 went unanswered but mode 6 was answered: the server has mode 7 off.
    #[error("mode 7 disabled on {0}; `enable mode7` or use ntpq")]
    Mode7Disabled(String),
    /// A command line the command cannot use.
    #[error("{0}")]
    Usage(String),
    /// Anything else that stops the command (no host, no key, a malformed reply, …).
    #[error("{0}")]
    Failed(String),
    /// The socket failed.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
}

impl CmdError {
    /// The documented exit code: 1 server error or failed command, 2 usage, 3 timeout or
    /// unreachable, 4 authentication refused.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Server(_) | Self::Mode7Disabled(_) | Self::Failed(_) => 1,
            Self::Usage(_) => 2,
            Self::Timeout | Self::NoValidAnswer(_) | Self::Incomplete | Self::Io(_) => 3,
            Self::Refused(_) => 4,
        }
    }

    /// A short machine-readable name for JSON.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Server(code) => match code {
                InfoCode::Impl => "implementation_incompatible",
                InfoCode::Req => "request_not_implemented",
                InfoCode::Fmt => "format_error",
                InfoCode::NoData => "data_not_found",
                InfoCode::Auth => "permission_denied",
                InfoCode::Okay | InfoCode::Unknown(_) => "server_error",
            },
            Self::Refused(_) => "permission_denied",
            Self::Timeout | Self::NoValidAnswer(_) => "timeout",
            Self::Incomplete => "incomplete",
            Self::Mode7Disabled(_) => "mode7_disabled",
            Self::Usage(_) => "usage",
            Self::Failed(_) => "failed",
            Self::Io(_) => "network",
        }
    }
}

/// Shorthand for a usage error.
pub fn usage(message: impl Into<String>) -> CmdError {
    CmdError::Usage(message.into())
}
