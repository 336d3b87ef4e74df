//! The remote-write sender delivers to a real receiver, retrying 5xx and 429 with backoff and
//! dropping batches a server refuses with other 4xx answers.

mod common;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use common::{TestServer, enc, now_ms};
use obslab_api::RemoteWriteSender;
use obslab_model::Labels;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Starts the API router behind a layer that answers the first `fail` writes with `code`;
/// returns the port.
fn flaky_receiver(s: &TestServer, fail: usize, code: StatusCode, seen: Arc<AtomicUsize>) -> u16 {
    let app =
        obslab_api::router(s.state.clone()).layer(middleware::from_fn(move |req: Request, next: Next| {
            let seen = seen.clone();
            async move {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                if n < fail {
                    return (code, "injected failure").into_response();
                }
                let r: Response = next.run(req).await;
                r
            }
        }));
    let listener =
        s.rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
    let port = listener.local_addr().unwrap().port();
    s.rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

fn sender_config(port: u16, extra: &str) -> obslab_scrape::config::RemoteWriteConfig {
    let yaml = format!(
        "remote_write:\n  - url: http://127.0.0.1:{port}/api/v1/write\n    name: test\n    queue_config:\n      max_samples_per_send: 10\n      batch_send_deadline: 50ms\n      min_backoff: 10ms\n      max_backoff: 100ms\n{extra}"
    );
    let cfg = obslab_scrape::config::load_str(&yaml).unwrap();
    cfg.remote_write[0].clone()
}

fn wait_for(mut f: impl FnMut() -> bool) -> bool {
    obslab_testkit::wait_until(Duration::from_secs(20), &mut f)
}

#[test]
fn retries_after_injected_500s_then_delivers() {
    let s = TestServer::start(|_| {});
    let seen = Arc::new(AtomicUsize::new(0));
    let port = flaky_receiver(&s, 3, StatusCode::INTERNAL_SERVER_ERROR, seen.clone());
    let _g = s.rt.enter();
    let sender =
        RemoteWriteSender::start(&sender_config(port, ""), Labels::from_pairs([("cluster", "lab")])).unwrap();
    let t = now_ms() - 10_000;
    let l = Labels::from_pairs([("__name__", "sent_metric"), ("job", "j")]);
    let samples: Vec<(Labels, i64, f64)> = (0..25).map(|i| (l.clone(), t + i * 100, i as f64)).collect();
    sender.enqueue(&samples);
    assert!(
        wait_for(|| sender.stats().samples_sent == 25),
        "stats: {:?}",
        sender.stats()
    );
    let st = sender.stats();
    assert!(st.samples_retried >= 3, "{st:?}");
    assert_eq!(st.samples_failed, 0);
    assert!(seen.load(Ordering::SeqCst) >= 6);
    let v = s
        .get(&format!(
            "/api/v1/query?query={}&time={}",
            enc("sent_metric{cluster=\"lab\"}"),
            (t + 2400) / 1000 + 1
        ))
        .json();
    assert_eq!(v["data"]["result"][0]["value"][1], "24", "{v}");
    let mut m = String::new();
    obslab_api::MetricsSource::render(&sender, &mut m);
    assert!(
        m.contains("prometheus_remote_storage_samples_total{remote_name=\"test\""),
        "{m}"
    );
    assert!(
        m.contains("prometheus_remote_storage_samples_retried_total"),
        "{m}"
    );
    s.rt.block_on(sender.shutdown(Duration::from_secs(2)));
}

#[test]
fn client_errors_drop_the_batch() {
    let s = TestServer::start(|_| {});
    let seen = Arc::new(AtomicUsize::new(0));
    let port = flaky_receiver(&s, 1, StatusCode::BAD_REQUEST, seen.clone());
    let _g = s.rt.enter();
    let sender = RemoteWriteSender::start(&sender_config(port, ""), Labels::empty()).unwrap();
    let t = now_ms() - 10_000;
    let l = Labels::from_pairs([("__name__", "dropped")]);
    sender.enqueue(&[(l.clone(), t, 1.0)]);
    assert!(
        wait_for(|| sender.stats().samples_failed == 1),
        "{:?}",
        sender.stats()
    );
    sender.enqueue(&[(l, t + 1000, 2.0)]);
    assert!(
        wait_for(|| sender.stats().samples_sent == 1),
        "{:?}",
        sender.stats()
    );
    assert_eq!(sender.stats().samples_retried, 0);
}

#[test]
fn http_429_is_retried_only_when_configured() {
    let s = TestServer::start(|_| {});
    let seen = Arc::new(AtomicUsize::new(0));
    let port = flaky_receiver(&s, 1, StatusCode::TOO_MANY_REQUESTS, seen.clone());
    let _g = s.rt.enter();
    let sender = RemoteWriteSender::start(
        &sender_config(port, "      retry_on_http_429: false\n"),
        Labels::empty(),
    )
    .unwrap();
    sender.enqueue(&[(Labels::from_pairs([("__name__", "x")]), now_ms() - 1000, 1.0)]);
    assert!(
        wait_for(|| sender.stats().samples_failed == 1),
        "{:?}",
        sender.stats()
    );

    let seen2 = Arc::new(AtomicUsize::new(0));
    let port2 = flaky_receiver(&s, 2, StatusCode::TOO_MANY_REQUESTS, seen2);
    let sender2 = RemoteWriteSender::start(&sender_config(port2, ""), Labels::empty()).unwrap();
    sender2.enqueue(&[(Labels::from_pairs([("__name__", "y")]), now_ms() - 1000, 1.0)]);
    assert!(
        wait_for(|| sender2.stats().samples_sent == 1),
        "{:?}",
        sender2.stats()
    );
    assert_eq!(sender2.stats().samples_retried, 2);
}

#[test]
fn write_relabel_configs_and_append_hook() {
    // Samples written to one obslab are forwarded by its sender to another.
    let downstream = TestServer::start(|_| {});
    let port = downstream.port;
    let upstream = TestServer::start(|_| {});
    let _g = upstream.rt.enter();
    let extra = "    write_relabel_configs:\n      - source_labels: [__name__]\n        regex: secret_.*\n        action: drop\n";
    let yaml = format!(
        "remote_write:\n  - url: http://127.0.0.1:{port}/api/v1/write\n    name: fwd\n{extra}    queue_config:\n      batch_send_deadline: 50ms\n"
    );
    let yaml_cfg = obslab_scrape::config::load_str(&yaml).unwrap().remote_write[0].clone();
    let sender = RemoteWriteSender::start(&yaml_cfg, Labels::empty()).unwrap();
    let mut state = upstream.state.clone();
    state.append_hooks.push(Arc::new(sender.clone()));
    // A second server over the same state, now with the hook attached.
    let listener = upstream
        .rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let up_port = listener.local_addr().unwrap().port();
    upstream.rt.spawn(async move {
        let _ = obslab_api::serve_listener(listener, state, std::future::pending()).await;
    });
    let t = now_ms() - 5000;
    let body = common::write_request(&[
        (&[("__name__", "public_metric")], &[(t, 1.0)]),
        (&[("__name__", "secret_metric")], &[(t, 2.0)]),
    ]);
    let r = obslab_testkit::http::Request::new("POST", up_port, "/api/v1/write")
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "snappy")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.status, 204);
    assert!(
        wait_for(|| sender.stats().samples_sent == 1),
        "{:?}",
        sender.stats()
    );
    assert_eq!(sender.stats().samples_dropped, 1);
    let v = downstream.get("/api/v1/label/__name__/values").json();
    assert_eq!(v["data"], serde_json::json!(["public_metric"]));
}
