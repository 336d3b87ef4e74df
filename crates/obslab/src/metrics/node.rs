//! The built-in host collector: node_exporter's metrics at `/metrics` on `node.port`.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

/// Serves host metrics on `listener` until `stop` is cancelled.
pub async fn serve(listener: tokio::net::TcpListener, stop: CancellationToken) -> std::io::Result<()> {
    let app = Router::new().route("/metrics", get(metrics));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await
}

async fn metrics() -> axum::response::Response {
    // Reading /proc and statfs blocks; keep it off the async workers.
    match tokio::task::spawn_blocking(obslab_hostmetrics::render).await {
        Ok(body) => ([(CONTENT_TYPE, obslab_hostmetrics::CONTENT_TYPE)], body).into_response(),
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("collecting host metrics failed: {e}\n"),
        )
            .into_response(),
    }
}
