//! Peer items: `info_peer_list`, `info_peer_summary`, `info_peer`, `info_peer_stats` (§7.5).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::net::IpAddr;

use crate::auth::KeyId;
use crate::error::DecodeError;
use crate::time::{NtpShort, NtpTimestamp};
use crate::wire::Reader;

use super::{InfoFlags, ItemWriter, PrivateItem, ReadExt, extend, family, pick};
use crate::private::PrivateError;

/// The NTP port, which ntpdc puts in peer-list request items.
const NTP_PORT: u16 = 123;

/// `info_peer_list` (32; v4 8): one association in `listpeers`, and the request item naming a
/// peer for `showpeer`/`pstats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerListItem {
    /// Peer address.
    pub addr: IpAddr,
    /// Peer port; in requests the server matches it too, so it must be the peer's port.
    pub port: u16,
    /// Host mode of the association.
    pub hmode: u8,
    /// `config`, `system_peer`, `candidate`, `shortlist` (one octet).
    pub flags: InfoFlags,
}

impl PeerListItem {
    /// The request item ntpdc sends to ask about `addr`: port 123, mode and flags 0.
    #[must_use]
    pub fn query(addr: IpAddr) -> Self {
        Self {
            addr,
            port: NTP_PORT,
            hmode: 0,
            flags: InfoFlags::NONE,
        }
    }
}

impl PrivateItem for PeerListItem {
    const SIZE: usize = 32;
    const V4_SIZE: usize = 8;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let addr = r.ipv4()?;
        let port = r.u16()?;
        let hmode = r.u8()?;
        let flags = InfoFlags(u16::from(r.u8()?));
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let addr6 = r.ipv6()?;
        Ok(Self {
            addr: pick(v6, addr, addr6),
            port,
            hmode,
            flags,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.addr])?;
        let mut w = ItemWriter::new();
        w.addr4(self.addr, v6);
        w.u16(self.port);
        w.u8(self.hmode);
        w.u8(low_octet(self.flags));
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.addr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `info_peer_summary` (72; v4 32): one line of `peers`/`dmpeers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerSummaryItem {
    /// Local address (unspecified when unbound; the broadcast address for broadcast peers).
    pub dstadr: IpAddr,
    /// Peer address.
    pub srcadr: IpAddr,
    /// Peer port.
    pub srcport: u16,
    /// Peer stratum.
    pub stratum: u8,
    /// Host poll exponent (log2 s).
    pub hpoll: i8,
    /// Peer poll exponent (log2 s).
    pub ppoll: i8,
    /// Reachability register.
    pub reach: u8,
    /// Peer flags (one octet).
    pub flags: InfoFlags,
    /// Host mode.
    pub hmode: u8,
    /// Round-trip delay, `s_fp` seconds.
    pub delay: NtpShort,
    /// Clock offset, signed `l_fp` seconds ([`NtpTimestamp::as_offset_seconds`]).
    pub offset: NtpTimestamp,
    /// Dispersion, `u_fp` seconds; ntpd sends the square root of the peer's dispersion.
    pub dispersion: NtpShort,
}

impl PrivateItem for PeerSummaryItem {
    const SIZE: usize = 72;
    const V4_SIZE: usize = 32;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let dstadr = r.ipv4()?;
        let srcadr = r.ipv4()?;
        let srcport = r.u16()?;
        let stratum = r.u8()?;
        let hpoll = r.i8()?;
        let ppoll = r.i8()?;
        let reach = r.u8()?;
        let flags = InfoFlags(u16::from(r.u8()?));
        let hmode = r.u8()?;
        let delay = r.short()?;
        let offset = r.ts()?;
        let dispersion = r.short()?;
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let dstadr6 = r.ipv6()?;
        let srcadr6 = r.ipv6()?;
        Ok(Self {
            dstadr: pick(v6, dstadr, dstadr6),
            srcadr: pick(v6, srcadr, srcadr6),
            srcport,
            stratum,
            hpoll,
            ppoll,
            reach,
            flags,
            hmode,
            delay,
            offset,
            dispersion,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.dstadr, self.srcadr])?;
        let mut w = ItemWriter::new();
        w.addr4(self.dstadr, v6);
        w.addr4(self.srcadr, v6);
        w.u16(self.srcport);
        w.u8(self.stratum);
        w.i8(self.hpoll);
        w.i8(self.ppoll);
        w.u8(self.reach);
        w.u8(low_octet(self.flags));
        w.u8(self.hmode);
        w.short(self.delay);
        w.ts(self.offset);
        w.short(self.dispersion);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.dstadr, v6);
        w.addr6(self.srcadr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `info_peer` (280; v4 240): everything `showpeer` prints about one association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerInfoItem {
    /// Local address.
    pub dstadr: IpAddr,
    /// Peer address.
    pub srcadr: IpAddr,
    /// Peer port.
    pub srcport: u16,
    /// Peer flags (one octet).
    pub flags: InfoFlags,
    /// Leap indicator.
    pub leap: u8,
    /// Host mode.
    pub hmode: u8,
    /// Peer mode (not filled in by 4.2.8p6).
    pub pmode: u8,
    /// Stratum.
    pub stratum: u8,
    /// Peer poll exponent.
    pub ppoll: u8,
    /// Host poll exponent.
    pub hpoll: u8,
    /// Precision exponent.
    pub precision: i8,
    /// NTP version.
    pub version: u8,
    /// Reachability register.
    pub reach: u8,
    /// Unreachable counter.
    pub unreach: u8,
    /// Low 8 bits of the flash (packet test) bits.
    pub flash: u8,
    /// TTL or refclock mode.
    pub ttl: u8,
    /// Flash bits, 16 wide; **host order** on the wire.
    pub flash2: u16,
    /// Association ID.
    pub associd: u16,
    /// Key ID; **host order** on the wire.
    pub keyid: KeyId,
    /// Reference ID as carried in the peer's packets.
    pub refid: [u8; 4],
    /// Poll timer (not filled in by 4.2.8p6).
    pub timer: u32,
    /// Root delay, `s_fp` seconds.
    pub rootdelay: NtpShort,
    /// Root dispersion, `u_fp` seconds.
    pub rootdispersion: NtpShort,
    /// Reference time.
    pub reftime: NtpTimestamp,
    /// Originate timestamp.
    pub org: NtpTimestamp,
    /// Receive timestamp.
    pub rec: NtpTimestamp,
    /// Transmit timestamp.
    pub xmt: NtpTimestamp,
    /// Clock filter delays, `s_fp` seconds, newest first.
    pub filtdelay: [NtpShort; 8],
    /// Clock filter offsets, signed `l_fp` seconds, newest first.
    pub filtoffset: [NtpTimestamp; 8],
    /// Clock filter order indices.
    pub order: [u8; 8],
    /// Delay, `s_fp` seconds.
    pub delay: NtpShort,
    /// Dispersion, `u_fp` seconds (the square root of the peer's dispersion).
    pub dispersion: NtpShort,
    /// Offset, signed `l_fp` seconds.
    pub offset: NtpTimestamp,
    /// Selection dispersion, `u_fp` seconds (the square root of the jitter).
    pub selectdisp: NtpShort,
    /// Estimated broadcast delay, `s_fp` seconds.
    pub estbdelay: NtpShort,
}

impl PrivateItem for PeerInfoItem {
    const SIZE: usize = 280;
    const V4_SIZE: usize = 240;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let dstadr = r.ipv4()?;
        let srcadr = r.ipv4()?;
        let srcport = r.u16()?;
        let [flags, leap, hmode, pmode, stratum, ppoll, hpoll, precision] = r.take::<8>()?;
        let [version, _unused8, reach, unreach, flash, ttl] = r.take::<6>()?;
        let flash2 = r.u16_le()?;
        let associd = r.u16()?;
        let keyid = KeyId(r.u32_le()?);
        r.skip(4)?; // pkeyid: not filled in
        let refid = r.take::<4>()?;
        let timer = r.u32()?;
        let rootdelay = r.short()?;
        let rootdispersion = r.short()?;
        let reftime = r.ts()?;
        let org = r.ts()?;
        let rec = r.ts()?;
        let xmt = r.ts()?;
        let mut filtdelay = [NtpShort::default(); 8];
        for slot in &mut filtdelay {
            *slot = r.short()?;
        }
        let mut filtoffset = [NtpTimestamp::ZERO; 8];
        for slot in &mut filtoffset {
            *slot = r.ts()?;
        }
        let order = r.take::<8>()?;
        let delay = r.short()?;
        let dispersion = r.short()?;
        let offset = r.ts()?;
        let selectdisp = r.short()?;
        r.skip(28)?;
        let estbdelay = r.short()?;
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let dstadr6 = r.ipv6()?;
        let srcadr6 = r.ipv6()?;
        Ok(Self {
            dstadr: pick(v6, dstadr, dstadr6),
            srcadr: pick(v6, srcadr, srcadr6),
            srcport,
            flags: InfoFlags(u16::from(flags)),
            leap,
            hmode,
            pmode,
            stratum,
            ppoll,
            hpoll,
            precision: i8::from_be_bytes([precision]),
            version,
            reach,
            unreach,
            flash,
            ttl,
            flash2,
            associd,
            keyid,
            refid,
            timer,
            rootdelay,
            rootdispersion,
            reftime,
            org,
            rec,
            xmt,
            filtdelay,
            filtoffset,
            order,
            delay,
            dispersion,
            offset,
            selectdisp,
            estbdelay,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.dstadr, self.srcadr])?;
        let mut w = ItemWriter::new();
        w.addr4(self.dstadr, v6);
        w.addr4(self.srcadr, v6);
        w.u16(self.srcport);
        w.u8(low_octet(self.flags));
        w.bytes(&[self.leap, self.hmode, self.pmode, self.stratum]);
        w.bytes(&[self.ppoll, self.hpoll]);
        w.i8(self.precision);
        w.bytes(&[
            self.version,
            0,
            self.reach,
            self.unreach,
            self.flash,
            self.ttl,
        ]);
        w.u16_le(self.flash2);
        w.u16(self.associd);
        w.u32_le(self.keyid.0);
        w.zeros(4);
        w.bytes(&self.refid);
        w.u32(self.timer);
        w.short(self.rootdelay);
        w.short(self.rootdispersion);
        for ts in [self.reftime, self.org, self.rec, self.xmt] {
            w.ts(ts);
        }
        for d in self.filtdelay {
            w.short(d);
        }
        for o in self.filtoffset {
            w.ts(o);
        }
        w.bytes(&self.order);
        w.short(self.delay);
        w.short(self.dispersion);
        w.ts(self.offset);
        w.short(self.selectdisp);
        w.zeros(28);
        w.short(self.estbdelay);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.dstadr, v6);
        w.addr6(self.srcadr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `info_peer_stats` (120; v4 80): the counters `pstats` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerStatsItem {
    /// Local address.
    pub dstadr: IpAddr,
    /// Peer address.
    pub srcadr: IpAddr,
    /// Peer port.
    pub srcport: u16,
    /// Peer flags, 16 bits wide (can hold `iburst`).
    pub flags: InfoFlags,
    /// Seconds since the counters were reset (not filled in by 4.2.8).
    pub timereset: u32,
    /// Seconds since the last packet was received.
    pub timereceived: u32,
    /// Seconds until the next send.
    pub timetosend: u32,
    /// Seconds since the reachability changed.
    pub timereachable: u32,
    /// Packets sent.
    pub sent: u32,
    /// Packets processed (ntpdc: "packets received").
    pub processed: u32,
    /// Packets failing authentication.
    pub badauth: u32,
    /// Packets with a bogus origin timestamp.
    pub bogusorg: u32,
    /// Duplicate packets.
    pub oldpkt: u32,
    /// Bad dispersion.
    pub seldisp: u32,
    /// Bad reference time.
    pub selbroken: u32,
    /// Selection status (candidate order) 0..7.
    pub candidate: u8,
}

impl PrivateItem for PeerStatsItem {
    const SIZE: usize = 120;
    const V4_SIZE: usize = 80;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let dstadr = r.ipv4()?;
        let srcadr = r.ipv4()?;
        let srcport = r.u16()?;
        let flags = InfoFlags(r.u16()?);
        let timereset = r.u32()?;
        let timereceived = r.u32()?;
        let timetosend = r.u32()?;
        let timereachable = r.u32()?;
        let sent = r.u32()?;
        r.skip(4)?;
        let processed = r.u32()?;
        r.skip(4)?;
        let badauth = r.u32()?;
        let bogusorg = r.u32()?;
        let oldpkt = r.u32()?;
        r.skip(8)?;
        let seldisp = r.u32()?;
        let selbroken = r.u32()?;
        r.skip(4)?;
        let candidate = r.u8()?;
        r.skip(3)?;
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let dstadr6 = r.ipv6()?;
        let srcadr6 = r.ipv6()?;
        Ok(Self {
            dstadr: pick(v6, dstadr, dstadr6),
            srcadr: pick(v6, srcadr, srcadr6),
            srcport,
            flags,
            timereset,
            timereceived,
            timetosend,
            timereachable,
            sent,
            processed,
            badauth,
            bogusorg,
            oldpkt,
            seldisp,
            selbroken,
            candidate,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.dstadr, self.srcadr])?;
        let mut w = ItemWriter::new();
        w.addr4(self.dstadr, v6);
        w.addr4(self.srcadr, v6);
        w.u16(self.srcport);
        w.u16(self.flags.0);
        for v in [
            self.timereset,
            self.timereceived,
            self.timetosend,
            self.timereachable,
            self.sent,
            0,
            self.processed,
            0,
            self.badauth,
            self.bogusorg,
            self.oldpkt,
            0,
            0,
            self.seldisp,
            self.selbroken,
            0,
        ] {
            w.u32(v);
        }
        w.u8(self.candidate);
        w.zeros(3);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.dstadr, v6);
        w.addr6(self.srcadr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// The low octet of a flag set, for the one-octet flag fields.
fn low_octet(flags: InfoFlags) -> u8 {
    let [_, low] = flags.0.to_be_bytes();
    low
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::testing::{at, both_ways, every_size};
    use std::net::{Ipv4Addr, Ipv6Addr};

    const DST4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 99);
    const SRC4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
    const DST6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x99);
    const SRC6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 3, 4, 5, 6);

    #[test]
    fn peer_list_both_sizes() {
        let v4 = PeerListItem {
            addr: SRC4.into(),
            port: 123,
            hmode: 3,
            flags: InfoFlags::CONFIG | InfoFlags::SYSPEER,
        };
        let head: &[u8] = &[198, 51, 100, 7, 0x00, 0x7b, 3, 0x03];
        both_ways(&v4, 8, head);
        both_ways(&v4, 32, &at(32, &[(0, head)]));
        let v6 = PeerListItem {
            addr: SRC6.into(),
            ..v4
        };
        both_ways(
            &v6,
            32,
            &at(
                32,
                &[
                    (4, &[0x00, 0x7b, 3, 0x03]),
                    (8, &[1, 0, 0, 0]),
                    (16, &SRC6.octets()),
                ],
            ),
        );
        assert_eq!(v6.encode(8), Err(PrivateError::Ipv6Unsupported));
        assert_eq!(PeerListItem::query(SRC4.into()).port, 123);
    }

    fn summary(dst: IpAddr, src: IpAddr) -> PeerSummaryItem {
        PeerSummaryItem {
            dstadr: dst,
            srcadr: src,
            srcport: 123,
            stratum: 2,
            hpoll: 6,
            ppoll: -3,
            reach: 0o377,
            flags: InfoFlags::SYSPEER | InfoFlags::SHORTLIST,
            hmode: 3,
            delay: NtpShort(0x0000_0a3d),
            offset: NtpTimestamp::from_bits(0xffff_ffff_f000_0000),
            dispersion: NtpShort(0x0001_8000),
        }
    }

    #[test]
    fn peer_summary_offsets() {
        let item = summary(DST4.into(), SRC4.into());
        let body: &[u8] = &[
            192, 0, 2, 99, // 0 dstadr
            198, 51, 100, 7, // 4 srcadr
            0x00, 0x7b, // 8 srcport
            2,    // 10 stratum
            6,    // 11 hpoll
            0xfd, // 12 ppoll
            0xff, // 13 reach
            0x82, // 14 flags
            3,    // 15 hmode
            0x00, 0x00, 0x0a, 0x3d, // 16 delay
            0xff, 0xff, 0xff, 0xff, 0xf0, 0x00, 0x00, 0x00, // 20 offset
            0x00, 0x01, 0x80, 0x00, // 28 dispersion
        ];
        both_ways(&item, 32, body);
        both_ways(&item, 72, &at(72, &[(0, body)]));
        let v6 = summary(DST6.into(), SRC6.into());
        both_ways(
            &v6,
            72,
            &at(
                72,
                &[
                    (8, &body[8..32]),
                    (32, &[1, 0, 0, 0]),
                    (40, &DST6.octets()),
                    (56, &SRC6.octets()),
                ],
            ),
        );
        assert!((item.offset.as_offset_seconds() + 0.0625).abs() < 1e-12);
        let mixed = summary(DST4.into(), SRC6.into());
        assert_eq!(mixed.encode(72), Err(PrivateError::MixedFamilies));
        // An unbound IPv6 association has an all-zero local address.
        let unbound = summary(Ipv4Addr::UNSPECIFIED.into(), SRC6.into());
        let back = PeerSummaryItem::decode(&unbound.encode(72).unwrap(), 72).unwrap();
        assert_eq!(back.dstadr, IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    }

    fn peer_info(dst: IpAddr, src: IpAddr) -> PeerInfoItem {
        PeerInfoItem {
            dstadr: dst,
            srcadr: src,
            srcport: 123,
            flags: InfoFlags::CONFIG | InfoFlags::AUTHENABLE,
            leap: 1,
            hmode: 3,
            pmode: 4,
            stratum: 2,
            ppoll: 7,
            hpoll: 6,
            precision: -23,
            version: 4,
            reach: 0xfe,
            unreach: 5,
            flash: 0x40,
            ttl: 9,
            flash2: 0x0240,
            associd: 0xbeef,
            keyid: KeyId(0x0102_0304),
            refid: *b"GPS\0",
            timer: 64,
            rootdelay: NtpShort(0x11),
            rootdispersion: NtpShort(0x22),
            reftime: NtpTimestamp::new(0xe4a1_b2c3, 1),
            org: NtpTimestamp::new(0xe4a1_b2c4, 2),
            rec: NtpTimestamp::new(0xe4a1_b2c5, 3),
            xmt: NtpTimestamp::new(0xe4a1_b2c6, 4),
            filtdelay: [0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107, 0x108].map(NtpShort),
            filtoffset: [1, 2, 3, 4, 5, 6, 7, 8].map(|i| NtpTimestamp::new(0, i)),
            order: [7, 6, 5, 4, 3, 2, 1, 0],
            delay: NtpShort(0x33),
            dispersion: NtpShort(0x44),
            offset: NtpTimestamp::new(0xffff_ffff, 0x8000_0000),
            selectdisp: NtpShort(0x55),
            estbdelay: NtpShort(0x66),
        }
    }

    #[test]
    fn peer_info_offsets() {
        let item = peer_info(DST4.into(), SRC4.into());
        let mut fields: Vec<(usize, Vec<u8>)> = vec![
            (0, vec![192, 0, 2, 99]),
            (4, vec![198, 51, 100, 7]),
            (8, vec![0, 123]),
            (10, vec![0x21, 1, 3, 4, 2, 7, 6, 0xe9, 4]),
            (20, vec![0xfe, 5, 0x40, 9]),
            (24, vec![0x40, 0x02]), // flash2, little-endian
            (26, vec![0xbe, 0xef]),
            (28, vec![0x04, 0x03, 0x02, 0x01]), // keyid, little-endian
            (36, b"GPS\0".to_vec()),
            (40, vec![0, 0, 0, 64]),
            (44, vec![0, 0, 0, 0x11]),
            (48, vec![0, 0, 0, 0x22]),
            (52, vec![0xe4, 0xa1, 0xb2, 0xc3, 0, 0, 0, 1]),
            (60, vec![0xe4, 0xa1, 0xb2, 0xc4, 0, 0, 0, 2]),
            (68, vec![0xe4, 0xa1, 0xb2, 0xc5, 0, 0, 0, 3]),
            (76, vec![0xe4, 0xa1, 0xb2, 0xc6, 0, 0, 0, 4]),
            (180, vec![7, 6, 5, 4, 3, 2, 1, 0]),
            (188, vec![0, 0, 0, 0x33]),
            (192, vec![0, 0, 0, 0x44]),
            (196, vec![0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0]),
            (204, vec![0, 0, 0, 0x55]),
            (236, vec![0, 0, 0, 0x66]),
        ];
        for i in 0..8_u8 {
            fields.push((84 + 4 * usize::from(i), vec![0, 0, 1, 1 + i]));
            fields.push((116 + 8 * usize::from(i), vec![0, 0, 0, 0, 0, 0, 0, 1 + i]));
        }
        let refs: Vec<(usize, &[u8])> = fields.iter().map(|(o, v)| (*o, v.as_slice())).collect();
        both_ways(&item, 240, &at(240, &refs));
        both_ways(&item, 280, &at(280, &refs));

        let v6 = peer_info(DST6.into(), SRC6.into());
        let mut refs6: Vec<(usize, &[u8])> = refs.iter().skip(2).copied().collect();
        let (dst6, src6) = (DST6.octets(), SRC6.octets());
        refs6.extend([
            (240, &[1_u8, 0, 0, 0][..]),
            (248, &dst6[..]),
            (264, &src6[..]),
        ]);
        both_ways(&v6, 280, &at(280, &refs6));
        assert_eq!(v6.encode(240), Err(PrivateError::Ipv6Unsupported));
    }

    fn peer_stats(dst: IpAddr, src: IpAddr) -> PeerStatsItem {
        PeerStatsItem {
            dstadr: dst,
            srcadr: src,
            srcport: 123,
            flags: InfoFlags::IBURST | InfoFlags::CONFIG,
            timereset: 1,
            timereceived: 2,
            timetosend: 3,
            timereachable: 4,
            sent: 5,
            processed: 6,
            badauth: 7,
            bogusorg: 8,
            oldpkt: 9,
            seldisp: 10,
            selbroken: 11,
            candidate: 6,
        }
    }

    #[test]
    fn peer_stats_offsets() {
        let item = peer_stats(DST4.into(), SRC4.into());
        let fields: &[(usize, &[u8])] = &[
            (0, &[192, 0, 2, 99]),
            (4, &[198, 51, 100, 7]),
            (8, &[0, 123, 0x01, 0x01]),
            (12, &[0, 0, 0, 1]),
            (16, &[0, 0, 0, 2]),
            (20, &[0, 0, 0, 3]),
            (24, &[0, 0, 0, 4]),
            (28, &[0, 0, 0, 5]),
            (36, &[0, 0, 0, 6]),
            (44, &[0, 0, 0, 7]),
            (48, &[0, 0, 0, 8]),
            (52, &[0, 0, 0, 9]),
            (64, &[0, 0, 0, 10]),
            (68, &[0, 0, 0, 11]),
            (76, &[6]),
        ];
        both_ways(&item, 80, &at(80, fields));
        both_ways(&item, 120, &at(120, fields));
        let v6 = peer_stats(DST6.into(), SRC6.into());
        let mut f6: Vec<(usize, &[u8])> = fields[2..].to_vec();
        let (d, s) = (DST6.octets(), SRC6.octets());
        f6.extend([(80, &[1_u8, 0, 0, 0][..]), (88, &d[..]), (104, &s[..])]);
        both_ways(&v6, 120, &at(120, &f6));
    }

    #[test]
    fn every_size_round_trips() {
        every_size(&summary(DST6.into(), SRC6.into()));
        every_size(&summary(DST4.into(), SRC4.into()));
        every_size(&peer_info(DST4.into(), SRC4.into()));
        every_size(&peer_stats(DST6.into(), SRC6.into()));
        every_size(&PeerListItem::query(SRC6.into()));
    }

    #[test]
    fn big_endian_v6_flag_is_ipv6_too() {
        let mut bytes = at(32, &[(8, &[0, 0, 0, 1]), (16, &SRC6.octets())]);
        let item = PeerListItem::decode(&bytes, 32).unwrap();
        assert_eq!(item.addr, IpAddr::V6(SRC6));
        bytes[8..12].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(
            PeerListItem::decode(&bytes, 32).unwrap().addr,
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        );
    }
}
