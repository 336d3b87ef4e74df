//! The gateway: the shop page, the `/api/*` reverse proxy, a clean 502 while api is down, picking
//! up a restarted api, access logs and page views.

#[path = "demo_support.rs"]
mod support;

use std::time::Duration;

use obslab_testkit::{free_port, wait_until};
use serde_json::json;
use support::*;

#[test]
fn serves_the_shop_page_and_counts_views() {
    let gw = Svc::start(
        "gateway",
        &Opts::default().arg("--api-url", &format!("http://127.0.0.1:{}", free_port())),
    );
    assert_eq!(
        gw.get("/health").json(),
        json!({"status": "ok", "service": "gateway"})
    );
    let r = gw.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "{:?}",
        r.headers
    );
    let page = r.text().to_ascii_lowercase();
    assert!(page.contains("<html"), "not an HTML page");
    for word in ["product", "order", "task"] {
        assert!(page.contains(word), "the shop page should offer {word}s");
    }
    assert_eq!(gw.get("/").status, 200);
    let m = gw.metrics();
    m.assert_family("page_views_total", "counter", &["page"]);
    assert!(
        m.sum("page_views_total", &[]) >= 2.0,
        "{:?}",
        m.series("page_views_total")
    );
}

#[test]
fn proxies_api_requests_with_their_status_and_body() {
    let shop = Shop::start(None, false, true);
    let gw = shop.gateway();
    let direct = shop.api.get("/api/products");
    let proxied = gw.get("/api/products");
    assert_eq!(proxied.status, 200, "{}", proxied.text());
    assert_eq!(proxied.json(), direct.json());

    let r = gw.post("/api/tasks", &json!({"title": "via the gateway"}));
    assert!(matches!(r.status, 200 | 201), "{} {}", r.status, r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = shop.api.get(&format!("/api/tasks/{id}"));
    assert_eq!(r.json()["title"], "via the gateway");
    let r = gw.put(
        &format!("/api/tasks/{id}"),
        &json!({"title": "renamed", "done": true}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = gw.delete(&format!("/api/tasks/{id}"));
    assert!(matches!(r.status, 200 | 204), "{}", r.status);

    // Statuses, error bodies and query strings go through unchanged.
    let r = gw.get("/api/tasks/999999");
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.is_json_error());
    let r = gw.get("/api/simulate-slow?delay=abc");
    assert_eq!(r.status, 400, "query string forwarded: {}", r.text());
    let r = gw.get("/api/simulate-slow?delay=150");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.elapsed >= Duration::from_millis(150));
    let r = gw.post_raw("/api/orders", b"{broken");
    assert_eq!(r.status, 400, "{}", r.text());

    let pid = product_ids(&shop.api)[0];
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let r = gw.post("/api/orders", &order(pid, 1));
        statuses.push(r.status);
        if r.status == 201 {
            assert!(r.json()["id"].as_i64().is_some());
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&201),
        "an order through the gateway: {statuses:?}"
    );
}

#[test]
fn writes_access_logs() {
    let shop = Shop::start(None, false, true);
    let gw = shop.gateway();
    assert_eq!(gw.get("/api/products").status, 200);
    let line = gw.wait_log(Duration::from_secs(5), |v| {
        v.to_string().contains("/api/products") && v["service"] == "gateway"
    });
    let line = line.unwrap_or_else(|| panic!("no access log for /api/products: {:?}", gw.stdout()));
    let text = line.to_string();
    assert!(
        text.contains("GET") && text.contains("200"),
        "access log has method and status: {line}"
    );
}

#[test]
fn api_down_gives_a_json_502_and_a_restarted_api_is_picked_up() {
    let db = Db::new();
    let api_port = free_port();
    let gw = Svc::start(
        "gateway",
        &Opts::default().arg("--api-url", &format!("http://127.0.0.1:{api_port}")),
    );

    for path in ["/api/products", "/api/tasks/1"] {
        let r = gw.get(path);
        assert_eq!(r.status, 502, "{path} with api down: {}", r.text());
        assert!(r.is_json_error(), "502 body must be JSON: {}", r.text());
        assert!(r.elapsed < Duration::from_secs(10));
    }
    let r = gw.post("/api/orders", &order(1, 1));
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    assert_eq!(gw.get("/").status, 200, "the page does not need api");
    gw.assert_healthy();

    let api = Svc::start("api", &Opts::db(&db).port(api_port));
    let up = wait_until(Duration::from_secs(10), || gw.get("/api/products").status == 200);
    assert!(up, "gateway should reach api once it is up");

    drop(api);
    let down = wait_until(Duration::from_secs(10), || gw.get("/api/products").status == 502);
    assert!(down, "gateway answers 502 again once api is gone");

    let _api = Svc::start("api", &Opts::db(&db).port(api_port));
    let mut last = 0;
    let back = wait_until(Duration::from_secs(10), || {
        last = gw.get("/api/products").status;
        last == 200
    });
    assert!(
        back,
        "a restarted api (same port) is picked up without restarting the gateway; last {last}"
    );
    gw.assert_healthy();
}

#[test]
fn gateway_faults_hit_proxied_requests_but_not_health() {
    let shop = Shop::start(None, false, true);
    let gw = shop.gateway();
    gw.set_chaos("error", &json!({"rate": 1.0, "status": 503}));
    let r = gw.get("/api/products");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.is_json_error(), "{}", r.text());
    assert_eq!(gw.get("/health").status, 200);
    assert_eq!(gw.get("/metrics").status, 200);
    assert_eq!(
        shop.api.chaos()["error"],
        serde_json::Value::Null,
        "faults are per service"
    );
    assert_eq!(shop.api.get("/api/products").status, 200);
    gw.post("/chaos/reset", &json!({}));
    assert_eq!(gw.get("/api/products").status, 200);
}
