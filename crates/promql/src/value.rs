//! Query results in the shapes of the Prometheus API (`vector`, `matrix`, `scalar`, `string`).

use obslab_model::{FloatHistogram, Labels};
use std::sync::Arc;

/// A point's value: a float or a native histogram.
#[derive(Debug, Clone, PartialEq)]
pub enum PointValue {
    Float(f64),
    Histogram(Arc<FloatHistogram>),
}

impl PointValue {
    pub fn as_float(&self) -> Option<f64> {
        match self {
            PointValue::Float(f) => Some(*f),
            PointValue::Histogram(_) => None,
        }
    }

    pub fn as_histogram(&self) -> Option<&Arc<FloatHistogram>> {
        match self {
            PointValue::Histogram(h) => Some(h),
            PointValue::Float(_) => None,
        }
    }
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub t: i64,
    pub value: PointValue,
}

/// One series of a matrix, points in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub points: Vec<(i64, PointValue)>,
}

/// The value of a query, typed like the API's `resultType`.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    Scalar { t: i64, v: f64 },
    String { t: i64, v: String },
    Vector(Vec<Sample>),
    Matrix(Vec<RangeSeries>),
}

impl QueryValue {
    /// The API's `resultType`.
    pub fn result_type(&self) -> &'static str {
        match self {
            QueryValue::Scalar { .. } => "scalar",
            QueryValue::String { .. } => "string",
            QueryValue::Vector(_) => "vector",
            QueryValue::Matrix(_) => "matrix",
        }
    }
}

/// A successful query: the value plus annotations (`PromQL warning: ...`, `PromQL info: ...`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub value: QueryValue,
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}
