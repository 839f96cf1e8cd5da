//! A mode 7 exchange that counts its own traffic and hands server error codes back as
//! results, so every exchange — answered, refused or silent — reports what it cost: the bytes
//! sent against the bytes received (a mode 7 amplification factor).

use ntpkit::exchange::{Exchange, Progress};
use ntpkit::private::{PrivateError, PrivateExchange, PrivateResponse};
use ntpkit::transport::Traffic;

/// What a metered exchange ends with when it does not complete: the cause and the traffic
/// spent on it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Unanswered {
    /// Why (a timeout, an incomplete reply, an undecodable datagram).
    pub error: PrivateError,
    /// What was sent and received.
    pub traffic: Traffic,
}

/// The server's answer: a response, or its error code; with the exchange's traffic.
#[derive(Debug)]
pub struct Answer {
    /// The response, or the server's refusal.
    pub result: Result<PrivateResponse, PrivateError>,
    /// What was sent and received.
    pub traffic: Traffic,
}

/// [`PrivateExchange`] plus byte counting.
#[derive(Debug)]
pub struct MeteredExchange {
    inner: PrivateExchange,
    traffic: Traffic,
}

impl MeteredExchange {
    /// Wraps `inner`, whose first datagram (`first`) is about to be sent.
    pub fn new(inner: PrivateExchange, first: &[u8]) -> Self {
        Self {
            inner,
            traffic: Traffic {
                datagrams_sent: 1,
                bytes_sent: first.len(),
                ..Traffic::default()
            },
        }
    }
}

impl Exchange for MeteredExchange {
    type Output = Answer;
    type Error = Unanswered;

    fn key(&self) -> u64 {
        self.inner.key()
    }

    fn key_of(datagram: &[u8]) -> Option<u64> {
        PrivateExchange::key_of(datagram)
    }

    fn on_datagram(&mut self, datagram: &[u8]) -> Result<Progress<Answer>, Unanswered> {
        self.traffic.datagrams_received += 1;
        self.traffic.bytes_received += datagram.len();
        match self.inner.on_datagram(datagram) {
            Ok(Progress::Pending) => Ok(Progress::Pending),
            Ok(Progress::Done(response)) => Ok(Progress::Done(Answer {
                result: Ok(response),
                traffic: self.traffic,
            })),
            Err(error @ PrivateError::Info(_)) => Ok(Progress::Done(Answer {
                result: Err(error),
                traffic: self.traffic,
            })),
            Err(error) => Err(Unanswered {
                error,
                traffic: self.traffic,
            }),
        }
    }

    fn on_stray(&mut self, datagram: &[u8]) {
        self.inner.on_stray(datagram);
    }

    fn on_timeout(&mut self) -> Result<Vec<u8>, Unanswered> {
        match self.inner.on_timeout() {
            Ok(datagram) => {
                self.traffic.datagrams_sent += 1;
                self.traffic.bytes_sent += datagram.len();
                Ok(datagram)
            }
            Err(error) => Err(Unanswered {
                error,
                traffic: self.traffic,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntpkit::private::{Implementation, InfoCode, PrivateHeader, PrivateRequest, RequestCode};

    #[test]
    fn counts_both_ways_and_keeps_server_errors() {
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::MonGetList1);
        let (inner, first) = PrivateExchange::new(&req, None).unwrap();
        let mut ex = MeteredExchange::new(inner, &first);
        let resend = ex.on_timeout().unwrap();
        assert_eq!(resend, first);
        let reply = PrivateHeader {
            response: true,
            err: InfoCode::NoData,
            ..PrivateHeader::request(Implementation::Xntpd, RequestCode::MonGetList1)
        }
        .encode();
        match ex.on_datagram(&reply).unwrap() {
            Progress::Done(answer) => {
                assert_eq!(answer.result, Err(PrivateError::Info(InfoCode::NoData)));
                assert_eq!(answer.traffic.datagrams_sent, 2);
                assert_eq!(answer.traffic.bytes_sent, 384);
                assert_eq!(answer.traffic.bytes_received, 8);
            }
            Progress::Pending => panic!("an error code ends the exchange"),
        }
    }

    #[test]
    fn a_silent_server_reports_what_was_sent() {
        let req = PrivateRequest::new(Implementation::Xntpd, RequestCode::PeerList);
        let (inner, first) = PrivateExchange::new(&req, None).unwrap();
        let mut ex = MeteredExchange::new(inner, &first);
        ex.on_timeout().unwrap();
        let err = ex.on_timeout().unwrap_err();
        assert_eq!(err.error, PrivateError::Timeout);
        assert_eq!(err.traffic.bytes_sent, 384);
        assert_eq!(err.traffic.bytes_received, 0);
    }
}
