//! One association's variables as the peers billboard reads them (protocol notes §4.9.3,
//! §4.14): typed from a READVAR answer, with the billboard's derived columns (`t`, `when`,
//! `poll`, refid text) and the [`PeerRecord`] of its JSON; and the clock filter registers
//! (`filtdelay`, `filtoffset`, `filtdisp`) as numbers.
//!
//! Pure: the current time is a parameter and names are the caller's business.

use std::net::IpAddr;

use crate::control::{AssocId, FlashBits, PeerStatus, VarList};
use crate::format::vars::{decode_netnum, parse_uint};
use crate::packet::{RefIdContext, RefIdSummary, ReferenceId, Stratum, is_refclock_addr};
use crate::packet::{refclock_display, refclock_name};
use crate::time::NtpTimestamp;

use super::PeerRecord;

/// The billboard variables of one association.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerVariables {
    /// Association ID.
    pub assoc: AssocId,
    /// The status word that came with the answer.
    pub status: PeerStatus,
    /// The peer's address (`srcadr`, else `peeradr`).
    pub address: Option<IpAddr>,
    /// Its port (`srcport`).
    pub port: Option<u16>,
    /// The name it was configured by (`srchost`, NTPsec), if not empty.
    pub srchost: Option<String>,
    /// Our local address towards it (`dstadr`).
    pub local: Option<IpAddr>,
    /// The `refid` value as received (an address or a code of up to 4 characters).
    pub refid: Option<String>,
    /// Stratum.
    pub stratum: Option<u64>,
    /// Host mode (`hmode`), which decides the `t` column.
    pub hmode: Option<i64>,
    /// Host poll exponent (negative values read as 3, as ntpq does).
    pub hpoll: i64,
    /// Peer poll exponent.
    pub ppoll: i64,
    /// Reach register.
    pub reach: u64,
    /// Round-trip delay, milliseconds.
    pub delay_ms: Option<f64>,
    /// Offset, milliseconds.
    pub offset_ms: Option<f64>,
    /// Jitter, milliseconds.
    pub jitter_ms: Option<f64>,
    /// Dispersion (`dispersion`, else `rootdisp`), milliseconds.
    pub dispersion_ms: Option<f64>,
    /// Time of the last packet received (`rec`).
    pub rec: Option<NtpTimestamp>,
    /// The peer's reference time (`reftime`).
    pub reftime: Option<NtpTimestamp>,
    /// Packet test bits of the last packet.
    pub flash: FlashBits,
}

impl PeerVariables {
    /// Reads the billboard variables of association `assoc` from its READVAR answer;
    /// missing or malformed values are absent (the billboard shows 0 or blanks for them).
    #[must_use]
    pub fn from_vars(assoc: AssocId, status: PeerStatus, vars: &VarList) -> Self {
        let text = |n: &str| vars.text(n).map(str::to_owned);
        let float = |n: &str| vars.get(n).and_then(|v| v.as_f64().ok());
        let poll = |n: &str| {
            vars.get(n)
                .and_then(|v| v.as_i64().ok())
                .map_or(0, |p| if p < 0 { 3 } else { p })
        };
        let addr = |n: &str| text(n).and_then(|a| decode_netnum(&a)).map(|a| a.ip());
        Self {
            assoc,
            status,
            address: addr("srcadr").or_else(|| addr("peeradr")),
            port: vars
                .get("srcport")
                .and_then(|v| v.as_u64().ok())
                .and_then(|p| u16::try_from(p).ok()),
            srchost: text("srchost").filter(|h| !h.is_empty()),
            local: addr("dstadr"),
            refid: vars
                .get("refid")
                .map(|v| v.text().unwrap_or_default().to_owned()),
            stratum: vars.get("stratum").and_then(|v| v.as_u64().ok()),
            hmode: vars.get("hmode").and_then(|v| v.as_i64().ok()),
            hpoll: poll("hpoll"),
            ppoll: poll("ppoll"),
            reach: text("reach").and_then(|r| parse_uint(&r)).unwrap_or(0),
            delay_ms: float("delay"),
            offset_ms: float("offset"),
            jitter_ms: float("jitter"),
            dispersion_ms: float("dispersion").or_else(|| float("rootdisp")),
            rec: vars.get("rec").and_then(|v| v.as_timestamp().ok()),
            reftime: vars.get("reftime").and_then(|v| v.as_timestamp().ok()),
            flash: FlashBits(
                text("flash")
                    .and_then(|f| parse_uint(&f))
                    .and_then(|f| u16::try_from(f).ok())
                    .unwrap_or(0),
            ),
        }
    }

    /// The `remote` column before truncation: `srchost`, else the refclock name (with
    /// `names`) or the address.
    #[must_use]
    pub fn remote(&self, names: bool) -> String {
        match (&self.srchost, self.address) {
            (Some(h), _) => h.clone(),
            (None, Some(ip)) if names && is_refclock_addr(ip) => refclock_display(ip),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => "0.0.0.0".to_owned(),
        }
    }

    /// The `t` column (from `hmode`, else from the local address), as ntpq 4.2.8 derives it.
    #[must_use]
    pub fn type_char(&self) -> char {
        let src = self.address;
        let multicast = src.is_some_and(|ip| ip.is_multicast());
        match self.hmode {
            Some(6) => 'b',
            Some(5) if multicast => 'M',
            Some(5) => 'B',
            Some(3) if src.is_some_and(is_refclock_addr) => 'l',
            Some(3) if src.is_none_or(|ip| ip.is_unspecified()) => 'p',
            Some(3) if multicast => 'a',
            Some(3) => 'u',
            Some(1) => 's',
            Some(2) => 'S',
            _ => match self.local {
                Some(IpAddr::V4(v4)) => {
                    let n = u32::from(v4);
                    if n & 0xf000_0000 == 0xe000_0000 {
                        'm'
                    } else if n & 0xff == 0xff {
                        'b'
                    } else if n == 0x7f00_0001 {
                        'l'
                    } else if n & 0xffff_ffe0 == 0 {
                        '-'
                    } else {
                        'u'
                    }
                }
                Some(IpAddr::V6(v6)) if v6.is_multicast() => 'm',
                Some(IpAddr::V6(_)) => 'u',
                None => '?',
            },
        }
    }

    /// Seconds since the last packet (`when`) at `now` (NTP seconds): from `rec`, else
    /// `reftime`; 0 when neither is set, -1 when it lies in the future.
    #[must_use]
    pub fn when_s(&self, now: u32) -> i64 {
        let last = [self.rec, self.reftime]
            .into_iter()
            .flatten()
            .find(|t| t.seconds != 0);
        match last {
            None => 0,
            Some(t) if now < t.seconds => -1,
            Some(t) => i64::from(now - t.seconds),
        }
    }

    /// The poll interval in seconds: the smaller of host and peer poll.
    #[must_use]
    pub fn poll_s(&self) -> u64 {
        1u64 << self.ppoll.min(self.hpoll).clamp(0, 62)
    }

    /// The peers billboard's refid column before padding: `(loop)`, `.CODE.`, a refclock
    /// name, an address, or empty.
    #[must_use]
    pub fn refid_text(&self) -> String {
        if self.flash.is_loop() {
            return "(loop)".to_owned();
        }
        let Some(refid) = self.refid.as_deref().filter(|r| !r.is_empty()) else {
            return String::new();
        };
        if refid.len() <= 4 {
            let code: String = refid
                .bytes()
                .map(|b| {
                    if b.is_ascii_graphic() {
                        char::from(b)
                    } else {
                        '.'
                    }
                })
                .collect();
            return format!(".{code}.");
        }
        match decode_netnum(refid).map(|a| a.ip()) {
            Some(ip) if ip.is_unspecified() => "0.0.0.0".to_owned(),
            Some(IpAddr::V4(v4)) => refclock_name(v4).unwrap_or_else(|| v4.to_string()),
            Some(IpAddr::V6(v6)) => v6.to_string(),
            None => String::new(),
        }
    }

    /// The refid decoded for JSON: a text code, or an address (hash for IPv6 upstreams).
    #[must_use]
    pub fn refid_summary(&self) -> Option<RefIdSummary> {
        let text = self.refid.as_deref()?;
        let stratum = Stratum(u8::try_from(self.stratum.unwrap_or(16).min(255)).unwrap_or(16));
        let context = RefIdContext::peer(stratum);
        if let Some(addr) = decode_netnum(text) {
            return match addr.ip() {
                IpAddr::V4(v4) => Some(ReferenceId::from(v4).summary(context)),
                IpAddr::V6(v6) => {
                    Some(ReferenceId::for_ipv6(v6).summary(context.with_ipv6_upstream()))
                }
            };
        }
        text.parse::<ReferenceId>().ok().map(|r| r.summary(context))
    }

    /// The billboard row as JSON shows it; `remote` is the name to report (see
    /// [`PeerVariables::remote`]) and `now` the current time in NTP seconds.
    #[must_use]
    pub fn record(&self, host: &str, remote: &str, now: u32) -> PeerRecord {
        PeerRecord {
            host: host.to_owned(),
            assoc_id: self.assoc.0,
            tally: self.status.selection.tally().to_string(),
            remote: remote.to_owned(),
            address: self.address.map(|ip| ip.to_string()),
            port: self.port,
            local: self.local.map(|ip| ip.to_string()),
            refid: self.refid_summary(),
            stratum: self.stratum,
            r#type: self.type_char().to_string(),
            when_s: Some(self.when_s(now)).filter(|w| *w > 0),
            poll_s: self.poll_s(),
            reach: self.reach,
            delay_ms: self.delay_ms,
            offset_ms: self.offset_ms,
            jitter_ms: self.jitter_ms,
            dispersion_ms: self.dispersion_ms,
        }
    }
}

/// The clock filter registers of a peer, newest first, milliseconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FilterRegisters {
    /// `filtdelay`.
    pub delay_ms: Vec<f64>,
    /// `filtoffset`.
    pub offset_ms: Vec<f64>,
    /// `filtdisp`.
    pub dispersion_ms: Vec<f64>,
    /// Whether a register came with bytes before its values. NTPsec 1.2.2 sends leftovers
    /// of an earlier buffer ahead of the eight values (`filtdelay=^A 0.09 0>… 0.09 0.05 …`);
    /// the values are the last eight numbers.
    pub garbled: bool,
}

/// Values a filter register holds (`NTP_SHIFT`).
pub const FILTER_STAGES: usize = 8;

impl FilterRegisters {
    /// Reads the three registers; `None` when the answer has none of them.
    #[must_use]
    pub fn from_vars(vars: &VarList) -> Option<Self> {
        let mut garbled = false;
        let mut read = |name: &str| {
            let (values, junk) = register_values(vars.text(name)?);
            garbled |= junk;
            Some(values)
        };
        let delay = read("filtdelay");
        let offset = read("filtoffset");
        let disp = read("filtdisp");
        if delay.is_none() && offset.is_none() && disp.is_none() {
            return None;
        }
        Some(Self {
            delay_ms: delay.unwrap_or_default(),
            offset_ms: offset.unwrap_or_default(),
            dispersion_ms: disp.unwrap_or_default(),
            garbled,
        })
    }
}

/// The trailing run of numbers of a register (at most [`FILTER_STAGES`]), and whether
/// anything else came before them.
fn register_values(text: &str) -> (Vec<f64>, bool) {
    let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
    let numeric = tokens
        .iter()
        .rev()
        .take_while(|t| t.parse::<f64>().is_ok_and(f64::is_finite))
        .count();
    let start = tokens.len() - numeric.min(FILTER_STAGES);
    let values = tokens
        .iter()
        .skip(start)
        .filter_map(|t| t.parse::<f64>().ok())
        .collect();
    (values, start > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str) -> VarList {
        VarList::parse(text.as_bytes()).unwrap()
    }

    /// ntp3's association with ntp2, as ntpd 4.2.8p15 answered in the lab.
    const NTP3_PEER: &str = "srcadr=10.77.0.2, srcport=123, dstadr=10.77.0.3, dstport=123, \
        leap=0, stratum=2, precision=-24, rootdelay=0.046, rootdisp=11.139, refid=10.77.0.1, \
        reftime=0xeeabc326.db80dfe0, rec=0xeeabc33e.d253e5e9, reach=0xff, unreach=0, hmode=3, \
        pmode=4, hpoll=3, ppoll=3, headway=4, flash=0x0, keyid=1, offset=0.028, delay=0.077, \
        dispersion=0.584, jitter=0.001, xleave=0.088, \
        filtdelay= 0.08 0.08 0.08 0.08 0.08 0.08 0.08 0.08, \
        filtoffset= 0.03 0.03 0.03 0.03 0.03 0.03 0.03 -0.03, \
        filtdisp= 0.00 0.12 0.24 0.36 0.48 0.60 0.72 0.84";

    #[test]
    fn reads_a_billboard_row() {
        let p = PeerVariables::from_vars(
            AssocId(49023),
            PeerStatus::from_bits(0xf61a),
            &vars(NTP3_PEER),
        );
        assert_eq!(p.remote(true), "10.77.0.2");
        assert_eq!(p.type_char(), 'u');
        assert_eq!(p.poll_s(), 8);
        assert_eq!(p.reach, 0o377);
        assert_eq!(p.refid_text(), "10.77.0.1");
        assert_eq!(p.when_s(0xeeab_c341), 3);
        assert_eq!(p.when_s(0xeeab_c300), -1);
        let r = p.record("ntp3", &p.remote(false), 0xeeab_c341);
        assert_eq!(
            (r.tally.as_str(), r.when_s, r.offset_ms),
            ("*", Some(3), Some(0.028))
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["refid"]["kind"], "ipv4");
        assert_eq!(json["type"], "u");
    }

    #[test]
    fn refclocks_codes_and_loops() {
        let local = PeerVariables::from_vars(
            AssocId(1),
            PeerStatus::from_bits(0x961a),
            &vars("srcadr=127.127.1.0, hmode=3, refid=LOCL, stratum=0, hpoll=4, ppoll=4"),
        );
        assert_eq!(local.type_char(), 'l');
        assert_eq!(local.remote(true), "LOCAL(0)");
        assert_eq!(local.remote(false), "127.127.1.0");
        assert_eq!(local.refid_text(), ".LOCL.");
        assert_eq!(local.when_s(5), 0);
        let looped = PeerVariables::from_vars(
            AssocId(2),
            PeerStatus::from_bits(0x9014),
            &vars("srcadr=10.0.0.1, flash=0x800, refid=10.0.0.9"),
        );
        assert_eq!(looped.refid_text(), "(loop)");
        assert_eq!(looped.type_char(), '?');
    }

    #[test]
    fn filter_registers_and_ntpsec_leftovers() {
        let f = FilterRegisters::from_vars(&vars(NTP3_PEER)).unwrap();
        assert_eq!(f.delay_ms, [0.08; 8]);
        assert_eq!(f.offset_ms.last(), Some(&-0.03));
        assert!(!f.garbled);
        // NTPsec 1.2.2 in the lab, bytes as received.
        let ntpsec = VarList::parse(
            b"filtdelay=\x01 0.09 0>\xc3\xab\xee 0.09 0.05 0.06 0.08 0.06 0.06 0.06 0.06, \
              filtdisp=\x01 0.09 0>\xc3\xab\xee 0.09 0.05 0\x04 0.00 0.12 0.24 0.36 0.48 0.60 \
              0.72 0.84",
        )
        .unwrap();
        let f = FilterRegisters::from_vars(&ntpsec).unwrap();
        assert_eq!(f.delay_ms, [0.09, 0.05, 0.06, 0.08, 0.06, 0.06, 0.06, 0.06]);
        assert_eq!(f.dispersion_ms.first(), Some(&0.0));
        assert!(f.offset_ms.is_empty());
        assert!(f.garbled);
        assert_eq!(FilterRegisters::from_vars(&vars("offset=1")), None);
    }
}
