//! The database end to end: appends, errors, restart and WAL replay, compaction, retention,
//! deletes, and promtool reading a data directory written by obslab.

mod common;

use obslab_model::{Labels, MatchOp, Matcher, Sample};
use obslab_tsdb::{Db, Error, Options};

const H: i64 = 3600 * 1000;

fn opts() -> Options {
    Options {
        background_compaction: false,
        ..Options::default()
    }
}

fn lbl(name: &str, job: &str) -> Labels {
    Labels::from_pairs([("__name__", name), ("job", job)])
}

fn eq(n: &str, v: &str) -> Matcher {
    Matcher::new(MatchOp::Equal, n, v).unwrap()
}

fn all_samples(db: &Db, ms: &[Matcher]) -> Vec<(Labels, Vec<Sample>)> {
    db.querier(i64::MIN, i64::MAX)
        .select(ms)
        .unwrap()
        .into_iter()
        .map(|s| {
            let v = s.samples();
            (s.labels, v)
        })
        .collect()
}

/// Appends `series` × samples every 15s over `[from, to)`, one commit per timestamp.
fn fill(db: &Db, jobs: &[&str], from: i64, to: i64) -> usize {
    fill_step(db, jobs, from, to, 15_000)
}

fn fill_step(db: &Db, jobs: &[&str], from: i64, to: i64, step: i64) -> usize {
    let mut n = 0;
    let mut t = from;
    while t < to {
        let mut app = db.appender();
        for j in jobs {
            app.append(&lbl("m", j), t, (t / 1000) as f64).unwrap();
            n += 1;
        }
        app.commit().unwrap();
        t += step;
    }
    n
}

#[test]
fn append_query_and_prometheus_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let mut app = db.appender();
    let r = app.append(&lbl("up", "a"), 1000, 1.0).unwrap();
    app.append_ref(r, 2000, 2.0).unwrap();
    assert_eq!(
        app.append_ref(r, 1500, 3.0).unwrap_err().to_string(),
        "out of order sample"
    );
    assert_eq!(
        app.append_ref(r, 2000, 9.0).unwrap_err().to_string(),
        "duplicate sample for timestamp"
    );
    app.append_ref(r, 2000, 2.0).unwrap();
    app.commit().unwrap();
    // Not visible before commit.
    let mut app = db.appender();
    app.append(&lbl("up", "b"), 5000, 1.0).unwrap();
    assert_eq!(all_samples(&db, &[eq("job", "b")]).len(), 0);
    app.commit().unwrap();
    let got = all_samples(&db, &[eq("__name__", "up")]);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1, vec![Sample::new(1000, 1.0), Sample::new(2000, 2.0)]);
    // Committed state is checked too.
    let mut app = db.appender();
    assert!(matches!(
        app.append(&lbl("up", "a"), 1999, 0.0),
        Err(Error::OutOfOrderSample)
    ));
    // More than half a chunk range behind the newest sample is out of bounds.
    let mut app2 = db.appender();
    app2.append(&lbl("up", "a"), 3 * H, 1.0).unwrap();
    app2.commit().unwrap();
    let mut app3 = db.appender();
    assert_eq!(
        app3.append(&lbl("up", "c"), H, 1.0).unwrap_err().to_string(),
        "out of bounds"
    );
    let m = db.metrics();
    let get = |k: &str| m.iter().find(|(n, _)| *n == k).unwrap().1;
    assert_eq!(get("prometheus_tsdb_out_of_order_samples_total"), 2.0);
    assert_eq!(get("prometheus_tsdb_out_of_bound_samples_total"), 1.0);
    assert_eq!(get("prometheus_tsdb_head_series"), 2.0);
}

#[test]
fn limits_on_series_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        dir.path(),
        Options {
            max_series: 2,
            max_labels_per_series: 3,
            ..opts()
        },
    )
    .unwrap();
    let mut app = db.appender();
    app.append(&lbl("m", "a"), 1, 1.0).unwrap();
    app.append(&lbl("m", "b"), 1, 1.0).unwrap();
    assert!(matches!(app.append(&lbl("m", "c"), 1, 1.0), Err(Error::Limit(_))));
    let big = Labels::from_pairs([("__name__", "m"), ("a", "1"), ("b", "2"), ("c", "3")]);
    assert!(matches!(app.append(&big, 1, 1.0), Err(Error::Limit(_))));
    assert!(matches!(
        app.append(&Labels::empty(), 1, 1.0),
        Err(Error::InvalidSeries(_))
    ));
    app.commit().unwrap();
}

#[test]
fn regex_matchers_select_the_right_series() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, &["api", "web", "worker", "db"], 0, 60_000);
    let names = |ms: &[Matcher]| -> Vec<String> {
        all_samples(&db, ms)
            .iter()
            .map(|(l, _)| l.get("job").unwrap().to_string())
            .collect()
    };
    let re = |op, v: &str| Matcher::new(op, "job", v).unwrap();
    assert_eq!(names(&[re(MatchOp::Regex, "api|db")]), vec!["api", "db"]);
    assert_eq!(names(&[re(MatchOp::Regex, "w.*")]), vec!["web", "worker"]);
    assert_eq!(names(&[re(MatchOp::NotRegex, "w.*")]), vec!["api", "db"]);
    assert_eq!(
        names(&[re(MatchOp::NotEqual, "api"), re(MatchOp::Regex, ".+b")]),
        vec!["db", "web"]
    );
    let q = db.querier(0, 100_000);
    assert_eq!(q.label_values("job"), vec!["api", "db", "web", "worker"]);
    assert_eq!(q.label_names(), vec!["__name__", "job"]);
}

#[test]
fn restart_replays_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    let n = {
        let db = Db::open(dir.path(), opts()).unwrap();
        let n = fill(&db, &["a", "b"], 0, 3_000_000);
        db.delete(&[eq("job", "b")], 0, 14_999).unwrap();
        db.close().unwrap();
        n
    };
    let db = Db::open(dir.path(), opts()).unwrap();
    assert!(db.replay_report().repaired.is_none());
    let got = all_samples(&db, &[]);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1.len(), n / 2);
    assert_eq!(got[1].1.len(), n / 2 - 1, "tombstone replayed");
    // Appending after restart continues the series.
    let mut app = db.appender();
    assert!(matches!(
        app.append(&lbl("m", "a"), 0, 0.0),
        Err(Error::OutOfOrderSample)
    ));
    app.append(&lbl("m", "a"), 3_000_000, 1.0).unwrap();
    app.commit().unwrap();
}

#[test]
fn torn_wal_tail_is_repaired_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Db::open(dir.path(), opts()).unwrap();
        fill(&db, &["a"], 0, 150_000);
        db.close().unwrap();
    }
    let wal = dir.path().join("wal");
    let mut segs: Vec<_> = std::fs::read_dir(&wal)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    segs.sort();
    let last = segs
        .iter()
        .rev()
        .find(|p| std::fs::metadata(p).unwrap().len() > 0)
        .unwrap();
    let len = std::fs::metadata(last).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(last)
        .unwrap()
        .set_len(len - 5)
        .unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let rep = db.replay_report().repaired.clone().expect("repair reported");
    assert!(rep.contains("truncated"), "{rep}");
    let got = all_samples(&db, &[]);
    assert_eq!(got[0].1.len(), 9, "only the torn last commit is lost");
    db.close().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    assert!(db.replay_report().repaired.is_none());
}

#[test]
fn head_compaction_writes_blocks_and_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let n = fill(&db, &["a", "b"], 0, 4 * H);
    let rep = db.compact().unwrap();
    assert_eq!(rep.head_blocks, 1);
    let blocks = db.blocks();
    assert_eq!(blocks.len(), 1);
    assert_eq!((blocks[0].meta().min_time, blocks[0].meta().max_time), (0, 2 * H));
    assert_eq!(blocks[0].meta().stats.num_samples as usize, n / 2);
    assert!(db.head().min_time() >= 2 * H);
    let got = all_samples(&db, &[]);
    assert_eq!(got.iter().map(|s| s.1.len()).sum::<usize>(), n);
    assert!(std::fs::read_dir(dir.path().join("wal")).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("checkpoint.")
    }));
    // Below the persisted range is out of bounds now.
    let mut app = db.appender();
    assert!(matches!(
        app.append(&lbl("m", "new"), H, 1.0),
        Err(Error::OutOfBounds)
    ));
    drop(app);
    db.close().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let got = all_samples(&db, &[]);
    assert_eq!(
        got.iter().map(|s| s.1.len()).sum::<usize>(),
        n,
        "blocks + checkpoint + WAL"
    );
    for (_, s) in &got {
        assert!(s.windows(2).all(|w| w[1].t - w[0].t == 15_000));
    }
}

#[test]
fn blocks_merge_and_retention_deletes_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        dir.path(),
        Options {
            retention_time: Some(12 * H),
            max_block_duration: Some(54 * H),
            ..opts()
        },
    )
    .unwrap();
    let mut n = 0;
    for k in 0..6 {
        n += fill_step(&db, &["a"], k * 2 * H, (k + 1) * 2 * H, 60_000);
        db.compact().unwrap();
    }
    // 0-6h was merged into one level-2 block once data past 6h existed.
    let metas: Vec<_> = db.blocks().iter().map(|b| b.meta().clone()).collect();
    assert!(
        metas
            .iter()
            .any(|m| m.compaction.level == 2 && m.min_time == 0 && m.max_time == 6 * H),
        "{metas:?}"
    );
    let got = all_samples(&db, &[]);
    assert_eq!(got[0].1.len(), n);
    // Time retention: blocks that end 12h or more before the newest block go (the 0-18h
    // block once the newest block ends at 30h or later).
    n += fill_step(&db, &["a"], 12 * H, 40 * H, 60_000);
    db.compact().unwrap();
    let oldest = db.blocks().iter().map(|b| b.meta().min_time).min().unwrap();
    assert!(oldest >= 18 * H, "oldest block starts at {oldest}");
    let got = all_samples(&db, &[]);
    assert!(got[0].1.len() < n);
    // Size retention keeps the total under the limit by dropping the oldest blocks.
    let before = db.blocks().len();
    drop(db);
    let db = Db::open(
        dir.path(),
        Options {
            retention_size: Some(1),
            ..opts()
        },
    )
    .unwrap();
    let rep = db.compact().unwrap();
    assert_eq!(rep.deleted_blocks, before);
    assert!(db.blocks().is_empty());
}

#[test]
fn deletes_apply_to_blocks_and_survive_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, &["a", "b"], 0, 4 * H);
    db.compact().unwrap();
    db.delete(&[eq("job", "a")], 0, H - 1).unwrap();
    let got = all_samples(&db, &[eq("job", "a")]);
    assert_eq!(got[0].1[0].t, H);
    // The block with tombstones is rewritten without the deleted samples.
    db.compact().unwrap();
    let b = &db.blocks()[0];
    assert!(!b.has_tombstones());
    assert_eq!(b.meta().stats.num_samples as usize, 480 + 240);
    let got = all_samples(&db, &[eq("job", "a")]);
    assert_eq!(got[0].1[0].t, H);
}

#[test]
fn promtool_dumps_an_obslab_data_dir_with_blocks_and_wal() {
    let Some(pt) = common::promtool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        dir.path(),
        Options {
            max_block_duration: Some(54 * H),
            ..opts()
        },
    )
    .unwrap();
    fill_step(&db, &["api", "web"], 0, 10 * H, 60_000);
    db.compact().unwrap();
    assert!(db.blocks().iter().any(|b| b.meta().compaction.level == 2));
    // Tombstones in a block and in the head (WAL record) must be honoured by promtool too.
    db.delete(&[eq("job", "web")], H, 2 * H - 1).unwrap();
    db.delete(&[eq("job", "api")], 9 * H, 9 * H + 300_000).unwrap();
    assert!(db.blocks().iter().any(|b| b.has_tombstones()));
    fill_step(&db, &["api", "web"], 10 * H, 10 * H + 600_000, 15_000);
    db.close().unwrap();
    let want: Vec<(String, i64, u64)> = {
        let mut w = Vec::new();
        for (l, s) in all_samples(&db, &[]) {
            for x in s {
                w.push((common::prom_labels(&l), x.t, x.v.to_bits()));
            }
        }
        w.sort();
        w
    };
    drop(db);
    let d = dir.path().to_str().unwrap();
    let got = common::parse_dump(&common::run(&pt, &["tsdb", "dump", d]));
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    let analyze = common::run(&pt, &["tsdb", "analyze", d]);
    assert!(analyze.contains("Series: 2"), "{analyze}");
}

#[test]
fn concurrent_appenders_share_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    std::thread::scope(|s| {
        for k in 0..4 {
            let db = &db;
            s.spawn(move || {
                for i in 0..100i64 {
                    let mut app = db.appender();
                    app.append(&lbl("m", &format!("w{k}")), i * 1000, i as f64)
                        .unwrap();
                    app.append(&lbl("shared", &format!("w{k}")), i * 1000, 1.0)
                        .unwrap();
                    app.commit().unwrap();
                }
            });
        }
    });
    let got = all_samples(&db, &[]);
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|(_, s)| s.len() == 100));
    let fsyncs = db
        .metrics()
        .iter()
        .find(|m| m.0 == "prometheus_tsdb_wal_fsync_total")
        .unwrap()
        .1;
    assert!(fsyncs <= 400.0);
}

#[test]
fn deletes_are_clamped_to_existing_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    fill(&db, &["a"], 0, 150_000);
    db.delete(&[eq("job", "a")], 60_000, i64::MAX).unwrap();
    fill(&db, &["a"], 150_000, 300_000);
    let got = all_samples(&db, &[]);
    let ts: Vec<i64> = got[0].1.iter().map(|s| s.t).collect();
    assert_eq!(ts.len(), 4 + 10, "{ts:?}");
    assert!(!ts.contains(&60_000) && ts.contains(&150_000));
}

#[test]
fn data_dir_is_locked_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let err = Db::open(dir.path(), opts()).unwrap_err();
    assert!(matches!(err, Error::Locked(_)), "{err}");
    db.close().unwrap();
    let mut app = db.appender();
    app.append(&lbl("m", "a"), 1, 1.0).unwrap();
    assert!(matches!(app.commit(), Err(Error::Closed)));
    let _again = Db::open(dir.path(), opts()).unwrap();
}

#[test]
fn queries_during_compaction_never_miss_samples() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), opts()).unwrap();
    let n = fill_step(&db, &["a", "b"], 0, 12 * H, 60_000);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut checks = 0;
            while !stop.load(std::sync::atomic::Ordering::Acquire) && checks < 10_000 {
                let got = all_samples(&db, &[]);
                assert_eq!(got.iter().map(|s| s.1.len()).sum::<usize>(), n);
                checks += 1;
            }
            checks
        });
        db.compact().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Release);
        assert!(reader.join().unwrap() > 0);
    });
    assert!(db.blocks().len() >= 2);
}
