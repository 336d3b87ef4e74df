use super::*;
use std::time::Duration;

#[test]
fn defaults_like_prometheus() {
    let c = load_str("scrape_configs:\n  - job_name: a\n").unwrap();
    assert_eq!(c.global.scrape_interval.0, Duration::from_secs(60));
    assert_eq!(c.global.scrape_timeout.0, Duration::from_secs(10));
    assert_eq!(c.global.evaluation_interval.0, Duration::from_secs(60));
    let s = &c.scrape_configs[0];
    assert_eq!(s.scrape_interval.0, Duration::from_secs(60));
    assert_eq!(s.scrape_timeout.0, Duration::from_secs(10));
    assert_eq!(s.metrics_path, "/metrics");
    assert_eq!(s.scheme, "http");
    assert!(s.honor_timestamps);
    assert!(!s.honor_labels);
    assert_eq!(s.sample_limit(), 0);
}

#[test]
fn short_interval_caps_the_default_timeout() {
    let c = load_str("global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 2s\n").unwrap();
    assert_eq!(c.global.scrape_timeout.0, Duration::from_secs(5));
    assert_eq!(c.scrape_configs[0].scrape_timeout.0, Duration::from_secs(5));
    assert_eq!(c.scrape_configs[1].scrape_timeout.0, Duration::from_secs(2));
}

#[test]
fn inherits_limits_from_global() {
    let c = load_str("global:\n  sample_limit: 100\n  label_limit: 7\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    sample_limit: 5\n").unwrap();
    assert_eq!(c.scrape_configs[0].sample_limit(), 100);
    assert_eq!(c.scrape_configs[0].label_limit(), 7);
    assert_eq!(c.scrape_configs[1].sample_limit(), 5);
    let c = load_str("global:\n  body_size_limit: 10MB\nscrape_configs:\n  - job_name: a\n").unwrap();
    assert_eq!(c.scrape_configs[0].body_size_limit_bytes(), 10 << 20);
    let err = load_str("scrape_configs:\n  - job_name: a\n    body_size_limit: 10 MB\n").unwrap_err();
    assert!(err.to_string().contains("invalid byte size"), "{err}");
}

#[test]
fn full_config_loads() {
    let yaml = r#"
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels: {cluster: lab}
  query_log_file: /tmp/q.log
rule_files: ["rules/*.yml"]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["127.0.0.1:9093"]}]
      path_prefix: /am
      scheme: http
scrape_configs:
  - job_name: api
    scrape_interval: 5s
    scrape_timeout: 2s
    metrics_path: /m
    scheme: https
    params: {module: [http_2xx]}
    honor_labels: true
    honor_timestamps: false
    basic_auth: {username: u, password: p}
    sample_limit: 1000
    label_limit: 30
    label_name_length_limit: 100
    label_value_length_limit: 200
    static_configs:
      - targets: ["127.0.0.1:8080", "127.0.0.1:8081"]
        labels: {env: dev}
    file_sd_configs:
      - files: ["sd/*.json"]
        refresh_interval: 1m
    relabel_configs:
      - source_labels: [__address__]
        target_label: instance
    metric_relabel_configs:
      - regex: go_.*
        source_labels: [__name__]
        action: drop
  - job_name: k8s
    kubernetes_sd_configs: [{role: pod}]
remote_write:
  - url: http://127.0.0.1:9009/api/v1/push
    name: mimir
    headers: {X-Scope-OrgID: lab}
    queue_config: {max_shards: 10}
    write_relabel_configs: [{action: labeldrop, regex: tmp}]
remote_read:
  - url: http://127.0.0.1:9009/api/v1/read
    read_recent: true
"#;
    let c = load_str(yaml).unwrap();
    assert_eq!(
        c.global.external_labels.get("cluster").map(String::as_str),
        Some("lab")
    );
    let s = &c.scrape_configs[0];
    assert_eq!(s.params["module"], vec!["http_2xx".to_string()]);
    assert_eq!(s.static_configs[0].targets.len(), 2);
    assert_eq!(s.file_sd_configs[0].refresh_interval.0, Duration::from_secs(60));
    assert_eq!(s.metric_relabel_configs.len(), 1);
    assert_eq!(
        c.scrape_configs[1].unsupported_sd(),
        vec!["kubernetes_sd_configs"]
    );
    assert_eq!(c.remote_write[0].queue_config.max_shards, 10);
    assert_eq!(c.remote_write[0].queue_config.capacity, 10_000);
    assert_eq!(c.alerting.alertmanagers[0].api_version, "v2");
    assert!(c.remote_read[0].read_recent);
}

#[test]
fn invalid_configs_are_rejected_with_prometheus_wording() {
    let cases = [
        ("not-prometheus:\n", "not-prometheus"),
        (
            "global:\n  scrape_interval: 5s\n  scrape_timeout: 10s\n",
            "global scrape timeout greater than scrape interval",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 6s\n",
            "scrape timeout greater than scrape interval for scrape config with job name \"a\"",
        ),
        (
            "scrape_configs:\n  - job_name: a\n  - job_name: a\n",
            "found multiple scrape configs with job name \"a\"",
        ),
        ("scrape_configs:\n  - job_name: ''\n", "job_name is empty"),
        (
            "scrape_configs:\n  - job_name: a\n    scrape_interval: 1x\n",
            "not a valid duration string",
        ),
        ("scrape_configs:\n  - job_name: a\n    bogus: 1\n", "bogus"),
        (
            "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: [a.txt]}]\n",
            "path name \"a.txt\" is not valid for file discovery",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: hashmod, target_label: x}]\n",
            "requires non-zero modulus",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    basic_auth: {username: u}\n    authorization: {credentials: x}\n",
            "at most one of basic_auth, oauth2 & authorization must be configured",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    authorization: {type: Basic}\n",
            "authorization type cannot be set to \"basic\"",
        ),
        ("remote_write:\n  - url: ''\n", "url for remote_write is empty"),
        (
            "remote_write:\n  - url: http://x/\n    headers: {Authorization: x}\n",
            "authorization header must be changed via the basic_auth, authorization, oauth2",
        ),
        (
            "remote_write:\n  - url: http://x/\n    headers: {Content-Type: x}\n",
            "Content-Type is a reserved header. It must not be changed",
        ),
        (
            "alerting:\n  alertmanagers:\n    - api_version: v1\n",
            "expected Alertmanager api version to be one of [v2] but got v1",
        ),
        (
            "global:\n  external_labels: {'a-b': x}\n",
            "\"a-b\" is not a valid label name",
        ),
    ];
    for (yaml, want) in cases {
        let err = load_str(yaml).unwrap_err().to_string();
        assert!(err.contains(want), "{yaml}: got {err:?}, want {want:?}");
    }
}

#[test]
fn empty_file_is_a_valid_config() {
    assert!(load_str("").is_ok());
    assert!(load_str("# only a comment\n").is_ok());
}

#[test]
fn check_config_resolves_relative_paths_and_checks_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), "groups: []\n").unwrap();
    std::fs::write(dir.path().join("token"), "secret").unwrap();
    let cfg_path = dir.path().join("prometheus.yml");
    std::fs::write(
        &cfg_path,
        "rule_files: [rules.yml]\nscrape_configs:\n  - job_name: a\n    authorization: {credentials_file: token}\n",
    )
    .unwrap();
    let c = check_config(&cfg_path).unwrap();
    assert!(c.rule_files[0].starts_with(dir.path().to_str().unwrap()));
    std::fs::write(&cfg_path, "rule_files: [missing.yml]\n").unwrap();
    let err = check_config(&cfg_path).unwrap_err().to_string();
    assert!(err.contains("does not point to an existing file"), "{err}");
    let err = check_config(dir.path().join("nope.yml")).unwrap_err().to_string();
    assert!(err.contains("couldn't load configuration"), "{err}");
}

#[test]
fn scrape_config_files_are_merged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("jobs")).unwrap();
    std::fs::write(
        dir.path().join("jobs/a.yml"),
        "scrape_configs:\n  - job_name: extra\n    static_configs: [{targets: ['127.0.0.1:1']}]\n",
    )
    .unwrap();
    let main = dir.path().join("prometheus.yml");
    std::fs::write(
        &main,
        "global: {scrape_interval: 7s}\nscrape_config_files: ['jobs/*.yml']\nscrape_configs:\n  - job_name: main\n",
    )
    .unwrap();
    let cfg = check_config(&main).unwrap();
    let all = cfg.all_scrape_configs().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].job_name, "extra");
    assert_eq!(all[1].scrape_interval.0, Duration::from_secs(7));
    std::fs::write(
        dir.path().join("jobs/b.yml"),
        "scrape_configs:\n  - job_name: main\n",
    )
    .unwrap();
    let err = check_config(&main).unwrap_err().to_string();
    assert!(
        err.contains("found multiple scrape configs with job name \"main\", first found in main config file"),
        "{err}"
    );
}
