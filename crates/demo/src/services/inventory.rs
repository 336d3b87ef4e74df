//! inventory: the stock of every product (products.stock in the shared database). Reservations
//! are one atomic UPDATE; a background task restocks low products slowly so steady traffic never
//! empties the shop for good.

use crate::cli::RunArgs;
use crate::db::schema::LOW_STOCK_THRESHOLD;
use crate::db::{Db, DbError};
use crate::http_util::{ApiError, ApiJson, parse_id};
use crate::server::Shell;
use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the stock gauges are refreshed from the database.
const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// How often low products get a restock delivery, and how big it is.
const RESTOCK_EVERY: Duration = Duration::from_secs(20);
const RESTOCK_AMOUNT: i64 = 15;
/// Largest quantity one reserve or restock may move.
const MAX_QUANTITY: i64 = 10_000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StockLabels {
    product_id: String,
    product_name: String,
}

#[derive(Clone)]
struct InventoryState {
    db: Db,
    stock: Family<StockLabels, Gauge>,
    low: Gauge,
}

#[derive(Debug, Deserialize)]
struct StockChange {
    product_id: i64,
    quantity: i64,
}

impl StockChange {
    fn validate(&self) -> Result<(), ApiError> {
        if self.product_id <= 0 {
            return Err(ApiError::bad_request("product_id must be a positive integer"));
        }
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            return Err(ApiError::bad_request(format!(
                "quantity must be between 1 and {MAX_QUANTITY}"
            )));
        }
        Ok(())
    }
}

/// The inventory routes and background tasks.
pub fn app(args: &RunArgs, shell: &mut Shell) -> anyhow::Result<Router> {
    let db = Db::open(&args.db, shell.chaos.clone(), &mut shell.registry)?;
    let state = InventoryState {
        db,
        stock: Family::default(),
        low: Gauge::default(),
    };
    shell.registry.register(
        "inventory_stock_level",
        "Units in stock per product",
        state.stock.clone(),
    );
    shell.registry.register(
        "inventory_low_stock_products",
        "Products whose stock is below the low-stock threshold",
        state.low.clone(),
    );
    tokio::spawn(background(state.clone(), shell.cancel.clone()));
    Ok(Router::new()
        .route("/inventory", get(list))
        .route("/inventory/reserve", post(reserve))
        .route("/inventory/restock", post(restock))
        .route("/inventory/{product_id}", get(one))
        .with_state(state))
}

type Row = (i64, String, i64);

async fn all_stock(db: &Db) -> Result<Vec<Row>, DbError> {
    const SQL: &str = "SELECT id, name, stock FROM products ORDER BY id";
    db.query(SQL, |c| {
        let mut stmt = c.prepare_cached(SQL)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    })
    .await
}

/// Sets the gauges from the database.
async fn refresh(s: &InventoryState) -> Result<(), DbError> {
    let rows = all_stock(&s.db).await?;
    let mut low = 0;
    for (id, name, stock) in rows {
        s.stock
            .get_or_create(&StockLabels {
                product_id: id.to_string(),
                product_name: name,
            })
            .set(stock);
        if stock < LOW_STOCK_THRESHOLD {
            low += 1;
        }
    }
    s.low.set(low);
    Ok(())
}

async fn background(s: InventoryState, cancel: CancellationToken) {
    let mut refresh_tick = tokio::time::interval(REFRESH_EVERY);
    let mut restock_tick = tokio::time::interval(RESTOCK_EVERY);
    restock_tick.tick().await;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = refresh_tick.tick() => {}
            _ = restock_tick.tick() => {
                if let Err(e) = auto_restock(&s.db).await {
                    tracing::error!(error = %e, "automatic restock failed");
                }
            }
        }
        if let Err(e) = refresh(&s).await {
            tracing::error!(error = %e, "refreshing stock levels failed");
        }
    }
}

async fn auto_restock(db: &Db) -> Result<(), DbError> {
    const SQL: &str = "UPDATE products SET stock = stock + ?1 WHERE stock < ?2 RETURNING id, name, stock";
    let rows: Vec<Row> = db
        .query(SQL, |c| {
            let mut stmt = c.prepare_cached(SQL)?;
            let rows = stmt.query_map(params![RESTOCK_AMOUNT, LOW_STOCK_THRESHOLD], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            rows.collect()
        })
        .await?;
    for (product_id, product_name, stock) in rows {
        tracing::info!(
            product_id,
            product_name,
            stock,
            added = RESTOCK_AMOUNT,
            "automatic restock delivered"
        );
    }
    Ok(())
}

fn log_level_for(product_id: i64, name: &str, stock: i64) {
    if stock == 0 {
        tracing::error!(product_id, product_name = name, stock, "product out of stock");
    } else if stock < LOW_STOCK_THRESHOLD {
        tracing::warn!(
            product_id,
            product_name = name,
            stock,
            threshold = LOW_STOCK_THRESHOLD,
            "low stock"
        );
    }
}

async fn after_change(s: &InventoryState) {
    if let Err(e) = refresh(s).await {
        tracing::error!(error = %e, "refreshing stock levels failed");
    }
}

async fn reserve(
    State(s): State<InventoryState>,
    ApiJson(req): ApiJson<StockChange>,
) -> Result<Response, ApiError> {
    req.validate()?;
    const SQL: &str =
        "UPDATE products SET stock = stock - ?2 WHERE id = ?1 AND stock >= ?2 RETURNING name, stock";
    let (id, qty) = (req.product_id, req.quantity);
    let reserved: Option<(String, i64)> =
        s.db.query(SQL, move |c| {
            c.prepare_cached(SQL)?
                .query_row(params![id, qty], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .await?;
    match reserved {
        Some((name, stock)) => {
            tracing::info!(product_id = id, quantity = qty, stock, "stock reserved");
            log_level_for(id, &name, stock);
            after_change(&s).await;
            Ok(Json(json!({"product_id": id, "reserved": qty, "stock": stock})).into_response())
        }
        None => match stock_of(&s.db, id).await? {
            None => Err(ApiError::not_found(format!("unknown product {id}"))),
            Some((name, available)) => {
                tracing::warn!(
                    product_id = id,
                    product_name = name,
                    requested = qty,
                    available,
                    "not enough stock"
                );
                let body = json!({
                    "error": "insufficient stock", "product_id": id, "requested": qty, "available": available,
                });
                Ok((StatusCode::CONFLICT, Json(body)).into_response())
            }
        },
    }
}

async fn restock(
    State(s): State<InventoryState>,
    ApiJson(req): ApiJson<StockChange>,
) -> Result<Json<Value>, ApiError> {
    req.validate()?;
    const SQL: &str = "UPDATE products SET stock = stock + ?2 WHERE id = ?1 RETURNING stock";
    let (id, qty) = (req.product_id, req.quantity);
    let stock: Option<i64> =
        s.db.query(SQL, move |c| {
            c.prepare_cached(SQL)?
                .query_row(params![id, qty], |r| r.get(0))
                .optional()
        })
        .await?;
    let stock = stock.ok_or_else(|| ApiError::not_found(format!("unknown product {id}")))?;
    tracing::info!(product_id = id, quantity = qty, stock, "restocked");
    after_change(&s).await;
    Ok(Json(json!({"product_id": id, "restocked": qty, "stock": stock})))
}

async fn stock_of(db: &Db, id: i64) -> Result<Option<(String, i64)>, DbError> {
    const SQL: &str = "SELECT name, stock FROM products WHERE id = ?1";
    db.query(SQL, move |c| {
        c.prepare_cached(SQL)?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    })
    .await
}

fn stock_json(id: i64, name: &str, stock: i64) -> Value {
    json!({"product_id": id, "name": name, "stock": stock, "low_stock": stock < LOW_STOCK_THRESHOLD})
}

async fn one(State(s): State<InventoryState>, Path(raw): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&raw)?;
    let (name, stock) = stock_of(&s.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("unknown product {id}")))?;
    Ok(Json(stock_json(id, &name, stock)))
}

async fn list(State(s): State<InventoryState>) -> Result<Json<Value>, ApiError> {
    let rows = all_stock(&s.db).await?;
    Ok(Json(Value::Array(
        rows.iter().map(|(id, n, st)| stock_json(*id, n, *st)).collect(),
    )))
}
