//! The peers pane: the billboard of the server shown, sorted, with the tally decoded,
//! reach as eight boxes and stale rows marked.

use ntpkit::control::Selection;
use ntpkit::format::vars::{escape_text, ms_text, pretty_interval};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::{SIDEBAR_FROM_WIDTH, failure_banner, render_unreachable};
use crate::tui::app::{App, PeerColumn, PeerRow, Server, ntp_seconds};

/// Draws the peers pane into `area`.
pub fn render(app: &App, server: &Server, frame: &mut Frame, area: Rect) {
    if server.peers.is_empty() && server.last_ok.is_none() {
        render_unreachable(app, server, frame, area);
        return;
    }
    let area = match failure_banner(app, server) {
        Some(banner) => {
            let [top, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            frame.render_widget(banner, top);
            rest
        }
        None => area,
    };
    let wide = frame.area().width >= SIDEBAR_FROM_WIDTH;
    let columns = columns(wide);
    let header = Row::new(columns.iter().map(|(col, title, _)| {
        let mark = match col {
            Some(c) if *c == app.sort.column => {
                if app.sort.descending {
                    "▼"
                } else {
                    "▲"
                }
            }
            _ => "",
        };
        Cell::from(format!("{title}{mark}"))
    }))
    .style(Style::new().bold().underlined());
    let rows = server.sorted_peers(app.sort, app.now);
    let selected = rows
        .iter()
        .position(|r| Some(r.vars.assoc) == server.selected);
    let now = ntp_seconds(app.now);
    let body: Vec<Row> = rows
        .iter()
        .map(|row| peer_row(app, server, row, now, wide))
        .collect();
    let count = body.len();
    let sort = format!(
        " {count} peers · sorted by {}{} ",
        app.sort.column.title(),
        if app.sort.descending { " ▼" } else { " ▲" }
    );
    let widths: Vec<Constraint> = columns.iter().map(|(_, _, w)| *w).collect();
    let table = Table::new(body, widths)
        .header(header)
        .column_spacing(1)
        .highlight_symbol("›")
        .row_highlight_style(Style::new().reversed())
        .block(Block::bordered().title(sort));
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

type ColumnSpec = (Option<PeerColumn>, &'static str, Constraint);

fn columns(wide: bool) -> Vec<ColumnSpec> {
    let mut cols: Vec<ColumnSpec> = vec![(None, "", Constraint::Length(1))];
    if wide {
        cols.push((Some(PeerColumn::Assoc), "assoc", Constraint::Length(6)));
    }
    cols.extend([
        (Some(PeerColumn::Tally), "", Constraint::Length(1)),
        (Some(PeerColumn::Remote), "remote", Constraint::Fill(3)),
        (Some(PeerColumn::Refid), "refid", Constraint::Fill(2)),
        (Some(PeerColumn::Stratum), "st", Constraint::Length(3)),
        (Some(PeerColumn::Type), "t", Constraint::Length(1)),
        (Some(PeerColumn::When), "when", Constraint::Length(4)),
        (Some(PeerColumn::Poll), "poll", Constraint::Length(4)),
        (Some(PeerColumn::Reach), "reach", Constraint::Length(8)),
        (Some(PeerColumn::Delay), "delay", Constraint::Length(7)),
        (Some(PeerColumn::Offset), "offset", Constraint::Length(8)),
        (Some(PeerColumn::Jitter), "jitter", Constraint::Length(7)),
    ]);
    if wide {
        cols.push((None, "condition", Constraint::Length(10)));
    }
    cols
}

fn peer_row<'a>(app: &App, server: &Server, row: &PeerRow, now: u32, wide: bool) -> Row<'a> {
    let v = &row.vars;
    let stale = server.is_stale(row, app.now);
    let tally = v.status.selection.tally();
    let ms = |x: Option<f64>, signed: bool| ms_text(x.unwrap_or(0.0), signed);
    let offset = v.offset_ms.unwrap_or(0.0).abs();
    let offset_style = if offset >= 128.0 {
        Style::new().red().bold()
    } else if offset >= 10.0 {
        Style::new().yellow()
    } else {
        Style::new()
    };
    let mut cells = vec![Cell::from(if stale { "~" } else { " " }).yellow()];
    if wide {
        cells.push(Cell::from(v.assoc.0.to_string()));
    }
    cells.extend([
        Cell::from(tally.to_string()).style(tally_style(v.status.selection)),
        Cell::from(v.remote(app.names)),
        Cell::from(escape_text(v.refid_text().as_bytes())),
        Cell::from(format!("{:>3}", v.stratum.unwrap_or(0))),
        Cell::from(v.type_char().to_string()),
        Cell::from(format!("{:>4.4}", pretty_interval(v.when_s(now)))),
        Cell::from(format!(
            "{:>4.4}",
            pretty_interval(i64::try_from(v.poll_s()).unwrap_or(i64::MAX))
        )),
        Cell::from(reach_boxes(v.reach)),
        Cell::from(format!("{:>7.7}", ms(v.delay_ms, false))),
        Cell::from(format!("{:>8.8}", ms(v.offset_ms, true))).style(offset_style),
        Cell::from(format!(
            "{:>7.7}",
            ms(v.jitter_ms.or(v.dispersion_ms), false)
        )),
    ]);
    if wide {
        cells.push(Cell::from(v.status.selection.condition().to_owned()));
    }
    let style = if stale {
        Style::new().dark_gray()
    } else {
        Style::new()
    };
    Row::new(cells).style(style)
}

/// The tally character's colour.
pub fn tally_style(selection: Selection) -> Style {
    let color = match selection.tally() {
        '*' => Color::Green,
        '+' => Color::Cyan,
        'o' => Color::LightGreen,
        '#' => Color::Blue,
        '-' => Color::Yellow,
        'x' => Color::Red,
        _ => Color::DarkGray,
    };
    Style::new().fg(color).bold()
}

/// The reach register as eight boxes, oldest poll on the left.
pub fn reach_boxes(reach: u64) -> Line<'static> {
    let spans: Vec<Span> = (0..8)
        .rev()
        .map(|bit| {
            if reach >> bit & 1 == 1 {
                Span::styled("■", Style::new().green())
            } else {
                Span::styled("□", Style::new().dark_gray())
            }
        })
        .collect();
    Line::from(spans)
}
