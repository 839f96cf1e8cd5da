//! Drawing: `render(app, frame)` only reads the state. The frame is a title bar, the server
//! list (a column on the side when the terminal is wide, a line of tabs when it is not),
//! the pane, a footer, and the help overlay on top when it is open.

mod detail;
mod mru;
mod peers;
mod system;

use std::time::SystemTime;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Clear, List, ListItem, Paragraph, Sparkline, Wrap};

use super::app::{App, Pane, Server, age_s};

/// From this width on the server list is a column on the side.
pub const SIDEBAR_FROM_WIDTH: u16 = 110;
const SIDEBAR_WIDTH: u16 = 27;

/// Draws the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let wide = area.width >= SIDEBAR_FROM_WIDTH;
    let [title, middle, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    render_title(app, frame, title);
    let body = if wide {
        let [side, body] =
            Layout::horizontal([Constraint::Length(SIDEBAR_WIDTH), Constraint::Min(0)])
                .areas(middle);
        render_server_list(app, frame, side);
        body
    } else {
        let [tabs, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(middle);
        render_server_tabs(app, frame, tabs);
        body
    };
    if let Some(server) = app.server() {
        match app.pane {
            Pane::Peers => peers::render(app, server, frame, body),
            Pane::Detail => detail::render(app, server, frame, body),
            Pane::System => system::render(app, server, frame, body),
            Pane::Mru => mru::render(app, server, frame, body),
        }
    }
    render_footer(app, frame, footer);
    if app.help {
        render_help(frame, area);
    }
}

fn render_title(app: &App, frame: &mut Frame, area: Rect) {
    let host = app.server().map_or("", |s| s.name.as_str());
    let mut spans = vec![
        Span::styled(" ntpq ", Style::new().bold().reversed()),
        Span::raw(" "),
        Span::styled(host.to_owned(), Style::new().bold()),
        Span::raw("  "),
    ];
    for (pane, label) in [
        (Pane::Peers, "peers"),
        (Pane::System, "system"),
        (Pane::Mru, "mru"),
    ] {
        let on = app.pane == pane || (pane == Pane::Peers && app.pane == Pane::Detail);
        if on {
            spans.push(Span::styled(
                format!("[{label}]"),
                Style::new().bold().cyan(),
            ));
        } else {
            spans.push(Span::styled(format!(" {label} "), Style::new().dark_gray()));
        }
    }
    spans.push(Span::raw(format!("  every {}s", app.interval.as_secs())));
    spans.push(Span::styled("  ? help  q quit", Style::new().dark_gray()));
    frame.render_widget(Line::from(spans), area);
}

/// The state of a server as a mark and a colour: answering, failing, or not asked yet.
fn server_mark(server: &Server) -> (&'static str, Color) {
    match (&server.error, server.last_ok) {
        (Some(_), _) => ("✗", Color::Red),
        (None, Some(_)) => ("●", Color::Green),
        (None, None) => ("…", Color::Yellow),
    }
}

fn render_server_list(app: &App, frame: &mut Frame, area: Rect) {
    let items: Vec<ListItem> = app
        .servers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (mark, color) = server_mark(s);
            let stratum = s
                .system
                .as_ref()
                .and_then(|v| v.record.as_ref().ok())
                .map_or_else(String::new, |r| format!("st {}", r.stratum));
            let mut style = Style::new();
            if i == app.current {
                style = style.reversed().bold();
            }
            let name: String = s.name.chars().take(14).collect();
            ListItem::new(Line::from(vec![
                Span::styled(format!("{} ", i + 1), Style::new().dark_gray()),
                Span::styled(mark, Style::new().fg(color)),
                Span::styled(format!(" {name:<14} {stratum:>5}"), style),
            ]))
        })
        .collect();
    frame.render_widget(
        List::new(items).block(Block::bordered().title(" servers ")),
        area,
    );
}

fn render_server_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    for (i, s) in app.servers.iter().enumerate() {
        let (mark, color) = server_mark(s);
        let style = if i == app.current {
            Style::new().reversed().bold()
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!(" {}:{} ", i + 1, s.name), style));
        spans.push(Span::styled(mark, Style::new().fg(color)));
    }
    frame.render_widget(Line::from(spans), area);
}

fn render_footer(app: &App, frame: &mut Frame, area: Rect) {
    let line = if let Some(message) = &app.message {
        Line::from(Span::styled(format!(" {message}"), Style::new().yellow()))
    } else {
        let hints = match app.pane {
            Pane::Peers => "↑↓ select  ⏎ detail  <> sort  r reverse  tab server  +- rate  e export",
            Pane::Detail => "↑↓ scroll  esc back  s system  m mru  tab server  e export",
            Pane::System => "p peers  m mru  tab server  +- rate  u update  e export",
            Pane::Mru => "↑↓ select  <> sort  r reverse  u fetch again  p peers  e export",
        };
        let mut spans = Vec::new();
        if let Some(s) = app.server() {
            spans.push(Span::raw(" "));
            spans.push(poll_status(app, s));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(format!(" {hints}"), Style::new().dark_gray()));
        Line::from(spans)
    };
    frame.render_widget(line, area);
}

/// `updated 3s ago` / `no answer yet` / `failing for 12s`.
fn poll_status(app: &App, server: &Server) -> Span<'static> {
    match (&server.error, server.last_ok, server.last_attempt) {
        (Some(_), Some(ok), _) => Span::styled(
            format!("failing, last answer {} ago", age(app.now, ok)),
            Style::new().red(),
        ),
        (Some(_), None, _) => Span::styled("no answer".to_owned(), Style::new().red()),
        (None, Some(ok), _) => Span::raw(format!("updated {} ago", age(app.now, ok))),
        (None, None, _) => Span::raw("asking…".to_owned()),
    }
}

/// The error of a server that never answered, shown in place of a pane.
fn render_unreachable(app: &App, server: &Server, frame: &mut Frame, area: Rect) {
    let text = match &server.error {
        Some(error) => Text::from(vec![
            Line::from(Span::styled(
                format!("✗ {}: {error}", server.name),
                Style::new().red().bold(),
            )),
            Line::raw(""),
            Line::raw(format!(
                "asking again every {}s; the other servers are not held up",
                app.interval.as_secs()
            )),
        ]),
        None => Text::from(format!("asking {}…", server.name)),
    };
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(Block::bordered()),
        area,
    );
}

/// A line saying that the last poll failed while older data is shown below it.
fn failure_banner(app: &App, server: &Server) -> Option<Line<'static>> {
    let error = server.error.as_ref()?;
    let since = server.last_ok.map_or_else(String::new, |t| {
        format!(" (data from {} ago)", age(app.now, t))
    });
    Some(Line::from(Span::styled(
        format!("✗ last poll failed: {error}{since}"),
        Style::new().red().bold(),
    )))
}

/// A duration in seconds, compactly: `42s`, `3m05s`, `2h01m`, `3d04h`.
pub fn fmt_secs(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

fn age(now: SystemTime, then: SystemTime) -> String {
    fmt_secs(age_s(now, then))
}

/// A row of a history block: label, sparkline of the newest samples that fit, and the
/// last, smallest and largest values.
fn render_series(frame: &mut Frame, area: Rect, label: &str, unit: &str, values: &[f64]) {
    let signed = matches!(label, "offset" | "freq");
    let num = |v: f64| {
        if signed {
            format!("{v:+.3}")
        } else {
            format!("{v:.3}")
        }
    };
    let stats = match (
        values.last(),
        values.iter().copied().reduce(f64::min),
        values.iter().copied().reduce(f64::max),
    ) {
        (Some(last), Some(min), Some(max)) => {
            format!(" {} [{} … {}] {unit}", num(*last), num(min), num(max))
        }
        _ => " no samples yet".to_owned(),
    };
    let stats_width = u16::try_from(stats.chars().count()).unwrap_or(u16::MAX);
    let [name, spark, numbers] = Layout::horizontal([
        Constraint::Length(7),
        Constraint::Min(4),
        Constraint::Length(stats_width),
    ])
    .areas(area);
    frame.render_widget(Span::styled(label.to_owned(), Style::new().bold()), name);
    let width = usize::from(spark.width);
    let shown = values
        .get(values.len().saturating_sub(width)..)
        .unwrap_or(values);
    frame.render_widget(
        Sparkline::default()
            .data(scale(shown))
            .max(SPARK_TOP)
            .style(Style::new().cyan()),
        spark,
    );
    frame.render_widget(Span::raw(stats), numbers);
}

/// Sparkline levels: one row of eighth blocks, so the smallest value still shows as `▁`.
const SPARK_TOP: u64 = 8;

/// Maps values onto 1..=[`SPARK_TOP`] between their minimum and maximum (a flat series
/// sits on the floor); sparklines take no negative numbers.
fn scale(values: &[f64]) -> Vec<u64> {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = max - min;
    values
        .iter()
        .map(|v| {
            if span > 0.0 && span.is_finite() {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "0 ≤ fraction ≤ 1, so the result is in 0..SPARK_TOP"
                )]
                let step = ((v - min) / span * 7.0).round() as u64;
                step + 1
            } else {
                1
            }
        })
        .collect()
}

const HELP: &[(&str, &str)] = &[
    ("p s m", "peers, system variables, MRU list"),
    ("⏎ / →", "open the selected peer's detail"),
    ("esc / ←", "back to the peers"),
    ("↑↓ PgUp PgDn", "select a row / scroll (also j k g G)"),
    ("tab 1-9", "next server / server N (history is kept)"),
    ("< >", "sort by the previous / next column"),
    ("r", "reverse the sort order"),
    ("+ -", "refresh less / more often (1 s … 5 min)"),
    ("u F5", "update now (MRU: fetch again)"),
    ("e", "export the view as JSON (current directory)"),
    ("? F1", "this help; any key closes it"),
    ("q ctrl-c", "quit"),
    ("", ""),
    ("tally", "* sys.peer  + candidate  - outlier  x falseticker"),
    ("", "# backup  o PPS peer  . excess  space reject"),
    ("reach", "■ answered □ missed, newest on the right"),
    ("~", "stale: not refreshed by the last poll, or"),
    ("", "nothing heard for two poll intervals"),
    ("MRU", "L rate-limited (yellow), K sent a KoD (red)"),
];

fn render_help(frame: &mut Frame, area: Rect) {
    let width = 66.min(area.width);
    let height = u16::try_from(HELP.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines: Vec<Line> = HELP
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!(" {key:<13}"), Style::new().bold().cyan()),
                Span::raw((*what).to_owned()),
            ])
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" keys ")
                .border_style(Style::new().add_modifier(Modifier::BOLD)),
        ),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_scales() {
        assert_eq!(fmt_secs(0), "0s");
        assert_eq!(fmt_secs(185), "3m05s");
        assert_eq!(fmt_secs(7260), "2h01m");
        assert_eq!(fmt_secs(273_600), "3d04h");
        assert_eq!(scale(&[-1.0, 0.0, 1.0]), [1, 5, 8]);
        assert_eq!(scale(&[2.0, 2.0]), [1, 1]);
    }
}
