//! `anchored` and `smoothed` range modifiers: `anchored` adds the last sample before the range
//! and uses no extrapolation; `smoothed` interpolates the values at both range boundaries.

use super::super::selector::RangeMod;
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use obslab_model::{CounterResetHint, FloatHistogram};
use std::sync::Arc;

const ANCHORED_FNS: &[&str] = &["changes", "delta", "increase", "rate", "resets"];
const SMOOTHED_FNS: &[&str] = &["delta", "increase", "rate"];

/// Rejects functions the modifier cannot be used with, in Prometheus's words.
pub(crate) fn check_modifier(m: RangeMod, name: &str) -> Result<()> {
    let (word, allowed) = match m {
        RangeMod::Anchored => ("anchored", ANCHORED_FNS),
        RangeMod::Smoothed => ("smoothed", SMOOTHED_FNS),
    };
    if allowed.contains(&name) {
        return Ok(());
    }
    Err(QueryError::BadData(format!(
        "{word} modifier can only be used with: {} - not with {name}",
        allowed.join(", ")
    )))
}

fn float_points(samples: &[(i64, PointValue)]) -> Option<Vec<(i64, f64)>> {
    samples
        .iter()
        .map(|(t, v)| v.as_float().map(|f| (*t, f)))
        .collect()
}

/// Linear interpolation at `x` from the samples around it (flat beyond the ends); `None` without
/// samples within `lookback` on either side.
pub(crate) fn interpolate(pts: &[(i64, f64)], x: i64, lookback: i64) -> Option<f64> {
    let after = pts.partition_point(|p| p.0 <= x);
    let before = after
        .checked_sub(1)
        .map(|i| pts[i])
        .filter(|p| p.0 > x.saturating_sub(lookback));
    let next = pts
        .get(after)
        .copied()
        .filter(|p| p.0 < x.saturating_add(lookback));
    match (before, next) {
        (Some(b), _) if b.0 == x => Some(b.1),
        (Some(b), Some(n)) => Some(b.1 + (n.1 - b.1) * (x - b.0) as f64 / (n.0 - b.0) as f64),
        (Some(b), None) => Some(b.1),
        (None, Some(n)) => Some(n.1),
        (None, None) => None,
    }
}

fn counter_increase(seq: &[f64]) -> f64 {
    let mut inc = 0.0;
    for w in seq.windows(2) {
        if w[1] < w[0] {
            inc += w[1];
        } else {
            inc += w[1] - w[0];
        }
    }
    inc
}

/// `anchored` over native histograms: the anchor sample plus the samples in the range, with
/// counter resets accounted for and no extrapolation.
fn anchored_histograms(
    name: &str,
    samples: &[(i64, PointValue)],
    start: i64,
    end: i64,
    range: i64,
    lookback: i64,
) -> Option<PointValue> {
    let lo = samples.partition_point(|p| p.0 <= start);
    let hi = samples.partition_point(|p| p.0 <= end);
    if lo >= hi {
        return None;
    }
    let anchor = lo
        .checked_sub(1)
        .filter(|&i| samples[i].0 > start.saturating_sub(lookback));
    let hs: Vec<&FloatHistogram> = samples[anchor.unwrap_or(lo)..hi]
        .iter()
        .map(|p| p.1.as_histogram().map(|h| h.as_ref()))
        .collect::<Option<_>>()?;
    let pairs = hs.windows(2);
    match name {
        "resets" => {
            return Some(PointValue::Float(
                pairs.filter(|w| w[1].detect_reset(w[0])).count() as f64,
            ));
        }
        "changes" => {
            return Some(PointValue::Float(
                pairs.filter(|w| !w[1].approx_eq(w[0], |a, b| a == b)).count() as f64,
            ));
        }
        _ => {}
    }
    let first = hs[0];
    let last = hs[hs.len() - 1];
    let mut h = last.sub(first).ok()?;
    if name != "delta" {
        for w in hs.windows(2) {
            if w[1].detect_reset(w[0]) {
                h = h.add(w[0]).ok()?;
            }
        }
    }
    if name == "rate" {
        h.div(range as f64 / 1000.0);
    }
    h.counter_reset_hint = CounterResetHint::Gauge;
    h.compact();
    Some(PointValue::Histogram(Arc::new(h)))
}

/// The value of `name` over `(start, end]` of `samples` with the given modifier.
pub(crate) fn modified_range_value(
    name: &str,
    m: RangeMod,
    samples: &[(i64, PointValue)],
    start: i64,
    end: i64,
    range: i64,
    lookback: i64,
) -> Option<PointValue> {
    if m == RangeMod::Anchored && samples.iter().all(|p| matches!(p.1, PointValue::Histogram(_))) {
        return anchored_histograms(name, samples, start, end, range, lookback);
    }
    let pts = float_points(samples)?;
    let lo = pts.partition_point(|p| p.0 <= start);
    let hi = pts.partition_point(|p| p.0 <= end);
    if m == RangeMod::Smoothed {
        // Empty when all data lies before the range or after it.
        if lo >= pts.len() || hi == 0 {
            return None;
        }
        let counter = name != "delta";
        let vals: Vec<(i64, f64)> = if counter {
            // Counter values with resets undone, so interpolation crosses resets smoothly.
            let mut acc = 0.0;
            let mut prev: Option<f64> = None;
            pts.iter()
                .map(|&(t, v)| {
                    if let Some(p) = prev
                        && v < p
                    {
                        acc += p;
                    }
                    prev = Some(v);
                    (t, v + acc)
                })
                .collect()
        } else {
            pts.clone()
        };
        let first = interpolate(&vals, start, lookback)?;
        let last = interpolate(&vals, end, lookback)?;
        let diff = last - first;
        return Some(PointValue::Float(match name {
            "rate" => diff / (range as f64 / 1000.0),
            _ => diff,
        }));
    }
    if lo >= hi {
        return None;
    }
    let seq: Vec<f64> = match m {
        RangeMod::Anchored => {
            let anchor = lo
                .checked_sub(1)
                .filter(|&i| pts[i].0 > start.saturating_sub(lookback));
            let from = anchor.unwrap_or(lo);
            if from >= hi {
                return None;
            }
            pts[from..hi].iter().map(|p| p.1).collect()
        }
        // Handled above.
        RangeMod::Smoothed => return None,
    };
    let secs = range as f64 / 1000.0;
    Some(PointValue::Float(match name {
        "increase" => counter_increase(&seq),
        "rate" => counter_increase(&seq) / secs,
        "delta" => seq[seq.len() - 1] - seq[0],
        "resets" => seq.windows(2).filter(|w| w[1] < w[0]).count() as f64,
        _ => seq
            .windows(2)
            .filter(|w| w[1] != w[0] && !(w[0].is_nan() && w[1].is_nan()))
            .count() as f64,
    }))
}
