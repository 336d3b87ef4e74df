//! Builds an index file in memory from series sorted by label set, then writes it at once.

use super::{ChunkMeta, HEADER_LEN, INDEX_FORMAT_V2, IndexError, MAGIC_INDEX};
use crate::encoding::{Encbuf, crc32};
use obslab_model::Labels;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;

fn pad_to(b: &mut Vec<u8>, align: usize) {
    while !b.len().is_multiple_of(align) {
        b.push(0);
    }
}

/// Appends a `len u32 | body | crc32(body)` section.
fn put_section(out: &mut Vec<u8>, body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&crc32(body).to_be_bytes());
}

/// Writes the index of a block. `series` must be sorted by labels without duplicates.
pub fn write_index(path: &Path, series: &[(Labels, Vec<ChunkMeta>)]) -> Result<(), IndexError> {
    for w in series.windows(2) {
        if w[0].0 >= w[1].0 {
            return Err(IndexError::Unsorted(format!("{} before {}", w[0].0, w[1].0)));
        }
    }
    let mut symbols: BTreeSet<&str> = BTreeSet::new();
    for (l, _) in series {
        for lb in l {
            symbols.insert(&lb.name);
            symbols.insert(&lb.value);
        }
    }
    let sym_ref: HashMap<&str, u32> = symbols.iter().enumerate().map(|(i, s)| (*s, i as u32)).collect();

    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(&MAGIC_INDEX.to_be_bytes());
    out.push(INDEX_FORMAT_V2);
    debug_assert_eq!(out.len(), HEADER_LEN);

    // Symbol table.
    let toc_symbols = out.len() as u64;
    let mut body = Encbuf::new();
    body.put_be32(symbols.len() as u32);
    for s in &symbols {
        body.put_uvarint_str(s);
    }
    put_section(&mut out, &body.b);

    // Series, each aligned to 16 bytes so that offset/16 is its id.
    let toc_series = out.len() as u64;
    let mut postings: BTreeMap<(&str, &str), Vec<u32>> = BTreeMap::new();
    let mut all = Vec::with_capacity(series.len());
    for (l, chunks) in series {
        pad_to(&mut out, 16);
        let id = (out.len() / 16) as u32;
        all.push(id);
        let mut e = Encbuf::new();
        e.put_uvarint(l.len() as u64);
        for lb in l {
            e.put_uvarint(u64::from(sym_ref[lb.name.as_str()]));
            e.put_uvarint(u64::from(sym_ref[lb.value.as_str()]));
            postings.entry((&lb.name, &lb.value)).or_default().push(id);
        }
        e.put_uvarint(chunks.len() as u64);
        let mut prev: Option<&ChunkMeta> = None;
        for c in chunks {
            match prev {
                None => {
                    e.put_varint(c.mint);
                    e.put_uvarint(c.maxt.wrapping_sub(c.mint) as u64);
                    e.put_uvarint(c.r#ref);
                }
                Some(p) => {
                    e.put_uvarint(c.mint.wrapping_sub(p.maxt) as u64);
                    e.put_uvarint(c.maxt.wrapping_sub(c.mint) as u64);
                    e.put_varint(c.r#ref.wrapping_sub(p.r#ref) as i64);
                }
            }
            prev = Some(c);
        }
        let mut hdr = Vec::new();
        crate::encoding::put_uvarint(&mut hdr, e.len() as u64);
        out.extend_from_slice(&hdr);
        out.extend_from_slice(&e.b);
        out.extend_from_slice(&crc32(&e.b).to_be_bytes());
    }

    // Label indices (kept for format compatibility; readers use the postings offset table).
    let mut values_by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, v) in postings.keys() {
        values_by_name.entry(n).or_default().push(v);
    }
    pad_to(&mut out, 4);
    let toc_label_indices = out.len() as u64;
    let mut label_offsets = Vec::new();
    for (name, values) in &values_by_name {
        pad_to(&mut out, 4);
        label_offsets.push((*name, out.len() as u64));
        let mut e = Encbuf::new();
        e.put_be32(1);
        e.put_be32(values.len() as u32);
        for v in values {
            e.put_be32(sym_ref[v]);
        }
        put_section(&mut out, &e.b);
    }

    // Postings: the list of all series under the empty label pair first, then every pair.
    pad_to(&mut out, 4);
    let toc_postings = out.len() as u64;
    let mut postings_offsets = Vec::new();
    let mut write_postings = |out: &mut Vec<u8>, name: &str, value: &str, ids: &[u32]| {
        pad_to(out, 4);
        postings_offsets.push((name.to_string(), value.to_string(), out.len() as u64));
        let mut e = Encbuf::new();
        e.put_be32(ids.len() as u32);
        for id in ids {
            e.put_be32(*id);
        }
        put_section(out, &e.b);
    };
    write_postings(&mut out, "", "", &all);
    for ((n, v), ids) in &postings {
        write_postings(&mut out, n, v, ids);
    }

    // Label offset table.
    let toc_label_offsets = out.len() as u64;
    let mut e = Encbuf::new();
    e.put_be32(label_offsets.len() as u32);
    for (name, off) in &label_offsets {
        e.put_uvarint(1);
        e.put_uvarint_str(name);
        e.put_uvarint(*off);
    }
    put_section(&mut out, &e.b);

    // Postings offset table.
    let toc_postings_offsets = out.len() as u64;
    let mut e = Encbuf::new();
    e.put_be32(postings_offsets.len() as u32);
    for (n, v, off) in &postings_offsets {
        e.put_uvarint(2);
        e.put_uvarint_str(n);
        e.put_uvarint_str(v);
        e.put_uvarint(*off);
    }
    put_section(&mut out, &e.b);

    let mut toc = Encbuf::new();
    for v in [
        toc_symbols,
        toc_series,
        toc_label_indices,
        toc_label_offsets,
        toc_postings,
        toc_postings_offsets,
    ] {
        toc.put_be64(v);
    }
    out.extend_from_slice(&toc.b);
    out.extend_from_slice(&crc32(&toc.b).to_be_bytes());

    let io = |source| IndexError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut f = std::fs::File::create(path).map_err(io)?;
    f.write_all(&out).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}
