//! Binary operators: arithmetic, comparisons (filtering or `bool`), set operators, and vector
//! matching with `on`/`ignoring` and `group_left`/`group_right`.

use super::{EVal, Evaluator, StepSeries};
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use obslab_model::{FloatHistogram, Labels, METRIC_NAME};
use promql_parser::parser::token::*;
use promql_parser::parser::{BinaryExpr, LabelModifier, VectorMatchCardinality};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub(crate) fn op_name(op: TokenId) -> &'static str {
    match op {
        T_ADD => "+",
        T_SUB => "-",
        T_MUL => "*",
        T_DIV => "/",
        T_MOD => "%",
        T_POW => "^",
        T_ATAN2 => "atan2",
        T_EQLC => "==",
        T_NEQ => "!=",
        T_GTR => ">",
        T_LSS => "<",
        T_GTE => ">=",
        T_LTE => "<=",
        T_LAND => "and",
        T_LOR => "or",
        T_LUNLESS => "unless",
        _ => "?",
    }
}

fn is_comparison(op: TokenId) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

fn drops_name(op: TokenId) -> bool {
    matches!(op, T_ADD | T_SUB | T_MUL | T_DIV | T_MOD | T_POW | T_ATAN2)
}

/// Float arithmetic as Go computes it.
pub(crate) fn arith(op: TokenId, a: f64, b: f64) -> f64 {
    match op {
        T_ADD => a + b,
        T_SUB => a - b,
        T_MUL => a * b,
        T_DIV => a / b,
        T_MOD => a % b,
        T_POW => a.powf(b),
        T_ATAN2 => a.atan2(b),
        _ => f64::NAN,
    }
}

fn compare(op: TokenId, a: f64, b: f64) -> bool {
    match op {
        T_EQLC => a == b,
        T_NEQ => a != b,
        T_GTR => a > b,
        T_LSS => a < b,
        T_GTE => a >= b,
        T_LTE => a <= b,
        _ => false,
    }
}

/// Result of one element-wise operation: the value, and whether to keep the element.
enum Elem {
    Keep(PointValue),
    Drop,
}

impl Evaluator<'_> {
    /// Applies `op` to two values (already in original left/right order).
    fn elem_binop(&mut self, op: TokenId, l: &PointValue, r: &PointValue) -> Elem {
        use PointValue::*;
        match (l, r) {
            (Float(a), Float(b)) => {
                if is_comparison(op) {
                    if compare(op, *a, *b) {
                        Elem::Keep(Float(*a))
                    } else {
                        Elem::Drop
                    }
                } else {
                    Elem::Keep(Float(arith(op, *a, *b)))
                }
            }
            (Histogram(a), Histogram(b)) => match op {
                T_ADD | T_SUB => {
                    if a.custom_bounds_differ(b) {
                        let pos = super::annotations::position(self.query, "");
                        self.annos.info(format!(
                            "mismatched custom buckets were reconciled during {} {pos}",
                            if op == T_ADD { "addition" } else { "subtraction" }
                        ));
                    }
                    let r = if op == T_ADD { a.add(b) } else { a.sub(b) };
                    match r {
                        Ok(mut h) => {
                            h.counter_reset_hint = obslab_model::CounterResetHint::Gauge;
                            h.compact();
                            Elem::Keep(Histogram(Arc::new(h)))
                        }
                        Err(e) => {
                            self.hist_error(e, op);
                            Elem::Drop
                        }
                    }
                }
                T_EQLC | T_NEQ => {
                    let eq = hist_equal(a, b);
                    if (op == T_EQLC) == eq {
                        Elem::Keep(Histogram(a.clone()))
                    } else {
                        Elem::Drop
                    }
                }
                _ => {
                    self.incompatible(op, l, r);
                    Elem::Drop
                }
            },
            (Histogram(h), Float(f)) if matches!(op, T_MUL | T_DIV) => {
                let mut h = (**h).clone();
                if op == T_MUL {
                    h.mul(*f)
                } else {
                    h.div(*f)
                }
                Elem::Keep(Histogram(Arc::new(h)))
            }
            (Float(f), Histogram(h)) if op == T_MUL => {
                let mut h = (**h).clone();
                h.mul(*f);
                Elem::Keep(Histogram(Arc::new(h)))
            }
            _ => {
                self.incompatible(op, l, r);
                Elem::Drop
            }
        }
    }

    fn incompatible(&mut self, op: TokenId, l: &PointValue, r: &PointValue) {
        let kind = |v: &PointValue| match v {
            PointValue::Float(_) => "float",
            PointValue::Histogram(_) => "histogram",
        };
        let msg = format!(
            "incompatible sample types encountered for binary operator \"{}\": {} {} {}",
            op_name(op),
            kind(l),
            op_name(op),
            kind(r)
        );
        let pos = super::annotations::position(self.query, "");
        self.annos.info(format!("{msg} {pos}"));
    }

    fn hist_error(&mut self, e: obslab_model::histogram::HistogramError, op: TokenId) {
        let pos = super::annotations::position(self.query, "");
        match e {
            obslab_model::histogram::HistogramError::MixedSchemas => self.annos.warn(format!(
                "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"\" {pos}"
            )),
            obslab_model::histogram::HistogramError::IncompatibleBounds => self.annos.info(format!(
                "mismatched custom buckets were reconciled during {} {pos}",
                if op == T_ADD { "addition" } else { "subtraction" }
            )),
        }
    }

    pub(crate) fn eval_binary(&mut self, b: &BinaryExpr, ts: &[i64]) -> Result<EVal> {
        let op = b.op.id();
        let return_bool = b.return_bool();
        let l = self.eval(&b.lhs, ts)?;
        let r = self.eval(&b.rhs, ts)?;
        match (l, r) {
            (EVal::Scalar(a), EVal::Scalar(c)) => Ok(EVal::Scalar(
                a.iter()
                    .zip(c.iter())
                    .map(|(x, y)| {
                        if is_comparison(op) {
                            if compare(op, *x, *y) { 1.0 } else { 0.0 }
                        } else {
                            arith(op, *x, *y)
                        }
                    })
                    .collect(),
            )),
            (EVal::Vector(v), EVal::Scalar(s)) => {
                Ok(EVal::Vector(self.vector_scalar(op, v, &s, false, return_bool)))
            }
            (EVal::Scalar(s), EVal::Vector(v)) => {
                Ok(EVal::Vector(self.vector_scalar(op, v, &s, true, return_bool)))
            }
            (EVal::Vector(l), EVal::Vector(r)) => {
                let card = b
                    .modifier
                    .as_ref()
                    .map(|m| m.card.clone())
                    .unwrap_or(VectorMatchCardinality::OneToOne);
                let matching = b.modifier.as_ref().and_then(|m| m.matching.clone());
                let out = match op {
                    T_LAND | T_LOR | T_LUNLESS => set_op(op, l, r, &matching, ts.len()),
                    _ => {
                        let fill = b
                            .modifier
                            .as_ref()
                            .map(|m| (m.fill_values.lhs, m.fill_values.rhs));
                        self.vector_vector(
                            op,
                            l,
                            r,
                            &card,
                            &matching,
                            return_bool,
                            fill.unwrap_or((None, None)),
                            ts.len(),
                        )?
                    }
                };
                Ok(EVal::Vector(out))
            }
            _ => Err(QueryError::BadData("invalid operands for binary operator".into())),
        }
    }

    fn vector_scalar(
        &mut self,
        op: TokenId,
        v: Vec<StepSeries>,
        s: &[f64],
        swap: bool,
        return_bool: bool,
    ) -> Vec<StepSeries> {
        let mut out = Vec::with_capacity(v.len());
        for mut series in v {
            for (i, slot) in series.vals.iter_mut().enumerate() {
                let Some(val) = slot.take() else { continue };
                let sc = PointValue::Float(s[i]);
                let res = if swap {
                    self.elem_binop(op, &sc, &val)
                } else {
                    self.elem_binop(op, &val, &sc)
                };
                *slot = match res {
                    Elem::Keep(x) => {
                        if return_bool {
                            Some(PointValue::Float(1.0))
                        } else if is_comparison(op) {
                            Some(val)
                        } else {
                            Some(x)
                        }
                    }
                    Elem::Drop if return_bool && is_comparison(op) && matches!(val, PointValue::Float(_)) => {
                        Some(PointValue::Float(0.0))
                    }
                    Elem::Drop => None,
                };
            }
            if drops_name(op) || return_bool {
                series.drop_name = true;
            }
            if series.vals.iter().any(Option::is_some) {
                out.push(series);
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn vector_vector(
        &mut self,
        op: TokenId,
        lhs: Vec<StepSeries>,
        rhs: Vec<StepSeries>,
        card: &VectorMatchCardinality,
        matching: &Option<LabelModifier>,
        return_bool: bool,
        fill: (Option<f64>, Option<f64>),
        n: usize,
    ) -> Result<Vec<StepSeries>> {
        let one_to_many = matches!(card, VectorMatchCardinality::OneToMany(_));
        let include: Vec<String> = match card {
            VectorMatchCardinality::ManyToOne(l) | VectorMatchCardinality::OneToMany(l) => l.labels.clone(),
            _ => Vec::new(),
        };
        let (many, one) = if one_to_many { (rhs, lhs) } else { (lhs, rhs) };
        let many_sigs: Vec<String> = many.iter().map(|s| signature(&s.labels, matching)).collect();
        let one_sigs: Vec<String> = one.iter().map(|s| signature(&s.labels, matching)).collect();
        let mut out: Vec<StepSeries> = Vec::new();
        let mut out_index: HashMap<Labels, usize> = HashMap::new();
        let mut pair_cache: HashMap<(usize, usize), Labels> = HashMap::new();
        let is_one_to_one = matches!(card, VectorMatchCardinality::OneToOne);
        for i in 0..n {
            let mut one_by_sig: HashMap<&str, usize> = HashMap::new();
            for (j, s) in one.iter().enumerate() {
                if s.vals[i].is_none() {
                    continue;
                }
                if let Some(&prev) = one_by_sig.get(one_sigs[j].as_str()) {
                    let side = if one_to_many { "left" } else { "right" };
                    let mut pair = [go_labels(&s.labels), go_labels(&one[prev].labels)];
                    pair.sort();
                    return Err(QueryError::Execution(format!(
                        "found duplicate series for the match group {} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                        go_labels(&match_labels(&s.labels, matching)),
                        pair[0],
                        pair[1]
                    )));
                }
                one_by_sig.insert(one_sigs[j].as_str(), j);
            }
            let mut matched: HashMap<&str, HashSet<Labels>> = HashMap::new();
            let mut many_seen: HashSet<&str> = HashSet::new();
            for (k, s) in many.iter().enumerate() {
                let Some(mv) = &s.vals[i] else { continue };
                let sig = many_sigs[k].as_str();
                let (ov, j) = match one_by_sig.get(sig) {
                    Some(&j) => match &one[j].vals[i] {
                        Some(v) => (v.clone(), Some(j)),
                        None => continue,
                    },
                    None => {
                        // A missing "one" side takes the right fill value, also for
                        // group_right.
                        match fill.1 {
                            Some(f) => (PointValue::Float(f), None),
                            None => continue,
                        }
                    }
                };
                many_seen.insert(sig);
                if is_one_to_one && j.is_some() {
                    let entry = matched.entry(sig).or_default();
                    if !entry.is_empty() {
                        return Err(QueryError::Execution(
                            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
                                .into(),
                        ));
                    }
                    entry.insert(Labels::empty());
                }
                let (lv, rv) = if one_to_many { (&ov, mv) } else { (mv, &ov) };
                let res = self.elem_binop(op, lv, rv);
                let value = match res {
                    Elem::Keep(x) => {
                        if return_bool {
                            PointValue::Float(1.0)
                        } else {
                            x
                        }
                    }
                    Elem::Drop => {
                        if return_bool
                            && is_comparison(op)
                            && (matches!((lv, rv), (PointValue::Float(_), PointValue::Float(_)))
                                || (matches!((lv, rv), (PointValue::Histogram(_), PointValue::Histogram(_)))
                                    && matches!(op, T_EQLC | T_NEQ)))
                        {
                            PointValue::Float(0.0)
                        } else {
                            continue;
                        }
                    }
                };
                let key = (k, j.unwrap_or(usize::MAX));
                let labels = match pair_cache.get(&key) {
                    Some(l) => l.clone(),
                    None => {
                        let other = j.map(|j| &one[j].labels);
                        let l = result_labels(&s.labels, other, is_one_to_one, matching, &include);
                        pair_cache.insert(key, l.clone());
                        l
                    }
                };
                if !is_one_to_one {
                    let entry = matched.entry(sig).or_default();
                    if entry.contains(&labels) {
                        return Err(QueryError::Execution(
                            "multiple matches for labels: grouping labels must ensure unique matches".into(),
                        ));
                    }
                    entry.insert(labels.clone());
                }
                let idx = *out_index.entry(labels.clone()).or_insert_with(|| {
                    let mut ns = StepSeries::new(labels, n);
                    ns.drop_name = return_bool || drops_name(op);
                    out.push(ns);
                    out.len() - 1
                });
                out[idx].vals[i] = Some(value);
            }
            // Fill for the "one" side's unmatched elements.
            if let Some(f) = fill.0 {
                for (j, s) in one.iter().enumerate() {
                    let Some(ov) = &s.vals[i] else { continue };
                    if many_seen.contains(one_sigs[j].as_str()) {
                        continue;
                    }
                    let fv = PointValue::Float(f);
                    let (lv, rv) = if one_to_many { (ov, &fv) } else { (&fv, ov) };
                    let value = match self.elem_binop(op, lv, rv) {
                        Elem::Keep(x) => {
                            if return_bool {
                                PointValue::Float(1.0)
                            } else {
                                x
                            }
                        }
                        Elem::Drop if return_bool => PointValue::Float(0.0),
                        Elem::Drop => continue,
                    };
                    let labels = result_labels(&s.labels, None, true, matching, &[]);
                    let idx = *out_index.entry(labels.clone()).or_insert_with(|| {
                        let mut ns = StepSeries::new(labels, n);
                        ns.drop_name = true;
                        out.push(ns);
                        out.len() - 1
                    });
                    out[idx].vals[i] = Some(value);
                }
            }
        }
        Ok(out)
    }
}

fn hist_equal(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    a.approx_eq(b, |x, y| x == y || (x.is_nan() && y.is_nan()))
}

/// The matching signature of a series under `on`/`ignoring` (the name never takes part with
/// `ignoring` or without modifier).
pub(crate) fn signature(l: &Labels, matching: &Option<LabelModifier>) -> String {
    let mut s = String::new();
    match matching {
        Some(LabelModifier::Include(on)) => {
            let mut names: Vec<&String> = on.labels.iter().collect();
            names.sort();
            names.dedup();
            for n in names {
                s.push_str(n);
                s.push('\u{1}');
                s.push_str(l.get(n).unwrap_or(""));
                s.push('\u{2}');
            }
        }
        Some(LabelModifier::Exclude(ign)) => {
            for lb in l.iter() {
                if lb.name == METRIC_NAME || ign.labels.contains(&lb.name) {
                    continue;
                }
                s.push_str(&lb.name);
                s.push('\u{1}');
                s.push_str(&lb.value);
                s.push('\u{2}');
            }
        }
        None => {
            for lb in l.iter() {
                if lb.name == METRIC_NAME {
                    continue;
                }
                s.push_str(&lb.name);
                s.push('\u{1}');
                s.push_str(&lb.value);
                s.push('\u{2}');
            }
        }
    }
    s
}

/// Labels printed like Go's `labels.Labels.String()`: every label inside the braces.
pub(crate) fn go_labels(l: &Labels) -> String {
    let parts: Vec<String> = l.iter().map(|x| format!("{}={:?}", x.name, x.value)).collect();
    format!("{{{}}}", parts.join(", "))
}

fn match_labels(l: &Labels, matching: &Option<LabelModifier>) -> Labels {
    match matching {
        Some(LabelModifier::Include(on)) => Labels::from_pairs(
            l.iter()
                .filter(|x| on.labels.contains(&x.name))
                .map(|x| (x.name.clone(), x.value.clone())),
        ),
        Some(LabelModifier::Exclude(ign)) => Labels::from_pairs(
            l.iter()
                .filter(|x| !ign.labels.contains(&x.name) && x.name != METRIC_NAME)
                .map(|x| (x.name.clone(), x.value.clone())),
        ),
        None => l.without_metric_name(),
    }
}

fn result_labels(
    many: &Labels,
    one: Option<&Labels>,
    one_to_one: bool,
    matching: &Option<LabelModifier>,
    include: &[String],
) -> Labels {
    let mut b = many.to_builder();
    if one_to_one {
        match matching {
            Some(LabelModifier::Include(on)) => {
                for l in many.iter() {
                    if !on.labels.contains(&l.name) {
                        b.del(&l.name);
                    }
                }
            }
            Some(LabelModifier::Exclude(ign)) => {
                for n in &ign.labels {
                    b.del(n);
                }
            }
            None => {}
        }
    }
    for n in include {
        match one.and_then(|o| o.get(n)) {
            Some(v) => {
                b.set(n.clone(), v.to_string());
            }
            None => {
                b.del(n);
            }
        }
    }
    b.build()
}

fn set_op(
    op: TokenId,
    lhs: Vec<StepSeries>,
    rhs: Vec<StepSeries>,
    matching: &Option<LabelModifier>,
    n: usize,
) -> Vec<StepSeries> {
    let lsigs: Vec<String> = lhs.iter().map(|s| signature(&s.labels, matching)).collect();
    let rsigs: Vec<String> = rhs.iter().map(|s| signature(&s.labels, matching)).collect();
    let present = |series: &[StepSeries], sigs: &[String], i: usize| -> HashSet<String> {
        series
            .iter()
            .zip(sigs)
            .filter(|(s, _)| s.vals[i].is_some())
            .map(|(_, g)| g.clone())
            .collect()
    };
    match op {
        T_LAND | T_LUNLESS => {
            let mut out = lhs;
            for i in 0..n {
                let rs = present(&rhs, &rsigs, i);
                for (s, sig) in out.iter_mut().zip(&lsigs) {
                    if s.vals[i].is_some() && rs.contains(sig) != (op == T_LAND) {
                        s.vals[i] = None;
                    }
                }
            }
            out.retain(|s| s.vals.iter().any(Option::is_some));
            out
        }
        _ => {
            let mut r = rhs;
            for i in 0..n {
                let ls = present(&lhs, &lsigs, i);
                for (s, sig) in r.iter_mut().zip(&rsigs) {
                    if ls.contains(sig) {
                        s.vals[i] = None;
                    }
                }
            }
            let mut out = lhs;
            out.extend(r.into_iter().filter(|s| s.vals.iter().any(Option::is_some)));
            out
        }
    }
}
