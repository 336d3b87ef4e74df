//! Traces and logs exported over OTLP/gRPC to a test receiver: one order through the gateway is
//! one trace gateway → api → payment/inventory, DB queries are spans, W3C traceparent is honoured,
//! and the services keep working when nothing receives their telemetry.

#[path = "demo_support.rs"]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use obslab_testkit::otlp::{OtlpReceiver, SpanKind, SpanRecord};
use obslab_testkit::{free_port, wait_until};
use support::*;

/// The chain of ancestors of `span` (itself first) within the given spans.
fn ancestors<'a>(span: &'a SpanRecord, by_id: &HashMap<&str, &'a SpanRecord>) -> Vec<&'a SpanRecord> {
    let mut chain = vec![span];
    let mut cur = span;
    while !cur.parent_span_id.is_empty() {
        match by_id.get(cur.parent_span_id.as_str()) {
            Some(p) if chain.len() < 64 => {
                chain.push(p);
                cur = p;
            }
            _ => break,
        }
    }
    chain
}

/// For a trace: payment's server span, whose parent is an api client span, whose ancestors reach a
/// gateway span at the root.
fn linked_order_trace(spans: &[SpanRecord]) -> Option<String> {
    for pay in spans
        .iter()
        .filter(|s| s.service == "payment" && s.kind == SpanKind::Server)
    {
        let trace: Vec<&SpanRecord> = spans.iter().filter(|s| s.trace_id == pay.trace_id).collect();
        let by_id: HashMap<&str, &SpanRecord> = trace.iter().map(|s| (s.span_id.as_str(), *s)).collect();
        let Some(client) = by_id.get(pay.parent_span_id.as_str()) else {
            continue;
        };
        if client.service != "api" || client.kind != SpanKind::Client {
            continue;
        }
        let chain = ancestors(client, &by_id);
        let root = chain.last()?;
        let has_api_server = chain
            .iter()
            .any(|s| s.service == "api" && s.kind == SpanKind::Server);
        if has_api_server && root.service == "gateway" && root.parent_span_id.is_empty() {
            return Some(pay.trace_id.clone());
        }
    }
    None
}

#[test]
fn an_order_through_the_gateway_is_one_linked_trace() {
    let rx = OtlpReceiver::start().unwrap();
    let shop = Shop::start(Some(rx.endpoint()), false, true);
    let gw = shop.gateway();
    let pid = product_ids(&shop.api)[0];
    let r = gw.post("/api/orders", &order(pid, 1));
    assert!(r.status < 600, "{}", r.text());

    let (ok, spans) = rx.wait_for_spans(|s| linked_order_trace(s).is_some(), Duration::from_secs(30));
    let summary: Vec<String> = spans
        .iter()
        .map(|s| {
            format!(
                "{} {:?} {} {}/{}<-{}",
                s.service, s.kind, s.name, s.trace_id, s.span_id, s.parent_span_id
            )
        })
        .collect();
    assert!(
        ok,
        "no linked gateway → api → payment trace; spans:\n{}",
        summary.join("\n")
    );
    let trace_id = linked_order_trace(&spans).unwrap();
    // Each service exports on its own schedule: wait for inventory's part of a successful order.
    let (_, spans) = rx.wait_for_spans(
        |s| {
            r.status != 201
                || s.iter()
                    .any(|s| s.trace_id == trace_id && s.service == "inventory" && s.kind == SpanKind::Server)
        },
        Duration::from_secs(20),
    );
    let trace: Vec<&SpanRecord> = spans.iter().filter(|s| s.trace_id == trace_id).collect();

    // The gateway's root span is a server span for the order request.
    assert!(
        trace
            .iter()
            .any(|s| s.service == "gateway" && s.kind == SpanKind::Server && s.parent_span_id.is_empty()),
        "gateway server span at the root"
    );
    // api reached inventory in the same trace (payment first, then inventory) unless payment declined.
    if r.status == 201 {
        assert!(
            trace
                .iter()
                .any(|s| s.service == "inventory" && s.kind == SpanKind::Server),
            "inventory span in the order's trace"
        );
    }
    // Each DB query of api is a span with db.statement and db.operation.
    let db_spans: Vec<_> = trace
        .iter()
        .filter(|s| s.service == "api" && s.attr("db.statement").is_some_and(|st| !st.is_empty()))
        .collect();
    assert!(!db_spans.is_empty(), "api DB spans in the order's trace");
    for s in &db_spans {
        let op = s.attr("db.operation").unwrap_or_default().to_ascii_uppercase();
        assert!(
            ["SELECT", "INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|k| op.starts_with(k)),
            "db.operation {op:?} of {:?}",
            s.name
        );
    }
    // Every span's resource names its service and instance (<service>-<port> by default).
    for s in &trace {
        let port = match s.service.as_str() {
            "gateway" => gw.port,
            "api" => shop.api.port,
            "payment" => shop.payment.port,
            "inventory" => shop.inventory.port,
            other => panic!("unexpected service {other:?} in the trace"),
        };
        assert_eq!(
            s.resource.get("service.instance.id"),
            Some(&format!("{}-{port}", s.service))
        );
    }
    // Children start within their parents' time.
    let by_id: HashMap<&str, &SpanRecord> = trace.iter().map(|s| (s.span_id.as_str(), *s)).collect();
    for s in &trace {
        if let Some(p) = by_id.get(s.parent_span_id.as_str()) {
            assert!(s.start_unix_nano >= p.start_unix_nano && s.end_unix_nano >= s.start_unix_nano);
        }
    }

    // Logs arrive too, some of them in the order's trace.
    let (ok, logs) = rx.wait_for_logs(
        |l| l.iter().any(|l| l.service == "api") && l.iter().any(|l| l.trace_id == trace_id),
        Duration::from_secs(20),
    );
    let services: std::collections::BTreeSet<_> = logs.iter().map(|l| l.service.clone()).collect();
    assert!(
        ok,
        "OTLP logs from api and in trace {trace_id}; got logs from {services:?}"
    );
    assert!(
        logs.iter().all(|l| !l.service.is_empty()),
        "every log resource has service.name"
    );
    assert!(logs.iter().any(|l| !l.body.is_empty() && l.severity_number > 0));
}

#[test]
fn an_incoming_traceparent_is_continued() {
    let rx = OtlpReceiver::start().unwrap();
    let db = Db::new();
    let api = Svc::start(
        "api",
        &Opts::db(&db).otlp(rx.endpoint()).arg("--instance", "api-blue"),
    );
    let (header, trace_id, parent) = traceparent(7);
    let r = api
        .req("GET", "/api/products")
        .header("traceparent", &header)
        .send()
        .unwrap();
    assert_eq!(r.status, 200);
    let (ok, spans) = rx.wait_for_spans(
        |s| {
            s.iter()
                .any(|s| s.trace_id == trace_id && s.kind == SpanKind::Server)
        },
        Duration::from_secs(30),
    );
    assert!(ok, "no server span in trace {trace_id}: {} spans", spans.len());
    let server = spans
        .iter()
        .find(|s| s.trace_id == trace_id && s.kind == SpanKind::Server)
        .unwrap();
    assert_eq!(server.service, "api");
    assert_eq!(
        server.resource.get("service.instance.id").map(String::as_str),
        Some("api-blue")
    );
    assert_eq!(
        server.parent_span_id, parent,
        "the server span's parent is the caller's span"
    );
    let db_child = spans.iter().any(|s| {
        s.trace_id == trace_id
            && s.attr("db.statement").is_some()
            && ancestors_contains(&spans, s, &server.span_id)
    });
    assert!(db_child, "the products query is a span under the request span");
}

fn ancestors_contains(spans: &[SpanRecord], s: &SpanRecord, id: &str) -> bool {
    let by_id: HashMap<&str, &SpanRecord> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    ancestors(s, &by_id).iter().any(|a| a.span_id == id)
}

#[test]
fn services_keep_working_when_nothing_receives_telemetry() {
    // A loopback port nobody listens on.
    let dead = format!("http://127.0.0.1:{}", free_port());
    let shop = Shop::start(Some(dead), true, true);
    let gw = shop.gateway();
    let pid = product_ids(&shop.api)[0];
    let mut created = 0;
    for _ in 0..10 {
        let r = gw.get("/api/products");
        assert_eq!(r.status, 200);
        assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
        if gw.post("/api/orders", &order(pid, 1)).status == 201 {
            created += 1;
        }
    }
    assert!(created >= 5, "orders keep succeeding: {created}/10");
    // Past the first export attempts (the SDK batches for a few seconds), everything still answers.
    std::thread::sleep(Duration::from_secs(6));
    for svc in [&shop.api, &shop.payment, &shop.inventory, shop.worker(), gw] {
        assert!(svc.alive(), "{} died without a telemetry receiver", svc.name);
        let r = svc.get("/health");
        assert_eq!(r.status, 200);
        assert!(
            r.elapsed < Duration::from_secs(2),
            "{} /health took {:?}",
            svc.name,
            r.elapsed
        );
    }
    let ok = wait_until(Duration::from_secs(5), || gw.get("/api/products").status == 200);
    assert!(ok);
}
