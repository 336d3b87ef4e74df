//! The middleware around every request: a server span linked to the caller's trace, the RED
//! metrics by route template, and one access-log line.

use super::propagation;
use axum::body::HttpBody as _;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::trace::TraceContextExt as _;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Instant;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    endpoint: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    method: String,
    endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

/// Latency buckets (seconds) from 5 ms to 10 s, covering /api/slow and the injected delays.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The HTTP metrics every service exposes.
#[derive(Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Family<EndpointLabels, Histogram, fn() -> Histogram>,
    in_flight: Family<MethodLabels, Gauge>,
}

impl HttpMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = HttpMetrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
            in_flight: Family::default(),
        };
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            m.requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route",
            m.duration.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being served",
            m.in_flight.clone(),
        );
        m
    }
}

/// Decrements the in-flight gauge even when the client goes away mid-request.
struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Routes polled by machines: counted, but neither traced nor logged above DEBUG.
fn is_probe(route: &str) -> bool {
    matches!(route, "/metrics" | "/health")
}

/// Observes one request.
pub async fn observe(State(m): State<HttpMetrics>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let probe = is_probe(&route);
    let span = if probe {
        tracing::Span::none()
    } else {
        let span = tracing::info_span!(
            "http.server",
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            http.request.method = %method,
            url.path = %path,
            http.route = %route,
            http.response.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        let _ = span.set_parent(propagation::extract(req.headers()));
        span
    };
    let gauge = m.in_flight.get_or_create_owned(&MethodLabels {
        method: method.clone(),
    });
    gauge.inc();
    let guard = InFlight(gauge);
    let mut resp = next.run(req).instrument(span.clone()).await;
    drop(guard);

    let status = resp.status().as_u16();
    let elapsed = start.elapsed();
    m.requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            endpoint: route.clone(),
            status: status.to_string(),
        })
        .inc();
    m.duration
        .get_or_create(&EndpointLabels {
            method: method.clone(),
            endpoint: route,
        })
        .observe(elapsed.as_secs_f64());
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    let trace_id = span.context().span().span_context().trace_id();
    if !probe && let Ok(v) = HeaderValue::from_str(&trace_id.to_string()) {
        resp.headers_mut().insert("x-trace-id", v);
    }
    let bytes = resp.body().size_hint().exact().unwrap_or(0);
    let duration_ms = (elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
    span.in_scope(|| {
        if probe {
            tracing::debug!(method, path, status, duration_ms, bytes, "request");
        } else if status >= 500 {
            tracing::error!(method, path, status, duration_ms, bytes, "request");
        } else if status >= 400 {
            tracing::warn!(method, path, status, duration_ms, bytes, "request");
        } else {
            tracing::info!(method, path, status, duration_ms, bytes, "request");
        }
    });
    resp
}
