//! The database: persisted blocks, the head and its WAL in one data directory laid out like
//! Prometheus's (`<ulid>/` blocks and `wal/`).

use crate::block::BlockSeries;
use crate::block::{Block, DELETE_SUFFIX, TMP_SUFFIX, is_ulid, write_block};
use crate::compact;
use crate::error::{Error, Result};
use crate::head::{Appender, Head, HeadOptions, range_end};
use crate::querier::Querier;
use crate::record::{Record, encode_samples, encode_series, encode_tombstones};
use crate::replay::{ReplayReport, replay};
use crate::series::block_chunks;
use crate::wal::{self, Wal};
use obslab_model::Matcher;
use parking_lot::{Mutex, RwLock};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const HOUR_MS: i64 = 3600 * 1000;

/// Database settings; the defaults follow Prometheus's.
#[derive(Debug, Clone)]
pub struct Options {
    /// Width of level-1 blocks and head chunk ranges (2h).
    pub block_range: i64,
    /// Largest block compaction may produce (31 days, or a tenth of the time retention).
    pub max_block_duration: Option<i64>,
    /// Blocks entirely older than this behind the newest block are deleted (15 days).
    pub retention_time: Option<i64>,
    /// Oldest blocks are deleted while blocks plus WAL exceed this many bytes.
    pub retention_size: Option<u64>,
    pub wal_segment_size: usize,
    /// Snappy-compress WAL records, as Prometheus 2.42 does by default.
    pub wal_compression: bool,
    pub max_series: usize,
    pub max_labels_per_series: usize,
    /// Run compaction and retention every `compaction_interval` on a background thread.
    pub background_compaction: bool,
    pub compaction_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            block_range: 2 * HOUR_MS,
            max_block_duration: None,
            retention_time: Some(15 * 24 * HOUR_MS),
            retention_size: None,
            wal_segment_size: wal::DEFAULT_SEGMENT_SIZE,
            wal_compression: true,
            max_series: 0,
            max_labels_per_series: 0,
            background_compaction: true,
            compaction_interval: Duration::from_secs(60),
        }
    }
}

impl Options {
    fn max_block(&self) -> i64 {
        self.max_block_duration.unwrap_or_else(|| {
            let month = 31 * 24 * HOUR_MS;
            match self.retention_time {
                Some(r) => (r / 10).clamp(self.block_range, month),
                None => month,
            }
        })
    }
}

/// What one compaction pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CompactReport {
    pub head_blocks: usize,
    pub merged_blocks: usize,
    pub deleted_blocks: usize,
}

pub(crate) struct DbInner {
    dir: PathBuf,
    opts: Options,
    pub(crate) head: Head,
    wal: Wal,
    pub(crate) blocks: RwLock<Vec<Arc<Block>>>,
    compact_lock: Mutex<()>,
    replay: ReplayReport,
    closed: AtomicBool,
    stop: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
    lock: Mutex<Option<crate::fsutil::DirLock>>,
}

/// A handle to an open database; clones share it.
#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("dir", &self.inner.dir).finish()
    }
}

fn load_blocks(dir: &Path) -> Result<Vec<Arc<Block>>> {
    let mut blocks = Vec::new();
    for e in std::fs::read_dir(dir).map_err(Error::io(format!("listing {}", dir.display())))? {
        let Ok(e) = e else { continue };
        let name = e.file_name().to_string_lossy().to_string();
        let p = e.path();
        if name.ends_with(TMP_SUFFIX) || name.ends_with(DELETE_SUFFIX) {
            // Left over from an interrupted write or delete.
            std::fs::remove_dir_all(&p).map_err(Error::io(format!("removing {}", p.display())))?;
            continue;
        }
        if is_ulid(&name) && p.join("meta.json").exists() {
            blocks.push(Arc::new(Block::open(&p)?));
        }
    }
    blocks.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
    Ok(blocks)
}

impl Db {
    /// Opens (or creates) the database in `dir`: loads blocks, replays the WAL into the head
    /// (repairing a damaged tail) and starts a new WAL segment.
    pub fn open(dir: impl AsRef<Path>, opts: Options) -> Result<Db> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        let lock = crate::fsutil::DirLock::acquire(&dir)?;
        let blocks = load_blocks(&dir)?;
        let head = Head::new(HeadOptions {
            chunk_range: opts.block_range,
            max_series: opts.max_series,
            max_labels_per_series: opts.max_labels_per_series,
        });
        if let Some(max) = blocks.iter().map(|b| b.meta().max_time).max() {
            head.set_min_valid_time(max);
        }
        let wal_dir = dir.join("wal");
        let replay = replay(&wal_dir, &head)?;
        let wal = Wal::open(&wal_dir, opts.wal_segment_size)?.with_compression(opts.wal_compression);
        let inner = Arc::new(DbInner {
            dir,
            opts,
            head,
            wal,
            blocks: RwLock::new(blocks),
            compact_lock: Mutex::new(()),
            replay,
            closed: AtomicBool::new(false),
            stop: Mutex::new(None),
            worker: Mutex::new(None),
            lock: Mutex::new(Some(lock)),
        });
        let db = Db { inner };
        if db.inner.opts.background_compaction {
            db.start_worker();
        }
        Ok(db)
    }

    fn start_worker(&self) {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let weak = Arc::downgrade(&self.inner);
        let every = self.inner.opts.compaction_interval;
        let h = std::thread::Builder::new()
            .name("tsdb-compact".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(every) {
                    let Some(inner) = weak.upgrade() else { return };
                    // Errors leave data in place; the next pass retries.
                    let _ = (Db { inner }).compact();
                }
            });
        if let Ok(h) = h {
            *self.inner.stop.lock() = Some(tx);
            *self.inner.worker.lock() = Some(h);
        }
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn head(&self) -> &Head {
        &self.inner.head
    }

    /// What WAL replay found when the database was opened.
    pub fn replay_report(&self) -> &ReplayReport {
        &self.inner.replay
    }

    pub fn blocks(&self) -> Vec<Arc<Block>> {
        self.inner.blocks.read().clone()
    }

    /// A new batch of appends; see [`Appender::commit`].
    pub fn appender(&self) -> Appender<'_> {
        Appender::new(&self.inner.head, Some(&self.inner.wal), &self.inner.closed)
    }

    /// A querier over `[mint, maxt]` (inclusive, milliseconds).
    pub fn querier(&self, mint: i64, maxt: i64) -> Querier {
        Querier {
            db: self.inner.clone(),
            mint,
            maxt,
        }
    }

    /// Deletes samples of matching series in `[mint, maxt]` with tombstones (logged to the WAL
    /// for the head, written to each block's tombstones file).
    pub fn delete(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<()> {
        let _c = self.inner.compact_lock.lock();
        for b in self.inner.blocks.read().iter() {
            if b.meta().max_time > mint && b.meta().min_time <= maxt {
                b.delete(matchers, mint, maxt)?;
            }
        }
        let ts = self.inner.head.plan_delete(matchers, mint, maxt)?;
        if !ts.is_empty() {
            self.inner.wal.log(&[encode_tombstones(&ts)])?;
            for t in &ts {
                self.inner.head.apply_tombstone(t);
            }
        }
        Ok(())
    }

    /// One maintenance pass: persist full 2h ranges of the head as blocks, merge blocks,
    /// then apply retention.
    pub fn compact(&self) -> Result<CompactReport> {
        let _c = self.inner.compact_lock.lock();
        let mut rep = CompactReport::default();
        while self.compact_head_once()? {
            rep.head_blocks += 1;
        }
        rep.merged_blocks = self.compact_blocks()?;
        rep.deleted_blocks = self.apply_retention()?;
        Ok(rep)
    }

    fn compact_head_once(&self) -> Result<bool> {
        let head = &self.inner.head;
        let range = self.inner.opts.block_range;
        let (hmin, hmax) = (head.min_time(), head.max_time());
        if hmax == i64::MIN || hmin == i64::MAX || hmax - hmin <= range / 2 * 3 {
            return Ok(false);
        }
        let mint = hmin.div_euclid(range) * range;
        let maxt = range_end(hmin, range);
        // Wait for in-flight appenders so none commits below the new bound afterwards.
        match head.gc.try_write_for(Duration::from_secs(10)) {
            Some(_g) => head.set_min_valid_time(maxt),
            None => return Ok(false),
        }
        let series = head.select(&[], mint, maxt - 1)?;
        let block_series: Vec<_> = series
            .iter()
            .map(|s| BlockSeries {
                labels: s.labels.clone(),
                chunks: block_chunks(s),
            })
            .filter(|s| !s.chunks.is_empty())
            .collect();
        if !block_series.is_empty() {
            let meta = write_block(&self.inner.dir, mint, maxt, &block_series, None)?;
            let b = Arc::new(Block::open(&self.inner.dir.join(&meta.ulid))?);
            let mut bl = self.inner.blocks.write();
            bl.push(b);
            bl.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
        }
        let keep = head.truncate(maxt);
        self.checkpoint(maxt, &keep)?;
        Ok(true)
    }

    /// Rewrites the WAL up to the current segment into a checkpoint holding only what the
    /// head still needs (live series, samples at or after `t`), then drops those segments.
    fn checkpoint(&self, t: i64, keep: &roaring::RoaringBitmap) -> Result<()> {
        let wal_dir = self.inner.dir.join("wal");
        let closed = self.inner.wal.cut_segment()?;
        let mut inputs = Vec::new();
        if let Some(cp) = wal::last_checkpoint(&wal_dir)? {
            for s in wal::list_segments(&cp.dir)? {
                inputs.push(cp.dir.join(wal::segment_name(s)));
            }
        }
        for s in wal::list_segments(&wal_dir)? {
            if s <= closed {
                inputs.push(wal_dir.join(wal::segment_name(s)));
            }
        }
        let live = |r: u64| u32::try_from(r).is_ok_and(|id| keep.contains(id));
        let mut out = Vec::new();
        for p in inputs {
            let seg = wal::read_segment(&p, 0)?;
            for rec in seg.records {
                match crate::record::decode(&rec) {
                    Ok(Record::Series(s)) => {
                        let s: Vec<_> = s.into_iter().filter(|s| live(s.r#ref)).collect();
                        if !s.is_empty() {
                            out.push(encode_series(&s));
                        }
                    }
                    Ok(Record::Samples(s)) => {
                        let s: Vec<_> = s.into_iter().filter(|s| s.t >= t && live(s.r#ref)).collect();
                        if !s.is_empty() {
                            out.push(encode_samples(&s));
                        }
                    }
                    Ok(Record::Tombstones(ts)) => {
                        let ts: Vec<_> = ts.into_iter().filter(|x| x.maxt >= t && live(x.r#ref)).collect();
                        if !ts.is_empty() {
                            out.push(encode_tombstones(&ts));
                        }
                    }
                    Ok(Record::Other(_)) | Err(_) => {}
                }
            }
        }
        wal::write_checkpoint(&wal_dir, closed, &out)?;
        Ok(())
    }

    fn compact_blocks(&self) -> Result<usize> {
        let ranges = compact::ranges(self.inner.opts.block_range, self.inner.opts.max_block());
        let mut merged = 0;
        for _ in 0..100 {
            let blocks = self.blocks();
            let metas: Vec<_> = blocks.iter().map(|b| b.meta().clone()).collect();
            let ts: Vec<bool> = blocks.iter().map(|b| b.has_tombstones()).collect();
            let Some(group) = compact::plan(&metas, &ts, &ranges) else {
                break;
            };
            let parts: Vec<Arc<Block>> = group.iter().map(|&i| blocks[i].clone()).collect();
            let meta = compact::merge(&self.inner.dir, &parts)?;
            let nb = Arc::new(Block::open(&self.inner.dir.join(&meta.ulid))?);
            {
                let mut bl = self.inner.blocks.write();
                bl.retain(|b| !parts.iter().any(|p| Arc::ptr_eq(p, b)));
                bl.push(nb);
                bl.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
            }
            for p in &parts {
                remove_block_dir(p.dir())?;
            }
            merged += parts.len();
        }
        Ok(merged)
    }

    fn apply_retention(&self) -> Result<usize> {
        let blocks = self.blocks();
        let mut doomed: Vec<Arc<Block>> = Vec::new();
        if let (Some(r), Some(newest)) = (
            self.inner.opts.retention_time,
            blocks.iter().map(|b| b.meta().max_time).max(),
        ) {
            doomed.extend(blocks.iter().filter(|b| newest - b.meta().max_time >= r).cloned());
        }
        if let Some(limit) = self.inner.opts.retention_size {
            let mut total = crate::fsutil::dir_size(&self.inner.dir.join("wal"));
            for b in blocks.iter().rev() {
                total += b.size_bytes();
                if total > limit && !doomed.iter().any(|d| Arc::ptr_eq(d, b)) {
                    doomed.push(b.clone());
                }
            }
        }
        if doomed.is_empty() {
            return Ok(0);
        }
        self.inner
            .blocks
            .write()
            .retain(|b| !doomed.iter().any(|d| Arc::ptr_eq(d, b)));
        for d in &doomed {
            remove_block_dir(d.dir())?;
        }
        Ok(doomed.len())
    }

    /// Bytes used by blocks and the WAL.
    pub fn size_bytes(&self) -> u64 {
        self.blocks().iter().map(|b| b.size_bytes()).sum::<u64>()
            + crate::fsutil::dir_size(&self.inner.dir.join("wal"))
    }

    /// Counters and gauges under Prometheus's TSDB metric names.
    pub fn metrics(&self) -> Vec<(&'static str, f64)> {
        let h = &self.inner.head;
        let s = &h.stats;
        let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as f64;
        vec![
            ("prometheus_tsdb_head_series", h.num_series() as f64),
            ("prometheus_tsdb_head_series_created_total", g(&s.series_created)),
            ("prometheus_tsdb_head_series_removed_total", g(&s.series_removed)),
            (
                "prometheus_tsdb_head_samples_appended_total",
                g(&s.samples_appended),
            ),
            (
                "prometheus_tsdb_out_of_order_samples_total",
                g(&s.out_of_order_samples),
            ),
            (
                "prometheus_tsdb_out_of_bound_samples_total",
                g(&s.out_of_bound_samples),
            ),
            ("prometheus_tsdb_duplicate_samples_total", g(&s.duplicate_samples)),
            (
                "prometheus_tsdb_blocks_loaded",
                self.inner.blocks.read().len() as f64,
            ),
            (
                "prometheus_tsdb_storage_blocks_bytes",
                self.blocks().iter().map(|b| b.size_bytes()).sum::<u64>() as f64,
            ),
            (
                "prometheus_tsdb_wal_fsync_total",
                self.inner.wal.fsync_count() as f64,
            ),
        ]
    }

    /// Stops the background worker, syncs the WAL and releases the directory lock.
    /// Acknowledged data is already durable; this only ends background work. Appending after
    /// close is an error.
    pub fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        drop(self.inner.stop.lock().take());
        if let Some(h) = self.inner.worker.lock().take() {
            let _ = h.join();
        }
        self.inner.wal.close()?;
        self.inner.lock.lock().take();
        Ok(())
    }
}

fn remove_block_dir(dir: &Path) -> Result<()> {
    let Some(name) = dir.file_name() else {
        return Ok(());
    };
    let tmp = dir.with_file_name(format!("{}{DELETE_SUFFIX}", name.to_string_lossy()));
    std::fs::rename(dir, &tmp).map_err(Error::io(format!("renaming {}", dir.display())))?;
    std::fs::remove_dir_all(&tmp).map_err(Error::io(format!("removing {}", tmp.display())))
}
