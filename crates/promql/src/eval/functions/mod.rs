//! Function calls: dispatch by name to the element-wise, range, label, time and histogram families.

mod extended;
pub(crate) use extended::interpolate;
mod hist;
mod info;
mod labels;
mod math;
mod range;
mod time;

use super::{EVal, Evaluator, StepSeries};
use crate::error::{QueryError, Result};
use crate::value::PointValue;
use obslab_model::{FloatHistogram, Labels};
use promql_parser::parser::{Call, Expr};

/// Formats a float like Go's `%v`.
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let a = f.abs();
    if a == 0.0 || (1e-4..1e21).contains(&a) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// A histogram printed like Prometheus's `FloatHistogram.String()`.
pub(crate) fn histogram_string(h: &FloatHistogram) -> String {
    let mut parts = vec![format!("{{count:{}, sum:{}", go_float(h.count), go_float(h.sum))];
    for b in h.all_buckets() {
        if b.count == 0.0 {
            continue;
        }
        let l = if b.lower_inclusive { "[" } else { "(" };
        let r = if b.upper_inclusive { "]" } else { ")" };
        parts.push(format!(
            "{l}{},{}{r}:{}",
            go_float(b.lower),
            go_float(b.upper),
            go_float(b.count)
        ));
    }
    format!("{}}}", parts.join(", "))
}

/// xxHash64 (seed 0), used to place series for `limit_ratio` the way Prometheus hashes labels.
pub(crate) fn xxhash64(data: &[u8]) -> u64 {
    const P1: u64 = 0x9E37_79B1_85EB_CA87;
    const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    const P3: u64 = 0x1656_67B1_9E37_79F9;
    const P4: u64 = 0x85EB_CA77_C2B2_AE63;
    const P5: u64 = 0x27D4_EB2F_1656_67C5;
    let rd64 = |b: &[u8]| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    let rd32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
    let round = |acc: u64, input: u64| {
        acc.wrapping_add(input.wrapping_mul(P2))
            .rotate_left(31)
            .wrapping_mul(P1)
    };
    let merge = |acc: u64, val: u64| (acc ^ round(0, val)).wrapping_mul(P1).wrapping_add(P4);
    let len = data.len();
    let mut p = 0usize;
    let mut h: u64;
    if len >= 32 {
        let mut v1 = P1.wrapping_add(P2);
        let mut v2 = P2;
        let mut v3 = 0u64;
        let mut v4 = 0u64.wrapping_sub(P1);
        while p + 32 <= len {
            v1 = round(v1, rd64(&data[p..]));
            v2 = round(v2, rd64(&data[p + 8..]));
            v3 = round(v3, rd64(&data[p + 16..]));
            v4 = round(v4, rd64(&data[p + 24..]));
            p += 32;
        }
        h = v1
            .rotate_left(1)
            .wrapping_add(v2.rotate_left(7))
            .wrapping_add(v3.rotate_left(12))
            .wrapping_add(v4.rotate_left(18));
        h = merge(h, v1);
        h = merge(h, v2);
        h = merge(h, v3);
        h = merge(h, v4);
    } else {
        h = P5;
    }
    h = h.wrapping_add(len as u64);
    while p + 8 <= len {
        h ^= round(0, rd64(&data[p..]));
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        p += 8;
    }
    if p + 4 <= len {
        h ^= rd32(&data[p..]).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        p += 4;
    }
    while p < len {
        h ^= (data[p] as u64).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
        p += 1;
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^= h >> 32;
    h
}

/// Prometheus's `Labels.Hash()`: xxHash64 over `name 0xff value 0xff ...`.
pub(crate) fn labels_hash(l: &Labels) -> u64 {
    let mut b = Vec::new();
    for x in l.iter() {
        b.extend_from_slice(x.name.as_bytes());
        b.push(0xff);
        b.extend_from_slice(x.value.as_bytes());
        b.push(0xff);
    }
    xxhash64(&b)
}

/// Strips parentheses around an argument.
pub(crate) fn unparen(e: &Expr) -> &Expr {
    match e {
        Expr::Paren(p) => unparen(&p.expr),
        other => other,
    }
}

impl Evaluator<'_> {
    pub(crate) fn eval_call(&mut self, c: &Call, ts: &[i64]) -> Result<EVal> {
        let name = c.func.name;
        let args: Vec<&Expr> = c.args.args.iter().map(|a| a.as_ref()).collect();
        let n = ts.len();
        match name {
            "time" => Ok(EVal::Scalar(ts.iter().map(|t| *t as f64 / 1000.0).collect())),
            "pi" => Ok(EVal::Scalar(vec![std::f64::consts::PI; n])),
            "start" => Ok(EVal::Scalar(vec![self.query_start as f64 / 1000.0; n])),
            "end" => Ok(EVal::Scalar(vec![self.query_end as f64 / 1000.0; n])),
            "range" => Ok(EVal::Scalar(vec![
                (self.query_end - self.query_start) as f64
                    / 1000.0;
                n
            ])),
            "step" => Ok(EVal::Scalar(vec![self.query_step as f64 / 1000.0; n])),
            "min_of" | "max_of" => {
                let mut acc: Option<Vec<f64>> = None;
                for a in &args {
                    let v = self.eval_scalar(a, ts)?;
                    acc = Some(match acc {
                        None => v,
                        Some(cur) => cur
                            .iter()
                            .zip(&v)
                            .map(|(x, y)| {
                                if name == "min_of" {
                                    math::go_min(*x, *y)
                                } else {
                                    math::go_max(*x, *y)
                                }
                            })
                            .collect(),
                    });
                }
                Ok(EVal::Scalar(acc.unwrap_or_else(|| vec![f64::NAN; n])))
            }
            "vector" => {
                let v = self.eval_scalar(args[0], ts)?;
                let mut s = StepSeries::new(Labels::empty(), n);
                s.vals = v.into_iter().map(|f| Some(PointValue::Float(f))).collect();
                Ok(EVal::Vector(vec![s]))
            }
            "scalar" => {
                let v = self.eval_vector(args[0], ts)?;
                let mut out = vec![f64::NAN; n];
                for (i, o) in out.iter_mut().enumerate() {
                    let present: Vec<f64> = v
                        .iter()
                        .filter_map(|s| s.vals[i].as_ref().and_then(PointValue::as_float))
                        .collect();
                    if present.len() == 1 {
                        *o = present[0];
                    }
                }
                Ok(EVal::Scalar(out))
            }
            "timestamp" => {
                if let Expr::VectorSelector(vs) = unparen(args[0]) {
                    return self.eval_selector_timestamps(vs, ts);
                }
                let mut v = self.eval_vector(args[0], ts)?;
                for s in v.iter_mut() {
                    s.drop_name = true;
                    for (i, x) in s.vals.iter_mut().enumerate() {
                        if x.is_some() {
                            *x = Some(PointValue::Float(ts[i] as f64 / 1000.0));
                        }
                    }
                }
                Ok(EVal::Vector(v))
            }
            "absent" => self.fn_absent(args[0], ts),
            "info" => self.fn_info(&args, ts),
            "label_replace" => self.fn_label_replace(&args, ts),
            "label_join" => self.fn_label_join(&args, ts),
            "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc" => self.fn_sort(name, &args, ts),
            "histogram_quantile" => self.fn_histogram_quantile(&args, ts),
            "histogram_quantiles" => self.fn_histogram_quantiles(&args, ts),
            "histogram_fraction" => self.fn_histogram_fraction(&args, ts),
            "histogram_count" | "histogram_sum" | "histogram_avg" | "histogram_stddev"
            | "histogram_stdvar" => self.fn_histogram_simple(name, args[0], ts),
            "minute" | "hour" | "day_of_month" | "day_of_week" | "day_of_year" | "days_in_month"
            | "month" | "year" => self.fn_date(name, &args, ts),
            "round" | "clamp" | "clamp_min" | "clamp_max" => self.fn_clamp_round(name, &args, ts),
            _ if math::is_math(name) => self.fn_math(name, args[0], ts),
            _ if range::is_range_fn(name) => self.fn_range(name, &args, ts),
            _ => Err(QueryError::BadData(format!(
                "unknown function with name {name:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_float_formatting() {
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(1e-5), "1e-05");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(-2.0), "-2");
    }

    #[test]
    fn xxhash_known_values() {
        assert_eq!(xxhash64(b""), 0xEF46_DB37_51D8_E999);
        assert_eq!(xxhash64(b"abc"), 0x44BC_2CF5_AD77_0999);
    }
}
