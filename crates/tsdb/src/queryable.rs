//! The query engine's storage interface (`obslab_model::Queryable`) served by the database.

use crate::chunkenc::XorIterator;
use crate::db::Db;
use crate::series::Series;
use obslab_model::storage::{
    Queryable, SampleIterator, SampleValue, SelectHints, Series as ModelSeries, SeriesSet, StorageError,
    StoredSample,
};
use obslab_model::{Labels, Matcher, Sample};
use std::collections::BTreeSet;

fn internal(e: crate::Error) -> StorageError {
    StorageError::Internal(e.to_string())
}

impl ModelSeries for Series {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn iterator(&self) -> Box<dyn SampleIterator + '_> {
        let mut chunks: Vec<_> = self.chunks.iter().collect();
        chunks.sort_by_key(|c| (c.mint, c.maxt));
        let disjoint = chunks.windows(2).all(|w| w[1].mint > w[0].maxt);
        if disjoint {
            Box::new(ChunkedIter {
                s: self,
                chunks,
                next_chunk: 0,
                cur: None,
            })
        } else {
            Box::new(VecIter {
                samples: self.samples().into_iter(),
            })
        }
    }
}

/// Decodes disjoint chunks one after the other, skipping deleted and out-of-range samples.
struct ChunkedIter<'a> {
    s: &'a Series,
    chunks: Vec<&'a crate::series::ChunkData>,
    next_chunk: usize,
    cur: Option<XorIterator<'a>>,
}

impl ChunkedIter<'_> {
    fn advance(&mut self) -> Option<Sample> {
        loop {
            if let Some(it) = self.cur.as_mut() {
                for s in it.by_ref() {
                    if s.t > self.s.maxt {
                        self.next_chunk = self.chunks.len();
                        self.cur = None;
                        return None;
                    }
                    if s.t >= self.s.mint && !self.s.deleted.iter().any(|d| d.contains(s.t)) {
                        return Some(s);
                    }
                }
            }
            let c = self.chunks.get(self.next_chunk)?;
            self.next_chunk += 1;
            if c.maxt < self.s.mint {
                self.cur = None;
                continue;
            }
            self.cur = Some(XorIterator::new(&c.data));
        }
    }
}

fn stored(s: Sample) -> StoredSample {
    StoredSample {
        t: s.t,
        value: SampleValue::Float(s.v),
    }
}

impl SampleIterator for ChunkedIter<'_> {
    fn next_sample(&mut self) -> Option<StoredSample> {
        self.advance().map(stored)
    }

    fn seek(&mut self, t: i64) -> Option<StoredSample> {
        // Skip whole chunks that end before `t` without decoding them.
        if self.cur.is_none() {
            while self.chunks.get(self.next_chunk).is_some_and(|c| c.maxt < t) {
                self.next_chunk += 1;
            }
        }
        loop {
            let s = self.advance()?;
            if s.t >= t {
                return Some(stored(s));
            }
        }
    }
}

struct VecIter {
    samples: std::vec::IntoIter<Sample>,
}

impl SampleIterator for VecIter {
    fn next_sample(&mut self) -> Option<StoredSample> {
        self.samples.next().map(stored)
    }
}

impl Queryable for Db {
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> Result<SeriesSet, StorageError> {
        let series = self
            .querier(hints.start, hints.end)
            .select(matchers)
            .map_err(internal)?;
        Ok(SeriesSet {
            series: Box::new(series.into_iter().map(|s| Box::new(s) as Box<dyn ModelSeries>)),
            warnings: Vec::new(),
        })
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let q = self.querier(i64::MIN, i64::MAX);
        if matchers.is_empty() {
            return Ok(q.label_names());
        }
        let mut names = BTreeSet::new();
        for s in q.select(matchers).map_err(internal)? {
            names.extend(s.labels.iter().map(|l| l.name.clone()));
        }
        Ok(names.into_iter().collect())
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let q = self.querier(i64::MIN, i64::MAX);
        if matchers.is_empty() {
            return Ok(q.label_values(name));
        }
        let mut values = BTreeSet::new();
        for s in q.select(matchers).map_err(internal)? {
            if let Some(v) = s.labels.get(name) {
                values.insert(v.to_string());
            }
        }
        Ok(values.into_iter().collect())
    }
}
