//! `info(v, [selector])`: adds the data labels of info series (by default `target_info`) that
//! share `instance` and `job` with each series of `v`.

use super::super::selector::selector_matchers;
use super::super::{EVal, Evaluator, StepSeries};
use crate::error::{QueryError, Result};
use obslab_model::{Labels, MatchOp, Matcher, METRIC_NAME};
use promql_parser::parser::{Expr, VectorSelector};
use std::collections::HashMap;

const IDENTIFYING: [&str; 2] = ["instance", "job"];

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
        let infos = match self.eval_vector_selector(&info_sel, ts)? {
            EVal::Vector(v) => v,
            _ => Vec::new(),
        };
        let empty_ok = data_m.iter().all(|m| m.matches_empty());
        let mut out: Vec<StepSeries> = Vec::new();
        let mut idx: HashMap<(Labels, bool), usize> = HashMap::new();
        for s in &base {
            // Series that are themselves info series (by the positive name matchers) stay as
            // they are.
            let positive = name_m.iter().any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Regex));
            let is_info =
                positive && name_m.iter().all(|m| m.matches(s.labels.get(METRIC_NAME).unwrap_or("")));
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
                .all(|l| inf.labels.get(l).is_some_and(|v| Some(v) == base.get(l)));
            if !ident_match {
                continue;
            }
            if !data_m.iter().all(|m| m.matches(inf.labels.get(&m.name).unwrap_or(""))) {
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
                b.set(l.name.clone(), l.value.clone());
            }
        }
        if !found && !empty_ok {
            return Ok(None);
        }
        Ok(Some(b.build()))
    }
}
