//! The `prometheus:` and `node:` sections: the built-in metrics backend (TSDB, scrapes and the
//! Prometheus HTTP API) and the built-in host collector it scrapes.

use super::services::deserialize_port;
use super::{ConfigDuration, Issues};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Port of the Prometheus HTTP API unless lab.yaml says otherwise (Prometheus's own default).
pub const DEFAULT_PROMETHEUS_PORT: u16 = 9090;
/// Port of the host collector unless lab.yaml says otherwise (node_exporter's default).
pub const DEFAULT_NODE_PORT: u16 = 9100;

/// The metrics backend of `obslab up`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusSection {
    /// Whether `obslab up` runs the metrics backend.
    pub enabled: bool,
    /// Port of the Prometheus HTTP API (9090 when absent).
    #[serde(deserialize_with = "deserialize_port")]
    pub port: Option<u16>,
    /// A prometheus.yml to use instead of the generated one.
    pub config: Option<PathBuf>,
    /// `global.scrape_interval` of the generated prometheus.yml.
    pub scrape_interval: ConfigDuration,
    /// How long samples are kept (`--storage.tsdb.retention.time`).
    pub retention_time: ConfigDuration,
    /// Serves the TSDB admin endpoints (`--web.enable-admin-api`).
    pub admin_api: bool,
}

impl Default for PrometheusSection {
    fn default() -> Self {
        Self {
            enabled: true,
            port: None,
            config: None,
            scrape_interval: ConfigDuration::from_millis(5_000),
            retention_time: ConfigDuration::from_millis(15 * 24 * 3_600_000),
            admin_api: false,
        }
    }
}

impl PrometheusSection {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_PROMETHEUS_PORT)
    }

    pub(super) fn validate(&self, issues: &mut Issues) {
        if self.port == Some(0) {
            issues.push("prometheus.port", "port must be between 1 and 65535");
        }
        if self.scrape_interval.get().is_zero() {
            issues.push("prometheus.scrape_interval", "must be greater than 0");
        }
        if self.retention_time.get().is_zero() {
            issues.push("prometheus.retention_time", "must be greater than 0");
        }
        if let Some(path) = &self.config
            && path.as_os_str().is_empty()
        {
            issues.push("prometheus.config", "must not be empty");
        }
    }
}

/// The built-in host collector (node_exporter's metrics at `/metrics`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSection {
    /// Whether `obslab up` serves host metrics.
    pub enabled: bool,
    /// Port of the host collector (9100 when absent).
    #[serde(deserialize_with = "deserialize_port")]
    pub port: Option<u16>,
}

impl Default for NodeSection {
    fn default() -> Self {
        Self {
            enabled: true,
            port: None,
        }
    }
}

impl NodeSection {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(DEFAULT_NODE_PORT)
    }

    pub(super) fn validate(&self, issues: &mut Issues) {
        if self.port == Some(0) {
            issues.push("node.port", "port must be between 1 and 65535");
        }
    }
}
