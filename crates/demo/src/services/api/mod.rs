//! api: the shop's backend. Products (with a small in-process cache), orders (payment, then
//! inventory, then a fulfilment job), tasks, and endpoints that simulate slowness and errors.

mod misc;
mod orders;
mod products;
mod tasks;

use crate::cli::RunArgs;
use crate::db::Db;
use crate::server::Shell;
use axum::Router;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

pub use orders::{OrderItem, OrderRequest};
pub use tasks::TaskBody;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: String,
}

/// The api's business metrics.
#[derive(Clone)]
struct ApiMetrics {
    orders: Family<StatusLabels, Counter>,
    orders_value: Counter<f64, AtomicU64>,
    cache: Family<ResultLabels, Counter>,
}

#[derive(Clone)]
struct ApiState {
    db: Db,
    client: reqwest::Client,
    payment_url: String,
    inventory_url: String,
    cache: Arc<products::ProductCache>,
    metrics: ApiMetrics,
}

/// The api routes.
pub fn app(args: &RunArgs, shell: &mut Shell) -> anyhow::Result<Router> {
    let db = Db::open(&args.db, shell.chaos.clone(), &mut shell.registry)?;
    let metrics = ApiMetrics {
        orders: Family::default(),
        orders_value: Counter::default(),
        cache: Family::default(),
    };
    let r = &mut shell.registry;
    r.register("orders", "Orders by final status", metrics.orders.clone());
    r.register(
        "orders_value",
        "Total value of confirmed orders",
        metrics.orders_value.clone(),
    );
    r.register(
        "cache_hits",
        "Product cache lookups by result (hit or miss)",
        metrics.cache.clone(),
    );
    let state = ApiState {
        db,
        client: super::http_client(Duration::from_secs(10))?,
        payment_url: args.payment_url.trim_end_matches('/').to_string(),
        inventory_url: args.inventory_url.trim_end_matches('/').to_string(),
        cache: Arc::new(products::ProductCache::default()),
        metrics,
    };
    Ok(Router::new()
        .route("/api/users", get(misc::users))
        .route("/api/slow", get(misc::slow))
        .route("/api/simulate-slow", get(misc::simulate_slow))
        .route("/api/simulate-error", get(misc::simulate_error))
        .route("/api/smoke/db", get(misc::smoke_db))
        .route("/api/products", get(products::list))
        .route("/api/products/{id}", get(products::one))
        .route("/api/orders", get(orders::list).post(orders::create))
        .route("/api/orders/{id}", get(orders::one))
        .route("/api/tasks", get(tasks::list).post(tasks::create))
        .route(
            "/api/tasks/{id}",
            get(tasks::one).put(tasks::update).delete(tasks::delete),
        )
        .with_state(state))
}
