//! Executes parsed scripts against the engine with the upstream harness's extra checks: each
//! instant query is re-run with `@` at other times and as a range query around its time.

use super::compare::{check_annotations, compare_instant, compare_matrix};
use super::nhcb::convert_nhcb;
use super::parser::{Command, Eval, EvalKind, Load, SeqValue, parse_script};
use crate::engine::{Engine, EngineOptions, parse_query};
use crate::memstore::MemStorage;
use crate::value::{PointValue, QueryResult, QueryValue, Sample};
use obslab_model::sample::stale_nan;
use obslab_model::{CounterResetHint, SampleValue};
use promql_parser::parser::{AtModifier, Expr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The outcome of one `eval` statement.
#[derive(Debug, Clone)]
pub struct StatementResult {
    pub line: usize,
    pub expr: String,
    /// `None` when it passed, otherwise why it failed.
    pub failure: Option<String>,
}

/// The outcome of one script file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub statements: Vec<StatementResult>,
    /// Commands other than `eval` that could not be parsed (their data is missing).
    pub errors: Vec<String>,
}

impl FileReport {
    pub fn passed(&self) -> usize {
        self.statements.iter().filter(|s| s.failure.is_none()).count()
    }

    pub fn failed(&self) -> usize {
        self.statements.len() - self.passed()
    }
}

/// Engine settings the upstream scripts assume.
pub fn test_engine() -> Engine {
    Engine::new(EngineOptions {
        lookback_delta: Duration::from_secs(300),
        max_samples: 10_000,
        timeout: Duration::from_secs(100),
        max_points_per_series: 11_000,
        no_step_subquery_interval: Duration::from_secs(60),
    })
}

/// Runs one script file.
pub fn run_file(path: &std::path::Path, _verbose: bool) -> FileReport {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    match std::fs::read_to_string(path) {
        Ok(text) => run_script(&file, &text),
        Err(e) => FileReport {
            file,
            statements: vec![StatementResult {
                line: 0,
                expr: String::new(),
                failure: Some(format!("cannot read file: {e}")),
            }],
            errors: Vec::new(),
        },
    }
}

/// Runs a script given as text.
pub fn run_script(file: &str, text: &str) -> FileReport {
    let engine = test_engine();
    let store = MemStorage::new();
    let mut statements = Vec::new();
    let mut errors = Vec::new();
    for cmd in parse_script(text) {
        match cmd {
            Command::Clear => store.clear(),
            Command::Load(l) => load(&store, &l),
            Command::Invalid { line, is_eval, msg } => {
                if is_eval {
                    statements.push(StatementResult {
                        line,
                        expr: String::new(),
                        failure: Some(msg),
                    });
                } else {
                    errors.push(format!("line {line}: {msg}"));
                }
            }
            Command::Eval(ev) => {
                let failure =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_eval(&engine, &store, &ev)))
                        .unwrap_or_else(|_| Err("panic while evaluating".into()))
                        .err();
                statements.push(StatementResult {
                    line: ev.line,
                    expr: ev.expr.clone(),
                    failure,
                });
            }
        }
    }
    FileReport {
        file: file.to_string(),
        statements,
        errors,
    }
}

/// Sets counter-reset hints the way the TSDB does when it stores histograms of a counter: after
/// the first sample, each one is marked as a reset or not, unless it was given a hint.
fn tsdb_hints(values: &[SeqValue]) -> Vec<SeqValue> {
    let mut out = values.to_vec();
    let mut prev: Option<obslab_model::FloatHistogram> = None;
    for v in out.iter_mut() {
        match v {
            SeqValue::Histogram(h) => {
                if h.counter_reset_hint == CounterResetHint::Unknown
                    && let Some(p) = &prev
                    && p.counter_reset_hint != CounterResetHint::Gauge
                    && !h.detect_reset(p)
                {
                    h.counter_reset_hint = CounterResetHint::NotCounterReset;
                }
                prev = Some(h.clone());
            }
            SeqValue::Float(_) | SeqValue::Stale => prev = None,
            SeqValue::Omitted => {}
        }
    }
    out
}

fn load(store: &MemStorage, l: &Load) {
    for s in &l.series {
        let values = tsdb_hints(&s.values);
        for (i, v) in values.iter().enumerate() {
            let t = l.step_ms * i as i64;
            match v {
                SeqValue::Omitted => {}
                SeqValue::Float(f) => store.append_float(&s.labels, t, *f),
                SeqValue::Stale => store.append_float(&s.labels, t, stale_nan()),
                SeqValue::Histogram(h) => {
                    store.append(&s.labels, t, SampleValue::Histogram(Arc::new(h.clone())))
                }
            }
        }
    }
    if l.with_nhcb {
        for (labels, samples) in convert_nhcb(l) {
            for (t, h) in samples {
                store.append_histogram(&labels, t, h);
            }
        }
    }
}

const AT_UNSAFE: &[&str] = &[
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "time",
    "timestamp",
];

fn ms_to_time(ms: i64) -> SystemTime {
    if ms >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64)
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

/// Sets `@ t` on every selector and subquery without one (not inside an `@` subquery); returns
/// false when the expression uses a function whose result depends on the evaluation time.
fn add_at(e: &mut Expr, t: SystemTime) -> bool {
    match e {
        Expr::VectorSelector(vs) => {
            if vs.at.is_none() {
                vs.at = Some(AtModifier::At(t));
            }
            true
        }
        Expr::MatrixSelector(ms) => {
            if ms.vs.at.is_none() {
                ms.vs.at = Some(AtModifier::At(t));
            }
            true
        }
        Expr::Subquery(sq) => {
            if sq.at.is_none() {
                sq.at = Some(AtModifier::At(t));
            }
            safe_calls(&sq.expr)
        }
        Expr::Aggregate(a) => {
            let mut ok = add_at(&mut a.expr, t);
            if let Some(p) = a.param.as_mut() {
                ok &= add_at(p, t);
            }
            ok
        }
        Expr::Unary(u) => add_at(&mut u.expr, t),
        Expr::Binary(b) => add_at(&mut b.lhs, t) & add_at(&mut b.rhs, t),
        Expr::Paren(p) => add_at(&mut p.expr, t),
        Expr::Call(c) => {
            let mut ok = !AT_UNSAFE.contains(&c.func.name)
                && !matches!(c.func.name, "start" | "end" | "range" | "step");
            for a in c.args.args.iter_mut() {
                ok &= add_at(a, t);
            }
            ok
        }
        _ => true,
    }
}

fn safe_calls(e: &Expr) -> bool {
    let mut x = e.clone();
    add_at_probe(&mut x)
}

fn add_at_probe(e: &mut Expr) -> bool {
    add_at(e, SystemTime::UNIX_EPOCH)
}

fn run_eval(engine: &Engine, store: &MemStorage, ev: &Eval) -> Result<(), String> {
    match ev.kind {
        EvalKind::Range {
            start_ms,
            end_ms,
            step_ms,
        } => {
            let res = engine.range_query(store, &ev.expr, start_ms, end_ms, step_ms);
            let res = match check_fail(ev, res)? {
                Some(r) => r,
                None => return Ok(()),
            };
            check_annotations(ev, &res)?;
            match &res.value {
                QueryValue::Matrix(m) => compare_matrix(ev, m, start_ms, step_ms),
                other => Err(format!("expected matrix, got {}", other.result_type())),
            }
        }
        EvalKind::Instant { at_ms } => {
            let parsed = parse_query(&ev.expr, 0, 0);
            let mut variants: Vec<(Option<Expr>, i64)> = vec![(None, at_ms)];
            if let Ok(e) = &parsed {
                let mut x = e.clone();
                if add_at(&mut x, ms_to_time(at_ms)) {
                    let times: Vec<i64> = if at_ms == 0 {
                        vec![-1000, 0, 1000]
                    } else {
                        vec![-10 * at_ms, 0, at_ms / 5, at_ms, 10 * at_ms]
                    };
                    for t in times {
                        variants.push((Some(x.clone()), t));
                    }
                }
            }
            for (expr, t) in variants {
                let text = expr
                    .as_ref()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| ev.expr.clone());
                let res = engine.instant_query(store, &text, t);
                let res = match check_fail(ev, res) {
                    Ok(Some(r)) => r,
                    Ok(None) => continue,
                    Err(e) => {
                        return Err(if expr.is_some() {
                            format!("{e} (with @ at {t}ms: {text})")
                        } else {
                            e
                        });
                    }
                };
                let suffix = |e: String| {
                    if expr.is_some() {
                        format!("{e} (with @ at {t}ms: {text})")
                    } else {
                        e
                    }
                };
                check_annotations(ev, &res).map_err(suffix)?;
                compare_instant(ev, &res.value).map_err(suffix)?;
                // The same query as a range query around t must agree at t.
                let uses_range_fns = ["start()", "end()", "range()", "step()"]
                    .iter()
                    .any(|f| ev.expr.contains(f));
                if ev.expect_string.is_some() || ev.range_vector.is_some() || uses_range_fns {
                    continue;
                }
                let rr = engine
                    .range_query(store, &text, t - 60_000, t + 60_000, 60_000)
                    .map_err(|e| suffix(format!("range mode failed: {e}")))?;
                if ev.ordered {
                    continue;
                }
                let QueryValue::Matrix(m) = &rr.value else {
                    return Err(suffix("range mode did not return a matrix".into()));
                };
                for w in m.windows(2) {
                    if w[0].labels >= w[1].labels {
                        return Err(suffix("range mode matrix is not sorted".into()));
                    }
                }
                let mut vec = Vec::new();
                for s in m {
                    if let Some((_, v)) = s.points.iter().find(|p| p.0 == t) {
                        vec.push(Sample {
                            labels: s.labels.clone(),
                            t,
                            value: v.clone(),
                        });
                    }
                }
                let as_value = match &res.value {
                    QueryValue::Scalar { .. } => QueryValue::Scalar {
                        t,
                        v: vec
                            .first()
                            .and_then(|s| match s.value {
                                PointValue::Float(f) => Some(f),
                                _ => None,
                            })
                            .unwrap_or(f64::NAN),
                    },
                    _ => QueryValue::Vector(vec),
                };
                compare_instant(ev, &as_value).map_err(|e| suffix(format!("range mode: {e}")))?;
            }
            Ok(())
        }
    }
}

/// Applies `expect fail`: returns `None` when the expected failure happened.
fn check_fail(ev: &Eval, res: crate::error::Result<QueryResult>) -> Result<Option<QueryResult>, String> {
    match res {
        Err(e) => {
            if !ev.fail {
                return Err(format!("unexpected error: {e}"));
            }
            let msg = e.to_string();
            if let Some(m) = &ev.fail_msg
                && &msg != m
            {
                return Err(format!("expected error {m:?}, got {msg:?}"));
            }
            if let Some(r) = &ev.fail_regex {
                let re = regex::Regex::new(r).map_err(|e| format!("bad regex in test: {e}"))?;
                if !re.is_match(&msg) {
                    return Err(format!("expected error matching {r:?}, got {msg:?}"));
                }
            }
            Ok(None)
        }
        Ok(r) => {
            if ev.fail {
                return Err("expected an error, got a result".into());
            }
            Ok(Some(r))
        }
    }
}
