//! Many hosts over one socket: `ntpq -c … host1 host2 …`, `ntpq -f FILE`, and any caller that
//! wants the same (`ntpq check`, the TUI's refresh of several servers).
//!
//! Each host's commands run in a worker thread of their own with an ordinary [`Session`]
//! whose requests go through a [`Lane`] to this thread, the hub, which owns the one socket and
//! keeps a bounded window of requests in flight for all hosts together. A host that does not
//! answer holds up only its own worker; the others go on. Each host's standard output and
//! error are captured and handed to the caller in host order, as soon as that host and all
//! before it are done.
//!
//! [`Session`]: crate::session::Session

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use anyhow::anyhow;
use ntpkit::transport::{Pipeline, Transport};

use crate::debug::Tracer;
use crate::link::{self, Answer, Query, Sequences};

/// Hosts worked on at once.
pub const WORKERS: usize = 64;
/// Requests in flight at once over the shared socket, all hosts together.
pub const WINDOW: usize = 128;

/// A worker's way to the hub: sends a host's requests and waits for their answers.
#[derive(Debug)]
pub struct Lane {
    hub: Sender<Message>,
    answers: Receiver<Vec<Answer>>,
    reply: Sender<Vec<Answer>>,
}

impl Lane {
    fn new(hub: Sender<Message>) -> Self {
        let (reply, answers) = mpsc::channel();
        Self {
            hub,
            answers,
            reply,
        }
    }

    /// Runs `queries` against `peer` through the hub and waits for all their answers.
    pub fn run(&mut self, peer: SocketAddr, queries: Vec<Query>, debug: i32) -> Vec<Answer> {
        let count = queries.len();
        let sent = self.hub.send(Message::Run {
            peer,
            queries,
            debug,
            reply: self.reply.clone(),
        });
        match sent.ok().and_then(|()| self.answers.recv().ok()) {
            Some(answers) => answers,
            None => (0..count)
                .map(|_| Err(anyhow!("the fleet's socket is gone")))
                .collect(),
        }
    }
}

enum Message {
    Run {
        peer: SocketAddr,
        queries: Vec<Query>,
        debug: i32,
        reply: Sender<Vec<Answer>>,
    },
    Report(HostReport),
    WorkerDone,
}

/// What one host printed, in the order it printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Standard output.
    Out(Vec<u8>),
    /// Standard error.
    Err(Vec<u8>),
}

/// One host's results.
#[derive(Debug)]
pub struct HostReport {
    /// Its position in the host list.
    pub index: usize,
    /// What it printed.
    pub segments: Vec<Segment>,
    /// Its exit status (0 if every command succeeded).
    pub status: u8,
}

/// A host's two output streams, captured in order.
#[derive(Debug, Default)]
pub struct Capture(RefCell<Vec<Segment>>);

impl Capture {
    /// The standard output writer.
    pub fn out(&self) -> CaptureWriter<'_> {
        CaptureWriter {
            capture: self,
            err: false,
        }
    }

    /// The standard error writer.
    pub fn err(&self) -> CaptureWriter<'_> {
        CaptureWriter {
            capture: self,
            err: true,
        }
    }

    /// What was written.
    pub fn into_segments(self) -> Vec<Segment> {
        self.0.into_inner()
    }
}

/// Writes into a [`Capture`].
#[derive(Debug)]
pub struct CaptureWriter<'a> {
    capture: &'a Capture,
    err: bool,
}

impl Write for CaptureWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut segments = self.capture.0.borrow_mut();
        match (segments.last_mut(), self.err) {
            (Some(Segment::Out(v)), false) | (Some(Segment::Err(v)), true) => {
                v.extend_from_slice(buf);
            }
            _ if self.err => segments.push(Segment::Err(buf.to_vec())),
            _ => segments.push(Segment::Out(buf.to_vec())),
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `work` for every host, [`WORKERS`] at a time, their requests sharing `transport` with
/// at most [`WINDOW`] in flight, and hands each host's report to `deliver` in host order.
/// `work` gets the host's index and name, the lane for its session, and a capture for its
/// output, and returns its exit status.
pub fn run<W>(
    hosts: &[String],
    transport: &Transport,
    work: W,
    deliver: &mut dyn FnMut(HostReport) -> io::Result<()>,
) -> io::Result<()>
where
    W: Fn(usize, &str, Lane, &Capture) -> u8 + Sync,
{
    let (tx, rx) = mpsc::channel();
    let next = AtomicUsize::new(0);
    let workers = WORKERS.min(hosts.len()).max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, work) = (&next, &work);
            scope.spawn(move || {
                // Tells the hub this worker is gone even if a command panicked.
                let _done = Done(tx.clone());
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(host) = hosts.get(index) else { break };
                    let capture = Capture::default();
                    let status = work(index, host, Lane::new(tx.clone()), &capture);
                    let report = HostReport {
                        index,
                        segments: capture.into_segments(),
                        status,
                    };
                    if tx.send(Message::Report(report)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        Hub::new(transport).serve(&rx, workers, deliver)
    })
}

struct Done(Sender<Message>);

impl Drop for Done {
    fn drop(&mut self) {
        let _ = self.0.send(Message::WorkerDone);
    }
}

/// Answers being collected for one [`Lane::run`].
struct Batch {
    reply: Sender<Vec<Answer>>,
    answers: Vec<Option<Answer>>,
    left: usize,
}

struct Hub<'t> {
    pipeline: Pipeline<'t, ntpkit::control::ControlExchange, (usize, usize)>,
    sequences: Sequences,
    tracer: Tracer,
    batches: HashMap<usize, Batch>,
    next_batch: usize,
}

impl<'t> Hub<'t> {
    fn new(transport: &'t Transport) -> Self {
        Self {
            pipeline: Pipeline::new(transport, WINDOW),
            sequences: Sequences::after(crate::session::seed_sequence()),
            tracer: Tracer::new(0),
            batches: HashMap::new(),
            next_batch: 0,
        }
    }

    fn serve(
        mut self,
        rx: &Receiver<Message>,
        mut workers: usize,
        deliver: &mut dyn FnMut(HostReport) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut finished: BTreeMap<usize, HostReport> = BTreeMap::new();
        let mut next_to_print = 0;
        let mut stderr = io::stderr();
        while workers > 0 || !self.pipeline.is_empty() {
            // Workers computing (not waiting for answers) may send a request any moment: then
            // the socket is watched in short slices so that their requests go out at once.
            let idle = self.pipeline.is_empty();
            let message = if idle {
                rx.recv().ok()
            } else {
                rx.try_recv().ok()
            };
            if let Some(message) = message {
                match message {
                    Message::Run {
                        peer,
                        queries,
                        debug,
                        reply,
                    } => self.start(peer, &queries, debug, reply),
                    Message::Report(report) => {
                        finished.insert(report.index, report);
                        while let Some(report) = finished.remove(&next_to_print) {
                            next_to_print += 1;
                            deliver(report)?;
                        }
                    }
                    Message::WorkerDone => workers -= 1,
                }
                continue;
            }
            if idle {
                // Every sender is gone.
                break;
            }
            let waiting = self.batches.len();
            let slice = (workers > waiting).then_some(Duration::from_millis(1));
            let tracer = &mut self.tracer;
            let ended = self
                .pipeline
                .poll(slice, &mut |e| tracer.observe(e, &mut stderr));
            for ((batch, index), result) in ended {
                let answer = link::finish(result, &self.tracer, &mut stderr);
                self.answer(batch, index, answer);
            }
        }
        // Reports of hosts after a gap (a worker that died) still come out, in order.
        for (_, report) in finished {
            deliver(report)?;
        }
        Ok(())
    }

    fn start(
        &mut self,
        peer: SocketAddr,
        queries: &[Query],
        debug: i32,
        reply: Sender<Vec<Answer>>,
    ) {
        self.tracer.raise_to(debug);
        let batch = self.next_batch;
        self.next_batch += 1;
        self.batches.insert(
            batch,
            Batch {
                reply,
                answers: queries.iter().map(|_| None).collect(),
                left: queries.len(),
            },
        );
        if queries.is_empty() {
            self.answer(batch, usize::MAX, Err(anyhow!("no request")));
        }
        for (index, query) in queries.iter().enumerate() {
            match link::job_for(query, peer, &mut self.sequences) {
                Ok(job) => {
                    self.pipeline
                        .submit_with_timeout((batch, index), job, query.timeout);
                }
                Err(e) => self.answer(batch, index, Err(e)),
            }
        }
    }

    fn answer(&mut self, batch: usize, index: usize, answer: Answer) {
        let Some(b) = self.batches.get_mut(&batch) else {
            return;
        };
        if let Some(slot) = b.answers.get_mut(index) {
            *slot = Some(answer);
            b.left -= 1;
        }
        if b.left == 0
            && let Some(b) = self.batches.remove(&batch)
        {
            let answers = b
                .answers
                .into_iter()
                .map(|a| a.unwrap_or_else(|| Err(anyhow!("request was not run"))))
                .collect();
            let _ = b.reply.send(answers);
        }
    }
}

/// Host names from a file: one per line; blank lines and `#` comments are skipped. `-` reads
/// standard input.
///
/// # Errors
/// The file cannot be read.
pub fn read_hosts(path: &std::path::Path) -> io::Result<Vec<String>> {
    let text = if path.as_os_str() == "-" {
        io::read_to_string(io::stdin())?
    } else {
        std::fs::read_to_string(path)?
    };
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_keep_the_interleaving_of_both_streams() {
        let capture = Capture::default();
        write!(capture.out(), "a").unwrap();
        write!(capture.out(), "b").unwrap();
        write!(capture.err(), "oops").unwrap();
        write!(capture.out(), "c").unwrap();
        assert_eq!(
            capture.into_segments(),
            [
                Segment::Out(b"ab".to_vec()),
                Segment::Err(b"oops".to_vec()),
                Segment::Out(b"c".to_vec())
            ]
        );
    }

    #[test]
    fn host_files_skip_blanks_and_comments() {
        let dir = std::env::temp_dir().join(format!("ntpq-hosts-{}", std::process::id()));
        std::fs::write(&dir, "10.77.0.1\n\n  # a comment\nfd77::2  # ntp2\n").unwrap();
        assert_eq!(read_hosts(&dir).unwrap(), ["10.77.0.1", "fd77::2"]);
        std::fs::remove_file(&dir).unwrap();
    }
}
