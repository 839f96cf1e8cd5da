//! `-d`, `-D n` and `debug more`: what went over the wire, on standard error.
//!
//! At level 1 every request sent and every datagram received gets one line with its mode 6
//! header decoded (opcode, sequence, status, association, offset, count, R/E/M bits, VN), every
//! datagram that was not used gets a line saying why (a duplicate or overlapping fragment, a late
//! answer to an earlier request, a datagram from an address no request went to, …), and every
//! complete answer says how many datagrams it took, as classic ntpq does. From level 2 each
//! datagram is also dumped in hex.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;

use ntpkit::control::{ControlHeader, ErrorCode};
use ntpkit::error::DecodeError;
use ntpkit::transport::TransportEvent;

/// Writes debug lines for transport events at a debug level.
#[derive(Debug, Default)]
pub struct Tracer {
    level: i32,
    asked: HashSet<SocketAddr>,
}

impl Tracer {
    /// A tracer for `level` (nothing is written below 1).
    pub fn new(level: i32) -> Self {
        Self {
            level,
            asked: HashSet::new(),
        }
    }

    /// Whether anything is written at all.
    pub fn enabled(&self) -> bool {
        self.level >= 1
    }

    /// Changes the level (a fleet traces with the highest level any host asked for).
    pub fn raise_to(&mut self, level: i32) {
        self.level = self.level.max(level);
    }

    /// Writes the lines for one event; write errors are ignored (debug output must never
    /// fail a command).
    pub fn observe(&mut self, event: TransportEvent<'_>, err: &mut dyn Write) {
        if !self.enabled() {
            if let TransportEvent::Sent { peer, .. } = event {
                self.asked.insert(peer);
            }
            return;
        }
        let mut text = String::new();
        let datagram = match event {
            TransportEvent::Sent { peer, datagram, .. } => {
                self.asked.insert(peer);
                let _ = writeln!(
                    text,
                    "sent {} octets to {peer}: {}",
                    datagram.len(),
                    describe(datagram)
                );
                datagram
            }
            TransportEvent::Delivered {
                from,
                datagram,
                ignored,
                ..
            } => {
                let _ = writeln!(
                    text,
                    "received {} octets from {from}: {}",
                    datagram.len(),
                    describe(datagram)
                );
                if let Some(reason) = ignored {
                    let _ = writeln!(
                        text,
                        "ignored {} octets from {from}: {reason}",
                        datagram.len()
                    );
                }
                datagram
            }
            TransportEvent::Dropped {
                from,
                datagram,
                key,
            } => {
                let _ = writeln!(
                    text,
                    "ignored {} octets from {from}: {}",
                    datagram.len(),
                    self.why_dropped(from, datagram, key.is_some())
                );
                datagram
            }
        };
        if self.level >= 2 {
            text.push_str(&hex_dump(datagram));
        }
        let _ = err.write_all(text.as_bytes());
    }

    /// Why the transport found no exchange for a datagram.
    fn why_dropped(&self, from: SocketAddr, datagram: &[u8], keyed: bool) -> String {
        if !self.asked.contains(&from) {
            return format!(
                "no request went to {from} (a spoofed source?): {}",
                describe(datagram)
            );
        }
        match ControlHeader::decode(datagram) {
            Err(DecodeError::BadMode(mode)) => format!("mode {mode} is not a control message"),
            Err(_) => format!("{} octets is shorter than a mode 6 header", datagram.len()),
            Ok(h) if !h.response => "a request, not a response (R bit clear)".to_owned(),
            Ok(h) if keyed => format!(
                "{} seq={} matches no outstanding request (a late or duplicate answer)",
                h.opcode, h.sequence
            ),
            Ok(_) => "not a mode 6 response".to_owned(),
        }
    }
}

/// The classic line for a complete answer.
pub fn reassembled(fragments: usize) -> String {
    format!("{fragments} packets reassembled into response\n")
}

/// A mode 6 header in words: `readvar seq=7 status=0x0615 assoc=0 offset=0 count=468 R=1
/// E=0 M=1 VN=2`, with the error code of an error response.
pub fn describe(datagram: &[u8]) -> String {
    let header = match ControlHeader::decode(datagram) {
        Ok(h) => h,
        Err(DecodeError::BadMode(mode)) => return format!("not mode 6 (mode {mode})"),
        Err(_) => return "shorter than a mode 6 header".to_owned(),
    };
    let bit = |b: bool| u8::from(b);
    let mut text = format!(
        "{} seq={} status=0x{:04x} assoc={} offset={} count={} R={} E={} M={} VN={}",
        header.opcode,
        header.sequence,
        header.status,
        header.assoc,
        header.offset,
        header.count,
        bit(header.response),
        bit(header.error),
        bit(header.more),
        header.version,
    );
    if header.error {
        let code = ErrorCode::from_status(header.status);
        let _ = write!(text, " error={}", code.description());
    }
    text
}

/// 16 octets a line: offset, hex, printable ASCII.
pub fn hex_dump(datagram: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in datagram.chunks(16).enumerate() {
        let _ = write!(out, "  {:04x}:", i * 16);
        for b in chunk {
            let _ = write!(out, " {b:02x}");
        }
        out.push_str(&"   ".repeat(16 - chunk.len()));
        out.push_str("  ");
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ntpkit::control::{
        AssocId, ControlOpcode, ControlRequest, ControlResponse, LeapIndicator, Sequence,
    };
    use std::time::SystemTime;

    fn fragments() -> Vec<Vec<u8>> {
        ControlResponse {
            opcode: ControlOpcode::ReadVariables,
            sequence: Sequence(7),
            assoc: AssocId(3),
            status: 0x961a,
            leap: LeapIndicator::NoWarning,
            version: 2,
            data: vec![b'x'; 500],
            fragments: 2,
            authenticated: false,
        }
        .to_fragments(None)
        .unwrap()
    }

    fn trace(level: i32, events: &[TransportEvent<'_>]) -> String {
        let mut tracer = Tracer::new(level);
        let mut out = Vec::new();
        for e in events {
            tracer.observe(*e, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_datagram_gets_a_line_and_every_ignored_one_a_reason() {
        let server: SocketAddr = "10.77.0.3:123".parse().unwrap();
        let stranger: SocketAddr = "10.78.3.4:123".parse().unwrap();
        let request = ControlRequest::new(ControlOpcode::ReadVariables, AssocId(3), vec![])
            .encode(Sequence(7), None)
            .unwrap();
        let frags = fragments();
        let at = SystemTime::now();
        let text = trace(
            1,
            &[
                TransportEvent::Sent {
                    peer: server,
                    datagram: &request,
                    at,
                },
                TransportEvent::Delivered {
                    from: server,
                    datagram: &frags[0],
                    at,
                    ignored: None,
                },
                TransportEvent::Delivered {
                    from: server,
                    datagram: &frags[0],
                    at,
                    ignored: Some("duplicate fragment at offset 0"),
                },
                TransportEvent::Dropped {
                    from: stranger,
                    datagram: &frags[1],
                    key: Some(1),
                },
                TransportEvent::Dropped {
                    from: server,
                    datagram: &frags[1],
                    key: Some(1),
                },
                TransportEvent::Dropped {
                    from: server,
                    datagram: &[0x24; 48],
                    key: None,
                },
            ],
        );
        let want = "\
sent 12 octets to 10.77.0.3:123: readvar seq=7 status=0x0000 assoc=3 offset=0 count=0 R=0 E=0 M=0 VN=2
received 480 octets from 10.77.0.3:123: readvar seq=7 status=0x961a assoc=3 offset=0 count=468 R=1 E=0 M=1 VN=2
received 480 octets from 10.77.0.3:123: readvar seq=7 status=0x961a assoc=3 offset=0 count=468 R=1 E=0 M=1 VN=2
ignored 480 octets from 10.77.0.3:123: duplicate fragment at offset 0
ignored 44 octets from 10.78.3.4:123: no request went to 10.78.3.4:123 (a spoofed source?): readvar seq=7 status=0x961a assoc=3 offset=468 count=32 R=1 E=0 M=0 VN=2
ignored 44 octets from 10.77.0.3:123: readvar seq=7 matches no outstanding request (a late or duplicate answer)
ignored 48 octets from 10.77.0.3:123: mode 4 is not a control message
";
        assert_eq!(text, want);
    }

    #[test]
    fn level_two_dumps_hex_and_level_zero_is_silent() {
        let server: SocketAddr = "10.77.0.3:123".parse().unwrap();
        let request = ControlRequest::new(ControlOpcode::ReadStatus, AssocId(0), vec![])
            .encode(Sequence(1), None)
            .unwrap();
        let sent = TransportEvent::Sent {
            peer: server,
            datagram: &request,
            at: SystemTime::now(),
        };
        assert_eq!(trace(0, &[sent]), "");
        assert_eq!(
            trace(2, &[sent]),
            "sent 12 octets to 10.77.0.3:123: readstat seq=1 status=0x0000 assoc=0 offset=0 \
             count=0 R=0 E=0 M=0 VN=2\n  0000: 16 01 00 01 00 00 00 00 00 00 00 00              \
             ............\n"
        );
    }

    #[test]
    fn error_responses_name_the_code() {
        let mut header =
            ControlHeader::request(ControlOpcode::ReadVariables, 2, Sequence(9), AssocId(0), 0);
        header.response = true;
        header.error = true;
        header.status = ErrorCode::UnknownVariable.to_status();
        assert_eq!(
            describe(&header.encode()),
            "readvar seq=9 status=0x0500 assoc=0 offset=0 count=0 R=1 E=1 M=0 VN=2 \
             error=unknown variable"
        );
    }
}
