//! Subqueries: the inner expression evaluated as a nested range query on a step-aligned grid.

use super::{EVal, Evaluator, RangeArg, RangeArgSeries, offset_ms};
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use promql_parser::parser::SubqueryExpr;

impl Evaluator<'_> {
    pub(crate) fn eval_subquery(&mut self, sq: &SubqueryExpr, ts: &[i64]) -> Result<RangeArg> {
        let range = i64::try_from(sq.range.as_millis()).unwrap_or(i64::MAX / 4);
        let step = match sq.step {
            Some(s) => i64::try_from(s.as_millis()).unwrap_or(i64::MAX / 4),
            None => self.opts.no_step_subquery_interval_ms(),
        };
        if step <= 0 {
            return Err(QueryError::BadData("zero or negative subquery step".into()));
        }
        let off = offset_ms(&sq.offset);
        let at = self.at_ms(&sq.at);
        let effs: Vec<i64> = ts.iter().map(|t| at.unwrap_or(*t).saturating_sub(off)).collect();
        let (first, last) = match (effs.iter().min(), effs.iter().max()) {
            (Some(a), Some(b)) => (*a, *b),
            _ => (0, 0),
        };
        let lo = first.saturating_sub(range);
        let mut start = step.saturating_mul(lo / step);
        if start <= lo {
            start = start.saturating_add(step);
        }
        let points = if last < start {
            0
        } else {
            (last - start) / step + 1
        };
        let max_points = (self.opts.max_samples as i64)
            .max(1)
            .saturating_mul(4)
            .max(1_000_000);
        if points > max_points {
            return Err(QueryError::TooManySamples("query execution".into()));
        }
        let grid: Vec<i64> = (0..points).map(|i| start + i * step).collect();
        let inner = if grid.is_empty() {
            EVal::Vector(Vec::new())
        } else {
            self.eval(&sq.expr, &grid)?
        };
        let series = match inner {
            EVal::Vector(v) => v
                .into_iter()
                .map(|s| RangeArgSeries {
                    samples: s
                        .vals
                        .iter()
                        .enumerate()
                        .filter_map(|(i, v)| v.clone().map(|v| (grid[i], forget_reset_hint(v))))
                        .collect(),
                    labels: s.labels,
                    drop_name: s.drop_name,
                })
                .filter(|s| !s.samples.is_empty())
                .collect(),
            EVal::Scalar(v) => vec![RangeArgSeries {
                labels: Default::default(),
                samples: v
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (grid[i], PointValue::Float(*f)))
                    .collect(),
                drop_name: false,
            }],
            _ => {
                return Err(QueryError::BadData(
                    "subquery is only allowed on instant vector".into(),
                ));
            }
        };
        Ok(RangeArg {
            series,
            range,
            offset: off,
            at,
            is_subquery: true,
            modifier: None,
        })
    }
}

/// Subquery points are not consecutive samples, so a stored hint about the previous sample says
/// nothing about the previous point: resets are detected from the buckets instead.
fn forget_reset_hint(v: PointValue) -> PointValue {
    match v {
        PointValue::Histogram(h)
            if matches!(
                h.counter_reset_hint,
                obslab_model::CounterResetHint::NotCounterReset
                    | obslab_model::CounterResetHint::CounterReset
            ) =>
        {
            let mut x = (*h).clone();
            x.counter_reset_hint = obslab_model::CounterResetHint::Unknown;
            PointValue::Histogram(std::sync::Arc::new(x))
        }
        other => other,
    }
}
