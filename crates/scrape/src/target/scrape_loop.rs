//! What one target's scrape loop does with a response, independent of HTTP and storage: parse,
//! merge target labels, relabel, enforce limits, append, write staleness markers for series that
//! disappeared, and append the report series (`up`, `scrape_duration_seconds`, ...).

use std::collections::HashMap;
use std::time::Duration;

use obslab_model::sample::stale_nan;
use obslab_model::{Labels, METRIC_NAME};

use super::appender::{AppendError, Appender, ExemplarSample};
use super::mutate::{LabelLimits, mutate_report_labels, mutate_sample_labels, verify_label_limits};
use crate::config::ScrapeConfig;
use crate::exposition::{Entry, Parser, body_as_str};
use crate::relabel::RelabelConfig;

/// The report series every scrape appends, in this order.
pub const REPORT_SERIES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

/// The per-job settings a scrape needs.
#[derive(Debug, Clone, Default)]
pub struct ScrapeSettings {
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub track_timestamps_staleness: bool,
    /// 0 = no limit.
    pub sample_limit: u64,
    pub limits: LabelLimits,
    pub metric_relabel_configs: Vec<RelabelConfig>,
}

impl From<&ScrapeConfig> for ScrapeSettings {
    fn from(c: &ScrapeConfig) -> Self {
        Self {
            honor_labels: c.honor_labels,
            honor_timestamps: c.honor_timestamps,
            track_timestamps_staleness: c.track_timestamps_staleness,
            sample_limit: c.sample_limit(),
            limits: LabelLimits {
                label_limit: c.label_limit(),
                label_name_length_limit: c.label_name_length_limit(),
                label_value_length_limit: c.label_value_length_limit(),
            },
            metric_relabel_configs: c.metric_relabel_configs.clone(),
        }
    }
}

/// The outcome of fetching a target.
#[derive(Debug, Clone, Copy)]
pub enum ScrapeResult<'a> {
    Body {
        body: &'a [u8],
        content_type: Option<&'a str>,
    },
    /// The fetch failed (connection refused, timeout, HTTP status, ...).
    Failed(&'a str),
}

/// What one scrape did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScrapeReport {
    pub up: bool,
    pub error: Option<String>,
    pub samples_scraped: u64,
    pub samples_post_metric_relabeling: u64,
    pub series_added: u64,
    pub stale_markers: u64,
    /// Samples the storage refused one by one (out of order, duplicates).
    pub samples_rejected: u64,
}

struct CacheEntry {
    /// `None` when metric relabeling drops the series.
    labels: Option<Labels>,
    touched: bool,
    prev_seen: bool,
    cur_seen: bool,
}

/// The state a target's scrape loop keeps between scrapes: a cache from the raw series text to
/// its final labels (so a steady target costs no relabeling) and which series the last scrape saw.
pub struct ScrapeState {
    target: Labels,
    settings: ScrapeSettings,
    cache: HashMap<String, CacheEntry>,
    report_labels: Vec<Labels>,
    reported: bool,
}

impl ScrapeState {
    /// `target_labels` are the target's public labels (`job`, `instance`, ...).
    pub fn new(target_labels: Labels, settings: ScrapeSettings) -> Self {
        let report_labels = REPORT_SERIES
            .iter()
            .map(|n| mutate_report_labels(&Labels::from_pairs([(METRIC_NAME, *n)]), &target_labels))
            .collect();
        Self {
            target: target_labels,
            settings,
            cache: HashMap::new(),
            report_labels,
            reported: false,
        }
    }

    /// Handles one scrape taken at `t` (ms) that took `duration`, and commits it to `app`.
    pub fn process(
        &mut self,
        app: &mut dyn Appender,
        result: ScrapeResult<'_>,
        t: i64,
        duration: Duration,
    ) -> ScrapeReport {
        let mut rep = ScrapeReport::default();
        let err = match result {
            ScrapeResult::Failed(e) => Some(e.to_string()),
            ScrapeResult::Body { body, content_type } => {
                self.append_body(app, body, content_type, t, &mut rep)
            }
        };
        if err.is_some() {
            app.rollback();
            rep.samples_post_metric_relabeling = 0;
        }
        rep.stale_markers = self.finish_staleness(app, t, err.is_none());
        rep.up = err.is_none();
        rep.error = err;
        let values = [
            if rep.up { 1.0 } else { 0.0 },
            duration.as_secs_f64(),
            rep.samples_scraped as f64,
            rep.samples_post_metric_relabeling as f64,
            rep.series_added as f64,
        ];
        for (labels, v) in self.report_labels.iter().zip(values) {
            if let Err(AppendError::Storage(e)) = app.append(labels, t, v) {
                rep.error.get_or_insert(e);
            }
        }
        self.reported = true;
        if let Err(e) = app.commit() {
            rep.error.get_or_insert(e.to_string());
        }
        rep
    }

    fn append_body(
        &mut self,
        app: &mut dyn Appender,
        body: &[u8],
        content_type: Option<&str>,
        t: i64,
        rep: &mut ScrapeReport,
    ) -> Option<String> {
        let text = match body_as_str(body) {
            Ok(s) => s,
            Err(e) => return Some(e.to_string()),
        };
        let s = &self.settings;
        for entry in Parser::for_content_type(text, content_type) {
            let sample = match entry {
                Err(e) => return Some(e.to_string()),
                Ok(Entry::Sample(x)) => x,
                Ok(_) => continue,
            };
            rep.samples_scraped += 1;
            let ts = if s.honor_timestamps {
                sample.timestamp.unwrap_or(t)
            } else {
                t
            };
            let entry = match self.cache.get_mut(sample.series) {
                Some(e) => e,
                None => {
                    let labels = mutate_sample_labels(
                        &sample.labels(),
                        &self.target,
                        s.honor_labels,
                        &s.metric_relabel_configs,
                    );
                    if let Some(l) = &labels {
                        if let Err(e) = verify_label_limits(l, &s.limits) {
                            return Some(e);
                        }
                        rep.series_added += 1;
                    }
                    self.cache.entry(sample.series.to_string()).or_insert(CacheEntry {
                        labels,
                        touched: false,
                        prev_seen: false,
                        cur_seen: false,
                    })
                }
            };
            entry.touched = true;
            let Some(labels) = &entry.labels else {
                continue;
            };
            rep.samples_post_metric_relabeling += 1;
            if s.sample_limit > 0 && rep.samples_post_metric_relabeling > s.sample_limit {
                return Some("sample limit exceeded".to_string());
            }
            match app.append(labels, ts, sample.value) {
                Ok(()) => {}
                Err(AppendError::Sample(_)) => {
                    rep.samples_rejected += 1;
                    continue;
                }
                Err(AppendError::Storage(e)) => return Some(e),
            }
            if sample.timestamp.is_none() || s.track_timestamps_staleness {
                entry.cur_seen = true;
            }
            if let Some(ex) = &sample.exemplar {
                let e = ExemplarSample {
                    labels: ex.labels(),
                    value: ex.value,
                    timestamp: ex.timestamp,
                };
                // Exemplars are best effort, as in Prometheus.
                let _ = app.append_exemplar(labels, &e);
            }
        }
        None
    }

    /// Writes staleness markers for series the previous scrape had and this one lacks (all of
    /// them when this scrape failed), then ages the cache.
    fn finish_staleness(&mut self, app: &mut dyn Appender, t: i64, ok: bool) -> u64 {
        let mut n = 0;
        let stale = stale_nan();
        self.cache.retain(|_, e| {
            let gone = e.prev_seen && (!ok || !e.cur_seen);
            if gone
                && let Some(l) = &e.labels
                && app.append(l, t, stale).is_ok()
            {
                n += 1;
            }
            e.prev_seen = ok && e.cur_seen;
            e.cur_seen = false;
            let keep = e.touched;
            e.touched = false;
            keep
        });
        n
    }

    /// Ends the loop (target gone or config reloaded): staleness markers for every series of the
    /// last scrape and for the report series, committed.
    pub fn mark_all_stale(&mut self, app: &mut dyn Appender, t: i64) -> Result<u64, AppendError> {
        let stale = stale_nan();
        let mut n = 0;
        for e in self.cache.values_mut() {
            if e.prev_seen
                && let Some(l) = &e.labels
            {
                app.append(l, t, stale)?;
                n += 1;
            }
            e.prev_seen = false;
        }
        if self.reported {
            for l in &self.report_labels {
                app.append(l, t, stale)?;
                n += 1;
            }
        }
        app.commit()?;
        Ok(n)
    }
}
