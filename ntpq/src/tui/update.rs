//! The one place the state changes: `update(app, event)` is pure and returns what the loop
//! must do outside (quit, tell the pollers, start an MRU fetch, write an export).

use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, INTERVALS, MruColumn, MruState, Pane, PeerColumn};
use super::event::{Event, MruUpdate};
use super::export;

/// Rows PageUp/PageDown move.
const PAGE: usize = 10;

/// Work for the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave the TUI.
    Quit,
    /// Poll every server at this interval.
    Interval(Duration),
    /// Poll this server now.
    PollNow(usize),
    /// Fetch this server's MRU list.
    FetchMru(usize),
    /// Write `json` to the file `path`.
    Export {
        /// File name (in the current directory).
        path: String,
        /// The document.
        json: String,
    },
}

/// Applies one event.
pub fn update(app: &mut App, event: Event) -> Option<Effect> {
    match event {
        Event::Key(key) => on_key(app, key),
        Event::Resize => None,
        Event::Terminate => Some(Effect::Quit),
        Event::Tick(now) => {
            app.now = now;
            None
        }
        Event::Poll { server, at, result } => {
            app.now = app.now.max(at);
            if let Some(s) = app.servers.get_mut(server) {
                s.apply(at, result);
            }
            None
        }
        Event::Mru { server, update } => {
            if let Some(s) = app.servers.get_mut(server) {
                s.mru = match (update, std::mem::take(&mut s.mru)) {
                    (
                        MruUpdate::Progress {
                            entries,
                            requests,
                            expected,
                        },
                        MruState::Fetching { previous, .. },
                    ) => MruState::Fetching {
                        entries,
                        requests,
                        expected,
                        previous,
                    },
                    // Progress of a fetch we no longer wait for.
                    (MruUpdate::Progress { .. }, other) => other,
                    (MruUpdate::Done(Ok(list)), _) => MruState::Done(Box::new(list)),
                    (MruUpdate::Done(Err(e)), _) => MruState::Failed(e),
                };
            }
            None
        }
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Option<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c' | 'd')) {
        return Some(Effect::Quit);
    }
    if app.help {
        app.help = false;
        return (key.code == KeyCode::Char('q')).then_some(Effect::Quit);
    }
    app.message = None;
    match key.code {
        KeyCode::Char('q') => Some(Effect::Quit),
        KeyCode::Char('?') | KeyCode::F(1) => {
            app.help = true;
            None
        }
        KeyCode::Tab => switch(app, (app.current + 1) % app.servers.len().max(1)),
        KeyCode::BackTab => {
            let n = app.servers.len().max(1);
            switch(app, (app.current + n - 1) % n)
        }
        KeyCode::Char(c @ '1'..='9') => {
            let index = usize::from(u8::try_from(c).unwrap_or(b'1') - b'1');
            (index < app.servers.len())
                .then(|| switch(app, index))
                .flatten()
        }
        KeyCode::Char('s') => {
            app.pane = Pane::System;
            None
        }
        KeyCode::Char('m') => {
            app.pane = Pane::Mru;
            let idle = app
                .server()
                .is_some_and(|s| matches!(s.mru, MruState::Idle | MruState::Failed(_)));
            idle.then(|| start_mru(app)).flatten()
        }
        KeyCode::Enter | KeyCode::Right if app.pane == Pane::Peers => {
            if app.server().and_then(|s| s.selected_row()).is_some() {
                app.pane = Pane::Detail;
                if let Some(s) = app.server_mut() {
                    s.detail_scroll = 0;
                }
            }
            None
        }
        KeyCode::Char('p') | KeyCode::Esc | KeyCode::Backspace | KeyCode::Left => {
            app.pane = Pane::Peers;
            None
        }
        KeyCode::Up | KeyCode::Char('k') => move_by(app, -1),
        KeyCode::Down | KeyCode::Char('j') => move_by(app, 1),
        KeyCode::PageUp => move_by(app, -isize::try_from(PAGE).unwrap_or(10)),
        KeyCode::PageDown => move_by(app, isize::try_from(PAGE).unwrap_or(10)),
        KeyCode::Home | KeyCode::Char('g') => move_by(app, isize::MIN),
        KeyCode::End | KeyCode::Char('G') => move_by(app, isize::MAX),
        KeyCode::Char('<') => sort_step(app, false),
        KeyCode::Char('>') => sort_step(app, true),
        KeyCode::Char('r') => {
            if app.pane == Pane::Mru {
                app.mru_sort.descending = !app.mru_sort.descending;
            } else {
                app.sort.descending = !app.sort.descending;
            }
            None
        }
        KeyCode::Char('+' | '=') => step_interval(app, true),
        KeyCode::Char('-' | '_') => step_interval(app, false),
        KeyCode::Char('u') | KeyCode::F(5) => {
            if app.pane == Pane::Mru {
                let fetching = app
                    .server()
                    .is_some_and(|s| matches!(s.mru, MruState::Fetching { .. }));
                (!fetching).then(|| start_mru(app)).flatten()
            } else {
                Some(Effect::PollNow(app.current))
            }
        }
        KeyCode::Char('e') => match export::document(app) {
            Some((path, json)) => Some(Effect::Export { path, json }),
            None => {
                app.message = Some("nothing to export yet".to_owned());
                None
            }
        },
        _ => None,
    }
}

fn switch(app: &mut App, index: usize) -> Option<Effect> {
    app.current = index;
    if app.pane == Pane::Detail && app.server().and_then(|s| s.selected_row()).is_none() {
        app.pane = Pane::Peers;
    }
    let idle = app
        .server()
        .is_some_and(|s| matches!(s.mru, MruState::Idle));
    (app.pane == Pane::Mru && idle)
        .then(|| start_mru(app))
        .flatten()
}

fn start_mru(app: &mut App) -> Option<Effect> {
    let current = app.current;
    let server = app.server_mut()?;
    let previous = match std::mem::take(&mut server.mru) {
        MruState::Done(list) => Some(list),
        MruState::Fetching { previous, .. } => previous,
        MruState::Idle | MruState::Failed(_) => None,
    };
    server.mru = MruState::Fetching {
        entries: 0,
        requests: 0,
        expected: None,
        previous,
    };
    server.mru_selected = 0;
    Some(Effect::FetchMru(current))
}

fn move_by(app: &mut App, delta: isize) -> Option<Effect> {
    let pane = app.pane;
    let sort = app.sort;
    let now = app.now;
    let mru_len = app.sorted_mru().map_or(0, |(rows, _)| rows.len());
    let server = app.server_mut()?;
    let step = |at: usize, len: usize| -> usize {
        if len == 0 {
            return 0;
        }
        match delta {
            isize::MIN => 0,
            isize::MAX => len - 1,
            d => at.saturating_add_signed(d).min(len - 1),
        }
    };
    match pane {
        Pane::Peers => {
            let order: Vec<_> = server
                .sorted_peers(sort, now)
                .iter()
                .map(|r| r.vars.assoc)
                .collect();
            let at = order
                .iter()
                .position(|a| Some(*a) == server.selected)
                .unwrap_or(0);
            server.selected = order.get(step(at, order.len())).copied();
        }
        Pane::Detail => {
            let at = usize::from(server.detail_scroll);
            server.detail_scroll = u16::try_from(step(at, 1000)).unwrap_or(0);
        }
        Pane::Mru => server.mru_selected = step(server.mru_selected, mru_len),
        Pane::System => {}
    }
    None
}

fn sort_step(app: &mut App, forward: bool) -> Option<Effect> {
    fn next<T: Copy + PartialEq>(all: &[T], now: T, forward: bool) -> T {
        let at = all.iter().position(|c| *c == now).unwrap_or(0);
        let n = all.len();
        let to = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        all.get(to).copied().unwrap_or(now)
    }
    if app.pane == Pane::Mru {
        app.mru_sort.column = next(&MruColumn::ALL, app.mru_sort.column, forward);
    } else {
        app.sort.column = next(&PeerColumn::ALL, app.sort.column, forward);
    }
    None
}

fn step_interval(app: &mut App, longer: bool) -> Option<Effect> {
    let at = INTERVALS
        .iter()
        .position(|d| *d >= app.interval)
        .unwrap_or(INTERVALS.len() - 1);
    let to = if longer {
        (at + 1).min(INTERVALS.len() - 1)
    } else {
        at.saturating_sub(1)
    };
    let interval = INTERVALS.get(to).copied().unwrap_or(app.interval);
    if interval == app.interval {
        return None;
    }
    app.interval = interval;
    Some(Effect::Interval(interval))
}
