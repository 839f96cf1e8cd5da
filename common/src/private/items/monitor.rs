//! Monitor list items: `info_monitor_1`, `info_monitor` and `old_info_monitor` (§7.5).
//!
//! ntpd 4.2.8 no longer answers `monlist` (always INFO_ERR_NODATA); these layouts are for
//! older servers. The response's item size tells which struct was sent.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::net::IpAddr;

use crate::error::DecodeError;
use crate::private::{PrivateError, PrivateResponse};
use crate::wire::Reader;

use super::{ItemWriter, PrivateItem, ReadExt, extend, family, pick};

/// `info_monitor_1` (72; v4 32): a `monlist` entry from `REQ_MON_GETLIST_1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonitorItem1 {
    /// Average interval between packets, seconds.
    pub avg_int: u32,
    /// Seconds since the last packet.
    pub last_int: u32,
    /// Restriction flags (`RES_*` bits) applied to the client.
    pub restr: u32,
    /// Packets seen.
    pub count: u32,
    /// Client address.
    pub addr: IpAddr,
    /// Local address the packets arrived on.
    pub daddr: IpAddr,
    /// Entry flags.
    pub flags: u32,
    /// Client port.
    pub port: u16,
    /// Mode of the last packet.
    pub mode: u8,
    /// Version of the last packet.
    pub version: u8,
}

impl PrivateItem for MonitorItem1 {
    const SIZE: usize = 72;
    const V4_SIZE: usize = 32;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let avg_int = r.u32()?;
        let last_int = r.u32()?;
        let restr = r.u32()?;
        let count = r.u32()?;
        let addr = r.ipv4()?;
        let daddr = r.ipv4()?;
        let flags = r.u32()?;
        let port = r.u16()?;
        let mode = r.u8()?;
        let version = r.u8()?;
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let addr6 = r.ipv6()?;
        let daddr6 = r.ipv6()?;
        Ok(Self {
            avg_int,
            last_int,
            restr,
            count,
            addr: pick(v6, addr, addr6),
            daddr: pick(v6, daddr, daddr6),
            flags,
            port,
            mode,
            version,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.addr, self.daddr])?;
        let mut w = ItemWriter::new();
        for v in [self.avg_int, self.last_int, self.restr, self.count] {
            w.u32(v);
        }
        w.addr4(self.addr, v6);
        w.addr4(self.daddr, v6);
        w.u32(self.flags);
        w.u16(self.port);
        w.u8(self.mode);
        w.u8(self.version);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.addr, v6);
        w.addr6(self.daddr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `info_monitor` (48; v4 24): a `monlist` entry from `REQ_MON_GETLIST`.
///
/// xntp3 sent a different 24-octet struct (last time, first time, last drop, …) under the same
/// request; like ntpdc 4.2.8, this type reads it with the 4.x field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MonitorItem {
    /// Average interval between packets, seconds.
    pub avg_int: u32,
    /// Seconds since the last packet.
    pub last_int: u32,
    /// Restriction flags applied to the client.
    pub restr: u32,
    /// Packets seen.
    pub count: u32,
    /// Client address.
    pub addr: IpAddr,
    /// Client port.
    pub port: u16,
    /// Mode of the last packet.
    pub mode: u8,
    /// Version of the last packet.
    pub version: u8,
}

impl PrivateItem for MonitorItem {
    const SIZE: usize = 48;
    const V4_SIZE: usize = 24;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let avg_int = r.u32()?;
        let last_int = r.u32()?;
        let restr = r.u32()?;
        let count = r.u32()?;
        let addr = r.ipv4()?;
        let port = r.u16()?;
        let mode = r.u8()?;
        let version = r.u8()?;
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let addr6 = r.ipv6()?;
        Ok(Self {
            avg_int,
            last_int,
            restr,
            count,
            addr: pick(v6, addr, addr6),
            port,
            mode,
            version,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.addr])?;
        let mut w = ItemWriter::new();
        for v in [self.avg_int, self.last_int, self.restr, self.count] {
            w.u32(v);
        }
        w.addr4(self.addr, v6);
        w.u16(self.port);
        w.u8(self.mode);
        w.u8(self.version);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.addr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `old_info_monitor` (40; v4 20): the early 4.x `monlist` entry with absolute times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OldMonitorItem {
    /// Time of the last packet.
    pub lasttime: u32,
    /// Time of the first packet.
    pub firsttime: u32,
    /// Packets seen.
    pub count: u32,
    /// Client address.
    pub addr: IpAddr,
    /// Client port.
    pub port: u16,
    /// Mode of the last packet.
    pub mode: u8,
    /// Version of the last packet.
    pub version: u8,
}

impl PrivateItem for OldMonitorItem {
    const SIZE: usize = 40;
    const V4_SIZE: usize = 20;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let lasttime = r.u32()?;
        let firsttime = r.u32()?;
        let count = r.u32()?;
        let addr = r.ipv4()?;
        let port = r.u16()?;
        let mode = r.u8()?;
        let version = r.u8()?;
        let v6 = r.v6_flag()?;
        let addr6 = r.ipv6()?;
        Ok(Self {
            lasttime,
            firsttime,
            count,
            addr: pick(v6, addr, addr6),
            port,
            mode,
            version,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.addr])?;
        let mut w = ItemWriter::new();
        for v in [self.lasttime, self.firsttime, self.count] {
            w.u32(v);
        }
        w.addr4(self.addr, v6);
        w.u16(self.port);
        w.u8(self.mode);
        w.u8(self.version);
        w.v6_flag(v6);
        w.addr6(self.addr, v6);
        w.finish::<Self>(size, v6)
    }
}

/// A decoded `monlist` response, in whichever struct the server chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorList {
    /// `info_monitor_1` entries.
    V1(Vec<MonitorItem1>),
    /// `info_monitor` entries.
    Current(Vec<MonitorItem>),
    /// `old_info_monitor` entries.
    Old(Vec<OldMonitorItem>),
}

impl MonitorList {
    /// Picks the struct by the response's item size, as ntpdc's `monlist` does.
    ///
    /// # Errors
    /// The item size matches none of the six layouts, or an item does not decode.
    pub fn from_response(response: &PrivateResponse) -> Result<Self, PrivateError> {
        let size = usize::from(response.itemsize);
        if MonitorItem1::SIZES.contains(&size) {
            response.decode_items().map(Self::V1)
        } else if MonitorItem::SIZES.contains(&size) {
            response.decode_items().map(Self::Current)
        } else if OldMonitorItem::SIZES.contains(&size) {
            response.decode_items().map(Self::Old)
        } else {
            Err(PrivateError::ItemSize {
                size,
                expected: &[72, 32, 48, 24, 40, 20],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::testing::{at, both_ways, every_size};
    use crate::private::{Implementation, RequestCode};
    use std::net::{Ipv4Addr, Ipv6Addr};

    const CLIENT4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
    const LOCAL4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const CLIENT6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5);
    const LOCAL6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);

    fn m1(addr: IpAddr, daddr: IpAddr) -> MonitorItem1 {
        MonitorItem1 {
            avg_int: 64,
            last_int: 3,
            restr: 0x0040,
            count: 1234,
            addr,
            daddr,
            flags: 0x11,
            port: 50123,
            mode: 3,
            version: 4,
        }
    }

    #[test]
    fn monitor_1_offsets() {
        let item = m1(CLIENT4.into(), LOCAL4.into());
        let v4: &[u8] = &[
            0, 0, 0, 64, // 0 avg_int
            0, 0, 0, 3, // 4 last_int
            0, 0, 0, 0x40, // 8 restr
            0, 0, 0x04, 0xd2, // 12 count
            203, 0, 113, 5, // 16 addr
            192, 0, 2, 1, // 20 daddr
            0, 0, 0, 0x11, // 24 flags
            0xc3, 0xcb, // 28 port
            3,    // 30 mode
            4,    // 31 version
        ];
        both_ways(&item, 32, v4);
        both_ways(&item, 72, &at(72, &[(0, v4)]));
        let v6 = m1(CLIENT6.into(), LOCAL6.into());
        let mut v6_bytes = at(
            72,
            &[
                (0, &v4[..16]),
                (24, &v4[24..]),
                (32, &[1, 0, 0, 0]),
                (40, &CLIENT6.octets()),
                (56, &LOCAL6.octets()),
            ],
        );
        both_ways(&v6, 72, &v6_bytes);
        every_size(&v6);
        // Any non-zero v6_flag counts, whatever its byte order.
        v6_bytes[32..36].copy_from_slice(&[0, 0, 0, 1]);
        assert_eq!(MonitorItem1::decode(&v6_bytes, 72).unwrap(), v6);
    }

    #[test]
    fn monitor_offsets() {
        let item = MonitorItem {
            avg_int: 1,
            last_int: 2,
            restr: 3,
            count: 4,
            addr: CLIENT4.into(),
            port: 123,
            mode: 3,
            version: 2,
        };
        let v4: &[u8] = &[
            0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 203, 0, 113, 5, 0, 123, 3, 2,
        ];
        both_ways(&item, 24, v4);
        both_ways(&item, 48, &at(48, &[(0, v4)]));
        let v6 = MonitorItem {
            addr: CLIENT6.into(),
            ..item
        };
        both_ways(
            &v6,
            48,
            &at(
                48,
                &[
                    (0, &v4[..16]),
                    (20, &v4[20..]),
                    (24, &[1, 0, 0, 0]),
                    (32, &CLIENT6.octets()),
                ],
            ),
        );
    }

    #[test]
    fn old_monitor_offsets() {
        let item = OldMonitorItem {
            lasttime: 10,
            firsttime: 20,
            count: 30,
            addr: CLIENT4.into(),
            port: 123,
            mode: 4,
            version: 3,
        };
        let v4: &[u8] = &[
            0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 203, 0, 113, 5, 0, 123, 4, 3,
        ];
        both_ways(&item, 20, v4);
        both_ways(&item, 40, &at(40, &[(0, v4)]));
        let v6 = OldMonitorItem {
            addr: CLIENT6.into(),
            ..item
        };
        both_ways(
            &v6,
            40,
            &at(
                40,
                &[
                    (0, &v4[..12]),
                    (16, &v4[16..]),
                    (20, &[1, 0, 0, 0]),
                    (24, &CLIENT6.octets()),
                ],
            ),
        );
    }

    #[test]
    fn monitor_list_picks_struct_by_size() {
        let response = |itemsize: u16, items: Vec<u8>| PrivateResponse {
            implementation: Implementation::Xntpd,
            code: RequestCode::MonGetList1,
            itemsize,
            nitems: 1,
            items,
        };
        let one = m1(CLIENT4.into(), LOCAL4.into());
        let list = MonitorList::from_response(&response(32, one.encode(32).unwrap())).unwrap();
        assert_eq!(list, MonitorList::V1(vec![one]));
        let list = MonitorList::from_response(&response(24, vec![0; 24])).unwrap();
        assert!(matches!(list, MonitorList::Current(v) if v.len() == 1));
        let list = MonitorList::from_response(&response(40, vec![0; 40])).unwrap();
        assert!(matches!(list, MonitorList::Old(v) if v.len() == 1));
        assert!(MonitorList::from_response(&response(33, vec![0; 33])).is_err());
    }
}
