//! Query values in the Prometheus API's JSON: `[<unix seconds>, "<value>"]` pairs, label maps,
//! native histograms with bucket boundary rules.

use obslab_model::{FloatHistogram, Labels};
use obslab_promql::{PointValue, QueryValue};
use serde_json::{Map, Value, json};

/// A float as Go's `strconv.FormatFloat(f, 'f', -1, 64)` prints it, with Prometheus's spellings of
/// the special values.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "+Inf".into()
    } else if f == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{f}")
    }
}

/// A millisecond timestamp as the API's seconds: an integer for whole seconds (as Prometheus
/// writes them), otherwise a decimal with the milliseconds.
pub fn timestamp(t: i64) -> Value {
    if t % 1000 == 0 {
        return Value::from(t / 1000);
    }
    serde_json::Number::from_f64(t as f64 / 1000.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

pub fn labels_json(l: &Labels) -> Value {
    let mut m = Map::new();
    for lb in l {
        m.insert(lb.name.clone(), Value::String(lb.value.clone()));
    }
    Value::Object(m)
}

/// A native histogram: count, sum and non-empty buckets as `[rule, lower, upper, count]`.
pub fn histogram_json(h: &FloatHistogram) -> Value {
    let buckets: Vec<Value> = h
        .all_buckets()
        .into_iter()
        .filter(|b| b.count != 0.0)
        .map(|b| {
            let rule = match (b.lower_inclusive, b.upper_inclusive) {
                (true, true) => 3,
                (true, false) => 1,
                (false, true) => 0,
                (false, false) => 2,
            };
            json!([
                rule,
                format_float(b.lower),
                format_float(b.upper),
                format_float(b.count)
            ])
        })
        .collect();
    let mut m = Map::new();
    m.insert("count".into(), format_float(h.count).into());
    m.insert("sum".into(), format_float(h.sum).into());
    if !buckets.is_empty() {
        m.insert("buckets".into(), Value::Array(buckets));
    }
    Value::Object(m)
}

fn point(t: i64, v: &PointValue) -> (bool, Value) {
    match v {
        PointValue::Float(f) => (false, json!([timestamp(t), format_float(*f)])),
        PointValue::Histogram(h) => (true, json!([timestamp(t), histogram_json(h)])),
    }
}

/// `{"resultType":..,"result":..}` for a query value.
pub fn query_data(v: &QueryValue) -> Value {
    let result = match v {
        QueryValue::Scalar { t, v } => json!([timestamp(*t), format_float(*v)]),
        QueryValue::String { t, v } => json!([timestamp(*t), v]),
        QueryValue::Vector(samples) => Value::Array(
            samples
                .iter()
                .map(|s| {
                    let (hist, p) = point(s.t, &s.value);
                    let key = if hist { "histogram" } else { "value" };
                    json!({"metric": labels_json(&s.labels), key: p})
                })
                .collect(),
        ),
        QueryValue::Matrix(series) => Value::Array(
            series
                .iter()
                .map(|s| {
                    let mut floats = Vec::new();
                    let mut hists = Vec::new();
                    for (t, v) in &s.points {
                        match point(*t, v) {
                            (true, p) => hists.push(p),
                            (false, p) => floats.push(p),
                        }
                    }
                    let mut m = Map::new();
                    m.insert("metric".into(), labels_json(&s.labels));
                    if !floats.is_empty() {
                        m.insert("values".into(), Value::Array(floats));
                    }
                    if !hists.is_empty() {
                        m.insert("histograms".into(), Value::Array(hists));
                    }
                    Value::Object(m)
                })
                .collect(),
        ),
    };
    json!({"resultType": v.result_type(), "result": result})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(1e21), "1000000000000000000000");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(timestamp(1_435_781_451_781).to_string(), "1435781451.781");
        assert_eq!(timestamp(1_435_781_451_000).to_string(), "1435781451");
        assert_eq!(timestamp(-1_500).to_string(), "-1.5");
    }
}
