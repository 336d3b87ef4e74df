//! The generator run in-process against recording servers on loopback.

mod support;

use obslab_traffic::{Endpoint, Shape, TrafficConfig, run};
use serde_json::json;
use std::time::{Duration, Instant};
use support::{Answer, TestServer, closed_port};
use tokio_util::sync::CancellationToken;
use url::Url;

fn config(target: &str, rate: f64, secs: f64, mix: Vec<Endpoint>) -> TrafficConfig {
    TrafficConfig {
        target: Url::parse(target).unwrap(),
        rate,
        duration: Some(Duration::from_secs_f64(secs)),
        mix,
        ..TrafficConfig::default()
    }
}

fn get(path: &str, weight: f64) -> Endpoint {
    Endpoint::new("GET", path, weight)
}

#[tokio::test]
async fn steady_rate_matches_and_counts_agree() {
    let server = TestServer::start(|r| {
        if r.path == "/boom" {
            Answer::status(500, "{}")
        } else {
            Answer::ok("{}")
        }
    })
    .await;
    let cfg = config(&server.url(), 100.0, 2.0, vec![get("/a", 4.0), get("/boom", 1.0)]);
    let summary = run(cfg, CancellationToken::new(), None).await.unwrap();
    let seen = server.recorded();
    assert_eq!(summary.scheduled, 200);
    assert!((190..=210).contains(&summary.requests), "{summary:?}");
    assert_eq!(summary.requests, seen.len() as u64);
    assert_eq!(summary.ok + summary.errors, summary.requests);
    let booms = seen.iter().filter(|r| r.path == "/boom").count() as u64;
    assert_eq!(summary.errors_by_status.get("500").copied().unwrap_or(0), booms);
    assert!((20..=60).contains(&booms), "{booms}");
    assert_eq!(summary.endpoints[1].name, "GET /boom");
    assert_eq!(summary.endpoints[1].requests, booms);
    assert!(
        (summary.achieved_rate - 100.0).abs() <= 5.0,
        "{}",
        summary.achieved_rate
    );
    assert!(summary.latency_ms.p50 > 0.0 && summary.latency_ms.p99 >= summary.latency_ms.p50);
    let ua = &seen[0].user_agent;
    assert_eq!(ua, &format!("obslab-traffic/{}", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn requests_start_on_schedule_without_waiting_for_answers() {
    let server = TestServer::start(|_| Answer {
        delay: Some(Duration::from_millis(400)),
        ..Answer::ok("{}")
    })
    .await;
    let started = Instant::now();
    let cfg = config(&server.url(), 20.0, 1.0, vec![get("/slow", 1.0)]);
    let summary = run(cfg, CancellationToken::new(), None).await.unwrap();
    // A closed loop with one worker would manage 3 in a second; the open model sends all 20.
    assert_eq!(summary.requests, 20, "{summary:?}");
    assert_eq!(summary.dropped, 0);
    assert!(summary.latency_ms.p50 >= 390.0, "{:?}", summary.latency_ms);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn concurrency_caps_in_flight_requests_and_counts_dropped() {
    let server = TestServer::start(|_| Answer {
        delay: Some(Duration::from_millis(450)),
        ..Answer::ok("{}")
    })
    .await;
    let cfg = TrafficConfig {
        concurrency: 2,
        ..config(&server.url(), 20.0, 1.0, vec![get("/x", 1.0)])
    };
    let summary = run(cfg, CancellationToken::new(), None).await.unwrap();
    assert_eq!(summary.scheduled, 20);
    assert_eq!(summary.requests + summary.dropped, 20, "{summary:?}");
    assert!(summary.requests <= 6, "{summary:?}");
    assert!(summary.dropped >= 14, "{summary:?}");
    assert_eq!(server.recorded().len() as u64, summary.requests);
    assert_eq!(server.peak.max(), 2);
}

#[tokio::test]
async fn timeouts_and_connection_failures_are_errors() {
    let server = TestServer::start(|_| Answer {
        delay: Some(Duration::from_secs(3)),
        ..Answer::ok("{}")
    })
    .await;
    let cfg = TrafficConfig {
        timeout: Duration::from_millis(200),
        ..config(&server.url(), 10.0, 0.5, vec![get("/x", 1.0)])
    };
    let summary = run(cfg, CancellationToken::new(), None).await.unwrap();
    assert_eq!(summary.errors_by_status.get("timeout"), Some(&5), "{summary:?}");
    assert_eq!(summary.ok, 0);

    let closed = format!("http://127.0.0.1:{}", closed_port());
    let summary = run(
        config(&closed, 10.0, 0.3, vec![get("/x", 1.0)]),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(summary.errors_by_status.get("connect"), Some(&3), "{summary:?}");
    assert_eq!(summary.latency_ms.p99, 0.0);
}

#[tokio::test]
async fn stop_ends_an_endless_run_promptly() {
    let server = TestServer::start(|_| Answer::ok("{}")).await;
    let mut cfg = config(&server.url(), 50.0, 1.0, vec![get("/x", 1.0)]);
    cfg.duration = None;
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        stopper.cancel();
    });
    let started = Instant::now();
    let pb = indicatif::ProgressBar::hidden();
    let summary = run(cfg, stop, Some(pb.clone())).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!((20..=40).contains(&summary.requests), "{summary:?}");
    assert!(
        summary.elapsed_s > 0.5 && summary.elapsed_s < 3.0,
        "{}",
        summary.elapsed_s
    );
    assert!(pb.is_finished());
}

#[tokio::test]
async fn stop_cancels_requests_still_in_flight() {
    let server = TestServer::start(|_| Answer {
        delay: Some(Duration::from_secs(30)),
        ..Answer::ok("{}")
    })
    .await;
    let mut cfg = config(&server.url(), 10.0, 1.0, vec![get("/hang", 1.0)]);
    cfg.duration = None;
    cfg.timeout = Duration::from_secs(60);
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stopper.cancel();
    });
    let started = Instant::now();
    let summary = run(cfg, stop, None).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert!(summary.requests >= 2);
    assert_eq!(
        summary.errors_by_status.get("cancelled"),
        Some(&summary.requests),
        "{summary:?}"
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = TestServer::start(|_| Answer::ok("{}")).await;
    let target_of_redirect = format!("{}/landed", elsewhere.url());
    let server = TestServer::start(move |_| Answer {
        location: Some(target_of_redirect.clone()),
        ..Answer::status(302, "")
    })
    .await;
    let summary = run(
        config(&server.url(), 20.0, 0.5, vec![get("/go", 1.0)]),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(summary.requests, 10);
    assert_eq!(summary.ok, 10, "a 3xx is an answer, not an error: {summary:?}");
    assert!(elsewhere.recorded().is_empty());
}

#[tokio::test]
async fn non_loopback_targets_are_refused_before_sending() {
    let cfg = config("http://192.0.2.1:8080", 10.0, 1.0, vec![get("/x", 1.0)]);
    let started = Instant::now();
    let err = run(cfg, CancellationToken::new(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a loopback address"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn bodies_and_placeholders_are_expanded() {
    let server = TestServer::start(|_| Answer::ok("{}")).await;
    let mut order = Endpoint::new("POST", "/api/orders", 1.0);
    order.body = Some(json!({"customer_id": "{rand:1..50}", "payment_method": "{pick:card|paypal}"}));
    let mix = vec![get("/api/products/{rand:1..20}?page={rand:1..3}", 1.0), order];
    run(
        config(&server.url(), 50.0, 0.6, mix),
        CancellationToken::new(),
        None,
    )
    .await
    .unwrap();
    let seen = server.recorded();
    assert_eq!(seen.len(), 30);
    for r in &seen {
        if r.method == "POST" {
            assert_eq!(r.content_type, "application/json");
            let body = r.json();
            assert!(
                (1..=50).contains(&body["customer_id"].as_i64().unwrap()),
                "{body}"
            );
            assert!(["card", "paypal"].contains(&body["payment_method"].as_str().unwrap()));
        } else {
            let id: u32 = r.path.strip_prefix("/api/products/").unwrap().parse().unwrap();
            assert!((1..=20).contains(&id));
            let page: u32 = r
                .query
                .as_deref()
                .unwrap()
                .strip_prefix("page=")
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=3).contains(&page));
        }
    }
}

#[tokio::test]
async fn shapes_change_the_count() {
    let server = TestServer::start(|_| Answer::ok("{}")).await;
    let mut cfg = config(&server.url(), 40.0, 1.0, vec![get("/x", 1.0)]);
    cfg.shape = Shape::Ramp;
    let ramp = run(cfg.clone(), CancellationToken::new(), None).await.unwrap();
    assert_eq!(ramp.scheduled, 20, "ramp 0→40 over 1 s averages 20/s");
    cfg.shape = Shape::Spike;
    let spike = run(cfg, CancellationToken::new(), None).await.unwrap();
    assert_eq!(spike.scheduled, 72, "0.8 s at 40/s + 0.2 s at 200/s");
    assert_eq!(server.recorded().len() as u64, ramp.requests + spike.requests);
}

#[tokio::test]
async fn stop_lets_requests_in_flight_finish_within_the_grace() {
    let server = TestServer::start(|_| Answer {
        delay: Some(Duration::from_millis(500)),
        ..Answer::ok("{}")
    })
    .await;
    let mut cfg = config(&server.url(), 10.0, 1.0, vec![get("/x", 1.0)]);
    cfg.duration = None;
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(350)).await;
        stopper.cancel();
    });
    let summary = run(cfg, stop, None).await.unwrap();
    assert!(summary.requests >= 3, "{summary:?}");
    assert_eq!(summary.ok, summary.requests, "{summary:?}");
    assert_eq!(summary.errors, 0, "{summary:?}");
}

#[tokio::test]
async fn stop_during_the_final_wait_cuts_it_short() {
    let server = TestServer::start(|_| Answer {
        delay: Some(Duration::from_secs(30)),
        ..Answer::ok("{}")
    })
    .await;
    let mut cfg = config(&server.url(), 10.0, 0.3, vec![get("/hang", 1.0)]);
    cfg.timeout = Duration::from_secs(60);
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        stopper.cancel();
    });
    let started = Instant::now();
    let summary = run(cfg, stop, None).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(summary.requests, 3);
    assert_eq!(summary.errors_by_status.get("cancelled"), Some(&3), "{summary:?}");
    assert_eq!(summary.elapsed_s, 0.3);
}
