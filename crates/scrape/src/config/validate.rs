//! Load-time checks and defaulting of a parsed prometheus.yml, as Prometheus's `config.Load` does.

use std::collections::HashSet;
use std::time::Duration;

use super::model::{AlertmanagerConfig, Config, FileSdConfig, ScrapeConfig};
use super::types::PromDuration;
use crate::exposition::lexer::is_valid_label_name;

const DEFAULT_SCRAPE_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_EVALUATION_INTERVAL: Duration = Duration::from_secs(60);

/// Headers remote write sets itself; Prometheus refuses configs that override them.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-encoding",
    "content-length",
    "content-type",
    "user-agent",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "www-authenticate",
    "accept-encoding",
    "x-prometheus-remote-write-version",
    "x-prometheus-remote-read-version",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

const SCRAPE_PROTOCOLS: &[&str] = &[
    "PrometheusProto",
    "OpenMetricsText0.0.1",
    "OpenMetricsText1.0.0",
    "PrometheusText0.0.4",
    "PrometheusText1.0.0",
];

fn check_protocols(p: &[String]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for x in p {
        if !SCRAPE_PROTOCOLS.contains(&x.as_str()) {
            return Err(format!(
                "unknown scrape protocol {x}, supported: {}",
                SCRAPE_PROTOCOLS.join(", ")
            ));
        }
        if !seen.insert(x) {
            return Err(format!("duplicated protocol in scrape_protocols, got {p:?}"));
        }
    }
    Ok(())
}

/// Is `pattern` a name file SD can watch (`*.json`, `*.yml`, `*.yaml`, a `*` only in the last
/// path element)?
pub fn valid_file_sd_name(pattern: &str) -> bool {
    let ext_ok = ["json", "yml", "yaml", "JSON", "YML", "YAML"]
        .iter()
        .any(|e| pattern.strip_suffix(e).is_some_and(|p| p.ends_with('.')));
    if !ext_ok {
        return false;
    }
    match pattern.find('*') {
        None => true,
        Some(i) => !pattern[i + 1..].contains(['*', '/']),
    }
}

fn check_file_sd(cfgs: &[FileSdConfig]) -> Result<(), String> {
    for c in cfgs {
        for f in &c.files {
            if !valid_file_sd_name(f) {
                return Err(format!("path name {f:?} is not valid for file discovery"));
            }
        }
        if c.refresh_interval.is_zero() {
            return Err("file service discovery config must contain at least one path name".into());
        }
        if c.files.is_empty() {
            return Err("file service discovery config must contain at least one path name".into());
        }
    }
    Ok(())
}

fn check_header_names(headers: &std::collections::BTreeMap<String, String>) -> Result<(), String> {
    for h in headers.keys() {
        if h.eq_ignore_ascii_case("authorization") {
            return Err("authorization header must be changed via the basic_auth, authorization, oauth2, sigv4, azuread or google_iam parameter".into());
        }
        if RESERVED_HEADERS.contains(&h.to_ascii_lowercase().as_str()) {
            return Err(format!("{h} is a reserved header. It must not be changed"));
        }
    }
    Ok(())
}

fn check_url(u: &str, what: &str) -> Result<(), String> {
    if u.is_empty() {
        return Err(format!("url for {what} is empty"));
    }
    url::Url::parse(u).map_err(|e| format!("parse {u:?}: {e}"))?;
    Ok(())
}

pub(crate) fn validate_scrape(c: &mut ScrapeConfig, g: &super::model::GlobalConfig) -> Result<(), String> {
    if c.job_name.is_empty() {
        return Err("job_name is empty".into());
    }
    let job = c.job_name.clone();
    c.http_client()
        .validate()
        .map_err(|e| format!("{e} (scrape job {job:?})"))?;
    if c.scrape_interval.is_zero() {
        c.scrape_interval = g.scrape_interval;
    }
    if c.scrape_timeout > c.scrape_interval {
        return Err(format!(
            "scrape timeout greater than scrape interval for scrape config with job name {job:?}"
        ));
    }
    if c.scrape_timeout.is_zero() {
        c.scrape_timeout = if g.scrape_timeout > c.scrape_interval {
            c.scrape_interval
        } else {
            g.scrape_timeout
        };
    }
    if c.scrape_protocols.is_empty() {
        c.scrape_protocols = g.scrape_protocols.clone();
    }
    check_protocols(&c.scrape_protocols)
        .map_err(|e| format!("{e} for scrape config with job name {job:?}"))?;
    check_file_sd(&c.file_sd_configs)?;
    let inherit = |v: &mut Option<u64>, gv: u64| {
        if v.is_none() {
            *v = Some(gv);
        }
    };
    if c.body_size_limit.is_none() {
        c.body_size_limit = g.body_size_limit.clone();
    }
    if let Some(b) = &c.body_size_limit {
        super::types::parse_bytes(b)?;
    }
    inherit(&mut c.sample_limit, g.sample_limit);
    inherit(&mut c.target_limit, g.target_limit);
    inherit(&mut c.label_limit, g.label_limit);
    inherit(&mut c.label_name_length_limit, g.label_name_length_limit);
    inherit(&mut c.label_value_length_limit, g.label_value_length_limit);
    inherit(&mut c.keep_dropped_targets, g.keep_dropped_targets);
    for tg in &c.static_configs {
        check_group_labels(tg)?;
    }
    Ok(())
}

fn check_group_labels(tg: &super::types::TargetGroup) -> Result<(), String> {
    for name in tg.labels.keys() {
        if !is_valid_label_name(name) {
            return Err(format!("{name:?} is not a valid label name"));
        }
    }
    Ok(())
}

fn validate_alertmanager(a: &AlertmanagerConfig) -> Result<(), String> {
    a.http_client().validate()?;
    if a.api_version != "v2" {
        return Err(format!(
            "expected Alertmanager api version to be one of [v2] but got {}",
            a.api_version
        ));
    }
    check_file_sd(&a.file_sd_configs)?;
    for tg in &a.static_configs {
        check_group_labels(tg)?;
    }
    Ok(())
}

/// Applies defaults and checks a parsed config; messages follow Prometheus's wording.
pub fn validate(cfg: &mut Config) -> Result<(), String> {
    let g = &mut cfg.global;
    if g.scrape_interval.is_zero() {
        g.scrape_interval = PromDuration(DEFAULT_SCRAPE_INTERVAL);
    }
    if g.scrape_timeout > g.scrape_interval {
        return Err("global scrape timeout greater than scrape interval".into());
    }
    if g.scrape_timeout.is_zero() {
        g.scrape_timeout = if PromDuration(DEFAULT_SCRAPE_TIMEOUT) > g.scrape_interval {
            g.scrape_interval
        } else {
            PromDuration(DEFAULT_SCRAPE_TIMEOUT)
        };
    }
    if g.evaluation_interval.is_zero() {
        g.evaluation_interval = PromDuration(DEFAULT_EVALUATION_INTERVAL);
    }
    if g.scrape_protocols.is_empty() {
        g.scrape_protocols = [
            "OpenMetricsText1.0.0",
            "OpenMetricsText0.0.1",
            "PrometheusText1.0.0",
            "PrometheusText0.0.4",
        ]
        .map(String::from)
        .to_vec();
    }
    check_protocols(&g.scrape_protocols).map_err(|e| format!("{e} for global config"))?;
    if let Some(b) = &g.body_size_limit {
        super::types::parse_bytes(b)?;
    }
    for name in g.external_labels.keys() {
        if !is_valid_label_name(name) {
            return Err(format!("{name:?} is not a valid label name"));
        }
    }
    for rf in &cfg.rule_files {
        if glob::Pattern::new(rf).is_err() {
            return Err(format!("invalid rule file path {rf:?}"));
        }
    }
    for sf in &cfg.scrape_config_files {
        if glob::Pattern::new(sf).is_err() {
            return Err(format!("invalid scrape config file path {sf:?}"));
        }
    }
    let global = cfg.global.clone();
    let mut jobs = HashSet::new();
    for sc in &mut cfg.scrape_configs {
        validate_scrape(sc, &global)?;
        if !jobs.insert(sc.job_name.clone()) {
            return Err(format!(
                "found multiple scrape configs with job name {:?}",
                sc.job_name
            ));
        }
    }
    for am in &cfg.alerting.alertmanagers {
        validate_alertmanager(am)?;
    }
    let mut names = HashSet::new();
    for rw in &cfg.remote_write {
        check_url(&rw.url, "remote_write")?;
        check_header_names(&rw.headers)?;
        rw.http_client().validate()?;
        if !rw.name.is_empty() && !names.insert(rw.name.clone()) {
            return Err(format!(
                "found multiple remote write configs with job name {:?}",
                rw.name
            ));
        }
    }
    let mut names = HashSet::new();
    for rr in &cfg.remote_read {
        check_url(&rr.url, "remote_read")?;
        check_header_names(&rr.headers)?;
        rr.http_client().validate()?;
        if !rr.name.is_empty() && !names.insert(rr.name.clone()) {
            return Err(format!(
                "found multiple remote read configs with job name {:?}",
                rr.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::valid_file_sd_name;

    #[test]
    fn file_sd_names() {
        assert!(valid_file_sd_name("targets/*.json"));
        assert!(valid_file_sd_name("a.yml"));
        assert!(valid_file_sd_name("/x/y/nodes-*.yaml"));
        assert!(!valid_file_sd_name("a.txt"));
        assert!(!valid_file_sd_name("*/a.json"));
        assert!(!valid_file_sd_name("a*b*.json"));
        assert!(!valid_file_sd_name("json"));
    }
}
