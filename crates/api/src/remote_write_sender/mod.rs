//! The remote-write sender: prometheus.yml's `remote_write` entries as queues fed by an append
//! hook, each split into shards (by series, so each series stays in order) that batch samples up
//! to `max_samples_per_send` or `batch_send_deadline` and post them as snappy-compressed
//! `WriteRequest`s. 5xx, 429 (with `retry_on_http_429`) and network errors are retried with
//! exponential backoff between `min_backoff` and `max_backoff`; other 4xx answers drop the batch.

mod metrics;
mod request;
mod shard;

use crate::state::{AppendHook, MetricsSource};
use metrics::SenderMetrics;
use obslab_model::Labels;
use obslab_scrape::config::RemoteWriteConfig;
use obslab_scrape::relabel::{RelabelConfig, process};
use parking_lot::Mutex;
use request::Endpoint;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Why a sender could not start.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    #[error("remote_write url {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("remote_write {name}: {reason}")]
    Client { name: String, reason: String },
    #[error("remote_write {name}: reading {path}: {source}")]
    File {
        name: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("remote_write senders need a running tokio runtime")]
    NoRuntime,
}

/// One sample waiting to be sent.
pub(crate) type Item = (Labels, i64, f64);

/// Batching and retry settings taken from `queue_config`.
#[derive(Debug, Clone)]
pub(crate) struct QueueSettings {
    pub max_samples_per_send: usize,
    pub batch_send_deadline: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub retry_on_429: bool,
}

/// A running `remote_write` queue; clones share it.
#[derive(Clone)]
pub struct RemoteWriteSender {
    inner: Arc<Inner>,
}

struct Inner {
    external_labels: Labels,
    relabel: Vec<RelabelConfig>,
    shards: Mutex<Vec<mpsc::Sender<Item>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    metrics: Arc<SenderMetrics>,
    stopping: Arc<AtomicBool>,
}

impl RemoteWriteSender {
    /// Starts the queue for one `remote_write` entry on the current tokio runtime.
    /// `external_labels` are added to every sample unless it has the label already.
    pub fn start(cfg: &RemoteWriteConfig, external_labels: Labels) -> Result<Self, SenderError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| SenderError::NoRuntime)?;
        let endpoint = Arc::new(Endpoint::new(cfg)?);
        let q = &cfg.queue_config;
        let settings = QueueSettings {
            max_samples_per_send: usize::try_from(q.max_samples_per_send).unwrap_or(2000).max(1),
            batch_send_deadline: q.batch_send_deadline.0.max(Duration::from_millis(1)),
            min_backoff: q.min_backoff.0.max(Duration::from_millis(1)),
            max_backoff: q.max_backoff.0.max(q.min_backoff.0),
            retry_on_429: q.retry_on_http_429,
        };
        let n_shards = usize::try_from(q.min_shards.max(1).min(q.max_shards.max(1))).unwrap_or(1);
        let per_shard = (usize::try_from(q.capacity).unwrap_or(10_000) / n_shards).max(1);
        let metrics = Arc::new(SenderMetrics::new(endpoint.name.clone(), cfg.url.clone()));
        let stopping = Arc::new(AtomicBool::new(false));
        let mut shards = Vec::with_capacity(n_shards);
        let mut tasks = Vec::with_capacity(n_shards);
        for _ in 0..n_shards {
            let (tx, rx) = mpsc::channel(per_shard);
            shards.push(tx);
            tasks.push(handle.spawn(shard::run(
                rx,
                endpoint.clone(),
                settings.clone(),
                metrics.clone(),
                stopping.clone(),
            )));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                external_labels,
                relabel: cfg.write_relabel_configs.clone(),
                shards: Mutex::new(shards),
                tasks: Mutex::new(tasks),
                metrics,
                stopping,
            }),
        })
    }

    /// Queues samples: external labels are added, `write_relabel_configs` applied (dropped
    /// series are counted), and each sample goes to its series' shard. A full queue drops the
    /// sample and counts it, so appends never wait on the network.
    pub fn enqueue(&self, samples: &[(Labels, i64, f64)]) {
        let shards = self.inner.shards.lock();
        if shards.is_empty() {
            return;
        }
        for (labels, t, v) in samples {
            let mut l = labels.clone();
            if !self.inner.external_labels.is_empty() {
                let mut b = l.to_builder();
                for e in &self.inner.external_labels {
                    if l.get(&e.name).is_none() {
                        b.set(e.name.clone(), e.value.clone());
                    }
                }
                l = b.build();
            }
            let l = match process(&l, &self.inner.relabel) {
                Some(l) if !l.is_empty() => l,
                _ => {
                    self.inner.metrics.add_dropped(1);
                    continue;
                }
            };
            let mut h = std::collections::hash_map::DefaultHasher::new();
            l.hash(&mut h);
            let idx = (h.finish() % shards.len() as u64) as usize;
            match shards[idx].try_send((l, *t, *v)) {
                Ok(()) => self.inner.metrics.add_pending(1),
                Err(_) => self.inner.metrics.add_dropped(1),
            }
        }
    }

    /// Counters of what was sent, failed and retried.
    pub fn stats(&self) -> SenderStats {
        self.inner.metrics.stats()
    }

    /// Stops accepting samples, sends what is queued, and gives up on retries after `deadline`.
    pub async fn shutdown(&self, deadline: Duration) {
        self.inner.shards.lock().clear();
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *self.inner.tasks.lock());
        let wait = async {
            for t in tasks {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(deadline, wait).await.is_err() {
            self.inner.stopping.store(true, Ordering::Relaxed);
        }
    }
}

/// A snapshot of one sender's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderStats {
    pub samples_sent: u64,
    pub samples_failed: u64,
    pub samples_retried: u64,
    pub samples_dropped: u64,
    pub samples_pending: u64,
}

impl AppendHook for RemoteWriteSender {
    fn appended(&self, samples: &[(Labels, i64, f64)]) {
        self.enqueue(samples);
    }
}

impl MetricsSource for RemoteWriteSender {
    fn render(&self, out: &mut String) {
        self.inner.metrics.render(out);
    }
}
