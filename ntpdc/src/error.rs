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
    /// A request that must be signed has no key (no key ID, or no secret for it).
    #[error("{0}")]
    NoKey(String),
    /// A host name that does not resolve (as a host on the command line: exit 3).
    #[error("{0}")]
    Unresolved(String),
    /// A command line the command cannot use.
    #[error("{0}")]
    Usage(String),
    /// Anything else that stops the command (no host, no key, a malformed reply, …).
    #[error("{0}")]
    Failed(String),
    /// The socket failed. (Not a `source`: the message names the cause once.)
    #[error("network error: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for CmdError {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

impl CmdError {
    /// The documented exit code: 1 server error or failed command, 2 usage, 3 timeout or
    /// unreachable, 4 authentication refused or no key for a request that needs one.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Server(_) | Self::Mode7Disabled(_) | Self::Failed(_) => 1,
            Self::Usage(_) => 2,
            Self::Timeout
            | Self::NoValidAnswer(_)
            | Self::Incomplete
            | Self::Io(_)
            | Self::Unresolved(_) => 3,
            Self::Refused(_) | Self::NoKey(_) => 4,
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
            Self::NoKey(_) => "no_key",
            Self::Unresolved(_) => "unresolved",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_shared_scheme() {
        assert_eq!(CmdError::Server(InfoCode::NoData).exit_code(), 1);
        assert_eq!(usage("x").exit_code(), 2);
        assert_eq!(CmdError::Timeout.exit_code(), 3);
        assert_eq!(CmdError::Incomplete.exit_code(), 3);
        assert_eq!(CmdError::Refused("k".into()).exit_code(), 4);
        assert_eq!(CmdError::NoKey("none".into()).exit_code(), 4, "as ntpq");
        assert_eq!(CmdError::NoKey("none".into()).kind(), "no_key");
        assert_eq!(CmdError::Unresolved("x".into()).exit_code(), 3);
    }

    #[test]
    fn a_network_error_names_its_cause_once() {
        let err = anyhow::Error::new(CmdError::from(std::io::Error::from(
            std::io::ErrorKind::NetworkUnreachable,
        )));
        let shown = format!("{err:#}");
        assert_eq!(shown.matches("unreachable").count(), 1, "{shown}");
        assert_eq!(
            CmdError::Io(std::io::ErrorKind::Other.into()).exit_code(),
            3
        );
    }
}
