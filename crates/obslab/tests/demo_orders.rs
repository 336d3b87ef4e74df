//! The order flow across api, payment, inventory and worker: success, invalid input (400),
//! declined payment (402), not enough stock (409), the random failure mix, and the metrics it
//! leaves behind.

#[path = "demo_support.rs"]
mod support;

use std::time::Duration;

use serde_json::json;
use support::*;

/// Places `order` until it succeeds (orders fail at random about 10% of the time).
fn place_until_created(api: &Svc, body: &serde_json::Value) -> serde_json::Value {
    let mut seen = Vec::new();
    for _ in 0..15 {
        let r = api.post("/api/orders", body);
        if r.status == 201 {
            return r.json();
        }
        seen.push((r.status, r.text()));
    }
    panic!("no order succeeded in 15 tries: {seen:?}");
}

fn stock(shop: &Shop, product_id: i64) -> i64 {
    let r = shop.inventory.get(&format!("/inventory/{product_id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    v["stock"]
        .as_i64()
        .unwrap_or_else(|| panic!("no numeric stock in {v}"))
}

#[test]
fn an_order_succeeds_with_201_and_reserves_stock() {
    let shop = Shop::start(None, false, false);
    let pid = product_ids(&shop.api)[0];
    let before = stock(&shop, pid);
    let o = place_until_created(&shop.api, &order(pid, 2));
    assert!(o["id"].as_i64().is_some(), "order JSON without an id: {o}");
    let after = stock(&shop, pid);
    assert!(
        before - after >= 2,
        "stock of {pid} went {before} -> {after} after a 2-unit order"
    );

    let m = shop.api.metrics();
    assert!(m.sum("orders_total", &[]) >= 1.0, "orders_total after an order");
    m.assert_family("orders_total", "counter", &["status"]);
    assert!(
        m.sum("orders_value_total", &[]) > 0.0,
        "orders_value_total after an order"
    );
    assert!(
        m.sum(
            "http_requests_total",
            &[("method", "POST"), ("endpoint", "/api/orders"), ("status", "201")]
        ) >= 1.0
    );
}

#[test]
fn invalid_orders_are_400() {
    let shop = Shop::start(None, false, false);
    let pid = product_ids(&shop.api)[0];
    let item = |product_id: serde_json::Value, quantity: serde_json::Value| json!({"customer_id": 1, "items": [{"product_id": product_id, "quantity": quantity}], "payment_method": "card"});
    let cases = [
        item(json!(999_999), json!(1)),
        item(json!(pid), json!(0)),
        item(json!(pid), json!(-1)),
        item(json!(pid), json!(1.5)),
        item(json!(pid), json!("2")),
        item(json!("abc"), json!(1)),
        item(json!(null), json!(1)),
        json!({"customer_id": 1, "payment_method": "card"}),
        json!({"customer_id": 1, "items": [], "payment_method": "card"}),
        json!({"customer_id": 1, "items": {"product_id": pid, "quantity": 1}, "payment_method": "card"}),
        json!({"customer_id": 1, "items": [{"product_id": pid, "quantity": 1}], "payment_method": "bitcoin"}),
        json!({"customer_id": 1, "items": [{"product_id": pid, "quantity": 1}]}),
        json!({"customer_id": "abc", "items": [{"product_id": pid, "quantity": 1}], "payment_method": "card"}),
        json!({"items": [{"product_id": pid, "quantity": 1}], "payment_method": "card"}),
        json!([1, 2, 3]),
        json!("order"),
    ];
    for body in cases {
        let r = shop.api.post("/api/orders", &body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.is_json_error(), "{body}: {}", r.text());
    }
    for raw in [
        &b"{\"customer_id\": 1,"[..],
        b"",
        b"not json",
        b"{\"customer_id\":1}}",
    ] {
        let r = shop.api.post_raw("/api/orders", raw);
        assert_eq!(r.status, 400, "{:?}: {}", String::from_utf8_lossy(raw), r.text());
        assert!(r.is_json_error(), "{}", r.text());
    }
    shop.api.assert_healthy();
}

#[test]
fn not_enough_stock_is_409() {
    let shop = Shop::start(None, false, false);
    let pid = product_ids(&shop.api)[0];
    let before = stock(&shop, pid);
    // More than there is: 409 (payment may decline first at random, so retry a few times).
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let r = shop.api.post("/api/orders", &order(pid, before + 1));
        statuses.push(r.status);
        if r.status != 402 {
            assert_eq!(r.status, 409, "{before}+1 units of {pid}: {}", r.text());
            assert!(r.is_json_error(), "{}", r.text());
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&409), "{statuses:?}");
    assert_eq!(stock(&shop, pid), before, "a refused order must not take stock");

    // Sold out: even one unit is 409.
    let r = shop.inventory.post(
        "/inventory/reserve",
        &json!({"product_id": pid, "quantity": before}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stock(&shop, pid), 0);
    let mut last = 0;
    for _ in 0..10 {
        last = shop.api.post("/api/orders", &order(pid, 1)).status;
        if last != 402 {
            break;
        }
    }
    assert_eq!(last, 409, "one unit of a sold-out product");
}

#[test]
fn a_declined_payment_is_402() {
    let shop = Shop::start(None, false, false);
    let pid = product_ids(&shop.api)[0];
    // Payment declines everything: it answers 402 like a card processor's refusal.
    shop.payment
        .set_chaos("error", &json!({"rate": 1.0, "status": 402}));
    let before = stock(&shop, pid);
    for _ in 0..3 {
        let r = shop.api.post("/api/orders", &order(pid, 1));
        assert_eq!(r.status, 402, "{}", r.text());
        assert!(r.is_json_error(), "{}", r.text());
    }
    assert_eq!(stock(&shop, pid), before, "a declined order must not take stock");
    let m = shop.api.metrics();
    assert!(
        m.sum("orders_total", &[]) >= 3.0,
        "declined orders are counted too"
    );
}

#[test]
fn a_payment_outage_is_a_clean_5xx() {
    let shop = Shop::start(None, false, false);
    let pid = product_ids(&shop.api)[0];
    shop.payment
        .set_chaos("error", &json!({"rate": 1.0, "status": 503}));
    let r = shop.api.post("/api/orders", &order(pid, 1));
    assert!((500..600).contains(&r.status), "{} {}", r.status, r.text());
    assert!(r.is_json_error(), "{}", r.text());

    // Payment gone altogether.
    drop(shop.payment);
    let r = shop.api.post("/api/orders", &order(pid, 1));
    assert!((500..600).contains(&r.status), "{} {}", r.status, r.text());
    assert!(r.is_json_error(), "{}", r.text());
    shop.api.assert_healthy();
}

#[test]
fn orders_fail_about_ten_percent_of_the_time() {
    let shop = Shop::start(None, false, false);
    let ids = product_ids(&shop.api);
    let port = shop.api.port;
    let n = 100;
    let results = parallel(n, 8, move |i| {
        let pid = ids[i % ids.len()];
        let r = obslab_testkit::http::post_json(port, "/api/orders", &order(pid, 1)).unwrap();
        (r.status, r.status == 201 || r.is_json_error(), r.elapsed)
    });
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    let mix = status_mix(&statuses);
    let created = mix.get(&201).copied().unwrap_or(0);
    let failed = n - created;
    assert!(
        (1..=40).contains(&failed),
        "about 10% of valid orders should fail: {mix:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == 201 || *s == 402 || *s == 409 || *s >= 500),
        "unexpected statuses for valid orders: {mix:?}"
    );
    assert!(
        results.iter().all(|r| r.1),
        "every failed order has a JSON error body"
    );
    let mut times: Vec<Duration> = results.iter().filter(|r| r.0 == 201).map(|r| r.2).collect();
    times.sort();
    let median = times[times.len() / 2];
    assert!(
        median >= Duration::from_millis(95),
        "orders take 100-300 ms, median {median:?}"
    );
    let m = shop.api.metrics();
    let counted = m.sum("orders_total", &[]);
    assert!(
        counted >= n as f64,
        "orders_total {counted} counts all {n} orders"
    );
}

#[test]
fn the_worker_processes_fulfilment_jobs() {
    let shop = Shop::start(None, true, false);
    let w = shop.worker();
    let r = w.get("/health");
    assert_eq!(r.json(), json!({"status": "ok", "service": "worker"}));
    w.metrics().assert_family("worker_queue_depth", "gauge", &[]);

    let pid = product_ids(&shop.api)[0];
    place_until_created(&shop.api, &order(pid, 1));
    place_until_created(&shop.api, &order(pid, 1));
    let mut last = None;
    let done = obslab_testkit::wait_until(Duration::from_secs(30), || {
        let m = w.metrics();
        let processed = m.sum("worker_jobs_processed_total", &[]);
        last = Some(processed);
        processed >= 2.0
    });
    assert!(done, "worker processed {last:?} jobs of 2 within 30 s");
    let m = w.metrics();
    m.assert_family("worker_jobs_processed_total", "counter", &["status"]);
    m.assert_family("worker_job_duration_seconds", "histogram", &["le"]);
    assert!(m.sum("worker_job_duration_seconds_count", &[]) >= 2.0);
    assert!(m.series("worker_queue_depth")[0].value >= 0.0);
}
