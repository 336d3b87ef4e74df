//! Bit streams: the MSB-first bit packing the XOR chunk encoding is built on.

/// Appends bits MSB-first to a byte vector. `free` counts unused low bits of the last byte.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    pub(crate) bytes: Vec<u8>,
    free: u8,
}

impl BitWriter {
    /// Continues writing after `bytes`, which are taken as fully used.
    pub fn with_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes, free: 0 }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        if bit && let Some(last) = self.bytes.last_mut() {
            *last |= 1 << (self.free - 1);
        }
        self.free -= 1;
    }

    pub fn write_byte(&mut self, byte: u8) {
        if self.free == 0 {
            self.bytes.push(byte);
            return;
        }
        if let Some(last) = self.bytes.last_mut() {
            *last |= byte >> (8 - self.free);
        }
        self.bytes.push(byte << self.free);
    }

    /// Writes the low `n` bits of `v` (n ≤ 64), most significant first.
    pub fn write_bits(&mut self, v: u64, n: u32) {
        if n == 0 {
            return;
        }
        let mut v = v << (64 - n);
        let mut n = n;
        while n >= 8 {
            self.write_byte((v >> 56) as u8);
            v <<= 8;
            n -= 8;
        }
        while n > 0 {
            self.write_bit(v >> 63 == 1);
            v <<= 1;
            n -= 1;
        }
    }
}

/// Reads bits MSB-first from a byte slice.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Self { b, pos: 0 }
    }

    pub fn read_bit(&mut self) -> Option<bool> {
        let byte = *self.b.get(self.pos / 8)?;
        let bit = (byte >> (7 - (self.pos % 8))) & 1 == 1;
        self.pos += 1;
        Some(bit)
    }

    /// Reads `n` bits (n ≤ 64) as the low bits of the result.
    pub fn read_bits(&mut self, mut n: u32) -> Option<u64> {
        let mut v: u64 = 0;
        while n > 0 {
            let byte = *self.b.get(self.pos / 8)?;
            let avail = 8 - (self.pos % 8) as u32;
            let take = avail.min(n);
            let bits = (u64::from(byte) >> (avail - take)) & ((1u64 << take) - 1);
            v = if take == 64 { bits } else { (v << take) | bits };
            self.pos += take as usize;
            n -= take;
        }
        Some(v)
    }

    pub fn read_byte(&mut self) -> Option<u8> {
        self.read_bits(8).map(|v| v as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bits_pack_msb_first() {
        let mut w = BitWriter::default();
        w.write_bit(true);
        w.write_bits(0b01, 2);
        w.write_byte(0xff);
        assert_eq!(w.bytes(), &[0b1011_1111, 0b1110_0000]);
    }

    proptest! {
        #[test]
        fn round_trip(items in proptest::collection::vec((any::<u64>(), 0u32..=64), 0..50)) {
            let mut w = BitWriter::default();
            for (v, n) in &items {
                w.write_bits(*v, *n);
            }
            let mut r = BitReader::new(w.bytes());
            for (v, n) in &items {
                let mask = if *n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                prop_assert_eq!(r.read_bits(*n).unwrap(), v & mask);
            }
        }
    }
}
