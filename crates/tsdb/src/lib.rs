//! obslab's metrics storage: a Prometheus-compatible TSDB.
//!
//! The layout mirrors the on-disk artifacts: XOR chunks ([`chunkenc`]), chunk segment files
//! ([`chunks`]), the block index ([`index`]), WAL segments ([`wal`]) and their records
//! ([`record`]), the in-memory head ([`head`]), persisted blocks ([`block`]) and the database that
//! ties them together ([`db`]). A data directory written here is a valid Prometheus 2.42 data
//! directory (`promtool tsdb analyze|dump` read it), and a Prometheus data directory opens here.
//!
//! ```
//! use obslab_model::{Labels, MatchOp, Matcher};
//! use obslab_tsdb::{Db, Options};
//!
//! let dir = tempfile::tempdir()?;
//! let db = Db::open(dir.path(), Options::default())?;
//! let mut app = db.appender();
//! let up = Labels::from_pairs([("__name__", "up"), ("job", "api")]);
//! let r = app.append(&up, 1_000, 1.0)?;
//! app.append_ref(r, 16_000, 0.0)?;
//! app.commit()?; // durable in the WAL once this returns
//!
//! let m = Matcher::new(MatchOp::Equal, "job", "api")?;
//! let series = db.querier(0, 20_000).select(&[m])?;
//! assert_eq!(series[0].samples().len(), 2);
//! db.close()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod block;
pub mod chunkenc;
pub mod chunks;
pub mod compact;
pub mod db;
pub mod encoding;
pub mod error;
pub mod fsutil;
pub mod head;
pub mod index;
pub mod postings;
pub mod querier;
pub mod queryable;
pub mod record;
pub mod replay;
pub mod series;
pub mod wal;

pub use db::{CompactReport, Db, Options};
pub use error::{Error, Result};
pub use head::Appender;
pub use querier::Querier;
pub use series::{Interval, Series};
