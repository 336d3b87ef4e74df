//! Appends records to the active segment and makes them durable with shared fsyncs.

use super::{
    PAGE_SIZE, REC_FIRST, REC_FULL, REC_LAST, REC_MIDDLE, RECORD_HEADER_SIZE, SNAPPY_MASK, WalError, io,
    list_segments, segment_name,
};
use crate::encoding::crc32;
use parking_lot::Mutex;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

struct Active {
    file: Arc<File>,
    segment: u32,
    page: Box<[u8]>,
    alloc: usize,
    flushed: usize,
    done_pages: usize,
    /// Number of the last record batch written to the file (not necessarily synced).
    written: u64,
}

/// A WAL open for appending. Writers that commit concurrently share fsyncs: whoever syncs
/// covers every batch written before it started.
pub struct Wal {
    dir: PathBuf,
    segment_size: usize,
    active: Mutex<Active>,
    sync_lock: Mutex<()>,
    synced: AtomicU64,
    fsyncs: AtomicU64,
    compress: bool,
}

impl Wal {
    /// Opens the WAL in `dir` for appending, starting a fresh segment after the last existing
    /// one (as Prometheus does, so a repaired tail is never appended to).
    pub fn open(dir: &Path, segment_size: usize) -> Result<Self, WalError> {
        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        let next = list_segments(dir)?.last().map(|l| l + 1).unwrap_or(0);
        let segment_size = segment_size.max(PAGE_SIZE * 2) / PAGE_SIZE * PAGE_SIZE;
        let active = Self::create_segment(dir, next)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            segment_size,
            active: Mutex::new(active),
            sync_lock: Mutex::new(()),
            synced: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
            compress: false,
        })
    }

    fn create_segment(dir: &Path, n: u32) -> Result<Active, WalError> {
        let p = dir.join(segment_name(n));
        let f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&p)
            .map_err(io(format!("creating {}", p.display())))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(format!("syncing {}", dir.display())))?;
        Ok(Active {
            file: Arc::new(f),
            segment: n,
            page: vec![0u8; PAGE_SIZE].into_boxed_slice(),
            alloc: 0,
            flushed: 0,
            done_pages: 0,
            written: 0,
        })
    }

    /// Snappy-compresses records from now on (Prometheus's `--storage.tsdb.wal-compression`);
    /// readers handle both forms, even mixed in one segment.
    pub fn with_compression(mut self, on: bool) -> Self {
        self.compress = on;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Index of the segment being written.
    pub fn current_segment(&self) -> u32 {
        self.active.lock().segment
    }

    /// How many fsyncs were issued (group commit makes this lower than the commit count).
    pub fn fsync_count(&self) -> u64 {
        self.fsyncs.load(Ordering::Relaxed)
    }

    /// Writes `records` and returns once they are on stable storage.
    pub fn log(&self, records: &[Vec<u8>]) -> Result<(), WalError> {
        let (seq, file) = {
            let mut a = self.active.lock();
            for r in records {
                self.write_record(&mut a, r)?;
            }
            self.flush_page(&mut a, false)?;
            a.written += 1;
            (a.written, a.file.clone())
        };
        self.sync_to(seq, &file)
    }

    fn sync_to(&self, seq: u64, _file: &Arc<File>) -> Result<(), WalError> {
        if self.synced.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let _g = self.sync_lock.lock();
        if self.synced.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        // Everything up to `target` is in this file or in earlier segments, which were
        // synced when they were closed.
        let (target, file) = {
            let a = self.active.lock();
            (a.written, a.file.clone())
        };
        file.sync_data().map_err(io("fsync of WAL segment"))?;
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        self.synced.store(target, Ordering::Release);
        Ok(())
    }

    fn pages_per_segment(&self) -> usize {
        self.segment_size / PAGE_SIZE
    }

    fn write_record(&self, a: &mut Active, rec: &[u8]) -> Result<(), WalError> {
        let compressed;
        let (rec, flag) = if self.compress {
            compressed = snap::raw::Encoder::new()
                .compress_vec(rec)
                .map_err(|e| WalError::Io {
                    context: "snappy compression of a WAL record".into(),
                    source: std::io::Error::other(e),
                })?;
            (&compressed[..], SNAPPY_MASK)
        } else {
            (rec, 0)
        };
        let per_page = PAGE_SIZE - RECORD_HEADER_SIZE;
        if rec.len() > per_page * self.pages_per_segment() {
            return Err(WalError::TooLarge(rec.len()));
        }
        let left = (PAGE_SIZE - a.alloc).saturating_sub(RECORD_HEADER_SIZE)
            + per_page * (self.pages_per_segment() - a.done_pages - 1);
        if rec.len() > left {
            self.next_segment(a)?;
        }
        let mut rest = rec;
        let mut first = true;
        loop {
            let room = PAGE_SIZE - a.alloc - RECORD_HEADER_SIZE;
            let n = rest.len().min(room);
            let (part, tail) = rest.split_at(n);
            let typ = match (first, tail.is_empty()) {
                (true, true) => REC_FULL,
                (true, false) => REC_FIRST,
                (false, true) => REC_LAST,
                (false, false) => REC_MIDDLE,
            };
            let at = a.alloc;
            a.page[at] = typ | flag;
            a.page[at + 1..at + 3].copy_from_slice(&(n as u16).to_be_bytes());
            a.page[at + 3..at + 7].copy_from_slice(&crc32(part).to_be_bytes());
            a.page[at + 7..at + 7 + n].copy_from_slice(part);
            a.alloc += RECORD_HEADER_SIZE + n;
            if PAGE_SIZE - a.alloc < RECORD_HEADER_SIZE {
                self.flush_page(a, true)?;
            }
            rest = tail;
            first = false;
            if rest.is_empty() {
                return Ok(());
            }
        }
    }

    /// Writes the unwritten part of the page; a full (or closing) page is written to its end
    /// with zero padding and a new page starts.
    fn flush_page(&self, a: &mut Active, close: bool) -> Result<(), WalError> {
        let end = if close { PAGE_SIZE } else { a.alloc };
        if end > a.flushed {
            let mut f: &File = &a.file;
            f.write_all(&a.page[a.flushed..end])
                .map_err(io("writing WAL page"))?;
            a.flushed = end;
        }
        if close {
            a.page.fill(0);
            a.alloc = 0;
            a.flushed = 0;
            a.done_pages += 1;
        }
        Ok(())
    }

    fn next_segment(&self, a: &mut Active) -> Result<(), WalError> {
        if a.alloc > 0 {
            self.flush_page(a, true)?;
        }
        a.file.sync_data().map_err(io("fsync of closing WAL segment"))?;
        let written = a.written;
        *a = Self::create_segment(&self.dir, a.segment + 1)?;
        a.written = written;
        Ok(())
    }

    /// Closes the active segment and starts the next one; returns the closed segment's index.
    pub fn cut_segment(&self) -> Result<u32, WalError> {
        let mut a = self.active.lock();
        let closed = a.segment;
        self.next_segment(&mut a)?;
        Ok(closed)
    }

    /// Flushes and syncs the active segment.
    pub fn close(&self) -> Result<(), WalError> {
        let a = self.active.lock();
        a.file.sync_data().map_err(io("fsync of WAL segment"))
    }
}
