//! The command line: the classic `ntptrace [-n] [-m maxhosts] [-r host] [host]`, plus `--json`
//! and `--timeout`.

use std::time::Duration;

use clap::Parser;

/// The host the classic tool starts at when none is given.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// Command line of `ntptrace`.
#[derive(Debug, Parser)]
#[command(
    name = "ntptrace",
    version,
    about = "follow the NTP synchronization path up to stratum 1",
    long_about = "Follows the NTP synchronization path from HOST up to its primary source: reads \
                  each hop's system variables over mode 6 (or, when a hop does not answer mode 6, \
                  its stratum, refid and root distance with a mode 3 client request) and goes on \
                  to its system peer (or, for a mode 3 hop, to its refid when that is an IPv4 \
                  address).\n\nExit status: 0 when the walk reached the primary source (stratum \
                  1, a reference clock) or -m hosts; 1 when it ended at a loop, an unsynchronized \
                  hop, a hop without system peer, a refid that cannot be followed or a refusal; \
                  3 when a hop answered neither mode 6 nor mode 3 (or HOST does not resolve); 2 \
                  for usage errors."
)]
pub struct Cli {
    /// Print IP addresses instead of host names (no reverse DNS lookups).
    #[arg(short = 'n', long)]
    pub numeric: bool,

    /// Show at most this many hosts (0: no limit).
    #[arg(
        short = 'm',
        long = "max-hosts",
        value_name = "NUM",
        default_value_t = 99
    )]
    pub max_hosts: u32,

    /// The host to start at, when HOST is not given.
    #[arg(short = 'r', long = "host", value_name = "HOST")]
    pub remote: Option<String>,

    /// Print one JSON document: every hop with every value, how it was read, and why the walk
    /// stopped (schema in docs/json.md).
    #[arg(long)]
    pub json: bool,

    /// How long to wait for each reply, in seconds, before resending once or giving up.
    #[arg(short = 't', long, value_name = "SECONDS", default_value = "1", value_parser = parse_timeout)]
    pub timeout: Duration,

    /// The host to start at [default: 127.0.0.1].
    pub host: Option<String>,
}

impl Cli {
    /// The host the walk starts at: HOST, else `-r`, else the classic default.
    #[must_use]
    pub fn start(&self) -> &str {
        self.host
            .as_deref()
            .or(self.remote.as_deref())
            .unwrap_or(DEFAULT_HOST)
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 60.0) {
        return Err(format!("'{text}' is not between 0 and 60 seconds"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_options() {
        let cli = Cli::try_parse_from(["ntptrace"]).unwrap();
        assert_eq!(
            (cli.start(), cli.max_hosts, cli.numeric),
            ("127.0.0.1", 99, false)
        );
        let cli = Cli::try_parse_from(["ntptrace", "-n", "-m", "1", "-r", "ntp3"]).unwrap();
        assert_eq!((cli.start(), cli.max_hosts, cli.numeric), ("ntp3", 1, true));
        // The positional host wins over -r, as in the classic script.
        let cli = Cli::try_parse_from(["ntptrace", "-r", "ntp3", "ntp2"]).unwrap();
        assert_eq!(cli.start(), "ntp2");
        let cli =
            Cli::try_parse_from(["ntptrace", "--numeric", "--max-hosts=5", "--host=x"]).unwrap();
        assert_eq!((cli.start(), cli.max_hosts), ("x", 5));
        let cli = Cli::try_parse_from(["ntptrace", "-t", "0.25", "--json", "h"]).unwrap();
        assert_eq!(cli.timeout, Duration::from_millis(250));
        assert!(cli.json);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            &["ntptrace", "-m", "x"][..],
            &["ntptrace", "-m", "-1"],
            &["ntptrace", "-t", "0"],
            &["ntptrace", "-t", "nan"],
            &["ntptrace", "-t", "100"],
            &["ntptrace", "a", "b"],
            &["ntptrace", "-x"],
        ] {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }
}
