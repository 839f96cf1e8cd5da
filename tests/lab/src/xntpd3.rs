//! A scripted xntpd 3 mode 6 responder (`ntpkit-lab xntpd3-responder`): the system variables of
//! xntpd 3 with its writable `leap`, `leapindicator` and `leapwarning` and their window rules
//! (protocol notes §6.3.1, from xntp 3-5.x `ntp_control.c` and `ntp_leap.c`), on a scripted clock,
//! so the client side of setting leap bits remotely can be tested — no xntpd 3 build exists here.
//!
//! Written from the protocol notes (§4.1 header, §4.2 authentication, §6.3.1), independently of
//! ntpkit's own codec:
//! - READSTAT (1) for association 0: the system status word, no associations;
//! - READVAR (2) for association 0: the default list (`system`, `leap`, `stratum`, …) or the names
//!   asked for, in xntpd 3's table order; an unknown name is UNKNOWNVAR; other associations
//!   BADASSOC;
//! - WRITEVAR (3): only with a valid MAC made with the control key (else PERMISSION); a name
//!   other than the three leap variables is PERMISSION (read-only) or UNKNOWNVAR; a value that is
//!   not an integer is BADFMT, one outside 0..3 BADVALUE; then `leap_setleap`: a warning only
//!   within 31 days before a possible leap (00:00 UTC on 1 January or 1 July), an indicator only
//!   within 24 hours, otherwise PERMISSION; success is an empty response;
//! - anything else: BADOP.
//!
//! The leap process runs lazily at each request: more than 24 hours before the possible leap the
//! indicator is cleared, in the last 24 hours a warning is copied into a clear indicator, and more
//! than 31 days before it (that is, after a leap passed) the warning is cleared. The system leap
//! bits follow `leap_actual`: the indicator if set (11 meaning "ignore", so 00), else the sources'
//! bits. With `omitted_counts` the responder has xntpd 3-5.x's sentinel quirk: a variable left out
//! of a write counts as written (as 255), so a lone `leapwarning` is refused outside the last day.
//!
//! Every request is logged on stdout as `request op=N assoc=N auth=ok|bad|none data='…' -> ok` (or
//! `-> error N`); [`Xntpd3Responder::log`] returns those lines.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};

/// Seconds from 1900 to 1970.
const JAN_1970: i64 = 2_208_988_800;
const DAY: i64 = 86_400;
/// `OKAYTOSETWARNING`.
const WARNING_WINDOW: i64 = 31 * DAY;
/// `DAYBEFORE`.
const INDICATOR_WINDOW: i64 = DAY;

/// Mode 6 error codes (notes §4.3).
const PERMISSION: u8 = 1;
const BADFMT: u8 = 2;
const BADOP: u8 = 3;
const BADASSOC: u8 = 4;
const UNKNOWNVAR: u8 = 5;
const BADVALUE: u8 = 6;

/// xntpd 3's system variables in table order (`sys_var`), with whether they are writable.
const SYS_VARS: [(&str, bool); 20] = [
    ("leap", true),
    ("stratum", false),
    ("precision", false),
    ("rootdelay", false),
    ("rootdispersion", false),
    ("refid", false),
    ("reftime", false),
    ("poll", false),
    ("peer", false),
    ("phase", false),
    ("freq", false),
    ("compliance", false),
    ("clock", false),
    ("leapindicator", true),
    ("leapwarning", true),
    ("processor", false),
    ("system", false),
    ("keyid", false),
    ("refskew", false),
    ("sys_var_list", false),
];

/// The default READVAR list (`def_sys_var`).
const DEFAULT_VARS: [&str; 13] = [
    "system",
    "leap",
    "stratum",
    "rootdelay",
    "rootdispersion",
    "peer",
    "refid",
    "reftime",
    "poll",
    "clock",
    "phase",
    "freq",
    "compliance",
];

/// What the responder is: its clock, key and leap variables.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Xntpd3Script {
    /// The server's clock when the responder starts, Unix seconds; it then runs in real time.
    pub clock_unix: i64,
    /// The control key's ID (`controlkey`).
    pub key_id: u32,
    /// The control key's MD5 secret (ASCII).
    pub key: String,
    /// `leapwarning` at start.
    #[serde(default)]
    pub leap_warning: u8,
    /// `leapindicator` at start.
    #[serde(default)]
    pub leap_indicator: u8,
    /// The leap bits its sources send.
    #[serde(default)]
    pub source_leap: u8,
    /// xntpd 3-5.x's sentinel quirk (see the module documentation).
    #[serde(default)]
    pub omitted_counts: bool,
}

/// The emulated daemon.
#[derive(Debug, Clone)]
pub struct Xntpd3 {
    script: Xntpd3Script,
    warning: u8,
    indicator: u8,
}

/// One request's outcome, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The datagram to send back.
    pub reply: Vec<u8>,
    /// The log line.
    pub log: String,
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// Seconds from `now` to the next 00:00 UTC on 1 January or 1 July (`calleapwhen`'s `leapnext`).
pub fn seconds_to_possible_leap(now: i64) -> i64 {
    let (year, _, _) = civil_from_days(now.div_euclid(DAY));
    [(year, 7), (year + 1, 1), (year + 1, 7)]
        .into_iter()
        .map(|(y, m)| days_from_civil(y, m, 1) * DAY)
        .find(|&t| t > now)
        .map_or(0, |t| t - now)
}

fn mac(key: &[u8], data: &[u8]) -> [u8; 16] {
    Md5::new()
        .chain_update(key)
        .chain_update(data)
        .finalize()
        .into()
}

/// `ctl_getitem`'s split of a request payload into `name[=value]` items.
fn items(data: &[u8]) -> Vec<(String, Option<String>)> {
    String::from_utf8_lossy(data)
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| match t.split_once('=') {
            Some((n, v)) => (n.trim().to_owned(), Some(v.trim().to_owned())),
            None => (t.to_owned(), None),
        })
        .collect()
}

/// `atoint`: an optional sign and decimal digits.
fn atoint(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl Xntpd3 {
    /// A daemon as `script` describes it.
    pub fn new(script: Xntpd3Script) -> Self {
        Self {
            warning: script.leap_warning,
            indicator: script.leap_indicator,
            script,
        }
    }

    /// `leap_process`, run lazily at `now`.
    fn leap_process(&mut self, now: i64) {
        let next = seconds_to_possible_leap(now);
        if next > WARNING_WINDOW {
            self.warning = 0;
        }
        if next > INDICATOR_WINDOW {
            self.indicator = 0;
        } else if self.indicator == 0 && self.warning != 0 {
            self.indicator = self.warning;
        }
    }

    /// `leap_actual` of the sources' bits.
    fn sys_leap(&self) -> u8 {
        match self.indicator {
            0 => self.script.source_leap & 3,
            3 => 0,
            i => i & 3,
        }
    }

    fn status_word(&self) -> u16 {
        // Leap bits, clock source 6 (NTP), no events.
        (u16::from(self.sys_leap()) << 14) | (6 << 8)
    }

    fn value(&self, name: &str, now: f64) -> String {
        let ts = |unix: f64| {
            let secs = (unix.floor() as i64 + JAN_1970).rem_euclid(1 << 32);
            let frac = ((unix - unix.floor()) * 4_294_967_296.0) as u64;
            format!("0x{secs:08x}.{frac:08x}")
        };
        let list = SYS_VARS.iter().map(|(n, _)| *n).collect::<Vec<_>>();
        match name {
            "leap" => self.sys_leap().to_string(),
            "stratum" => "2".into(),
            "precision" => "-18".into(),
            "rootdelay" => "12.34".into(),
            "rootdispersion" => "45.67".into(),
            "refid" => "10.77.0.1".into(),
            "reftime" => ts(now - 30.0),
            "poll" => "6".into(),
            "peer" | "keyid" => "0".into(),
            "phase" => "0.123".into(),
            "freq" => "1.23".into(),
            "compliance" => "8".into(),
            "clock" => ts(now),
            "leapindicator" => self.indicator.to_string(),
            "leapwarning" => self.warning.to_string(),
            "processor" => "\"sparc\"".into(),
            "system" => "\"SunOS\"".into(),
            "refskew" => "0.000".into(),
            _ => format!("\"{}\"", list.join(",")),
        }
    }

    /// Answers one datagram received at `now` (Unix seconds on the scripted clock); `None` for
    /// what xntpd 3 drops silently (not mode 6, a response, a fragment, a bad version).
    pub fn handle(&mut self, request: &[u8], now: f64) -> Option<Handled> {
        let header: &[u8; 12] = request.first_chunk()?;
        let [b0, b1, s0, s1, _, _, a0, a1, o0, o1, c0, c1] = *header;
        let vn = (b0 >> 3) & 7;
        if b0 & 7 != 6 || b1 & 0xe0 != 0 || [o0, o1] != [0, 0] || !(1..=3).contains(&vn) {
            return None;
        }
        self.leap_process(now.floor() as i64);
        let opcode = b1 & 0x1f;
        let assoc = u16::from_be_bytes([a0, a1]);
        let count = usize::from(u16::from_be_bytes([c0, c1]));
        let data = request.get(12..12 + count).unwrap_or_default();
        let proper = (12 + count + 7) & !7;
        let mut auth = "none";
        let mut key_ok = false;
        if request.len() == proper + 20
            && let (Some(id), Some(digest)) =
                (request.get(proper..proper + 4), request.get(proper + 4..))
        {
            let id = u32::from_be_bytes(id.try_into().unwrap_or_default());
            key_ok = id == self.script.key_id
                && request
                    .get(..proper)
                    .is_some_and(|p| mac(self.script.key.as_bytes(), p) == digest);
            auth = if key_ok { "ok" } else { "bad" };
        }
        let outcome = if !request.len().is_multiple_of(4) || request.len() < 12 + count {
            Err(BADFMT)
        } else {
            match opcode {
                1 if assoc == 0 => Ok(String::new()),
                1 | 2 if assoc != 0 => Err(BADASSOC),
                2 => self.read(data, now),
                3 if !key_ok => Err(PERMISSION),
                3 => self.write(assoc, data, now).map(|()| String::new()),
                _ => Err(BADOP),
            }
        };
        let log = format!(
            "request op={opcode} assoc={assoc} auth={auth} data='{}' -> {}",
            String::from_utf8_lossy(data).escape_debug(),
            match &outcome {
                Ok(_) => "ok".to_owned(),
                Err(code) => format!("error {code}"),
            }
        );
        let (error, text) = match outcome {
            Ok(text) => (None, text),
            Err(code) => (Some(code), String::new()),
        };
        let status = error.map_or_else(|| self.status_word(), |code| u16::from(code) << 8);
        let mut reply = vec![(self.sys_leap() << 6) | (vn << 3) | 6];
        reply.push(0x80 | if error.is_some() { 0x40 } else { 0 } | opcode);
        reply.extend([s0, s1]);
        reply.extend(status.to_be_bytes());
        reply.extend([a0, a1, 0, 0]);
        reply.extend(u16::try_from(text.len()).unwrap_or(0).to_be_bytes());
        reply.extend(text.as_bytes());
        while !reply.len().is_multiple_of(4) {
            reply.push(0);
        }
        if key_ok {
            while !reply.len().is_multiple_of(8) {
                reply.push(0);
            }
            let digest = mac(self.script.key.as_bytes(), &reply);
            reply.extend(self.script.key_id.to_be_bytes());
            reply.extend(digest);
        }
        Some(Handled { reply, log })
    }

    fn read(&self, data: &[u8], now: f64) -> Result<String, u8> {
        let asked = items(data);
        let names: Vec<&str> = if asked.is_empty() {
            DEFAULT_VARS.to_vec()
        } else {
            let mut wanted = Vec::new();
            for (name, _) in &asked {
                if !SYS_VARS.iter().any(|(n, _)| n == name) {
                    return Err(UNKNOWNVAR);
                }
                wanted.push(name.as_str());
            }
            // Named variables come back in table order, each once.
            SYS_VARS
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| wanted.contains(n))
                .collect()
        };
        // `ctl_putdata`: ", " between items, a line break before a line would pass 72.
        let mut text = String::new();
        let mut line = 0;
        for (i, name) in names.iter().enumerate() {
            let item = format!("{name}={}", self.value(name, now));
            if i > 0 {
                text.push(',');
                if line + item.len() + 2 >= 72 {
                    text.push_str("\r\n");
                    line = 0;
                } else {
                    text.push(' ');
                    line += 2;
                }
            }
            line += item.len();
            text.push_str(&item);
        }
        text.push_str("\r\n");
        Ok(text)
    }

    fn write(&mut self, assoc: u16, data: &[u8], now: f64) -> Result<(), u8> {
        if assoc != 0 {
            return Err(PERMISSION);
        }
        let (mut indicator, mut warning) = (None, None);
        for (name, value) in items(data) {
            let Some((_, writable)) = SYS_VARS.iter().find(|(n, _)| *n == name) else {
                return Err(UNKNOWNVAR);
            };
            if !writable {
                return Err(PERMISSION);
            }
            let value = value.as_deref().and_then(atoint).ok_or(BADFMT)?;
            let value = u8::try_from(value)
                .ok()
                .filter(|v| *v <= 3)
                .ok_or(BADVALUE)?;
            if name == "leapwarning" {
                warning = Some(value);
            } else {
                indicator = Some(value);
            }
        }
        if indicator.is_none() && warning.is_none() {
            return Ok(());
        }
        if self.script.omitted_counts {
            indicator = indicator.or(Some(255));
            warning = warning.or(Some(255));
        }
        let next = seconds_to_possible_leap(now.floor() as i64);
        if (warning.is_some() && next > WARNING_WINDOW)
            || (indicator.is_some() && next > INDICATOR_WINDOW)
        {
            return Err(PERMISSION);
        }
        if let Some(w) = warning {
            self.warning = w;
        }
        if let Some(i) = indicator {
            if i == 0 {
                self.warning = 0;
            }
            self.indicator = i;
        }
        Ok(())
    }
}

/// Serves `script` on `listen` until `lifetime` passes; prints `ready <addr>` first, then a line
/// per request.
///
/// # Errors
/// The socket cannot be bound or used.
pub fn run(
    listen: SocketAddr,
    script: &Xntpd3Script,
    lifetime: Duration,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let sock = UdpSocket::bind(listen).with_context(|| format!("cannot bind {listen}"))?;
    writeln!(out, "ready {}", sock.local_addr()?)?;
    out.flush()?;
    let started = Instant::now();
    let mut daemon = Xntpd3::new(script.clone());
    let end = started + lifetime;
    let mut buf = [0_u8; 2048];
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let now = script.clock_unix as f64 + started.elapsed().as_secs_f64();
        if let Some(h) = daemon.handle(buf.get(..n).unwrap_or_default(), now) {
            sock.send_to(&h.reply, from)?;
            writeln!(out, "{}", h.log)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// A responder running in a lab namespace; stopped when dropped.
#[derive(Debug)]
pub struct Xntpd3Responder {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Xntpd3Responder {
    /// Starts `bin xntpd3-responder` in `netns` on `listen` (port 0: any) with `script`.
    pub(crate) fn start(
        bin: &Path,
        netns: &str,
        listen: SocketAddr,
        script: &Xntpd3Script,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!("xntpd3-script-{}-{stamp}.json", std::process::id()));
        std::fs::write(&path, serde_json::to_vec(script)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut child = Command::new("ip")
            .args(["netns", "exec", netns])
            .arg(bin)
            .arg("xntpd3-responder")
            .arg(format!("--listen={listen}"))
            .arg(format!("--script={}", path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", bin.display()))?;
        let stdout = child.stdout.take().context("responder has no stdout")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = tx.send(first);
            for line in reader.lines().map_while(Result::ok) {
                if let Ok(mut l) = lines.lock() {
                    l.push(line);
                }
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        // Read by the responder before it says `ready`.
        let _ = std::fs::remove_file(&path);
        match first.trim().strip_prefix("ready ").map(str::parse) {
            Some(Ok(addr)) => Ok(Self { child, log, addr }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("xntpd 3 responder did not start: '{}'", first.trim())
            }
        }
    }

    /// Every request line logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Xntpd3Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "xntp3key";

    fn script(clock: i64) -> Xntpd3Script {
        Xntpd3Script {
            clock_unix: clock,
            key_id: 3,
            key: KEY.into(),
            leap_warning: 0,
            leap_indicator: 0,
            source_leap: 0,
            omitted_counts: false,
        }
    }

    fn jan_2027() -> i64 {
        days_from_civil(2027, 1, 1) * DAY
    }

    fn request(opcode: u8, payload: &str, key: Option<(u32, &str)>) -> Vec<u8> {
        let mut r = vec![0x16, opcode, 0, 7, 0, 0, 0, 0, 0, 0];
        r.extend(u16::try_from(payload.len()).unwrap().to_be_bytes());
        r.extend(payload.as_bytes());
        while !r.len().is_multiple_of(8) {
            r.push(0);
        }
        if let Some((id, secret)) = key {
            let digest = mac(secret.as_bytes(), &r);
            r.extend(id.to_be_bytes());
            r.extend(digest);
        }
        r
    }

    fn answer(d: &mut Xntpd3, req: &[u8], now: i64) -> (u8, String) {
        let h = d.handle(req, now as f64).unwrap();
        let error = if h.reply[1] & 0x40 != 0 {
            h.reply[4]
        } else {
            0
        };
        let count = usize::from(u16::from_be_bytes([h.reply[10], h.reply[11]]));
        (
            error,
            String::from_utf8_lossy(&h.reply[12..12 + count]).into_owned(),
        )
    }

    #[test]
    fn possible_leaps() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            civil_from_days(days_from_civil(2026, 11, 21)),
            (2026, 11, 21)
        );
        assert_eq!(seconds_to_possible_leap(jan_2027() - 5), 5);
        assert_eq!(
            seconds_to_possible_leap(jan_2027()),
            (days_from_civil(2027, 7, 1) - days_from_civil(2027, 1, 1)) * DAY
        );
    }

    #[test]
    fn windows_decide_writes() {
        let key = Some((3, KEY));
        let mut d = Xntpd3::new(script(0));
        let outside = jan_2027() - 41 * DAY;
        let warning = jan_2027() - 10 * DAY;
        let day = jan_2027() - 3600;
        let w = request(3, "leapwarning=1", key);
        assert_eq!(answer(&mut d, &w, outside).0, PERMISSION);
        assert_eq!(answer(&mut d, &w, warning), (0, String::new()));
        let (_, text) = answer(
            &mut d,
            &request(2, "leapwarning,leapindicator,leap", None),
            warning,
        );
        assert_eq!(text, "leap=0, leapindicator=0, leapwarning=1\r\n");
        assert_eq!(
            answer(&mut d, &request(3, "leapindicator=1", key), warning).0,
            PERMISSION
        );
        // In the last day the warning becomes the indicator, and the system leap bits follow.
        let (_, text) = answer(&mut d, &request(2, "leap,leapindicator", None), day);
        assert_eq!(text, "leap=1, leapindicator=1\r\n");
        assert_eq!(
            answer(&mut d, &request(3, "leapindicator=3", key), day).0,
            0
        );
        let (_, text) = answer(&mut d, &request(2, "leap", None), day);
        assert_eq!(text, "leap=0\r\n");
        // Writing 0 as the indicator clears the warning too.
        assert_eq!(
            answer(&mut d, &request(3, "leapindicator=0", key), day).0,
            0
        );
        let (_, text) = answer(&mut d, &request(2, "leapwarning", None), day);
        assert_eq!(text, "leapwarning=0\r\n");
    }

    #[test]
    fn refusals() {
        let now = jan_2027() - 3600;
        let mut d = Xntpd3::new(script(0));
        assert_eq!(
            answer(&mut d, &request(3, "leap=1", None), now).0,
            PERMISSION
        );
        assert_eq!(
            answer(&mut d, &request(3, "leap=1", Some((3, "wrong"))), now).0,
            PERMISSION
        );
        assert_eq!(
            answer(&mut d, &request(3, "leap=1", Some((4, KEY))), now).0,
            PERMISSION
        );
        let key = Some((3, KEY));
        assert_eq!(
            answer(&mut d, &request(3, "stratum=1", key), now).0,
            PERMISSION
        );
        assert_eq!(
            answer(&mut d, &request(3, "bogus=1", key), now).0,
            UNKNOWNVAR
        );
        assert_eq!(answer(&mut d, &request(3, "leap=x", key), now).0, BADFMT);
        assert_eq!(answer(&mut d, &request(3, "leap=", key), now).0, BADFMT);
        assert_eq!(answer(&mut d, &request(3, "leap=4", key), now).0, BADVALUE);
        assert_eq!(
            answer(&mut d, &request(2, "version", None), now).0,
            UNKNOWNVAR
        );
        assert_eq!(answer(&mut d, &request(9, "", None), now).0, BADOP);
        let mut peer = request(2, "", None);
        peer[7] = 5;
        assert_eq!(answer(&mut d, &peer, now).0, BADASSOC);
        assert!(d.handle(&[0x16, 0x82, 0, 0], 0.0).is_none());
        assert!(
            d.handle(
                &request(2, "", None)
                    .into_iter()
                    .map(|b| b | 0x80)
                    .collect::<Vec<_>>(),
                0.0
            )
            .is_none()
        );
    }

    #[test]
    fn the_sentinel_quirk_refuses_a_lone_warning() {
        let mut s = script(0);
        s.omitted_counts = true;
        let mut d = Xntpd3::new(s);
        let key = Some((3, KEY));
        let warning = jan_2027() - 10 * DAY;
        assert_eq!(
            answer(&mut d, &request(3, "leapwarning=1", key), warning).0,
            PERMISSION
        );
        assert_eq!(
            answer(&mut d, &request(3, "leapwarning=1", key), jan_2027() - 60).0,
            0
        );
    }

    #[test]
    fn default_list_and_signed_replies() {
        let mut d = Xntpd3::new(script(0));
        let now = jan_2027() - 41 * DAY;
        let (_, text) = answer(&mut d, &request(2, "", None), now);
        assert!(
            text.starts_with("system=\"SunOS\", leap=0, stratum=2,"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.len() <= 72), "{text}");
        assert!(text.contains("clock=0x"));
        let h = d
            .handle(&request(3, "leapwarning=1", Some((3, KEY))), now as f64)
            .unwrap();
        assert_eq!(h.reply.len(), 16 + 4 + 16);
        assert_eq!(&h.reply[16..20], &3_u32.to_be_bytes());
        assert_eq!(&h.reply[20..], &mac(KEY.as_bytes(), &h.reply[..16]));
        assert!(
            h.log.ends_with("auth=ok data='leapwarning=1' -> error 1"),
            "{}",
            h.log
        );
    }
}
