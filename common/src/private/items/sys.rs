//! System items: `info_loop`, `info_sys`, `info_sys_stats`, `info_kernel` (§7.5).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::net::IpAddr;

use crate::error::DecodeError;
use crate::private::PrivateError;
use crate::time::{NtpShort, NtpTimestamp};
use crate::wire::Reader;

use super::{ItemWriter, KernelStatus, PrivateItem, ReadExt, SysInfoFlags, extend, family, pick};

/// `info_loop` (24): the loop filter state `loopinfo` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LoopInfoItem {
    /// Last offset, signed `l_fp` seconds.
    pub last_offset: NtpTimestamp,
    /// Frequency correction, signed `l_fp` **ppm**.
    pub drift_comp: NtpTimestamp,
    /// Time constant counter (ntpdc: "poll adjust").
    pub compliance: i32,
    /// Seconds since the last clock update.
    pub watchdog_timer: u32,
}

impl PrivateItem for LoopInfoItem {
    const SIZE: usize = 24;
    const V4_SIZE: usize = 24;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        Ok(Self {
            last_offset: r.ts()?,
            drift_comp: r.ts()?,
            compliance: r.i32()?,
            watchdog_timer: r.u32()?,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.ts(self.last_offset);
        w.ts(self.drift_comp);
        w.i32(self.compliance);
        w.u32(self.watchdog_timer);
        w.finish::<Self>(size, false)
    }
}

/// `info_sys` (80; v4 56): the system variables `sysinfo` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SysInfoItem {
    /// System peer address (unspecified when there is none).
    pub peer: IpAddr,
    /// System peer mode.
    pub peer_mode: u8,
    /// Leap indicator.
    pub leap: u8,
    /// Stratum.
    pub stratum: u8,
    /// Precision exponent.
    pub precision: i8,
    /// Root delay, `s_fp` seconds.
    pub rootdelay: NtpShort,
    /// Root dispersion, `u_fp` seconds.
    pub rootdispersion: NtpShort,
    /// Reference ID as stored.
    pub refid: [u8; 4],
    /// Reference time.
    pub reftime: NtpTimestamp,
    /// System poll exponent; **host order** on the wire.
    pub poll: u32,
    /// System flags.
    pub flags: SysInfoFlags,
    /// Broadcast delay, `s_fp` seconds.
    pub bdelay: NtpShort,
    /// Named `frequency` but holds the system jitter, `s_fp` seconds (ntpdc prints "jitter").
    pub frequency: NtpShort,
    /// Authentication delay, `l_fp` seconds (seconds word 0).
    pub authdelay: NtpTimestamp,
    /// Clock wander, `u_fp` ppm.
    pub stability: NtpShort,
}

impl PrivateItem for SysInfoItem {
    const SIZE: usize = 80;
    const V4_SIZE: usize = 56;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let peer = r.ipv4()?;
        let [peer_mode, leap, stratum] = r.take::<3>()?;
        let precision = r.i8()?;
        let rootdelay = r.short()?;
        let rootdispersion = r.short()?;
        let refid = r.take::<4>()?;
        let reftime = r.ts()?;
        let poll = r.u32_le()?;
        let flags = SysInfoFlags(r.u8()?);
        r.skip(3)?;
        let bdelay = r.short()?;
        let frequency = r.short()?;
        let authdelay = r.ts()?;
        let stability = r.short()?;
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let peer6 = r.ipv6()?;
        Ok(Self {
            peer: pick(v6, peer, peer6),
            peer_mode,
            leap,
            stratum,
            precision,
            rootdelay,
            rootdispersion,
            refid,
            reftime,
            poll,
            flags,
            bdelay,
            frequency,
            authdelay,
            stability,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.peer])?;
        let mut w = ItemWriter::new();
        w.addr4(self.peer, v6);
        w.bytes(&[self.peer_mode, self.leap, self.stratum]);
        w.i8(self.precision);
        w.short(self.rootdelay);
        w.short(self.rootdispersion);
        w.bytes(&self.refid);
        w.ts(self.reftime);
        w.u32_le(self.poll);
        w.u8(self.flags.0);
        w.zeros(3);
        w.short(self.bdelay);
        w.short(self.frequency);
        w.ts(self.authdelay);
        w.short(self.stability);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.peer, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `info_sys_stats`: 44 octets in 4.2.8p6, 52 in p18, 40 in the old form (§7.5). Fields a
/// shorter form lacks decode as 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SysStatsItem {
    /// Seconds since restart.
    pub timeup: u32,
    /// Seconds since the counters were reset.
    pub timereset: u32,
    /// Access denied (`sys_restricted`).
    pub denied: u32,
    /// Previous-version packets.
    pub oldversionpkt: u32,
    /// Current-version packets.
    pub newversionpkt: u32,
    /// Declined (`sys_declined`).
    pub unknownversion: u32,
    /// Bad length or format.
    pub badlength: u32,
    /// Packets processed.
    pub processed: u32,
    /// Bad authentication.
    pub badauth: u32,
    /// Packets received (`wanderhold` in the 40-octet form).
    pub received: u32,
    /// Rate exceeded (absent in the 40-octet form).
    pub limitrejected: u32,
    /// Lamport violations (p18 only).
    pub lamport: u32,
    /// Timestamp rounding errors (p18 only).
    pub tsrounding: u32,
}

impl SysStatsItem {
    /// The 4.2.8p6 size ntpdc expects.
    pub const P6_SIZE: usize = 44;
    /// `old_info_sys_stats`.
    pub const OLD_SIZE: usize = 40;

    fn fields(&self) -> [u32; 13] {
        [
            self.timeup,
            self.timereset,
            self.denied,
            self.oldversionpkt,
            self.newversionpkt,
            self.unknownversion,
            self.badlength,
            self.processed,
            self.badauth,
            self.received,
            self.limitrejected,
            self.lamport,
            self.tsrounding,
        ]
    }
}

impl PrivateItem for SysStatsItem {
    const SIZE: usize = 52;
    const V4_SIZE: usize = Self::OLD_SIZE;
    const SIZES: &'static [usize] = &[52, Self::P6_SIZE, Self::OLD_SIZE];

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let mut f = [0_u32; 13];
        for slot in &mut f {
            *slot = r.u32()?;
        }
        let [
            timeup,
            timereset,
            denied,
            oldversionpkt,
            newversionpkt,
            unknownversion,
            badlength,
            processed,
            badauth,
            received,
            limitrejected,
            lamport,
            tsrounding,
        ] = f;
        Ok(Self {
            timeup,
            timereset,
            denied,
            oldversionpkt,
            newversionpkt,
            unknownversion,
            badlength,
            processed,
            badauth,
            received,
            limitrejected,
            lamport,
            tsrounding,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        for v in self.fields() {
            w.u32(v);
        }
        w.finish::<Self>(size, false)
    }
}

/// `info_kernel` (60): the kernel PLL/PPS variables `kerninfo` prints. Offsets, errors,
/// precision and jitter are in µs, or ns when `status` has [`KernelStatus::NANO`];
/// frequencies are scaled ppm (`s_fp`, ÷65536).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KernelInfoItem {
    /// PLL offset.
    pub offset: i32,
    /// PLL frequency, scaled ppm.
    pub freq: i32,
    /// Maximum error.
    pub maxerror: i32,
    /// Estimated error.
    pub esterror: i32,
    /// Clock status bits.
    pub status: KernelStatus,
    /// PPS calibration interval exponent (log2 s); 0 means no PPS variables.
    pub shift: u16,
    /// PLL time constant.
    pub constant: i32,
    /// Clock precision.
    pub precision: i32,
    /// Frequency tolerance, scaled ppm.
    pub tolerance: i32,
    /// PPS frequency, scaled ppm.
    pub ppsfreq: i32,
    /// PPS jitter.
    pub jitter: i32,
    /// PPS stability, scaled ppm.
    pub stabil: i32,
    /// Jitter limit exceeded.
    pub jitcnt: i32,
    /// Calibration intervals.
    pub calcnt: i32,
    /// Calibration errors.
    pub errcnt: i32,
    /// Stability limit exceeded.
    pub stbcnt: i32,
}

impl PrivateItem for KernelInfoItem {
    const SIZE: usize = 60;
    const V4_SIZE: usize = 60;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        Ok(Self {
            offset: r.i32()?,
            freq: r.i32()?,
            maxerror: r.i32()?,
            esterror: r.i32()?,
            status: KernelStatus(r.u16()?),
            shift: r.u16()?,
            constant: r.i32()?,
            precision: r.i32()?,
            tolerance: r.i32()?,
            ppsfreq: r.i32()?,
            jitter: r.i32()?,
            stabil: r.i32()?,
            jitcnt: r.i32()?,
            calcnt: r.i32()?,
            errcnt: r.i32()?,
            stbcnt: r.i32()?,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        for v in [self.offset, self.freq, self.maxerror, self.esterror] {
            w.i32(v);
        }
        w.u16(self.status.0);
        w.u16(self.shift);
        for v in [
            self.constant,
            self.precision,
            self.tolerance,
            self.ppsfreq,
            self.jitter,
            self.stabil,
            self.jitcnt,
            self.calcnt,
            self.errcnt,
            self.stbcnt,
        ] {
            w.i32(v);
        }
        w.finish::<Self>(size, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::testing::{at, both_ways, every_size};
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn loop_info_layout() {
        let item = LoopInfoItem {
            last_offset: NtpTimestamp::new(0xffff_ffff, 0xc000_0000),
            drift_comp: NtpTimestamp::new(12, 0x8000_0000),
            compliance: -3,
            watchdog_timer: 77,
        };
        let bytes = at(
            24,
            &[
                (0, &[0xff, 0xff, 0xff, 0xff, 0xc0, 0, 0, 0]),
                (8, &[0, 0, 0, 12, 0x80, 0, 0, 0]),
                (16, &[0xff, 0xff, 0xff, 0xfd]),
                (20, &[0, 0, 0, 77]),
            ],
        );
        both_ways(&item, 24, &bytes);
        assert_eq!(
            item.encode(23),
            Err(PrivateError::ItemSize {
                size: 23,
                expected: &[24, 24]
            })
        );
    }

    fn sys(peer: IpAddr) -> SysInfoItem {
        SysInfoItem {
            peer,
            peer_mode: 3,
            leap: 0,
            stratum: 2,
            precision: -20,
            rootdelay: NtpShort(0x0000_1000),
            rootdispersion: NtpShort(0x0000_2000),
            refid: [198, 51, 100, 7],
            reftime: NtpTimestamp::new(0xe4a1_b2c3, 0x1234_5678),
            poll: 6,
            flags: SysInfoFlags::NTP | SysInfoFlags::AUTHENTICATE | SysInfoFlags::FILEGEN,
            bdelay: NtpShort(0x0000_0083),
            frequency: NtpShort(0x0000_0042),
            authdelay: NtpTimestamp::new(0, 0x0001_0000),
            stability: NtpShort(0x0000_1111),
        }
    }

    #[test]
    fn sys_info_offsets() {
        let item = sys(Ipv4Addr::new(198, 51, 100, 7).into());
        let tail: &[(usize, &[u8])] = &[
            (4, &[3, 0, 2, 0xec]),
            (8, &[0, 0, 0x10, 0]),
            (12, &[0, 0, 0x20, 0]),
            (16, &[198, 51, 100, 7]),
            (20, &[0xe4, 0xa1, 0xb2, 0xc3, 0x12, 0x34, 0x56, 0x78]),
            (28, &[6, 0, 0, 0]), // poll, little-endian
            (32, &[0x86]),
            (36, &[0, 0, 0, 0x83]),
            (40, &[0, 0, 0, 0x42]),
            (44, &[0, 0, 0, 0, 0, 1, 0, 0]),
            (52, &[0, 0, 0x11, 0x11]),
        ];
        let mut v4 = tail.to_vec();
        v4.push((0, &[198, 51, 100, 7]));
        both_ways(&item, 56, &at(56, &v4));
        both_ways(&item, 80, &at(80, &v4));
        let peer6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7);
        let mut v6 = tail.to_vec();
        let p6 = peer6.octets();
        v6.extend([(56, &[1_u8, 0, 0, 0][..]), (64, &p6[..])]);
        both_ways(&sys(peer6.into()), 80, &at(80, &v6));
    }

    #[test]
    fn sys_stats_three_sizes() {
        let item = SysStatsItem {
            timeup: 1,
            timereset: 2,
            denied: 3,
            oldversionpkt: 4,
            newversionpkt: 5,
            unknownversion: 6,
            badlength: 7,
            processed: 8,
            badauth: 9,
            received: 10,
            limitrejected: 11,
            lamport: 12,
            tsrounding: 13,
        };
        let mut bytes = Vec::new();
        for v in 1..=13_u32 {
            bytes.extend(v.to_be_bytes());
        }
        both_ways(&item, 52, &bytes);
        let p6 = SysStatsItem {
            lamport: 0,
            tsrounding: 0,
            ..item
        };
        both_ways(&p6, 44, &bytes[..44]);
        let old = SysStatsItem {
            limitrejected: 0,
            ..p6
        };
        both_ways(&old, 40, &bytes[..40]);
        assert_eq!(
            SysStatsItem::decode(&bytes, 44).unwrap(),
            p6,
            "a p6 item from a longer buffer"
        );
        every_size(&item);
    }

    #[test]
    fn kernel_info_layout() {
        let item = KernelInfoItem {
            offset: -1000,
            freq: 0x0001_0000,
            maxerror: 3,
            esterror: 4,
            status: KernelStatus::PLL | KernelStatus::NANO,
            shift: 2,
            constant: 7,
            precision: 1,
            tolerance: 500 << 16,
            ppsfreq: 9,
            jitter: 10,
            stabil: 11,
            jitcnt: 12,
            calcnt: 13,
            errcnt: 14,
            stbcnt: 15,
        };
        let bytes = at(
            60,
            &[
                (0, &[0xff, 0xff, 0xfc, 0x18]),
                (4, &[0, 1, 0, 0]),
                (8, &[0, 0, 0, 3]),
                (12, &[0, 0, 0, 4]),
                (16, &[0x20, 0x01, 0, 2]),
                (20, &[0, 0, 0, 7]),
                (24, &[0, 0, 0, 1]),
                (28, &[0x01, 0xf4, 0, 0]),
                (32, &[0, 0, 0, 9]),
                (36, &[0, 0, 0, 10]),
                (40, &[0, 0, 0, 11]),
                (44, &[0, 0, 0, 12]),
                (48, &[0, 0, 0, 13]),
                (52, &[0, 0, 0, 14]),
                (56, &[0, 0, 0, 15]),
            ],
        );
        both_ways(&item, 60, &bytes);
        assert_eq!(item.status.names(), ["pll", "nano"]);
    }
}
