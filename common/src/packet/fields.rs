//! The small header fields of the NTP packet (protocol notes §2.2, §2.3): leap indicator,
//! mode and stratum.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::fmt;

/// The two-bit leap indicator (LI) of the first header octet (RFC 5905 §7.3, notes §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LeapIndicator {
    /// 0: no leap second pending.
    #[default]
    NoWarning,
    /// 1: the last minute of the UTC day has 61 seconds.
    AddSecond,
    /// 2: the last minute of the UTC day has 59 seconds.
    DeleteSecond,
    /// 3: the clock is not synchronized (also the LI of a kiss-o'-death).
    Unsynchronized,
}

impl LeapIndicator {
    /// Decodes the low two bits of `bits`; higher bits are ignored.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => Self::NoWarning,
            1 => Self::AddSecond,
            2 => Self::DeleteSecond,
            _ => Self::Unsynchronized,
        }
    }

    /// The two-bit wire value.
    #[must_use]
    pub const fn to_bits(self) -> u8 {
        match self {
            Self::NoWarning => 0,
            Self::AddSecond => 1,
            Self::DeleteSecond => 2,
            Self::Unsynchronized => 3,
        }
    }

    /// The name ntpd's `statestr` gives the value: `leap_none`, `leap_add_sec`,
    /// `leap_del_sec` or `leap_alarm`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::NoWarning => "leap_none",
            Self::AddSecond => "leap_add_sec",
            Self::DeleteSecond => "leap_del_sec",
            Self::Unsynchronized => "leap_alarm",
        }
    }
}

/// Shows the `statestr` name, e.g. `leap_alarm`.
impl fmt::Display for LeapIndicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The three-bit association mode of the first header octet (RFC 5905 §7.3, notes §2.2).
///
/// Every three-bit value has a variant, so the enum is total without an `Unknown` case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NtpMode {
    /// 0: reserved (an NTPv1 packet with mode 0 is treated as a client request by ntpd).
    #[default]
    Reserved,
    /// 1: symmetric active.
    SymmetricActive,
    /// 2: symmetric passive.
    SymmetricPassive,
    /// 3: client.
    Client,
    /// 4: server.
    Server,
    /// 5: broadcast.
    Broadcast,
    /// 6: control message (mode 6, ntpq; see the `control` module).
    Control,
    /// 7: private message (mode 7, ntpdc; see the `private` module).
    Private,
}

impl NtpMode {
    /// Decodes the low three bits of `bits`; higher bits are ignored.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b111 {
            0 => Self::Reserved,
            1 => Self::SymmetricActive,
            2 => Self::SymmetricPassive,
            3 => Self::Client,
            4 => Self::Server,
            5 => Self::Broadcast,
            6 => Self::Control,
            _ => Self::Private,
        }
    }

    /// The three-bit wire value.
    #[must_use]
    pub const fn to_bits(self) -> u8 {
        match self {
            Self::Reserved => 0,
            Self::SymmetricActive => 1,
            Self::SymmetricPassive => 2,
            Self::Client => 3,
            Self::Server => 4,
            Self::Broadcast => 5,
            Self::Control => 6,
            Self::Private => 7,
        }
    }

    /// The name ntpd's `modetoa` prints: `unspec`, `sym_active`, `sym_passive`, `client`,
    /// `server`, `broadcast`, `control` or `private`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Reserved => "unspec",
            Self::SymmetricActive => "sym_active",
            Self::SymmetricPassive => "sym_passive",
            Self::Client => "client",
            Self::Server => "server",
            Self::Broadcast => "broadcast",
            Self::Control => "control",
            Self::Private => "private",
        }
    }
}

/// Shows the `modetoa` name, e.g. `sym_active`.
impl fmt::Display for NtpMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The stratum octet as it travels on the wire (RFC 5905 §7.3, notes §2.3).
///
/// On the wire 0 means "unspecified" (with LI = 3 and an ASCII refid: a kiss-o'-death) and
/// ntpd never sends 16; inside ntpd (and in mode 6 peer variables) 16 is "unspecified" and 0
/// is the default stratum of a reference clock. [`Stratum::to_ntpd`] and
/// [`Stratum::from_ntpd`] convert between the two views as ntpd's `PKT_TO_STRATUM` and
/// `STRATUM_TO_PKT` do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Stratum(pub u8);

impl Stratum {
    /// 0: unspecified or invalid; the stratum of a kiss-o'-death.
    pub const UNSPECIFIED: Self = Self(0);
    /// 1: primary server, synchronized to a reference clock.
    pub const PRIMARY: Self = Self(1);
    /// 16: unsynchronized (ntpd's internal `STRATUM_UNSPEC`).
    pub const UNSYNCHRONIZED: Self = Self(16);

    /// Whether the wire value is 0 (unspecified / kiss-o'-death).
    #[must_use]
    pub const fn is_unspecified(self) -> bool {
        self.0 == 0
    }

    /// Whether this is a primary server (stratum 1).
    #[must_use]
    pub const fn is_primary(self) -> bool {
        self.0 == 1
    }

    /// Whether this is a secondary server (stratum 2..=15), whose refid names its upstream.
    #[must_use]
    pub const fn is_secondary(self) -> bool {
        matches!(self.0, 2..=15)
    }

    /// Whether the value means "not synchronized": 0 on the wire, or 16 and above.
    #[must_use]
    pub const fn is_unsynchronized(self) -> bool {
        self.0 == 0 || self.0 >= 16
    }

    /// ntpd's internal stratum for this wire value: 0 becomes 16 (`PKT_TO_STRATUM`).
    #[must_use]
    pub const fn to_ntpd(self) -> u8 {
        if self.0 == 0 { 16 } else { self.0 }
    }

    /// The wire value for ntpd's internal stratum `internal`: 16 becomes 0 (`STRATUM_TO_PKT`).
    #[must_use]
    pub const fn from_ntpd(internal: u8) -> Self {
        Self(if internal == 16 { 0 } else { internal })
    }
}

impl From<u8> for Stratum {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<Stratum> for u8 {
    fn from(value: Stratum) -> Self {
        value.0
    }
}

/// Shows the number, as ntpq's `st` column does.
impl fmt::Display for Stratum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_indicator_both_ways() {
        let table = [
            (LeapIndicator::NoWarning, 0, "leap_none"),
            (LeapIndicator::AddSecond, 1, "leap_add_sec"),
            (LeapIndicator::DeleteSecond, 2, "leap_del_sec"),
            (LeapIndicator::Unsynchronized, 3, "leap_alarm"),
        ];
        for (li, bits, name) in table {
            assert_eq!(LeapIndicator::from_bits(bits), li);
            assert_eq!(li.to_bits(), bits);
            assert_eq!(li.name(), name);
            assert_eq!(li.to_string(), name);
            // Bits above the field are ignored.
            assert_eq!(LeapIndicator::from_bits(bits | 0b1111_1100), li);
        }
    }

    #[test]
    fn mode_both_ways() {
        let table = [
            (NtpMode::Reserved, 0, "unspec"),
            (NtpMode::SymmetricActive, 1, "sym_active"),
            (NtpMode::SymmetricPassive, 2, "sym_passive"),
            (NtpMode::Client, 3, "client"),
            (NtpMode::Server, 4, "server"),
            (NtpMode::Broadcast, 5, "broadcast"),
            (NtpMode::Control, 6, "control"),
            (NtpMode::Private, 7, "private"),
        ];
        for (mode, bits, name) in table {
            assert_eq!(NtpMode::from_bits(bits), mode);
            assert_eq!(mode.to_bits(), bits);
            assert_eq!(mode.to_string(), name);
            assert_eq!(NtpMode::from_bits(bits | 0b1111_1000), mode);
        }
    }

    #[test]
    fn stratum_classes_and_ntpd_mapping() {
        // (wire, unspecified, primary, secondary, unsynchronized, ntpd internal)
        let table = [
            (0, true, false, false, true, 16),
            (1, false, true, false, false, 1),
            (2, false, false, true, false, 2),
            (15, false, false, true, false, 15),
            (16, false, false, false, true, 16),
            (255, false, false, false, true, 255),
        ];
        for (wire, unspec, primary, secondary, unsync, internal) in table {
            let s = Stratum::from(wire);
            assert_eq!(s.is_unspecified(), unspec, "{wire}");
            assert_eq!(s.is_primary(), primary, "{wire}");
            assert_eq!(s.is_secondary(), secondary, "{wire}");
            assert_eq!(s.is_unsynchronized(), unsync, "{wire}");
            assert_eq!(s.to_ntpd(), internal, "{wire}");
            assert_eq!(u8::from(s), wire);
            assert_eq!(s.to_string(), wire.to_string());
        }
        assert_eq!(Stratum::from_ntpd(16), Stratum::UNSPECIFIED);
        assert_eq!(Stratum::from_ntpd(3), Stratum(3));
        assert_eq!(Stratum::from_ntpd(0), Stratum(0));
    }
}
