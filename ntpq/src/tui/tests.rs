//! The TUI without a terminal or a network: answers recorded from the lab's daemons
//! (`testdata/capture.sh`) are fed to `update` as poll events, frames are drawn on a
//! `TestBackend` and compared with the committed insta snapshots, at 80×24 and 140×40.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ntpkit::control::{AssocId, AssocStatus, MruEntry, PeerStatus, SystemStatus, VarList};
use ntpkit::time::NtpTimestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;

use super::app::{App, MruState, Pane, PeerColumn};
use super::event::{Event, MruList, MruUpdate, PeerAnswer, Snapshot, SystemAnswer};
use super::update::{Effect, update};
use super::{export, view};

const NTP1: &str = include_str!("testdata/ntp1.txt");
const NTP2: &str = include_str!("testdata/ntp2.txt");
const NTP3: &str = include_str!("testdata/ntp3.txt");
const NTP1_MRU: &str = include_str!("testdata/ntp1-mru.json");

const HOSTS: [&str; 4] = ["10.77.0.1", "10.77.0.2", "10.77.0.3", "10.77.9.9"];
const SIZES: [(u16, u16); 2] = [(80, 24), (140, 40)];

fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

/// The answer block's status word (`associd=0 status=0x0615,`), and the variables.
fn block(text: &str) -> (Option<(u16, u16)>, VarList) {
    let (header, body) = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("associd=") => (Some(first), rest),
        _ => (None, text),
    };
    let ids = header.and_then(|h| {
        let h = h.trim_end_matches(',');
        let (a, s) = h.split_once(' ')?;
        let assoc = a.strip_prefix("associd=")?.parse().ok()?;
        let status = u16::from_str_radix(s.strip_prefix("status=0x")?, 16).ok()?;
        Some((assoc, status))
    });
    (ids, VarList::parse_partial(body.as_bytes()).0)
}

/// The polls of one recorded file: `(time, snapshot)` in order.
fn polls(file: &str) -> Vec<(SystemTime, Snapshot)> {
    file.split("=== poll ")
        .filter(|p| !p.trim().is_empty())
        .map(|poll| {
            let (stamp, rest) = poll.split_once('\n').expect("stamp line");
            let blocks: Vec<&str> = rest
                .split("\n\n")
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .collect();
            let (sys_ids, sys_vars) = block(blocks[0]);
            let (_, uptime) = block(blocks[1]);
            let peers = blocks[2..]
                .iter()
                .map(|b| {
                    let (ids, vars) = block(b);
                    let (assoc, status) = ids.expect("peer header");
                    PeerAnswer::Read {
                        status: AssocStatus {
                            assoc: AssocId(assoc),
                            status: PeerStatus::from_bits(status),
                        },
                        vars,
                    }
                })
                .collect();
            let snapshot = Snapshot {
                system: SystemAnswer {
                    status: SystemStatus::from_bits(sys_ids.expect("system header").1),
                    vars: sys_vars,
                    uptime_s: uptime.get_u64("ss_uptime").ok(),
                },
                peers,
            };
            (at(stamp.trim().parse().expect("unix time")), snapshot)
        })
        .collect()
}

fn mru_list() -> MruList {
    let doc: Value = serde_json::from_str(NTP1_MRU).expect("recorded mrulist JSON");
    let ts = |v: &Value| -> NtpTimestamp {
        v.as_str()
            .and_then(|s| s.strip_prefix("0x"))
            .and_then(|s| s.parse().ok())
            .expect("timestamp")
    };
    let entries = doc["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .rev()
        .map(|e| MruEntry {
            addr: SocketAddr::new(
                e["address"].as_str().unwrap().parse().unwrap(),
                u16::try_from(e["port"].as_u64().unwrap()).unwrap(),
            ),
            last: ts(&e["last"]),
            first: ts(&e["first"]),
            count: e["count"].as_u64().unwrap(),
            mode: u8::try_from(e["mode"].as_u64().unwrap()).unwrap(),
            version: u8::try_from(e["version"].as_u64().unwrap()).unwrap(),
            restrict: u32::try_from(e["restrict"].as_u64().unwrap()).unwrap(),
        })
        .collect();
    let now = ts(&doc["now"]);
    MruList {
        entries,
        now,
        updates: usize::try_from(doc["updates"].as_u64().unwrap()).unwrap(),
        requests: 1,
        fetched: (
            UNIX_EPOCH + Duration::from_secs(u64::from(now.seconds) - 2_208_988_800),
            Duration::from_millis(12),
        ),
    }
}

/// Every recorded poll fed in time order, the fourth server never answering, ntp1's MRU
/// list fetched.
fn recorded_app() -> App {
    let hosts: Vec<String> = HOSTS.iter().map(|h| (*h).to_owned()).collect();
    let mut events: Vec<(SystemTime, usize, Snapshot)> = Vec::new();
    for (server, file) in [NTP1, NTP2, NTP3].into_iter().enumerate() {
        events.extend(polls(file).into_iter().map(|(t, s)| (t, server, s)));
    }
    events.sort_by_key(|(t, server, _)| (*t, *server));
    let start = events.first().expect("recorded polls").0;
    let mut app = App::new(&hosts, false, start);
    for (t, server, snapshot) in events {
        update(
            &mut app,
            Event::Poll {
                server,
                at: t,
                result: Ok(snapshot),
            },
        );
        update(
            &mut app,
            Event::Poll {
                server: 3,
                at: t,
                result: Err("readstat: no response after 2 attempts".to_owned()),
            },
        );
    }
    update(
        &mut app,
        Event::Mru {
            server: 0,
            update: MruUpdate::Done(Ok(mru_list())),
        },
    );
    let last = app.now;
    update(&mut app, Event::Tick(last + Duration::from_secs(1)));
    app
}

fn key(app: &mut App, code: KeyCode) -> Option<Effect> {
    update(app, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn draw(app: &App, (width, height): (u16, u16)) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| view::render(app, frame))
        .expect("draw");
    terminal.backend().to_string()
}

/// Compares a frame at both sizes with its snapshots; ages are masked.
fn assert_frames(name: &str, app: &App) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\b\d+(s|m\d\ds|h\d\dm|d\d\dh)( ago)", "[age]$2");
    settings.add_filter(r"in \d+\.\d\d s", "in [t] s");
    settings.bind(|| {
        for size in SIZES {
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), draw(app, size));
        }
    });
}

#[test]
fn peers_pane() {
    let mut app = recorded_app();
    key(&mut app, KeyCode::Char('3'));
    assert_frames("peers", &app);
    // Sorted by offset, largest first.
    for _ in 0..10 {
        key(&mut app, KeyCode::Char('>'));
    }
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.sort.column, PeerColumn::Offset);
    assert!(app.sort.descending);
    assert_frames("peers_by_offset", &app);
}

#[test]
fn detail_pane_of_ntpd_and_of_ntpsec() {
    let mut app = recorded_app();
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane, Pane::Detail);
    assert_frames("detail_ntpd", &app);
    key(&mut app, KeyCode::Tab);
    assert_eq!(
        app.pane,
        Pane::Peers,
        "the 4th server has no peer: back to peers"
    );
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Enter);
    assert_frames("detail_ntpsec", &app);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.pane, Pane::Peers);
}

#[test]
fn system_pane_and_leap_banner() {
    let mut app = recorded_app();
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('s'));
    assert_frames("system", &app);
    // The same answer with a leap second announced (leap=01 in the status word and the
    // variables), as a server does in the last month before one.
    let server = app.server_mut().unwrap();
    let view = server.system.as_mut().unwrap();
    view.status = SystemStatus::from_bits(view.status.to_bits() | 0x4000);
    let text = view.vars.to_string().replace("leap=0,", "leap=1,");
    view.vars = VarList::parse(text.as_bytes()).unwrap();
    assert_frames("system_leap", &app);
}

#[test]
fn mru_pane_highlights_rate_limited_clients() {
    let mut app = recorded_app();
    assert_eq!(key(&mut app, KeyCode::Char('m')), None, "already fetched");
    assert_frames("mru", &app);
    let (rows, _) = app.sorted_mru().unwrap();
    assert!(
        rows.iter().any(|e| e.restrict & 0x40 != 0),
        "the recording has a rate-limited client"
    );
    // A fetch in progress on another server: the gauge.
    key(&mut app, KeyCode::Char('2'));
    assert!(matches!(
        app.server().unwrap().mru,
        MruState::Fetching { .. }
    ));
    update(
        &mut app,
        Event::Mru {
            server: 1,
            update: MruUpdate::Progress {
                entries: 3,
                requests: 1,
                expected: Some(5),
            },
        },
    );
    assert_frames("mru_fetching", &app);
}

#[test]
fn help_overlay_and_unreachable_server() {
    let mut app = recorded_app();
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help);
    assert_frames("help", &app);
    key(&mut app, KeyCode::Char('x'));
    assert!(!app.help);
    key(&mut app, KeyCode::Char('4'));
    assert_frames("unreachable", &app);
}

#[test]
fn keys_and_effects() {
    let mut app = recorded_app();
    assert_eq!(key(&mut app, KeyCode::Char('q')), Some(Effect::Quit));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(update(&mut app, Event::Key(ctrl_c)), Some(Effect::Quit));
    assert_eq!(
        key(&mut app, KeyCode::Char('+')),
        Some(Effect::Interval(Duration::from_secs(5)))
    );
    key(&mut app, KeyCode::Char('-'));
    assert_eq!(
        key(&mut app, KeyCode::Char('-')),
        Some(Effect::Interval(Duration::from_secs(1)))
    );
    assert_eq!(
        key(&mut app, KeyCode::Char('-')),
        None,
        "1 s is the shortest"
    );
    assert_eq!(key(&mut app, KeyCode::Char('u')), Some(Effect::PollNow(0)));
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.current, 3);
    assert_eq!(key(&mut app, KeyCode::Char('m')), Some(Effect::FetchMru(3)));
    assert_eq!(key(&mut app, KeyCode::Char('u')), None, "already fetching");
    // Switching servers keeps each one's history.
    let before = app.servers[2].history.clone();
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('1'));
    assert_eq!(app.servers[2].history, before);
    assert!(before.values().any(|h| h.samples.len() > 1), "{before:?}");
}

#[test]
fn a_failed_poll_keeps_the_rows_and_marks_them_stale() {
    let mut app = recorded_app();
    let now = app.now;
    update(
        &mut app,
        Event::Poll {
            server: 2,
            at: now,
            result: Err("readstat: no response after 2 attempts".to_owned()),
        },
    );
    key(&mut app, KeyCode::Char('3'));
    let server = app.server().unwrap();
    assert!(!server.peers.is_empty());
    assert!(server.peers.iter().all(|r| server.is_stale(r, now)));
    assert_frames("peers_stale", &app);
}

/// The export documents have the shape docs/json.md describes.
#[test]
fn exports_follow_the_documented_shape() {
    let mut app = recorded_app();
    key(&mut app, KeyCode::Char('3'));
    let check = |app: &App, view: &str, keys: &[&str]| -> Value {
        let (path, json) = export::document(app).expect("a document");
        assert!(
            path.starts_with(&format!("ntpq-tui-10.77.0.3-{view}-")) && path.ends_with(".json"),
            "{path}"
        );
        let doc: Value = serde_json::from_str(&json).expect("JSON");
        assert_eq!(doc["view"], view);
        assert_eq!(doc["host"], "10.77.0.3");
        assert!(doc["exported_at_unix"].is_number());
        assert!(doc["error"].is_null());
        for k in keys {
            assert!(doc.get(*k).is_some(), "{view}: no '{k}' in {doc}");
        }
        doc
    };
    let peers = check(&app, "peers", &["interval_s", "sort", "peers"]);
    let row = &peers["peers"][0];
    for k in ["assoc_id", "tally", "remote", "refid", "reach", "offset_ms"] {
        assert!(row.get(k).is_some(), "{k} in {row}");
    }
    assert!(row["stale"].is_boolean() && row["condition"].is_string());
    key(&mut app, KeyCode::Enter);
    let detail = check(
        &app,
        "peer",
        &["assoc_id", "status", "variables", "filter", "history"],
    );
    assert_eq!(detail["filter"]["delay_ms"].as_array().unwrap().len(), 8);
    assert!(detail["history"][0]["offset_ms"].is_number());
    assert!(detail["variables"]["stratum"].is_u64());
    key(&mut app, KeyCode::Char('s'));
    let system = check(
        &app,
        "system",
        &["status", "system", "uptime_s", "variables"],
    );
    assert_eq!(system["system"]["stratum"], 3);
    assert!(system["history"][0]["frequency_ppm"].is_number());
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('m'));
    let (_, json) = export::document(&app).unwrap();
    let mru: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(mru["view"], "mru");
    let entries = mru["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["rate_flag"] == "L"), "{mru}");
    assert!(entries[0]["count"].as_u64() >= entries[1]["count"].as_u64());
}
