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

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn series(instance: &str) -> Labels {
        Labels::from_pairs([("__name__", "up"), ("instance", instance)])
    }

    fn rule(hold_min: u64, keep_min: u64) -> AlertRule {
        let labels = BTreeMap::from([("severity".to_string(), "page".to_string())]);
        AlertRule::new(
            "Down",
            Duration::from_secs(hold_min * 60),
            Duration::from_secs(keep_min * 60),
            labels,
        )
    }

    fn states(alerts: &[ActiveAlert]) -> Vec<AlertState> {
        alerts.iter().map(|a| a.state).collect()
    }

    #[test]
    fn pending_then_firing_then_resolved() {
        let mut r = rule(5, 0);
        let up = [(series("a"), 0.0)];
        let out = r.eval(0, &up);
        assert_eq!(states(&out), vec![AlertState::Pending]);
        assert_eq!(out[0].labels.get("alertname"), Some("Down"));
        assert_eq!(out[0].labels.get("severity"), Some("page"));
        assert_eq!(out[0].labels.get("__name__"), None);
        assert_eq!(states(&r.eval(4 * MIN, &up)), vec![AlertState::Pending]);
        let out = r.eval(5 * MIN, &up);
        assert_eq!(states(&out), vec![AlertState::Firing]);
        assert_eq!(out[0].fired_at, Some(5 * MIN));
        assert_eq!(out[0].active_at, 0);
        let out = r.eval(6 * MIN, &[]);
        assert_eq!(states(&out), vec![AlertState::Inactive]);
        assert_eq!(out[0].resolved_at, Some(6 * MIN));
        assert!(r.active_alerts().is_empty());
        // Resolved alerts are kept for 15 minutes, then dropped.
        assert_eq!(r.eval(21 * MIN, &[]).len(), 1);
        assert!(r.eval(22 * MIN, &[]).is_empty());
    }

    #[test]
    fn pending_alerts_vanish_without_resolving() {
        let mut r = rule(5, 0);
        r.eval(0, &[(series("a"), 1.0)]);
        assert!(r.eval(MIN, &[]).is_empty());
    }

    #[test]
    fn zero_hold_fires_at_once_and_refiring_restarts() {
        let mut r = rule(0, 0);
        assert_eq!(
            states(&r.eval(0, &[(series("a"), 1.0)])),
            vec![AlertState::Firing]
        );
        r.eval(MIN, &[]);
        let out = r.eval(2 * MIN, &[(series("a"), 2.0)]);
        assert_eq!(states(&out), vec![AlertState::Firing]);
        assert_eq!(out[0].active_at, 2 * MIN);
        assert_eq!(out[0].resolved_at, None);
        assert_eq!(out[0].value, 2.0);
    }

    #[test]
    fn keep_firing_for_holds_a_firing_alert() {
        let mut r = rule(0, 3);
        let up = [(series("a"), 1.0)];
        r.eval(0, &up);
        let out = r.eval(MIN, &[]);
        assert_eq!(states(&out), vec![AlertState::Firing]);
        assert_eq!(out[0].keep_firing_since, Some(MIN));
        assert_eq!(states(&r.eval(3 * MIN, &[])), vec![AlertState::Firing]);
        assert_eq!(states(&r.eval(4 * MIN, &[])), vec![AlertState::Inactive]);
        // Coming back while kept firing resets the timer.
        let mut r = rule(0, 3);
        r.eval(0, &up);
        r.eval(MIN, &[]);
        let out = r.eval(2 * MIN, &up);
        assert_eq!(out[0].keep_firing_since, None);
        assert_eq!(states(&r.eval(4 * MIN, &[])), vec![AlertState::Firing]);
    }

    #[test]
    fn series_are_tracked_separately() {
        let mut r = rule(1, 0);
        r.eval(0, &[(series("a"), 1.0)]);
        let out = r.eval(MIN, &[(series("a"), 1.0), (series("b"), 1.0)]);
        assert_eq!(states(&out), vec![AlertState::Firing, AlertState::Pending]);
        assert_eq!(AlertState::Pending.as_str(), "pending");
    }
}
