//! The supervisor of `obslab up`.
//!
//! A lab is a list of components, each with a name, an optional URL and a health check. A
//! component is either a child process (the demo services run as `obslab demo run <service>`,
//! restarted with backoff when they exit, their output kept in `<data>/logs/<name>.log`) or an
//! in-process task (the traffic generator, and later backend parts such as an HTTP API server or
//! a scrape manager). The supervisor checks their ports before it starts anything, probes their
//! health, keeps `<data>/run/status.json` current, and stops everything on shutdown.

mod backoff;
pub mod health;
pub mod logfile;
mod process;
mod spawner;
mod state;
pub mod status;

pub use health::HealthCheck;

use crate::config::SupervisorConfig;
use anyhow::Context;
use futures::future::BoxFuture;
use state::Shared;
use status::{ComponentKind, ComponentStatus, Health, LabState, LabStatus};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Restart and shutdown timing, taken from lab.yaml's `supervisor:` section.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub restart_backoff_initial: Duration,
    pub restart_backoff_max: Duration,
    pub restart_backoff_reset: Duration,
    pub shutdown_timeout: Duration,
    pub health_interval: Duration,
}

impl From<&SupervisorConfig> for Timing {
    fn from(c: &SupervisorConfig) -> Self {
        Self {
            restart_backoff_initial: c.restart_backoff_initial.get(),
            restart_backoff_max: c.restart_backoff_max.get(),
            restart_backoff_reset: c.restart_backoff_reset.get(),
            shutdown_timeout: c.shutdown_timeout.get(),
            health_interval: c.health_interval.get(),
        }
    }
}

/// A component run as a supervised child process.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub url: Option<String>,
    pub health: HealthCheck,
    /// The address it will listen on, checked before anything starts.
    pub listen: Option<SocketAddr>,
}

/// The body of an in-process component: runs until the token is cancelled.
pub type RunFn = Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, anyhow::Result<()>> + Send>;

/// A component run as a task inside the supervisor.
pub struct InProcessSpec {
    pub name: String,
    pub url: Option<String>,
    pub health: HealthCheck,
    pub listen: Option<SocketAddr>,
    pub run: RunFn,
}

enum Spec {
    Process(ProcessSpec),
    InProcess(InProcessSpec),
}

impl Spec {
    fn name(&self) -> &str {
        match self {
            Spec::Process(p) => &p.name,
            Spec::InProcess(p) => &p.name,
        }
    }
    fn listen(&self) -> Option<SocketAddr> {
        match self {
            Spec::Process(p) => p.listen,
            Spec::InProcess(p) => p.listen,
        }
    }
    fn url(&self) -> Option<String> {
        match self {
            Spec::Process(p) => p.url.clone(),
            Spec::InProcess(p) => p.url.clone(),
        }
    }
    fn health(&self) -> &HealthCheck {
        match self {
            Spec::Process(p) => &p.health,
            Spec::InProcess(p) => &p.health,
        }
    }
}

/// The set of components to start.
pub struct Supervisor {
    data_dir: PathBuf,
    timing: Timing,
    components: Vec<Spec>,
}

impl Supervisor {
    pub fn new(data_dir: &Path, timing: Timing) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            timing,
            components: Vec::new(),
        }
    }

    pub fn add_process(&mut self, spec: ProcessSpec) {
        self.components.push(Spec::Process(spec));
    }

    pub fn add_in_process(&mut self, spec: InProcessSpec) {
        self.components.push(Spec::InProcess(spec));
    }

    pub fn is_empty(&self) -> bool {
        self.components.is_empty()
    }

    /// Fails with the component and port named when a listen address is already taken, before
    /// anything has started.
    pub fn check_ports(&self) -> anyhow::Result<()> {
        for spec in &self.components {
            if let Some(addr) = spec.listen() {
                TcpListener::bind(addr).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot start {}: port {} on {} is not available ({e}); \
                         choose another port in lab.yaml or stop what is using it",
                        spec.name(),
                        addr.port(),
                        addr.ip()
                    )
                })?;
            }
        }
        Ok(())
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.data_dir.join("logs").join(format!("{name}.log"))
    }

    /// Starts every component; must be called inside the tokio runtime.
    pub fn start(self) -> anyhow::Result<Running> {
        for sub in ["logs", "run"] {
            let dir = self.data_dir.join(sub);
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let components = self
            .components
            .iter()
            .map(|spec| {
                let (kind, log) = match spec {
                    Spec::Process(_) => (ComponentKind::Process, Some(self.log_path(spec.name()))),
                    Spec::InProcess(_) => (ComponentKind::InProcess, None),
                };
                ComponentStatus {
                    name: spec.name().to_string(),
                    kind,
                    url: spec.url(),
                    health_url: match spec.health() {
                        HealthCheck::Http(u) => Some(u.clone()),
                        HealthCheck::Running => None,
                    },
                    pid: None,
                    restarts: 0,
                    health: Health::Starting,
                    last_exit: None,
                    log,
                }
            })
            .collect();
        let status = LabStatus {
            pid: std::process::id(),
            state: LabState::Starting,
            started_at: state::now_rfc3339(),
            ready_in_s: None,
            data_dir: self.data_dir.clone(),
            updated_at: state::now_rfc3339(),
            components,
        };
        let shared = Arc::new(Shared::new(status, status::status_path(&self.data_dir)));
        let spawner = spawner::Spawner::start(tokio::runtime::Handle::current())
            .context("cannot start the process spawning thread")?;
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let mut probes = Vec::new();
        for (idx, spec) in self.components.into_iter().enumerate() {
            if let HealthCheck::Http(url) = spec.health() {
                probes.push((idx, url.clone()));
            }
            match spec {
                Spec::Process(spec) => {
                    let path = self.data_dir.join("logs").join(format!("{}.log", spec.name));
                    let log = logfile::LogFile::open(&path)
                        .with_context(|| format!("cannot open {}", path.display()))?;
                    let sup = process::Supervised {
                        idx,
                        spec,
                        log,
                        shared: shared.clone(),
                        spawner: spawner.clone(),
                        timing: self.timing,
                        shutdown: shutdown.clone(),
                        restarts: 0,
                    };
                    tasks.spawn(sup.run());
                }
                Spec::InProcess(spec) => {
                    tasks.spawn(run_in_process(idx, spec, shared.clone(), shutdown.clone()));
                }
            }
        }
        let ready = Arc::new(tokio::sync::Notify::new());
        tasks.spawn(probe_loop(
            probes,
            shared.clone(),
            self.timing,
            shutdown.clone(),
            ready.clone(),
        ));
        Ok(Running {
            shared,
            shutdown,
            tasks,
            started: Instant::now(),
            ready,
        })
    }
}

/// A started lab.
pub struct Running {
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
    started: Instant,
    ready: Arc<tokio::sync::Notify>,
}

impl Running {
    pub fn status(&self) -> LabStatus {
        self.shared.snapshot()
    }

    /// Waits until every component is healthy at the same time; returns the time since start
    /// and records the lab as ready.
    pub async fn wait_ready(&self) -> Duration {
        loop {
            let notified = self.ready.notified();
            if self
                .status()
                .components
                .iter()
                .all(|c| c.health == Health::Healthy)
            {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
        let took = self.started.elapsed();
        self.shared.update(|inner| {
            inner.status.state = LabState::Ready;
            inner.status.ready_in_s = Some((took.as_secs_f64() * 1000.0).round() / 1000.0);
        });
        took
    }

    /// Stops every component: in-process tasks are cancelled, children get SIGTERM and, after
    /// the shutdown timeout, SIGKILL.
    pub async fn shutdown(mut self) {
        self.shared.set_state(LabState::Stopping);
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
        self.shared.update(|inner| {
            inner.status.state = LabState::Stopped;
            for c in &mut inner.status.components {
                c.pid = None;
                c.health = Health::Stopped;
            }
        });
    }
}

async fn run_in_process(idx: usize, spec: InProcessSpec, shared: Arc<Shared>, shutdown: CancellationToken) {
    let running = matches!(spec.health, HealthCheck::Running);
    shared.component(idx, |c, _| {
        if running {
            c.health = Health::Healthy;
        }
    });
    let name = spec.name.clone();
    let result = (spec.run)(shutdown.clone()).await;
    let (health, exit) = match result {
        Ok(()) if shutdown.is_cancelled() => (Health::Stopped, None),
        Ok(()) => {
            eprintln!("obslab: {name} finished");
            (Health::Stopped, Some("finished".to_string()))
        }
        Err(e) => {
            eprintln!("obslab: {name} failed: {e:#}");
            (Health::Failed, Some(format!("{e:#}")))
        }
    };
    shared.component(idx, |c, _| {
        c.health = health;
        c.last_exit = exit;
    });
}

/// Probes every HTTP health check, quickly until the lab is ready, then at the configured interval.
async fn probe_loop(
    probes: Vec<(usize, String)>,
    shared: Arc<Shared>,
    timing: Timing,
    shutdown: CancellationToken,
    ready: Arc<tokio::sync::Notify>,
) {
    let client = health::probe_client();
    loop {
        let pids: Vec<Option<u32>> = {
            let snap = shared.snapshot();
            probes.iter().map(|(idx, _)| snap.components[*idx].pid).collect()
        };
        let results =
            futures::future::join_all(probes.iter().map(|(_, url)| health::probe(&client, url))).await;
        for (((idx, _), pid), ok) in probes.iter().zip(pids).zip(results) {
            shared.record_probe(*idx, pid, ok);
        }
        ready.notify_waiters();
        let all_healthy = shared
            .snapshot()
            .components
            .iter()
            .all(|c| c.health == Health::Healthy);
        let pause = if all_healthy {
            timing.health_interval
        } else {
            timing.health_interval.min(Duration::from_millis(100))
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}
