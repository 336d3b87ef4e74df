//! Property test: the database behaves like a simple map of series to time-ordered samples
//! under random appends (including out-of-order and duplicate ones), random range queries and a
//! restart.

use obslab_model::{Labels, MatchOp, Matcher};
use obslab_tsdb::{Db, Error, Options};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn opts() -> Options {
    Options {
        background_compaction: false,
        ..Options::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn db_matches_a_reference_model(
        ops in proptest::collection::vec((0usize..3, -50i64..400, 0u8..4), 1..150),
        ranges in proptest::collection::vec((-100i64..2_000_000, 0i64..3_000_000), 1..5),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), opts()).unwrap();
        let mut model: BTreeMap<usize, Vec<(i64, f64)>> = BTreeMap::new();
        let mut clock = [0i64; 3];
        let mut head_max = i64::MIN;
        for (series, dt, val) in ops {
            let l = Labels::from_pairs([("__name__", "m"), ("s", &series.to_string())]);
            let t = clock[series] + dt * 1000;
            let v = f64::from(val);
            let mut app = db.appender();
            let last = model.get(&series).and_then(|s| s.last().copied());
            match app.append(&l, t, v) {
                Ok(_) => {
                    match last {
                        Some((lt, lv)) if lt == t => prop_assert_eq!(lv.to_bits(), v.to_bits()),
                        Some((lt, _)) => prop_assert!(t > lt),
                        None => {}
                    }
                    prop_assert!(head_max == i64::MIN || t >= head_max - 3_600_000);
                    if last.is_none_or(|(lt, _)| t > lt) {
                        head_max = head_max.max(t);
                        model.entry(series).or_default().push((t, v));
                        clock[series] = t;
                    }
                }
                // More than half the 2h chunk range behind the newest sample.
                Err(Error::OutOfBounds) => prop_assert!(t < head_max - 3_600_000),
                Err(Error::OutOfOrderSample) => prop_assert!(last.is_some_and(|(lt, _)| t < lt)),
                Err(Error::DuplicateSample) => prop_assert!(last.is_some_and(|(lt, lv)| t == lt && lv != v)),
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
            app.commit().unwrap();
        }
        let check = |db: &Db| -> Result<(), TestCaseError> {
            for &(from, len) in &ranges {
                let (mint, maxt) = (from, from + len);
                let all = Matcher::new(MatchOp::Regex, "s", ".+").unwrap();
                let got = db.querier(mint, maxt).select(&[all]).unwrap();
                let mut got_map = BTreeMap::new();
                for s in got {
                    let k: usize = s.labels.get("s").unwrap().parse().unwrap();
                    let v: Vec<(i64, f64)> = s.samples().iter().map(|x| (x.t, x.v)).collect();
                    if !v.is_empty() {
                        got_map.insert(k, v);
                    }
                }
                let want: BTreeMap<usize, Vec<(i64, f64)>> = model
                    .iter()
                    .map(|(k, v)| (*k, v.iter().copied().filter(|x| x.0 >= mint && x.0 <= maxt).collect::<Vec<_>>()))
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                prop_assert_eq!(got_map, want);
            }
            Ok(())
        };
        check(&db)?;
        db.close().unwrap();
        drop(db);
        let db = Db::open(dir.path(), opts()).unwrap();
        check(&db)?;
    }
}
