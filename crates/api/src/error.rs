//! API errors answered as Prometheus does: `{"status":"error","errorType":..,"error":..}` with the
//! HTTP status Prometheus gives each error type.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use obslab_promql::{ErrorType, QueryError};

/// Prometheus's API error types (`errorType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiErrorKind {
    BadData,
    Execution,
    Timeout,
    Canceled,
    Internal,
    Unavailable,
    NotFound,
}

impl ApiErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiErrorKind::BadData => "bad_data",
            ApiErrorKind::Execution => "execution",
            ApiErrorKind::Timeout => "timeout",
            ApiErrorKind::Canceled => "canceled",
            ApiErrorKind::Internal => "internal",
            ApiErrorKind::Unavailable => "unavailable",
            ApiErrorKind::NotFound => "not_found",
        }
    }

    /// The status code Prometheus's `respondError` uses for the type.
    pub fn status(self) -> StatusCode {
        match self {
            ApiErrorKind::BadData => StatusCode::BAD_REQUEST,
            ApiErrorKind::Execution => StatusCode::UNPROCESSABLE_ENTITY,
            ApiErrorKind::Timeout | ApiErrorKind::Canceled | ApiErrorKind::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiErrorKind::NotFound => StatusCode::NOT_FOUND,
        }
    }
}

/// One failed API call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn new(kind: ApiErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn bad_data(message: impl Into<String>) -> Self {
        Self::new(ApiErrorKind::BadData, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ApiErrorKind::Internal, message)
    }

    /// Prometheus's `invalidParamError`: `invalid parameter "name": cause`.
    pub fn invalid_param(name: &str, cause: impl std::fmt::Display) -> Self {
        Self::bad_data(format!("invalid parameter {name:?}: {cause}"))
    }

    /// A query engine error with the type the engine assigned.
    pub fn from_query(e: QueryError) -> Self {
        let kind = match e.error_type() {
            ErrorType::BadData => ApiErrorKind::BadData,
            ErrorType::Timeout => ApiErrorKind::Timeout,
            ErrorType::Canceled => ApiErrorKind::Canceled,
            ErrorType::Execution => ApiErrorKind::Execution,
        };
        Self::new(kind, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "status": "error",
            "errorType": self.kind.as_str(),
            "error": self.message,
        });
        (self.kind.status(), Json(body)).into_response()
    }
}

/// The success envelope: `{"status":"success","data":..}` plus optional warnings and infos.
pub fn success(data: serde_json::Value) -> Response {
    success_with(data, Vec::new(), Vec::new())
}

/// The success envelope with annotations, which Prometheus puts beside `data`.
pub fn success_with(data: serde_json::Value, warnings: Vec<String>, infos: Vec<String>) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("status".into(), "success".into());
    body.insert("data".into(), data);
    if !warnings.is_empty() {
        body.insert("warnings".into(), warnings.into());
    }
    if !infos.is_empty() {
        body.insert("infos".into(), infos.into());
    }
    Json(serde_json::Value::Object(body)).into_response()
}

pub type ApiResult = Result<Response, ApiError>;
