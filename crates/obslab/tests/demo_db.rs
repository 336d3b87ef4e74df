//! The shop's SQLite file, read directly: the tables and views the issue lists, orders and
//! fulfilment jobs written by the order flow, tasks written by the task endpoints.

#[path = "demo_support.rs"]
mod support;

use std::time::Duration;

use rusqlite::Connection;
use serde_json::json;
use support::*;

fn open(db: &Db) -> Connection {
    let c = Connection::open(db.path()).unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    c
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn schema_has_the_tables_and_views_of_the_shop() {
    let db = Db::new();
    let _api = Svc::start("api", &Opts::db(&db));
    let c = open(&db);
    for table in [
        "products",
        "orders",
        "customers",
        "login_attempts",
        "tasks",
        "jobs",
    ] {
        let n = count(
            &c,
            &format!("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
        );
        assert_eq!(n, 1, "table {table}");
    }
    for view in ["low_stock_products", "order_stats_hourly"] {
        let n = count(
            &c,
            &format!("SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = '{view}'"),
        );
        assert_eq!(n, 1, "view {view}");
        count(&c, &format!("SELECT count(*) FROM {view}"));
    }
    assert!(
        count(&c, "SELECT count(*) FROM products") > 0,
        "products are seeded"
    );
    assert!(
        count(&c, "SELECT count(*) FROM customers") > 0,
        "customers are seeded"
    );
}

#[test]
fn orders_and_fulfilment_jobs_are_written() {
    let shop = Shop::start(None, false, false);
    let c = open(&shop.db);
    let orders_before = count(&c, "SELECT count(*) FROM orders");
    let jobs_before = count(&c, "SELECT count(*) FROM jobs");
    let pid = product_ids(&shop.api)[0];
    let mut created = 0;
    for _ in 0..15 {
        if shop.api.post("/api/orders", &order(pid, 1)).status == 201 {
            created += 1;
            if created == 2 {
                break;
            }
        }
    }
    assert_eq!(created, 2, "two orders created");
    assert!(count(&c, "SELECT count(*) FROM orders") >= orders_before + 2);
    assert!(
        count(&c, "SELECT count(*) FROM jobs") >= jobs_before + 2,
        "each order enqueues a fulfilment job (no worker runs here)"
    );
    assert!(
        count(&c, "SELECT count(*) FROM order_stats_hourly") >= 1,
        "order stats see the orders"
    );
}

#[test]
fn low_stock_view_follows_the_stock() {
    let db = Db::new();
    let api = Svc::start("api", &Opts::db(&db));
    let inv = Svc::start("inventory", &Opts::db(&db));
    let c = open(&db);
    let stock_of = |pid: i64| {
        inv.get(&format!("/inventory/{pid}")).json()["stock"]
            .as_i64()
            .unwrap()
    };
    let ids = product_ids(&api);
    let pid = *ids.iter().max_by_key(|id| stock_of(**id)).unwrap();
    let stock = stock_of(pid);
    let low = |c: &Connection| {
        count(
            c,
            &format!("SELECT count(*) FROM low_stock_products WHERE id = {pid}"),
        )
    };
    assert_eq!(low(&c), 0, "product {pid} starts with stock {stock}");
    let r = inv.post(
        "/inventory/reserve",
        &json!({"product_id": pid, "quantity": stock}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(low(&c), 1, "a sold-out product is in low_stock_products");
}

#[test]
fn tasks_live_in_the_tasks_table() {
    let db = Db::new();
    let api = Svc::start("api", &Opts::db(&db));
    let r = api.post("/api/tasks", &json!({"title": "stored"}));
    let id = r.json()["id"].as_i64().unwrap();
    let c = open(&db);
    let title: String = c
        .query_row("SELECT title FROM tasks WHERE id = ?1", [id], |r| r.get(0))
        .unwrap();
    assert_eq!(title, "stored");
    // A task added behind the api's back is served by it.
    c.execute(
        "INSERT INTO tasks (title, done, created_at, updated_at) \
         VALUES ('from sql', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        [],
    )
    .unwrap();
    let new_id = c.last_insert_rowid();
    let r = api.get(&format!("/api/tasks/{new_id}"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["title"], "from sql");
    assert_eq!(r.json()["done"], true);
}
