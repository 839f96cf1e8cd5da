//! Typed results of ntpdc's mode 7 queries, built from the decoded items of
//! [`crate::private`] (protocol notes §7.5), with units in field names for JSON.
//!
//! Durations and offsets are seconds (`_s`), frequencies parts per million (`_ppm`);
//! timestamps are [`TimestampField`]s; flag sets are lists of ntpdc's words. Converting never
//! fails: every item field has a JSON form.

use std::net::IpAddr;

use serde::Serialize;

use crate::format::classic::mode_name;
use crate::private::{
    AuthInfoItem, ClockBugItem, ClockInfoItem, ControlStatsItem, IfStatsItem, InfoFlags,
    IoStatsItem, KernelInfoItem, KernelStatus, LoopInfoItem, MemStatsItem, MonitorItem,
    MonitorItem1, OldMonitorItem, PeerInfoItem, PeerListItem, PeerStatsItem, PeerSummaryItem,
    RestrictItem, SysInfoItem, SysStatsItem, TimerStatsItem, TrapFlags, TrapItem,
};
use crate::time::{NtpShort, NtpTimestamp};

/// An NTP timestamp as JSON shows it: the hex form and the Unix time it stands for (`null`
/// for the all-zero "not set" value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimestampField {
    /// `e8a1b2c3.d4e5f607`.
    pub hex: String,
    /// Seconds since 1970, era chosen around the pivot; `None` when the timestamp is zero.
    pub unix_s: Option<f64>,
}

impl TimestampField {
    /// The field for `ts`, with the era chosen within ±68 years of `pivot_unix`.
    #[must_use]
    pub fn new(ts: NtpTimestamp, pivot_unix: i64) -> Self {
        Self {
            hex: ts.to_string(),
            unix_s: (!ts.is_zero()).then(|| ts.to_unix(pivot_unix).as_f64()),
        }
    }
}

/// The reference ID as ntpdc prints it: four characters at stratum 0 and 1, a dotted quad
/// above, with the raw octets in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefIdField {
    /// `LOCL`, `10.77.0.2`.
    pub text: String,
    /// The four octets in hex.
    pub hex: String,
}

impl RefIdField {
    /// ntpdc's `refid_string`: ASCII up to the first NUL at stratum ≤ 1, else an address.
    /// Octets that are not printable ASCII show as `.`: a server must not be able to put
    /// control characters (terminal escapes, line breaks) into our output.
    #[must_use]
    pub fn new(octets: [u8; 4], stratum: u8) -> Self {
        let text = if stratum <= 1 {
            octets
                .iter()
                .take_while(|b| **b != 0)
                .map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        char::from(b)
                    } else {
                        '.'
                    }
                })
                .collect()
        } else {
            std::net::Ipv4Addr::from(octets).to_string()
        };
        Self {
            text,
            hex: octets.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

fn short_signed(v: NtpShort) -> f64 {
    v.signed_seconds()
}

fn offset(v: NtpTimestamp) -> f64 {
    v.as_offset_seconds()
}

fn words(names: Vec<&'static str>) -> Vec<String> {
    names.into_iter().map(str::to_owned).collect()
}

/// The leap indicator as the two digits ntpdc prints (`00`, `01`, `10`, `11`).
#[must_use]
pub fn leap_bits(leap: u8) -> String {
    format!("{}{}", (leap >> 1) & 1, leap & 1)
}

/// The poll interval ntpdc shows in `peers`: 2 to the smaller of the two poll exponents,
/// kept within 3..=17.
#[must_use]
pub fn peers_poll_s(hpoll: i8, ppoll: i8) -> u32 {
    let exp = ppoll.min(hpoll).clamp(3, 17);
    1_u32 << exp
}

/// One association of `listpeers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerListRecord {
    /// Peer address.
    pub remote: IpAddr,
    /// Host mode name (`client`, `sym_active`, …).
    pub hmode: String,
    /// Flags.
    pub flags: Vec<String>,
}

impl From<&PeerListItem> for PeerListRecord {
    fn from(item: &PeerListItem) -> Self {
        Self {
            remote: item.addr,
            hmode: mode_name(item.hmode),
            flags: words(item.flags.names()),
        }
    }
}

/// One row of `peers` and `dmpeers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerSummaryRecord {
    /// Peer address.
    pub remote: IpAddr,
    /// Local address the association uses.
    pub local: IpAddr,
    /// Peer port.
    pub remote_port: u16,
    /// The `peers` tally character (by host mode, `*` for the system peer).
    pub tally: String,
    /// The `dmpeers` tally character (by selection: `*`, `+`, `.` or blank).
    pub selection: String,
    /// Host mode name.
    pub hmode: String,
    /// Stratum.
    pub stratum: u8,
    /// Host poll exponent.
    pub hpoll: i8,
    /// Peer poll exponent.
    pub ppoll: i8,
    /// The poll interval ntpdc shows, seconds.
    pub poll_s: u32,
    /// Reachability register (ntpdc prints it in octal).
    pub reach: u8,
    /// Round-trip delay, seconds.
    pub delay_s: f64,
    /// Clock offset, seconds.
    pub offset_s: f64,
    /// Dispersion (the square root ntpd reports), seconds.
    pub dispersion_s: f64,
    /// Flags.
    pub flags: Vec<String>,
}

/// The `peers` tally of an association: `*` system peer, else by host mode.
#[must_use]
pub fn mode_tally(flags: InfoFlags, hmode: u8) -> char {
    if flags.contains(InfoFlags::SYSPEER) {
        return '*';
    }
    match hmode {
        1 => '+',
        2 => '-',
        3 => '=',
        5 => '^',
        6 => '~',
        _ => ' ',
    }
}

/// The `dmpeers` tally: `*` system peer, `+` shortlist, `.` candidate, else blank.
#[must_use]
pub fn selection_tally(flags: InfoFlags) -> char {
    if flags.contains(InfoFlags::SYSPEER) {
        '*'
    } else if flags.contains(InfoFlags::SHORTLIST) {
        '+'
    } else if flags.contains(InfoFlags::SEL_CANDIDATE) {
        '.'
    } else {
        ' '
    }
}

impl From<&PeerSummaryItem> for PeerSummaryRecord {
    fn from(item: &PeerSummaryItem) -> Self {
        Self {
            remote: item.srcadr,
            local: item.dstadr,
            remote_port: item.srcport,
            tally: mode_tally(item.flags, item.hmode).to_string(),
            selection: selection_tally(item.flags).to_string(),
            hmode: mode_name(item.hmode),
            stratum: item.stratum,
            hpoll: item.hpoll,
            ppoll: item.ppoll,
            poll_s: peers_poll_s(item.hpoll, item.ppoll),
            reach: item.reach,
            delay_s: short_signed(item.delay),
            offset_s: offset(item.offset),
            dispersion_s: item.dispersion.seconds(),
            flags: words(item.flags.names()),
        }
    }
}

/// One clock filter stage of `showpeer`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterStage {
    /// Delay, seconds.
    pub delay_s: f64,
    /// Offset, seconds.
    pub offset_s: f64,
    /// Filter order index.
    pub order: u8,
}

/// `showpeer`: one association in detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerInfoRecord {
    /// Peer address.
    pub remote: IpAddr,
    /// Local address.
    pub local: IpAddr,
    /// Peer port.
    pub remote_port: u16,
    /// Host mode name.
    pub hmode: String,
    /// Peer mode name (ntpd 4.2.8p15 leaves it 0, `unspec`... but sends the packet's mode).
    pub pmode: String,
    /// Stratum.
    pub stratum: u8,
    /// Precision exponent.
    pub precision: i8,
    /// Leap bits, `00`..`11`.
    pub leap: String,
    /// Reference ID.
    pub refid: RefIdField,
    /// Root delay ("rootdistance" in ntpdc), seconds.
    pub root_delay_s: f64,
    /// Root dispersion, seconds.
    pub root_dispersion_s: f64,
    /// Peer poll exponent.
    pub ppoll: u8,
    /// Host poll exponent.
    pub hpoll: u8,
    /// Key ID (0 = none).
    pub keyid: u32,
    /// NTP version.
    pub version: u8,
    /// Association ID.
    pub associd: u16,
    /// Reachability register.
    pub reach: u8,
    /// Unreachable counter.
    pub unreach: u8,
    /// Flash (packet test) bits.
    pub flash: u16,
    /// Broadcast offset ("boffset"), seconds.
    pub boffset_s: f64,
    /// TTL or refclock mode.
    pub ttl: u8,
    /// Timer, seconds.
    pub timer_s: u32,
    /// Flags.
    pub flags: Vec<String>,
    /// Reference time.
    pub reference_time: TimestampField,
    /// Originate timestamp.
    pub originate_time: TimestampField,
    /// Receive timestamp.
    pub receive_time: TimestampField,
    /// Transmit timestamp.
    pub transmit_time: TimestampField,
    /// Clock filter, newest first.
    pub filter: Vec<FilterStage>,
    /// Offset, seconds.
    pub offset_s: f64,
    /// Delay, seconds.
    pub delay_s: f64,
    /// Error bound (dispersion), seconds.
    pub error_bound_s: f64,
    /// Filter error (jitter), seconds.
    pub filter_error_s: f64,
}

impl PeerInfoRecord {
    /// The record of `item`, timestamps interpreted around `pivot_unix`.
    #[must_use]
    pub fn new(item: &PeerInfoItem, pivot_unix: i64) -> Self {
        let ts = |t| TimestampField::new(t, pivot_unix);
        Self {
            remote: item.srcadr,
            local: item.dstadr,
            remote_port: item.srcport,
            hmode: mode_name(item.hmode),
            pmode: mode_name(item.pmode),
            stratum: item.stratum,
            precision: item.precision,
            leap: leap_bits(item.leap),
            refid: RefIdField::new(item.refid, item.stratum),
            root_delay_s: short_signed(item.rootdelay),
            root_dispersion_s: item.rootdispersion.seconds(),
            ppoll: item.ppoll,
            hpoll: item.hpoll,
            keyid: item.keyid.0,
            version: item.version,
            associd: item.associd,
            reach: item.reach,
            unreach: item.unreach,
            flash: item.flash2,
            boffset_s: short_signed(item.estbdelay),
            ttl: item.ttl,
            timer_s: item.timer,
            flags: words(item.flags.names()),
            reference_time: ts(item.reftime),
            originate_time: ts(item.org),
            receive_time: ts(item.rec),
            transmit_time: ts(item.xmt),
            filter: item
                .filtdelay
                .iter()
                .zip(item.filtoffset)
                .zip(item.order)
                .map(|((d, o), order)| FilterStage {
                    delay_s: short_signed(*d),
                    offset_s: offset(o),
                    order,
                })
                .collect(),
            offset_s: offset(item.offset),
            delay_s: short_signed(item.delay),
            error_bound_s: item.dispersion.seconds(),
            filter_error_s: item.selectdisp.seconds(),
        }
    }
}

/// `pstats`: one association's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerStatsRecord {
    /// Peer address.
    pub remote: IpAddr,
    /// Local address.
    pub local: IpAddr,
    /// Seconds since the last packet was received.
    pub time_last_received_s: u32,
    /// Seconds until the next packet is sent.
    pub time_until_next_send_s: u32,
    /// Seconds since reachability last changed.
    pub reachability_change_s: u32,
    /// Packets sent.
    pub packets_sent: u32,
    /// Packets received (processed).
    pub packets_received: u32,
    /// Packets failing authentication.
    pub bad_authentication: u32,
    /// Packets with a bogus origin timestamp.
    pub bogus_origin: u32,
    /// Duplicate packets.
    pub duplicate: u32,
    /// Packets with excessive dispersion.
    pub bad_dispersion: u32,
    /// Packets with a bad reference time.
    pub bad_reference_time: u32,
    /// Selection status (0..=7).
    pub candidate_order: u8,
    /// Flags.
    pub flags: Vec<String>,
}

impl From<&PeerStatsItem> for PeerStatsRecord {
    fn from(item: &PeerStatsItem) -> Self {
        Self {
            remote: item.srcadr,
            local: item.dstadr,
            time_last_received_s: item.timereceived,
            time_until_next_send_s: item.timetosend,
            reachability_change_s: item.timereachable,
            packets_sent: item.sent,
            packets_received: item.processed,
            bad_authentication: item.badauth,
            bogus_origin: item.bogusorg,
            duplicate: item.oldpkt,
            bad_dispersion: item.seldisp,
            bad_reference_time: item.selbroken,
            candidate_order: item.candidate,
            flags: words(item.flags.names()),
        }
    }
}

/// `loopinfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoopInfoRecord {
    /// Last offset, seconds.
    pub offset_s: f64,
    /// Frequency correction, ppm.
    pub frequency_ppm: f64,
    /// Time constant adjustment ("poll adjust").
    pub poll_adjust: i32,
    /// Seconds since the last clock update.
    pub watchdog_timer_s: u32,
}

impl From<&LoopInfoItem> for LoopInfoRecord {
    fn from(item: &LoopInfoItem) -> Self {
        Self {
            offset_s: offset(item.last_offset),
            frequency_ppm: offset(item.drift_comp),
            poll_adjust: item.compliance,
            watchdog_timer_s: item.watchdog_timer,
        }
    }
}

/// `sysinfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SysInfoRecord {
    /// System peer address.
    pub system_peer: IpAddr,
    /// System peer mode name.
    pub system_peer_mode: String,
    /// Leap bits `00`..`11`.
    pub leap: String,
    /// Stratum.
    pub stratum: u8,
    /// Precision exponent.
    pub precision: i8,
    /// Root delay ("root distance" in ntpdc), seconds.
    pub root_delay_s: f64,
    /// Root dispersion, seconds.
    pub root_dispersion_s: f64,
    /// Reference ID.
    pub refid: RefIdField,
    /// Reference time.
    pub reference_time: TimestampField,
    /// Poll exponent (host order on the wire).
    pub poll: u32,
    /// System flags (`auth`, `monitor`, `ntp`, `stats`, …).
    pub flags: Vec<String>,
    /// System jitter, seconds (sent in the `frequency` slot).
    pub jitter_s: f64,
    /// Clock stability (wander), ppm.
    pub stability_ppm: f64,
    /// Broadcast delay, seconds.
    pub broadcast_delay_s: f64,
    /// Authentication delay, seconds.
    pub auth_delay_s: f64,
}

impl SysInfoRecord {
    /// The record of `item`, the reference time interpreted around `pivot_unix`.
    #[must_use]
    pub fn new(item: &SysInfoItem, pivot_unix: i64) -> Self {
        Self {
            system_peer: item.peer,
            system_peer_mode: mode_name(item.peer_mode),
            leap: leap_bits(item.leap),
            stratum: item.stratum,
            precision: item.precision,
            root_delay_s: short_signed(item.rootdelay),
            root_dispersion_s: item.rootdispersion.seconds(),
            refid: RefIdField::new(item.refid, item.stratum),
            reference_time: TimestampField::new(item.reftime, pivot_unix),
            poll: item.poll,
            flags: words(item.flags.names()),
            jitter_s: short_signed(item.frequency),
            stability_ppm: item.stability.seconds(),
            broadcast_delay_s: short_signed(item.bdelay),
            auth_delay_s: offset(item.authdelay),
        }
    }
}

/// `sysstats`. `rate_exceeded` is absent from the 40-octet pre-4.x layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SysStatsRecord {
    /// Seconds since the daemon started.
    pub time_since_restart_s: u32,
    /// Seconds since the counters were reset.
    pub time_since_reset_s: u32,
    /// Packets received.
    pub packets_received: u32,
    /// Packets processed.
    pub packets_processed: u32,
    /// Packets of the current NTP version.
    pub current_version: u32,
    /// Packets of the previous NTP version.
    pub previous_version: u32,
    /// Packets declined.
    pub declined: u32,
    /// Packets denied by access restrictions.
    pub access_denied: u32,
    /// Packets with a bad length or format.
    pub bad_length_or_format: u32,
    /// Packets failing authentication.
    pub bad_authentication: u32,
    /// Packets over the rate limit.
    pub rate_exceeded: Option<u32>,
}

impl SysStatsRecord {
    /// The record of `item` received in items of `itemsize` octets.
    #[must_use]
    pub fn new(item: &SysStatsItem, itemsize: usize) -> Self {
        Self {
            time_since_restart_s: item.timeup,
            time_since_reset_s: item.timereset,
            packets_received: item.received,
            packets_processed: item.processed,
            current_version: item.newversionpkt,
            previous_version: item.oldversionpkt,
            declined: item.unknownversion,
            access_denied: item.denied,
            bad_length_or_format: item.badlength,
            bad_authentication: item.badauth,
            rate_exceeded: (itemsize > SysStatsItem::OLD_SIZE).then_some(item.limitrejected),
        }
    }
}

/// `iostats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IoStatsRecord {
    /// Seconds since the counters were reset.
    pub time_since_reset_s: u32,
    /// Receive buffers allocated.
    pub receive_buffers: u16,
    /// Free receive buffers.
    pub free_receive_buffers: u16,
    /// Receive buffers in use.
    pub used_receive_buffers: u16,
    /// Low-water refills.
    pub low_water_refills: u16,
    /// Packets dropped.
    pub dropped_packets: u32,
    /// Packets ignored.
    pub ignored_packets: u32,
    /// Packets received.
    pub received_packets: u32,
    /// Packets sent.
    pub packets_sent: u32,
    /// Packets that could not be sent.
    pub packets_not_sent: u32,
    /// Input handler calls.
    pub interrupts_handled: u32,
    /// Packets received by the input handler.
    pub received_by_int: u32,
}

impl From<&IoStatsItem> for IoStatsRecord {
    fn from(item: &IoStatsItem) -> Self {
        Self {
            time_since_reset_s: item.timereset,
            receive_buffers: item.totalrecvbufs,
            free_receive_buffers: item.freerecvbufs,
            used_receive_buffers: item.fullrecvbufs,
            low_water_refills: item.lowwater,
            dropped_packets: item.dropped,
            ignored_packets: item.ignored,
            received_packets: item.received,
            packets_sent: item.sent,
            packets_not_sent: item.notsent,
            interrupts_handled: item.interrupts,
            received_by_int: item.int_received,
        }
    }
}

/// `memstats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemStatsRecord {
    /// Seconds since the counters were reset.
    pub time_since_reset_s: u32,
    /// Peer structures allocated.
    pub total_peer_memory: u16,
    /// Peer structures free.
    pub free_peer_memory: u16,
    /// Calls to `findpeer`.
    pub calls_to_findpeer: u32,
    /// New peer allocations.
    pub new_peer_allocations: u32,
    /// Peer demobilizations.
    pub peer_demobilizations: u32,
    /// Associations per hash bucket (128 buckets).
    pub hash_table_counts: Vec<u8>,
}

impl From<&MemStatsItem> for MemStatsRecord {
    fn from(item: &MemStatsItem) -> Self {
        Self {
            time_since_reset_s: item.timereset,
            total_peer_memory: item.totalpeermem,
            free_peer_memory: item.freepeermem,
            calls_to_findpeer: item.findpeer_calls,
            new_peer_allocations: item.allocations,
            peer_demobilizations: item.demobilizations,
            hash_table_counts: item.hashcount.to_vec(),
        }
    }
}

/// `timerstats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimerStatsRecord {
    /// Seconds since the counters were reset.
    pub time_since_reset_s: u32,
    /// Alarms handled.
    pub alarms_handled: u32,
    /// Alarm overruns.
    pub alarm_overruns: u32,
    /// Calls to transmit.
    pub calls_to_transmit: u32,
}

impl From<&TimerStatsItem> for TimerStatsRecord {
    fn from(item: &TimerStatsItem) -> Self {
        Self {
            time_since_reset_s: item.timereset,
            alarms_handled: item.alarms,
            alarm_overruns: item.overflows,
            calls_to_transmit: item.xmtcalls,
        }
    }
}

/// `authinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthInfoRecord {
    /// Seconds since the counters were reset.
    pub time_since_reset_s: u32,
    /// Keys stored.
    pub stored_keys: u32,
    /// Free key slots.
    pub free_keys: u32,
    /// Key lookups.
    pub key_lookups: u32,
    /// Lookups of unknown keys.
    pub keys_not_found: u32,
    /// Lookups missing the key cache.
    pub uncached_keys: u32,
    /// MACs computed.
    pub encryptions: u32,
    /// MACs checked.
    pub decryptions: u32,
    /// Keys expired.
    pub expired_keys: u32,
}

impl From<&AuthInfoItem> for AuthInfoRecord {
    fn from(item: &AuthInfoItem) -> Self {
        Self {
            time_since_reset_s: item.timereset,
            stored_keys: item.numkeys,
            free_keys: item.numfreekeys,
            key_lookups: item.keylookups,
            keys_not_found: item.keynotfound,
            uncached_keys: item.keyuncached,
            encryptions: item.encryptions,
            decryptions: item.decryptions,
            expired_keys: item.expired,
        }
    }
}

/// `ctlstats`: the mode 6 module's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlStatsRecord {
    /// Seconds since the counters were reset.
    pub time_since_reset_s: u32,
    /// Requests received.
    pub requests_received: u32,
    /// Responses sent.
    pub responses_sent: u32,
    /// Fragments sent.
    pub fragments_sent: u32,
    /// Asynchronous (trap) messages sent.
    pub async_messages_sent: u32,
    /// Error responses sent.
    pub error_msgs_sent: u32,
    /// Bad packets in total.
    pub total_bad_pkts: u32,
    /// Packets too short.
    pub packet_too_short: u32,
    /// Responses received as requests.
    pub response_on_input: u32,
    /// Fragments received as requests.
    pub fragment_on_input: u32,
    /// Requests with the error bit set.
    pub error_set_on_input: u32,
    /// Requests with a bad offset.
    pub bad_offset_on_input: u32,
    /// Requests of a bad version.
    pub bad_version_packets: u32,
    /// Requests whose data was too short.
    pub data_in_pkt_too_short: u32,
    /// Requests with unknown opcodes.
    pub unknown_op_codes: u32,
}

impl From<&ControlStatsItem> for ControlStatsRecord {
    fn from(item: &ControlStatsItem) -> Self {
        Self {
            time_since_reset_s: item.ctltimereset,
            requests_received: item.numctlreq,
            responses_sent: item.numctlresponses,
            fragments_sent: item.numctlfrags,
            async_messages_sent: item.numasyncmsgs,
            error_msgs_sent: item.numctlerrors,
            total_bad_pkts: item.numctlbadpkts,
            packet_too_short: item.numctltooshort,
            response_on_input: item.numctlinputresp,
            fragment_on_input: item.numctlinputfrag,
            error_set_on_input: item.numctlinputerr,
            bad_offset_on_input: item.numctlbadoffset,
            bad_version_packets: item.numctlbadversion,
            data_in_pkt_too_short: item.numctldatatooshort,
            unknown_op_codes: item.numctlbadop,
        }
    }
}

/// `kerninfo`: the kernel clock discipline. Units follow the `STA_NANO` status bit; the PPS
/// fields are present only when the kernel reports a PPS calibration interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelInfoRecord {
    /// PLL offset, seconds.
    pub pll_offset_s: f64,
    /// PLL frequency, ppm.
    pub pll_frequency_ppm: f64,
    /// Maximum error, seconds.
    pub maximum_error_s: f64,
    /// Estimated error, seconds.
    pub estimated_error_s: f64,
    /// Status bits.
    pub status: u16,
    /// Status bit names.
    pub status_flags: Vec<String>,
    /// PLL time constant.
    pub pll_time_constant: i32,
    /// Clock precision, seconds.
    pub precision_s: f64,
    /// Frequency tolerance, ppm.
    pub frequency_tolerance_ppm: f64,
    /// PPS fields, when the kernel has a PPS signal.
    pub pps: Option<KernelPpsRecord>,
}

/// The PPS part of `kerninfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KernelPpsRecord {
    /// PPS frequency, ppm.
    pub frequency_ppm: f64,
    /// PPS stability, ppm.
    pub stability_ppm: f64,
    /// PPS jitter, seconds.
    pub jitter_s: f64,
    /// Calibration interval, seconds.
    pub calibration_interval_s: u64,
    /// Calibration cycles.
    pub calibration_cycles: i32,
    /// Jitter limit exceeded.
    pub jitter_exceeded: i32,
    /// Stability limit exceeded.
    pub stability_exceeded: i32,
    /// Calibration errors.
    pub calibration_errors: i32,
}

impl KernelInfoRecord {
    /// Seconds per unit of the kernel's time fields: 1 ns with `STA_NANO`, else 1 µs.
    #[must_use]
    pub fn time_scale(status: KernelStatus) -> f64 {
        if status.contains(KernelStatus::NANO) {
            1e-9
        } else {
            1e-6
        }
    }
}

impl From<&KernelInfoItem> for KernelInfoRecord {
    fn from(item: &KernelInfoItem) -> Self {
        let scale = Self::time_scale(item.status);
        let ppm = |v: i32| f64::from(v) / 65_536.0;
        let unsigned = |v: i32| f64::from(v.cast_unsigned()) * scale;
        Self {
            pll_offset_s: f64::from(item.offset) * scale,
            pll_frequency_ppm: ppm(item.freq),
            maximum_error_s: unsigned(item.maxerror),
            estimated_error_s: unsigned(item.esterror),
            status: item.status.0,
            status_flags: words(item.status.names()),
            pll_time_constant: item.constant,
            precision_s: unsigned(item.precision),
            frequency_tolerance_ppm: ppm(item.tolerance),
            pps: (item.shift != 0).then(|| KernelPpsRecord {
                frequency_ppm: ppm(item.ppsfreq),
                stability_ppm: ppm(item.stabil),
                jitter_s: unsigned(item.jitter),
                calibration_interval_s: 1_u64 << item.shift.min(63),
                calibration_cycles: item.calcnt,
                jitter_exceeded: item.jitcnt,
                stability_exceeded: item.stbcnt,
                calibration_errors: item.errcnt,
            }),
        }
    }
}

/// One `reslist` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestrictRecord {
    /// Address.
    pub address: IpAddr,
    /// Mask.
    pub mask: IpAddr,
    /// Matches counted.
    pub count: u32,
    /// Match and restriction flags, as ntpdc joins them (`none` is an empty list).
    pub flags: Vec<String>,
}

/// Which numbering of the restriction bits a server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestrictNumbering {
    /// xntp3's bits, for implementation 2 servers.
    Xntp3,
    /// ntpd 4.2.8 up to the renumbering ([`crate::private::RestrictFlags`]).
    Early4,
    /// Later 4.2.8 releases, p15 and p18 ([`crate::private::RestrictFlagsP15`]).
    #[default]
    Late4,
}

impl RestrictNumbering {
    /// The names of `bits`, all of them (`ntpdc_only` false) or only those ntpdc prints.
    #[must_use]
    pub fn names(self, bits: u16, ntpdc_only: bool) -> Vec<&'static str> {
        let hidden = |w: &&str| !ntpdc_only || !matches!(*w, "noepeer" | "mssntp" | "nomrulist");
        match self {
            Self::Xntp3 => crate::private::OldRestrictFlags(bits).names(),
            Self::Early4 => crate::private::RestrictFlags(bits).names(),
            Self::Late4 => crate::private::RestrictFlagsP15(bits).names(),
        }
        .into_iter()
        .filter(hidden)
        .collect()
    }
}

impl RestrictRecord {
    /// The record of `item`, its restriction bits read in `numbering`.
    #[must_use]
    pub fn new(item: &RestrictItem, numbering: RestrictNumbering) -> Self {
        let mut flags = words(item.mflags.names());
        flags.extend(words(numbering.names(item.flags.0, false)));
        Self {
            address: item.addr,
            mask: item.mask,
            count: item.count,
            flags,
        }
    }
}

/// One `traps` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrapRecord {
    /// Trap receiver address.
    pub address: IpAddr,
    /// Trap receiver port.
    pub port: u16,
    /// Local interface address; `None` for the wildcard.
    pub interface: Option<IpAddr>,
    /// `configured`, `low priority` or `normal priority`.
    pub priority: String,
    /// Seconds since the trap was first set.
    pub set_for_s: u32,
    /// Seconds since the trap was last set.
    pub last_set_s: u32,
    /// Trap message sequence number.
    pub sequence: u16,
    /// Number of resets.
    pub resets: u32,
}

impl From<&TrapItem> for TrapRecord {
    fn from(item: &TrapItem) -> Self {
        let priority = if item.flags.contains(TrapFlags::CONFIGURED) {
            "configured"
        } else if item.flags.contains(TrapFlags::NONPRIO) {
            "low priority"
        } else {
            "normal priority"
        };
        Self {
            address: item.trap_address,
            port: item.trap_port,
            interface: (!item.local_address.is_unspecified()).then_some(item.local_address),
            priority: priority.to_owned(),
            set_for_s: item.origtime,
            last_set_s: item.settime,
            sequence: item.sequence,
            resets: item.resets,
        }
    }
}

/// One `monlist` entry, whichever of the three layouts the server sent; fields a layout
/// lacks are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonitorRecord {
    /// Client address.
    pub address: IpAddr,
    /// Client port.
    pub port: u16,
    /// Local address the client's packets arrived on (`info_monitor_1` only).
    pub local_address: Option<IpAddr>,
    /// Packets counted.
    pub count: u32,
    /// Mode of the last packet.
    pub mode: u8,
    /// Version of the last packet.
    pub version: u8,
    /// Restriction bits applied (hex in ntpdc's table).
    pub restrict_flags: Option<u32>,
    /// Average interval between packets, seconds.
    pub avg_interval_s: Option<u32>,
    /// Seconds since the last packet.
    pub last_interval_s: Option<u32>,
    /// `old_info_monitor`: seconds since the last packet.
    pub last_time_s: Option<u32>,
    /// `old_info_monitor`: seconds since the first packet.
    pub first_time_s: Option<u32>,
}

impl From<&MonitorItem1> for MonitorRecord {
    fn from(item: &MonitorItem1) -> Self {
        Self {
            address: item.addr,
            port: item.port,
            local_address: Some(item.daddr),
            count: item.count,
            mode: item.mode,
            version: item.version,
            restrict_flags: Some(item.restr),
            avg_interval_s: Some(item.avg_int),
            last_interval_s: Some(item.last_int),
            last_time_s: None,
            first_time_s: None,
        }
    }
}

impl From<&MonitorItem> for MonitorRecord {
    fn from(item: &MonitorItem) -> Self {
        Self {
            address: item.addr,
            port: item.port,
            local_address: None,
            count: item.count,
            mode: item.mode,
            version: item.version,
            restrict_flags: Some(item.restr),
            avg_interval_s: Some(item.avg_int),
            last_interval_s: Some(item.last_int),
            last_time_s: None,
            first_time_s: None,
        }
    }
}

impl From<&OldMonitorItem> for MonitorRecord {
    fn from(item: &OldMonitorItem) -> Self {
        Self {
            address: item.addr,
            port: item.port,
            local_address: None,
            count: item.count,
            mode: item.mode,
            version: item.version,
            restrict_flags: None,
            avg_interval_s: None,
            last_interval_s: None,
            last_time_s: Some(item.lasttime),
            first_time_s: Some(item.firsttime),
        }
    }
}

/// One `ifstats`/`ifreload` interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceRecord {
    /// Interface number.
    pub ifnum: u32,
    /// What `ifreload` did: `unchanged`, `added`, `deleted` or `unknown`.
    pub action: String,
    /// Address.
    pub address: IpAddr,
    /// Netmask.
    pub mask: IpAddr,
    /// Broadcast address, when a broadcast socket is open.
    pub broadcast: Option<IpAddr>,
    /// Whether packets on it are ignored ("D" in ntpdc's table, else "E").
    pub ignored: bool,
    /// Interface name.
    pub name: String,
    /// `INT_*` flags.
    pub flags: u32,
    /// Flag names.
    pub flag_names: Vec<String>,
    /// Last TTL.
    pub last_ttl: u32,
    /// Multicast groups joined.
    pub num_mcast: u32,
    /// Packets received.
    pub received: u32,
    /// Packets sent.
    pub sent: u32,
    /// Packets not sent.
    pub not_sent: u32,
    /// Scope ID.
    pub scope_id: u32,
    /// Associations using it.
    pub peer_count: u32,
    /// Seconds since it was opened.
    pub uptime_s: u32,
}

impl From<&IfStatsItem> for InterfaceRecord {
    fn from(item: &IfStatsItem) -> Self {
        let action = match item.action {
            1 => "unchanged",
            2 => "added",
            3 => "deleted",
            _ => "unknown",
        };
        let bcast = crate::private::InterfaceFlags::BCASTOPEN;
        Self {
            ifnum: item.ifnum,
            action: action.to_owned(),
            address: item.unaddr,
            mask: item.unmask,
            broadcast: (item.unaddr.is_ipv4() && item.flags.contains(bcast))
                .then_some(item.unbcast),
            ignored: item.ignore_packets != 0,
            name: item.name_lossy().into_owned(),
            flags: item.flags.0,
            flag_names: words(item.flags.names()),
            last_ttl: item.last_ttl,
            num_mcast: item.num_mcast,
            received: item.received,
            sent: item.sent,
            not_sent: item.notsent,
            scope_id: item.scopeid,
            peer_count: item.peercnt,
            uptime_s: item.uptime,
        }
    }
}

/// `clockstat`: one reference clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockInfoRecord {
    /// Clock address 127.127.t.u.
    pub address: std::net::Ipv4Addr,
    /// Driver type number.
    pub clock_type: u8,
    /// Driver name (`LOCAL`, `SHM`, …) when the type has one.
    pub clock_name: Option<String>,
    /// Last event code.
    pub last_event: u8,
    /// Current status code.
    pub current_status: u8,
    /// Polls.
    pub polls: u32,
    /// Polls without a response.
    pub no_response: u32,
    /// Responses with a bad format.
    pub bad_format: u32,
    /// Responses with bad data.
    pub bad_data: u32,
    /// Running time, seconds.
    pub running_time_s: u32,
    /// Fudge time 1, seconds.
    pub fudge_time1_s: f64,
    /// Fudge time 2, seconds.
    pub fudge_time2_s: f64,
    /// Fudged stratum.
    pub stratum: i32,
    /// Fudged reference ID.
    pub refid: RefIdField,
    /// Fudge flags (low 4 bits).
    pub fudge_flags: u8,
}

impl From<&ClockInfoItem> for ClockInfoRecord {
    fn from(item: &ClockInfoItem) -> Self {
        Self {
            address: item.clockadr,
            clock_type: item.clock_type,
            clock_name: crate::packet::refclock_type_name(item.clock_type).map(str::to_owned),
            last_event: item.lastevent,
            current_status: item.currentstatus,
            polls: item.polls,
            no_response: item.noresponse,
            bad_format: item.badformat,
            bad_data: item.baddata,
            running_time_s: item.timestarted,
            fudge_time1_s: offset(item.fudgetime1),
            fudge_time2_s: offset(item.fudgetime2),
            stratum: item.fudgeval1,
            refid: RefIdField::new(item.fudgeval2.to_be_bytes(), 0),
            fudge_flags: item.flags,
        }
    }
}

/// One time of `clkbug`: an interval (seconds) or a date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClockBugTime {
    /// A signed interval.
    Interval {
        /// Seconds.
        seconds: f64,
    },
    /// A date.
    Date {
        /// The timestamp.
        time: TimestampField,
    },
}

/// `clkbug`: one reference clock's debugging values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClockBugRecord {
    /// Clock address.
    pub address: std::net::Ipv4Addr,
    /// Values, signed where the driver marks them so.
    pub values: Vec<i64>,
    /// Times.
    pub times: Vec<ClockBugTime>,
}

impl ClockBugRecord {
    /// The record of `item`, dates interpreted around `pivot_unix`.
    #[must_use]
    pub fn new(item: &ClockBugItem, pivot_unix: i64) -> Self {
        let values = item
            .values
            .iter()
            .take(usize::from(item.nvalues))
            .enumerate()
            .map(|(i, v)| {
                if item.svalues & (1 << i) != 0 {
                    i64::from(v.cast_signed())
                } else {
                    i64::from(*v)
                }
            })
            .collect();
        let times = item
            .times
            .iter()
            .take(usize::from(item.ntimes))
            .enumerate()
            .map(|(i, t)| {
                if item.stimes & (1 << i) != 0 {
                    ClockBugTime::Interval {
                        seconds: offset(*t),
                    }
                } else {
                    ClockBugTime::Date {
                        time: TimestampField::new(*t, pivot_unix),
                    }
                }
            })
            .collect();
        Self {
            address: item.clockadr,
            values,
            times,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn refid_text_by_stratum() {
        assert_eq!(RefIdField::new(*b"LOCL", 1).text, "LOCL");
        assert_eq!(RefIdField::new(*b"GPS\0", 0).text, "GPS");
        // A hostile stratum-1 refid: a line break and an escape are not passed through.
        assert_eq!(RefIdField::new([10, 77, 0x1b, b'['], 1).text, ".M.[");
        let r = RefIdField::new([10, 77, 0, 2], 3);
        assert_eq!((r.text.as_str(), r.hex.as_str()), ("10.77.0.2", "0a4d0002"));
    }

    #[test]
    fn tallies_and_poll() {
        let sys = InfoFlags::SYSPEER | InfoFlags::CONFIG;
        assert_eq!(mode_tally(sys, 3), '*');
        assert_eq!(mode_tally(InfoFlags::CONFIG, 3), '=');
        assert_eq!(mode_tally(InfoFlags::NONE, 1), '+');
        assert_eq!(mode_tally(InfoFlags::NONE, 4), ' ');
        assert_eq!(selection_tally(InfoFlags::SHORTLIST), '+');
        assert_eq!(selection_tally(InfoFlags::SEL_CANDIDATE), '.');
        assert_eq!(selection_tally(InfoFlags::NONE), ' ');
        assert_eq!(peers_poll_s(3, 4), 8);
        assert_eq!(peers_poll_s(10, 6), 64);
        assert_eq!(peers_poll_s(0, 0), 8);
        assert_eq!(peers_poll_s(20, 20), 1 << 17);
        assert_eq!(leap_bits(3), "11");
        assert_eq!(leap_bits(1), "01");
    }

    #[test]
    fn restrict_flags_join_match_flags_first() {
        // The lab's `restrict default kod limited nomodify nopeer noquery` as 4.2.8p15 sends it.
        let item = RestrictItem {
            addr: Ipv4Addr::UNSPECIFIED.into(),
            mask: Ipv4Addr::UNSPECIFIED.into(),
            count: 3,
            flags: crate::private::RestrictFlags(0x09d0),
            mflags: crate::private::RestrictMatchFlags(0x3000),
        };
        assert_eq!(
            RestrictRecord::new(&item, RestrictNumbering::Late4).flags,
            [
                "ntpport",
                "interface",
                "noquery",
                "nomodify",
                "nopeer",
                "limited",
                "kod"
            ]
        );
        assert_eq!(
            RestrictNumbering::Early4.names(0x09d0, true),
            ["noquery", "nomodify", "nopeer", "notrap"]
        );
        assert_eq!(
            RestrictNumbering::Late4.names(0x1020, false),
            ["noepeer", "mssntp"]
        );
        assert!(RestrictNumbering::Late4.names(0x1020, true).is_empty());
    }
}
