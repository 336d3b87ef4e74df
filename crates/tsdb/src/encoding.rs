//! Byte-level helpers shared by every on-disk format: Go-compatible varints, big-endian integers,
//! and the CRC32 (Castagnoli) checksum Prometheus uses everywhere.

use crc::{CRC_32_ISCSI, Crc};

/// CRC32 with the Castagnoli polynomial, as in Prometheus's index, chunks, WAL and tombstones.
pub const CASTAGNOLI: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);

pub fn crc32(data: &[u8]) -> u32 {
    CASTAGNOLI.checksum(data)
}

/// A growable byte buffer with the write helpers Prometheus's `Encbuf` has.
#[derive(Debug, Default, Clone)]
pub struct Encbuf {
    pub b: Vec<u8>,
}

impl Encbuf {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.b.len()
    }
    pub fn is_empty(&self) -> bool {
        self.b.is_empty()
    }
    pub fn put_byte(&mut self, v: u8) {
        self.b.push(v);
    }
    pub fn put_be32(&mut self, v: u32) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }
    pub fn put_be64(&mut self, v: u64) {
        self.b.extend_from_slice(&v.to_be_bytes());
    }
    pub fn put_uvarint(&mut self, v: u64) {
        put_uvarint(&mut self.b, v);
    }
    pub fn put_varint(&mut self, v: i64) {
        put_varint(&mut self.b, v);
    }
    /// A string prefixed with its uvarint byte length.
    pub fn put_uvarint_str(&mut self, s: &str) {
        self.put_uvarint(s.len() as u64);
        self.b.extend_from_slice(s.as_bytes());
    }
    pub fn put_bytes(&mut self, s: &[u8]) {
        self.b.extend_from_slice(s);
    }
}

pub fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Zig-zag signed varint, identical to Go's `binary.PutVarint`.
pub fn put_varint(out: &mut Vec<u8>, v: i64) {
    put_uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Errors from decoding a byte slice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unexpected end of data")]
    Eof,
    #[error("varint overflows 64 bits")]
    Overflow,
    #[error("invalid utf-8 string")]
    Utf8,
}

/// A read cursor over bytes with the same helpers as Prometheus's `Decbuf`.
#[derive(Debug, Clone)]
pub struct Decbuf<'a> {
    pub b: &'a [u8],
}

impl<'a> Decbuf<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Self { b }
    }
    pub fn len(&self) -> usize {
        self.b.len()
    }
    pub fn is_empty(&self) -> bool {
        self.b.is_empty()
    }
    pub fn byte(&mut self) -> Result<u8, DecodeError> {
        let (&v, rest) = self.b.split_first().ok_or(DecodeError::Eof)?;
        self.b = rest;
        Ok(v)
    }
    pub fn be32(&mut self) -> Result<u32, DecodeError> {
        let s = self.take(4)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub fn be64(&mut self) -> Result<u64, DecodeError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_be_bytes(a))
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.b.len() < n {
            return Err(DecodeError::Eof);
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }
    pub fn uvarint(&mut self) -> Result<u64, DecodeError> {
        let (v, n) = read_uvarint(self.b)?;
        self.b = &self.b[n..];
        Ok(v)
    }
    pub fn varint(&mut self) -> Result<i64, DecodeError> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
    pub fn uvarint_str(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.uvarint()? as usize;
        let s = self.take(n)?;
        std::str::from_utf8(s).map_err(|_| DecodeError::Utf8)
    }
}

/// Reads a uvarint, returning the value and the number of bytes used.
pub fn read_uvarint(b: &[u8]) -> Result<(u64, usize), DecodeError> {
    let mut x: u64 = 0;
    let mut s: u32 = 0;
    for (i, &c) in b.iter().enumerate() {
        if i == 10 {
            return Err(DecodeError::Overflow);
        }
        if c < 0x80 {
            if i == 9 && c > 1 {
                return Err(DecodeError::Overflow);
            }
            return Ok((x | (u64::from(c) << s), i + 1));
        }
        x |= u64::from(c & 0x7f) << s;
        s += 7;
    }
    Err(DecodeError::Eof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc_is_castagnoli() {
        // Known check value of CRC-32C.
        assert_eq!(crc32(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn varints_match_go_encoding() {
        let mut b = Vec::new();
        put_varint(&mut b, -1);
        assert_eq!(b, [1]);
        b.clear();
        put_uvarint(&mut b, 300);
        assert_eq!(b, [0xac, 0x02]);
    }

    proptest! {
        #[test]
        fn varint_round_trip(v in any::<i64>(), u in any::<u64>()) {
            let mut e = Encbuf::new();
            e.put_varint(v);
            e.put_uvarint(u);
            let mut d = Decbuf::new(&e.b);
            prop_assert_eq!(d.varint().unwrap(), v);
            prop_assert_eq!(d.uvarint().unwrap(), u);
            prop_assert!(d.is_empty());
        }
    }
}
