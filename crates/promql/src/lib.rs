//! The PromQL engine of obslab: parses queries with `promql-parser` and evaluates them over any
//! [`obslab_model::Queryable`] store with Prometheus's semantics (lookback, staleness, `offset`
//! and `@`, subqueries, every function, aggregation and operator, native histograms).
//!
//! Also holds a runner for Prometheus's `promqltest` scripts ([`promqltest::run_file`]).

mod duration_expr;
pub mod engine;
pub mod error;
mod eval;
mod info_selector;
pub mod memstore;
pub mod promqltest;
pub mod value;

pub use engine::{CancelToken, Engine, EngineOptions};
pub use error::{ErrorType, QueryError};
pub use memstore::MemStorage;
pub use value::{PointValue, QueryResult, QueryValue, RangeSeries, Sample};
