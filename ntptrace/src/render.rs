//! The classic output line, `HOST: stratum S, offset O, synch distance D[, refid 'X']`, with
//! the numbers as the classic Perl script prints them: offset and distance in seconds with
//! six decimals (`%f` of the milliseconds ntpq shows divided by 1000), the refid only at
//! stratum 1. A hop read by mode 3 has no system offset (`offset -`) and says how it was read.

use ntpkit::record::{ReadBy, TraceHop};

/// The line for one hop: its reverse-DNS name when it has one, else the host as asked.
#[must_use]
pub fn classic_line(hop: &TraceHop) -> String {
    let host = hop.name.as_deref().unwrap_or(&hop.host);
    let offset = hop
        .offset_ms
        .map_or_else(|| "-".to_owned(), |ms| format!("{:.6}", ms / 1000.0));
    let mut line = format!(
        "{host}: stratum {}, offset {offset}, synch distance {:.6}",
        hop.stratum,
        hop.synch_distance_ms / 1000.0
    );
    if hop.stratum == 1 {
        line.push_str(&format!(", refid '{}'", hop.refid.text));
    }
    if hop.read_by == ReadBy::Mode3 {
        let why = hop.mode6_error.as_deref().unwrap_or("no answer");
        line.push_str(&format!(" [mode 3; mode 6: {why}]"));
    }
    line
}

#[cfg(test)]
mod tests {
    use ntpkit::control::VarList;
    use ntpkit::packet::{LeapIndicator, NtpMode, NtpPacket, ReferenceId, ServerReply, Stratum};
    use ntpkit::time::{NtpShort, NtpTimestamp};
    use ntpkit::trace::{HopTarget, hop_from_reply, hop_from_variables};

    use super::*;

    fn target(host: &str) -> HopTarget {
        HopTarget {
            hop: 1,
            host: host.to_owned(),
            address: "10.77.0.3".parse().unwrap(),
        }
    }

    fn mode6(text: &str) -> TraceHop {
        hop_from_variables(
            &target("10.77.0.3"),
            &VarList::parse(text.as_bytes()).unwrap(),
        )
        .unwrap()
    }

    /// Lines the reference ntptrace printed on the lab for the same variables.
    #[test]
    fn lines_as_the_classic_script_prints_them() {
        let cases = [
            (
                "leap=00, stratum=3, rootdelay=0.126, rootdisp=10.484, refid=10.77.0.2, \
                 peer=49023, offset=+0.031524",
                "10.77.0.3: stratum 3, offset 0.000032, synch distance 0.010547",
            ),
            (
                "leap=00, stratum=2, rootdelay=0.047, rootdisp=10.247, refid=10.77.0.1, \
                 peer=17767, offset=+0.018544",
                "10.77.0.3: stratum 2, offset 0.000019, synch distance 0.010271",
            ),
            (
                "leap=00, stratum=1, rootdelay=0.000, rootdisp=10.131, refid=LOCL, peer=9263, \
                 offset=+0.000000",
                "10.77.0.3: stratum 1, offset 0.000000, synch distance 0.010131, refid 'LOCL'",
            ),
            (
                "leap=00, stratum=2, rootdelay=1.5, rootdisp=2.0, refid=10.0.0.1, peer=1, \
                 offset=-0.0004",
                "10.77.0.3: stratum 2, offset -0.000000, synch distance 0.002750",
            ),
            (
                "leap=11, stratum=16, rootdelay=0.000, rootdisp=1.5, refid=INIT, peer=0, \
                 offset=-12.5",
                "10.77.0.3: stratum 16, offset -0.012500, synch distance 0.001500",
            ),
        ];
        for (vars, want) in cases {
            assert_eq!(classic_line(&mode6(vars)), want);
        }
    }

    #[test]
    fn names_replace_the_host_and_mode_3_hops_say_so() {
        let mut hop = mode6(
            "leap=00, stratum=3, rootdelay=0.126, rootdisp=10.484, refid=10.77.0.2, \
             offset=+0.031524",
        );
        hop.name = Some("ntp3.lab".to_owned());
        assert!(classic_line(&hop).starts_with("ntp3.lab: stratum 3,"));

        let reply = ServerReply {
            packet: NtpPacket {
                leap: LeapIndicator::NoWarning,
                version: 4,
                mode: NtpMode::Server,
                stratum: Stratum(1),
                root_delay: NtpShort(0),
                root_dispersion: NtpShort(0x0000_0290),
                reference_id: ReferenceId::from_ascii("LOCL"),
                transmit_timestamp: NtpTimestamp::new(1, 0),
                receive_timestamp: NtpTimestamp::new(1, 0),
                ..NtpPacket::default()
            },
            authenticated: None,
        };
        let hop = hop_from_reply(
            &target("10.77.0.51"),
            &reply,
            "no response after 2 attempts".to_owned(),
            None,
        );
        assert_eq!(
            classic_line(&hop),
            "10.77.0.51: stratum 1, offset -, synch distance 0.010010, refid 'LOCL' \
             [mode 3; mode 6: no response after 2 attempts]"
        );
    }
}
