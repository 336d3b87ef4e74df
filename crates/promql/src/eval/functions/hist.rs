//! Histogram functions: `histogram_quantile` and `histogram_fraction` over classic buckets
//! (`le` series) and native histograms, and `histogram_count/sum/avg/stddev/stdvar`.

use super::super::aggregate::kahan_inc;
use super::super::annotations::position;
use super::super::{EVal, Evaluator, StepSeries};
use crate::error::Result;
use crate::value::PointValue;
use obslab_model::{FloatHistogram, Labels};
use promql_parser::parser::Expr;
use std::collections::HashMap;

fn almost_equal(a: f64, b: f64, eps: f64) -> bool {
    let min_normal = f64::from_bits(0x0010_0000_0000_0000);
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

/// Sorts, merges equal bounds and repairs monotonicity; returns whether a decrease was fixed.
fn prepare_buckets(b: &mut Vec<(f64, f64)>) -> bool {
    b.sort_by(|x, y| x.0.partial_cmp(&y.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(b.len());
    for &(ub, c) in b.iter() {
        match merged.last_mut() {
            Some(last) if last.0 == ub => last.1 += c,
            _ => merged.push((ub, c)),
        }
    }
    *b = merged;
    let mut forced = false;
    if b.is_empty() {
        return false;
    }
    let mut prev = b[0].1;
    for item in b.iter_mut().skip(1) {
        let cur = item.1;
        if cur == prev {
            continue;
        }
        if almost_equal(prev, cur, 1e-12) {
            item.1 = prev;
            continue;
        }
        if cur < prev {
            item.1 = prev;
            forced = true;
            continue;
        }
        prev = cur;
    }
    forced
}

/// Quantile over classic buckets (upper bound, cumulative count).
fn bucket_quantile(q: f64, b: &mut Vec<(f64, f64)>) -> (f64, bool) {
    if q.is_nan() {
        return (f64::NAN, false);
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, false);
    }
    if q > 1.0 {
        return (f64::INFINITY, false);
    }
    let forced = prepare_buckets(b);
    if b.last().is_none_or(|l| l.0 != f64::INFINITY) {
        return (f64::NAN, forced);
    }
    if b.len() < 2 {
        return (f64::NAN, false);
    }
    let obs = b[b.len() - 1].1;
    if obs == 0.0 {
        return (f64::NAN, false);
    }
    let mut rank = q * obs;
    let idx = b[..b.len() - 1].partition_point(|x| x.1 < rank);
    if idx == b.len() - 1 {
        return (b[b.len() - 2].0, forced);
    }
    if idx == 0 && b[0].0 <= 0.0 {
        return (b[0].0, forced);
    }
    let mut start = 0.0;
    let end = b[idx].0;
    let mut count = b[idx].1;
    if idx > 0 {
        start = b[idx - 1].0;
        count -= b[idx - 1].1;
        rank -= b[idx - 1].1;
    }
    (start + (end - start) * (rank / count), forced)
}

fn bucket_fraction(lower: f64, upper: f64, b: &mut Vec<(f64, f64)>) -> f64 {
    prepare_buckets(b);
    let n = b.len();
    if n < 1 || lower.is_nan() || upper.is_nan() || b[n - 1].0 != f64::INFINITY {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lr, mut ur) = (0.0, 0.0, 0.0);
    let (mut ls, mut us) = (false, false);
    for i in 0..n {
        let (ub, c) = b[i];
        // The first bucket counts from 0 when its bound is positive; buckets reaching an
        // infinity have no width to interpolate in.
        let (lb, infinite) = if i == 0 {
            if ub > 0.0 {
                (0.0, false)
            } else {
                (f64::NEG_INFINITY, true)
            }
        } else {
            (b[i - 1].0, ub == f64::INFINITY)
        };
        // A partly covered infinite bucket counts fully only when the range reaches its
        // infinite end, otherwise not at all.
        let interp = |v: f64, is_lower: bool| {
            if infinite {
                let covers_end = if ub == f64::INFINITY {
                    upper == f64::INFINITY
                } else {
                    lower == f64::NEG_INFINITY
                };
                match (is_lower, covers_end) {
                    (true, true) | (false, false) => rank,
                    _ => c,
                }
            } else {
                rank + (c - rank) * (v - lb) / (ub - lb)
            }
        };
        if !ls && lb >= lower {
            lr = rank;
            ls = true;
        }
        if !us && lb >= upper {
            ur = rank;
            us = true;
        }
        if ls && us {
            break;
        }
        if !ls && lb < lower && ub > lower {
            lr = interp(lower, true);
            ls = true;
        }
        if !us && lb < upper && ub > upper {
            ur = interp(upper, false);
            us = true;
        }
        if ls && us {
            break;
        }
        rank = c;
    }
    let total = b[n - 1].1;
    if !ls || lr > total {
        lr = total;
    }
    if !us || ur > total {
        ur = total;
    }
    (ur - lr).max(0.0) / total
}

/// Quantile of a native histogram.
pub(crate) fn histogram_quantile(q: f64, h: &FloatHistogram) -> f64 {
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    if h.count == 0.0 || q.is_nan() {
        return f64::NAN;
    }
    let mut buckets = h.all_buckets();
    let forward = h.sum.is_nan() || q < 0.5;
    let mut rank = if forward { q * h.count } else { (1.0 - q) * h.count };
    if !forward {
        buckets.reverse();
    }
    let mut count = 0.0;
    let mut bucket = None;
    for b in &buckets {
        if b.count == 0.0 {
            continue;
        }
        count += b.count;
        bucket = Some(*b);
        if count >= rank {
            break;
        }
    }
    let Some(mut b) = bucket else { return f64::NAN };
    let custom = h.uses_custom_buckets();
    if !custom && b.lower < 0.0 && b.upper > 0.0 {
        if h.negative_buckets.iter().all(|c| *c == 0.0) && h.positive_buckets.iter().any(|c| *c != 0.0) {
            b.lower = 0.0;
        } else if h.positive_buckets.iter().all(|c| *c == 0.0) && h.negative_buckets.iter().any(|c| *c != 0.0)
        {
            b.upper = 0.0;
        }
    } else if custom {
        if b.lower == f64::NEG_INFINITY {
            if b.upper <= 0.0 {
                return b.upper;
            }
            b.lower = 0.0;
        } else if b.upper == f64::INFINITY {
            return b.lower;
        }
    }
    if count > h.count {
        count = h.count;
    }
    if count < rank {
        return if h.sum.is_nan() { f64::NAN } else { b.upper };
    }
    if forward {
        rank -= count - b.count;
    } else {
        rank = count - rank;
    }
    let fraction = rank / b.count;
    if custom || (b.lower <= 0.0 && b.upper >= 0.0) {
        return b.lower + (b.upper - b.lower) * fraction;
    }
    let ll = b.lower.abs().log2();
    let lu = b.upper.abs().log2();
    if b.lower > 0.0 {
        return (ll + (lu - ll) * fraction).exp2();
    }
    -((lu + (ll - lu) * (1.0 - fraction)).exp2())
}

/// Fraction of a native histogram's observations between `lower` and `upper`.
pub(crate) fn histogram_fraction(lower: f64, upper: f64, h: &FloatHistogram) -> f64 {
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lr, mut ur) = (0.0, 0.0, 0.0);
    let (mut ls, mut us) = (false, false);
    let custom = h.uses_custom_buckets();
    let only_pos =
        h.negative_buckets.iter().all(|c| *c == 0.0) && h.positive_buckets.iter().any(|c| *c != 0.0);
    let only_neg =
        h.positive_buckets.iter().all(|c| *c == 0.0) && h.negative_buckets.iter().any(|c| *c != 0.0);
    for mut b in h.all_buckets() {
        let mut zero = false;
        if !custom && b.lower <= 0.0 && b.upper >= 0.0 {
            zero = true;
            if only_pos {
                b.lower = 0.0;
            } else if only_neg {
                b.upper = 0.0;
            }
        }
        let mut infinite = false;
        if custom && b.lower == f64::NEG_INFINITY {
            if b.upper > 0.0 {
                b.lower = 0.0;
            } else {
                infinite = true;
            }
        }
        if custom && b.upper == f64::INFINITY {
            infinite = true;
        }
        let lin = |v: f64, is_lower: bool| {
            if infinite {
                let covers_end = if b.upper == f64::INFINITY {
                    upper == f64::INFINITY
                } else {
                    lower == f64::NEG_INFINITY
                };
                match (is_lower, covers_end) {
                    (true, true) | (false, false) => rank,
                    _ => rank + b.count,
                }
            } else {
                rank + b.count * (v - b.lower) / (b.upper - b.lower)
            }
        };
        let exp = |v: f64| {
            let (ll, lu, lv) = (b.lower.abs().log2(), b.upper.abs().log2(), v.abs().log2());
            let frac = if v > 0.0 {
                (lv - ll) / (lu - ll)
            } else {
                1.0 - (lv - lu) / (ll - lu)
            };
            rank + b.count * frac
        };
        if !ls && b.lower >= lower {
            lr = rank;
            ls = true;
        }
        if !us && b.lower >= upper {
            ur = rank;
            us = true;
        }
        if ls && us {
            break;
        }
        if !ls && b.lower < lower && b.upper > lower {
            lr = if custom || zero {
                lin(lower, true)
            } else {
                exp(lower)
            };
            ls = true;
        }
        if !us && b.lower < upper && b.upper > upper {
            ur = if custom || zero {
                lin(upper, false)
            } else {
                exp(upper)
            };
            us = true;
        }
        if ls && us {
            break;
        }
        rank += b.count;
    }
    if !ls || lr > h.count {
        lr = h.count;
    }
    if !us || ur > h.count {
        ur = h.count;
    }
    (ur - lr).max(0.0) / h.count
}

fn histogram_variance(h: &FloatHistogram) -> f64 {
    let mean = h.sum / h.count;
    let (mut var, mut c) = (0.0, 0.0);
    for b in h.all_buckets() {
        if b.count == 0.0 {
            continue;
        }
        let val = if h.uses_custom_buckets() {
            (b.upper + b.lower) / 2.0
        } else if b.lower <= 0.0 && b.upper >= 0.0 {
            0.0
        } else {
            let v = (b.upper * b.lower).sqrt();
            if b.upper < 0.0 { -v } else { v }
        };
        let d = val - mean;
        (var, c) = kahan_inc(b.count * d * d, var, c);
    }
    (var + c) / h.count
}

/// Groups classic bucket series by their labels without `le` and `__name__`.
struct ClassicGroup {
    labels: Labels,
    members: Vec<(usize, f64)>,
}

impl Evaluator<'_> {
    fn classic_groups(&mut self, v: &[StepSeries]) -> (Vec<ClassicGroup>, Vec<usize>) {
        let mut groups: Vec<ClassicGroup> = Vec::new();
        let mut idx: HashMap<Labels, usize> = HashMap::new();
        let mut natives = Vec::new();
        for (si, s) in v.iter().enumerate() {
            let is_hist = s
                .vals
                .iter()
                .flatten()
                .any(|x| matches!(x, PointValue::Histogram(_)));
            if is_hist {
                natives.push(si);
            }
            let Some(le) = s.labels.get("le") else {
                if !is_hist {
                    let name = s.labels.metric_name().unwrap_or("");
                    let p = self.pos();
                    self.annos.warn(format!(
                        "bucket label \"le\" is missing or has a malformed value of \"\" for metric name \"{name}\" {p}"
                    ));
                }
                continue;
            };
            let ub = match parse_le(le) {
                Some(x) => x,
                None => {
                    let name = s.labels.metric_name().unwrap_or("");
                    let p = self.pos();
                    self.annos.warn(format!(
                        "bucket label \"le\" is missing or has a malformed value of \"{le}\" for metric name \"{name}\" {p}"
                    ));
                    continue;
                }
            };
            let mut b = s.labels.to_builder();
            b.del("le");
            let key = b.build();
            let len = groups.len();
            let g = *idx.entry(key.clone()).or_insert(len);
            if g == groups.len() {
                groups.push(ClassicGroup {
                    labels: key,
                    members: Vec::new(),
                });
            }
            groups[g].members.push((si, ub));
        }
        (groups, natives)
    }

    fn fn_hist_generic(&mut self, args: &[&Expr], ts: &[i64], quantile_mode: bool) -> Result<EVal> {
        let n = ts.len();
        let (p1, p2, varg) = if quantile_mode {
            (self.eval_scalar(args[0], ts)?, vec![0.0; n], args[1])
        } else {
            (
                self.eval_scalar(args[0], ts)?,
                self.eval_scalar(args[1], ts)?,
                args[2],
            )
        };
        if quantile_mode {
            for q in &p1 {
                if !(0.0..=1.0).contains(q) {
                    let p = self.pos();
                    self.annos.warn(format!(
                        "quantile value should be between 0 and 1, got {} {p}",
                        super::go_float(*q)
                    ));
                }
            }
        }
        let v = self.eval_vector(varg, ts)?;
        self.arg_pos = Some(position(self.query, &varg.to_string()));
        let (groups, natives) = self.classic_groups(&v);
        let mut out: Vec<StepSeries> = Vec::new();
        for g in &groups {
            let mut s = StepSeries::new(g.labels.clone(), n);
            s.drop_name = true;
            let name = v[g.members[0].0].labels.metric_name().unwrap_or("").to_string();
            for i in 0..n {
                let mut buckets: Vec<(f64, f64)> = g
                    .members
                    .iter()
                    .filter_map(|(si, ub)| match &v[*si].vals[i] {
                        Some(PointValue::Float(c)) => Some((*ub, *c)),
                        _ => None,
                    })
                    .collect();
                if buckets.is_empty() {
                    continue;
                }
                let r = if quantile_mode {
                    let (r, forced) = bucket_quantile(p1[i], &mut buckets);
                    if forced {
                        let p = self.pos();
                        self.annos.info(format!("input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"{name}\" {p}"));
                    }
                    r
                } else {
                    bucket_fraction(p1[i], p2[i], &mut buckets)
                };
                s.vals[i] = Some(PointValue::Float(r));
            }
            out.push(s);
        }
        for si in natives {
            let src = &v[si];
            let mut s = StepSeries::new(src.labels.clone(), n);
            s.drop_name = true;
            for i in 0..n {
                if let Some(PointValue::Histogram(h)) = &src.vals[i] {
                    let r = if quantile_mode {
                        let r = histogram_quantile(p1[i], h);
                        if r.is_nan() && h.sum.is_nan() && (0.0..=1.0).contains(&p1[i]) {
                            let name = src.labels.metric_name().unwrap_or("");
                            let p = self.pos();
                            self.annos.info(format!(
                                "input to histogram_quantile has NaN observations, result is NaN for metric name \"{name}\" {p}"
                            ));
                        }
                        r
                    } else {
                        histogram_fraction(p1[i], p2[i], h)
                    };
                    s.vals[i] = Some(PointValue::Float(r));
                }
            }
            // A classic group with the same labels makes the result ambiguous.
            if let Some(g) = out.iter_mut().find(|g| g.labels == s.labels) {
                for i in 0..n {
                    if g.vals[i].is_some() && s.vals[i].is_some() {
                        g.vals[i] = None;
                        let name = src.labels.metric_name().unwrap_or("");
                        let p = self.pos();
                        self.annos.warn(format!(
                            "vector contains a mix of classic and native histograms for metric name \"{name}\" {p}"
                        ));
                    } else if s.vals[i].is_some() {
                        g.vals[i] = s.vals[i].clone();
                    }
                }
                continue;
            }
            out.push(s);
        }
        out.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(EVal::Vector(out))
    }

    pub(crate) fn fn_histogram_quantile(&mut self, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        self.fn_hist_generic(args, ts, true)
    }

    /// `histogram_quantiles(v, "label", q1, q2, ...)`: one result per quantile, told apart by
    /// `label`.
    pub(crate) fn fn_histogram_quantiles(&mut self, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let label = match self.eval(args[1], ts)? {
            EVal::Str(s) => s,
            _ => {
                return Err(crate::error::QueryError::BadData(
                    "expected string label name".into(),
                ));
            }
        };
        let mut out = Vec::new();
        for q in &args[2..] {
            let qv = self.eval_scalar(q, ts)?;
            let text = match qv.first() {
                Some(x) if x.is_finite() && x.fract() == 0.0 => format!("{x:.1}"),
                Some(x) => super::go_float(*x),
                None => String::new(),
            };
            let lit = Expr::NumberLiteral(promql_parser::parser::NumberLiteral::new(
                qv.first().copied().unwrap_or(f64::NAN),
            ));
            let EVal::Vector(v) = self.fn_hist_generic(&[&lit, args[0]], ts, true)? else {
                continue;
            };
            for mut s in v {
                let mut b = s.labels.to_builder();
                b.set(label.clone(), text.clone());
                s.labels = b.build();
                out.push(s);
            }
        }
        Ok(EVal::Vector(out))
    }

    pub(crate) fn fn_histogram_fraction(&mut self, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        self.fn_hist_generic(args, ts, false)
    }

    pub(crate) fn fn_histogram_simple(&mut self, name: &str, arg: &Expr, ts: &[i64]) -> Result<EVal> {
        let mut v = self.eval_vector(arg, ts)?;
        for s in v.iter_mut() {
            s.drop_name = true;
            for x in s.vals.iter_mut() {
                *x = match x.take() {
                    Some(PointValue::Histogram(h)) => Some(PointValue::Float(match name {
                        "histogram_count" => h.count,
                        "histogram_sum" => h.sum,
                        "histogram_avg" => h.sum / h.count,
                        "histogram_stddev" => histogram_variance(&h).sqrt(),
                        _ => histogram_variance(&h),
                    })),
                    _ => None,
                };
            }
        }
        v.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(EVal::Vector(v))
    }
}

fn parse_le(s: &str) -> Option<f64> {
    let t = s.trim();
    match t {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok(),
    }
}
