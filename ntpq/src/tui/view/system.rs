//! The system pane: the server's own state (leap, stratum, refid, root delay and
//! dispersion, offset, frequency, jitter, uptime), a banner when a leap second is pending,
//! and the session's history of offset, frequency and jitter.

use ntpkit::control::LeapIndicator;
use ntpkit::time::NtpTimestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{failure_banner, fmt_secs, render_series, render_unreachable};
use crate::tui::app::{App, Server, ntp_seconds};

/// Draws the system pane into `area`.
pub fn render(app: &App, server: &Server, frame: &mut Frame, area: Rect) {
    let Some(view) = &server.system else {
        render_unreachable(app, server, frame, area);
        return;
    };
    let vars = &view.vars;
    let text = |n: &str| vars.text(n).unwrap_or("-").to_owned();
    // Values as the server wrote them (ntpd 4.2.8 gives 3 decimals where NTPsec gives 6).
    let fixed = |n: &str, unit: &str, signed: bool| match vars.text(n) {
        Some(v) if signed && !v.starts_with(['-', '+']) => format!("+{v} {unit}"),
        Some(v) => format!("{v} {unit}"),
        None => "-".to_owned(),
    };
    let leap = view.status.leap;
    let record = view.record.as_ref().ok();
    let peer_name = record
        .map(|r| r.system_peer)
        .filter(|p| *p != 0)
        .map(|p| {
            let name = server
                .peers
                .iter()
                .find(|row| row.vars.assoc.0 == p)
                .map(|row| row.vars.remote(app.names))
                .unwrap_or_default();
            format!("{p} {name}")
        })
        .unwrap_or_else(|| "none".to_owned());
    let precision = vars
        .get("precision")
        .and_then(|v| v.as_i64().ok())
        .map_or_else(
            || "-".to_owned(),
            |p| {
                let seconds = 2f64.powi(i32::try_from(p).unwrap_or(0));
                format!("{p} ({:.1} ns)", seconds * 1e9)
            },
        );
    let reftime = vars
        .get("reftime")
        .and_then(|v| v.as_timestamp().ok())
        .map_or_else(
            || "-".to_owned(),
            |t| timestamp_age(t, ntp_seconds(app.now)),
        );
    let refid = record.map_or_else(
        || text("refid"),
        |r| format!("{} ({})", r.refid.text, serde_kind(&r.refid)),
    );
    let rows: Vec<(&str, String)> = vec![
        (
            "status",
            format!("{:04x} {}", view.status.to_bits(), view.status),
        ),
        (
            "leap",
            format!("{:02b} {}", leap.to_bits(), leap_words(leap)),
        ),
        ("stratum", text("stratum")),
        ("refid", refid),
        ("system peer", peer_name),
        ("root delay", fixed("rootdelay", "ms", false)),
        ("root disp", fixed("rootdisp", "ms", false)),
        ("offset", fixed("offset", "ms", true)),
        ("frequency", fixed("frequency", "ppm", true)),
        ("sys jitter", fixed("sys_jitter", "ms", false)),
        ("clk jitter", fixed("clk_jitter", "ms", false)),
        ("clk wander", fixed("clk_wander", "ppm", false)),
        ("precision", precision),
        ("reference", reftime),
        (
            "uptime",
            view.uptime_s.map_or_else(|| "-".to_owned(), fmt_secs),
        ),
        ("version", text("version")),
    ];
    let mut top = Vec::new();
    if let Some(banner) = failure_banner(app, server) {
        top.push(banner);
    }
    match leap {
        LeapIndicator::AddSecond | LeapIndicator::DeleteSecond => {
            top.push(Line::from(Span::styled(
                format!(
                    " ⚠ LEAP SECOND PENDING: {} at the end of the month (leap {:02b}) ",
                    if leap == LeapIndicator::AddSecond {
                        "insertion"
                    } else {
                        "deletion"
                    },
                    leap.to_bits()
                ),
                Style::new().black().on_yellow().bold(),
            )));
        }
        LeapIndicator::Unsynchronized => top.push(Line::from(Span::styled(
            " ✗ not synchronized (leap alarm) ",
            Style::new().red().bold(),
        ))),
        LeapIndicator::NoWarning => {}
    }
    let top_height = u16::try_from(top.len()).unwrap_or(0);
    let block = Block::bordered().title(format!(" system variables of {} ", server.name));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [banner, body, history] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Min(0),
        Constraint::Length(3),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(top), banner);
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<12}"), Style::new().bold()),
                Span::raw(value),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
    let series: [Rect; 3] = Layout::vertical([Constraint::Length(1); 3]).areas(history);
    for (i, ((label, unit), area)) in [("offset", "ms"), ("freq", "ppm"), ("jitter", "ms")]
        .into_iter()
        .zip(series)
        .enumerate()
    {
        render_series(frame, area, label, unit, &server.sys_history.series(i));
    }
}

fn leap_words(leap: LeapIndicator) -> &'static str {
    match leap {
        LeapIndicator::NoWarning => "no leap second pending",
        LeapIndicator::AddSecond => "leap second to insert",
        LeapIndicator::DeleteSecond => "leap second to delete",
        LeapIndicator::Unsynchronized => "alarm: not synchronized",
    }
}

fn serde_kind(refid: &ntpkit::packet::RefIdSummary) -> String {
    serde_json::to_value(refid)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// A timestamp as hex and its age at `now` (NTP seconds).
fn timestamp_age(t: NtpTimestamp, now: u32) -> String {
    if t.is_zero() {
        return "(no time)".to_owned();
    }
    let age = now.wrapping_sub(t.seconds);
    if age > u32::MAX / 2 {
        format!("{t} (in the future)")
    } else {
        format!("{t} ({} ago)", fmt_secs(u64::from(age)))
    }
}
