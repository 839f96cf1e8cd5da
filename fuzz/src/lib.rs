//! Shared pieces of ntpkit's fuzz targets: the record framing the reassembly targets read their
//! datagram sequences from.
//!
//! The codecs under test all live in `ntpkit`; nothing here decodes or encodes a protocol. See
//! `docs/reliability.md` for the targets and how to run them.

/// One framed record of a fuzz input: a tag octet and a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// What the target does with the body (each target documents its tags).
    pub tag: u8,
    /// The body.
    pub body: &'a [u8],
}

/// Splits `data` into records `tag ‖ length (u16, big-endian) ‖ body`; a final record whose
/// length runs past the end takes what is left, so every input means something.
///
/// This framing is what `fuzz/make-corpus` writes to turn the lab's captured datagram
/// sequences into seeds.
pub fn records(mut data: &[u8]) -> impl Iterator<Item = Record<'_>> {
    std::iter::from_fn(move || {
        let (&tag, rest) = data.split_first()?;
        let (len, rest) = match rest.split_first_chunk::<2>() {
            Some((len, rest)) => (usize::from(u16::from_be_bytes(*len)), rest),
            None => (rest.len(), rest),
        };
        let (body, rest) = rest.split_at(len.min(rest.len()));
        data = rest;
        Some(Record { tag, body })
    })
}

/// The first two octets of `body` as a big-endian u16 and the rest (zeros for missing octets).
#[must_use]
pub fn take_u16(body: &[u8]) -> (u16, &[u8]) {
    match body.split_first_chunk::<2>() {
        Some((word, rest)) => (u16::from_be_bytes(*word), rest),
        None => (body.first().map_or(0, |&b| u16::from(b) << 8), &[]),
    }
}

/// The first octet of `body` and the rest (0 for an empty body).
#[must_use]
pub fn take_u8(body: &[u8]) -> (u8, &[u8]) {
    match body.split_first() {
        Some((&b, rest)) => (b, rest),
        None => (0, &[]),
    }
}

/// Calls `$m!(Type)` for every mode 7 item type that implements `ntpkit::private::PrivateItem`.
#[macro_export]
macro_rules! for_each_item_type {
    ($m:ident) => {
        $m!(ntpkit::private::PeerListItem);
        $m!(ntpkit::private::PeerSummaryItem);
        $m!(ntpkit::private::PeerInfoItem);
        $m!(ntpkit::private::PeerStatsItem);
        $m!(ntpkit::private::LoopInfoItem);
        $m!(ntpkit::private::SysInfoItem);
        $m!(ntpkit::private::SysStatsItem);
        $m!(ntpkit::private::KernelInfoItem);
        $m!(ntpkit::private::IoStatsItem);
        $m!(ntpkit::private::MemStatsItem);
        $m!(ntpkit::private::TimerStatsItem);
        $m!(ntpkit::private::AuthInfoItem);
        $m!(ntpkit::private::ControlStatsItem);
        $m!(ntpkit::private::RestrictItem);
        $m!(ntpkit::private::ConfRestrictItem);
        $m!(ntpkit::private::ConfRestrictP18Item);
        $m!(ntpkit::private::MonitorItem1);
        $m!(ntpkit::private::MonitorItem);
        $m!(ntpkit::private::OldMonitorItem);
        $m!(ntpkit::private::TrapItem);
        $m!(ntpkit::private::ClockInfoItem);
        $m!(ntpkit::private::ClockBugItem);
        $m!(ntpkit::private::IfStatsItem);
        $m!(ntpkit::private::ConfPeerItem);
        $m!(ntpkit::private::ConfUnpeerItem);
        $m!(ntpkit::private::ConfSysFlagsItem);
        $m!(ntpkit::private::ResetFlagsItem);
        $m!(ntpkit::private::ConfTrapItem);
        $m!(ntpkit::private::ConfFudgeItem);
        $m!(ntpkit::private::KeyIdItem);
        $m!(ntpkit::private::ClockAddrItem);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_framed_and_the_last_takes_the_rest() {
        let data = [1, 0, 2, 0xaa, 0xbb, 2, 0, 9, 0xcc];
        let got: Vec<_> = records(&data).collect();
        assert_eq!(
            got,
            [
                Record {
                    tag: 1,
                    body: &[0xaa, 0xbb]
                },
                Record {
                    tag: 2,
                    body: &[0xcc]
                }
            ]
        );
        assert_eq!(records(&[7]).count(), 1);
        assert_eq!(records(&[]).count(), 0);
    }
}
