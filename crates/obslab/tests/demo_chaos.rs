//! Fault injection through `/chaos`: slow, error, db-slow, leak, crash, expiry, reset and `--chaos`
//! at start, and the endpoints the faults never touch.

#[path = "demo_support.rs"]
mod support;

use std::time::Duration;

use obslab_testkit::wait_until;
use serde_json::{Value, json};
use support::*;

fn api_alone(opts: Opts) -> (Db, Svc) {
    let db = Db::new();
    let api = Svc::start(
        "api",
        &Opts {
            db: Some(db.path()),
            ..opts
        },
    );
    (db, api)
}

fn assert_all_off(state: &Value, service: &str) {
    assert_eq!(state["service"], service, "{state}");
    for fault in ["slow", "error", "leak", "db_slow"] {
        assert!(
            state.get(fault).is_some_and(Value::is_null),
            "{fault} should be null: {state}"
        );
    }
}

/// /health, /metrics and /chaos answer normally (fast, 200) whatever the faults.
fn assert_untouched(svc: &Svc, max: Duration) {
    for path in ["/health", "/metrics", "/chaos"] {
        for _ in 0..5 {
            let r = svc.get(path);
            assert_eq!(r.status, 200, "{} {path} under faults: {}", svc.name, r.text());
            assert!(
                r.elapsed < max,
                "{} {path} took {:?} under faults",
                svc.name,
                r.elapsed
            );
        }
    }
}

#[test]
fn every_service_starts_with_no_faults() {
    let shop = Shop::start(None, true, true);
    for svc in [
        &shop.api,
        &shop.payment,
        &shop.inventory,
        shop.worker(),
        shop.gateway(),
    ] {
        assert_all_off(&svc.chaos(), svc.name);
        let r = svc.get("/health");
        assert_eq!(r.json(), json!({"status": "ok", "service": svc.name}));
    }
}

#[test]
fn slow_adds_latency_but_not_to_health_metrics_or_chaos() {
    let (_db, api) = api_alone(Opts::default());
    let state = api.set_chaos("slow", &json!({"delay_ms": 1200, "probability": 1.0}));
    assert_eq!(state["slow"]["delay_ms"], 1200, "{state}");
    assert_eq!(state["slow"]["probability"], 1.0, "{state}");
    assert_eq!(api.chaos()["slow"]["delay_ms"], 1200);
    for path in ["/api/tasks", "/api/products"] {
        let r = api.get(path);
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(
            r.elapsed >= Duration::from_millis(1200),
            "{path} took {:?} with 1200 ms slow",
            r.elapsed
        );
    }
    assert_untouched(&api, Duration::from_millis(1000));

    // probability defaults to 1.0.
    let state = api.set_chaos("slow", &json!({"delay_ms": 300}));
    assert_eq!(state["slow"]["probability"], 1.0, "{state}");
    assert!(api.get("/api/tasks").elapsed >= Duration::from_millis(300));

    // probability 0 never delays.
    api.set_chaos("slow", &json!({"delay_ms": 2000, "probability": 0.0}));
    for _ in 0..5 {
        assert!(api.get("/api/tasks").elapsed < Duration::from_millis(1500));
    }
}

#[test]
fn slow_on_payment_slows_authorizations() {
    let payment = Svc::start("payment", &Opts::default());
    payment.set_chaos("slow", &json!({"delay_ms": 1200, "probability": 1.0}));
    let r = payment.post(
        "/payments/authorize",
        &json!({"order_id": 1, "amount": 5.0, "method": "card"}),
    );
    assert!(r.elapsed >= Duration::from_millis(1200), "took {:?}", r.elapsed);
    assert_untouched(&payment, Duration::from_millis(1000));
}

#[test]
fn error_fails_the_given_share_with_the_given_status() {
    let (_db, api) = api_alone(Opts::default());
    let state = api.set_chaos("error", &json!({"rate": 1.0, "status": 503}));
    assert_eq!(state["error"]["rate"], 1.0, "{state}");
    assert_eq!(state["error"]["status"], 503, "{state}");
    for path in ["/api/tasks", "/api/products", "/api/users"] {
        let r = api.get(path);
        assert_eq!(r.status, 503, "{path}: {}", r.text());
        assert!(r.is_json_error(), "{path}: {}", r.text());
    }
    assert_untouched(&api, Duration::from_secs(2));
    // Chaos POSTs keep working under rate 1.0.
    let state = api.set_chaos("error", &json!({"rate": 0.5}));
    assert_eq!(state["error"]["status"], 500, "status defaults to 500: {state}");

    let port = api.port;
    let statuses: Vec<u16> = parallel(100, 4, move |_| {
        obslab_testkit::http::get(port, "/api/tasks").unwrap().status
    });
    let mix = status_mix(&statuses);
    let failed = mix.get(&500).copied().unwrap_or(0);
    assert_eq!(failed + mix.get(&200).copied().unwrap_or(0), 100, "{mix:?}");
    assert!(
        (25..=75).contains(&failed),
        "rate 0.5 should fail about half: {mix:?}"
    );

    let m = api.metrics();
    assert!(
        m.sum(
            "http_requests_total",
            &[("endpoint", "/api/tasks"), ("status", "500")]
        ) >= failed as f64,
        "injected errors are counted like real ones"
    );
}

#[test]
fn error_on_payment_uses_the_given_status() {
    let payment = Svc::start("payment", &Opts::default());
    payment.set_chaos("error", &json!({"rate": 1.0, "status": 429}));
    let r = payment.post(
        "/payments/authorize",
        &json!({"order_id": 1, "amount": 5.0, "method": "card"}),
    );
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    assert_untouched(&payment, Duration::from_secs(2));
}

#[test]
fn db_slow_slows_db_endpoints_only() {
    let (_db, api) = api_alone(Opts::default());
    let sum_before = api.metrics().sum("db_query_duration_seconds_sum", &[]);
    let state = api.set_chaos("db-slow", &json!({"delay_ms": 700}));
    assert_eq!(state["db_slow"]["delay_ms"], 700, "{state}");
    let r = api.get("/api/tasks");
    assert_eq!(r.status, 200);
    assert!(
        r.elapsed >= Duration::from_millis(700),
        "a DB endpoint took {:?}",
        r.elapsed
    );
    let r = api.get("/api/simulate-error");
    assert!(
        r.elapsed < Duration::from_millis(600),
        "no DB, no delay: {:?}",
        r.elapsed
    );
    assert_untouched(&api, Duration::from_millis(600));
    let sum_after = api.metrics().sum("db_query_duration_seconds_sum", &[]);
    assert!(
        sum_after - sum_before >= 0.7,
        "the slow query shows in db_query_duration_seconds: {sum_before} -> {sum_after}"
    );

    // Every query of a burst is slowed.
    let state = api.set_chaos("db-slow", &json!({"delay_ms": 60}));
    assert_eq!(state["db_slow"]["delay_ms"], 60, "{state}");
    let r = api.get("/api/smoke/db");
    assert_eq!(r.status, 200);
    assert!(
        r.elapsed >= Duration::from_millis(120),
        "a burst of slow queries took {:?}",
        r.elapsed
    );
}

#[test]
fn faults_with_duration_revert_by_themselves() {
    let (_db, api) = api_alone(Opts::default());
    let state = api.set_chaos("error", &json!({"rate": 1.0, "status": 500, "duration_s": 1.5}));
    let exp = state["error"]["expires_in_s"].as_f64();
    assert!(
        exp.is_some_and(|e| e > 0.0 && e <= 1.5),
        "expires_in_s in {state}"
    );
    api.set_chaos("slow", &json!({"delay_ms": 200, "duration_s": 1.5}));
    assert_eq!(api.get("/api/tasks").status, 500);
    assert!(api.chaos()["slow"]["expires_in_s"].as_f64().is_some());

    let reverted = wait_until(Duration::from_secs(8), || {
        let c = api.chaos();
        c["error"].is_null() && c["slow"].is_null()
    });
    assert!(reverted, "faults still on: {}", api.chaos());
    let r = api.get("/api/tasks");
    assert_eq!(r.status, 200);
    assert!(r.elapsed < Duration::from_millis(1000));
}

#[test]
fn reset_turns_every_fault_off() {
    let (_db, api) = api_alone(Opts::default());
    api.set_chaos("slow", &json!({"delay_ms": 300}));
    api.set_chaos("error", &json!({"rate": 1.0, "status": 502}));
    api.set_chaos("db-slow", &json!({"delay_ms": 300}));
    let state = api.set_chaos("leak", &json!({"mb_per_min": 30}));
    for fault in ["slow", "error", "leak", "db_slow"] {
        assert!(!state[fault].is_null(), "{fault} on: {state}");
    }
    let r = api.post("/chaos/reset", &json!({}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_all_off(&r.json(), "api");
    assert_all_off(&api.chaos(), "api");
    let r = api.get("/api/products");
    assert_eq!(r.status, 200);
    assert!(r.elapsed < Duration::from_millis(1000), "{:?}", r.elapsed);

    // Reset without a body works as well.
    api.set_chaos("error", &json!({"rate": 1.0}));
    let r = api.req("POST", "/chaos/reset").send().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_all_off(&r.json(), "api");
}

#[test]
fn leak_raises_resident_memory_and_reset_frees_it() {
    let (_db, api) = api_alone(Opts::default());
    let base = rss(&api);
    // 1500 MB/min is 25 MB/s: a clear rise within a few seconds.
    let state = api.set_chaos("leak", &json!({"mb_per_min": 1500}));
    assert_eq!(state["leak"]["mb_per_min"], 1500.0, "{state}");
    // The service's own count of leaked bytes and the process's resident memory must both rise:
    // the allocation is real, not just counted.
    let mut peak = base;
    let mut leaked = 0.0;
    let grew = wait_until(Duration::from_secs(15), || {
        leaked = api.chaos()["leak"]["leaked_bytes"].as_f64().unwrap_or(0.0);
        peak = rss(&api);
        leaked >= 40e6 && peak - base >= 0.8 * leaked
    });
    assert!(
        grew,
        "RSS went {base} -> {peak} with leaked_bytes {leaked} under a 25 MB/s leak"
    );
    assert_untouched(&api, Duration::from_secs(2));

    let r = api.post("/chaos/reset", &json!({}));
    assert_eq!(r.status, 200);
    assert!(r.json()["leak"].is_null());
    let mut now = peak;
    let freed = wait_until(Duration::from_secs(10), || {
        now = rss(&api);
        now < peak - (peak - base) / 2.0
    });
    assert!(
        freed,
        "RSS {base} -> peak {peak} -> {now} after reset: leaked memory should be freed"
    );
}

#[test]
fn crash_makes_the_process_exit_with_status_1() {
    let mut payment = Svc::start("payment", &Opts::default());
    let r = payment.post("/chaos/crash", &json!({}));
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json(), json!({"crashing": true}));
    let status = payment.guard.wait_timeout(Duration::from_secs(5));
    let status = status.unwrap_or_else(|| panic!("payment still running 5 s after /chaos/crash"));
    assert!(!status.success(), "{status:?}");
    assert_eq!(status.code(), Some(1), "{status:?}");
}

#[test]
fn chaos_flag_applies_faults_at_start() {
    let chaos =
        json!({"error": {"rate": 1.0, "status": 503}, "slow": {"delay_ms": 1000, "probability": 1.0}});
    let (_db, api) = api_alone(Opts::default().chaos(&chaos));
    let state = api.chaos();
    assert_eq!(state["error"]["rate"], 1.0, "{state}");
    assert_eq!(state["error"]["status"], 503, "{state}");
    assert_eq!(state["slow"]["delay_ms"], 1000, "{state}");
    let r = api.get("/api/tasks");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_untouched(&api, Duration::from_millis(800));
    api.post("/chaos/reset", &json!({}));
    assert_eq!(api.get("/api/tasks").status, 200);
}

#[test]
fn a_bad_chaos_flag_is_refused_at_start() {
    let db = Db::new();
    for bad in [r#"{"error":{"rate":2.0}}"#, r#"{"bogus":{}}"#, "not json"] {
        let opts = Opts {
            chaos: Some(bad.to_string()),
            ..Opts::db(&db)
        };
        let mut svc = Svc::spawn("api", &opts);
        let status = svc.guard.wait_timeout(Duration::from_secs(10));
        let status = status.unwrap_or_else(|| panic!("api kept running with --chaos {bad}"));
        assert!(!status.success(), "--chaos {bad}: {status:?}");
    }
}
