//! The sender's counters under Prometheus's `prometheus_remote_storage_*` names.

use super::SenderStats;
use crate::json::format_float;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) struct SenderMetrics {
    remote_name: String,
    url: String,
    sent: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    dropped: AtomicU64,
    pending: AtomicU64,
    bytes: AtomicU64,
    last_send_ts: AtomicU64,
}

impl SenderMetrics {
    pub fn new(remote_name: String, url: String) -> Self {
        Self {
            remote_name,
            url,
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            last_send_ts: AtomicU64::new(0),
        }
    }

    pub fn add_sent(&self, n: u64, bytes: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        self.last_send_ts.store(now, Ordering::Relaxed);
    }

    pub fn add_failed(&self, n: u64) {
        self.failed.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_retried(&self, n: u64) {
        self.retried.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_pending(&self, n: u64) {
        self.pending.fetch_add(n, Ordering::Relaxed);
    }

    pub fn sub_pending(&self, n: u64) {
        let _ = self
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(n))
            });
    }

    pub fn stats(&self) -> SenderStats {
        SenderStats {
            samples_sent: self.sent.load(Ordering::Relaxed),
            samples_failed: self.failed.load(Ordering::Relaxed),
            samples_retried: self.retried.load(Ordering::Relaxed),
            samples_dropped: self.dropped.load(Ordering::Relaxed),
            samples_pending: self.pending.load(Ordering::Relaxed),
        }
    }

    pub fn render(&self, out: &mut String) {
        let labels = format!(
            "remote_name=\"{}\",url=\"{}\"",
            self.remote_name.replace('"', "\\\""),
            self.url.replace('"', "\\\"")
        );
        let rows: [(&str, &str, &str, f64); 7] = [
            (
                "prometheus_remote_storage_samples_total",
                "counter",
                "Total number of samples sent to remote storage.",
                self.sent.load(Ordering::Relaxed) as f64,
            ),
            (
                "prometheus_remote_storage_samples_failed_total",
                "counter",
                "Total number of samples which failed on send to remote storage, non-recoverable errors.",
                self.failed.load(Ordering::Relaxed) as f64,
            ),
            (
                "prometheus_remote_storage_samples_retried_total",
                "counter",
                "Total number of samples which failed on send to remote storage but were retried because the send error was recoverable.",
                self.retried.load(Ordering::Relaxed) as f64,
            ),
            (
                "prometheus_remote_storage_samples_dropped_total",
                "counter",
                "Total number of samples which were dropped after being read from the WAL before being sent via remote write, either via relabelling or unintentionally because of an unknown reference ID.",
                self.dropped.load(Ordering::Relaxed) as f64,
            ),
            (
                "prometheus_remote_storage_samples_pending",
                "gauge",
                "The number of samples pending in the queues shards to be sent to the remote storage.",
                self.pending.load(Ordering::Relaxed) as f64,
            ),
            (
                "prometheus_remote_storage_bytes_total",
                "counter",
                "The total number of bytes of data (not metadata) sent by the queue after compression.",
                self.bytes.load(Ordering::Relaxed) as f64,
            ),
            (
                "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                "gauge",
                "Timestamp from a WAL sample, the highest timestamp successfully sent by this queue, in seconds since epoch.",
                self.last_send_ts.load(Ordering::Relaxed) as f64,
            ),
        ];
        for (name, kind, help, v) in rows {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name}{{{labels}}} {}", format_float(v));
        }
    }
}
