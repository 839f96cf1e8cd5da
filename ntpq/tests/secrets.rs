//! Secrets never leak (issue 14): every tool that reads keys is run with debug output, JSON and
//! its error paths (a wrong key the server rejects, a secret that is not a key, the lab's right
//! keys) on keys files with distinctive secrets (MD5 text, SHA1 hex, AES-128-CMAC hex), and no
//! form of any secret (its text, its octets in hex either case or as a hex dump shows them, or
//! as text) may appear on standard output or error. `passwd` in the ntpq and ntpdc shells reads
//! the secret without echo: typed through a pty, it is used and never on the screen.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use ntpkit_lab::{Lab, RunOutput, strip_escapes, workspace_binary};

const NTPQ: &str = env!("CARGO_BIN_EXE_ntpq");

/// Distinctive secrets, none the lab's: the servers reject them.
const MD5_TEXT: &str = "Zq8LeakCheckMd5X";
const SHA1_HEX: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
const AES_HEX: &str = "ae5ae5ae5ae5ae5ae5ae5ae5ae5ae5ae";
/// A SHA256 key whose octets are printable text (`LeakedTextKey`).
const TEXTY_HEX: &str = "4c65616b6564546578744b6579";

fn hex_octets(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Every form a secret given as `text` (with octets `octets`) could leak in.
fn forms(text: &str, octets: &[u8]) -> Vec<String> {
    let hex: String = octets.iter().map(|b| format!("{b:02x}")).collect();
    let dump: Vec<String> = octets.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let mut all = vec![
        text.to_owned(),
        hex.clone(),
        hex.to_uppercase(),
        dump.join(" "),
    ];
    if let Ok(ascii) = std::str::from_utf8(octets)
        && ascii.len() >= 6
        && !ascii.contains(char::is_control)
    {
        all.push(ascii.to_owned());
    }
    all
}

/// The forms of every distinctive secret and of the lab's own.
fn all_forms(lab: &Lab) -> &'static Vec<String> {
    static FORMS: OnceLock<Vec<String>> = OnceLock::new();
    FORMS.get_or_init(|| {
        let mut all = forms(MD5_TEXT, MD5_TEXT.as_bytes());
        for hex in [SHA1_HEX, AES_HEX, TEXTY_HEX] {
            all.extend(forms(hex, &hex_octets(hex)));
        }
        for id in 1..=4 {
            let key = lab.key(id);
            all.extend(forms(key.secret, &key.bytes()));
        }
        all
    })
}

/// The distinctive keys file (mode 0600), readable from the client namespace.
fn leak_keys() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ntpkit-secrets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("leak.keys");
        std::fs::write(
            &path,
            format!(
                "1 MD5 {MD5_TEXT}\n2 SHA1 {SHA1_HEX}\n3 AES128CMAC {AES_HEX}\n4 SHA256 {TEXTY_HEX}\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    })
}

fn assert_no_secret(lab: &Lab, what: &str, out: &RunOutput) {
    for form in all_forms(lab) {
        assert!(
            !out.stdout.contains(form.as_str()) && !out.stderr.contains(form.as_str()),
            "{what}: a secret shows as {form:?}:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    assert!(!out.timed_out, "{what}");
}

fn bin(package: &str, name: &str) -> PathBuf {
    workspace_binary(package, name).expect("the tool builds")
}

#[test]
fn no_tool_shows_a_secret_in_debug_output_json_or_errors() {
    let lab = Lab::get();
    let leak = leak_keys().display().to_string();
    let labkeys = lab.keys_file().display().to_string();
    let ntp1 = lab.ntp1().v4.to_string();
    let ntp3 = lab.ntp3().v4.to_string();
    let (ntpdc, ntpdate) = (bin("ntpdc", "ntpdc"), bin("ntpdate", "ntpdate"));
    let (authspeed, keygen) = (bin("authspeed", "authspeed"), bin("keygen", "ntp-keygen"));
    let mut runs = 0;
    let mut check = |what: &str, tool: &Path, args: &[&str], codes: &[i32]| {
        let out = lab
            .command(tool)
            .args(args)
            .timeout(Duration::from_secs(60))
            .run();
        assert!(
            out.code.is_some_and(|c| codes.contains(&c)),
            "{what}: exit {:?}, wanted one of {codes:?}: {}",
            out.code,
            out.stderr
        );
        assert_no_secret(lab, what, &out);
        runs += 1;
    };
    let ntpq = Path::new(NTPQ);
    for key in ["1", "2", "3", "4"] {
        // Wrong keys: the server refuses (4), after a debug trace with hex dumps.
        for json in [None, Some("--json")] {
            let mut args = vec!["-n", "-d", "-d", "-k", &leak, "-a", key];
            args.extend(json);
            args.extend(["-c", "rv 0 stratum", "-c", "reslist", &ntp1]);
            check(&format!("ntpq -a {key} {json:?}"), ntpq, &args, &[4]);
        }
        let mut args = vec!["-n", "-d", "-k", &leak, "-a", key];
        args.extend(["-c", "readkeys", &ntp1]);
        check(&format!("ntpdc -a {key}"), &ntpdc, &args, &[4]);
        let mut args = vec!["-n", "--json", "-k", &leak, "-a", key];
        args.extend(["-c", "readkeys", &ntp3]);
        check(&format!("ntpdc --json -a {key}"), &ntpdc, &args, &[4]);
        for json in [None, Some("--json")] {
            let mut args = vec!["-q", "-d", "-k", &leak, "-a", key, "-t", "0.5"];
            args.extend(json);
            args.push(&ntp1);
            check(
                &format!("ntpdate -a {key} {json:?}"),
                &ntpdate,
                &args,
                &[1, 4],
            );
        }
    }
    // The lab's right keys: signed requests that succeed, traced in full.
    check(
        "ntpq right key",
        ntpq,
        &[
            "-n", "-d", "-d", "-k", &labkeys, "-a", "1", "-c", "reslist", &ntp1,
        ],
        &[0],
    );
    check(
        "ntpq right key json",
        ntpq,
        &[
            "-n", "--json", "-k", &labkeys, "-a", "2", "-c", "reslist", &ntp1,
        ],
        &[0, 4],
    );
    check(
        "ntpdate right key",
        &ntpdate,
        &["-q", "-d", "-k", &labkeys, "-a", "1", &ntp1],
        &[0],
    );
    // Secrets typed on the shell's command line: used, refused, never repeated in a message.
    check(
        "ntpq passwd",
        ntpq,
        &[
            "-n",
            "-d",
            "-c",
            "keyid 1",
            "-c",
            &format!("passwd {MD5_TEXT}"),
            "-c",
            "reslist",
            &ntp1,
        ],
        &[4],
    );
    for (keytype, secret) in [
        ("sha1", format!("{SHA1_HEX}zz")),
        ("md5", format!("{MD5_TEXT}{MD5_TEXT}\u{7f}")),
    ] {
        check(
            &format!("ntpq passwd not a {keytype} key"),
            ntpq,
            &[
                "-n",
                "-c",
                &format!("keytype {keytype}"),
                "-c",
                "keyid 2",
                "-c",
                &format!("passwd {secret}"),
                &ntp1,
            ],
            &[1, 2],
        );
        check(
            &format!("ntpdc passwd not a {keytype} key"),
            &ntpdc,
            &[
                "-n",
                "-c",
                &format!("keytype {keytype}"),
                "-c",
                "keyid 2",
                "-c",
                &format!("passwd {secret}"),
                &ntp1,
            ],
            &[1, 2],
        );
    }
    check(
        "ntpdc passwd",
        &ntpdc,
        &[
            "-n",
            "-d",
            "-c",
            "keyid 1",
            "-c",
            &format!("passwd {MD5_TEXT}"),
            "-c",
            "readkeys",
            &ntp1,
        ],
        &[4],
    );
    // The local tools.
    for json in [None, Some("--json")] {
        let mut args = vec!["-n", "50"];
        args.extend(json);
        args.push(&leak);
        check(&format!("authspeed {json:?}"), &authspeed, &args, &[0]);
        let mut args: Vec<&str> = json.into_iter().collect();
        args.extend(["--check", &leak]);
        check(
            &format!("ntp-keygen --check {json:?}"),
            &keygen,
            &args,
            &[0],
        );
    }
    // --chrony prints the keys by design (on standard output); its messages must not.
    let out = lab.command(&keygen).args(["--chrony", &leak]).run();
    out.assert_success();
    // The detector does detect: every distinctive secret is in the converted keys.
    for (secret, octets) in [
        (MD5_TEXT, MD5_TEXT.as_bytes().to_vec()),
        (SHA1_HEX, hex_octets(SHA1_HEX)),
        (AES_HEX, hex_octets(AES_HEX)),
    ] {
        let found = forms(secret, &octets)
            .iter()
            .any(|f| out.stdout.contains(f.as_str()));
        assert!(found, "--chrony shows no form of {secret}: {}", out.stdout);
    }
    let messages = RunOutput {
        stdout: String::new(),
        ..out
    };
    assert_no_secret(lab, "ntp-keygen --chrony", &messages);
    // A DES key that is not one: named by its position, not its text.
    let des = lab
        .command(&keygen)
        .args(["--des", "--from", "A", "--", "Zq8LeakDesTooLong"])
        .run();
    assert_eq!(des.code, Some(1), "{}", des.stderr);
    assert!(
        des.stderr.starts_with("ntp-keygen: key 1: des: "),
        "{}",
        des.stderr
    );
    assert!(
        !format!("{}{}", des.stdout, des.stderr).contains("LeakDes"),
        "{}",
        des.stderr
    );
    eprintln!("{runs} runs, no secret in any output");
}

/// Types `lines` into `command` through a pty, one at a time, and returns the screen.
fn through_pty(lab: &Lab, command: &str, lines: &[&str]) -> String {
    let typed: String = lines
        .iter()
        .map(|l| format!("sleep 0.6; printf '%s\\r' '{l}'; "))
        .collect();
    let script = format!("({typed}sleep 1) | script -qfec '{command}' /dev/null");
    let out = lab
        .command("sh")
        .args(["-c", &script])
        .timeout(Duration::from_secs(60))
        .run();
    strip_escapes(&out.stdout).replace('\r', "")
}

#[test]
fn passwd_reads_the_secret_without_echo_in_both_shells() {
    let lab = Lab::get();
    let ntp1 = lab.ntp1().v4.to_string();
    let right = lab.key(1).secret;
    // ntpq: the typed secret is ntp1's controlkey, so reslist (signed) succeeds.
    let screen = through_pty(
        lab,
        &format!("{NTPQ} -n {ntp1}"),
        &["keyid 1", "passwd", right, "reslist", "quit"],
    );
    assert!(screen.contains("MD5 Password: "), "{screen}");
    assert!(
        screen.contains("addr/prefix or addr mask"),
        "the key was used: {screen}"
    );
    assert!(!screen.contains(right), "the secret was echoed: {screen}");
    // ntpdc: a wrong typed secret signs readkeys, which ntp1 refuses naming the key.
    let ntpdc = bin("ntpdc", "ntpdc");
    let screen = through_pty(
        lab,
        &format!("{} -n {ntp1}", ntpdc.display()),
        &["keyid 1", "passwd", MD5_TEXT, "readkeys", "quit"],
    );
    assert!(screen.contains("Password: "), "{screen}");
    assert!(
        screen.contains("key 1 MD5 refused"),
        "the typed key signed the request: {screen}"
    );
    assert!(
        !screen.contains(MD5_TEXT),
        "the secret was echoed: {screen}"
    );
}
