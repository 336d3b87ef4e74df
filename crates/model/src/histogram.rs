//! Native histograms (float flavour), the sparse exponential-bucket histograms of Prometheus,
//! including custom-bucket histograms (NHCB, schema -53). Only the operations the query engine
//! needs live here: bucket iteration with bounds, arithmetic, resolution changes and counter-reset
//! detection.

use std::collections::BTreeMap;

/// Schema number of histograms with custom bucket bounds (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// A run of consecutive buckets. The first span's offset is the index of its first bucket; later
/// offsets count the empty buckets since the end of the previous span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub offset: i32,
    pub length: u32,
}

/// What the producer says about a counter reset before this histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CounterResetHint {
    #[default]
    Unknown,
    CounterReset,
    NotCounterReset,
    Gauge,
}

/// A native histogram with float counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatHistogram {
    pub counter_reset_hint: CounterResetHint,
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: f64,
    pub count: f64,
    pub sum: f64,
    pub positive_spans: Vec<Span>,
    pub negative_spans: Vec<Span>,
    pub positive_buckets: Vec<f64>,
    pub negative_buckets: Vec<f64>,
    /// Upper bounds of the custom buckets (schema -53); the last bucket reaches +Inf.
    pub custom_values: Vec<f64>,
}

/// One bucket with its bounds, as iterated for quantiles and fractions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub lower: f64,
    pub upper: f64,
    pub count: f64,
    /// True when the lower bound belongs to the bucket (negative and zero buckets).
    pub lower_inclusive: bool,
    pub upper_inclusive: bool,
    /// Bucket index (meaningless for the zero bucket).
    pub index: i32,
}

/// Why two histograms cannot be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HistogramError {
    #[error("histograms have mixed exponential and custom buckets schemas")]
    MixedSchemas,
    #[error("histograms have incompatible custom bucket bounds")]
    IncompatibleBounds,
}

/// Expands spans into absolute bucket indices, paired with counts.
pub fn expand_spans(spans: &[Span], buckets: &[f64]) -> Vec<(i32, f64)> {
    let mut out = Vec::with_capacity(buckets.len());
    let mut idx: i32 = 0;
    let mut b = 0usize;
    for (si, s) in spans.iter().enumerate() {
        idx = if si == 0 {
            s.offset
        } else {
            idx.saturating_add(s.offset)
        };
        for _ in 0..s.length {
            if let Some(c) = buckets.get(b) {
                out.push((idx, *c));
            }
            b += 1;
            idx = idx.saturating_add(1);
        }
    }
    out
}

/// Builds spans and buckets from sorted (index, count) pairs, dropping empty buckets.
pub fn compact_pairs(pairs: impl IntoIterator<Item = (i32, f64)>) -> (Vec<Span>, Vec<f64>) {
    let mut spans: Vec<Span> = Vec::new();
    let mut buckets = Vec::new();
    let mut next: Option<i32> = None;
    for (i, c) in pairs {
        if c == 0.0 {
            continue;
        }
        match next {
            Some(n) if n == i => {
                if let Some(last) = spans.last_mut() {
                    last.length += 1;
                }
            }
            Some(n) => spans.push(Span {
                offset: i - n,
                length: 1,
            }),
            None => spans.push(Span { offset: i, length: 1 }),
        }
        buckets.push(c);
        next = Some(i + 1);
    }
    (spans, buckets)
}

/// Upper bound of exponential bucket `index` at `schema`.
pub fn exp_upper_bound(index: i32, schema: i32) -> f64 {
    let factor = (2f64).powi(-schema);
    (2f64).powf(index as f64 * factor)
}

fn downscale_index(idx: i32, by: i32) -> i32 {
    if by <= 0 {
        return idx;
    }
    ((idx - 1) >> by.min(31)) + 1
}

impl FloatHistogram {
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    pub fn positive(&self) -> Vec<(i32, f64)> {
        expand_spans(&self.positive_spans, &self.positive_buckets)
    }

    pub fn negative(&self) -> Vec<(i32, f64)> {
        expand_spans(&self.negative_spans, &self.negative_buckets)
    }

    fn set_positive(&mut self, pairs: impl IntoIterator<Item = (i32, f64)>) {
        let (s, b) = compact_pairs(pairs);
        self.positive_spans = s;
        self.positive_buckets = b;
    }

    fn set_negative(&mut self, pairs: impl IntoIterator<Item = (i32, f64)>) {
        let (s, b) = compact_pairs(pairs);
        self.negative_spans = s;
        self.negative_buckets = b;
    }

    /// Bounds of positive bucket `index`.
    pub fn bucket_bounds(&self, index: i32) -> (f64, f64) {
        if self.uses_custom_buckets() {
            let i = index.max(0) as usize;
            let lower = if i == 0 {
                f64::NEG_INFINITY
            } else {
                self.custom_values.get(i - 1).copied().unwrap_or(f64::INFINITY)
            };
            let upper = self.custom_values.get(i).copied().unwrap_or(f64::INFINITY);
            (lower, upper)
        } else {
            (
                exp_upper_bound(index - 1, self.schema),
                exp_upper_bound(index, self.schema),
            )
        }
    }

    /// All buckets from the lowest to the highest: negative (most negative first), zero, positive.
    pub fn all_buckets(&self) -> Vec<Bucket> {
        let mut out = Vec::new();
        let mut neg = self.negative();
        neg.reverse();
        for (i, c) in neg {
            let (l, u) = self.bucket_bounds(i);
            out.push(Bucket {
                lower: -u,
                upper: -l,
                count: c,
                lower_inclusive: true,
                upper_inclusive: false,
                index: i,
            });
        }
        if !self.uses_custom_buckets() && (self.zero_threshold != 0.0 || self.zero_count != 0.0) {
            out.push(Bucket {
                lower: -self.zero_threshold,
                upper: self.zero_threshold,
                count: self.zero_count,
                lower_inclusive: true,
                upper_inclusive: true,
                index: 0,
            });
        }
        for (i, c) in self.positive() {
            let (l, u) = self.bucket_bounds(i);
            out.push(Bucket {
                lower: l,
                upper: u,
                count: c,
                lower_inclusive: false,
                upper_inclusive: true,
                index: i,
            });
        }
        out
    }

    /// Multiplies every count and the sum by `f`.
    pub fn mul(&mut self, f: f64) {
        self.count *= f;
        self.sum *= f;
        self.zero_count *= f;
        for b in self
            .positive_buckets
            .iter_mut()
            .chain(self.negative_buckets.iter_mut())
        {
            *b *= f;
        }
    }

    /// Divides every count and the sum by `f`. Dividing by zero keeps only the totals and the
    /// zero bucket (all infinite or NaN), as the buckets lose their meaning.
    pub fn div(&mut self, f: f64) {
        if f == 0.0 {
            self.count /= f;
            self.sum /= f;
            self.zero_count /= f;
            self.positive_spans.clear();
            self.positive_buckets.clear();
            self.negative_spans.clear();
            self.negative_buckets.clear();
            return;
        }
        self.count /= f;
        self.sum /= f;
        self.zero_count /= f;
        for b in self
            .positive_buckets
            .iter_mut()
            .chain(self.negative_buckets.iter_mut())
        {
            *b /= f;
        }
    }

    /// The same histogram at a lower (or equal) resolution.
    pub fn reduce_resolution(&self, target: i32) -> FloatHistogram {
        let mut h = self.clone();
        if self.uses_custom_buckets() || target >= self.schema {
            return h;
        }
        let by = self.schema - target;
        let merge = |pairs: Vec<(i32, f64)>| {
            let mut m: BTreeMap<i32, f64> = BTreeMap::new();
            for (i, c) in pairs {
                *m.entry(downscale_index(i, by)).or_insert(0.0) += c;
            }
            m
        };
        let p = merge(self.positive());
        let n = merge(self.negative());
        h.schema = target;
        h.set_positive_keep(p);
        h.set_negative_keep(n);
        h
    }

    fn set_positive_keep(&mut self, m: BTreeMap<i32, f64>) {
        let (s, b) = spans_keep_zeros(m);
        self.positive_spans = s;
        self.positive_buckets = b;
    }

    fn set_negative_keep(&mut self, m: BTreeMap<i32, f64>) {
        let (s, b) = spans_keep_zeros(m);
        self.negative_spans = s;
        self.negative_buckets = b;
    }

    /// Widens the zero bucket to at least `threshold`, merging the buckets it now covers. The
    /// threshold grows to the upper bound of a bucket it would cut in two.
    pub fn widen_zero_bucket(&mut self, threshold: f64) {
        if self.uses_custom_buckets() || threshold <= self.zero_threshold {
            return;
        }
        let mut t = threshold;
        let mut pos = self.positive();
        let mut neg = self.negative();
        loop {
            let mut changed = false;
            for list in [&mut pos, &mut neg] {
                let mut keep = Vec::with_capacity(list.len());
                for &(i, c) in list.iter() {
                    let (l, u) = self.bucket_bounds(i);
                    if l < t {
                        self.zero_count += c;
                        if u > t {
                            t = u;
                            changed = true;
                        }
                    } else {
                        keep.push((i, c));
                    }
                }
                *list = keep;
            }
            if !changed {
                break;
            }
        }
        self.zero_threshold = t;
        self.set_positive_keep(pos.into_iter().collect());
        self.set_negative_keep(neg.into_iter().collect());
    }

    fn check_compatible(&self, other: &FloatHistogram) -> Result<(), HistogramError> {
        match (self.uses_custom_buckets(), other.uses_custom_buckets()) {
            (true, true) | (false, false) => Ok(()),
            _ => Err(HistogramError::MixedSchemas),
        }
    }

    /// The same custom-bucket histogram with its buckets merged onto `bounds` (a subset of its
    /// own bounds): each bucket goes to the first new bucket whose upper bound covers it.
    pub fn with_custom_bounds(&self, bounds: &[f64]) -> FloatHistogram {
        let mut h = self.clone();
        let mut m: BTreeMap<i32, f64> = BTreeMap::new();
        for (i, c) in self.positive() {
            let upper = self
                .custom_values
                .get(i.max(0) as usize)
                .copied()
                .unwrap_or(f64::INFINITY);
            let ni = bounds.partition_point(|b| *b < upper) as i32;
            *m.entry(ni).or_insert(0.0) += c;
        }
        h.custom_values = bounds.to_vec();
        h.set_positive_keep(m);
        h
    }

    /// True when both use custom buckets with different bounds.
    pub fn custom_bounds_differ(&self, other: &FloatHistogram) -> bool {
        self.uses_custom_buckets() && other.uses_custom_buckets() && self.custom_values != other.custom_values
    }

    /// Brings `self` and `other` to a common schema and zero threshold (custom buckets to their
    /// common bounds).
    fn aligned(&self, other: &FloatHistogram) -> Result<(FloatHistogram, FloatHistogram), HistogramError> {
        self.check_compatible(other)?;
        if self.uses_custom_buckets() {
            if self.custom_values == other.custom_values {
                return Ok((self.clone(), other.clone()));
            }
            let common: Vec<f64> = self
                .custom_values
                .iter()
                .copied()
                .filter(|b| other.custom_values.contains(b))
                .collect();
            return Ok((
                self.with_custom_bounds(&common),
                other.with_custom_bounds(&common),
            ));
        }
        let schema = self.schema.min(other.schema);
        let mut a = self.reduce_resolution(schema);
        let mut b = other.reduce_resolution(schema);
        let zt = a.zero_threshold.max(b.zero_threshold);
        a.widen_zero_bucket(zt);
        b.widen_zero_bucket(zt);
        // Widening one may have raised its threshold past the other's.
        let zt = a.zero_threshold.max(b.zero_threshold);
        a.widen_zero_bucket(zt);
        b.widen_zero_bucket(zt);
        Ok((a, b))
    }

    fn combine(&self, other: &FloatHistogram, sign: f64) -> Result<FloatHistogram, HistogramError> {
        let (a, b) = self.aligned(other)?;
        let mut out = a.clone();
        out.count = a.count + sign * b.count;
        out.sum = a.sum + sign * b.sum;
        out.zero_count = a.zero_count + sign * b.zero_count;
        let merge = |x: Vec<(i32, f64)>, y: Vec<(i32, f64)>| {
            let mut m: BTreeMap<i32, f64> = BTreeMap::new();
            for (i, c) in x {
                *m.entry(i).or_insert(0.0) += c;
            }
            for (i, c) in y {
                *m.entry(i).or_insert(0.0) += sign * c;
            }
            m
        };
        out.set_positive_keep(merge(a.positive(), b.positive()));
        out.set_negative_keep(merge(a.negative(), b.negative()));
        Ok(out)
    }

    /// `self + other`.
    pub fn add(&self, other: &FloatHistogram) -> Result<FloatHistogram, HistogramError> {
        self.add_with_hint(other).map(|(h, _)| h)
    }

    /// `self + other` with Prometheus's counter-reset-hint rules; the flag reports a direct
    /// collision of a reset and a not-reset hint.
    pub fn add_with_hint(&self, other: &FloatHistogram) -> Result<(FloatHistogram, bool), HistogramError> {
        let mut h = self.combine(other, 1.0)?;
        use CounterResetHint::*;
        let (a, b) = (self.counter_reset_hint, other.counter_reset_hint);
        let mut collision = false;
        h.counter_reset_hint = if a == b || a == Gauge {
            a
        } else if b == Gauge {
            Gauge
        } else if a == Unknown || b == Unknown {
            Unknown
        } else {
            collision = true;
            Unknown
        };
        Ok((h, collision))
    }

    /// `self - other`.
    pub fn sub(&self, other: &FloatHistogram) -> Result<FloatHistogram, HistogramError> {
        self.combine(other, -1.0)
    }

    /// Removes empty buckets.
    pub fn compact(&mut self) {
        let p = self.positive();
        let n = self.negative();
        self.set_positive(p);
        self.set_negative(n);
    }

    /// True when going from `prev` to `self` implies a counter reset.
    pub fn detect_reset(&self, prev: &FloatHistogram) -> bool {
        match self.counter_reset_hint {
            CounterResetHint::CounterReset => return true,
            CounterResetHint::NotCounterReset => return false,
            _ => {}
        }
        if self.uses_custom_buckets() != prev.uses_custom_buckets() {
            return true;
        }
        if self.count < prev.count {
            return true;
        }
        if self.uses_custom_buckets() {
            if self.custom_values != prev.custom_values {
                let Ok((a, b)) = self.aligned(prev) else {
                    return true;
                };
                return a.detect_reset(&b);
            }
        } else {
            if self.schema > prev.schema {
                return true;
            }
            if self.zero_threshold < prev.zero_threshold {
                return true;
            }
        }
        let mut p = prev.reduce_resolution(self.schema);
        p.widen_zero_bucket(self.zero_threshold);
        if p.zero_threshold != self.zero_threshold && !self.uses_custom_buckets() {
            return true;
        }
        if self.zero_count < p.zero_count {
            return true;
        }
        let cur_p: BTreeMap<i32, f64> = self.positive().into_iter().collect();
        let cur_n: BTreeMap<i32, f64> = self.negative().into_iter().collect();
        for (i, c) in p.positive() {
            if c > 0.0 && cur_p.get(&i).copied().unwrap_or(0.0) < c {
                return true;
            }
        }
        for (i, c) in p.negative() {
            if c > 0.0 && cur_n.get(&i).copied().unwrap_or(0.0) < c {
                return true;
            }
        }
        false
    }

    /// Equality of the observable content (counts, sum, zero bucket, non-empty buckets) within a
    /// relative tolerance, regardless of span layout.
    pub fn approx_eq(&self, other: &FloatHistogram, eq: impl Fn(f64, f64) -> bool) -> bool {
        if self.schema != other.schema
            || !eq(self.count, other.count)
            || !eq(self.sum, other.sum)
            || !eq(self.zero_count, other.zero_count)
            || !eq(self.zero_threshold, other.zero_threshold)
            || self.custom_values != other.custom_values
        {
            return false;
        }
        let nz = |v: Vec<(i32, f64)>| v.into_iter().filter(|(_, c)| *c != 0.0).collect::<Vec<_>>();
        let cmp = |a: Vec<(i32, f64)>, b: Vec<(i32, f64)>| {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.0 == y.0 && eq(x.1, y.1))
        };
        cmp(nz(self.positive()), nz(other.positive())) && cmp(nz(self.negative()), nz(other.negative()))
    }
}

/// Spans for sorted buckets, keeping zero-count buckets (they matter for reset detection).
fn spans_keep_zeros(m: BTreeMap<i32, f64>) -> (Vec<Span>, Vec<f64>) {
    let mut spans: Vec<Span> = Vec::new();
    let mut buckets = Vec::new();
    let mut next: Option<i32> = None;
    for (i, c) in m {
        match next {
            Some(n) if n == i => {
                if let Some(last) = spans.last_mut() {
                    last.length += 1;
                }
            }
            Some(n) => spans.push(Span {
                offset: i - n,
                length: 1,
            }),
            None => spans.push(Span { offset: i, length: 1 }),
        }
        buckets.push(c);
        next = Some(i + 1);
    }
    (spans, buckets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(schema: i32, pos: &[(i32, f64)]) -> FloatHistogram {
        let (ps, pb) = compact_pairs(pos.iter().copied());
        FloatHistogram {
            schema,
            count: pos.iter().map(|p| p.1).sum(),
            positive_spans: ps,
            positive_buckets: pb,
            ..Default::default()
        }
    }

    #[test]
    fn spans_round_trip_and_bounds() {
        let x = h(0, &[(0, 1.0), (1, 2.0), (4, 3.0)]);
        assert_eq!(x.positive(), vec![(0, 1.0), (1, 2.0), (4, 3.0)]);
        assert_eq!(x.bucket_bounds(1), (1.0, 2.0));
        assert_eq!(x.bucket_bounds(4), (8.0, 16.0));
    }

    #[test]
    fn adding_different_schemas_reduces_resolution() {
        let a = h(1, &[(1, 1.0), (2, 1.0)]);
        let b = h(0, &[(1, 1.0)]);
        let s = a.add(&b).unwrap();
        assert_eq!(s.schema, 0);
        assert_eq!(s.count, 3.0);
        let nz: Vec<_> = s.positive().into_iter().filter(|p| p.1 != 0.0).collect();
        assert_eq!(nz, vec![(1, 3.0)]);
    }

    #[test]
    fn detects_bucket_decrease_as_reset() {
        let a = h(0, &[(1, 2.0), (2, 1.0)]);
        let b = h(0, &[(1, 1.0), (2, 5.0)]);
        assert!(b.detect_reset(&a));
        assert!(!a.detect_reset(&a));
    }
}
