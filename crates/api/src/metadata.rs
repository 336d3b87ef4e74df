//! Metric metadata seen by scrapes (type, help, unit per metric family), served by
//! `/api/v1/metadata`. The scrape manager calls [`MetadataStore::record`] for each family it reads.

use parking_lot::RwLock;
use std::collections::BTreeMap;

/// One distinct metadata entry of a metric family.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricMetadata {
    pub metric_type: String,
    pub help: String,
    pub unit: String,
}

/// Metadata by metric family name; a family may have several distinct entries (different
/// targets exposing different help texts), as in Prometheus.
#[derive(Debug, Default)]
pub struct MetadataStore {
    entries: RwLock<BTreeMap<String, Vec<MetricMetadata>>>,
}

impl MetadataStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers what a scrape (or a remote-write request) said about `metric`.
    pub fn record(&self, metric: &str, metric_type: &str, help: &str, unit: &str) {
        let md = MetricMetadata {
            metric_type: metric_type.to_string(),
            help: help.to_string(),
            unit: unit.to_string(),
        };
        let mut g = self.entries.write();
        let list = g.entry(metric.to_string()).or_default();
        if !list.contains(&md) {
            list.push(md);
        }
    }

    /// A copy of everything, sorted by family name.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<MetricMetadata>> {
        self.entries.read().clone()
    }
}
