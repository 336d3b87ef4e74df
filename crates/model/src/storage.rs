//! The storage interface the query engine reads through, in the spirit of Prometheus's
//! `storage.Queryable`: the engine asks for the series matching some matchers within a time range
//! and walks each series' samples with an iterator, so any store (the TSDB, an in-memory test
//! store, a remote reader) can serve queries.

use crate::histogram::FloatHistogram;
use crate::labels::Labels;
use crate::matcher::Matcher;
use std::sync::Arc;

/// A sample value: a float or a native histogram.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleValue {
    Float(f64),
    Histogram(Arc<FloatHistogram>),
}

/// A timestamped value as stored (timestamps in milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSample {
    pub t: i64,
    pub value: SampleValue,
}

/// Hints about how the selected series will be used, so a store may skip work
/// (e.g. decode only chunks overlapping `[start, end]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelectHints {
    /// Earliest timestamp the engine will read (inclusive).
    pub start: i64,
    /// Latest timestamp the engine will read (inclusive).
    pub end: i64,
    /// Query step in milliseconds (0 for instant queries).
    pub step: i64,
    /// Range of the enclosing range selector in milliseconds (0 for instant selectors).
    pub range: i64,
    /// Enclosing function name, if any (e.g. `rate`).
    pub func: Option<String>,
}

/// Iterates one series' samples in timestamp order.
pub trait SampleIterator {
    /// The next sample, or `None` at the end.
    fn next_sample(&mut self) -> Option<StoredSample>;
    /// Advances to the first sample with timestamp `>= t` and returns it (without consuming it
    /// twice: the following `next_sample` returns the sample after it).
    fn seek(&mut self, t: i64) -> Option<StoredSample> {
        loop {
            let s = self.next_sample()?;
            if s.t >= t {
                return Some(s);
            }
        }
    }
}

/// One selected series: its labels and a way to iterate its samples.
pub trait Series: Send {
    fn labels(&self) -> &Labels;
    /// A fresh iterator over the samples within the selected time range.
    fn iterator(&self) -> Box<dyn SampleIterator + '_>;
}

/// The answer to a `select`: series sorted by labels, plus non-fatal warnings.
pub struct SeriesSet {
    pub series: Box<dyn Iterator<Item = Box<dyn Series>> + Send>,
    pub warnings: Vec<String>,
}

impl SeriesSet {
    pub fn empty() -> Self {
        Self {
            series: Box::new(std::iter::empty()),
            warnings: Vec::new(),
        }
    }
}

/// Errors a store reports to the engine.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum StorageError {
    #[error("{0}")]
    Internal(String),
    #[error("query canceled")]
    Canceled,
}

/// A store that can be queried.
pub trait Queryable: Send + Sync {
    /// Series matching all `matchers` that have samples within `[hints.start, hints.end]`.
    fn select(&self, matchers: &[Matcher], hints: &SelectHints) -> Result<SeriesSet, StorageError>;
    /// Label names of the series matching `matchers` (all series when empty), sorted.
    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;
    /// Values of label `name` among the series matching `matchers`, sorted.
    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;
}
