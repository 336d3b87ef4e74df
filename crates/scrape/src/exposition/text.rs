//! The Prometheus text exposition format 0.0.4, with Prometheus's leniencies: blank lines, free
//! comments, spaces and tabs between tokens, optional commas and a trailing comma in label lists.

use super::lexer::{
    label_name_len, metric_name_len, next_line, parse_number, quote, quoted_len, unescape_help_text,
};
use super::{Entry, MetricType, ParseError, Sample};
use obslab_model::METRIC_NAME;

/// Streams the entries of a text-format body.
pub struct TextParser<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    failed: bool,
    family: &'a str,
    family_type: MetricType,
    names: Vec<&'a str>,
}

fn skip_ws(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

use super::lexer::unexpected as error;

/// The token at the start of `s` for an error message: up to the next space or brace.
fn token(s: &str) -> &str {
    match s.find([' ', '\t', '{', '}', ',', '=']) {
        Some(0) => s.chars().next().map_or("", |c| &s[..c.len_utf8()]),
        Some(end) => &s[..end],
        None => s,
    }
}

impl<'a> TextParser<'a> {
    pub fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            line: 0,
            failed: false,
            family: "",
            family_type: MetricType::Unknown,
            names: Vec::with_capacity(16),
        }
    }

    fn next_line(&mut self) -> Option<&'a str> {
        next_line(self.src, &mut self.pos, &mut self.line)
    }

    fn parse_line(&mut self, line: &'a str) -> Result<Option<Entry<'a>>, ParseError> {
        let body = skip_ws(line);
        if body.is_empty() {
            return Ok(None);
        }
        if let Some(comment) = body.strip_prefix('#') {
            return self.parse_comment(line, comment);
        }
        self.parse_sample(line, body).map(|s| Some(Entry::Sample(s)))
    }

    fn parse_comment(&mut self, line: &'a str, after_hash: &'a str) -> Result<Option<Entry<'a>>, ParseError> {
        let rest = skip_ws(after_hash);
        let has_ws = rest.len() < after_hash.len();
        let is_meta = |kw: &str| has_ws && rest.strip_prefix(kw).is_some_and(|r| r.starts_with([' ', '\t']));
        let kind = if is_meta("HELP") {
            "HELP"
        } else if is_meta("TYPE") {
            "TYPE"
        } else {
            return Ok(Some(Entry::Comment(after_hash)));
        };
        let rest = skip_ws(&rest[4..]);
        let n = metric_name_len(rest.as_bytes());
        if n == 0 {
            return Err(error(
                self.line,
                &format!("expected metric name after {kind}"),
                token(rest),
                line,
            ));
        }
        let name = &rest[..n];
        let after = &rest[n..];
        if !after.starts_with([' ', '\t']) {
            let got = if after.is_empty() { "INVALID" } else { token(after) };
            return Err(ParseError::new(
                self.line,
                format!("expected text in {kind}, got {got}"),
            ));
        }
        let text = &after[1..];
        if kind == "TYPE" {
            let t = MetricType::from_text(text)
                .ok_or_else(|| ParseError::new(self.line, format!("invalid metric type {}", quote(text))))?;
            self.family = name;
            self.family_type = t;
            return Ok(Some(Entry::Type { name, metric_type: t }));
        }
        Ok(Some(Entry::Help {
            name,
            help: unescape_help_text(text),
        }))
    }

    fn parse_sample(&mut self, line: &'a str, body: &'a str) -> Result<Sample<'a>, ParseError> {
        let n = metric_name_len(body.as_bytes());
        if n == 0 {
            return Err(error(
                self.line,
                "expected a valid start token",
                token(body),
                line,
            ));
        }
        let name = &body[..n];
        let mut rest = skip_ws(&body[n..]);
        let mut series = name;
        let mut labels_raw = "";
        if rest.starts_with('{') {
            let (inner, after) = self.parse_labels(line, &rest[1..])?;
            labels_raw = inner;
            let series_len = after.as_ptr() as usize - body.as_ptr() as usize;
            series = &body[..series_len];
            rest = skip_ws(after);
        }
        let vlen = rest
            .bytes()
            .position(|b| b == b' ' || b == b'\t' || b == b'{')
            .unwrap_or(rest.len());
        if vlen == 0 {
            let got = if rest.is_empty() { "\n" } else { token(rest) };
            return Err(error(self.line, "expected value after metric", got, line));
        }
        let vtext = &rest[..vlen];
        let value = parse_number(vtext).ok_or_else(|| {
            ParseError::new(
                self.line,
                format!(
                    "strconv.ParseFloat: parsing {}: invalid syntax while parsing: {}",
                    quote(vtext),
                    quote(line)
                ),
            )
        })?;
        let rest = skip_ws(&rest[vlen..]);
        let mut timestamp = None;
        if !rest.is_empty() {
            let tlen = rest.bytes().take_while(u8::is_ascii_digit).count();
            if tlen == 0 {
                return Err(error(
                    self.line,
                    "expected timestamp or new record",
                    token(rest),
                    line,
                ));
            }
            let ttext = &rest[..tlen];
            timestamp = Some(ttext.parse::<i64>().map_err(|_| {
                ParseError::new(
                    self.line,
                    format!(
                        "strconv.ParseInt: parsing {}: value out of range while parsing: {}",
                        quote(ttext),
                        quote(line)
                    ),
                )
            })?);
            let tail = skip_ws(&rest[tlen..]);
            if !tail.is_empty() {
                return Err(error(
                    self.line,
                    "expected next entry after timestamp",
                    token(tail),
                    line,
                ));
            }
        }
        let (family, metric_type) = if part_of_family(name, self.family, self.family_type) {
            (self.family, self.family_type)
        } else {
            (name, MetricType::Unknown)
        };
        Ok(Sample {
            series,
            name,
            labels_raw,
            value,
            timestamp,
            exemplar: None,
            family,
            metric_type,
        })
    }

    /// Parses `name="value", ...}` and returns the text inside the braces and what follows them.
    /// A repeated label name (or `__name__` beside the metric name) makes the sample invalid, as
    /// Prometheus rejects it when appending.
    fn parse_labels(&mut self, line: &'a str, s: &'a str) -> Result<(&'a str, &'a str), ParseError> {
        let mut rest = s;
        self.names.clear();
        self.names.push(METRIC_NAME);
        loop {
            rest = skip_ws(rest);
            if let Some(after) = rest.strip_prefix('}') {
                let inner = &s[..s.len() - rest.len()];
                return Ok((inner, after));
            }
            let n = label_name_len(rest.as_bytes());
            if n == 0 {
                return Err(error(self.line, "expected label name", token(rest), line));
            }
            let name = &rest[..n];
            if self.names.contains(&name) {
                return Err(ParseError::new(
                    self.line,
                    format!("label name {} is not unique: invalid sample", quote(name)),
                ));
            }
            self.names.push(name);
            rest = skip_ws(&rest[n..]);
            let Some(after_eq) = rest.strip_prefix('=') else {
                return Err(error(self.line, "expected equal", token(rest), line));
            };
            rest = skip_ws(after_eq);
            let Some(q) = quoted_len(rest.as_bytes()) else {
                return Err(error(self.line, "expected label value", token(rest), line));
            };
            rest = skip_ws(&rest[q..]);
            if let Some(after_comma) = rest.strip_prefix(',') {
                rest = after_comma;
            }
        }
    }
}

/// Does a sample name belong to the family of the last TYPE line?
fn part_of_family(name: &str, family: &str, t: MetricType) -> bool {
    if family.is_empty() {
        return false;
    }
    if name == family {
        return true;
    }
    let Some(suffix) = name.strip_prefix(family) else {
        return false;
    };
    match t {
        MetricType::Histogram => matches!(suffix, "_bucket" | "_count" | "_sum" | "_created"),
        MetricType::Summary => matches!(suffix, "_count" | "_sum" | "_created"),
        MetricType::Counter => matches!(suffix, "_total" | "_created"),
        _ => false,
    }
}

impl<'a> Iterator for TextParser<'a> {
    type Item = Result<Entry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while let Some(line) = self.next_line() {
            match self.parse_line(line) {
                Ok(None) => continue,
                Ok(Some(e)) => return Some(Ok(e)),
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> Result<Vec<Entry<'_>>, ParseError> {
        TextParser::new(s).collect()
    }

    #[test]
    fn parses_metadata_samples_and_comments() {
        let input = "# HELP http_requests_total The total.\\nSecond \\\\ line\n\
                     # TYPE http_requests_total counter\n\
                     # just a comment\n\
                     \n\
                     http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
                     http_requests_total{ method = \"post\" , code=\"400\", } 3\n\
                     metric_without_labels 12.47\n\
                     weird{a=\"x\\\"y\\\\z\\n\"}\t+Inf\n";
        let e = all(input).unwrap();
        assert_eq!(e.len(), 7);
        assert_eq!(
            e[0],
            Entry::Help {
                name: "http_requests_total",
                help: "The total.\nSecond \\ line".into()
            }
        );
        assert_eq!(
            e[1],
            Entry::Type {
                name: "http_requests_total",
                metric_type: MetricType::Counter
            }
        );
        assert_eq!(e[2], Entry::Comment(" just a comment"));
        let Entry::Sample(s) = &e[3] else { panic!() };
        assert_eq!(s.timestamp, Some(1395066363000));
        assert_eq!(s.value, 1027.0);
        assert_eq!(s.series, "http_requests_total{method=\"post\",code=\"200\"}");
        assert_eq!(s.metric_type, MetricType::Counter);
        assert_eq!(
            s.labels().to_string(),
            "http_requests_total{code=\"200\", method=\"post\"}"
        );
        let Entry::Sample(s) = &e[4] else { panic!() };
        assert_eq!(s.labels().get("code"), Some("400"));
        let Entry::Sample(s) = &e[5] else { panic!() };
        assert_eq!(s.metric_type, MetricType::Unknown);
        let Entry::Sample(s) = &e[6] else { panic!() };
        assert_eq!(s.value, f64::INFINITY);
        assert_eq!(s.labels().get("a"), Some("x\"y\\z\n"));
    }

    #[test]
    fn errors_carry_line_and_prometheus_wording() {
        let err = all("ok 1\nbad{1=\"x\"} 1\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.message.starts_with("expected label name, got \"1\""),
            "{}",
            err.message
        );
        let err = all("a{b=\"c\" 1\n").unwrap_err();
        assert!(err.message.starts_with("expected label name"), "{}", err.message);
        let err = all("a{b=c} 1\n").unwrap_err();
        assert!(err.message.starts_with("expected label value"), "{}", err.message);
        let err = all("a{b\"c\"} 1\n").unwrap_err();
        assert!(err.message.starts_with("expected equal"), "{}", err.message);
        let err = all("a\n").unwrap_err();
        assert!(
            err.message.starts_with("expected value after metric"),
            "{}",
            err.message
        );
        let err = all("a 1 2 3\n").unwrap_err();
        assert!(
            err.message.starts_with("expected next entry after timestamp"),
            "{}",
            err.message
        );
        let err = all("a 1 -2\n").unwrap_err();
        assert!(
            err.message.starts_with("expected timestamp or new record"),
            "{}",
            err.message
        );
        let err = all("a 0x1p3\n").unwrap_err();
        assert!(err.message.contains("invalid syntax"), "{}", err.message);
        let err = all("# TYPE a gaugy\n").unwrap_err();
        assert_eq!(err.message, "invalid metric type \"gaugy\"");
        let err = all("# HELP a\n").unwrap_err();
        assert!(
            err.message.starts_with("expected text in HELP"),
            "{}",
            err.message
        );
        let err = all("# HELP 1a x\n").unwrap_err();
        assert!(
            err.message.starts_with("expected metric name after HELP"),
            "{}",
            err.message
        );
        assert!(all("{a=\"b\"} 1\n").is_err());
        let err = all("a{x=\"1\",x=\"2\"} 1\n").unwrap_err();
        assert_eq!(err.message, "label name \"x\" is not unique: invalid sample");
        assert!(all("a{__name__=\"b\"} 1\n").is_err());
    }

    #[test]
    fn nan_and_special_values() {
        let e = all("a NaN\nb -Inf\nc 1e-3\n").unwrap();
        let vals: Vec<f64> = e
            .iter()
            .filter_map(|e| match e {
                Entry::Sample(s) => Some(s.value),
                _ => None,
            })
            .collect();
        assert!(vals[0].is_nan());
        assert_eq!(vals[1], f64::NEG_INFINITY);
        assert_eq!(vals[2], 0.001);
    }

    #[test]
    fn stops_after_the_first_error() {
        let mut p = TextParser::new("a{ 1\nb 2\n");
        assert!(p.next().is_some_and(|r| r.is_err()));
        assert!(p.next().is_none());
    }
}
