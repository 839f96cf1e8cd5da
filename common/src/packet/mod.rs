//! The NTP packet of modes 1–5 (RFC 5905 §7.3, protocol notes §2): header fields and
//! reference IDs.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

mod fields;
mod refclock;
mod refid;

pub use fields::{LeapIndicator, NtpMode, Stratum};
pub use refclock::{is_refclock_addr, refclock_display, refclock_name, refclock_type_name};
pub use refid::{
    KissCode, RefIdContext, RefIdKind, RefIdOrigin, RefIdSummary, RefIdValue, ReferenceId,
    refid_for_ipv6,
};
