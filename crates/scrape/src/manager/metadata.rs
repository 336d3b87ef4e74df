//! Metric family metadata (type, help, unit) from a scraped body, kept per target.

use std::collections::BTreeMap;

use crate::exposition::{Entry, Parser, body_as_str};

use super::view::MetricMetadata;

/// The families of one scrape, by name. A malformed body yields what was read before the error.
pub fn families(body: &[u8], content_type: Option<&str>) -> BTreeMap<String, MetricMetadata> {
    let mut out: BTreeMap<String, MetricMetadata> = BTreeMap::new();
    let Ok(text) = body_as_str(body) else {
        return out;
    };
    let blank = || MetricMetadata {
        metric_type: "unknown".into(),
        help: String::new(),
        unit: String::new(),
    };
    for entry in Parser::for_content_type(text, content_type) {
        match entry {
            Ok(Entry::Help { name, help }) => {
                out.entry(name.to_string()).or_insert_with(blank).help = help.into()
            }
            Ok(Entry::Type { name, metric_type }) => {
                out.entry(name.to_string()).or_insert_with(blank).metric_type = metric_type.as_str().into()
            }
            Ok(Entry::Unit { name, unit }) => {
                out.entry(name.to_string()).or_insert_with(blank).unit = unit.into()
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    out
}
