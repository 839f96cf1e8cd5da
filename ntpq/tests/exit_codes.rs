//! The shared exit codes (docs/exit-codes.md) used alike by every tool (issue 14): a bad command
//! line 2, a silent host, an unreachable network and a name that does not resolve 3, a missing
//! local file 1, a signed request without a key 4 — for ntpq, ntpq check (plugin codes), ntpdc,
//! ntptrace and ntpdate, each with one line on standard error. (Server errors and refusals
//! are in each tool's lab tests and in the documentation's examples; partial results, 5, in
//! ntpq/tests/lossy.rs.)

use std::path::PathBuf;

use ntpkit_lab::{Lab, workspace_binary};

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");

/// Nothing answers at this lab address.
const SILENT: &str = "10.77.98.99";
/// No route from the client namespace.
const UNREACHABLE: &str = "10.99.99.99";
const UNRESOLVABLE: &str = "no-such-host.invalid";

fn bin(package: &str, name: &str) -> PathBuf {
    workspace_binary(package, name).expect("the tool builds")
}

#[test]
fn every_network_tool_exits_alike_for_the_same_trouble() {
    let lab = Lab::get();
    let ntpq = PathBuf::from(NTPQ);
    let (ntpdc, ntptrace, ntpdate) = (
        bin("ntpdc", "ntpdc"),
        bin("ntptrace", "ntptrace"),
        bin("ntpdate", "ntpdate"),
    );
    // Each tool's command line for a host, and its code for each trouble (ntpq check: the
    // monitoring plugin's UNKNOWN, 3, for all of them).
    let cases: Vec<(&str, &PathBuf, Vec<&str>)> = vec![
        (
            "ntpq",
            &ntpq,
            vec!["-n", "-c", "timeout 300", "-c", "rv 0 stratum"],
        ),
        ("ntpq check", &ntpq, vec!["check", "--timeout", "0.3s"]),
        (
            "ntpdc",
            &ntpdc,
            vec!["-n", "-c", "timeout 300", "-c", "sysinfo"],
        ),
        ("ntptrace", &ntptrace, vec!["-n", "-t", "0.3"]),
        ("ntpdate", &ntpdate, vec!["-q", "-t", "0.3"]),
    ];
    for (name, tool, args) in &cases {
        for (trouble, host, code) in [
            ("silent host", SILENT, 3),
            ("unreachable network", UNREACHABLE, 3),
            ("unresolvable name", UNRESOLVABLE, 3),
        ] {
            let out = lab.command(tool).args(args).arg(host).run();
            assert_eq!(out.code, Some(code), "{name}, {trouble}: {out}");
            let tool_name = name.split(' ').next().unwrap_or(name);
            let errors: Vec<&str> = out
                .stderr
                .lines()
                .filter(|l| l.starts_with(&format!("{tool_name}: ")))
                .collect();
            if *name != "ntpq check" {
                assert!(!errors.is_empty(), "{name}, {trouble}: {out}");
                for line in errors {
                    // A cause named once: "network error: X: X" is a cause printed twice.
                    let parts: Vec<&str> = line.split(": ").collect();
                    assert!(
                        parts.windows(2).all(|w| w[0] != w[1]),
                        "{name}, {trouble}: a repeated message: {line}"
                    );
                }
            }
        }
        let out = lab.command(tool).args(args).arg("--no-such-option").run();
        let usage = if *name == "ntpq check" { 3 } else { 2 };
        assert_eq!(out.code, Some(usage), "{name}, bad option: {out}");
    }
}

#[test]
fn shell_commands_keep_the_scheme() {
    let lab = Lab::get();
    let ntp1 = lab.ntp1().v4.to_string();
    let ntpdc = bin("ntpdc", "ntpdc");
    // `host` with a name that does not resolve: 3 (it was 0 in ntpq, 1 in ntpdc), the
    // current host kept for the next command.
    let out = lab
        .command(NTPQ)
        .args([
            "-n",
            "-c",
            &format!("host {UNRESOLVABLE}"),
            "-c",
            "rv 0 stratum",
            &ntp1,
        ])
        .run();
    assert_eq!(out.code, Some(3), "{out}");
    assert!(out.stdout.contains("stratum=1"), "{out}");
    assert!(
        out.stderr
            .trim_end()
            .ends_with(&format!("; current host remains {ntp1}")),
        "{out}"
    );
    let out = lab
        .command(&ntpdc)
        .args([
            "-n",
            "-c",
            &format!("host {UNRESOLVABLE}"),
            "-c",
            "sysinfo",
            &ntp1,
        ])
        .run();
    assert_eq!(out.code, Some(3), "{out}");
    assert!(out.stdout.contains("stratum:"), "{out}");
    // A local file that is missing is a failed command (1), not an unreachable host (it was 3).
    let keys = lab.keys_file().display().to_string();
    let out = lab
        .command(NTPQ)
        .args([
            "-n",
            "-k",
            &keys,
            "-a",
            "1",
            "-c",
            "config-from-file /nonexistent/ntp.conf",
            &ntp1,
        ])
        .run();
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr.contains("cannot read '/nonexistent/ntp.conf'"),
        "{out}"
    );
    // A signed request without any key: 4 in both shells (ntpdc said 1).
    let out = lab.command(NTPQ).args(["-n", "-c", "reslist", &ntp1]).run();
    assert_eq!(out.code, Some(4), "{out}");
    let out = lab
        .command(&ntpdc)
        .args(["-n", "-c", "readkeys", &ntp1])
        .run();
    assert_eq!(out.code, Some(4), "{out}");
}
