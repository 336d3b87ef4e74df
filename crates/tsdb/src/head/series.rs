//! One in-memory series: its interned labels, closed chunks (immutable bytes) and the open
//! XOR chunk samples are appended to.

use crate::chunkenc::{SAMPLES_PER_CHUNK, XorChunk};
use crate::series::{ChunkData, Interval};
use std::sync::Arc;

pub struct MemSeries {
    /// Alternating name and value symbol ids, sorted by name.
    pub labels: Box<[u32]>,
    pub chunks: Vec<ChunkData>,
    pub open: Option<(i64, XorChunk)>,
    /// Time of the newest sample, `i64::MIN` when there is none.
    pub max_time: i64,
    pub last_value: f64,
    pub deleted: Vec<Interval>,
    /// Whether a series record for it reached the WAL.
    pub logged: bool,
}

/// What appending one sample did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    Appended,
    /// Same timestamp and value as the newest sample: silently dropped.
    Duplicate,
    OutOfOrder,
}

impl MemSeries {
    pub fn new(labels: Box<[u32]>) -> Self {
        Self {
            labels,
            chunks: Vec::new(),
            open: None,
            max_time: i64::MIN,
            last_value: 0.0,
            deleted: Vec::new(),
            logged: false,
        }
    }

    /// Appends a sample, cutting a new chunk after 120 samples or when `t` reaches the end
    /// of the chunk range the open chunk started in (chunks never straddle a block).
    pub fn append(&mut self, t: i64, v: f64, chunk_range: i64) -> AppendOutcome {
        if self.max_time != i64::MIN && t <= self.max_time {
            if t == self.max_time && v.to_bits() == self.last_value.to_bits() {
                return AppendOutcome::Duplicate;
            }
            return AppendOutcome::OutOfOrder;
        }
        let cut = match &self.open {
            None => true,
            Some((mint, c)) => c.num_samples() >= SAMPLES_PER_CHUNK || range_end(*mint, chunk_range) <= t,
        };
        if cut {
            self.close_open_chunk();
            self.open = Some((t, XorChunk::new()));
        }
        if let Some((_, c)) = self.open.as_mut() {
            c.append(t, v);
        }
        self.max_time = t;
        self.last_value = v;
        AppendOutcome::Appended
    }

    fn close_open_chunk(&mut self) {
        if let Some((mint, c)) = self.open.take()
            && c.num_samples() > 0
        {
            let maxt = c.last_t();
            self.chunks.push(ChunkData {
                mint,
                maxt,
                data: Arc::from(c.into_bytes()),
            });
        }
    }

    /// Snapshot of the chunks overlapping `[mint, maxt]`; the open chunk is copied.
    pub fn chunks_in(&self, mint: i64, maxt: i64) -> Vec<ChunkData> {
        let mut out: Vec<ChunkData> = self
            .chunks
            .iter()
            .filter(|c| c.maxt >= mint && c.mint <= maxt)
            .cloned()
            .collect();
        if let Some((cmin, c)) = &self.open
            && c.num_samples() > 0
            && c.last_t() >= mint
            && *cmin <= maxt
        {
            out.push(ChunkData {
                mint: *cmin,
                maxt: c.last_t(),
                data: Arc::from(c.bytes()),
            });
        }
        out
    }

    /// Drops chunks that end before `t`; returns true when nothing is left.
    pub fn truncate_before(&mut self, t: i64) -> bool {
        self.chunks.retain(|c| c.maxt >= t);
        if self.open.as_ref().is_some_and(|(_, c)| c.last_t() < t) {
            self.open = None;
        }
        self.deleted.retain(|d| d.maxt >= t);
        self.chunks.is_empty() && self.open.is_none()
    }

    /// Earliest sample time held, if any.
    pub fn min_time(&self) -> Option<i64> {
        self.chunks
            .first()
            .map(|c| c.mint)
            .or(self.open.as_ref().map(|(m, _)| *m))
    }

    /// Approximate heap bytes used by chunk data.
    pub fn chunk_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.data.len()).sum::<usize>()
            + self.open.as_ref().map(|(_, c)| c.bytes().len()).unwrap_or(0)
    }
}

/// End (exclusive) of the aligned range of width `range` that contains `t`.
pub fn range_end(t: i64, range: i64) -> i64 {
    t.div_euclid(range) * range + range
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_120_samples_and_range_boundary() {
        let mut s = MemSeries::new(Box::new([]));
        for i in 0..250 {
            assert_eq!(s.append(i, i as f64, 1_000_000), AppendOutcome::Appended);
        }
        assert_eq!(s.chunks.len(), 2);
        assert_eq!(s.chunks[0].maxt, 119);
        let mut s = MemSeries::new(Box::new([]));
        s.append(990, 1.0, 1000);
        s.append(1000, 1.0, 1000);
        assert_eq!(s.chunks.len(), 1);
        assert_eq!(s.open.as_ref().unwrap().0, 1000);
    }

    #[test]
    fn out_of_order_and_duplicates() {
        let mut s = MemSeries::new(Box::new([]));
        s.append(10, 1.0, 1000);
        assert_eq!(s.append(5, 1.0, 1000), AppendOutcome::OutOfOrder);
        assert_eq!(s.append(10, 2.0, 1000), AppendOutcome::OutOfOrder);
        assert_eq!(s.append(10, 1.0, 1000), AppendOutcome::Duplicate);
        assert!(!s.truncate_before(10));
        assert!(s.truncate_before(11));
    }
}
