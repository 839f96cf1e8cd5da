//! Remaining response items: `info_trap`, `info_clock`, `info_clkbug`, `info_if_stats` (§7.5).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::DecodeError;
use crate::private::PrivateError;
use crate::time::NtpTimestamp;
use crate::wire::Reader;

use super::{InterfaceFlags, ItemWriter, PrivateItem, ReadExt, TrapFlags, extend, family, pick};

/// `info_trap` (64; v4 28): one trap `traps` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrapItem {
    /// Local interface address; unspecified = wildcard.
    pub local_address: IpAddr,
    /// Trap receiver address.
    pub trap_address: IpAddr,
    /// Trap receiver port.
    pub trap_port: u16,
    /// Trap sequence number.
    pub sequence: u16,
    /// Seconds since the trap was last set.
    pub settime: u32,
    /// Seconds since the trap was first set.
    pub origtime: u32,
    /// Number of resets.
    pub resets: u32,
    /// Trap flags.
    pub flags: TrapFlags,
}

impl PrivateItem for TrapItem {
    const SIZE: usize = 64;
    const V4_SIZE: usize = 28;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let local = r.ipv4()?;
        let trap = r.ipv4()?;
        let trap_port = r.u16()?;
        let sequence = r.u16()?;
        let settime = r.u32()?;
        let origtime = r.u32()?;
        let resets = r.u32()?;
        let flags = TrapFlags(r.u32()?);
        let v6 = r.v6_flag()?;
        let local6 = r.ipv6()?;
        let trap6 = r.ipv6()?;
        Ok(Self {
            local_address: pick(v6, local, local6),
            trap_address: pick(v6, trap, trap6),
            trap_port,
            sequence,
            settime,
            origtime,
            resets,
            flags,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.local_address, self.trap_address])?;
        let mut w = ItemWriter::new();
        w.addr4(self.local_address, v6);
        w.addr4(self.trap_address, v6);
        w.u16(self.trap_port);
        w.u16(self.sequence);
        for v in [self.settime, self.origtime, self.resets, self.flags.0] {
            w.u32(v);
        }
        w.v6_flag(v6);
        w.addr6(self.local_address, v6);
        w.addr6(self.trap_address, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `info_clock` (52): what `clockstat` prints about one reference clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockInfoItem {
    /// Clock address 127.127.t.u.
    pub clockadr: Ipv4Addr,
    /// Driver type.
    pub clock_type: u8,
    /// Fudge flags.
    pub flags: u8,
    /// Last event.
    pub lastevent: u8,
    /// Current status.
    pub currentstatus: u8,
    /// Polls.
    pub polls: u32,
    /// No response to poll.
    pub noresponse: u32,
    /// Bad format responses.
    pub badformat: u32,
    /// Bad data responses.
    pub baddata: u32,
    /// Running time.
    pub timestarted: u32,
    /// Fudge time 1, signed `l_fp` seconds.
    pub fudgetime1: NtpTimestamp,
    /// Fudge time 2, signed `l_fp` seconds.
    pub fudgetime2: NtpTimestamp,
    /// Fudge value 1 (stratum).
    pub fudgeval1: i32,
    /// Fudge value 2 (reference ID), read big-endian: 4.2.8p6 sends the value in network
    /// order, p18 sends the refid's octets as stored (Bug 3527).
    pub fudgeval2: u32,
}

impl PrivateItem for ClockInfoItem {
    const SIZE: usize = 52;
    const V4_SIZE: usize = 52;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let clockadr = r.ipv4()?;
        let [clock_type, flags, lastevent, currentstatus] = r.take::<4>()?;
        Ok(Self {
            clockadr,
            clock_type,
            flags,
            lastevent,
            currentstatus,
            polls: r.u32()?,
            noresponse: r.u32()?,
            badformat: r.u32()?,
            baddata: r.u32()?,
            timestarted: r.u32()?,
            fudgetime1: r.ts()?,
            fudgetime2: r.ts()?,
            fudgeval1: r.i32()?,
            fudgeval2: r.u32()?,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.bytes(&self.clockadr.octets());
        w.bytes(&[
            self.clock_type,
            self.flags,
            self.lastevent,
            self.currentstatus,
        ]);
        for v in [
            self.polls,
            self.noresponse,
            self.badformat,
            self.baddata,
            self.timestarted,
        ] {
            w.u32(v);
        }
        w.ts(self.fudgetime1);
        w.ts(self.fudgetime2);
        w.i32(self.fudgeval1);
        w.u32(self.fudgeval2);
        w.finish::<Self>(size, false)
    }
}

/// `info_clkbug` (332): a reference clock's debugging values, as `clkbug` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockBugItem {
    /// Clock address 127.127.t.u.
    pub clockadr: Ipv4Addr,
    /// Values in use (≤ 16).
    pub nvalues: u8,
    /// Times in use (≤ 32).
    pub ntimes: u8,
    /// Bit i set: `values[i]` is signed.
    pub svalues: u16,
    /// Bit i set: `times[i]` is an interval, else a date.
    pub stimes: u32,
    /// Values.
    pub values: [u32; 16],
    /// Times.
    pub times: [NtpTimestamp; 32],
}

impl PrivateItem for ClockBugItem {
    const SIZE: usize = 332;
    const V4_SIZE: usize = 332;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let clockadr = r.ipv4()?;
        let nvalues = r.u8()?;
        let ntimes = r.u8()?;
        let svalues = r.u16()?;
        let stimes = r.u32()?;
        let mut values = [0; 16];
        for slot in &mut values {
            *slot = r.u32()?;
        }
        let mut times = [NtpTimestamp::ZERO; 32];
        for slot in &mut times {
            *slot = r.ts()?;
        }
        Ok(Self {
            clockadr,
            nvalues,
            ntimes,
            svalues,
            stimes,
            values,
            times,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.bytes(&self.clockadr.octets());
        w.u8(self.nvalues);
        w.u8(self.ntimes);
        w.u16(self.svalues);
        w.u32(self.stimes);
        for v in self.values {
            w.u32(v);
        }
        for t in self.times {
            w.ts(t);
        }
        w.finish::<Self>(size, false)
    }
}

/// `info_if_stats` (136; v4 48): one interface of `ifstats`/`ifreload`.
///
/// Its `v6_flag` sits after the three addresses and is in network order; the v4 size
/// therefore carries only the addresses, so `ifstats` is only useful with full-size items.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IfStatsItem {
    /// Interface address.
    pub unaddr: IpAddr,
    /// Broadcast address.
    pub unbcast: IpAddr,
    /// Netmask.
    pub unmask: IpAddr,
    /// Interface name: the octets before the first NUL of the 32-octet field (encoding
    /// truncates longer names to 32 octets).
    pub name: Vec<u8>,
    /// Interface flags.
    pub flags: InterfaceFlags,
    /// Last multicast TTL.
    pub last_ttl: u32,
    /// Multicast groups joined.
    pub num_mcast: u32,
    /// Packets received.
    pub received: u32,
    /// Packets sent.
    pub sent: u32,
    /// Send failures.
    pub notsent: u32,
    /// Seconds up.
    pub uptime: u32,
    /// IPv6 scope ID (= interface index).
    pub scopeid: u32,
    /// Interface index.
    pub ifindex: u32,
    /// Interface number in ntpd's list.
    pub ifnum: u32,
    /// Associations using the interface.
    pub peercnt: u32,
    /// Address family as the server's OS numbers it (`AF_INET6` is 10 on Linux).
    pub family: u16,
    /// Non-zero: packets on this interface are ignored (ntpdc shows `D`).
    pub ignore_packets: u8,
    /// 1 exists, 2 created, 3 deleted (`IFS_*`).
    pub action: u8,
}

impl IfStatsItem {
    /// The interface name as text, lossily decoded.
    #[must_use]
    pub fn name_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }
}

/// Reads a 16-octet address union: IPv4 in the first 4 octets, or IPv6.
fn union_addr(v6: bool, raw: [u8; 16]) -> IpAddr {
    let v6addr = Ipv6Addr::from(raw);
    let [a, b, c, d, ..] = raw;
    pick(v6, Ipv4Addr::new(a, b, c, d), v6addr)
}

impl PrivateItem for IfStatsItem {
    const SIZE: usize = 136;
    const V4_SIZE: usize = 48;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let raw: [[u8; 16]; 3] = [r.take()?, r.take()?, r.take()?];
        let v6 = r.v6_flag()?;
        let [unaddr, unbcast, unmask] = raw.map(|a| union_addr(v6, a));
        let name_field = r.take::<32>()?;
        let name = name_field.split(|b| *b == 0).next().unwrap_or(&[]).to_vec();
        Ok(Self {
            unaddr,
            unbcast,
            unmask,
            name,
            flags: InterfaceFlags(r.u32()?),
            last_ttl: r.u32()?,
            num_mcast: r.u32()?,
            received: r.u32()?,
            sent: r.u32()?,
            notsent: r.u32()?,
            uptime: r.u32()?,
            scopeid: r.u32()?,
            ifindex: r.u32()?,
            ifnum: r.u32()?,
            peercnt: r.u32()?,
            family: r.u16()?,
            ignore_packets: r.u8()?,
            action: r.u8()?,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.unaddr, self.unbcast, self.unmask])?;
        let mut w = ItemWriter::new();
        for addr in [self.unaddr, self.unbcast, self.unmask] {
            if v6 {
                w.addr6(addr, true);
            } else {
                w.addr4(addr, false);
                w.zeros(12);
            }
        }
        w.u32(u32::from(v6)); // network order in this item only
        let name: Vec<u8> = self.name.iter().copied().take(32).collect();
        w.bytes(&name);
        w.zeros(32 - name.len());
        for v in [
            self.flags.0,
            self.last_ttl,
            self.num_mcast,
            self.received,
            self.sent,
            self.notsent,
            self.uptime,
            self.scopeid,
            self.ifindex,
            self.ifnum,
            self.peercnt,
        ] {
            w.u32(v);
        }
        w.u16(self.family);
        w.u8(self.ignore_packets);
        w.u8(self.action);
        w.zeros(4);
        w.finish::<Self>(size, v6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::testing::{at, both_ways, every_size};

    #[test]
    fn trap_offsets() {
        let item = TrapItem {
            local_address: Ipv4Addr::new(192, 0, 2, 1).into(),
            trap_address: Ipv4Addr::new(192, 0, 2, 50).into(),
            trap_port: 18447,
            sequence: 9,
            settime: 10,
            origtime: 20,
            resets: 2,
            flags: TrapFlags::INUSE | TrapFlags::CONFIGURED,
        };
        let v4: &[u8] = &[
            192, 0, 2, 1, 192, 0, 2, 50, 0x48, 0x0f, 0, 9, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 2, 0,
            0, 0, 5,
        ];
        both_ways(&item, 28, v4);
        both_ways(&item, 64, &at(64, &[(0, v4)]));
        let local6 = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
        let trap6 = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x50);
        let v6 = TrapItem {
            local_address: local6.into(),
            trap_address: trap6.into(),
            ..item
        };
        both_ways(
            &v6,
            64,
            &at(
                64,
                &[
                    (8, &v4[8..]),
                    (28, &[1, 0, 0, 0]),
                    (32, &local6.octets()),
                    (48, &trap6.octets()),
                ],
            ),
        );
    }

    #[test]
    fn clock_info_layout() {
        let item = ClockInfoItem {
            clockadr: Ipv4Addr::new(127, 127, 1, 0),
            clock_type: 1,
            flags: 0x5,
            lastevent: 2,
            currentstatus: 3,
            polls: 100,
            noresponse: 1,
            badformat: 2,
            baddata: 3,
            timestarted: 4000,
            fudgetime1: NtpTimestamp::new(0, 0x4000_0000),
            fudgetime2: NtpTimestamp::new(0xffff_ffff, 0xc000_0000),
            fudgeval1: 10,
            fudgeval2: u32::from_be_bytes(*b"LOCL"),
        };
        let bytes = at(
            52,
            &[
                (0, &[127, 127, 1, 0, 1, 5, 2, 3]),
                (8, &[0, 0, 0, 100, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]),
                (24, &[0, 0, 0x0f, 0xa0]),
                (28, &[0, 0, 0, 0, 0x40, 0, 0, 0]),
                (36, &[0xff, 0xff, 0xff, 0xff, 0xc0, 0, 0, 0]),
                (44, &[0, 0, 0, 10]),
                (48, b"LOCL"),
            ],
        );
        both_ways(&item, 52, &bytes);
    }

    #[test]
    fn clkbug_layout() {
        let mut values = [0_u32; 16];
        let mut times = [NtpTimestamp::ZERO; 32];
        for (i, v) in (1..).zip(values.iter_mut()) {
            *v = i;
        }
        for (i, t) in (1..).zip(times.iter_mut()) {
            *t = NtpTimestamp::new(i, 0);
        }
        let item = ClockBugItem {
            clockadr: Ipv4Addr::new(127, 127, 8, 0),
            nvalues: 16,
            ntimes: 32,
            svalues: 0x0003,
            stimes: 0x8000_0001,
            values,
            times,
        };
        let bytes = item.encode(332).unwrap();
        assert_eq!(&bytes[..12], &[127, 127, 8, 0, 16, 32, 0, 3, 0x80, 0, 0, 1]);
        assert_eq!(&bytes[12..16], &[0, 0, 0, 1]);
        assert_eq!(&bytes[72..76], &[0, 0, 0, 16]);
        assert_eq!(&bytes[76..84], &[0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(&bytes[324..332], &[0, 0, 0, 32, 0, 0, 0, 0]);
        assert_eq!(ClockBugItem::decode(&bytes, 332).unwrap(), item);
    }

    fn if_stats(addr: IpAddr, bcast: IpAddr, mask: IpAddr) -> IfStatsItem {
        IfStatsItem {
            unaddr: addr,
            unbcast: bcast,
            unmask: mask,
            name: b"eth0".to_vec(),
            flags: InterfaceFlags::UP | InterfaceFlags::BROADCAST | InterfaceFlags::BCASTOPEN,
            last_ttl: 1,
            num_mcast: 2,
            received: 3,
            sent: 4,
            notsent: 5,
            uptime: 6,
            scopeid: 7,
            ifindex: 8,
            ifnum: 9,
            peercnt: 10,
            family: 2,
            ignore_packets: 1,
            action: 1,
        }
    }

    #[test]
    fn if_stats_offsets() {
        let item = if_stats(
            Ipv4Addr::new(192, 0, 2, 99).into(),
            Ipv4Addr::new(192, 0, 2, 255).into(),
            Ipv4Addr::new(255, 255, 255, 0).into(),
        );
        let counters: Vec<u8> = (1..=10_u32).flat_map(u32::to_be_bytes).collect();
        let common: Vec<(usize, &[u8])> = vec![
            (52, b"eth0"),
            (84, &[0, 0, 0, 0x29]),
            (88, &counters),
            (128, &[0, 2, 1, 1]),
        ];
        let mut full = common.clone();
        full.extend([
            (0, &[192_u8, 0, 2, 99][..]),
            (16, &[192, 0, 2, 255][..]),
            (32, &[255, 255, 255, 0][..]),
        ]);
        both_ways(&item, 136, &at(136, &full));
        // The v4 size keeps only the addresses.
        let short = at(
            48,
            &[
                (0, &[192, 0, 2, 99]),
                (16, &[192, 0, 2, 255]),
                (32, &[255, 255, 255, 0]),
            ],
        );
        assert_eq!(item.encode(48).unwrap(), short);
        let back = IfStatsItem::decode(&short, 48).unwrap();
        assert_eq!(
            (back.unaddr, back.name.len(), back.sent),
            (item.unaddr, 0, 0)
        );

        let a6 = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x99);
        let m6 = Ipv6Addr::new(0xffff, 0xffff, 0xffff, 0xffff, 0, 0, 0, 0);
        let v6 = IfStatsItem {
            family: 10,
            ..if_stats(a6.into(), Ipv6Addr::UNSPECIFIED.into(), m6.into())
        };
        let (a6o, m6o) = (a6.octets(), m6.octets());
        let mut with6 = common;
        with6.extend([
            (0, &a6o[..]),
            (32, &m6o[..]),
            (48, &[0_u8, 0, 0, 1][..]), // network order
            (128, &[0, 10, 1, 1][..]),
        ]);
        both_ways(&v6, 136, &at(136, &with6));
        assert_eq!(v6.encode(48), Err(PrivateError::Ipv6Unsupported));
        assert_eq!(v6.name_lossy(), "eth0");
        every_size(&item);
    }

    #[test]
    fn if_stats_name_without_nul_uses_all_32_octets() {
        let mut item = if_stats(
            Ipv4Addr::LOCALHOST.into(),
            Ipv4Addr::UNSPECIFIED.into(),
            Ipv4Addr::BROADCAST.into(),
        );
        item.name = vec![b'x'; 40];
        let back = IfStatsItem::decode(&item.encode(136).unwrap(), 136).unwrap();
        assert_eq!(back.name, vec![b'x'; 32]);
    }
}
