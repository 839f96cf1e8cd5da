//! The MRU pane: the server's clients, top talkers first, rate-limited and kissed clients
//! highlighted, with a progress gauge while the list is fetched in the background.

use ntpkit::record::MruRecord;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Gauge, Paragraph, Row, Table, TableState};

use super::age;
use crate::tui::app::{App, MruColumn, MruState, Server, flag_rank};

/// Draws the MRU pane into `area`.
pub fn render(app: &App, server: &Server, frame: &mut Frame, area: Rect) {
    let bits = server.rate_bits();
    let mut top: Vec<Line> = Vec::new();
    let mut gauge = None;
    match &server.mru {
        MruState::Idle => top.push(Line::raw("press u to fetch the MRU list")),
        MruState::Failed(e) => top.push(Line::styled(
            format!("✗ {}: mrulist: {e} (u to try again)", server.name),
            Style::new().red().bold(),
        )),
        MruState::Fetching {
            entries,
            requests,
            expected,
            ..
        } => {
            let label = match expected {
                Some(total) => format!(
                    "fetching the MRU list: {entries} of about {total} clients, {requests} requests"
                ),
                None => format!("fetching the MRU list: {entries} clients, {requests} requests"),
            };
            #[expect(
                clippy::cast_precision_loss,
                reason = "a progress ratio needs no more than f64's 52 bits"
            )]
            let ratio = expected
                .filter(|t| *t > 0)
                .map_or(0.0, |t| (*entries as f64 / t as f64).min(1.0));
            gauge = Some(
                Gauge::default()
                    .ratio(ratio)
                    .label(label)
                    .gauge_style(Style::new().cyan()),
            );
        }
        MruState::Done(_) => {}
    }
    if let Some(list) = server.mru.list() {
        let limited = list
            .entries
            .iter()
            .filter(|e| flag_rank(e.restrict, bits) == 1)
            .count();
        let kod = list
            .entries
            .iter()
            .filter(|e| flag_rank(e.restrict, bits) == 2)
            .count();
        let (at, took) = list.fetched;
        top.push(Line::from(format!(
            "{} clients, {limited} rate-limited (L), {kod} KoD (K); fetched {} ago in {:.2} s",
            list.entries.len(),
            age(app.now, at),
            took.as_secs_f64(),
        )));
    }
    let block = Block::bordered().title(format!(" MRU list of {} ", server.name));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [gauge_area, top_area, table_area] = Layout::vertical([
        Constraint::Length(u16::from(gauge.is_some())),
        Constraint::Length(u16::try_from(top.len()).unwrap_or(0)),
        Constraint::Min(0),
    ])
    .areas(inner);
    if let Some(g) = gauge {
        frame.render_widget(g, gauge_area);
    }
    frame.render_widget(Paragraph::new(top), top_area);
    let Some((rows, now)) = app.sorted_mru() else {
        return;
    };
    let mark = |c: MruColumn| {
        if c == app.mru_sort.column {
            if app.mru_sort.descending {
                "▼"
            } else {
                "▲"
            }
        } else {
            ""
        }
    };
    let header = Row::new([
        Cell::from(format!("address{}", mark(MruColumn::Address))),
        Cell::from("port"),
        Cell::from(format!("{:>7}", format!("count{}", mark(MruColumn::Count)))),
        Cell::from(format!(
            "{:>6}",
            format!("avgint{}", mark(MruColumn::AvgInt))
        )),
        Cell::from(format!(
            "{:>6}",
            format!("lstint{}", mark(MruColumn::LstInt))
        )),
        Cell::from("rstr"),
        Cell::from(format!("r{}", mark(MruColumn::Flag))),
        Cell::from("m"),
        Cell::from("v"),
    ])
    .style(Style::new().bold().underlined());
    let body: Vec<Row> = rows
        .iter()
        .map(|e| {
            let r = MruRecord::from_entry(&server.name, e, now, bits);
            let style = match flag_rank(e.restrict, bits) {
                2 => Style::new().red().bold(),
                1 => Style::new().yellow().bold(),
                _ => Style::new(),
            };
            Row::new([
                r.address,
                r.port.to_string(),
                format!("{:>7}", r.count),
                format!("{:>6}", r.avgint_s),
                format!("{:>6}", r.lstint_s),
                format!("{:>4x}", r.restrict),
                r.rate_flag,
                r.mode.to_string(),
                r.version.to_string(),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(4),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
    ];
    let selected = (!rows.is_empty()).then(|| server.mru_selected.min(rows.len() - 1));
    let table = Table::new(body, widths)
        .header(header)
        .column_spacing(1)
        .highlight_symbol("›")
        .row_highlight_style(Style::new().reversed());
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, table_area, &mut state);
}
