//! The alert state machine of an alerting rule: each evaluation gets the query result and the
//! evaluation time (so tests drive the clock), and alerts move inactive → pending → firing →
//! inactive (resolved), honouring `for` and `keep_firing_for` as Prometheus does.

use std::collections::BTreeMap;
use std::time::Duration;

use obslab_model::{Labels, METRIC_NAME};

/// Resolved alerts stay reported this long (milliseconds) so receivers learn they ended.
const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertState {
    Inactive,
    Pending,
    Firing,
}

impl AlertState {
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert instance (one label set) of a rule. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveAlert {
    pub labels: Labels,
    pub state: AlertState,
    pub value: f64,
    pub active_at: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// When the condition stopped holding while the alert kept firing.
    pub keep_firing_since: Option<i64>,
}

/// The state of one alerting rule across evaluations.
#[derive(Debug, Clone)]
pub struct AlertRule {
    pub name: String,
    pub hold: Duration,
    pub keep_firing_for: Duration,
    pub labels: BTreeMap<String, String>,
    active: BTreeMap<Labels, ActiveAlert>,
}

impl AlertRule {
    pub fn new(
        name: impl Into<String>,
        hold: Duration,
        keep_firing_for: Duration,
        labels: BTreeMap<String, String>,
    ) -> Self {
        Self {
            name: name.into(),
            hold,
            keep_firing_for,
            labels,
            active: BTreeMap::new(),
        }
    }

    /// The labels an alert carries: the series labels without `__name__`, then the rule's labels,
    /// then `alertname`.
    fn alert_labels(&self, series: &Labels) -> Labels {
        let mut b = series.without_metric_name().to_builder();
        for (k, v) in &self.labels {
            b.set(k.clone(), v.clone());
        }
        b.set("alertname", self.name.clone());
        b.del(METRIC_NAME);
        b.build()
    }

    /// Applies one evaluation at `ts` (ms) with the query's result samples and returns the alerts
    /// that are pending, firing, or recently resolved.
    pub fn eval(&mut self, ts: i64, results: &[(Labels, f64)]) -> Vec<ActiveAlert> {
        let mut seen = std::collections::BTreeSet::new();
        for (series, value) in results {
            let labels = self.alert_labels(series);
            seen.insert(labels.clone());
            match self.active.get_mut(&labels) {
                Some(a) if a.state != AlertState::Inactive => a.value = *value,
                _ => {
                    self.active.insert(
                        labels.clone(),
                        ActiveAlert {
                            labels,
                            state: AlertState::Pending,
                            value: *value,
                            active_at: ts,
                            fired_at: None,
                            resolved_at: None,
                            keep_firing_since: None,
                        },
                    );
                }
            }
        }
        let hold = self.hold.as_millis() as i64;
        let keep = self.keep_firing_for.as_millis() as i64;
        self.active.retain(|labels, a| {
            if seen.contains(labels) {
                a.keep_firing_since = None;
            } else {
                let mut keep_firing = false;
                if a.state == AlertState::Firing && keep > 0 {
                    let since = *a.keep_firing_since.get_or_insert(ts);
                    keep_firing = ts - since < keep;
                }
                if a.state == AlertState::Pending
                    || a.resolved_at.is_some_and(|r| ts - r > RESOLVED_RETENTION_MS)
                {
                    return false;
                }
                if !keep_firing {
                    if a.state != AlertState::Inactive {
                        a.state = AlertState::Inactive;
                        a.resolved_at = Some(ts);
                    }
                    return true;
                }
            }
            if a.state == AlertState::Pending && ts - a.active_at >= hold {
                a.state = AlertState::Firing;
                a.fired_at = Some(ts);
            }
            true
        });
        self.active.values().cloned().collect()
    }

    /// The alerts that are currently pending or firing.
    pub fn active_alerts(&self) -> Vec<&ActiveAlert> {
        self.active
            .values()
            .filter(|a| a.state != AlertState::Inactive)
            .collect()
    }
}
