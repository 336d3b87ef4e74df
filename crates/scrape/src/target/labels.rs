//! From discovered target groups to scrape targets: the internal labels Prometheus adds
//! (`job`, `__address__`, `__scheme__`, `__metrics_path__`, `__param_*`, intervals), target
//! relabeling, and the checks that follow it.

use std::collections::BTreeMap;

use obslab_model::{Labels, LabelsBuilder};

use crate::config::{AlertmanagerConfig, ScrapeConfig, TargetGroup};
use crate::relabel;

pub const ADDRESS_LABEL: &str = "__address__";
pub const SCHEME_LABEL: &str = "__scheme__";
pub const METRICS_PATH_LABEL: &str = "__metrics_path__";
pub const SCRAPE_INTERVAL_LABEL: &str = "__scrape_interval__";
pub const SCRAPE_TIMEOUT_LABEL: &str = "__scrape_timeout__";
pub const PARAM_LABEL_PREFIX: &str = "__param_";
pub const META_LABEL_PREFIX: &str = "__meta_";
pub const ALERTS_PATH_LABEL: &str = "__alerts_path__";
pub const JOB_LABEL: &str = "job";
pub const INSTANCE_LABEL: &str = "instance";

/// Why a discovered target is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

/// A target after relabeling: its labels (internal `__` ones included, meta labels removed) and
/// the labels it was discovered with.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub labels: Labels,
    pub discovered: Labels,
}

impl Target {
    /// The labels attached to every scraped series (those not starting with `__`).
    pub fn public_labels(&self) -> Labels {
        Labels::from_pairs(
            self.labels
                .iter()
                .filter(|l| !l.name.starts_with("__"))
                .map(|l| (l.name.clone(), l.value.clone())),
        )
    }

    /// The URL to scrape: `__scheme__://__address____metrics_path__?__param_*`.
    pub fn url(&self) -> String {
        self.url_with_params(&BTreeMap::new())
    }

    /// The URL with the job's `params`: a `__param_<name>` label replaces the first value of that
    /// parameter (other values stay), as Prometheus builds it; keys are sorted.
    pub fn url_with_params(&self, params: &BTreeMap<String, Vec<String>>) -> String {
        let get = |n: &str| self.labels.get(n).unwrap_or("");
        let mut all = params.clone();
        for l in self.labels.iter() {
            if let Some(p) = l.name.strip_prefix(PARAM_LABEL_PREFIX) {
                match all.get_mut(p) {
                    Some(v) if !v.is_empty() => v[0] = l.value.clone(),
                    _ => {
                        all.insert(p.to_string(), vec![l.value.clone()]);
                    }
                }
            }
        }
        let mut u = format!(
            "{}://{}{}",
            get(SCHEME_LABEL),
            get(ADDRESS_LABEL),
            get(METRICS_PATH_LABEL)
        );
        let mut first = true;
        for (k, vs) in &all {
            for v in vs {
                u.push(if first { '?' } else { '&' });
                first = false;
                u.push_str(&form_encode(k));
                u.push('=');
                u.push_str(&form_encode(v));
            }
        }
        u
    }

    /// `__scrape_interval__` as a duration.
    pub fn scrape_interval(&self) -> Option<std::time::Duration> {
        obslab_model::parse_duration(self.labels.get(SCRAPE_INTERVAL_LABEL)?).ok()
    }

    /// `__scrape_timeout__` as a duration.
    pub fn scrape_timeout(&self) -> Option<std::time::Duration> {
        obslab_model::parse_duration(self.labels.get(SCRAPE_TIMEOUT_LABEL)?).ok()
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Prometheus's address check: a URL is not a host:port.
pub fn check_target_address(addr: &str) -> Result<(), TargetError> {
    if addr.contains('/') {
        return Err(TargetError(format!("{addr:?} is not a valid hostname")));
    }
    Ok(())
}

/// Adds the scrape config's defaults to discovered labels, relabels, and checks the result.
/// `Ok(None)` when relabeling drops the target.
pub fn populate_labels(discovered: &Labels, cfg: &ScrapeConfig) -> Result<Option<Target>, TargetError> {
    let mut lb = discovered.to_builder();
    let defaults = [
        (JOB_LABEL, cfg.job_name.clone()),
        (SCRAPE_INTERVAL_LABEL, cfg.scrape_interval.to_string()),
        (SCRAPE_TIMEOUT_LABEL, cfg.scrape_timeout.to_string()),
        (METRICS_PATH_LABEL, cfg.metrics_path.clone()),
        (SCHEME_LABEL, cfg.scheme.clone()),
    ];
    for (n, v) in defaults {
        if lb.get(n).unwrap_or("").is_empty() {
            lb.set(n, v);
        }
    }
    for (k, v) in &cfg.params {
        let name = format!("{PARAM_LABEL_PREFIX}{k}");
        if let Some(first) = v.first()
            && lb.get(&name).unwrap_or("").is_empty()
        {
            lb.set(name, first.clone());
        }
    }
    let pre = lb.build();
    if !relabel::process_builder(&mut lb, &cfg.relabel_configs) {
        return Ok(None);
    }
    let addr = lb.get(ADDRESS_LABEL).unwrap_or("").to_string();
    if addr.is_empty() {
        return Err(TargetError("no address".into()));
    }
    check_target_address(&addr)?;
    let interval_s = lb.get(SCRAPE_INTERVAL_LABEL).unwrap_or("").to_string();
    let interval = obslab_model::parse_duration(&interval_s)
        .map_err(|e| TargetError(format!("error parsing scrape interval: {e}")))?;
    if interval.is_zero() {
        return Err(TargetError("scrape interval cannot be 0".into()));
    }
    let timeout_s = lb.get(SCRAPE_TIMEOUT_LABEL).unwrap_or("").to_string();
    let timeout = obslab_model::parse_duration(&timeout_s)
        .map_err(|e| TargetError(format!("error parsing scrape timeout: {e}")))?;
    if timeout.is_zero() {
        return Err(TargetError("scrape timeout cannot be 0".into()));
    }
    if timeout > interval {
        return Err(TargetError(format!(
            "scrape timeout cannot be greater than scrape interval ({timeout_s:?} > {interval_s:?})"
        )));
    }
    for l in lb.build().iter() {
        if l.name.starts_with(META_LABEL_PREFIX) {
            lb.del(&l.name);
        }
    }
    if lb.get(INSTANCE_LABEL).unwrap_or("").is_empty() {
        lb.set(INSTANCE_LABEL, addr);
    }
    Ok(Some(Target {
        labels: lb.build(),
        discovered: pre,
    }))
}

/// The discovered label set of target `i` of a group: the target's own labels win over the group's.
pub fn group_target_labels(tg: &TargetGroup, i: usize) -> Labels {
    let mut lb = LabelsBuilder::default();
    for (k, v) in &tg.labels {
        lb.set(k.clone(), v.clone());
    }
    if let Some(t) = tg.targets.get(i) {
        lb.set(ADDRESS_LABEL, t.clone());
    }
    lb.build()
}

/// All targets of a group after relabeling (dropped ones left out).
pub fn targets_from_group(tg: &TargetGroup, cfg: &ScrapeConfig) -> Result<Vec<Target>, TargetError> {
    let mut out = Vec::with_capacity(tg.targets.len());
    for i in 0..tg.targets.len() {
        let base = group_target_labels(tg, i);
        match populate_labels(&base, cfg) {
            Ok(Some(t)) => out.push(t),
            Ok(None) => {}
            Err(e) => return Err(TargetError(format!("instance {i} in group {}: {e}", tg.source))),
        }
    }
    Ok(out)
}

/// Alertmanager endpoints of a group after `alerting.alertmanagers[].relabel_configs`.
pub fn alertmanagers_from_group(
    tg: &TargetGroup,
    cfg: &AlertmanagerConfig,
) -> Result<Vec<Labels>, TargetError> {
    let mut out = Vec::new();
    for i in 0..tg.targets.len() {
        let mut lb = group_target_labels(tg, i).to_builder();
        if lb.get(SCHEME_LABEL).is_none() {
            lb.set(SCHEME_LABEL, cfg.scheme.clone());
        }
        if lb.get(ALERTS_PATH_LABEL).is_none() {
            lb.set(ALERTS_PATH_LABEL, alerts_path(&cfg.path_prefix, &cfg.api_version));
        }
        if !relabel::process_builder(&mut lb, &cfg.relabel_configs) {
            continue;
        }
        check_target_address(lb.get(ADDRESS_LABEL).unwrap_or(""))?;
        out.push(lb.build());
    }
    Ok(out)
}

/// `path.Join("/", prefix, "/api/<version>/alerts")`.
pub fn alerts_path(prefix: &str, api_version: &str) -> String {
    let mut parts: Vec<&str> = prefix.split('/').filter(|p| !p.is_empty()).collect();
    parts.extend(["api", api_version, "alerts"]);
    format!("/{}", parts.join("/"))
}
