//! Prints how fast the exposition parsers and the scrape loop handle a 1,000-series body, to
//! judge the cost of a 1,000 targets × 1,000 series scrape round.
//! Run with `cargo run --release -p obslab-scrape --example parse_throughput`.

use std::time::{Duration, Instant};

use obslab_model::Labels;
use obslab_scrape::exposition::{Entry, OpenMetricsParser, TextParser};
use obslab_scrape::target::{AppendError, Appender, ScrapeResult, ScrapeSettings, ScrapeState};

fn body(openmetrics: bool) -> String {
    let mut b = String::from("# HELP demo_requests_total Requests.\n# TYPE demo_requests_total counter\n");
    let name = "demo_requests_total";
    if openmetrics {
        b = b.replace("demo_requests_total", "demo_requests");
    }
    for i in 0..1000 {
        b.push_str(&format!(
            "{name}{{service=\"api\",method=\"GET\",route=\"/r/{i}\",code=\"200\",pod=\"p-{}\",zone=\"z\"}} {i}\n",
            i % 7
        ));
    }
    if openmetrics {
        b.push_str("# EOF\n");
    }
    b
}

struct Discard(u64);

impl Appender for Discard {
    fn append(&mut self, _: &Labels, _: i64, v: f64) -> Result<(), AppendError> {
        self.0 += v as u64;
        Ok(())
    }
    fn commit(&mut self) -> Result<(), AppendError> {
        Ok(())
    }
    fn rollback(&mut self) {}
}

fn report(what: &str, rounds: usize, d: Duration) {
    let per = d / rounds as u32;
    println!(
        "{what:<40} {:>8.1} µs per 1,000-series body, {:>6.0} ms per 1,000 bodies",
        per.as_secs_f64() * 1e6,
        per.as_secs_f64() * 1e6
    );
}

fn main() {
    let text = body(false);
    let om = body(true);
    let rounds = 1000;

    let start = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        n += TextParser::new(&text)
            .filter(|e| matches!(e, Ok(Entry::Sample(_))))
            .count();
    }
    report("text parse", rounds, start.elapsed());
    assert_eq!(n, 1000 * rounds);

    let start = Instant::now();
    for _ in 0..rounds {
        for e in OpenMetricsParser::new(&om) {
            assert!(e.is_ok());
        }
    }
    report("openmetrics parse (family rules on)", rounds, start.elapsed());

    let start = Instant::now();
    for _ in 0..rounds {
        for e in TextParser::new(&text) {
            if let Ok(Entry::Sample(s)) = e {
                std::hint::black_box(s.labels());
            }
        }
    }
    report("text parse + build every label set", rounds, start.elapsed());

    let target = Labels::from_pairs([("job", "demo"), ("instance", "127.0.0.1:8080")]);
    let mut st = ScrapeState::new(target, ScrapeSettings::default());
    let mut app = Discard(0);
    let start = Instant::now();
    for i in 0..rounds {
        let r = ScrapeResult::Body {
            body: text.as_bytes(),
            content_type: Some("text/plain; version=0.0.4"),
        };
        let rep = st.process(&mut app, r, i as i64 * 15_000, Duration::ZERO);
        assert!(rep.up);
    }
    report("scrape loop (cached labels, staleness)", rounds, start.elapsed());
}
