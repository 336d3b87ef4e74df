//! Evaluation of a parsed expression over a list of evaluation timestamps.
//!
//! Every node is evaluated once for all steps of the query (like Prometheus's range evaluation):
//! instant-vector nodes yield one dense row of values per series, so selectors decode each series
//! once and range functions slide windows over the decoded samples instead of re-reading storage
//! per step.

mod aggregate;
mod annotations;
mod binary;
pub(crate) mod functions;
mod selector;
mod subquery;

pub(crate) use annotations::Annotations;

use crate::engine::EngineOptions;
use crate::error::{QueryError, Result};
use crate::value::{PointValue, RangeSeries};
use obslab_model::{Labels, Queryable};
use promql_parser::parser::{AtModifier, Expr, Offset};
use std::time::{Instant, SystemTime};

/// Maximum nesting depth of an expression, so that deep input cannot exhaust the stack.
pub(crate) const MAX_DEPTH: usize = 256;

/// One series of an instant-vector node: a value (or none) per evaluation step.
#[derive(Debug, Clone)]
pub(crate) struct StepSeries {
    pub labels: Labels,
    pub vals: Vec<Option<PointValue>>,
    /// The metric name is to be removed at the end (delayed name removal).
    pub drop_name: bool,
}

impl StepSeries {
    pub fn new(labels: Labels, n: usize) -> Self {
        Self {
            labels,
            vals: vec![None; n],
            drop_name: false,
        }
    }

    /// Labels with the name removed if it is marked for removal.
    pub fn final_labels(&self) -> Labels {
        if self.drop_name {
            drop_name_labels(&self.labels)
        } else {
            self.labels.clone()
        }
    }
}

/// The labels without the metric name and the type and unit labels that describe it.
pub(crate) fn drop_name_labels(l: &Labels) -> Labels {
    let mut b = l.to_builder();
    b.del(obslab_model::METRIC_NAME);
    b.del("__type__");
    b.del("__unit__");
    b.build()
}

/// The value of an evaluated node.
#[derive(Debug, Clone)]
pub(crate) enum EVal {
    Scalar(Vec<f64>),
    Str(String),
    Vector(Vec<StepSeries>),
    /// A range vector, only as the result of an instant query.
    Matrix(Vec<RangeSeries>),
}

pub(crate) struct Evaluator<'a> {
    pub q: &'a dyn Queryable,
    pub opts: &'a EngineOptions,
    /// Start and end of the whole query, for `@ start()` / `@ end()`.
    pub query_start: i64,
    pub query_end: i64,
    /// Step of the whole query in milliseconds (0 for instant queries).
    pub query_step: i64,
    pub deadline: Instant,
    pub annos: Annotations,
    pub depth: usize,
    pub query: &'a str,
    /// Position of the argument being processed, for annotations.
    pub arg_pos: Option<String>,
    pub cancel: &'a crate::engine::CancelToken,
}

pub(crate) fn time_to_ms(t: &SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

pub(crate) fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4),
        Some(Offset::Neg(d)) => -i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4),
    }
}

impl<'a> Evaluator<'a> {
    pub fn at_ms(&self, at: &Option<AtModifier>) -> Option<i64> {
        match at {
            None => None,
            Some(AtModifier::Start) => Some(self.query_start),
            Some(AtModifier::End) => Some(self.query_end),
            Some(AtModifier::At(t)) => Some(time_to_ms(t)),
        }
    }

    /// Position suffix for an annotation about the current argument.
    pub fn pos(&self) -> String {
        self.arg_pos.clone().unwrap_or_else(|| "(1:1)".into())
    }

    pub fn check_deadline(&self, what: &str) -> Result<()> {
        if self.cancel.is_canceled() {
            return Err(QueryError::Canceled(what.to_string()));
        }
        if Instant::now() > self.deadline {
            return Err(QueryError::Timeout(what.to_string()));
        }
        Ok(())
    }

    /// Fails when one step holds more samples than allowed.
    pub fn check_samples(&self, series: &[StepSeries], steps: usize) -> Result<()> {
        let max = self.opts.max_samples;
        if series.len() <= max {
            return Ok(());
        }
        for i in 0..steps {
            let n = series.iter().filter(|s| s.vals[i].is_some()).count();
            if n > max {
                return Err(QueryError::TooManySamples("query execution".into()));
            }
        }
        Ok(())
    }

    pub fn eval(&mut self, e: &Expr, ts: &[i64]) -> Result<EVal> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(QueryError::BadData("expression nesting is too deep".into()));
        }
        self.check_deadline("expression evaluation")?;
        let r = self.eval_inner(e, ts);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expr, ts: &[i64]) -> Result<EVal> {
        let n = ts.len();
        match e {
            Expr::NumberLiteral(x) => Ok(EVal::Scalar(vec![x.val; n])),
            Expr::StringLiteral(s) => Ok(EVal::Str(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, ts),
            Expr::Unary(u) => {
                let v = self.eval(&u.expr, ts)?;
                Ok(match v {
                    EVal::Scalar(v) => EVal::Scalar(v.into_iter().map(|x| -x).collect()),
                    EVal::Vector(mut ss) => {
                        for s in ss.iter_mut() {
                            s.drop_name = true;
                            for v in s.vals.iter_mut().flatten() {
                                *v = match v {
                                    PointValue::Float(f) => PointValue::Float(-*f),
                                    PointValue::Histogram(h) => {
                                        let mut h = (**h).clone();
                                        h.mul(-1.0);
                                        h.counter_reset_hint = obslab_model::CounterResetHint::Gauge;
                                        PointValue::Histogram(std::sync::Arc::new(h))
                                    }
                                };
                            }
                        }
                        EVal::Vector(ss)
                    }
                    other => other,
                })
            }
            Expr::Binary(b) => self.eval_binary(b, ts),
            Expr::Aggregate(a) => self.eval_aggregate(a, ts),
            Expr::Call(c) => self.eval_call(c, ts),
            Expr::VectorSelector(vs) => self.eval_vector_selector(vs, ts),
            Expr::MatrixSelector(_) | Expr::Subquery(_) => {
                if n != 1 {
                    return Err(QueryError::BadData(
                        "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"
                            .to_string(),
                    ));
                }
                let mut m = self.eval_range_arg(e, ts)?;
                let mut out = Vec::new();
                let series = std::mem::take(&mut m.series);
                for s in series {
                    let (lo, hi) = m.window(&s.samples, ts[0]);
                    if lo < hi {
                        out.push(RangeSeries {
                            labels: if s.drop_name {
                                s.labels.without_metric_name()
                            } else {
                                s.labels
                            },
                            points: s.samples[lo..hi].to_vec(),
                        });
                    }
                }
                Ok(EVal::Matrix(out))
            }
            Expr::Extension(_) => Err(QueryError::BadData("unsupported expression".into())),
        }
    }

    /// Evaluates an expression expected to be an instant vector.
    pub fn eval_vector(&mut self, e: &Expr, ts: &[i64]) -> Result<Vec<StepSeries>> {
        match self.eval(e, ts)? {
            EVal::Vector(v) => Ok(v),
            _ => Err(QueryError::BadData("expected instant vector".into())),
        }
    }

    /// Evaluates an expression expected to be a scalar.
    pub fn eval_scalar(&mut self, e: &Expr, ts: &[i64]) -> Result<Vec<f64>> {
        match self.eval(e, ts)? {
            EVal::Scalar(v) => Ok(v),
            _ => Err(QueryError::BadData("expected scalar".into())),
        }
    }
}

/// A range-vector argument: decoded samples per series and how to find each step's window.
pub(crate) struct RangeArg {
    pub series: Vec<RangeArgSeries>,
    pub range: i64,
    pub offset: i64,
    pub at: Option<i64>,
    /// Metric name selected, for annotations.
    pub is_subquery: bool,
    /// `anchored` / `smoothed`, when given.
    pub modifier: Option<selector::RangeMod>,
}

pub(crate) struct RangeArgSeries {
    pub labels: Labels,
    pub samples: Vec<(i64, PointValue)>,
    pub drop_name: bool,
}

impl RangeArg {
    /// The evaluation time that step time `t` maps to.
    pub fn eff(&self, t: i64) -> i64 {
        self.at.unwrap_or(t).saturating_sub(self.offset)
    }

    /// Indices `[lo, hi)` of the samples in the window `(eff - range, eff]` of step time `t`.
    pub fn window(&self, samples: &[(i64, PointValue)], t: i64) -> (usize, usize) {
        let end = self.eff(t);
        let start = end.saturating_sub(self.range);
        let lo = samples.partition_point(|s| s.0 <= start);
        let hi = samples.partition_point(|s| s.0 <= end);
        (lo, hi.max(lo))
    }
}
