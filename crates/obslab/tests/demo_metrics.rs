//! `/metrics` of every demo service is strict Prometheus text 0.0.4, and the checker used for it
//! refuses what Prometheus would refuse.

#[path = "demo_support.rs"]
mod support;

use support::*;

#[test]
fn checker_accepts_valid_text() {
    let text = "# HELP http_requests_total Requests.\n\
                # TYPE http_requests_total counter\n\
                http_requests_total{method=\"GET\",endpoint=\"/api/products/{id}\",status=\"200\"} 3\n\
                http_requests_total{method=\"POST\",endpoint=\"/a\\\\b \\\"q\\\" \\n\",status=\"201\"} 1e3 1700000000000\n\
                # HELP d Durations.\n\
                # TYPE d histogram\n\
                d_bucket{le=\"0.1\"} 1\n\
                d_bucket{le=\"1\"} 2\n\
                d_bucket{le=\"+Inf\"} 2\n\
                d_sum 0.7\n\
                d_count 2\n\
                # TYPE g gauge\n\
                g -Inf\n\
                g2_no_type_is_not_ok 1\n";
    let err = parse_exposition(text).unwrap_err();
    assert!(err.contains("g2_no_type_is_not_ok"), "{err}");
    let text = text.replace("g2_no_type_is_not_ok 1\n", "# EOF-like comments are ignored\n");
    let exp = parse_exposition(&text).unwrap();
    assert_eq!(exp.sum("http_requests_total", &[]), 1003.0);
    assert_eq!(
        exp.find("http_requests_total", &[("endpoint", "/a\\b \"q\" \n")])
            .len(),
        1
    );
    exp.assert_family("d", "histogram", &["le"]);
}

#[test]
fn checker_refuses_invalid_text() {
    let head = "# TYPE m counter\n";
    for bad in [
        "m{a=\"1\"} x\n",
        "m{a=1} 1\n",
        "m{a=\"1\",a=\"2\"} 1\n",
        "m{1a=\"1\"} 1\n",
        "m{a=\"1\"\n",
        "m{a=\"\\q\"} 1\n",
        "m 1\nm 2\n",
        "m -1\n",
        "m 1 2 3\n",
        "m 1 1.5\n",
        "m\n",
        "m 1",
    ] {
        let text = format!("{head}{bad}");
        assert!(parse_exposition(&text).is_err(), "accepted {text:?}");
    }
    for bad in [
        "# TYPE m counter\n# TYPE m counter\nm 1\n",
        "# TYPE m counters\nm 1\n",
        "# TYPE 1m counter\n",
        "# TYPE m counter\nm 1\n# TYPE n gauge\nn 1\nm{a=\"b\"} 2\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket 1\n",
        // OpenMetrics-style counter family without the suffix: samples named _total are undeclared.
        "# TYPE c counter\nc_total 1\n",
    ] {
        assert!(parse_exposition(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn every_service_exposes_valid_metrics_with_process_metrics() {
    let shop = Shop::start(None, true, true);
    // Some traffic first, so labelled families have samples.
    assert_eq!(shop.gateway().get("/api/products").status, 200);
    assert_eq!(shop.gateway().get("/").status, 200);
    for svc in [
        &shop.api,
        &shop.payment,
        &shop.inventory,
        shop.worker(),
        shop.gateway(),
    ] {
        let m = svc.metrics();
        for (family, typ) in [
            ("process_resident_memory_bytes", "gauge"),
            ("process_cpu_seconds_total", "counter"),
            ("process_start_time_seconds", "gauge"),
        ] {
            assert_eq!(
                m.types.get(family).map(String::as_str),
                Some(typ),
                "{} {family}",
                svc.name
            );
            let v = m.series(family);
            assert_eq!(v.len(), 1, "{} {family}", svc.name);
            assert!(
                v[0].value > 0.0 || family == "process_cpu_seconds_total",
                "{} {family}",
                svc.name
            );
        }
        let rss = m.series("process_resident_memory_bytes")[0].value;
        assert!(rss > 1e6 && rss < 4e9, "{} RSS {rss}", svc.name);
        let start = m.series("process_start_time_seconds")[0].value;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(
            start <= now + 1.0 && start > now - 600.0,
            "{} started at {start}, now {now}",
            svc.name
        );
    }
    // The gateway counts its own requests like the api does.
    let m = shop.gateway().metrics();
    assert!(
        m.sum("http_requests_total", &[]) >= 1.0,
        "gateway http_requests_total"
    );
}
