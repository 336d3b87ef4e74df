//! Result comparison with the harness's rules: floats equal within a relative 1e-6 (NaN equals
//! NaN), histograms by content, labels exactly, order only for `expect ordered`.

use super::parser::{AnnotationExpect, Eval, Expectation, SeqValue};
use crate::value::{PointValue, QueryResult, QueryValue, RangeSeries};
use obslab_model::{CounterResetHint, FloatHistogram, Labels};
use std::collections::HashMap;

/// Prometheus's `almost.Equal` with epsilon 1e-6.
pub fn almost_equal(a: f64, b: f64) -> bool {
    let eps = 1e-6;
    let min_normal = f64::from_bits(0x0010_0000_0000_0000);
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < min_normal {
        return diff < eps * min_normal;
    }
    diff / abs_sum.min(f64::MAX) < eps
}

fn hist_matches(exp: &FloatHistogram, act: &FloatHistogram) -> bool {
    if exp.counter_reset_hint != CounterResetHint::Unknown && exp.counter_reset_hint != act.counter_reset_hint
    {
        return false;
    }
    let mut e = exp.clone();
    let mut a = act.clone();
    e.compact();
    a.compact();
    e.approx_eq(&a, almost_equal)
}

fn value_matches(exp: &SeqValue, act: &PointValue) -> bool {
    match (exp, act) {
        (SeqValue::Float(e), PointValue::Float(a)) => almost_equal(*e, *a),
        (SeqValue::Histogram(e), PointValue::Histogram(a)) => hist_matches(e, a),
        _ => false,
    }
}

fn show(v: &PointValue) -> String {
    match v {
        PointValue::Float(f) => f.to_string(),
        PointValue::Histogram(h) => crate::eval::functions::histogram_string(h),
    }
}

/// Compares an instant query's value with the expected lines.
pub fn compare_instant(ev: &Eval, v: &QueryValue) -> Result<(), String> {
    if let Some(s) = &ev.expect_string {
        return match v {
            QueryValue::String { v, .. } if v == s => Ok(()),
            other => Err(format!("expected string {s:?}, got {other:?}")),
        };
    }
    if let Some((from, _to, step)) = ev.range_vector {
        let QueryValue::Matrix(m) = v else {
            return Err(format!("expected range vector, got {}", v.result_type()));
        };
        return compare_matrix(ev, m, from, step);
    }
    match v {
        QueryValue::Scalar { v, .. } => match ev.results.as_slice() {
            [Expectation::Scalar(e)] if almost_equal(*e, *v) => Ok(()),
            [Expectation::Scalar(e)] => Err(format!("expected scalar {e}, got {v}")),
            _ => Err(format!("unexpected scalar result {v}")),
        },
        QueryValue::Vector(samples) => {
            let expected: Vec<(&Labels, &SeqValue)> = ev
                .results
                .iter()
                .filter_map(|r| match r {
                    Expectation::Series(l, vals) => vals.first().map(|v| (l, v)),
                    Expectation::Scalar(_) => None,
                })
                .collect();
            if ev.results.iter().any(|r| matches!(r, Expectation::Scalar(_))) {
                return Err("expected a scalar, got a vector".into());
            }
            if expected.len() != samples.len() {
                let got: Vec<String> = samples
                    .iter()
                    .map(|s| format!("{} {}", s.labels, show(&s.value)))
                    .collect();
                return Err(format!(
                    "expected {} samples, got {}: [{}]",
                    expected.len(),
                    samples.len(),
                    got.join(", ")
                ));
            }
            let pos: HashMap<&Labels, usize> =
                expected.iter().enumerate().map(|(i, (l, _))| (*l, i)).collect();
            for (i, s) in samples.iter().enumerate() {
                let Some(&j) = pos.get(&s.labels) else {
                    return Err(format!("unexpected series {} {}", s.labels, show(&s.value)));
                };
                if ev.ordered && i != j {
                    return Err(format!("series {} at position {i}, expected at {j}", s.labels));
                }
                if !value_matches(expected[j].1, &s.value) {
                    return Err(format!(
                        "series {}: expected {:?}, got {}",
                        s.labels,
                        expected[j].1,
                        show(&s.value)
                    ));
                }
            }
            Ok(())
        }
        QueryValue::Matrix(_) => Err("unexpected range vector result".into()),
        QueryValue::String { v, .. } => Err(format!("unexpected string result {v:?}")),
    }
}

/// Compares a matrix with the expected lines (values per step from `start`).
pub fn compare_matrix(ev: &Eval, m: &[RangeSeries], start: i64, step: i64) -> Result<(), String> {
    let mut expected: HashMap<&Labels, Vec<(i64, &SeqValue)>> = HashMap::new();
    for r in &ev.results {
        match r {
            Expectation::Series(l, vals) => {
                let pts: Vec<(i64, &SeqValue)> = vals
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !matches!(v, SeqValue::Omitted))
                    .map(|(i, v)| (start + step * i as i64, v))
                    .collect();
                if !pts.is_empty() {
                    expected.insert(l, pts);
                }
            }
            Expectation::Scalar(_) => return Err("expected a scalar, got a matrix".into()),
        }
    }
    for w in m.windows(2) {
        if w[0].labels >= w[1].labels {
            return Err("matrix is not sorted by labels".into());
        }
    }
    if expected.len() != m.len() {
        let got: Vec<String> = m.iter().map(|s| s.labels.to_string()).collect();
        return Err(format!(
            "expected {} series, got {}: [{}]",
            expected.len(),
            m.len(),
            got.join(", ")
        ));
    }
    for s in m {
        let Some(exp) = expected.get(&s.labels) else {
            return Err(format!("unexpected series {}", s.labels));
        };
        let ok = exp.len() == s.points.len()
            && exp
                .iter()
                .zip(&s.points)
                .all(|((et, ev), (at, av))| et == at && value_matches(ev, av));
        if !ok {
            let got: Vec<String> = s.points.iter().map(|(t, v)| format!("{}@{t}", show(v))).collect();
            let want: Vec<String> = exp.iter().map(|(t, v)| format!("{v:?}@{t}")).collect();
            return Err(format!(
                "series {}: expected [{}], got [{}]",
                s.labels,
                want.join(" "),
                got.join(" ")
            ));
        }
    }
    Ok(())
}

fn check_level(level: &str, exp: &AnnotationExpect, got: &[String]) -> Result<(), String> {
    if exp.none && !got.is_empty() {
        return Err(format!("expected no {level} annotations, got {got:?}"));
    }
    if !exp.expected {
        return Ok(());
    }
    if got.is_empty() {
        return Err(format!("expected {level} annotations, got none"));
    }
    if exp.any {
        return Ok(());
    }
    for g in got {
        let by_msg = exp.msgs.iter().any(|m| m == g);
        let by_re = exp
            .regexes
            .iter()
            .any(|r| regex::Regex::new(r).map(|re| re.is_match(g)).unwrap_or(false));
        if !by_msg && !by_re {
            return Err(format!(
                "unexpected {level} annotation {g:?}, expected one of {:?} {:?}",
                exp.msgs, exp.regexes
            ));
        }
    }
    Ok(())
}

/// Checks `expect warn|info|no_warn|no_info`.
pub fn check_annotations(ev: &Eval, res: &QueryResult) -> Result<(), String> {
    check_level("warn", &ev.warn, &res.warnings)?;
    check_level("info", &ev.info, &res.infos)
}
