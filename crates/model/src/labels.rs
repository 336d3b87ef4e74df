//! Label sets: sorted, duplicate-free name/value pairs that identify a series.

use std::fmt;

/// The label that carries a metric's name.
pub const METRIC_NAME: &str = "__name__";

/// One label pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Label {
    pub name: String,
    pub value: String,
}

impl Label {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A label set, always sorted by name with unique names and no empty values, so that equal sets
/// compare, hash and print equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Vec<Label>);

impl Labels {
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// Builds a label set from pairs in any order; on duplicate names the last one wins and empty
    /// values are dropped, as Prometheus treats an empty value as an absent label.
    pub fn from_pairs<N: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        let mut b = LabelsBuilder::default();
        for (n, v) in pairs {
            b.set(n, v);
        }
        b.build()
    }

    /// Wraps a vector that is already sorted by name with unique names and no empty values, as
    /// parsers and stores produce it; falls back to normalising when it is not.
    pub fn from_sorted_vec(v: Vec<Label>) -> Self {
        let ok = v.windows(2).all(|w| w[0].name < w[1].name) && v.iter().all(|l| !l.value.is_empty());
        if ok {
            Self(v)
        } else {
            LabelsBuilder { labels: v }.into_labels()
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| l.name.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].value.as_str())
    }

    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Label> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// A builder seeded with these labels, to add, replace or remove some.
    pub fn to_builder(&self) -> LabelsBuilder {
        LabelsBuilder {
            labels: self.0.clone(),
        }
    }

    /// The same set without `__name__`.
    pub fn without_metric_name(&self) -> Labels {
        Labels(self.0.iter().filter(|l| l.name != METRIC_NAME).cloned().collect())
    }
}

impl fmt::Display for Labels {
    /// Prints `name{a="b", c="d"}` like Prometheus does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.metric_name();
        if let Some(n) = name {
            f.write_str(n)?;
        }
        let rest: Vec<&Label> = self.0.iter().filter(|l| l.name != METRIC_NAME).collect();
        if rest.is_empty() && name.is_some() {
            return Ok(());
        }
        f.write_str("{")?;
        for (i, l) in rest.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}={:?}", l.name, l.value)?;
        }
        f.write_str("}")
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Collects changes to a label set and produces a normalised [`Labels`].
#[derive(Debug, Clone, Default)]
pub struct LabelsBuilder {
    labels: Vec<Label>,
}

impl LabelsBuilder {
    /// Sets `name` to `value`; an empty value removes the label.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        let (name, value) = (name.into(), value.into());
        self.labels.retain(|l| l.name != name);
        if !value.is_empty() {
            self.labels.push(Label { name, value });
        }
        self
    }

    pub fn del(&mut self, name: &str) -> &mut Self {
        self.labels.retain(|l| l.name != name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_str())
    }

    pub fn build(&self) -> Labels {
        self.clone().into_labels()
    }

    /// Like [`build`](Self::build) without cloning; on duplicate names the last one set wins.
    pub fn into_labels(self) -> Labels {
        let mut v = self.labels;
        v.reverse();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.dedup_by(|later, earlier| later.name == earlier.name);
        v.retain(|l| !l.value.is_empty());
        Labels(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_deduplicated_and_printed_like_prometheus() {
        let l = Labels::from_pairs([("job", "api"), ("__name__", "up"), ("a", ""), ("job", "web")]);
        assert_eq!(l.len(), 2);
        assert_eq!(l.get("job"), Some("web"));
        assert_eq!(l.to_string(), r#"up{job="web"}"#);
        assert_eq!(Labels::from_pairs([("__name__", "up")]).to_string(), "up");
    }
}
