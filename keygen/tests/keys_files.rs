//! Hostile keys files (issue 14) through every tool that reads one: `ntpq -k`, `ntpdc -k`,
//! `ntpdate -k`, `authspeed`, `ntp-keygen --chrony` and `ntp-keygen --check`. A bad line, an
//! unknown type, a 1 MiB line, binary junk (NUL, invalid UTF-8), a directory and a missing file
//! each give one line on standard error naming the file (and the line, where there is one) and
//! exit code 1, never a panic; an empty file is no error of its own; a file readable by its
//! group or by everyone gets the same warning from every tool. Nothing is sent anywhere but
//! 127.0.0.1, and only where the file was good.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use ntpkit_lab::workspace_binary;

const KEYGEN: &str = env!("CARGO_BIN_EXE_ntp-keygen");

/// A tool and the command line that makes it read `file` (a signed request for ntpq, whose
/// keys are read at the first one).
struct Tool {
    name: &'static str,
    bin: PathBuf,
    args: fn(&Path) -> Vec<String>,
    /// What the tool puts between its name and the file in an error.
    context: &'static str,
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn tools() -> Vec<Tool> {
    let bin = |package: &str, name: &str| workspace_binary(package, name).expect("the tool builds");
    vec![
        Tool {
            name: "ntpq",
            bin: bin("ntpq", "ntpq"),
            args: |f| {
                [
                    "-n",
                    "-k",
                    &s(f),
                    "-a",
                    "1",
                    "-c",
                    "timeout 100",
                    "-c",
                    "reslist",
                    "127.0.0.1",
                ]
                .map(str::to_owned)
                .to_vec()
            },
            context: "127.0.0.1: reslist: ",
        },
        Tool {
            name: "ntpdc",
            bin: bin("ntpdc", "ntpdc"),
            args: |f| {
                ["-n", "-k", &s(f), "-c", "timeout 100", "127.0.0.1"]
                    .map(str::to_owned)
                    .to_vec()
            },
            context: "",
        },
        Tool {
            name: "ntpdate",
            bin: bin("ntpdate", "ntpdate"),
            args: |f| {
                ["-q", "-k", &s(f), "-a", "1", "-t", "0.1", "127.0.0.1"]
                    .map(str::to_owned)
                    .to_vec()
            },
            context: "",
        },
        Tool {
            name: "authspeed",
            bin: bin("authspeed", "authspeed"),
            args: |f| ["-n", "10", &s(f)].map(str::to_owned).to_vec(),
            context: "",
        },
        Tool {
            name: "ntp-keygen",
            bin: PathBuf::from(KEYGEN),
            args: |f| ["--chrony", &s(f)].map(str::to_owned).to_vec(),
            context: "",
        },
    ]
}

/// A broken keys file: its name, contents (`None`: a directory; missing: not created), the
/// line the error names (0: the whole file) and what the error says.
struct Case {
    name: &'static str,
    contents: Option<Vec<u8>>,
    line: usize,
    what: &'static str,
}

fn cases() -> Vec<Case> {
    let mut huge = b"1 MD5 ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 1 << 20));
    huge.push(b'\n');
    vec![
        Case {
            name: "bad-line",
            contents: Some(b"1 MD5 fine\nnot a key line\n".to_vec()),
            line: 2,
            what: "key number at column 1 is not a decimal number",
        },
        Case {
            name: "unknown-type",
            contents: Some(b"1 MD5 fine\n2 FOO123 secret\n".to_vec()),
            line: 2,
            what: "key 2: unknown key type 'FOO123'",
        },
        Case {
            name: "huge-line",
            contents: Some(huge),
            line: 1,
            what: "line is 1048582 octets long (limit 4096)",
        },
        Case {
            name: "nul",
            contents: Some(b"1 MD5 se\0cret\n".to_vec()),
            line: 1,
            what: "NUL octet at column 9",
        },
        Case {
            name: "invalid-utf8",
            contents: Some(b"1 MD5 fine\n\xff\xfe\x00junk\n".to_vec()),
            line: 2,
            what: "invalid UTF-8 at column 1",
        },
        Case {
            name: "a-directory",
            contents: None,
            line: 0,
            what: "cannot read: Is a directory",
        },
        Case {
            name: "missing",
            contents: Some(Vec::new()),
            line: 0,
            what: "cannot read: No such file or directory",
        },
    ]
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ntpkit-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_case(dir: &Path, case: &Case) -> PathBuf {
    let path = dir.join(case.name);
    match (&case.contents, case.name) {
        (_, "missing") => {}
        (None, _) => fs::create_dir(&path).unwrap(),
        (Some(bytes), _) => {
            fs::write(&path, bytes).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    path
}

fn run(bin: &Path, args: &[String]) -> (Option<i32>, String, String) {
    let out = Command::new(bin).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn broken_keys_files_give_one_line_naming_file_and_line_and_exit_1() {
    let dir = scratch_dir("bad-keys");
    let tools = tools();
    for case in cases() {
        let path = write_case(&dir, &case);
        let at = match case.line {
            0 => s(&path),
            n => format!("{}:{n}", s(&path)),
        };
        for tool in &tools {
            let (code, _, stderr) = run(&tool.bin, &(tool.args)(&path));
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
            let chrony = if tool.name == "ntp-keygen" {
                "chrony: "
            } else {
                ""
            };
            let expected = format!("{}: {}{at}: {chrony}{}", tool.name, tool.context, case.what);
            assert_eq!(code, Some(1), "{} on {}: {stderr}", tool.name, case.name);
            assert_eq!(lines.len(), 1, "{} on {}: {stderr}", tool.name, case.name);
            assert!(
                lines[0].starts_with(&expected),
                "{} on {}:\n  got  {}\n  want {expected}…",
                tool.name,
                case.name,
                lines[0]
            );
        }
        // The checker lists the finding with its line and exits 1 as well.
        let (code, stdout, stderr) = run(Path::new(KEYGEN), &["--check".into(), s(&path)]);
        assert_eq!(code, Some(1), "--check on {}: {stdout}{stderr}", case.name);
        assert!(!stderr.contains("panicked"), "{stderr}");
        match case.line {
            0 => assert!(
                stderr.lines().count() == 1
                    && stderr.starts_with(&format!("ntp-keygen: {}", s(&path))),
                "--check on {}: {stderr}",
                case.name
            ),
            n => assert!(
                stdout.contains(&format!("{}:{n}: error: ", s(&path))),
                "--check on {}: {stdout}",
                case.name
            ),
        }
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_keys_file_is_no_error_of_its_own() {
    let dir = scratch_dir("empty-keys");
    let path = dir.join("empty");
    fs::write(&path, "").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let p = s(&path);
    // Each tool says what is missing, in one line, with its documented code.
    for tool in tools() {
        let (code, stdout, stderr) = run(&tool.bin, &(tool.args)(&path));
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.is_empty()).collect();
        let want: (Option<i32>, Option<String>) = match tool.name {
            "ntpq" => (
                Some(1),
                Some("ntpq: 127.0.0.1: reslist: key 1 is not in the keys file".into()),
            ),
            "ntpdate" => (Some(1), Some(format!("ntpdate: key 1 is not in {p}"))),
            "authspeed" => (
                Some(1),
                Some(format!("authspeed: {p}: no keys of the selected types")),
            ),
            // ntpdc: nothing signed, nothing asked of the file; --chrony: an empty chrony file.
            _ => (Some(0), None),
        };
        assert_eq!(code, want.0, "{}: {stderr}", tool.name);
        assert_eq!(lines, want.1.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            stdout.is_empty() || tool.name == "ntpq",
            "{}: {stdout}",
            tool.name
        );
    }
    let (code, stdout, _) = run(Path::new(KEYGEN), &["--check".into(), p.clone()]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout, format!("{p}: 0 keys, 0 errors, 0 warnings\n"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_tool_warns_alike_about_a_keys_file_others_can_read() {
    let dir = scratch_dir("exposed-keys");
    let path = dir.join("keys");
    fs::write(&path, "1 MD5 exposedSecret\n").unwrap();
    for (mode, warning) in [
        (
            0o644,
            "readable by everyone (mode 0644): anyone on the host can read the keys; chmod 600",
        ),
        (
            0o640,
            "readable by its group (mode 0640): every member can read the keys; chmod 600 unless the group is meant to",
        ),
    ] {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        for tool in tools() {
            let (code, _, stderr) = run(&tool.bin, &(tool.args)(&path));
            let want = format!("{}: warning: {}: {warning}", tool.name, s(&path));
            assert_eq!(
                stderr
                    .lines()
                    .filter(|l| l.contains("warning:"))
                    .collect::<Vec<_>>(),
                [want.as_str()],
                "{} with mode {mode:o}: {stderr}",
                tool.name
            );
            assert!(!stderr.contains("exposedSecret"));
            // The file is used all the same: only the loopback server's silence can fail.
            assert!(
                matches!(code, Some(0 | 3)),
                "{} with mode {mode:o}: exit {code:?}: {stderr}",
                tool.name
            );
        }
    }
    // Mode 0600: no warning from anyone.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    for tool in tools() {
        let (_, _, stderr) = run(&tool.bin, &(tool.args)(&path));
        assert!(!stderr.contains("warning:"), "{}: {stderr}", tool.name);
    }
    fs::remove_dir_all(&dir).unwrap();
}
