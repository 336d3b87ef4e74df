//! Ingestion benchmark: prints samples/s through the WAL-backed appender, bytes per sample in
//! head chunks and in a persisted block, and resident memory per series, for comparison with
//! Prometheus. Run with `cargo bench -p obslab-tsdb --bench ingest` (`SERIES`/`SCRAPES` env vars
//! resize it).

use obslab_model::Labels;
use obslab_tsdb::{Db, Options};
use std::time::Instant;

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let series = env_or("SERIES", 10_000);
    let scrapes = env_or("SCRAPES", 250) as i64;
    let interval = 60_000i64;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(
        dir.path(),
        Options {
            background_compaction: false,
            ..Options::default()
        },
    )
    .expect("open db");
    let labels: Vec<Labels> = (0..series)
        .map(|i| {
            Labels::from_pairs([
                ("__name__", format!("http_requests_total_{}", i % 50)),
                ("instance", format!("host-{}:9100", i % 200)),
                ("job", "node".to_string()),
                ("code", ["200", "404", "500"][i % 3].to_string()),
                ("path", format!("/api/v1/item/{}", i / 150)),
            ])
        })
        .collect();
    let rss0 = rss_bytes();
    let mut refs = Vec::with_capacity(series);
    let mut values = vec![0f64; series];
    let start = Instant::now();
    let mut rng_state = 0x9E37_79B9_7F4A_7C15u64;
    let mut rand = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    for k in 0..scrapes {
        let t = k * interval + (rand() % 50) as i64;
        let mut app = db.appender();
        for i in 0..series {
            values[i] += (rand() % 10) as f64;
            if k == 0 {
                refs.push(app.append(&labels[i], t, values[i]).expect("append"));
            } else {
                app.append_ref(refs[i], t, values[i]).expect("append");
            }
        }
        app.commit().expect("commit");
    }
    let secs = start.elapsed().as_secs_f64();
    let samples = series as f64 * scrapes as f64;
    let rss1 = rss_bytes();
    let head_bytes = db.head().chunk_bytes() as f64;
    println!("series: {series}, samples: {samples}");
    println!("ingestion: {:.0} samples/s ({secs:.2} s)", samples / secs);
    println!("head chunk bytes/sample: {:.3}", head_bytes / samples);
    println!(
        "resident memory per series: {:.0} bytes",
        (rss1.saturating_sub(rss0)) as f64 / series as f64
    );
    let rep = db.compact().expect("compact");
    if rep.head_blocks > 0 {
        let b = &db.blocks()[0];
        let chunks = obslab_tsdb::fsutil::dir_size(&b.dir().join("chunks")) as f64;
        let n = b.meta().stats.num_samples as f64;
        println!(
            "block chunks bytes/sample: {:.3} ({} samples in first block)",
            chunks / n,
            n
        );
        println!("block total bytes/sample: {:.3}", b.size_bytes() as f64 / n);
    }
    db.close().expect("close");
}
