//! Duration expressions (`foo[5m+1m]`, `[step()*2]`, `offset (2*30s)`, `offset -step()`):
//! computed before parsing and replaced by plain millisecond durations, since the parser only
//! accepts duration literals in those places.

use crate::error::{QueryError, Result};

struct Calc<'a> {
    s: &'a [u8],
    i: usize,
    step_s: f64,
    range_s: f64,
}

impl Calc<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn err(&self) -> QueryError {
        QueryError::Parse(format!(
            "invalid duration expression {:?}",
            String::from_utf8_lossy(self.s)
        ))
    }

    fn expr(&mut self) -> Result<f64> {
        let mut v = self.term()?;
        while let Some(c) = self.peek() {
            match c {
                b'+' => {
                    self.i += 1;
                    v += self.term()?;
                }
                b'-' => {
                    self.i += 1;
                    v -= self.term()?;
                }
                _ => break,
            }
        }
        Ok(v)
    }

    fn term(&mut self) -> Result<f64> {
        let mut v = self.unary()?;
        while let Some(c) = self.peek() {
            match c {
                b'*' => {
                    self.i += 1;
                    v *= self.unary()?;
                }
                b'/' => {
                    self.i += 1;
                    v /= self.unary()?;
                }
                b'%' => {
                    self.i += 1;
                    v %= self.unary()?;
                }
                _ => break,
            }
        }
        Ok(v)
    }

    fn unary(&mut self) -> Result<f64> {
        match self.peek() {
            Some(b'-') => {
                self.i += 1;
                Ok(-self.unary()?)
            }
            Some(b'+') => {
                self.i += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<f64> {
        let base = self.atom()?;
        if self.peek() == Some(b'^') {
            self.i += 1;
            let e = self.unary()?;
            return Ok(base.powf(e));
        }
        Ok(base)
    }

    /// A number, duration, parenthesised expression or `step()`/`range()`/`min_of`/`max_of`.
    fn atom(&mut self) -> Result<f64> {
        match self.peek() {
            Some(b'(') => {
                self.i += 1;
                let v = self.expr()?;
                if self.peek() != Some(b')') {
                    return Err(self.err());
                }
                self.i += 1;
                Ok(v)
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
                {
                    self.i += 1;
                }
                let name = String::from_utf8_lossy(&self.s[start..self.i]).to_ascii_lowercase();
                if self.peek() != Some(b'(') {
                    return Err(self.err());
                }
                self.i += 1;
                let mut args = Vec::new();
                if self.peek() != Some(b')') {
                    loop {
                        args.push(self.expr()?);
                        match self.peek() {
                            Some(b',') => self.i += 1,
                            Some(b')') => break,
                            _ => return Err(self.err()),
                        }
                    }
                }
                self.i += 1;
                match (name.as_str(), args.as_slice()) {
                    ("step", []) => Ok(self.step_s),
                    ("range", []) => Ok(self.range_s),
                    ("min_of", [a, b]) => Ok(a.min(*b)),
                    ("max_of", [a, b]) => Ok(a.max(*b)),
                    _ => Err(self.err()),
                }
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'.')
                {
                    self.i += 1;
                }
                let tok = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
                if let Ok(v) = tok.parse::<f64>() {
                    return Ok(v);
                }
                obslab_model::parse_duration(&tok)
                    .map(|d| d.as_secs_f64())
                    .map_err(|_| self.err())
            }
            _ => Err(self.err()),
        }
    }
}

fn eval_seconds(text: &str, step_s: f64, range_s: f64) -> Result<f64> {
    let mut c = Calc {
        s: text.as_bytes(),
        i: 0,
        step_s,
        range_s,
    };
    let v = c.expr()?;
    if c.peek().is_some() {
        return Err(c.err());
    }
    Ok(v)
}

fn is_plain_duration(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || obslab_model::parse_duration(t).is_ok()
}

fn fmt_ms(secs: f64, allow_negative: bool) -> Result<String> {
    let ms = (secs * 1000.0).round();
    if !ms.is_finite() || ms.abs() > 9.0e15 {
        return Err(QueryError::Parse("duration out of range".into()));
    }
    if ms < 0.0 && !allow_negative {
        return Err(QueryError::Parse(format!(
            "duration must be greater than 0: {secs}s"
        )));
    }
    if ms < 0.0 {
        Ok(format!("-{}ms", -ms as i64))
    } else {
        Ok(format!("{}ms", ms as i64))
    }
}

/// Replaces duration expressions in ranges, subquery steps and offsets by literals.
pub(crate) fn rewrite(query: &str, step_ms: i64, range_ms: i64) -> Result<String> {
    let lower = query.to_ascii_lowercase();
    if !query.contains('[') && !lower.contains("offset") && !lower.contains("smoothed") {
        return Ok(query.to_string());
    }
    let (step_s, range_s) = (step_ms as f64 / 1000.0, range_ms as f64 / 1000.0);
    let b = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    let mut i = 0;
    let mut in_str: Option<u8> = None;
    let mut brace = 0i32;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = in_str {
            if c == b'\\' && i + 1 < b.len() {
                out.push('\\');
                i += 1;
                push_char(&mut out, query, &mut i);
                continue;
            }
            if c == q {
                in_str = None;
            }
            push_char(&mut out, query, &mut i);
            continue;
        }
        match c {
            b'"' | b'\'' | b'`' => {
                in_str = Some(c);
                out.push(c as char);
                i += 1;
            }
            b'{' => {
                brace += 1;
                out.push('{');
                i += 1;
            }
            b'}' => {
                brace -= 1;
                out.push('}');
                i += 1;
            }
            b'[' if brace == 0 => {
                let Some(end) = query[i..].find(']').map(|e| i + e) else {
                    out.push_str(&query[i..]);
                    break;
                };
                let inner = &query[i + 1..end];
                let parts: Vec<&str> = split_top_colon(inner);
                if parts.iter().all(|p| is_plain_duration(p)) {
                    out.push_str(&query[i..=end]);
                } else {
                    let mut rendered = Vec::new();
                    for p in &parts {
                        if p.trim().is_empty() {
                            rendered.push(String::new());
                        } else if is_plain_duration(p) {
                            rendered.push(p.trim().to_string());
                        } else {
                            rendered.push(fmt_ms(eval_seconds(p, step_s, range_s)?, false)?);
                        }
                    }
                    out.push('[');
                    out.push_str(&rendered.join(":"));
                    out.push(']');
                }
                i = end + 1;
            }
            _ if brace == 0 && (starts_word(query, i, "anchored") || starts_word(query, i, "smoothed")) => {
                let word = query[i..i + 8].to_ascii_lowercase();
                out = mark_selector(&out, &word)?;
                i += 8;
            }
            _ if brace == 0 && starts_word(query, i, "offset") => {
                out.push_str(&query[i..i + 6]);
                i += 6;
                let (text, next) = offset_operand(query, i);
                let t = text.trim();
                if !t.is_empty() && !is_plain_duration(t.trim_start_matches('-')) {
                    out.push(' ');
                    out.push_str(&fmt_ms(eval_seconds(t, step_s, range_s)?, true)?);
                    i = next;
                }
            }
            _ => push_char(&mut out, query, &mut i),
        }
    }
    Ok(out)
}

/// Copies the (possibly multi-byte) character at byte `*i` and moves past it.
fn push_char(out: &mut String, query: &str, i: &mut usize) {
    match query.get(*i..).and_then(|s| s.chars().next()) {
        Some(ch) => {
            out.push(ch);
            *i += ch.len_utf8();
        }
        None => *i += 1,
    }
}

/// Name of the marker matcher that carries an `anchored`/`smoothed` modifier through parsing.
pub(crate) const EXT_LABEL: &str = "__range_modifier__";

/// Adds the marker matcher for `word` to the selector that `out` ends with.
fn mark_selector(out: &str, word: &str) -> Result<String> {
    let marker = format!("{EXT_LABEL}=~\"({word})?\"");
    let trimmed = out.trim_end();
    // `@ t` / `offset d` written before the modifier stay after the selector.
    let tail_start = trimmed.rfind(['}', ']', ')']).map(|p| p + 1).unwrap_or(0);
    let tail = &trimmed[tail_start..];
    let cut = [tail.find(" @"), tail.find("@"), tail.find(" offset ")]
        .into_iter()
        .flatten()
        .min()
        .filter(|_| tail_start > 0 || tail.trim_start().contains(' '));
    if let Some(c) = cut {
        let (core, suffix) = trimmed.split_at(tail_start + c);
        let marked = mark_selector(core, word)?;
        return Ok(format!("{}{suffix} ", marked.trim_end()));
    }
    let b = trimmed.as_bytes();
    let bad = || QueryError::Parse(format!("unexpected {word} modifier"));
    // End of the selector itself: before a range `[...]` if there is one.
    let mut end = trimmed.len();
    if b.last() == Some(&b']') {
        end = trimmed.rfind('[').ok_or_else(bad)?;
    }
    let sel = &trimmed[..end];
    let rest = &trimmed[end..];
    let sb = sel.as_bytes();
    if sb.last() == Some(&b'}') {
        let open = sel.rfind('{').ok_or_else(bad)?;
        let inner = sel[open + 1..sel.len() - 1].trim();
        let sep = if inner.is_empty() || inner.ends_with(',') {
            ""
        } else {
            ", "
        };
        return Ok(format!("{}{{{inner}{sep}{marker}}}{rest} ", &sel[..open]));
    }
    let name_start = sel
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .map(|p| p + 1)
        .unwrap_or(0);
    if name_start >= sel.len() {
        return Err(bad());
    }
    Ok(format!("{sel}{{{marker}}}{rest} "))
}

fn starts_word(q: &str, i: usize, w: &str) -> bool {
    let b = q.as_bytes();
    q.get(i..i + w.len()).is_some_and(|s| s.eq_ignore_ascii_case(w))
        && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        && b.get(i + w.len())
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
}

/// The operand of `offset`: an optional sign and one atom (number, duration, call or
/// parenthesised expression).
fn offset_operand(q: &str, start: usize) -> (String, usize) {
    let b = q.as_bytes();
    let mut i = start;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let op_start = i;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if i < b.len() && b[i] == b'(' {
        i = match_paren(b, i);
    } else {
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_') {
            i += 1;
        }
        if i < b.len() && b[i] == b'(' {
            i = match_paren(b, i);
        }
    }
    (q[op_start..i].to_string(), i)
}

fn match_paren(b: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn split_top_colon(s: &str) -> Vec<&str> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ':' if depth == 0 => return vec![&s[..i], &s[i + 1..]],
            _ => {}
        }
    }
    vec![s]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_ranges_and_offsets() {
        assert_eq!(rewrite("rate(x[26m+4m])", 0, 0).unwrap(), "rate(x[1800000ms])");
        assert_eq!(rewrite("x[1m:step()*2]", 5000, 0).unwrap(), "x[1m:10000ms]");
        assert_eq!(rewrite("x offset (2 * 2)", 0, 0).unwrap(), "x offset 4000ms");
        assert_eq!(rewrite("x offset 5m", 0, 0).unwrap(), "x offset 5m");
        assert_eq!(
            rewrite("x offset -step()*2", 5000, 0).unwrap(),
            "x offset -5000ms*2"
        );
        assert_eq!(rewrite("x{a=\"[1+1]\"}[5m]", 0, 0).unwrap(), "x{a=\"[1+1]\"}[5m]");
        assert_eq!(
            rewrite("x{a=\"é\\\"ü\"}[5m] offset 1m", 0, 0).unwrap(),
            "x{a=\"é\\\"ü\"}[5m] offset 1m"
        );
        assert_eq!(
            rewrite("sum(x{a=\"ß\"}[2m+1m])", 0, 0).unwrap(),
            "sum(x{a=\"ß\"}[180000ms])"
        );
        assert_eq!(
            rewrite("rate(x[1m] anchored)", 0, 0).unwrap(),
            "rate(x{__range_modifier__=~\"(anchored)?\"}[1m] )"
        );
        assert_eq!(
            rewrite("x{a=\"b\"} smoothed", 0, 0).unwrap(),
            "x{a=\"b\", __range_modifier__=~\"(smoothed)?\"} "
        );
    }
}
