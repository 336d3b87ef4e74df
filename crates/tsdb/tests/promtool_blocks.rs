//! Blocks written by obslab are read by the real promtool, and blocks made by promtool are read
//! by obslab, with the same series and samples on both sides.

mod common;

use obslab_model::{Labels, MatchOp, Matcher};
use obslab_tsdb::block::{Block, BlockSeries, write_block};
use obslab_tsdb::chunkenc::{SAMPLES_PER_CHUNK, XorChunk};
use obslab_tsdb::series::ChunkData;

fn chunks_of(samples: &[(i64, f64)]) -> Vec<ChunkData> {
    samples
        .chunks(SAMPLES_PER_CHUNK)
        .map(|part| {
            let mut c = XorChunk::new();
            for &(t, v) in part {
                c.append(t, v);
            }
            ChunkData {
                mint: part[0].0,
                maxt: part[part.len() - 1].0,
                data: c.bytes().into(),
            }
        })
        .collect()
}

fn known_data() -> Vec<(Labels, Vec<(i64, f64)>)> {
    let mut out = Vec::new();
    for (i, job) in ["api", "db", "web"].iter().enumerate() {
        let l = Labels::from_pairs([("__name__", "http_requests_total"), ("job", job), ("code", "200")]);
        // Irregular scrape intervals exercise every delta-of-delta bucket.
        let mut t = 1_000 + i as i64;
        let mut s = Vec::new();
        for k in 0..300i64 {
            t += match k % 7 {
                0 => 15_000,
                1 => 15_001,
                2 => 14_000,
                3 => 100_000,
                4 => 900_000 / 100,
                5 => 5,
                _ => 15_000,
            };
            let v = match k % 5 {
                0 => k as f64,
                1 => k as f64 * 0.1,
                2 => -(k as f64) / 3.0,
                3 => 1e300 / (k + 1) as f64,
                _ => 42.0,
            };
            s.push((t, v));
        }
        out.push((l, s));
    }
    let l = Labels::from_pairs([("__name__", "up"), ("instance", "localhost:9090")]);
    out.push((l, vec![(5_000, 1.0), (20_000, 0.0), (35_000, 1.0)]));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn promtool_reads_obslab_block() {
    let Some(pt) = common::promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = known_data();
    let series: Vec<BlockSeries> = data
        .iter()
        .map(|(l, s)| BlockSeries {
            labels: l.clone(),
            chunks: chunks_of(s),
        })
        .collect();
    let maxt = data
        .iter()
        .flat_map(|(_, s)| s.iter().map(|x| x.0))
        .max()
        .unwrap()
        + 1;
    let meta = write_block(dir.path(), 0, maxt, &series, None).unwrap();
    // A Prometheus data directory always has a wal/ next to its blocks.
    std::fs::create_dir_all(dir.path().join("wal")).unwrap();
    let d = dir.path().to_str().unwrap();

    let analyze = common::run(&pt, &["tsdb", "analyze", d]);
    assert!(analyze.contains(&meta.ulid), "{analyze}");
    assert!(analyze.contains("Series: 4"), "{analyze}");

    let dump = common::run(&pt, &["tsdb", "dump", d]);
    let got = common::parse_dump(&dump);
    let mut want = Vec::new();
    for (l, s) in &data {
        for &(t, v) in s {
            want.push((common::prom_labels(l), t, v.to_bits()));
        }
    }
    want.sort();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
}

#[test]
fn obslab_reads_promtool_block() {
    let Some(pt) = common::promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.om");
    let out = dir.path().join("data");
    let mut om = String::from("# TYPE temp gauge\n");
    for k in 0..200i64 {
        om.push_str(&format!(
            "temp{{room=\"a\"}} {} {}\n",
            k as f64 * 0.5,
            1_700_000_000 + k * 15
        ));
        om.push_str(&format!(
            "temp{{room=\"b\"}} {} {}\n",
            -(k as f64),
            1_700_000_000 + k * 15
        ));
    }
    om.push_str("# EOF\n");
    std::fs::write(&input, om).unwrap();
    common::run(
        &pt,
        &[
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            input.to_str().unwrap(),
            out.to_str().unwrap(),
        ],
    );
    let mut blocks = Vec::new();
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.join("meta.json").exists() {
            blocks.push(Block::open(&p).unwrap());
        }
    }
    assert!(!blocks.is_empty());
    let m = Matcher::new(MatchOp::Equal, "room", "a").unwrap();
    let mut samples = Vec::new();
    for b in &blocks {
        for s in b.select(std::slice::from_ref(&m), i64::MIN, i64::MAX).unwrap() {
            assert_eq!(
                s.labels,
                Labels::from_pairs([("__name__", "temp"), ("room", "a")])
            );
            samples.extend(s.samples());
        }
    }
    samples.sort_by_key(|s| s.t);
    assert_eq!(samples.len(), 200);
    for (k, s) in samples.iter().enumerate() {
        assert_eq!(s.t, (1_700_000_000 + k as i64 * 15) * 1000);
        assert_eq!(s.v, k as f64 * 0.5);
    }
    let names: Vec<String> = blocks[0].label_names();
    assert_eq!(names, vec!["__name__".to_string(), "room".to_string()]);
}
