//! Query errors carrying Prometheus's API `errorType`.

/// The `errorType` field of a Prometheus API error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    BadData,
    Timeout,
    Canceled,
    Execution,
}

impl ErrorType {
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorType::BadData => "bad_data",
            ErrorType::Timeout => "timeout",
            ErrorType::Canceled => "canceled",
            ErrorType::Execution => "execution",
        }
    }
}

/// A failed query.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// The query text does not parse or is semantically invalid.
    #[error("{0}")]
    Parse(String),
    /// A parameter of the query (step, range, function argument) is invalid.
    #[error("{0}")]
    BadData(String),
    #[error("query timed out in {0}")]
    Timeout(String),
    #[error("query was canceled in {0}")]
    Canceled(String),
    #[error("query processing would load too many samples into memory in {0}")]
    TooManySamples(String),
    /// Any other failure during evaluation (storage errors, invalid function input).
    #[error("{0}")]
    Execution(String),
}

impl QueryError {
    pub fn error_type(&self) -> ErrorType {
        match self {
            QueryError::Parse(_) | QueryError::BadData(_) => ErrorType::BadData,
            QueryError::Timeout(_) => ErrorType::Timeout,
            QueryError::Canceled(_) => ErrorType::Canceled,
            QueryError::TooManySamples(_) | QueryError::Execution(_) => ErrorType::Execution,
        }
    }
}

pub type Result<T> = std::result::Result<T, QueryError>;
