//! Element-wise math functions, `round` and the `clamp` family.

use super::super::{EVal, Evaluator};
use crate::error::Result;
use crate::value::PointValue;
use promql_parser::parser::Expr;

const MATH: &[&str] = &[
    "abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "sgn", "deg", "rad", "sin", "cos", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
];

pub(crate) fn is_math(name: &str) -> bool {
    MATH.contains(&name)
}

fn apply(name: &str, f: f64) -> f64 {
    match name {
        "abs" => f.abs(),
        "ceil" => f.ceil(),
        "floor" => f.floor(),
        "exp" => f.exp(),
        "sqrt" => f.sqrt(),
        "ln" => f.ln(),
        "log2" => f.log2(),
        "log10" => f.log10(),
        "sgn" => {
            if f > 0.0 {
                1.0
            } else if f < 0.0 {
                -1.0
            } else {
                f
            }
        }
        "deg" => f * 180.0 / std::f64::consts::PI,
        "rad" => f * std::f64::consts::PI / 180.0,
        "sin" => f.sin(),
        "cos" => f.cos(),
        "tan" => f.tan(),
        "asin" => f.asin(),
        "acos" => f.acos(),
        "atan" => f.atan(),
        "sinh" => f.sinh(),
        "cosh" => f.cosh(),
        "tanh" => f.tanh(),
        "asinh" => f.asinh(),
        "acosh" => f.acosh(),
        "atanh" => f.atanh(),
        _ => f64::NAN,
    }
}

impl Evaluator<'_> {
    pub(crate) fn fn_math(&mut self, name: &str, arg: &Expr, ts: &[i64]) -> Result<EVal> {
        let mut v = self.eval_vector(arg, ts)?;
        for s in v.iter_mut() {
            s.drop_name = true;
            for x in s.vals.iter_mut() {
                *x = match x.take() {
                    Some(PointValue::Float(f)) => Some(PointValue::Float(apply(name, f))),
                    _ => None,
                };
            }
        }
        v.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(EVal::Vector(v))
    }

    pub(crate) fn fn_clamp_round(&mut self, name: &str, args: &[&Expr], ts: &[i64]) -> Result<EVal> {
        let mut v = self.eval_vector(args[0], ts)?;
        let a = match args.get(1) {
            Some(e) => self.eval_scalar(e, ts)?,
            None => vec![1.0; ts.len()],
        };
        let b = match args.get(2) {
            Some(e) => self.eval_scalar(e, ts)?,
            None => vec![0.0; ts.len()],
        };
        for s in v.iter_mut() {
            s.drop_name = true;
            for (i, x) in s.vals.iter_mut().enumerate() {
                let Some(PointValue::Float(f)) = x.take() else {
                    continue;
                };
                let r = match name {
                    "round" => {
                        let inv = 1.0 / a[i];
                        Some((f * inv + 0.5).floor() / inv)
                    }
                    "clamp" => {
                        if b[i] < a[i] {
                            None
                        } else {
                            Some(go_max(a[i], go_min(b[i], f)))
                        }
                    }
                    "clamp_min" => Some(go_max(a[i], f)),
                    _ => Some(go_min(a[i], f)),
                };
                *x = r.map(PointValue::Float);
            }
        }
        v.retain(|s| s.vals.iter().any(Option::is_some));
        Ok(EVal::Vector(v))
    }
}

/// `math.Min` of Go: NaN wins.
pub(crate) fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// `math.Max` of Go: NaN wins.
pub(crate) fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}
