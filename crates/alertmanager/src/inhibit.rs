//! Inhibition: a firing source alert mutes target alerts that agree with it on the `equal`
//! labels.

use crate::alert::Alert;
use crate::config::model::InhibitRule;
use chrono::{DateTime, Utc};
use obslab_model::{Labels, MatchOp, Matcher};
use std::collections::BTreeMap;

/// An inhibition rule with its legacy `*_match`/`*_match_re` maps folded into matchers.
#[derive(Debug, Clone)]
pub struct Rule {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<String>,
}

fn fold(
    eq: &BTreeMap<String, String>,
    re: &BTreeMap<String, Option<String>>,
    ms: &[Matcher],
) -> Result<Vec<Matcher>, String> {
    let mut out: Vec<Matcher> = ms.to_vec();
    for (n, v) in eq {
        out.push(Matcher::new(MatchOp::Equal, n, v).map_err(|e| e.to_string())?);
    }
    for (n, v) in re {
        let v = v
            .as_deref()
            .ok_or_else(|| format!("null regular expression for label {n:?}"))?;
        out.push(Matcher::new(MatchOp::Regex, n, format!("^(?:{v})$")).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn all_match(ms: &[Matcher], labels: &Labels) -> bool {
    ms.iter().all(|m| m.matches(labels.get(&m.name).unwrap_or("")))
}

impl Rule {
    pub fn from_config(r: &InhibitRule) -> Result<Rule, String> {
        Ok(Rule {
            source: fold(&r.source_match, &r.source_match_re, &r.source_matchers.0)?,
            target: fold(&r.target_match, &r.target_match_re, &r.target_matchers.0)?,
            equal: r.equal.clone(),
        })
    }

    /// Does some firing alert in `alerts` inhibit an alert with `labels` under this rule?
    /// A source alert that also matches the target side cannot inhibit an alert that matches
    /// both sides, so such alerts never mute each other.
    pub fn inhibits(&self, labels: &Labels, alerts: &[Alert], now: DateTime<Utc>) -> bool {
        if !all_match(&self.target, labels) {
            return false;
        }
        let two_sided = all_match(&self.source, labels);
        alerts.iter().any(|a| {
            !a.resolved_at(now)
                && a.labels != *labels
                && all_match(&self.source, &a.labels)
                && !(two_sided && all_match(&self.target, &a.labels))
                && self
                    .equal
                    .iter()
                    .all(|n| a.labels.get(n).unwrap_or("") == labels.get(n).unwrap_or(""))
        })
    }
}

/// All inhibition rules of a configuration.
#[derive(Debug, Clone, Default)]
pub struct Inhibitor {
    pub rules: Vec<Rule>,
}

impl Inhibitor {
    pub fn from_config(rules: &[InhibitRule]) -> Result<Self, String> {
        Ok(Inhibitor {
            rules: rules.iter().map(Rule::from_config).collect::<Result<_, _>>()?,
        })
    }

    /// Is an alert with these labels muted by any rule, given the current alerts?
    pub fn is_inhibited(&self, labels: &Labels, alerts: &[Alert], now: DateTime<Utc>) -> bool {
        self.rules.iter().any(|r| r.inhibits(labels, alerts, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rules(yaml: &str) -> Inhibitor {
        let cfg: Vec<InhibitRule> = serde_saphyr::from_str(yaml).unwrap();
        Inhibitor::from_config(&cfg).unwrap()
    }

    fn alert(pairs: &[(&str, &str)]) -> Alert {
        Alert::firing(
            Labels::from_pairs(pairs.iter().copied()),
            Utc.timestamp_opt(0, 0).unwrap(),
        )
    }

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(100, 0).unwrap()
    }

    #[test]
    fn critical_mutes_warning_with_equal_labels() {
        let inh = rules(
            "- source_matchers: [severity=\"critical\"]\n  target_matchers: [severity=\"warning\"]\n  equal: [alertname]",
        );
        let crit = alert(&[("alertname", "Down"), ("severity", "critical")]);
        let warn = Labels::from_pairs([("alertname", "Down"), ("severity", "warning")]);
        let other = Labels::from_pairs([("alertname", "Slow"), ("severity", "warning")]);
        assert!(inh.is_inhibited(&warn, std::slice::from_ref(&crit), now()));
        assert!(!inh.is_inhibited(&other, std::slice::from_ref(&crit), now()));
        assert!(!inh.is_inhibited(&warn, &[], now()));
        let mut gone = crit.clone();
        gone.ends_at = Some(Utc.timestamp_opt(50, 0).unwrap());
        assert!(!inh.is_inhibited(&warn, &[gone], now()));
    }

    #[test]
    fn legacy_match_and_missing_equal_labels() {
        let inh = rules(
            "- source_match: {severity: critical}\n  target_match_re: {severity: 'warn.*'}\n  equal: [zone]",
        );
        let crit = alert(&[("severity", "critical")]);
        // Both lack `zone`, which counts as equal.
        assert!(inh.is_inhibited(
            &Labels::from_pairs([("severity", "warning")]),
            std::slice::from_ref(&crit),
            now()
        ));
        assert!(!inh.is_inhibited(
            &Labels::from_pairs([("severity", "warning"), ("zone", "a")]),
            &[crit],
            now()
        ));
    }

    #[test]
    fn alerts_matching_both_sides_do_not_mute_each_other() {
        let inh = rules("- source_matchers: [team=a]\n  target_matchers: [team=a]\n  equal: [team]");
        let a = alert(&[("team", "a"), ("x", "1")]);
        let b = alert(&[("team", "a"), ("x", "2")]);
        assert!(!inh.is_inhibited(&a.labels, &[a.clone(), b.clone()], now()));
    }
}
