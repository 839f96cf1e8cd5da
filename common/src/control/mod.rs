//! Mode 6 control messages, the protocol of ntpq (protocol notes §4, §5).
//!
//! - [`ControlHeader`], [`ControlOpcode`], [`Sequence`], [`AssocId`]: the 12-octet header (§4.1–4.2);
//! - [`ControlRequest`] with [`MacAlignment`]: requests, padded and optionally signed (§4.5);
//! - [`ControlFragment`] and [`MacTrailer`]: one response datagram as received;
//! - [`Reassembler`] and [`ReassemblyLimits`]: ntpq's fragment acceptance rules (§4.6);
//! - [`ControlResponse`]: the reassembled answer;
//! - [`SystemStatus`], [`PeerStatus`], [`ClockStatus`]: status words, rendered as ntpq's
//!   `statustoa` does (§4.7); [`AssocStatus`]: the READSTAT list (§4.8); [`FlashBits`];
//! - [`VarList`] and [`Variable`]: variable-list text (§4.9), with [`split_indexed`] for MRU tags;
//! - [`ControlExchange`]: the sans-IO exchange the transport drives;
//! - [`MruCollector`]: the READ_MRU paging client (§5);
//! - [`ErrorCode`] and [`ControlError`]: what can go wrong (§4.3).
//!
//! Nothing here performs I/O: datagrams go in and out as byte slices.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

mod error;
mod exchange;
mod header;
mod mru;
mod peer;
mod reassembly;
mod request;
mod response;
mod status;
mod vars;

#[cfg(test)]
mod test_gens;

pub use error::{ControlError, ErrorCode, MacProblem};
pub use exchange::ControlExchange;
pub use header::{
    AssocId, CONTROL_HEADER_LEN, CONTROL_MAX_DATA, ControlHeader, ControlOpcode, MODE_CONTROL,
    Sequence,
};
pub use mru::{
    MRU_CLASSIC_FRAGS, MRU_MAX_FRAGS, MruCollector, MruEntry, MruError, MruNext, MruPage,
    MruProgress, NONCE_LIFETIME,
};
pub use peer::{AssocStatus, FlashBits, PeerEvent, PeerStatus, Selection};
pub use reassembly::{IgnoreReason, Push, Reassembler, ReassemblyLimits};
pub use request::{ControlRequest, MacAlignment};
pub use response::{ControlFragment, ControlResponse, MacTrailer};
pub use status::{
    ClockCondition, ClockSource, ClockStatus, LeapIndicator, SystemEvent, SystemStatus,
};
pub use vars::{
    MAX_NAME_LEN, MAX_VALUE_LEN, VarError, VarList, VarListError, Variable, split_indexed,
};
