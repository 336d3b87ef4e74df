//! A batch of appends that becomes durable in the WAL, then visible, on commit.

use super::{AppendOutcome, Head, SeriesRef};
use crate::error::{Error, Result};
use crate::record::{RefSample, RefSeries, encode_samples, encode_series};
use crate::wal::Wal;
use obslab_model::Labels;
use parking_lot::RwLockReadGuard;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Collects samples; nothing is visible to queries or durable until [`Appender::commit`].
/// Samples are checked on append with Prometheus's errors (out of order, duplicate
/// timestamp, out of bounds).
pub struct Appender<'a> {
    head: &'a Head,
    wal: Option<&'a Wal>,
    _gc: RwLockReadGuard<'a, ()>,
    samples: Vec<(u32, SeriesRef, i64, f64)>,
    pending: HashMap<u32, (i64, f64)>,
    min_time: i64,
    closed: &'a AtomicBool,
}

impl<'a> Appender<'a> {
    pub(crate) fn new(head: &'a Head, wal: Option<&'a Wal>, closed: &'a AtomicBool) -> Self {
        Self {
            head,
            wal,
            _gc: head.gc.read(),
            samples: Vec::new(),
            pending: HashMap::new(),
            min_time: head.appendable_min_time(),
            closed,
        }
    }

    /// Adds a sample to the series with `labels`, creating the series if needed, and returns
    /// the series reference usable with [`Appender::append_ref`].
    pub fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<u64> {
        if t < self.min_time {
            self.head
                .stats
                .out_of_bound_samples
                .fetch_add(1, Ordering::Relaxed);
            return Err(Error::OutOfBounds);
        }
        let (id, s, _) = self.head.get_or_create(labels, None)?;
        self.add(id, s, t, v)?;
        Ok(u64::from(id))
    }

    /// Adds a sample to an existing series by reference; an unknown reference is an error.
    pub fn append_ref(&mut self, r: u64, t: i64, v: f64) -> Result<()> {
        if t < self.min_time {
            self.head
                .stats
                .out_of_bound_samples
                .fetch_add(1, Ordering::Relaxed);
            return Err(Error::OutOfBounds);
        }
        let id = u32::try_from(r).map_err(|_| Error::InvalidSeries(format!("unknown series ref {r}")))?;
        let s = self
            .head
            .get(id)
            .ok_or_else(|| Error::InvalidSeries(format!("unknown series ref {r}")))?;
        self.add(id, s, t, v)
    }

    fn add(&mut self, id: u32, s: SeriesRef, t: i64, v: f64) -> Result<()> {
        let (mt, mv) = match self.pending.get(&id) {
            Some(p) => *p,
            None => {
                let g = s.lock();
                (g.max_time, g.last_value)
            }
        };
        if mt != i64::MIN && t <= mt {
            if t < mt {
                self.head
                    .stats
                    .out_of_order_samples
                    .fetch_add(1, Ordering::Relaxed);
                return Err(Error::OutOfOrderSample);
            }
            if v.to_bits() != mv.to_bits() {
                self.head.stats.duplicate_samples.fetch_add(1, Ordering::Relaxed);
                return Err(Error::DuplicateSample);
            }
            // An exact duplicate is accepted and dropped, as Prometheus does.
            return Ok(());
        }
        self.pending.insert(id, (t, v));
        self.samples.push((id, s, t, v));
        Ok(())
    }

    /// Number of samples waiting for commit.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Writes the batch to the WAL (fsynced, possibly together with concurrent commits), then
    /// applies it to the head. On return the samples survive a crash.
    pub fn commit(self) -> Result<()> {
        if self.samples.is_empty() {
            return Ok(());
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        let mut new_series = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (id, s, _, _) in &self.samples {
            if seen.insert(*id) {
                let g = s.lock();
                if !g.logged {
                    let syms = g.labels.clone();
                    drop(g);
                    new_series.push(RefSeries {
                        r#ref: u64::from(*id),
                        labels: self.head.labels_of(&syms),
                    });
                }
            }
        }
        if let Some(wal) = self.wal {
            let mut recs = Vec::with_capacity(2);
            if !new_series.is_empty() {
                recs.push(encode_series(&new_series));
            }
            let samples: Vec<RefSample> = self
                .samples
                .iter()
                .map(|(id, _, t, v)| RefSample {
                    r#ref: u64::from(*id),
                    t: *t,
                    v: *v,
                })
                .collect();
            recs.push(encode_samples(&samples));
            wal.log(&recs)?;
        }
        for (_, s, _, _) in &self.samples {
            s.lock().logged = true;
        }
        for (_, s, t, v) in &self.samples {
            if self.head.apply_sample(s, *t, *v) == AppendOutcome::OutOfOrder {
                // Lost a race with a concurrent commit to the same series.
                continue;
            }
        }
        Ok(())
    }

    /// Discards the batch.
    pub fn rollback(self) {}
}
