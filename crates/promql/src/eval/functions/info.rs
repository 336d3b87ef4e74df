//! `info(v, [selector])`: adds the data labels of info series (by default `target_info`) that
//! share `instance` and `job` with each series of `v`.

use super::super::selector::selector_matchers;
use super::super::{EVal, Evaluator, StepSeries};
use crate::error::{QueryError, Result};
use obslab_model::{Labels, METRIC_NAME, MatchOp, Matcher};
use promql_parser::parser::{Expr, VectorSelector};
use std::collections::HashMap;

const IDENTIFYING: [&str; 2] = ["instance", "job"];

/// Name, instance and job of an info series.
type InfoKey = (Option<String>, Option<String>, Option<String>);

impl Evaluator<'_> {
    pub(crate) fn fn_info(&mut self, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let n = ts.len();
        let base = self.eval_vector(args[0], ts)?;
        let matchers: Vec<Matcher> = match args.get(1).map(|e| super::unparen(e)) {
            Some(Expr::VectorSelector(vs)) => selector_matchers(vs)?.into_iter().next().unwrap_or_default(),
            Some(_) => return Err(QueryError::BadData("info() expects a label selector".into())),
            None => Vec::new(),
        };
        let (mut name_m, data_m): (Vec<Matcher>, Vec<Matcher>) =
            matchers.into_iter().partition(|m| m.name == METRIC_NAME);
        if name_m.is_empty() {
            name_m.push(
                Matcher::new(MatchOp::Equal, METRIC_NAME, "target_info")
                    .map_err(|e| QueryError::BadData(e.to_string()))?,
            );
        } else if name_m
            .iter()
            .all(|m| matches!(m.op, MatchOp::NotEqual | MatchOp::NotRegex))
        {
            // Negated name matchers alone filter the info metrics; they do not select others.
            name_m.push(
                Matcher::new(MatchOp::Regex, METRIC_NAME, ".+_info")
                    .map_err(|e| QueryError::BadData(e.to_string()))?,
            );
        }
        let mut info_sel = VectorSelector::new(None, promql_parser::label::Matchers::empty());
        for m in &name_m {
            let op = match m.op {
                MatchOp::Equal => promql_parser::label::MatchOp::Equal,
                MatchOp::NotEqual => promql_parser::label::MatchOp::NotEqual,
                MatchOp::Regex | MatchOp::NotRegex => {
                    let re = regex::Regex::new(&format!("^(?s:{})$", m.value))
                        .map_err(|e| QueryError::BadData(e.to_string()))?;
                    if m.op == MatchOp::Regex {
                        promql_parser::label::MatchOp::Re(re)
                    } else {
                        promql_parser::label::MatchOp::NotRe(re)
                    }
                }
            };
            info_sel
                .matchers
                .matchers
                .push(promql_parser::label::Matcher::new(op, &m.name, &m.value));
        }
        // Info series are read as of the base samples' time (its `@` and `offset`).
        let ref_ts: Vec<i64> = ts.iter().map(|t| self.reference_time(args[0], *t)).collect();
        let infos = match self.eval_vector_selector(&info_sel, &ref_ts)? {
            EVal::Vector(v) => v,
            _ => Vec::new(),
        };
        let info_ts = match self.eval_selector_timestamps(&info_sel, &ref_ts)? {
            EVal::Vector(v) => v,
            _ => Vec::new(),
        };
        let mut infos = infos;
        // Of several info series for the same target and name, the most recent one counts.
        for i in 0..n {
            let mut newest: HashMap<InfoKey, f64> = HashMap::new();
            let key = |l: &Labels| {
                (
                    l.get(METRIC_NAME).map(str::to_string),
                    l.get("instance").map(str::to_string),
                    l.get("job").map(str::to_string),
                )
            };
            let stamp = |j: usize| match info_ts.get(j).and_then(|s| s.vals[i].as_ref()) {
                Some(crate::value::PointValue::Float(f)) => *f,
                _ => f64::NEG_INFINITY,
            };
            for (j, s) in infos.iter().enumerate() {
                if s.vals[i].is_some() {
                    let e = newest.entry(key(&s.labels)).or_insert(f64::NEG_INFINITY);
                    *e = e.max(stamp(j));
                }
            }
            for (j, s) in infos.iter_mut().enumerate() {
                if s.vals[i].is_some() && newest.get(&key(&s.labels)).is_some_and(|m| stamp(j) < *m) {
                    s.vals[i] = None;
                }
            }
        }
        if infos.iter().any(|s| {
            s.vals
                .iter()
                .flatten()
                .any(|v| matches!(v, crate::value::PointValue::Histogram(_)))
        }) {
            return Err(QueryError::Execution(
                "info series must be float series, found a native histogram".into(),
            ));
        }
        let empty_ok = data_m.iter().all(|m| m.matches_empty());
        let mut out: Vec<StepSeries> = Vec::new();
        let mut idx: HashMap<(Labels, bool), usize> = HashMap::new();
        for s in &base {
            // Series that are themselves info series (by the positive name matchers) stay as
            // they are.
            let positive = name_m
                .iter()
                .any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Regex));
            let is_info = positive
                && name_m
                    .iter()
                    .all(|m| m.matches(s.labels.get(METRIC_NAME).unwrap_or("")));
            for i in 0..n {
                let Some(v) = &s.vals[i] else { continue };
                let labels = if is_info {
                    Some(s.labels.clone())
                } else {
                    self.enrich(&s.labels, &infos, &data_m, i, empty_ok)?
                };
                let Some(labels) = labels else { continue };
                let key = (labels.clone(), s.drop_name);
                let j = *idx.entry(key).or_insert_with(|| {
                    let mut ns = StepSeries::new(labels, n);
                    ns.drop_name = s.drop_name;
                    out.push(ns);
                    out.len() - 1
                });
                out[j].vals[i] = Some(v.clone());
            }
        }
        Ok(EVal::Vector(out))
    }

    /// The time the samples of `e` at step time `t` refer to, following `@` and `offset`.
    fn reference_time(&self, e: &Expr, t: i64) -> i64 {
        use super::super::offset_ms;
        match e {
            Expr::VectorSelector(vs) => self
                .at_ms(&vs.at)
                .unwrap_or(t)
                .saturating_sub(offset_ms(&vs.offset)),
            Expr::MatrixSelector(ms) => self
                .at_ms(&ms.vs.at)
                .unwrap_or(t)
                .saturating_sub(offset_ms(&ms.vs.offset)),
            Expr::Subquery(sq) => {
                let inner = self
                    .at_ms(&sq.at)
                    .unwrap_or(t)
                    .saturating_sub(offset_ms(&sq.offset));
                self.reference_time(&sq.expr, inner)
            }
            Expr::Paren(p) => self.reference_time(&p.expr, t),
            Expr::Unary(u) => self.reference_time(&u.expr, t),
            Expr::Aggregate(a) => self.reference_time(&a.expr, t),
            Expr::Call(c) => c
                .args
                .args
                .iter()
                .find(|a| {
                    matches!(
                        a.value_type(),
                        promql_parser::parser::value::ValueType::Vector
                            | promql_parser::parser::value::ValueType::Matrix
                    )
                })
                .map(|a| self.reference_time(a, t))
                .unwrap_or(t),
            _ => t,
        }
    }

    fn enrich(
        &self,
        base: &Labels,
        infos: &[StepSeries],
        data_m: &[Matcher],
        i: usize,
        empty_ok: bool,
    ) -> Result<Option<Labels>> {
        let mut b = base.to_builder();
        let mut found = false;
        for inf in infos {
            if inf.vals[i].is_none() {
                continue;
            }
            let ident_match = IDENTIFYING
                .iter()
                .all(|l| inf.labels.get(l).unwrap_or("") == base.get(l).unwrap_or(""));
            if !ident_match {
                continue;
            }
            if !data_m
                .iter()
                .all(|m| m.matches(inf.labels.get(&m.name).unwrap_or("")))
            {
                continue;
            }
            found = true;
            for l in inf.labels.iter() {
                if l.name == METRIC_NAME || IDENTIFYING.contains(&l.name.as_str()) {
                    continue;
                }
                if !data_m.is_empty() && !data_m.iter().any(|m| m.name == l.name) {
                    continue;
                }
                if base.get(&l.name).is_some() {
                    continue;
                }
                // Two info series may not give one data label different values.
                if let Some(prev) = b.get(&l.name)
                    && prev != l.value
                {
                    return Err(QueryError::Execution(format!(
                        "conflicting label: {} has values {prev:?} and {:?} in different info series",
                        l.name, l.value
                    )));
                }
                b.set(l.name.clone(), l.value.clone());
            }
        }
        if !found && !empty_ok {
            return Ok(None);
        }
        Ok(Some(b.build()))
    }
}
