//! The metrics backend of `obslab up`: the TSDB under `<data>/metrics`, the scrape manager
//! writing into it, and the Prometheus HTTP API on `prometheus.port` (component `prometheus`),
//! plus the host collector on `node.port` (component `node`).
//!
//! The scrape config is `prometheus.config` when lab.yaml names one, else generated and written
//! to `<data>/prometheus.yml`. `POST /-/reload` re-reads that file and applies it.

mod appender;
mod node;
mod scrape_config;
mod targets;

pub use appender::TsdbAppender;

use crate::config::{LabConfig, url_for};
use crate::supervisor::{HealthCheck, InProcessSpec, RunFn, Supervisor};
use anyhow::Context;
use obslab_api::{ApiOptions, ApiState, ReloadHook};
use obslab_promql::{Engine, EngineOptions};
use obslab_scrape::manager::{AppenderFactory, ScrapeManager};
use obslab_scrape::target::Appender;
use obslab_tsdb::Db;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use targets::TargetsSnapshot;
use tokio_util::sync::CancellationToken;

/// Adds the `prometheus` and `node` components that lab.yaml enables, and returns the hook that
/// reloads the scrape configuration (for SIGHUP) when `prometheus` runs.
/// `demo` says whether the demo services run (their jobs are generated only then).
pub fn add(
    sup: &mut Supervisor,
    cfg: &LabConfig,
    data_dir: &Path,
    bind: IpAddr,
    demo: bool,
) -> anyhow::Result<Option<ReloadHook>> {
    let reload = if cfg.prometheus.enabled {
        Some(add_prometheus(sup, cfg, data_dir, bind, demo)?)
    } else {
        None
    };
    if cfg.node.enabled {
        add_node(sup, cfg, bind);
    }
    Ok(reload)
}

/// The prometheus.yml in use: lab.yaml's, or the generated one written to `<data>/prometheus.yml`.
fn scrape_config_path(cfg: &LabConfig, data_dir: &Path, bind: IpAddr, demo: bool) -> anyhow::Result<PathBuf> {
    if let Some(path) = &cfg.prometheus.config {
        return Ok(path.clone());
    }
    let path = data_dir.join("prometheus.yml");
    std::fs::write(&path, scrape_config::generate(cfg, bind, demo))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn add_prometheus(
    sup: &mut Supervisor,
    cfg: &LabConfig,
    data_dir: &Path,
    bind: IpAddr,
    demo: bool,
) -> anyhow::Result<ReloadHook> {
    let config_path = scrape_config_path(cfg, data_dir, bind, demo)?;
    let scrape_cfg = obslab_scrape::config::load_file(&config_path)
        .with_context(|| format!("prometheus.config: cannot load {}", config_path.display()))?;
    scrape_cfg
        .all_scrape_configs()
        .with_context(|| format!("prometheus.config: cannot load {}", config_path.display()))?;
    let config_text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;

    let tsdb_dir = data_dir.join("metrics");
    let retention = cfg.prometheus.retention_time;
    let options = obslab_tsdb::Options {
        retention_time: Some(i64::try_from(retention.get().as_millis()).unwrap_or(i64::MAX)),
        ..Default::default()
    };
    let db = Db::open(&tsdb_dir, options)
        .with_context(|| format!("cannot open the metrics database in {}", tsdb_dir.display()))?;

    let port = cfg.prometheus.port();
    let listen = SocketAddr::new(bind, port);
    let base = url_for(bind, port);
    let flags = BTreeMap::from([
        ("config.file".to_string(), config_path.display().to_string()),
        ("storage.tsdb.path".to_string(), tsdb_dir.display().to_string()),
        ("storage.tsdb.retention.time".to_string(), retention.to_string()),
        ("web.listen-address".to_string(), listen.to_string()),
        (
            "web.enable-admin-api".to_string(),
            cfg.prometheus.admin_api.to_string(),
        ),
        ("web.enable-lifecycle".to_string(), "true".to_string()),
    ]);
    let api_options = ApiOptions {
        enable_admin_api: cfg.prometheus.admin_api,
        flags,
        storage_retention: retention.to_string(),
        ..ApiOptions::default()
    };

    let factory_db = db.clone();
    let factory: AppenderFactory =
        Arc::new(move || Box::new(TsdbAppender::new(factory_db.clone())) as Box<dyn Appender + Send>);
    let manager = ScrapeManager::new(factory);
    let snapshot = Arc::new(TargetsSnapshot::default());
    let mut state =
        ApiState::new(db.clone(), Engine::new(EngineOptions::default())).with_options(api_options);
    state.targets = snapshot.clone();
    let reload = reload_hook(config_path, manager.clone(), state.config_yaml.clone());
    state.reload = Some(reload.clone());
    *state.config_yaml.write() = config_text;
    // Not ready (`/-/ready` answers 503) until the first config is applied.
    state.ready.store(false, Ordering::Relaxed);

    let run: RunFn = Box::new(move |stop: CancellationToken| {
        Box::pin(async move {
            let result = serve_prometheus(listen, state, manager.clone(), snapshot, scrape_cfg, stop).await;
            manager.shutdown().await;
            let closed = tokio::task::spawn_blocking(move || db.close())
                .await
                .context("closing the metrics database")?;
            result?;
            closed.context("cannot close the metrics database")
        })
    });
    sup.add_in_process(InProcessSpec {
        name: "prometheus".to_string(),
        url: Some(base.clone()),
        health: HealthCheck::Http(format!("{base}/-/ready")),
        listen: Some(listen),
        run,
    });
    Ok(reload)
}

async fn serve_prometheus(
    listen: SocketAddr,
    state: ApiState,
    manager: ScrapeManager,
    snapshot: Arc<TargetsSnapshot>,
    scrape_cfg: obslab_scrape::Config,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("prometheus: cannot listen on {listen}"))?;
    manager
        .apply_config(&scrape_cfg)
        .await
        .context("prometheus: cannot apply the scrape config")?;
    snapshot.refresh(&manager, &state.metadata).await;
    state.ready.store(true, Ordering::Relaxed);
    let follow = tokio::spawn(targets::follow(
        snapshot,
        manager,
        state.metadata.clone(),
        stop.clone(),
    ));
    let shutdown = stop.clone();
    let served = obslab_api::serve_listener(listener, state, async move { shutdown.cancelled().await })
        .await
        .context("prometheus: the HTTP server failed");
    stop.cancel();
    let _ = follow.await;
    served
}

/// `POST /-/reload`: re-reads the prometheus.yml in use and applies it; a bad file leaves the
/// running config in place and is reported to the caller.
fn reload_hook(
    path: PathBuf,
    manager: ScrapeManager,
    config_yaml: Arc<parking_lot::RwLock<String>>,
) -> ReloadHook {
    Arc::new(move || {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let cfg = obslab_scrape::config::load_file(&path).map_err(|e| e.to_string())?;
        cfg.all_scrape_configs().map_err(|e| e.to_string())?;
        let handle = tokio::runtime::Handle::try_current().map_err(|e| e.to_string())?;
        match handle.runtime_flavor() {
            // The hook is synchronous; let this worker block while the other workers run the loops.
            tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| handle.block_on(manager.apply_config(&cfg)))
                    .map_err(|e| e.to_string())?;
            }
            _ => {
                let manager = manager.clone();
                handle.spawn(async move {
                    if let Err(e) = manager.apply_config(&cfg).await {
                        eprintln!("obslab: prometheus: reload failed: {e}");
                    }
                });
            }
        }
        *config_yaml.write() = text;
        Ok(())
    })
}

fn add_node(sup: &mut Supervisor, cfg: &LabConfig, bind: IpAddr) {
    let port = cfg.node.port();
    let listen = SocketAddr::new(bind, port);
    let base = url_for(bind, port);
    let run: RunFn = Box::new(move |stop: CancellationToken| {
        Box::pin(async move {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("node: cannot listen on {listen}"))?;
            node::serve(listener, stop)
                .await
                .context("node: the HTTP server failed")
        })
    });
    sup.add_in_process(InProcessSpec {
        name: "node".to_string(),
        url: Some(base.clone()),
        health: HealthCheck::Http(format!("{base}/metrics")),
        listen: Some(listen),
        run,
    });
}
