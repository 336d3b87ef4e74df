//! What a select returns: a series' labels and its XOR chunks in the queried range, plus
//! deleted intervals, decoded lazily into samples.

use crate::chunkenc::XorIterator;
use obslab_model::{Labels, Sample};
use std::sync::Arc;

/// A closed time interval `[mint, maxt]`, as tombstones store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub mint: i64,
    pub maxt: i64,
}

impl Interval {
    pub fn new(mint: i64, maxt: i64) -> Self {
        Self { mint, maxt }
    }
    pub fn contains(&self, t: i64) -> bool {
        self.mint <= t && t <= self.maxt
    }
}

/// Adds `iv` to a sorted interval list, merging overlapping or adjacent ones.
pub fn add_interval(list: &mut Vec<Interval>, iv: Interval) {
    list.push(iv);
    list.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(list.len());
    for i in list.drain(..) {
        match out.last_mut() {
            Some(last) if i.mint <= last.maxt.saturating_add(1) => last.maxt = last.maxt.max(i.maxt),
            _ => out.push(i),
        }
    }
    *list = out;
}

/// One encoded chunk of a series with its time range (inclusive).
#[derive(Debug, Clone)]
pub struct ChunkData {
    pub mint: i64,
    pub maxt: i64,
    pub data: Arc<[u8]>,
}

/// A selected series.
#[derive(Debug, Clone)]
pub struct Series {
    pub labels: Labels,
    pub chunks: Vec<ChunkData>,
    pub deleted: Vec<Interval>,
    /// Query range: samples outside it are skipped.
    pub mint: i64,
    pub maxt: i64,
}

impl Series {
    /// The series' samples in the query range, in time order, deleted ones and duplicates
    /// (across overlapping chunks) removed.
    pub fn samples(&self) -> Vec<Sample> {
        let mut chunks: Vec<&ChunkData> = self.chunks.iter().collect();
        chunks.sort_by_key(|c| (c.mint, c.maxt));
        let overlapping = chunks.windows(2).any(|w| w[1].mint <= w[0].maxt);
        let mut out = Vec::new();
        for c in &chunks {
            if c.maxt < self.mint || c.mint > self.maxt {
                continue;
            }
            let mut it = XorIterator::new(&c.data);
            let first = it.seek(self.mint);
            for s in first.into_iter().chain(it) {
                if s.t > self.maxt {
                    break;
                }
                if !self.deleted.iter().any(|d| d.contains(s.t)) {
                    out.push(s);
                }
            }
        }
        if overlapping {
            out.sort_by_key(|s| s.t);
        }
        out.dedup_by_key(|s| s.t);
        out
    }
}

/// Merges series lists (each sorted by labels) from several sources into one sorted list,
/// joining the chunks of equal label sets.
pub fn merge_series(sources: Vec<Vec<Series>>) -> Vec<Series> {
    let mut all: Vec<Series> = sources.into_iter().flatten().collect();
    all.sort_by(|a, b| a.labels.cmp(&b.labels));
    let mut out: Vec<Series> = Vec::with_capacity(all.len());
    for s in all {
        match out.last_mut() {
            Some(last) if last.labels == s.labels => {
                last.chunks.extend(s.chunks);
                for d in s.deleted {
                    add_interval(&mut last.deleted, d);
                }
            }
            _ => out.push(s),
        }
    }
    out
}

/// Chunks for writing `s` into a block: its own chunks when they are clean (sorted, disjoint,
/// inside the range, no deletions), otherwise its remaining samples re-encoded in chunks of
/// up to 120 samples.
pub fn block_chunks(s: &Series) -> Vec<ChunkData> {
    let mut chunks = s.chunks.clone();
    chunks.sort_by_key(|c| (c.mint, c.maxt));
    let clean = chunks.windows(2).all(|w| w[1].mint > w[0].maxt)
        && chunks.iter().all(|c| c.mint >= s.mint && c.maxt <= s.maxt)
        && !s
            .deleted
            .iter()
            .any(|d| chunks.iter().any(|c| d.mint <= c.maxt && c.mint <= d.maxt));
    if clean {
        return chunks;
    }
    encode_chunks(&s.samples())
}

/// Encodes samples (in time order) as XOR chunks of up to 120 samples.
pub fn encode_chunks(samples: &[Sample]) -> Vec<ChunkData> {
    samples
        .chunks(crate::chunkenc::SAMPLES_PER_CHUNK)
        .map(|part| {
            let mut c = crate::chunkenc::XorChunk::new();
            for s in part {
                c.append(s.t, s.v);
            }
            ChunkData {
                mint: part[0].t,
                maxt: part[part.len() - 1].t,
                data: Arc::from(c.into_bytes()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunkenc::XorChunk;

    fn chunk(ts: &[i64]) -> ChunkData {
        let mut c = XorChunk::new();
        for &t in ts {
            c.append(t, t as f64);
        }
        ChunkData {
            mint: ts[0],
            maxt: ts[ts.len() - 1],
            data: c.bytes().into(),
        }
    }

    #[test]
    fn samples_respect_range_deletes_and_overlap() {
        let s = Series {
            labels: Labels::from_pairs([("a", "b")]),
            chunks: vec![chunk(&[10, 20, 30]), chunk(&[1, 5, 20, 25])],
            deleted: vec![Interval::new(25, 25)],
            mint: 5,
            maxt: 29,
        };
        let ts: Vec<i64> = s.samples().iter().map(|s| s.t).collect();
        assert_eq!(ts, vec![5, 10, 20]);
    }

    #[test]
    fn intervals_merge() {
        let mut l = vec![];
        add_interval(&mut l, Interval::new(10, 20));
        add_interval(&mut l, Interval::new(21, 30));
        add_interval(&mut l, Interval::new(50, 60));
        add_interval(&mut l, Interval::new(0, 5));
        assert_eq!(
            l,
            vec![Interval::new(0, 5), Interval::new(10, 30), Interval::new(50, 60)]
        );
    }
}
