//! The crate's error type, wrapping each artifact's own errors with their context.

use crate::{chunks::ChunksError, index::IndexError, record::RecordError, wal::WalError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Chunks(#[from] ChunksError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Wal(#[from] WalError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("block {dir}: {msg}")]
    Block { dir: String, msg: String },
    #[error("tombstones {path}: {msg}")]
    Tombstones { path: String, msg: String },
    #[error("chunk of series {series}: {source}")]
    Chunk {
        series: String,
        #[source]
        source: crate::chunkenc::ChunkError,
    },
    /// Prometheus's `storage.ErrOutOfOrderSample` text.
    #[error("out of order sample")]
    OutOfOrderSample,
    /// Prometheus's `storage.ErrDuplicateSampleForTimestamp` text.
    #[error("duplicate sample for timestamp")]
    DuplicateSample,
    /// Prometheus's `storage.ErrOutOfBounds` text: older than what the head still accepts.
    #[error("out of bounds")]
    OutOfBounds,
    #[error("limit exceeded: {0}")]
    Limit(String),
    #[error("invalid series: {0}")]
    InvalidSeries(String),
    #[error("data directory {0} is in use by another process (lock file held)")]
    Locked(String),
    #[error("the database is closed")]
    Closed,
}

impl Error {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
