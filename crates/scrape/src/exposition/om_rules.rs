//! The semantic rules of OpenMetrics 1.0 that go beyond line syntax: metric families, allowed
//! sample names per type, metadata placement, clashing names, label grouping and ordering,
//! histogram bucket rules and value ranges per type. Checked while streaming, without keeping
//! samples: groups and names are remembered as hashes.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::MetricType;
use super::lexer::{Fnv, for_each_unescaped_byte, parse_number, unescape_label_value};

/// A hasher for keys that already are hashes.
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashSet64 = HashSet<u64, BuildHasherDefault<IdHasher>>;

/// A metadata line.
pub(super) enum Meta<'a> {
    Help,
    Type(MetricType),
    Unit(&'a str),
}

/// What the rules need to know about one sample line.
pub(super) struct SampleFacts<'a, 'b> {
    pub name: &'a str,
    /// Label name and raw (still escaped) value pairs; reordered by the check.
    pub labels: &'b mut [(&'a str, &'a str)],
    pub value: f64,
    /// Timestamp in seconds as written.
    pub ts: Option<f64>,
    pub has_exemplar: bool,
}

#[derive(Default)]
struct HistGroup {
    active: bool,
    key: (u64, Option<u64>),
    bucket: Option<f64>,
    value: f64,
    count: Option<f64>,
    has_sum: bool,
    has_gsum: bool,
    negative_buckets: bool,
    negative_gsum: bool,
}

impl HistGroup {
    fn check(&self, family: &str) -> Result<(), String> {
        if self.bucket != Some(f64::INFINITY) {
            return Err(format!("+Inf bucket missing for histogram {family:?}"));
        }
        if self.count.is_some_and(|c| c != self.value) {
            return Err(format!(
                "count of histogram {family:?} does not match its +Inf bucket"
            ));
        }
        if self.has_sum && self.count.is_none() {
            return Err(format!("_count must be present if _sum is present in {family:?}"));
        }
        if self.has_gsum && self.count.is_none() {
            return Err(format!(
                "_gcount must be present if _gsum is present in {family:?}"
            ));
        }
        if !(self.has_sum || self.has_gsum) && self.count.is_some() {
            return Err(format!("_sum must be present if _count is present in {family:?}"));
        }
        if self.negative_buckets && self.has_sum {
            return Err(format!("histogram {family:?} has negative buckets and a _sum"));
        }
        if !self.negative_buckets && self.negative_gsum {
            return Err(format!(
                "gauge histogram {family:?} has a negative _gsum without negative buckets"
            ));
        }
        Ok(())
    }
}

struct Family<'a> {
    name: &'a str,
    /// `None` until a TYPE line says otherwise (then `unknown` at the end).
    typ: Option<MetricType>,
    help: bool,
    unit: Option<&'a str>,
    has_samples: bool,
    group: Option<u64>,
    group_ts: Option<f64>,
    seen_groups: HashSet64,
    hist: HistGroup,
}

impl<'a> Family<'a> {
    fn new(name: &'a str, typ: Option<MetricType>) -> Self {
        Self {
            name,
            typ,
            help: false,
            unit: None,
            has_samples: false,
            group: None,
            group_ts: None,
            seen_groups: HashSet64::default(),
            hist: HistGroup::default(),
        }
    }

    fn allows(&self, sample: &str) -> bool {
        let t = self.typ.unwrap_or(MetricType::Unknown);
        sample
            .strip_prefix(self.name)
            .is_some_and(|suffix| t.suffixes().contains(&suffix))
    }
}

/// Family-level state of one OpenMetrics body.
#[derive(Default)]
pub(super) struct Rules<'a> {
    seen_names: HashSet64,
    family: Option<Family<'a>>,
}

fn name_hash(name: &str, suffix: &str) -> u64 {
    let mut h = Fnv::default();
    h.bytes(name.as_bytes());
    h.bytes(suffix.as_bytes());
    h.finish()
}

fn label<'a>(labels: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    labels.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// `+Inf`/`-Inf` are the only spellings of infinity allowed in `le` and `quantile`.
fn canonical_number(raw: &str) -> Option<f64> {
    let v = parse_number(&unescape_label_value(raw))?;
    if v.is_infinite() && raw != "+Inf" && raw != "-Inf" {
        return None;
    }
    Some(v)
}

fn is_count_like(v: f64) -> bool {
    v.fract() == 0.0 && v >= 0.0
}

impl<'a> Rules<'a> {
    fn finish_family(&mut self) -> Result<(), String> {
        let Some(f) = self.family.take() else {
            return Ok(());
        };
        let t = f.typ.unwrap_or(MetricType::Unknown);
        let suffixes = t.suffixes();
        let extra: &[&str] = if suffixes.contains(&"") { &[] } else { &[""] };
        for suffix in suffixes.iter().chain(extra) {
            if !self.seen_names.insert(name_hash(f.name, suffix)) {
                return Err(format!("clashing name: {:?}", format!("{}{suffix}", f.name)));
            }
        }
        if f.unit.is_some_and(|u| !u.is_empty()) && matches!(t, MetricType::Info | MetricType::StateSet) {
            return Err(format!("units are not allowed for {t} metric {:?}", f.name));
        }
        if f.hist.active {
            f.hist.check(f.name)?;
        }
        Ok(())
    }

    /// Checks a HELP, TYPE or UNIT line.
    pub(super) fn metadata(&mut self, name: &'a str, meta: Meta<'a>) -> Result<(), String> {
        match &self.family {
            Some(f) if f.name == name => {
                if f.has_samples {
                    return Err(format!("metadata for {name:?} after its samples"));
                }
            }
            _ => {
                self.finish_family()?;
                self.family = Some(Family::new(name, None));
            }
        }
        let Some(f) = self.family.as_mut() else {
            return Ok(());
        };
        match meta {
            Meta::Help => {
                if std::mem::replace(&mut f.help, true) {
                    return Err(format!("more than one HELP for {name:?}"));
                }
            }
            Meta::Type(t) => {
                if f.typ.replace(t).is_some() {
                    return Err(format!("more than one TYPE for {name:?}"));
                }
            }
            Meta::Unit(u) => {
                if f.unit.replace(u).is_some() {
                    return Err(format!("more than one UNIT for {name:?}"));
                }
            }
        }
        Ok(())
    }

    /// Checks a sample and returns its family name and type.
    pub(super) fn sample(&mut self, s: SampleFacts<'a, '_>) -> Result<(&'a str, MetricType), String> {
        if !self.family.as_ref().is_some_and(|f| f.allows(s.name)) {
            self.finish_family()?;
            self.family = Some(Family::new(s.name, Some(MetricType::Unknown)));
        }
        let Some(f) = self.family.as_mut() else {
            return Err("internal: no family".to_string());
        };
        f.has_samples = true;
        let t = f.typ.unwrap_or(MetricType::Unknown);
        let fam = f.name;
        let suffix = &s.name[fam.len()..];
        let is_hist = matches!(t, MetricType::Histogram | MetricType::GaugeHistogram);
        let v = s.value;

        if t == MetricType::StateSet && label(s.labels, fam).is_none() {
            return Err(format!("stateset sample without a {fam:?} label"));
        }
        let mut le = None;
        if is_hist && suffix == "_bucket" {
            let raw = label(s.labels, "le").ok_or("histogram bucket without an le label")?;
            let b = canonical_number(raw)
                .filter(|b| !b.is_nan())
                .ok_or_else(|| format!("invalid le label {raw:?}"))?;
            le = Some(b);
            if !is_count_like(v) {
                return Err("bucket value must be a non-negative integer".to_string());
            }
        }
        if matches!(suffix, "_count" | "_gcount") && !is_count_like(v) {
            return Err("count value must be a non-negative integer".to_string());
        }
        let quantile_sample = t == MetricType::Summary && suffix.is_empty();
        if quantile_sample {
            let raw =
                label(s.labels, "quantile").ok_or("summary quantile sample without a quantile label")?;
            if !canonical_number(raw).is_some_and(|q| (0.0..=1.0).contains(&q)) {
                return Err(format!("invalid quantile label {raw:?}"));
            }
        }

        let excluded = match t {
            MetricType::Summary if quantile_sample => Some("quantile"),
            MetricType::StateSet => Some(fam),
            _ if le.is_some() => Some("le"),
            _ => None,
        };
        let g = if t == MetricType::Info {
            0
        } else {
            let mut h = Fnv::default();
            for (n, raw) in s.labels.iter() {
                if Some(*n) == excluded {
                    continue;
                }
                h.bytes(n.as_bytes());
                h.byte(0xff);
                for_each_unescaped_byte(raw, |b| h.byte(b));
                h.byte(0xff);
            }
            h.finish()
        };
        if let Some(prev) = f.group {
            if g != prev && f.seen_groups.contains(&g) {
                return Err(format!(
                    "invalid metric grouping: samples of {fam:?} are interleaved"
                ));
            }
            if g == prev {
                if s.ts.is_some() != f.group_ts.is_some() {
                    return Err("mix of timestamp presence within a group".to_string());
                }
                if let (Some(a), Some(b)) = (f.group_ts, s.ts)
                    && a > b
                    && t != MetricType::Info
                {
                    return Err("timestamps went backwards within a group".to_string());
                }
            }
        }
        f.group = Some(g);
        f.group_ts = s.ts;
        f.seen_groups.insert(g);

        if t == MetricType::StateSet && v != 0.0 && v != 1.0 {
            return Err("stateset samples can only have values zero and one".to_string());
        }
        if t == MetricType::Info && v != 1.0 {
            return Err("info samples can only have value 1".to_string());
        }
        if quantile_sample && v < 0.0 {
            return Err("quantile values cannot be negative".to_string());
        }
        let counter_like = matches!(
            suffix,
            "_total" | "_sum" | "_count" | "_bucket" | "_gcount" | "_gsum"
        );
        if counter_like && v.is_nan() {
            return Err("counter-like samples cannot be NaN".to_string());
        }
        if counter_like && suffix != "_gsum" && v < 0.0 {
            return Err("counter-like samples cannot be negative".to_string());
        }
        if s.has_exemplar
            && !((is_hist && suffix == "_bucket") || (t == MetricType::Counter && suffix == "_total"))
        {
            return Err("only histogram/gaugehistogram buckets and counters can have exemplars".to_string());
        }

        if is_hist {
            let key = (g, s.ts.map(f64::to_bits));
            if !f.hist.active || f.hist.key != key {
                if f.hist.active {
                    f.hist.check(fam)?;
                }
                f.hist = HistGroup {
                    active: true,
                    key,
                    ..HistGroup::default()
                };
            }
            let h = &mut f.hist;
            match suffix {
                "_bucket" => {
                    let b = le.unwrap_or(f64::NAN);
                    if b < 0.0 {
                        h.negative_buckets = true;
                    }
                    if h.bucket.is_some_and(|prev| b <= prev) {
                        return Err(format!("buckets out of order in {fam:?}"));
                    }
                    if v < h.value {
                        return Err(format!("bucket values out of order in {fam:?}"));
                    }
                    h.bucket = Some(b);
                    h.value = v;
                }
                "_count" | "_gcount" => h.count = Some(v),
                "_sum" => h.has_sum = true,
                "_gsum" => {
                    h.has_gsum = true;
                    if v < 0.0 {
                        h.negative_gsum = true;
                    }
                }
                _ => {}
            }
        }
        Ok((fam, t))
    }

    /// The family samples are currently attributed to, and its type.
    pub(super) fn current(&self) -> Option<(&'a str, MetricType)> {
        self.family
            .as_ref()
            .map(|f| (f.name, f.typ.unwrap_or(MetricType::Unknown)))
    }

    /// Checks the last family at `# EOF`.
    pub(super) fn finish(&mut self) -> Result<(), String> {
        self.finish_family()
    }
}

/// Sorts label pairs by name and reports a repeated name.
pub(super) fn sort_and_check_duplicates(labels: &mut [(&str, &str)]) -> Result<(), String> {
    labels.sort_unstable_by(|a, b| a.0.cmp(b.0));
    if labels.iter().any(|(n, _)| *n == "__name__") {
        return Err("label name \"__name__\" is not unique: invalid sample".to_string());
    }
    for w in labels.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(format!("duplicate label name {:?}", w[0].0));
        }
    }
    Ok(())
}
