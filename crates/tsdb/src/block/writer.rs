//! Writes a block from series sorted by labels.

use super::{BlockMeta, BlockStats, Compaction, TMP_SUFFIX, new_ulid, tombstones};
use crate::chunks::{ChunksWriter, DEFAULT_MAX_SEGMENT_SIZE};
use crate::error::{Error, Result};
use crate::index::{ChunkMeta, write_index};
use crate::series::ChunkData;
use obslab_model::Labels;
use std::path::Path;

/// One series to persist: its labels and its encoded chunks in time order.
#[derive(Debug, Clone)]
pub struct BlockSeries {
    pub labels: Labels,
    pub chunks: Vec<ChunkData>,
}

/// Writes a block covering `[mint, maxt)` into `parent/<ulid>` and returns its metadata.
/// With `compaction` None the block is a level-1 block that is its own source.
pub fn write_block(
    parent: &Path,
    mint: i64,
    maxt: i64,
    series: &[BlockSeries],
    compaction: Option<Compaction>,
) -> Result<BlockMeta> {
    let ulid = new_ulid();
    let tmp = parent.join(format!("{ulid}{TMP_SUFFIX}"));
    let dst = parent.join(&ulid);
    std::fs::create_dir_all(&tmp).map_err(Error::io(format!("creating {}", tmp.display())))?;

    let mut cw = ChunksWriter::create(&tmp.join("chunks"), DEFAULT_MAX_SEGMENT_SIZE)?;
    let mut index_series = Vec::with_capacity(series.len());
    let mut stats = BlockStats::default();
    for s in series {
        let mut metas = Vec::with_capacity(s.chunks.len());
        for c in &s.chunks {
            let n = match c.data.get(..2) {
                Some(h) => u64::from(u16::from_be_bytes([h[0], h[1]])),
                None => 0,
            };
            if n == 0 {
                continue;
            }
            let r = cw.write_chunk(&c.data)?;
            metas.push(ChunkMeta {
                mint: c.mint,
                maxt: c.maxt,
                r#ref: r,
            });
            stats.num_samples += n;
            stats.num_chunks += 1;
        }
        if metas.is_empty() {
            continue;
        }
        stats.num_series += 1;
        index_series.push((s.labels.clone(), metas));
    }
    cw.finish()?;
    // An empty block still needs a chunks directory for readers to open.
    std::fs::create_dir_all(tmp.join("chunks")).map_err(Error::io("creating chunks dir"))?;
    write_index(&tmp.join("index"), &index_series)?;
    tombstones::write(&tmp, &tombstones::Tombstones::new())?;
    let compaction = compaction.unwrap_or_else(|| Compaction {
        level: 1,
        sources: vec![ulid.clone()],
        parents: vec![],
    });
    let meta = BlockMeta {
        ulid: ulid.clone(),
        min_time: mint,
        max_time: maxt,
        stats,
        compaction,
        version: 1,
    };
    meta.write(&tmp)?;
    crate::fsutil::sync_dir(&tmp)?;
    std::fs::rename(&tmp, &dst).map_err(Error::io(format!("renaming {}", tmp.display())))?;
    crate::fsutil::sync_dir(parent)?;
    Ok(meta)
}
