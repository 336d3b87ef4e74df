//! Prometheus's XOR chunk ("Gorilla" compression): a 2-byte big-endian sample count, then a bit
//! stream of timestamps as delta-of-deltas and values as XORs against the previous value.

use super::bstream::{BitReader, BitWriter};
use obslab_model::Sample;

/// Prometheus's limit of samples before the head cuts a new chunk.
pub const SAMPLES_PER_CHUNK: usize = 120;

/// An appendable XOR chunk. Its bytes (count header included) are exactly the bytes Prometheus
/// writes into a chunks segment file, so the in-memory form is the on-disk form.
#[derive(Debug, Clone)]
pub struct XorChunk {
    w: BitWriter,
    num: u16,
    t: i64,
    v: f64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
}

impl Default for XorChunk {
    fn default() -> Self {
        Self::new()
    }
}

impl XorChunk {
    pub fn new() -> Self {
        Self {
            w: BitWriter::with_bytes(vec![0, 0]),
            num: 0,
            t: 0,
            v: 0.0,
            t_delta: 0,
            leading: 0xff,
            trailing: 0,
        }
    }

    /// The encoded chunk: count header followed by the bit stream.
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Consumes the chunk, leaving its encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.w.bytes
    }

    pub fn num_samples(&self) -> usize {
        usize::from(self.num)
    }

    /// Timestamp of the last appended sample (meaningless while empty).
    pub fn last_t(&self) -> i64 {
        self.t
    }

    pub fn last_v(&self) -> f64 {
        self.v
    }

    /// Appends a sample. Callers keep timestamps increasing; the encoding itself accepts any.
    pub fn append(&mut self, t: i64, v: f64) {
        match self.num {
            0 => {
                let mut buf = Vec::with_capacity(10);
                crate::encoding::put_varint(&mut buf, t);
                for b in buf {
                    self.w.write_byte(b);
                }
                self.w.write_bits(v.to_bits(), 64);
            }
            1 => {
                let t_delta = t.wrapping_sub(self.t) as u64;
                let mut buf = Vec::with_capacity(10);
                crate::encoding::put_uvarint(&mut buf, t_delta);
                for b in buf {
                    self.w.write_byte(b);
                }
                self.write_value(v);
                self.t_delta = t_delta;
            }
            _ => {
                let t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                if dod == 0 {
                    self.w.write_bit(false);
                } else if bit_range(dod, 14) {
                    self.w.write_bits(0b10, 2);
                    self.w.write_bits(dod as u64, 14);
                } else if bit_range(dod, 17) {
                    self.w.write_bits(0b110, 3);
                    self.w.write_bits(dod as u64, 17);
                } else if bit_range(dod, 20) {
                    self.w.write_bits(0b1110, 4);
                    self.w.write_bits(dod as u64, 20);
                } else {
                    self.w.write_bits(0b1111, 4);
                    self.w.write_bits(dod as u64, 64);
                }
                self.write_value(v);
                self.t_delta = t_delta;
            }
        }
        self.t = t;
        self.v = v;
        self.num = self.num.wrapping_add(1);
        let n = self.num.to_be_bytes();
        self.w.bytes[0] = n[0];
        self.w.bytes[1] = n[1];
    }

    fn write_value(&mut self, v: f64) {
        let delta = v.to_bits() ^ self.v.to_bits();
        if delta == 0 {
            self.w.write_bit(false);
            return;
        }
        self.w.write_bit(true);
        // Five bits hold the leading-zero count, so it is clamped to 31.
        let leading = (delta.leading_zeros() as u8).min(31);
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            self.w.write_bit(false);
            let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
            self.w.write_bits(delta >> self.trailing, sig);
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        self.w.write_bit(true);
        self.w.write_bits(u64::from(leading), 5);
        let sig = 64 - u32::from(leading) - u32::from(trailing);
        // 64 significant bits do not fit in 6 bits and are written as 0.
        self.w.write_bits(u64::from(sig), 6);
        self.w.write_bits(delta >> trailing, sig);
    }

    pub fn iter(&self) -> XorIterator<'_> {
        XorIterator::new(self.bytes())
    }
}

/// True when `x` fits the signed `nbits` window Prometheus uses for a delta-of-delta bucket.
fn bit_range(x: i64, nbits: u32) -> bool {
    let lim = 1i64 << (nbits - 1);
    -(lim - 1) <= x && x <= lim
}

/// Errors met while decoding a chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("chunk too short: {0} bytes")]
    TooShort(usize),
    #[error("chunk ends after {read} of {total} samples")]
    Truncated { read: usize, total: usize },
    #[error("unsupported chunk encoding {0}")]
    Encoding(u8),
}

/// Iterates the samples of an encoded XOR chunk.
#[derive(Debug, Clone)]
pub struct XorIterator<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    t: i64,
    v: f64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
    err: Option<ChunkError>,
}

impl<'a> XorIterator<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        let (total, rest, err) = if b.len() < 2 {
            (0, &[][..], Some(ChunkError::TooShort(b.len())))
        } else {
            (u16::from_be_bytes([b[0], b[1]]), &b[2..], None)
        };
        Self {
            r: BitReader::new(rest),
            total,
            read: 0,
            t: i64::MIN,
            v: 0.0,
            t_delta: 0,
            leading: 0,
            trailing: 0,
            err,
        }
    }

    /// The decoding error that ended iteration early, if any.
    pub fn err(&self) -> Option<&ChunkError> {
        self.err.as_ref()
    }

    /// The sample the iterator is on (after a successful `next`/`seek`).
    pub fn at(&self) -> Sample {
        Sample::new(self.t, self.v)
    }

    /// Advances to the first sample with timestamp ≥ `t`, staying put if already there.
    pub fn seek(&mut self, t: i64) -> Option<Sample> {
        if self.read > 0 && self.t >= t {
            return Some(self.at());
        }
        self.by_ref().find(|s| s.t >= t)
    }

    fn fail(&mut self) -> Option<Sample> {
        self.err = Some(ChunkError::Truncated {
            read: usize::from(self.read),
            total: usize::from(self.total),
        });
        None
    }

    fn read_uvarint_bytes(&mut self) -> Option<u64> {
        let mut x: u64 = 0;
        let mut s = 0u32;
        for _ in 0..10 {
            let b = self.r.read_byte()?;
            if b < 0x80 {
                return Some(x | (u64::from(b) << s));
            }
            x |= u64::from(b & 0x7f) << s;
            s += 7;
        }
        None
    }

    fn read_value(&mut self) -> Option<()> {
        if !self.r.read_bit()? {
            return Some(());
        }
        if self.r.read_bit()? {
            self.leading = self.r.read_bits(5)? as u8;
            let mut sig = self.r.read_bits(6)? as u8;
            if sig == 0 {
                sig = 64;
            }
            self.trailing = 64u8.saturating_sub(self.leading).saturating_sub(sig);
        }
        let sig = 64u32.saturating_sub(u32::from(self.leading) + u32::from(self.trailing));
        let bits = self.r.read_bits(sig)?;
        let shifted = if self.trailing >= 64 {
            0
        } else {
            bits << self.trailing
        };
        self.v = f64::from_bits(self.v.to_bits() ^ shifted);
        Some(())
    }

    fn step(&mut self) -> Option<()> {
        match self.read {
            0 => {
                let u = self.read_uvarint_bytes()?;
                self.t = ((u >> 1) as i64) ^ -((u & 1) as i64);
                self.v = f64::from_bits(self.r.read_bits(64)?);
            }
            1 => {
                self.t_delta = self.read_uvarint_bytes()?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
            _ => {
                let mut d = 0u8;
                for _ in 0..4 {
                    d <<= 1;
                    if !self.r.read_bit()? {
                        break;
                    }
                    d |= 1;
                }
                let dod: i64 = match d {
                    0b0 => 0,
                    0b1111 => self.r.read_bits(64)? as i64,
                    _ => {
                        let sz = match d {
                            0b10 => 14,
                            0b110 => 17,
                            _ => 20,
                        };
                        let mut bits = self.r.read_bits(sz)? as i64;
                        if bits > (1i64 << (sz - 1)) {
                            bits -= 1i64 << sz;
                        }
                        bits
                    }
                };
                self.t_delta = self.t_delta.wrapping_add(dod as u64);
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.read_value()?;
            }
        }
        Some(())
    }
}

impl Iterator for XorIterator<'_> {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        if self.err.is_some() || self.read >= self.total {
            return None;
        }
        if self.step().is_none() {
            return self.fail();
        }
        self.read += 1;
        Some(self.at())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(samples: &[(i64, f64)]) -> XorChunk {
        let mut c = XorChunk::new();
        for &(t, v) in samples {
            c.append(t, v);
        }
        c
    }

    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits()
    }

    #[test]
    fn known_bytes_of_a_small_chunk() {
        // Worked out by hand from the format: count 3, varint(1000)=d0 0f, 64 bits of 1.0,
        // uvarint(15)=0f, value bit 0 (same value), dod 0 → bit 0, value bit 0.
        let c = encode(&[(1000, 1.0), (1015, 1.0), (1030, 1.0)]);
        assert_eq!(
            c.bytes(),
            &[
                0x00,
                0x03,
                0xd0,
                0x0f,
                0x3f,
                0xf0,
                0,
                0,
                0,
                0,
                0,
                0,
                0x0f,
                0b0000_0000
            ]
        );
    }

    #[test]
    fn seek_stays_and_advances() {
        let c = encode(&[(10, 1.0), (20, 2.0), (30, 3.0)]);
        let mut it = c.iter();
        assert_eq!(it.seek(15).map(|s| s.t), Some(20));
        assert_eq!(it.seek(5).map(|s| s.t), Some(20));
        assert_eq!(it.seek(30).map(|s| s.t), Some(30));
        assert_eq!(it.seek(31), None);
    }

    #[test]
    fn truncated_chunk_reports_error() {
        let c = encode(&[(10, 1.0), (20, 2.5), (35, -3.0)]);
        let b = &c.bytes()[..c.bytes().len() - 2];
        let mut it = XorIterator::new(b);
        while it.next().is_some() {}
        assert!(matches!(it.err(), Some(ChunkError::Truncated { .. })));
    }

    #[test]
    fn stale_nan_and_extremes_survive() {
        let stale = obslab_model::sample::stale_nan();
        let vals = [
            (0, 0.0),
            (1, stale),
            (2, f64::INFINITY),
            (3, -0.0),
            (4, f64::MIN_POSITIVE),
            (i64::MAX / 2, f64::MAX),
        ];
        let c = encode(&vals);
        let got: Vec<_> = c.iter().collect();
        assert_eq!(got.len(), vals.len());
        for (g, w) in got.iter().zip(vals.iter()) {
            assert_eq!(g.t, w.0);
            assert!(same(g.v, w.1));
        }
    }

    proptest! {
        #[test]
        fn round_trip_random_series(
            start in -1_000_000_000_000i64..1_000_000_000_000,
            steps in proptest::collection::vec((0i64..3_000_000, any::<u64>(), 0u8..4), 1..120),
        ) {
            let mut t = start;
            let mut v = 0.0f64;
            let mut want = Vec::new();
            for (dt, bits, kind) in steps {
                t += dt;
                v = match kind {
                    0 => v,
                    1 => v + 1.0,
                    2 => f64::from_bits(bits),
                    _ => (bits % 1000) as f64 / 10.0,
                };
                want.push((t, v));
            }
            let c = encode(&want);
            let mut it = c.iter();
            for &(wt, wv) in &want {
                let s = it.next().unwrap();
                prop_assert_eq!(s.t, wt);
                prop_assert!(same(s.v, wv));
            }
            prop_assert!(it.next().is_none());
            prop_assert!(it.err().is_none());
        }
    }
}
