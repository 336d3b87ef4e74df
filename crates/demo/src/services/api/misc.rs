//! Users, and the endpoints that exist to make latency and errors on purpose.

use super::ApiState;
use crate::http_util::ApiError;
use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Longest delay `/api/simulate-slow` accepts.
pub const MAX_SIMULATED_DELAY_MS: u64 = 30_000;
/// Delay of `/api/simulate-slow` without `?delay=`.
const DEFAULT_SIMULATED_DELAY_MS: u64 = 1_000;

/// GET /api/users: 50–200 ms, 5% errors.
pub async fn users(State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    tokio::time::sleep(crate::services::random_ms(50, 200)).await;
    if rand::random::<f64>() < 0.05 {
        tracing::error!("user directory lookup failed");
        return Err(ApiError::internal("user directory unavailable"));
    }
    const SQL: &str = "SELECT id, name, email FROM customers ORDER BY id LIMIT 50";
    let users =
        s.db.query(SQL, |c| {
            let mut stmt = c.prepare_cached(SQL)?;
            let rows = stmt.query_map([], |r| {
                Ok(json!({"id": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?,
                          "email": r.get::<_, String>(2)?}))
            })?;
            rows.collect::<rusqlite::Result<Vec<Value>>>()
        })
        .await?;
    Ok(Json(Value::Array(users)))
}

/// GET /api/slow: 3–5 s.
pub async fn slow() -> Json<Value> {
    let delay = crate::services::random_ms(3000, 5000);
    tokio::time::sleep(delay).await;
    Json(json!({"status": "ok", "delay_ms": delay.as_millis() as u64}))
}

/// Parses `?delay=` (milliseconds, at most [`MAX_SIMULATED_DELAY_MS`]).
pub fn parse_delay(q: &HashMap<String, String>) -> Result<u64, ApiError> {
    let Some(raw) = q.get("delay") else {
        return Ok(DEFAULT_SIMULATED_DELAY_MS);
    };
    match raw.trim().parse::<u64>() {
        Ok(ms) if ms <= MAX_SIMULATED_DELAY_MS => Ok(ms),
        _ => Err(ApiError::bad_request(format!(
            "delay must be a number of milliseconds between 0 and {MAX_SIMULATED_DELAY_MS}, got {raw:?}"
        ))),
    }
}

/// GET /api/simulate-slow?delay=ms
pub async fn simulate_slow(Query(q): Query<HashMap<String, String>>) -> Result<Json<Value>, ApiError> {
    let ms = parse_delay(&q)?;
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(Json(json!({"status": "ok", "delay_ms": ms})))
}

/// GET /api/simulate-error: always 500.
pub async fn simulate_error() -> ApiError {
    tracing::error!(error_kind = "simulated", "simulated failure");
    ApiError::internal("simulated error")
}

/// GET /api/smoke/db: a burst of the queries the shop runs, to light up the DB metrics.
pub async fn smoke_db(State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    const QUERIES: [&str; 5] = [
        "SELECT COUNT(*) FROM products",
        "SELECT COUNT(*) FROM low_stock_products",
        "SELECT COUNT(*) FROM order_stats_hourly",
        "SELECT COUNT(*) FROM tasks WHERE done = 0",
        "SELECT COUNT(*) FROM login_attempts WHERE success = 0",
    ];
    let start = Instant::now();
    let mut results = serde_json::Map::new();
    for _round in 0..4 {
        for sql in QUERIES {
            let n: i64 =
                s.db.query(sql, move |c| c.query_row(sql, [], |r| r.get(0)))
                    .await?;
            results.insert(sql.to_string(), json!(n));
        }
    }
    Ok(Json(json!({
        "queries": QUERIES.len() * 4,
        "duration_ms": start.elapsed().as_millis() as u64,
        "results": results,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: &str) -> HashMap<String, String> {
        HashMap::from([("delay".to_string(), v.to_string())])
    }

    #[test]
    fn delay_is_bounded() {
        assert_eq!(parse_delay(&q("250")).unwrap(), 250);
        assert_eq!(parse_delay(&q("30000")).unwrap(), 30_000);
        assert_eq!(parse_delay(&HashMap::new()).unwrap(), DEFAULT_SIMULATED_DELAY_MS);
        for bad in ["30001", "-5", "abc", "1.5", ""] {
            assert!(parse_delay(&q(bad)).is_err(), "{bad}");
        }
    }
}
