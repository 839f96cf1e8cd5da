//! `authspeed` from the command line: the classic usage on the xntp3 sample keys, every key type,
//! errors, and the JSON document against the shape documented in docs/json.md. Only shapes and
//! relations are checked here, never how fast anything is.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const AUTHSPEED: &str = env!("CARGO_BIN_EXE_authspeed");

#[test]
fn version_help_and_usage_errors() {
    ntpkit_lab::assert_cli_surface(AUTHSPEED.as_ref(), "authspeed", env!("CARGO_PKG_VERSION"));
}

fn sample_keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample.keys")
}

fn authspeed(args: &[&str]) -> Output {
    Command::new(AUTHSPEED).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The table rows: (type, keys, operation).
fn rows(report: &str) -> Vec<(String, String, String)> {
    report
        .lines()
        .skip(2)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect()
}

#[test]
fn classic_md5_usage_on_the_sample_keys() {
    let keys = sample_keys();
    let out = authspeed(&["-mn", "300", keys.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.starts_with("300 operations per type and operation on 48-octet NTP packets"));
    assert_eq!(
        report
            .lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["type", "keys", "operation", "median_ns", "p99_ns", "ops/s"]
    );
    let want = |t: &str| {
        vec![
            (t.to_owned(), "16".to_owned(), "sign".to_owned()),
            (t.to_owned(), "16".to_owned(), "verify".to_owned()),
        ]
    };
    assert_eq!(rows(&report), want("MD5"));
    let authdelay: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("authdelay "))
        .collect();
    assert_eq!(authdelay.len(), 1);
    let seconds: f64 = authdelay[0]
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds > 0.0 && seconds < 1.0, "{seconds}");
    assert!(authdelay[0].ends_with("  # MD5"));
}

#[test]
fn every_type_in_the_file_is_measured() {
    let keys = sample_keys();
    let out = authspeed(&["-n", "200", "--batch", "20", keys.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let found: Vec<(String, String)> = rows(&text(&out.stdout))
        .into_iter()
        .map(|(t, k, _)| (t, k))
        .collect();
    assert_eq!(
        found,
        [("DES", "15"), ("DES", "15"), ("MD5", "16"), ("MD5", "16")]
            .map(|(t, k)| (t.to_owned(), k.to_owned()))
    );
    // Without a keys file: built-in keys of every type, one each.
    let out = authspeed(&["-n", "100", "--type", "sha256,aes,des"]);
    let types: Vec<String> = rows(&text(&out.stdout))
        .into_iter()
        .map(|(t, _, _)| t)
        .collect();
    assert_eq!(
        types,
        ["SHA256", "SHA256", "AES128CMAC", "AES128CMAC", "DES", "DES"]
    );
}

#[test]
fn json_has_the_documented_shape() {
    let out = authspeed(&["-n", "500", "--batch", "50", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let object = doc.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["batch", "keys_file", "operations", "packet_octets", "types"]
    );
    assert!(doc["keys_file"].is_null());
    assert_eq!(
        (doc["operations"].as_u64(), doc["batch"].as_u64()),
        (Some(500), Some(50))
    );
    assert_eq!(doc["packet_octets"], 48);
    let types = doc["types"].as_array().unwrap();
    let names: Vec<&str> = types.iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(names, ["MD5", "SHA1", "SHA256", "AES128CMAC", "DES"]);
    let mac_octets: Vec<u64> = types
        .iter()
        .map(|t| t["mac_octets"].as_u64().unwrap())
        .collect();
    assert_eq!(mac_octets, [16, 20, 20, 16, 8]);
    for t in types {
        let mut fields: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "authdelay_s",
                "key_ids",
                "mac_octets",
                "sign",
                "type",
                "verify"
            ]
        );
        assert!(t["key_ids"].as_array().unwrap().iter().all(Value::is_u64));
        for op in ["sign", "verify"] {
            let timing = &t[op];
            let mut fields: Vec<&str> = timing
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            fields.sort_unstable();
            assert_eq!(
                fields,
                ["median_ns", "min_ns", "ops_per_second", "p99_ns", "runs"]
            );
            let get = |k: &str| timing[k].as_f64().unwrap();
            assert!(
                get("min_ns") <= get("median_ns") && get("median_ns") <= get("p99_ns"),
                "{timing}"
            );
            assert!(
                (get("ops_per_second") * get("median_ns") - 1e9).abs() < 1e3,
                "{timing}"
            );
            assert_eq!(timing["runs"], 10);
        }
        let delay = t["authdelay_s"].as_f64().unwrap();
        assert!((delay * 1e9 - t["sign"]["median_ns"].as_f64().unwrap()).abs() < 1e-6);
    }
}

#[test]
fn bad_key_files_are_one_line_errors() {
    let missing = authspeed(&["/nonexistent/ntp.keys"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        text(&missing.stderr),
        "authspeed: /nonexistent/ntp.keys: cannot read: No such file or directory (os error 2)\n"
    );
    let dir = std::env::temp_dir().join(format!("authspeed-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.keys");
    std::fs::write(&bad, "1 MD5 fine\n2 SHA1 correcthorsebatterystaple\n").unwrap();
    // Private, as keys files should be: a readable one adds a warning line.
    std::fs::set_permissions(
        &bad,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600),
    )
    .unwrap();
    let out = authspeed(&[bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "authspeed: {}:2: key 2: invalid hex digit at position 2 of the key\n",
            bad.display()
        )
    );
    std::fs::write(&bad, "1 SHA1 0102030405060708090a0b0c0d0e0f1011121314\n").unwrap();
    let out = authspeed(&["-m", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "authspeed: {}: no keys of the selected types\n",
            bad.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
