//! Per-sample label handling of a scrape: target labels versus exposed labels (`honor_labels`,
//! `exported_` prefixes), metric relabeling, and the label limits.

use obslab_model::{Labels, METRIC_NAME};

use crate::relabel::{self, RelabelConfig};

/// Prefix given to exposed labels that clash with target labels when `honor_labels` is false.
pub const EXPORTED_LABEL_PREFIX: &str = "exported_";

/// The label limits of a scrape config (0 = no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelLimits {
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
}

/// Merges target labels into a scraped series' labels and applies metric relabeling. `None` when
/// relabeling drops the series.
///
/// With `honor_labels`, exposed labels win. Otherwise target labels win and each clashing exposed
/// label is kept under `exported_<name>` (more `exported_` prefixes until the name is free,
/// shortest names first), as Prometheus does.
pub fn mutate_sample_labels(
    exposed: &Labels,
    target: &Labels,
    honor_labels: bool,
    metric_relabel: &[RelabelConfig],
) -> Option<Labels> {
    let mut lb = exposed.to_builder();
    if honor_labels {
        for l in target.iter() {
            if exposed.get(&l.name).is_none() {
                lb.set(l.name.clone(), l.value.clone());
            }
        }
    } else {
        let mut conflicts: Vec<(&str, &str)> = Vec::new();
        for l in target.iter() {
            if let Some(v) = exposed.get(&l.name) {
                conflicts.push((&l.name, v));
            }
            lb.set(l.name.clone(), l.value.clone());
        }
        conflicts.sort_by_key(|(n, _)| n.len());
        for (name, value) in conflicts {
            let mut new_name = name.to_string();
            loop {
                new_name = format!("{EXPORTED_LABEL_PREFIX}{new_name}");
                if lb.get(&new_name).is_none() {
                    lb.set(new_name, value);
                    break;
                }
            }
        }
    }
    if metric_relabel.is_empty() {
        return Some(lb.build());
    }
    relabel::process_builder(&mut lb, metric_relabel).then(|| lb.build())
}

/// Labels of a report series (`up`, `scrape_*`): target labels win, and a clashing name becomes
/// `exported_<name>`.
pub fn mutate_report_labels(series: &Labels, target: &Labels) -> Labels {
    let mut lb = series.to_builder();
    for l in target.iter() {
        if let Some(v) = series.get(&l.name) {
            lb.set(format!("{EXPORTED_LABEL_PREFIX}{}", l.name), v.to_string());
        }
        lb.set(l.name.clone(), l.value.clone());
    }
    lb.build()
}

/// Checks a series against the label limits, with Prometheus's messages.
pub fn verify_label_limits(labels: &Labels, limits: &LabelLimits) -> Result<(), String> {
    let met: String = labels.get(METRIC_NAME).unwrap_or("").chars().take(50).collect();
    if limits.label_limit > 0 && labels.len() as u64 > limits.label_limit {
        return Err(format!(
            "label_limit exceeded (metric: {met}, number of labels: {}, limit: {})",
            labels.len(),
            limits.label_limit
        ));
    }
    for l in labels.iter() {
        let name: String = l.name.chars().take(50).collect();
        if limits.label_name_length_limit > 0 && l.name.len() as u64 > limits.label_name_length_limit {
            return Err(format!(
                "label_name_length_limit exceeded (metric: {met}, label name: {name}, length: {}, limit: {})",
                l.name.len(),
                limits.label_name_length_limit
            ));
        }
        if limits.label_value_length_limit > 0 && l.value.len() as u64 > limits.label_value_length_limit {
            let value: String = l.value.chars().take(50).collect();
            return Err(format!(
                "label_value_length_limit exceeded (metric: {met}, label name: {name}, value: {value:?}, length: {}, limit: {})",
                l.value.len(),
                limits.label_value_length_limit
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(p: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(p.iter().copied())
    }

    #[test]
    fn target_labels_win_unless_honored() {
        let exposed = l(&[
            ("__name__", "m"),
            ("job", "inner"),
            ("exported_job", "x"),
            ("a", "1"),
        ]);
        let target = l(&[("job", "scrape"), ("instance", "h:1")]);
        let got = mutate_sample_labels(&exposed, &target, false, &[]).unwrap();
        assert_eq!(got.get("job"), Some("scrape"));
        assert_eq!(got.get("exported_job"), Some("x"));
        assert_eq!(got.get("exported_exported_job"), Some("inner"));
        assert_eq!(got.get("instance"), Some("h:1"));
        let got = mutate_sample_labels(&exposed, &target, true, &[]).unwrap();
        assert_eq!(got.get("job"), Some("inner"));
        assert_eq!(got.get("instance"), Some("h:1"));
        assert_eq!(got.get("exported_exported_job"), None);
    }

    #[test]
    fn metric_relabeling_can_drop() {
        let cfg: Vec<RelabelConfig> =
            serde_saphyr::from_str("- source_labels: [__name__]\n  regex: go_.*\n  action: drop").unwrap();
        let target = l(&[("job", "j")]);
        assert!(mutate_sample_labels(&l(&[("__name__", "go_x")]), &target, false, &cfg).is_none());
        assert!(mutate_sample_labels(&l(&[("__name__", "up2")]), &target, false, &cfg).is_some());
    }

    #[test]
    fn report_labels_export_clashes() {
        let got = mutate_report_labels(&l(&[("__name__", "up")]), &l(&[("job", "j"), ("instance", "i")]));
        assert_eq!(got, l(&[("__name__", "up"), ("job", "j"), ("instance", "i")]));
    }

    #[test]
    fn label_limits() {
        let s = l(&[("__name__", "m"), ("a", "12345"), ("bbbbbb", "1")]);
        let lim = |a, b, c| LabelLimits {
            label_limit: a,
            label_name_length_limit: b,
            label_value_length_limit: c,
        };
        assert!(verify_label_limits(&s, &lim(3, 8, 5)).is_ok());
        assert_eq!(
            verify_label_limits(&s, &lim(2, 0, 0)).unwrap_err(),
            "label_limit exceeded (metric: m, number of labels: 3, limit: 2)"
        );
        assert!(
            verify_label_limits(&s, &lim(0, 5, 0))
                .unwrap_err()
                .starts_with("label_name_length_limit exceeded")
        );
        assert!(
            verify_label_limits(&s, &lim(0, 0, 4))
                .unwrap_err()
                .starts_with("label_value_length_limit exceeded")
        );
    }
}
