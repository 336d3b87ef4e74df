//! The router factory and a server loop with graceful shutdown.

use crate::state::ApiState;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;

/// The Prometheus-compatible API over `state`, ready to serve or to merge into a larger router.
pub fn router(state: ApiState) -> Router {
    let limit = state.options.max_body_bytes;
    crate::prometheus::routes()
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Counts requests per route pattern (written `:name` like Prometheus's handler label) and code.
async fn count_requests(State(st): State<ApiState>, req: Request, next: Next) -> Response {
    let handler = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().replace('{', ":").replace('}', ""))
        .unwrap_or_else(|| "other".into());
    let started = Instant::now();
    let resp = next.run(req).await;
    st.http_metrics
        .observe(&handler, resp.status().as_u16(), started.elapsed().as_secs_f64());
    resp
}

/// Binds `addr` and serves the API until `shutdown` completes.
pub async fn serve(
    addr: SocketAddr,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_listener(listener, state, shutdown).await
}

/// Serves on an already bound listener (tests bind 127.0.0.1:0 and read the port first).
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
