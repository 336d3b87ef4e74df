//! Warnings and infos collected during evaluation, worded like Prometheus's annotations.

use std::collections::BTreeSet;

#[derive(Debug, Default, Clone)]
pub(crate) struct Annotations {
    pub warnings: BTreeSet<String>,
    pub infos: BTreeSet<String>,
}

impl Annotations {
    pub fn warn(&mut self, msg: impl Into<String>) {
        self.warnings.insert(format!("PromQL warning: {}", msg.into()));
    }

    pub fn info(&mut self, msg: impl Into<String>) {
        self.infos.insert(format!("PromQL info: {}", msg.into()));
    }
}

/// `(line:col)` of the first occurrence of `needle` in `query` (1-based), or of the start when
/// absent; annotations end with the position of the expression they are about.
pub(crate) fn position(query: &str, needle: &str) -> String {
    let off = if needle.is_empty() {
        None
    } else {
        query.find(needle)
    }
    .unwrap_or(0);
    let before = &query[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|s| s.chars().count()).unwrap_or(0) + 1;
    format!("({line}:{col})")
}
