//! What the event loop reacts to: keys and resizes from the input thread, ticks, and the
//! answers of the background queries ([`super::poll`]), all on one channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use ntpkit::control::{AssocStatus, MruEntry, SystemStatus, VarList};
use ntpkit::time::NtpTimestamp;
use ratatui::crossterm::event::{self as term, KeyEvent, KeyEventKind};

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key was pressed.
    Key(KeyEvent),
    /// The terminal changed size.
    Resize,
    /// Time passed (ages and `when` advance).
    Tick(SystemTime),
    /// A poll of server `server` ended at `at`.
    Poll {
        /// Index of the server.
        server: usize,
        /// When the answer was complete.
        at: SystemTime,
        /// The answers, or why the poll failed.
        result: Result<Snapshot, String>,
    },
    /// SIGTERM or SIGHUP arrived: leave as `q` does, restoring the terminal.
    Terminate,
    /// News of an MRU fetch.
    Mru {
        /// Index of the server.
        server: usize,
        /// Progress or the end.
        update: MruUpdate,
    },
}

/// One poll's answers: the system variables and every peer's.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Association 0.
    pub system: SystemAnswer,
    /// The associations the peers billboard shows, in the server's order.
    pub peers: Vec<PeerAnswer>,
}

/// The system variables of a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemAnswer {
    /// The status word.
    pub status: SystemStatus,
    /// The default variable list.
    pub vars: VarList,
    /// `ss_uptime`, if the server answers it.
    pub uptime_s: Option<u64>,
}

/// One association's answer in a poll.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerAnswer {
    /// Its variables were read.
    Read {
        /// Association and the status word that came with the variables.
        status: AssocStatus,
        /// The variables.
        vars: VarList,
    },
    /// The association was listed but its variables could not be read.
    Failed {
        /// Association and its listed status.
        status: AssocStatus,
        /// Why.
        error: String,
    },
}

/// An MRU list as fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct MruList {
    /// The clients, oldest first as collected.
    pub entries: Vec<MruEntry>,
    /// The server's time at the end of the fetch.
    pub now: NtpTimestamp,
    /// Entries that replaced an earlier one of the same address during the fetch.
    pub updates: usize,
    /// Requests sent.
    pub requests: usize,
    /// When the fetch ended, and how long it took.
    pub fetched: (SystemTime, Duration),
}

/// News of an MRU fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum MruUpdate {
    /// Still fetching.
    Progress {
        /// Clients so far.
        entries: usize,
        /// Requests so far.
        requests: usize,
        /// The server's `mru_depth`, if known.
        expected: Option<u64>,
    },
    /// Finished.
    Done(Result<MruList, String>),
}

/// How often the input thread checks whether it should stop.
const INPUT_POLL: Duration = Duration::from_millis(250);

/// Reads keys and resizes until `stop` is set or the loop is gone. The thread polls with a
/// short timeout rather than blocking, so that it can be joined: a reader left behind would
/// take the keys meant for the ntpq prompt after `tui`.
pub fn spawn_input(tx: Sender<Event>, stop: Arc<AtomicBool>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match term::poll(INPUT_POLL) {
                Ok(false) => {}
                Ok(true) => {
                    let event = match term::read() {
                        Ok(term::Event::Key(key)) if key.kind != KeyEventKind::Release => {
                            Event::Key(key)
                        }
                        Ok(term::Event::Resize(..)) => Event::Resize,
                        Ok(_) => continue,
                        Err(_) => break,
                    };
                    if tx.send(event).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    })
}
