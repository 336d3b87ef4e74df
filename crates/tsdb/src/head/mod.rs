//! The in-memory head block: recent samples of every active series, kept as XOR chunk bytes,
//! indexed by a postings bitmap index over interned label strings.

mod appender;
mod postings;
mod series;
mod status;
mod symbols;

pub use appender::Appender;
pub use series::{AppendOutcome, MemSeries, range_end};
pub use status::{HeadStatus, StatEntry};

use crate::error::{Error, Result};
use crate::postings::{LabelIndex, select_postings};
use crate::record::RefTombstone;
use crate::series::{Interval, Series, add_interval};
use obslab_model::{Labels, Matcher};
use parking_lot::{Mutex, RwLock};
use postings::MemPostings;
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use symbols::Symbols;

const STRIPES: usize = 16;

/// Limits and sizes of the head.
#[derive(Debug, Clone)]
pub struct HeadOptions {
    /// Width of a head chunk range and of a level-1 block (2h in milliseconds).
    pub chunk_range: i64,
    /// Maximum number of series in the head; 0 means unlimited.
    pub max_series: usize,
    /// Maximum number of labels in one series; 0 means unlimited.
    pub max_labels_per_series: usize,
}

impl Default for HeadOptions {
    fn default() -> Self {
        Self {
            chunk_range: 2 * 3600 * 1000,
            max_series: 0,
            max_labels_per_series: 0,
        }
    }
}

/// Counters named after Prometheus's `prometheus_tsdb_*` metrics.
#[derive(Debug, Default)]
pub struct HeadStats {
    pub series_created: AtomicU64,
    pub series_removed: AtomicU64,
    pub samples_appended: AtomicU64,
    pub out_of_order_samples: AtomicU64,
    pub out_of_bound_samples: AtomicU64,
    pub duplicate_samples: AtomicU64,
    pub series_limit_rejections: AtomicU64,
}

type SeriesRef = Arc<Mutex<MemSeries>>;

pub struct Head {
    opts: HeadOptions,
    symbols: Symbols,
    postings: MemPostings,
    by_id: Vec<RwLock<HashMap<u32, SeriesRef>>>,
    by_hash: Vec<RwLock<HashMap<u64, Vec<u32>>>>,
    next_id: AtomicU32,
    num_series: AtomicUsize,
    min_time: AtomicI64,
    max_time: AtomicI64,
    min_valid_time: AtomicI64,
    /// Appenders hold it shared; series garbage collection takes it exclusively.
    pub(crate) gc: RwLock<()>,
    pub stats: HeadStats,
}

fn hash_syms(syms: &[u32]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    syms.hash(&mut h);
    h.finish()
}

impl Head {
    pub fn new(opts: HeadOptions) -> Self {
        Self {
            opts,
            symbols: Symbols::default(),
            postings: MemPostings::default(),
            by_id: (0..STRIPES).map(|_| RwLock::new(HashMap::new())).collect(),
            by_hash: (0..STRIPES).map(|_| RwLock::new(HashMap::new())).collect(),
            next_id: AtomicU32::new(1),
            num_series: AtomicUsize::new(0),
            min_time: AtomicI64::new(i64::MAX),
            max_time: AtomicI64::new(i64::MIN),
            min_valid_time: AtomicI64::new(i64::MIN),
            gc: RwLock::new(()),
            stats: HeadStats::default(),
        }
    }

    pub fn options(&self) -> &HeadOptions {
        &self.opts
    }

    /// Distinct interned label strings.
    pub fn num_symbols(&self) -> usize {
        self.symbols.len()
    }

    pub fn num_series(&self) -> usize {
        self.num_series.load(Ordering::Relaxed)
    }

    /// Oldest sample time in the head (`i64::MAX` when empty).
    pub fn min_time(&self) -> i64 {
        self.min_time.load(Ordering::Acquire)
    }

    /// Newest sample time in the head (`i64::MIN` when empty).
    pub fn max_time(&self) -> i64 {
        self.max_time.load(Ordering::Acquire)
    }

    pub fn min_valid_time(&self) -> i64 {
        self.min_valid_time.load(Ordering::Acquire)
    }

    pub(crate) fn set_min_valid_time(&self, t: i64) {
        self.min_valid_time.fetch_max(t, Ordering::AcqRel);
    }

    /// Samples older than this are rejected as out of bounds: already persisted, or more
    /// than half a chunk range behind the newest sample, as in Prometheus.
    pub fn appendable_min_time(&self) -> i64 {
        let mv = self.min_valid_time();
        let mx = self.max_time();
        if mx == i64::MIN {
            mv
        } else {
            mv.max(mx.saturating_sub(self.opts.chunk_range / 2))
        }
    }

    pub(crate) fn note_time(&self, t: i64) {
        self.min_time.fetch_min(t, Ordering::AcqRel);
        self.max_time.fetch_max(t, Ordering::AcqRel);
    }

    fn intern_labels(&self, labels: &Labels) -> Box<[u32]> {
        let mut v = Vec::with_capacity(labels.len() * 2);
        for l in labels {
            v.push(self.symbols.intern(&l.name));
            v.push(self.symbols.intern(&l.value));
        }
        v.into_boxed_slice()
    }

    pub fn labels_of(&self, syms: &[u32]) -> Labels {
        let s = self.symbols.resolve_all(syms);
        Labels::from_pairs(s.chunks_exact(2).map(|p| (p[0].to_string(), p[1].to_string())))
    }

    pub fn get(&self, id: u32) -> Option<SeriesRef> {
        self.by_id[id as usize % STRIPES].read().get(&id).cloned()
    }

    fn validate(&self, labels: &Labels) -> Result<()> {
        if labels.is_empty() {
            return Err(Error::InvalidSeries("empty label set".into()));
        }
        let max = self.opts.max_labels_per_series;
        if max > 0 && labels.len() > max {
            return Err(Error::Limit(format!(
                "series {labels} has {} labels, more than the limit of {max}",
                labels.len()
            )));
        }
        Ok(())
    }

    /// Finds the series with `labels` or creates it (with id `want` when given, as on WAL
    /// replay). Returns its id, the series and whether it was created.
    pub fn get_or_create(&self, labels: &Labels, want: Option<u32>) -> Result<(u32, SeriesRef, bool)> {
        self.validate(labels)?;
        let syms = self.intern_labels(labels);
        let h = hash_syms(&syms);
        let stripe = &self.by_hash[h as usize % STRIPES];
        if let Some(found) = self.find(stripe.read().get(&h), &syms) {
            return Ok((found.0, found.1, false));
        }
        let mut hw = stripe.write();
        if let Some(found) = self.find(hw.get(&h), &syms) {
            return Ok((found.0, found.1, false));
        }
        let max = self.opts.max_series;
        if max > 0 && self.num_series() >= max {
            self.stats.series_limit_rejections.fetch_add(1, Ordering::Relaxed);
            return Err(Error::Limit(format!("per-head series limit of {max} exceeded")));
        }
        let id = match want {
            Some(w) => {
                self.next_id.fetch_max(w.saturating_add(1), Ordering::AcqRel);
                w
            }
            None => self.next_id.fetch_add(1, Ordering::AcqRel),
        };
        let s = Arc::new(Mutex::new(MemSeries::new(syms.clone())));
        self.by_id[id as usize % STRIPES].write().insert(id, s.clone());
        hw.entry(h).or_default().push(id);
        drop(hw);
        self.postings.add(id, &syms);
        self.num_series.fetch_add(1, Ordering::Relaxed);
        self.stats.series_created.fetch_add(1, Ordering::Relaxed);
        Ok((id, s, true))
    }

    fn find(&self, ids: Option<&Vec<u32>>, syms: &[u32]) -> Option<(u32, SeriesRef)> {
        for &id in ids? {
            if let Some(s) = self.get(id)
                && *s.lock().labels == *syms
            {
                return Some((id, s));
            }
        }
        None
    }

    /// Series matching all matchers with samples in `[mint, maxt]`, sorted by labels.
    pub fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<Vec<Series>> {
        let ids = select_postings(self, matchers)?;
        let mut out = Vec::new();
        for id in ids {
            let Some(s) = self.get(id) else { continue };
            let (syms, chunks, deleted) = {
                let g = s.lock();
                (g.labels.clone(), g.chunks_in(mint, maxt), g.deleted.clone())
            };
            if chunks.is_empty() {
                continue;
            }
            out.push(Series {
                labels: self.labels_of(&syms),
                chunks,
                deleted,
                mint,
                maxt,
            });
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }

    pub fn label_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .symbols
            .resolve_all(&self.postings.names())
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.sort();
        v
    }

    pub fn label_values(&self, name: &str) -> Vec<String> {
        let Some(n) = self.symbols.lookup(name) else {
            return Vec::new();
        };
        let mut v: Vec<String> = self
            .symbols
            .resolve_all(&self.postings.values(n))
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.sort();
        v
    }

    /// Tombstones for matching series over `[mint, maxt]`, to be logged and then applied.
    /// Each interval is clamped to the series' current data, as Prometheus does, so samples
    /// appended later are not deleted.
    pub fn plan_delete(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<Vec<RefTombstone>> {
        let ids = select_postings(self, matchers)?;
        let mut out = Vec::new();
        for id in ids {
            let Some(s) = self.get(id) else { continue };
            let g = s.lock();
            let Some(smin) = g.min_time() else { continue };
            let (lo, hi) = (mint.max(smin), maxt.min(g.max_time));
            if lo <= hi {
                out.push(RefTombstone {
                    r#ref: u64::from(id),
                    mint: lo,
                    maxt: hi,
                });
            }
        }
        Ok(out)
    }

    pub fn apply_tombstone(&self, t: &RefTombstone) {
        if let Some(s) = u32::try_from(t.r#ref).ok().and_then(|id| self.get(id)) {
            add_interval(&mut s.lock().deleted, Interval::new(t.mint, t.maxt));
        }
    }

    /// Appends one sample directly (WAL replay and commit); updates counters.
    pub(crate) fn apply_sample(&self, s: &SeriesRef, t: i64, v: f64) -> AppendOutcome {
        let out = s.lock().append(t, v, self.opts.chunk_range);
        match out {
            AppendOutcome::Appended => {
                self.note_time(t);
                self.stats.samples_appended.fetch_add(1, Ordering::Relaxed);
            }
            AppendOutcome::OutOfOrder => {
                self.stats.out_of_order_samples.fetch_add(1, Ordering::Relaxed);
            }
            AppendOutcome::Duplicate => {}
        }
        out
    }

    /// Drops data older than `t` and series left empty; returns the ids still present.
    pub fn truncate(&self, t: i64) -> RoaringBitmap {
        self.set_min_valid_time(t);
        let gc = self.gc.try_write();
        let mut keep = RoaringBitmap::new();
        let mut new_min = i64::MAX;
        for stripe in &self.by_id {
            let mut removed = Vec::new();
            {
                let r = stripe.read();
                for (&id, s) in r.iter() {
                    let mut g = s.lock();
                    let empty = g.truncate_before(t);
                    if empty && gc.is_some() && g.max_time < t {
                        removed.push((id, g.labels.clone()));
                    } else {
                        keep.insert(id);
                        if let Some(m) = g.min_time() {
                            new_min = new_min.min(m);
                        }
                    }
                }
            }
            // Lock order as in get_or_create: hash stripe, then id stripe.
            for (id, syms) in removed {
                let h = hash_syms(&syms);
                let mut hw = self.by_hash[h as usize % STRIPES].write();
                if let Some(ids) = hw.get_mut(&h) {
                    ids.retain(|x| *x != id);
                    if ids.is_empty() {
                        hw.remove(&h);
                    }
                }
                stripe.write().remove(&id);
                drop(hw);
                self.postings.remove(id, &syms);
                self.num_series.fetch_sub(1, Ordering::Relaxed);
                self.stats.series_removed.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.min_time.store(new_min.max(t), Ordering::Release);
        if new_min == i64::MAX {
            self.min_time.store(i64::MAX, Ordering::Release);
        }
        keep
    }

    /// Labels of every series id (for WAL checkpoints).
    pub fn series_labels(&self, ids: &RoaringBitmap) -> Vec<(u32, Labels)> {
        ids.iter()
            .filter_map(|id| {
                let s = self.get(id)?;
                let syms = s.lock().labels.clone();
                Some((id, self.labels_of(&syms)))
            })
            .collect()
    }

    /// Rough heap bytes held by chunk data.
    pub fn chunk_bytes(&self) -> usize {
        self.by_id
            .iter()
            .map(|st| st.read().values().map(|s| s.lock().chunk_bytes()).sum::<usize>())
            .sum()
    }
}

impl LabelIndex for Head {
    fn all_postings(&self) -> Result<RoaringBitmap> {
        Ok(self.postings.all())
    }
    fn postings_for(&self, name: &str, value: &str) -> Result<RoaringBitmap> {
        match (self.symbols.lookup(name), self.symbols.lookup(value)) {
            (Some(n), Some(v)) => Ok(self.postings.get(n, v)),
            _ => Ok(RoaringBitmap::new()),
        }
    }
    fn values_of(&self, name: &str) -> Result<Vec<String>> {
        Ok(self.label_values(name))
    }
}
