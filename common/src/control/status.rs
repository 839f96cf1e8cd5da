//! System and clock status words (protocol notes §4.7.1, §4.7.3) and the leap indicator.
//!
//! Every status type converts losslessly with `from_bits`/`to_bits`, and its `Display`
//! output is exactly what ntpq's `statustoa` prints after `status=%04x `.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;

pub use crate::packet::LeapIndicator;

/// Declares a total code enum: named codes, `Unknown(u8)`, `From` both ways and a `Display`
/// with the statestr names, unknown codes printed as `<prefix><n>`.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, unknown = $prefix:literal,
        { $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $text:literal, )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A code with no name in the table.
            Unknown(u8),
        }

        impl From<u8> for $name {
            fn from(code: u8) -> Self {
                match code {
                    $( $code => Self::$variant, )+
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $code, )+
                    $name::Unknown(code) => code,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $( Self::$variant => f.write_str($text), )+
                    Self::Unknown(code) => write!(f, concat!($prefix, "{}"), code),
                }
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// Clock source of the system status word, bits 13–8 (`CTL_SST_TS_*`, §4.7.1).
    ClockSource, unknown = "sync_",
    {
        /// `sync_unspec`: not synchronized, or unspecified.
        Unspecified = 0 => "sync_unspec",
        /// `sync_pps`: pulse per second (atomic) source.
        Pps = 1 => "sync_pps",
        /// `sync_lf_radio`: LF radio (WWVB, DCF77, MSF…).
        LfRadio = 2 => "sync_lf_radio",
        /// `sync_hf_radio`: HF radio (WWV, CHU).
        HfRadio = 3 => "sync_hf_radio",
        /// `sync_uhf_radio`: UHF or satellite (GPS…).
        UhfRadio = 4 => "sync_uhf_radio",
        /// `sync_local`: the local clock driver.
        Local = 5 => "sync_local",
        /// `sync_ntp`: an NTP peer.
        Ntp = 6 => "sync_ntp",
        /// `sync_other`: UDP/TIME or other.
        Other = 7 => "sync_other",
        /// `sync_wristwatch`: eyeball and wristwatch.
        Wristwatch = 8 => "sync_wristwatch",
        /// `sync_telephone`: telephone modem (ACTS).
        Telephone = 9 => "sync_telephone",
    }
}

code_enum! {
    /// Last system event, bits 3–0 of the system status word (`EVNT_*`, §4.7.1).
    ///
    /// All sixteen 4-bit codes are named; `Unknown` only arises from `From<u8>` with values
    /// above 15 (printed `_<n>`, as ntpq's table has an empty name for unknown codes).
    SystemEvent, unknown = "_",
    {
        /// `unspecified`.
        Unspecified = 0 => "unspecified",
        /// `freq_not_set`: frequency file not available.
        FreqNotSet = 1 => "freq_not_set",
        /// `freq_set`: frequency set from the file.
        FreqSet = 2 => "freq_set",
        /// `spike_detect`: spike detected.
        SpikeDetect = 3 => "spike_detect",
        /// `freq_mode`: initial frequency training mode.
        FreqMode = 4 => "freq_mode",
        /// `clock_sync`: clock synchronized.
        ClockSync = 5 => "clock_sync",
        /// `restart`: ntpd restarted.
        Restart = 6 => "restart",
        /// `panic_stop`: offset beyond the panic threshold.
        PanicStop = 7 => "panic_stop",
        /// `no_sys_peer`: no system peer.
        NoSysPeer = 8 => "no_sys_peer",
        /// `leap_armed`: leap second armed.
        LeapArmed = 9 => "leap_armed",
        /// `leap_disarmed`: leap second disarmed.
        LeapDisarmed = 10 => "leap_disarmed",
        /// `leap_event`: a leap second happened.
        LeapEvent = 11 => "leap_event",
        /// `clock_step`: clock stepped.
        ClockStep = 12 => "clock_step",
        /// `kern`: kernel discipline event.
        Kernel = 13 => "kern",
        /// `TAI`: TAI offset changed.
        Tai = 14 => "TAI",
        /// `stale_leapsecond_values`: the leap table is stale.
        StaleLeapValues = 15 => "stale_leapsecond_values",
    }
}

code_enum! {
    /// A reference clock condition (`CTL_CLK_*`, §4.7.3).
    ClockCondition, unknown = "clk_",
    {
        /// `clk_unspec`: nominal.
        Nominal = 0 => "clk_unspec",
        /// `clk_no_reply`: no reply to poll.
        NoReply = 1 => "clk_no_reply",
        /// `clk_bad_format`: bad timecode format.
        BadFormat = 2 => "clk_bad_format",
        /// `clk_fault`: hardware or software fault.
        Fault = 3 => "clk_fault",
        /// `clk_bad_signal`: signal loss or propagation problem.
        BadSignal = 4 => "clk_bad_signal",
        /// `clk_bad_date`: bad date.
        BadDate = 5 => "clk_bad_date",
        /// `clk_bad_time`: bad time.
        BadTime = 6 => "clk_bad_time",
    }
}

/// ntpq's event count wording: `no events`, `1 event`, `N events`.
pub(crate) struct EventCount(pub(crate) u8);

impl fmt::Display for EventCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("no events"),
            1 => f.write_str("1 event"),
            n => write!(f, "{n} events"),
        }
    }
}

/// The system status word, sent with association 0 (§4.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SystemStatus {
    /// Bits 15–14.
    pub leap: LeapIndicator,
    /// Bits 13–8 (six bits).
    pub source: ClockSource,
    /// Bits 7–4: events reported since the counter was reset (saturates at 15).
    pub event_count: u8,
    /// Bits 3–0: the last event.
    pub event: SystemEvent,
}

impl SystemStatus {
    /// Splits a status word into its fields.
    #[must_use]
    pub fn from_bits(word: u16) -> Self {
        let [high, low] = word.to_be_bytes();
        Self {
            leap: LeapIndicator::from_bits(high >> 6),
            source: ClockSource::from(high & 0x3f),
            event_count: low >> 4,
            event: SystemEvent::from(low & 0x0f),
        }
    }

    /// Packs the fields; codes wider than their field are masked.
    #[must_use]
    pub fn to_bits(self) -> u16 {
        let high = (self.leap.to_bits() << 6) | (u8::from(self.source) & 0x3f);
        let low = ((self.event_count & 0x0f) << 4) | (u8::from(self.event) & 0x0f);
        u16::from_be_bytes([high, low])
    }
}

/// `statustoa` for the system: `leap_none, sync_ntp, 1 event, clock_sync`.
impl fmt::Display for SystemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {}, {}",
            self.leap,
            self.source,
            EventCount(self.event_count),
            self.event
        )
    }
}

/// The clock status word of a READCLOCK response (§4.7.3).
///
/// ntpd 4.2.8 sends the last event in bits 7–4 and the current condition in bits 3–0, with
/// a zero high octet; the RFC 1305 layout put the condition in the high octet, which is kept
/// in [`ClockStatus::high`] so that no bit is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockStatus {
    /// Bits 15–8: zero from ntpd 4.2.8 (the RFC 1305 clock status).
    pub high: u8,
    /// Bits 7–4: the last clock event, which ntpq prints as an event *count*.
    pub last_event: ClockCondition,
    /// Bits 3–0: the current condition.
    pub condition: ClockCondition,
}

impl ClockStatus {
    /// Splits a clock status word into its fields.
    #[must_use]
    pub fn from_bits(word: u16) -> Self {
        let [high, low] = word.to_be_bytes();
        Self {
            high,
            last_event: ClockCondition::from(low >> 4),
            condition: ClockCondition::from(low & 0x0f),
        }
    }

    /// Packs the fields; codes wider than four bits are masked.
    #[must_use]
    pub fn to_bits(self) -> u16 {
        let low = ((u8::from(self.last_event) & 0x0f) << 4) | (u8::from(self.condition) & 0x0f);
        u16::from_be_bytes([self.high, low])
    }
}

/// `statustoa` for a clock: bits 7–4 as an event count, then the condition name, e.g.
/// `no events, clk_unspec` (a **QUIRK** reproduced from ntpq).
impl fmt::Display for ClockStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = u8::from(self.last_event) & 0x0f;
        write!(f, "{}, {}", EventCount(count), self.condition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_both_directions() {
        let table = [
            (0, LeapIndicator::NoWarning, "leap_none"),
            (1, LeapIndicator::AddSecond, "leap_add_sec"),
            (2, LeapIndicator::DeleteSecond, "leap_del_sec"),
            (3, LeapIndicator::Unsynchronized, "leap_alarm"),
        ];
        for (bits, leap, name) in table {
            assert_eq!(LeapIndicator::from_bits(bits), leap);
            assert_eq!(leap.to_bits(), bits);
            assert_eq!(leap.to_string(), name);
        }
    }

    #[test]
    fn clock_sources_both_directions() {
        let table = [
            (0, ClockSource::Unspecified, "sync_unspec"),
            (1, ClockSource::Pps, "sync_pps"),
            (2, ClockSource::LfRadio, "sync_lf_radio"),
            (3, ClockSource::HfRadio, "sync_hf_radio"),
            (4, ClockSource::UhfRadio, "sync_uhf_radio"),
            (5, ClockSource::Local, "sync_local"),
            (6, ClockSource::Ntp, "sync_ntp"),
            (7, ClockSource::Other, "sync_other"),
            (8, ClockSource::Wristwatch, "sync_wristwatch"),
            (9, ClockSource::Telephone, "sync_telephone"),
            (12, ClockSource::Unknown(12), "sync_12"),
            (63, ClockSource::Unknown(63), "sync_63"),
        ];
        for (code, source, name) in table {
            assert_eq!(ClockSource::from(code), source);
            assert_eq!(u8::from(source), code);
            assert_eq!(source.to_string(), name);
        }
    }

    #[test]
    fn system_events_both_directions() {
        let names = [
            "unspecified",
            "freq_not_set",
            "freq_set",
            "spike_detect",
            "freq_mode",
            "clock_sync",
            "restart",
            "panic_stop",
            "no_sys_peer",
            "leap_armed",
            "leap_disarmed",
            "leap_event",
            "clock_step",
            "kern",
            "TAI",
            "stale_leapsecond_values",
        ];
        for (code, name) in (0u8..).zip(names) {
            let event = SystemEvent::from(code);
            assert!(!matches!(event, SystemEvent::Unknown(_)), "{code}");
            assert_eq!(u8::from(event), code);
            assert_eq!(event.to_string(), name);
        }
        assert_eq!(SystemEvent::from(16), SystemEvent::Unknown(16));
        assert_eq!(SystemEvent::Unknown(16).to_string(), "_16");
    }

    #[test]
    fn clock_conditions_both_directions() {
        let table = [
            (0, ClockCondition::Nominal, "clk_unspec"),
            (1, ClockCondition::NoReply, "clk_no_reply"),
            (2, ClockCondition::BadFormat, "clk_bad_format"),
            (3, ClockCondition::Fault, "clk_fault"),
            (4, ClockCondition::BadSignal, "clk_bad_signal"),
            (5, ClockCondition::BadDate, "clk_bad_date"),
            (6, ClockCondition::BadTime, "clk_bad_time"),
            (7, ClockCondition::Unknown(7), "clk_7"),
        ];
        for (code, cond, name) in table {
            assert_eq!(ClockCondition::from(code), cond);
            assert_eq!(u8::from(cond), code);
            assert_eq!(cond.to_string(), name);
        }
    }

    #[test]
    fn system_status_fields_both_directions() {
        let table = [
            (
                0x0615,
                SystemStatus {
                    leap: LeapIndicator::NoWarning,
                    source: ClockSource::Ntp,
                    event_count: 1,
                    event: SystemEvent::ClockSync,
                },
                "leap_none, sync_ntp, 1 event, clock_sync",
            ),
            (
                0xc016,
                SystemStatus {
                    leap: LeapIndicator::Unsynchronized,
                    source: ClockSource::Unspecified,
                    event_count: 1,
                    event: SystemEvent::Restart,
                },
                "leap_alarm, sync_unspec, 1 event, restart",
            ),
            (
                0x44f5,
                SystemStatus {
                    leap: LeapIndicator::AddSecond,
                    source: ClockSource::UhfRadio,
                    event_count: 15,
                    event: SystemEvent::ClockSync,
                },
                "leap_add_sec, sync_uhf_radio, 15 events, clock_sync",
            ),
            (
                0xbf0e,
                SystemStatus {
                    leap: LeapIndicator::DeleteSecond,
                    source: ClockSource::Unknown(0x3f),
                    event_count: 0,
                    event: SystemEvent::Tai,
                },
                "leap_del_sec, sync_63, no events, TAI",
            ),
        ];
        for (word, status, text) in table {
            assert_eq!(SystemStatus::from_bits(word), status);
            assert_eq!(status.to_bits(), word);
            assert_eq!(status.to_string(), text);
        }
    }

    #[test]
    fn clock_status_fields_both_directions() {
        let table = [
            (
                0x0000,
                ClockStatus {
                    high: 0,
                    last_event: ClockCondition::Nominal,
                    condition: ClockCondition::Nominal,
                },
                "no events, clk_unspec",
            ),
            (
                0x0021,
                ClockStatus {
                    high: 0,
                    last_event: ClockCondition::BadFormat,
                    condition: ClockCondition::NoReply,
                },
                "2 events, clk_no_reply",
            ),
            (
                0x031f,
                ClockStatus {
                    high: 3,
                    last_event: ClockCondition::NoReply,
                    condition: ClockCondition::Unknown(15),
                },
                "1 event, clk_15",
            ),
        ];
        for (word, status, text) in table {
            assert_eq!(ClockStatus::from_bits(word), status);
            assert_eq!(status.to_bits(), word);
            assert_eq!(status.to_string(), text);
        }
    }

    #[test]
    fn every_word_round_trips() {
        for word in 0..=u16::MAX {
            assert_eq!(SystemStatus::from_bits(word).to_bits(), word);
            assert_eq!(ClockStatus::from_bits(word).to_bits(), word);
        }
    }
}
