//! obslab's HTTP surfaces: the Prometheus HTTP API (queries, series, labels, metadata, targets,
//! status, admin, federation, lifecycle, `/metrics`), the remote-write receiver (1.0 and 2.0),
//! remote read, and a remote-write sender driven by prometheus.yml's `remote_write` section.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let db = obslab_tsdb::Db::open("/tmp/data", obslab_tsdb::Options::default())?;
//! let state = obslab_api::ApiState::new(db, obslab_promql::Engine::default());
//! obslab_api::serve("127.0.0.1:9090".parse()?, state, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod error;
pub mod json;
pub mod metadata;
pub mod params;
pub mod prometheus;
pub mod prompb;
pub mod remote_write_sender;
mod self_metrics;
pub mod server;
pub mod state;
pub mod targets;

pub use error::{ApiError, ApiErrorKind};
pub use metadata::MetadataStore;
pub use remote_write_sender::{RemoteWriteSender, SenderError, SenderStats};
pub use server::{router, serve, serve_listener};
pub use state::{ApiOptions, ApiState, AppendHook, MetricsSource, ReloadHook};
pub use targets::{DroppedTarget, NoTargets, TargetInfo, TargetsProvider};
