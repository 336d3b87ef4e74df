//! What every service shares around its own routes: /health, /metrics, the chaos endpoints, the
//! fault middleware on the application routes, request observation, the body limit, JSON
//! fallbacks, and a bounded graceful shutdown.

use crate::Service;
use crate::chaos::{self, ChaosState, InitialFaults};
use crate::http_util::{self, BODY_LIMIT_BYTES};
use crate::telemetry::http::{HttpMetrics, observe};
use crate::telemetry::prom;
use anyhow::Context as _;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use prometheus_client::registry::Registry;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long in-flight requests may finish after a shutdown signal.
const GRACE: Duration = Duration::from_millis(800);

/// The parts of a service set up before its own routes: faults, metrics registry, cancellation.
pub struct Shell {
    pub service: Service,
    pub chaos: Arc<ChaosState>,
    pub cancel: CancellationToken,
    pub registry: Registry,
    http: HttpMetrics,
}

impl Shell {
    pub fn new(service: Service, initial: InitialFaults, cancel: CancellationToken) -> Self {
        let mut registry = Registry::default();
        let http = HttpMetrics::register(&mut registry);
        Shell {
            service,
            chaos: Arc::new(ChaosState::new(service.name(), initial)),
            cancel,
            registry,
            http,
        }
    }

    /// The whole router: the shared endpoints plus `app`, whose routes get the faults.
    pub fn router(self, app: Router) -> (Router, Arc<ChaosState>, CancellationToken) {
        let name = self.service.name();
        let registry = Arc::new(self.registry);
        let app = app.layer(from_fn_with_state(
            self.chaos.clone(),
            chaos::middleware::apply_faults,
        ));
        let router = Router::new()
            .route(
                "/health",
                get(move || async move { axum::Json(json!({"status": "ok", "service": name})) }),
            )
            .route(
                "/metrics",
                get(move || {
                    let registry = registry.clone();
                    async move { ([(CONTENT_TYPE, prom::CONTENT_TYPE)], prom::render(&registry)) }
                }),
            )
            .merge(chaos::routes::router(self.chaos.clone()))
            .merge(app)
            .fallback(http_util::not_found)
            .method_not_allowed_fallback(http_util::method_not_allowed)
            .layer(from_fn_with_state(self.http, observe))
            .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES));
        (router, self.chaos, self.cancel)
    }

    /// Binds, serves `app` until cancelled, then drains for at most [`GRACE`].
    pub async fn serve(self, bind: &str, port: u16, app: Router) -> anyhow::Result<()> {
        let (router, chaos, cancel) = self.router(app);
        tokio::spawn(chaos::leak::run(chaos, cancel.clone()));
        let listener = tokio::net::TcpListener::bind((bind, port))
            .await
            .with_context(|| format!("binding {bind}:{port}"))?;
        let addr = listener.local_addr()?;
        tracing::info!(addr = %addr, "listening");
        let stop = cancel.clone();
        let server =
            axum::serve(listener, router).with_graceful_shutdown(async move { stop.cancelled().await });
        tokio::select! {
            result = server => result.context("serving HTTP")?,
            _ = async { cancel.cancelled().await; tokio::time::sleep(GRACE).await } => {
                tracing::info!("closing the connections still open after the grace period");
            }
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Cancels `cancel` on SIGINT or SIGTERM.
pub async fn cancel_on_signal(cancel: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                let _ = ctrl_c.await;
                cancel.cancel();
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down");
    cancel.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http_util::ApiJson;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    async fn call(router: &Router, method: &str, uri: &str, body: Vec<u8>) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body))
            .unwrap();
        let resp = router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    fn router(initial: &str) -> Router {
        let shell = Shell::new(
            Service::Api,
            InitialFaults::parse(initial).unwrap(),
            CancellationToken::new(),
        );
        let app = Router::new()
            .route("/api/items/{id}", get(|| async { "ok" }))
            .route(
                "/api/echo",
                post(|ApiJson(v): ApiJson<serde_json::Value>| async move { axum::Json(v) }),
            );
        shell.router(app).0
    }

    #[tokio::test]
    async fn faults_hit_only_the_application_routes() {
        let r = router(r#"{"error":{"rate":1,"status":503}}"#);
        let (status, body) = call(&r, "GET", "/api/items/7", vec![]).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("\"error\""), "{body}");
        assert_eq!(call(&r, "GET", "/health", vec![]).await.0, StatusCode::OK);
        assert_eq!(call(&r, "GET", "/chaos", vec![]).await.0, StatusCode::OK);
        let (status, metrics) = call(&r, "GET", "/metrics", vec![]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            metrics.contains(
                "http_requests_total{method=\"GET\",endpoint=\"/api/items/{id}\",status=\"503\"} 1"
            ),
            "{metrics}"
        );
        assert_eq!(call(&r, "POST", "/chaos/reset", vec![]).await.0, StatusCode::OK);
        assert_eq!(call(&r, "GET", "/api/items/7", vec![]).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn bodies_over_the_limit_get_413_and_unknown_routes_404() {
        let r = router("{}");
        let (status, body) = call(&r, "POST", "/api/echo", vec![b' '; BODY_LIMIT_BYTES + 1]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(body.starts_with("{\"error\""), "{body}");
        assert_eq!(
            call(&r, "POST", "/api/echo", b"{\"a\":1}".to_vec()).await.0,
            StatusCode::OK
        );
        let (status, body) = call(&r, "GET", "/nope", vec![]).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NOT_FOUND, "{\"error\":\"not found\"}")
        );
        assert_eq!(
            call(&r, "DELETE", "/health", vec![]).await.0,
            StatusCode::METHOD_NOT_ALLOWED
        );
        let (status, _) = call(&r, "POST", "/chaos/slow", b"{\"delay_ms\":\"x\"}".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn slow_fault_delays_application_routes() {
        let r = router(r#"{"slow":{"delay_ms":150}}"#);
        let start = std::time::Instant::now();
        assert_eq!(call(&r, "GET", "/api/items/1", vec![]).await.0, StatusCode::OK);
        assert!(start.elapsed() >= Duration::from_millis(150));
        let start = std::time::Instant::now();
        assert_eq!(call(&r, "GET", "/health", vec![]).await.0, StatusCode::OK);
        assert!(start.elapsed() < Duration::from_millis(150));
    }
}
