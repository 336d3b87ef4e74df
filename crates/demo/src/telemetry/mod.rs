//! Telemetry of a demo service: OpenTelemetry traces and logs over OTLP, JSON logs on stdout,
//! Prometheus metrics (HTTP, process and the service's own).

pub mod http;
pub mod json_log;
pub mod otel;
pub mod process;
pub mod prom;
pub mod propagation;

pub use otel::{Identity, Telemetry, init};
