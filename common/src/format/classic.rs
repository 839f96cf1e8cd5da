//! The classic tools' fixed-point renderings: decimal text of `s_fp`/`u_fp` (16.16) and `l_fp`
//! (32.32) values with a given number of decimals, rounded half up from the exact binary
//! value, and the names of association modes.
//!
//! These reproduce what ntpdc 4.2.8 prints (its `fptoa`, `ufptoa` and `lfptoa`): the short
//! forms show a `-` for negative values and nothing for positive ones, the long form always
//! shows a sign (`+0.000029`, as the lab's ntpdc 4.2.8p15 prints it). Decimals of the short
//! forms are capped at 6, the resolution of 16 fractional bits.

use crate::time::{NtpShort, NtpTimestamp};

/// An unsigned 16.16 value (`u_fp`) with `decimals` decimals (at most 6), like `ufptoa`.
#[must_use]
pub fn ufp_text(value: NtpShort, decimals: u8) -> String {
    fixed(
        u64::from(value.0 >> 16),
        u64::from(value.0 & 0xffff),
        16,
        decimals.min(6),
    )
}

/// A signed 16.16 value (`s_fp`) with `decimals` decimals (at most 6), like `fptoa`: a `-`
/// for negative values, no sign otherwise.
#[must_use]
pub fn sfp_text(value: NtpShort, decimals: u8) -> String {
    let raw = value.0.cast_signed();
    let magnitude = raw.unsigned_abs();
    let text = fixed(
        u64::from(magnitude >> 16),
        u64::from(magnitude & 0xffff),
        16,
        decimals.min(6),
    );
    if raw < 0 { format!("-{text}") } else { text }
}

/// A signed 32.32 value (`l_fp` as an offset) with `decimals` decimals, like `lfptoa`:
/// always with a sign, `+` or `-`.
#[must_use]
pub fn lfp_text(value: NtpTimestamp, decimals: u8) -> String {
    let raw = value.to_bits().cast_signed();
    let magnitude = raw.unsigned_abs();
    let text = fixed(
        magnitude >> 32,
        magnitude & 0xffff_ffff,
        32,
        decimals.min(18),
    );
    let sign = if raw < 0 { '-' } else { '+' };
    format!("{sign}{text}")
}

/// An unsigned 32.32 value with `decimals` decimals (ntpd's `ulfptoa`).
#[must_use]
pub fn ulfp_text(value: NtpTimestamp, decimals: u8) -> String {
    let raw = value.to_bits();
    fixed(raw >> 32, raw & 0xffff_ffff, 32, decimals.min(18))
}

/// `integer.fraction` where `fraction` has `bits` binary digits, rounded half up to
/// `decimals` decimal digits (no decimal point when `decimals` is 0).
fn fixed(integer: u64, fraction: u64, bits: u32, decimals: u8) -> String {
    let scale = 10_u128.pow(u32::from(decimals));
    let scaled = u128::from(fraction) * scale;
    let half = 1_u128 << (bits - 1);
    let mut digits = scaled >> bits;
    if scaled & ((1_u128 << bits) - 1) >= half {
        digits += 1;
    }
    let mut integer = u128::from(integer);
    if digits >= scale {
        integer += 1;
        digits -= scale;
    }
    if decimals == 0 {
        integer.to_string()
    } else {
        format!("{integer}.{digits:0width$}", width = usize::from(decimals))
    }
}

/// The name ntpd's `modetoa` gives an association or packet mode: `client`, `sym_active`,
/// …, or `mode#N` beyond the table.
#[must_use]
pub fn mode_name(mode: u8) -> String {
    const NAMES: [&str; 9] = [
        "unspec",
        "sym_active",
        "sym_passive",
        "client",
        "server",
        "broadcast",
        "control",
        "private",
        "bclient",
    ];
    NAMES
        .get(usize::from(mode))
        .map_or_else(|| format!("mode#{mode}"), |name| (*name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(seconds: f64) -> NtpShort {
        NtpShort::from_seconds(seconds)
    }

    #[test]
    fn short_forms_round_half_up() {
        assert_eq!(ufp_text(NtpShort(0), 5), "0.00000");
        assert_eq!(ufp_text(NtpShort(0x0000_02c1), 5), "0.01076");
        assert_eq!(ufp_text(NtpShort(0x0001_8000), 0), "2");
        assert_eq!(ufp_text(NtpShort(0x01f4_0000), 0), "500");
        // 0.5 / 65536 = 7.63e-6: five decimals round it away, six keep it.
        assert_eq!(ufp_text(NtpShort(0x0000_0001), 5), "0.00002");
        assert_eq!(ufp_text(NtpShort(0x0000_0001), 6), "0.000015");
        assert_eq!(ufp_text(NtpShort(0x0000_ffff), 3), "1.000");
        assert_eq!(ufp_text(NtpShort(0x0000_ffff), 9), "0.999985");
        assert_eq!(sfp_text(short(-0.049988), 6), "-0.049988");
        assert_eq!(sfp_text(NtpShort(4), 5), "0.00006");
        assert_eq!(sfp_text(NtpShort(0x8000_0000), 1), "-32768.0");
    }

    #[test]
    fn long_form_always_signed() {
        assert_eq!(lfp_text(NtpTimestamp::ZERO, 6), "+0.000000");
        assert_eq!(
            lfp_text(NtpTimestamp::from_offset_seconds(0.000029), 6),
            "+0.000029"
        );
        assert_eq!(
            lfp_text(NtpTimestamp::from_offset_seconds(-1.25), 3),
            "-1.250"
        );
        // -0.5 µs rounds to zero but keeps its sign, as ntpd's printer does.
        assert_eq!(
            lfp_text(NtpTimestamp::from_offset_seconds(-0.000_000_4), 6),
            "-0.000000"
        );
        assert_eq!(
            lfp_text(NtpTimestamp::from_bits(0x0000_0001_ffff_ffff), 6),
            "+2.000000"
        );
        assert_eq!(lfp_text(NtpTimestamp::from_bits(u64::MAX), 0), "-0");
        assert_eq!(
            ulfp_text(NtpTimestamp::new(0xeeab_ba25, 0x8000_0000), 6),
            "4004231717.500000"
        );
    }

    #[test]
    fn mode_names() {
        assert_eq!(mode_name(3), "client");
        assert_eq!(mode_name(1), "sym_active");
        assert_eq!(mode_name(8), "bclient");
        assert_eq!(mode_name(12), "mode#12");
    }
}
