//! A scrape pool: one job's targets, computed from its target groups and kept in sync with
//! running loops by target identity.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use obslab_model::Labels;

use super::AppenderFactory;
use super::fetch::RequestSettings;
use super::target_loop::{LoopHandle, LoopSpec, TargetStatus, scrape_offset};
use crate::config::{ScrapeConfig, TargetGroup};
use crate::target::{
    JOB_LABEL, METRICS_PATH_LABEL, SCHEME_LABEL, SCRAPE_INTERVAL_LABEL, SCRAPE_TIMEOUT_LABEL, ScrapeSettings,
    Target, group_target_labels, populate_labels,
};

/// One job's loops and dropped targets.
pub(crate) struct Pool {
    pub cfg: Arc<ScrapeConfig>,
    /// Identifies the config: a reload with the same key keeps the pool as it is.
    pub key: String,
    pub request: Arc<RequestSettings>,
    pub loops: HashMap<u64, LoopHandle>,
    pub dropped: Vec<Labels>,
    pub dropped_count: u64,
}

/// FNV-1a: a stable hash, so offsets survive restarts.
pub(crate) fn fnv64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The labels a dropped target is listed with: discovered labels plus the job's defaults.
fn dropped_labels(base: &Labels, cfg: &ScrapeConfig) -> Labels {
    let mut lb = base.to_builder();
    let defaults = [
        (JOB_LABEL, cfg.job_name.clone()),
        (SCRAPE_INTERVAL_LABEL, cfg.scrape_interval.to_string()),
        (SCRAPE_TIMEOUT_LABEL, cfg.scrape_timeout.to_string()),
        (METRICS_PATH_LABEL, cfg.metrics_path.clone()),
        (SCHEME_LABEL, cfg.scheme.clone()),
    ];
    for (n, v) in defaults {
        if lb.get(n).unwrap_or("").is_empty() {
            lb.set(n, v);
        }
    }
    lb.build()
}

impl Pool {
    pub fn new(cfg: ScrapeConfig) -> Self {
        let request = Arc::new(RequestSettings::from_config(&cfg));
        let key = format!("{cfg:?}|{:?}", request.authorization);
        Self {
            cfg: Arc::new(cfg),
            key,
            request,
            loops: HashMap::new(),
            dropped: Vec::new(),
            dropped_count: 0,
        }
    }

    /// Brings the running loops in line with `groups`: new targets start, vanished ones stop
    /// with staleness markers, unchanged ones keep running.
    pub async fn sync(
        &mut self,
        groups: &[TargetGroup],
        client: &reqwest::Client,
        factory: &AppenderFactory,
    ) {
        let cfg = self.cfg.clone();
        let mut wanted: HashMap<u64, Target> = HashMap::new();
        self.dropped.clear();
        self.dropped_count = 0;
        let keep = cfg.keep_dropped_targets.unwrap_or(0);
        for tg in groups {
            for i in 0..tg.targets.len() {
                let base = group_target_labels(tg, i);
                match populate_labels(&base, &cfg) {
                    Ok(Some(t)) => {
                        let url = t.url_with_params(&cfg.params);
                        let h = fnv64(&[&t.labels.to_string(), &url]);
                        wanted.insert(h, t);
                    }
                    Ok(None) => {
                        self.dropped_count += 1;
                        if keep == 0 || (self.dropped.len() as u64) < keep {
                            self.dropped.push(dropped_labels(&base, &cfg));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(job = %cfg.job_name, target = %base, error = %e, "creating target failed");
                    }
                }
            }
        }
        let gone: Vec<u64> = self
            .loops
            .keys()
            .filter(|h| !wanted.contains_key(h))
            .copied()
            .collect();
        for h in gone {
            if let Some(l) = self.loops.remove(&h) {
                l.stop(true).await;
            }
        }
        let settings = ScrapeSettings::from(cfg.as_ref());
        for (h, t) in wanted {
            if let Some(l) = self.loops.get_mut(&h) {
                l.target.discovered = t.discovered;
                continue;
            }
            let interval = t.scrape_interval().unwrap_or(cfg.scrape_interval.0);
            let timeout = t.scrape_timeout().unwrap_or(cfg.scrape_timeout.0);
            let mut request = (*self.request).clone();
            request.timeout = timeout;
            let url = t.url_with_params(&cfg.params);
            let spec = LoopSpec {
                target: t,
                url,
                interval,
                offset: scrape_offset(h, interval, SystemTime::now()),
                settings: settings.clone(),
                request: Arc::new(request),
                client: client.clone(),
                factory: factory.clone(),
                status: Arc::new(Mutex::new(TargetStatus::default())),
            };
            self.loops.insert(h, LoopHandle::start(spec, timeout));
        }
    }

    /// Stops every loop; `stale` writes staleness markers for their series.
    pub async fn stop(&mut self, stale: bool) {
        for (_, l) in self.loops.drain() {
            l.stop(stale).await;
        }
    }

    /// The loops' statuses keyed by scrape URL then labels, for a stable view order.
    pub fn sorted_loops(&self) -> BTreeMap<(String, String), &LoopHandle> {
        self.loops
            .values()
            .map(|l| ((l.url.clone(), l.target.labels.to_string()), l))
            .collect()
    }
}
