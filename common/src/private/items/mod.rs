//! Typed mode 7 items (protocol notes §7.5, §7.6) and the machinery they share.
//!
//! Every item type knows its full (IPv6-capable) size and its pre-IPv6 "v4" size, which is the
//! offset of `v6_flag` — the old struct is the new one cut just before it. Decoding accepts
//! either size and zero-extends short items as ntpdc does; encoding writes the full layout and
//! cuts it to the size asked for. Host-order fields (§11 row 11) are little-endian.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

mod config;
mod flags;
mod misc;
mod monitor;
mod peer;
mod restrict;
mod stats;
mod sys;

pub use config::{
    ClockAddrItem, ConfFudgeItem, ConfPeerItem, ConfSysFlagsItem, ConfTrapItem, ConfUnpeerItem,
    FudgeWhich, KeyIdItem, ResetFlagsItem, ServerLong, TrustKeyList,
};
pub use flags::{
    ConfPeerFlags, InfoFlags, InterfaceFlags, KernelStatus, OldRestrictFlags, ResetFlags,
    RestrictFlags, RestrictFlagsP15, RestrictMatchFlags, SysFlags, SysInfoFlags, TrapFlags,
};
pub use misc::{ClockBugItem, ClockInfoItem, IfStatsItem, TrapItem};
pub use monitor::{MonitorItem, MonitorItem1, MonitorList, OldMonitorItem};
pub use peer::{PeerInfoItem, PeerListItem, PeerStatsItem, PeerSummaryItem};
pub use restrict::{ConfRestrictItem, ConfRestrictP18Item, RestrictItem};
pub use stats::{AuthInfoItem, ControlStatsItem, IoStatsItem, MemStatsItem, TimerStatsItem};
pub use sys::{KernelInfoItem, LoopInfoItem, SysInfoItem, SysStatsItem};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::DecodeError;
use crate::time::{NtpShort, NtpTimestamp};
use crate::wire::Reader;

use super::PrivateError;
use super::header::Implementation;

/// A fixed-layout mode 7 item that exists in a full and a pre-IPv6 size.
pub trait PrivateItem: Sized {
    /// Octets of the full item (`sizeof` the 4.2.8 struct).
    const SIZE: usize;
    /// Octets of the pre-IPv6 form (`v4sizeof`: the offset of `v6_flag`); equal to
    /// [`Self::SIZE`] for items without addresses.
    const V4_SIZE: usize;
    /// Every item size this type is accepted in, largest first.
    const SIZES: &'static [usize] = &[Self::SIZE, Self::V4_SIZE];

    /// The item size to use with a server of this implementation: full for
    /// [`Implementation::Xntpd`], v4 otherwise (as ntpdc chooses its `sendsize`).
    #[must_use]
    fn size_for(implementation: Implementation) -> usize {
        if implementation.is_v6_capable() {
            Self::SIZE
        } else {
            Self::V4_SIZE
        }
    }

    /// Decodes one item of `itemsize` octets from the start of `bytes`. Items shorter than
    /// [`Self::SIZE`] are zero-extended first, so the IPv6 part of a v4-size item reads as
    /// absent and fields beyond an old layout read as 0.
    ///
    /// # Errors
    /// `itemsize` is not in [`Self::SIZES`], or `bytes` is shorter than `itemsize`.
    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError>;

    /// Encodes the item in `size` octets (one of [`Self::SIZES`]).
    ///
    /// # Errors
    /// `size` is not a layout of this item, the item holds IPv6 addresses and `size` has no
    /// room for them, or its addresses mix families.
    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError>;
}

/// Checks `itemsize`, takes that many octets of `bytes` and zero-extends them to the full size.
pub(crate) fn extend<T: PrivateItem>(
    bytes: &[u8],
    itemsize: usize,
) -> Result<Vec<u8>, DecodeError> {
    if !T::SIZES.contains(&itemsize) {
        return Err(DecodeError::BadValue {
            field: "itemsize",
            value: itemsize.to_string(),
        });
    }
    let mut buf = Reader::new(bytes).bytes(itemsize)?.to_vec();
    buf.resize(itemsize.max(T::SIZE), 0);
    Ok(buf)
}

/// Builds the full layout of an item; [`ItemWriter::finish`] cuts it to the requested size.
#[derive(Debug, Default)]
pub(crate) struct ItemWriter {
    buf: Vec<u8>,
}

impl ItemWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn i8(&mut self, v: i8) {
        self.buf.extend(v.to_be_bytes());
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend(v.to_be_bytes());
    }

    pub(crate) fn i16(&mut self, v: i16) {
        self.buf.extend(v.to_be_bytes());
    }

    /// A host-order (little-endian) u16.
    pub(crate) fn u16_le(&mut self, v: u16) {
        self.buf.extend(v.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend(v.to_be_bytes());
    }

    pub(crate) fn i32(&mut self, v: i32) {
        self.buf.extend(v.to_be_bytes());
    }

    /// A host-order (little-endian) u32.
    pub(crate) fn u32_le(&mut self, v: u32) {
        self.buf.extend(v.to_le_bytes());
    }

    pub(crate) fn ts(&mut self, v: NtpTimestamp) {
        self.buf.extend(v.to_be_bytes());
    }

    pub(crate) fn short(&mut self, v: NtpShort) {
        self.u32(v.0);
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.buf.extend(v);
    }

    pub(crate) fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }

    /// The IPv4 slot of an address: the address when the item is IPv4, else zero.
    pub(crate) fn addr4(&mut self, addr: IpAddr, v6: bool) {
        let v4 = match addr {
            IpAddr::V4(a) if !v6 => a,
            _ => Ipv4Addr::UNSPECIFIED,
        };
        self.bytes(&v4.octets());
    }

    /// The IPv6 slot of an address: the address when the item is IPv6, else zero.
    pub(crate) fn addr6(&mut self, addr: IpAddr, v6: bool) {
        let v6addr = match addr {
            IpAddr::V6(a) if v6 => a,
            _ => Ipv6Addr::UNSPECIFIED,
        };
        self.bytes(&v6addr.octets());
    }

    /// A host-order `v6_flag` (0 or 1, little-endian).
    pub(crate) fn v6_flag(&mut self, v6: bool) {
        self.u32_le(u32::from(v6));
    }

    /// Cuts the full layout to `size` octets.
    pub(crate) fn finish<T: PrivateItem>(
        mut self,
        size: usize,
        v6: bool,
    ) -> Result<Vec<u8>, PrivateError> {
        if !T::SIZES.contains(&size) {
            return Err(PrivateError::ItemSize {
                size,
                expected: T::SIZES,
            });
        }
        if v6 && size <= T::V4_SIZE {
            return Err(PrivateError::Ipv6Unsupported);
        }
        debug_assert_eq!(self.buf.len(), T::SIZE, "layout length");
        self.buf.resize(size, 0);
        Ok(self.buf)
    }
}

/// Field readers on top of the crate's cursor.
pub(crate) trait ReadExt {
    fn ts(&mut self) -> Result<NtpTimestamp, DecodeError>;
    fn short(&mut self) -> Result<NtpShort, DecodeError>;
    fn ipv4(&mut self) -> Result<Ipv4Addr, DecodeError>;
    fn ipv6(&mut self) -> Result<Ipv6Addr, DecodeError>;
    /// A host-order `v6_flag`: any non-zero value means IPv6.
    fn v6_flag(&mut self) -> Result<bool, DecodeError>;
}

impl ReadExt for Reader<'_> {
    fn ts(&mut self) -> Result<NtpTimestamp, DecodeError> {
        self.u64().map(NtpTimestamp::from_bits)
    }

    fn short(&mut self) -> Result<NtpShort, DecodeError> {
        self.u32().map(NtpShort)
    }

    fn ipv4(&mut self) -> Result<Ipv4Addr, DecodeError> {
        self.take::<4>().map(Ipv4Addr::from)
    }

    fn ipv6(&mut self) -> Result<Ipv6Addr, DecodeError> {
        self.take::<16>().map(Ipv6Addr::from)
    }

    fn v6_flag(&mut self) -> Result<bool, DecodeError> {
        self.take::<4>().map(|b| b != [0; 4])
    }
}

/// The address an item's flag selects.
pub(crate) fn pick(v6: bool, v4: Ipv4Addr, v6addr: Ipv6Addr) -> IpAddr {
    if v6 {
        IpAddr::V6(v6addr)
    } else {
        IpAddr::V4(v4)
    }
}

/// Whether an item holding `addrs` is IPv6 (`v6_flag` set).
///
/// Unspecified addresses (`0.0.0.0`, `::`) fit either family, since ntpd uses them for
/// "none"/"wildcard"; any other IPv4 and IPv6 addresses in one item are an error.
pub(crate) fn family(addrs: &[IpAddr]) -> Result<bool, PrivateError> {
    let specified = |want_v6: bool| {
        addrs
            .iter()
            .any(|a| a.is_ipv6() == want_v6 && !a.is_unspecified())
    };
    match (specified(false), specified(true)) {
        (true, true) => Err(PrivateError::MixedFamilies),
        (false, true) => Ok(true),
        (true, false) => Ok(false),
        (false, false) => Ok(addrs.iter().any(IpAddr::is_ipv6)),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shared checks for item tests.
    use super::PrivateItem;
    use std::fmt::Debug;

    /// `item` encodes to `bytes` at `size`, and `bytes` decodes back to `item`.
    pub(crate) fn both_ways<T: PrivateItem + PartialEq + Debug>(
        item: &T,
        size: usize,
        bytes: &[u8],
    ) {
        assert_eq!(bytes.len(), size, "hand-written layout length");
        let encoded = item.encode(size).unwrap();
        for (i, (got, want)) in encoded.iter().zip(bytes).enumerate() {
            assert_eq!(got, want, "octet {i} of {size}-octet encoding");
        }
        assert_eq!(encoded.len(), size);
        assert_eq!(&T::decode(bytes, size).unwrap(), item);
    }

    /// Encoding at every accepted size decodes to an item that re-encodes identically, and the
    /// full size is the identity.
    pub(crate) fn every_size<T: PrivateItem + PartialEq + Debug>(item: &T) {
        let full = item.encode(T::SIZE).unwrap();
        assert_eq!(&T::decode(&full, T::SIZE).unwrap(), item);
        for &size in T::SIZES {
            if let Ok(bytes) = item.encode(size) {
                let back = T::decode(&bytes, size).unwrap();
                assert_eq!(back.encode(size).unwrap(), bytes, "size {size}");
            }
        }
    }

    /// Octets with `value` at `offset`, zero elsewhere.
    pub(crate) fn at(len: usize, fields: &[(usize, &[u8])]) -> Vec<u8> {
        let mut out = vec![0; len];
        for (offset, value) in fields {
            out[*offset..*offset + value.len()].copy_from_slice(value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_rules() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let any4 = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let any6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        assert_eq!(family(&[v4, v4]), Ok(false));
        assert_eq!(family(&[v6, any4]), Ok(true));
        assert_eq!(family(&[any6, v4]), Ok(false));
        assert_eq!(family(&[any6, any4]), Ok(true));
        assert_eq!(family(&[any4]), Ok(false));
        assert_eq!(family(&[v4, v6]), Err(PrivateError::MixedFamilies));
    }

    #[test]
    fn v6_flag_any_nonzero() {
        for (bytes, want) in [
            ([0, 0, 0, 0], false),
            ([1, 0, 0, 0], true),
            ([0, 0, 0, 1], true),
            ([0x80, 0, 0, 0], true),
        ] {
            assert_eq!(Reader::new(&bytes).v6_flag().unwrap(), want);
        }
    }

    #[test]
    fn extend_checks_size_and_length() {
        assert_eq!(
            extend::<LoopInfoItem>(&[0; 24], 23),
            Err(DecodeError::BadValue {
                field: "itemsize",
                value: "23".into()
            })
        );
        assert_eq!(
            extend::<LoopInfoItem>(&[0; 20], 24),
            Err(DecodeError::Truncated { need: 24, have: 20 })
        );
        assert_eq!(extend::<PeerListItem>(&[7; 8], 8).unwrap().len(), 32);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use crate::private::test_gens::{item_any, item_with};
    use proptest::prelude::*;

    macro_rules! item_properties {
        ($($name:ident: $ty:ty;)*) => {$(
            mod $name {
                use super::*;

                proptest! {
                    #[test]
                    fn arbitrary_bytes_never_panic(
                        bytes in proptest::collection::vec(any::<u8>(), 0..400),
                        size in 0_usize..400,
                    ) {
                        let _ = <$ty>::decode(&bytes, size);
                    }

                    #[test]
                    fn full_size_identity(item in item_any::<$ty>()) {
                        let bytes = item.encode(<$ty>::SIZE).unwrap();
                        prop_assert_eq!(bytes.len(), <$ty>::SIZE);
                        prop_assert_eq!(<$ty>::decode(&bytes, <$ty>::SIZE).unwrap(), item);
                    }

                    #[test]
                    fn every_size_identity(
                        (size, item) in proptest::sample::select(<$ty>::SIZES)
                            .prop_flat_map(|size| (Just(size), item_with::<$ty>(size)))
                    ) {
                        let bytes = item.encode(size).unwrap();
                        prop_assert_eq!(bytes.len(), size);
                        prop_assert_eq!(<$ty>::decode(&bytes, size).unwrap(), item);
                    }
                }
            }
        )*};
    }

    item_properties! {
        peer_list: PeerListItem;
        peer_summary: PeerSummaryItem;
        peer_info: PeerInfoItem;
        peer_stats: PeerStatsItem;
        loop_info: LoopInfoItem;
        sys_info: SysInfoItem;
        sys_stats: SysStatsItem;
        io_stats: IoStatsItem;
        mem_stats: MemStatsItem;
        timer_stats: TimerStatsItem;
        restrict: RestrictItem;
        monitor_1: MonitorItem1;
        monitor: MonitorItem;
        old_monitor: OldMonitorItem;
        auth_info: AuthInfoItem;
        trap: TrapItem;
        control_stats: ControlStatsItem;
        clock_info: ClockInfoItem;
        clock_bug: ClockBugItem;
        kernel_info: KernelInfoItem;
        if_stats: IfStatsItem;
        conf_peer: ConfPeerItem;
        conf_unpeer: ConfUnpeerItem;
        conf_sys_flags: ConfSysFlagsItem;
        conf_restrict: ConfRestrictItem;
        conf_restrict_p18: ConfRestrictP18Item;
        reset_flags: ResetFlagsItem;
        conf_trap: ConfTrapItem;
        conf_fudge: ConfFudgeItem;
        key_id: KeyIdItem;
        clock_addr: ClockAddrItem;
    }

    proptest! {
        #[test]
        fn trust_key_list_never_panics(
            data in proptest::collection::vec(any::<u8>(), 0..64),
            nitems in 0_usize..5000,
        ) {
            let _ = TrustKeyList::from_request_data(&data, nitems);
        }
    }
}
