//! The supervisor's shared view of every component, mirrored to the status file on each change.

use super::status::{ComponentKind, ComponentStatus, Health, LabState, LabStatus, write_status};
use chrono::{SecondsFormat, Utc};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Health timing of one component's current run, used to reset the restart backoff.
#[derive(Debug, Default, Clone, Copy)]
pub struct HealthTimes {
    /// When the current run last became healthy.
    pub healthy_since: Option<Instant>,
    /// The last successful probe of the current run.
    pub last_healthy: Option<Instant>,
}

impl HealthTimes {
    /// How long the current run had been healthy, as far as the probes saw.
    pub fn healthy_for(&self) -> Duration {
        match (self.healthy_since, self.last_healthy) {
            (Some(since), Some(last)) => last.saturating_duration_since(since),
            _ => Duration::ZERO,
        }
    }
}

pub struct Inner {
    pub status: LabStatus,
    pub times: Vec<HealthTimes>,
}

/// Shared state plus the path of the status file.
pub struct Shared {
    inner: Mutex<Inner>,
    path: PathBuf,
}

pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Shared {
    pub fn new(status: LabStatus, path: PathBuf) -> Self {
        let times = vec![HealthTimes::default(); status.components.len()];
        let shared = Self {
            inner: Mutex::new(Inner { status, times }),
            path,
        };
        shared.update(|_| ());
        shared
    }

    /// Applies a change and rewrites the status file.
    pub fn update<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let r = f(&mut guard);
        guard.status.updated_at = now_rfc3339();
        if let Err(e) = write_status(&self.path, &guard.status) {
            eprintln!("obslab: cannot write {}: {e}", self.path.display());
        }
        r
    }

    /// A copy of the current status.
    pub fn snapshot(&self) -> LabStatus {
        match self.inner.lock() {
            Ok(g) => g.status.clone(),
            Err(poisoned) => poisoned.into_inner().status.clone(),
        }
    }

    /// Changes one component; the closure also sees its health timing.
    pub fn component<R>(&self, idx: usize, f: impl FnOnce(&mut ComponentStatus, &mut HealthTimes) -> R) -> R {
        self.update(|inner| f(&mut inner.status.components[idx], &mut inner.times[idx]))
    }

    /// Records a probe result for the run with `pid`; a result for an earlier run is ignored.
    pub fn record_probe(&self, idx: usize, pid: Option<u32>, ok: bool) {
        let now = Instant::now();
        let mut guard = match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let inner = &mut *guard;
        let (c, t) = (&mut inner.status.components[idx], &mut inner.times[idx]);
        let current = matches!(c.health, Health::Starting | Health::Healthy | Health::Unhealthy);
        let process_gone = c.kind == ComponentKind::Process && pid.is_none();
        if c.pid != pid || !current || process_gone {
            return;
        }
        let new_health = match (c.health, ok) {
            (_, true) => Health::Healthy,
            (Health::Starting, false) => Health::Starting,
            (_, false) => Health::Unhealthy,
        };
        if ok {
            if c.health != Health::Healthy {
                t.healthy_since = Some(now);
            }
            t.last_healthy = Some(now);
        }
        if new_health != c.health {
            c.health = new_health;
            inner.status.updated_at = now_rfc3339();
            if let Err(e) = write_status(&self.path, &inner.status) {
                eprintln!("obslab: cannot write {}: {e}", self.path.display());
            }
        }
    }

    pub fn set_state(&self, state: LabState) {
        self.update(|inner| inner.status.state = state);
    }
}
