//! `ntp-keygen` against the real thing: its classic output beside the reference `ntp-keygen -M`,
//! and its files loaded by scratch ntpd 4.2.8p15 and NTPsec 1.2.2 daemons (each in its own
//! namespace, configured with the lines `ntp-keygen --config` prints), which must then accept
//! requests signed with every generated key and authenticated `:config` requests signed with an
//! MD5, a SHA1 and an AES-CMAC key.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use ntpkit::auth::{Key, KeyId, KeyType, KeysFile};
use ntpkit::control::{
    AssocId, ControlFragment, ControlOpcode, ControlRequest, ErrorCode, MacAlignment, Sequence,
};
use ntpkit::packet::{ClientRequest, NtpMode, NtpPacket, Trailer};
use ntpkit::time::{NtpTimestamp, UnixTime};
use ntpkit_lab::{Daemon, RefTool, ScratchDaemon, ScratchKind, Tools};

const KEYGEN: &str = env!("CARGO_BIN_EXE_ntp-keygen");
const WAIT: Duration = Duration::from_secs(3);

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ntp-keygen-lab-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

fn keygen(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(KEYGEN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ntp-keygen runs");
    assert!(
        out.status.success(),
        "ntp-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The file `ntp.keys` points to, and the directory's entries.
fn classic_pair(dir: &Path) -> (String, Vec<String>) {
    let target = fs::read_link(dir.join("ntp.keys")).expect("ntp.keys is a link");
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (target.to_string_lossy().into_owned(), names)
}

/// The classic text with what varies masked: the stamp, the date, every key.
fn normalize_classic(text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .map(|(index, line)| match index {
            0 => line
                .rsplit_once('.')
                .map_or(line.to_owned(), |(name, _)| format!("{name}.~")),
            1 => "# ~date~".to_owned(),
            _ => mask_key(line),
        })
        .collect()
}

/// ` 1 MD5 <key>  # MD5 key` → ` 1 MD5 ~  # MD5 key` (key texts hold no spaces).
fn mask_key(line: &str) -> String {
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let mut parts = trimmed.splitn(3, ' ');
    let (Some(id), Some(kind), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return line.to_owned();
    };
    let after = rest.find(' ').map_or("", |at| &rest[at..]);
    format!("{indent}{id} {kind} ~{after}")
}

/// Checks every key text of a classic file: 20 printable characters without `#` for MD5, 40
/// lowercase hex digits for SHA1.
fn assert_classic_keys(file: &KeysFile, who: &str) {
    assert_eq!(file.len(), 20, "{who}");
    for entry in file.entries() {
        let text = entry.key_text();
        match entry.id().0 {
            1..=10 => {
                assert_eq!(entry.kind(), KeyType::Md5, "{who}");
                assert_eq!(text.len(), 20, "{who}");
                assert!(
                    text.bytes()
                        .all(|c| (0x21..=0x7e).contains(&c) && c != b'#')
                );
            }
            11..=20 => {
                assert_eq!(entry.kind(), KeyType::Sha1, "{who}");
                assert_eq!(text.len(), 40, "{who}");
                assert!(
                    text.bytes()
                        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
                );
            }
            other => panic!("{who}: unexpected key {other}"),
        }
    }
}

#[test]
fn classic_output_matches_the_reference_tool() {
    let tools = Tools::get();
    let ours = TempDir::new("ours");
    let theirs = TempDir::new("theirs");
    let our_run = keygen(&ours.0, &["-M"]);
    let their_run = tools
        .reference(RefTool::NtpKeygen)
        .arg("-M")
        .current_dir(&theirs.0)
        .run();
    their_run.assert_success();

    let (our_target, our_names) = classic_pair(&ours.0);
    let (their_target, their_names) = classic_pair(&theirs.0);
    for (target, names) in [(&our_target, &our_names), (&their_target, &their_names)] {
        assert_eq!(names, &vec!["ntp.keys".to_owned(), target.clone()]);
    }
    // Same name up to the NTP-seconds stamp, which is within a minute of each other.
    let split = |t: &str| {
        let (name, stamp) = t.rsplit_once('.').unwrap();
        (name.to_owned(), stamp.parse::<u64>().unwrap())
    };
    let (our_name, our_stamp) = split(&our_target);
    let (their_name, their_stamp) = split(&their_target);
    assert_eq!(our_name, their_name);
    assert!(our_name.starts_with("ntpkey_MD5key_"));
    assert!(
        our_stamp.abs_diff(their_stamp) < 60,
        "{our_stamp} {their_stamp}"
    );

    let our_text = fs::read_to_string(ours.0.join(&our_target)).unwrap();
    let their_text = fs::read_to_string(theirs.0.join(&their_target)).unwrap();
    assert_eq!(normalize_classic(&our_text), normalize_classic(&their_text));
    assert_eq!(
        our_text.lines().next(),
        Some(format!("# {our_target}").as_str())
    );
    assert_eq!(our_text.lines().nth(2), Some(""));
    assert_classic_keys(&KeysFile::parse("ours", &our_text).unwrap(), "ours");
    assert_classic_keys(&KeysFile::parse("theirs", &their_text).unwrap(), "theirs");

    // The classic tool's umask gives 0640; ours are 0600 (docs/ntp-keygen.md says why).
    let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(theirs.0.join(&their_target)), 0o640);
    assert_eq!(mode(ours.0.join(&our_target)), 0o600);

    // The same two progress lines on standard error (the reference prints an OpenSSL line first).
    let tail = |text: &str| -> Vec<String> {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(2)..]
            .iter()
            .map(|l| {
                l.rsplit_once('.')
                    .map_or((*l).to_owned(), |(n, _)| n.to_owned())
            })
            .collect()
    };
    assert_eq!(
        tail(&String::from_utf8_lossy(&our_run.stderr)),
        tail(&their_run.stderr)
    );
    assert!(our_run.stdout.is_empty());

    // `-i` names the file alike.
    keygen(&ours.0, &["-M", "-i", "lab-group"]);
    let out = tools
        .reference(RefTool::NtpKeygen)
        .args(["-M", "-i", "lab-group"])
        .current_dir(&theirs.0)
        .run();
    out.assert_success();
    assert!(
        classic_pair(&ours.0)
            .0
            .starts_with("ntpkey_MD5key_lab-group.")
    );
    assert!(
        classic_pair(&theirs.0)
            .0
            .starts_with("ntpkey_MD5key_lab-group.")
    );
}

fn now() -> NtpTimestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    NtpTimestamp::from_unix(UnixTime {
        secs: i64::try_from(since.as_secs()).unwrap(),
        nanos: since.subsec_nanos(),
    })
}

/// The same key number and type with another secret.
fn forged(key: &Key) -> Key {
    let mut secret = key.secret().to_vec();
    secret[0] ^= 0x55;
    Key::new(key.id(), key.kind(), secret)
}

/// Sends a mode 3 request signed with `key`; returns whether the reply carries a valid MAC
/// under the same key.
fn client_request_verifies(daemon: &ScratchDaemon, key: &Key) -> bool {
    let request = ClientRequest {
        transmit: now(),
        key: Some(key),
        ..ClientRequest::default()
    };
    let replies = daemon.udp_exchange(daemon.addr(), &request.encode(), 1, WAIT);
    let Some(reply) = replies.first() else {
        return false;
    };
    let packet = NtpPacket::decode(&reply.data).expect("a server reply decodes");
    assert_eq!(packet.mode, NtpMode::Server);
    assert_eq!(packet.origin_timestamp, request.transmit);
    matches!(packet.trailer, Trailer::Mac { .. }) && packet.verify(key) == Ok(key.id())
}

/// Sends `:config <line>` signed with `key` (mode 6 CONFIGURE, 8-octet MAC alignment); returns
/// the reply text, or the error code the daemon answered with.
fn configure(
    daemon: &ScratchDaemon,
    key: &Key,
    line: &str,
    sequence: u16,
) -> Result<String, ErrorCode> {
    let request = ControlRequest::new(
        ControlOpcode::Configure,
        AssocId::SYSTEM,
        line.as_bytes().to_vec(),
    );
    let bytes = request
        .encode(Sequence(sequence), Some((key, MacAlignment::Eight)))
        .expect("request encodes");
    let replies = daemon.udp_exchange(daemon.addr(), &bytes, 1, WAIT);
    let reply = replies
        .first()
        .unwrap_or_else(|| panic!("{:?}: no reply to :config {line}", daemon.kind()));
    let fragment = ControlFragment::decode(&reply.data).expect("a control reply decodes");
    assert!(fragment.header.response);
    assert_eq!(fragment.header.sequence, Sequence(sequence));
    if fragment.header.error {
        return Err(ErrorCode::from_status(fragment.header.status));
    }
    let text = String::from_utf8_lossy(fragment.data);
    Ok(text
        .split('\0')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

/// A scratch daemon configured with `config` (the lines `ntp-keygen --config` printed), open to
/// mode 6 from loopback: NTPsec's built-in default restriction is `noquery`, even for
/// 127.0.0.1, so without these lines it ignores every control request.
fn start(kind: Daemon, config: &[String]) -> ScratchDaemon {
    ScratchDaemon::builder(kind)
        .conf_lines(config.iter().cloned())
        .conf_lines(["restrict 127.0.0.1", "restrict ::1"])
        .start(Tools::get())
}

/// Every key of `keys` signs a client request the daemon answers with a MAC under that key; a
/// forged MAC gets no such answer.
fn assert_every_key_authenticates(daemon: &ScratchDaemon, keys: &KeysFile, file: &str) {
    for entry in keys.entries() {
        let key = entry.key();
        assert!(
            client_request_verifies(daemon, key),
            "{:?} with {file}: key {} ({}) does not authenticate; log:\n{}",
            daemon.kind(),
            key.id(),
            key.kind(),
            daemon.log()
        );
    }
    let first = keys.entries().next().unwrap().key();
    assert!(!client_request_verifies(daemon, &forged(first)));
}

#[test]
fn generated_files_are_loaded_by_ntpd_and_ntpsec() {
    let dir = TempDir::new("load");
    // The classic file, and one of every generated type (with its ntp.conf lines).
    let classic = keygen(&dir.0, &["-M", "--config"]);
    let every = dir.0.join("every.keys");
    let every_run = keygen(
        &dir.0,
        &[
            "-t",
            "md5,sha1,sha256,aes128cmac",
            "-n",
            "2",
            "--first-id",
            "100",
            "-o",
            every.to_str().unwrap(),
            "--config",
        ],
    );
    let classic_config = stdout_lines(&classic);
    let every_config = stdout_lines(&every_run);
    assert_eq!(
        classic_config,
        [
            format!(
                "keys {}",
                dir.0.canonicalize().unwrap().join("ntp.keys").display()
            ),
            "trustedkey (1 ... 20)".to_owned(),
            "requestkey 1".to_owned(),
            "controlkey 1".to_owned(),
        ]
    );
    assert_eq!(every_config[1], "trustedkey (100 ... 107)");
    let classic_keys = KeysFile::load(dir.0.join("ntp.keys")).unwrap();
    let every_keys = KeysFile::load(&every).unwrap();

    for kind in [Daemon::Reference, Daemon::Ntpsec] {
        for (config, keys, name) in [
            (&classic_config, &classic_keys, "the classic file"),
            (&every_config, &every_keys, "every.keys"),
        ] {
            let daemon = start(kind, config);
            let log = daemon.log();
            match kind {
                // ntpd 4.2.8 logs key file problems only.
                Daemon::Reference => assert!(!log.contains("authreadkeys"), "{log}"),
                Daemon::Ntpsec => assert!(
                    log.contains(&format!("authreadkeys: added {} keys", keys.len())),
                    "{log}"
                ),
            }
            assert!(!log.contains("syntax error"), "{log}");
            assert_every_key_authenticates(&daemon, keys, name);
        }
    }
}

#[test]
fn config_requests_authenticate_with_md5_sha1_and_aes_cmac_keys() {
    let dir = TempDir::new("config");
    let every = dir.0.join("every.keys");
    let out = keygen(
        &dir.0,
        &[
            "-t",
            "md5,sha1,sha256,aes128cmac",
            "-n",
            "2",
            "--first-id",
            "100",
            "-o",
            every.to_str().unwrap(),
            "--config",
        ],
    );
    let config = stdout_lines(&out);
    assert_eq!(config[3], "controlkey 100");
    let keys = KeysFile::load(&every).unwrap();
    let key = |id| keys.get(KeyId(id)).unwrap().clone();
    let (md5, sha1, sha256, aes) = (key(100), key(102), key(104), key(106));
    assert_eq!(
        [md5.kind(), sha1.kind(), sha256.kind(), aes.kind()],
        [
            KeyType::Md5,
            KeyType::Sha1,
            KeyType::Sha256,
            KeyType::Aes128Cmac
        ]
    );
    for kind in [Daemon::Reference, Daemon::Ntpsec] {
        let daemon = start(kind, &config);
        let who = format!("{kind:?}");
        // Only the controlkey may configure: SHA256 key 104 is trusted but is not it.
        assert_eq!(
            configure(&daemon, &sha256, "controlkey 102", 1),
            Err(ErrorCode::Permission),
            "{who}"
        );
        // Each step is signed with the current controlkey and hands the role to the next type:
        // MD5 100 → SHA1 102 → AES-CMAC 106 → MD5 100.
        let steps = [(&md5, 102, &sha1), (&sha1, 106, &aes), (&aes, 100, &md5)];
        for (index, (signer, next, next_key)) in steps.into_iter().enumerate() {
            let seq = 10 + 2 * u16::try_from(index).unwrap();
            assert_eq!(
                configure(&daemon, signer, &format!("controlkey {next}"), seq).as_deref(),
                Ok("Config Succeeded"),
                "{who}: :config signed with key {} ({}); log:\n{}",
                signer.id(),
                signer.kind(),
                daemon.log()
            );
            // The role moved: the old signer is refused, a forged new key too.
            assert_eq!(
                configure(&daemon, &forged(next_key), "controlkey 100", seq + 1),
                Err(ErrorCode::Permission),
                "{who}"
            );
            if signer.id() != next_key.id() {
                assert_eq!(
                    configure(&daemon, signer, "controlkey 100", seq + 1),
                    Err(ErrorCode::Permission),
                    "{who}: key {} still configures after controlkey {next}",
                    signer.id()
                );
            }
        }
    }
}

#[test]
fn the_check_fixture_is_rejected_by_the_reference_daemon_too() {
    let dir = TempDir::new("fixture");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/defects.keys");
    let keys = dir.0.join("defects.keys");
    fs::copy(&fixture, &keys).unwrap();
    fs::set_permissions(&keys, fs::Permissions::from_mode(0o600)).unwrap();
    let daemon = ScratchDaemon::builder(Daemon::Reference)
        .keys_file(&keys)
        .conf_line("trustedkey 15")
        .start(Tools::get());
    // Key 15 is fine on its own, but one bad line makes ntpd 4.2.8 drop the whole file.
    let fifteen = Key::new(KeyId(15), KeyType::Md5, b"fine".to_vec());
    assert!(
        !client_request_verifies(&daemon, &fifteen),
        "{}",
        daemon.log()
    );
    assert!(daemon.log().contains("authreadkeys"), "{}", daemon.log());
}

#[test]
fn chrony_reads_the_converted_file_and_signs_with_the_same_keys() {
    let dir = TempDir::new("chrony");
    let every = dir.0.join("every.keys");
    keygen(
        &dir.0,
        &[
            "-t",
            "md5,sha1,sha256,aes128cmac",
            "-n",
            "2",
            "--first-id",
            "200",
            "-o",
            every.to_str().unwrap(),
        ],
    );
    let converted = keygen(&dir.0, &["--chrony", every.to_str().unwrap()]);
    assert!(
        converted.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let chrony_keys = dir.0.join("chrony.keys");
    fs::write(&chrony_keys, &converted.stdout).unwrap();
    fs::set_permissions(&chrony_keys, fs::Permissions::from_mode(0o600)).unwrap();
    // `local` makes the otherwise unsynchronised chronyd answer as a stratum 10 server; -x (always
    // given) keeps it from the clock.
    let daemon = ScratchDaemon::builder(ScratchKind::Chrony)
        .keys_file(&chrony_keys)
        .conf_lines(["allow 127.0.0.1", "allow ::1", "local stratum 10"])
        .start(Tools::get());
    let log = daemon.log();
    assert!(
        !log.contains("Could not") && !log.contains("Invalid"),
        "{log}"
    );
    // The same key numbers, read from the ntpd file, sign requests chrony answers with the same MAC.
    assert_every_key_authenticates(
        &daemon,
        &KeysFile::load(&every).unwrap(),
        "the converted file",
    );
}

/// Our ntpq (built by cargo for this test), in the daemon's namespace, with the generated keys
/// file: `-k FILE -a KEY -c ":config LINE"`.
fn ntpq_config(daemon: &ScratchDaemon, keys: &Path, key: u32, line: &str) -> ntpkit_lab::RunOutput {
    static NTPQ: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let ntpq =
        NTPQ.get_or_init(|| ntpkit_lab::workspace_binary("ntpq", "ntpq").expect("ntpq builds"));
    daemon
        .command(ntpq)
        .args(["-n", "-k", keys.to_str().unwrap(), "-a", &key.to_string()])
        .args(["-c", &format!(":config {line}"), "127.0.0.1"])
        .run()
}

#[test]
fn our_ntpq_authenticates_config_with_md5_sha1_and_aes_cmac_keys() {
    let dir = TempDir::new("ntpq");
    let every = dir.0.join("every.keys");
    let out = keygen(
        &dir.0,
        &[
            "-t",
            "md5,sha1,sha256,aes128cmac",
            "-n",
            "2",
            "--first-id",
            "100",
            "-o",
            every.to_str().unwrap(),
            "--config",
        ],
    );
    let config = stdout_lines(&out);
    for kind in [Daemon::Reference, Daemon::Ntpsec] {
        let daemon = start(kind, &config);
        // MD5 100 → SHA1 102 → AES-CMAC 106 → MD5 100, each signed by the current controlkey.
        for (signer, next) in [(100, 102), (102, 106), (106, 100)] {
            let run = ntpq_config(&daemon, &every, signer, &format!("controlkey {next}"));
            assert!(
                run.success() && run.stdout.contains("Config Succeeded"),
                "{kind:?}: ntpq :config signed with key {signer}:\n{run}\nlog:\n{}",
                daemon.log()
            );
            // The role moved: the signer (now not the controlkey) is refused.
            let again = ntpq_config(&daemon, &every, signer, "controlkey 100");
            assert!(
                !again.success() && !again.stdout.contains("Config Succeeded"),
                "{kind:?}: key {signer} still configures after controlkey {next}:\n{again}"
            );
        }
    }
}
