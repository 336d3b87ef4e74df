//! W3C trace context across services: extracted from incoming request headers, injected into
//! outgoing reqwest calls, each of which gets its own client span.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::propagation::{Extractor, Injector};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct HeaderInjector<'a>(&'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

/// The remote parent carried by `traceparent`/`tracestate`, if any.
pub fn extract(headers: &HeaderMap) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)))
}

/// Writes the context of the current tracing span as `traceparent`/`tracestate`.
pub fn inject_current(headers: &mut HeaderMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| p.inject_context(&cx, &mut HeaderInjector(headers)));
}

/// The current span's `traceparent` value, to carry a trace through the jobs table.
pub fn current_traceparent() -> Option<String> {
    let mut headers = HeaderMap::new();
    inject_current(&mut headers);
    headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A context whose parent is the given `traceparent` value.
pub fn from_traceparent(traceparent: &str) -> opentelemetry::Context {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(traceparent) {
        headers.insert("traceparent", v);
    }
    extract(&headers)
}

/// Sends a request inside a client span named `name`, carrying the trace to the callee.
pub async fn send(
    client: &reqwest::Client,
    request: reqwest::RequestBuilder,
    name: &str,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::info_span!(
        "http.client",
        otel.name = %name,
        otel.kind = "client",
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    async {
        let mut request = request.build()?;
        span_url(&request);
        inject_current(request.headers_mut());
        let result = client.execute(request).await;
        let current = tracing::Span::current();
        match &result {
            Ok(resp) => {
                current.record("http.response.status_code", resp.status().as_u16());
                if resp.status().is_server_error() {
                    current.record("otel.status_code", "ERROR");
                }
            }
            Err(_) => {
                current.record("otel.status_code", "ERROR");
            }
        }
        result
    }
    .instrument(span)
    .await
}

fn span_url(request: &reqwest::Request) {
    let span = tracing::Span::current();
    span.set_attribute("http.request.method", request.method().as_str().to_string());
    span.set_attribute("url.full", request.url().as_str().to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TraceContextExt as _;

    #[test]
    fn extracts_a_w3c_traceparent() {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
        let cx = from_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        let sc = cx.span().span_context().clone();
        assert!(sc.is_remote());
        assert_eq!(sc.trace_id().to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(sc.span_id().to_string(), "b7ad6b7169203331");
        let none = from_traceparent("garbage");
        assert!(!none.span().span_context().is_valid());
    }
}
