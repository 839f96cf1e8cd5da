//! Reads the system variables of several NTP servers at once over one socket (mode 6
//! `readvar 0`), and prints them as a table, or as JSON with `--json`. A small end-to-end use of
//! the library: transport, control exchange, variable list and record.
//!
//! ```text
//! cargo run -p ntpkit --example sysvars -- [--json] HOST...
//! ```

use std::process::ExitCode;
use std::time::Duration;

use ntpkit::control::{
    AssocId, ControlExchange, ControlOpcode, ControlRequest, ReassemblyLimits, Sequence,
};
use ntpkit::format::{render_json, render_table};
use ntpkit::record::SystemVariables;
use ntpkit::transport::{Family, Job, Transport, resolve};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let hosts: Vec<&String> = args.iter().filter(|a| *a != "--json").collect();
    if hosts.is_empty() {
        eprintln!("usage: sysvars [--json] HOST...");
        return ExitCode::from(2);
    }
    let transport = match Transport::new(Duration::from_secs(1)) {
        Ok(t) => t,
        Err(err) => {
            eprintln!("sysvars: cannot open a UDP socket: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut jobs = Vec::new();
    let mut failed = false;
    let mut asked = Vec::new();
    for (n, host) in hosts.iter().enumerate() {
        let peer = match resolve(host, 123, Family::Any) {
            Ok(peer) => peer,
            Err(err) => {
                eprintln!("sysvars: {host}: {err}");
                failed = true;
                continue;
            }
        };
        let request =
            ControlRequest::new(ControlOpcode::ReadVariables, AssocId::SYSTEM, Vec::new());
        let sequence = Sequence(u16::try_from(n + 1).unwrap_or(u16::MAX));
        match ControlExchange::new(request, sequence, None, ReassemblyLimits::NTPQ) {
            Ok((exchange, datagram)) => {
                asked.push(host.as_str());
                jobs.push(Job {
                    peer,
                    exchange,
                    datagram,
                });
            }
            Err(err) => {
                eprintln!("sysvars: {host}: {err}");
                failed = true;
            }
        }
    }
    let mut records = Vec::new();
    for (host, result) in asked.iter().zip(transport.run_many(jobs, 16)) {
        let record = result
            .map_err(|err| err.to_string())
            .and_then(|(response, _)| response.variables().map_err(|err| err.to_string()))
            .and_then(|vars| SystemVariables::from_vars(*host, &vars).map_err(|e| e.to_string()));
        match record {
            Ok(record) => records.push(record),
            Err(err) => {
                eprintln!("sysvars: {host}: readvar 0: {err}");
                failed = true;
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let written = if json {
        render_json(&records, &mut out)
    } else {
        render_table(&records, &mut out)
    };
    if written.is_err() || failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
