//! Metric families and their text-format rendering.

use std::fmt::Write;

/// A family's type as written in `# TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
}

impl MetricKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
        }
    }
}

/// One metric family with its samples (label pairs and value).
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: String,
    pub help: String,
    pub kind: MetricKind,
    pub samples: Vec<(Vec<(String, String)>, f64)>,
}

impl Family {
    pub fn new(name: impl Into<String>, help: impl Into<String>, kind: MetricKind) -> Self {
        Self {
            name: name.into(),
            help: help.into(),
            kind,
            samples: Vec::new(),
        }
    }

    /// Adds a sample; labels are given as (name, value) pairs.
    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        let l = labels
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        self.samples.push((l, value));
    }

    /// A family with one unlabeled sample.
    pub fn single(name: &str, help: &str, kind: MetricKind, value: f64) -> Self {
        let mut f = Self::new(name, help, kind);
        f.push(&[], value);
        f
    }
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_value(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}

/// Renders families (sorted by name, as node_exporter's registry does) in text format 0.0.4.
/// Families without samples are left out.
pub fn render_families(families: &[Family]) -> String {
    let mut fams: Vec<&Family> = families.iter().filter(|f| !f.samples.is_empty()).collect();
    fams.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out = String::new();
    for f in fams {
        let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(&f.help));
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
        for (labels, v) in &f.samples {
            out.push_str(&f.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (n, val)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{n}=\"{}\"", escape_value(val));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", format_value(*v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_sorted_families() {
        let mut b = Family::new("b_total", "B \\ help", MetricKind::Counter);
        b.push(&[("x", "q\"\n")], 1.5);
        let a = Family::single("a", "A", MetricKind::Gauge, 2.0);
        let empty = Family::new("c", "C", MetricKind::Gauge);
        let text = render_families(&[b, a, empty]);
        assert_eq!(
            text,
            "# HELP a A\n# TYPE a gauge\na 2\n# HELP b_total B \\\\ help\n# TYPE b_total counter\nb_total{x=\"q\\\"\\n\"} 1.5\n"
        );
    }
}
