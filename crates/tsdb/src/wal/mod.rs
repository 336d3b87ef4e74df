//! The write-ahead log in Prometheus's `wlog` format: numbered segment files (`00000000`, ...)
//! of up to 128 MiB made of 32 KiB pages; each record is split into fragments
//! (full/first/middle/last) that never cross a page, each with a 7-byte header: type byte,
//! big-endian u16 length and big-endian CRC32C of the fragment.

mod checkpoint;
mod reader;
mod writer;

pub use checkpoint::{Checkpoint, last_checkpoint, write_checkpoint};
pub use reader::{Corruption, ReadOutcome, read_segment, repair};
pub use writer::Wal;

pub const PAGE_SIZE: usize = 32 * 1024;
pub const RECORD_HEADER_SIZE: usize = 7;
pub const DEFAULT_SEGMENT_SIZE: usize = 128 * 1024 * 1024;

/// Fragment types in the low bits of the header's type byte.
pub const REC_PAGE_TERM: u8 = 0;
pub const REC_FULL: u8 = 1;
pub const REC_FIRST: u8 = 2;
pub const REC_MIDDLE: u8 = 3;
pub const REC_LAST: u8 = 4;
/// Flag bit of a snappy-compressed fragment chain.
pub const SNAPPY_MASK: u8 = 1 << 3;
const TYPE_MASK: u8 = 0b111;

#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("WAL I/O ({context}): {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("WAL corrupted in segment {segment} at offset {offset}: {msg}")]
    Corrupt { segment: u32, offset: u64, msg: String },
    #[error("WAL record of {0} bytes does not fit in a segment")]
    TooLarge(usize),
}

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> WalError {
    let context = context.into();
    move |source| WalError::Io { context, source }
}

/// File name of segment `n`.
pub fn segment_name(n: u32) -> String {
    format!("{n:08}")
}

/// Numbered segment files in `dir`, sorted.
pub fn list_segments(dir: &std::path::Path) -> Result<Vec<u32>, WalError> {
    let mut out: Vec<u32> = std::fs::read_dir(dir)
        .map_err(io(format!("listing {}", dir.display())))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let s = name.to_str()?;
            (s.len() == 8).then(|| s.parse::<u32>().ok()).flatten()
        })
        .collect();
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests;
