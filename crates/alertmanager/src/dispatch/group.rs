//! One aggregation group: the alerts of one route that share the grouping labels, with the
//! group_wait / group_interval / repeat_interval timers that decide when to notify.

use crate::alert::Alert;
use chrono::{DateTime, Utc};
use obslab_model::Labels;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// What a group sends to its receiver at a flush.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub group_key: String,
    pub receiver: String,
    pub group_labels: Labels,
    pub firing: Vec<Alert>,
    pub resolved: Vec<Alert>,
}

/// The alerts last notified, to skip notifications that would repeat them too soon.
#[derive(Debug, Clone)]
struct Sent {
    firing: BTreeSet<u64>,
    resolved: BTreeSet<u64>,
    at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    pub receiver: String,
    pub labels: Labels,
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    /// Route names of the time intervals that mute / activate this group's notifications.
    pub mute_time_intervals: Vec<String>,
    pub active_time_intervals: Vec<String>,
    alerts: BTreeMap<u64, Alert>,
    next_flush: DateTime<Utc>,
    has_flushed: bool,
    sent: Option<Sent>,
}

fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d).map_or(DateTime::<Utc>::MAX_UTC, |d| t.checked_add_signed(d).unwrap_or(t))
}

impl Group {
    pub fn new(key: String, route: &crate::route::Route, labels: Labels, now: DateTime<Utc>) -> Self {
        Group {
            key,
            receiver: route.receiver.clone(),
            labels,
            group_wait: route.group_wait,
            group_interval: route.group_interval,
            repeat_interval: route.repeat_interval,
            mute_time_intervals: route.mute_time_intervals.clone(),
            active_time_intervals: route.active_time_intervals.clone(),
            alerts: BTreeMap::new(),
            next_flush: add(now, route.group_wait),
            has_flushed: false,
            sent: None,
        }
    }

    /// Adds or replaces an alert. An alert that started longer than group_wait ago makes a group
    /// that has not notified yet flush right away.
    pub fn insert(&mut self, alert: Alert, now: DateTime<Utc>) {
        if !self.has_flushed && add(alert.starts_at, self.group_wait) < now {
            self.next_flush = now;
        }
        self.alerts.insert(alert.fingerprint(), alert);
    }

    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    pub fn next_flush(&self) -> DateTime<Utc> {
        self.next_flush
    }

    /// Runs the timer if it is due: returns the notification to send, if any. `muted` filters
    /// alerts (silences, inhibition); `send_resolved` is the receiver's setting.
    pub fn flush(
        &mut self,
        now: DateTime<Utc>,
        muted: &dyn Fn(&Alert) -> bool,
        send_resolved: bool,
        notify_allowed: bool,
    ) -> Option<Notification> {
        if now < self.next_flush {
            return None;
        }
        self.has_flushed = true;
        self.next_flush = add(now, self.group_interval);
        let (mut firing, mut resolved) = (Vec::new(), Vec::new());
        for a in self.alerts.values().filter(|a| !muted(a)) {
            if a.resolved_at(now) {
                resolved.push(a.clone());
            } else {
                firing.push(a.clone());
            }
        }
        // Resolved alerts leave the group once they have been through a flush.
        let done: Vec<u64> = self
            .alerts
            .iter()
            .filter(|(_, a)| a.resolved_at(now))
            .map(|(fp, _)| *fp)
            .collect();
        for fp in done {
            self.alerts.remove(&fp);
        }
        if !notify_allowed || !self.needs_update(&firing, &resolved, send_resolved, now) {
            return None;
        }
        self.sent = Some(Sent {
            firing: firing.iter().map(Alert::fingerprint).collect(),
            resolved: resolved.iter().map(Alert::fingerprint).collect(),
            at: now,
        });
        if !send_resolved {
            resolved.clear();
            if firing.is_empty() {
                return None;
            }
        }
        Some(Notification {
            group_key: self.key.clone(),
            receiver: self.receiver.clone(),
            group_labels: self.labels.clone(),
            firing,
            resolved,
        })
    }

    /// Alertmanager's deduplication: notify on new firing alerts, on newly resolved alerts (when
    /// the receiver wants them), when everything resolved, or after repeat_interval.
    fn needs_update(
        &self,
        firing: &[Alert],
        resolved: &[Alert],
        send_resolved: bool,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(sent) = &self.sent else {
            return !firing.is_empty();
        };
        let firing_fps: BTreeSet<u64> = firing.iter().map(Alert::fingerprint).collect();
        if !firing_fps.is_subset(&sent.firing) {
            return true;
        }
        if firing.is_empty() {
            return !sent.firing.is_empty();
        }
        let resolved_fps: BTreeSet<u64> = resolved.iter().map(Alert::fingerprint).collect();
        if send_resolved && !resolved_fps.is_subset(&sent.resolved) {
            return true;
        }
        add(sent.at, self.repeat_interval) <= now
    }
}
