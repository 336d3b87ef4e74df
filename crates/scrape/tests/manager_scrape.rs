//! The scrape manager against real HTTP servers on 127.0.0.1: samples, report series,
//! staleness, label conflicts, limits, errors, auth and params.

mod manager_support;

use manager_support::*;
use obslab_scrape::manager::Health;

const BODY: &str =
    "# HELP foo_total Foos.\n# TYPE foo_total counter\nfoo_total{a=\"1\"} 5\n# TYPE bar gauge\nbar 2\n";

fn series(name: &str, labels: &str, job: &str, host: &str) -> String {
    if labels.is_empty() {
        format!("{name}{{instance=\"{host}\", job=\"{job}\"}}")
    } else {
        format!("{name}{{{labels}, instance=\"{host}\", job=\"{job}\"}}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraping_yields_samples_report_series_targets_and_metadata() {
    let srv = serve(BODY).await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    m.apply_config(&load(&job_config("j", &h, ""))).await.unwrap();
    let up = series("up", "", "j", &h);
    wait_for("two successful scrapes", 10, || store.values(&up).len() >= 2).await;
    assert_eq!(store.values(&series("foo_total", "a=\"1\"", "j", &h))[0], 5.0);
    assert_eq!(store.values(&series("bar", "", "j", &h))[0], 2.0);
    assert!(store.values(&up).iter().all(|v| *v == 1.0));
    for r in [
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
    ] {
        assert!(!store.values(&series(r, "", "j", &h)).is_empty(), "{r}");
    }
    assert_eq!(
        store.values(&series("scrape_samples_scraped", "", "j", &h))[0],
        2.0
    );

    let reqs = srv.requests();
    let (path, headers) = &reqs[0];
    assert_eq!(path, "/metrics");
    // Prometheus's default scrape_protocols, OpenMetrics first, with decreasing q-values.
    let accept = headers.get("accept").cloned().unwrap_or_default();
    assert!(
        accept.starts_with("application/openmetrics-text;version=1.0.0;q=0.6,"),
        "{accept}"
    );
    assert!(accept.contains("text/plain;version=0.0.4;q="), "{accept}");
    assert_eq!(
        headers
            .get("x-prometheus-scrape-timeout-seconds")
            .map(String::as_str),
        Some("0.15")
    );

    let view = m.targets().await;
    assert_eq!(view.active_targets.len(), 1);
    let t = &view.active_targets[0];
    assert_eq!(t.health, Health::Up);
    assert_eq!(t.scrape_pool, "j");
    assert_eq!(t.scrape_url, format!("http://{h}/metrics"));
    assert_eq!(
        t.global_url,
        format!("http://labhost:{}/metrics", srv.addr.port())
    );
    assert_eq!(t.last_error, "");
    assert_eq!(t.scrape_interval, "200ms");
    assert_eq!(t.labels.get("job").map(String::as_str), Some("j"));
    assert_eq!(t.discovered_labels.get("__address__"), Some(&h));
    assert_ne!(t.last_scrape, "0001-01-01T00:00:00Z");
    let json = serde_json::to_value(&view).unwrap();
    assert!(json["activeTargets"][0]["lastScrapeDuration"].is_number());
    assert_eq!(json["activeTargets"][0]["health"], "up");
    assert!(json["droppedTargets"].is_array());

    let meta = m.metadata().await;
    assert_eq!(meta["foo_total"][0].metric_type, "counter");
    assert_eq!(meta["foo_total"][0].help, "Foos.");
    assert_eq!(meta["bar"][0].metric_type, "gauge");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_going_down_gets_up_zero_and_stale_markers() {
    let srv = serve(BODY).await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    m.apply_config(&load(&job_config("j", &h, ""))).await.unwrap();
    let up = series("up", "", "j", &h);
    wait_for("a successful scrape", 10, || store.values(&up).contains(&1.0)).await;
    srv.set_status(503);
    wait_for("up 0", 10, || store.values(&up).contains(&0.0)).await;
    assert!(store.has_stale(&series("foo_total", "a=\"1\"", "j", &h)));
    assert!(store.has_stale(&series("bar", "", "j", &h)));
    let t = &m.targets().await.active_targets[0];
    assert_eq!(t.health, Health::Down);
    assert!(t.last_error.contains("503"), "{}", t.last_error);
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_series_gets_a_stale_marker() {
    let srv = serve(BODY).await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    m.apply_config(&load(&job_config("j", &h, ""))).await.unwrap();
    let bar = series("bar", "", "j", &h);
    wait_for("bar scraped", 10, || !store.values(&bar).is_empty()).await;
    srv.set_body("foo_total{a=\"1\"} 6\n");
    wait_for("bar stale", 10, || store.has_stale(&bar)).await;
    assert!(!store.has_stale(&series("foo_total", "a=\"1\"", "j", &h)));
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honor_labels_decides_label_conflicts() {
    let srv = serve("foo{job=\"theirs\",zone=\"z\"} 1\n").await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    let yaml = format!(
        "{}{}",
        job_config("plain", &h, ""),
        job_config("honor", &h, "    honor_labels: true\n").replace("scrape_configs:\n", "")
    );
    m.apply_config(&load(&yaml)).await.unwrap();
    let plain = format!("foo{{exported_job=\"theirs\", instance=\"{h}\", job=\"plain\", zone=\"z\"}}");
    let honored = format!("foo{{instance=\"{h}\", job=\"theirs\", zone=\"z\"}}");
    wait_for("both jobs scraped", 10, || {
        !store.values(&plain).is_empty() && !store.values(&honored).is_empty()
    })
    .await;
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceeding_sample_limit_fails_the_scrape() {
    let srv = serve(BODY).await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    m.apply_config(&load(&job_config("j", &h, "    sample_limit: 1\n")))
        .await
        .unwrap();
    let up = series("up", "", "j", &h);
    wait_for("a scrape", 10, || !store.values(&up).is_empty()).await;
    assert_eq!(store.values(&up)[0], 0.0);
    assert!(store.values(&series("bar", "", "j", &h)).is_empty());
    assert!(store.values(&series("foo_total", "a=\"1\"", "j", &h)).is_empty());
    let t = &m.targets().await.active_targets[0];
    assert_eq!(t.last_error, "sample limit exceeded");
    assert_eq!(t.health, Health::Down);
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceeding_label_and_body_limits_fail_the_scrape() {
    let srv = serve(BODY).await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    let yaml = format!(
        "{}{}",
        job_config("labels", &h, "    label_limit: 2\n"),
        job_config("body", &h, "    body_size_limit: 10B\n").replace("scrape_configs:\n", "")
    );
    m.apply_config(&load(&yaml)).await.unwrap();
    let up_l = series("up", "", "labels", &h);
    let up_b = series("up", "", "body", &h);
    wait_for("both scraped", 10, || {
        !store.values(&up_l).is_empty() && !store.values(&up_b).is_empty()
    })
    .await;
    assert_eq!(store.values(&up_l)[0], 0.0);
    assert_eq!(store.values(&up_b)[0], 0.0);
    let view = m.targets().await;
    let err = |job: &str| {
        view.active_targets
            .iter()
            .find(|t| t.scrape_pool == job)
            .unwrap()
            .last_error
            .clone()
    };
    assert!(err("labels").contains("label"), "{}", err("labels"));
    assert!(
        err("body").contains("body size limit exceeded"),
        "{}",
        err("body")
    );
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_exposition_sets_last_error_and_recovers() {
    let srv = serve("foo{ 1\n").await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    m.apply_config(&load(&job_config("j", &h, ""))).await.unwrap();
    let up = series("up", "", "j", &h);
    wait_for("a failed scrape", 10, || store.values(&up).contains(&0.0)).await;
    let t = &m.targets().await.active_targets[0];
    assert!(!t.last_error.is_empty());
    assert_eq!(t.health, Health::Down);
    srv.set_body(BODY);
    wait_for("recovery", 10, || store.values(&up).contains(&1.0)).await;
    let mut cleared = false;
    for _ in 0..200 {
        if m.targets().await.active_targets[0].last_error.is_empty() {
            cleared = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(cleared, "lastError cleared after a good scrape");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_headers_params_and_metrics_path_are_sent() {
    let srv = serve(BODY).await;
    let store = Store::default();
    let m = manager(&store);
    let h = srv.host();
    let yaml = format!(
        "{}{}{}{}",
        job_config(
            "basic",
            &h,
            "    metrics_path: /basic\n    basic_auth:\n      username: user\n      password: pass\n"
        ),
        job_config(
            "bearer",
            &h,
            "    metrics_path: /bearer\n    authorization:\n      credentials: tok\n"
        )
        .replace("scrape_configs:\n", ""),
        job_config(
            "probe",
            &h,
            "    metrics_path: /probe\n    params:\n      module: [http_2xx]\n      target: [a, b]\n"
        )
        .replace("scrape_configs:\n", ""),
        job_config(
            "proto",
            &h,
            "    metrics_path: /proto\n    scrape_protocols: [PrometheusText0.0.4]\n"
        )
        .replace("scrape_configs:\n", ""),
    );
    m.apply_config(&load(&yaml)).await.unwrap();
    let seen = |p: &str| srv.requests().into_iter().find(|(q, _)| q.starts_with(p));
    wait_for("all three paths", 10, || {
        seen("/basic").is_some() && seen("/bearer").is_some() && seen("/probe").is_some()
    })
    .await;
    assert_eq!(seen("/basic").unwrap().1["authorization"], "Basic dXNlcjpwYXNz");
    assert_eq!(seen("/bearer").unwrap().1["authorization"], "Bearer tok");
    assert_eq!(
        seen("/probe").unwrap().0,
        "/probe?module=http_2xx&target=a&target=b"
    );
    assert!(!seen("/probe").unwrap().1.contains_key("authorization"));
    wait_for("the proto job", 10, || seen("/proto").is_some()).await;
    assert_eq!(
        seen("/proto").unwrap().1["accept"],
        "text/plain;version=0.0.4;q=0.6,*/*;q=0.5"
    );
    m.shutdown().await;
}
