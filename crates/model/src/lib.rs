//! Shared types of obslab: the vocabulary every pipeline stage speaks.
//!
//! Storage, query engines, scrapers and APIs all exchange these types, so they live in one small
//! crate with no I/O and no async code.

pub mod duration;
pub mod histogram;
pub mod labels;
pub mod matcher;
pub mod sample;
pub mod storage;

pub use duration::{DurationError, format_duration, parse_duration};
pub use histogram::{CounterResetHint, FloatHistogram, Span};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME};
pub use matcher::{MatchOp, Matcher, MatcherError};
pub use sample::Sample;
pub use storage::{
    Queryable, SampleIterator, SampleValue, SelectHints, Series, SeriesSet, StorageError, StoredSample,
};
