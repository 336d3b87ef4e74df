//! `<data>/run/status.json`: what `obslab up` is running right now. It is rewritten (atomically,
//! through a rename) whenever a component starts, exits or changes health, so that `obslab status`,
//! scripts and tests can find every component's pid, restarts and health without asking the
//! supervisor.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole lab as the supervisor sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabStatus {
    /// Pid of the `obslab up` process.
    pub pid: u32,
    pub state: LabState,
    /// RFC 3339 time `obslab up` started.
    pub started_at: String,
    /// Seconds from start until every component was healthy.
    pub ready_in_s: Option<f64>,
    pub data_dir: PathBuf,
    pub updated_at: String,
    pub components: Vec<ComponentStatus>,
}

/// Life cycle of the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabState {
    Starting,
    Ready,
    Stopping,
    Stopped,
}

/// Whether a component runs as a child process or inside the supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    Process,
    InProcess,
}

/// Last known health of one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Started, not yet answering its health check.
    Starting,
    Healthy,
    /// Was healthy, now fails its health check.
    Unhealthy,
    /// Exited; waiting for the restart delay.
    Restarting,
    /// Ended for good (in-process component that returned with an error).
    Failed,
    Stopped,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Starting => "starting",
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Restarting => "restarting",
            Health::Failed => "failed",
            Health::Stopped => "stopped",
        }
    }
}

/// One component of the lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentStatus {
    pub name: String,
    pub kind: ComponentKind,
    /// Base URL, for components that serve HTTP.
    pub url: Option<String>,
    /// URL probed for health, when there is one.
    pub health_url: Option<String>,
    /// Pid of the child process (process components, while running).
    pub pid: Option<u32>,
    /// How many times the supervisor has restarted it.
    pub restarts: u32,
    pub health: Health,
    /// How the last run ended, e.g. `exit status: 1` or `signal: 9 (SIGKILL)`.
    pub last_exit: Option<String>,
    /// Its JSON-lines log file.
    pub log: Option<PathBuf>,
}

/// Where the status file of a data directory lives.
pub fn status_path(data_dir: &Path) -> PathBuf {
    data_dir.join("run").join("status.json")
}

/// Writes the status file through a temporary file and a rename, so readers never see half.
pub fn write_status(path: &Path, status: &LabStatus) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let body = serde_json::to_vec_pretty(status).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

/// Reads a status file.
pub fn read_status(path: &Path) -> anyhow::Result<LabStatus> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a valid status file", path.display()))
}

/// True while a process with this pid exists (signal 0 checks without sending anything).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with signal 0 only checks for the process; it has no memory effects.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
