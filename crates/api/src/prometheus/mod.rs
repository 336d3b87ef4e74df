//! The Prometheus HTTP API, one module per surface.

pub mod admin;
pub mod federate;
pub mod lifecycle;
pub mod query;
pub mod remote_read;
pub mod remote_write;
pub mod series;
pub mod status;

use crate::state::ApiState;
use axum::Router;
use axum::routing::{get, post};

/// Every Prometheus route, relative to the server root.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/query", get(query::instant).post(query::instant))
        .route("/api/v1/query_range", get(query::range).post(query::range))
        .route("/api/v1/format_query", get(query::format).post(query::format))
        .route(
            "/api/v1/query_exemplars",
            get(status::query_exemplars).post(status::query_exemplars),
        )
        .route("/api/v1/series", get(series::series).post(series::series))
        .route(
            "/api/v1/labels",
            get(series::label_names).post(series::label_names),
        )
        .route("/api/v1/label/{name}/values", get(series::label_values))
        .route("/api/v1/metadata", get(status::metadata))
        .route("/api/v1/targets", get(status::targets))
        .route("/api/v1/status/config", get(status::config))
        .route("/api/v1/status/flags", get(status::flags))
        .route("/api/v1/status/tsdb", get(status::tsdb))
        .route("/api/v1/status/buildinfo", get(status::buildinfo))
        .route("/api/v1/status/runtimeinfo", get(status::runtimeinfo))
        .route("/api/v1/status/walreplay", get(status::walreplay))
        .route(
            "/api/v1/admin/tsdb/delete_series",
            post(admin::delete_series).put(admin::delete_series),
        )
        .route(
            "/api/v1/admin/tsdb/clean_tombstones",
            post(admin::clean_tombstones).put(admin::clean_tombstones),
        )
        .route(
            "/api/v1/admin/tsdb/snapshot",
            post(admin::snapshot).put(admin::snapshot),
        )
        .route("/api/v1/write", post(remote_write::write))
        .route("/api/v1/read", post(remote_read::read))
        .route("/federate", get(federate::federate).post(federate::federate))
        .route("/metrics", get(lifecycle::metrics))
        .route("/-/healthy", get(lifecycle::healthy))
        .route("/-/ready", get(lifecycle::ready))
        .route("/-/reload", post(lifecycle::reload).put(lifecycle::reload))
}
