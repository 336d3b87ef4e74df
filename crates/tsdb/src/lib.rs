//! obslab's metrics storage: a Prometheus-compatible TSDB.
//!
//! The layout mirrors the on-disk artifacts: XOR chunks ([`chunkenc`]), chunk segment files
//! ([`chunks`]), the block index ([`index`]), WAL segments ([`wal`]) and their records
//! ([`record`]), the in-memory head ([`head`]), persisted blocks ([`block`]) and the database that
//! ties them together ([`db`]).

pub mod block;
pub mod chunkenc;
pub mod chunks;
pub mod encoding;
pub mod error;
pub mod fsutil;
pub mod index;
pub mod postings;
pub mod series;

pub use error::{Error, Result};
pub mod compact;
pub mod db;
pub mod head;
pub mod querier;
pub mod record;
pub mod replay;
pub mod wal;

pub use db::{CompactReport, Db, Options};
pub use head::Appender;
pub use querier::Querier;
pub use series::{Interval, Series};
