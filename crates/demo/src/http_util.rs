//! Shared HTTP pieces: JSON errors in one shape (`{"error":"..."}`) and a JSON body extractor that
//! turns every kind of bad body into a 4xx JSON answer instead of axum's plain-text rejections.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// Largest request body any service accepts; bigger bodies get 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// An application error answered as `{"error": message}` with its status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_error(self.status, &self.message)
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::internal(format!("database error: {e}"))
    }
}

/// A `{"error": message}` response.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// JSON request body. Unlike `axum::Json` it ignores the content type, answers 413 for bodies over
/// the limit and 400 with serde's explanation for anything else that does not parse.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    status,
                    format!("request body larger than {BODY_LIMIT_BYTES} bytes"),
                )
            } else {
                ApiError::bad_request(format!("cannot read request body: {e}"))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body; an empty body is read as `{}` so that bodiless POSTs work for types whose
/// fields all have defaults.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        b"{}"
    } else {
        bytes
    };
    // serde also reads structs from arrays; a body must be an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request("invalid JSON body: expected a JSON object"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// Parses a numeric id from a path segment (400 for anything else).
pub fn parse_id(raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::bad_request(format!(
            "invalid id {raw:?}: expected a positive integer"
        ))),
    }
}

/// Fallback for unknown routes.
pub async fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "not found")
}

/// Fallback for a known path called with the wrong method.
pub async fn method_not_allowed() -> Response {
    json_error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        n: u32,
    }

    #[test]
    fn empty_body_reads_as_empty_object() {
        let b: Body = parse_json(b"  ").unwrap();
        assert_eq!(b.n, 0);
    }

    #[test]
    fn bad_json_is_400() {
        let e = parse_json::<Body>(b"{\"n\":\"x\"}").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let e = parse_json::<Body>(b"{\"m\":1}").unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
        assert!(parse_json::<Body>(b"[1]").is_err());
        assert!(parse_json::<Body>(b"null").is_err());
    }

    #[test]
    fn ids_must_be_positive_integers() {
        assert_eq!(parse_id("42").unwrap(), 42);
        assert!(parse_id("abc").is_err());
        assert!(parse_id("-1").is_err());
        assert!(parse_id("0").is_err());
    }
}
