//! Block compaction planning and merging: adjacent blocks that fill an aligned window of the
//! next range level (2h → 6h → 18h → ...) are merged into one; a block with tombstones is
//! rewritten without the deleted samples.

use crate::block::{Block, BlockDesc, BlockMeta, BlockSeries, Compaction, write_block};
use crate::error::Result;
use crate::series::{block_chunks, merge_series};
use std::path::Path;
use std::sync::Arc;

/// Range levels from `base` growing threefold up to `max`.
pub fn ranges(base: i64, max: i64) -> Vec<i64> {
    let mut out = vec![base];
    while let Some(&last) = out.last() {
        let next = last.saturating_mul(3);
        if next > max || out.len() >= 10 {
            break;
        }
        out.push(next);
    }
    out
}

/// Picks blocks (indices into `metas`, sorted by min time) to compact next, if any.
pub fn plan(metas: &[BlockMeta], with_tombstones: &[bool], ranges: &[i64]) -> Option<Vec<usize>> {
    let newest = metas.iter().map(|m| m.max_time).max()?;
    for &r in ranges.iter().skip(1) {
        let mut i = 0;
        while i < metas.len() {
            let start = metas[i].min_time.div_euclid(r) * r;
            let end = start.saturating_add(r);
            let mut group = Vec::new();
            let mut j = i;
            while j < metas.len() && metas[j].min_time >= start && metas[j].max_time <= end {
                group.push(j);
                j += 1;
            }
            // Leave the window that newer data may still be added to.
            if group.len() >= 2 && end <= newest {
                return Some(group);
            }
            i = j.max(i + 1);
        }
    }
    with_tombstones.iter().position(|t| *t).map(|i| vec![i])
}

/// Merges `blocks` into a new block under `dir`, returning its metadata.
pub fn merge(dir: &Path, blocks: &[Arc<Block>]) -> Result<BlockMeta> {
    let mint = blocks.iter().map(|b| b.meta().min_time).min().unwrap_or(0);
    let maxt = blocks.iter().map(|b| b.meta().max_time).max().unwrap_or(0);
    let mut sources = Vec::new();
    for b in blocks {
        sources.push(b.select(&[], mint, maxt - 1)?);
    }
    let series: Vec<BlockSeries> = merge_series(sources)
        .iter()
        .map(|s| BlockSeries {
            labels: s.labels.clone(),
            chunks: block_chunks(s),
        })
        .collect();
    let mut srcs: Vec<String> = blocks
        .iter()
        .flat_map(|b| b.meta().compaction.sources.clone())
        .collect();
    srcs.sort();
    srcs.dedup();
    let compaction = Compaction {
        level: blocks
            .iter()
            .map(|b| b.meta().compaction.level)
            .max()
            .unwrap_or(1)
            + 1,
        sources: srcs,
        parents: blocks
            .iter()
            .map(|b| BlockDesc {
                ulid: b.meta().ulid.clone(),
                min_time: b.meta().min_time,
                max_time: b.meta().max_time,
            })
            .collect(),
    };
    write_block(dir, mint, maxt, &series, Some(compaction))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(min: i64, max: i64) -> BlockMeta {
        BlockMeta {
            min_time: min,
            max_time: max,
            version: 1,
            ..Default::default()
        }
    }

    #[test]
    fn plans_full_windows_only() {
        let r = ranges(2, 100);
        assert_eq!(r, vec![2, 6, 18, 54]);
        let ms = vec![meta(0, 2), meta(2, 4), meta(4, 6), meta(6, 8)];
        assert_eq!(plan(&ms, &[false; 4], &r), Some(vec![0, 1, 2]));
        let ms = vec![meta(6, 8), meta(8, 10)];
        assert_eq!(plan(&ms, &[false; 2], &r), None);
        assert_eq!(plan(&ms, &[false, true], &r), Some(vec![1]));
    }
}
