//! How a session's requests reach the network: over a socket of its own, or over a fleet's
//! shared socket ([`crate::fleet`]). Either way many requests go out at once, up to a window,
//! and their answers are matched by sequence number.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, anyhow};
use ntpkit::auth::Key;
use ntpkit::control::{
    ControlExchange, ControlRequest, ControlResponse, MacAlignment, ReassemblyLimits, Sequence,
};
use ntpkit::transport::{Job, JobResult, Pipeline, Traffic, Transport, TransportError};

use crate::debug::{self, Tracer};
use crate::fleet::Lane;

/// Requests in flight at once for one host: enough for every association of a busy server in
/// one round trip, few enough not to flood it.
pub const WINDOW: usize = 16;

/// One mode 6 request as a command wants it sent.
#[derive(Debug, Clone)]
pub struct Query {
    /// The request.
    pub request: ControlRequest,
    /// The key to sign it with.
    pub key: Option<Key>,
    /// How much of an answer to accept.
    pub limits: ReassemblyLimits,
    /// Resends after a timeout (ntpq: 1).
    pub retries: u32,
    /// How long to wait for each reply datagram.
    pub timeout: Duration,
    /// Shorter waits for the first datagram and between datagrams, when known.
    pub patience: Option<(Duration, Duration)>,
    /// End at the first deadline that finds part of an answer held, keeping its prefix.
    pub keep_prefix: bool,
}

impl Query {
    /// A request with ntpq's limits and retries.
    pub fn new(request: ControlRequest, key: Option<Key>, timeout: Duration) -> Self {
        Self {
            request,
            key,
            limits: ReassemblyLimits::NTPQ,
            retries: ControlExchange::CLASSIC_RETRIES,
            timeout,
            patience: None,
            keep_prefix: false,
        }
    }

    /// Sequence numbers one exchange may use: it moves to the next one after each resend
    /// that follows a partial answer.
    fn sequences_needed(&self) -> u16 {
        u16::try_from(self.retries.saturating_add(1)).unwrap_or(u16::MAX)
    }

    /// The exchange and its first datagram, with a sequence number from `sequences`.
    fn job(
        &self,
        peer: SocketAddr,
        sequences: &mut Sequences,
    ) -> anyhow::Result<Job<ControlExchange>> {
        let sequence = sequences.take(self.sequences_needed());
        let (mut exchange, datagram) = ControlExchange::new(
            self.request.clone(),
            sequence,
            self.key.as_ref().map(|k| (k, MacAlignment::Eight)),
            self.limits,
        )?;
        exchange = exchange.with_retries(self.retries);
        if let Some((first, between)) = self.patience {
            exchange = exchange.with_patience(first, between);
        }
        if self.keep_prefix {
            exchange = exchange.keeping_prefix();
        }
        Ok(Job {
            peer,
            exchange,
            datagram,
        })
    }
}

/// What one query ended with: the answer and what it cost, or why not.
pub type Answer = anyhow::Result<(ControlResponse, Traffic)>;

/// Hands out sequence numbers, reserving the ones an exchange may move to, so that requests
/// in flight together never share one.
#[derive(Debug, Clone, Copy)]
pub struct Sequences(u16);

impl Sequences {
    /// Starting after `last`.
    pub fn after(last: u16) -> Self {
        Self(last)
    }

    /// The next `count` numbers (never 0); returns the first.
    pub fn take(&mut self, count: u16) -> Sequence {
        let mut first = self.0.wrapping_add(1);
        if first == 0 || first.checked_add(count).is_none() {
            first = 1;
        }
        self.0 = first.wrapping_add(count.max(1) - 1);
        Sequence(first)
    }
}

/// Where a session's requests go out.
#[derive(Debug)]
pub enum Link {
    /// A socket of its own, opened at the first request.
    Own(Option<Transport>),
    /// A lane of a fleet's shared socket.
    Shared(Lane),
}

impl Link {
    /// Runs `queries` against `peer`, at most [`WINDOW`] at once, with debug lines at
    /// `debug`; answers come back in the order of `queries`.
    pub fn run(
        &mut self,
        peer: SocketAddr,
        queries: Vec<Query>,
        debug: i32,
        sequences: &mut Sequences,
    ) -> Vec<Answer> {
        match self {
            Self::Own(transport) => {
                if transport.is_none() {
                    match Transport::new(crate::session::DEFAULT_TIMEOUT) {
                        Ok(t) => *transport = Some(t),
                        Err(e) => {
                            return queries
                                .iter()
                                .map(|_| Err(anyhow!("cannot open a UDP socket: {e}")))
                                .collect();
                        }
                    }
                }
                let Some(transport) = transport.as_ref() else {
                    return Vec::new();
                };
                let mut tracer = Tracer::new(debug);
                run_on(
                    transport,
                    peer,
                    &queries,
                    sequences,
                    &mut tracer,
                    &mut io::stderr(),
                )
            }
            Self::Shared(lane) => lane.run(peer, queries, debug),
        }
    }
}

/// Runs `queries` against `peer` over `transport` (the one-host path; a fleet feeds its own
/// pipeline), tracing at the tracer's level to `err`.
pub fn run_on(
    transport: &Transport,
    peer: SocketAddr,
    queries: &[Query],
    sequences: &mut Sequences,
    tracer: &mut Tracer,
    err: &mut dyn Write,
) -> Vec<Answer> {
    let mut answers: Vec<Option<Answer>> = queries.iter().map(|_| None).collect();
    let mut pipeline = Pipeline::new(transport, WINDOW);
    for (index, query) in queries.iter().enumerate() {
        match query.job(peer, sequences) {
            Ok(job) => pipeline.submit_with_timeout(index, job, query.timeout),
            Err(e) => answers[index] = Some(Err(e)),
        }
    }
    while !pipeline.is_empty() {
        for (index, result) in pipeline.poll(None, &mut |e| tracer.observe(e, err)) {
            if let Some(slot) = answers.get_mut(index) {
                *slot = Some(finish(result, tracer, err));
            }
        }
    }
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(anyhow!("request was not run"))))
        .collect()
}

/// A transport result as a command sees it, with the classic debug line for a complete answer.
pub fn finish(result: JobResult<ControlExchange>, tracer: &Tracer, err: &mut dyn Write) -> Answer {
    match result {
        Ok((response, traffic)) => {
            if tracer.enabled() {
                let _ = err.write_all(debug::reassembled(response.fragments).as_bytes());
            }
            Ok((response, traffic))
        }
        Err(TransportError::Exchange(e)) => Err(e.into()),
        Err(TransportError::Io(e)) => Err(anyhow::Error::new(e)).context("network error"),
    }
}

/// Builds a job for a fleet's pipeline.
///
/// # Errors
/// The request cannot be encoded.
pub fn job_for(
    query: &Query,
    peer: SocketAddr,
    sequences: &mut Sequences,
) -> anyhow::Result<Job<ControlExchange>> {
    query.job(peer, sequences)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_leave_room_for_resends_and_skip_zero() {
        let mut s = Sequences::after(10);
        assert_eq!(s.take(2), Sequence(11));
        assert_eq!(s.take(2), Sequence(13));
        assert_eq!(s.take(1), Sequence(15));
        let mut s = Sequences::after(65_534);
        assert_eq!(s.take(2), Sequence(1), "no range wraps through 0");
        assert_eq!(s.take(2), Sequence(3));
        let mut s = Sequences::after(u16::MAX);
        assert_eq!(s.take(1), Sequence(1));
    }
}
