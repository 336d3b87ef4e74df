//! Differential test against a real Prometheus 2.42: the same blocks (made by `promtool` from a
//! generated OpenMetrics file) are served by Prometheus over HTTP and by obslab's TSDB to this
//! engine, and every generated query must give the same answer in both.

mod differential_support;

use differential_support::{
    Prometheus, agree, copy_dir, create_blocks, expressions, first_difference, from_obslab, from_prometheus,
    http_get, prometheus_available, queries, render,
};
use obslab_promql::{Engine, EngineOptions};
use std::time::{Duration, Instant};

/// Three hours of 15 s scrapes.
const SAMPLES: i64 = 720;

#[test]
fn obslab_agrees_with_prometheus() {
    if !prometheus_available() {
        println!("SKIPPED: /usr/bin/prometheus or /usr/bin/promtool is not installed");
        return;
    }
    let started = Instant::now();
    let work = tempfile::tempdir().unwrap();
    let blocks = create_blocks(work.path(), SAMPLES);
    let ours = work.path().join("obslab-data");
    copy_dir(&blocks, &ours);
    let prom = Prometheus::start(work.path(), &blocks);
    let db = obslab_tsdb::Db::open(
        &ours,
        obslab_tsdb::Options {
            background_compaction: false,
            retention_time: None,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!db.blocks().is_empty(), "obslab-tsdb opened no blocks");
    let engine = Engine::new(EngineOptions::default());

    let qs = queries(&expressions(), SAMPLES);
    let deadline = started + Duration::from_secs(240);
    let mut failures = Vec::new();
    for q in &qs {
        assert!(
            Instant::now() < deadline,
            "differential run took longer than 240 s"
        );
        let (_, body) = http_get(prom.port, &q.api_path()).unwrap();
        let theirs = from_prometheus(&body);
        let expr = q.obslab_expr();
        let mine = from_obslab(if q.step == 0 {
            engine.instant_query(&db, &expr, q.start)
        } else {
            engine.range_query(&db, &expr, q.start, q.end, q.step)
        });
        if !agree(&theirs, &mine) {
            failures.push(format!(
                "{}\n  first difference (prometheus vs obslab): {}\n  prometheus: {}\n  obslab:     {}",
                q.describe(),
                first_difference(&theirs, &mine),
                render(&theirs),
                render(&mine)
            ));
        }
    }
    println!(
        "differential: {}/{} queries agree ({:.1} s)",
        qs.len() - failures.len(),
        qs.len(),
        started.elapsed().as_secs_f64()
    );
    db.close().unwrap();
    assert!(
        failures.is_empty(),
        "{} queries differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
