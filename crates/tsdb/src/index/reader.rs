//! Reads a v2 index file from a read-only memory map.

use super::{ChunkMeta, HEADER_LEN, INDEX_FORMAT_V2, IndexError, MAGIC_INDEX, TOC_LEN};
use crate::encoding::{Decbuf, crc32, read_uvarint};
use memmap2::Mmap;
use obslab_model::{Label, Labels};
use std::collections::BTreeMap;
use std::path::Path;

/// An opened index: symbols and the postings offset table are decoded up front, series and
/// postings lists are read from the map on demand.
pub struct IndexReader {
    map: Mmap,
    symbols: Vec<Box<str>>,
    /// label name → (value → offset of its postings list).
    postings: BTreeMap<String, BTreeMap<String, u64>>,
}

fn corrupt(msg: impl Into<String>) -> IndexError {
    IndexError::Corrupt(msg.into())
}

/// Checks and returns the body of a `len u32 | body | crc32` section at `off`.
fn section(b: &[u8], off: usize) -> Result<&[u8], IndexError> {
    let lenb = b
        .get(off..off + 4)
        .ok_or_else(|| corrupt("section header out of range"))?;
    let len = u32::from_be_bytes([lenb[0], lenb[1], lenb[2], lenb[3]]) as usize;
    let body = b
        .get(off + 4..off + 4 + len)
        .ok_or_else(|| corrupt("section out of range"))?;
    let sum = b
        .get(off + 4 + len..off + 8 + len)
        .ok_or_else(|| corrupt("section checksum out of range"))?;
    if crc32(body) != u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]) {
        return Err(corrupt(format!("checksum mismatch in section at {off}")));
    }
    Ok(body)
}

impl IndexReader {
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let io = |source| IndexError::Io {
            path: path.display().to_string(),
            source,
        };
        let f = std::fs::File::open(path).map_err(io)?;
        // SAFETY: block files are immutable once written; the map is read-only.
        let map = unsafe { Mmap::map(&f) }.map_err(io)?;
        let b = &map[..];
        if b.len() < HEADER_LEN + TOC_LEN {
            return Err(corrupt("index file too short"));
        }
        if u32::from_be_bytes([b[0], b[1], b[2], b[3]]) != MAGIC_INDEX {
            return Err(corrupt("invalid magic number"));
        }
        if b[4] != INDEX_FORMAT_V2 {
            return Err(corrupt(format!("unsupported index version {}", b[4])));
        }
        let toc = &b[b.len() - TOC_LEN..];
        let sum = &toc[48..];
        if crc32(&toc[..48]) != u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]) {
            return Err(corrupt("table of contents checksum mismatch"));
        }
        let mut d = Decbuf::new(&toc[..48]);
        let sym_off = d.be64()? as usize;
        let _series = d.be64()?;
        let _label_indices = d.be64()?;
        let _label_offsets = d.be64()?;
        let _postings = d.be64()?;
        let po_off = d.be64()? as usize;

        let mut symbols = Vec::new();
        if sym_off != 0 {
            let mut d = Decbuf::new(section(b, sym_off)?);
            let n = d.be32()?;
            symbols.reserve(n as usize);
            for _ in 0..n {
                symbols.push(Box::from(d.uvarint_str()?));
            }
        }
        let mut postings: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        if po_off != 0 {
            let mut d = Decbuf::new(section(b, po_off)?);
            let n = d.be32()?;
            for _ in 0..n {
                if d.uvarint()? != 2 {
                    return Err(corrupt("postings offset entry without 2 keys"));
                }
                let name = d.uvarint_str()?.to_string();
                let value = d.uvarint_str()?.to_string();
                let off = d.uvarint()?;
                postings.entry(name).or_default().insert(value, off);
            }
        }
        Ok(Self {
            map,
            symbols,
            postings,
        })
    }

    /// Size of the index file in bytes.
    pub fn size(&self) -> u64 {
        self.map.len() as u64
    }

    pub fn symbol(&self, r: u64) -> Result<&str, IndexError> {
        self.symbols
            .get(r as usize)
            .map(|s| &**s)
            .ok_or_else(|| corrupt(format!("unknown symbol {r}")))
    }

    /// Label names present in the block (the empty name of the all-series list excluded).
    pub fn label_names(&self) -> Vec<String> {
        self.postings.keys().filter(|k| !k.is_empty()).cloned().collect()
    }

    pub fn label_values(&self, name: &str) -> Vec<String> {
        self.postings
            .get(name)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Series ids carrying `name=value`; `("", "")` lists every series.
    pub fn postings(&self, name: &str, value: &str) -> Result<Vec<u32>, IndexError> {
        let Some(off) = self.postings.get(name).and_then(|m| m.get(value)) else {
            return Ok(Vec::new());
        };
        let mut d = Decbuf::new(section(&self.map, *off as usize)?);
        let n = d.be32()?;
        let mut ids = Vec::with_capacity(n as usize);
        for _ in 0..n {
            ids.push(d.be32()?);
        }
        Ok(ids)
    }

    /// The labels and chunk metadata of series `id`.
    pub fn series(&self, id: u32) -> Result<(Labels, Vec<ChunkMeta>), IndexError> {
        let off = id as usize * 16;
        let b = self
            .map
            .get(off..)
            .ok_or_else(|| corrupt(format!("series {id} out of range")))?;
        let (len, n) = read_uvarint(b)?;
        let len = len as usize;
        let body = b.get(n..n + len).ok_or_else(|| corrupt("series out of range"))?;
        let sum = b
            .get(n + len..n + len + 4)
            .ok_or_else(|| corrupt("series out of range"))?;
        if crc32(body) != u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]) {
            return Err(corrupt(format!("series {id}: checksum mismatch")));
        }
        let mut d = Decbuf::new(body);
        let nl = d.uvarint()?;
        let mut labels = Vec::with_capacity(nl as usize);
        for _ in 0..nl {
            let name = self.symbol(d.uvarint()?)?;
            let value = self.symbol(d.uvarint()?)?;
            labels.push(Label::new(name, value));
        }
        let nc = d.uvarint()?;
        let mut chunks: Vec<ChunkMeta> = Vec::with_capacity(nc as usize);
        for i in 0..nc {
            let c = if i == 0 {
                let mint = d.varint()?;
                let maxt = mint.wrapping_add(d.uvarint()? as i64);
                ChunkMeta {
                    mint,
                    maxt,
                    r#ref: d.uvarint()?,
                }
            } else {
                let prev = chunks[chunks.len() - 1];
                let mint = prev.maxt.wrapping_add(d.uvarint()? as i64);
                let maxt = mint.wrapping_add(d.uvarint()? as i64);
                let r = prev.r#ref.wrapping_add(d.varint()? as u64);
                ChunkMeta { mint, maxt, r#ref: r }
            };
            chunks.push(c);
        }
        let labels = Labels::from_pairs(labels.into_iter().map(|l| (l.name, l.value)));
        Ok((labels, chunks))
    }
}
