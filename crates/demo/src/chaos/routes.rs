//! `GET /chaos` and `POST /chaos/*`: every POST answers the new full state.

use super::config::{CrashConfig, DbSlowConfig, ErrorConfig, LeakConfig, SlowConfig};
use super::state::ChaosState;
use crate::http_util::{ApiError, ApiJson};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The chaos routes of one service.
pub fn router(chaos: Arc<ChaosState>) -> Router {
    Router::new()
        .route("/chaos", get(view))
        .route("/chaos/slow", post(slow))
        .route("/chaos/error", post(error))
        .route("/chaos/leak", post(leak))
        .route("/chaos/db-slow", post(db_slow))
        .route("/chaos/crash", post(crash))
        .route("/chaos/reset", post(reset))
        .with_state(chaos)
}

type Answer = Result<Json<Value>, ApiError>;

async fn view(State(c): State<Arc<ChaosState>>) -> Json<Value> {
    Json(c.view())
}

fn checked<T>(cfg: &T, validate: impl Fn(&T) -> Result<(), String>) -> Result<(), ApiError> {
    validate(cfg).map_err(ApiError::bad_request)
}

async fn slow(State(c): State<Arc<ChaosState>>, ApiJson(cfg): ApiJson<SlowConfig>) -> Answer {
    checked(&cfg, SlowConfig::validate)?;
    tracing::warn!(
        delay_ms = cfg.delay_ms,
        probability = cfg.probability,
        "chaos: slow fault on"
    );
    c.set_slow(cfg);
    Ok(Json(c.view()))
}

async fn error(State(c): State<Arc<ChaosState>>, ApiJson(cfg): ApiJson<ErrorConfig>) -> Answer {
    checked(&cfg, ErrorConfig::validate)?;
    tracing::warn!(rate = cfg.rate, status = cfg.status, "chaos: error fault on");
    c.set_error(cfg);
    Ok(Json(c.view()))
}

async fn leak(State(c): State<Arc<ChaosState>>, ApiJson(cfg): ApiJson<LeakConfig>) -> Answer {
    checked(&cfg, LeakConfig::validate)?;
    tracing::warn!(mb_per_min = cfg.mb_per_min, "chaos: memory leak on");
    c.set_leak(cfg);
    Ok(Json(c.view()))
}

async fn db_slow(State(c): State<Arc<ChaosState>>, ApiJson(cfg): ApiJson<DbSlowConfig>) -> Answer {
    checked(&cfg, DbSlowConfig::validate)?;
    tracing::warn!(delay_ms = cfg.delay_ms, "chaos: slow database on");
    c.set_db_slow(cfg);
    Ok(Json(c.view()))
}

async fn crash(ApiJson(_): ApiJson<CrashConfig>) -> (StatusCode, Json<Value>) {
    tracing::error!("chaos: crashing on request");
    // A plain thread, so the exit happens even if the runtime is busy or stuck.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(100));
        std::process::exit(1);
    });
    (StatusCode::ACCEPTED, Json(json!({"crashing": true})))
}

async fn reset(State(c): State<Arc<ChaosState>>) -> Json<Value> {
    c.reset();
    tracing::info!("chaos: all faults off");
    Json(c.view())
}
