//! Chunk segment files of a block (`chunks/000001`, ...): an 8-byte header (magic 0x85BD40DD,
//! version 1, padding), then chunks as `len uvarint | encoding byte | data | CRC32C`. A chunk is
//! addressed by `segment index << 32 | byte offset`.

mod reader;
mod writer;

pub use reader::ChunksReader;
pub use writer::ChunksWriter;

pub const MAGIC_CHUNKS: u32 = 0x85BD_40DD;
pub const CHUNKS_FORMAT_V1: u8 = 1;
pub const SEGMENT_HEADER_SIZE: u64 = 8;
/// Prometheus's default upper bound of one chunks segment file.
pub const DEFAULT_MAX_SEGMENT_SIZE: u64 = 512 * 1024 * 1024;

/// Packs a segment index and a byte offset into a chunk reference.
pub fn chunk_ref(segment: u64, offset: u64) -> u64 {
    (segment << 32) | offset
}

/// Splits a chunk reference into segment index and byte offset.
pub fn unpack_ref(r: u64) -> (usize, usize) {
    ((r >> 32) as usize, (r & 0xffff_ffff) as usize)
}

/// File name of the segment with 1-based sequence number `seq`.
pub fn segment_name(seq: usize) -> String {
    format!("{seq:06}")
}

#[derive(Debug, thiserror::Error)]
pub enum ChunksError {
    #[error("chunks I/O on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("chunks segment {path}: {msg}")]
    Corrupt { path: String, msg: String },
    #[error("chunk ref {0:#x} points outside the segment files")]
    BadRef(u64),
    #[error("chunk at ref {0:#x}: checksum mismatch")]
    Checksum(u64),
    #[error("chunk at ref {r:#x}: unsupported encoding {enc}")]
    Encoding { r: u64, enc: u8 },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::XorChunk;

    #[test]
    fn write_then_read_chunks_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let cdir = dir.path().join("chunks");
        let mut w = ChunksWriter::create(&cdir, 64).unwrap();
        let mut refs = Vec::new();
        let mut want = Vec::new();
        for i in 0..5 {
            let mut c = XorChunk::new();
            for j in 0..10 {
                c.append(i * 1000 + j * 15, (i * j) as f64);
            }
            refs.push(w.write_chunk(c.bytes()).unwrap());
            want.push(c.bytes().to_vec());
        }
        w.finish().unwrap();
        assert!(cdir.join("000001").exists() && cdir.join("000002").exists());
        assert_eq!(refs[0], chunk_ref(0, 8));
        let r = ChunksReader::open(&cdir).unwrap();
        for (rf, w) in refs.iter().zip(want.iter()) {
            assert_eq!(r.chunk(*rf).unwrap(), &w[..]);
        }
        assert!(r.chunk(chunk_ref(9, 8)).is_err());
    }

    #[test]
    fn corrupted_chunk_fails_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let cdir = dir.path().join("chunks");
        let mut w = ChunksWriter::create(&cdir, DEFAULT_MAX_SEGMENT_SIZE).unwrap();
        let mut c = XorChunk::new();
        c.append(1, 1.0);
        let r = w.write_chunk(c.bytes()).unwrap();
        w.finish().unwrap();
        let p = cdir.join("000001");
        let mut b = std::fs::read(&p).unwrap();
        b[12] ^= 0xff;
        std::fs::write(&p, b).unwrap();
        let rd = ChunksReader::open(&cdir).unwrap();
        assert!(matches!(rd.chunk(r), Err(ChunksError::Checksum(_))));
    }
}
