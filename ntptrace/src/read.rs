//! Reading one hop over the network: one mode 6 request (two or three for a server that does
//! not know `peeradr`), and a mode 3 client request when mode 6 gets no usable answer.

use std::fmt;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use ntpkit::control::{
    AssocId, ControlError, ControlExchange, ControlRequest, ErrorCode, ReassemblyLimits, Sequence,
    VarList, VarListError,
};
use ntpkit::packet::{ClientExchange, ClientRequest};
use ntpkit::record::TraceHop;
use ntpkit::time::{NtpTimestamp, UnixTime};
use ntpkit::trace::{
    HopTarget, hop_from_reply, hop_from_variables, parse_address, plain_system_request,
    source_address_request, system_request,
};
use ntpkit::transport::{Job, Transport, TransportError};

/// NTP's port.
const NTP_PORT: u16 = 123;

/// Why one mode 6 request got no usable answer.
#[derive(Debug)]
enum Mode6Error {
    /// The exchange failed: timeout, server error, malformed response.
    Control(ControlError),
    /// The socket failed (no route, for example).
    Network(std::io::Error),
    /// The response is not a variable list.
    Variables(VarListError),
}

impl fmt::Display for Mode6Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Control(e) => e.fmt(f),
            Self::Network(e) => write!(f, "network error: {e}"),
            Self::Variables(e) => write!(f, "malformed variable list: {e}"),
        }
    }
}

/// A hop that answered neither way: why, for each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    /// Why mode 6 failed.
    pub mode6: String,
    /// Why mode 3 failed.
    pub mode3: String,
}

/// Reads hops over one socket, numbering mode 6 requests.
#[derive(Debug)]
pub struct HopReader {
    transport: Transport,
    sequence: u16,
}

impl HopReader {
    /// A reader over `transport`.
    #[must_use]
    pub fn new(transport: Transport) -> Self {
        Self {
            transport,
            sequence: seed_sequence(),
        }
    }

    /// Reads `target`: mode 6 first, mode 3 when mode 6 gives no usable answer.
    ///
    /// # Errors
    /// Neither mode 6 nor mode 3 got an answer.
    pub fn read(&mut self, target: &HopTarget) -> Result<TraceHop, Unanswered> {
        let peer = SocketAddr::new(target.address, NTP_PORT);
        let mode6 = match self.read_mode6(peer, target) {
            Ok(hop) => return Ok(hop),
            Err(why) => why,
        };
        self.read_mode3(peer, target, mode6)
    }

    fn read_mode6(&mut self, peer: SocketAddr, target: &HopTarget) -> Result<TraceHop, String> {
        let vars = match self.control(peer, system_request()) {
            // A server that does not know one of the names (`peeradr`) refuses the whole list:
            // ask for its default set instead, as the classic tool does.
            Err(Mode6Error::Control(ControlError::Server(ErrorCode::UnknownVariable))) => {
                self.control(peer, plain_system_request())
            }
            other => other,
        }
        .map_err(|e| e.to_string())?;
        let mut hop = hop_from_variables(target, &vars)
            .map_err(|e| format!("unusable system variables: {e}"))?;
        if let (Some(assoc), None) = (hop.system_peer, &hop.system_peer_address) {
            // The classic second request: the system peer's source address.
            let source = self
                .control(peer, source_address_request(AssocId(assoc)))
                .ok()
                .and_then(|v| v.text("srcadr").and_then(parse_address));
            hop.system_peer_address = source.map(|a| a.to_string());
        }
        Ok(hop)
    }

    fn control(
        &mut self,
        peer: SocketAddr,
        request: ControlRequest,
    ) -> Result<VarList, Mode6Error> {
        self.sequence = self.sequence.wrapping_add(1).max(1);
        let (exchange, datagram) = ControlExchange::new(
            request,
            Sequence(self.sequence),
            None,
            ReassemblyLimits::NTPQ,
        )
        .map_err(Mode6Error::Control)?;
        let job = Job {
            peer,
            exchange,
            datagram,
        };
        let (response, _) = self.transport.run(job).map_err(|e| match e {
            TransportError::Exchange(e) => Mode6Error::Control(e),
            TransportError::Io(io) => Mode6Error::Network(io),
        })?;
        response.variables().map_err(Mode6Error::Variables)
    }

    fn read_mode3(
        &self,
        peer: SocketAddr,
        target: &HopTarget,
        mode6: String,
    ) -> Result<TraceHop, Unanswered> {
        let request = ClientRequest {
            transmit: ntp_time(SystemTime::now()),
            ..ClientRequest::default()
        };
        let (exchange, datagram) = ClientExchange::new(request);
        let job = Job {
            peer,
            exchange: exchange.reporting_unsynchronized(),
            datagram,
        };
        match self.transport.run(job) {
            Ok((reply, traffic)) => {
                let sample = traffic.received_at.map(|t| reply.sample(ntp_time(t)));
                Ok(hop_from_reply(target, &reply, mode6, sample))
            }
            Err(e) => Err(Unanswered {
                mode6,
                mode3: e.to_string(),
            }),
        }
    }
}

/// An NTP timestamp from the system clock.
fn ntp_time(t: SystemTime) -> NtpTimestamp {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    NtpTimestamp::from_unix(UnixTime {
        secs: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: since.subsec_nanos(),
    })
}

/// A sequence start that differs between runs, so that a late answer to an earlier run is not
/// taken for ours.
fn seed_sequence() -> u16 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u16::try_from((nanos ^ std::process::id()) & 0x7fff).unwrap_or(1)
}
