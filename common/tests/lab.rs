//! The protocol core against the lab's real daemons: every key type's MAC must be accepted by
//! ntpd 4.2.8p15 and NTPsec 1.2.2 (and theirs must verify under our code), with each message
//! family's authentication layout — modes 3/4, mode 6 (padding to 8 before the key ID) and
//! mode 7 (the fixed 212-octet MD5/CMAC layout and the SHA layout).

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};

use ntpkit::auth::{Key, KeyId, KeyType};
use ntpkit::control::{
    AssocId, ControlFragment, ControlOpcode, ControlRequest, ErrorCode, MacAlignment, Sequence,
};
use ntpkit::packet::{ClientRequest, NtpMode, NtpPacket, Trailer};
use ntpkit::private::{
    FragmentOutcome, Implementation, InfoCode, KeyIdItem, PrivateError, PrivateReassembler,
    PrivateRequest, RequestCode, ServerLong,
};
use ntpkit::time::{NtpTimestamp, UnixTime};
use ntpkit_lab::Lab;

/// Tests that change a shared daemon's configuration (keys, servers) hold this for writing;
/// tests that read the same daemons hold it for reading, so no test sees another's change
/// half-way (the tests of one binary run in parallel threads).
static DAEMON_STATE: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn reading() -> std::sync::RwLockReadGuard<'static, ()> {
    DAEMON_STATE
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn changing() -> std::sync::RwLockWriteGuard<'static, ()> {
    DAEMON_STATE
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const WAIT: Duration = Duration::from_secs(3);

fn now() -> NtpTimestamp {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock after 1970");
    NtpTimestamp::from_unix(UnixTime {
        secs: i64::try_from(since.as_secs()).expect("secs fit"),
        nanos: since.subsec_nanos(),
    })
}

/// Lab key `id` as ntpkit reads it from its keys-file text.
fn key(lab: &Lab, id: u32) -> Key {
    let k = lab.key(id);
    let kind: KeyType = k.kind.parse().expect("lab key type");
    Key::from_text(KeyId(id), kind, k.secret).expect("lab key text")
}

/// The same key ID and type with a different secret.
fn forged(key: &Key) -> Key {
    let mut secret = key.secret().to_vec();
    secret[0] ^= 0x55;
    Key::new(key.id(), key.kind(), secret)
}

fn at(ip: impl Into<IpAddr>) -> SocketAddr {
    SocketAddr::new(ip.into(), 123)
}

fn one_reply(lab: &Lab, to: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    lab.udp_exchange(to, request, 1, WAIT)
        .into_iter()
        .next()
        .map(|d| d.data)
}

#[test]
fn ntp_client_requests_authenticate_with_every_key_type() {
    let lab = Lab::get();
    let _state = reading();
    for host in [lab.ntp1(), lab.ntp2()] {
        for id in 1..=4 {
            let key = key(lab, id);
            let request = ClientRequest {
                transmit: now(),
                key: Some(&key),
                ..ClientRequest::default()
            };
            let reply = one_reply(lab, at(host.v4), &request.encode()).unwrap_or_else(|| {
                panic!("{}: no reply to a request signed with key {id}", host.name)
            });
            let packet = NtpPacket::decode(&reply).expect("a server reply decodes");
            assert_eq!(packet.mode, NtpMode::Server);
            assert_eq!(packet.origin_timestamp, request.transmit);
            assert_eq!(
                packet.verify(&key).map_err(|e| e.to_string()),
                Ok(KeyId(id)),
                "{}: the reply's MAC under key {id} ({:?}) must verify",
                host.name,
                key.kind()
            );
            assert_eq!(packet.encode(), reply, "re-encoding is byte-exact");

            // A request whose MAC is wrong gets no authenticated answer.
            let bad = forged(&key);
            let request = ClientRequest {
                transmit: now(),
                key: Some(&bad),
                ..ClientRequest::default()
            };
            if let Some(reply) = one_reply(lab, at(host.v4), &request.encode()) {
                let packet = NtpPacket::decode(&reply).expect("a server reply decodes");
                assert!(
                    !matches!(packet.trailer, Trailer::Mac { .. }) || packet.verify(&key).is_err(),
                    "{}: a forged MAC with key {id} must not be answered with a valid MAC",
                    host.name
                );
            }
        }
    }
}

/// Sends an authenticated mode 6 READ_ORDLIST_A (`ifstats`; needs the controlkey on both
/// daemons) and returns the server's error code, if it answered with one.
fn control_ifstats(lab: &Lab, to: SocketAddr, key: &Key, align: MacAlignment) -> Option<ErrorCode> {
    let request = ControlRequest::new(ControlOpcode::ReadOrderedList, AssocId::SYSTEM, Vec::new());
    let bytes = request
        .encode(Sequence(7), Some((key, align)))
        .expect("request encodes");
    let replies = lab.udp_exchange(to, &bytes, 1, WAIT);
    let reply = replies
        .first()
        .unwrap_or_else(|| panic!("{to}: no reply to an authenticated ifstats"));
    let fragment = ControlFragment::decode(&reply.data).expect("a control reply decodes");
    assert!(fragment.header.response);
    assert_eq!(fragment.header.sequence, Sequence(7));
    fragment
        .header
        .error
        .then(|| ErrorCode::from_status(fragment.header.status))
}

#[test]
fn control_requests_authenticate_on_ntpd_and_ntpsec() {
    let lab = Lab::get();
    let _state = reading();
    let md5 = key(lab, 1);
    for host in [lab.ntp1(), lab.ntp2(), lab.ntp3()] {
        let to = at(host.v4);
        assert_eq!(
            control_ifstats(lab, to, &md5, MacAlignment::Eight),
            None,
            "{}",
            host.name
        );
        assert_eq!(
            control_ifstats(lab, to, &forged(&md5), MacAlignment::Eight),
            Some(ErrorCode::Permission),
            "{}: a forged MAC is refused",
            host.name
        );
        // With no data, padding to 4 puts the key ID at octet 12 instead of 16: both daemons,
        // NTPsec 1.2.2 included (contrary to our protocol notes), refuse that layout.
        assert_eq!(
            control_ifstats(lab, to, &md5, MacAlignment::Four),
            Some(ErrorCode::Permission),
            "{}: the 4-octet layout",
            host.name
        );
    }
}

/// Sends one authenticated mode 7 request to `to` and returns the server's answer code.
fn private_call(lab: &Lab, to: SocketAddr, request: &PrivateRequest, key: &Key) -> InfoCode {
    let bytes = request
        .encode_authenticated(key, now())
        .expect("request encodes");
    let replies = lab.udp_exchange(to, &bytes, 1, WAIT);
    let reply = replies
        .first()
        .unwrap_or_else(|| panic!("{to}: no reply to mode 7 {:?}", request.code));
    let mut reassembler = PrivateReassembler::new(request.implementation, request.code);
    match reassembler.push(&reply.data) {
        Ok(FragmentOutcome::Complete(_)) => InfoCode::Okay,
        Err(PrivateError::Info(code)) => code,
        other => panic!("{to}: unexpected mode 7 answer {other:?}"),
    }
}

fn set_key(code: RequestCode, id: u32) -> PrivateRequest {
    let item = KeyIdItem { keyid: KeyId(id) };
    PrivateRequest::with_items(
        Implementation::Xntpd,
        code,
        &[item],
        ServerLong::Lp64.octets(),
    )
    .expect("key item encodes")
}

/// Puts ntp1's requestkey and controlkey back to key 1 whatever state a failed test left.
struct RestoreKeys<'a>(&'a Lab);

impl Drop for RestoreKeys<'_> {
    fn drop(&mut self) {
        let to = at(self.0.ntp1().v4);
        for id in 1..=4 {
            let key = key(self.0, id);
            if private_call(self.0, to, &set_key(RequestCode::RequestKey, 1), &key)
                == InfoCode::Okay
            {
                let one = self::key(self.0, 1);
                private_call(self.0, to, &set_key(RequestCode::ControlKey, 1), &one);
                return;
            }
        }
    }
}

#[test]
fn private_and_control_auth_with_every_key_type_on_ntpd() {
    let lab = Lab::get();
    let _state = changing();
    let to = at(lab.ntp1().v4);
    let _restore = RestoreKeys(lab);
    let one = key(lab, 1);
    for id in 1..=4 {
        let key = key(lab, id);
        // Make `id` the request and control key, signed with the current request key (1).
        assert_eq!(
            private_call(lab, to, &set_key(RequestCode::RequestKey, id), &one),
            InfoCode::Okay
        );
        let reread = PrivateRequest::new(Implementation::Xntpd, RequestCode::RereadKeys);
        assert_eq!(
            private_call(lab, to, &reread, &key),
            InfoCode::Okay,
            "mode 7 signed with key {id} ({:?})",
            key.kind()
        );
        assert_eq!(
            private_call(lab, to, &reread, &forged(&key)),
            InfoCode::Auth
        );
        assert_eq!(
            private_call(lab, to, &set_key(RequestCode::ControlKey, id), &key),
            InfoCode::Okay
        );
        assert_eq!(
            control_ifstats(lab, to, &key, MacAlignment::Eight),
            None,
            "mode 6 with key {id}"
        );
        assert_eq!(
            control_ifstats(lab, to, &forged(&key), MacAlignment::Eight),
            Some(ErrorCode::Permission)
        );
        // Back to key 1, signed with key `id` (the request key now).
        assert_eq!(
            private_call(lab, to, &set_key(RequestCode::RequestKey, 1), &key),
            InfoCode::Okay
        );
        assert_eq!(
            private_call(lab, to, &set_key(RequestCode::ControlKey, 1), &one),
            InfoCode::Okay
        );
    }
}

/// The `sysvars` example (built by `cargo test` next to this test binary).
fn sysvars_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    dir.join("examples").join("sysvars")
}

#[test]
fn one_socket_reads_every_daemon_over_ipv4_and_ipv6() {
    let lab = Lab::get();
    let _state = reading();
    let out = lab
        .command(sysvars_example())
        .args([
            lab.ntp1().v4.to_string(),
            lab.ntp2().v6.to_string(),
            lab.ntp3().v4.to_string(),
            "10.77.0.99".to_owned(), // nobody there
        ])
        .timeout(Duration::from_secs(20))
        .run();
    assert_eq!(out.code, Some(1), "the dead address fails the run:\n{out}");
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let hosts: Vec<_> = rows.iter().map(|r| (r[0], r[2], r[3])).collect();
    assert_eq!(
        hosts,
        [
            ("10.77.0.1", "1", "LOCL"),
            ("fd77::2", "2", "10.77.0.1"),
            ("10.77.0.3", "3", "10.77.0.2"),
        ],
        "{out}"
    );
    assert!(
        out.stderr.contains("10.77.0.99: readvar 0: no response"),
        "the silent host is named: {out}"
    );
}
