//! The payment and inventory services on their own: their endpoints, validation, logs and
//! metrics.

#[path = "demo_support.rs"]
mod support;

use serde_json::json;
use support::*;

#[test]
fn payment_authorizes_with_realistic_failures_and_counts_them() {
    let payment = Svc::start("payment", &Opts::default());
    assert_eq!(
        payment.get("/health").json(),
        json!({"status": "ok", "service": "payment"})
    );
    let port = payment.port;
    let methods = ["card", "paypal", "bank_transfer", "gift_card"];
    let results = parallel(40, 4, move |i| {
        let body = json!({"order_id": i + 1, "amount": 10.5 + i as f64, "method": methods[i % 4]});
        let r = obslab_testkit::http::post_json(port, "/payments/authorize", &body).unwrap();
        let json_ok = if (200..300).contains(&r.status) {
            serde_json::from_slice::<serde_json::Value>(&r.body).is_ok()
        } else {
            r.is_json_error()
        };
        (r.status, json_ok)
    });
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    let mix = status_mix(&statuses);
    let ok = statuses.iter().filter(|s| (200..300).contains(*s)).count();
    assert!(ok >= 20, "most authorizations should succeed: {mix:?}");
    assert!(
        statuses
            .iter()
            .all(|s| (200..300).contains(s) || *s == 402 || *s >= 500),
        "failures are declines (402) or upstream errors (5xx): {mix:?}"
    );
    assert!(
        results.iter().all(|r| r.1),
        "every answer is JSON (errors as {{\"error\"}})"
    );

    let m = payment.metrics();
    m.assert_family("payments_total", "counter", &["status", "method"]);
    assert!(
        m.sum("payments_total", &[]) >= 40.0,
        "every authorization counted"
    );
    for method in methods {
        assert!(
            m.sum("payments_total", &[("method", method)]) >= 1.0,
            "{method} counted"
        );
    }
    assert_eq!(
        m.types.get("payment_amount_total").map(String::as_str),
        Some("counter")
    );
    assert!(m.sum("payment_amount_total", &[]) > 0.0);
}

#[test]
fn payment_rejects_invalid_requests_with_400() {
    let payment = Svc::start("payment", &Opts::default());
    for body in [
        json!({"order_id": 1, "amount": 0, "method": "card"}),
        json!({"order_id": 1, "amount": -5.0, "method": "card"}),
        json!({"order_id": 1, "amount": 10.0, "method": "bitcoin"}),
        json!({"order_id": 1, "amount": 10.0}),
        json!({"order_id": 1, "method": "card"}),
        json!({"amount": 10.0, "method": "card"}),
        json!({"order_id": 1, "amount": "ten", "method": "card"}),
        json!({"order_id": 1, "amount": 10.0, "method": 3}),
    ] {
        let r = payment.post("/payments/authorize", &body);
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.is_json_error(), "{body}: {}", r.text());
    }
    payment.assert_healthy();
}

fn api_and_inventory() -> (Db, Svc, Svc) {
    let db = Db::new();
    let api = Svc::start("api", &Opts::db(&db));
    let inventory = Svc::start("inventory", &Opts::db(&db));
    (db, api, inventory)
}

fn stock(inv: &Svc, pid: i64) -> i64 {
    let r = inv.get(&format!("/inventory/{pid}"));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["product_id"].as_i64(), Some(pid), "{v}");
    v["stock"]
        .as_i64()
        .unwrap_or_else(|| panic!("no numeric stock in {v}"))
}

#[test]
fn inventory_reserves_restocks_and_refuses_overdraw() {
    let (_db, api, inv) = api_and_inventory();
    assert_eq!(
        inv.get("/health").json(),
        json!({"status": "ok", "service": "inventory"})
    );
    let pid = product_ids(&api)[0];
    let s0 = stock(&inv, pid);
    assert!(s0 > 3, "seeded stock of {pid} is {s0}");

    let r = inv.post("/inventory/reserve", &json!({"product_id": pid, "quantity": 2}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stock(&inv, pid), s0 - 2);

    let r = inv.post(
        "/inventory/reserve",
        &json!({"product_id": pid, "quantity": s0 + 1000}),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    assert_eq!(stock(&inv, pid), s0 - 2, "a refused reservation takes nothing");

    let r = inv.post("/inventory/restock", &json!({"product_id": pid, "quantity": 5}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stock(&inv, pid), s0 + 3);

    let r = inv.get("/inventory/999999");
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    let r = inv.get("/inventory/abc");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    let r = inv.post(
        "/inventory/reserve",
        &json!({"product_id": 999_999, "quantity": 1}),
    );
    assert!(
        matches!(r.status, 400 | 404),
        "unknown product: {} {}",
        r.status,
        r.text()
    );
    assert!(r.is_json_error(), "{}", r.text());

    let m = inv.metrics();
    m.assert_family("inventory_stock_level", "gauge", &["product_id", "product_name"]);
    let level = m.find("inventory_stock_level", &[("product_id", &pid.to_string())]);
    assert_eq!(level.len(), 1, "{level:?}");
    assert_eq!(level[0].value, (s0 + 3) as f64);
    m.assert_family("inventory_low_stock_products", "gauge", &[]);
}

#[test]
fn inventory_warns_at_low_stock_and_errors_at_zero() {
    let (_db, api, inv) = api_and_inventory();
    let pid = product_ids(&api)[0];
    let s0 = stock(&inv, pid);
    let low_before = inv.metrics().series("inventory_low_stock_products")[0].value;

    let mark = inv.log_mark();
    let r = inv.post(
        "/inventory/reserve",
        &json!({"product_id": pid, "quantity": s0 - 1}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let level = |v: &serde_json::Value| v["level"].as_str().unwrap_or_default().to_ascii_uppercase();
    let warn = inv.wait_log_since(mark, std::time::Duration::from_secs(5), |v| {
        level(v).starts_with("WARN")
    });
    assert!(
        warn.is_some(),
        "a WARN log at low stock; logs: {:?}",
        inv.stdout()
    );
    let m = inv.metrics();
    assert!(
        m.series("inventory_low_stock_products")[0].value >= low_before + 1.0,
        "low-stock count should grow"
    );

    let mark = inv.log_mark();
    let r = inv.post("/inventory/reserve", &json!({"product_id": pid, "quantity": 1}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stock(&inv, pid), 0);
    let err = inv.wait_log_since(mark, std::time::Duration::from_secs(5), |v| level(v) == "ERROR");
    assert!(
        err.is_some(),
        "an ERROR log at zero stock; logs: {:?}",
        inv.stdout()
    );
    let m = inv.metrics();
    assert_eq!(
        m.find("inventory_stock_level", &[("product_id", &pid.to_string())])[0].value,
        0.0
    );

    let r = inv.post("/inventory/reserve", &json!({"product_id": pid, "quantity": 1}));
    assert_eq!(r.status, 409, "nothing left: {}", r.text());
}

#[test]
fn inventory_rejects_invalid_requests() {
    let (_db, api, inv) = api_and_inventory();
    let pid = product_ids(&api)[0];
    for path in ["/inventory/reserve", "/inventory/restock"] {
        for body in [
            json!({"product_id": pid, "quantity": 0}),
            json!({"product_id": pid, "quantity": -3}),
        ] {
            let r = inv.post(path, &body);
            assert_eq!(r.status, 400, "{path} {body}: {}", r.text());
            assert!(r.is_json_error(), "{path} {body}: {}", r.text());
        }
        for body in [
            json!({"product_id": pid}),
            json!({"quantity": 1}),
            json!({"product_id": "abc", "quantity": 1}),
            json!({"product_id": pid, "quantity": "many"}),
            json!({"product_id": pid, "quantity": 1.5}),
        ] {
            let r = inv.post(path, &body);
            assert!(
                (400..500).contains(&r.status),
                "{path} {body}: {} {}",
                r.status,
                r.text()
            );
            assert!(r.is_json_error(), "{path} {body}: {}", r.text());
        }
    }
    inv.assert_healthy();
}
