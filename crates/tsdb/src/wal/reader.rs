//! Reads records back out of segments, stopping at the first damaged fragment, and repairs a
//! damaged tail by truncating it.

use super::{
    PAGE_SIZE, REC_FIRST, REC_FULL, REC_LAST, REC_MIDDLE, REC_PAGE_TERM, RECORD_HEADER_SIZE, SNAPPY_MASK,
    TYPE_MASK, WalError, io, list_segments, segment_name,
};
use crate::encoding::crc32;
use std::path::Path;

/// Where and why reading a segment stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corruption {
    pub segment: u32,
    /// Offset of the first fragment of the record that could not be read.
    pub offset: u64,
    pub msg: String,
}

/// Records read from a segment and, if it is damaged, where the damage starts.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub records: Vec<Vec<u8>>,
    pub corruption: Option<Corruption>,
}

/// Reads every record of one segment file.
pub fn read_segment(path: &Path, segment: u32) -> Result<ReadOutcome, WalError> {
    let b = std::fs::read(path).map_err(io(format!("reading {}", path.display())))?;
    Ok(parse_segment(&b, segment))
}

fn parse_segment(b: &[u8], segment: u32) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    let mut pos = 0usize;
    let mut buf: Vec<u8> = Vec::new();
    let mut rec_start: Option<usize> = None;
    let mut snappy = false;
    let fail = |out: &mut ReadOutcome, at: usize, msg: &str| {
        out.corruption = Some(Corruption {
            segment,
            offset: at as u64,
            msg: msg.to_string(),
        });
    };
    while pos < b.len() {
        let in_page = pos % PAGE_SIZE;
        let page_end = (pos - in_page + PAGE_SIZE).min(b.len());
        if PAGE_SIZE - in_page < RECORD_HEADER_SIZE || b[pos] == REC_PAGE_TERM {
            // Rest of the page is padding and must be zero.
            if b[pos..page_end].iter().any(|&x| x != 0) {
                fail(
                    &mut out,
                    rec_start.unwrap_or(pos),
                    "non-zero bytes in page padding",
                );
                return out;
            }
            pos = page_end;
            continue;
        }
        let start = rec_start.unwrap_or(pos);
        if pos + RECORD_HEADER_SIZE > b.len() {
            fail(&mut out, start, "torn record header at end of segment");
            return out;
        }
        let typ = b[pos] & TYPE_MASK;
        let flag_snappy = b[pos] & SNAPPY_MASK != 0;
        let len = usize::from(u16::from_be_bytes([b[pos + 1], b[pos + 2]]));
        let crc = u32::from_be_bytes([b[pos + 3], b[pos + 4], b[pos + 5], b[pos + 6]]);
        let data_start = pos + RECORD_HEADER_SIZE;
        if data_start + len > pos - in_page + PAGE_SIZE {
            fail(&mut out, start, "fragment crosses a page boundary");
            return out;
        }
        if data_start + len > b.len() {
            fail(&mut out, start, "torn record at end of segment");
            return out;
        }
        let data = &b[data_start..data_start + len];
        if crc32(data) != crc {
            fail(&mut out, start, "checksum mismatch");
            return out;
        }
        let expect_continuation = rec_start.is_some();
        match typ {
            REC_FULL | REC_FIRST if expect_continuation => {
                fail(&mut out, start, "new record before the previous one ended");
                return out;
            }
            REC_MIDDLE | REC_LAST if !expect_continuation => {
                fail(&mut out, pos, "continuation fragment without a first fragment");
                return out;
            }
            REC_FULL | REC_FIRST | REC_MIDDLE | REC_LAST => {}
            _ => {
                fail(&mut out, start, "unknown fragment type");
                return out;
            }
        }
        if typ == REC_FULL || typ == REC_FIRST {
            rec_start = Some(pos);
            snappy = flag_snappy;
            buf.clear();
        }
        buf.extend_from_slice(data);
        pos = data_start + len;
        if typ == REC_FULL || typ == REC_LAST {
            let rec = if snappy {
                match snap::raw::Decoder::new().decompress_vec(&buf) {
                    Ok(r) => r,
                    Err(_) => {
                        fail(&mut out, start, "invalid snappy data");
                        return out;
                    }
                }
            } else {
                std::mem::take(&mut buf)
            };
            out.records.push(rec);
            rec_start = None;
        }
    }
    if let Some(start) = rec_start {
        fail(&mut out, start, "record cut off at end of segment");
    }
    out
}

/// Truncates the damaged segment at the start of the broken record and removes every later
/// segment. Returns a description of what was dropped.
pub fn repair(dir: &Path, c: &Corruption) -> Result<String, WalError> {
    let p = dir.join(segment_name(c.segment));
    let size = std::fs::metadata(&p)
        .map_err(io(format!("stat {}", p.display())))?
        .len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .map_err(io(format!("opening {}", p.display())))?;
    f.set_len(c.offset)
        .map_err(io(format!("truncating {}", p.display())))?;
    f.sync_all().map_err(io(format!("syncing {}", p.display())))?;
    let mut dropped_segments = Vec::new();
    for s in list_segments(dir)? {
        if s > c.segment {
            let sp = dir.join(segment_name(s));
            std::fs::remove_file(&sp).map_err(io(format!("removing {}", sp.display())))?;
            dropped_segments.push(s);
        }
    }
    Ok(format!(
        "WAL segment {} truncated at offset {} ({} bytes dropped: {}); later segments removed: {:?}",
        c.segment,
        c.offset,
        size - c.offset,
        c.msg,
        dropped_segments
    ))
}
