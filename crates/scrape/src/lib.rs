//! Scraping for obslab: exposition parsing (Prometheus text 0.0.4 and OpenMetrics 1.0), relabeling,
//! the prometheus.yml configuration model, and the storage-independent parts of a scrape.
//!
//! - [`exposition`]: streaming parsers over a scraped body, chosen by content type.
//! - [`manager`]: the async scrape manager: one loop per target, reloads, the targets view.
//! - [`relabel`]: Prometheus's `relabel_configs` engine.
//! - [`config`]: prometheus.yml loading, validation and `check_config` (promtool's checks).
//! - [`target`]: target labels from static and file SD, and [`target::ScrapeState`], which turns a
//!   response into appends (with staleness markers and report series) on an [`target::Appender`].
//!
//! ```
//! use obslab_scrape::exposition::{Entry, Parser};
//!
//! let body = "# TYPE http_requests counter\nhttp_requests_total{code=\"200\"} 7 # {trace_id=\"ab\"} 1\n# EOF\n";
//! let mut samples = Vec::new();
//! for entry in Parser::for_content_type(body, Some("application/openmetrics-text; version=1.0.0")) {
//!     if let Entry::Sample(s) = entry? {
//!         samples.push((s.labels().to_string(), s.value));
//!     }
//! }
//! assert_eq!(samples, vec![("http_requests_total{code=\"200\"}".to_string(), 7.0)]);
//! # Ok::<(), obslab_scrape::exposition::ParseError>(())
//! ```

pub mod config;
pub mod exposition;
pub mod manager;
pub mod relabel;
pub mod target;

pub use config::{Config, ConfigError, check_config};
