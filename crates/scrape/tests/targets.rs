//! Target labels from static and file SD, and the storage-independent scrape loop.

use std::time::Duration;

use obslab_model::Labels;
use obslab_model::sample::is_stale_nan;
use obslab_scrape::config::load_str;
use obslab_scrape::target::{
    ScrapeResult, ScrapeSettings, ScrapeState, VecAppender, file_sd, populate_labels, targets_from_group,
};

fn labels(p: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(p.iter().copied())
}

#[test]
fn static_targets_get_prometheus_internal_labels() {
    let cfg = load_str(
        "scrape_configs:\n  - job_name: blackbox\n    scrape_interval: 30s\n    metrics_path: /probe\n    params: {module: [http_2xx]}\n    static_configs:\n      - targets: [a.example:80, b.example:80]\n        labels: {env: lab}\n",
    )
    .unwrap();
    let sc = &cfg.scrape_configs[0];
    let ts = targets_from_group(&sc.static_configs[0], sc).unwrap();
    assert_eq!(ts.len(), 2);
    let t = &ts[0];
    assert_eq!(t.labels.get("__address__"), Some("a.example:80"));
    assert_eq!(t.labels.get("__scheme__"), Some("http"));
    assert_eq!(t.labels.get("__metrics_path__"), Some("/probe"));
    assert_eq!(t.labels.get("__param_module"), Some("http_2xx"));
    assert_eq!(t.labels.get("__scrape_interval__"), Some("30s"));
    assert_eq!(t.labels.get("__scrape_timeout__"), Some("10s"));
    assert_eq!(t.labels.get("job"), Some("blackbox"));
    assert_eq!(t.labels.get("instance"), Some("a.example:80"));
    assert_eq!(t.url(), "http://a.example:80/probe?module=http_2xx");
    let mut params = sc.params.clone();
    params.insert("module".into(), vec!["ignored".into(), "second".into()]);
    params.insert("a b".into(), vec!["x&y".into()]);
    assert_eq!(
        t.url_with_params(&params),
        "http://a.example:80/probe?a+b=x%26y&module=http_2xx&module=second"
    );
    assert_eq!(
        t.public_labels(),
        labels(&[("env", "lab"), ("instance", "a.example:80"), ("job", "blackbox")])
    );
    assert_eq!(t.scrape_interval(), Some(Duration::from_secs(30)));
}

#[test]
fn blackbox_style_relabeling() {
    let cfg = load_str(
        r#"scrape_configs:
  - job_name: probe
    static_configs: [{targets: ["https://example.org"]}]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:9115
      - source_labels: [__meta_x]
        regex: drop-me
        action: drop
"#,
    )
    .unwrap();
    let sc = &cfg.scrape_configs[0];
    let t = &targets_from_group(&sc.static_configs[0], sc).unwrap()[0];
    assert_eq!(
        t.url(),
        "http://127.0.0.1:9115/metrics?target=https%3A%2F%2Fexample.org"
    );
    assert_eq!(t.labels.get("instance"), Some("https://example.org"));
    // Meta labels are available to relabeling, then removed.
    let d = labels(&[("__address__", "h:1"), ("__meta_x", "drop-me")]);
    assert!(populate_labels(&d, sc).unwrap().is_none());
    let d = labels(&[("__address__", "h:1"), ("__meta_x", "keep")]);
    let t = populate_labels(&d, sc).unwrap().unwrap();
    assert_eq!(t.labels.get("__meta_x"), None);
    assert_eq!(t.discovered.get("__meta_x"), Some("keep"));
}

#[test]
fn invalid_targets_are_reported() {
    let cfg = load_str("scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - target_label: __scrape_timeout__\n        replacement: 2m\n").unwrap();
    let sc = &cfg.scrape_configs[0];
    let err = populate_labels(&labels(&[("__address__", "h:1")]), sc).unwrap_err();
    assert!(
        err.to_string()
            .contains("scrape timeout cannot be greater than scrape interval"),
        "{err}"
    );
    let err = populate_labels(&labels(&[("x", "y")]), sc).unwrap_err();
    assert_eq!(err.to_string(), "no address");
    let cfg = load_str("scrape_configs:\n  - job_name: a\n").unwrap();
    let err = populate_labels(&labels(&[("__address__", "http://h/")]), &cfg.scrape_configs[0]).unwrap_err();
    assert_eq!(err.to_string(), "\"http://h/\" is not a valid hostname");
}

#[test]
fn file_sd_discovers_json_and_yaml_by_glob() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.json"),
        r#"[{"targets": ["127.0.0.1:1", "127.0.0.1:2"], "labels": {"team": "x"}}]"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("b.yml"), "- targets: ['127.0.0.1:3']\n").unwrap();
    std::fs::write(dir.path().join("c.yml"), "- targets: [x]\n  bogus: 1\n").unwrap();
    std::fs::write(dir.path().join("ignored.txt"), "nothing").unwrap();
    let yaml = format!(
        "scrape_configs:\n  - job_name: f\n    file_sd_configs:\n      - files: ['{}/*.json', '{}/*.yml']\n",
        dir.path().display(),
        dir.path().display()
    );
    let cfg = load_str(&yaml).unwrap();
    let sc = &cfg.scrape_configs[0];
    let found = file_sd::discover(&sc.file_sd_configs[0]);
    assert_eq!(found.errors.len(), 1, "{:?}", found.errors);
    let mut targets = Vec::new();
    for g in &found.groups {
        targets.extend(targets_from_group(g, sc).unwrap());
    }
    assert_eq!(targets.len(), 3);
    assert_eq!(targets[0].labels.get("team"), Some("x"));
    assert_eq!(targets[0].labels.get("__meta_filepath"), None);
    assert!(
        targets[0]
            .discovered
            .get("__meta_filepath")
            .unwrap()
            .ends_with("a.json")
    );
}

#[test]
fn file_discovery_keeps_last_good_groups_and_forgets_removed_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.yml");
    std::fs::write(&a, "- targets: ['127.0.0.1:1']\n").unwrap();
    let cfg = obslab_scrape::config::FileSdConfig {
        files: vec![format!("{}/*.yml", dir.path().display())],
        refresh_interval: obslab_scrape::config::PromDuration::from_secs(30),
    };
    let mut d = file_sd::FileDiscovery::new(cfg);
    assert_eq!(d.refresh_interval(), Duration::from_secs(30));
    let r = d.refresh();
    assert!(r.changed);
    assert_eq!(r.groups.len(), 1);
    assert!(!d.refresh().changed);
    // A broken rewrite keeps the last good groups and reports the error.
    std::fs::write(&a, "- targets: [oops\n").unwrap();
    let r = d.refresh();
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.groups[0].targets, vec!["127.0.0.1:1"]);
    assert!(!r.changed);
    std::fs::write(&a, "- targets: ['127.0.0.1:2']\n").unwrap();
    let r = d.refresh();
    assert!(r.changed);
    assert_eq!(r.groups[0].targets, vec!["127.0.0.1:2"]);
    std::fs::remove_file(&a).unwrap();
    let r = d.refresh();
    assert!(r.changed);
    assert!(r.groups.is_empty());
}

fn state(settings: ScrapeSettings) -> ScrapeState {
    ScrapeState::new(labels(&[("job", "api"), ("instance", "h:1")]), settings)
}

fn settings() -> ScrapeSettings {
    ScrapeSettings {
        honor_timestamps: true,
        ..ScrapeSettings::default()
    }
}

fn body(b: &str) -> ScrapeResult<'_> {
    ScrapeResult::Body {
        body: b.as_bytes(),
        content_type: Some("text/plain; version=0.0.4"),
    }
}

fn value_of(out: &[(Labels, i64, f64)], name: &str) -> Option<f64> {
    out.iter()
        .find(|(l, _, _)| l.metric_name() == Some(name))
        .map(|(_, _, v)| *v)
}

#[test]
fn scrape_appends_samples_and_report_series() {
    let mut st = state(settings());
    let mut app = VecAppender::default();
    let rep = st.process(
        &mut app,
        body("a 1\nb{x=\"y\"} 2\nc 3 1234\n"),
        1000,
        Duration::from_millis(250),
    );
    assert!(rep.up);
    assert_eq!(rep.samples_scraped, 3);
    assert_eq!(rep.series_added, 3);
    let out = app.take();
    assert_eq!(out.len(), 3 + 5);
    assert_eq!(
        out[1].0,
        labels(&[("__name__", "b"), ("x", "y"), ("job", "api"), ("instance", "h:1")])
    );
    assert_eq!(out[0].1, 1000);
    assert_eq!(out[2].1, 1234);
    assert_eq!(value_of(&out, "up"), Some(1.0));
    assert_eq!(value_of(&out, "scrape_duration_seconds"), Some(0.25));
    assert_eq!(value_of(&out, "scrape_samples_scraped"), Some(3.0));
    assert_eq!(value_of(&out, "scrape_samples_post_metric_relabeling"), Some(3.0));
    assert_eq!(value_of(&out, "scrape_series_added"), Some(3.0));
    let up = out
        .iter()
        .find(|(l, _, _)| l.metric_name() == Some("up"))
        .unwrap();
    assert_eq!(
        up.0,
        labels(&[("__name__", "up"), ("job", "api"), ("instance", "h:1")])
    );
}

#[test]
fn vanished_series_get_stale_markers() {
    let mut st = state(settings());
    let mut app = VecAppender::default();
    st.process(&mut app, body("a 1\nb 2\nc 3 1234\n"), 1000, Duration::ZERO);
    app.take();
    let rep = st.process(&mut app, body("a 1\n"), 2000, Duration::ZERO);
    assert_eq!(
        rep.stale_markers, 1,
        "c has an explicit timestamp and gets no marker"
    );
    assert_eq!(rep.series_added, 0);
    let out = app.take();
    let b = out.iter().find(|(l, _, _)| l.metric_name() == Some("b")).unwrap();
    assert!(is_stale_nan(b.2));
    assert_eq!(b.1, 2000);
    // A failed scrape marks everything of the last scrape stale and reports up=0.
    let rep = st.process(
        &mut app,
        ScrapeResult::Failed("connection refused"),
        3000,
        Duration::ZERO,
    );
    assert!(!rep.up);
    assert_eq!(rep.error.as_deref(), Some("connection refused"));
    assert_eq!(rep.stale_markers, 1);
    let out = app.take();
    assert!(is_stale_nan(value_of(&out, "a").unwrap()));
    assert_eq!(value_of(&out, "up"), Some(0.0));
    // Ending the loop marks the report series stale too.
    st.process(&mut app, body("a 1\n"), 4000, Duration::ZERO);
    app.take();
    let n = st.mark_all_stale(&mut app, 5000).unwrap();
    assert_eq!(n, 6);
    assert!(app.take().iter().all(|(_, t, v)| *t == 5000 && is_stale_nan(*v)));
}

#[test]
fn parse_errors_roll_back_the_scrape() {
    let mut st = state(settings());
    let mut app = VecAppender::default();
    let rep = st.process(&mut app, body("a 1\nb{ 2\n"), 1000, Duration::ZERO);
    assert!(!rep.up);
    assert!(rep.error.unwrap().contains("line 2"));
    let out = app.take();
    assert_eq!(out.len(), 5, "only report series: {out:?}");
    assert_eq!(app.rollbacks, 1);
}

#[test]
fn honor_labels_and_timestamps() {
    let mut st = state(ScrapeSettings::default());
    let mut app = VecAppender::default();
    st.process(&mut app, body("m{job=\"inner\"} 1 5\n"), 1000, Duration::ZERO);
    let out = app.take();
    assert_eq!(out[0].0.get("job"), Some("api"));
    assert_eq!(out[0].0.get("exported_job"), Some("inner"));
    assert_eq!(out[0].1, 1000, "timestamps ignored without honor_timestamps");
    let mut st = state(ScrapeSettings {
        honor_labels: true,
        honor_timestamps: true,
        ..ScrapeSettings::default()
    });
    st.process(&mut app, body("m{job=\"inner\"} 1 5\n"), 1000, Duration::ZERO);
    let out = app.take();
    assert_eq!(out[0].0.get("job"), Some("inner"));
    assert_eq!(out[0].1, 5);
}

#[test]
fn limits_fail_the_scrape() {
    let mut st = state(ScrapeSettings {
        sample_limit: 2,
        ..settings()
    });
    let mut app = VecAppender::default();
    let rep = st.process(&mut app, body("a 1\nb 2\nc 3\n"), 1000, Duration::ZERO);
    assert_eq!(rep.error.as_deref(), Some("sample limit exceeded"));
    assert_eq!(value_of(&app.take(), "up"), Some(0.0));
    let mut st = state(ScrapeSettings {
        limits: obslab_scrape::target::LabelLimits {
            label_limit: 3,
            ..Default::default()
        },
        ..settings()
    });
    let rep = st.process(&mut app, body("a{x=\"1\",y=\"2\"} 1\n"), 1000, Duration::ZERO);
    assert!(
        rep.error
            .unwrap()
            .starts_with("label_limit exceeded (metric: a, number of labels: 5, limit: 3)")
    );
}

#[test]
fn metric_relabeling_and_openmetrics_exemplars() {
    let cfg = load_str(
        "scrape_configs:\n  - job_name: a\n    honor_timestamps: true\n    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: drop_.*\n        action: drop\n",
    )
    .unwrap();
    let mut st = state(ScrapeSettings::from(&cfg.scrape_configs[0]));
    let mut app = VecAppender::default();
    let om = "# TYPE c counter\nc_total 3 # {trace_id=\"abc\"} 1 1.5\ndrop_me 1\n# EOF\n";
    let rep = st.process(
        &mut app,
        ScrapeResult::Body {
            body: om.as_bytes(),
            content_type: Some("application/openmetrics-text; version=1.0.0"),
        },
        1000,
        Duration::ZERO,
    );
    assert!(rep.up, "{rep:?}");
    assert_eq!(rep.samples_scraped, 2);
    assert_eq!(rep.samples_post_metric_relabeling, 1);
    assert_eq!(app.exemplars.len(), 1);
    assert_eq!(app.exemplars[0].1.labels.get("trace_id"), Some("abc"));
    assert_eq!(app.exemplars[0].1.timestamp, Some(1500));
    assert_eq!(value_of(&app.take(), "drop_me"), None);
}
