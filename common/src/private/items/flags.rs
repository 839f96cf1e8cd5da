//! Named flag sets carried by mode 7 items, with the words ntpdc prints or accepts.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

macro_rules! flag_set {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $($(#[$fmeta:meta])* $konst:ident = $bit:expr, $word:literal;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $repr);

        impl $name {
            $($(#[$fmeta])* pub const $konst: Self = Self($bit);)*

            /// The empty set.
            pub const NONE: Self = Self(0);

            /// Every named flag with its word, in the order ntpdc prints them.
            pub const NAMES: &'static [(Self, &'static str)] = &[$((Self::$konst, $word)),*];

            /// The raw bits.
            #[must_use]
            pub const fn bits(self) -> $repr {
                self.0
            }

            /// Whether every bit of `other` is set.
            #[must_use]
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether no bit is set.
            #[must_use]
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Bits that have no name here.
            #[must_use]
            pub fn unknown_bits(self) -> $repr {
                Self::NAMES.iter().fold(self.0, |rest, (flag, _)| rest & !flag.0)
            }

            /// The words of the set flags, in ntpdc's order (unnamed bits are left out, as
            /// ntpdc does).
            #[must_use]
            pub fn names(self) -> Vec<&'static str> {
                Self::NAMES
                    .iter()
                    .filter(|(flag, _)| flag.0 != 0 && self.contains(*flag))
                    .map(|(_, word)| *word)
                    .collect()
            }

            /// The flag a word names, if any.
            #[must_use]
            pub fn from_name(word: &str) -> Option<Self> {
                Self::NAMES.iter().find(|(_, w)| *w == word).map(|(flag, _)| *flag)
            }
        }

        impl std::ops::BitOr for $name {
            type Output = Self;

            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                self.0 |= rhs.0;
            }
        }
    };
}

flag_set! {
    /// Peer flags `INFO_FLAG_*` in peer list, summary, info and stats items (§7.5). Only the
    /// 16-bit field of `info_peer_stats` can hold [`InfoFlags::IBURST`]; the others are one
    /// octet wide. Words and order follow ntpdc's `print_pflag`.
    InfoFlags(u16) {
        /// `INFO_FLAG_SYSPEER`: the system peer.
        SYSPEER = 0x02, "system_peer";
        /// `INFO_FLAG_CONFIG`: configured (persistent) association.
        CONFIG = 0x01, "config";
        /// `INFO_FLAG_REFCLOCK`: a reference clock.
        REFCLOCK = 0x08, "refclock";
        /// `INFO_FLAG_AUTHENABLE`: authentication enabled.
        AUTHENABLE = 0x20, "auth";
        /// `INFO_FLAG_PREFER`: preferred peer.
        PREFER = 0x10, "prefer";
        /// `INFO_FLAG_IBURST`: initial burst.
        IBURST = 0x100, "iburst";
        /// `INFO_FLAG_BURST`: burst mode.
        BURST = 0x04, "burst";
        /// `INFO_FLAG_SEL_CANDIDATE`: selection status is candidate.
        SEL_CANDIDATE = 0x40, "candidate";
        /// `INFO_FLAG_SHORTLIST`: selection status is at least sys.peer's shortlist.
        SHORTLIST = 0x80, "shortlist";
    }
}

flag_set! {
    /// System flags in `info_sys` (the INFO_FLAG_ "sys" set, §7.5); words and order as in
    /// ntpdc's `sysinfo`.
    SysInfoFlags(u8) {
        /// `INFO_FLAG_BCLIENT`.
        BCLIENT = 0x01, "bclient";
        /// `INFO_FLAG_AUTHENTICATE`.
        AUTHENTICATE = 0x02, "auth";
        /// `INFO_FLAG_MONITOR`.
        MONITOR = 0x40, "monitor";
        /// `INFO_FLAG_NTP`.
        NTP = 0x04, "ntp";
        /// `INFO_FLAG_KERNEL`.
        KERNEL = 0x08, "kernel";
        /// `INFO_FLAG_FILEGEN`.
        FILEGEN = 0x80, "stats";
        /// `INFO_FLAG_CAL`.
        CALIBRATE = 0x10, "calibrate";
        /// `INFO_FLAG_PPS_SYNC`.
        PPS_SYNC = 0x20, "pps";
    }
}

flag_set! {
    /// `SYS_FLAG_*` in `conf_sys_flags` (`enable`/`disable`, §7.6); words are ntpdc's
    /// keywords.
    SysFlags(u32) {
        /// `SYS_FLAG_BCLIENT`.
        BCLIENT = 0x01, "bclient";
        /// `SYS_FLAG_PPS`.
        PPS = 0x02, "pps";
        /// `SYS_FLAG_NTP`.
        NTP = 0x04, "ntp";
        /// `SYS_FLAG_KERNEL`.
        KERNEL = 0x08, "kernel";
        /// `SYS_FLAG_MONITOR`.
        MONITOR = 0x10, "monitor";
        /// `SYS_FLAG_FILEGEN`.
        FILEGEN = 0x20, "stats";
        /// `SYS_FLAG_AUTH`.
        AUTH = 0x40, "auth";
        /// `SYS_FLAG_CAL`.
        CALIBRATE = 0x80, "calibrate";
    }
}

flag_set! {
    /// Restriction flags `RES_*` of ntpd 4.x (§5.5), in `info_restrict` and `conf_restrict`.
    /// Words and order follow ntpdc's `reslist`; ntpdc neither prints nor accepts the last
    /// two (`mssntp`, `nomrulist`), which are named here after ntpq.
    RestrictFlags(u16) {
        /// `RES_IGNORE`.
        IGNORE = 0x0001, "ignore";
        /// `RES_DONTSERVE`.
        NOSERVE = 0x0002, "noserve";
        /// `RES_DONTTRUST`.
        NOTRUST = 0x0004, "notrust";
        /// `RES_NOQUERY`.
        NOQUERY = 0x0040, "noquery";
        /// `RES_NOMODIFY`.
        NOMODIFY = 0x0080, "nomodify";
        /// `RES_NOPEER`.
        NOPEER = 0x0010, "nopeer";
        /// `RES_NOTRAP`.
        NOTRAP = 0x0100, "notrap";
        /// `RES_LPTRAP`.
        LPTRAP = 0x0200, "lptrap";
        /// `RES_LIMITED`.
        LIMITED = 0x0020, "limited";
        /// `RES_VERSION`.
        VERSION = 0x0008, "version";
        /// `RES_KOD`.
        KOD = 0x0400, "kod";
        /// `RES_FLAKE`.
        FLAKE = 0x1000, "flake";
        /// `RES_MSSNTP` (not shown by ntpdc).
        MSSNTP = 0x0800, "mssntp";
        /// `RES_NOMRULIST` (not shown by ntpdc).
        NOMRULIST = 0x2000, "nomrulist";
    }
}

flag_set! {
    /// Restriction flags `RES_*` as later 4.2.8 releases number them (the lab's 4.2.8p15 and
    /// p18, which added `noepeer` and renumbered every bit above `nopeer`). The wire field is
    /// the same 16 bits as [`RestrictFlags`]; which numbering a server uses depends on its
    /// release (ntpdc simply assumes its own). Words and order as ntpdc's `reslist`, which
    /// neither prints nor accepts the last three.
    RestrictFlagsP15(u16) {
        /// `RES_IGNORE`.
        IGNORE = 0x0001, "ignore";
        /// `RES_DONTSERVE`.
        NOSERVE = 0x0002, "noserve";
        /// `RES_DONTTRUST`.
        NOTRUST = 0x0004, "notrust";
        /// `RES_NOQUERY`.
        NOQUERY = 0x0080, "noquery";
        /// `RES_NOMODIFY`.
        NOMODIFY = 0x0100, "nomodify";
        /// `RES_NOPEER`.
        NOPEER = 0x0010, "nopeer";
        /// `RES_NOTRAP`.
        NOTRAP = 0x0200, "notrap";
        /// `RES_LPTRAP`.
        LPTRAP = 0x0400, "lptrap";
        /// `RES_LIMITED`.
        LIMITED = 0x0040, "limited";
        /// `RES_VERSION`.
        VERSION = 0x0008, "version";
        /// `RES_KOD`.
        KOD = 0x0800, "kod";
        /// `RES_FLAKE`.
        FLAKE = 0x2000, "flake";
        /// `RES_NOEPEER` (not shown by ntpdc).
        NOEPEER = 0x0020, "noepeer";
        /// `RES_MSSNTP` (not shown by ntpdc).
        MSSNTP = 0x1000, "mssntp";
        /// `RES_NOMRULIST` (not shown by ntpdc).
        NOMRULIST = 0x4000, "nomrulist";
    }
}

impl RestrictFlagsP15 {
    /// The words ntpdc prints and accepts (all but `noepeer`, `mssntp` and `nomrulist`).
    #[must_use]
    pub fn ntpdc_names(self) -> Vec<&'static str> {
        self.names()
            .into_iter()
            .filter(|w| !matches!(*w, "noepeer" | "mssntp" | "nomrulist"))
            .collect()
    }
}

flag_set! {
    /// xntp3's restriction bits, which ntpdc uses to print `reslist` from an
    /// [`crate::private::Implementation::XntpdOld`] server.
    OldRestrictFlags(u16) {
        /// Ignore.
        IGNORE = 0x001, "ignore";
        /// Don't serve.
        NOSERVE = 0x002, "noserve";
        /// Don't trust.
        NOTRUST = 0x004, "notrust";
        /// No queries.
        NOQUERY = 0x008, "noquery";
        /// No modifications.
        NOMODIFY = 0x010, "nomodify";
        /// No peering.
        NOPEER = 0x020, "nopeer";
        /// No traps.
        NOTRAP = 0x040, "notrap";
        /// Low-priority traps.
        LPTRAP = 0x080, "lptrap";
        /// Rate limited.
        LIMITED = 0x100, "limited";
    }
}

flag_set! {
    /// Restriction match flags `RESM_*` (`mflags`); words and order as in ntpdc's `reslist`.
    RestrictMatchFlags(u16) {
        /// `RESM_NTPONLY`: only the NTP port; the only match flag a client may set.
        NTPPORT = 0x2000, "ntpport";
        /// `RESM_INTERFACE`: the entry is a local interface.
        INTERFACE = 0x1000, "interface";
        /// `RESM_SOURCE`: added for a configured source.
        SOURCE = 0x4000, "source";
    }
}

flag_set! {
    /// `RESET_FLAG_*` in `reset_flags` (§7.6); words are ntpdc's `reset` keywords.
    ResetFlags(u32) {
        /// `RESET_FLAG_ALLPEERS`.
        ALLPEERS = 0x01, "allpeers";
        /// `RESET_FLAG_IO`.
        IO = 0x02, "io";
        /// `RESET_FLAG_SYS`.
        SYS = 0x04, "sys";
        /// `RESET_FLAG_MEM`.
        MEM = 0x08, "mem";
        /// `RESET_FLAG_TIMER`.
        TIMER = 0x10, "timer";
        /// `RESET_FLAG_AUTH`.
        AUTH = 0x20, "auth";
        /// `RESET_FLAG_CTL`.
        CTL = 0x40, "ctl";
    }
}

flag_set! {
    /// `TRAP_*` flags in `info_trap`. ntpdc prints "configured", else "low priority", else
    /// "normal priority"; the words here name the bits.
    TrapFlags(u32) {
        /// `TRAP_INUSE`.
        INUSE = 0x1, "in use";
        /// `TRAP_NONPRIO`.
        NONPRIO = 0x2, "low priority";
        /// `TRAP_CONFIGURED`.
        CONFIGURED = 0x4, "configured";
    }
}

flag_set! {
    /// Interface flags `INT_*` in `info_if_stats` (§4.13). ntpdc prints them in hex; the
    /// words are the lowercase constant names.
    InterfaceFlags(u32) {
        /// `INT_UP`.
        UP = 0x001, "up";
        /// `INT_PPP`.
        PPP = 0x002, "ppp";
        /// `INT_LOOPBACK`.
        LOOPBACK = 0x004, "loopback";
        /// `INT_BROADCAST`.
        BROADCAST = 0x008, "broadcast";
        /// `INT_MULTICAST`.
        MULTICAST = 0x010, "multicast";
        /// `INT_BCASTOPEN`.
        BCASTOPEN = 0x020, "bcastopen";
        /// `INT_MCASTOPEN`.
        MCASTOPEN = 0x040, "mcastopen";
        /// `INT_WILDCARD`.
        WILDCARD = 0x080, "wildcard";
        /// `INT_MCASTIF`.
        MCASTIF = 0x100, "mcastif";
        /// `INT_PRIVACY`.
        PRIVACY = 0x200, "privacy";
        /// `INT_BCASTXMIT`.
        BCASTXMIT = 0x400, "bcastxmit";
    }
}

flag_set! {
    /// `CONF_FLAG_*` in `conf_peer` (§7.6). ntpdc sets `authenable` itself when a key ID is
    /// given; `prefer`, `burst` and `iburst` are its keywords.
    ConfPeerFlags(u8) {
        /// `CONF_FLAG_AUTHENABLE`.
        AUTHENABLE = 0x01, "authenable";
        /// `CONF_FLAG_PREFER`.
        PREFER = 0x02, "prefer";
        /// `CONF_FLAG_BURST`.
        BURST = 0x04, "burst";
        /// `CONF_FLAG_IBURST`.
        IBURST = 0x08, "iburst";
        /// `CONF_FLAG_NOSELECT`.
        NOSELECT = 0x10, "noselect";
        /// `CONF_FLAG_SKEY` (Autokey).
        SKEY = 0x20, "skey";
    }
}

flag_set! {
    /// Kernel `STA_*` status bits in `info_kernel` (Linux values); words as ntpdc's
    /// `kerninfo` prints them.
    KernelStatus(u16) {
        /// `STA_PLL`.
        PLL = 0x0001, "pll";
        /// `STA_PPSFREQ`.
        PPSFREQ = 0x0002, "ppsfreq";
        /// `STA_PPSTIME`.
        PPSTIME = 0x0004, "ppstime";
        /// `STA_FLL`.
        FLL = 0x0008, "fll";
        /// `STA_INS`.
        INS = 0x0010, "ins";
        /// `STA_DEL`.
        DEL = 0x0020, "del";
        /// `STA_UNSYNC`.
        UNSYNC = 0x0040, "unsync";
        /// `STA_FREQHOLD`.
        FREQHOLD = 0x0080, "freqhold";
        /// `STA_PPSSIGNAL`.
        PPSSIGNAL = 0x0100, "ppssignal";
        /// `STA_PPSJITTER`.
        PPSJITTER = 0x0200, "ppsjitter";
        /// `STA_PPSWANDER`.
        PPSWANDER = 0x0400, "ppswander";
        /// `STA_PPSERROR`.
        PPSERROR = 0x0800, "ppserror";
        /// `STA_CLOCKERR`.
        CLOCKERR = 0x1000, "clockerr";
        /// `STA_NANO`: offsets and errors are in nanoseconds.
        NANO = 0x2000, "nano";
        /// `STA_MODE`.
        MODE = 0x4000, "mode=fll";
        /// `STA_CLK`.
        CLK = 0x8000, "src=B";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_ntpdc_order() {
        let f = InfoFlags::CONFIG | InfoFlags::SYSPEER | InfoFlags::SHORTLIST;
        assert_eq!(f.names(), ["system_peer", "config", "shortlist"]);
        assert_eq!(InfoFlags(0x1ff).names().len(), 9);
        assert_eq!(
            RestrictFlags(0x00c1).names(),
            ["ignore", "noquery", "nomodify"]
        );
        assert_eq!(RestrictMatchFlags(0x3000).names(), ["ntpport", "interface"]);
        assert_eq!(
            SysInfoFlags(0xff).names(),
            [
                "bclient",
                "auth",
                "monitor",
                "ntp",
                "kernel",
                "stats",
                "calibrate",
                "pps"
            ]
        );
    }

    #[test]
    fn words_round_trip_and_unknown_bits() {
        for (flag, word) in ResetFlags::NAMES {
            assert_eq!(ResetFlags::from_name(word), Some(*flag));
        }
        assert_eq!(SysFlags::from_name("stats"), Some(SysFlags::FILEGEN));
        assert_eq!(SysFlags::from_name("bogus"), None);
        assert_eq!(ResetFlags(0x80 | 0x04).unknown_bits(), 0x80);
        assert_eq!(KernelStatus(0xffff).unknown_bits(), 0);
        assert!(TrapFlags::NONE.is_empty());
        assert!((TrapFlags::INUSE | TrapFlags::CONFIGURED).contains(TrapFlags::CONFIGURED));
    }

    #[test]
    fn every_table_has_distinct_single_bits() {
        fn check<T: Copy>(names: &[(T, &str)], bits: impl Fn(T) -> u32) {
            let mut seen = 0_u32;
            for (flag, word) in names {
                let b = bits(*flag);
                assert_eq!(b.count_ones(), 1, "{word}");
                assert_eq!(seen & b, 0, "{word}");
                seen |= b;
            }
        }
        check(InfoFlags::NAMES, |f| u32::from(f.0));
        check(SysInfoFlags::NAMES, |f| u32::from(f.0));
        check(SysFlags::NAMES, |f| f.0);
        check(RestrictFlags::NAMES, |f| u32::from(f.0));
        check(RestrictFlagsP15::NAMES, |f| u32::from(f.0));
        check(OldRestrictFlags::NAMES, |f| u32::from(f.0));
        check(RestrictMatchFlags::NAMES, |f| u32::from(f.0));
        check(ResetFlags::NAMES, |f| f.0);
        check(TrapFlags::NAMES, |f| f.0);
        check(InterfaceFlags::NAMES, |f| f.0);
        check(ConfPeerFlags::NAMES, |f| u32::from(f.0));
        check(KernelStatus::NAMES, |f| u32::from(f.0));
    }
}
