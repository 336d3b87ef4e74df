//! `/-/healthy`, `/-/ready`, `/-/reload` and `/metrics`.

use crate::state::ApiState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;

fn text(code: StatusCode, body: impl Into<String>) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

pub async fn healthy() -> Response {
    text(StatusCode::OK, "Prometheus Server is Healthy.\n")
}

pub async fn ready(State(st): State<ApiState>) -> Response {
    if st.ready.load(Ordering::Relaxed) {
        text(StatusCode::OK, "Prometheus Server is Ready.\n")
    } else {
        text(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
    }
}

/// `POST|PUT /-/reload`: runs the reload hook; without one the lifecycle API is off, as in
/// Prometheus without `--web.enable-lifecycle`.
pub async fn reload(State(st): State<ApiState>) -> Response {
    let Some(hook) = st.reload.clone() else {
        return text(StatusCode::FORBIDDEN, "Lifecycle API is not enabled.");
    };
    let res = tokio::task::spawn_blocking(move || hook()).await;
    let now = chrono::Utc::now();
    match res {
        Ok(Ok(())) => {
            *st.runtime.last_reload.write() = (true, now);
            text(StatusCode::OK, "")
        }
        Ok(Err(e)) => {
            st.runtime.last_reload.write().0 = false;
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("failed to reload config: {e}\n"),
            )
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}\n"),
        ),
    }
}

pub async fn metrics(State(st): State<ApiState>) -> Response {
    let body = tokio::task::spawn_blocking(move || crate::self_metrics::render(&st)).await;
    match body {
        Ok(b) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            b,
        )
            .into_response(),
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
