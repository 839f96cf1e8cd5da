//! Counter items: `info_io_stats`, `info_mem_stats`, `info_timer_stats`, `info_auth`,
//! `info_control` (§7.5). None has addresses, so each has a single size.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::DecodeError;
use crate::private::PrivateError;
use crate::wire::Reader;

use super::{ItemWriter, PrivateItem, extend};

/// Reads `N` consecutive big-endian u32 counters.
fn counters<const N: usize>(r: &mut Reader<'_>) -> Result<[u32; N], DecodeError> {
    let mut out = [0; N];
    for slot in &mut out {
        *slot = r.u32()?;
    }
    Ok(out)
}

/// `info_io_stats` (40): what `iostats` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IoStatsItem {
    /// Seconds since reset.
    pub timereset: u32,
    /// Receive buffers.
    pub totalrecvbufs: u16,
    /// Free receive buffers.
    pub freerecvbufs: u16,
    /// Used receive buffers.
    pub fullrecvbufs: u16,
    /// Low water refills.
    pub lowwater: u16,
    /// Dropped packets.
    pub dropped: u32,
    /// Ignored packets.
    pub ignored: u32,
    /// Received packets.
    pub received: u32,
    /// Packets sent.
    pub sent: u32,
    /// Packets not sent.
    pub notsent: u32,
    /// Interrupts handled.
    pub interrupts: u32,
    /// Received by the interrupt handler.
    pub int_received: u32,
}

impl PrivateItem for IoStatsItem {
    const SIZE: usize = 40;
    const V4_SIZE: usize = 40;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        let timereset = r.u32()?;
        let totalrecvbufs = r.u16()?;
        let freerecvbufs = r.u16()?;
        let fullrecvbufs = r.u16()?;
        let lowwater = r.u16()?;
        let [
            dropped,
            ignored,
            received,
            sent,
            notsent,
            interrupts,
            int_received,
        ] = counters(&mut r)?;
        Ok(Self {
            timereset,
            totalrecvbufs,
            freerecvbufs,
            fullrecvbufs,
            lowwater,
            dropped,
            ignored,
            received,
            sent,
            notsent,
            interrupts,
            int_received,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.u32(self.timereset);
        for v in [
            self.totalrecvbufs,
            self.freerecvbufs,
            self.fullrecvbufs,
            self.lowwater,
        ] {
            w.u16(v);
        }
        for v in [
            self.dropped,
            self.ignored,
            self.received,
            self.sent,
            self.notsent,
            self.interrupts,
            self.int_received,
        ] {
            w.u32(v);
        }
        w.finish::<Self>(size, false)
    }
}

/// `info_mem_stats` (148): what `memstats` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemStatsItem {
    /// Seconds since reset.
    pub timereset: u32,
    /// Total peer memory.
    pub totalpeermem: u16,
    /// Free peer memory.
    pub freepeermem: u16,
    /// Calls to findpeer.
    pub findpeer_calls: u32,
    /// New peer allocations.
    pub allocations: u32,
    /// Peer demobilizations.
    pub demobilizations: u32,
    /// Peers per hash bucket; 4.2.8p6 clamps wrongly, so every octet reads 255.
    pub hashcount: [u8; 128],
}

impl PrivateItem for MemStatsItem {
    const SIZE: usize = 148;
    const V4_SIZE: usize = 148;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let mut r = Reader::new(&buf);
        Ok(Self {
            timereset: r.u32()?,
            totalpeermem: r.u16()?,
            freepeermem: r.u16()?,
            findpeer_calls: r.u32()?,
            allocations: r.u32()?,
            demobilizations: r.u32()?,
            hashcount: r.take()?,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        w.u32(self.timereset);
        w.u16(self.totalpeermem);
        w.u16(self.freepeermem);
        w.u32(self.findpeer_calls);
        w.u32(self.allocations);
        w.u32(self.demobilizations);
        w.bytes(&self.hashcount);
        w.finish::<Self>(size, false)
    }
}

/// `info_timer_stats` (16): what `timerstats` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimerStatsItem {
    /// Seconds since reset.
    pub timereset: u32,
    /// Alarms handled (4.2.8p6 copies `timereset` here).
    pub alarms: u32,
    /// Alarm overruns.
    pub overflows: u32,
    /// Calls to transmit.
    pub xmtcalls: u32,
}

impl PrivateItem for TimerStatsItem {
    const SIZE: usize = 16;
    const V4_SIZE: usize = 16;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let [timereset, alarms, overflows, xmtcalls] = counters(&mut Reader::new(&buf))?;
        Ok(Self {
            timereset,
            alarms,
            overflows,
            xmtcalls,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        for v in [self.timereset, self.alarms, self.overflows, self.xmtcalls] {
            w.u32(v);
        }
        w.finish::<Self>(size, false)
    }
}

/// `info_auth` (36): what `authinfo` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AuthInfoItem {
    /// Seconds since reset.
    pub timereset: u32,
    /// Stored keys.
    pub numkeys: u32,
    /// Free keys.
    pub numfreekeys: u32,
    /// Key lookups.
    pub keylookups: u32,
    /// Keys not found.
    pub keynotfound: u32,
    /// Encryptions.
    pub encryptions: u32,
    /// Decryptions.
    pub decryptions: u32,
    /// Expired keys.
    pub expired: u32,
    /// Uncached keys.
    pub keyuncached: u32,
}

impl PrivateItem for AuthInfoItem {
    const SIZE: usize = 36;
    const V4_SIZE: usize = 36;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let [
            timereset,
            numkeys,
            numfreekeys,
            keylookups,
            keynotfound,
            encryptions,
            decryptions,
            expired,
            keyuncached,
        ] = counters(&mut Reader::new(&buf))?;
        Ok(Self {
            timereset,
            numkeys,
            numfreekeys,
            keylookups,
            keynotfound,
            encryptions,
            decryptions,
            expired,
            keyuncached,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        for v in [
            self.timereset,
            self.numkeys,
            self.numfreekeys,
            self.keylookups,
            self.keynotfound,
            self.encryptions,
            self.decryptions,
            self.expired,
            self.keyuncached,
        ] {
            w.u32(v);
        }
        w.finish::<Self>(size, false)
    }
}

/// `info_control` (60): the mode 6 counters `ctlstats` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ControlStatsItem {
    /// Seconds since reset.
    pub ctltimereset: u32,
    /// Requests received.
    pub numctlreq: u32,
    /// Total bad packets.
    pub numctlbadpkts: u32,
    /// Responses sent.
    pub numctlresponses: u32,
    /// Fragments sent.
    pub numctlfrags: u32,
    /// Error messages sent.
    pub numctlerrors: u32,
    /// Packets too short.
    pub numctltooshort: u32,
    /// Responses received as input.
    pub numctlinputresp: u32,
    /// Fragments received as input.
    pub numctlinputfrag: u32,
    /// Input with the error bit set.
    pub numctlinputerr: u32,
    /// Bad offsets on input.
    pub numctlbadoffset: u32,
    /// Bad version packets.
    pub numctlbadversion: u32,
    /// Data in packet too short.
    pub numctldatatooshort: u32,
    /// Unknown opcodes.
    pub numctlbadop: u32,
    /// Async messages sent.
    pub numasyncmsgs: u32,
}

impl PrivateItem for ControlStatsItem {
    const SIZE: usize = 60;
    const V4_SIZE: usize = 60;

    fn decode(bytes: &[u8], itemsize: usize) -> Result<Self, DecodeError> {
        let buf = extend::<Self>(bytes, itemsize)?;
        let [
            ctltimereset,
            numctlreq,
            numctlbadpkts,
            numctlresponses,
            numctlfrags,
            numctlerrors,
            numctltooshort,
            numctlinputresp,
            numctlinputfrag,
            numctlinputerr,
            numctlbadoffset,
            numctlbadversion,
            numctldatatooshort,
            numctlbadop,
            numasyncmsgs,
        ] = counters(&mut Reader::new(&buf))?;
        Ok(Self {
            ctltimereset,
            numctlreq,
            numctlbadpkts,
            numctlresponses,
            numctlfrags,
            numctlerrors,
            numctltooshort,
            numctlinputresp,
            numctlinputfrag,
            numctlinputerr,
            numctlbadoffset,
            numctlbadversion,
            numctldatatooshort,
            numctlbadop,
            numasyncmsgs,
        })
    }

    fn encode(&self, size: usize) -> Result<Vec<u8>, PrivateError> {
        let mut w = ItemWriter::new();
        for v in [
            self.ctltimereset,
            self.numctlreq,
            self.numctlbadpkts,
            self.numctlresponses,
            self.numctlfrags,
            self.numctlerrors,
            self.numctltooshort,
            self.numctlinputresp,
            self.numctlinputfrag,
            self.numctlinputerr,
            self.numctlbadoffset,
            self.numctlbadversion,
            self.numctldatatooshort,
            self.numctlbadop,
            self.numasyncmsgs,
        ] {
            w.u32(v);
        }
        w.finish::<Self>(size, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::items::testing::{at, both_ways};

    /// Big-endian u32s 1, 2, 3, … of `n` counters.
    fn ascending(n: u32) -> Vec<u8> {
        (1..=n).flat_map(u32::to_be_bytes).collect()
    }

    #[test]
    fn io_stats_layout() {
        let item = IoStatsItem {
            timereset: 1,
            totalrecvbufs: 2,
            freerecvbufs: 3,
            fullrecvbufs: 4,
            lowwater: 5,
            dropped: 6,
            ignored: 7,
            received: 8,
            sent: 9,
            notsent: 10,
            interrupts: 11,
            int_received: 12,
        };
        let mut bytes = vec![0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5];
        bytes.extend((6..=12_u32).flat_map(u32::to_be_bytes));
        both_ways(&item, 40, &bytes);
    }

    #[test]
    fn mem_stats_layout() {
        let mut hashcount = [0_u8; 128];
        for (i, h) in (0_u8..).zip(hashcount.iter_mut()) {
            *h = i;
        }
        let item = MemStatsItem {
            timereset: 1,
            totalpeermem: 2,
            freepeermem: 3,
            findpeer_calls: 4,
            allocations: 5,
            demobilizations: 6,
            hashcount,
        };
        let bytes = at(
            148,
            &[
                (0, &[0, 0, 0, 1, 0, 2, 0, 3]),
                (8, &ascending(6)[12..]),
                (20, &hashcount),
            ],
        );
        both_ways(&item, 148, &bytes);
    }

    #[test]
    fn counter_items_layout() {
        both_ways(
            &TimerStatsItem {
                timereset: 1,
                alarms: 2,
                overflows: 3,
                xmtcalls: 4,
            },
            16,
            &ascending(4),
        );
        both_ways(
            &AuthInfoItem {
                timereset: 1,
                numkeys: 2,
                numfreekeys: 3,
                keylookups: 4,
                keynotfound: 5,
                encryptions: 6,
                decryptions: 7,
                expired: 8,
                keyuncached: 9,
            },
            36,
            &ascending(9),
        );
        both_ways(
            &ControlStatsItem {
                ctltimereset: 1,
                numctlreq: 2,
                numctlbadpkts: 3,
                numctlresponses: 4,
                numctlfrags: 5,
                numctlerrors: 6,
                numctltooshort: 7,
                numctlinputresp: 8,
                numctlinputfrag: 9,
                numctlinputerr: 10,
                numctlbadoffset: 11,
                numctlbadversion: 12,
                numctldatatooshort: 13,
                numctlbadop: 14,
                numasyncmsgs: 15,
            },
            60,
            &ascending(15),
        );
    }
}
