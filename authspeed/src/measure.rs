//! The measurement: sign and verify real 48-octet NTP packets with every key of a type, in
//! timed runs of `batch` operations, through `ntpkit`'s own MAC code ([`Key::mac_value`] and
//! [`Key::verify`], what every ntpkit tool signs and checks with).

use std::hint::black_box;
use std::time::Instant;

use anyhow::bail;
use ntpkit::auth::{Key, KeyType, KeysFile, MAX_MAC_LEN, MacValue};
use ntpkit::packet::ClientRequest;
use ntpkit::record::{AuthTiming, AuthTypeTiming};
use ntpkit::time::NtpTimestamp;

/// Octets of the packets signed: an NTP header without extension fields.
pub const PACKET_OCTETS: usize = 48;

/// Distinct packets cycled through, so no two consecutive operations hash the same octets.
const PACKETS: usize = 64;

/// The keys of one measured type (the DES forms are one type).
#[derive(Debug)]
pub struct KeyGroup {
    /// The type's name in reports.
    pub name: &'static str,
    /// Its keys, in file order.
    pub keys: Vec<Key>,
}

/// The selected keys of `file`, grouped by type in the order the file first uses each type.
#[must_use]
pub fn group_keys(file: &KeysFile, selects: impl Fn(KeyType) -> bool) -> Vec<KeyGroup> {
    let mut groups: Vec<KeyGroup> = Vec::new();
    for entry in file.entries().filter(|e| selects(e.kind())) {
        let name = AuthTypeTiming::type_name(entry.kind());
        let key = entry.key().clone();
        match groups.iter_mut().find(|g| g.name == name) {
            Some(group) => group.keys.push(key),
            None => groups.push(KeyGroup {
                name,
                keys: vec![key],
            }),
        }
    }
    groups
}

/// Client request headers as ntpdate sends them, each with its own transmit time.
fn packets() -> Vec<[u8; PACKET_OCTETS]> {
    (0..PACKETS as u32)
        .map(|i| {
            let request = ClientRequest {
                transmit: NtpTimestamp::new(0xe4a1_b2c3 + i, i.wrapping_mul(0x9e37_79b9)),
                ..ClientRequest::default()
            };
            let mut packet = [0_u8; PACKET_OCTETS];
            for (dst, src) in packet
                .iter_mut()
                .zip(request.packet().encode_without_trailer())
            {
                *dst = src;
            }
            packet
        })
        .collect()
}

/// Runs `op` `count` times after one untimed warm-up batch, timing runs of `batch`
/// operations; returns nanoseconds per operation of each run.
fn time_runs(count: u64, batch: u64, mut op: impl FnMut(usize)) -> Vec<f64> {
    let mut index = 0_usize;
    for _ in 0..batch.min(count) {
        op(index);
        index = index.wrapping_add(1);
    }
    let mut samples = Vec::with_capacity(usize::try_from(count.div_ceil(batch)).unwrap_or(0));
    let mut done = 0;
    while done < count {
        let n = batch.min(count - done);
        let start = Instant::now();
        for _ in 0..n {
            op(index);
            index = index.wrapping_add(1);
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "run times and counts far below 2^52"
        )]
        samples.push(start.elapsed().as_nanos() as f64 / n as f64);
        done += n;
    }
    samples
}

/// Measures signing and verifying with the keys of `group`.
///
/// # Errors
///
/// If a MAC the same code just computed does not verify (a bug, never expected), or the group
/// is empty.
pub fn measure(group: &KeyGroup, count: u64, batch: u64) -> anyhow::Result<AuthTypeTiming> {
    let keys = &group.keys;
    if keys.is_empty() {
        bail!("no {} keys", group.name);
    }
    let packets = packets();
    let mac_octets = keys.first().map_or(0, |k| k.kind().mac_len());

    // Signing: the MAC of the header, written after the key ID as on the wire.
    let mut trailer = [0_u8; 4 + MAX_MAC_LEN];
    let sign = time_runs(count, batch, |i| {
        let key = &keys[i % keys.len()];
        let mac = key.mac_value(black_box(&packets[i % PACKETS]));
        trailer[..4].copy_from_slice(&key.id().0.to_be_bytes());
        trailer[4..4 + mac.len()].copy_from_slice(&mac);
        black_box(&trailer);
    });

    // Verifying: recompute and compare in constant time, against the genuine MACs.
    let macs: Vec<Vec<MacValue>> = keys
        .iter()
        .map(|key| packets.iter().map(|p| key.mac_value(p)).collect())
        .collect();
    let mut rejected = 0_u64;
    let verify = time_runs(count, batch, |i| {
        let k = i % keys.len();
        let p = i % PACKETS;
        if !keys[k].verify(black_box(&packets[p]), &macs[k][p]) {
            rejected += 1;
        }
    });
    if rejected > 0 {
        bail!("{}: {rejected} genuine MACs failed to verify", group.name);
    }
    let (Some(sign), Some(verify)) = (
        AuthTiming::from_samples(&sign),
        AuthTiming::from_samples(&verify),
    ) else {
        bail!("{}: no timed runs", group.name);
    };
    Ok(AuthTypeTiming {
        key_type: group.name,
        key_ids: keys.iter().map(|k| k.id().0).collect(),
        mac_octets,
        authdelay_s: sign.median_ns / 1e9,
        sign,
        verify,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_are_distinct_client_headers() {
        let packets = packets();
        assert_eq!(packets.len(), PACKETS);
        assert!(packets.iter().all(|p| p[0] == 0xe3));
        let distinct: std::collections::BTreeSet<_> = packets.iter().collect();
        assert_eq!(distinct.len(), PACKETS);
    }

    #[test]
    fn runs_cover_the_count() {
        let mut calls = 0;
        let samples = time_runs(250, 100, |_| calls += 1);
        assert_eq!(samples.len(), 3);
        assert_eq!(calls, 350, "100 warm-up operations, then 250 timed");
    }

    #[test]
    fn keys_group_by_type_in_file_order() {
        let file = KeysFile::parse(
            "k",
            "1 SHA1 0102030405060708090a0b0c0d0e0f1011121314\n2 MD5 a\n3 S 0101010101010101\n\
             4 A ugosnod\n5 MD5 b\n",
        )
        .unwrap();
        let groups = group_keys(&file, |_| true);
        let shape: Vec<(&str, Vec<u32>)> = groups
            .iter()
            .map(|g| (g.name, g.keys.iter().map(|k| k.id().0).collect()))
            .collect();
        assert_eq!(
            shape,
            [("SHA1", vec![1]), ("MD5", vec![2, 5]), ("DES", vec![3, 4])]
        );
        let md5 = group_keys(&file, |k| k == KeyType::Md5);
        assert_eq!(md5.len(), 1);
        let timing = measure(&groups[2], 20, 10).unwrap();
        assert_eq!((timing.key_type, timing.mac_octets), ("DES", 8));
        assert_eq!(timing.sign.runs, 2);
    }
}
