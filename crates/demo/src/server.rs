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
