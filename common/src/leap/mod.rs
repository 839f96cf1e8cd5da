//! Leap seconds (protocol notes §6.3): NIST `leap-seconds.list` files ([`file`]: read, check,
//! write with a correct hash), their dates and xntpd 3's leap windows ([`calendar`]), a
//! server's leap state from its mode 6 variables ([`status`]), and what `ntpq leap --set` does
//! for each daemon and how it judges the result ([`plan`]).
//!
//! All of it is sans-IO: the current time is always a parameter.

pub mod calendar;
pub mod file;
pub mod plan;
pub mod status;

pub use calendar::{Xntpd3Window, iso_utc, next_possible_leap, parse_leap_time};
pub use file::{
    HashLine, HashStatus, LeapEntry, LeapFileReport, LeapFileSpec, LeapFinding, LeapSecondsFile,
    LeapSeverity, LeapTransition, hash_text, nist_hash,
};
pub use plan::{
    LeapFileCheckRecord, LeapPlanError, LeapRequest, LeapSetRecord, LeapVerdict, LeapWrite,
    Xntpd3Write, expected_from_file, judge_leapfile, judge_xntpd3, plan_xntpd3,
};
pub use status::{
    LeapBits, LeapDaemon, LeapStatusRecord, MODERN_VARIABLES, ServerLeapState, XNTPD3_VARIABLES,
    Xntpd3LeapRecord,
};
