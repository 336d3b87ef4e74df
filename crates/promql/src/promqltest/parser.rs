//! Parser for Prometheus's `promqltest` script format (`load`, `clear`, `eval`, `expect`, value
//! sequences such as `0+10x5`, `_`, `stale` and native-histogram notation `{{...}}`).

use obslab_model::{CounterResetHint, FloatHistogram, Labels, Span};
use promql_parser::parser::Expr;

/// One value of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub enum SeqValue {
    Omitted,
    Float(f64),
    Stale,
    Histogram(FloatHistogram),
}

#[derive(Debug, Clone)]
pub struct LoadSeries {
    pub labels: Labels,
    pub values: Vec<SeqValue>,
}

#[derive(Debug, Clone)]
pub struct Load {
    pub step_ms: i64,
    pub with_nhcb: bool,
    pub series: Vec<LoadSeries>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// Labels and values (one for instant, one per step for range).
    Series(Labels, Vec<SeqValue>),
    Scalar(f64),
}

#[derive(Debug, Clone, Default)]
pub struct AnnotationExpect {
    pub expected: bool,
    pub none: bool,
    /// Messages (exact) and regexes the annotations must match; empty means any.
    pub msgs: Vec<String>,
    pub regexes: Vec<String>,
    pub any: bool,
}

#[derive(Debug, Clone)]
pub enum EvalKind {
    Instant {
        at_ms: i64,
    },
    Range {
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    },
}

#[derive(Debug, Clone)]
pub struct Eval {
    pub line: usize,
    pub expr: String,
    pub kind: EvalKind,
    pub fail: bool,
    pub fail_msg: Option<String>,
    pub fail_regex: Option<String>,
    pub ordered: bool,
    pub expect_string: Option<String>,
    /// `expect range vector from a to b step s`.
    pub range_vector: Option<(i64, i64, i64)>,
    pub warn: AnnotationExpect,
    pub info: AnnotationExpect,
    pub results: Vec<Expectation>,
}

#[derive(Debug, Clone)]
pub enum Command {
    Load(Load),
    Clear,
    Eval(Box<Eval>),
    /// A statement that could not be parsed; an `eval` counts as failed.
    Invalid {
        line: usize,
        is_eval: bool,
        msg: String,
    },
}

/// Parses a duration like `5m`, `-10s`, `0` into milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let d = obslab_model::parse_duration(body).map_err(|e| e.to_string())?;
    let ms = i64::try_from(d.as_millis()).map_err(|_| format!("duration out of range: {s}"))?;
    Ok(if neg { -ms } else { ms })
}

/// Parses a float the way Go's `strconv.ParseFloat` accepts it (plus `Inf`/`NaN` spellings).
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "+inf" => return Some(f64::INFINITY),
        "-inf" => return Some(f64::NEG_INFINITY),
        "nan" | "+nan" | "-nan" => return Some(f64::NAN),
        _ => {}
    }
    let (neg, body) = match lower.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, lower.strip_prefix('+').unwrap_or(&lower).to_string()),
    };
    let v = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()? as f64
    } else {
        body.replace('_', "").parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_histogram(s: &str) -> Result<FloatHistogram, String> {
    let inner = s
        .strip_prefix("{{")
        .and_then(|x| x.strip_suffix("}}"))
        .ok_or_else(|| format!("invalid histogram {s:?}"))?;
    let mut h = FloatHistogram::default();
    let (mut buckets, mut nbuckets): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let (mut off, mut noff) = (0i32, 0i32);
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once(':')
            .ok_or_else(|| format!("invalid histogram field in {s:?}"))?;
        let key = key.trim();
        let after = after.trim_start();
        let (val, next) = if after.starts_with('[') {
            let end = after.find(']').ok_or_else(|| format!("unclosed list in {s:?}"))?;
            (&after[..=end], &after[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        rest = next.trim_start();
        let list = || -> Result<Vec<f64>, String> {
            val.trim_start_matches('[')
                .trim_end_matches(']')
                .split_whitespace()
                .map(|x| parse_float(x).ok_or_else(|| format!("invalid number {x:?}")))
                .collect()
        };
        let num = || parse_float(val).ok_or_else(|| format!("invalid number {val:?}"));
        match key {
            "schema" => h.schema = num()? as i32,
            "sum" => h.sum = num()?,
            "count" => h.count = num()?,
            "z_bucket" => h.zero_count = num()?,
            "z_bucket_w" => h.zero_threshold = num()?,
            "buckets" => buckets = list()?,
            "n_buckets" => nbuckets = list()?,
            "offset" => off = num()? as i32,
            "n_offset" => noff = num()? as i32,
            "custom_values" => h.custom_values = list()?,
            "counter_reset_hint" => {
                h.counter_reset_hint = match val {
                    "unknown" => CounterResetHint::Unknown,
                    "reset" => CounterResetHint::CounterReset,
                    "not_reset" => CounterResetHint::NotCounterReset,
                    "gauge" => CounterResetHint::Gauge,
                    _ => return Err(format!("invalid counter reset hint {val:?}")),
                }
            }
            _ => return Err(format!("unknown histogram field {key:?}")),
        }
    }
    if !buckets.is_empty() {
        h.positive_spans = vec![Span {
            offset: off,
            length: buckets.len() as u32,
        }];
        h.positive_buckets = buckets;
    }
    if !nbuckets.is_empty() {
        h.negative_spans = vec![Span {
            offset: noff,
            length: nbuckets.len() as u32,
        }];
        h.negative_buckets = nbuckets;
    }
    Ok(h)
}

/// Splits a value sequence into items, keeping `{{...}}` groups (with suffixes) together.
fn tokenize_values(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        loop {
            if i >= b.len() || b[i].is_ascii_whitespace() {
                break;
            }
            if b[i] == b'{' && i + 1 < b.len() && b[i + 1] == b'{' {
                match s[i..].find("}}") {
                    Some(e) => i += e + 2,
                    None => i = b.len(),
                }
                continue;
            }
            i += 1;
        }
        out.push(s[start..i].to_string());
    }
    out
}

fn split_times(item: &str) -> (&str, Option<usize>) {
    if let Some(pos) = item.rfind('x') {
        let (base, times) = (&item[..pos], &item[pos + 1..]);
        if !base.is_empty()
            && !times.is_empty()
            && times.chars().all(|c| c.is_ascii_digit())
            && let Ok(n) = times.parse::<usize>()
        {
            return (base, Some(n));
        }
    }
    (item, None)
}

/// Splits `a+b` / `a-b` at the operator (not a sign or exponent sign).
fn split_inc(base: &str) -> Option<(&str, char, &str)> {
    let b = base.as_bytes();
    for i in 1..b.len() {
        if (b[i] == b'+' || b[i] == b'-') && !matches!(b[i - 1], b'e' | b'E') {
            return Some((&base[..i], b[i] as char, &base[i + 1..]));
        }
        if (b[i] == b'+' || b[i] == b'-')
            && matches!(b[i - 1], b'e' | b'E')
            && base[..i - 1].to_ascii_lowercase().ends_with("inf")
        {
            return Some((&base[..i], b[i] as char, &base[i + 1..]));
        }
    }
    None
}

/// Expands a value sequence (`1 2 _ stale 0+10x5 {{...}}x2`).
pub fn parse_values(s: &str) -> Result<Vec<SeqValue>, String> {
    let mut out = Vec::new();
    for item in tokenize_values(s) {
        if item.starts_with("{{") {
            let close = item
                .rfind("}}")
                .ok_or_else(|| format!("invalid histogram {item:?}"))?;
            if close + 2 == item.len() {
                out.push(SeqValue::Histogram(parse_histogram(&item)?));
                continue;
            }
            // {{a}}xN or {{a}}+{{b}}xN
            let (base, times) = {
                let xpos = item
                    .rfind('x')
                    .ok_or_else(|| format!("invalid histogram sequence {item:?}"))?;
                let n: usize = item[xpos + 1..]
                    .parse()
                    .map_err(|_| format!("invalid histogram sequence {item:?}"))?;
                (&item[..xpos], n)
            };
            let first_end = base
                .find("}}")
                .ok_or_else(|| format!("invalid histogram {item:?}"))?
                + 2;
            let a = parse_histogram(&base[..first_end])?;
            let rest = &base[first_end..];
            let (sign, delta) = if rest.is_empty() {
                (1.0, None)
            } else {
                let sign = if rest.starts_with('-') { -1.0 } else { 1.0 };
                (sign, Some(parse_histogram(&rest[1..])?))
            };
            let mut cur = a;
            for _ in 0..=times {
                out.push(SeqValue::Histogram(cur.clone()));
                if let Some(d) = &delta {
                    let next = if sign > 0.0 { cur.add(d) } else { cur.sub(d) };
                    let mut next = next.map_err(|e| e.to_string())?;
                    next.counter_reset_hint = cur.counter_reset_hint;
                    cur = next;
                }
            }
            continue;
        }
        if item == "_" {
            out.push(SeqValue::Omitted);
            continue;
        }
        if item == "stale" {
            out.push(SeqValue::Stale);
            continue;
        }
        if let Some(n) = item.strip_prefix("_x") {
            let n: usize = n.parse().map_err(|_| format!("invalid value {item:?}"))?;
            out.extend(std::iter::repeat_n(SeqValue::Omitted, n));
            continue;
        }
        let (base, times) = split_times(&item);
        if times.is_none()
            && let Some(v) = parse_float(&item).filter(|_| !item.to_ascii_lowercase().contains("0x"))
        {
            out.push(SeqValue::Float(v));
            continue;
        }
        let Some(times) = times else {
            return Err(format!("invalid value {item:?}"));
        };
        if base == "stale" {
            out.extend(std::iter::repeat_n(SeqValue::Stale, times + 1));
            continue;
        }
        let (start, inc) = match split_inc(base) {
            Some((a, op, b)) => {
                let a = parse_float(a).ok_or_else(|| format!("invalid value {item:?}"))?;
                let b = parse_float(b).ok_or_else(|| format!("invalid value {item:?}"))?;
                (a, if op == '-' { -b } else { b })
            }
            None => (
                parse_float(base).ok_or_else(|| format!("invalid value {item:?}"))?,
                0.0,
            ),
        };
        let mut cur = start;
        for _ in 0..=times {
            out.push(SeqValue::Float(cur));
            cur += inc;
        }
    }
    Ok(out)
}

/// Splits `metric{labels} rest` into the selector text and the rest.
fn split_series(line: &str) -> (String, String) {
    let b = line.as_bytes();
    let mut i = 0;
    let mut in_str = false;
    let mut depth = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'{' {
            if depth == 0 && i + 1 < b.len() && b[i + 1] == b'{' {
                break;
            }
            depth += 1;
        } else if c == b'}' {
            depth -= 1;
            if depth == 0 {
                i += 1;
                break;
            }
        } else if c.is_ascii_whitespace() && depth == 0 {
            break;
        }
        i += 1;
    }
    let i = i.min(line.len());
    (line[..i].trim().to_string(), line[i..].trim().to_string())
}

/// Labels of a series written as a selector (`name{a="b"}` or `{a="b"}`).
pub fn parse_series_labels(sel: &str) -> Result<Labels, String> {
    if sel == "{}" {
        return Ok(Labels::empty());
    }
    let expr = promql_parser::parser::parse(sel).map_err(|e| format!("invalid series {sel:?}: {e}"))?;
    let Expr::VectorSelector(vs) = expr else {
        return Err(format!("invalid series {sel:?}"));
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(n) = vs.name {
        pairs.push((obslab_model::METRIC_NAME.into(), n));
    }
    for m in vs.matchers.matchers {
        pairs.push((m.name, m.value));
    }
    Ok(Labels::from_pairs(pairs))
}

fn parse_result_line(line: &str) -> Result<Expectation, String> {
    if let Some(v) = parse_float(line)
        && !line.contains('{')
    {
        return Ok(Expectation::Scalar(v));
    }
    let (sel, rest) = split_series(line);
    let labels = parse_series_labels(&sel)?;
    Ok(Expectation::Series(labels, parse_values(&rest)?))
}

fn parse_annotation(body: &str, a: &mut AnnotationExpect) {
    a.expected = true;
    let body = body.trim();
    if let Some(m) = body.strip_prefix("msg:") {
        a.msgs.push(m.trim().to_string());
    } else if let Some(r) = body.strip_prefix("regex:") {
        a.regexes.push(r.trim().to_string());
    } else {
        a.any = true;
    }
}

fn parse_eval_header(line: &str, lineno: usize) -> Result<Eval, String> {
    let mut words = line.splitn(2, char::is_whitespace);
    let cmd = words.next().unwrap_or("");
    let rest = words.next().unwrap_or("").trim();
    let mut ev = Eval {
        line: lineno,
        expr: String::new(),
        kind: EvalKind::Instant { at_ms: 0 },
        fail: cmd == "eval_fail",
        fail_msg: None,
        fail_regex: None,
        ordered: cmd == "eval_ordered",
        expect_string: None,
        range_vector: None,
        warn: AnnotationExpect::default(),
        info: AnnotationExpect::default(),
        results: Vec::new(),
    };
    if cmd == "eval_warn" {
        ev.warn.expected = true;
        ev.warn.any = true;
    }
    if cmd == "eval_info" {
        ev.info.expected = true;
        ev.info.any = true;
    }
    let next_word = |s: &str| -> (String, String) {
        let s = s.trim_start();
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        (s[..end].to_string(), s[end..].trim_start().to_string())
    };
    let (kind, r) = next_word(rest);
    match kind.as_str() {
        "instant" => {
            let (at, r) = next_word(&r);
            if at != "at" {
                return Err(format!("invalid eval line {line:?}"));
            }
            let (t, r) = next_word(&r);
            ev.kind = EvalKind::Instant {
                at_ms: parse_duration_ms(&t)?,
            };
            ev.expr = r;
        }
        "range" => {
            let (from, r) = next_word(&r);
            let (start, r) = next_word(&r);
            let (to, r) = next_word(&r);
            let (end, r) = next_word(&r);
            let (step_w, r) = next_word(&r);
            let (step, r) = next_word(&r);
            if from != "from" || to != "to" || step_w != "step" {
                return Err(format!("invalid eval line {line:?}"));
            }
            ev.kind = EvalKind::Range {
                start_ms: parse_duration_ms(&start)?,
                end_ms: parse_duration_ms(&end)?,
                step_ms: parse_duration_ms(&step)?,
            };
            ev.expr = r;
        }
        _ => return Err(format!("invalid eval line {line:?}")),
    }
    if ev.expr.is_empty() {
        return Err(format!("missing expression in {line:?}"));
    }
    Ok(ev)
}

/// Parses a whole script into commands.
pub fn parse_script(text: &str) -> Vec<Command> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let t = l.trim();
            if t.starts_with('#') {
                String::new()
            } else {
                t.to_string()
            }
        })
        .collect();
    let mut cmds = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.is_empty() {
            i += 1;
            continue;
        }
        let lineno = i + 1;
        let first = line.split_whitespace().next().unwrap_or("");
        // The block: following non-empty lines.
        let mut j = i + 1;
        while first != "clear" && j < lines.len() && !lines[j].is_empty() {
            j += 1;
        }
        let body: Vec<(usize, &String)> = (i + 1..j).map(|k| (k + 1, &lines[k])).collect();
        i = j;
        match first {
            "clear" => cmds.push(Command::Clear),
            "load" | "load_with_nhcb" => match parse_load(line, &body, first == "load_with_nhcb") {
                Ok(l) => cmds.push(Command::Load(l)),
                Err(msg) => cmds.push(Command::Invalid {
                    line: lineno,
                    is_eval: false,
                    msg,
                }),
            },
            "eval" | "eval_fail" | "eval_warn" | "eval_info" | "eval_ordered" => {
                match parse_eval(line, lineno, &body) {
                    Ok(e) => cmds.push(Command::Eval(Box::new(e))),
                    Err(msg) => cmds.push(Command::Invalid {
                        line: lineno,
                        is_eval: true,
                        msg,
                    }),
                }
            }
            _ => cmds.push(Command::Invalid {
                line: lineno,
                is_eval: false,
                msg: format!("unknown command {first:?}"),
            }),
        }
    }
    cmds
}

fn parse_load(line: &str, body: &[(usize, &String)], with_nhcb: bool) -> Result<Load, String> {
    let step = line.split_whitespace().nth(1).ok_or("load without step")?;
    let step_ms = parse_duration_ms(step)?;
    let mut series = Vec::new();
    for (_, l) in body {
        let (sel, rest) = split_series(l);
        if rest.is_empty() && sel.ends_with("@st") {
            continue;
        }
        // Start-timestamp lines (`series@st ...`): the storage model carries no start
        // timestamps, so they are read and left out; the series' values load from their own line.
        if sel.contains("@st") || rest.trim_start().starts_with("@st") {
            continue;
        }
        let labels = parse_series_labels(&sel)?;
        series.push(LoadSeries {
            labels,
            values: parse_values(&rest)?,
        });
    }
    Ok(Load {
        step_ms,
        with_nhcb,
        series,
    })
}

fn parse_eval(line: &str, lineno: usize, body: &[(usize, &String)]) -> Result<Eval, String> {
    let mut ev = parse_eval_header(line, lineno)?;
    for (_, l) in body {
        if let Some(rest) = l.strip_prefix("expect ") {
            let rest = rest.trim();
            let (kind, arg) = match rest.find(char::is_whitespace) {
                Some(p) => (&rest[..p], rest[p..].trim()),
                None => (rest, ""),
            };
            match kind {
                "fail" => {
                    ev.fail = true;
                    if let Some(m) = arg.strip_prefix("msg:") {
                        ev.fail_msg = Some(m.trim().to_string());
                    } else if let Some(r) = arg.strip_prefix("regex:") {
                        ev.fail_regex = Some(r.trim().to_string());
                    }
                }
                "ordered" => ev.ordered = true,
                "string" => {
                    let s = arg.trim();
                    let unq = promql_parser::util::unquote_string(s)
                        .unwrap_or_else(|_| s.trim_matches('"').to_string());
                    ev.expect_string = Some(unq);
                }
                "warn" => parse_annotation(arg, &mut ev.warn),
                "info" => parse_annotation(arg, &mut ev.info),
                "no_warn" => ev.warn.none = true,
                "no_info" => ev.info.none = true,
                "range" => {
                    // range vector from A to B step S
                    let w: Vec<&str> = arg.split_whitespace().collect();
                    if w.len() != 7 || w[0] != "vector" || w[1] != "from" || w[3] != "to" || w[5] != "step" {
                        return Err(format!("invalid expect line {l:?}"));
                    }
                    ev.range_vector = Some((
                        parse_duration_ms(w[2])?,
                        parse_duration_ms(w[4])?,
                        parse_duration_ms(w[6])?,
                    ));
                }
                _ => return Err(format!("invalid expect line {l:?}")),
            }
            continue;
        }
        if let Some(m) = l.strip_prefix("expected_fail_message") {
            ev.fail_msg = Some(m.trim().to_string());
            continue;
        }
        if let Some(r) = l.strip_prefix("expected_fail_regexp") {
            ev.fail_regex = Some(r.trim().to_string());
            continue;
        }
        let exp = parse_result_line(l)?;
        let is_scalar = matches!(exp, Expectation::Scalar(_));
        ev.results.push(exp);
        if is_scalar {
            break;
        }
    }
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_sequences() {
        let v = parse_values("0+10x2 _ stale 1x1 -1-1x1 _x2").unwrap();
        assert_eq!(
            v,
            vec![
                SeqValue::Float(0.0),
                SeqValue::Float(10.0),
                SeqValue::Float(20.0),
                SeqValue::Omitted,
                SeqValue::Stale,
                SeqValue::Float(1.0),
                SeqValue::Float(1.0),
                SeqValue::Float(-1.0),
                SeqValue::Float(-2.0),
                SeqValue::Omitted,
                SeqValue::Omitted,
            ]
        );
    }

    #[test]
    fn parses_histograms() {
        let v = parse_values("{{schema:0 sum:5 count:4 buckets:[1 2 1]}}x1").unwrap();
        assert_eq!(v.len(), 2);
        let SeqValue::Histogram(h) = &v[0] else { panic!() };
        assert_eq!(h.count, 4.0);
        assert_eq!(h.positive(), vec![(0, 1.0), (1, 2.0), (2, 1.0)]);
    }

    #[test]
    fn parses_eval_blocks() {
        let cmds = parse_script(
            "load 1m\n  m{a=\"b\"} 1 2\n\neval instant at 1m m\n  expect ordered\n  m{a=\"b\"} 2\n",
        );
        assert_eq!(cmds.len(), 2);
        let Command::Eval(e) = &cmds[1] else { panic!() };
        assert!(e.ordered);
        assert_eq!(e.results.len(), 1);
    }
}
