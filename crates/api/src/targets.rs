//! The targets the scrape manager knows, as `/api/v1/targets` reports them.

use std::collections::BTreeMap;

/// One scrape target, in Prometheus's `/api/v1/targets` shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetInfo {
    pub discovered_labels: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub scrape_pool: String,
    pub scrape_url: String,
    pub global_url: String,
    pub last_error: String,
    /// RFC 3339 time of the last scrape.
    pub last_scrape: String,
    pub last_scrape_duration_seconds: f64,
    /// `up`, `down` or `unknown`.
    pub health: String,
    pub scrape_interval: String,
    pub scrape_timeout: String,
}

/// Targets a dropped list keeps only discovered labels of.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DroppedTarget {
    pub discovered_labels: BTreeMap<String, String>,
}

/// Implemented by the scrape manager; the API asks it on every `/api/v1/targets` call.
pub trait TargetsProvider: Send + Sync {
    fn active_targets(&self) -> Vec<TargetInfo>;
    fn dropped_targets(&self) -> Vec<DroppedTarget>;
    /// Names of every scrape pool (job), also those with no targets.
    fn scrape_pools(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The provider used until a scrape manager is attached: no targets.
#[derive(Debug, Default)]
pub struct NoTargets;

impl TargetsProvider for NoTargets {
    fn active_targets(&self) -> Vec<TargetInfo> {
        Vec::new()
    }

    fn dropped_targets(&self) -> Vec<DroppedTarget> {
        Vec::new()
    }
}
