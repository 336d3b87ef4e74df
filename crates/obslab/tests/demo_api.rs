//! The api service's read endpoints, simulations and their metrics, on a real process.

#[path = "demo_support.rs"]
mod support;

use std::time::Duration;

use support::*;

fn api_alone() -> (Db, Svc) {
    let db = Db::new();
    let api = Svc::start("api", &Opts::db(&db));
    (db, api)
}

#[test]
fn health_answers_ok_with_the_service_name() {
    let (_db, api) = api_alone();
    let r = api.get("/health");
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({"status": "ok", "service": "api"}));
    assert!(r.elapsed < Duration::from_secs(1), "/health took {:?}", r.elapsed);
}

#[test]
fn products_list_and_one_product() {
    let (_db, api) = api_alone();
    let ids = product_ids(&api);
    let r = api.get(&format!("/api/products/{}", ids[0]));
    assert_eq!(r.status, 200, "{}", r.text());
    let p = r.json();
    assert_eq!(p["id"].as_i64(), Some(ids[0]), "{p}");
    assert!(
        p["name"].as_str().is_some_and(|n| !n.is_empty()),
        "product without a name: {p}"
    );

    let r = api.get("/api/products/999999");
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());

    let r = api.get("/api/products/abc");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
}

#[test]
fn users_fail_about_five_percent_of_the_time() {
    let (_db, api) = api_alone();
    let port = api.port;
    let results = parallel(200, 8, move |_| {
        let r = obslab_testkit::http::get(port, "/api/users").unwrap();
        (r.status, r.is_json_error(), r.elapsed)
    });
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    let mix = status_mix(&statuses);
    let errors = statuses.iter().filter(|s| **s >= 500).count();
    let ok = mix.get(&200).copied().unwrap_or(0);
    assert_eq!(ok + errors, 200, "only 200 and 5xx expected: {mix:?}");
    assert!(
        (1..=35).contains(&errors),
        "about 5% errors expected, got {mix:?}"
    );
    assert!(
        results.iter().filter(|r| r.0 >= 500).all(|r| r.1),
        "user errors must have a JSON error body"
    );
    let mut times: Vec<Duration> = results.iter().filter(|r| r.0 == 200).map(|r| r.2).collect();
    times.sort();
    let median = times[times.len() / 2];
    assert!(
        median >= Duration::from_millis(45),
        "/api/users should take 50-200 ms, median {median:?}"
    );
    api.assert_healthy();
}

#[test]
fn simulate_slow_waits_the_given_delay_and_validates_it() {
    let (_db, api) = api_alone();
    let r = api.get("/api/simulate-slow?delay=300");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.elapsed >= Duration::from_millis(300), "took {:?}", r.elapsed);

    for bad in ["30001", "abc", "-5", "99999999999999999999999", "1.5e9"] {
        let r = api.get(&format!("/api/simulate-slow?delay={bad}"));
        assert_eq!(r.status, 400, "delay={bad}: {}", r.text());
        assert!(r.is_json_error(), "delay={bad}: {}", r.text());
        assert!(
            r.elapsed < Duration::from_secs(5),
            "delay={bad} should be refused at once"
        );
    }
}

#[test]
fn simulate_error_answers_500_with_a_json_error() {
    let (_db, api) = api_alone();
    let r = api.get("/api/simulate-error");
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    api.assert_healthy();
}

#[test]
fn smoke_db_runs_a_burst_of_queries() {
    let (_db, api) = api_alone();
    let before = api.metrics().sum("db_query_duration_seconds_count", &[]);
    let r = api.get("/api/smoke/db");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json();
    let after = api.metrics().sum("db_query_duration_seconds_count", &[]);
    assert!(
        after - before >= 2.0,
        "a burst of DB queries expected: {before} -> {after}"
    );
}

#[test]
fn slow_endpoint_takes_three_to_five_seconds() {
    let (_db, api) = api_alone();
    let r = obslab_testkit::http::Request::new("GET", api.port, "/api/slow")
        .timeout(Duration::from_secs(30))
        .send()
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.elapsed >= Duration::from_millis(2900) && r.elapsed < Duration::from_secs(20),
        "/api/slow took {:?}",
        r.elapsed
    );
}

#[test]
fn unknown_routes_are_404() {
    let (_db, api) = api_alone();
    let r = api.get("/api/no-such-thing");
    assert_eq!(r.status, 404, "{}", r.text());
    api.assert_healthy();
}

#[test]
fn metrics_use_route_templates_and_list_the_issue_families() {
    let (_db, api) = api_alone();
    let ids = product_ids(&api);
    for id in &ids[..2.min(ids.len())] {
        assert_eq!(api.get(&format!("/api/products/{id}")).status, 200);
    }
    assert_eq!(api.get("/api/products").status, 200);
    assert_eq!(api.get("/api/products/999999").status, 404);
    assert_eq!(api.get("/api/simulate-error").status, 500);
    let m = api.metrics();

    m.assert_family(
        "http_requests_total",
        "counter",
        &["method", "endpoint", "status"],
    );
    let templ = m.find(
        "http_requests_total",
        &[
            ("method", "GET"),
            ("endpoint", "/api/products/{id}"),
            ("status", "200"),
        ],
    );
    assert!(
        templ
            .first()
            .is_some_and(|s| s.value >= 2.0_f64.min(ids.len() as f64)),
        "http_requests_total for the route template: {templ:?}"
    );
    assert!(
        m.sum(
            "http_requests_total",
            &[("endpoint", "/api/products/{id}"), ("status", "404")]
        ) >= 1.0,
        "404 of a template route counted under the template"
    );
    assert!(
        m.sum(
            "http_requests_total",
            &[("endpoint", "/api/simulate-error"), ("status", "500")]
        ) >= 1.0
    );
    let raw_ids: Vec<_> = m
        .series("http_requests_total")
        .into_iter()
        .filter(|s| {
            s.labels
                .get("endpoint")
                .is_some_and(|e| e.chars().any(|c| c.is_ascii_digit()))
        })
        .collect();
    assert!(
        raw_ids.is_empty(),
        "endpoint label must be the route template, not the path: {raw_ids:?}"
    );

    m.assert_family(
        "http_request_duration_seconds",
        "histogram",
        &["method", "endpoint", "le"],
    );
    assert!(
        !m.find(
            "http_request_duration_seconds_count",
            &[("method", "GET"), ("endpoint", "/api/products")]
        )
        .is_empty()
    );
    m.assert_family("http_requests_in_flight", "gauge", &["method"]);
    m.assert_family("db_query_duration_seconds", "histogram", &["operation", "le"]);
    m.assert_family("cache_hits_total", "counter", &["result"]);
    for family in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_start_time_seconds",
    ] {
        assert_eq!(m.series(family).len(), 1, "{family}");
    }
}
