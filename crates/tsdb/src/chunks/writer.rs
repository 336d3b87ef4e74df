//! Writes chunk segment files for a new block.

use super::{CHUNKS_FORMAT_V1, ChunksError, MAGIC_CHUNKS, SEGMENT_HEADER_SIZE, chunk_ref, segment_name};
use crate::chunkenc::ENCODING_XOR;
use crate::encoding::{crc32, put_uvarint};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Appends XOR chunks to numbered segment files, starting a new file when one would exceed
/// the size limit.
pub struct ChunksWriter {
    dir: PathBuf,
    max_size: u64,
    cur: Option<(BufWriter<File>, PathBuf)>,
    seq: usize,
    pos: u64,
}

impl ChunksWriter {
    pub fn create(dir: &Path, max_size: u64) -> Result<Self, ChunksError> {
        std::fs::create_dir_all(dir).map_err(|source| ChunksError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            max_size,
            cur: None,
            seq: 0,
            pos: 0,
        })
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ChunksError + '_ {
        move |source| ChunksError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn cut(&mut self) -> Result<(), ChunksError> {
        self.close_current()?;
        self.seq += 1;
        let path = self.dir.join(segment_name(self.seq));
        let f = File::create(&path).map_err(Self::io(&path))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        let mut hdr = MAGIC_CHUNKS.to_be_bytes().to_vec();
        hdr.extend_from_slice(&[CHUNKS_FORMAT_V1, 0, 0, 0]);
        w.write_all(&hdr).map_err(Self::io(&path))?;
        self.pos = SEGMENT_HEADER_SIZE;
        self.cur = Some((w, path));
        Ok(())
    }

    fn close_current(&mut self) -> Result<(), ChunksError> {
        if let Some((w, path)) = self.cur.take() {
            let f = w.into_inner().map_err(|e| ChunksError::Io {
                path: path.display().to_string(),
                source: e.into_error(),
            })?;
            f.sync_all().map_err(Self::io(&path))?;
        }
        Ok(())
    }

    /// Writes one XOR chunk (its bytes with the count header) and returns its reference.
    pub fn write_chunk(&mut self, data: &[u8]) -> Result<u64, ChunksError> {
        let mut rec = Vec::with_capacity(data.len() + 15);
        put_uvarint(&mut rec, data.len() as u64);
        let crc_start = rec.len();
        rec.push(ENCODING_XOR);
        rec.extend_from_slice(data);
        let crc = crc32(&rec[crc_start..]);
        rec.extend_from_slice(&crc.to_be_bytes());
        if self.cur.is_none()
            || (self.pos > SEGMENT_HEADER_SIZE && self.pos + rec.len() as u64 > self.max_size)
        {
            self.cut()?;
        }
        let r = chunk_ref((self.seq - 1) as u64, self.pos);
        if let Some((w, path)) = self.cur.as_mut() {
            w.write_all(&rec).map_err(|source| ChunksError::Io {
                path: path.display().to_string(),
                source,
            })?;
        }
        self.pos += rec.len() as u64;
        Ok(r)
    }

    /// Flushes and fsyncs the last segment.
    pub fn finish(mut self) -> Result<(), ChunksError> {
        self.close_current()
    }
}
