//! Engine API behaviour: result types, limits with Prometheus's error types, and robustness.

use obslab_model::Labels;
use obslab_promql::{Engine, EngineOptions, ErrorType, MemStorage, PointValue, QueryValue};
use std::time::Duration;

fn store() -> MemStorage {
    let s = MemStorage::new();
    for (job, step) in [("a", 1.0), ("b", 2.0)] {
        let l = Labels::from_pairs([("__name__", "req_total"), ("job", job)]);
        for i in 0..=60 {
            s.append_float(&l, i * 10_000, step * i as f64);
        }
    }
    s
}

#[test]
fn instant_query_returns_a_vector() {
    let e = Engine::new(EngineOptions::default());
    let r = e
        .instant_query(&store(), "sum(rate(req_total[1m]))", 300_000)
        .unwrap();
    let QueryValue::Vector(v) = r.value else {
        panic!("not a vector")
    };
    assert_eq!(v.len(), 1);
    let PointValue::Float(f) = v[0].value else {
        panic!("not a float")
    };
    assert!((f - 0.3).abs() < 1e-9, "{f}");
}

#[test]
fn range_query_returns_a_sorted_matrix() {
    let e = Engine::new(EngineOptions::default());
    let r = e.range_query(&store(), "req_total", 0, 60_000, 30_000).unwrap();
    let QueryValue::Matrix(m) = r.value else {
        panic!("not a matrix")
    };
    assert_eq!(m.len(), 2);
    assert!(m[0].labels < m[1].labels);
    assert_eq!(m[0].points.len(), 3);
}

#[test]
fn rate_of_non_counter_name_gives_info() {
    let s = MemStorage::new();
    let l = Labels::from_pairs([("__name__", "temperature")]);
    for i in 0..10 {
        s.append_float(&l, i * 10_000, i as f64);
    }
    let r = Engine::default()
        .instant_query(&s, "rate(temperature[1m])", 90_000)
        .unwrap();
    assert_eq!(
        r.infos,
        vec![
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"temperature\" (1:6)"
        ]
    );
}

#[test]
fn limits_answer_with_prometheus_error_types() {
    let e = Engine::new(EngineOptions {
        max_samples: 5,
        ..Default::default()
    });
    let err = e.instant_query(&store(), "req_total[5m]", 300_000).unwrap_err();
    assert_eq!(err.error_type(), ErrorType::Execution);
    assert!(err.to_string().contains("too many samples"));

    let err = Engine::default()
        .range_query(&store(), "req_total", 0, 1_000_000_000, 1)
        .unwrap_err();
    assert_eq!(err.error_type(), ErrorType::BadData);
    assert!(
        err.to_string()
            .contains("exceeded maximum resolution of 11,000 points")
    );

    let err = Engine::default()
        .range_query(&store(), "req_total", 0, 10, 0)
        .unwrap_err();
    assert_eq!(err.error_type(), ErrorType::BadData);

    let e = Engine::new(EngineOptions {
        timeout: Duration::ZERO,
        ..Default::default()
    });
    std::thread::sleep(Duration::from_millis(2));
    let err = e.instant_query(&store(), "req_total", 0).unwrap_err();
    assert_eq!(err.error_type(), ErrorType::Timeout);
}

#[test]
fn bad_input_never_panics() {
    let e = Engine::default();
    let s = store();
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let queries = [
        "",
        "sum(",
        "req_total[1y:1ms]",
        "rate(req_total[10000y])",
        "topk(1e300, req_total)",
        "topk(NaN, req_total)",
        "histogram_quantile(0.5, req_total)",
        "req_total offset 10000y",
        "label_replace(req_total, \"x\", \"$1\", \"job\", \"(\")",
        deep.as_str(),
        "1 / 0 + -1 % 0 ^ 1e308",
    ];
    for q in queries {
        let _ = e.instant_query(&s, q, 300_000);
        let _ = e.range_query(&s, q, 0, 600_000, 60_000);
    }
    let err = e.instant_query(&s, "sum(", 0).unwrap_err();
    assert_eq!(err.error_type(), ErrorType::BadData);
}

#[test]
fn runner_reports_passes_and_failures() {
    let script = "load 1m\n  m{a=\"1\"} 0+1x5\n\neval instant at 2m m\n  m{a=\"1\"} 2\n\neval instant at 2m m\n  m{a=\"1\"} 3\n";
    let r = obslab_promql::promqltest::run_script("inline.test", script);
    assert_eq!((r.passed(), r.failed()), (1, 1));
    let text = obslab_promql::promqltest::format_reports(&[r], true);
    assert!(text.ends_with("1 passed, 1 failed\n"), "{text}");
    assert!(text.contains("FAIL inline.test:7"), "{text}");
}

#[test]
fn long_unary_chains_are_rejected_or_evaluated() {
    let e = Engine::default();
    let q = format!("{}1", "-".repeat(20_000));
    let _ = e.instant_query(&store(), &q, 0);
    let q = format!("1{}", " + 1".repeat(5_000));
    let _ = e.instant_query(&store(), &q, 0);
}

#[test]
fn canceled_queries_answer_canceled() {
    let token = obslab_promql::CancelToken::new();
    token.cancel();
    let err = Engine::default()
        .instant_query_cancellable(&store(), "sum(req_total)", 0, &token)
        .unwrap_err();
    assert_eq!(err.error_type(), ErrorType::Canceled);
    assert_eq!(err.to_string(), "query was canceled in expression evaluation");
}

#[test]
fn generated_queries_never_panic() {
    let parts = [
        "req_total",
        "[1m]",
        "[5m:1m]",
        " offset 1m",
        " @ 100",
        " anchored",
        " smoothed",
        "rate(",
        "sum(",
        ")",
        " + ",
        " / ",
        " and ",
        " or ",
        "{job=\"ä\"}",
        "histogram_quantile(0.5, ",
        "topk(2, ",
        "1e308",
        "-",
        "(",
        "[",
        "]",
        "\"",
        "ß",
        "label_replace(",
        ", \"a\"",
        "step()",
        "[1m+1s]",
        "info(",
        "}",
    ];
    let e = Engine::default();
    let s = store();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..600 {
        let mut q = String::new();
        for _ in 0..6 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            q.push_str(parts[(seed >> 33) as usize % parts.len()]);
        }
        let _ = e.instant_query(&s, &q, 300_000);
        let _ = e.range_query(&s, &q, 0, 600_000, 60_000);
    }
}

/// `topk`/`bottomk` break ties between equal values as Prometheus's bounded heap does: the
/// first of the tied series sits at the heap's root and is the one a better value replaces.
#[test]
fn topk_and_bottomk_break_ties_like_prometheus() {
    let s = MemStorage::new();
    for (name, low, high) in [("a", 5.0, 1.0), ("b", 5.0, 1.0), ("c", 1.0, 5.0)] {
        s.append_float(&Labels::from_pairs([("__name__", "low"), ("id", name)]), 0, low);
        s.append_float(&Labels::from_pairs([("__name__", "high"), ("id", name)]), 0, high);
    }
    let e = Engine::new(EngineOptions::default());
    for q in ["bottomk(2, low)", "topk(2, high)"] {
        let QueryValue::Vector(v) = e.instant_query(&s, q, 0).unwrap().value else {
            panic!("not a vector")
        };
        let mut ids: Vec<&str> = v.iter().filter_map(|x| x.labels.get("id")).collect();
        ids.sort();
        assert_eq!(ids, ["b", "c"], "{q}");
    }
}
