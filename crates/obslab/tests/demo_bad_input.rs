//! Bad input on every endpoint that takes a body or a parameter: a clear JSON error with a 4xx
//! status, nothing applied, and the process still answering afterwards.

#[path = "demo_support.rs"]
mod support;

use serde_json::{Value, json};
use support::*;

/// A JSON body just over 64 KiB.
fn oversized(field: &str) -> Vec<u8> {
    json!({ field: "x".repeat(70 * 1024) }).to_string().into_bytes()
}

fn assert_status(r: &obslab_testkit::http::Response, expected: u16, what: &str) {
    assert_eq!(r.status, expected, "{what}: {}", r.text());
    assert!(
        r.is_json_error(),
        "{what}: error body must be {{\"error\": ...}}, got {:?}",
        r.text()
    );
}

fn assert_4xx(r: &obslab_testkit::http::Response, what: &str) {
    assert!(
        (400..500).contains(&r.status),
        "{what}: {} {}",
        r.status,
        r.text()
    );
    assert!(
        r.is_json_error(),
        "{what}: error body must be {{\"error\": ...}}, got {:?}",
        r.text()
    );
}

/// The chaos bodies every service must refuse with 400, leaving its faults off.
fn bad_chaos_bodies() -> Vec<(&'static str, Vec<u8>)> {
    let j = |v: Value| v.to_string().into_bytes();
    vec![
        ("slow", b"{\"delay_ms\": 10,".to_vec()),
        ("slow", b"".to_vec()),
        ("slow", j(json!({"delay_ms": 10, "bogus": 1}))),
        ("slow", j(json!({"delay_ms": "ten"}))),
        ("slow", j(json!({"delay_ms": -1}))),
        ("slow", j(json!({"delay_ms": 10, "probability": 1.5}))),
        ("slow", j(json!({"delay_ms": 10, "probability": -0.1}))),
        ("slow", j(json!({"probability": 0.5}))),
        ("slow", j(json!({"delay_ms": 10, "duration_s": -1}))),
        ("slow", j(json!({"delay_ms": 10, "duration_s": "soon"}))),
        ("error", j(json!({"rate": 1.5}))),
        ("error", j(json!({"rate": -0.5}))),
        ("error", j(json!({"rate": 0.5, "status": 200}))),
        ("error", j(json!({"rate": 0.5, "status": 600}))),
        ("error", j(json!({"rate": 0.5, "status": "500"}))),
        ("error", j(json!({"rate": 0.5, "unknown": true}))),
        ("error", j(json!({"status": 500}))),
        ("leak", j(json!({"mb_per_min": 0}))),
        ("leak", j(json!({"mb_per_min": -5}))),
        ("leak", j(json!({}))),
        ("leak", j(json!({"mb_per_min": 10, "extra": 1}))),
        ("db-slow", j(json!({}))),
        ("db-slow", j(json!({"delay_ms": -3}))),
        ("db-slow", j(json!({"delay_ms": 10, "what": 1}))),
        ("crash", j(json!({"now": true}))),
        ("crash", b"{oops".to_vec()),
        // A JSON array is not an object, even when its items would fit the fields in order.
        ("error", j(json!([0.5]))),
        ("slow", j(json!([100, 1.0]))),
    ]
}

fn check_chaos_refusals(svc: &Svc) {
    for (kind, body) in bad_chaos_bodies() {
        let r = svc.post_raw(&format!("/chaos/{kind}"), &body);
        assert_status(
            &r,
            400,
            &format!(
                "{} POST /chaos/{kind} {:?}",
                svc.name,
                String::from_utf8_lossy(&body)
            ),
        );
    }
    assert!(svc.alive(), "{} exited on a refused chaos body", svc.name);
    let state = svc.chaos();
    for fault in ["slow", "error", "leak", "db_slow"] {
        assert!(
            state[fault].is_null(),
            "{}: a refused body changed {fault}: {state}",
            svc.name
        );
    }
    let r = svc.post("/chaos/nonsense", &json!({}));
    assert_eq!(r.status, 404, "{}", r.text());
    svc.assert_healthy();
}

#[test]
fn chaos_bodies_are_validated_on_every_service() {
    let shop = Shop::start(None, true, true);
    for svc in [
        &shop.api,
        &shop.payment,
        &shop.inventory,
        shop.worker(),
        shop.gateway(),
    ] {
        check_chaos_refusals(svc);
    }
}

#[test]
fn api_bodies_and_parameters_are_validated() {
    let db = Db::new();
    let api = Svc::start("api", &Opts::db(&db));
    let task = api.post("/api/tasks", &json!({"title": "keep me"}));
    let id = task.json()["id"].as_i64().unwrap();

    // Bodies over 64 KiB: 413, whatever their content.
    for (method, path, field) in [
        ("POST", "/api/orders".to_string(), "customer_id"),
        ("POST", "/api/tasks".to_string(), "title"),
        ("PUT", format!("/api/tasks/{id}"), "title"),
        ("POST", "/chaos/slow".to_string(), "delay_ms"),
    ] {
        let r = api.req(method, &path).body(oversized(field)).send().unwrap();
        assert_status(&r, 413, &format!("{method} {path} with 70 KiB"));
    }
    // Just under the limit is not refused for its size.
    let under = json!({"title": "y".repeat(60 * 1024)}).to_string();
    let r = api.req("POST", "/api/tasks").body(under).send().unwrap();
    assert_status(&r, 400, "a 60 KiB title is too long, not too large");

    // Malformed JSON and wrong shapes.
    for (method, path) in [
        ("POST", "/api/tasks".to_string()),
        ("PUT", format!("/api/tasks/{id}")),
    ] {
        for raw in [&b"{\"title\": "[..], b"[[[", b"\xff\xfe", b"null", b"42"] {
            let r = api.req(method, &path).body(raw.to_vec()).send().unwrap();
            assert_4xx(&r, &format!("{method} {path} {:?}", String::from_utf8_lossy(raw)));
        }
    }
    let r = api
        .req("POST", "/api/tasks")
        .header("content-type", "text/plain")
        .body("title")
        .send()
        .unwrap();
    assert_4xx(&r, "a non-JSON content type");

    // Non-numeric and out-of-range ids and parameters.
    for path in [
        "/api/tasks/abc",
        "/api/tasks/-",
        "/api/tasks/18446744073709551616",
        "/api/products/abc",
        "/api/products/1e3",
        "/api/simulate-slow?delay=abc",
        "/api/simulate-slow?delay=30001",
        "/api/simulate-slow?delay=-1",
        "/api/simulate-slow?delay=18446744073709551616",
    ] {
        assert_status(&api.get(path), 400, &format!("GET {path}"));
    }
    let r = api.get(&format!("/api/tasks/{id}"));
    assert_eq!(r.json()["title"], "keep me", "bad requests changed nothing");
    assert!(api.alive());
    api.assert_healthy();
}

#[test]
fn payment_and_inventory_refuse_bad_bodies() {
    let db = Db::new();
    let _api = Svc::start("api", &Opts::db(&db));
    let payment = Svc::start("payment", &Opts::db(&db));
    let inventory = Svc::start("inventory", &Opts::db(&db));
    let big = json!({"order_id": 1, "amount": 1.0, "method": "card", "pad": "x".repeat(3 << 20)}).to_string();
    for (svc, path) in [
        (&payment, "/payments/authorize"),
        (&inventory, "/inventory/reserve"),
        (&inventory, "/inventory/restock"),
    ] {
        for raw in [&b"{"[..], b"", b"[]", b"\"x\"", b"{\"product_id\": }"] {
            let r = svc.post_raw(path, raw);
            assert_4xx(&r, &format!("{path} {:?}", String::from_utf8_lossy(raw)));
        }
        let r = svc.req("POST", path).body(big.clone()).send().unwrap();
        assert_status(&r, 413, &format!("{path} with 3 MiB"));
        let r = svc.req("POST", path).body(oversized("pad")).send().unwrap();
        assert_status(&r, 413, &format!("{path} with 70 KiB"));
    }
    for path in [
        "/inventory/abc",
        "/inventory/1.5",
        "/inventory/99999999999999999999999",
    ] {
        assert_status(&inventory.get(path), 400, &format!("GET {path}"));
    }
    payment.assert_healthy();
    inventory.assert_healthy();
}

#[test]
fn the_gateway_survives_odd_requests() {
    let shop = Shop::start(None, false, true);
    let gw = shop.gateway();
    let r = gw.post_raw("/api/orders", b"{\"customer_id\": ");
    assert_status(&r, 400, "malformed order through the gateway");
    let r = gw
        .req("POST", "/api/tasks")
        .body(oversized("title"))
        .send()
        .unwrap();
    assert_status(&r, 413, "oversized task through the gateway");
    let r = gw.get("/api/tasks/abc");
    assert_status(&r, 400, "non-numeric id through the gateway");
    for path in ["/%ZZ", "/api/%ZZ", "/no-such-page", "/api/../health"] {
        let r = gw.get(path);
        assert!(
            r.status < 500 || r.status == 502,
            "{path}: {} {}",
            r.status,
            r.text()
        );
    }
    assert!(gw.alive());
    gw.assert_healthy();
    shop.api.assert_healthy();
}
