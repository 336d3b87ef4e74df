//! Reads chunks out of a block's memory-mapped segment files.

use super::{ChunksError, MAGIC_CHUNKS, SEGMENT_HEADER_SIZE, unpack_ref};
use crate::chunkenc::ENCODING_XOR;
use crate::encoding::{crc32, read_uvarint};
use memmap2::Mmap;
use std::fs::File;
use std::path::Path;

/// The segment files of one block, mapped read-only.
pub struct ChunksReader {
    segments: Vec<Mmap>,
    size: u64,
}

impl ChunksReader {
    pub fn open(dir: &Path) -> Result<Self, ChunksError> {
        let io = |source| ChunksError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut names: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let n = e.file_name().to_str()?.parse::<u64>().ok()?;
                Some((n, e.path()))
            })
            .collect();
        names.sort();
        let mut segments = Vec::with_capacity(names.len());
        let mut size = 0;
        for (_, p) in names {
            let pio = |source| ChunksError::Io {
                path: p.display().to_string(),
                source,
            };
            let f = File::open(&p).map_err(pio)?;
            // SAFETY: block files are immutable once written; the map is read-only.
            let m = unsafe { Mmap::map(&f) }.map_err(pio)?;
            if m.len() < SEGMENT_HEADER_SIZE as usize
                || u32::from_be_bytes([m[0], m[1], m[2], m[3]]) != MAGIC_CHUNKS
            {
                return Err(ChunksError::Corrupt {
                    path: p.display().to_string(),
                    msg: "invalid magic number".into(),
                });
            }
            size += m.len() as u64;
            segments.push(m);
        }
        Ok(Self { segments, size })
    }

    /// Total bytes of all segment files.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The XOR chunk bytes (count header included) at `r`, after checking its CRC.
    pub fn chunk(&self, r: u64) -> Result<&[u8], ChunksError> {
        let (seg, off) = unpack_ref(r);
        let m = self.segments.get(seg).ok_or(ChunksError::BadRef(r))?;
        let b = m.get(off..).ok_or(ChunksError::BadRef(r))?;
        let (len, n) = read_uvarint(b).map_err(|_| ChunksError::BadRef(r))?;
        let len = len as usize;
        let body = b.get(n..n + 1 + len + 4).ok_or(ChunksError::BadRef(r))?;
        let (payload, sum) = body.split_at(1 + len);
        if crc32(payload) != u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]) {
            return Err(ChunksError::Checksum(r));
        }
        if payload[0] != ENCODING_XOR {
            return Err(ChunksError::Encoding { r, enc: payload[0] });
        }
        Ok(&payload[1..])
    }
}
