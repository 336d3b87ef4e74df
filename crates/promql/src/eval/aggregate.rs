//! Aggregation operators (`sum`, `avg`, `topk`, `quantile`, `count_values`, `limitk`, ...).

use super::annotations::position;
use super::{EVal, Evaluator, StepSeries};
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use obslab_model::{FloatHistogram, Labels, METRIC_NAME};
use promql_parser::parser::token::*;
use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};
use std::collections::HashMap;
use std::sync::Arc;

/// Neumaier-compensated addition, as Prometheus sums floats.
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// Formats a float like Go's `strconv.FormatFloat(f, 'f', -1, 64)`.
pub(crate) fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "+Inf".into()
    } else if f == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{f}")
    }
}

/// Quantile of sorted-able values as Prometheus computes it (NaN sorts first).
pub(crate) fn quantile(q: f64, vals: &mut [f64]) -> f64 {
    if vals.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    vals.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = vals.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let w = rank - rank.floor();
    vals[lower as usize] * (1.0 - w) + vals[upper as usize] * w
}

fn group_labels(l: &Labels, m: &Option<LabelModifier>) -> Labels {
    match m {
        None => Labels::empty(),
        Some(LabelModifier::Include(by)) => Labels::from_pairs(
            l.iter()
                .filter(|x| by.labels.contains(&x.name))
                .map(|x| (x.name.clone(), x.value.clone())),
        ),
        Some(LabelModifier::Exclude(wo)) => Labels::from_pairs(
            l.iter()
                .filter(|x| x.name != METRIC_NAME && !wo.labels.contains(&x.name))
                .map(|x| (x.name.clone(), x.value.clone())),
        ),
    }
}

/// Converts a scalar parameter to an integer count the way Prometheus does.
fn param_k(v: f64) -> Result<i64> {
    if v.is_nan() {
        return Err(QueryError::Execution("Parameter value is NaN".into()));
    }
    if !(-9.223372036854776e18..9.223372036854776e18).contains(&v) {
        return Err(QueryError::Execution(format!(
            "Scalar value {} overflows int64",
            super::functions::go_float(v)
        )));
    }
    Ok(v as i64)
}

struct Acc {
    count: f64,
    has_float: bool,
    has_hist: bool,
    f: f64,
    c: f64,
    mean: f64,
    incremental: bool,
    h: Option<FloatHistogram>,
    /// Compensated sum of the histograms' `sum` fields.
    hsum: (f64, f64),
    hist_err: bool,
    values: Vec<f64>,
}

impl Acc {
    fn new() -> Self {
        Self {
            count: 0.0,
            has_float: false,
            has_hist: false,
            f: 0.0,
            c: 0.0,
            mean: 0.0,
            incremental: false,
            h: None,
            hsum: (0.0, 0.0),
            hist_err: false,
            values: Vec::new(),
        }
    }
}

impl Evaluator<'_> {
    pub(crate) fn eval_aggregate(&mut self, a: &AggregateExpr, ts: &[i64]) -> Result<EVal> {
        let op = a.op.id();
        let n = ts.len();
        let mut param_f: Option<Vec<f64>> = None;
        let mut param_s: Option<String> = None;
        if let Some(p) = &a.param {
            match self.eval(p, ts)? {
                EVal::Scalar(v) => param_f = Some(v),
                EVal::Str(s) => param_s = Some(s),
                _ => return Err(QueryError::BadData("invalid aggregation parameter".into())),
            }
        }
        let input = self.eval_vector(&a.expr, ts)?;
        self.arg_pos = a.param.as_ref().map(|p| position(self.query, &p.to_string()));
        let keys: Vec<Labels> = input
            .iter()
            .map(|s| group_labels(&s.labels, &a.modifier))
            .collect();
        match op {
            T_TOPK | T_BOTTOMK | T_LIMITK | T_LIMIT_RATIO => {
                let p = param_f.unwrap_or_else(|| vec![0.0; n]);
                return self.aggregate_k(op, input, &keys, &p, n, &a.expr);
            }
            T_COUNT_VALUES => {
                let label = param_s.unwrap_or_default();
                if !valid_label_name(&label) {
                    return Err(QueryError::Execution(format!("invalid label name {label:?}")));
                }
                return Ok(EVal::Vector(count_values(&input, &keys, &label, n)));
            }
            _ => {}
        }
        if op == T_QUANTILE
            && let Some(p) = &param_f
        {
            for q in p {
                if !(0.0..=1.0).contains(q) {
                    let pos = position(self.query, "");
                    self.annos.warn(format!(
                        "quantile value should be between 0 and 1, got {} {pos}",
                        super::functions::go_float(*q)
                    ));
                }
            }
        }
        let mut out: Vec<StepSeries> = Vec::new();
        let mut out_index: HashMap<Labels, usize> = HashMap::new();
        let mut group_of: Vec<usize> = Vec::with_capacity(input.len());
        let mut order: Vec<Labels> = Vec::new();
        for k in &keys {
            let len = out_index.len();
            let idx = *out_index.entry(k.clone()).or_insert_with(|| {
                order.push(k.clone());
                len
            });
            group_of.push(idx);
        }
        for k in &order {
            out.push(StepSeries::new(k.clone(), n));
        }
        for (si, s) in input.iter().enumerate() {
            if s.drop_name {
                out[group_of[si]].drop_name = true;
            }
        }
        let metric_name = input
            .first()
            .and_then(|s| s.labels.metric_name().map(str::to_string))
            .unwrap_or_default();
        for i in 0..n {
            let mut accs: Vec<Option<Acc>> = (0..order.len()).map(|_| None).collect();
            for (si, s) in input.iter().enumerate() {
                let Some(v) = &s.vals[i] else { continue };
                let g = group_of[si];
                let acc = accs[g].get_or_insert_with(Acc::new);
                self.accumulate(op, acc, v);
            }
            for (g, acc) in accs.into_iter().enumerate() {
                let Some(mut acc) = acc else { continue };
                let pf = param_f.as_ref().map(|p| p[i]).unwrap_or(0.0);
                if let Some(v) = self.finish(op, &mut acc, pf, &metric_name) {
                    out[g].vals[i] = Some(v);
                }
            }
        }
        out.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(EVal::Vector(out))
    }

    fn accumulate(&mut self, op: TokenId, acc: &mut Acc, v: &PointValue) {
        let first = acc.count == 0.0;
        match v {
            PointValue::Float(f) => {
                let f = *f;
                match op {
                    T_SUM | T_AVG => {
                        acc.has_float = true;
                        acc.count += 1.0;
                        if op == T_SUM || !acc.incremental {
                            let (nv, nc) = kahan_inc(f, acc.f, acc.c);
                            if op == T_SUM || !nv.is_infinite() || first {
                                acc.f = nv;
                                acc.c = nc;
                                return;
                            }
                            acc.incremental = true;
                            acc.mean = acc.f / (acc.count - 1.0);
                            acc.c /= acc.count - 1.0;
                        }
                        let q = (acc.count - 1.0) / acc.count;
                        let (m, c) = kahan_inc(f / acc.count, q * acc.mean, q * acc.c);
                        acc.mean = m;
                        acc.c = c;
                    }
                    T_COUNT | T_GROUP => acc.count += 1.0,
                    T_MIN | T_MAX => {
                        acc.has_float = true;
                        if first || acc.f.is_nan() || (op == T_MAX && acc.f < f) || (op == T_MIN && acc.f > f)
                        {
                            acc.f = f;
                        }
                        acc.count += 1.0;
                    }
                    T_STDDEV | T_STDVAR => {
                        acc.has_float = true;
                        if first {
                            acc.count = 1.0;
                            acc.mean = f;
                            acc.f = if f.is_nan() || f.is_infinite() {
                                f64::NAN
                            } else {
                                0.0
                            };
                            return;
                        }
                        acc.count += 1.0;
                        let delta = f - (acc.mean + acc.c);
                        let (m, c) = kahan_inc(delta / acc.count, acc.mean, acc.c);
                        acc.mean = m;
                        acc.c = c;
                        acc.f += delta * (f - (acc.mean + acc.c));
                    }
                    T_QUANTILE => {
                        acc.has_float = true;
                        acc.values.push(f);
                        acc.count += 1.0;
                    }
                    _ => {}
                }
            }
            PointValue::Histogram(h) => match op {
                T_SUM | T_AVG => {
                    acc.has_hist = true;
                    acc.count += 1.0;
                    acc.hsum = kahan_inc(h.sum, acc.hsum.0, acc.hsum.1);
                    if let Some(cur) = &acc.h
                        && cur.custom_bounds_differ(h)
                    {
                        let pos = position(self.query, "");
                        self.annos.info(format!(
                            "mismatched custom buckets were reconciled during aggregation {pos}"
                        ));
                    }
                    if op == T_AVG {
                        // Incremental mean, so that huge counts do not overflow.
                        let k = acc.count;
                        acc.h = match acc.h.take() {
                            None => Some((**h).clone()),
                            Some(mean) => {
                                let mut left = (**h).clone();
                                left.div(k);
                                let mut right = mean.clone();
                                right.div(k);
                                match left.sub(&right).and_then(|d| mean.add(&d)) {
                                    Ok(x) => Some(x),
                                    Err(_) => {
                                        acc.hist_err = true;
                                        Some(mean)
                                    }
                                }
                            }
                        };
                        return;
                    }
                    match &acc.h {
                        None => acc.h = Some((**h).clone()),
                        Some(cur) => match cur.add_with_hint(h) {
                            Ok((x, collision)) => {
                                if collision {
                                    let pos = position(self.query, "");
                                    self.annos.warn(format!(
                                        "conflicting counter resets during histogram aggregation {pos}"
                                    ));
                                }
                                acc.h = Some(x)
                            }
                            Err(_) => acc.hist_err = true,
                        },
                    }
                }
                T_COUNT | T_GROUP => acc.count += 1.0,
                _ => {
                    let what = match op {
                        T_MIN => "min",
                        T_MAX => "max",
                        T_STDDEV => "stddev",
                        T_STDVAR => "stdvar",
                        T_QUANTILE => "quantile",
                        _ => "aggregation",
                    };
                    let pos = position(self.query, "");
                    self.annos
                        .info(format!("ignored histogram in {what} aggregation {pos}"));
                }
            },
        }
    }

    fn finish(&mut self, op: TokenId, acc: &mut Acc, param: f64, metric: &str) -> Option<PointValue> {
        match op {
            T_SUM | T_AVG => {
                if acc.has_float && acc.has_hist {
                    let pos = position(self.query, "");
                    self.annos.warn(format!(
                        "encountered a mix of histograms and floats for aggregation {pos}"
                    ));
                    return None;
                }
                if acc.has_hist {
                    if acc.hist_err {
                        let pos = position(self.query, "");
                        self.annos.warn(format!(
                            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metric}\" {pos}"
                        ));
                        return None;
                    }
                    let mut h = acc.h.take()?;
                    if op == T_AVG {
                        let s = (acc.hsum.0 + acc.hsum.1) / acc.count;
                        if s.is_finite() {
                            h.sum = s;
                        }
                    } else {
                        h.sum = acc.hsum.0 + acc.hsum.1;
                    }
                    h.compact();
                    return Some(PointValue::Histogram(Arc::new(h)));
                }
                if op == T_SUM {
                    Some(PointValue::Float(acc.f + acc.c))
                } else if acc.incremental {
                    Some(PointValue::Float(acc.mean + acc.c))
                } else {
                    Some(PointValue::Float(acc.f / acc.count + acc.c / acc.count))
                }
            }
            T_COUNT => Some(PointValue::Float(acc.count)),
            T_GROUP => Some(PointValue::Float(1.0)),
            T_MIN | T_MAX => acc.has_float.then_some(PointValue::Float(acc.f)),
            T_STDDEV | T_STDVAR => {
                if !acc.has_float {
                    return None;
                }
                let var = acc.f / acc.count;
                Some(PointValue::Float(if op == T_STDDEV { var.sqrt() } else { var }))
            }
            T_QUANTILE => {
                if !acc.has_float {
                    return None;
                }
                Some(PointValue::Float(quantile(param, &mut acc.values)))
            }
            _ => None,
        }
    }

    fn aggregate_k(
        &mut self,
        op: TokenId,
        input: Vec<StepSeries>,
        keys: &[Labels],
        param: &[f64],
        n: usize,
        _expr: &Expr,
    ) -> Result<EVal> {
        let mut out: Vec<StepSeries> = input
            .iter()
            .map(|s| {
                let mut x = StepSeries::new(s.labels.clone(), n);
                x.drop_name = s.drop_name;
                x
            })
            .collect();
        let mut rank: Vec<(usize, usize)> = Vec::new();
        let mut group_ids: HashMap<&Labels, usize> = HashMap::new();
        let gid: Vec<usize> = keys
            .iter()
            .map(|k| {
                let len = group_ids.len();
                *group_ids.entry(k).or_insert(len)
            })
            .collect();
        for (i, &ratio) in param.iter().enumerate().take(n) {
            let k: i64 = if op == T_LIMIT_RATIO {
                if ratio.is_nan() {
                    return Err(QueryError::Execution("Ratio value is NaN".into()));
                }
                if !(-1.0..=1.0).contains(&ratio) {
                    let pos = self.pos();
                    self.annos.warn(format!(
                        "ratio value should be between -1 and 1, got {}, capping to {} {pos}",
                        super::functions::go_float(ratio),
                        if ratio < 0.0 { -1 } else { 1 }
                    ));
                }
                0
            } else {
                param_k(ratio)?
            };
            let ratio = ratio.clamp(-1.0, 1.0);
            let mut groups: Vec<Vec<usize>> = vec![Vec::new(); group_ids.len()];
            for (si, s) in input.iter().enumerate() {
                let Some(v) = &s.vals[i] else { continue };
                if matches!(op, T_TOPK | T_BOTTOMK) && matches!(v, PointValue::Histogram(_)) {
                    let pos = position(self.query, "");
                    let name = if op == T_TOPK { "topk" } else { "bottomk" };
                    self.annos
                        .info(format!("ignored histogram in {name} aggregation {pos}"));
                    continue;
                }
                groups[gid[si]].push(si);
            }
            for members in groups {
                let chosen: Vec<usize> = match op {
                    T_LIMIT_RATIO => members
                        .into_iter()
                        .filter(|&si| ratio_selects(ratio, &input[si].labels))
                        .collect(),
                    T_LIMITK => members.into_iter().take(k.max(0) as usize).collect(),
                    _ => {
                        if k < 1 {
                            continue;
                        }
                        let val = |si: usize| {
                            input[si].vals[i]
                                .as_ref()
                                .and_then(PointValue::as_float)
                                .unwrap_or(f64::NAN)
                        };
                        let mut m = heap_select(&members, k, op == T_TOPK, &val);
                        m.sort_by(|&a, &b| {
                            let (x, y) = (val(a), val(b));
                            match (x.is_nan(), y.is_nan()) {
                                (true, true) => std::cmp::Ordering::Equal,
                                (true, false) => std::cmp::Ordering::Greater,
                                (false, true) => std::cmp::Ordering::Less,
                                _ => {
                                    let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                                    if op == T_TOPK { o.reverse() } else { o }
                                }
                            }
                        });
                        m.truncate(k.min(m.len() as i64) as usize);
                        m
                    }
                };
                for (r, si) in chosen.into_iter().enumerate() {
                    out[si].vals[i] = input[si].vals[i].clone();
                    if n == 1 {
                        rank.push((si, r));
                    }
                }
            }
        }
        if n == 1 {
            // Instant queries keep the selection order (groups first-seen, best first).
            let mut ordered = Vec::with_capacity(rank.len());
            for (si, _) in rank {
                ordered.push(out[si].clone());
            }
            return Ok(EVal::Vector(ordered));
        }
        out.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(EVal::Vector(out))
    }
}

/// The members `topk` (`top`) or `bottomk` keeps, chosen as Prometheus does with a bounded heap
/// over the members in input order, so that ties between equal values are broken the same way.
/// The result is in input order.
fn heap_select(members: &[usize], k: i64, top: bool, val: &dyn Fn(usize) -> f64) -> Vec<usize> {
    let k = usize::try_from(k).unwrap_or(0);
    // `less(a, b)`: `a` belongs nearer the root, i.e. is the first to be dropped.
    let less = |a: usize, b: usize| {
        let (x, y) = (val(a), val(b));
        if x.is_nan() {
            return true;
        }
        if top { x < y } else { x > y }
    };
    let mut heap: Vec<usize> = Vec::with_capacity(k.min(members.len()));
    for &si in members {
        if heap.len() < k {
            heap.push(si);
            let last = heap.len() - 1;
            heap_up(&mut heap, last, &less);
            continue;
        }
        let (root, v) = (val(heap[0]), val(si));
        let better = if top { root < v } else { root > v };
        if better || (root.is_nan() && !v.is_nan()) {
            heap[0] = si;
            if !heap_down(&mut heap, 0, &less) {
                heap_up(&mut heap, 0, &less);
            }
        }
    }
    heap.sort_unstable();
    heap
}

fn heap_up(h: &mut [usize], mut j: usize, less: &dyn Fn(usize, usize) -> bool) {
    while j > 0 {
        let i = (j - 1) / 2;
        if !less(h[j], h[i]) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

/// Sifts `h[i0]` down; whether it moved.
fn heap_down(h: &mut [usize], i0: usize, less: &dyn Fn(usize, usize) -> bool) -> bool {
    let n = h.len();
    let mut i = i0;
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        if j1 + 1 < n && less(h[j1 + 1], h[j1]) {
            j = j1 + 1;
        }
        if !less(h[j], h[i]) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
    i > i0
}

/// Whether `limit_ratio` keeps a series: a stable position in [0, 1) derived from its labels.
fn ratio_selects(ratio: f64, labels: &Labels) -> bool {
    let off = super::functions::labels_hash(labels) as f64 / u64::MAX as f64;
    (ratio >= 0.0 && off < ratio) || (ratio < 0.0 && off >= 1.0 + ratio)
}

pub(crate) fn valid_label_name(s: &str) -> bool {
    !s.is_empty() && std::str::from_utf8(s.as_bytes()).is_ok() && !s.contains('\u{fffd}')
}

fn count_values(input: &[StepSeries], keys: &[Labels], label: &str, n: usize) -> Vec<StepSeries> {
    let mut out: Vec<StepSeries> = Vec::new();
    let mut idx: HashMap<Labels, usize> = HashMap::new();
    for i in 0..n {
        let mut counts: Vec<(Labels, f64)> = Vec::new();
        let mut pos: HashMap<Labels, usize> = HashMap::new();
        for (si, s) in input.iter().enumerate() {
            let Some(v) = &s.vals[i] else { continue };
            let text = match v {
                PointValue::Float(f) => format_float(*f),
                PointValue::Histogram(h) => super::functions::histogram_string(h),
            };
            let mut b = keys[si].to_builder();
            b.set(label.to_string(), text);
            let l = b.build();
            match pos.get(&l) {
                Some(&p) => counts[p].1 += 1.0,
                None => {
                    pos.insert(l.clone(), counts.len());
                    counts.push((l, 1.0));
                }
            }
        }
        for (l, c) in counts {
            let len = out.len();
            let j = *idx.entry(l.clone()).or_insert(len);
            if j == out.len() {
                out.push(StepSeries::new(l, n));
            }
            out[j].vals[i] = Some(PointValue::Float(c));
        }
    }
    out
}
