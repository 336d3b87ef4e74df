//! OpenTelemetry setup: tracer and logger providers exporting over OTLP/gRPC with batch
//! processors (so an absent collector never blocks a request), and the tracing subscriber that
//! feeds spans to OpenTelemetry, events to the OTLP log bridge and to the stdout JSON log.

use super::json_log::JsonLogLayer;
use anyhow::Context as _;
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::time::Duration;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// How long one OTLP export may take before it is abandoned.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(3);

/// Who is sending the telemetry.
#[derive(Debug, Clone)]
pub struct Identity {
    pub service: &'static str,
    pub instance: String,
}

/// The providers to flush on shutdown.
pub struct Telemetry {
    tracer: SdkTracerProvider,
    logger: Option<SdkLoggerProvider>,
}

/// Targets whose own logs never reach the log bridge or stdout: the OpenTelemetry SDK and the
/// transport under it. Their export errors would otherwise be exported again, and spam stdout
/// whenever no collector listens.
const QUIET_TARGETS: [&str; 8] = [
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry_otlp",
    "tonic",
    "h2",
    "hyper",
    "hyper_util",
    "tower",
];

fn filter() -> Targets {
    QUIET_TARGETS
        .iter()
        .fold(Targets::new().with_default(LevelFilter::INFO), |t, target| {
            t.with_target(*target, LevelFilter::OFF)
        })
        .with_target("reqwest", LevelFilter::WARN)
}

fn resource(id: &Identity) -> Resource {
    Resource::builder()
        .with_service_name(id.service)
        .with_attributes([
            KeyValue::new("service.instance.id", id.instance.clone()),
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("deployment.environment", "lab"),
            KeyValue::new("deployment.environment.name", "lab"),
        ])
        .build()
}

/// Sets up tracing and OpenTelemetry. `endpoint` None disables export but keeps trace ids, so
/// logs and propagation work the same. Must run inside the Tokio runtime (the gRPC channel is
/// bound to it).
pub fn init(id: &Identity, endpoint: Option<&str>) -> anyhow::Result<Telemetry> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let resource = resource(id);
    let mut tracer_builder = SdkTracerProvider::builder().with_resource(resource.clone());
    let mut logger = None;
    if let Some(endpoint) = endpoint {
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .with_context(|| format!("OTLP span exporter for {endpoint}"))?;
        tracer_builder = tracer_builder.with_batch_exporter(spans);
        let logs = opentelemetry_otlp::LogExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .with_context(|| format!("OTLP log exporter for {endpoint}"))?;
        logger = Some(
            SdkLoggerProvider::builder()
                .with_resource(resource)
                .with_batch_exporter(logs)
                .build(),
        );
    }
    let tracer = tracer_builder.build();
    opentelemetry::global::set_tracer_provider(tracer.clone());
    let otel_layer = tracing_opentelemetry::layer()
        .with_tracer(tracer.tracer(id.service))
        .with_filter(filter());
    let bridge = logger
        .as_ref()
        .map(|l| OpenTelemetryTracingBridge::new(l).with_filter(filter()));
    tracing_subscriber::registry()
        .with(otel_layer)
        .with(bridge)
        .with(JsonLogLayer::new(id.service).with_filter(filter()))
        .try_init()
        .context("installing the tracing subscriber")?;
    Ok(Telemetry { tracer, logger })
}

impl Telemetry {
    /// Flushes and stops the providers, giving up after `timeout` (an unreachable collector must
    /// not delay the exit). Call it while the runtime still runs.
    pub fn shutdown(self, timeout: Duration) {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("otel-shutdown".into())
            .spawn(move || {
                let _ = self.tracer.shutdown_with_timeout(timeout);
                if let Some(logger) = &self.logger {
                    let _ = logger.shutdown_with_timeout(timeout);
                }
                let _ = done_tx.send(());
            });
        if spawned.is_ok() {
            let _ = done_rx.recv_timeout(timeout);
        }
    }
}
