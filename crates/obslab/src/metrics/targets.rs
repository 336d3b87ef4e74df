//! Bridges the scrape manager (async, behind a lock) to the API's synchronous targets provider:
//! a task copies the manager's targets and metadata into a snapshot the API reads.

use obslab_api::{DroppedTarget, MetadataStore, TargetInfo, TargetsProvider};
use obslab_scrape::manager::{Health, ScrapeManager, TargetsView};
use parking_lot::RwLock;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the snapshot is refreshed; target health changes at most once per scrape.
const REFRESH: Duration = Duration::from_millis(500);

/// The last copy of the scrape manager's targets.
#[derive(Default)]
pub struct TargetsSnapshot {
    view: RwLock<TargetsView>,
}

impl TargetsProvider for TargetsSnapshot {
    fn active_targets(&self) -> Vec<TargetInfo> {
        self.view
            .read()
            .active_targets
            .iter()
            .map(|t| TargetInfo {
                discovered_labels: t.discovered_labels.clone(),
                labels: t.labels.clone(),
                scrape_pool: t.scrape_pool.clone(),
                scrape_url: t.scrape_url.clone(),
                global_url: t.global_url.clone(),
                last_error: t.last_error.clone(),
                last_scrape: t.last_scrape.clone(),
                last_scrape_duration_seconds: t.last_scrape_duration,
                health: match t.health {
                    Health::Up => "up",
                    Health::Down => "down",
                    Health::Unknown => "unknown",
                }
                .to_string(),
                scrape_interval: t.scrape_interval.clone(),
                scrape_timeout: t.scrape_timeout.clone(),
            })
            .collect()
    }

    fn dropped_targets(&self) -> Vec<DroppedTarget> {
        self.view
            .read()
            .dropped_targets
            .iter()
            .map(|d| DroppedTarget {
                discovered_labels: d.discovered_labels.clone(),
            })
            .collect()
    }

    fn scrape_pools(&self) -> Vec<String> {
        self.view.read().dropped_target_counts.keys().cloned().collect()
    }
}

impl TargetsSnapshot {
    /// Copies the manager's state now.
    pub async fn refresh(&self, manager: &ScrapeManager, metadata: &MetadataStore) {
        let view = manager.targets().await;
        *self.view.write() = view;
        for (metric, entries) in manager.metadata().await {
            for m in entries {
                metadata.record(&metric, &m.metric_type, &m.help, &m.unit);
            }
        }
    }
}

/// Keeps `snapshot` current until `stop` is cancelled.
pub async fn follow(
    snapshot: Arc<TargetsSnapshot>,
    manager: ScrapeManager,
    metadata: Arc<MetadataStore>,
    stop: CancellationToken,
) {
    loop {
        snapshot.refresh(&manager, &metadata).await;
        tokio::select! {
            _ = tokio::time::sleep(REFRESH) => {}
            _ = stop.cancelled() => return,
        }
    }
}
