//! `obslab traffic` as a real process against a recording server on loopback: the rate, the mix,
//! and the summary agree with what the server saw.

#[path = "traffic_support.rs"]
mod support;

use serde_json::Value;
use std::time::Duration;
use support::{Answer, Server, obslab};

const LIMIT: Duration = Duration::from_secs(60);

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

#[test]
fn rate_mix_and_errors_agree_with_the_server() {
    let server = Server::start(|s| Answer::status(if s.path == "/api/err" { 500 } else { 200 }));
    let url = server.url();
    let run = obslab(
        &[
            "traffic",
            "--target",
            &url,
            "--rate",
            "50",
            "--duration",
            "4s",
            "--output",
            "json",
            "--endpoint",
            "GET /api/a=6",
            "--endpoint",
            "GET /api/b=3",
            "--endpoint",
            "GET /api/err=1",
        ],
        LIMIT,
    );
    let summary = run.summary();
    let counts = server.counts();
    let total: u64 = counts.values().sum();

    // Within 5% of rate × duration, and the summary counts what the server saw.
    assert!((190..=210).contains(&total), "server saw {total}: {counts:?}");
    assert_eq!(count(&summary["requests"]), total);
    assert_eq!(count(&summary["scheduled"]), 200);
    assert_eq!(count(&summary["dropped"]), 0);
    let rate = summary["achieved_rate"].as_f64().unwrap();
    assert!((47.5..=52.5).contains(&rate), "achieved rate {rate}");

    // The mix proportions roughly hold (6:3:1).
    let share = |p: &str| *counts.get(p).unwrap_or(&0) as f64 / total as f64;
    assert!((0.48..=0.72).contains(&share("/api/a")), "{counts:?}");
    assert!((0.20..=0.40).contains(&share("/api/b")), "{counts:?}");
    assert!((0.03..=0.18).contains(&share("/api/err")), "{counts:?}");

    // Per-endpoint and error counts agree with the server.
    for e in summary["endpoints"].as_array().unwrap() {
        let path = e["name"].as_str().unwrap().strip_prefix("GET ").unwrap();
        assert_eq!(count(&e["requests"]), counts[path], "{e}");
    }
    assert_eq!(count(&summary["errors_by_status"]["500"]), counts["/api/err"]);
    assert_eq!(count(&summary["errors"]), counts["/api/err"]);
    assert_eq!(count(&summary["ok"]), counts["/api/a"] + counts["/api/b"]);
    let lat = &summary["latency_ms"];
    assert!(lat["p50"].as_f64().unwrap() > 0.0);
    assert!(lat["p99"].as_f64().unwrap() >= lat["p95"].as_f64().unwrap());
    assert!(lat["p95"].as_f64().unwrap() >= lat["p50"].as_f64().unwrap());
}

#[test]
fn default_mix_sends_shop_requests_with_valid_orders() {
    let server = Server::ok();
    let url = server.url();
    let run = obslab(
        &[
            "traffic",
            "--target",
            &url,
            "--rate",
            "100",
            "--duration",
            "3s",
            "--output",
            "json",
        ],
        LIMIT,
    );
    let summary = run.summary();
    let seen = server.seen();
    assert_eq!(count(&summary["requests"]), seen.len() as u64);
    let mut by_kind = std::collections::BTreeMap::<&str, u64>::new();
    for s in &seen {
        let kind = match (s.method.as_str(), s.path.as_str()) {
            ("GET", "/") => "page",
            ("GET", "/api/products") => "browse",
            ("GET", p) if p.starts_with("/api/products/") => {
                let id: u32 = p.trim_start_matches("/api/products/").parse().unwrap();
                assert!((1..=16).contains(&id), "{p}");
                "view"
            }
            ("GET", "/api/users") | ("GET", "/api/tasks") => "list",
            ("POST", "/api/tasks") => {
                let body: Value = serde_json::from_str(&s.body).unwrap();
                assert!(body["title"].as_str().unwrap().starts_with("task "));
                "task"
            }
            ("POST", "/api/orders") => {
                let body: Value = serde_json::from_str(&s.body).unwrap();
                assert!(
                    (1..=50).contains(&body["customer_id"].as_i64().unwrap()),
                    "{body}"
                );
                let items = body["items"].as_array().unwrap();
                assert!((1..=3).contains(&items.len()), "{body}");
                for it in items {
                    assert!((1..=16).contains(&it["product_id"].as_i64().unwrap()), "{body}");
                    assert!(it["quantity"].as_i64().unwrap() >= 1, "{body}");
                }
                let pm = body["payment_method"].as_str().unwrap();
                assert!(
                    ["card", "paypal", "bank_transfer", "gift_card"].contains(&pm),
                    "{body}"
                );
                "order"
            }
            ("GET", "/api/slow") | ("GET", "/api/smoke/db") => "rare",
            other => panic!("unexpected request {other:?}"),
        };
        *by_kind.entry(kind).or_default() += 1;
        assert!(s.user_agent.starts_with("obslab-traffic/"), "{}", s.user_agent);
    }
    let n = |k: &str| by_kind.get(k).copied().unwrap_or(0);
    // browse >> view product > add order > slow
    assert!(
        n("browse") > n("view") && n("view") > n("order") && n("order") > n("rare"),
        "{by_kind:?}"
    );
}

#[test]
fn table_output_and_no_progress_bar_off_a_terminal() {
    let server = Server::ok();
    let url = server.url();
    let run = obslab(
        &["traffic", "--target", &url, "--rate", "20", "--duration", "1s"],
        LIMIT,
    );
    assert!(run.status.success(), "{}", run.stderr);
    for needle in [
        "requests",
        "errors",
        "dropped",
        "achieved rate",
        "latency p50",
        "latency p99",
        "GET /api/products",
    ] {
        assert!(
            run.stdout.contains(needle),
            "missing {needle:?} in\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stderr.contains("sent,"),
        "progress bar drawn on a pipe:\n{}",
        run.stderr
    );
    assert_eq!(server.seen().len(), 20);
}

#[test]
fn mix_file_with_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let mix = dir.path().join("mix.yaml");
    std::fs::write(
        &mix,
        "- {method: GET, path: '/items/{rand:5..7}', weight: 1}\n\
         - method: POST\n  path: /submit\n  weight: 1\n  body: {id: '{rand:1..3}', kind: '{pick:x|y}'}\n",
    )
    .unwrap();
    let server = Server::ok();
    let url = server.url();
    let run = obslab(
        &[
            "traffic",
            "--target",
            &url,
            "--rate",
            "40",
            "--duration",
            "1s",
            "--mix",
            mix.to_str().unwrap(),
            "--output",
            "json",
        ],
        LIMIT,
    );
    assert_eq!(run.summary()["requests"], 40);
    let seen = server.seen();
    assert!(seen.iter().any(|s| s.method == "POST") && seen.iter().any(|s| s.method == "GET"));
    for s in seen {
        if s.method == "POST" {
            let body: Value = serde_json::from_str(&s.body).unwrap();
            assert!((1..=3).contains(&body["id"].as_i64().unwrap()), "{body}");
            assert!(["x", "y"].contains(&body["kind"].as_str().unwrap()), "{body}");
        } else {
            assert!(
                ["/items/5", "/items/6", "/items/7"].contains(&s.path.as_str()),
                "{}",
                s.path
            );
        }
    }
}

#[test]
fn a_wave_changes_the_rate_over_time() {
    let server = Server::ok();
    let url = server.url();
    // One full 2 s period: the average is the base rate.
    let run = obslab(
        &[
            "traffic",
            "--target",
            &url,
            "--rate",
            "30",
            "--duration",
            "2s",
            "--shape",
            "wave",
            "--period",
            "2s",
            "--output",
            "json",
        ],
        LIMIT,
    );
    let summary = run.summary();
    assert_eq!(summary["shape"], "wave");
    let n = count(&summary["requests"]);
    assert!((57..=63).contains(&n), "{summary}");
    assert_eq!(server.seen().len() as u64, n);
}
