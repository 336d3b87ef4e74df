//! The JSON shapes of Prometheus's `/api/v1/targets` and `/api/v1/metadata` answers.

use std::collections::BTreeMap;

use obslab_model::Labels;
use serde::Serialize;

/// `data` of `/api/v1/targets`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TargetsView {
    pub active_targets: Vec<ActiveTarget>,
    pub dropped_targets: Vec<DroppedTarget>,
    /// Dropped targets per scrape pool.
    pub dropped_target_counts: BTreeMap<String, u64>,
}

/// Health of a target, as Prometheus spells it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Up,
    Down,
    #[default]
    Unknown,
}

/// One entry of `activeTargets`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ActiveTarget {
    pub discovered_labels: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub scrape_pool: String,
    pub scrape_url: String,
    pub global_url: String,
    pub last_error: String,
    /// RFC 3339; `0001-01-01T00:00:00Z` before the first scrape.
    pub last_scrape: String,
    /// Seconds.
    pub last_scrape_duration: f64,
    pub health: Health,
    pub scrape_interval: String,
    pub scrape_timeout: String,
}

/// One entry of `droppedTargets`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DroppedTarget {
    pub discovered_labels: BTreeMap<String, String>,
    pub scrape_pool: String,
}

/// One entry of `/api/v1/metadata`'s per-metric lists.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricMetadata {
    #[serde(rename = "type")]
    pub metric_type: String,
    pub help: String,
    pub unit: String,
}

/// One entry of `/api/v1/targets/metadata`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetMetadata {
    pub target: BTreeMap<String, String>,
    pub metric: String,
    #[serde(rename = "type")]
    pub metric_type: String,
    pub help: String,
    pub unit: String,
}

/// Labels as the JSON object Prometheus writes.
pub fn label_map(l: &Labels) -> BTreeMap<String, String> {
    l.iter().map(|l| (l.name.clone(), l.value.clone())).collect()
}
