//! The scrape manager: runs one loop per target of a prometheus.yml's scrape configs, follows
//! file SD, reloads by target identity, and answers the targets and metadata views.
//!
//! Samples go to storage through an [`AppenderFactory`]: each scrape takes a fresh
//! [`Appender`](crate::target::Appender), appends, and commits.
//!
//! ```no_run
//! # async fn demo(cfg: obslab_scrape::Config) -> Result<(), obslab_scrape::ConfigError> {
//! use std::sync::Arc;
//! use obslab_scrape::manager::{AppenderFactory, ScrapeManager};
//! use obslab_scrape::target::{Appender, VecAppender};
//!
//! let factory: AppenderFactory = Arc::new(|| Box::new(VecAppender::default()) as Box<dyn Appender + Send>);
//! let manager = ScrapeManager::new(factory);
//! manager.apply_config(&cfg).await?;
//! let view = manager.targets().await;
//! # let _ = view;
//! manager.shutdown().await;
//! # Ok(()) }
//! ```

mod fetch;
mod metadata;
mod pool;
mod target_loop;
mod view;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::SecondsFormat;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

pub use fetch::{RequestSettings, SCRAPE_USER_AGENT};
pub use target_loop::{TargetStatus, scrape_offset};
pub use view::{ActiveTarget, DroppedTarget, Health, MetricMetadata, TargetMetadata, TargetsView, label_map};

use crate::config::{Config, ConfigError, ScrapeConfig, TargetGroup};
use crate::target::Appender;
use crate::target::file_sd::FileDiscovery;
use pool::Pool;

/// Makes the appender one scrape writes to.
pub type AppenderFactory = Arc<dyn Fn() -> Box<dyn Appender + Send> + Send + Sync>;

/// Tunables of the manager itself (not of prometheus.yml).
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// How often file SD files are checked for changes (a full re-read also happens every
    /// `refresh_interval`, whichever is shorter).
    pub file_sd_poll: Duration,
    /// The host name put into `globalUrl` in place of loopback addresses.
    pub hostname: Option<String>,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        Self {
            file_sd_poll: Duration::from_secs(1),
            hostname: None,
        }
    }
}

#[derive(Default)]
struct State {
    pools: BTreeMap<String, Pool>,
    discovery: HashMap<String, CancellationToken>,
}

struct Inner {
    factory: AppenderFactory,
    client: reqwest::Client,
    options: ManagerOptions,
    state: Mutex<State>,
}

/// Runs the scrape loops of a config. Cheap to clone; clones share the loops.
#[derive(Clone)]
pub struct ScrapeManager {
    inner: Arc<Inner>,
}

impl ScrapeManager {
    pub fn new(factory: AppenderFactory) -> Self {
        Self::with_options(factory, ManagerOptions::default())
    }

    pub fn with_options(factory: AppenderFactory, options: ManagerOptions) -> Self {
        // Per-job redirects and proxies are not modelled; scrapes follow redirects like Prometheus's default.
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            inner: Arc::new(Inner {
                factory,
                client,
                options,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// Applies a (re)loaded config: jobs whose settings did not change keep their loops, changed
    /// jobs restart theirs, removed jobs stop with staleness markers. Within a job, targets are
    /// matched by identity (labels and URL), so unchanged targets keep scraping undisturbed.
    pub async fn apply_config(&self, cfg: &Config) -> Result<(), ConfigError> {
        let jobs = cfg.all_scrape_configs()?;
        let mut st = self.inner.state.lock().await;
        let wanted: HashMap<String, ScrapeConfig> =
            jobs.into_iter().map(|j| (j.job_name.clone(), j)).collect();
        let removed: Vec<String> = st
            .pools
            .keys()
            .filter(|j| !wanted.contains_key(*j))
            .cloned()
            .collect();
        for job in removed {
            if let Some(c) = st.discovery.remove(&job) {
                c.cancel();
            }
            if let Some(mut p) = st.pools.remove(&job) {
                p.stop(true).await;
            }
        }
        for (job, sc) in wanted {
            let fresh = Pool::new(sc);
            if st.pools.get(&job).is_some_and(|p| p.key == fresh.key) {
                continue;
            }
            if let Some(c) = st.discovery.remove(&job) {
                c.cancel();
            }
            if let Some(mut old) = st.pools.remove(&job) {
                // Prometheus restarts a changed job's loops without end-of-run staleness markers.
                old.stop(false).await;
            }
            let mut pool = fresh;
            let statics = pool.cfg.static_configs.clone();
            let mut fsd: Vec<FileDiscovery> = pool
                .cfg
                .file_sd_configs
                .iter()
                .cloned()
                .map(FileDiscovery::new)
                .collect();
            let groups = refresh_all(&job, &statics, &mut fsd).0;
            pool.sync(&groups, &self.inner.client, &self.inner.factory).await;
            if !fsd.is_empty() {
                let cancel = CancellationToken::new();
                st.discovery.insert(job.clone(), cancel.clone());
                let poll = fsd
                    .iter()
                    .map(FileDiscovery::refresh_interval)
                    .chain([self.inner.options.file_sd_poll])
                    .filter(|d| !d.is_zero())
                    .min()
                    .unwrap_or(Duration::from_secs(1));
                let weak = Arc::downgrade(&self.inner);
                let key = pool.key.clone();
                tokio::spawn(watch_files(weak, job.clone(), key, statics, fsd, poll, cancel));
            }
            st.pools.insert(job, pool);
        }
        Ok(())
    }

    /// Stops every loop and discovery without staleness markers (the process is ending).
    pub async fn shutdown(&self) {
        let mut st = self.inner.state.lock().await;
        for (_, c) in st.discovery.drain() {
            c.cancel();
        }
        let pools = std::mem::take(&mut st.pools);
        for (_, mut p) in pools {
            p.stop(false).await;
        }
    }

    /// The `data` of `/api/v1/targets`.
    pub async fn targets(&self) -> TargetsView {
        let st = self.inner.state.lock().await;
        let mut view = TargetsView::default();
        for (job, pool) in &st.pools {
            for l in pool.sorted_loops().values() {
                let status = l.status.lock().map(|s| s.clone()).unwrap_or_default();
                view.active_targets.push(ActiveTarget {
                    discovered_labels: label_map(&l.target.discovered),
                    labels: label_map(&l.target.public_labels()),
                    scrape_pool: job.clone(),
                    scrape_url: l.url.clone(),
                    global_url: global_url(&l.url, self.inner.options.hostname.as_deref()),
                    last_error: status.last_error,
                    last_scrape: status
                        .last_scrape
                        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                        .unwrap_or_else(|| "0001-01-01T00:00:00Z".to_string()),
                    last_scrape_duration: status.last_duration.as_secs_f64(),
                    health: status.health,
                    scrape_interval: obslab_model::format_duration(l.interval),
                    scrape_timeout: obslab_model::format_duration(l.timeout),
                });
            }
            for d in &pool.dropped {
                view.dropped_targets.push(DroppedTarget {
                    discovered_labels: label_map(d),
                    scrape_pool: job.clone(),
                });
            }
            view.dropped_target_counts.insert(job.clone(), pool.dropped_count);
        }
        view
    }

    /// The `data` of `/api/v1/metadata`: per metric, the distinct metadata seen across targets.
    pub async fn metadata(&self) -> BTreeMap<String, Vec<MetricMetadata>> {
        let mut out: BTreeMap<String, Vec<MetricMetadata>> = BTreeMap::new();
        for tm in self.targets_metadata().await {
            let e = MetricMetadata {
                metric_type: tm.metric_type,
                help: tm.help,
                unit: tm.unit,
            };
            let v = out.entry(tm.metric).or_default();
            if !v.contains(&e) {
                v.push(e);
            }
        }
        out
    }

    /// The `data` of `/api/v1/targets/metadata`: every family of every target's last good scrape.
    pub async fn targets_metadata(&self) -> Vec<TargetMetadata> {
        let st = self.inner.state.lock().await;
        let mut out = Vec::new();
        for pool in st.pools.values() {
            for l in pool.sorted_loops().values() {
                let target = label_map(&l.target.public_labels());
                let Ok(status) = l.status.lock() else { continue };
                for (name, m) in &status.metadata {
                    out.push(TargetMetadata {
                        target: target.clone(),
                        metric: name.clone(),
                        metric_type: m.metric_type.clone(),
                        help: m.help.clone(),
                        unit: m.unit.clone(),
                    });
                }
            }
        }
        out
    }
}

/// Reads static groups and every file SD config; the bool says whether any file SD changed.
fn refresh_all(job: &str, statics: &[TargetGroup], fsd: &mut [FileDiscovery]) -> (Vec<TargetGroup>, bool) {
    let mut groups = statics.to_vec();
    let mut changed = false;
    for f in fsd {
        let r = f.refresh();
        for e in &r.errors {
            tracing::warn!(job, error = %e, "file service discovery");
        }
        changed |= r.changed;
        groups.extend(r.groups);
    }
    (groups, changed)
}

/// Re-reads a job's SD files and syncs its pool when they change.
async fn watch_files(
    inner: Weak<Inner>,
    job: String,
    key: String,
    statics: Vec<TargetGroup>,
    mut fsd: Vec<FileDiscovery>,
    poll: Duration,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(poll) => {}
        }
        let (groups, changed) = refresh_all(&job, &statics, &mut fsd);
        if !changed {
            continue;
        }
        let Some(inner) = inner.upgrade() else { return };
        let mut st = inner.state.lock().await;
        if cancel.is_cancelled() {
            return;
        }
        if let Some(pool) = st.pools.get_mut(&job).filter(|p| p.key == key) {
            pool.sync(&groups, &inner.client, &inner.factory).await;
        }
    }
}

/// The scrape URL as seen from elsewhere: a loopback host replaced by the host name.
fn global_url(url: &str, hostname: Option<&str>) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.to_string();
    };
    let loopback = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]" | "::1"));
    if !loopback {
        return url.to_string();
    }
    let host = hostname.map(str::to_string).or_else(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    });
    match host {
        Some(h) if u.set_host(Some(&h)).is_ok() => u.to_string(),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::global_url;

    #[test]
    fn global_url_replaces_loopback_only() {
        assert_eq!(
            global_url("http://127.0.0.1:9100/metrics?a=b", Some("box")),
            "http://box:9100/metrics?a=b"
        );
        assert_eq!(
            global_url("http://10.0.0.1:9100/metrics", Some("box")),
            "http://10.0.0.1:9100/metrics"
        );
    }
}
