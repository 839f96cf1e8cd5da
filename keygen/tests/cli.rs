//! `ntp-keygen` without a network: the command-line surface, generation to files and standard
//! output, `--check` on the defect fixture, the conversions, and every JSON document against the
//! shape documented in docs/json.md.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ntpkit::auth::{KeyType, KeysFile};
use serde_json::Value;

const KEYGEN: &str = env!("CARGO_BIN_EXE_ntp-keygen");

#[test]
fn version_help_and_usage_errors() {
    ntpkit_lab::assert_cli_surface(KEYGEN.as_ref(), "ntp-keygen", env!("CARGO_PKG_VERSION"));
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ntp-keygen-cli-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn keygen(dir: &Path, args: &[&str]) -> Output {
    Command::new(KEYGEN)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// JSON value kinds for shape checks.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Str,
    Num,
    Bool,
    Arr,
    StrOrNull,
    NumOrNull,
}

/// Checks that `value` is an object with exactly these keys, of these kinds.
fn assert_shape(value: &Value, fields: &[(&str, Kind)]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    want.sort_unstable();
    assert_eq!(keys, want, "{value}");
    for (key, kind) in fields {
        let v = &object[*key];
        let ok = match kind {
            Kind::Str => v.is_string(),
            Kind::Num => v.is_number(),
            Kind::Bool => v.is_boolean(),
            Kind::Arr => v.is_array(),
            Kind::StrOrNull => v.is_string() || v.is_null(),
            Kind::NumOrNull => v.is_number() || v.is_null(),
        };
        assert!(ok, "{key}: expected {kind:?}, got {v}");
    }
}

fn assert_finding_shape(finding: &Value) {
    assert_shape(
        finding,
        &[
            ("line", Kind::Num),
            ("severity", Kind::Str),
            ("message", Kind::Str),
        ],
    );
    let severity = finding["severity"].as_str().unwrap();
    assert!(severity == "error" || severity == "warning", "{severity}");
}

#[test]
fn generates_private_files_and_never_clobbers() {
    let dir = TempDir::new("gen");
    let out = keygen(
        &dir.0,
        &[
            "-o",
            "my.keys",
            "-t",
            "sha256,aes128cmac",
            "-n",
            "3",
            "--first-id",
            "50",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "Generating new keys file\nmy.keys\n");
    let path = dir.0.join("my.keys");
    assert_eq!(mode(&path), 0o600);
    let file = KeysFile::load(&path).unwrap();
    let shape: Vec<(u32, KeyType, usize)> = file
        .entries()
        .map(|e| (e.id().0, e.kind(), e.key().secret().len()))
        .collect();
    assert_eq!(
        shape,
        [
            (50, KeyType::Sha256, 32),
            (51, KeyType::Sha256, 32),
            (52, KeyType::Sha256, 32),
            (53, KeyType::Aes128Cmac, 16),
            (54, KeyType::Aes128Cmac, 16),
            (55, KeyType::Aes128Cmac, 16),
        ]
    );
    let first = fs::read_to_string(&path).unwrap();
    assert!(first.starts_with("# my.keys\n# "), "{first}");

    // A second run refuses to overwrite; --force replaces (with fresh keys, still 0600).
    let again = keygen(&dir.0, &["-o", "my.keys"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        text(&again.stderr),
        "ntp-keygen: my.keys: generate: already exists; use --force to replace it\n"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), first);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let forced = keygen(&dir.0, &["-o", "my.keys", "--force"]);
    assert!(forced.status.success());
    assert_ne!(fs::read_to_string(&path).unwrap(), first);
    assert_eq!(mode(&path), 0o600);

    // A real file named ntp.keys is never replaced by the classic link without --force.
    fs::write(dir.0.join("ntp.keys"), "1 MD5 precious\n").unwrap();
    let classic = keygen(&dir.0, &["-M"]);
    assert_eq!(classic.status.code(), Some(1));
    assert!(text(&classic.stderr).contains("ntp.keys: generate: exists and is not a link"));
    assert_eq!(
        fs::read_to_string(dir.0.join("ntp.keys")).unwrap(),
        "1 MD5 precious\n"
    );
    assert_eq!(
        fs::read_dir(&dir.0).unwrap().count(),
        2,
        "nothing else was written"
    );
}

#[test]
fn writes_to_standard_output() {
    let dir = TempDir::new("stdout");
    let out = keygen(&dir.0, &["-o", "-", "-t", "md5", "-n", "2"]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty());
    let keys = text(&out.stdout);
    let lines: Vec<&str> = keys.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("# ntpkey_MD5key_"));
    assert!(lines[3].starts_with(" 1 MD5 ") && lines[3].ends_with("  # MD5 key"));
    assert_eq!(KeysFile::parse("stdout", &keys).unwrap().len(), 2);
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 0);
    let clash = keygen(&dir.0, &["-o", "-", "--json"]);
    assert_eq!(clash.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    for args in [
        &["-t", "des"][..],
        &["-i", "../etc"],
        &["--first-id", "65535", "-n", "2", "-t", "md5"],
        &["--admin-key", "99"],
        &["--check"],
    ] {
        let out = keygen(&dir.0, args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr).lines().count().min(1), 1);
    }
    assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 0);
}

#[test]
fn generate_json_has_the_documented_shape() {
    let dir = TempDir::new("json");
    let out = keygen(
        &dir.0,
        &["-M", "--json", "-i", "jsonhost", "--admin-key", "11"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_shape(
        &doc,
        &[
            ("command", Kind::Str),
            ("file", Kind::Str),
            ("link", Kind::StrOrNull),
            ("mode", Kind::Str),
            ("keys", Kind::Arr),
            ("config", Kind::Arr),
        ],
    );
    assert_eq!(doc["command"], "generate");
    assert_eq!(doc["mode"], "0600");
    assert_eq!(doc["link"], "./ntp.keys");
    assert!(
        doc["file"]
            .as_str()
            .unwrap()
            .starts_with("./ntpkey_MD5key_jsonhost.")
    );
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 20);
    for key in keys {
        assert_shape(
            key,
            &[
                ("id", Kind::Num),
                ("type", Kind::Str),
                ("secret_octets", Kind::Num),
            ],
        );
    }
    assert_eq!(keys[0]["type"], "MD5");
    assert_eq!(keys[19]["type"], "SHA1");
    assert_eq!(keys[19]["secret_octets"], 20);
    let config: Vec<&str> = doc["config"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        config[1..],
        ["trustedkey (1 ... 20)", "requestkey 11", "controlkey 11"]
    );
    assert!(config[0].starts_with("keys /") && config[0].ends_with("/ntp.keys"));
}

/// Copies the fixture into `dir` with `mode`.
fn fixture(dir: &Path, mode: u32) -> PathBuf {
    let path = dir.join("defects.keys");
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/defects.keys"),
        &path,
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn check_flags_every_defect_with_its_line() {
    let dir = TempDir::new("check");
    fixture(&dir.0, 0o644);
    let out = keygen(&dir.0, &["--check", "defects.keys"]);
    assert_eq!(out.status.code(), Some(1), "errors make the exit code 1");
    let report = text(&out.stdout);
    // (line prefix, what the finding must say): every defect the issue lists.
    let expected = [
        (
            "defects.keys: error: readable by everyone (mode 0644)",
            "world-readable",
        ),
        (
            "defects.keys:3: error: key 1 is already defined on line 2",
            "duplicate id",
        ),
        ("defects.keys:4: error: key 0 is reserved", "id 0"),
        (
            "defects.keys:5: error: key 70000 is reserved for autokey",
            "id > 65535",
        ),
        (
            "defects.keys:6: error: key 7: unknown key type 'BLAKE3'",
            "unknown type",
        ),
        (
            "defects.keys:7: warning: key 8: key text is 23 characters, so it is read as hex",
            "21-39 chars as hex",
        ),
        (
            "defects.keys:8: error: key 9: invalid hex digit at position 2 of the key; keys longer than 20 characters are read as hex",
            "passphrase read as hex",
        ),
        (
            "defects.keys:9: error: non-ASCII character at column 9",
            "uncarryable: non-ASCII",
        ),
        (
            "defects.keys:10: error: control character 0x01 at column 12",
            "uncarryable: control",
        ),
        (
            "defects.keys:11: warning: '#' at column 11 follows a field",
            "uncarryable: #",
        ),
        (
            "defects.keys:12: error: key 13: DES key octet 8 does not have odd parity",
            "DES parity",
        ),
        (
            "defects.keys:13: warning: key 14: legacy xntp3 DES type 'N'",
            "DES type",
        ),
    ];
    for (prefix, what) in expected {
        assert!(
            report.lines().any(|l| l.starts_with(prefix)),
            "{what}: no line starting {prefix:?} in\n{report}"
        );
    }
    assert_eq!(
        report.lines().last(),
        Some("defects.keys: not loadable, 9 errors, 4 warnings")
    );
    assert!(out.stderr.is_empty());
    // No key material in the report.
    for secret in [
        "goodpassword",
        "correcthorse",
        "keyzero",
        "autokeyrange",
        "ctrl",
    ] {
        assert!(!report.contains(secret), "{secret} leaked");
    }

    // Group-readable is a warning only (the classic tool's own 0640); 0600 is clean.
    let group = fixture(&dir.0, 0o640);
    let out = keygen(&dir.0, &["--check", group.to_str().unwrap()]);
    assert!(text(&out.stdout).contains(": warning: readable by its group (mode 0640)"));
    let generated = keygen(&dir.0, &["-o", "good.keys"]);
    assert!(generated.status.success());
    let clean = keygen(&dir.0, &["--check", "good.keys"]);
    assert!(clean.status.success());
    assert_eq!(
        text(&clean.stdout),
        "good.keys: 20 keys, 0 errors, 0 warnings\n"
    );
}

#[test]
fn check_json_has_the_documented_shape() {
    let dir = TempDir::new("checkjson");
    fixture(&dir.0, 0o600);
    keygen(&dir.0, &["-o", "good.keys"]);
    let out = keygen(
        &dir.0,
        &[
            "--check",
            "defects.keys",
            "missing.keys",
            "good.keys",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ntp-keygen: missing.keys: check: cannot read: No such file or directory\n"
    );
    let docs: Vec<Value> = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(docs.len(), 2, "one document per readable file");
    for doc in &docs {
        assert_shape(
            doc,
            &[
                ("command", Kind::Str),
                ("file", Kind::Str),
                ("mode", Kind::Str),
                ("keys", Kind::NumOrNull),
                ("errors", Kind::Num),
                ("warnings", Kind::Num),
                ("findings", Kind::Arr),
            ],
        );
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(assert_finding_shape);
    }
    assert_eq!(docs[0]["keys"], Value::Null);
    assert_eq!(
        (docs[0]["errors"].as_u64(), docs[0]["warnings"].as_u64()),
        (Some(8), Some(4))
    );
    assert_eq!(docs[0]["findings"][0]["line"], 3);
    assert_eq!(docs[1]["keys"], 20);
    assert_eq!(docs[1]["findings"], Value::Array(vec![]));
}

#[test]
fn des_keys_convert_like_keyparity() {
    let dir = TempDir::new("des");
    let out = keygen(
        &dir.0,
        &["--des", "--from", "A", "--to", "S", "ugosnod", "a"],
    );
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        "S eacedfe6dcdfc801\nS c201010101010101\n"
    );
    let out = keygen(
        &dir.0,
        &["--des", "--to", "N", "f1f1f1f1f1f1f1f1", "f0f0f0f0f0f0f0f0"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "N f8f8f8f8f8f8f8f8\n");
    assert_eq!(
        text(&out.stderr),
        "ntp-keygen: key 2: des: not a valid S key: DES key octet 1 does not have odd parity\n"
    );
    let out = keygen(
        &dir.0,
        &["--des", "--fix-parity", "--to", "A", "f0f0f0f0f0f0f0f0"],
    );
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "A xxxxxxxx\n");
    assert_eq!(
        text(&out.stderr),
        "ntp-keygen: key 1: des: parity bits set\n"
    );
    let out = keygen(
        &dir.0,
        &["--des", "--from", "n", "--json", "8080808080808080"],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_shape(
        &doc,
        &[
            ("command", Kind::Str),
            ("from", Kind::Str),
            ("keys", Kind::Arr),
        ],
    );
    let key = &doc["keys"][0];
    assert_shape(
        key,
        &[
            ("s", Kind::Str),
            ("n", Kind::Str),
            ("a", Kind::StrOrNull),
            ("parity_fixed", Kind::Bool),
        ],
    );
    assert_eq!(
        (key["s"].as_str(), key["a"].as_str()),
        (Some("0101010101010101"), None)
    );
    assert_eq!(doc["from"], "N");
}

#[test]
fn keys_files_convert_to_chrony() {
    let dir = TempDir::new("chrony");
    let path = dir.0.join("in.keys");
    fs::write(
        &path,
        "# lab keys\n1 MD5 ntpkitLabMd5Key1\n2 SHA1 b17b14e1f44d7cc238db23923b8801495d2d9fb5\n\
         4 AES128CMAC 5b051cf0a143e932ba3d2bd1bf2e13bc 10.77.0.0/16\n",
    )
    .unwrap();
    // Private, as keys files should be: a readable one adds a warning line.
    fs::set_permissions(
        &path,
        <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600),
    )
    .unwrap();
    let out = keygen(&dir.0, &["--chrony", "in.keys"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "# lab keys\n1 MD5 HEX:6E74706B69744C61624D64354B657931\n\
         2 SHA1 HEX:B17B14E1F44D7CC238DB23923B8801495D2D9FB5\n\
         4 AES128 HEX:5B051CF0A143E932BA3D2BD1BF2E13BC\n"
    );
    assert_eq!(
        text(&out.stderr),
        "ntp-keygen: in.keys:4: chrony: key 4: access list dropped: chrony has no per-key address restriction\n"
    );
    let json = keygen(&dir.0, &["--chrony", "in.keys", "--json"]);
    let doc: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_shape(
        &doc,
        &[
            ("command", Kind::Str),
            ("file", Kind::Str),
            ("keys", Kind::Num),
            ("notes", Kind::Arr),
            ("text", Kind::Str),
        ],
    );
    assert_eq!(doc["text"].as_str(), Some(text(&out.stdout).as_str()));
    assert_finding_shape(&doc["notes"][0]);

    fs::write(&path, "1 MD5 abc\n2 A ugosnod\n").unwrap();
    let des = keygen(&dir.0, &["--chrony", "in.keys"]);
    assert_eq!(des.status.code(), Some(1));
    assert_eq!(
        text(&des.stderr),
        "ntp-keygen: in.keys: chrony: line 2: key 2: chrony has no legacy DES keys (type 'A')\n"
    );
    fs::write(&path, "1 MD5 abc\n1 MD5 def\n").unwrap();
    let bad = keygen(&dir.0, &["--chrony", "in.keys"]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        text(&bad.stderr),
        "ntp-keygen: in.keys:2: chrony: key 1 is already defined on line 1\n"
    );
    assert!(bad.stdout.is_empty());
}
