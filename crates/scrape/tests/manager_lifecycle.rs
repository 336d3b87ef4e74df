//! The scrape manager over time: file SD changes, reloads by target identity, removed targets,
//! the real node_exporter, and the TSDB as storage.

mod manager_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use manager_support::*;
use obslab_model::sample::is_stale_nan;
use obslab_model::{Labels, MatchOp, Matcher};
use obslab_scrape::manager::{AppenderFactory, Health, ScrapeManager};
use obslab_scrape::target::{AppendError, Appender};

fn up(job: &str, host: &str) -> String {
    format!("up{{instance=\"{host}\", job=\"{job}\"}}")
}

fn added(job: &str, host: &str) -> String {
    format!("scrape_series_added{{instance=\"{host}\", job=\"{job}\"}}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sd_changes_start_and_stop_targets() {
    let a = serve("x 1\n").await;
    let b = serve("x 2\n").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.json");
    std::fs::write(
        &file,
        format!(
            "[{{\"targets\": [\"{}\"], \"labels\": {{\"team\": \"a\"}}}}]",
            a.host()
        ),
    )
    .unwrap();
    let yaml = format!(
        "scrape_configs:\n  - job_name: fsd\n    scrape_interval: 200ms\n    scrape_timeout: 150ms\n    file_sd_configs:\n      - files: ['{}']\n        refresh_interval: 1s\n",
        dir.path().join("*.json").display()
    );
    let store = Store::default();
    let m = manager(&store);
    m.apply_config(&load(&yaml)).await.unwrap();
    let xa = format!("x{{instance=\"{}\", job=\"fsd\", team=\"a\"}}", a.host());
    wait_for("target a scraped", 10, || !store.values(&xa).is_empty()).await;
    let view = m.targets().await;
    assert_eq!(
        view.active_targets[0].discovered_labels["__meta_filepath"],
        file.display().to_string()
    );

    std::fs::write(
        &file,
        format!(
            "[{{\"targets\": [\"{}\"], \"labels\": {{\"team\": \"b\"}}}}]",
            b.host()
        ),
    )
    .unwrap();
    let xb = format!("x{{instance=\"{}\", job=\"fsd\", team=\"b\"}}", b.host());
    wait_for("target b scraped", 10, || !store.values(&xb).is_empty()).await;
    // The removed target's series and report series end with staleness markers.
    wait_for("target a stale", 10, || store.has_stale(&xa)).await;
    assert!(store.has_stale(&format!(
        "up{{instance=\"{}\", job=\"fsd\", team=\"a\"}}",
        a.host()
    )));
    let view = m.targets().await;
    assert_eq!(view.active_targets.len(), 1);
    assert_eq!(view.active_targets[0].labels["team"], "b");
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_unchanged_loops_restarts_changed_and_stops_removed() {
    let srv = serve("x 1\ny 2\n").await;
    let other = serve("z 1\n").await;
    let h = srv.host();
    let store = Store::default();
    let m = manager(&store);
    let keep = job_config("keep", &h, "");
    let gone = job_config("gone", &other.host(), "").replace("scrape_configs:\n", "");
    m.apply_config(&load(&format!("{keep}{gone}"))).await.unwrap();
    wait_for("first scrapes", 10, || {
        store.values(&added("keep", &h)).len() >= 2 && !store.values(&up("gone", &other.host())).is_empty()
    })
    .await;
    assert_eq!(store.values(&added("keep", &h))[0], 2.0);

    // Same job config plus a new job: the kept loop's cache survives (no series added again),
    // the removed job's series go stale.
    let fresh = job_config("new", &h, "").replace("scrape_configs:\n", "");
    m.apply_config(&load(&format!("{keep}{fresh}"))).await.unwrap();
    assert!(store.has_stale(&up("gone", &other.host())));
    let before = store.values(&added("keep", &h)).len();
    wait_for("more scrapes of the kept target", 10, || {
        store.values(&added("keep", &h)).len() >= before + 2
    })
    .await;
    assert!(
        store.values(&added("keep", &h))[1..]
            .iter()
            .all(|v| *v == 0.0 || is_stale_nan(*v))
    );
    wait_for("the new job scraped", 10, || {
        !store.values(&up("new", &h)).is_empty()
    })
    .await;

    // A changed job restarts its loops: a fresh cache adds the series again.
    let changed = job_config("keep", &h, "    sample_limit: 100\n");
    m.apply_config(&load(&format!("{changed}{fresh}"))).await.unwrap();
    wait_for("series added again", 10, || {
        store
            .values(&added("keep", &h))
            .iter()
            .filter(|v| **v == 2.0)
            .count()
            >= 2
    })
    .await;
    let view = m.targets().await;
    assert_eq!(view.active_targets.len(), 2);
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relabeling_drops_targets_into_the_dropped_list() {
    let srv = serve("x 1\n").await;
    let h = srv.host();
    let yaml = format!(
        "scrape_configs:\n  - job_name: j\n    scrape_interval: 200ms\n    scrape_timeout: 150ms\n    relabel_configs:\n      - source_labels: [env]\n        regex: dev\n        action: drop\n    static_configs:\n      - targets: ['{h}']\n        labels: {{env: prod}}\n      - targets: ['127.0.0.1:1']\n        labels: {{env: dev}}\n"
    );
    let store = Store::default();
    let m = manager(&store);
    m.apply_config(&load(&yaml)).await.unwrap();
    let view = m.targets().await;
    assert_eq!(view.active_targets.len(), 1);
    assert_eq!(view.active_targets[0].health, Health::Unknown);
    assert_eq!(view.active_targets[0].last_scrape, "0001-01-01T00:00:00Z");
    assert_eq!(view.dropped_targets.len(), 1);
    assert_eq!(
        view.dropped_targets[0].discovered_labels["__address__"],
        "127.0.0.1:1"
    );
    assert_eq!(view.dropped_target_counts["j"], 1);
    m.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraping_the_real_node_exporter() {
    let bin = "/usr/bin/prometheus-node-exporter";
    if !std::path::Path::new(bin).exists() {
        eprintln!("SKIPPED: {bin} is not installed");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(bin)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let host = format!("127.0.0.1:{port}");
    let store = Store::default();
    let m = manager(&store);
    let yaml = format!(
        "scrape_configs:\n  - job_name: node\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n    static_configs:\n      - targets: ['{host}']\n"
    );
    m.apply_config(&load(&yaml)).await.unwrap();
    let u = up("node", &host);
    let mut ok = false;
    for _ in 0..300 {
        if store.values(&u).contains(&1.0) {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let last_error = m.targets().await.active_targets[0].last_error.clone();
    m.shutdown().await;
    assert!(ok, "node_exporter never scraped successfully: {last_error}");
    let series = store.series();
    assert!(series.iter().any(|s| s.starts_with("node_cpu_seconds_total{")));
    assert!(
        series
            .iter()
            .any(|s| s.starts_with("node_memory_MemTotal_bytes{"))
    );
}

/// The TSDB as scrape storage: appends are buffered and written in one TSDB appender on commit.
struct TsdbAppender {
    db: Arc<obslab_tsdb::Db>,
    pending: Vec<(Labels, i64, f64)>,
}

impl Appender for TsdbAppender {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendError> {
        self.pending.push((labels.clone(), t, v));
        Ok(())
    }

    fn commit(&mut self) -> Result<(), AppendError> {
        let mut app = self.db.appender();
        for (l, t, v) in self.pending.drain(..) {
            match app.append(&l, t, v) {
                Ok(_) => {}
                Err(
                    obslab_tsdb::Error::OutOfOrderSample
                    | obslab_tsdb::Error::DuplicateSample
                    | obslab_tsdb::Error::OutOfBounds,
                ) => {}
                Err(e) => return Err(AppendError::Storage(e.to_string())),
            }
        }
        app.commit().map_err(|e| AppendError::Storage(e.to_string()))
    }

    fn rollback(&mut self) {
        self.pending.clear();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraping_into_the_tsdb_and_reading_back() {
    let srv = serve("# TYPE req_total counter\nreq_total{code=\"200\"} 42\n").await;
    let h = srv.host();
    let dir = tempfile::tempdir().unwrap();
    let opts = obslab_tsdb::Options {
        background_compaction: false,
        ..Default::default()
    };
    let db = Arc::new(obslab_tsdb::Db::open(dir.path(), opts).unwrap());
    let d = db.clone();
    let factory: AppenderFactory = Arc::new(move || {
        Box::new(TsdbAppender {
            db: d.clone(),
            pending: Vec::new(),
        }) as Box<dyn Appender + Send>
    });
    let m = ScrapeManager::new(factory);
    m.apply_config(&load(&job_config("app", &h, ""))).await.unwrap();
    let matcher = Matcher::new(MatchOp::Equal, "__name__", "req_total").unwrap();
    let read = |db: &obslab_tsdb::Db| {
        let q = db.querier(0, i64::MAX);
        q.select(std::slice::from_ref(&matcher)).unwrap()
    };
    let found = Arc::new(Mutex::new(false));
    for _ in 0..200 {
        let s = read(&db);
        if !s.is_empty() && s[0].samples().len() >= 2 {
            *found.lock().unwrap() = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    m.shutdown().await;
    assert!(*found.lock().unwrap(), "two scrapes of req_total in the tsdb");
    let s = read(&db);
    assert_eq!(s[0].labels.get("job"), Some("app"));
    assert_eq!(s[0].labels.get("code"), Some("200"));
    assert!(s[0].samples().iter().all(|x| x.v == 42.0));
    let up_m = Matcher::new(MatchOp::Equal, "__name__", "up").unwrap();
    let ups = db.querier(0, i64::MAX).select(&[up_m]).unwrap();
    assert_eq!(ups.len(), 1);
    assert!(ups[0].samples().iter().all(|x| x.v == 1.0));
}
