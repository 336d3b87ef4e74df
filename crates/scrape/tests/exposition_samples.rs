//! The exposition parsers against upstream sample bodies (must parse; counts checked against the
//! files) and against bodies written for this project in `tests/data`.

use std::path::PathBuf;

use obslab_scrape::exposition::{Entry, MetricType, OpenMetricsParser, Parser, TextParser};

fn upstream(rel: &str) -> String {
    let p: PathBuf = obslab_testkit::conformance_dir()
        .join("prometheus-misc")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn local(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

#[derive(Default, Debug)]
struct Counts {
    samples: usize,
    types: usize,
    helps: usize,
    units: usize,
}

fn count<'a>(it: impl Iterator<Item = Result<Entry<'a>, obslab_scrape::exposition::ParseError>>) -> Counts {
    let mut c = Counts::default();
    for e in it {
        match e.unwrap() {
            Entry::Sample(_) => c.samples += 1,
            Entry::Type { .. } => c.types += 1,
            Entry::Help { .. } => c.helps += 1,
            Entry::Unit { .. } => c.units += 1,
            Entry::Comment(_) => {}
        }
    }
    c
}

/// Sample lines of a body: lines that are neither blank nor comments.
fn sample_lines(s: &str) -> usize {
    s.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count()
}

#[test]
fn text_format_upstream_bodies() {
    for (f, types, helps) in [
        ("model/textparse/testdata/alltypes.237mfs.prom.txt", 237, 237),
        ("model/textparse/testdata/alltypes.237mfs.nometa.prom.txt", 0, 0),
        ("cmd/promtool/testdata/metrics-test.prom", 4, 4),
    ] {
        let body = upstream(f);
        let c = count(TextParser::new(&body));
        assert_eq!(c.samples, sample_lines(&body), "{f}");
        assert_eq!(c.types, types, "{f}");
        assert_eq!(c.helps, helps, "{f}");
        assert_eq!(c.units, 0, "{f}");
    }
}

#[test]
fn openmetrics_upstream_bodies() {
    let body = upstream("model/textparse/testdata/1histogram.om.txt");
    let c = count(OpenMetricsParser::new(&body));
    assert_eq!(c.samples, sample_lines(&body));
    // A real Go client body: its histogram has a negative _sum, which the specification forbids
    // but Prometheus scrapes.
    let body = upstream("model/textparse/testdata/alltypes.5mfs.om.txt");
    let strict: Result<Vec<_>, _> = OpenMetricsParser::new(&body).collect();
    assert!(strict.unwrap_err().message.contains("negative"));
    let c = count(Parser::for_content_type(
        &body,
        Some("application/openmetrics-text"),
    ));
    assert_eq!(c.samples, sample_lines(&body));
    assert_eq!(c.types, 5);
    // promtool's import inputs repeat series over time, which only the family checks forbid.
    for f in [
        "cmd/promtool/testdata/dump-openmetrics-test.prom",
        "cmd/promtool/testdata/dump-openmetrics-roundtrip-test.prom",
    ] {
        let body = upstream(f);
        let c = count(OpenMetricsParser::new(&body).validate_families(false));
        assert_eq!(c.samples, sample_lines(&body), "{f}");
    }
    let body = upstream("cmd/promtool/testdata/dump-openmetrics-roundtrip-test.prom");
    let first = OpenMetricsParser::new(&body)
        .validate_families(false)
        .find_map(|e| match e.unwrap() {
            Entry::Sample(s) => Some(s.timestamp),
            _ => None,
        });
    assert_eq!(first, Some(Some(1_700_215_884_373)));
}

#[test]
fn text_format_leniencies() {
    let body = local("lenient.prom");
    let entries: Vec<Entry<'_>> = TextParser::new(&body).collect::<Result<_, _>>().unwrap();
    let samples: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Sample(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(samples.len(), sample_lines(&body));
    let find = |n: &str| samples.iter().find(|s| s.name == n).unwrap();
    assert_eq!(samples[1].labels().get("code"), Some("400"));
    assert_eq!(find("indented_metric").value, 1.0);
    assert_eq!(find("rpc_duration_seconds_sum").metric_type, MetricType::Summary);
    assert_eq!(find("latency_bucket").metric_type, MetricType::Histogram);
    assert_eq!(find("latency_bucket").family, "latency");
    assert!(find("tabs").value.is_nan());
    let esc = find("escapes").labels();
    assert_eq!(esc.get("path"), Some("C:\\dir\\file"));
    assert_eq!(esc.get("quote"), Some("say \"hi\""));
    assert_eq!(esc.get("nl"), Some("a\nb"));
    assert_eq!(esc.get("other"), Some("\\d"));
    assert_eq!(find("big_timestamp").timestamp, Some(i64::MAX));
    assert!(entries.contains(&Entry::Comment("not a HELP line, just a comment")));
    assert!(entries.iter().any(|e| matches!(e, Entry::Help { help, .. }
        if help == "Requests served.\nSecond line with a \\ backslash.")));
}

#[test]
fn openmetrics_good_body() {
    let body = local("good.om.txt");
    let entries: Vec<Entry<'_>> = OpenMetricsParser::new(&body).collect::<Result<_, _>>().unwrap();
    let samples: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Sample(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(samples.len(), 9);
    assert!(samples[2].is_created());
    assert_eq!(samples[3].timestamp, Some(1_605_281_325_123));
    let cpu = samples[4];
    assert_eq!(cpu.metric_type, MetricType::Counter);
    assert_eq!(cpu.family, "process_cpu_seconds");
    let ex = cpu.exemplar.as_ref().unwrap();
    assert_eq!(ex.labels().get("trace_id"), Some("0d482"));
    assert_eq!(ex.value, 1.0);
    assert_eq!(ex.timestamp, Some(1_605_281_325_500));
    assert!(entries.contains(&Entry::Unit {
        name: "process_cpu_seconds",
        unit: "seconds"
    }));
    assert_eq!(samples[6].metric_type, MetricType::StateSet);
    assert_eq!(samples[8].metric_type, MetricType::Info);
    // `_created` samples can be left out of the stream.
    let kept = OpenMetricsParser::new(&body)
        .skip_created(true)
        .filter(|e| matches!(e, Ok(Entry::Sample(_))))
        .count();
    assert_eq!(kept, 7);
}

#[test]
fn content_type_selects_the_parser() {
    let om = "a_total 1\n# EOF\n";
    let n = Parser::for_content_type(om, Some("application/openmetrics-text; version=1.0.0"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .len();
    assert_eq!(n, 1);
    // The text parser reads the same body as a sample and a comment.
    let n = Parser::for_content_type(om, Some("text/plain; version=0.0.4"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .len();
    assert_eq!(n, 2);
    // A text body served as OpenMetrics fails for the missing `# EOF`.
    let err = Parser::for_content_type("a 1\n", Some("application/openmetrics-text"))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_err();
    assert_eq!(err.message, "data does not end with # EOF");
    let ok = Parser::for_content_type("a 1\n", None).collect::<Result<Vec<_>, _>>();
    assert!(ok.is_ok());
}

#[test]
fn large_scrape_parses_quickly_enough() {
    // 1,000 series of 6 labels, parsed 100 times: a stand-in for 100 targets' scrapes. The bound
    // is generous; it only catches accidental quadratic behaviour.
    let mut body = String::new();
    body.push_str("# HELP demo_requests_total Requests.\n# TYPE demo_requests_total counter\n");
    for i in 0..1000 {
        body.push_str(&format!(
            "demo_requests_total{{service=\"api\",method=\"GET\",route=\"/r/{i}\",code=\"200\",pod=\"p-{}\",zone=\"z\"}} {i} 1700000000000\n",
            i % 7
        ));
    }
    let start = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..100 {
        n += TextParser::new(&body)
            .filter(|e| matches!(e, Ok(Entry::Sample(_))))
            .count();
    }
    assert_eq!(n, 100_000);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}
