//! An in-memory store implementing [`Queryable`], used by the test-script runner and by tests.

use obslab_model::{
    FloatHistogram, Labels, Matcher, Queryable, SampleIterator, SampleValue, SelectHints, Series, SeriesSet,
    StorageError, StoredSample,
};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// Series kept in memory, sorted by labels; samples sorted by time.
#[derive(Default)]
pub struct MemStorage {
    series: RwLock<BTreeMap<Labels, Vec<StoredSample>>>,
}

impl MemStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a float sample; a sample at an existing timestamp replaces it.
    pub fn append_float(&self, labels: &Labels, t: i64, v: f64) {
        self.append(labels, t, SampleValue::Float(v));
    }

    pub fn append_histogram(&self, labels: &Labels, t: i64, h: FloatHistogram) {
        self.append(labels, t, SampleValue::Histogram(Arc::new(h)));
    }

    pub fn append(&self, labels: &Labels, t: i64, value: SampleValue) {
        let mut g = self.series.write().unwrap_or_else(|e| e.into_inner());
        let v = g.entry(labels.clone()).or_default();
        match v.binary_search_by_key(&t, |s| s.t) {
            Ok(i) => v[i].value = value,
            Err(i) => v.insert(i, StoredSample { t, value }),
        }
    }

    /// Removes everything.
    pub fn clear(&self) {
        self.series.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn matching(&self, matchers: &[Matcher]) -> Vec<(Labels, Vec<StoredSample>)> {
        let g = self.series.read().unwrap_or_else(|e| e.into_inner());
        g.iter()
            .filter(|(l, _)| matchers.iter().all(|m| m.matches(l.get(&m.name).unwrap_or(""))))
            .map(|(l, s)| (l.clone(), s.clone()))
            .collect()
    }
}

struct MemSeries {
    labels: Labels,
    samples: Vec<StoredSample>,
}

struct MemIter<'a> {
    samples: &'a [StoredSample],
    pos: usize,
}

impl SampleIterator for MemIter<'_> {
    fn next_sample(&mut self) -> Option<StoredSample> {
        let s = self.samples.get(self.pos)?.clone();
        self.pos += 1;
        Some(s)
    }

    fn seek(&mut self, t: i64) -> Option<StoredSample> {
        let skip = self.samples[self.pos.min(self.samples.len())..].partition_point(|s| s.t < t);
        self.pos += skip;
        self.next_sample()
    }
}

impl Series for MemSeries {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn iterator(&self) -> Box<dyn SampleIterator + '_> {
        Box::new(MemIter {
            samples: &self.samples,
            pos: 0,
        })
    }
}

impl Queryable for MemStorage {
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> Result<SeriesSet, StorageError> {
        let (lo, hi) = (hints.start, hints.end);
        let mut out: Vec<Box<dyn Series>> = Vec::new();
        for (labels, samples) in self.matching(matchers) {
            let a = samples.partition_point(|s| s.t < lo);
            let b = samples.partition_point(|s| s.t <= hi);
            if a < b {
                out.push(Box::new(MemSeries {
                    labels,
                    samples: samples[a..b].to_vec(),
                }));
            }
        }
        Ok(SeriesSet {
            series: Box::new(out.into_iter()),
            warnings: Vec::new(),
        })
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut names: Vec<String> = self
            .matching(matchers)
            .iter()
            .flat_map(|(l, _)| l.iter().map(|x| x.name.clone()).collect::<Vec<_>>())
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut vals: Vec<String> = self
            .matching(matchers)
            .iter()
            .filter_map(|(l, _)| l.get(name).map(str::to_string))
            .collect();
        vals.sort();
        vals.dedup();
        Ok(vals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use obslab_model::MatchOp;

    #[test]
    fn selects_by_matchers_and_time() {
        let s = MemStorage::new();
        let a = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
        let b = Labels::from_pairs([("__name__", "up"), ("job", "b")]);
        s.append_float(&a, 0, 1.0);
        s.append_float(&a, 10, 2.0);
        s.append_float(&b, 100, 3.0);
        let m = vec![Matcher::new(MatchOp::Equal, "__name__", "up").unwrap()];
        let hints = SelectHints {
            start: 5,
            end: 50,
            ..Default::default()
        };
        let set = s.select(&m, &hints).unwrap();
        let series: Vec<_> = set.series.collect();
        assert_eq!(series.len(), 1);
        let mut it = series[0].iterator();
        assert_eq!(it.next_sample().map(|x| x.t), Some(10));
        assert!(it.next_sample().is_none());
        assert_eq!(s.label_values("job", &[]).unwrap(), vec!["a", "b"]);
    }
}
