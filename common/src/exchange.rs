//! The contract between a sans-IO request/response exchange and [`crate::transport`].
//!
//! An exchange is created together with the first datagram to send. The transport then feeds it
//! every datagram that arrives from the peer it asked and whose demultiplexing key
//! ([`Exchange::key_of`]) equals the exchange's own ([`Exchange::key`]), and calls
//! [`Exchange::on_timeout`] when a deadline passes. The exchange never sees a socket or a clock.
//! Keys let one socket carry many exchanges at once: mode 6 uses opcode and sequence, mode 7 the
//! request code, modes 3/4 the origin timestamp.

use std::time::Duration;

/// What a datagram did to an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress<T> {
    /// Accepted (or harmlessly ignored); more datagrams are needed.
    Pending,
    /// The exchange is complete with this result.
    Done(T),
}

/// A request/response exchange driven by datagrams and timeouts.
pub trait Exchange {
    /// What a completed exchange yields.
    type Output;
    /// Why an exchange failed (server error, malformed reply, retries used up, …).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The demultiplexing key that responses to this exchange carry.
    fn key(&self) -> u64;

    /// The demultiplexing key of a received datagram, or `None` when the datagram cannot be a
    /// response of this message family at all (it is then dropped).
    fn key_of(datagram: &[u8]) -> Option<u64>
    where
        Self: Sized;

    /// Feeds one datagram whose key matched. Datagrams that are not acceptable but harmless
    /// (duplicates, stale fragments) return `Ok(Progress::Pending)`; errors end the exchange.
    ///
    /// # Errors
    /// A server error reply or a reply that can never be completed.
    fn on_datagram(&mut self, datagram: &[u8]) -> Result<Progress<Self::Output>, Self::Error>;

    /// Called when the reply deadline passed. Returns the datagram to send again (the exchange
    /// may change its key first, e.g. bump a sequence number), or the error to report.
    ///
    /// # Errors
    /// The retry budget is used up: a timeout, or an incomplete reply.
    fn on_timeout(&mut self) -> Result<Vec<u8>, Self::Error>;

    /// Why the datagram last fed to [`Exchange::on_datagram`] was ignored, if it was, in words
    /// for debug output (a duplicate fragment, an overlap, …). The default never says.
    fn last_ignored(&self) -> Option<String> {
        None
    }

    /// A datagram from this exchange's peer that no running exchange expects (another
    /// sequence number or opcode, a request, a truncated header): the exchange may remember
    /// it, to say when it gives up what the peer sent instead of an answer. The default
    /// ignores it.
    fn on_stray(&mut self, _datagram: &[u8]) {}

    /// How long to wait for the next datagram, when the exchange has its own idea (e.g. a
    /// short wait between the fragments of a burst); `None` (the default) leaves it to the
    /// transport's timeout.
    fn patience(&self) -> Option<Duration> {
        None
    }
}
