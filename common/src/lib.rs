//! ntpkit: the protocol core shared by every ntpkit tool.
//!
//! **Sans-IO contract.** Everything in this crate except [`transport`] and [`local_time`] is a
//! pure codec or state machine: it never opens a socket, never reads a clock, never sleeps and
//! never prints. Bytes and times go in as parameters, bytes and typed values come out. That keeps
//! every decoder testable with captured datagrams, fuzzable, and reusable by blocking tools,
//! pipelined fleet queries and the TUI alike. [`transport`] is the one thin blocking UDP layer
//! that feeds datagrams to the exchanges; [`local_time`] asks the system for its time zone's
//! offset, which the renderings take as a parameter.
//!
//! Where each protocol lives:
//! - [`time`]: NTP timestamps and short formats, eras, the classic text renderings;
//! - [`packet`]: the 48-octet NTP packet (modes 1–5) and reference IDs;
//! - [`control`]: mode 6 control messages (ntpq): header, opcodes, errors, status words,
//!   variable lists, fragment reassembly and the request/response exchange;
//! - [`private`]: mode 7 private messages (ntpdc): header, request codes, typed items in both
//!   item sizes, response reassembly and the exchange;
//! - [`sync`]: sanity checks, best sample, falseticker rejection and drift for one-shot clients;
//! - [`trace`]: ntptrace's walk up a synchronization path (requests, hops, stop rules);
//! - [`auth`]: keys files, key types and MACs (MD5, SHA1, SHA256, AES-128-CMAC, legacy DES);
//! - [`check`]: health checks of servers (metrics, thresholds, verdicts) and their Nagios and
//!   OpenMetrics renderings;
//! - [`leap`]: leap-seconds files (check, write), a server's leap state, `ntpq leap --set`'s plan;
//! - [`record`] and [`format`](mod@format): typed, serializable results rendered as tables or JSON;
//! - [`local_time`]: the local time zone's offset from UTC (through `chrono`), for dates in
//!   local time.
//!
//! Section numbers such as "§4.6" refer to the project's protocol notes.
#![warn(missing_docs)]

pub mod auth;
pub mod check;
pub mod control;
pub mod error;
pub mod exchange;
pub mod format;
pub mod leap;
pub mod local_time;
pub mod packet;
pub mod private;
pub mod record;
pub mod sync;
pub mod time;
pub mod trace;
pub mod transport;
pub(crate) mod wire;

pub use error::{DecodeError, PartialResult};
