//! An OTLP/gRPC receiver for tests: it listens on an ephemeral loopback port, on its own thread and
//! runtime, and keeps every export request it gets so a test can look at the spans and logs a real
//! process sent.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use tonic::codec::CompressionEncoding;

pub use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

/// Everything the receiver was sent, in arrival order.
#[derive(Default)]
struct Received {
    traces: Mutex<Vec<ExportTraceServiceRequest>>,
    logs: Mutex<Vec<ExportLogsServiceRequest>>,
    metrics: Mutex<Vec<ExportMetricsServiceRequest>>,
}

#[derive(Clone)]
struct Handler(Arc<Received>);

#[tonic::async_trait]
impl TraceService for Handler {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        lock(&self.0.traces).push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl LogsService for Handler {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        lock(&self.0.logs).push(request.into_inner());
        Ok(tonic::Response::new(ExportLogsServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Handler {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        lock(&self.0.metrics).push(request.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One span, flattened out of its resource and scope, with ids in lowercase hex.
#[derive(Debug, Clone)]
pub struct SpanRecord {
    /// `service.name` of the resource that sent it.
    pub service: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub name: String,
    pub kind: SpanKind,
    pub attributes: HashMap<String, String>,
    pub resource: HashMap<String, String>,
    /// `Status.code`: 0 unset, 1 ok, 2 error.
    pub status_code: i32,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
}

impl SpanRecord {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// One log record, flattened out of its resource and scope, with ids in lowercase hex (empty when
/// the record was not emitted inside a span).
#[derive(Debug, Clone)]
pub struct LogRecordView {
    pub service: String,
    pub severity_text: String,
    pub severity_number: i32,
    /// The body rendered as a string (strings as-is, other values in their debug form).
    pub body: String,
    pub trace_id: String,
    pub span_id: String,
    pub attributes: HashMap<String, String>,
    pub resource: HashMap<String, String>,
}

/// A running OTLP/gRPC receiver; stops when dropped.
pub struct OtlpReceiver {
    addr: SocketAddr,
    received: Arc<Received>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OtlpReceiver {
    /// Binds 127.0.0.1 on an ephemeral port and serves the trace, logs and metrics services
    /// (plain or gzip-compressed requests).
    pub fn start() -> anyhow::Result<Self> {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").context("bind the OTLP receiver's port")?;
        std_listener
            .set_nonblocking(true)
            .context("make the OTLP listener non-blocking")?;
        let addr = std_listener
            .local_addr()
            .context("read the OTLP receiver's address")?;
        let received = Arc::new(Received::default());
        let handler = Handler(received.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("build the OTLP receiver's runtime")?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let thread = std::thread::Builder::new()
            .name(format!("otlp-receiver-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e).context("register the OTLP listener"));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let incoming = tonic::transport::server::TcpIncoming::from(listener);
                    let result = tonic::transport::Server::builder()
                        .add_service(
                            TraceServiceServer::new(handler.clone())
                                .accept_compressed(CompressionEncoding::Gzip)
                                .max_decoding_message_size(64 << 20),
                        )
                        .add_service(
                            LogsServiceServer::new(handler.clone())
                                .accept_compressed(CompressionEncoding::Gzip)
                                .max_decoding_message_size(64 << 20),
                        )
                        .add_service(
                            MetricsServiceServer::new(handler)
                                .accept_compressed(CompressionEncoding::Gzip)
                                .max_decoding_message_size(64 << 20),
                        )
                        .serve_with_incoming_shutdown(incoming, async {
                            let _ = rx.await;
                        })
                        .await;
                    if let Err(e) = result {
                        eprintln!("test OTLP receiver stopped with an error: {e}");
                    }
                });
            })
            .context("spawn the OTLP receiver's thread")?;
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .context("OTLP receiver did not start")??;
        Ok(Self {
            addr,
            received,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The URL to pass as `--otlp-endpoint`, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn trace_requests(&self) -> Vec<ExportTraceServiceRequest> {
        lock(&self.received.traces).clone()
    }

    pub fn log_requests(&self) -> Vec<ExportLogsServiceRequest> {
        lock(&self.received.logs).clone()
    }

    pub fn metric_requests(&self) -> Vec<ExportMetricsServiceRequest> {
        lock(&self.received.metrics).clone()
    }

    /// Every span received so far, flattened.
    pub fn spans(&self) -> Vec<SpanRecord> {
        let reqs = lock(&self.received.traces);
        let mut out = Vec::new();
        for rs in reqs.iter().flat_map(|r| &r.resource_spans) {
            let resource = resource_map(rs.resource.as_ref());
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                out.push(SpanRecord {
                    service: service.clone(),
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    name: span.name.clone(),
                    kind: SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified),
                    attributes: attr_map(&span.attributes),
                    resource: resource.clone(),
                    status_code: span.status.as_ref().map_or(0, |s| s.code),
                    start_unix_nano: span.start_time_unix_nano,
                    end_unix_nano: span.end_time_unix_nano,
                });
            }
        }
        out
    }

    /// Every log record received so far, flattened.
    pub fn logs(&self) -> Vec<LogRecordView> {
        let reqs = lock(&self.received.logs);
        let mut out = Vec::new();
        for rl in reqs.iter().flat_map(|r| &r.resource_logs) {
            let resource = resource_map(rl.resource.as_ref());
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for rec in rl.scope_logs.iter().flat_map(|s| &s.log_records) {
                out.push(LogRecordView {
                    service: service.clone(),
                    severity_text: rec.severity_text.clone(),
                    severity_number: rec.severity_number,
                    body: rec.body.as_ref().map(value_string).unwrap_or_default(),
                    trace_id: hex(&rec.trace_id),
                    span_id: hex(&rec.span_id),
                    attributes: attr_map(&rec.attributes),
                    resource: resource.clone(),
                });
            }
        }
        out
    }

    /// Names of every metric received so far, with the service that sent it.
    pub fn metric_names(&self) -> Vec<(String, String)> {
        let reqs = lock(&self.received.metrics);
        let mut out = Vec::new();
        for rm in reqs.iter().flat_map(|r| &r.resource_metrics) {
            let resource = resource_map(rm.resource.as_ref());
            let service = resource.get("service.name").cloned().unwrap_or_default();
            for m in rm.scope_metrics.iter().flat_map(|s| &s.metrics) {
                out.push((service.clone(), m.name.clone()));
            }
        }
        out
    }

    /// Polls until `pred` holds for the spans received so far (or `timeout` passes); returns the
    /// spans seen last, whether or not `pred` held.
    pub fn wait_for_spans(
        &self,
        pred: impl Fn(&[SpanRecord]) -> bool,
        timeout: Duration,
    ) -> (bool, Vec<SpanRecord>) {
        let deadline = Instant::now() + timeout;
        loop {
            let spans = self.spans();
            if pred(&spans) {
                return (true, spans);
            }
            if Instant::now() >= deadline {
                return (false, spans);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Like [`Self::wait_for_spans`], for log records.
    pub fn wait_for_logs(
        &self,
        pred: impl Fn(&[LogRecordView]) -> bool,
        timeout: Duration,
    ) -> (bool, Vec<LogRecordView>) {
        let deadline = Instant::now() + timeout;
        loop {
            let logs = self.logs();
            if pred(&logs) {
                return (true, logs);
            }
            if Instant::now() >= deadline {
                return (false, logs);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Lowercase hex of an id; empty for an empty id.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn resource_map(r: Option<&Resource>) -> HashMap<String, String> {
    r.map(|r| attr_map(&r.attributes)).unwrap_or_default()
}

fn attr_map(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter()
        .map(|kv| {
            (
                kv.key.clone(),
                kv.value.as_ref().map(value_string).unwrap_or_default(),
            )
        })
        .collect()
}

/// Renders an attribute value as text: strings as-is, scalars in their usual form.
fn value_string(v: &AnyValue) -> String {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

    fn kv(k: &str, v: &str) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(v.into())),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn records_and_flattens_what_a_grpc_client_sends() {
        let rx = OtlpReceiver::start().unwrap();
        let endpoint = rx.endpoint();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut traces = TraceServiceClient::connect(endpoint.clone()).await.unwrap();
            let span = Span {
                trace_id: vec![0xab; 16],
                span_id: vec![0x01; 8],
                parent_span_id: vec![0x02; 8],
                name: "GET /x".into(),
                kind: SpanKind::Server as i32,
                attributes: vec![kv("http.route", "/x")],
                ..Default::default()
            };
            let req = ExportTraceServiceRequest {
                resource_spans: vec![ResourceSpans {
                    resource: Some(Resource {
                        attributes: vec![kv("service.name", "api")],
                        ..Default::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        spans: vec![span],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            };
            traces.export(req).await.unwrap();
            let mut logs = LogsServiceClient::connect(endpoint).await.unwrap();
            let rec = LogRecord {
                severity_text: "WARN".into(),
                severity_number: 13,
                body: Some(AnyValue {
                    value: Some(any_value::Value::StringValue("low stock".into())),
                }),
                trace_id: vec![0xab; 16],
                ..Default::default()
            };
            let req = ExportLogsServiceRequest {
                resource_logs: vec![ResourceLogs {
                    resource: Some(Resource {
                        attributes: vec![kv("service.name", "inventory")],
                        ..Default::default()
                    }),
                    scope_logs: vec![ScopeLogs {
                        log_records: vec![rec],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
            };
            logs.export(req).await.unwrap();
        });
        let (ok, spans) = rx.wait_for_spans(|s| !s.is_empty(), Duration::from_secs(5));
        assert!(ok);
        let s = &spans[0];
        assert_eq!(s.service, "api");
        assert_eq!(s.trace_id, "ab".repeat(16));
        assert_eq!(s.span_id, "0101010101010101");
        assert_eq!(s.parent_span_id, "0202020202020202");
        assert_eq!(s.kind, SpanKind::Server);
        assert_eq!(s.attr("http.route"), Some("/x"));
        let logs = rx.logs();
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].service, "inventory");
        assert_eq!(logs[0].body, "low stock");
        assert_eq!(logs[0].trace_id, "ab".repeat(16));
        assert_eq!(logs[0].span_id, "");
        assert_eq!(rx.trace_requests().len(), 1);
        assert!(rx.metric_requests().is_empty());
    }
}
