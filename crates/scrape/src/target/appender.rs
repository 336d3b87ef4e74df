//! The storage boundary of a scrape: samples go to an [`Appender`], which the TSDB implements.
//! A scrape's samples are committed together or rolled back together.

use obslab_model::Labels;

/// Why an append was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    /// This sample only (out of order, duplicate, too old): the scrape goes on without it.
    #[error("{0}")]
    Sample(String),
    /// The storage cannot take more: the scrape fails and is rolled back.
    #[error("{0}")]
    Storage(String),
}

/// An exemplar handed to storage.
#[derive(Debug, Clone, PartialEq)]
pub struct ExemplarSample {
    pub labels: Labels,
    pub value: f64,
    pub timestamp: Option<i64>,
}

/// A batch of appends that becomes visible on `commit`.
pub trait Appender {
    /// Appends a float sample (a staleness marker is `obslab_model::sample::stale_nan()`).
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendError>;

    /// Appends an exemplar for a series; storage without exemplar support ignores it.
    fn append_exemplar(&mut self, _labels: &Labels, _e: &ExemplarSample) -> Result<(), AppendError> {
        Ok(())
    }

    /// Makes the batch durable and visible.
    fn commit(&mut self) -> Result<(), AppendError>;

    /// Discards the batch; later appends start a new one.
    fn rollback(&mut self);
}

/// An in-memory appender for tests and tools: committed samples in order of commit.
#[derive(Debug, Default, Clone)]
pub struct VecAppender {
    pending: Vec<(Labels, i64, f64)>,
    pub committed: Vec<(Labels, i64, f64)>,
    pending_exemplars: Vec<(Labels, ExemplarSample)>,
    pub exemplars: Vec<(Labels, ExemplarSample)>,
    pub rollbacks: usize,
}

impl Appender for VecAppender {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendError> {
        self.pending.push((labels.clone(), t, v));
        Ok(())
    }

    fn append_exemplar(&mut self, labels: &Labels, e: &ExemplarSample) -> Result<(), AppendError> {
        self.pending_exemplars.push((labels.clone(), e.clone()));
        Ok(())
    }

    fn commit(&mut self) -> Result<(), AppendError> {
        self.committed.append(&mut self.pending);
        self.exemplars.append(&mut self.pending_exemplars);
        Ok(())
    }

    fn rollback(&mut self) {
        self.pending.clear();
        self.pending_exemplars.clear();
        self.rollbacks += 1;
    }
}

impl VecAppender {
    /// Takes the committed samples, leaving the appender empty.
    pub fn take(&mut self) -> Vec<(Labels, i64, f64)> {
        std::mem::take(&mut self.committed)
    }
}
