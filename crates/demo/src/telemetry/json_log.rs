//! Structured logs on stdout: one JSON object per line with timestamp, level, service, message,
//! the current trace and span ids, the event's fields and the fields of the spans around it.

use opentelemetry::trace::TraceContextExt;
use serde_json::{Map, Value};
use std::fmt;
use std::io::Write;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The stdout JSON layer.
pub struct JsonLogLayer {
    service: &'static str,
}

impl JsonLogLayer {
    pub fn new(service: &'static str) -> Self {
        JsonLogLayer { service }
    }
}

/// Fields recorded on a span, kept in its extensions so events inside it carry them.
#[derive(Debug, Default)]
struct SpanFields(Map<String, Value>);

/// Collects tracing fields into a JSON map.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl JsonVisitor<'_> {
    fn put(&mut self, field: &Field, v: Value) {
        self.0.insert(field.name().to_string(), v);
    }
}

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(
            field,
            serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number),
        );
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

/// Span fields that only steer the OpenTelemetry layer and mean nothing in a log line.
fn is_internal(key: &str) -> bool {
    key.starts_with("otel.")
}

/// Keys every line has, which fields cannot replace.
const RESERVED: [&str; 6] = ["timestamp", "level", "service", "message", "trace_id", "span_id"];

/// Builds one log line (without the newline): the standard keys first, in a fixed order, then
/// the span fields and the event fields.
pub fn format_line(
    timestamp: &str,
    level: &str,
    service: &str,
    ids: Option<(String, String)>,
    span_fields: Map<String, Value>,
    mut event_fields: Map<String, Value>,
) -> String {
    let message = event_fields
        .remove("message")
        .map_or(Value::from(""), |m| match m {
            Value::String(s) => Value::String(s),
            other => Value::String(other.to_string()),
        });
    let mut head: Vec<(&str, Value)> = vec![
        ("timestamp", Value::from(timestamp)),
        ("level", Value::from(level)),
        ("service", Value::from(service)),
        ("message", message),
    ];
    if let Some((trace_id, span_id)) = ids {
        head.push(("trace_id", Value::from(trace_id)));
        head.push(("span_id", Value::from(span_id)));
    }
    // Event fields come last so they win over the fields of the spans around them.
    let mut rest = span_fields;
    rest.extend(event_fields);
    rest.retain(|k, _| !is_internal(k) && !RESERVED.contains(&k.as_str()));
    let mut out = String::with_capacity(256);
    out.push('{');
    let pairs = head.into_iter().map(|(k, v)| (k.to_string(), v)).chain(rest);
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(k).to_string());
        out.push(':');
        out.push_str(&v.to_string());
    }
    out.push('}');
    out
}

impl<S> tracing_subscriber::Layer<S> for JsonLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = SpanFields::default();
        attrs.record(&mut JsonVisitor(&mut fields.0));
        span.extensions_mut().insert(fields);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(fields) = ext.get_mut::<SpanFields>() {
            values.record(&mut JsonVisitor(&mut fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut event_fields = Map::new();
        event.record(&mut JsonVisitor(&mut event_fields));
        let mut span_fields = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(f) = span.extensions().get::<SpanFields>() {
                    span_fields.extend(f.0.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let cx = opentelemetry::Context::current();
        let sc = cx.span().span_context().clone();
        let ids = sc
            .is_valid()
            .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()));
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let line = format_line(
            &timestamp,
            event.metadata().level().as_str(),
            self.service,
            ids,
            span_fields,
            event_fields,
        );
        let mut out = std::io::stdout().lock();
        // A closed stdout must not take the service down: the line is dropped.
        let _ = writeln!(out, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn line_has_the_standard_fields() {
        let line = format_line(
            "2026-01-01T00:00:00.000Z",
            "INFO",
            "api",
            Some((
                "0af7651916cd43dd8448eb211c80319c".into(),
                "b7ad6b7169203331".into(),
            )),
            map(json!({"method":"GET","otel.name":"GET /x","path":"/x"})),
            map(json!({"message":"request","status":200,"duration_ms":1.5})),
        );
        assert!(
            line.starts_with(r#"{"timestamp":"2026-01-01T00:00:00.000Z","level":"INFO","service":"api""#)
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["timestamp"], "2026-01-01T00:00:00.000Z");
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["service"], "api");
        assert_eq!(v["message"], "request");
        assert_eq!(v["trace_id"], "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(v["span_id"], "b7ad6b7169203331");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["status"], 200);
        assert_eq!(v["duration_ms"], 1.5);
        assert!(v.get("otel.name").is_none());
    }

    #[test]
    fn event_fields_cannot_overwrite_the_standard_ones() {
        let line = format_line(
            "t",
            "WARN",
            "payment",
            None,
            Map::new(),
            map(json!({"message":"m","service":"evil","level":"x"})),
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["service"], "payment");
        assert_eq!(v["level"], "WARN");
        assert!(v.get("trace_id").is_none());
    }
}
