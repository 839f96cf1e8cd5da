//! The detail pane of one peer: status word and flash bits decoded, the clock filter
//! registers as a table, sparklines of offset, delay and jitter over the session, and every
//! variable cooked as ntpq shows it.

use ntpkit::format::vars::{CookOptions, VarKind, cook_variable};
use ntpkit::record::{FILTER_STAGES, FilterRegisters};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};

use super::peers::{reach_boxes, tally_style};
use super::{fmt_secs, render_series};
use crate::tui::app::{App, PeerRow, Server, age_s, ntp_seconds};

/// Draws the detail pane into `area`.
pub fn render(app: &App, server: &Server, frame: &mut Frame, area: Rect) {
    let Some(row) = server.selected_row() else {
        return;
    };
    let v = &row.vars;
    let stale = if server.is_stale(row, app.now) {
        " · stale"
    } else {
        ""
    };
    let title = format!(
        " peer {} · {} · {}{stale} ",
        v.assoc.0,
        v.remote(app.names),
        v.status.selection.condition()
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [head, filter, history, vars] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Min(0),
    ])
    .areas(inner);
    render_head(app, row, frame, head);
    render_filter(row, frame, filter);
    let samples = server.history.get(&v.assoc.0);
    let count = samples.map_or(0, |h| h.samples.len());
    let span = samples
        .and_then(|h| Some((h.samples.front()?.0, h.samples.back()?.0)))
        .map_or(0, |(first, last)| age_s(last, first));
    let block = Block::bordered().title(format!(
        " history · {count} samples over {} ",
        fmt_secs(span)
    ));
    let lines = block.inner(history);
    frame.render_widget(block, history);
    let rows: [Rect; 3] = Layout::vertical([Constraint::Length(1); 3]).areas(lines);
    for (i, (label, area)) in ["offset", "delay", "jitter"].iter().zip(rows).enumerate() {
        let values = samples.map(|h| h.series(i)).unwrap_or_default();
        render_series(frame, area, label, "ms", &values);
    }
    render_variables(app, server, row, frame, vars);
}

fn render_head(app: &App, row: &PeerRow, frame: &mut Frame, area: Rect) {
    let v = &row.vars;
    let status = Line::from(vec![
        Span::styled("status ", Style::new().bold()),
        Span::raw(format!("{:04x} {}", v.status.to_bits(), v.status)),
    ]);
    let when = v.when_s(ntp_seconds(app.now));
    let mut second = vec![
        Span::styled("flash ", Style::new().bold()),
        Span::raw(format!("{}  ", v.flash)),
        Span::styled("tally ", Style::new().bold()),
        Span::styled(
            v.status.selection.tally().to_string(),
            tally_style(v.status.selection),
        ),
        Span::raw("  "),
        Span::styled("reach ", Style::new().bold()),
    ];
    second.extend(reach_boxes(v.reach).spans);
    second.push(Span::raw(format!(
        " {:03o}  when {}  poll {}",
        v.reach,
        ntpkit::format::vars::pretty_interval(when),
        v.poll_s()
    )));
    if let Some(error) = &row.error {
        second.push(Span::styled(format!("  ✗ {error}"), Style::new().red()));
    }
    frame.render_widget(Paragraph::new(vec![status, Line::from(second)]), area);
}

fn render_filter(row: &PeerRow, frame: &mut Frame, area: Rect) {
    let Some(filter) = FilterRegisters::from_vars(&row.raw) else {
        frame.render_widget(
            Paragraph::new("no filter registers in the answer")
                .block(Block::bordered().title(" clock filter ")),
            area,
        );
        return;
    };
    let title = if filter.garbled {
        " clock filter, ms, newest first (stray bytes before the values ignored) "
    } else {
        " clock filter, ms, newest first "
    };
    let mut widths = vec![Constraint::Length(6)];
    widths.extend([Constraint::Length(7); FILTER_STAGES]);
    let header =
        std::iter::once(String::new()).chain((1..=FILTER_STAGES).map(|i| format!("{i:>7}")));
    let rows = [
        ("delay", cells(&filter.delay_ms, false)),
        ("offset", cells(&filter.offset_ms, true)),
        ("disp", cells(&filter.dispersion_ms, false)),
    ]
    .into_iter()
    .map(|(name, values)| Row::new(std::iter::once(name.to_owned()).chain(values)));
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(Style::new().bold()))
            .column_spacing(1)
            .block(Block::bordered().title(title)),
        area,
    );
}

fn render_variables(app: &App, server: &Server, row: &PeerRow, frame: &mut Frame, area: Rect) {
    // Dates relative to the time shown; UTC keeps the pane independent of the local zone.
    let unix = i64::from(ntp_seconds(app.now)) - i64::from(ntpkit::time::UNIX_EPOCH_NTP);
    let opts = CookOptions {
        now_unix: unix,
        utc_offset: &|_| 0,
        refid_hash: false,
        host_name: &|ip| ip.to_string(),
    };
    let mut spans = Vec::new();
    for var in row.raw.iter() {
        if var.name.starts_with("filt") {
            continue;
        }
        spans.push(Span::styled(format!("{}=", var.name), Style::new().cyan()));
        spans.push(Span::raw(format!(
            "{}   ",
            cook_variable(var, VarKind::Peer, &opts)
        )));
    }
    let title = format!(" variables ({}, dates UTC) ", row.raw.len());
    frame.render_widget(
        Paragraph::new(Line::from(spans))
            .wrap(Wrap { trim: true })
            .scroll((server.detail_scroll, 0))
            .block(Block::bordered().title(title)),
        area,
    );
}

/// One register's cells, `-` for stages the answer did not fill.
fn cells(values: &[f64], signed: bool) -> Vec<String> {
    (0..FILTER_STAGES)
        .map(|i| match values.get(i) {
            Some(v) if signed => format!("{v:>+7.2}"),
            Some(v) => format!("{v:>7.2}"),
            None => format!("{:>7}", "-"),
        })
        .collect()
}
