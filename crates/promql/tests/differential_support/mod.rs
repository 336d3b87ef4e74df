//! Shared pieces of the comparison against a real Prometheus: a deterministic data set written
//! as OpenMetrics, block creation with `promtool`, a Prometheus process on loopback, a minimal
//! HTTP client, and result normalisation so both engines' answers compare exactly.

#![allow(dead_code)]

use obslab_promql::{PointValue, QueryResult, QueryValue};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// First sample time of the data set (2024-01-01T00:00:00Z), in milliseconds.
pub const T0_MS: i64 = 1_704_067_200_000;
/// Scrape interval of the data set.
pub const STEP_MS: i64 = 15_000;

/// Small deterministic generator (xorshift64*), so every run writes the same data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Scrape jitter in eighths of a second: exact in binary, so the seconds-with-fraction
/// timestamps of OpenMetrics convert to the same milliseconds everywhere, and never on a whole
/// second, so no sample sits exactly on a range boundary of a query evaluated at whole seconds.
fn jitter_ms(rng: &mut Rng) -> i64 {
    125 * (1 + (rng.next() % 7) as i64)
}

fn ts(ms: i64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

fn fmt_labels(pairs: &[(&str, String)]) -> String {
    let inner: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{{{}}}", inner.join(","))
}

const TARGETS: [(&str, &str); 6] = [
    ("api", "10.0.0.1:9100"),
    ("api", "10.0.0.2:9100"),
    ("api", "10.0.0.3:9100"),
    ("web", "10.0.1.1:8080"),
    ("web", "10.0.1.2:8080"),
    ("web", "10.0.1.3:8080"),
];

const BUCKETS: [&str; 6] = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"];

/// The data set as an OpenMetrics text file: `samples` scrapes of counters with resets,
/// gauges (one with a gap), `up`, and a classic histogram, over six targets of two jobs.
pub fn openmetrics(samples: i64) -> String {
    let mut out = String::new();
    // Counters with resets.
    out.push_str("# TYPE http_requests counter\n");
    for (ti, (job, inst)) in TARGETS.iter().enumerate() {
        for (ci, code) in ["200", "500"].iter().enumerate() {
            let mut rng = Rng::new(100 + (ti * 2 + ci) as u64);
            let labels = fmt_labels(&[
                ("code", code.to_string()),
                ("instance", inst.to_string()),
                ("job", job.to_string()),
            ]);
            let mut v = rng.unit() * 1000.0;
            for i in 0..samples {
                let t = T0_MS + i * STEP_MS + jitter_ms(&mut rng);
                let rate = if ci == 0 { 20.0 } else { 1.5 };
                v += (rng.unit() * rate * 15.0 * 4.0).round() / 4.0;
                if i > 0 && rng.next().is_multiple_of(97) {
                    v = (rng.unit() * 10.0).round();
                }
                out.push_str(&format!("http_requests_total{labels} {v} {}\n", ts(t)));
            }
        }
    }
    // Gauges.
    out.push_str("# TYPE memory_usage_bytes gauge\n");
    for (ti, (job, inst)) in TARGETS.iter().enumerate() {
        let mut rng = Rng::new(200 + ti as u64);
        let labels = fmt_labels(&[("instance", inst.to_string()), ("job", job.to_string())]);
        let base = 1.0e8 * (1.0 + ti as f64);
        for i in 0..samples {
            let t = T0_MS + i * STEP_MS + jitter_ms(&mut rng);
            let v = (base + (i as f64 / 40.0).sin() * 2.0e7 + rng.unit() * 1.0e6).round();
            out.push_str(&format!("memory_usage_bytes{labels} {v} {}\n", ts(t)));
        }
    }
    out.push_str("# TYPE queue_depth gauge\n");
    for (ti, (job, inst)) in TARGETS.iter().enumerate() {
        let mut rng = Rng::new(300 + ti as u64);
        let labels = fmt_labels(&[("instance", inst.to_string()), ("job", job.to_string())]);
        for i in 0..samples {
            let t = T0_MS + i * STEP_MS + jitter_ms(&mut rng);
            let v = ((rng.unit() - 0.4) * 50.0 * 8.0).round() / 8.0;
            // The third target misses 40 scrapes (10 minutes), longer than the lookback.
            if ti == 2 && (300..340).contains(&i) {
                continue;
            }
            out.push_str(&format!("queue_depth{labels} {v} {}\n", ts(t)));
        }
    }
    out.push_str("# TYPE up gauge\n");
    for (ti, (job, inst)) in TARGETS.iter().enumerate() {
        let mut rng = Rng::new(400 + ti as u64);
        let labels = fmt_labels(&[("instance", inst.to_string()), ("job", job.to_string())]);
        for i in 0..samples {
            let t = T0_MS + i * STEP_MS + jitter_ms(&mut rng);
            let v = if rng.next().is_multiple_of(23) { 0 } else { 1 };
            out.push_str(&format!("up{labels} {v} {}\n", ts(t)));
        }
    }
    // A classic histogram: cumulative buckets, count and sum per scrape, with one reset.
    out.push_str("# TYPE request_duration_seconds histogram\n");
    for (ti, (job, inst)) in TARGETS.iter().enumerate() {
        let mut rng = Rng::new(500 + ti as u64);
        let mut counts = [0.0f64; 6];
        let mut sum = 0.0f64;
        for i in 0..samples {
            let t = T0_MS + i * STEP_MS + jitter_ms(&mut rng);
            if ti == 4 && i == samples / 2 {
                counts = [0.0; 6];
                sum = 0.0;
            }
            let n = 5 + rng.next() % 30;
            for _ in 0..n {
                let d = rng.unit().powi(2) * (0.6 + 0.2 * ti as f64);
                sum += (d * 1000.0).round() / 1000.0;
                for (b, le) in BUCKETS.iter().enumerate() {
                    let bound = if *le == "+Inf" {
                        f64::INFINITY
                    } else {
                        le.parse().unwrap_or(0.0)
                    };
                    if d <= bound {
                        counts[b] += 1.0;
                    }
                }
            }
            for (b, le) in BUCKETS.iter().enumerate() {
                let labels = fmt_labels(&[
                    ("instance", inst.to_string()),
                    ("job", job.to_string()),
                    ("le", le.to_string()),
                ]);
                out.push_str(&format!(
                    "request_duration_seconds_bucket{labels} {} {}\n",
                    counts[b],
                    ts(t)
                ));
            }
            let labels = fmt_labels(&[("instance", inst.to_string()), ("job", job.to_string())]);
            out.push_str(&format!(
                "request_duration_seconds_count{labels} {} {}\n",
                counts[5],
                ts(t)
            ));
            let sum = (sum * 1000.0).round() / 1000.0;
            out.push_str(&format!("request_duration_seconds_sum{labels} {sum} {}\n", ts(t)));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// Whether the Prometheus binaries are installed.
pub fn prometheus_available() -> bool {
    Path::new("/usr/bin/prometheus").exists() && Path::new("/usr/bin/promtool").exists()
}

/// Writes the data set and turns it into blocks under `dir/data` with `promtool`.
pub fn create_blocks(dir: &Path, samples: i64) -> PathBuf {
    let om = dir.join("data.om");
    std::fs::write(&om, openmetrics(samples)).unwrap();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let out = Command::new("/usr/bin/promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    data
}

/// Copies a directory tree (the blocks), so each store works on its own files.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A Prometheus process serving a data directory on a loopback port; killed on drop.
pub struct Prometheus {
    child: Child,
    pub port: u16,
}

impl Prometheus {
    /// Starts Prometheus on `data` with no scrape jobs and waits (at most 60 s) until ready.
    pub fn start(work: &Path, data: &Path) -> Prometheus {
        let cfg = work.join("prometheus.yml");
        std::fs::write(&cfg, "global:\n  scrape_interval: 15s\nscrape_configs: []\n").unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(work.join("prometheus.log")).unwrap();
        let child = Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=100y")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut p = Prometheus { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = http_get(port, "/-/ready") {
                return p;
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                let log = std::fs::read_to_string(work.join("prometheus.log")).unwrap_or_default();
                panic!("prometheus exited with {status}: {log}");
            }
            assert!(Instant::now() < deadline, "prometheus not ready within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Prometheus {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Peak resident memory (`VmHWM`) of a process in KiB, where `/proc` tells it.
pub fn peak_rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET over HTTP/1.0 (no chunked bodies, the server closes the connection): status and body.
pub fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n")?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// Percent-encodes a query parameter value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Seconds with millisecond precision, as the API takes them.
pub fn secs(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

/// A query to run on both engines: instant at `start` when `step` is 0, else a range query.
#[derive(Debug, Clone)]
pub struct Query {
    pub expr: String,
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Query {
    pub fn describe(&self) -> String {
        if self.step == 0 {
            format!("instant {} @ {}", self.expr, secs(self.start))
        } else {
            format!(
                "range {} [{}, {}] step {}s",
                self.expr,
                secs(self.start),
                secs(self.end),
                self.step / 1000
            )
        }
    }

    pub fn api_path(&self) -> String {
        let q = urlencode(&self.expr);
        if self.step == 0 {
            format!("/api/v1/query?query={q}&time={}", secs(self.start))
        } else {
            format!(
                "/api/v1/query_range?query={q}&start={}&end={}&step={}",
                secs(self.start),
                secs(self.end),
                secs(self.step)
            )
        }
    }

    /// The text obslab evaluates: `holt_winters` is the 2.x name of
    /// `double_exponential_smoothing`.
    pub fn obslab_expr(&self) -> String {
        self.expr
            .replace("holt_winters(", "double_exponential_smoothing(")
    }
}

/// A result in comparable form: series keyed by their label set.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Error(String),
    Scalar(i64, f64),
    String(i64, String),
    Vector(BTreeMap<String, (i64, f64)>),
    Matrix(BTreeMap<String, Vec<(i64, f64)>>),
}

fn label_key<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut v: Vec<_> = pairs.map(|(k, v)| format!("{k}={v:?}")).collect();
    v.sort();
    format!("{{{}}}", v.join(", "))
}

fn parse_value(v: &serde_json::Value) -> Option<(i64, f64)> {
    let a = v.as_array()?;
    let t = (a.first()?.as_f64()? * 1000.0).round() as i64;
    let s = a.get(1)?.as_str()?;
    let f = match s {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    Some((t, f))
}

fn json_labels(m: &serde_json::Value) -> String {
    let obj = m.as_object().cloned().unwrap_or_default();
    label_key(obj.iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap_or(""))))
}

/// Normalises a Prometheus API response body.
pub fn from_prometheus(body: &str) -> Answer {
    let v: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return Answer::Error(format!("unparsable response ({e}): {body}")),
    };
    if v["status"] != "success" {
        return Answer::Error(format!("{}: {}", v["errorType"], v["error"]));
    }
    let data = &v["data"];
    let result = &data["result"];
    let bad = || Answer::Error(format!("unexpected response: {body}"));
    match data["resultType"].as_str() {
        Some("scalar") => parse_value(result)
            .map(|(t, f)| Answer::Scalar(t, f))
            .unwrap_or_else(bad),
        Some("string") => {
            let t = (result[0].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
            Answer::String(t, result[1].as_str().unwrap_or("").to_string())
        }
        Some("vector") => {
            let mut out = BTreeMap::new();
            for s in result.as_array().into_iter().flatten() {
                let Some(p) = parse_value(&s["value"]) else {
                    return bad();
                };
                out.insert(json_labels(&s["metric"]), p);
            }
            Answer::Vector(out)
        }
        Some("matrix") => {
            let mut out = BTreeMap::new();
            for s in result.as_array().into_iter().flatten() {
                let mut pts = Vec::new();
                for p in s["values"].as_array().into_iter().flatten() {
                    let Some(p) = parse_value(p) else { return bad() };
                    pts.push(p);
                }
                out.insert(json_labels(&s["metric"]), pts);
            }
            Answer::Matrix(out)
        }
        _ => bad(),
    }
}

fn float_of(v: &PointValue) -> f64 {
    // The data set has no native histograms; a histogram here is a difference by itself.
    v.as_float().unwrap_or(f64::MIN_POSITIVE)
}

/// Normalises an obslab result.
pub fn from_obslab(r: Result<QueryResult, obslab_promql::QueryError>) -> Answer {
    let r = match r {
        Ok(r) => r,
        Err(e) => return Answer::Error(e.to_string()),
    };
    let key = |l: &obslab_model::Labels| label_key(l.iter().map(|l| (l.name.as_str(), l.value.as_str())));
    match r.value {
        QueryValue::Scalar { t, v } => Answer::Scalar(t, v),
        QueryValue::String { t, v } => Answer::String(t, v),
        QueryValue::Vector(v) => Answer::Vector(
            v.iter()
                .map(|s| (key(&s.labels), (s.t, float_of(&s.value))))
                .collect(),
        ),
        QueryValue::Matrix(m) => Answer::Matrix(
            m.iter()
                .map(|s| {
                    (
                        key(&s.labels),
                        s.points.iter().map(|(t, v)| (*t, float_of(v))).collect(),
                    )
                })
                .collect(),
        ),
    }
}

/// Equal within a relative 1e-6 (absolute near zero), or both NaN.
pub fn float_eq(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    let diff = (a - b).abs();
    diff <= 1e-6 * a.abs().max(b.abs()) || diff < 1e-12
}

/// Whether two answers agree: same type, same label sets, same timestamps, equal values.
/// Two errors agree whatever their messages.
pub fn agree(a: &Answer, b: &Answer) -> bool {
    match (a, b) {
        (Answer::Error(_), Answer::Error(_)) => true,
        (Answer::Scalar(t1, v1), Answer::Scalar(t2, v2)) => t1 == t2 && float_eq(*v1, *v2),
        (Answer::String(t1, v1), Answer::String(t2, v2)) => t1 == t2 && v1 == v2,
        (Answer::Vector(x), Answer::Vector(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, (t1, v1)), (k2, (t2, v2)))| k1 == k2 && t1 == t2 && float_eq(*v1, *v2))
        }
        (Answer::Matrix(x), Answer::Matrix(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((k1, p1), (k2, p2))| {
                    k1 == k2
                        && p1.len() == p2.len()
                        && p1
                            .iter()
                            .zip(p2)
                            .all(|((t1, v1), (t2, v2))| t1 == t2 && float_eq(*v1, *v2))
                })
        }
        _ => false,
    }
}

/// A short rendering of an answer for failure messages.
pub fn render(a: &Answer) -> String {
    let s = format!("{a:?}");
    if s.len() > 1500 {
        format!("{}... ({} chars)", &s[..1500], s.len())
    } else {
        s
    }
}

/// Expressions covering every function, aggregation and operator Prometheus 2.42 knows.
pub fn expressions() -> Vec<String> {
    let mut e: Vec<String> = Vec::new();
    let mut push = |s: String| e.push(s);
    let counters = [
        "http_requests_total",
        "http_requests_total{code=\"500\"}",
        "request_duration_seconds_count",
    ];
    for c in counters {
        for r in ["1m", "5m", "17m"] {
            for f in [
                "rate", "irate", "increase", "resets", "changes", "delta", "idelta", "deriv",
            ] {
                push(format!("{f}({c}[{r}])"));
            }
        }
    }
    let gauges = ["queue_depth", "memory_usage_bytes", "up"];
    for g in gauges {
        for f in [
            "avg_over_time",
            "min_over_time",
            "max_over_time",
            "sum_over_time",
            "count_over_time",
            "last_over_time",
            "present_over_time",
            "stddev_over_time",
            "stdvar_over_time",
            "absent_over_time",
            "changes",
            "resets",
            "delta",
            "idelta",
            "deriv",
        ] {
            push(format!("{f}({g}[10m])"));
        }
        push(format!("quantile_over_time(0.9, {g}[10m])"));
        push(format!("quantile_over_time(0, {g}[3m])"));
        push(format!("predict_linear({g}[15m], 600)"));
        push(format!("holt_winters({g}[10m], 0.3, 0.6)"));
    }
    push("absent_over_time(nonexistent_metric[5m])".into());
    push("absent_over_time(queue_depth{instance=\"10.0.0.3:9100\"}[2m])".into());
    push("quantile_over_time(1.5, queue_depth[5m])".into());
    push("quantile_over_time(-1, queue_depth[5m])".into());
    for f in [
        "abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "round", "sin", "cos", "tan",
        "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "deg", "rad",
    ] {
        push(format!("{f}(queue_depth / 20)"));
    }
    push("round(queue_depth / 7, 0.5)".into());
    push("clamp(queue_depth, -10, 30)".into());
    push("clamp(queue_depth, 30, -10)".into());
    push("clamp_min(queue_depth, 0)".into());
    push("clamp_max(queue_depth, 12.5)".into());
    push("-queue_depth".into());
    for f in [
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "hour",
        "minute",
        "month",
        "year",
    ] {
        push(format!("{f}()"));
        push(format!("{f}(timestamp(up))"));
        push(format!("{f}(up * 1706745600 + 86400 * 40)"));
    }
    push("time()".into());
    push("timestamp(queue_depth)".into());
    push("timestamp(queue_depth offset 3m)".into());
    push("pi()".into());
    push("vector(1)".into());
    push("vector(time())".into());
    push("scalar(sum(up))".into());
    push("scalar(up)".into());
    push("absent(nonexistent_metric{job=\"x\"})".into());
    push("absent(up{job=\"api\"})".into());
    push("absent(sum(nonexistent))".into());
    push("sort(queue_depth)".into());
    push("sort_desc(rate(http_requests_total[5m]))".into());
    push("label_replace(up, \"host\", \"$1\", \"instance\", \"(.*):.*\")".into());
    push("label_replace(up, \"job\", \"\", \"job\", \".*\")".into());
    push("label_join(up, \"target\", \"/\", \"job\", \"instance\")".into());
    push("histogram_count(request_duration_seconds_bucket)".into());
    push("histogram_sum(request_duration_seconds_bucket)".into());
    // Not compared: `histogram_fraction` over classic `le` buckets, which 2.42 ignores (it reads
    // only native histograms) and current Prometheus, like obslab, evaluates.
    for phi in ["0", "0.5", "0.9", "0.99", "1", "-0.5", "1.5"] {
        push(format!(
            "histogram_quantile({phi}, rate(request_duration_seconds_bucket[5m]))"
        ));
    }
    push("histogram_quantile(0.9, sum by (le, job) (rate(request_duration_seconds_bucket[5m])))".into());
    push("histogram_quantile(0.5, sum by (le) (increase(request_duration_seconds_bucket[10m])))".into());
    push("histogram_quantile(0.75, request_duration_seconds_bucket)".into());
    // Aggregations.
    let inner = "rate(http_requests_total[5m])";
    for op in ["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count"] {
        push(format!("{op}({inner})"));
        push(format!("{op} by (job) ({inner})"));
        push(format!("{op} without (instance) ({inner})"));
        push(format!("{op} by (job, code) (queue_depth)"));
    }
    for k in ["1", "2", "5"] {
        push(format!("topk({k}, {inner})"));
        push(format!("bottomk({k}, queue_depth)"));
        push(format!("topk by (job) ({k}, queue_depth)"));
        push(format!("bottomk without (instance) ({k}, {inner})"));
    }
    for q in ["0", "0.25", "0.75", "1", "2"] {
        push(format!("quantile({q}, queue_depth)"));
        push(format!("quantile by (job) ({q}, {inner})"));
    }
    push("count_values(\"value\", up)".into());
    push("count_values by (job) (\"v\", up)".into());
    push("count_values(\"q\", ceil(queue_depth / 10))".into());
    push("sum(up) by (job) / count(up) by (job)".into());
    // Binary operators.
    // 2.42 keeps the metric name on `atan2` (current Prometheus and obslab drop it, as for the
    // other arithmetic operators); a trailing `+ 0` drops it in both.
    push("(queue_depth atan2 3) + 0".into());
    for op in ["+", "-", "*", "/", "%", "^", "atan2"] {
        if op != "atan2" {
            push(format!("queue_depth {op} 3"));
        }
        push(format!("2 {op} queue_depth / 10"));
        push(format!(
            "rate(http_requests_total[5m]) {op} on (job, instance) group_left queue_depth"
        ));
    }
    for op in ["==", "!=", ">", "<", ">=", "<="] {
        push(format!("queue_depth {op} 5"));
        push(format!("queue_depth {op} bool 5"));
        push(format!("3 {op} bool 4"));
        push(format!("queue_depth {op} ignoring (job) queue_depth offset 1m"));
        push(format!("up {op} bool on (instance, job) (queue_depth > 0)"));
    }
    push("memory_usage_bytes / on (instance) group_left (job) up".into());
    push(
        "up * on (job, instance) group_right sum by (job, instance, code) (rate(http_requests_total[5m]))"
            .into(),
    );
    push("http_requests_total / ignoring (code) group_left memory_usage_bytes".into());
    push("queue_depth > 0 and up == 1".into());
    push("queue_depth > 0 or up".into());
    push("queue_depth unless on (job) up == 0".into());
    push("(queue_depth > 10) or on (instance) vector(1)".into());
    push("queue_depth and on () vector(1)".into());
    push("1 + 2 * 3 ^ 2 ^ 0.5 % 4".into());
    push("-2 ^ 2".into());
    push("\"a string\"".into());
    push("42".into());
    // Offset, @ and subqueries.
    push("rate(http_requests_total[5m] offset 10m)".into());
    push("queue_depth offset 1h".into());
    push("queue_depth @ 1704070800".into());
    push("rate(http_requests_total[5m] @ 1704072000)".into());
    push("queue_depth @ start()".into());
    push("queue_depth @ end()".into());
    push("sum_over_time(queue_depth[5m] @ end() offset 2m)".into());
    push("max_over_time(rate(http_requests_total[5m])[30m:1m])".into());
    push("avg_over_time(queue_depth[20m:])".into());
    push("min_over_time(sum by (job) (queue_depth)[17m:2m] offset 3m)".into());
    push("rate(sum(http_requests_total)[10m:30s])".into());
    push("max_over_time(deriv(queue_depth[5m])[1h:5m] @ start())".into());
    push("queue_depth[1m]".into());
    push("rate(http_requests_total[5m])[10m:2m]".into());
    push("{__name__=~\"memory.*|queue.*\", job=\"web\"}".into());
    push("up{job!=\"api\", instance=~\".*:8080\"}".into());
    push("count({__name__=~\".+\"}) by (__name__)".into());
    e
}

/// Query times: instants inside, near the end of and just after the data, and two ranges. None
/// is a whole multiple of a subquery step or range: 2.42's ranges include their left boundary,
/// current Prometheus's (and obslab's) exclude it, so a sample or subquery point exactly on the
/// boundary would differ by design. Samples sit on eighths of a second, never whole seconds.
pub fn queries(exprs: &[String], samples: i64) -> Vec<Query> {
    let end = T0_MS + samples * STEP_MS;
    let mut out = Vec::new();
    for (i, e) in exprs.iter().enumerate() {
        // Instants rotate over three times so each expression is checked once as an instant.
        let instants = [
            T0_MS + 47 * 60_000 + 13_000,
            end - 3_600_000 + 29_000,
            end + 3 * 60_000 + 11_000,
        ];
        let t = instants[i % instants.len()];
        out.push(Query {
            expr: e.clone(),
            start: t,
            end: t,
            step: 0,
        });
        // Range queries alternate between a fine and a coarse odd step.
        let (start, stop, step) = if i % 2 == 0 {
            (T0_MS + 20 * 60_000 + 7_000, end - 5 * 60_000, 60_000)
        } else {
            (T0_MS + 60 * 60_000 + 300, end + 4 * 60_000, 311_000)
        };
        out.push(Query {
            expr: e.clone(),
            start,
            end: stop,
            step,
        });
    }
    out
}

/// Where two answers first differ, to make a failure readable.
pub fn first_difference(a: &Answer, b: &Answer) -> String {
    match (a, b) {
        (Answer::Vector(x), Answer::Vector(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) if p.0 == q.0 && float_eq(p.1, q.1) => {}
                    (p, q) => return format!("series {k}: {p:?} vs {q:?}"),
                }
            }
            String::new()
        }
        (Answer::Matrix(x), Answer::Matrix(y)) => {
            for k in x.keys().chain(y.keys()) {
                let (Some(p), Some(q)) = (x.get(k), y.get(k)) else {
                    return format!("series {k} only in one answer");
                };
                for i in 0..p.len().max(q.len()) {
                    match (p.get(i), q.get(i)) {
                        (Some(u), Some(v)) if u.0 == v.0 && float_eq(u.1, v.1) => {}
                        (u, v) => return format!("series {k}, point {i}: {u:?} vs {v:?}"),
                    }
                }
            }
            String::new()
        }
        _ => String::new(),
    }
}
