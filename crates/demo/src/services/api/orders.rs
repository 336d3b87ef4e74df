//! Orders: validate, price, authorise the payment, reserve the stock, then queue the fulfilment
//! job. Every failed step leaves the order with a status saying why.

use super::{ApiState, StatusLabels, products};
use crate::db::DbError;
use crate::http_util::{ApiError, ApiJson, parse_id};
use crate::services::payment::PaymentMethod;
use crate::telemetry::propagation;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Most distinct products in one order, and most units of one product.
pub const MAX_ITEMS: usize = 50;
pub const MAX_QUANTITY: i64 = 1000;

/// The body of POST /api/orders.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderRequest {
    pub customer_id: i64,
    pub items: Vec<OrderItem>,
    pub payment_method: PaymentMethod,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct OrderItem {
    pub product_id: i64,
    pub quantity: i64,
}

/// One priced line of an order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Line {
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    pub unit_price: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: i64,
    pub customer_id: i64,
    pub status: String,
    pub total: f64,
    pub payment_method: String,
    pub payment_id: Option<String>,
    pub items: Vec<Line>,
    pub created_at: String,
    pub updated_at: String,
}

impl OrderRequest {
    /// Checks the request; returns the items with repeated products merged, in product order.
    pub fn validate(&self) -> Result<Vec<(i64, i64)>, ApiError> {
        if self.customer_id <= 0 {
            return Err(ApiError::bad_request("customer_id must be a positive integer"));
        }
        if self.items.is_empty() {
            return Err(ApiError::bad_request("items must not be empty"));
        }
        if self.items.len() > MAX_ITEMS {
            return Err(ApiError::bad_request(format!(
                "at most {MAX_ITEMS} items per order"
            )));
        }
        let mut merged = BTreeMap::new();
        for item in &self.items {
            if item.product_id <= 0 {
                return Err(ApiError::bad_request("product_id must be a positive integer"));
            }
            if !(1..=MAX_QUANTITY).contains(&item.quantity) {
                return Err(ApiError::bad_request(format!(
                    "quantity must be between 1 and {MAX_QUANTITY}"
                )));
            }
            *merged.entry(item.product_id).or_insert(0) += item.quantity;
        }
        if merged.values().any(|q| *q > MAX_QUANTITY) {
            return Err(ApiError::bad_request(format!(
                "quantity must be between 1 and {MAX_QUANTITY}"
            )));
        }
        Ok(merged.into_iter().collect())
    }
}

/// Rounds money to cents.
pub fn round_cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn order_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    let items: String = r.get(6)?;
    Ok(Order {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        status: r.get(2)?,
        total: r.get(3)?,
        payment_method: r.get(4)?,
        payment_id: r.get(5)?,
        items: serde_json::from_str(&items).unwrap_or_default(),
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

/// The answer for an order: the order itself, plus `error` when it failed.
fn answer(status: StatusCode, order: &Order, error: Option<&str>) -> Response {
    let mut body = serde_json::to_value(order).unwrap_or_else(|_| json!({}));
    if let (Some(e), Some(obj)) = (error, body.as_object_mut()) {
        obj.insert("error".into(), Value::from(e));
    }
    (status, Json(body)).into_response()
}

/// Prices the items; an unknown product is the client's mistake (400).
async fn price(s: &ApiState, items: &[(i64, i64)]) -> Result<Vec<Line>, ApiError> {
    let mut lines = Vec::with_capacity(items.len());
    for &(product_id, quantity) in items {
        let p = products::find(s, product_id)
            .await?
            .ok_or_else(|| ApiError::bad_request(format!("unknown product {product_id}")))?;
        lines.push(Line {
            product_id,
            name: p.name,
            quantity,
            unit_price: p.price,
        });
    }
    Ok(lines)
}

async fn insert_pending(
    s: &ApiState,
    customer_id: i64,
    method: PaymentMethod,
    lines: Vec<Line>,
) -> Result<Order, DbError> {
    const SQL: &str = "INSERT INTO orders (customer_id, status, total, payment_method, items, created_at, updated_at) \
        VALUES (?1, 'pending', ?2, ?3, ?4, ?5, ?5) \
        RETURNING id, customer_id, status, total, payment_method, payment_id, items, created_at, updated_at";
    let total = round_cents(lines.iter().map(|l| l.unit_price * l.quantity as f64).sum());
    let items = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into());
    let now = crate::services::now_rfc3339();
    s.db.query(SQL, move |c| {
        c.prepare_cached(SQL)?.query_row(
            params![customer_id, total, method.as_str(), items, now],
            order_from_row,
        )
    })
    .await
}

/// How a payment attempt ended.
enum Payment {
    Authorized(String),
    /// Declined by the provider: the answer is 402.
    Declined(String),
    /// Payment could not be reached or failed: the status to answer and why.
    Unavailable(StatusCode, String),
}

async fn authorize(s: &ApiState, order: &Order) -> Payment {
    let url = format!("{}/payments/authorize", s.payment_url);
    let body = json!({"order_id": order.id, "amount": order.total, "method": order.payment_method});
    let resp = match propagation::send(
        &s.client,
        s.client.post(url).json(&body),
        "POST /payments/authorize",
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            let status = if e.is_timeout() {
                StatusCode::GATEWAY_TIMEOUT
            } else {
                StatusCode::BAD_GATEWAY
            };
            return Payment::Unavailable(status, format!("payment service unavailable: {e}"));
        }
    };
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let reason = |default: &str| body["reason"].as_str().unwrap_or(default).to_string();
    match status.as_u16() {
        200..=299 => match body["payment_id"].as_str() {
            Some(id) => Payment::Authorized(id.to_string()),
            None => Payment::Unavailable(
                StatusCode::BAD_GATEWAY,
                "payment answered without a payment_id".into(),
            ),
        },
        402 => Payment::Declined(reason("declined")),
        504 => Payment::Unavailable(
            StatusCode::GATEWAY_TIMEOUT,
            format!("payment failed: {}", reason("timeout")),
        ),
        code => Payment::Unavailable(
            StatusCode::BAD_GATEWAY,
            format!("payment failed with status {code}"),
        ),
    }
}

/// Why the stock could not be reserved.
enum StockProblem {
    OutOfStock(String),
    Unavailable(String),
}

async fn inventory_call(
    s: &ApiState,
    path: &str,
    product_id: i64,
    quantity: i64,
) -> reqwest::Result<reqwest::Response> {
    let url = format!("{}{path}", s.inventory_url);
    let body = json!({"product_id": product_id, "quantity": quantity});
    propagation::send(&s.client, s.client.post(url).json(&body), &format!("POST {path}")).await
}

/// Reserves every line; on failure gives back what was already reserved.
async fn reserve_all(s: &ApiState, lines: &[Line]) -> Result<(), StockProblem> {
    for (i, line) in lines.iter().enumerate() {
        let problem = match inventory_call(s, "/inventory/reserve", line.product_id, line.quantity).await {
            Ok(r) if r.status().is_success() => continue,
            Ok(r) if matches!(r.status().as_u16(), 409 | 404) => {
                StockProblem::OutOfStock(format!("not enough stock for product {}", line.product_id))
            }
            Ok(r) => {
                StockProblem::Unavailable(format!("inventory failed with status {}", r.status().as_u16()))
            }
            Err(e) => StockProblem::Unavailable(format!("inventory service unavailable: {e}")),
        };
        for done in &lines[..i] {
            if let Err(e) = inventory_call(s, "/inventory/restock", done.product_id, done.quantity).await {
                tracing::error!(product_id = done.product_id, error = %e, "giving back reserved stock failed");
            }
        }
        return Err(problem);
    }
    Ok(())
}

async fn set_status(s: &ApiState, order: &mut Order, status: &'static str) {
    const SQL: &str = "UPDATE orders SET status = ?2, payment_id = ?3, updated_at = ?4 WHERE id = ?1";
    let (id, payment_id, now) = (order.id, order.payment_id.clone(), crate::services::now_rfc3339());
    order.status = status.to_string();
    order.updated_at = now.clone();
    if let Err(e) =
        s.db.query(SQL, move |c| c.execute(SQL, params![id, status, payment_id, now]))
            .await
    {
        tracing::error!(order_id = id, status, error = %e, "updating the order status failed");
    }
}

/// Confirms the order and queues its fulfilment, in one transaction.
async fn confirm(s: &ApiState, order: &mut Order) -> Result<(), DbError> {
    const SQL: &str =
        "UPDATE orders SET status = 'confirmed', payment_id = ?2, updated_at = ?3 WHERE id = ?1";
    let (id, payment_id, now) = (order.id, order.payment_id.clone(), crate::services::now_rfc3339());
    let traceparent = propagation::current_traceparent();
    let payload = json!({"order_id": id}).to_string();
    let at = now.clone();
    s.db.query(SQL, move |c| {
        let tx = c.transaction()?;
        tx.execute(SQL, params![id, payment_id, at])?;
        tx.execute(
            "INSERT INTO jobs (kind, payload, traceparent, created_at) VALUES ('fulfil_order', ?1, ?2, ?3)",
            params![payload, traceparent, at],
        )?;
        tx.commit()
    })
    .await?;
    order.status = "confirmed".into();
    order.updated_at = now;
    Ok(())
}

fn count(s: &ApiState, status: &str) {
    s.metrics
        .orders
        .get_or_create(&StatusLabels {
            status: status.into(),
        })
        .inc();
}

/// Marks the order failed and answers with it.
async fn fail(s: &ApiState, mut order: Order, status: &'static str, code: StatusCode, why: &str) -> Response {
    set_status(s, &mut order, status).await;
    count(s, status);
    tracing::warn!(order_id = order.id, status, reason = why, "order failed");
    answer(code, &order, Some(why))
}

/// POST /api/orders
pub async fn create(
    State(s): State<ApiState>,
    ApiJson(req): ApiJson<OrderRequest>,
) -> Result<Response, ApiError> {
    let items = req.validate()?;
    let lines = price(&s, &items).await?;
    // Pricing rules and the fraud pre-check of a real shop take a moment.
    tokio::time::sleep(crate::services::random_ms(40, 100)).await;
    let mut order = insert_pending(&s, req.customer_id, req.payment_method, lines).await?;
    match authorize(&s, &order).await {
        Payment::Authorized(id) => order.payment_id = Some(id),
        Payment::Declined(reason) => {
            let why = format!("payment declined: {reason}");
            return Ok(fail(&s, order, "payment_failed", StatusCode::PAYMENT_REQUIRED, &why).await);
        }
        Payment::Unavailable(code, why) => return Ok(fail(&s, order, "payment_failed", code, &why).await),
    }
    match reserve_all(&s, &order.items).await {
        Ok(()) => {}
        Err(StockProblem::OutOfStock(why)) => {
            return Ok(fail(&s, order, "out_of_stock", StatusCode::CONFLICT, &why).await);
        }
        Err(StockProblem::Unavailable(why)) => {
            return Ok(fail(&s, order, "failed", StatusCode::BAD_GATEWAY, &why).await);
        }
    }
    if let Err(e) = confirm(&s, &mut order).await {
        tracing::error!(order_id = order.id, error = %e, "confirming the order failed");
        return Ok(fail(
            &s,
            order,
            "failed",
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not confirm the order",
        )
        .await);
    }
    count(&s, "confirmed");
    s.metrics.orders_value.inc_by(order.total);
    tracing::info!(
        order_id = order.id,
        total = order.total,
        customer_id = order.customer_id,
        "order confirmed"
    );
    Ok(answer(StatusCode::CREATED, &order, None))
}

/// GET /api/orders: the 20 most recent orders.
pub async fn list(State(s): State<ApiState>) -> Result<Json<Vec<Order>>, ApiError> {
    const SQL: &str = "SELECT id, customer_id, status, total, payment_method, payment_id, items, created_at, \
        updated_at FROM orders ORDER BY id DESC LIMIT 20";
    let orders =
        s.db.query(SQL, |c| {
            let mut stmt = c.prepare_cached(SQL)?;
            let rows = stmt.query_map([], order_from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    Ok(Json(orders))
}

/// GET /api/orders/{id}
pub async fn one(State(s): State<ApiState>, Path(raw): Path<String>) -> Result<Json<Order>, ApiError> {
    let id = parse_id(&raw)?;
    const SQL: &str = "SELECT id, customer_id, status, total, payment_method, payment_id, items, created_at, \
        updated_at FROM orders WHERE id = ?1";
    let order =
        s.db.query(SQL, move |c| {
            c.prepare_cached(SQL)?.query_row([id], order_from_row).optional()
        })
        .await?;
    order
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("order {id} not found")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(json: &str) -> Result<OrderRequest, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn valid_orders_merge_repeated_products() {
        let r = req(
            r#"{"customer_id":3,"items":[{"product_id":2,"quantity":1},{"product_id":1,"quantity":2},
            {"product_id":2,"quantity":4}],"payment_method":"card"}"#,
        )
        .unwrap();
        assert_eq!(r.validate().unwrap(), vec![(1, 2), (2, 5)]);
    }

    #[test]
    fn invalid_orders_are_rejected() {
        for bad in [
            r#"{"customer_id":0,"items":[{"product_id":1,"quantity":1}],"payment_method":"card"}"#,
            r#"{"customer_id":1,"items":[],"payment_method":"card"}"#,
            r#"{"customer_id":1,"items":[{"product_id":1,"quantity":0}],"payment_method":"card"}"#,
            r#"{"customer_id":1,"items":[{"product_id":-1,"quantity":1}],"payment_method":"paypal"}"#,
            r#"{"customer_id":1,"items":[{"product_id":1,"quantity":600},{"product_id":1,"quantity":600}],
               "payment_method":"gift_card"}"#,
        ] {
            assert!(req(bad).unwrap().validate().is_err(), "{bad}");
        }
        for malformed in [
            r#"{"customer_id":"1","items":[],"payment_method":"card"}"#,
            r#"{"customer_id":1,"items":[{"product_id":1,"quantity":1.5}],"payment_method":"card"}"#,
            r#"{"customer_id":1,"items":[{"product_id":1,"quantity":1}],"payment_method":"bitcoin"}"#,
            r#"{"customer_id":1,"items":[{"product_id":1,"quantity":1}]}"#,
        ] {
            assert!(req(malformed).is_err(), "{malformed}");
        }
    }

    #[test]
    fn money_rounds_to_cents() {
        assert_eq!(round_cents(0.1 + 0.2), 0.3);
        assert_eq!(round_cents(24.9 * 3.0), 74.7);
    }
}
