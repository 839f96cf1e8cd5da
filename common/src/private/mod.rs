//! Mode 7 private messages, the protocol of ntpdc (protocol notes §7).
//!
//! Everything here is sans-IO: [`PrivateRequest`] encodes datagrams (optionally authenticated
//! with a caller-supplied timestamp), [`PrivateReassembler`] checks and collects response
//! fragments, typed items ([`PrivateItem`]) decode and encode both the full (IPv6-capable) and the
//! pre-IPv6 item sizes, [`PrivateExchange`] drives one request/response through
//! [`crate::exchange::Exchange`], and [`FallbackPlanner`] reproduces ntpdc's compatibility
//! retries.
//!
//! Byte order: mode 7 fields are big-endian except the handful ntpd copies in host order
//! (§11 row 11); those are read and written little-endian, as an x86 ntpd sends them.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

mod exchange;
mod header;
mod items;
mod request;
mod response;
#[cfg(test)]
mod test_gens;

pub use exchange::{FallbackPlanner, FallbackStep, PrivateExchange};
pub use header::{
    Implementation, InfoCode, MAX_COUNT, MAX_SEQUENCE, MODE_PRIVATE, PRIVATE_VERSION,
    PrivateHeader, RequestCode,
};
pub use items::{
    AuthInfoItem, ClockAddrItem, ClockBugItem, ClockInfoItem, ConfFudgeItem, ConfPeerFlags,
    ConfPeerItem, ConfRestrictItem, ConfRestrictP18Item, ConfSysFlagsItem, ConfTrapItem,
    ConfUnpeerItem, ControlStatsItem, FudgeWhich, IfStatsItem, InfoFlags, InterfaceFlags,
    IoStatsItem, KernelInfoItem, KernelStatus, KeyIdItem, LoopInfoItem, MemStatsItem, MonitorItem,
    MonitorItem1, MonitorList, OldMonitorItem, OldRestrictFlags, PeerInfoItem, PeerListItem,
    PeerStatsItem, PeerSummaryItem, PrivateItem, ResetFlags, ResetFlagsItem, RestrictFlags,
    RestrictFlagsP15, RestrictItem, RestrictMatchFlags, ServerLong, SysFlags, SysInfoFlags,
    SysInfoItem, SysStatsItem, TimerStatsItem, TrapFlags, TrapItem, TrustKeyList,
};
pub use request::{PrivateRequest, RequestSize};
pub use response::{
    FragmentOutcome, IgnoreReason, PrivateReassembler, PrivateResponse, RESP_DATA_SIZE,
};

use thiserror::Error;

use crate::error::DecodeError;

/// Why a mode 7 request could not be built or its response not obtained.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PrivateError {
    /// The server answered with a non-zero error code.
    #[error("server error: {0}")]
    Info(InfoCode),
    /// A datagram or item could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A datagram answering our request (our implementation and request code, a response)
    /// is malformed: it claims more item data than it carries (ntpdc ignores it).
    #[error("malformed response: {0}")]
    Malformed(IgnoreReason),
    /// Two fragments with the same sequence number carry different data: the answer cannot be
    /// trusted (ntpdc keeps the first and ignores the second).
    #[error("two response fragments with sequence {0} carry different data")]
    ConflictingFragment(u8),
    /// Nothing usable arrived, even after the one resend, but the server sent datagrams that
    /// answer no request of ours (another request code or implementation, the R bit clear, a
    /// truncated header).
    #[error(
        "timed out, nothing valid received ({strays} datagram{} from the server ignored, the last: {last})",
        if *strays == 1 { "" } else { "s" }
    )]
    NoValidAnswer {
        /// How many.
        strays: u32,
        /// What was wrong with the last.
        last: IgnoreReason,
    },
    /// Nothing arrived before the deadline, even after the one resend.
    #[error("timed out, nothing received")]
    Timeout,
    /// Some fragments arrived, but not all of them, even after the one resend.
    #[error("timed out with incomplete data")]
    Incomplete,
    /// Items of this size are not a layout of the item type.
    #[error("incorrect item size {size} (expected one of {expected:?})")]
    ItemSize {
        /// The size given or received.
        size: usize,
        /// The sizes the item type has.
        expected: &'static [usize],
    },
    /// An IPv6 address cannot be carried by a pre-IPv6 (v4-size) item.
    #[error("server doesn't understand IPv6 addresses")]
    Ipv6Unsupported,
    /// One item cannot carry both IPv4 and IPv6 addresses (it has a single `v6_flag`).
    #[error("cannot mix IPv4 and IPv6 addresses in one item")]
    MixedFamilies,
    /// The request's items do not fit in the chosen request size.
    #[error("request data of {len} octets does not fit in {room}")]
    RequestTooLarge {
        /// Octets of item data.
        len: usize,
        /// Octets available for items.
        room: usize,
    },
    /// A count does not fit its field (12-bit `nitems`/`itemsize`, 128 fragments).
    #[error("{field} {value} out of range")]
    OutOfRange {
        /// `nitems`, `itemsize` or `fragments`.
        field: &'static str,
        /// The value asked for.
        value: usize,
    },
    /// Keys with digests longer than 16 octets only work with the 192-octet request size.
    #[error("{mac_len}-octet digests need the 192-octet request size")]
    DigestNeedsFullSize {
        /// The key's MAC length.
        mac_len: usize,
    },
}
