//! The engine's storage trait over the database: selects across blocks and head, seeks, label
//! queries.

use obslab_model::storage::{Queryable, SampleValue, SelectHints};
use obslab_model::{Labels, MatchOp, Matcher};
use obslab_tsdb::{Db, Options};

const H: i64 = 3600 * 1000;

#[test]
fn queryable_reads_blocks_and_head_through_the_trait() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        dir.path(),
        Options {
            background_compaction: false,
            ..Options::default()
        },
    )
    .unwrap();
    for (i, t) in (0..4 * H).step_by(60_000).enumerate() {
        let mut app = db.appender();
        for job in ["api", "web"] {
            let l = Labels::from_pairs([("__name__", "req"), ("job", job), ("env", "prod")]);
            app.append(&l, t, i as f64).unwrap();
        }
        app.commit().unwrap();
    }
    db.compact().unwrap();
    assert_eq!(db.blocks().len(), 1);
    let store: &dyn Queryable = &db;
    let m = Matcher::new(MatchOp::Equal, "job", "api").unwrap();
    let hints = SelectHints {
        start: H,
        end: 3 * H,
        ..Default::default()
    };
    let set = store.select(std::slice::from_ref(&m), &hints).unwrap();
    let series: Vec<_> = set.series.collect();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].labels().get("job"), Some("api"));
    let mut it = series[0].iterator();
    let mut n = 0;
    let mut last = i64::MIN;
    while let Some(s) = it.next_sample() {
        assert!(s.t > last && (H..=3 * H).contains(&s.t));
        assert_eq!(s.value, SampleValue::Float((s.t / 60_000) as f64));
        last = s.t;
        n += 1;
    }
    assert_eq!(
        n, 121,
        "every minute from 1h to 3h inclusive, across block and head"
    );
    let mut it = series[0].iterator();
    assert_eq!(it.seek(2 * H + 30_000).map(|s| s.t), Some(2 * H + 60_000));
    assert_eq!(it.next_sample().map(|s| s.t), Some(2 * H + 120_000));
    assert_eq!(store.label_names(&[]).unwrap(), vec!["__name__", "env", "job"]);
    assert_eq!(store.label_values("job", &[]).unwrap(), vec!["api", "web"]);
    assert_eq!(store.label_values("job", &[m]).unwrap(), vec!["api"]);
}
