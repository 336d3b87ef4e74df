//! The dispatcher: routes incoming alerts into aggregation groups and, driven by an explicit
//! clock, flushes the groups whose timers are due into notifications.

pub mod group;

pub use group::{Group, Notification};

use crate::alert::Alert;
use crate::config::Config;
use crate::inhibit::Inhibitor;
use crate::route::Route;
use crate::silence::Silences;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What the dispatcher asks at flush time: muting, receiver settings and time intervals.
pub trait FlushPolicy {
    /// Is the alert silenced or inhibited?
    fn is_muted(&self, _alert: &Alert, _now: DateTime<Utc>) -> bool {
        false
    }
    /// Does the receiver want resolved notifications?
    fn send_resolved(&self, _receiver: &str) -> bool {
        true
    }
    /// Is `now` inside the named time interval?
    fn in_time_interval(&self, _name: &str, _now: DateTime<Utc>) -> bool {
        false
    }
}

/// No muting, resolved notifications wanted, no time intervals.
pub struct DefaultPolicy;
impl FlushPolicy for DefaultPolicy {}

/// The policy of a loaded configuration with its silences and inhibition rules. `alerts` are the
/// current alerts, the possible inhibition sources.
pub struct ConfigPolicy<'a> {
    pub config: &'a Config,
    pub silences: &'a Silences,
    pub inhibitor: &'a Inhibitor,
    pub alerts: &'a [Alert],
}

impl FlushPolicy for ConfigPolicy<'_> {
    fn is_muted(&self, alert: &Alert, now: DateTime<Utc>) -> bool {
        !self.silences.mutes(&alert.labels, now).is_empty()
            || self.inhibitor.is_inhibited(&alert.labels, self.alerts, now)
    }

    /// A receiver wants resolved notifications when any of its integrations does.
    fn send_resolved(&self, receiver: &str) -> bool {
        let Some(r) = self.config.receiver(receiver) else {
            return false;
        };
        r.webhook_configs.iter().any(|c| c.send_resolved)
            || r.slack_configs.iter().any(|c| c.send_resolved)
            || r.email_configs.iter().any(|c| c.send_resolved)
            || r.inbox_configs.iter().any(|c| c.send_resolved)
            || r.other_integrations()
                .iter()
                .any(|(kind, list)| list.iter().any(|i| i.send_resolved(kind)))
    }

    fn in_time_interval(&self, name: &str, now: DateTime<Utc>) -> bool {
        self.config.time_interval(name).is_some_and(|t| t.contains(now))
    }
}

#[derive(Debug, Clone)]
pub struct Dispatcher {
    root: Route,
    /// Keyed by route id and group key: routes with equal matchers keep separate groups.
    groups: BTreeMap<(String, String), Group>,
}

impl Dispatcher {
    pub fn new(root: Route) -> Self {
        Dispatcher {
            root,
            groups: BTreeMap::new(),
        }
    }

    /// Routes an alert into (possibly new) groups, one per matching route.
    pub fn insert(&mut self, alert: Alert, now: DateTime<Utc>) {
        for m in self.root.route_alert(&alert.labels) {
            self.groups
                .entry((m.route.id().to_string(), m.group_key.clone()))
                .or_insert_with(|| Group::new(m.group_key.clone(), m.route, m.group_labels.clone(), now))
                .insert(alert.clone(), now);
        }
    }

    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// When the next group timer fires, if any group exists.
    pub fn next_flush(&self) -> Option<DateTime<Utc>> {
        self.groups.values().map(Group::next_flush).min()
    }

    /// Flushes every due group and drops groups left empty.
    pub fn tick(&mut self, now: DateTime<Utc>, policy: &dyn FlushPolicy) -> Vec<Notification> {
        let mut out = Vec::new();
        for g in self.groups.values_mut() {
            let muted_by_time = g
                .mute_time_intervals
                .iter()
                .any(|n| policy.in_time_interval(n, now));
            let outside_active = !g.active_time_intervals.is_empty()
                && !g
                    .active_time_intervals
                    .iter()
                    .any(|n| policy.in_time_interval(n, now));
            let send_resolved = policy.send_resolved(&g.receiver);
            if let Some(n) = g.flush(
                now,
                &|a| policy.is_muted(a, now),
                send_resolved,
                !muted_by_time && !outside_active,
            ) {
                out.push(n);
            }
        }
        self.groups.retain(|_, g| !g.is_empty());
        out
    }
}

#[cfg(test)]
mod tests;
