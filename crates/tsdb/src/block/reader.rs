//! An opened block answering selects, label queries and deletes.

use super::{BlockMeta, tombstones};
use crate::chunks::ChunksReader;
use crate::error::{Error, Result};
use crate::index::{ChunkMeta, IndexReader};
use crate::postings::{LabelIndex, select_postings};
use crate::series::{ChunkData, Interval, Series, add_interval};
use obslab_model::{Labels, Matcher};
use parking_lot::RwLock;
use roaring::RoaringBitmap;
use std::path::{Path, PathBuf};

pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    index: IndexReader,
    chunks: ChunksReader,
    tombstones: RwLock<tombstones::Tombstones>,
}

impl LabelIndex for IndexReader {
    fn all_postings(&self) -> Result<RoaringBitmap> {
        Ok(self.postings("", "")?.into_iter().collect())
    }
    fn postings_for(&self, name: &str, value: &str) -> Result<RoaringBitmap> {
        Ok(self.postings(name, value)?.into_iter().collect())
    }
    fn values_of(&self, name: &str) -> Result<Vec<String>> {
        Ok(self.label_values(name))
    }
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("dir", &self.dir)
            .field("meta", &self.meta)
            .finish()
    }
}

impl Block {
    pub fn open(dir: &Path) -> Result<Self> {
        let meta = BlockMeta::read(dir)?;
        let index = IndexReader::open(&dir.join("index"))?;
        let chunks = ChunksReader::open(&dir.join("chunks"))?;
        let tombstones = RwLock::new(tombstones::read(dir)?);
        Ok(Self {
            dir: dir.to_path_buf(),
            meta,
            index,
            chunks,
            tombstones,
        })
    }

    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn index(&self) -> &IndexReader {
        &self.index
    }

    /// Bytes on disk: index, chunks, tombstones and meta.
    pub fn size_bytes(&self) -> u64 {
        crate::fsutil::dir_size(&self.dir)
    }

    pub fn label_names(&self) -> Vec<String> {
        self.index.label_names()
    }

    pub fn label_values(&self, name: &str) -> Vec<String> {
        self.index.label_values(name)
    }

    fn load(
        &self,
        labels: Labels,
        metas: &[ChunkMeta],
        deleted: Vec<Interval>,
        mint: i64,
        maxt: i64,
    ) -> Result<Series> {
        let mut chunks = Vec::new();
        for m in metas {
            if m.maxt < mint || m.mint > maxt {
                continue;
            }
            let data = self.chunks.chunk(m.r#ref)?;
            chunks.push(ChunkData {
                mint: m.mint,
                maxt: m.maxt,
                data: data.into(),
            });
        }
        Ok(Series {
            labels,
            chunks,
            deleted,
            mint,
            maxt,
        })
    }

    /// Series matching all `matchers` with chunks overlapping `[mint, maxt]`, sorted by labels.
    pub fn select(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<Vec<Series>> {
        if maxt < self.meta.min_time || mint >= self.meta.max_time {
            return Ok(Vec::new());
        }
        let ids = select_postings(&self.index, matchers)?;
        let ts = self.tombstones.read();
        let mut out = Vec::new();
        for id in ids {
            let (labels, metas) = self.index.series(id)?;
            if !metas.iter().any(|m| m.maxt >= mint && m.mint <= maxt) {
                continue;
            }
            let deleted = ts.get(&u64::from(id)).cloned().unwrap_or_default();
            let s = self.load(labels, &metas, deleted, mint, maxt)?;
            if !s.chunks.is_empty() {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Marks samples of matching series in `[mint, maxt]` deleted and persists the tombstones.
    pub fn delete(&self, matchers: &[Matcher], mint: i64, maxt: i64) -> Result<usize> {
        let ids = select_postings(&self.index, matchers)?;
        let mut ts = self.tombstones.write();
        let mut n = 0;
        for id in ids {
            let (_, metas) = self.index.series(id)?;
            if metas.iter().any(|m| m.maxt >= mint && m.mint <= maxt) {
                // Clamped to the series' data in this block, as Prometheus does.
                let lo = mint.max(metas[0].mint);
                let hi = maxt.min(metas[metas.len() - 1].maxt);
                add_interval(ts.entry(u64::from(id)).or_default(), Interval::new(lo, hi));
                n += 1;
            }
        }
        if n > 0 {
            tombstones::write(&self.dir, &ts).map_err(|e| Error::Block {
                dir: self.dir.display().to_string(),
                msg: e.to_string(),
            })?;
        }
        Ok(n)
    }

    pub fn has_tombstones(&self) -> bool {
        !self.tombstones.read().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::{BlockSeries, write_block};
    use crate::chunkenc::XorChunk;
    use obslab_model::MatchOp;

    fn series(name: &str, job: &str, n: i64) -> BlockSeries {
        let mut c = XorChunk::new();
        for i in 0..n {
            c.append(i * 1000, i as f64);
        }
        BlockSeries {
            labels: Labels::from_pairs([("__name__", name), ("job", job)]),
            chunks: vec![ChunkData {
                mint: 0,
                maxt: (n - 1) * 1000,
                data: c.bytes().into(),
            }],
        }
    }

    #[test]
    fn write_open_select_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = vec![series("up", "a", 10), series("up", "b", 5)];
        let meta = write_block(dir.path(), 0, 7_200_000, &s, None).unwrap();
        assert_eq!(meta.stats.num_samples, 15);
        let b = Block::open(&dir.path().join(&meta.ulid)).unwrap();
        let m = Matcher::new(MatchOp::Equal, "job", "a").unwrap();
        let got = b.select(std::slice::from_ref(&m), 2000, 4000).unwrap();
        assert_eq!(got.len(), 1);
        let ts: Vec<i64> = got[0].samples().iter().map(|s| s.t).collect();
        assert_eq!(ts, vec![2000, 3000, 4000]);
        assert_eq!(b.delete(std::slice::from_ref(&m), 3000, 3000).unwrap(), 1);
        let b = Block::open(&dir.path().join(&meta.ulid)).unwrap();
        let got = b.select(&[m], 2000, 4000).unwrap();
        let ts: Vec<i64> = got[0].samples().iter().map(|s| s.t).collect();
        assert_eq!(ts, vec![2000, 4000]);
        let all = b
            .select(
                &[Matcher::new(MatchOp::Regex, "__name__", "u.*").unwrap()],
                0,
                i64::MAX,
            )
            .unwrap();
        assert_eq!(all.len(), 2);
    }
}
