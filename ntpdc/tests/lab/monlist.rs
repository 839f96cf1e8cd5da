//! monlist on the real daemons and on the scripted responder, silent servers (NTPsec has no
//! mode 7), and the JSON documents of every command.

use ntpkit_lab::{Lab, Mode7Answer, Mode7Script, MonitorEntry, RefTool};
use serde_json::Value;

use crate::support::{ours, ours_signed, state_lock};

/// The stream of JSON documents in `text`.
fn json_lines(text: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .map(|d| d.unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}")))
        .collect()
}

#[test]
fn monlist_on_ntpd_4_2_8_is_data_not_found_with_its_traffic() {
    let lab = Lab::get();
    for host in [lab.ntp1(), lab.ntp3()] {
        let host = host.v4.to_string();
        let out = ours(lab, &["-n", "-c", "monlist", &host]);
        assert_eq!(out.code, Some(1), "{out}");
        assert_eq!(
            out.stderr.trim(),
            format!("ntpdc: {host}: monlist: server error: data not found")
        );
        let reference = lab
            .reference(RefTool::Ntpdc)
            .args(["-n", "-c", "monlist", &host])
            .run();
        assert!(reference.stderr.contains("Server reports data not found"));

        let out = ours(lab, &["-n", "--json", "-c", "monlist", &host]);
        let docs = json_lines(&out.stdout);
        let [doc] = docs.as_slice() else {
            panic!("one document: {out}")
        };
        assert_eq!(doc["ok"], false);
        assert_eq!(doc["error"]["kind"], "data_not_found");
        let exchange = &doc["exchanges"][0];
        assert_eq!(exchange["request"], "REQ_MON_GETLIST_1");
        assert_eq!(exchange["bytes_sent"], 192);
        assert_eq!(exchange["bytes_received"], 8, "a bare header comes back");
        assert_eq!(exchange["outcome"], "data_not_found");
    }
}

fn entries(n: u32) -> Vec<MonitorEntry> {
    (0..n)
        .map(|i| MonitorEntry {
            addr: if i % 5 == 4 {
                format!("2001:db8::{i:x}").parse().unwrap()
            } else {
                format!("203.0.113.{}", i % 250).parse().unwrap()
            },
            daddr: if i % 5 == 4 {
                "2001:db8::1".parse().unwrap()
            } else {
                "192.0.2.1".parse().unwrap()
            },
            port: 40000 + u16::try_from(i).unwrap(),
            mode: 3,
            version: 4,
            count: 1000 + i,
            restr: 0x40,
            avg_int: 64,
            last_int: i,
        })
        .collect()
}

fn script(request: u8, layout: &str, full: bool, n: u32) -> Mode7Script {
    let mut list = entries(n);
    if !full {
        list.retain(|e| e.addr.is_ipv4());
    }
    Mode7Script {
        answers: vec![Mode7Answer {
            request,
            error: 0,
            layout: layout.into(),
            full,
            entries: list,
        }],
    }
}

#[test]
fn monlist_decodes_every_layout_from_the_scripted_responder() {
    let lab = Lab::get();
    // info_monitor_1, full size, 600 entries (the most ntpd ever sent): 100 fragments.
    let responder = lab.mode7_responder(&script(42, "monitor_1", true, 600));
    let host = responder.addr.to_string();
    let out = ours(lab, &["-n", "-c", "monlist", &host]);
    out.assert_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "remote address          port local address      count m ver rstr avgint  lstint"
    );
    assert_eq!(lines.len(), 2 + 600);
    assert_eq!(
        lines[2],
        "203.0.113.0            40000 192.0.2.1           1000 3 4     40     64       0"
    );
    assert_eq!(
        lines[6], "2001:db8::4            40004 2001:db8::1         1004 3 4     40     64       4",
        "IPv6 entries in full"
    );
    let json = ours(lab, &["-n", "--json", "-c", "monlist", &host]);
    let doc = &json_lines(&json.stdout)[0];
    assert_eq!(doc["result"]["layout"], "info_monitor_1");
    assert_eq!(doc["result"]["entries"].as_array().unwrap().len(), 600);
    assert_eq!(doc["result"]["entries"][4]["address"], "2001:db8::4");
    assert_eq!(doc["result"]["entries"][4]["local_address"], "2001:db8::1");
    let x = &doc["exchanges"][0];
    assert_eq!(x["datagrams_received"], 100);
    assert_eq!(x["bytes_received"], 100 * 8 + 600 * 72);
    assert_eq!(x["bytes_sent"], 192);
    let amplification = x["amplification"].as_f64().unwrap();
    assert!((amplification - 229.167).abs() < 0.01, "{amplification}");
    drop(responder);

    // `monlist 0` asks REQ_MON_GETLIST: info_monitor, and its pre-IPv6 size.
    for (full, size) in [(true, 48), (false, 24)] {
        let responder = lab.mode7_responder(&script(20, "monitor", full, 10));
        let out = ours(lab, &["-n", "-c", "monlist 0", &responder.addr.to_string()]);
        out.assert_success();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            lines[0], "     address               port     count mode ver rstr avgint  lstint",
            "size {size}"
        );
        assert_eq!(
            lines[2],
            "203.0.113.0               40000      1000    3  4        40        64         0"
        );
    }
    // old_info_monitor (lasttime, firsttime), both sizes.
    for full in [true, false] {
        let responder = lab.mode7_responder(&script(20, "old_monitor", full, 3));
        let out = ours(lab, &["-n", "-c", "monlist 2", &responder.addr.to_string()]);
        out.assert_success();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            lines[0],
            "     address          port     count  mode version  lasttime firsttime"
        );
        assert_eq!(
            lines[3],
            "203.0.113.1          40001      1001    3     4        64         1"
        );
    }
    // info_monitor_1 in its pre-IPv6 size.
    let responder = lab.mode7_responder(&script(42, "monitor_1", false, 3));
    let out = ours(lab, &["-n", "-c", "monlist", &responder.addr.to_string()]);
    out.assert_success();
    assert_eq!(out.stdout.lines().count(), 2 + 3);
}

#[test]
fn monlist_falls_back_to_mon_getlist_when_getlist_1_is_unknown() {
    let lab = Lab::get();
    // No answer for 42: the responder says "request not implemented", as an old ntpd would.
    let responder = lab.mode7_responder(&script(20, "monitor", true, 2));
    let out = ours(
        lab,
        &["-n", "--json", "-c", "monlist", &responder.addr.to_string()],
    );
    out.assert_success();
    let doc = &json_lines(&out.stdout)[0];
    let requests: Vec<&str> = doc["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["request"].as_str().unwrap())
        .collect();
    assert_eq!(requests, ["REQ_MON_GETLIST_1", "REQ_MON_GETLIST"]);
    assert_eq!(doc["result"]["layout"], "info_monitor");
}

#[test]
fn ntpsec_has_no_mode_7_and_ntpdc_says_so() {
    let lab = Lab::get();
    let ntp2 = lab.ntp2().v4.to_string();
    let out = ours(lab, &["-n", "-c", "peers", &ntp2]);
    assert_eq!(out.code, Some(1), "{out}");
    assert_eq!(
        out.stderr.trim(),
        format!("ntpdc: {ntp2}: peers: mode 7 disabled on {ntp2}; `enable mode7` or use ntpq")
    );
    // The reference only times out.
    let reference = lab
        .reference(RefTool::Ntpdc)
        .args(["-n", "-c", "peers", &ntp2])
        .run();
    assert!(reference.stderr.contains("timed out"), "{reference}");
    // Where nothing answers at all, it is a plain timeout, exit 3.
    let out = ours(
        lab,
        &["-n", "-c", "timeout 1000", "-c", "sysinfo", "10.77.98.50"],
    );
    assert_eq!(out.code, Some(3), "{out}");
    assert!(
        out.stderr.contains("sysinfo: timed out, nothing received"),
        "{out}"
    );
}

/// Required result members per command, with the JSON type each must have.
const SHAPES: &[(&str, &[(&str, &str)])] = &[
    ("listpeers", &[("peers", "array")]),
    ("peers", &[("peers", "array")]),
    ("dmpeers", &[("peers", "array")]),
    ("showpeer 10.77.0.2", &[("peers", "array")]),
    ("pstats 10.77.0.2", &[("peers", "array")]),
    (
        "loopinfo",
        &[
            ("offset_s", "number"),
            ("frequency_ppm", "number"),
            ("poll_adjust", "number"),
            ("watchdog_timer_s", "number"),
        ],
    ),
    (
        "sysinfo",
        &[
            ("system_peer", "string"),
            ("stratum", "number"),
            ("refid", "object"),
            ("reference_time", "object"),
            ("flags", "array"),
            ("jitter_s", "number"),
        ],
    ),
    (
        "sysstats",
        &[
            ("time_since_restart_s", "number"),
            ("packets_received", "number"),
            ("rate_exceeded", "number"),
        ],
    ),
    (
        "memstats",
        &[
            ("total_peer_memory", "number"),
            ("hash_table_counts", "array"),
        ],
    ),
    (
        "iostats",
        &[("received_packets", "number"), ("packets_sent", "number")],
    ),
    ("timerstats", &[("alarms_handled", "number")]),
    (
        "kerninfo",
        &[
            ("status", "number"),
            ("status_flags", "array"),
            ("precision_s", "number"),
        ],
    ),
    ("reslist", &[("entries", "array")]),
    ("authinfo", &[("stored_keys", "number")]),
    ("ctlstats", &[("requests_received", "number")]),
    ("ifstats", &[("interfaces", "array")]),
    ("timeout", &[("timeout_ms", "number")]),
    ("keyid", &[("keyid", "number")]),
    ("help", &[("commands", "array")]),
];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[test]
fn json_documents_have_the_documented_shape() {
    let lab = Lab::get();
    let _state = state_lock();
    let host = lab.ntp3().v4.to_string();
    let mut args = vec!["--json"];
    for (command, _) in SHAPES {
        args.extend(["-c", command]);
    }
    args.push(&host);
    let out = ours_signed(lab, 1, &args);
    out.assert_success();
    let docs = json_lines(&out.stdout);
    assert_eq!(docs.len(), SHAPES.len(), "one document per command:\n{out}");
    for (doc, (command, members)) in docs.iter().zip(SHAPES) {
        assert_eq!(doc["host"], host.as_str(), "{command}");
        assert_eq!(doc["ok"], true, "{command}: {doc}");
        assert_eq!(kind(&doc["exchanges"]), "array", "{command}");
        let name = command.split_whitespace().next().unwrap();
        assert_eq!(doc["command"], name);
        for (member, want) in *members {
            assert_eq!(
                kind(&doc["result"][member]),
                *want,
                "{command}.{member}: {doc}"
            );
        }
    }
    // Rows of the lists have their members too.
    let peer = &docs[1]["result"]["peers"][0];
    for member in [
        "remote",
        "local",
        "tally",
        "stratum",
        "poll_s",
        "reach",
        "delay_s",
        "offset_s",
        "dispersion_s",
    ] {
        assert!(!peer[member].is_null(), "peers row lacks {member}: {peer}");
    }
    let info = &docs[3]["result"]["peers"][0];
    assert_eq!(kind(&info["filter"]), "array");
    assert_eq!(info["filter"].as_array().unwrap().len(), 8);
    // Every remote exchange is metered.
    for doc in &docs[..16] {
        let x = &doc["exchanges"][0];
        assert!(x["bytes_sent"].as_u64().unwrap() >= 192, "{doc}");
        assert!(x["bytes_received"].as_u64().unwrap() > 8, "{doc}");
    }
}
