//! Scraping for obslab: exposition parsing (Prometheus text 0.0.4 and OpenMetrics 1.0), relabeling,
//! the prometheus.yml configuration model, and the storage-independent parts of a scrape.

pub mod config;
pub mod exposition;
pub mod relabel;
pub mod target;

pub use config::{Config, ConfigError, check_config};
