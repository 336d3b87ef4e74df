//! Rendering a prometheus-client registry as the Prometheus text format 0.0.4.
//!
//! prometheus-client writes OpenMetrics text; Prometheus' classic format differs only in a few
//! lines: counter families are named with their `_total` suffix, and there is no `# UNIT`,
//! `# EOF` or `_created` sample. Those are rewritten here, and the process metrics appended.

use prometheus_client::registry::Registry;
use std::collections::HashSet;

/// Content type of the Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `/metrics` body of a service.
pub fn render(registry: &Registry) -> String {
    let mut om = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut om, registry) {
        tracing::error!(error = %e, "encoding metrics");
    }
    let mut out = openmetrics_to_prometheus(&om);
    out.push_str(&super::process::render());
    out
}

/// Rewrites OpenMetrics text into Prometheus text 0.0.4.
pub fn openmetrics_to_prometheus(om: &str) -> String {
    let counters: HashSet<&str> = om
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(om.len());
    for line in om.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push_str(&format!("# HELP {} {help}\n", family_name(&counters, name)));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let kind = match kind {
                "unknown" => "untyped",
                "info" | "stateset" => "gauge",
                "gaugehistogram" => "histogram",
                k => k,
            };
            out.push_str(&format!("# TYPE {} {kind}\n", family_name(&counters, name)));
            continue;
        }
        let sample_name = line.split(['{', ' ']).next().unwrap_or("");
        if sample_name
            .strip_suffix("_created")
            .is_some_and(|base| counters.contains(base))
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn family_name(counters: &HashSet<&str>, name: &str) -> String {
    if counters.contains(name) {
        format!("{name}_total")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::EncodeLabelSet;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    use prometheus_client::metrics::histogram::Histogram;

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    struct L {
        status: String,
    }

    #[test]
    fn converts_counters_and_drops_eof() {
        let mut r = Registry::default();
        let c = Family::<L, Counter>::default();
        r.register("orders", "Orders by status", c.clone());
        c.get_or_create(&L { status: "ok".into() }).inc_by(3);
        let g = Gauge::<i64>::default();
        r.register("queue_depth", "Jobs waiting", g.clone());
        g.set(7);
        let h = Histogram::new([0.1, 1.0]);
        r.register("latency_seconds", "Latency", h.clone());
        h.observe(0.5);
        let mut om = String::new();
        prometheus_client::encoding::text::encode(&mut om, &r).unwrap();
        let text = openmetrics_to_prometheus(&om);
        assert!(text.contains("# HELP orders_total Orders by status.\n"), "{text}");
        assert!(text.contains("# TYPE orders_total counter\n"), "{text}");
        assert!(text.contains("orders_total{status=\"ok\"} 3\n"), "{text}");
        assert!(
            text.contains("# TYPE queue_depth gauge\nqueue_depth 7\n"),
            "{text}"
        );
        assert!(text.contains("latency_seconds_bucket{le=\"1.0\"} 1\n"), "{text}");
        assert!(text.contains("latency_seconds_bucket{le=\"+Inf\"} 1\n"), "{text}");
        assert!(!text.contains("# EOF"));
    }

    #[test]
    fn drops_units_and_created() {
        let om = "# HELP x_seconds X.\n# TYPE x_seconds counter\n# UNIT x_seconds seconds\n\
                  x_seconds_total 1\nx_seconds_created 1.7e9\n# TYPE u unknown\nu 1\n# EOF\n";
        assert_eq!(
            openmetrics_to_prometheus(om),
            "# HELP x_seconds_total X.\n# TYPE x_seconds_total counter\nx_seconds_total 1\n# TYPE u untyped\nu 1\n"
        );
    }

    #[test]
    fn render_includes_process_metrics() {
        let text = render(&Registry::default());
        for name in [
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_start_time_seconds",
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} missing in {text}"
            );
        }
    }
}
