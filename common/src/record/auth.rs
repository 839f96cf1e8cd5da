//! Records of the key tools: what `ntp-keygen` generated, checked or converted, and what
//! `authspeed` measured. None of them holds key material except the conversions, whose output
//! is the point.

use serde::Serialize;

use super::{Column, Tabular};
use crate::auth::{KeyType, KeysFinding};

/// One key of a generated file: number, type and size, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedKey {
    /// The key number.
    pub id: u32,
    /// The type as written in the file (`MD5`, `SHA1`, `SHA256`, `AES128CMAC`).
    #[serde(rename = "type")]
    pub key_type: &'static str,
    /// Octets of secret (characters for the printable MD5 keys).
    pub secret_octets: usize,
}

/// What `ntp-keygen` generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeygenRecord {
    /// Always `generate`.
    pub command: &'static str,
    /// The file written.
    pub file: String,
    /// The `ntp.keys` link made to it, if any.
    pub link: Option<String>,
    /// The file's permission bits, octal (`0600`).
    pub mode: String,
    /// The keys, in file order.
    pub keys: Vec<GeneratedKey>,
    /// The `ntp.conf` lines that use the file.
    pub config: Vec<String>,
}

/// The check of one keys file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeysCheckRecord {
    /// Always `check`.
    pub command: &'static str,
    /// The file, as named on the command line.
    pub file: String,
    /// Its permission bits, octal.
    pub mode: String,
    /// Keys defined, when the file parses (`null` when an error keeps it from loading).
    pub keys: Option<usize>,
    /// Findings of severity error.
    pub errors: usize,
    /// Findings of severity warning.
    pub warnings: usize,
    /// Every finding, in line order (line 0: the whole file).
    pub findings: Vec<KeysFinding>,
}

/// One DES key in every keys-file form (`ntp-keygen --des`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesKeyRecord {
    /// The standard (`S`) form: 16 hex digits, parity in bit 0.
    pub s: String,
    /// The NTP (`N`) form: 16 hex digits, parity in bit 7.
    pub n: String,
    /// The ASCII (`A`) form, when the key has one a keys file can carry.
    pub a: Option<String>,
    /// Whether reading the key changed a parity bit.
    pub parity_fixed: bool,
}

/// The conversion of DES keys (`ntp-keygen --des`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesConversionRecord {
    /// Always `des`.
    pub command: &'static str,
    /// The form the keys were read in (`A`, `S` or `N`).
    pub from: &'static str,
    /// The keys, in command-line order.
    pub keys: Vec<DesKeyRecord>,
}

/// A keys file converted to chrony's format (`ntp-keygen --chrony`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChronyRecord {
    /// Always `chrony`.
    pub command: &'static str,
    /// The keys file read.
    pub file: String,
    /// Keys converted.
    pub keys: usize,
    /// What changes meaning in chrony (dropped access lists, resized AES keys).
    pub notes: Vec<KeysFinding>,
    /// The chrony key file.
    pub text: String,
}

/// Cost of one MAC operation, from repeated timed runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AuthTiming {
    /// Median over the runs of nanoseconds per operation.
    pub median_ns: f64,
    /// 99th percentile (nearest rank) over the runs.
    pub p99_ns: f64,
    /// The fastest run.
    pub min_ns: f64,
    /// Operations per second at the median.
    pub ops_per_second: f64,
    /// Timed runs.
    pub runs: usize,
}

impl AuthTiming {
    /// Summarises per-run costs in nanoseconds per operation; `None` without samples.
    #[must_use]
    pub fn from_samples(samples_ns: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = samples_ns
            .iter()
            .copied()
            .filter(|s| s.is_finite())
            .collect();
        sorted.sort_by(f64::total_cmp);
        let runs = sorted.len();
        let min_ns = *sorted.first()?;
        let middle = runs / 2;
        let median_ns = if runs % 2 == 1 {
            *sorted.get(middle)?
        } else {
            (*sorted.get(middle - 1)? + *sorted.get(middle)?) / 2.0
        };
        // Nearest rank: the smallest value with at least 99 % of the runs at or below it.
        let rank = (runs * 99).div_ceil(100).max(1);
        let p99_ns = *sorted.get(rank - 1)?;
        let ops_per_second = if median_ns > 0.0 {
            1e9 / median_ns
        } else {
            0.0
        };
        Some(Self {
            median_ns,
            p99_ns,
            min_ns,
            ops_per_second,
            runs,
        })
    }
}

/// What `authspeed` measured for one key type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthTypeTiming {
    /// The key type (`MD5`, `SHA1`, `SHA256`, `AES128CMAC`, `DES`).
    #[serde(rename = "type")]
    pub key_type: &'static str,
    /// The keys used, in turn.
    pub key_ids: Vec<u32>,
    /// MAC octets after the key ID.
    pub mac_octets: usize,
    /// Computing the MAC of a 48-octet packet.
    pub sign: AuthTiming,
    /// Checking the MAC of a 48-octet packet.
    pub verify: AuthTiming,
    /// The suggested `authdelay`: the median signing cost, in seconds.
    pub authdelay_s: f64,
}

impl AuthTypeTiming {
    /// The name authspeed reports a type under: the DES forms are one algorithm.
    #[must_use]
    pub const fn type_name(kind: KeyType) -> &'static str {
        if kind.is_des() { "DES" } else { kind.name() }
    }

    /// The `authdelay` configuration line, nine decimals (nanoseconds).
    #[must_use]
    pub fn authdelay_line(&self) -> String {
        format!("authdelay {:.9}", self.authdelay_s)
    }

    /// The table rows: signing, then verifying.
    #[must_use]
    pub fn rows(&self) -> [AuthTimingRow<'_>; 2] {
        [
            AuthTimingRow {
                record: self,
                operation: "sign",
                timing: &self.sign,
            },
            AuthTimingRow {
                record: self,
                operation: "verify",
                timing: &self.verify,
            },
        ]
    }
}

/// One table row of `authspeed`: a type and one operation.
#[derive(Debug, Clone, Copy)]
pub struct AuthTimingRow<'a> {
    record: &'a AuthTypeTiming,
    operation: &'static str,
    timing: &'a AuthTiming,
}

impl Tabular for AuthTimingRow<'_> {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            Column::left("type"),
            Column::right("keys"),
            Column::left("operation"),
            Column::right("median_ns"),
            Column::right("p99_ns"),
            Column::right("ops/s"),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.record.key_type.to_owned(),
            self.record.key_ids.len().to_string(),
            self.operation.to_owned(),
            format!("{:.1}", self.timing.median_ns),
            format!("{:.1}", self.timing.p99_ns),
            format!("{:.0}", self.timing.ops_per_second),
        ]
    }
}

/// Everything `authspeed` measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthSpeedRecord {
    /// The keys file measured, or `null` for the built-in sample keys.
    pub keys_file: Option<String>,
    /// Octets of each packet signed (an NTP header).
    pub packet_octets: usize,
    /// Operations timed per type and operation.
    pub operations: u64,
    /// Operations per timed run.
    pub batch: u64,
    /// One entry per key type, in the order the file first uses them.
    pub types: Vec<AuthTypeTiming>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::render_table;

    #[test]
    fn timing_statistics() {
        let samples: Vec<f64> = (1..=200).map(f64::from).collect();
        let t = AuthTiming::from_samples(&samples).unwrap();
        assert_eq!(
            (t.median_ns, t.p99_ns, t.min_ns, t.runs),
            (100.5, 198.0, 1.0, 200)
        );
        assert!((t.ops_per_second - 1e9 / 100.5).abs() < 1e-6);
        let t = AuthTiming::from_samples(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((t.median_ns, t.p99_ns), (2.0, 3.0));
        assert_eq!(AuthTiming::from_samples(&[]), None);
        assert_eq!(AuthTiming::from_samples(&[f64::NAN]), None);
    }

    #[test]
    fn rows_and_authdelay() {
        let timing = AuthTiming::from_samples(&[250.0, 260.0]).unwrap();
        let record = AuthTypeTiming {
            key_type: AuthTypeTiming::type_name(KeyType::DesNtp),
            key_ids: vec![1, 2],
            mac_octets: 8,
            sign: timing,
            verify: timing,
            authdelay_s: 255e-9,
        };
        assert_eq!(record.authdelay_line(), "authdelay 0.000000255");
        let mut out = Vec::new();
        render_table(&record.rows(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "type keys operation median_ns p99_ns   ops/s\n\
             DES     2 sign          255.0  260.0 3921569\n\
             DES     2 verify        255.0  260.0 3921569\n"
        );
    }
}
