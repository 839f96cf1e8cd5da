//! Request items (§7.6): `conf_peer`, `conf_unpeer`, `conf_sys_flags`, `reset_flags`,
//! `conf_trap`, `conf_fudge`, key-ID items and clock addresses.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::net::{IpAddr, Ipv4Addr};

use crate::auth::KeyId;
use crate::error::DecodeError;
use crate::private::{Implementation, PrivateError, PrivateRequest, RequestCode};
use crate::time::NtpTimestamp;
use crate::wire::Reader;

use super::{
    ConfPeerFlags, ItemWriter, PrivateItem, ReadExt, ResetFlags, SysFlags, extend, family, pick,
};

/// `conf_peer` (168; v4 144) and `old_conf_peer` (16): the item of `addpeer`, `addserver`,
/// `addrefclock` and `broadcast`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfPeerItem {
    /// Peer address (127.127.t.u for reference clocks).
    pub peeraddr: IpAddr,
    /// Host mode: 1 active (`addpeer`), 3 client (`addserver`, `addrefclock`), 5 broadcast.
    pub hmode: u8,
    /// NTP version (ntpdc default 3).
    pub version: u8,
    /// Minimum poll exponent (ntpdc default 6).
    pub minpoll: u8,
    /// Maximum poll exponent (ntpdc default 10).
    pub maxpoll: u8,
    /// Configuration flags; ntpdc sets `authenable` whenever `keyid` is non-zero.
    pub flags: ConfPeerFlags,
    /// TTL (broadcast/manycast) or reference clock mode.
    pub ttl: u8,
    /// Key ID; **host order** on the wire.
    pub keyid: KeyId,
}

impl ConfPeerItem {
    /// `sizeof(struct old_conf_peer)`: the first 16 octets, which ntpdc retries with after a
    /// format error.
    pub const OLD_SIZE: usize = 16;
}

impl PrivateItem for ConfPeerItem {
    const SIZE: usize = 168;
    const V4_SIZE: usize = 144;
    const SIZES: &'static [usize] = &[168, 144, Self::OLD_SIZE];

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let peeraddr = r.ipv4()?;
        let [hmode, version, minpoll, maxpoll, flags, ttl] = r.take::<6>()?;
        r.skip(2)?;
        let keyid = KeyId(r.u32_le()?);
        r.skip(128)?; // keystr: unused
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let peeraddr6 = r.ipv6()?;
        Ok(Self {
            peeraddr: pick(v6, peeraddr, peeraddr6),
            hmode,
            version,
            minpoll,
            maxpoll,
            flags: ConfPeerFlags(flags),
            ttl,
            keyid,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.peeraddr])?;
        let mut w = ItemWriter::new();
        w.addr4(self.peeraddr, v6);
        w.bytes(&[
            self.hmode,
            self.version,
            self.minpoll,
            self.maxpoll,
            self.flags.0,
            self.ttl,
        ]);
        w.zeros(2);
        w.u32_le(self.keyid.0);
        w.zeros(128);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.peeraddr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `conf_unpeer` (24; v4 4): an association to remove (`unconfig`) or reset (`preset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfUnpeerItem {
    /// Peer address.
    pub peeraddr: IpAddr,
}

impl PrivateItem for ConfUnpeerItem {
    const SIZE: usize = 24;
    const V4_SIZE: usize = 4;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let addr = r.ipv4()?;
        let v6 = r.v6_flag()?;
        let addr6 = r.ipv6()?;
        Ok(Self {
            peeraddr: pick(v6, addr, addr6),
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.peeraddr])?;
        let mut w = ItemWriter::new();
        w.addr4(self.peeraddr, v6);
        w.v6_flag(v6);
        w.addr6(self.peeraddr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `conf_sys_flags` (4): the flags `enable`/`disable` set or clear. Exactly one item per
/// request; unknown bits are a format error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ConfSysFlagsItem {
    /// The flags.
    pub flags: SysFlags,
}

impl PrivateItem for ConfSysFlagsItem {
    const SIZE: usize = 4;
    const V4_SIZE: usize = 4;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        Ok(Self {
            flags: SysFlags(Reader::new(&buf).u32()?),
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.u32(self.flags.0);
        w.finish::<Self>(size, false)
    }
}

/// `reset_flags` (4): the counters `reset` clears. One item per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ResetFlagsItem {
    /// The flags.
    pub flags: ResetFlags,
}

impl PrivateItem for ResetFlagsItem {
    const SIZE: usize = 4;
    const V4_SIZE: usize = 4;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        Ok(Self {
            flags: ResetFlags(Reader::new(&buf).u32()?),
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.u32(self.flags.0);
        w.finish::<Self>(size, false)
    }
}

/// `conf_trap` (48; v4 12): the item of `addtrap` and `clrtrap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfTrapItem {
    /// Local interface address; unspecified = any interface.
    pub local_address: IpAddr,
    /// Trap receiver address.
    pub trap_address: IpAddr,
    /// Trap receiver port; 0 means the default 18447, which ntpdc sends explicitly.
    pub trap_port: u16,
}

impl ConfTrapItem {
    /// `TRAPPORT`, ntpdc's default trap port.
    pub const DEFAULT_PORT: u16 = 18447;
}

impl PrivateItem for ConfTrapItem {
    const SIZE: usize = 48;
    const V4_SIZE: usize = 12;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let local = r.ipv4()?;
        let trap = r.ipv4()?;
        let trap_port = r.u16()?;
        r.skip(2)?;
        let v6 = r.v6_flag()?;
        let local6 = r.ipv6()?;
        let trap6 = r.ipv6()?;
        Ok(Self {
            local_address: pick(v6, local, local6),
            trap_address: pick(v6, trap, trap6),
            trap_port,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.local_address, self.trap_address])?;
        let mut w = ItemWriter::new();
        w.addr4(self.local_address, v6);
        w.addr4(self.trap_address, v6);
        w.u16(self.trap_port);
        w.zeros(2);
        w.v6_flag(v6);
        w.addr6(self.local_address, v6);
        w.addr6(self.trap_address, v6);
        w.finish::<Self>(size, v6)
    }
}

/// Which fudge factor `conf_fudge` sets (`FUDGE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FudgeWhich {
    /// `time1` (1): `fudgetime` is used.
    Time1,
    /// `time2` (2): `fudgetime` is used.
    Time2,
    /// `val1` (3): stratum, in `value`.
    Val1,
    /// `val2` (4): reference ID, in `value`.
    Val2,
    /// `flags` (5): the low 4 bits of `value`.
    Flags,
    /// Any other value.
    Unknown(u32),
}

impl From<u32> for FudgeWhich {
    fn from(value: u32) -> Self {
        match value {
            1 => Self::Time1,
            2 => Self::Time2,
            3 => Self::Val1,
            4 => Self::Val2,
            5 => Self::Flags,
            other => Self::Unknown(other),
        }
    }
}

impl From<FudgeWhich> for u32 {
    fn from(value: FudgeWhich) -> Self {
        match value {
            FudgeWhich::Time1 => 1,
            FudgeWhich::Time2 => 2,
            FudgeWhich::Val1 => 3,
            FudgeWhich::Val2 => 4,
            FudgeWhich::Flags => 5,
            FudgeWhich::Unknown(other) => other,
        }
    }
}

/// `conf_fudge` (20): the item of `fudge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfFudgeItem {
    /// Reference clock address 127.127.t.u (must exist).
    pub clockadr: Ipv4Addr,
    /// The factor to set.
    pub which: FudgeWhich,
    /// Time fudge, signed `l_fp` seconds (for `time1`/`time2`).
    pub fudgetime: NtpTimestamp,
    /// Value or flags (for `val1`, `val2`, `flags`).
    pub value: u32,
}

impl PrivateItem for ConfFudgeItem {
    const SIZE: usize = 20;
    const V4_SIZE: usize = 20;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        Ok(Self {
            clockadr: r.ipv4()?,
            which: r.u32()?.into(),
            fudgetime: r.ts()?,
            value: r.u32()?,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.bytes(&self.clockadr.octets());
        w.u32(self.which.into());
        w.ts(self.fudgetime);
        w.u32(self.value);
        w.finish::<Self>(size, false)
    }
}

/// The server's `sizeof(u_long)`, which sizes key-ID items (§7.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ServerLong {
    /// 8 octets: 64-bit Unix ntpd (the usual case).
    #[default]
    Lp64,
    /// 4 octets: 32-bit or Windows ntpd.
    Ilp32,
}

impl ServerLong {
    /// Octets in a `u_long` on the server.
    #[must_use]
    pub const fn octets(self) -> usize {
        match self {
            Self::Lp64 => 8,
            Self::Ilp32 => 4,
        }
    }
}

/// The item of `requestkey` and `controlkey`: a network-order key ID at offset 0 of an item
/// sized by the server's `u_long` ([`ServerLong::octets`]: 8 or 4).
///
/// ntpdc 4.2.8 always sends 4 octets, which a 64-bit ntpd rejects with a format error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KeyIdItem {
    /// The key ID.
    pub keyid: KeyId,
}

impl PrivateItem for KeyIdItem {
    const SIZE: usize = 8;
    const V4_SIZE: usize = 4;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        Ok(Self {
            keyid: KeyId(Reader::new(&buf).u32()?),
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.u32(self.keyid.0);
        w.zeros(4);
        w.finish::<Self>(size, false)
    }
}

/// The items of `trustedkey` and `untrustedkey`.
///
/// ntpd reads `nitems` host-order u32 key IDs at a 4-octet stride from the start of the data,
/// whatever `itemsize` says, yet insists that `itemsize` equals its `sizeof(u_long)`. So a
/// correct request to a little-endian ntpd declares `itemsize` 8 (or 4) and carries the key IDs
/// as consecutive little-endian u32s (ntpdc itself sends native `u_long`s, which a 64-bit ntpd
/// misreads after the first key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TrustKeyList {
    /// The key IDs.
    pub keys: Vec<KeyId>,
}

impl TrustKeyList {
    /// The request for `code` ([`RequestCode::TrustKey`] or [`RequestCode::UntrustKey`]).
    ///
    /// # Errors
    /// More than 4095 keys.
    pub fn request(
        &self,
        implementation: Implementation,
        code: RequestCode,
        long: ServerLong,
    ) -> Result<PrivateRequest, PrivateError> {
        let data = self.keys.iter().flat_map(|k| k.0.to_le_bytes()).collect();
        PrivateRequest::with_raw_items(implementation, code, long.octets(), self.keys.len(), data)
    }

    /// The key IDs a little-endian ntpd reads from request data holding `nitems` items.
    ///
    /// # Errors
    /// The data is shorter than `4 · nitems` octets.
    pub fn from_request_data(data: &[u8], nitems: usize) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data);
        let keys = (0..nitems)
            .map(|_| r.u32_le().map(KeyId))
            .collect::<Result<_, _>>()?;
        Ok(Self { keys })
    }
}

/// A reference clock address (4 octets, network order) for `clockstat` and `clkbug`; up to 8
/// per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockAddrItem {
    /// 127.127.t.u.
    pub addr: Ipv4Addr,
}

impl PrivateItem for ClockAddrItem {
    const SIZE: usize = 4;
    const V4_SIZE: usize = 4;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        Ok(Self {
            addr: Reader::new(&buf).ipv4()?,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.bytes(&self.addr.octets());
        w.finish::<Self>(size, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::testing::{at, both_ways, every_size};
    use std::net::Ipv6Addr;

    const PEER6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x123);

    fn conf_peer(addr: IpAddr) -> ConfPeerItem {
        ConfPeerItem {
            peeraddr: addr,
            hmode: 3,
            version: 4,
            minpoll: 6,
            maxpoll: 10,
            flags: ConfPeerFlags::AUTHENABLE | ConfPeerFlags::IBURST,
            ttl: 0,
            keyid: KeyId(0x0000_0102),
        }
    }

    #[test]
    fn conf_peer_three_sizes() {
        let item = conf_peer(Ipv4Addr::new(192, 0, 2, 7).into());
        let head: &[u8] = &[
            192, 0, 2, 7, // 0 peeraddr
            3, 4, 6, 10, 0x09, 0, // 4 hmode version minpoll maxpoll flags ttl
            0, 0, // 10 unused
            0x02, 0x01, 0, 0, // 12 keyid, little-endian
        ];
        both_ways(&item, 16, head);
        both_ways(&item, 144, &at(144, &[(0, head)]));
        both_ways(&item, 168, &at(168, &[(0, head)]));
        let v6 = conf_peer(PEER6.into());
        both_ways(
            &v6,
            168,
            &at(
                168,
                &[
                    (4, &head[4..]),
                    (144, &[1, 0, 0, 0]),
                    (152, &PEER6.octets()),
                ],
            ),
        );
        for size in [144, 16] {
            assert_eq!(v6.encode(size), Err(PrivateError::Ipv6Unsupported));
        }
        assert!(matches!(
            item.encode(24),
            Err(PrivateError::ItemSize { size: 24, .. })
        ));
        every_size(&item);
    }

    #[test]
    fn conf_unpeer_offsets() {
        let v4 = ConfUnpeerItem {
            peeraddr: Ipv4Addr::new(192, 0, 2, 7).into(),
        };
        both_ways(&v4, 4, &[192, 0, 2, 7]);
        both_ways(&v4, 24, &at(24, &[(0, &[192, 0, 2, 7])]));
        let v6 = ConfUnpeerItem {
            peeraddr: PEER6.into(),
        };
        both_ways(
            &v6,
            24,
            &at(24, &[(4, &[1, 0, 0, 0]), (8, &PEER6.octets())]),
        );
    }

    #[test]
    fn flag_items_are_network_order() {
        both_ways(
            &ConfSysFlagsItem {
                flags: SysFlags::MONITOR | SysFlags::AUTH,
            },
            4,
            &[0, 0, 0, 0x50],
        );
        both_ways(
            &ResetFlagsItem {
                flags: ResetFlags::SYS,
            },
            4,
            &[0, 0, 0, 4],
        );
    }

    #[test]
    fn conf_trap_offsets() {
        let item = ConfTrapItem {
            local_address: Ipv4Addr::UNSPECIFIED.into(),
            trap_address: Ipv4Addr::new(192, 0, 2, 50).into(),
            trap_port: ConfTrapItem::DEFAULT_PORT,
        };
        let v4: &[u8] = &[0, 0, 0, 0, 192, 0, 2, 50, 0x48, 0x0f, 0, 0];
        both_ways(&item, 12, v4);
        both_ways(&item, 48, &at(48, &[(0, v4)]));
        let v6 = ConfTrapItem {
            local_address: Ipv6Addr::UNSPECIFIED.into(),
            trap_address: PEER6.into(),
            trap_port: 18447,
        };
        both_ways(
            &v6,
            48,
            &at(
                48,
                &[
                    (8, &[0x48, 0x0f]),
                    (12, &[1, 0, 0, 0]),
                    (32, &PEER6.octets()),
                ],
            ),
        );
        // A wildcard IPv4 local address goes along with an IPv6 trap address.
        let wildcard = ConfTrapItem {
            local_address: Ipv4Addr::UNSPECIFIED.into(),
            ..v6
        };
        assert_eq!(wildcard.encode(48).unwrap(), v6.encode(48).unwrap());
    }

    #[test]
    fn conf_fudge_layout() {
        let item = ConfFudgeItem {
            clockadr: Ipv4Addr::new(127, 127, 1, 0),
            which: FudgeWhich::Time1,
            fudgetime: NtpTimestamp::new(0, 0x8000_0000),
            value: 0,
        };
        both_ways(
            &item,
            20,
            &[
                127, 127, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0,
            ],
        );
        for v in 0..8 {
            assert_eq!(u32::from(FudgeWhich::from(v)), v);
        }
        assert_eq!(FudgeWhich::from(6), FudgeWhich::Unknown(6));
    }

    #[test]
    fn key_items() {
        let item = KeyIdItem { keyid: KeyId(258) };
        both_ways(&item, 8, &[0, 0, 1, 2, 0, 0, 0, 0]);
        both_ways(&item, 4, &[0, 0, 1, 2]);
        assert_eq!(ServerLong::Lp64.octets(), 8);
        assert_eq!(ServerLong::Ilp32.octets(), 4);

        let list = TrustKeyList {
            keys: vec![KeyId(1), KeyId(0x0102)],
        };
        let req = list
            .request(
                Implementation::Xntpd,
                RequestCode::TrustKey,
                ServerLong::Lp64,
            )
            .unwrap();
        assert_eq!((req.itemsize, req.nitems), (8, 2));
        assert_eq!(req.items, [1, 0, 0, 0, 0x02, 0x01, 0, 0]);
        let wire = req.encode().unwrap();
        assert_eq!(&wire[4..16], &[0, 2, 0, 8, 1, 0, 0, 0, 2, 1, 0, 0]);
        assert_eq!(
            TrustKeyList::from_request_data(&wire[8..], 2).unwrap(),
            list
        );
        let ilp32 = list
            .request(
                Implementation::Xntpd,
                RequestCode::UntrustKey,
                ServerLong::Ilp32,
            )
            .unwrap();
        assert_eq!((ilp32.itemsize, ilp32.items.len()), (4, 8));
        assert!(TrustKeyList::from_request_data(&[1, 0, 0], 1).is_err());
    }

    #[test]
    fn clock_addresses() {
        let item = ClockAddrItem {
            addr: Ipv4Addr::new(127, 127, 20, 1),
        };
        both_ways(&item, 4, &[127, 127, 20, 1]);
        let req = PrivateRequest::with_items(
            Implementation::Xntpd,
            RequestCode::GetClockInfo,
            &[item, item],
            4,
        )
        .unwrap();
        assert_eq!((req.nitems, req.itemsize, req.items.len()), (2, 4, 8));
    }
}
