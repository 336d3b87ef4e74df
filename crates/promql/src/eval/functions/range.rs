//! Functions over range vectors: `rate`/`increase`/`delta` with extrapolation, `irate`, `idelta`,
//! `resets`, `changes`, `deriv`, `predict_linear`, `double_exponential_smoothing` and every
//! `*_over_time`. Each step looks at its window of the decoded samples.

use super::super::aggregate::{kahan_inc, quantile};
use super::super::annotations::position;
use super::super::{EVal, Evaluator, RangeArg, StepSeries};
use super::labels::{absent_labels, merge_equal_labels};
use super::unparen;
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use obslab_model::{CounterResetHint, FloatHistogram};
use promql_parser::parser::Expr;
use std::sync::Arc;

const RANGE_FNS: &[&str] = &[
    "rate",
    "increase",
    "delta",
    "irate",
    "idelta",
    "resets",
    "changes",
    "deriv",
    "predict_linear",
    "double_exponential_smoothing",
    "holt_winters",
    "avg_over_time",
    "sum_over_time",
    "count_over_time",
    "min_over_time",
    "max_over_time",
    "last_over_time",
    "first_over_time",
    "present_over_time",
    "absent_over_time",
    "stddev_over_time",
    "stdvar_over_time",
    "quantile_over_time",
    "mad_over_time",
    "ts_of_min_over_time",
    "ts_of_max_over_time",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
];

pub(crate) fn is_range_fn(name: &str) -> bool {
    RANGE_FNS.contains(&name)
}

type Pts<'a> = &'a [(i64, PointValue)];

/// Context of one window evaluation.
struct Win<'a> {
    pts: Pts<'a>,
    /// Step time (or the `@` time) the window belongs to.
    step_t: i64,
    range_start: i64,
    range_end: i64,
    range: i64,
    metric: &'a str,
}

fn floats(p: Pts) -> Vec<(i64, f64)> {
    p.iter()
        .filter_map(|(t, v)| v.as_float().map(|f| (*t, f)))
        .collect()
}

fn hists(p: Pts) -> Vec<(i64, Arc<FloatHistogram>)> {
    p.iter()
        .filter_map(|(t, v)| v.as_histogram().map(|h| (*t, h.clone())))
        .collect()
}

/// Least-squares fit of `samples` with x measured in seconds from `intercept_t`.
pub(crate) fn linear_regression(samples: &[(i64, f64)], intercept_t: i64) -> (f64, f64) {
    let (mut n, mut sx, mut cx, mut sy, mut cy, mut sxy, mut cxy, mut sx2, mut cx2) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let init_y = samples[0].1;
    let mut const_y = true;
    for (i, (t, f)) in samples.iter().enumerate() {
        if const_y && i > 0 && *f != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (t - intercept_t) as f64 / 1e3;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(*f, sy, cy);
        (sxy, cxy) = kahan_inc(x * f, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

fn mean_floats(vals: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut c, mut mean, mut count, mut incremental) = (0.0, 0.0, 0.0, 0.0, false);
    for f in vals {
        count += 1.0;
        if !incremental {
            let (nv, nc) = kahan_inc(f, sum, c);
            if !nv.is_infinite() || count == 1.0 {
                sum = nv;
                c = nc;
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(f / count, q * mean, q * c);
    }
    if incremental {
        mean + c
    } else {
        sum / count + c / count
    }
}

fn variance(vals: &[f64]) -> f64 {
    let (mut count, mut mean, mut c, mut acc) = (0.0, 0.0, 0.0, 0.0);
    for &f in vals {
        count += 1.0;
        let delta = f - (mean + c);
        (mean, c) = kahan_inc(delta / count, mean, c);
        acc += delta * (f - (mean + c));
    }
    acc / count
}

impl Evaluator<'_> {
    fn ann_pos(&self, metric: &str) -> String {
        match &self.arg_pos {
            Some(p) => p.clone(),
            None => position(self.query, metric),
        }
    }

    fn mixed_warning(&mut self, metric: &str) {
        let p = self.ann_pos(metric);
        self.annos.warn(format!(
            "encountered a mix of histograms and floats for metric name \"{metric}\" {p}"
        ));
    }

    pub(crate) fn fn_range(&mut self, name: &str, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let n = ts.len();
        let marg = match name {
            "quantile_over_time" => 1,
            _ => 0,
        };
        let mut scalars: Vec<Vec<f64>> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i != marg {
                scalars.push(self.eval_scalar(a, ts)?);
            }
        }
        let arg = self.eval_range_arg(args[marg], ts)?;
        let text = args[marg].to_string();
        self.arg_pos = self.query.contains(&text).then(|| position(self.query, &text));
        if name == "absent_over_time" {
            let mut s = StepSeries::new(absent_labels(unparen(args[marg])), n);
            for (i, x) in s.vals.iter_mut().enumerate() {
                let any = arg.series.iter().any(|se| {
                    let (lo, hi) = arg.window(&se.samples, ts[i]);
                    lo < hi
                });
                if !any {
                    *x = Some(PointValue::Float(1.0));
                }
            }
            return Ok(EVal::Vector(if s.vals.iter().any(Option::is_some) {
                vec![s]
            } else {
                vec![]
            }));
        }
        if matches!(name, "double_exponential_smoothing" | "holt_winters") {
            for (&sf, &tf) in scalars[0].iter().zip(scalars[1].iter()) {
                if sf <= 0.0 || sf >= 1.0 {
                    return Err(QueryError::Execution(format!(
                        "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"
                    )));
                }
                if tf <= 0.0 || tf >= 1.0 {
                    return Err(QueryError::Execution(format!(
                        "invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"
                    )));
                }
            }
        }
        if let Some(m) = arg.modifier {
            super::extended::check_modifier(m, name)?;
            let lookback = self.opts.lookback_delta_ms();
            let mut out = Vec::with_capacity(arg.series.len());
            for se in &arg.series {
                let mut s = StepSeries::new(se.labels.clone(), n);
                s.drop_name = true;
                for (i, &t) in ts.iter().enumerate() {
                    let end = arg.eff(t);
                    let start = end.saturating_sub(arg.range);
                    s.vals[i] = super::extended::modified_range_value(
                        name,
                        m,
                        &se.samples,
                        start,
                        end,
                        arg.range,
                        lookback,
                    );
                }
                if s.vals.iter().any(Option::is_some) {
                    out.push(s);
                }
            }
            return Ok(EVal::Vector(merge_equal_labels(out)?));
        }
        let keep_name = matches!(name, "last_over_time" | "first_over_time");
        let mut out = Vec::with_capacity(arg.series.len());
        for se in &arg.series {
            self.check_deadline("query execution")?;
            let metric = se.labels.metric_name().unwrap_or("").to_string();
            let mut s = StepSeries::new(se.labels.clone(), n);
            s.drop_name = !keep_name || se.drop_name;
            for (i, &t) in ts.iter().enumerate() {
                let (lo, hi) = arg.window(&se.samples, t);
                if lo >= hi {
                    continue;
                }
                let end = arg.eff(t);
                let w = Win {
                    pts: &se.samples[lo..hi],
                    step_t: t,
                    range_start: end.saturating_sub(arg.range),
                    range_end: end,
                    range: arg.range,
                    metric: &metric,
                };
                let sc: Vec<f64> = scalars.iter().map(|v| v[i]).collect();
                s.vals[i] = self.range_one(name, &w, &sc, &arg)?;
            }
            if s.vals.iter().any(Option::is_some) {
                out.push(s);
            }
        }
        if matches!(name, "rate" | "increase") {
            self.counter_name_info(&arg, ts, args[marg]);
        }
        Ok(EVal::Vector(merge_equal_labels(out)?))
    }

    /// The info Prometheus gives when `rate`/`increase` reads floats of a metric whose name does
    /// not look like a counter.
    fn counter_name_info(&mut self, arg: &RangeArg, ts: &[i64], e: &Expr) {
        if arg.is_subquery {
            return;
        }
        for se in &arg.series {
            let name = se.labels.metric_name().unwrap_or("");
            if ["_total", "_sum", "_count", "_bucket"]
                .iter()
                .any(|s| name.ends_with(s))
            {
                continue;
            }
            let has_float = ts.iter().any(|&t| {
                let (lo, hi) = arg.window(&se.samples, t);
                lo < hi && matches!(se.samples[lo].1, PointValue::Float(_))
            });
            if has_float {
                let needle = match unparen(e) {
                    Expr::MatrixSelector(ms) => ms.vs.name.clone().unwrap_or_default(),
                    _ => String::new(),
                };
                let p = self.ann_pos(if needle.is_empty() { name } else { &needle });
                let _ = &needle;
                self.annos.info(format!(
                    "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"{name}\" {p}"
                ));
            }
        }
    }

    fn range_one(&mut self, name: &str, w: &Win, sc: &[f64], _arg: &RangeArg) -> Result<Option<PointValue>> {
        let pts = w.pts;
        let f = |x: f64| Some(PointValue::Float(x));
        let has_h = pts.iter().any(|p| matches!(p.1, PointValue::Histogram(_)));
        let has_f = pts.iter().any(|p| matches!(p.1, PointValue::Float(_)));
        Ok(match name {
            "rate" | "increase" | "delta" => self.extrapolated_rate(w, name != "delta", name == "rate"),
            "irate" | "idelta" => self.instant_delta(w, name == "irate"),
            "resets" | "changes" => {
                let mut count = 0.0;
                for pair in pts.windows(2) {
                    let changed = match (&pair[0].1, &pair[1].1) {
                        (PointValue::Float(a), PointValue::Float(b)) => {
                            if name == "resets" {
                                b < a
                            } else {
                                a != b && !(a.is_nan() && b.is_nan())
                            }
                        }
                        (PointValue::Histogram(a), PointValue::Histogram(b)) => {
                            if name == "resets" {
                                b.detect_reset(a)
                            } else {
                                !a.approx_eq(b, |x, y| x == y)
                            }
                        }
                        _ => true,
                    };
                    if changed {
                        count += 1.0;
                    }
                }
                f(count)
            }
            "deriv" | "predict_linear" => {
                if has_h && !has_f {
                    return Ok(None);
                }
                if has_h {
                    let p = self.ann_pos(w.metric);
                    self.annos.info(format!(
                        "ignored histograms in a range containing both floats and histograms for metric name \"{}\" {p}",
                        w.metric
                    ));
                }
                let fl = floats(pts);
                if fl.len() < 2 {
                    return Ok(None);
                }
                if name == "deriv" {
                    f(linear_regression(&fl, fl[0].0).0)
                } else {
                    let (slope, icept) = linear_regression(&fl, w.step_t);
                    f(slope * sc[0] + icept)
                }
            }
            "double_exponential_smoothing" | "holt_winters" => {
                if has_h && has_f {
                    let p = self.ann_pos(w.metric);
                    self.annos.info(format!(
                        "ignored histograms in a range containing both floats and histograms for metric name \"{}\" {p}",
                        w.metric
                    ));
                }
                let fl = floats(pts);
                if fl.len() < 2 {
                    return Ok(None);
                }
                let (sf, tf) = (sc[0], sc[1]);
                let mut s0 = 0.0;
                let mut s1 = fl[0].1;
                let mut b = fl[1].1 - fl[0].1;
                for (i, item) in fl.iter().enumerate().skip(1) {
                    let x = sf * item.1;
                    if i > 1 {
                        b = tf * (s1 - s0) + (1.0 - tf) * b;
                    }
                    let y = (1.0 - sf) * (s1 + b);
                    s0 = s1;
                    s1 = x + y;
                }
                f(s1)
            }
            "count_over_time" => f(pts.len() as f64),
            "present_over_time" => f(1.0),
            "last_over_time" => Some(pts[pts.len() - 1].1.clone()),
            "first_over_time" => Some(pts[0].1.clone()),
            "ts_of_last_over_time" => f(pts[pts.len() - 1].0 as f64 / 1000.0),
            "ts_of_first_over_time" => f(pts[0].0 as f64 / 1000.0),
            "sum_over_time" | "avg_over_time" => {
                if has_f && has_h {
                    self.mixed_warning(w.metric);
                    return Ok(None);
                }
                if has_h {
                    let hs = hists(pts);
                    let mut acc = (*hs[0].1).clone();
                    let mut hsum = (hs[0].1.sum, 0.0);
                    if hs.iter().any(|(_, h)| h.custom_bounds_differ(&hs[0].1)) {
                        let p = self.ann_pos(w.metric);
                        self.annos.info(format!(
                            "mismatched custom buckets were reconciled during aggregation {p}"
                        ));
                    }
                    if name == "avg_over_time" {
                        // Incremental mean, so that huge counts do not overflow.
                        for (k, (_, h)) in hs.iter().enumerate().skip(1) {
                            hsum = kahan_inc(h.sum, hsum.0, hsum.1);
                            let kf = (k + 1) as f64;
                            let mut left = (**h).clone();
                            left.div(kf);
                            let mut right = acc.clone();
                            right.div(kf);
                            match left.sub(&right).and_then(|d| acc.add(&d)) {
                                Ok(x) => acc = x,
                                Err(_) => return Ok(None),
                            }
                        }
                        let s = (hsum.0 + hsum.1) / hs.len() as f64;
                        if s.is_finite() {
                            acc.sum = s;
                        }
                        acc.compact();
                        return Ok(Some(PointValue::Histogram(Arc::new(acc))));
                    }
                    for (_, h) in &hs[1..] {
                        hsum = kahan_inc(h.sum, hsum.0, hsum.1);
                        match acc.add_with_hint(h) {
                            Ok((x, collision)) => {
                                if collision {
                                    let p = self.ann_pos(w.metric);
                                    self.annos.warn(format!(
                                        "conflicting counter resets during histogram aggregation {p}"
                                    ));
                                }
                                acc = x
                            }
                            Err(_) => {
                                let p = self.ann_pos(w.metric);
                                self.annos.warn(format!("vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{}\" {p}", w.metric));
                                return Ok(None);
                            }
                        }
                    }
                    acc.sum = hsum.0 + hsum.1;
                    if name == "avg_over_time" {
                        acc.div(hs.len() as f64);
                    }
                    acc.compact();
                    return Ok(Some(PointValue::Histogram(Arc::new(acc))));
                }
                let fl = floats(pts);
                if name == "sum_over_time" {
                    let (mut s, mut c) = (0.0, 0.0);
                    for (_, x) in &fl {
                        (s, c) = kahan_inc(*x, s, c);
                    }
                    f(s + c)
                } else {
                    f(mean_floats(fl.iter().map(|p| p.1)))
                }
            }
            "min_over_time"
            | "max_over_time"
            | "ts_of_min_over_time"
            | "ts_of_max_over_time"
            | "stddev_over_time"
            | "stdvar_over_time"
            | "quantile_over_time"
            | "mad_over_time" => {
                if has_h && has_f {
                    let p = self.ann_pos(w.metric);
                    self.annos.info(format!(
                        "ignored histograms in a range containing both floats and histograms for metric name \"{}\" {p}",
                        w.metric
                    ));
                }
                let fl = floats(pts);
                if fl.is_empty() {
                    return Ok(None);
                }
                match name {
                    "min_over_time" | "max_over_time" | "ts_of_min_over_time" | "ts_of_max_over_time" => {
                        let is_max = name.contains("max");
                        let mut best = fl[0];
                        for &(t, x) in &fl[1..] {
                            let better = if is_max { x >= best.1 } else { x <= best.1 };
                            let strictly = if is_max { x > best.1 } else { x < best.1 };
                            if best.1.is_nan() && !x.is_nan()
                                || strictly
                                || (name.starts_with("ts_of") && better && !x.is_nan())
                            {
                                best = (t, x);
                            }
                        }
                        if name.starts_with("ts_of") {
                            f(best.0 as f64 / 1000.0)
                        } else {
                            f(best.1)
                        }
                    }
                    "stddev_over_time" | "stdvar_over_time" => {
                        let v = variance(&fl.iter().map(|p| p.1).collect::<Vec<_>>());
                        f(if name == "stddev_over_time" { v.sqrt() } else { v })
                    }
                    "quantile_over_time" => {
                        let q = sc[0];
                        if !(0.0..=1.0).contains(&q) {
                            let p = position(self.query, "");
                            self.annos.warn(format!(
                                "quantile value should be between 0 and 1, got {} {p}",
                                super::go_float(q)
                            ));
                        }
                        let mut v: Vec<f64> = fl.iter().map(|p| p.1).collect();
                        f(quantile(q, &mut v))
                    }
                    _ => {
                        let mut v: Vec<f64> = fl.iter().map(|p| p.1).collect();
                        if v.iter().any(|x| x.is_nan()) {
                            return Ok(f(f64::NAN));
                        }
                        let med = quantile(0.5, &mut v);
                        let mut dev: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
                        f(quantile(0.5, &mut dev))
                    }
                }
            }
            _ => None,
        })
    }

    fn instant_delta(&mut self, w: &Win, is_rate: bool) -> Option<PointValue> {
        let pts = w.pts;
        if pts.len() < 2 {
            return None;
        }
        let (t1, a) = &pts[pts.len() - 2];
        let (t2, b) = &pts[pts.len() - 1];
        let dt = (t2 - t1) as f64 / 1000.0;
        match (a, b) {
            (PointValue::Float(a), PointValue::Float(b)) => {
                let mut r = if is_rate && b < a { *b } else { b - a };
                if is_rate {
                    if dt == 0.0 {
                        return None;
                    }
                    r /= dt;
                }
                Some(PointValue::Float(r))
            }
            (PointValue::Histogram(ha), PointValue::Histogram(hb)) => {
                let gauge = |h: &FloatHistogram| h.counter_reset_hint == CounterResetHint::Gauge;
                if is_rate && (gauge(ha) || gauge(hb)) {
                    let p = self.ann_pos(w.metric);
                    self.annos.warn(format!(
                        "this native histogram metric is not a counter: \"{}\" {p}",
                        w.metric
                    ));
                } else if !is_rate && (!gauge(ha) || !gauge(hb)) {
                    let p = self.ann_pos(w.metric);
                    self.annos.warn(format!(
                        "this native histogram metric is not a gauge: \"{}\" {p}",
                        w.metric
                    ));
                }
                let reset = is_rate && hb.detect_reset(ha);
                // A subtraction of histograms with different custom bounds reconciles them.
                if !reset && ha.custom_bounds_differ(hb) {
                    let p = self.ann_pos(w.metric);
                    self.annos.info(format!(
                        "mismatched custom buckets were reconciled during subtraction {p}"
                    ));
                }
                let mut r = if reset { (**hb).clone() } else { hb.sub(ha).ok()? };
                if is_rate {
                    r.div(dt);
                }
                r.counter_reset_hint = CounterResetHint::Gauge;
                r.compact();
                Some(PointValue::Histogram(Arc::new(r)))
            }
            _ => {
                self.mixed_warning(w.metric);
                None
            }
        }
    }

    fn extrapolated_rate(&mut self, w: &Win, is_counter: bool, is_rate: bool) -> Option<PointValue> {
        let pts = w.pts;
        let has_h = pts.iter().any(|p| matches!(p.1, PointValue::Histogram(_)));
        let has_f = pts.iter().any(|p| matches!(p.1, PointValue::Float(_)));
        if has_h && has_f {
            self.mixed_warning(w.metric);
            return None;
        }
        if pts.len() < 2 {
            return None;
        }
        let first_t = pts[0].0;
        let last_t = pts[pts.len() - 1].0;
        let n1 = (pts.len() - 1) as f64;
        let mut result_f = 0.0;
        let mut result_h: Option<FloatHistogram> = None;
        let mut first_f = 0.0;
        if has_h {
            result_h = Some(self.histogram_rate(pts, is_counter, w.metric)?);
        } else {
            let fl = floats(pts);
            first_f = fl[0].1;
            result_f = fl[fl.len() - 1].1 - fl[0].1;
            if is_counter {
                let mut prev = fl[0].1;
                for &(_, c) in &fl[1..] {
                    if c < prev {
                        result_f += prev;
                    }
                    prev = c;
                }
            }
        }
        let mut to_start = (first_t - w.range_start) as f64 / 1000.0;
        let mut to_end = (w.range_end - last_t) as f64 / 1000.0;
        let sampled = (last_t - first_t) as f64 / 1000.0;
        let avg = sampled / n1;
        let threshold = avg * 1.1;
        if to_start >= threshold {
            to_start = avg / 2.0;
        }
        if is_counter {
            let mut to_zero = to_start;
            if !has_h && result_f > 0.0 && first_f >= 0.0 {
                to_zero = sampled * (first_f / result_f);
            } else if let Some(h) = &result_h {
                let first_count = pts[0].1.as_histogram().map(|x| x.count).unwrap_or(0.0);
                if h.count > 0.0 && first_count >= 0.0 {
                    to_zero = sampled * (first_count / h.count);
                }
            }
            if to_zero < to_start {
                to_start = to_zero;
            }
        }
        if to_end >= threshold {
            to_end = avg / 2.0;
        }
        let mut factor = (sampled + to_start + to_end) / sampled;
        if is_rate {
            factor /= w.range as f64 / 1000.0;
        }
        match result_h {
            Some(mut h) => {
                h.mul(factor);
                Some(PointValue::Histogram(Arc::new(h)))
            }
            None => Some(PointValue::Float(result_f * factor)),
        }
    }

    fn histogram_rate(&mut self, pts: Pts, is_counter: bool, metric: &str) -> Option<FloatHistogram> {
        let hs = hists(pts);
        let first = &hs[0].1;
        let last = &hs[hs.len() - 1].1;
        let custom = first.uses_custom_buckets();
        let mut min_schema = first.schema.min(last.schema);
        if last.uses_custom_buckets() != custom {
            let p = self.ann_pos(metric);
            self.annos.warn(format!("vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metric}\" {p}"));
            return None;
        }
        for (_, h) in &hs[1..hs.len() - 1] {
            if !is_counter {
                continue;
            }
            if h.counter_reset_hint == CounterResetHint::Gauge {
                let p = self.ann_pos(metric);
                self.annos.warn(format!(
                    "this native histogram metric is not a counter: \"{metric}\" {p}"
                ));
            }
            min_schema = min_schema.min(h.schema);
            if h.uses_custom_buckets() != custom {
                let p = self.ann_pos(metric);
                self.annos.warn(format!("vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metric}\" {p}"));
                return None;
            }
        }
        if is_counter
            && (first.counter_reset_hint == CounterResetHint::Gauge
                || last.counter_reset_hint == CounterResetHint::Gauge)
        {
            let p = self.ann_pos(metric);
            self.annos.warn(format!(
                "this native histogram metric is not a counter: \"{metric}\" {p}"
            ));
        }
        let base = last.reduce_resolution(min_schema);
        if base.custom_bounds_differ(first) {
            let p = self.ann_pos(metric);
            self.annos.info(format!(
                "mismatched custom buckets were reconciled during subtraction {p}"
            ));
        }
        let mut h = base.sub(first).ok()?;
        if is_counter {
            let mut prev = first.clone();
            for (_, cur) in &hs[1..] {
                if cur.detect_reset(&prev) {
                    h = h.add(&prev).ok()?;
                }
                prev = cur.clone();
            }
        } else if first.counter_reset_hint != CounterResetHint::Gauge
            || last.counter_reset_hint != CounterResetHint::Gauge
        {
            let p = self.ann_pos(metric);
            self.annos.warn(format!(
                "this native histogram metric is not a gauge: \"{metric}\" {p}"
            ));
        }
        h.counter_reset_hint = CounterResetHint::Gauge;
        h.compact();
        Some(h)
    }
}
