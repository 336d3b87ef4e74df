//! Instant and range vector selectors: one `select` per selector, each series decoded once.

use super::{EVal, Evaluator, RangeArg, RangeArgSeries, StepSeries, offset_ms};
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use obslab_model::sample::is_stale_nan;
use obslab_model::{Labels, MatchOp, Matcher, SampleValue, SelectHints};
use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{Expr, VectorSelector};
use std::collections::BTreeMap;

pub(crate) fn is_stale(v: &PointValue) -> bool {
    match v {
        PointValue::Float(f) => is_stale_nan(*f),
        PointValue::Histogram(h) => is_stale_nan(h.sum),
    }
}

/// The selector's matchers as alternatives (`{a="1" or b="2"}` gives two), each a conjunction.
pub(crate) fn selector_matchers(vs: &VectorSelector) -> Result<Vec<Vec<Matcher>>> {
    let conv = |m: &promql_parser::label::Matcher| -> Result<Matcher> {
        let op = match m.op {
            PMatchOp::Equal => MatchOp::Equal,
            PMatchOp::NotEqual => MatchOp::NotEqual,
            PMatchOp::Re(_) => MatchOp::Regex,
            PMatchOp::NotRe(_) => MatchOp::NotRegex,
        };
        Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| QueryError::BadData(e.to_string()))
    };
    let real = |m: &&promql_parser::label::Matcher| {
        m.name != crate::duration_expr::EXT_LABEL && m.name != crate::info_selector::INFO_PLACEHOLDER
    };
    let mut alts: Vec<Vec<Matcher>> = Vec::new();
    if vs.matchers.or_matchers.is_empty() {
        alts.push(
            vs.matchers
                .matchers
                .iter()
                .filter(real)
                .map(conv)
                .collect::<Result<_>>()?,
        );
    } else {
        for group in &vs.matchers.or_matchers {
            let mut g: Vec<Matcher> = vs
                .matchers
                .matchers
                .iter()
                .filter(real)
                .map(conv)
                .collect::<Result<_>>()?;
            for m in group.iter().filter(real) {
                g.push(conv(m)?);
            }
            alts.push(g);
        }
    }
    if let Some(name) = &vs.name {
        for g in alts.iter_mut() {
            if !g
                .iter()
                .any(|m| m.name == obslab_model::METRIC_NAME && m.op == MatchOp::Equal)
            {
                g.push(
                    Matcher::new(MatchOp::Equal, obslab_model::METRIC_NAME, name.clone())
                        .map_err(|e| QueryError::BadData(e.to_string()))?,
                );
            }
        }
    }
    Ok(alts)
}

/// A selected series with its decoded samples.
pub(crate) type LoadedSeries = (Labels, Vec<(i64, PointValue)>);

/// The experimental range modifiers `anchored` and `smoothed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeMod {
    Anchored,
    Smoothed,
}

/// The modifier written after a selector, carried by a marker matcher.
pub(crate) fn range_modifier(vs: &VectorSelector) -> Option<RangeMod> {
    let m = vs
        .matchers
        .matchers
        .iter()
        .find(|m| m.name == crate::duration_expr::EXT_LABEL)?;
    if m.value.contains("anchored") {
        Some(RangeMod::Anchored)
    } else {
        Some(RangeMod::Smoothed)
    }
}

impl Evaluator<'_> {
    /// Loads every series matching `vs` with its samples in `[mint, maxt]`.
    pub(crate) fn load_series(
        &mut self,
        vs: &VectorSelector,
        mint: i64,
        maxt: i64,
        range: i64,
    ) -> Result<Vec<LoadedSeries>> {
        let mut out: BTreeMap<Labels, Vec<(i64, PointValue)>> = BTreeMap::new();
        let hints = SelectHints {
            start: mint,
            end: maxt,
            step: 0,
            range,
            func: None,
        };
        let mut total = 0usize;
        for alt in selector_matchers(vs)? {
            let set = self
                .q
                .select(&alt, &hints)
                .map_err(|e| QueryError::Execution(e.to_string()))?;
            for w in set.warnings {
                self.annos.warnings.insert(w);
            }
            for s in set.series {
                if out.contains_key(s.labels()) {
                    continue;
                }
                self.check_deadline("query execution")?;
                let mut it = s.iterator();
                let mut samples = Vec::new();
                let mut cur = it.seek(mint);
                while let Some(x) = cur {
                    if x.t > maxt {
                        break;
                    }
                    let v = match x.value {
                        SampleValue::Float(f) => PointValue::Float(f),
                        SampleValue::Histogram(h) => PointValue::Histogram(h),
                    };
                    samples.push((x.t, v));
                    cur = it.next_sample();
                }
                total += samples.len();
                if total > self.opts.max_samples.saturating_mul(64).max(1 << 24) {
                    return Err(QueryError::TooManySamples("query execution".into()));
                }
                out.insert(s.labels().clone(), samples);
            }
        }
        Ok(out.into_iter().collect())
    }

    pub(crate) fn eval_vector_selector(&mut self, vs: &VectorSelector, ts: &[i64]) -> Result<EVal> {
        let off = offset_ms(&vs.offset);
        let at = self.at_ms(&vs.at);
        let effs: Vec<i64> = ts.iter().map(|t| at.unwrap_or(*t).saturating_sub(off)).collect();
        let (Some(&first), Some(&last)) = (effs.first(), effs.last()) else {
            return Ok(EVal::Vector(Vec::new()));
        };
        let lookback = self.opts.lookback_delta_ms();
        if range_modifier(vs) == Some(RangeMod::Smoothed) {
            return self.eval_smoothed_selector(vs, &effs, lookback);
        }
        let loaded = self.load_series(vs, first.saturating_sub(lookback).saturating_add(1), last, 0)?;
        let mut out = Vec::with_capacity(loaded.len());
        for (labels, samples) in loaded {
            let mut s = StepSeries::new(labels, ts.len());
            let mut j = 0usize;
            let mut any = false;
            for (i, &eff) in effs.iter().enumerate() {
                while j < samples.len() && samples[j].0 <= eff {
                    j += 1;
                }
                if j == 0 {
                    continue;
                }
                let (t, v) = &samples[j - 1];
                if *t > eff.saturating_sub(lookback) && !is_stale(v) {
                    s.vals[i] = Some(v.clone());
                    any = true;
                }
            }
            if any {
                out.push(s);
            }
        }
        self.check_samples(&out, ts.len())?;
        Ok(EVal::Vector(out))
    }

    /// `metric smoothed`: the value at each step interpolated between the samples around it.
    fn eval_smoothed_selector(&mut self, vs: &VectorSelector, effs: &[i64], lookback: i64) -> Result<EVal> {
        let (Some(&first), Some(&last)) = (effs.iter().min(), effs.iter().max()) else {
            return Ok(EVal::Vector(Vec::new()));
        };
        let loaded = self.load_series(
            vs,
            first.saturating_sub(lookback),
            last.saturating_add(lookback),
            0,
        )?;
        let mut out = Vec::new();
        for (labels, samples) in loaded {
            let pts: Vec<(i64, f64)> = samples
                .iter()
                .filter(|s| !is_stale(&s.1))
                .filter_map(|(t, v)| v.as_float().map(|f| (*t, f)))
                .collect();
            let mut s = StepSeries::new(labels, effs.len());
            for (i, &eff) in effs.iter().enumerate() {
                // Only where the plain selector would find a sample.
                let before = pts.partition_point(|p| p.0 <= eff);
                if before == 0 || pts[before - 1].0 <= eff.saturating_sub(lookback) {
                    continue;
                }
                s.vals[i] = super::functions::interpolate(&pts, eff, lookback).map(PointValue::Float);
            }
            if s.vals.iter().any(Option::is_some) {
                out.push(s);
            }
        }
        Ok(EVal::Vector(out))
    }

    /// Sample timestamps an instant selector picks at each step (for `timestamp()`).
    pub(crate) fn eval_selector_timestamps(&mut self, vs: &VectorSelector, ts: &[i64]) -> Result<EVal> {
        let off = offset_ms(&vs.offset);
        let at = self.at_ms(&vs.at);
        let effs: Vec<i64> = ts.iter().map(|t| at.unwrap_or(*t).saturating_sub(off)).collect();
        let (Some(&first), Some(&last)) = (effs.first(), effs.last()) else {
            return Ok(EVal::Vector(Vec::new()));
        };
        let lookback = self.opts.lookback_delta_ms();
        let loaded = self.load_series(vs, first.saturating_sub(lookback).saturating_add(1), last, 0)?;
        let mut out = Vec::new();
        for (labels, samples) in loaded {
            let mut s = StepSeries::new(labels, ts.len());
            s.drop_name = true;
            let mut j = 0usize;
            for (i, &eff) in effs.iter().enumerate() {
                while j < samples.len() && samples[j].0 <= eff {
                    j += 1;
                }
                if j == 0 {
                    continue;
                }
                let (t, v) = &samples[j - 1];
                if *t > eff.saturating_sub(lookback) && !is_stale(v) {
                    s.vals[i] = Some(PointValue::Float(*t as f64 / 1000.0));
                }
            }
            if s.vals.iter().any(Option::is_some) {
                out.push(s);
            }
        }
        Ok(EVal::Vector(out))
    }

    /// Evaluates a range-vector expression (matrix selector or subquery) for windowing per step.
    pub(crate) fn eval_range_arg(&mut self, e: &Expr, ts: &[i64]) -> Result<RangeArg> {
        let arg = match e {
            Expr::Paren(p) => return self.eval_range_arg(&p.expr, ts),
            Expr::MatrixSelector(ms) => {
                let vs = &ms.vs;
                let range = i64::try_from(ms.range.as_millis()).unwrap_or(i64::MAX / 4);
                let off = offset_ms(&vs.offset);
                let at = self.at_ms(&vs.at);
                let effs: Vec<i64> = ts.iter().map(|t| at.unwrap_or(*t).saturating_sub(off)).collect();
                let (first, last) = match (effs.iter().min(), effs.iter().max()) {
                    (Some(a), Some(b)) => (*a, *b),
                    _ => (0, 0),
                };
                let modifier = range_modifier(vs);
                let lookback = self.opts.lookback_delta_ms();
                let (lo, hi) = match modifier {
                    None => (first.saturating_sub(range).saturating_add(1), last),
                    Some(RangeMod::Anchored) => (first.saturating_sub(range).saturating_sub(lookback), last),
                    Some(RangeMod::Smoothed) => (
                        first.saturating_sub(range).saturating_sub(lookback),
                        last.saturating_add(lookback),
                    ),
                };
                let loaded = self.load_series(vs, lo, hi, range)?;
                let series = loaded
                    .into_iter()
                    .map(|(labels, samples)| RangeArgSeries {
                        labels,
                        samples: samples.into_iter().filter(|s| !is_stale(&s.1)).collect(),
                        drop_name: false,
                    })
                    .collect();
                RangeArg {
                    series,
                    range,
                    offset: off,
                    at,
                    is_subquery: false,
                    modifier,
                }
            }
            Expr::Subquery(sq) => self.eval_subquery(sq, ts)?,
            _ => return Err(QueryError::BadData("expected range vector".into())),
        };
        self.check_window_samples(&arg, ts)?;
        Ok(arg)
    }

    fn check_window_samples(&self, arg: &RangeArg, ts: &[i64]) -> Result<()> {
        let total: usize = arg.series.iter().map(|s| s.samples.len()).sum();
        if total <= self.opts.max_samples {
            return Ok(());
        }
        for &t in ts {
            let mut n = 0usize;
            for s in &arg.series {
                let (lo, hi) = arg.window(&s.samples, t);
                n += hi - lo;
            }
            if n > self.opts.max_samples {
                return Err(QueryError::TooManySamples("query execution".into()));
            }
        }
        Ok(())
    }
}
