//! The one decoding cursor and the encoding helpers every codec uses.
//!
//! Decoders never index or unwrap: they take fixed-size chunks through [`Reader`], which
//! returns [`DecodeError::Truncated`] instead of panicking.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use crate::error::DecodeError;

/// A forward-only cursor over a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    consumed: usize,
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self {
            rest: buf,
            consumed: 0,
        }
    }

    /// Octets not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Octets read so far.
    pub(crate) fn position(&self) -> usize {
        self.consumed
    }

    /// Takes the next `N` octets as an array.
    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        match self.rest.split_first_chunk::<N>() {
            Some((head, tail)) => {
                self.rest = tail;
                self.consumed += N;
                Ok(*head)
            }
            None => Err(self.truncated(N)),
        }
    }

    /// Takes the next `n` octets as a slice.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.rest.len() {
            return Err(self.truncated(n));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        self.consumed += n;
        Ok(head)
    }

    /// Takes everything that is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let all = self.rest;
        self.consumed += all.len();
        self.rest = &[];
        all
    }

    /// Skips `n` octets.
    pub(crate) fn skip(&mut self, n: usize) -> Result<(), DecodeError> {
        self.bytes(n).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        self.take::<1>().map(|[b]| b)
    }

    pub(crate) fn i8(&mut self) -> Result<i8, DecodeError> {
        self.take::<1>().map(i8::from_be_bytes)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        self.take().map(u16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        self.take().map(u32::from_be_bytes)
    }

    pub(crate) fn i32(&mut self) -> Result<i32, DecodeError> {
        self.take().map(i32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        self.take().map(u64::from_be_bytes)
    }

    /// Reads a u16 in little-endian (x86 host) order, for mode 7's host-order fields.
    pub(crate) fn u16_le(&mut self) -> Result<u16, DecodeError> {
        self.take().map(u16::from_le_bytes)
    }

    /// Reads a u32 in little-endian (x86 host) order, for mode 7's host-order fields.
    pub(crate) fn u32_le(&mut self) -> Result<u32, DecodeError> {
        self.take().map(u32::from_le_bytes)
    }

    fn truncated(&self, need: usize) -> DecodeError {
        DecodeError::Truncated {
            need,
            have: self.rest.len(),
        }
    }
}

/// Pads `buf` with zeros until its length is a multiple of `align`.
pub(crate) fn pad_to(buf: &mut Vec<u8>, align: usize) {
    let len = buf.len().next_multiple_of(align);
    buf.resize(len, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_fields_in_order() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 3, 0xff, 4, 0]);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 2);
        assert_eq!(r.u32().unwrap(), 3);
        assert_eq!(r.i8().unwrap(), -1);
        assert_eq!(r.u16_le().unwrap(), 4);
        assert_eq!(r.position(), 10);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn truncation_reports_need_and_have() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u32(), Err(DecodeError::Truncated { need: 4, have: 3 }));
        assert_eq!(r.bytes(5), Err(DecodeError::Truncated { need: 5, have: 3 }));
        assert_eq!(r.rest(), &[1, 2, 3]);
    }

    #[test]
    fn pads_to_alignment() {
        for (len, align, want) in [(0, 4, 0), (1, 4, 4), (12, 8, 16), (16, 8, 16), (13, 4, 16)] {
            let mut v = vec![0xaa; len];
            pad_to(&mut v, align);
            assert_eq!(v.len(), want);
        }
    }
}
