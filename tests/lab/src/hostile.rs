//! Scripted misbehaving mode 6 and mode 7 answers for the scripted responder (`ntpkit-lab
//! ntp-responder --control-script … --private-script …`): each request of a mode gets the next
//! step of that mode's script (the last step repeats), and a step is either a correct answer or
//! one way of being hostile (issue 14): spoofed source address or header, truncated headers,
//! counts beyond the datagram, overlapping, gapped, endless or duplicated fragments, absurd
//! offsets, nonsense error codes, broken MACs, malformed variable lists, impossible item sizes.
//!
//! The datagrams are built here from the protocol notes (§4.1, §4.6, §4.8, §4.9, §5, §7.1, §7.3,
//! §7.5), independently of ntpkit's codec. The correct answers are small but complete: one
//! association (READSTAT), system and peer variables (READVAR), a nonce and a one-entry MRU list;
//! for mode 7 one peer summary, the system information and one monitor entry.

use std::str::FromStr;

use md5::{Digest as _, Md5};

use crate::mode7::{MonitorEntry, encode_entry};

/// One datagram to send back, and whether it goes out from another address than the one the
/// request was sent to (a spoofed reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The datagram.
    pub data: Vec<u8>,
    /// Sent from the responder's spoofing socket (another address).
    pub spoofed_source: bool,
}

impl Outgoing {
    fn plain(data: Vec<u8>) -> Self {
        Self {
            data,
            spoofed_source: false,
        }
    }
}

/// What the responder does with one mode 6 request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlStep {
    /// The correct answer, in two fragments when it has more than 8 octets.
    Ok,
    /// The correct answer, sent from another address.
    SpoofAddress,
    /// The correct answer with the next sequence number.
    SpoofSequence,
    /// The correct answer under another opcode.
    WrongOpcode,
    /// The correct answer with the response bit clear.
    NoResponseBit,
    /// 8 octets: shorter than the header.
    TruncatedHeader,
    /// The first fragment correct, then one whose count exceeds the datagram.
    CountTooLong,
    /// Fragments that overlap: [0, 40), [20, 60) with other text, then the rest.
    Overlap,
    /// The first and the last fragment, never the middle.
    Gap,
    /// 200 fragments of 32 octets, every one with the M bit set.
    Endless,
    /// One fragment at offset 65,000 (135 fragments in).
    HugeOffset,
    /// The first fragment twice with different content, then the rest.
    DuplicateDiffers,
    /// The error bit with this code (ntpd knows 0 to 7).
    Error(u8),
    /// The correct answer signed with key ID 99 instead of the request's.
    MacWrongKeyId,
    /// The correct answer with a 10-octet digest instead of 16.
    MacWrongLength,
    /// The correct answer with a digest that does not verify.
    MacWrongDigest,
    /// The correct answer without a MAC, even to a signed request.
    NoMac,
    /// A variable list whose `version` value opens a quote and never closes it.
    UnterminatedQuote,
    /// A variable list with a 64 KiB value, as many fragments as that takes.
    HugeValue,
    /// The correct answer with terminal escapes (ESC, BEL) in `version` and `refid`.
    Escapes,
    /// No answer.
    Silent,
}

/// What the responder does with one mode 7 request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateStep {
    /// The correct answer (one fragment).
    Ok,
    /// The correct answer, sent from another address.
    SpoofAddress,
    /// The correct answer under the next request code.
    WrongRequestCode,
    /// The correct answer with the response bit clear.
    NoResponseBit,
    /// The correct answer under another implementation number.
    WrongImplementation,
    /// 4 octets: shorter than the header.
    TruncatedHeader,
    /// nitems says 5 items, the datagram holds one.
    CountTooLong,
    /// One item whose item size (600) is larger than a whole payload.
    ItemSizeTooLarge,
    /// nitems 4095 × itemsize 4095 (about 16 MiB) in a small datagram.
    SizeOverflow,
    /// Fragment 0 and fragment 2 (final), never fragment 1.
    Gap,
    /// 128 fragments (sequence 0 to 127), every one with the M bit set.
    Endless,
    /// One final fragment with sequence 127: 127 fragments missing.
    HugeSequence,
    /// Fragment 0 twice with different content, then the final one.
    DuplicateDiffers,
    /// Fragments whose item sizes differ.
    MixedItemSizes,
    /// The error field set to this code (ntpd knows 0 to 4 and 7).
    Error(u8),
    /// No answer.
    Silent,
}

fn step_name(s: &str) -> (&str, Option<&str>) {
    match s.split_once(':') {
        Some((name, arg)) => (name, Some(arg)),
        None => (s, None),
    }
}

fn error_code(s: &str, arg: Option<&str>, max: u8) -> Result<u8, String> {
    arg.and_then(|a| a.parse::<u8>().ok())
        .filter(|&c| c <= max)
        .ok_or_else(|| format!("step '{s}' wants a code 0 to {max}"))
}

impl FromStr for ControlStep {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match step_name(s) {
            ("ok", None) => Self::Ok,
            ("spoof-addr", None) => Self::SpoofAddress,
            ("spoof-seq", None) => Self::SpoofSequence,
            ("bad-opcode", None) => Self::WrongOpcode,
            ("no-r-bit", None) => Self::NoResponseBit,
            ("short", None) => Self::TruncatedHeader,
            ("count-long", None) => Self::CountTooLong,
            ("overlap", None) => Self::Overlap,
            ("gap", None) => Self::Gap,
            ("endless", None) => Self::Endless,
            ("huge-offset", None) => Self::HugeOffset,
            ("dup-differ", None) => Self::DuplicateDiffers,
            ("error", arg) => Self::Error(error_code(s, arg, 255)?),
            ("mac-keyid", None) => Self::MacWrongKeyId,
            ("mac-len", None) => Self::MacWrongLength,
            ("badmac", None) => Self::MacWrongDigest,
            ("nomac", None) => Self::NoMac,
            ("unterminated", None) => Self::UnterminatedQuote,
            ("value-64k", None) => Self::HugeValue,
            ("escapes", None) => Self::Escapes,
            ("silent", None) => Self::Silent,
            _ => return Err(format!("unknown mode 6 step '{s}'")),
        })
    }
}

impl FromStr for PrivateStep {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match step_name(s) {
            ("ok", None) => Self::Ok,
            ("spoof-addr", None) => Self::SpoofAddress,
            ("bad-code", None) => Self::WrongRequestCode,
            ("no-r-bit", None) => Self::NoResponseBit,
            ("bad-impl", None) => Self::WrongImplementation,
            ("short", None) => Self::TruncatedHeader,
            ("count-long", None) => Self::CountTooLong,
            ("item-size", None) => Self::ItemSizeTooLarge,
            ("overflow", None) => Self::SizeOverflow,
            ("gap", None) => Self::Gap,
            ("endless", None) => Self::Endless,
            ("huge-seq", None) => Self::HugeSequence,
            ("dup-differ", None) => Self::DuplicateDiffers,
            ("mixed-size", None) => Self::MixedItemSizes,
            ("error", arg) => Self::Error(error_code(s, arg, 15)?),
            ("silent", None) => Self::Silent,
            _ => return Err(format!("unknown mode 7 step '{s}'")),
        })
    }
}

/// Parses a comma-separated script of `T` steps (`T` = [`ControlStep`] or [`PrivateStep`]).
///
/// # Errors
/// An unknown step or an empty script.
pub fn parse_steps<T: FromStr<Err = String>>(s: &str) -> Result<Vec<T>, String> {
    let steps: Vec<T> = s
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if steps.is_empty() {
        return Err("empty script".to_owned());
    }
    Ok(steps)
}

// ---------------------------------------------------------------------------------------------
// Mode 6

/// The fields of a mode 6 request the answer depends on.
#[derive(Debug, Clone, Copy)]
struct ControlRequestHead {
    vn: u8,
    opcode: u8,
    sequence: u16,
    assoc: u16,
    count: u16,
}

fn control_head(request: &[u8]) -> Option<ControlRequestHead> {
    let h = request.get(..12)?;
    (h[0] & 7 == 6 && h[1] & 0x80 == 0).then(|| ControlRequestHead {
        vn: (h[0] >> 3) & 7,
        opcode: h[1] & 0x1f,
        sequence: u16::from_be_bytes([h[2], h[3]]),
        assoc: u16::from_be_bytes([h[6], h[7]]),
        count: u16::from_be_bytes([h[10], h[11]]),
    })
}

/// The request's key ID, if it carries a MAC (after its data padded to 8).
fn control_key_id(request: &[u8], count: u16) -> Option<u32> {
    let at = (12 + usize::from(count)).next_multiple_of(8);
    let id = request.get(at..at + 4)?;
    (request.len() > at + 4).then(|| u32::from_be_bytes([id[0], id[1], id[2], id[3]]))
}

/// A hex NTP timestamp near 2026-11 (the value does not matter to the clients' checks).
const STAMP: &str = "0xecb1a2b3.12345678";

/// The correct data for a request, and the status word to send with it.
fn control_answer(head: &ControlRequestHead, responder: &str) -> (Vec<u8>, u16) {
    let sys_status = 0x0615; // leap none, source ntp, 1 event, clock_sync
    match (head.opcode, head.assoc) {
        // READSTAT of the system: one association, configured, reachable, system peer.
        (1, 0) => ([0x00, 0x01, 0x96, 0x1a].to_vec(), sys_status),
        (2, 0) => (
            format!(
                "version=\"ntpd 4.2.8p15 hostile\", processor=\"x86_64\", system=\"Linux\", \
                 leap=0, stratum=2, precision=-20, rootdelay=1.000, rootdisp=2.000, \
                 refid=10.77.0.1, reftime={STAMP}, clock={STAMP}, peer=1, tc=6, mintc=3, \
                 offset=0.001, frequency=0.000, sys_jitter=0.001, clk_jitter=0.001, \
                 clk_wander=0.000, peeradr=10.77.0.1:123, peermode=3\r\n"
            )
            .into_bytes(),
            sys_status,
        ),
        (1 | 2, _) => (
            format!(
                "srcadr=10.77.0.1, srcport=123, dstadr={responder}, dstport=123, leap=0, \
                 stratum=1, precision=-20, rootdelay=0.000, rootdisp=1.000, refid=LOCL, \
                 reftime={STAMP}, rec={STAMP}, reach=0xff, unreach=0, hmode=3, pmode=4, \
                 hpoll=6, ppoll=6, headway=0, flash=0x0, keyid=0, offset=0.010, delay=0.100, \
                 dispersion=1.000, jitter=0.005, xleave=0.010\r\n"
            )
            .into_bytes(),
            0x961a,
        ),
        (12, _) => (b"nonce=0123456789abcdef01234567\r\n".to_vec(), sys_status),
        (10, _) => (
            format!(
                "nonce=0123456789abcdef01234567, addr.0=10.77.0.10:123, last.0={STAMP}, \
                 first.0={STAMP}, ct.0=1, mv.0=3, rs.0=0x0, now={STAMP}, last.newest={STAMP}\r\n"
            )
            .into_bytes(),
            sys_status,
        ),
        _ => (Vec::new(), sys_status),
    }
}

/// The header fields a crafted mode 6 fragment may bend.
#[derive(Debug, Clone, Copy)]
struct ControlFrag {
    vn: u8,
    response: bool,
    error: bool,
    more: bool,
    opcode: u8,
    sequence: u16,
    status: u16,
    assoc: u16,
    offset: u16,
    count: u16,
}

impl ControlFrag {
    fn new(head: &ControlRequestHead, status: u16) -> Self {
        Self {
            vn: head.vn,
            response: true,
            error: false,
            more: false,
            opcode: head.opcode,
            sequence: head.sequence,
            status,
            assoc: head.assoc,
            offset: 0,
            count: 0,
        }
    }

    /// Header + `data` (`count` as set, or the data's length when 0 and data given) + padding
    /// to 4.
    fn encode(&self, data: &[u8]) -> Vec<u8> {
        let count = if self.count == 0 {
            u16::try_from(data.len()).unwrap_or(u16::MAX)
        } else {
            self.count
        };
        let mut b = vec![self.vn << 3 | 6];
        b.push(
            u8::from(self.response) << 7
                | u8::from(self.error) << 6
                | u8::from(self.more) << 5
                | (self.opcode & 0x1f),
        );
        for v in [self.sequence, self.status, self.assoc, self.offset, count] {
            b.extend(v.to_be_bytes());
        }
        b.extend_from_slice(data);
        b.resize(b.len().next_multiple_of(4), 0);
        b
    }
}

/// Splits `data` into fragments of at most `size` octets at their offsets.
fn fragments(
    head: &ControlRequestHead,
    status: u16,
    data: &[u8],
    size: usize,
) -> Vec<(ControlFrag, Vec<u8>)> {
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(size.max(1)).collect()
    };
    let last = chunks.len() - 1;
    let mut offset = 0;
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut f = ControlFrag::new(head, status);
            f.more = i != last;
            f.offset = u16::try_from(offset).unwrap_or(u16::MAX);
            offset += chunk.len();
            (f, chunk.to_vec())
        })
        .collect()
}

/// Pads a fragment to 8 and appends key ID and an MD5 digest of `key` (or garbage).
fn sign(mut datagram: Vec<u8>, id: u32, key: Option<&[u8]>, digest_len: usize) -> Vec<u8> {
    datagram.resize(datagram.len().next_multiple_of(8), 0);
    let digest = match key {
        Some(secret) => Md5::new()
            .chain_update(secret)
            .chain_update(&datagram)
            .finalize(),
        None => Md5::new()
            .chain_update(b"not the key")
            .chain_update(&datagram)
            .finalize(),
    };
    datagram.extend(id.to_be_bytes());
    datagram.extend(digest.iter().take(digest_len));
    datagram
}

/// The datagrams answering one mode 6 request under `step`. `key` is the MD5 key (ID and
/// secret) correct answers to signed requests are signed with; `responder` is the address the
/// responder was asked at (its peer variables' `dstadr`).
pub fn control_replies(
    step: ControlStep,
    request: &[u8],
    key: Option<(u32, &[u8])>,
    responder: &str,
) -> Vec<Outgoing> {
    let Some(head) = control_head(request) else {
        return Vec::new();
    };
    let (data, status) = control_answer(&head, responder);
    let data = match step {
        ControlStep::UnterminatedQuote => {
            b"version=\"ntpd 4.2.8p15 hostile, stratum=2, refid=10.77.0.1\r\n".to_vec()
        }
        ControlStep::HugeValue => {
            let mut v = b"version=\"".to_vec();
            v.resize(v.len() + 65_536, b'x');
            v.extend_from_slice(b"\", stratum=2\r\n");
            v
        }
        // Text answers only (READSTAT of the system is binary).
        ControlStep::Escapes if data.is_ascii() => String::from_utf8_lossy(&data)
            .replace("ntpd 4.2.8p15 hostile", "\u{1b}]0;owned\u{7}\u{1b}[2J")
            .replace("refid=10.77.0.1", "refid=\u{1b}[31mX")
            .replace("refid=LOCL", "refid=\u{1b}[31mX")
            .into_bytes(),
        _ => data,
    };
    let asked = control_key_id(request, head.count);
    // Signs as ntpd does when the request was signed: same key ID, MD5 over the padded data.
    let finish = |datagram: Vec<u8>| -> Vec<u8> {
        match (asked, step) {
            (None, _) | (_, ControlStep::NoMac) => datagram,
            (Some(_), ControlStep::MacWrongKeyId) => {
                sign(datagram, 99, key.map(|(_, secret)| secret), 16)
            }
            (Some(id), ControlStep::MacWrongLength) => {
                sign(datagram, id, key.map(|(_, secret)| secret), 10)
            }
            (Some(id), ControlStep::MacWrongDigest) => sign(datagram, id, None, 16),
            (Some(id), _) => {
                let secret = key.filter(|(k, _)| *k == id).map(|(_, secret)| secret);
                sign(datagram, id, secret, 16)
            }
        }
    };
    let half = data.len().div_ceil(2).max(8);
    let good = || -> Vec<Vec<u8>> {
        fragments(&head, status, &data, half)
            .into_iter()
            .map(|(f, d)| finish(f.encode(&d)))
            .collect()
    };
    let bend = |change: &dyn Fn(&mut ControlFrag)| -> Vec<Outgoing> {
        fragments(&head, status, &data, half)
            .into_iter()
            .map(|(mut f, d)| {
                change(&mut f);
                Outgoing::plain(finish(f.encode(&d)))
            })
            .collect()
    };
    let plain = |datagrams: Vec<Vec<u8>>| datagrams.into_iter().map(Outgoing::plain).collect();
    match step {
        ControlStep::Silent => Vec::new(),
        ControlStep::Ok
        | ControlStep::MacWrongKeyId
        | ControlStep::MacWrongLength
        | ControlStep::MacWrongDigest
        | ControlStep::NoMac
        | ControlStep::UnterminatedQuote
        | ControlStep::Escapes => plain(good()),
        ControlStep::HugeValue => plain(
            fragments(&head, status, &data, 468)
                .into_iter()
                .map(|(f, d)| finish(f.encode(&d)))
                .collect(),
        ),
        ControlStep::SpoofAddress => good()
            .into_iter()
            .map(|data| Outgoing {
                data,
                spoofed_source: true,
            })
            .collect(),
        ControlStep::SpoofSequence => bend(&|f| f.sequence = f.sequence.wrapping_add(1)),
        ControlStep::WrongOpcode => bend(&|f| f.opcode = if f.opcode == 2 { 1 } else { 2 }),
        ControlStep::NoResponseBit => bend(&|f| f.response = false),
        ControlStep::TruncatedHeader => {
            let mut d = ControlFrag::new(&head, status).encode(&[]);
            d.truncate(8);
            plain(vec![d])
        }
        ControlStep::CountTooLong => {
            let mut frags = fragments(&head, status, &data, half);
            if let Some((f, d)) = frags.last_mut() {
                f.count = u16::try_from(d.len() + 400).unwrap_or(u16::MAX);
            }
            plain(frags.into_iter().map(|(f, d)| f.encode(&d)).collect())
        }
        ControlStep::Overlap => {
            let pad = |n: usize| -> Vec<u8> {
                let mut d = data.clone();
                d.resize(d.len().max(n), b' ');
                d
            };
            let d = pad(80);
            let mut first = ControlFrag::new(&head, status);
            first.more = true;
            let mut second = first;
            second.offset = 20;
            let mut rest = ControlFrag::new(&head, status);
            rest.offset = 60;
            let other = b"stratum=1, refid=GPS, leap=0, ok=1, x=".repeat(2);
            plain(vec![
                first.encode(d.get(..40).unwrap_or_default()),
                second.encode(other.get(..40).unwrap_or_default()),
                rest.encode(d.get(60..).unwrap_or_default()),
            ])
        }
        ControlStep::Gap => {
            let third = data.len().div_ceil(3).max(4);
            let frags = fragments(&head, status, &data, third);
            let n = frags.len();
            plain(
                frags
                    .into_iter()
                    .enumerate()
                    .filter(|&(i, _)| i == 0 || i + 1 == n)
                    .map(|(_, (f, d))| f.encode(&d))
                    .collect(),
            )
        }
        ControlStep::Endless => plain(
            (0..200_u16)
                .map(|i| {
                    let mut f = ControlFrag::new(&head, status);
                    f.more = true;
                    f.offset = i * 32;
                    f.encode(&[b'a' + u8::try_from(i % 26).unwrap_or(0); 32])
                })
                .collect(),
        ),
        ControlStep::HugeOffset => {
            let mut f = ControlFrag::new(&head, status);
            f.offset = 65_000;
            plain(vec![f.encode(b"stratum=1, refid=GPS\r\n")])
        }
        ControlStep::DuplicateDiffers => {
            let frags = fragments(&head, status, &data, half);
            let mut out: Vec<Vec<u8>> = Vec::new();
            for (i, (f, d)) in frags.into_iter().enumerate() {
                out.push(f.encode(&d));
                if i == 0 {
                    let mut other = d.clone();
                    for b in other.iter_mut().filter(|b| b.is_ascii_digit()) {
                        *b = if *b == b'9' { b'1' } else { *b + 1 };
                    }
                    if other == d {
                        other.iter_mut().for_each(|b| *b = b'z');
                    }
                    out.push(f.encode(&other));
                }
            }
            plain(out)
        }
        ControlStep::Error(code) => {
            let mut f = ControlFrag::new(&head, u16::from(code) << 8);
            f.error = true;
            plain(vec![finish(f.encode(&[]))])
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mode 7

/// The fields of a mode 7 request the answer depends on.
#[derive(Debug, Clone, Copy)]
struct PrivateRequestHead {
    vn: u8,
    implementation: u8,
    code: u8,
}

fn private_head(request: &[u8]) -> Option<PrivateRequestHead> {
    let h = request.get(..8)?;
    (h[0] & 7 == 7 && h[0] & 0x80 == 0).then(|| PrivateRequestHead {
        vn: (h[0] >> 3) & 7,
        implementation: h[2],
        code: h[3],
    })
}

/// One `info_peer_summary` (notes §7.5), full size (72) or v4 size (32).
fn peer_summary(full: bool, stratum: u8) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend([10, 77, 20, 1]); // dstadr
    b.extend([10, 77, 0, 1]); // srcadr
    b.extend(123_u16.to_be_bytes());
    b.extend([stratum, 6, 6, 0xff, 0x02 | 0x01, 3]); // stratum hpoll ppoll reach flags hmode
    b.extend(0x0000_1999_u32.to_be_bytes()); // delay 0.1 s
    b.extend([0, 0, 0, 0, 0x02, 0x8f, 0x5c, 0x28]); // offset 0.01 s
    b.extend(0x0000_4000_u32.to_be_bytes()); // dispersion 0.25 s
    if full {
        b.extend(0_u32.to_le_bytes());
        b.extend([0; 4 + 16 + 16]);
    }
    b
}

/// One `info_sys` (notes §7.5), full size (80) or v4 size (56).
fn sys_info(full: bool, stratum: u8) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend([10, 77, 0, 1]); // peer
    b.extend([3, 0, stratum, 0xec]); // peer_mode leap stratum precision (-20)
    b.extend(0x0000_0041_u32.to_be_bytes()); // rootdelay
    b.extend(0x0000_0083_u32.to_be_bytes()); // rootdispersion
    b.extend([10, 77, 0, 1]); // refid
    b.extend([0xec, 0xb1, 0xa2, 0xb3, 0x12, 0x34, 0x56, 0x78]); // reftime
    b.extend(6_u32.to_le_bytes()); // poll, host order
    b.extend([0x04 | 0x40, 0, 0, 0]); // flags ntp monitor
    b.extend(0x0000_0100_u32.to_be_bytes()); // bdelay
    b.extend(0x0000_0041_u32.to_be_bytes()); // jitter
    b.extend([0; 8]); // authdelay
    b.extend(0_u32.to_be_bytes()); // stability
    if full {
        b.extend(0_u32.to_le_bytes());
        b.extend([0; 4 + 16]);
    }
    b
}

/// The correct items for a request: (items, item size); `None` for requests the responder does
/// not implement (answered with `INFO_ERR_REQ`).
fn private_answer(head: &PrivateRequestHead, stratum: u8) -> Option<(Vec<Vec<u8>>, u16)> {
    let full = head.implementation == 3;
    let monitor = MonitorEntry {
        addr: [10, 77, 0, 10].into(),
        daddr: [10, 77, 20, 1].into(),
        port: 123,
        mode: 3,
        version: 4,
        count: u32::from(stratum),
        restr: 0,
        avg_int: 64,
        last_int: 3,
    };
    let items = match head.code {
        1 => vec![peer_summary(full, stratum)],
        4 => vec![sys_info(full, stratum)],
        42 => vec![encode_entry("monitor_1", full, &monitor).ok()?],
        20 => vec![encode_entry("monitor", full, &monitor).ok()?],
        _ => return None,
    };
    let size = u16::try_from(items.first().map_or(0, Vec::len)).ok()?;
    Some((items, size))
}

/// The header fields a crafted mode 7 fragment may bend.
#[derive(Debug, Clone, Copy)]
struct PrivateFrag {
    vn: u8,
    response: bool,
    more: bool,
    sequence: u8,
    implementation: u8,
    code: u8,
    error: u8,
    nitems: u16,
    itemsize: u16,
}

impl PrivateFrag {
    fn new(head: &PrivateRequestHead) -> Self {
        Self {
            vn: head.vn,
            response: true,
            more: false,
            sequence: 0,
            implementation: head.implementation,
            code: head.code,
            error: 0,
            nitems: 0,
            itemsize: 0,
        }
    }

    fn encode(&self, data: &[u8]) -> Vec<u8> {
        let mut b = vec![
            u8::from(self.response) << 7 | u8::from(self.more) << 6 | self.vn << 3 | 7,
            self.sequence & 0x7f,
            self.implementation,
            self.code,
        ];
        b.extend((u16::from(self.error) << 12 | (self.nitems & 0xfff)).to_be_bytes());
        b.extend((self.itemsize & 0xfff).to_be_bytes());
        b.extend_from_slice(data);
        b
    }
}

/// The datagrams answering one mode 7 request under `step`.
pub fn private_replies(step: PrivateStep, request: &[u8]) -> Vec<Outgoing> {
    let Some(head) = private_head(request) else {
        return Vec::new();
    };
    let plain = |datagrams: Vec<Vec<u8>>| datagrams.into_iter().map(Outgoing::plain).collect();
    let Some((items, size)) = private_answer(&head, 1) else {
        let mut f = PrivateFrag::new(&head);
        f.error = 2;
        return if step == PrivateStep::Silent {
            Vec::new()
        } else {
            plain(vec![f.encode(&[])])
        };
    };
    let frag = |items: &[Vec<u8>]| {
        let mut f = PrivateFrag::new(&head);
        f.nitems = u16::try_from(items.len()).unwrap_or(0);
        f.itemsize = size;
        (f, items.concat())
    };
    let (good, data) = frag(&items);
    // A second item with other content (another stratum, another entry).
    let other = private_answer(&head, 9).map(|(i, _)| i).unwrap_or_default();
    match step {
        PrivateStep::Silent => Vec::new(),
        PrivateStep::Ok => plain(vec![good.encode(&data)]),
        PrivateStep::SpoofAddress => vec![Outgoing {
            data: good.encode(&data),
            spoofed_source: true,
        }],
        PrivateStep::WrongRequestCode => {
            let mut f = good;
            f.code = f.code.wrapping_add(1);
            plain(vec![f.encode(&data)])
        }
        PrivateStep::NoResponseBit => {
            let mut f = good;
            f.response = false;
            plain(vec![f.encode(&data)])
        }
        PrivateStep::WrongImplementation => {
            let mut f = good;
            f.implementation = if f.implementation == 3 { 2 } else { 3 };
            plain(vec![f.encode(&data)])
        }
        PrivateStep::TruncatedHeader => plain(vec![good.encode(&data)[..4].to_vec()]),
        PrivateStep::CountTooLong => {
            let mut f = good;
            f.nitems = 5;
            plain(vec![f.encode(&data)])
        }
        PrivateStep::ItemSizeTooLarge => {
            let mut f = good;
            f.itemsize = 600;
            plain(vec![f.encode(&data)])
        }
        PrivateStep::SizeOverflow => {
            let mut f = good;
            f.nitems = 4095;
            f.itemsize = 4095;
            plain(vec![f.encode(&data)])
        }
        PrivateStep::Gap => {
            let mut first = good;
            first.more = true;
            let mut last = good;
            last.sequence = 2;
            plain(vec![first.encode(&data), last.encode(&other.concat())])
        }
        PrivateStep::Endless => plain(
            (0..128_u8)
                .map(|seq| {
                    let mut f = good;
                    f.more = true;
                    f.sequence = seq;
                    f.encode(&data)
                })
                .collect(),
        ),
        PrivateStep::HugeSequence => {
            let mut f = good;
            f.sequence = 127;
            plain(vec![f.encode(&data)])
        }
        PrivateStep::DuplicateDiffers => {
            let mut first = good;
            first.more = true;
            let mut last = good;
            last.sequence = 1;
            plain(vec![
                first.encode(&data),
                first.encode(&other.concat()),
                last.encode(&data),
            ])
        }
        PrivateStep::MixedItemSizes => {
            let mut first = good;
            first.more = true;
            let mut last = good;
            last.sequence = 1;
            last.itemsize = size - 4;
            let short: Vec<u8> = data.get(..data.len() - 4).unwrap_or_default().to_vec();
            plain(vec![first.encode(&data), last.encode(&short)])
        }
        PrivateStep::Error(code) => {
            let mut f = PrivateFrag::new(&head);
            f.error = code;
            plain(vec![f.encode(&[])])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mode 6 READVAR request (VN 2) for `assoc` with sequence 7, optionally signed with key 1.
    fn readvar(assoc: u16, signed: bool) -> Vec<u8> {
        let mut r = vec![0x16, 0x02, 0, 7, 0, 0];
        r.extend(assoc.to_be_bytes());
        r.extend([0, 0, 0, 0]);
        if signed {
            r.extend([0; 4]); // padding to 8
            r.extend(1_u32.to_be_bytes());
            r.extend([0; 16]);
        }
        r
    }

    fn header(d: &[u8]) -> (u8, u8, u16, u16, u16, u16) {
        let u = |i: usize| u16::from_be_bytes([d[i], d[i + 1]]);
        (d[0], d[1], u(2), u(4), u(8), u(10))
    }

    fn data(out: &[Outgoing]) -> Vec<u8> {
        out.iter()
            .flat_map(|o| {
                let (.., count) = header(&o.data);
                o.data[12..12 + usize::from(count)].to_vec()
            })
            .collect()
    }

    #[test]
    fn scripts_parse() {
        assert_eq!(
            parse_steps::<ControlStep>("ok, spoof-seq,error:99,value-64k").unwrap(),
            vec![
                ControlStep::Ok,
                ControlStep::SpoofSequence,
                ControlStep::Error(99),
                ControlStep::HugeValue
            ]
        );
        assert_eq!(
            parse_steps::<PrivateStep>("overflow,error:9,silent").unwrap(),
            vec![
                PrivateStep::SizeOverflow,
                PrivateStep::Error(9),
                PrivateStep::Silent
            ]
        );
        assert!(parse_steps::<ControlStep>("").is_err());
        assert!(parse_steps::<ControlStep>("dance").is_err());
        assert!(parse_steps::<ControlStep>("error").is_err());
        assert!(parse_steps::<PrivateStep>("error:16").is_err());
        assert!(parse_steps::<PrivateStep>("mac-len").is_err());
    }

    #[test]
    fn correct_control_answers_reassemble_and_echo_the_request() {
        let out = control_replies(ControlStep::Ok, &readvar(0, false), None, "10.77.20.1");
        assert_eq!(out.len(), 2);
        let (b0, b1, seq, status, offset, count) = header(&out[0].data);
        assert_eq!(
            (b0, b1, seq, status, offset),
            (0x16, 0x82 | 0x20, 7, 0x0615, 0)
        );
        let (_, last, _, _, offset2, _) = header(&out[1].data);
        assert_eq!((last, offset2), (0x82, count));
        let text = String::from_utf8(data(&out)).unwrap();
        assert!(
            text.starts_with("version=\"ntpd 4.2.8p15 hostile\""),
            "{text}"
        );
        assert!(
            out.iter()
                .all(|o| o.data.len() % 4 == 0 && !o.spoofed_source)
        );
        // READSTAT: one association, 1, status 0x961a.
        let mut stat = readvar(0, false);
        stat[1] = 1;
        let out = control_replies(ControlStep::Ok, &stat, None, "x");
        assert_eq!(data(&out), [0, 1, 0x96, 0x1a]);
        // Not a mode 6 request: nothing.
        assert!(control_replies(ControlStep::Ok, &[0xe3; 48], None, "x").is_empty());
    }

    #[test]
    fn hostile_control_answers_are_what_their_names_say() {
        let r = readvar(0, false);
        let one = |s: ControlStep| control_replies(s, &r, None, "10.77.20.1");
        assert!(
            one(ControlStep::SpoofAddress)
                .iter()
                .all(|o| o.spoofed_source)
        );
        assert!(
            one(ControlStep::SpoofSequence)
                .iter()
                .all(|o| header(&o.data).2 == 8)
        );
        assert!(
            one(ControlStep::WrongOpcode)
                .iter()
                .all(|o| o.data[1] & 0x1f == 1)
        );
        assert!(
            one(ControlStep::NoResponseBit)
                .iter()
                .all(|o| o.data[1] & 0x80 == 0)
        );
        assert_eq!(one(ControlStep::TruncatedHeader)[0].data.len(), 8);
        let long = one(ControlStep::CountTooLong);
        let last = &long.last().unwrap().data;
        assert!(usize::from(header(last).5) > last.len() - 12);
        let overlap = one(ControlStep::Overlap);
        let spans: Vec<(u16, u16)> = overlap
            .iter()
            .map(|o| (header(&o.data).4, header(&o.data).5))
            .collect();
        assert_eq!(spans[..2], [(0, 40), (20, 40)]);
        let gap = one(ControlStep::Gap);
        assert_eq!(gap.len(), 2);
        assert!(header(&gap[1].data).4 > header(&gap[0].data).5);
        let endless = one(ControlStep::Endless);
        assert_eq!(endless.len(), 200);
        assert!(endless.iter().all(|o| o.data[1] & 0x20 != 0));
        assert_eq!(header(&one(ControlStep::HugeOffset)[0].data).4, 65_000);
        let dup = one(ControlStep::DuplicateDiffers);
        assert_eq!((header(&dup[0].data).4, header(&dup[1].data).4), (0, 0));
        assert_ne!(dup[0].data, dup[1].data);
        let err = one(ControlStep::Error(99));
        assert_eq!((err[0].data[1], header(&err[0].data).3), (0xc2, 99 << 8));
        let quote = String::from_utf8(data(&one(ControlStep::UnterminatedQuote))).unwrap();
        assert_eq!(quote.matches('"').count(), 1);
        let huge = one(ControlStep::HugeValue);
        assert!(data(&huge).len() > 65_536);
        assert!(huge.iter().all(|o| header(&o.data).5 <= 468));
        assert!(one(ControlStep::Silent).is_empty());
        let escapes = data(&one(ControlStep::Escapes));
        assert_eq!(escapes.iter().filter(|&&b| b == 0x1b).count(), 3);
    }

    #[test]
    fn signed_requests_get_signed_answers_and_the_mac_steps_break_them() {
        let secret = b"ntpkitLabMd5Key1";
        let r = readvar(0, true);
        let one = |s: ControlStep| control_replies(s, &r, Some((1, secret)), "x");
        for o in one(ControlStep::Ok) {
            let at = o.data.len() - 20;
            assert_eq!(at % 8, 0);
            assert_eq!(o.data[at..at + 4], [0, 0, 0, 1]);
            let want = Md5::new()
                .chain_update(secret)
                .chain_update(&o.data[..at])
                .finalize();
            assert_eq!(&o.data[at + 4..], want.as_slice());
        }
        let keyid = &one(ControlStep::MacWrongKeyId)[0].data;
        assert_eq!(keyid[keyid.len() - 20..keyid.len() - 16], [0, 0, 0, 99]);
        let short = &one(ControlStep::MacWrongLength)[0].data;
        assert_eq!(short[short.len() - 14..short.len() - 10], [0, 0, 0, 1]);
        let good = &one(ControlStep::Ok)[0].data;
        let bad = &one(ControlStep::MacWrongDigest)[0].data;
        assert_eq!(
            (good.len(), &good[..good.len() - 16]),
            (bad.len(), &bad[..bad.len() - 16])
        );
        assert_ne!(good, bad);
        assert_eq!(one(ControlStep::NoMac)[0].data.len() % 4, 0);
        assert!(one(ControlStep::NoMac)[0].data.len() < good.len());
    }

    fn private_request(code: u8, implementation: u8) -> Vec<u8> {
        let mut r = vec![0x17, 0, implementation, code, 0, 0, 0, 0];
        r.resize(192, 0);
        r
    }

    fn private_header(d: &[u8]) -> (u8, u8, u8, u8, u16, u16) {
        let u = |i: usize| u16::from_be_bytes([d[i], d[i + 1]]);
        (d[0], d[1], d[2], d[3], u(4), u(6))
    }

    #[test]
    fn mode_7_answers_have_the_notes_sizes_and_the_steps_bend_them() {
        let peers = private_replies(PrivateStep::Ok, &private_request(1, 3));
        assert_eq!(private_header(&peers[0].data), (0x97, 0, 3, 1, 1, 72));
        assert_eq!(peers[0].data.len(), 8 + 72);
        let v4 = private_replies(PrivateStep::Ok, &private_request(4, 2));
        assert_eq!(private_header(&v4[0].data), (0x97, 0, 2, 4, 1, 56));
        let mon = private_replies(PrivateStep::Ok, &private_request(42, 3));
        assert_eq!(private_header(&mon[0].data).5, 72);
        // Unknown requests: INFO_ERR_REQ.
        let other = private_replies(PrivateStep::Ok, &private_request(16, 3));
        assert_eq!(private_header(&other[0].data).4, 0x2000);

        let r = private_request(4, 3);
        let one = |s: PrivateStep| private_replies(s, &r);
        assert!(one(PrivateStep::SpoofAddress)[0].spoofed_source);
        assert_eq!(one(PrivateStep::WrongRequestCode)[0].data[3], 5);
        assert_eq!(one(PrivateStep::NoResponseBit)[0].data[0] & 0x80, 0);
        assert_eq!(one(PrivateStep::WrongImplementation)[0].data[2], 2);
        assert_eq!(one(PrivateStep::TruncatedHeader)[0].data.len(), 4);
        assert_eq!(private_header(&one(PrivateStep::CountTooLong)[0].data).4, 5);
        assert_eq!(
            private_header(&one(PrivateStep::ItemSizeTooLarge)[0].data).5,
            600
        );
        let overflow = private_header(&one(PrivateStep::SizeOverflow)[0].data);
        assert_eq!((overflow.4, overflow.5), (4095, 4095));
        let gap = one(PrivateStep::Gap);
        assert_eq!((gap[0].data[0] & 0x40, gap[1].data[1]), (0x40, 2));
        let endless = one(PrivateStep::Endless);
        assert_eq!(endless.len(), 128);
        assert!(endless.iter().all(|o| o.data[0] & 0x40 != 0));
        assert_eq!(endless[127].data[1], 127);
        assert_eq!(one(PrivateStep::HugeSequence)[0].data[1], 127);
        let dup = one(PrivateStep::DuplicateDiffers);
        assert_eq!((dup[0].data[1], dup[1].data[1]), (0, 0));
        assert_ne!(dup[0].data, dup[1].data);
        let mixed = one(PrivateStep::MixedItemSizes);
        assert_ne!(
            private_header(&mixed[0].data).5,
            private_header(&mixed[1].data).5
        );
        assert_eq!(
            private_header(&one(PrivateStep::Error(9))[0].data).4,
            0x9000
        );
        assert!(one(PrivateStep::Silent).is_empty());
    }
}
