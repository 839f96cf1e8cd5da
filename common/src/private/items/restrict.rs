//! Restriction items: `info_restrict` (response) and `conf_restrict` (request) in the 4.2.8p6
//! and p18 layouts (§7.5, §7.6).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use std::net::IpAddr;

use crate::error::DecodeError;
use crate::private::PrivateError;
use crate::wire::Reader;

use super::{
    ItemWriter, OldRestrictFlags, PrivateItem, ReadExt, RestrictFlags, RestrictMatchFlags, extend,
    family, pick,
};

/// `info_restrict` (56; v4 16): one line of `reslist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RestrictItem {
    /// Address.
    pub addr: IpAddr,
    /// Mask.
    pub mask: IpAddr,
    /// Hits.
    pub count: u32,
    /// Access flags (`RES_*` of ntpd 4; see [`RestrictItem::old_flags`] for xntp3 servers).
    pub flags: RestrictFlags,
    /// Match flags.
    pub mflags: RestrictMatchFlags,
}

impl RestrictItem {
    /// The access flags read with xntp3's bit values, as ntpdc does when talking to an
    /// [`crate::private::Implementation::XntpdOld`] server.
    #[must_use]
    pub fn old_flags(&self) -> OldRestrictFlags {
        OldRestrictFlags(self.flags.0)
    }
}

impl PrivateItem for RestrictItem {
    const SIZE: usize = 56;
    const V4_SIZE: usize = 16;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let addr = r.ipv4()?;
        let mask = r.ipv4()?;
        let count = r.u32()?;
        let flags = RestrictFlags(r.u16()?);
        let mflags = RestrictMatchFlags(r.u16()?);
        let v6 = r.v6_flag()?;
        r.skip(4)?;
        let addr6 = r.ipv6()?;
        let mask6 = r.ipv6()?;
        Ok(Self {
            addr: pick(v6, addr, addr6),
            mask: pick(v6, mask, mask6),
            count,
            flags,
            mflags,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.addr, self.mask])?;
        let mut w = ItemWriter::new();
        w.addr4(self.addr, v6);
        w.addr4(self.mask, v6);
        w.u32(self.count);
        w.u16(self.flags.0);
        w.u16(self.mflags.0);
        w.v6_flag(v6);
        w.zeros(4);
        w.addr6(self.addr, v6);
        w.addr6(self.mask, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `conf_restrict` as 4.2.8p6 reads it (48; v4 12): the item of `restrict`, `unrestrict`
/// and `delrestrict`. The default entry has address and mask 0; the only match flag a client
/// may send is [`RestrictMatchFlags::NTPPORT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfRestrictItem {
    /// Address.
    pub addr: IpAddr,
    /// Mask (contiguous).
    pub mask: IpAddr,
    /// Access flags.
    pub flags: RestrictFlags,
    /// Match flags.
    pub mflags: RestrictMatchFlags,
}

impl PrivateItem for ConfRestrictItem {
    const SIZE: usize = 48;
    const V4_SIZE: usize = 12;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let addr = r.ipv4()?;
        let mask = r.ipv4()?;
        let flags = RestrictFlags(r.u16()?);
        let mflags = RestrictMatchFlags(r.u16()?);
        let v6 = r.v6_flag()?;
        let addr6 = r.ipv6()?;
        let mask6 = r.ipv6()?;
        Ok(Self {
            addr: pick(v6, addr, addr6),
            mask: pick(v6, mask, mask6),
            flags,
            mflags,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.addr, self.mask])?;
        let mut w = ItemWriter::new();
        w.addr4(self.addr, v6);
        w.addr4(self.mask, v6);
        w.u16(self.flags.0);
        w.u16(self.mflags.0);
        w.v6_flag(v6);
        w.addr6(self.addr, v6);
        w.addr6(self.mask, v6);
        w.finish::<Self>(size, v6)
    }
}

/// `conf_restrict` as 4.2.8p15 and p18 read it (60; v4 24), with the per-entry peer limit and
/// server-response fuzz added before the flags. The lab's 4.2.8p15 refuses the p6 layout with
/// a format error; see [`ConfRestrictP18Item::swapped`] for how it reads the fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfRestrictP18Item {
    /// Address.
    pub addr: IpAddr,
    /// Mask.
    pub mask: IpAddr,
    /// `ippeerlimit`.
    pub ippeerlimit: i16,
    /// `srvfuzrft`.
    pub srvfuzrft: i32,
    /// Access flags (`rflags`).
    pub flags: RestrictFlags,
    /// Match flags.
    pub mflags: RestrictMatchFlags,
}

impl ConfRestrictP18Item {
    /// The item that makes ntpd 4.2.8p15 (and p18) apply `flags` and `mflags`.
    ///
    /// **QUIRK** (seen on the lab's 4.2.8p15): ntpd hands `ippeerlimit` to its restriction
    /// code as the match flags and `mflags` as the peer limit, after checking that `mflags`
    /// holds nothing but `ntpport`. So the match flags travel in `ippeerlimit`, and `mflags`
    /// repeats `ntpport` (if set) to pass the check; the peer limit then reads 0 (or 8192
    /// with `ntpport`), as it does for ntpdc 4.2.8p15 itself, which sends `ippeerlimit` 0.
    /// (An entry added with `ippeerlimit` -1 gets every match flag, `interface` included,
    /// and ntpd never deletes interface entries.)
    #[must_use]
    pub fn swapped(
        addr: IpAddr,
        mask: IpAddr,
        flags: RestrictFlags,
        mflags: RestrictMatchFlags,
    ) -> Self {
        Self {
            addr,
            mask,
            ippeerlimit: mflags.0.cast_signed(),
            srvfuzrft: 0,
            flags,
            mflags: RestrictMatchFlags(mflags.0 & RestrictMatchFlags::NTPPORT.0),
        }
    }
}

impl PrivateItem for ConfRestrictP18Item {
    const SIZE: usize = 60;
    const V4_SIZE: usize = 24;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let addr = r.ipv4()?;
        let mask = r.ipv4()?;
        let ippeerlimit = i16::from_be_bytes(r.take()?);
        r.skip(2)?;
        let srvfuzrft = r.i32()?;
        let flags = RestrictFlags(r.u16()?);
        let mflags = RestrictMatchFlags(r.u16()?);
        r.skip(4)?; // unused1 and padding
        let v6 = r.v6_flag()?;
        let addr6 = r.ipv6()?;
        let mask6 = r.ipv6()?;
        Ok(Self {
            addr: pick(v6, addr, addr6),
            mask: pick(v6, mask, mask6),
            ippeerlimit,
            srvfuzrft,
            flags,
            mflags,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let v6 = family(&[self.addr, self.mask])?;
        let mut w = ItemWriter::new();
        w.addr4(self.addr, v6);
        w.addr4(self.mask, v6);
        w.i16(self.ippeerlimit);
        w.zeros(2);
        w.i32(self.srvfuzrft);
        w.u16(self.flags.0);
        w.u16(self.mflags.0);
        w.zeros(4);
        w.v6_flag(v6);
        w.addr6(self.addr, v6);
        w.addr6(self.mask, v6);
        w.finish::<Self>(size, v6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::testing::{at, both_ways, every_size};
    use std::net::{Ipv4Addr, Ipv6Addr};

    const NET4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 0);
    const MASK4: Ipv4Addr = Ipv4Addr::new(255, 255, 255, 0);
    const NET6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0);
    const MASK6: Ipv6Addr = Ipv6Addr::new(0xffff, 0xffff, 0xffff, 0xffff, 0, 0, 0, 0);

    #[test]
    fn restrict_offsets() {
        let item = RestrictItem {
            addr: NET4.into(),
            mask: MASK4.into(),
            count: 0x0102_0304,
            flags: RestrictFlags::NOQUERY | RestrictFlags::KOD,
            mflags: RestrictMatchFlags::NTPPORT,
        };
        let v4: &[u8] = &[
            192, 0, 2, 0, // 0 addr
            255, 255, 255, 0, // 4 mask
            1, 2, 3, 4, // 8 count
            0x04, 0x40, // 12 flags
            0x20, 0x00, // 14 mflags
        ];
        both_ways(&item, 16, v4);
        both_ways(&item, 56, &at(56, &[(0, v4)]));
        let v6 = RestrictItem {
            addr: NET6.into(),
            mask: MASK6.into(),
            ..item
        };
        both_ways(
            &v6,
            56,
            &at(
                56,
                &[
                    (8, &v4[8..]),
                    (16, &[1, 0, 0, 0]),
                    (24, &NET6.octets()),
                    (40, &MASK6.octets()),
                ],
            ),
        );
        assert_eq!(item.flags.names(), ["noquery", "kod"]);
        assert_eq!(item.old_flags().names(), ["notrap"]);
        every_size(&v6);
    }

    #[test]
    fn conf_restrict_p6_offsets() {
        let item = ConfRestrictItem {
            addr: NET4.into(),
            mask: MASK4.into(),
            flags: RestrictFlags::IGNORE,
            mflags: RestrictMatchFlags::NTPPORT,
        };
        let v4: &[u8] = &[192, 0, 2, 0, 255, 255, 255, 0, 0, 1, 0x20, 0];
        both_ways(&item, 12, v4);
        both_ways(&item, 48, &at(48, &[(0, v4)]));
        let v6 = ConfRestrictItem {
            addr: NET6.into(),
            mask: MASK6.into(),
            ..item
        };
        both_ways(
            &v6,
            48,
            &at(
                48,
                &[
                    (8, &v4[8..]),
                    (12, &[1, 0, 0, 0]),
                    (16, &NET6.octets()),
                    (32, &MASK6.octets()),
                ],
            ),
        );
        // The default entry: address and mask unspecified.
        let default = ConfRestrictItem {
            addr: Ipv4Addr::UNSPECIFIED.into(),
            mask: Ipv4Addr::UNSPECIFIED.into(),
            flags: RestrictFlags::NOPEER,
            mflags: RestrictMatchFlags::NONE,
        };
        both_ways(&default, 12, &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0]);
    }

    #[test]
    fn conf_restrict_p18_offsets() {
        let item = ConfRestrictP18Item {
            addr: NET4.into(),
            mask: MASK4.into(),
            ippeerlimit: -1,
            srvfuzrft: 0x0a0b_0c0d,
            flags: RestrictFlags::LIMITED,
            mflags: RestrictMatchFlags::NTPPORT,
        };
        let v4: &[u8] = &[
            192, 0, 2, 0, 255, 255, 255, 0, // addr, mask
            0xff, 0xff, 0, 0, // ippeerlimit, pad
            0x0a, 0x0b, 0x0c, 0x0d, // srvfuzrft
            0x00, 0x20, 0x20, 0x00, // flags, mflags
            0, 0, 0, 0, // unused1, pad
        ];
        both_ways(&item, 24, v4);
        both_ways(&item, 60, &at(60, &[(0, v4)]));
        let v6 = ConfRestrictP18Item {
            addr: NET6.into(),
            mask: MASK6.into(),
            ..item
        };
        both_ways(
            &v6,
            60,
            &at(
                60,
                &[
                    (8, &v4[8..]),
                    (24, &[1, 0, 0, 0]),
                    (28, &NET6.octets()),
                    (44, &MASK6.octets()),
                ],
            ),
        );
    }

    #[test]
    fn swapped_fields_for_ntpd() {
        let item = ConfRestrictP18Item::swapped(
            NET4.into(),
            MASK4.into(),
            RestrictFlags(0x0080),
            RestrictMatchFlags::NTPPORT,
        );
        assert_eq!(item.ippeerlimit, 0x2000);
        assert_eq!(item.mflags, RestrictMatchFlags::NTPPORT);
        let plain = ConfRestrictP18Item::swapped(
            NET4.into(),
            MASK4.into(),
            RestrictFlags(0x0080),
            RestrictMatchFlags::NONE,
        );
        assert_eq!(
            (plain.ippeerlimit, plain.mflags),
            (0, RestrictMatchFlags::NONE)
        );
    }
}
