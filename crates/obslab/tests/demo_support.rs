//! Shared helpers of the demo service tests: starting `obslab demo run <service>` as a real process
//! on an ephemeral port, talking to it, reading its JSON logs, and checking Prometheus text.
//! Included by each `demo_*.rs` test file with `#[path = "demo_support.rs"] mod support;`.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use obslab_testkit::http::{self, Request, Response};
use obslab_testkit::{ChildGuard, free_port, port_open, wait_until};
use serde_json::{Value, json};

/// How long a service may take to bind its port.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A temporary folder holding the shared SQLite file of one test.
pub struct Db {
    pub dir: tempfile::TempDir,
}

impl Default for Db {
    fn default() -> Self {
        Self::new()
    }
}

impl Db {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("shop.db")
    }
}

/// Options of one service process.
#[derive(Clone, Default)]
pub struct Opts {
    pub port: Option<u16>,
    pub db: Option<PathBuf>,
    /// `None` passes `--otlp-endpoint none`.
    pub otlp: Option<String>,
    pub chaos: Option<String>,
    pub extra: Vec<String>,
}

impl Opts {
    pub fn db(db: &Db) -> Self {
        Self {
            db: Some(db.path()),
            ..Self::default()
        }
    }

    pub fn otlp(mut self, endpoint: impl Into<String>) -> Self {
        self.otlp = Some(endpoint.into());
        self
    }

    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    pub fn chaos(mut self, chaos: &Value) -> Self {
        self.chaos = Some(chaos.to_string());
        self
    }

    pub fn arg(mut self, flag: &str, value: &str) -> Self {
        self.extra.push(flag.to_string());
        self.extra.push(value.to_string());
        self
    }
}

/// A running demo service process; killed when dropped.
pub struct Svc {
    pub name: &'static str,
    pub port: u16,
    pub guard: ChildGuard,
    lines: Arc<Mutex<Vec<String>>>,
    /// Removed after the process (declared after `guard`, so dropped after the kill).
    _own_db: Option<Db>,
}

impl Svc {
    /// Starts `obslab demo run <name>` and waits for its port to open.
    pub fn start(name: &'static str, opts: &Opts) -> Svc {
        let svc = Self::spawn(name, opts);
        svc.wait_ready();
        svc
    }

    /// Starts the process without waiting for it.
    pub fn spawn(name: &'static str, opts: &Opts) -> Svc {
        let port = opts.port.unwrap_or_else(free_port);
        // Services without a shared database still get one of their own, never the default path.
        let own_db = opts.db.is_none().then(Db::new);
        let db = opts.db.clone().or_else(|| own_db.as_ref().map(Db::path)).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_obslab"));
        cmd.args(["demo", "run", name, "--port", &port.to_string()])
            .arg("--db")
            .arg(&db)
            .args(["--otlp-endpoint", opts.otlp.as_deref().unwrap_or("none")]);
        if let Some(chaos) = &opts.chaos {
            cmd.args(["--chaos", chaos]);
        }
        cmd.args(&opts.extra);
        cmd.stdout(Stdio::piped()).stderr(Stdio::inherit());
        let mut guard = ChildGuard::spawn_cmd(&mut cmd).unwrap();
        let stdout = guard.child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        Svc {
            name,
            port,
            guard,
            lines,
            _own_db: own_db,
        }
    }

    /// Waits for the port to open; panics with the process's output if it exits or never binds.
    pub fn wait_ready(&self) {
        let mut exited = None;
        let ok = wait_until(START_TIMEOUT, || {
            if port_open(self.port) {
                return true;
            }
            // try_wait needs &mut; a plain kill(pid, 0) tells whether it still runs.
            if !process_alive(self.guard.pid()) {
                exited = Some(());
                return true;
            }
            false
        });
        assert!(
            ok && exited.is_none() && port_open(self.port),
            "{} did not start on port {} (exited: {}); stdout:\n{}",
            self.name,
            self.port,
            exited.is_some(),
            self.stdout().join("\n")
        );
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every stdout line so far.
    pub fn stdout(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every stdout line that parses as JSON.
    pub fn json_logs(&self) -> Vec<Value> {
        self.stdout()
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Waits until a log line satisfies `pred`; returns it.
    pub fn wait_log(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        self.wait_log_since(0, timeout, pred)
    }

    /// The number of stdout lines so far, to look only at later ones with [`Self::wait_log_since`].
    pub fn log_mark(&self) -> usize {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Waits until a JSON log line after the first `mark` lines satisfies `pred`; returns it.
    pub fn wait_log_since(
        &self,
        mark: usize,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let mut found = None;
        wait_until(timeout, || {
            found = self
                .stdout()
                .iter()
                .skip(mark)
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|v| pred(v));
            found.is_some()
        });
        found
    }

    pub fn get(&self, path: &str) -> Response {
        http::get(self.port, path).unwrap_or_else(|e| panic!("GET {}{path}: {e:#}", self.name))
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        http::post_json(self.port, path, body).unwrap_or_else(|e| panic!("POST {}{path}: {e:#}", self.name))
    }

    pub fn post_raw(&self, path: &str, body: &[u8]) -> Response {
        Request::new("POST", self.port, path)
            .body(body.to_vec())
            .send()
            .unwrap_or_else(|e| panic!("POST {}{path}: {e:#}", self.name))
    }

    pub fn put(&self, path: &str, body: &Value) -> Response {
        http::put_json(self.port, path, body).unwrap_or_else(|e| panic!("PUT {}{path}: {e:#}", self.name))
    }

    pub fn put_raw(&self, path: &str, body: &[u8]) -> Response {
        Request::new("PUT", self.port, path)
            .body(body.to_vec())
            .send()
            .unwrap_or_else(|e| panic!("PUT {}{path}: {e:#}", self.name))
    }

    pub fn delete(&self, path: &str) -> Response {
        http::delete(self.port, path).unwrap_or_else(|e| panic!("DELETE {}{path}: {e:#}", self.name))
    }

    pub fn req(&self, method: &str, path: &str) -> Request {
        Request::new(method, self.port, path)
    }

    /// GET /metrics, checked as strict Prometheus text; returns the parsed exposition.
    pub fn metrics(&self) -> Exposition {
        let r = self.get("/metrics");
        assert_eq!(r.status, 200, "{} /metrics: {}", self.name, r.text());
        let ct = r.header("content-type").unwrap_or_default().to_string();
        assert!(
            ct.starts_with("text/plain") && ct.contains("version=0.0.4"),
            "{} /metrics content-type {ct:?} is not Prometheus text 0.0.4",
            self.name
        );
        parse_exposition(&r.text()).unwrap_or_else(|e| panic!("{} /metrics is not valid: {e}", self.name))
    }

    /// GET /chaos as JSON.
    pub fn chaos(&self) -> Value {
        let r = self.get("/chaos");
        assert_eq!(r.status, 200, "{} GET /chaos: {}", self.name, r.text());
        r.json()
    }

    /// POSTs a chaos fault and asserts it was accepted.
    pub fn set_chaos(&self, kind: &str, body: &Value) -> Value {
        let r = self.post(&format!("/chaos/{kind}"), body);
        assert_eq!(
            r.status,
            200,
            "{} POST /chaos/{kind} {body}: {}",
            self.name,
            r.text()
        );
        r.json()
    }

    pub fn assert_healthy(&self) {
        let r = self.get("/health");
        assert_eq!(
            r.status,
            200,
            "{} /health after the test: {}",
            self.name,
            r.text()
        );
        assert_eq!(r.json()["status"], "ok");
    }

    pub fn alive(&self) -> bool {
        process_alive(self.guard.pid())
    }
}

/// True while the process exists and is not a zombie.
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state follows the parenthesised command name.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            !matches!(state, Some('Z') | Some('X') | None)
        }
        Err(_) => false,
    }
}

/// The whole shop on one shared database: payment, inventory, api (wired to both), and optionally
/// worker and gateway.
pub struct Shop {
    pub db: Db,
    pub payment: Svc,
    pub inventory: Svc,
    pub api: Svc,
    pub worker: Option<Svc>,
    pub gateway: Option<Svc>,
}

impl Shop {
    pub fn start(otlp: Option<String>, worker: bool, gateway: bool) -> Shop {
        let db = Db::new();
        let base = Opts {
            otlp,
            ..Opts::db(&db)
        };
        // api first, alone on the fresh file, so that schema creation never races.
        let api_port = free_port();
        let payment = Svc::spawn("payment", &base);
        let inventory_port = free_port();
        let api = Svc::start(
            "api",
            &base
                .clone()
                .port(api_port)
                .arg("--payment-url", &payment.url())
                .arg("--inventory-url", &format!("http://127.0.0.1:{inventory_port}")),
        );
        let inventory = Svc::spawn("inventory", &base.clone().port(inventory_port));
        let worker = worker.then(|| Svc::spawn("worker", &base));
        let gateway = gateway.then(|| Svc::spawn("gateway", &base.clone().arg("--api-url", &api.url())));
        payment.wait_ready();
        inventory.wait_ready();
        if let Some(w) = &worker {
            w.wait_ready();
        }
        if let Some(g) = &gateway {
            g.wait_ready();
        }
        Shop {
            db,
            payment,
            inventory,
            api,
            worker,
            gateway,
        }
    }

    pub fn gateway(&self) -> &Svc {
        self.gateway.as_ref().unwrap()
    }

    pub fn worker(&self) -> &Svc {
        self.worker.as_ref().unwrap()
    }
}

/// The list in a response that is either a JSON array or an object holding one under `key`.
pub fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v.as_array()
        .or_else(|| v.get(key).and_then(Value::as_array))
        .unwrap_or_else(|| panic!("expected a list (or {{\"{key}\": [...]}}), got {v}"))
}

/// Ids of the seeded products (from GET /api/products).
pub fn product_ids(api: &Svc) -> Vec<i64> {
    let r = api.get("/api/products");
    assert_eq!(r.status, 200, "GET /api/products: {}", r.text());
    let v = r.json();
    let ids: Vec<i64> = list(&v, "products")
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .collect();
    assert!(!ids.is_empty(), "no products seeded: {v}");
    ids
}

/// A valid order body for one unit of `product_id`.
pub fn order(product_id: i64, quantity: i64) -> Value {
    json!({"customer_id": 1, "items": [{"product_id": product_id, "quantity": quantity}], "payment_method": "card"})
}

/// Runs `f(i)` for `n` values of i over `threads` threads; returns the results in order.
pub fn parallel<T: Send + 'static>(
    n: usize,
    threads: usize,
    f: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let f = Arc::new(f);
    let results = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let f = f.clone();
            let results = results.clone();
            std::thread::spawn(move || {
                let mut i = t;
                while i < n {
                    let r = f(i);
                    results.lock().unwrap().push((i, r));
                    i += threads;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Counts of each status code.
pub fn status_mix(statuses: &[u16]) -> BTreeMap<u16, usize> {
    let mut m = BTreeMap::new();
    for s in statuses {
        *m.entry(*s).or_insert(0) += 1;
    }
    m
}

// ---------------------------------------------------------------------------------------------
// A strict checker for the Prometheus text exposition format 0.0.4.

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed, validated exposition.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Family name to its TYPE.
    pub types: HashMap<String, String>,
    pub helps: HashMap<String, String>,
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// Samples named exactly `name`.
    pub fn series(&self, name: &str) -> Vec<&Sample> {
        self.samples.iter().filter(|s| s.name == name).collect()
    }

    /// Samples named `name` whose labels include all of `labels`.
    pub fn find(&self, name: &str, labels: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect()
    }

    /// Sum of the values of the samples `find` returns.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(name, labels).iter().map(|s| s.value).sum()
    }

    /// Asserts a family of the given type exists with at least one sample carrying all `label_names`.
    pub fn assert_family(&self, family: &str, typ: &str, label_names: &[&str]) {
        assert_eq!(
            self.types.get(family).map(String::as_str),
            Some(typ),
            "family {family} should be declared `# TYPE {family} {typ}`; declared types: {:?}",
            self.types
        );
        assert!(
            self.helps.contains_key(family),
            "family {family} has no HELP line"
        );
        let sample_name = if typ == "histogram" {
            format!("{family}_bucket")
        } else {
            family.to_string()
        };
        let ok = self
            .series(&sample_name)
            .iter()
            .any(|s| label_names.iter().all(|l| s.labels.contains_key(*l)));
        assert!(
            ok,
            "no {sample_name} sample with labels {label_names:?}; samples: {:?}",
            self.series(&sample_name)
        );
    }
}

fn valid_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn valid_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses a float as the text format allows: Go float syntax plus +Inf, -Inf, NaN.
fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" | "Inf" => return Ok(f64::INFINITY),
        "-Inf" => return Ok(f64::NEG_INFINITY),
        "NaN" => return Ok(f64::NAN),
        _ => {}
    }
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !ok_chars || s.is_empty() {
        return Err(format!("bad value {s:?}"));
    }
    s.parse::<f64>().map_err(|e| format!("bad value {s:?}: {e}"))
}

/// Parses `{a="b",c="d"}` starting at `{`; returns the labels and the rest of the line.
fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let bytes = s.as_bytes();
    let mut i = 1; // after '{'
    loop {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if i >= bytes.len() {
            return Err("unterminated label set".into());
        }
        if bytes[i] == b'}' {
            return Ok((labels, &s[i + 1..]));
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b' ' {
            i += 1;
        }
        let name = &s[start..i];
        if !valid_label_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        if name.starts_with("__") {
            return Err(format!("reserved label name {name:?}"));
        }
        if i >= bytes.len() || bytes[i] != b'=' {
            return Err(format!("expected '=' after label {name:?}"));
        }
        i += 1;
        if i >= bytes.len() || bytes[i] != b'"' {
            return Err(format!("label {name:?} value is not quoted"));
        }
        i += 1;
        let mut value = String::new();
        loop {
            let Some(&c) = bytes.get(i) else {
                return Err(format!("unterminated value of label {name:?}"));
            };
            match c {
                b'"' => {
                    i += 1;
                    break;
                }
                b'\\' => {
                    match bytes.get(i + 1) {
                        Some(b'\\') => value.push('\\'),
                        Some(b'"') => value.push('"'),
                        Some(b'n') => value.push('\n'),
                        other => return Err(format!("bad escape {other:?} in label {name:?}")),
                    }
                    i += 2;
                }
                b'\n' => return Err("newline inside a label value".into()),
                _ => {
                    // Multi-byte UTF-8 characters are copied whole.
                    let ch_len = utf8_len(c);
                    value.push_str(std::str::from_utf8(&bytes[i..i + ch_len]).map_err(|e| e.to_string())?);
                    i += ch_len;
                }
            }
        }
        if labels.insert(name.to_string(), value).is_some() {
            return Err(format!("duplicate label {name:?}"));
        }
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => {}
            other => {
                return Err(format!(
                    "expected ',' or '}}' after label {name:?}, got {other:?}"
                ));
            }
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The family a sample belongs to, given the declared types.
fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    for suffix in ["_bucket", "_sum", "_count", "_created"] {
        if let Some(base) = name.strip_suffix(suffix) {
            match types.get(base).map(String::as_str) {
                Some("histogram") => return Some(base),
                Some("summary") if suffix != "_bucket" => return Some(base),
                _ => {}
            }
        }
    }
    None
}

/// Parses and validates Prometheus text format 0.0.4: HELP/TYPE lines well formed and at most
/// once per family before its samples, every sample in a declared family, families contiguous, no
/// duplicate series, valid names, labels and values, histograms with ordered cumulative buckets
/// ending in `+Inf` equal to `_count`.
pub fn parse_exposition(text: &str) -> Result<Exposition, String> {
    let mut exp = Exposition::default();
    let mut seen_series = std::collections::HashSet::new();
    let mut finished_families = std::collections::HashSet::new();
    let mut current_family: Option<String> = None;
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("exposition does not end with a newline".into());
    }
    for (n, line) in text.lines().enumerate() {
        let ctx = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        let mut switch_family = |fam: &str, exp_cur: &mut Option<String>| -> Result<(), String> {
            if exp_cur.as_deref() != Some(fam) {
                if let Some(prev) = exp_cur.take() {
                    finished_families.insert(prev);
                }
                if finished_families.contains(fam) {
                    return Err(format!("family {fam} is not contiguous"));
                }
                *exp_cur = Some(fam.to_string());
            }
            Ok(())
        };
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("HELP ") {
                let (name, help) = r.split_once(' ').unwrap_or((r, ""));
                if !valid_metric_name(name) {
                    return Err(ctx(format!("bad metric name {name:?} in HELP")));
                }
                switch_family(name, &mut current_family).map_err(ctx)?;
                if exp.helps.insert(name.to_string(), help.to_string()).is_some() {
                    return Err(ctx(format!("second HELP for {name}")));
                }
            } else if let Some(r) = rest.strip_prefix("TYPE ") {
                let mut parts = r.split(' ');
                let (Some(name), Some(typ), None) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(ctx("TYPE needs a name and a type".into()));
                };
                if !valid_metric_name(name) {
                    return Err(ctx(format!("bad metric name {name:?} in TYPE")));
                }
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&typ) {
                    return Err(ctx(format!("unknown type {typ:?}")));
                }
                switch_family(name, &mut current_family).map_err(ctx)?;
                if exp
                    .samples
                    .iter()
                    .any(|s| family_of(&s.name, &exp.types) == Some(name) || s.name == name)
                {
                    return Err(ctx(format!("TYPE for {name} after its samples")));
                }
                if exp.types.insert(name.to_string(), typ.to_string()).is_some() {
                    return Err(ctx(format!("second TYPE for {name}")));
                }
            }
            // Other comments are allowed and ignored.
            continue;
        }
        let name_end = line
            .find(['{', ' '])
            .ok_or_else(|| ctx("sample without a value".into()))?;
        let name = &line[..name_end];
        if !valid_metric_name(name) {
            return Err(ctx(format!("bad metric name {name:?}")));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).map_err(ctx)?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let mut fields = rest.split_whitespace();
        let value = parse_value(fields.next().ok_or_else(|| ctx("no value".into()))?).map_err(ctx)?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>()
                .map_err(|e| ctx(format!("bad timestamp {ts:?}: {e}")))?;
        }
        if fields.next().is_some() {
            return Err(ctx("trailing text after the timestamp".into()));
        }
        let family = family_of(name, &exp.types)
            .ok_or_else(|| ctx(format!("sample {name} belongs to no family declared with # TYPE")))?
            .to_string();
        switch_family(&family, &mut current_family).map_err(ctx)?;
        let typ = exp.types[&family].as_str();
        if typ == "counter" && (value.is_nan() || value < 0.0) {
            return Err(ctx(format!("counter {name} has value {value}")));
        }
        if typ == "histogram" && name.ends_with("_bucket") && !labels.contains_key("le") {
            return Err(ctx("histogram bucket without le".into()));
        }
        let key = format!("{name}{labels:?}");
        if !seen_series.insert(key) {
            return Err(ctx(format!("duplicate series {name}{labels:?}")));
        }
        exp.samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    check_histograms(&exp)?;
    Ok(exp)
}

/// Buckets ordered by `le`, cumulative, the last `+Inf` and equal to `_count`.
fn check_histograms(exp: &Exposition) -> Result<(), String> {
    for (family, typ) in &exp.types {
        if typ != "histogram" {
            continue;
        }
        let mut groups: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for s in exp.series(&format!("{family}_bucket")) {
            let mut rest = s.labels.clone();
            let le = rest.remove("le").unwrap_or_default();
            let le = parse_value(&le).map_err(|e| format!("{family}: bad le: {e}"))?;
            groups.entry(format!("{rest:?}")).or_default().push((le, s.value));
        }
        for (labels, buckets) in groups {
            let mut sorted = buckets.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            if sorted != buckets {
                return Err(format!("{family}{labels}: buckets not in increasing le order"));
            }
            if buckets.windows(2).any(|w| w[1].1 < w[0].1) {
                return Err(format!("{family}{labels}: bucket counts are not cumulative"));
            }
            let Some(last) = buckets.last().filter(|b| b.0 == f64::INFINITY) else {
                return Err(format!("{family}{labels}: no +Inf bucket"));
            };
            let count = exp
                .series(&format!("{family}_count"))
                .into_iter()
                .find(|s| format!("{:?}", s.labels) == labels)
                .ok_or_else(|| format!("{family}{labels}: no _count"))?;
            if count.value != last.1 {
                return Err(format!(
                    "{family}{labels}: +Inf bucket {} != _count {}",
                    last.1, count.value
                ));
            }
            if !exp
                .series(&format!("{family}_sum"))
                .iter()
                .any(|s| format!("{:?}", s.labels) == labels)
            {
                return Err(format!("{family}{labels}: no _sum"));
            }
        }
    }
    Ok(())
}

/// True for 32 (trace) or 16 (span) lowercase hex digits, not all zero.
pub fn is_hex_id(v: &Value, len: usize) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == len
            && s.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            && s.chars().any(|c| c != '0')
    })
}

/// A W3C traceparent header with fresh random-looking ids; returns (header, trace_id, span_id).
pub fn traceparent(seed: u64) -> (String, String, String) {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let trace_id = format!(
        "{:016x}{:016x}",
        t ^ 0x5bd1_e995_0000_0001,
        seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
    );
    let span_id = format!("{:016x}", (t.rotate_left(17) ^ seed) | 1);
    (format!("00-{trace_id}-{span_id}-01"), trace_id, span_id)
}

/// Reads `process_resident_memory_bytes` from /metrics.
pub fn rss(svc: &Svc) -> f64 {
    svc.metrics()
        .series("process_resident_memory_bytes")
        .first()
        .map(|s| s.value)
        .expect("process_resident_memory_bytes")
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}
