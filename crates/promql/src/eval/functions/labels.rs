//! `absent`, `label_replace`, `label_join` and the `sort` family.

use super::super::selector::selector_matchers;
use super::super::{EVal, Evaluator, StepSeries};
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use obslab_model::{Labels, LabelsBuilder, METRIC_NAME, MatchOp};
use promql_parser::parser::Expr;
use std::cmp::Ordering;
use std::collections::HashMap;

/// Labels `absent` reports: the selector's equality matchers (a label matched twice is dropped).
pub(crate) fn absent_labels(e: &Expr) -> Labels {
    let vs = match e {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return Labels::empty(),
    };
    let Ok(alts) = selector_matchers(vs) else {
        return Labels::empty();
    };
    if alts.len() != 1 {
        return Labels::empty();
    }
    let mut b = LabelsBuilder::default();
    let mut has: Vec<String> = Vec::new();
    for m in &alts[0] {
        if m.name == METRIC_NAME {
            continue;
        }
        if m.op == MatchOp::Equal && !has.contains(&m.name) {
            b.set(m.name.clone(), m.value.clone());
            has.push(m.name.clone());
        } else {
            b.del(&m.name);
        }
    }
    b.build()
}

/// Merges series that ended up with equal labels; two values at one step are an error.
pub(crate) fn merge_equal_labels(v: Vec<StepSeries>) -> Result<Vec<StepSeries>> {
    let mut out: Vec<StepSeries> = Vec::with_capacity(v.len());
    let mut idx: HashMap<Labels, usize> = HashMap::new();
    for s in v {
        let key = s.labels.clone();
        match idx.get(&key) {
            Some(&j) => {
                for (i, x) in s.vals.into_iter().enumerate() {
                    if let Some(x) = x {
                        if out[j].vals[i].is_some() {
                            return Err(QueryError::Execution(
                                "vector cannot contain metrics with the same labelset".into(),
                            ));
                        }
                        out[j].vals[i] = Some(x);
                    }
                }
            }
            None => {
                idx.insert(key, out.len());
                out.push(s);
            }
        }
    }
    Ok(out)
}

fn valid_label(name: &str) -> bool {
    !name.is_empty()
}

/// Natural-order comparison (digit runs compare as numbers).
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let na = a[si..i].trim_start_matches('0');
            let nb = b[sj..j].trim_start_matches('0');
            let o = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if o != Ordering::Equal {
                return o;
            }
        } else {
            if ab[i] != bb[j] {
                return ab[i].cmp(&bb[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j))
}

impl Evaluator<'_> {
    fn string_arg(&mut self, e: &Expr, ts: &[i64]) -> Result<String> {
        match self.eval(e, ts)? {
            EVal::Str(s) => Ok(s),
            _ => Err(QueryError::BadData("expected string argument".into())),
        }
    }

    pub(crate) fn fn_absent(&mut self, arg: &Expr, ts: &[i64]) -> Result<EVal> {
        let v = self.eval_vector(arg, ts)?;
        let mut s = StepSeries::new(absent_labels(arg), ts.len());
        for (i, x) in s.vals.iter_mut().enumerate() {
            if !v.iter().any(|s| s.vals[i].is_some()) {
                *x = Some(PointValue::Float(1.0));
            }
        }
        Ok(EVal::Vector(if s.vals.iter().any(Option::is_some) {
            vec![s]
        } else {
            vec![]
        }))
    }

    pub(crate) fn fn_label_replace(&mut self, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let v = self.eval_vector(args[0], ts)?;
        let dst = self.string_arg(args[1], ts)?;
        let repl = self.string_arg(args[2], ts)?;
        let src = self.string_arg(args[3], ts)?;
        let re_s = self.string_arg(args[4], ts)?;
        let re = regex::Regex::new(&format!("^(?s:{re_s})$")).map_err(|_| {
            QueryError::Execution(format!("invalid regular expression in label_replace(): {re_s}"))
        })?;
        if !valid_label(&dst) {
            return Err(QueryError::Execution(format!(
                "invalid destination label name in label_replace(): {dst}"
            )));
        }
        let mut out = Vec::with_capacity(v.len());
        for mut s in v {
            let val = s.labels.get(&src).unwrap_or("").to_string();
            if let Some(caps) = re.captures(&val) {
                let mut res = String::new();
                caps.expand(&repl, &mut res);
                let mut b = s.labels.to_builder();
                b.set(dst.clone(), res);
                s.labels = b.build();
                if dst == METRIC_NAME {
                    s.drop_name = false;
                }
            }
            out.push(s);
        }
        Ok(EVal::Vector(merge_equal_labels(out)?))
    }

    pub(crate) fn fn_label_join(&mut self, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let v = self.eval_vector(args[0], ts)?;
        let dst = self.string_arg(args[1], ts)?;
        let sep = self.string_arg(args[2], ts)?;
        let mut srcs = Vec::new();
        for a in &args[3..] {
            srcs.push(self.string_arg(a, ts)?);
        }
        if !valid_label(&dst) {
            return Err(QueryError::Execution(format!(
                "invalid destination label name in label_join(): {dst}"
            )));
        }
        let mut out = Vec::with_capacity(v.len());
        for mut s in v {
            let joined: Vec<&str> = srcs.iter().map(|n| s.labels.get(n).unwrap_or("")).collect();
            let joined = joined.join(&sep);
            let mut b = s.labels.to_builder();
            b.set(dst.clone(), joined);
            s.labels = b.build();
            if dst == METRIC_NAME {
                s.drop_name = false;
            }
            out.push(s);
        }
        Ok(EVal::Vector(merge_equal_labels(out)?))
    }

    pub(crate) fn fn_sort(&mut self, name: &str, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let mut v = self.eval_vector(args[0], ts)?;
        let mut names = Vec::new();
        for a in &args[1..] {
            names.push(self.string_arg(a, ts)?);
        }
        if name == "sort" || name == "sort_desc" {
            for s in v.iter_mut() {
                for x in s.vals.iter_mut() {
                    if matches!(x, Some(PointValue::Histogram(_))) {
                        *x = None;
                    }
                }
            }
            v.retain(|s| s.vals.iter().any(Option::is_some));
        }
        if ts.len() != 1 {
            return Ok(EVal::Vector(v));
        }
        let val = |s: &StepSeries| match &s.vals[0] {
            Some(PointValue::Float(f)) => *f,
            _ => f64::NAN,
        };
        match name {
            "sort" | "sort_desc" => {
                let desc = name == "sort_desc";
                v.sort_by(|a, b| {
                    let (x, y) = (val(a), val(b));
                    match (x.is_nan(), y.is_nan()) {
                        (true, true) => Ordering::Equal,
                        (true, false) => Ordering::Greater,
                        (false, true) => Ordering::Less,
                        _ => {
                            let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                            if desc { o.reverse() } else { o }
                        }
                    }
                });
            }
            _ => {
                let desc = name == "sort_by_label_desc";
                v.sort_by(|a, b| {
                    for n in &names {
                        let (x, y) = (a.labels.get(n).unwrap_or(""), b.labels.get(n).unwrap_or(""));
                        if x == y {
                            continue;
                        }
                        let o = natural_cmp(x, y);
                        return if desc { o.reverse() } else { o };
                    }
                    let o = a.labels.cmp(&b.labels);
                    if desc { o.reverse() } else { o }
                });
            }
        }
        Ok(EVal::Vector(v))
    }
}
