//! The query engine: options, instant and range queries, and conversion of results to the
//! Prometheus API's value types.

use crate::error::{QueryError, Result};
use crate::eval::{Annotations, EVal, Evaluator, StepSeries};
use crate::value::{PointValue, QueryResult, QueryValue, RangeSeries, Sample};
use obslab_model::{Labels, Queryable};
use promql_parser::parser::{self, Expr};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Engine limits and defaults, as Prometheus's command-line flags set them.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (`--query.lookback-delta`).
    pub lookback_delta: Duration,
    /// Most samples a query may hold at once (`--query.max-samples`).
    pub max_samples: usize,
    /// Longest a query may run (`--query.timeout`).
    pub timeout: Duration,
    /// Most points per series a range query may return.
    pub max_points_per_series: usize,
    /// Resolution of subqueries that give no step.
    pub no_step_subquery_interval: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            lookback_delta: Duration::from_secs(300),
            max_samples: 50_000_000,
            timeout: Duration::from_secs(120),
            max_points_per_series: 11_000,
            no_step_subquery_interval: Duration::from_secs(60),
        }
    }
}

impl EngineOptions {
    pub(crate) fn lookback_delta_ms(&self) -> i64 {
        i64::try_from(self.lookback_delta.as_millis()).unwrap_or(i64::MAX / 4)
    }

    pub(crate) fn no_step_subquery_interval_ms(&self) -> i64 {
        i64::try_from(self.no_step_subquery_interval.as_millis())
            .unwrap_or(60_000)
            .max(1)
    }
}

/// Lets another thread stop a running query, e.g. when the HTTP client has gone away.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Evaluates PromQL over a [`Queryable`].
#[derive(Debug, Clone, Default)]
pub struct Engine {
    opts: EngineOptions,
}

/// Deepest bracket nesting accepted in query text, so that parsing and evaluation stay bounded.
const MAX_NESTING: usize = 200;

/// Parses query text for a query with the given step and range (both 0 for instant queries),
/// computing duration expressions first.
pub fn parse_query(query: &str, step_ms: i64, range_ms: i64) -> Result<Expr> {
    let rewritten = catch_unwind(|| crate::duration_expr::rewrite(query, step_ms, range_ms))
        .map_err(|_| QueryError::Parse("could not parse query".into()))??;
    parse_expr(&rewritten)
}

/// Parses query text into an expression, with Prometheus's `bad_data` error on failure.
pub fn parse_expr(query: &str) -> Result<Expr> {
    let mut depth = 0usize;
    let mut max = 0usize;
    for c in query.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max > MAX_NESTING {
        return Err(QueryError::Parse(format!(
            "query nesting exceeds {MAX_NESTING} levels"
        )));
    }
    match catch_unwind(|| parser::parse(query)) {
        Ok(Ok(e)) => Ok(e),
        Ok(Err(msg)) if msg.contains("at least one non-empty matcher") => {
            // `info()` accepts selectors that match only empty values.
            let marked = crate::info_selector::mark_info_selectors(query);
            match marked.map(|q| catch_unwind(|| parser::parse(&q))) {
                Some(Ok(Ok(e))) => Ok(e),
                _ => Err(QueryError::Parse(msg)),
            }
        }
        Ok(Err(msg)) => Err(QueryError::Parse(msg)),
        Err(_) => Err(QueryError::Parse("could not parse query".into())),
    }
}

impl Engine {
    pub fn new(opts: EngineOptions) -> Self {
        Self { opts }
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Evaluates `query` at one time (milliseconds since the epoch).
    pub fn instant_query(&self, q: &dyn Queryable, query: &str, time: i64) -> Result<QueryResult> {
        self.instant_query_cancellable(q, query, time, &CancelToken::new())
    }

    /// Like [`Engine::instant_query`], stopped with a `canceled` error once `cancel` is set.
    pub fn instant_query_cancellable(
        &self,
        q: &dyn Queryable,
        query: &str,
        time: i64,
        cancel: &CancelToken,
    ) -> Result<QueryResult> {
        let expr = parse_query(query, 0, 0)?;
        self.run(q, query, &expr, time, time, 0, cancel)
    }

    /// Evaluates `query` at `start`, `start + step`, ... up to `end` (milliseconds).
    pub fn range_query(
        &self,
        q: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<QueryResult> {
        self.range_query_cancellable(q, query, start, end, step, &CancelToken::new())
    }

    /// Like [`Engine::range_query`], stopped with a `canceled` error once `cancel` is set.
    pub fn range_query_cancellable(
        &self,
        q: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
        cancel: &CancelToken,
    ) -> Result<QueryResult> {
        if step <= 0 {
            return Err(QueryError::BadData(
                "zero or negative query resolution step widths are not accepted. Try a positive integer"
                    .into(),
            ));
        }
        if end < start {
            return Err(QueryError::BadData(
                "end timestamp must not be before start time".into(),
            ));
        }
        let points = (end - start) / step + 1;
        if points > self.opts.max_points_per_series as i64 {
            return Err(QueryError::BadData(format!(
                "exceeded maximum resolution of {} points per timeseries. Try decreasing the query resolution (?step=XX)",
                group_thousands(self.opts.max_points_per_series)
            )));
        }
        let expr = parse_query(query, step, end - start)?;
        match expr.value_type() {
            parser::value::ValueType::Vector | parser::value::ValueType::Scalar => {}
            other => {
                return Err(QueryError::BadData(format!(
                    "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                    type_name(other)
                )));
            }
        }
        self.run(q, query, &expr, start, end, step, cancel)
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        q: &dyn Queryable,
        text: &str,
        expr: &Expr,
        start: i64,
        end: i64,
        step: i64,
        cancel: &CancelToken,
    ) -> Result<QueryResult> {
        let ts: Vec<i64> = if step == 0 {
            vec![start]
        } else {
            (0..=((end - start) / step)).map(|i| start + i * step).collect()
        };
        let mut ev = Evaluator {
            q,
            opts: &self.opts,
            query_start: start,
            query_end: end,
            query_step: step,
            deadline: Instant::now() + self.opts.timeout,
            annos: Annotations::default(),
            depth: 0,
            query: text,
            arg_pos: None,
            cancel,
        };
        let res = catch_unwind(AssertUnwindSafe(|| ev.eval(expr, &ts)))
            .map_err(|_| QueryError::Execution("internal error while evaluating the query".into()))??;
        let value = if step == 0 {
            instant_value(res, start)?
        } else {
            range_value(res, &ts)?
        };
        Ok(QueryResult {
            value,
            warnings: ev.annos.warnings.into_iter().collect(),
            infos: ev.annos.infos.into_iter().collect(),
        })
    }
}

fn group_thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn type_name(t: parser::value::ValueType) -> &'static str {
    match t {
        parser::value::ValueType::Vector => "instant vector",
        parser::value::ValueType::Scalar => "scalar",
        parser::value::ValueType::Matrix => "range vector",
        parser::value::ValueType::String => "string",
    }
}

fn instant_value(v: EVal, t: i64) -> Result<QueryValue> {
    Ok(match v {
        EVal::Scalar(s) => QueryValue::Scalar {
            t,
            v: s.first().copied().unwrap_or(f64::NAN),
        },
        EVal::Str(s) => QueryValue::String { t, v: s },
        EVal::Matrix(m) => {
            let mut m = m;
            m.sort_by(|a, b| a.labels.cmp(&b.labels));
            QueryValue::Matrix(m)
        }
        EVal::Vector(series) => {
            let mut out = Vec::with_capacity(series.len());
            let mut seen = std::collections::HashSet::new();
            for s in series {
                if let Some(Some(v)) = s.vals.first() {
                    let labels = s.final_labels();
                    if !seen.insert(labels.clone()) {
                        return Err(QueryError::Execution(
                            "vector cannot contain metrics with the same labelset".into(),
                        ));
                    }
                    out.push(Sample {
                        labels,
                        t,
                        value: v.clone(),
                    });
                }
            }
            QueryValue::Vector(out)
        }
    })
}

fn range_value(v: EVal, ts: &[i64]) -> Result<QueryValue> {
    let series: Vec<StepSeries> = match v {
        EVal::Vector(s) => s,
        EVal::Scalar(s) => {
            return Ok(QueryValue::Matrix(vec![RangeSeries {
                labels: Labels::empty(),
                points: s
                    .into_iter()
                    .enumerate()
                    .map(|(i, f)| (ts[i], PointValue::Float(f)))
                    .collect(),
            }]));
        }
        _ => {
            return Err(QueryError::BadData(
                "range query must return a vector or scalar".into(),
            ));
        }
    };
    let mut merged: BTreeMap<Labels, Vec<Option<PointValue>>> = BTreeMap::new();
    for s in series {
        let labels = s.final_labels();
        match merged.get_mut(&labels) {
            Some(existing) => {
                for (i, v) in s.vals.into_iter().enumerate() {
                    if let Some(v) = v {
                        if existing[i].is_some() {
                            return Err(QueryError::Execution(
                                "vector cannot contain metrics with the same labelset".into(),
                            ));
                        }
                        existing[i] = Some(v);
                    }
                }
            }
            None => {
                merged.insert(labels, s.vals);
            }
        }
    }
    Ok(QueryValue::Matrix(
        merged
            .into_iter()
            .filter_map(|(labels, vals)| {
                let points: Vec<(i64, PointValue)> = vals
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (ts[i], v)))
                    .collect();
                (!points.is_empty()).then_some(RangeSeries { labels, points })
            })
            .collect(),
    ))
}
