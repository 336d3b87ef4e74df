//! Latency of dashboard and alert-rule queries in obslab's engine against a real Prometheus 2.42
//! on the same blocks. Run by hand:
//! `cargo run --release -p obslab-promql --example bench_vs_prometheus -- [HOURS] [RUNS]`.
//!
//! Prometheus is timed through its HTTP API (request, evaluation, JSON encoding, response);
//! obslab is timed in-process (evaluation only), so the ratio favours obslab by the HTTP and JSON
//! cost, which the `vector(1)` row estimates.

#[path = "../tests/differential_support/mod.rs"]
mod support;

use obslab_promql::{Engine, EngineOptions};
use std::time::{Duration, Instant};
use support::{
    Prometheus, Query, STEP_MS, T0_MS, agree, copy_dir, create_blocks, from_obslab, from_prometheus,
    http_get, peak_rss_kib, prometheus_available,
};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hours: i64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(6);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20).max(1);
    if !prometheus_available() {
        println!("SKIPPED: /usr/bin/prometheus or /usr/bin/promtool is not installed");
        return Ok(());
    }
    let samples = hours * 3_600_000 / STEP_MS;
    let work = std::env::temp_dir().join(format!("obslab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| format!("creating {}: {e}", work.display()))?;
    let blocks = create_blocks(&work, samples);
    let ours = work.join("obslab-data");
    copy_dir(&blocks, &ours);
    let prom = Prometheus::start(&work, &blocks);
    let db = obslab_tsdb::Db::open(
        &ours,
        obslab_tsdb::Options {
            background_compaction: false,
            retention_time: None,
            ..Default::default()
        },
    )
    .map_err(|e| format!("opening {}: {e}", ours.display()))?;
    let engine = Engine::new(EngineOptions::default());

    let end = T0_MS + samples * STEP_MS;
    let range = |expr: &str| Query {
        expr: expr.into(),
        start: T0_MS + 600_000 + 7_000,
        end,
        step: 60_000,
    };
    let instant = |expr: &str| Query {
        expr: expr.into(),
        start: end - 3_600_000 + 29_000,
        end: 0,
        step: 0,
    };
    let queries = [
        instant("vector(1)"),
        range("sum by (job) (rate(http_requests_total[5m]))"),
        range("histogram_quantile(0.99, sum by (le, job) (rate(request_duration_seconds_bucket[5m])))"),
        range("topk(3, rate(http_requests_total[5m]))"),
        range("avg_over_time(queue_depth[10m])"),
        instant("max_over_time(rate(http_requests_total[5m])[1h:1m])"),
        instant(
            "sum by (job) (rate(http_requests_total{code=\"500\"}[5m])) / \
             sum by (job) (rate(http_requests_total[5m])) > 0.05",
        ),
        instant("up == 0"),
        instant("avg_over_time(memory_usage_bytes[1h]) > 3e8"),
    ];

    println!(
        "{} series-hours of data ({hours} h, 15 s scrapes), {runs} runs per query, median latency",
        78 * hours
    );
    println!("obslab timed in-process (no HTTP/JSON); Prometheus via its HTTP API (see vector(1) row)\n");
    println!(
        "{:<96} {:>11} {:>11} {:>7}  same",
        "query", "obslab ms", "prom ms", "ratio"
    );
    for q in &queries {
        let expr = q.obslab_expr();
        let eval = || {
            if q.step == 0 {
                engine.instant_query(&db, &expr, q.start)
            } else {
                engine.range_query(&db, &expr, q.start, q.end, q.step)
            }
        };
        let path = q.api_path();
        // One warm-up each, also checking both give the same answer.
        let mine = from_obslab(eval());
        let (_, body) = http_get(prom.port, &path).map_err(|e| format!("prometheus: {e}"))?;
        let same = agree(&from_prometheus(&body), &mine);
        let mut ours_t = Vec::with_capacity(runs);
        let mut theirs_t = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let _ = eval();
            ours_t.push(t.elapsed());
            let t = Instant::now();
            http_get(prom.port, &path).map_err(|e| format!("prometheus: {e}"))?;
            theirs_t.push(t.elapsed());
        }
        let (o, p) = (median(ours_t), median(theirs_t));
        let kind = if q.step == 0 { "instant" } else { "range" };
        let label = format!("[{kind}] {}", q.expr);
        let label: String = label.chars().take(96).collect();
        println!(
            "{label:<96} {:>11.3} {:>11.3} {:>7.2}  {}",
            o.as_secs_f64() * 1e3,
            p.as_secs_f64() * 1e3,
            o.as_secs_f64() / p.as_secs_f64().max(1e-9),
            if same { "yes" } else { "NO" }
        );
    }
    let kib = |v: Option<u64>| v.map_or("n/a".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    println!(
        "\npeak RSS: obslab (this process, incl. the TSDB) {}, Prometheus {}",
        kib(peak_rss_kib("self")),
        kib(peak_rss_kib(&prom.pid().to_string()))
    );
    drop(prom);
    let _ = db.close();
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
