//! Real Prometheus tools against obslab: promtool queries the API; a real Prometheus scrapes an
//! exposition and remote-writes to obslab, and obslab then answers like that Prometheus; obslab's
//! sender remote-writes to a real Prometheus receiver. Skipped (with a "SKIPPED:" line) only when
//! the binaries are absent.

mod common;

use common::{TestServer, enc, now_ms};
use obslab_testkit::http::Request;
use obslab_testkit::{ChildGuard, free_port, wait_until};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";

fn have(bin: &str) -> bool {
    if Path::new(bin).exists() {
        true
    } else {
        println!("SKIPPED: {bin} is not installed");
        false
    }
}

fn promtool(args: &[&str]) -> String {
    let out = Command::new(PROMTOOL).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const T0: i64 = 1_700_000_000_000;

#[test]
fn promtool_queries_get_expected_answers() {
    if !have(PROMTOOL) {
        return;
    }
    let s = TestServer::start(|_| {});
    for (job, v) in [("api", 1.0), ("web", 0.0)] {
        s.append(
            &[("__name__", "up"), ("job", job)],
            &[(T0, v), (T0 + 15_000, v), (T0 + 30_000, v)],
        );
    }
    let url = format!("http://127.0.0.1:{}", s.port);
    let t = (T0 + 30_000) / 1000;

    let out = promtool(&[
        "query",
        "instant",
        "-o",
        "json",
        &url,
        "up",
        &format!("--time={t}"),
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2, "{out}");
    assert_eq!(v[0]["metric"], json!({"__name__": "up", "job": "api"}));
    assert_eq!(v[0]["value"], json!([t, "1"]));

    let out = promtool(&["query", "instant", &url, "sum(up)", &format!("--time={t}")]);
    assert_eq!(out.trim(), format!("{{}} => 1 @[{t}]"));

    let out = promtool(&[
        "query",
        "range",
        "-o",
        "json",
        &url,
        "up{job=\"web\"}",
        &format!("--start={}", T0 / 1000),
        &format!("--end={t}"),
        "--step=15s",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["values"].as_array().unwrap().len(), 3, "{out}");

    // promtool's default range ends 9999h around now; the samples are older, so name it.
    let (from, to) = (format!("--start={}", T0 / 1000 - 60), format!("--end={}", t + 60));
    let out = promtool(&["query", "series", "--match=up", &from, &to, &url]);
    assert_eq!(
        out.trim().lines().collect::<Vec<_>>(),
        vec![r#"{__name__="up", job="api"}"#, r#"{__name__="up", job="web"}"#]
    );

    let out = promtool(&["query", "labels", &from, &to, &url, "job"]);
    assert_eq!(out.trim().lines().collect::<Vec<_>>(), vec!["api", "web"]);
}

/// Serves a fixed exposition on a loopback port from the test's runtime.
fn exposition_server(s: &TestServer) -> u16 {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async {
            "# HELP lab_requests_total Requests.\n# TYPE lab_requests_total counter\nlab_requests_total{path=\"/a\"} 5\nlab_requests_total{path=\"/b\"} 7\n# TYPE lab_temp gauge\nlab_temp 21.5\n"
        }),
    );
    let listener =
        s.rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
    let port = listener.local_addr().unwrap().port();
    s.rt.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}

fn start_prometheus(dir: &Path, config: &str, extra: &[&str]) -> (ChildGuard, u16) {
    let port = free_port();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, config).unwrap();
    let data = dir.join("data");
    let mut args = vec![
        format!("--config.file={}", cfg.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--log.level=warn".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
    let child = ChildGuard::spawn_cmd(
        Command::new(PROMETHEUS)
            .args(&args)
            .stdout(log.try_clone().unwrap())
            .stderr(log),
    )
    .unwrap();
    let ready = wait_until(Duration::from_secs(30), || {
        Request::new("GET", port, "/-/ready")
            .timeout(Duration::from_secs(2))
            .send()
            .is_ok_and(|r| r.status == 200)
    });
    assert!(
        ready,
        "prometheus did not become ready: {}",
        std::fs::read_to_string(dir.join("prometheus.log")).unwrap_or_default()
    );
    (child, port)
}

fn query(port: u16, q: &str, t: f64) -> Value {
    let r = Request::new("GET", port, &format!("/api/v1/query?query={}&time={t}", enc(q)))
        .send()
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let mut v = r.json();
    // Sort for a stable comparison.
    if let Some(a) = v["data"]["result"].as_array_mut() {
        a.sort_by_key(|x| x["metric"].to_string());
    }
    v["data"].clone()
}

#[test]
fn real_prometheus_scrapes_and_remote_writes_to_obslab() {
    if !have(PROMETHEUS) {
        return;
    }
    let s = TestServer::start(|_| {});
    let expo = exposition_server(&s);
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: lab\n    static_configs:\n      - targets: ['127.0.0.1:{expo}']\nremote_write:\n  - url: http://127.0.0.1:{}/api/v1/write\n    queue_config:\n      batch_send_deadline: 500ms\n      min_backoff: 50ms\n    metadata_config:\n      send_interval: 1s\n",
        s.port
    );
    let (_prom, pport) = start_prometheus(dir.path(), &config, &[]);
    // Wait until obslab holds a few scrapes' worth of samples.
    let got = wait_until(Duration::from_secs(60), || {
        let v = query(s.port, "count_over_time(lab_temp[1m])", now_ms() as f64 / 1000.0);
        v["result"][0]["value"][1]
            .as_str()
            .and_then(|x| x.parse::<f64>().ok())
            .unwrap_or(0.0)
            >= 4.0
    });
    assert!(
        got,
        "no remote-written samples arrived: {}",
        std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
    );
    // A time whose samples both sides have for sure.
    let t = (now_ms() - 3000) as f64 / 1000.0;
    for q in [
        "lab_requests_total",
        "lab_temp",
        "up",
        "{job=\"lab\"}",
        "lab_temp[5s]",
        "sum by (path) (lab_requests_total)",
    ] {
        let ours = query(s.port, q, t);
        let theirs = query(pport, q, t);
        assert_eq!(ours, theirs, "query {q} at {t}");
    }
    let ours = query(s.port, "lab_requests_total{path=\"/b\"}", t);
    assert_eq!(ours["result"][0]["value"][1], "7");
    // Prometheus sends metadata too.
    let got_md = wait_until(Duration::from_secs(15), || {
        let r = Request::new("GET", s.port, "/api/v1/metadata?metric=lab_temp")
            .send()
            .unwrap();
        r.json()["data"]["lab_temp"][0]["type"] == "gauge"
    });
    assert!(got_md, "metadata did not arrive");
}

#[test]
fn obslab_sender_remote_writes_to_real_prometheus() {
    if !have(PROMETHEUS) {
        return;
    }
    let s = TestServer::start(|_| {});
    let dir = tempfile::tempdir().unwrap();
    let (_prom, pport) = start_prometheus(
        dir.path(),
        "global:\n  scrape_interval: 1m\n",
        &["--web.enable-remote-write-receiver"],
    );
    let yaml = format!(
        "remote_write:\n  - url: http://127.0.0.1:{pport}/api/v1/write\n    queue_config:\n      batch_send_deadline: 100ms\n"
    );
    let cfg = obslab_scrape::config::load_str(&yaml).unwrap().remote_write[0].clone();
    let _g = s.rt.enter();
    let sender = obslab_api::RemoteWriteSender::start(&cfg, obslab_model::Labels::empty()).unwrap();
    let t0 = now_ms() - 20_000;
    let mut batch = Vec::new();
    let mut app = s.state.db.appender();
    for (i, job) in ["a", "b"].iter().enumerate() {
        let l = obslab_model::Labels::from_pairs([("__name__", "obslab_sent"), ("job", job)]);
        for k in 0..5 {
            let (t, v) = (t0 + k * 1000, (i * 10 + k as usize) as f64);
            app.append(&l, t, v).unwrap();
            batch.push((l.clone(), t, v));
        }
    }
    app.commit().unwrap();
    sender.enqueue(&batch);
    assert!(
        wait_until(Duration::from_secs(20), || sender.stats().samples_sent == 10),
        "{:?}",
        sender.stats()
    );
    let t = (t0 + 4000) as f64 / 1000.0;
    for q in ["obslab_sent", "obslab_sent[10s]", "sum(obslab_sent)"] {
        assert_eq!(query(s.port, q, t), query(pport, q, t), "query {q}");
    }
    assert_eq!(
        query(pport, "obslab_sent{job=\"b\"}", t)["result"][0]["value"][1],
        "14"
    );
}
