//! `mrulist`: the server's most recently seen clients (protocol notes §5).

use std::cmp::Ordering;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::bail;
use ntpkit::control::{
    AssocId, ControlError, ControlOpcode, MruCollector, MruEntry, MruError, MruNext, MruPage,
    MruProgress, ReassemblyLimits,
};
use ntpkit::format::address_text;
use ntpkit::record::{MruRecord, RateBits};
use ntpkit::time::NtpTimestamp;
use ntpkit_shell::{Arg, Invocation};

use super::emit_json;
use crate::session::Session;

/// Every bit that means limited or kod in one of the daemons' layouts ([`RateBits`]).
const ANY_RATE_BIT: u32 = RateBits::CLASSIC.limited
    | RateBits::CLASSIC.kod
    | RateBits::NTPD_P11.limited
    | RateBits::NTPD_P11.kod;

/// Where this server keeps its rate-limit bits, read off its `version` (one `rv 0 version`);
/// the classic layout when it does not say.
fn rate_bits(s: &mut Session) -> anyhow::Result<RateBits> {
    let response = s.query(
        ControlOpcode::ReadVariables,
        AssocId::SYSTEM,
        b"version".to_vec(),
        false,
    )?;
    let vars = response.variables().ok();
    Ok(RateBits::for_version(
        vars.as_ref().and_then(|v| v.text("version")),
    ))
}

/// Most READ_MRU requests one listing may take; a busy server can keep us paging forever.
const MAX_REQUESTS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    LastSeen,
    AvgInterval,
    Address,
    Count,
}

/// Parses the tags into server filters and the sort order.
/// Server-side filters, the sort key, and whether the order is reversed.
type Tags = (Vec<(String, String)>, SortKey, bool);

fn parse_tags(s: &mut Session, inv: &Invocation) -> anyhow::Result<Tags> {
    let mut filters = Vec::new();
    let mut bits = None;
    let mut sort = (SortKey::LastSeen, false);
    for arg in &inv.args {
        let Arg::Str(tag) = arg else { continue };
        match tag.split_once('=') {
            None if tag == "limited" || tag == "kod" => {
                let bits = match bits {
                    Some(bits) => bits,
                    None => *bits.insert(rate_bits(s)?),
                };
                let bit = if tag == "kod" { bits.kod } else { bits.limited };
                filters.push(("resany".into(), format!("0x{bit:x}")));
            }
            Some(("sort", order)) => {
                let (reverse, key) = match order.strip_prefix('-') {
                    Some(k) => (true, k),
                    None => (false, order),
                };
                let key = match key {
                    "lstint" => SortKey::LastSeen,
                    "avgint" => SortKey::AvgInterval,
                    "addr" => SortKey::Address,
                    "count" => SortKey::Count,
                    other => bail!("invalid sort order '{other}'"),
                };
                sort = (key, reverse);
            }
            Some((name @ ("mincount" | "maxlstint" | "laddr" | "resall" | "resany"), value)) => {
                filters.push((name.to_owned(), value.to_owned()));
            }
            _ => eprintln!("ntpq: ignoring unrecognized mrulist parameter: {tag}"),
        }
    }
    Ok((filters, sort.0, sort.1))
}

/// `mrulist [tag=value]...`.
///
/// # Errors
/// A request failed beyond recovery, or writing failed.
pub fn mrulist(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    // Thousands of rows: one write per line would cost more than reading them.
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    let listed = list(s, inv, &mut buffered);
    buffered.flush()?;
    listed
}

fn list(s: &mut Session, inv: &Invocation, out: &mut dyn Write) -> anyhow::Result<()> {
    let (filters, key, reverse) = parse_tags(s, inv)?;
    // Oldest first is the order rows arrive in: print them as they come.
    let stream = !s.json && key == SortKey::LastSeen && reverse;
    if !s.json {
        eprintln!("Ctrl-C will stop MRU retrieval and display partial results.");
    }
    let interrupt = crate::interrupt::Guard::arm();
    let mut progress = Progress::new(!s.json);
    let mut collector = MruCollector::new(filters);
    if stream {
        collector = collector.with_arrivals();
    }
    let host = s.host_name();
    // Rows printed as they arrive need the server's layout of the rate bits up front.
    let mut bits = if stream { Some(rate_bits(s)?) } else { None };
    let mut header_printed = false;
    let collected = collect(s, &mut collector, &interrupt, &mut |s, c| {
        progress.show(c.len());
        if stream {
            let arrivals = c.take_arrivals();
            if !arrivals.is_empty() && !header_printed {
                write_header(out)?;
                header_printed = true;
            }
            // The server's `now` comes with the last answer: until then intervals run to this
            // machine's clock (the server is assumed to keep time).
            let now = local_now();
            for e in &arrivals {
                write_row(s, out, e, now, bits.unwrap_or(RateBits::CLASSIC))?;
            }
            out.flush()?;
        }
        Ok(())
    });
    progress.clear();
    let interrupted = interrupt.fired();
    drop(interrupt);
    // What arrived before a failure is still shown, flagged partial (exit 5); a failure before
    // any entry arrived (or was printed) is the command's error.
    let failure = match collected {
        Ok(()) => None,
        Err(e) if collector.is_empty() && !header_printed => return Err(e),
        Err(e) => Some(e),
    };
    let partial = failure.is_some() || interrupted;
    let partial_error = |shown: usize, failure: Option<anyhow::Error>| {
        let flag = ntpkit::PartialResult {
            shown: if interrupted && failure.is_none() {
                format!("{shown} entries listed before Ctrl-C")
            } else {
                format!("{shown} entries listed before the list stopped arriving")
            },
        };
        match failure {
            Some(cause) => cause.context(flag),
            None => anyhow::Error::new(flag),
        }
    };
    collector.settle();
    let now = collector
        .now()
        .or_else(|| collector.entries().iter().map(|e| e.last).max())
        .unwrap_or(NtpTimestamp::ZERO);
    if stream {
        eprintln!(
            "Retrieved {} unique MRU entries and {} updates.",
            collector.len(),
            collector.updates()
        );
        if !header_printed {
            write_header(out)?;
        }
        if partial {
            return Err(partial_error(collector.len(), failure));
        }
        return Ok(());
    }
    // Oldest first as collected; the default order is newest first. References, not copies:
    // the list may hold hundreds of thousands of clients.
    let mut entries: Vec<&MruEntry> = collector.entries().iter().rev().collect();
    sort_entries(&mut entries, key, now);
    if reverse {
        entries.reverse();
    }
    // One more request, only when some client has a bit that means limited or kod in one
    // of the layouts.
    let bits = match bits.take() {
        Some(bits) => bits,
        // After a partial list the server may be gone: its classic layout then, not an error
        // that would lose the entries that came.
        None if entries.iter().any(|e| e.restrict & ANY_RATE_BIT != 0) => match rate_bits(s) {
            Ok(bits) => bits,
            Err(_) if partial => RateBits::CLASSIC,
            Err(e) => return Err(e),
        },
        None => RateBits::CLASSIC,
    };
    if s.json {
        let records: Vec<MruRecord> = entries
            .iter()
            .map(|e| MruRecord::from_entry(&host, e, now, bits))
            .collect();
        emit_json(
            out,
            &serde_json::json!({
                "host": host,
                "command": "mrulist",
                "now": format!("0x{now}"),
                "updates": collector.updates(),
                "partial": partial,
                "entries": records,
            }),
        )?;
        if partial {
            return Err(partial_error(records.len(), failure));
        }
        return Ok(());
    }
    eprintln!(
        "Retrieved {} unique MRU entries and {} updates.",
        entries.len(),
        collector.updates()
    );
    write_header(out)?;
    for entry in &entries {
        write_row(s, out, entry, now, bits)?;
    }
    if partial {
        return Err(partial_error(entries.len(), failure));
    }
    Ok(())
}

/// Pages through the server's list until it is complete or Ctrl-C, calling `each` after
/// every answer. An interrupted collection ends without error: what arrived is shown.
///
/// A whole answer is read on a second thread while the next request is already out: its nonce
/// and newest rows, all the next request needs, are at its two ends
/// ([`MruCollector::request_after`]), so the server prepares the next page while this one is
/// read.
fn collect(
    s: &mut Session,
    collector: &mut MruCollector,
    interrupt: &crate::interrupt::Guard,
    each: &mut dyn FnMut(&mut Session, &mut MruCollector) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut rtt: Option<RoundTrip> = None;
    let mut silent = 0;
    // A whole answer whose rows are not committed yet.
    let mut held: Option<Vec<u8>> = None;
    // Whole answers in a row that brought nothing.
    let mut fruitless = 0;
    for _ in 0..MAX_REQUESTS {
        let payload = match held.take() {
            Some(data) => match collector.request_after(&data, Instant::now()) {
                MruNext::Request(payload) => {
                    held = Some(data);
                    payload
                }
                MruNext::Done | MruNext::Commit => {
                    let before = collector.len();
                    let progress = collector.commit(MruPage::read(&data), Instant::now());
                    each(s, collector)?;
                    if progress == MruProgress::Done {
                        return Ok(());
                    }
                    // An answer with neither rows nor the list's end (`now=`) moves nothing
                    // on: asking again at once would be a request storm against a broken
                    // server. A few in a row end the listing.
                    if collector.len() == before {
                        fruitless += 1;
                        if fruitless > MAX_SILENT {
                            return Err(MruError::Inconsistent(
                                "answers carry neither entries nor the end of the list".to_owned(),
                            )
                            .into());
                        }
                    } else {
                        fruitless = 0;
                    }
                    continue;
                }
            },
            None => {
                if collector.needs_nonce(Instant::now()) {
                    match fetch_nonce(s, collector, &mut rtt) {
                        Ok(()) => {}
                        Err(_) if interrupt.fired() => return Ok(()),
                        Err(e) => return Err(e),
                    }
                }
                collector.request()
            }
        };
        let mut query = s.make_query(ControlOpcode::ReadMru, AssocId::SYSTEM, payload, false)?;
        query.limits = ReassemblyLimits::fragments(usize::try_from(collector.frags()).unwrap_or(1));
        query.keep_prefix = true;
        // A lost request is asked again from here, with a new sequence number: an answer
        // with another nonce and other random tags must never mix with the first one's.
        query.retries = 0;
        if let Some(rtt) = rtt {
            query.patience = Some(patience(rtt, silent, s.timeout));
        }
        let sent = Instant::now();
        let previous = held.take();
        let (answer, page) = std::thread::scope(|scope| {
            let reader = previous.map(|data| scope.spawn(move || MruPage::read(&data)));
            let answer = s.exchange(vec![query]).pop();
            (answer, reader.map(std::thread::ScopedJoinHandle::join))
        });
        if let Some(page) = page {
            let page = page.map_err(|_| anyhow::anyhow!("reading an MRU answer failed"))?;
            collector.commit(page, Instant::now());
            each(s, collector)?;
        }
        if interrupt.fired() {
            if let Some(Ok((answer, _))) = answer {
                collector.commit(MruPage::read(&answer.data), Instant::now());
            }
            return Ok(());
        }
        match answer {
            Some(Ok((answer, _))) => {
                silent = 0;
                RoundTrip::observe(&mut rtt, sent.elapsed());
                held = Some(answer.data);
            }
            Some(Err(err)) => match err.downcast::<ControlError>() {
                Ok(ControlError::Incomplete {
                    fragments,
                    octets,
                    prefix,
                }) => {
                    let kept = collector.on_partial(&prefix, Instant::now());
                    each(s, collector)?;
                    // Partial answers that keep nothing count as unanswered: a server that
                    // only ever sends broken answers must not hold the list open forever.
                    if kept == 0 {
                        silent += 1;
                        if silent > MAX_SILENT {
                            return Err(ControlError::Incomplete {
                                fragments,
                                octets,
                                prefix: Vec::new(),
                            }
                            .into());
                        }
                    } else {
                        silent = 0;
                    }
                }
                Ok(timeout @ ControlError::Timeout { .. }) => {
                    silent += 1;
                    if silent > MAX_SILENT_PAGES {
                        return Err(timeout.into());
                    }
                    collector.on_error(timeout)?;
                }
                // Fragments beyond the limits (two answers mixed on a lossy link, or a server
                // that never ends one) bring nothing: asked again smaller, a few times in a row
                // at most, as unanswered requests are.
                Ok(
                    overflow @ (ControlError::TooManyFragments { .. }
                    | ControlError::TooMuchData { .. }),
                ) => {
                    silent += 1;
                    if silent > MAX_SILENT {
                        return Err(overflow.into());
                    }
                    collector.on_error(overflow)?;
                }
                // An error answer is an answer: the run of silences is over.
                Ok(control) => {
                    silent = 0;
                    collector.on_error(control)?;
                }
                Err(other) => return Err(other),
            },
            None => bail!("no answer"),
        }
    }
    if let Some(data) = held {
        collector.commit(MruPage::read(&data), Instant::now());
    }
    Ok(())
}

/// This machine's time as an NTP timestamp.
fn local_now() -> NtpTimestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    NtpTimestamp::from_unix(ntpkit::time::UnixTime {
        secs: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        nanos: since.subsec_nanos(),
    })
}

/// REQ_NONCE, asked again (with a new sequence number) when lost, as many times as a READ_MRU.
fn fetch_nonce(
    s: &mut Session,
    collector: &mut MruCollector,
    rtt: &mut Option<RoundTrip>,
) -> anyhow::Result<()> {
    let mut silent = 0;
    loop {
        let mut query = s.make_query(
            ControlOpcode::RequestNonce,
            AssocId::SYSTEM,
            Vec::new(),
            false,
        )?;
        // One attempt per request, asked again from this loop: a round trip measured across
        // a resend would count the timeout in (Karn's rule), and inflate every wait after it.
        query.retries = 0;
        if let Some(rtt) = *rtt {
            query.patience = Some(patience(rtt, silent, s.timeout));
        }
        let sent = Instant::now();
        match s.exchange(vec![query]).pop() {
            Some(Ok((answer, _))) => {
                RoundTrip::observe(rtt, sent.elapsed());
                return Ok(collector.set_nonce(&answer.variables()?, Instant::now())?);
            }
            Some(Err(e))
                if silent < MAX_SILENT
                    && matches!(
                        e.downcast_ref::<ControlError>(),
                        Some(ControlError::Timeout { .. })
                    ) =>
            {
                silent += 1;
            }
            Some(Err(e)) => return Err(e),
            None => bail!("no answer"),
        }
    }
}

/// Unanswered requests (or partial answers that kept nothing) in a row before giving up.
const MAX_SILENT: u32 = 4;

/// Unanswered READ_MRU requests in a row before giving up (each after a fresh nonce, the waits
/// doubling up to the session's timeout: about 35 s of silence at the default 5 s). A listing
/// at 10% loss sends about a thousand requests whose losses come in runs (three in a row in
/// one diagnostic run); five in a row ended two lossy lab runs of 10,000 entries early with a
/// partial list.
const MAX_SILENT_PAGES: u32 = 8;

/// Round trips seen so far, smoothed, with their variation (the estimator of RFC 6298): under
/// jitter the shortest round trip says little about the next one, and waiting for only a few
/// of them gave up on a link with ±100 ms of jitter after a few hundred entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RoundTrip {
    smoothed: Duration,
    variation: Duration,
}

impl RoundTrip {
    /// Takes one measured round trip into the estimate.
    fn observe(estimate: &mut Option<Self>, sample: Duration) {
        *estimate = Some(match *estimate {
            None => Self {
                smoothed: sample,
                variation: sample / 2,
            },
            Some(e) => Self {
                variation: e.variation * 3 / 4 + e.smoothed.abs_diff(sample) / 4,
                smoothed: e.smoothed * 7 / 8 + sample / 8,
            },
        });
    }
}

/// How long to wait for the first fragment of an answer (a few round trips and their
/// variation, longer after each request that went unanswered, never beyond the session's
/// timeout) and between fragments (an answer's fragments come as one burst: a pause well
/// beyond the jitter means one was lost).
fn patience(rtt: RoundTrip, silent: u32, timeout: Duration) -> (Duration, Duration) {
    // One quick round trip says little about the next under jitter: the variation counts
    // for at least this much.
    let variation = rtt.variation.max(Duration::from_millis(50));
    let first =
        (rtt.smoothed * 2 + variation * 4 + Duration::from_millis(100)) * 2_u32.pow(silent.min(6));
    let between = rtt.smoothed / 2 + variation * 2 + Duration::from_millis(30);
    (first.min(timeout), between.min(timeout))
}

fn write_header(out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(out, "lstint avgint rstr r m v  count rport remote address")?;
    writeln!(out, "{}", "=".repeat(78))?;
    Ok(())
}

#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    reason = "intervals in seconds; ntpq rounds them to int the same way"
)]
fn write_row(
    s: &mut Session,
    out: &mut dyn Write,
    e: &MruEntry,
    now: NtpTimestamp,
    bits: RateBits,
) -> anyhow::Result<()> {
    let lstint = (seconds_between(now, e.last) + 0.5) as i64;
    let avgint = (seconds_between(e.last, e.first) / e.count.max(1) as f64 + 0.5) as i64;
    // A zoned (link-local) address has no useful name; its zone tells the links apart.
    let name = match e.addr {
        SocketAddr::V6(v6) if v6.scope_id() != 0 => address_text(&e.addr),
        _ => s.display_name(e.addr.ip()),
    };
    writeln!(
        out,
        "{lstint:6} {avgint:6} {:4x} {} {} {} {:6} {:5} {name}",
        e.restrict,
        bits.flag(e.restrict),
        e.mode,
        e.version,
        e.count,
        e.addr.port()
    )?;
    Ok(())
}

/// Entries so far and their rate, on standard error when it is a terminal.
struct Progress {
    enabled: bool,
    started: Instant,
    shown: Option<Instant>,
}

impl Progress {
    fn new(wanted: bool) -> Self {
        Self {
            enabled: wanted && std::io::stderr().is_terminal(),
            started: Instant::now(),
            shown: None,
        }
    }

    #[expect(clippy::cast_precision_loss, reason = "a rate for people")]
    fn show(&mut self, entries: usize) {
        if !self.enabled
            || self
                .shown
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.shown = Some(Instant::now());
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r{entries} entries, {:.0} entries/s\x1b[K",
            entries as f64 / secs
        );
    }

    fn clear(&self) {
        if self.enabled && self.shown.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

fn seconds_between(later: NtpTimestamp, earlier: NtpTimestamp) -> f64 {
    NtpTimestamp::from_bits(later.to_bits().wrapping_sub(earlier.to_bits())).as_offset_seconds()
}

#[expect(clippy::cast_precision_loss, reason = "packet counts as a divisor")]
fn sort_entries(entries: &mut [&MruEntry], key: SortKey, now: NtpTimestamp) {
    let avg = |e: &MruEntry| seconds_between(e.last, e.first) / e.count.max(1) as f64;
    match key {
        // Already newest first.
        SortKey::LastSeen => {
            let _ = now;
        }
        SortKey::AvgInterval => {
            entries.sort_by(|a, b| avg(a).partial_cmp(&avg(b)).unwrap_or(Ordering::Equal));
        }
        SortKey::Address => entries.sort_by(|a, b| addr_order(a.addr, b.addr)),
        SortKey::Count => entries.sort_by_key(|e| e.count),
    }
}

/// IPv4 before IPv6, then by address octets.
fn addr_order(a: SocketAddr, b: SocketAddr) -> Ordering {
    match (a, b) {
        (SocketAddr::V4(x), SocketAddr::V4(y)) => x.ip().octets().cmp(&y.ip().octets()),
        (SocketAddr::V6(x), SocketAddr::V6(y)) => x.ip().octets().cmp(&y.ip().octets()),
        (SocketAddr::V4(_), SocketAddr::V6(_)) => Ordering::Less,
        (SocketAddr::V6(_), SocketAddr::V4(_)) => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn patience_follows_jittery_round_trips_not_the_shortest() {
        // Round trips of 0–400 ms (±100 ms jitter each way): the shortest is near zero.
        let mut rtt = None;
        for sample in [10, 390, 120, 250, 20, 400, 300, 60, 200, 350] {
            RoundTrip::observe(&mut rtt, ms(sample));
        }
        let (first, between) = patience(rtt.unwrap(), 0, Duration::from_secs(5));
        assert!(first > ms(400), "{first:?}");
        assert!(between > ms(100), "{between:?}");
        // Unanswered requests double the wait, up to the session's timeout.
        let (later, _) = patience(rtt.unwrap(), 3, Duration::from_secs(5));
        assert_eq!(later, (first * 8).min(Duration::from_secs(5)));
    }

    #[test]
    fn patience_on_a_steady_link_stays_a_few_round_trips() {
        let mut rtt = None;
        for _ in 0..30 {
            RoundTrip::observe(&mut rtt, ms(50));
        }
        let (first, between) = patience(rtt.unwrap(), 0, Duration::from_secs(5));
        assert!(first >= ms(400) && first < ms(420), "{first:?}");
        assert!(between >= ms(150) && between < ms(160), "{between:?}");
    }
}
