//! gateway: serves the shop's web page and reverse-proxies `/api/*` to the api. Each request
//! opens a fresh or pooled connection, so a restarted api is picked up by itself; an api that is
//! down gives a 502 with a JSON body.

use crate::cli::RunArgs;
use crate::http_util::{ApiError, BODY_LIMIT_BYTES};
use crate::server::Shell;
use crate::telemetry::propagation;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::time::Duration;

/// The shop's single page (plain HTML and a little JavaScript calling /api/*).
const SHOP_PAGE: &str = include_str!("../assets/shop.html");
/// Longer than the api's slowest endpoint (/api/simulate-slow allows 30 s).
const PROXY_TIMEOUT: Duration = Duration::from_secs(35);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PageLabels {
    page: String,
}

#[derive(Clone)]
struct GatewayState {
    client: reqwest::Client,
    api_url: String,
    page_views: Family<PageLabels, Counter>,
}

/// The gateway routes.
pub fn app(args: &RunArgs, shell: &mut Shell) -> anyhow::Result<Router> {
    let state = GatewayState {
        client: super::http_client(PROXY_TIMEOUT)?,
        api_url: args.api_url.trim_end_matches('/').to_string(),
        page_views: Family::default(),
    };
    shell.registry.register(
        "page_views",
        "Views of the shop's pages",
        state.page_views.clone(),
    );
    let page = |name: &'static str| {
        get(move |State(s): State<GatewayState>| async move {
            s.page_views
                .get_or_create(&PageLabels { page: name.into() })
                .inc();
            Html(SHOP_PAGE)
        })
    };
    Ok(Router::new()
        .route("/", page("home"))
        .route("/products", page("products"))
        .route("/orders", page("orders"))
        .route("/tasks", page("tasks"))
        .route("/api", any(proxy))
        .route("/api/{*path}", any(proxy))
        .with_state(state))
}

/// Headers that belong to one hop, never forwarded (RFC 9110 §7.6.1), plus the ones the proxy
/// sets itself.
fn forwardable(name: &HeaderName) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "host"
            | "content-length"
            | "traceparent"
            | "tracestate"
    )
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if forwardable(name) {
            to.append(name.clone(), value.clone());
        }
    }
}

async fn proxy(State(s): State<GatewayState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body larger than {BODY_LIMIT_BYTES} bytes"),
            )
            .into_response();
        }
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path_and_query}", s.api_url);
    let mut headers = HeaderMap::new();
    copy_headers(&parts.headers, &mut headers);
    let request = s
        .client
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(body);
    let name = format!("{} {}", parts.method, parts.uri.path());
    let retry = request.try_clone();
    let mut result = propagation::send(&s.client, request, &name).await;
    // A pooled connection to an api that restarted fails once; the request then goes out again
    // on a fresh connection when it never reached the api or is safe to repeat.
    if let (Err(e), Some(retry)) = (&result, retry)
        && !e.is_timeout()
        && (e.is_connect() || parts.method.is_idempotent())
    {
        tracing::debug!(error = %e, "retrying the api call once");
        result = propagation::send(&s.client, retry, &name).await;
    }
    let upstream = match result {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            tracing::error!(error = %e, "api timed out");
            return ApiError::new(StatusCode::GATEWAY_TIMEOUT, "api timed out").into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "api unavailable");
            return ApiError::new(StatusCode::BAD_GATEWAY, format!("api unavailable: {e}")).into_response();
        }
    };
    let status = upstream.status();
    let mut out_headers = HeaderMap::new();
    copy_headers(upstream.headers(), &mut out_headers);
    match upstream.bytes().await {
        Ok(bytes) => {
            let mut resp = Response::new(Body::from(bytes));
            *resp.status_mut() = status;
            *resp.headers_mut() = out_headers;
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "reading the api's answer failed");
            ApiError::new(StatusCode::BAD_GATEWAY, format!("api answer incomplete: {e}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn hop_by_hop_headers_are_not_forwarded() {
        let mut from = HeaderMap::new();
        from.insert(header::CONNECTION, "close".parse().unwrap());
        from.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        from.insert(header::HOST, "x".parse().unwrap());
        from.insert("traceparent", "00-1-2-01".parse().unwrap());
        let mut to = HeaderMap::new();
        copy_headers(&from, &mut to);
        assert_eq!(to.len(), 1);
        assert_eq!(to[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn page_calls_the_api() {
        assert!(SHOP_PAGE.contains("/api/products"));
        assert!(SHOP_PAGE.contains("/api/orders"));
        assert!(SHOP_PAGE.contains("/api/tasks"));
    }
}
