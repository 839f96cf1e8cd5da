//! Local time zone offsets from TZif data (RFC 8536), so dates print in local time as the
//! classic tools' `prettydate` does, without a C library call.
//!
//! Sans-IO: the caller reads the zone file (`/etc/localtime`, or the file `$TZ` names) and
//! passes its bytes. Only the transition table is used; instants after the last transition
//! keep the last offset (zone files list transitions decades ahead).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::DecodeError;
use crate::wire::Reader;

/// Counts from a TZif header.
#[derive(Debug, Clone, Copy)]
struct Counts {
    isut: usize,
    isstd: usize,
    leap: usize,
    time: usize,
    types: usize,
    chars: usize,
}

fn header(r: &mut Reader<'_>) -> Result<(u8, Counts), DecodeError> {
    let magic = r.take::<4>()?;
    if &magic != b"TZif" {
        return Err(DecodeError::BadValue {
            field: "tzif magic",
            value: String::from_utf8_lossy(&magic).into_owned(),
        });
    }
    let version = r.u8()?;
    r.skip(15)?;
    let mut n = [0_usize; 6];
    for slot in &mut n {
        *slot = usize::try_from(r.u32()?).unwrap_or(usize::MAX);
    }
    let [isut, isstd, leap, time, types, chars] = n;
    Ok((
        version,
        Counts {
            isut,
            isstd,
            leap,
            time,
            types,
            chars,
        },
    ))
}

/// The offset east of UTC, in seconds, that the zone in `tzif` has at `unix` seconds.
///
/// # Errors
/// The data is not TZif or is truncated.
pub fn utc_offset_at(tzif: &[u8], unix: i64) -> Result<i32, DecodeError> {
    let mut r = Reader::new(tzif);
    let (version, counts) = header(&mut r)?;
    let mut time_size = 4;
    let mut c = counts;
    if version >= b'2' {
        // Skip the 32-bit block; the 64-bit one follows with its own header.
        let v1 = c.time * 5 + c.types * 6 + c.chars + c.leap * 8 + c.isstd + c.isut;
        r.skip(v1)?;
        c = header(&mut r)?.1;
        time_size = 8;
    }
    let mut times = Vec::with_capacity(c.time.min(4096));
    for _ in 0..c.time {
        times.push(if time_size == 8 {
            r.u64()?.cast_signed()
        } else {
            i64::from(r.u32()?.cast_signed())
        });
    }
    let indices = r.bytes(c.time)?.to_vec();
    let mut offsets = Vec::with_capacity(c.types.min(256));
    for _ in 0..c.types {
        offsets.push(r.u32()?.cast_signed());
        r.skip(2)?;
    }
    let first = offsets.first().copied().ok_or(DecodeError::BadValue {
        field: "tzif types",
        value: "0".into(),
    })?;
    let applies = times.iter().rposition(|t| *t <= unix);
    Ok(applies
        .and_then(|i| indices.get(i))
        .and_then(|t| offsets.get(usize::from(*t)))
        .copied()
        .unwrap_or(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 1 zone: UTC+1 until 1000, then UTC+2 (type 1).
    fn zone_v1() -> Vec<u8> {
        let mut z = b"TZif".to_vec();
        z.push(0);
        z.extend([0; 15]);
        for n in [0_u32, 0, 0, 1, 2, 8] {
            z.extend(n.to_be_bytes());
        }
        z.extend(1000_u32.to_be_bytes());
        z.push(1);
        z.extend(3600_i32.to_be_bytes());
        z.extend([0, 0]);
        z.extend(7200_i32.to_be_bytes());
        z.extend([1, 4]);
        z.extend(b"AAA\0BBB\0");
        z
    }

    #[test]
    fn offsets_around_a_transition() {
        let z = zone_v1();
        assert_eq!(utc_offset_at(&z, 999), Ok(3600));
        assert_eq!(utc_offset_at(&z, 1000), Ok(7200));
        assert_eq!(utc_offset_at(&z, 2_000_000_000), Ok(7200));
    }

    #[test]
    fn version_two_uses_the_64_bit_block() {
        let v1 = zone_v1();
        let mut z = v1.clone();
        z[4] = b'2';
        // Second header and a 64-bit block with the transition at 500 instead.
        let mut block = v1[..44].to_vec();
        block[4] = b'2';
        block.extend(500_i64.to_be_bytes());
        block.extend(&v1[48..]);
        z.extend(block);
        z.extend(b"\nAAA-1\n");
        assert_eq!(utc_offset_at(&z, 600), Ok(7200));
        assert_eq!(utc_offset_at(&z, 400), Ok(3600));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(utc_offset_at(b"nope", 0).is_err());
        assert!(utc_offset_at(&zone_v1()[..30], 0).is_err());
        assert!(utc_offset_at(&[], 0).is_err());
    }
}
