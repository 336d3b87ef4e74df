//! What a run did: counts, errors by status, latency percentiles from an HDR histogram, and the
//! achieved rate, as a table for people and a JSON object for scripts.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The outcome of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub target: String,
    pub shape: String,
    /// The configured base rate (requests per second).
    pub rate: f64,
    /// Seconds during which requests were scheduled.
    pub elapsed_s: f64,
    /// Requests the shape asked for in that time.
    pub scheduled: u64,
    /// Requests actually started.
    pub requests: u64,
    /// Requests that got a 1xx–3xx response.
    pub ok: u64,
    /// Requests that got a 4xx/5xx response or failed without one.
    pub errors: u64,
    /// Error counts keyed by HTTP status (`"500"`) or failure kind (`"timeout"`, `"connect"`, ...).
    pub errors_by_status: BTreeMap<String, u64>,
    /// Scheduled requests that could not start on time (concurrency limit reached or scheduler late).
    pub dropped: u64,
    /// Requests started per second.
    pub achieved_rate: f64,
    /// Latency of requests that got a response, in milliseconds.
    pub latency_ms: Latency,
    /// Per-endpoint counts, in mix order.
    pub endpoints: Vec<EndpointSummary>,
}

/// Latency percentiles in milliseconds (all zero when nothing was answered).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Latency {
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// Counts for one endpoint label of the mix.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EndpointSummary {
    pub name: String,
    pub requests: u64,
    pub errors: u64,
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Status(u16),
    Failed(&'static str),
}

impl Outcome {
    fn error_key(&self) -> Option<String> {
        match self {
            Outcome::Status(s) if *s < 400 => None,
            Outcome::Status(s) => Some(s.to_string()),
            Outcome::Failed(kind) => Some((*kind).to_string()),
        }
    }
}

struct Counts {
    latency_us: Histogram<u64>,
    ok: u64,
    errors_by_status: BTreeMap<String, u64>,
    per_label: Vec<(u64, u64)>,
}

/// Thread-safe accumulator the request tasks report into.
pub struct Recorder {
    counts: Mutex<Counts>,
}

/// Latencies above this (one hour, in µs) are clamped into the top bucket.
const MAX_LATENCY_US: u64 = 3_600_000_000;

impl Recorder {
    pub fn new(labels: usize) -> anyhow::Result<Self> {
        let latency_us = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?;
        Ok(Self {
            counts: Mutex::new(Counts {
                latency_us,
                ok: 0,
                errors_by_status: BTreeMap::new(),
                per_label: vec![(0, 0); labels],
            }),
        })
    }

    /// Records a finished request; `latency` is `None` when there was no response.
    pub fn record(&self, label: usize, outcome: Outcome, latency: Option<Duration>) {
        let mut c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(l) = latency {
            let us = (l.as_micros() as u64).clamp(1, MAX_LATENCY_US);
            c.latency_us.saturating_record(us);
        }
        if let Some(slot) = c.per_label.get_mut(label) {
            slot.0 += 1;
        }
        match outcome.error_key() {
            None => c.ok += 1,
            Some(key) => {
                *c.errors_by_status.entry(key).or_default() += 1;
                if let Some(slot) = c.per_label.get_mut(label) {
                    slot.1 += 1;
                }
            }
        }
    }

    /// (finished requests, errors) so far, for progress display.
    pub fn progress(&self) -> (u64, u64) {
        let c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let errors: u64 = c.errors_by_status.values().sum();
        (c.ok + errors, errors)
    }

    /// Snapshot of the counts as a summary; the caller fills in the run-level fields.
    pub(crate) fn finish(&self, labels: &[String], run: RunFacts) -> Summary {
        let c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let h = &c.latency_us;
        let ms = |us: u64| us as f64 / 1000.0;
        let latency = if h.is_empty() {
            Latency::default()
        } else {
            Latency {
                min: ms(h.min()),
                mean: h.mean() / 1000.0,
                p50: ms(h.value_at_quantile(0.50)),
                p95: ms(h.value_at_quantile(0.95)),
                p99: ms(h.value_at_quantile(0.99)),
                max: ms(h.max()),
            }
        };
        let errors = c.errors_by_status.values().sum();
        let achieved_rate = if run.elapsed_s > 0.0 {
            run.requests as f64 / run.elapsed_s
        } else {
            0.0
        };
        Summary {
            target: run.target,
            shape: run.shape,
            rate: run.rate,
            elapsed_s: run.elapsed_s,
            scheduled: run.scheduled,
            requests: run.requests,
            ok: c.ok,
            errors,
            errors_by_status: c.errors_by_status.clone(),
            dropped: run.dropped,
            achieved_rate,
            latency_ms: latency,
            endpoints: labels
                .iter()
                .zip(&c.per_label)
                .map(|(name, (requests, errors))| EndpointSummary {
                    name: name.clone(),
                    requests: *requests,
                    errors: *errors,
                })
                .collect(),
        }
    }
}

/// Run-level facts known only to the scheduler.
pub(crate) struct RunFacts {
    pub target: String,
    pub shape: String,
    pub rate: f64,
    pub elapsed_s: f64,
    pub scheduled: u64,
    pub requests: u64,
    pub dropped: u64,
}

impl Summary {
    /// The summary as a table: totals, latency, errors by status and the per-endpoint counts.
    pub fn render_table(&self) -> String {
        let mut totals = Table::new();
        totals.load_preset(UTF8_FULL_CONDENSED);
        totals.set_header(["metric", "value"]);
        let rows: Vec<(&str, String)> = vec![
            ("target", self.target.clone()),
            ("shape", format!("{} at {} req/s", self.shape, fmt_num(self.rate))),
            ("elapsed", format!("{:.1} s", self.elapsed_s)),
            ("requests", self.requests.to_string()),
            ("ok", self.ok.to_string()),
            ("errors", self.errors.to_string()),
            ("dropped", self.dropped.to_string()),
            ("achieved rate", format!("{:.2} req/s", self.achieved_rate)),
            ("latency p50", format!("{:.1} ms", self.latency_ms.p50)),
            ("latency p95", format!("{:.1} ms", self.latency_ms.p95)),
            ("latency p99", format!("{:.1} ms", self.latency_ms.p99)),
            ("latency max", format!("{:.1} ms", self.latency_ms.max)),
        ];
        for (k, v) in rows {
            let numeric = v.starts_with(|c: char| c.is_ascii_digit());
            let align = if numeric {
                CellAlignment::Right
            } else {
                CellAlignment::Left
            };
            totals.add_row([Cell::new(k), Cell::new(v).set_alignment(align)]);
        }
        let mut out = totals.to_string();

        if !self.errors_by_status.is_empty() {
            let mut errors = Table::new();
            errors.load_preset(UTF8_FULL_CONDENSED);
            errors.set_header(["error", "count"]);
            for (k, v) in &self.errors_by_status {
                errors.add_row([Cell::new(k), Cell::new(v).set_alignment(CellAlignment::Right)]);
            }
            out.push('\n');
            out.push_str(&errors.to_string());
        }

        let mut endpoints = Table::new();
        endpoints.load_preset(UTF8_FULL_CONDENSED);
        endpoints.set_header(["endpoint", "requests", "errors"]);
        for e in &self.endpoints {
            endpoints.add_row([
                Cell::new(&e.name),
                Cell::new(e.requests).set_alignment(CellAlignment::Right),
                Cell::new(e.errors).set_alignment(CellAlignment::Right),
            ]);
        }
        out.push('\n');
        out.push_str(&endpoints.to_string());
        out
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RunFacts {
        RunFacts {
            target: "http://127.0.0.1:8080/".into(),
            shape: "steady".into(),
            rate: 10.0,
            elapsed_s: 2.0,
            scheduled: 20,
            requests: 18,
            dropped: 2,
        }
    }

    #[test]
    fn counts_errors_by_status_and_endpoint() {
        let r = Recorder::new(2).unwrap();
        for i in 0..10u64 {
            r.record(0, Outcome::Status(200), Some(Duration::from_millis(i + 1)));
        }
        r.record(1, Outcome::Status(500), Some(Duration::from_millis(50)));
        r.record(1, Outcome::Status(503), Some(Duration::from_millis(50)));
        r.record(1, Outcome::Status(302), Some(Duration::from_millis(1)));
        r.record(1, Outcome::Failed("timeout"), None);
        assert_eq!(r.progress(), (14, 3));
        let s = r.finish(&["GET /a".into(), "GET /b".into()], facts());
        assert_eq!(s.ok, 11);
        assert_eq!(s.errors, 3);
        assert_eq!(s.errors_by_status.get("500"), Some(&1));
        assert_eq!(s.errors_by_status.get("503"), Some(&1));
        assert_eq!(s.errors_by_status.get("timeout"), Some(&1));
        assert_eq!(s.endpoints[0].requests, 10);
        assert_eq!(s.endpoints[1].requests, 4);
        assert_eq!(s.endpoints[1].errors, 3);
        assert_eq!(s.achieved_rate, 9.0);
        assert!((s.latency_ms.p50 - 6.0).abs() < 0.1, "{:?}", s.latency_ms);
        assert!((s.latency_ms.max - 50.0).abs() < 0.1, "{:?}", s.latency_ms);
        assert!(s.latency_ms.p99 >= s.latency_ms.p95 && s.latency_ms.p95 >= s.latency_ms.p50);
    }

    #[test]
    fn empty_run_has_zero_latency() {
        let s = Recorder::new(1).unwrap().finish(&["GET /".into()], facts());
        assert_eq!(s.latency_ms, Latency::default());
    }

    #[test]
    fn table_shows_the_numbers() {
        let r = Recorder::new(1).unwrap();
        r.record(0, Outcome::Status(500), Some(Duration::from_millis(3)));
        let table = r.finish(&["GET /api/products".into()], facts()).render_table();
        for needle in [
            "requests",
            "18",
            "dropped",
            "achieved rate",
            "9.00 req/s",
            "p99",
            "500",
            "GET /api/products",
        ] {
            assert!(table.contains(needle), "missing {needle} in\n{table}");
        }
    }

    #[test]
    fn json_has_the_documented_fields() {
        let s = Recorder::new(1).unwrap().finish(&["GET /".into()], facts());
        let v = serde_json::to_value(&s).unwrap();
        for key in [
            "requests",
            "errors_by_status",
            "dropped",
            "achieved_rate",
            "latency_ms",
            "endpoints",
            "scheduled",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert!(v["latency_ms"].get("p95").is_some());
    }
}
