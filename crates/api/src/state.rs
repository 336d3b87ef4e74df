//! The state every handler shares: storage, engine, config, flags and the hooks other parts of
//! obslab attach (scrape metadata and targets, config reload, remote-write forwarding).

use crate::metadata::MetadataStore;
use crate::self_metrics::HttpMetrics;
use crate::targets::{NoTargets, TargetsProvider};
use obslab_model::{Labels, Queryable};
use obslab_promql::Engine;
use obslab_tsdb::Db;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Told about every batch of samples committed through the API (remote write receiver), so it
/// can forward them (the remote-write sender implements it).
pub trait AppendHook: Send + Sync {
    fn appended(&self, samples: &[(Labels, i64, f64)]);
}

/// Adds lines of text exposition to `/metrics`.
pub trait MetricsSource: Send + Sync {
    fn render(&self, out: &mut String);
}

/// Called by `POST /-/reload`; an error is reported as Prometheus reports a failed reload.
pub type ReloadHook = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// Settings that Prometheus takes from its command line.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// `--web.enable-admin-api`.
    pub enable_admin_api: bool,
    /// `--web.enable-remote-write-receiver`.
    pub enable_remote_write_receiver: bool,
    /// Largest accepted remote-write or remote-read body, compressed and decompressed.
    pub max_body_bytes: usize,
    /// `global.external_labels`, added to federation output.
    pub external_labels: Labels,
    /// Shown by `/api/v1/status/flags`.
    pub flags: BTreeMap<String, String>,
    /// `--storage.tsdb.retention.time` as shown by `/api/v1/status/runtimeinfo`.
    pub storage_retention: String,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            enable_admin_api: false,
            enable_remote_write_receiver: true,
            max_body_bytes: 32 << 20,
            external_labels: Labels::empty(),
            flags: BTreeMap::new(),
            storage_retention: "15d".into(),
        }
    }
}

/// Shared handler state; clones share everything.
#[derive(Clone)]
pub struct ApiState {
    pub db: Db,
    /// What queries read; the database unless replaced (e.g. by a fan-out store).
    pub queryable: Arc<dyn Queryable>,
    pub engine: Engine,
    pub options: Arc<ApiOptions>,
    pub metadata: Arc<MetadataStore>,
    pub targets: Arc<dyn TargetsProvider>,
    pub reload: Option<ReloadHook>,
    pub append_hooks: Vec<Arc<dyn AppendHook>>,
    pub metrics_sources: Vec<Arc<dyn MetricsSource>>,
    /// The loaded prometheus.yml text, for `/api/v1/status/config`.
    pub config_yaml: Arc<RwLock<String>>,
    /// Set once the server may answer queries (`/-/ready`).
    pub ready: Arc<AtomicBool>,
    pub(crate) http_metrics: Arc<HttpMetrics>,
    pub(crate) runtime: Arc<RuntimeInfo>,
}

/// Facts `/api/v1/status/runtimeinfo` reports.
#[derive(Debug)]
pub(crate) struct RuntimeInfo {
    pub start_time: chrono::DateTime<chrono::Utc>,
    pub last_reload: RwLock<(bool, chrono::DateTime<chrono::Utc>)>,
}

impl ApiState {
    /// State over `db` with default options, no targets, no reload hook, ready.
    pub fn new(db: Db, engine: Engine) -> Self {
        let now = chrono::Utc::now();
        Self {
            queryable: Arc::new(db.clone()),
            db,
            engine,
            options: Arc::new(ApiOptions::default()),
            metadata: Arc::new(MetadataStore::new()),
            targets: Arc::new(NoTargets),
            reload: None,
            append_hooks: Vec::new(),
            metrics_sources: Vec::new(),
            config_yaml: Arc::new(RwLock::new(String::new())),
            ready: Arc::new(AtomicBool::new(true)),
            http_metrics: Arc::new(HttpMetrics::default()),
            runtime: Arc::new(RuntimeInfo {
                start_time: now,
                last_reload: RwLock::new((true, now)),
            }),
        }
    }

    pub fn with_options(mut self, options: ApiOptions) -> Self {
        self.options = Arc::new(options);
        self
    }
}
