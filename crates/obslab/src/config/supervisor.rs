//! The `supervisor:` section: how `obslab up` restarts crashed children and how long it waits for
//! them.

use super::{ConfigDuration, Issues};
use serde::{Deserialize, Serialize};

/// Restart, readiness and shutdown timing of `obslab up`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SupervisorConfig {
    /// First delay before restarting a child that exited.
    pub restart_backoff_initial: ConfigDuration,
    /// The delay doubles after each restart up to this.
    pub restart_backoff_max: ConfigDuration,
    /// A child that stayed healthy this long starts over at the initial delay when it exits.
    pub restart_backoff_reset: ConfigDuration,
    /// How long a child gets to exit after SIGTERM before it is killed.
    pub shutdown_timeout: ConfigDuration,
    /// How long `obslab up` waits for every component to be healthy before it warns.
    pub ready_timeout: ConfigDuration,
    /// How often every component's health is probed.
    pub health_interval: ConfigDuration,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self {
            restart_backoff_initial: ConfigDuration::from_millis(250),
            restart_backoff_max: ConfigDuration::from_millis(30_000),
            restart_backoff_reset: ConfigDuration::from_millis(10_000),
            shutdown_timeout: ConfigDuration::from_millis(3_000),
            ready_timeout: ConfigDuration::from_millis(30_000),
            health_interval: ConfigDuration::from_millis(1_000),
        }
    }
}

impl SupervisorConfig {
    pub(super) fn validate(&self, issues: &mut Issues) {
        let nonzero = [
            ("restart_backoff_initial", self.restart_backoff_initial),
            ("restart_backoff_max", self.restart_backoff_max),
            ("shutdown_timeout", self.shutdown_timeout),
            ("ready_timeout", self.ready_timeout),
            ("health_interval", self.health_interval),
        ];
        for (key, d) in nonzero {
            if d.get().is_zero() {
                issues.push(format!("supervisor.{key}"), "must be greater than 0");
            }
        }
        if self.restart_backoff_initial > self.restart_backoff_max {
            issues.push(
                "supervisor.restart_backoff_initial",
                format!(
                    "{} is larger than restart_backoff_max ({})",
                    self.restart_backoff_initial, self.restart_backoff_max
                ),
            );
        }
    }
}
