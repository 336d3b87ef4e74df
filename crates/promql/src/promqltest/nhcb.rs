//! `load_with_nhcb`: classic histogram series are also stored as native histograms with custom
//! buckets (schema -53), as Prometheus converts them.

use super::parser::{Load, SeqValue};
use obslab_model::histogram::{CUSTOM_BUCKETS_SCHEMA, compact_pairs};
use obslab_model::{FloatHistogram, Labels, METRIC_NAME};
use std::collections::BTreeMap;

#[derive(Default)]
struct Family {
    buckets: Vec<(f64, Vec<SeqValue>)>,
    sum: Option<Vec<SeqValue>>,
    count: Option<Vec<SeqValue>>,
}

fn float_at(v: &[SeqValue], i: usize) -> Option<f64> {
    match v.get(i) {
        Some(SeqValue::Float(f)) => Some(*f),
        _ => None,
    }
}

/// The converted series: labels (family name, no `le`) and histograms by time.
pub fn convert_nhcb(l: &Load) -> Vec<(Labels, Vec<(i64, FloatHistogram)>)> {
    let mut fams: BTreeMap<Labels, Family> = BTreeMap::new();
    for s in &l.series {
        let name = s.labels.metric_name().unwrap_or("");
        let (base, kind) = if let Some(b) = name.strip_suffix("_bucket") {
            (b, 0)
        } else if let Some(b) = name.strip_suffix("_sum") {
            (b, 1)
        } else if let Some(b) = name.strip_suffix("_count") {
            (b, 2)
        } else {
            continue;
        };
        let mut b = s.labels.to_builder();
        b.del("le");
        b.set(METRIC_NAME, base.to_string());
        let key = b.build();
        let fam = fams.entry(key).or_default();
        match kind {
            0 => {
                let Some(le) = s.labels.get("le").and_then(super::parser::parse_float) else {
                    continue;
                };
                fam.buckets.push((le, s.values.clone()));
            }
            1 => fam.sum = Some(s.values.clone()),
            _ => fam.count = Some(s.values.clone()),
        }
    }
    let mut out = Vec::new();
    for (labels, mut fam) in fams {
        if fam.buckets.is_empty() {
            continue;
        }
        fam.buckets
            .sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        let n = fam.buckets.iter().map(|b| b.1.len()).max().unwrap_or(0);
        let mut samples = Vec::new();
        for i in 0..n {
            let mut cum: Vec<(f64, f64)> = Vec::new();
            for (le, vals) in &fam.buckets {
                if let Some(c) = float_at(vals, i) {
                    cum.push((*le, c));
                }
            }
            if cum.is_empty() {
                continue;
            }
            let bounds: Vec<f64> = cum.iter().map(|c| c.0).filter(|b| b.is_finite()).collect();
            let mut prev = 0.0;
            let mut pairs = Vec::new();
            for (idx, (_, c)) in cum.iter().enumerate() {
                pairs.push((idx as i32, c - prev));
                prev = *c;
            }
            let inf_count = cum.last().map(|c| c.1).unwrap_or(0.0);
            let (spans, buckets) = compact_pairs(pairs);
            let h = FloatHistogram {
                schema: CUSTOM_BUCKETS_SCHEMA,
                count: fam
                    .count
                    .as_ref()
                    .and_then(|v| float_at(v, i))
                    .unwrap_or(inf_count),
                sum: fam.sum.as_ref().and_then(|v| float_at(v, i)).unwrap_or(0.0),
                positive_spans: spans,
                positive_buckets: buckets,
                custom_values: bounds,
                ..Default::default()
            };
            samples.push((l.step_ms * i as i64, h));
        }
        out.push((labels, samples));
    }
    out
}
