//! obslab's own metrics under Prometheus's names: TSDB counters, HTTP request counts per handler
//! and code, and `process_*` from /proc.

use crate::json::format_float;
use crate::state::ApiState;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Requests served, by handler (route pattern) and status code.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    durations: Mutex<BTreeMap<String, (f64, u64)>>,
}

impl HttpMetrics {
    pub fn observe(&self, handler: &str, code: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .entry((handler.to_string(), code))
            .or_default() += 1;
        let mut d = self.durations.lock();
        let e = d.entry(handler.to_string()).or_default();
        e.0 += seconds;
        e.1 += 1;
    }

    fn render(&self, out: &mut String) {
        out.push_str("# HELP prometheus_http_requests_total Counter of HTTP requests.\n");
        out.push_str("# TYPE prometheus_http_requests_total counter\n");
        for ((h, c), n) in self.requests.lock().iter() {
            let _ = writeln!(
                out,
                "prometheus_http_requests_total{{code=\"{c}\",handler=\"{h}\"}} {n}"
            );
        }
        out.push_str(
            "# HELP prometheus_http_request_duration_seconds Histogram of latencies for HTTP requests.\n",
        );
        out.push_str("# TYPE prometheus_http_request_duration_seconds summary\n");
        for (h, (sum, count)) in self.durations.lock().iter() {
            let _ = writeln!(
                out,
                "prometheus_http_request_duration_seconds_sum{{handler=\"{h}\"}} {}",
                format_float(*sum)
            );
            let _ = writeln!(
                out,
                "prometheus_http_request_duration_seconds_count{{handler=\"{h}\"}} {count}"
            );
        }
    }
}

fn metric_type(name: &str) -> &'static str {
    if name.ends_with("_total") {
        "counter"
    } else {
        "gauge"
    }
}

/// The whole `/metrics` page.
pub fn render(state: &ApiState) -> String {
    let mut out = String::new();
    for (name, v) in state.db.metrics() {
        let _ = writeln!(out, "# TYPE {name} {}", metric_type(name));
        let _ = writeln!(out, "{name} {}", format_float(v));
    }
    let head = state.db.head();
    let _ = writeln!(out, "# TYPE prometheus_tsdb_head_min_time gauge");
    let _ = writeln!(out, "prometheus_tsdb_head_min_time {}", head.min_time());
    let _ = writeln!(out, "# TYPE prometheus_tsdb_head_max_time gauge");
    let _ = writeln!(out, "prometheus_tsdb_head_max_time {}", head.max_time());
    state.http_metrics.render(&mut out);
    for s in &state.metrics_sources {
        s.render(&mut out);
    }
    let _ = writeln!(out, "# TYPE prometheus_build_info gauge");
    let _ = writeln!(
        out,
        "prometheus_build_info{{branch=\"\",goversion=\"\",revision=\"\",version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    process_metrics(state, &mut out);
    out
}

fn process_metrics(state: &ApiState, out: &mut String) {
    let start = state.runtime.start_time.timestamp_millis() as f64 / 1000.0;
    let _ = writeln!(out, "# TYPE process_start_time_seconds gauge");
    let _ = writeln!(out, "process_start_time_seconds {}", format_float(start));
    // /proc/self/stat fields after the command name: utime(14) stime(15) vsize(23) rss(24).
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat")
        && let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
    {
        let f: Vec<&str> = rest.split_whitespace().collect();
        let num = |i: usize| f.get(i - 3).and_then(|s| s.parse::<f64>().ok());
        // Clock ticks are 100 per second on Linux.
        if let (Some(u), Some(s)) = (num(14), num(15)) {
            let _ = writeln!(out, "# TYPE process_cpu_seconds_total counter");
            let _ = writeln!(out, "process_cpu_seconds_total {}", format_float((u + s) / 100.0));
        }
        if let Some(v) = num(23) {
            let _ = writeln!(out, "# TYPE process_virtual_memory_bytes gauge");
            let _ = writeln!(out, "process_virtual_memory_bytes {}", format_float(v));
        }
        if let Some(r) = num(24) {
            let _ = writeln!(out, "# TYPE process_resident_memory_bytes gauge");
            let _ = writeln!(out, "process_resident_memory_bytes {}", format_float(r * 4096.0));
        }
    }
    if let Ok(rd) = std::fs::read_dir("/proc/self/fd") {
        let _ = writeln!(out, "# TYPE process_open_fds gauge");
        let _ = writeln!(out, "process_open_fds {}", rd.count());
    }
}
