//! The `e` key: the view shown, as one JSON document (schema in docs/json.md, "ntpq --tui
//! export"). Built from the same records as ntpq's `--json`; pure, so that tests can check it.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use ntpkit::control::VarList;
use ntpkit::record::{FilterRegisters, MruRecord, PeerStatusField, SystemStatusField, VarValue};
use serde_json::{Value, json};

use super::app::{App, History, Pane, Server, ntp_seconds};

/// The file name and the document for the view shown; `None` when it has nothing yet.
pub fn document(app: &App) -> Option<(String, String)> {
    let server = app.server()?;
    let mut doc = match app.pane {
        Pane::Peers => peers(app, server),
        Pane::Detail => detail(app, server)?,
        Pane::System => system(server)?,
        Pane::Mru => mru(app, server)?,
    };
    if let Value::Object(map) = &mut doc {
        map.insert("host".into(), json!(server.name));
        map.insert("view".into(), json!(app.pane.name()));
        map.insert("exported_at_unix".into(), json!(unix(app.now)));
        map.insert("error".into(), json!(server.error));
    }
    let path = format!(
        "ntpq-tui-{}-{}-{}.json",
        file_safe(&server.name),
        app.pane.name(),
        unix(app.now).floor()
    );
    let text = serde_json::to_string_pretty(&doc).ok()?;
    Some((path, text + "\n"))
}

fn peers(app: &App, server: &Server) -> Value {
    let now = ntp_seconds(app.now);
    let rows: Vec<Value> = server
        .sorted_peers(app.sort, app.now)
        .into_iter()
        .map(|row| {
            let record = row
                .vars
                .record(&server.name, &row.vars.remote(app.names), now);
            let mut value = serde_json::to_value(record).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert(
                    "condition".into(),
                    json!(row.vars.status.selection.condition()),
                );
                map.insert("stale".into(), json!(server.is_stale(row, app.now)));
            }
            value
        })
        .collect();
    json!({
        "interval_s": app.interval.as_secs(),
        "sort": {"column": app.sort.column.title(), "descending": app.sort.descending},
        "peers": rows,
    })
}

fn detail(app: &App, server: &Server) -> Option<Value> {
    let row = server.selected_row()?;
    let history = server
        .history
        .get(&row.vars.assoc.0)
        .map(|h| history(h, ["offset_ms", "delay_ms", "jitter_ms"]))
        .unwrap_or_default();
    Some(json!({
        "assoc_id": row.vars.assoc.0,
        "remote": row.vars.remote(app.names),
        "status": PeerStatusField::from(row.vars.status),
        "stale": server.is_stale(row, app.now),
        "variables": variables(&row.raw),
        "filter": FilterRegisters::from_vars(&row.raw),
        "history": history,
    }))
}

fn system(server: &Server) -> Option<Value> {
    let view = server.system.as_ref()?;
    Some(json!({
        "status": SystemStatusField::from(view.status),
        "system": view.record.as_ref().ok(),
        "uptime_s": view.uptime_s,
        "variables": variables(&view.vars),
        "history": history(&server.sys_history, ["offset_ms", "frequency_ppm", "sys_jitter_ms"]),
    }))
}

fn mru(app: &App, server: &Server) -> Option<Value> {
    let list = server.mru.list()?;
    let (rows, now) = app.sorted_mru()?;
    let entries: Vec<MruRecord> = rows
        .into_iter()
        .map(|e| MruRecord::from_entry(&server.name, e, now, server.rate_bits()))
        .collect();
    Some(json!({
        "now": format!("0x{now}"),
        "updates": list.updates,
        "requests": list.requests,
        "entries": entries,
    }))
}

fn variables(vars: &VarList) -> BTreeMap<String, VarValue> {
    vars.iter()
        .map(|v| (v.name.clone(), VarValue::from_received(v.value.as_deref())))
        .collect()
}

fn history(h: &History, names: [&str; 3]) -> Vec<Value> {
    h.samples
        .iter()
        .map(|(at, values)| {
            let mut map = serde_json::Map::new();
            map.insert("at_unix".into(), json!(unix(*at)));
            for (name, v) in names.iter().zip(values) {
                map.insert((*name).into(), json!(v));
            }
            Value::Object(map)
        })
        .collect()
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A host name or address as part of a file name (`fd77::1` → `fd77--1`).
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
