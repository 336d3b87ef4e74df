//! Persisted blocks: a directory named by ULID holding `meta.json`, `index`, `chunks/` and
//! `tombstones`, exactly as Prometheus lays them out.

mod meta;
mod reader;
pub mod tombstones;
mod ulid;
mod writer;

pub use meta::{BlockDesc, BlockMeta, BlockStats, Compaction};
pub use reader::Block;
pub use ulid::{is_ulid, new_ulid, ulid_from_parts};
pub use writer::{BlockSeries, write_block};

/// Suffix of a block directory still being written; left-overs are removed on open.
pub const TMP_SUFFIX: &str = ".tmp-for-creation";
/// Suffix of a block directory being deleted.
pub const DELETE_SUFFIX: &str = ".tmp-for-deletion";
