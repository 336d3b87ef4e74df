//! A real Prometheus server writes a data directory (it scrapes itself on a loopback port);
//! obslab opens it and serves exactly the series and samples `promtool tsdb dump` shows.

mod common;

use obslab_tsdb::{Db, Options};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A bodiless POST on loopback; returns the status line.
fn http_post(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.lines().next().unwrap_or("").to_string()
}

fn wal_size(dir: &Path) -> u64 {
    obslab_tsdb::fsutil::dir_size(&dir.join("wal"))
}

#[test]
fn obslab_reads_a_data_dir_written_by_prometheus() {
    let Some(pt) = common::promtool() else { return };
    let prom = Path::new("/usr/bin/prometheus");
    if !prom.exists() {
        eprintln!("SKIPPED: prometheus is not installed (apt-get install -y prometheus)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let port = free_port();
    let cfg = tmp.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(prom)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--web.enable-admin-api")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the first scrape to reach the WAL, then for a few more.
    let deadline = Instant::now() + Duration::from_secs(30);
    while wal_size(&data) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(4));
    // A delete through the admin API puts a tombstone record into the WAL.
    let delete_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let status = http_post(port, "/api/v1/admin/tsdb/delete_series?match%5B%5D=up");
    assert!(status.starts_with("HTTP/1.1 204"), "{status}");
    std::thread::sleep(Duration::from_millis(1500));
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let stop_deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > stop_deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait().unwrap();
    assert!(wal_size(&data) > 0, "prometheus wrote no WAL");

    let canon = |v: f64| {
        if v.is_nan() {
            f64::NAN.to_bits()
        } else {
            v.to_bits()
        }
    };
    let dump = common::run(&pt, &["tsdb", "dump", data.to_str().unwrap()]);
    let want: Vec<(String, i64, u64)> = common::parse_dump(&dump)
        .into_iter()
        .map(|(l, t, v)| (l, t, canon(f64::from_bits(v))))
        .collect();
    assert!(want.len() > 100, "dump has {} samples", want.len());

    let db = Db::open(
        &data,
        Options {
            background_compaction: false,
            ..Options::default()
        },
    )
    .unwrap();
    let rep = db.replay_report().clone();
    assert!(rep.series > 100, "{rep:?}");
    assert!(rep.tombstones >= 1, "{rep:?}");
    let mut got = Vec::new();
    for s in db.querier(i64::MIN, i64::MAX).select(&[]).unwrap() {
        let l = common::prom_labels(&s.labels);
        for x in s.samples() {
            got.push((l.clone(), x.t, canon(x.v)));
        }
    }
    got.sort();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    // `up` samples scraped well before the delete are gone; later ones survive because
    // Prometheus clamps the tombstone to the data present at delete time.
    let up: Vec<i64> = got
        .iter()
        .filter(|g| g.0.starts_with("{__name__=\"up\""))
        .map(|g| g.1)
        .collect();
    assert!(
        up.iter().all(|t| *t >= delete_ms - 1500),
        "{up:?} vs delete at {delete_ms}"
    );
}
