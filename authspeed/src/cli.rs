//! The command line of `authspeed`: the classic `authspeed [-n count] [-m] [keyfile]`, plus
//! type selection, the timed-run size and JSON.

use std::path::PathBuf;

use clap::Parser;
use ntpkit::auth::KeyType;

/// Operations timed per key type and operation when `-n` is not given (the classic default).
pub const DEFAULT_COUNT: u64 = 20_000;

/// Operations per timed run when `--batch` is not given.
pub const DEFAULT_BATCH: u64 = 100;

/// Command line of `authspeed`.
#[derive(Debug, Parser)]
#[command(
    name = "authspeed",
    version,
    about = "measure the cost of NTP symmetric-key authentication",
    long_about = "Measures what signing and verifying a 48-octet NTP packet costs with each key \
                  type in a keys file (or, without one, built-in sample keys of every type): \
                  nanoseconds per operation (median and 99th percentile over timed runs), \
                  operations per second, and the authdelay line the classic tool suggested. \
                  The MAC code timed is the code every ntpkit tool uses."
)]
pub struct Cli {
    /// Operations to time per key type and operation
    #[arg(short = 'n', long = "count", value_name = "COUNT", default_value_t = DEFAULT_COUNT,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub count: u64,

    /// Measure MD5 keys only (the classic option)
    #[arg(short = 'm', long = "md5")]
    pub md5: bool,

    /// Measure only these types: md5, sha1, sha256, aes128cmac, des
    #[arg(short = 't', long = "type", value_name = "TYPE", value_delimiter = ',',
          value_parser = parse_type, conflicts_with = "md5")]
    pub types: Vec<KeyType>,

    /// Operations per timed run (the median and 99th percentile are over runs)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub batch: u64,

    /// Print one JSON document
    #[arg(long)]
    pub json: bool,

    /// Keys file to measure [default: built-in sample keys of every type]
    #[arg(value_name = "KEYFILE")]
    pub keyfile: Option<PathBuf>,
}

impl Cli {
    /// Whether keys of `kind` are measured; the DES forms count as one type, `des`.
    #[must_use]
    pub fn selects(&self, kind: KeyType) -> bool {
        if self.md5 {
            return kind == KeyType::Md5;
        }
        self.types.is_empty()
            || self
                .types
                .iter()
                .any(|t| *t == kind || (t.is_des() && kind.is_des()))
    }
}

/// A key type name as in a keys file, or `des` for the three DES forms.
fn parse_type(text: &str) -> Result<KeyType, String> {
    if text.eq_ignore_ascii_case("des") {
        return Ok(KeyType::DesStandard);
    }
    match KeyType::from_name(text) {
        Ok(kind) if !KeyType::is_md5_fallback_name(text) && !kind.is_des() => Ok(kind),
        _ => Err(format!(
            "'{text}' is not a key type (md5, sha1, sha256, aes128cmac, des)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("authspeed").chain(args.iter().copied()))
    }

    #[test]
    fn classic_usage_parses() {
        let c = cli(&["-n", "30000", "-m", "auth.samplekeys"]).unwrap();
        assert_eq!(c.count, 30_000);
        assert!(c.md5 && c.selects(KeyType::Md5) && !c.selects(KeyType::Sha1));
        assert_eq!(c.keyfile, Some(PathBuf::from("auth.samplekeys")));
        let c = cli(&["-mn", "30000"]).unwrap();
        assert!(c.md5 && c.keyfile.is_none());
        let c = cli(&[]).unwrap();
        assert_eq!((c.count, c.batch), (DEFAULT_COUNT, DEFAULT_BATCH));
        assert!(KeyType::ALL.iter().all(|&k| c.selects(k)));
    }

    #[test]
    fn types_select() {
        let c = cli(&["-t", "des,aes"]).unwrap();
        assert!(c.selects(KeyType::DesAscii) && c.selects(KeyType::DesNtp));
        assert!(c.selects(KeyType::Aes128Cmac) && !c.selects(KeyType::Md5));
        for bad in [
            &["-t", "mine"][..],
            &["-t", "s"],
            &["-n", "0"],
            &["-m", "-t", "md5"],
        ] {
            assert!(cli(bad).is_err(), "{bad:?}");
        }
    }
}
