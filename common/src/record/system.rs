//! A server's system variables (mode 6 `readvar` of association 0), typed.

use serde::Serialize;

use crate::control::{AssocId, VarError, VarList, Variable};
use crate::packet::{LeapIndicator, RefIdContext, RefIdSummary, ReferenceId, Stratum};

use super::{Column, Tabular};

/// The leap indicator as JSON shows it: the two-bit code and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeapField {
    /// 0..=3.
    pub code: u8,
    /// `leap_none`, `leap_add_sec`, `leap_del_sec` or `leap_alarm`.
    pub name: &'static str,
}

impl From<LeapIndicator> for LeapField {
    fn from(leap: LeapIndicator) -> Self {
        Self {
            code: leap.to_bits(),
            name: leap.name(),
        }
    }
}

/// The system variables every daemon reports (ntpd 4.2.8 and NTPsec), with units in the
/// field names. Optional fields are absent on some daemons or states.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemVariables {
    /// The server as it was asked (name or address).
    pub host: String,
    /// Leap indicator.
    pub leap: LeapField,
    /// Stratum as ntpd reports it (16 = unsynchronized).
    pub stratum: u8,
    /// Reference ID, interpreted for this stratum.
    pub refid: RefIdSummary,
    /// Total round-trip delay to the primary source, milliseconds.
    pub root_delay_ms: f64,
    /// Total dispersion to the primary source, milliseconds.
    pub root_dispersion_ms: f64,
    /// Association ID of the system peer (0 = none).
    pub system_peer: u16,
    /// Combined offset of the system clock, milliseconds.
    pub offset_ms: Option<f64>,
    /// Frequency correction, parts per million.
    pub frequency_ppm: Option<f64>,
    /// System jitter, milliseconds.
    pub sys_jitter_ms: Option<f64>,
    /// Daemon version string.
    pub version: Option<String>,
}

impl SystemVariables {
    /// Reads the fields from a system variable list; `host` labels the record.
    ///
    /// # Errors
    /// A required variable (`leap`, `stratum`, `refid`, `rootdelay`, `rootdisp`) is missing or
    /// malformed, or an optional one is present but malformed.
    pub fn from_vars(host: impl Into<String>, vars: &VarList) -> Result<Self, VarError> {
        let stratum = u8::try_from(vars.get_u64("stratum")?.min(255)).unwrap_or(u8::MAX);
        let refid_var = vars.require("refid")?;
        let refid_text = refid_var.text().unwrap_or_default();
        let refid = refid_text
            .parse::<ReferenceId>()
            .map_err(|_| VarError::Malformed {
                name: "refid".to_owned(),
                value: refid_text.to_owned(),
                expected: "an IPv4 address or an ASCII code of at most 4 characters",
            })?;
        let optional = |name: &str| vars.get(name).map(Variable::as_f64).transpose();
        Ok(Self {
            host: host.into(),
            leap: LeapIndicator::from_bits(
                u8::try_from(vars.get_u64("leap")? & 3).unwrap_or_default(),
            )
            .into(),
            stratum,
            refid: refid.summary(RefIdContext::peer(Stratum(stratum))),
            root_delay_ms: vars.get_f64("rootdelay")?,
            root_dispersion_ms: vars.get_f64("rootdisp")?,
            system_peer: vars
                .get("peer")
                .map(Variable::as_u64)
                .transpose()?
                .map_or(0, |p| u16::try_from(p).unwrap_or(AssocId::SYSTEM.0)),
            offset_ms: optional("offset")?,
            frequency_ppm: optional("frequency")?,
            sys_jitter_ms: optional("sys_jitter")?,
            version: vars.text("version").map(str::to_owned),
        })
    }

    /// The synchronization distance as the classic ntptrace computes it:
    /// root dispersion plus half the root delay, milliseconds.
    #[must_use]
    pub fn synch_distance_ms(&self) -> f64 {
        self.root_dispersion_ms + self.root_delay_ms / 2.0
    }
}

impl Tabular for SystemVariables {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::left("host"),
            Column::left("leap"),
            Column::right("st"),
            Column::left("refid"),
            Column::right("rootdelay"),
            Column::right("rootdisp"),
            Column::right("offset"),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.host.clone(),
            self.leap.name.to_owned(),
            self.stratum.to_string(),
            self.refid.text.clone(),
            format!("{:.3}", self.root_delay_ms),
            format!("{:.3}", self.root_dispersion_ms),
            self.offset_ms
                .map_or_else(|| "-".to_owned(), |o| format!("{o:.3}")),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::RefIdKind;

    fn vars(text: &str) -> VarList {
        VarList::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn reads_a_secondary_server() {
        let v = vars(
            "version=\"ntpd 4.2.8p15@1.3728-o\", leap=0, stratum=3, precision=-23,\r\n\
             rootdelay=0.512, rootdisp=8.250, refid=10.77.0.12, peer=41234, offset=-0.012345,\r\n\
             frequency=1.500, sys_jitter=0.004000\r\n",
        );
        let s = SystemVariables::from_vars("ntp3", &v).unwrap();
        assert_eq!(s.stratum, 3);
        assert_eq!(
            s.leap,
            LeapField {
                code: 0,
                name: "leap_none"
            }
        );
        assert_eq!(
            (s.refid.kind, s.refid.text.as_str()),
            (RefIdKind::Ipv4, "10.77.0.12")
        );
        assert_eq!(s.system_peer, 41234);
        assert_eq!(s.version.as_deref(), Some("ntpd 4.2.8p15@1.3728-o"));
        assert!((s.synch_distance_ms() - 8.506).abs() < 1e-9);
        assert_eq!(
            s.cells(),
            [
                "ntp3",
                "leap_none",
                "3",
                "10.77.0.12",
                "0.512",
                "8.250",
                "-0.012"
            ]
        );
    }

    #[test]
    fn reads_a_primary_and_an_unsynchronized_server() {
        let primary = vars("leap=0, stratum=1, rootdelay=0.000, rootdisp=1.0, refid=LOCL");
        let s = SystemVariables::from_vars("ntp1", &primary).unwrap();
        assert_eq!(
            (s.refid.kind, s.refid.text.as_str()),
            (RefIdKind::Refclock, "LOCL")
        );
        assert_eq!(s.system_peer, 0);
        let unsync = vars("leap=3, stratum=16, rootdelay=0.0, rootdisp=0.0, refid=INIT");
        let s = SystemVariables::from_vars("x", &unsync).unwrap();
        assert_eq!((s.leap.name, s.refid.kind), ("leap_alarm", RefIdKind::Kiss));
    }

    #[test]
    fn missing_or_malformed_variables_are_named() {
        let err = SystemVariables::from_vars("x", &vars("leap=0, stratum=2")).unwrap_err();
        assert!(err.to_string().contains("refid"), "{err}");
        let err = SystemVariables::from_vars(
            "x",
            &vars("leap=0, stratum=2, refid=1.2.3.4, rootdelay=fast, rootdisp=1"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("rootdelay"), "{err}");
    }

    #[test]
    fn serializes_with_units_in_names() {
        let v = vars("leap=0, stratum=1, rootdelay=0.000, rootdisp=1.0, refid=GPS");
        let json = serde_json::to_value(SystemVariables::from_vars("ntp1", &v).unwrap()).unwrap();
        assert_eq!(json["refid"]["kind"], "refclock");
        assert_eq!(json["root_dispersion_ms"], 1.0);
        assert_eq!(json["leap"]["name"], "leap_none");
    }
}
