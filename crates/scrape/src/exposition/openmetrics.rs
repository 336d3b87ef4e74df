//! OpenMetrics 1.0 text: strict single-space syntax, `# EOF` terminator, float-second timestamps,
//! exemplars, and (by default) the family rules of the specification.

use super::lexer::{
    label_name_len, metric_name_len, next_line, parse_number, quote, quoted_len, unescape_label_value,
};
use super::om_rules::{Meta, Rules, SampleFacts, sort_and_check_duplicates};
use super::{Entry, Exemplar, MetricType, ParseError, Sample};

/// The longest an exemplar's label set may be, counted in code points of names and values.
pub const MAX_EXEMPLAR_LABELS_LEN: usize = 128;

/// Streams the entries of an OpenMetrics body.
pub struct OpenMetricsParser<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    finished: bool,
    rules: Rules<'a>,
    enforce_rules: bool,
    scratch: Vec<(&'a str, &'a str)>,
    skip_created: bool,
}

use super::lexer::unexpected as error;

/// The token at the start of `s` for an error message: up to the next space.
fn token(s: &str) -> &str {
    if s.is_empty() {
        return "\n";
    }
    let end = s.find(' ').unwrap_or(s.len());
    if end == 0 { " " } else { &s[..end] }
}

/// Splits `s` at its first space: (`token`, rest starting at the space).
fn split_token(s: &str) -> (&str, &str) {
    let end = s.find(' ').unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Seconds (OpenMetrics) to milliseconds, truncating like Prometheus.
fn seconds_to_ms(s: f64) -> i64 {
    (s * 1000.0) as i64
}

struct Labels<'a> {
    inner: &'a str,
    after: &'a str,
}

impl<'a> OpenMetricsParser<'a> {
    pub fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            line: 0,
            finished: false,
            rules: Rules::default(),
            enforce_rules: true,
            scratch: Vec::with_capacity(16),
            skip_created: false,
        }
    }

    /// Turns enforcement of the specification's family rules (types, grouping, histogram
    /// consistency, value ranges) on or off; line syntax and `# EOF` are always checked. Families
    /// and types are tracked either way. Prometheus does not enforce these rules when scraping, so
    /// the scrape path turns them off to accept what Prometheus accepts.
    pub fn validate_families(mut self, on: bool) -> Self {
        self.enforce_rules = on;
        self
    }

    fn rule_result<T>(&self, r: Result<T, String>) -> Result<Option<T>, ParseError> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(m) if self.enforce_rules => Err(ParseError::new(self.line, m)),
            Err(_) => Ok(None),
        }
    }

    /// Leaves `_created` samples of counters, histograms and summaries out of the stream, for
    /// callers that do not store creation times as series.
    pub fn skip_created(mut self, on: bool) -> Self {
        self.skip_created = on;
        self
    }

    fn next_line(&mut self) -> Option<&'a str> {
        next_line(self.src, &mut self.pos, &mut self.line)
    }

    fn parse_line(&mut self, line: &'a str) -> Result<Option<Entry<'a>>, ParseError> {
        if line.is_empty() {
            return Err(error(self.line, "expected a valid start token", "\n", "\n"));
        }
        if line.starts_with('#') {
            return self.parse_meta(line).map(Some);
        }
        let sample = self.parse_sample(line)?;
        if self.skip_created && sample.is_created() {
            return Ok(None);
        }
        Ok(Some(Entry::Sample(sample)))
    }

    fn parse_meta(&mut self, line: &'a str) -> Result<Entry<'a>, ParseError> {
        let kind = ["HELP", "TYPE", "UNIT"]
            .into_iter()
            .find(|k| line.get(2..6) == Some(k) && line.starts_with("# ") && line.get(6..7) == Some(" "));
        let Some(kind) = kind else {
            return Err(error(
                self.line,
                "expected a valid start token",
                token(line),
                line,
            ));
        };
        let rest = &line[7..];
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
        let Some(text) = rest[n..].strip_prefix(' ') else {
            return Err(ParseError::new(self.line, format!("expected text in {kind}")));
        };
        let (entry, meta) = match kind {
            "HELP" => (
                Entry::Help {
                    name,
                    help: unescape_label_value(text),
                },
                Meta::Help,
            ),
            "TYPE" => {
                let t = MetricType::from_openmetrics(text).ok_or_else(|| {
                    ParseError::new(self.line, format!("invalid metric type {}", quote(text)))
                })?;
                (Entry::Type { name, metric_type: t }, Meta::Type(t))
            }
            _ => {
                let unit_is_suffix = name.len() > text.len() + 1
                    && name.ends_with(text)
                    && name.as_bytes()[name.len() - text.len() - 1] == b'_';
                if !text.is_empty() && !unit_is_suffix {
                    return Err(ParseError::new(
                        self.line,
                        format!("unit {} not a suffix of metric {}", quote(text), quote(name)),
                    ));
                }
                (Entry::Unit { name, unit: text }, Meta::Unit(text))
            }
        };
        let r = self.rules.metadata(name, meta);
        self.rule_result(r)?;
        Ok(entry)
    }

    /// Parses `{name="value",...}` strictly (no spaces, no trailing comma), pushing pairs into
    /// `out` when given, and returns the text inside the braces and what follows them.
    fn parse_labels(
        &self,
        line: &'a str,
        s: &'a str,
        mut out: Option<&mut Vec<(&'a str, &'a str)>>,
    ) -> Result<Labels<'a>, ParseError> {
        if let Some(after) = s.strip_prefix('}') {
            return Ok(Labels { inner: "", after });
        }
        let mut rest = s;
        loop {
            let n = label_name_len(rest.as_bytes());
            if n == 0 {
                return Err(error(self.line, "expected label name", token(rest), line));
            }
            let name = &rest[..n];
            let Some(after_eq) = rest[n..].strip_prefix('=') else {
                return Err(error(self.line, "expected equal", token(&rest[n..]), line));
            };
            let Some(q) = quoted_len(after_eq.as_bytes()) else {
                return Err(error(self.line, "expected label value", token(after_eq), line));
            };
            if let Some(o) = out.as_mut() {
                o.push((name, &after_eq[1..q - 1]));
            }
            rest = &after_eq[q..];
            if let Some(r) = rest.strip_prefix(',') {
                rest = r;
            } else if let Some(after) = rest.strip_prefix('}') {
                let inner = &s[..s.len() - rest.len()];
                return Ok(Labels { inner, after });
            } else {
                return Err(error(
                    self.line,
                    "expected comma or brace close",
                    token(rest),
                    line,
                ));
            }
        }
    }

    fn number(&self, text: &str, line: &str) -> Result<f64, ParseError> {
        parse_number(text).ok_or_else(|| {
            ParseError::new(
                self.line,
                format!(
                    "strconv.ParseFloat: parsing {}: invalid syntax while parsing: {}",
                    quote(text),
                    quote(line)
                ),
            )
        })
    }

    fn timestamp(&self, text: &str, line: &str) -> Result<f64, ParseError> {
        let ts = self.number(text, line)?;
        if !ts.is_finite() {
            return Err(ParseError::new(self.line, format!("invalid timestamp {ts}")));
        }
        Ok(ts)
    }

    fn parse_sample(&mut self, line: &'a str) -> Result<Sample<'a>, ParseError> {
        let n = metric_name_len(line.as_bytes());
        if n == 0 {
            return Err(error(
                self.line,
                "expected a valid start token",
                token(line),
                line,
            ));
        }
        let name = &line[..n];
        let mut rest = &line[n..];
        let mut labels_raw = "";
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        if let Some(after_brace) = rest.strip_prefix('{') {
            let l = self.parse_labels(line, after_brace, Some(&mut scratch))?;
            labels_raw = l.inner;
            rest = l.after;
        }
        let series = &line[..line.len() - rest.len()];
        let Some(after_space) = rest.strip_prefix(' ') else {
            return Err(error(self.line, "expected value after metric", token(rest), line));
        };
        let (vtext, mut rest) = split_token(after_space);
        if vtext.is_empty() {
            return Err(error(
                self.line,
                "expected value after metric",
                token(after_space),
                line,
            ));
        }
        let value = self.number(vtext, line)?;

        let mut ts = None;
        let mut exemplar = None;
        if let Some(tail) = rest.strip_prefix(' ') {
            if let Some(ex) = tail.strip_prefix("# {") {
                exemplar = Some(self.parse_exemplar(line, ex)?);
            } else {
                let (ttext, after) = split_token(tail);
                if ttext.is_empty() || ttext.starts_with('#') {
                    return Err(error(
                        self.line,
                        "expected timestamp or comment",
                        token(tail),
                        line,
                    ));
                }
                ts = Some(self.timestamp(ttext, line)?);
                rest = after;
                if let Some(ex) = rest.strip_prefix(" # {") {
                    exemplar = Some(self.parse_exemplar(line, ex)?);
                } else if !rest.is_empty() {
                    return Err(error(
                        self.line,
                        "expected next entry after timestamp",
                        token(rest),
                        line,
                    ));
                }
            }
        } else if !rest.is_empty() {
            return Err(error(
                self.line,
                "expected timestamp or comment",
                token(rest),
                line,
            ));
        }

        sort_and_check_duplicates(&mut scratch).map_err(|m| ParseError::new(self.line, m))?;
        let r = self.rules.sample(SampleFacts {
            name,
            labels: &mut scratch,
            value,
            ts,
            has_exemplar: exemplar.is_some(),
        });
        let (family, metric_type) = match self.rule_result(r)? {
            Some(ft) => ft,
            None => self.rules.current().unwrap_or((name, MetricType::Unknown)),
        };
        self.scratch = scratch;
        Ok(Sample {
            series,
            name,
            labels_raw,
            value,
            timestamp: ts.map(seconds_to_ms),
            exemplar,
            family,
            metric_type,
        })
    }

    fn parse_exemplar(&self, line: &'a str, s: &'a str) -> Result<Exemplar<'a>, ParseError> {
        let mut pairs = Vec::new();
        let l = self.parse_labels(line, s, Some(&mut pairs))?;
        let len: usize = pairs
            .iter()
            .map(|(n, v)| n.chars().count() + unescape_label_value(v).chars().count())
            .sum();
        if len > MAX_EXEMPLAR_LABELS_LEN {
            return Err(ParseError::new(
                self.line,
                format!(
                    "exemplar labels have {len} UTF-8 characters, exceeding the limit of {MAX_EXEMPLAR_LABELS_LEN}"
                ),
            ));
        }
        let Some(after_space) = l.after.strip_prefix(' ') else {
            return Err(error(
                self.line,
                "expected value after exemplar labels",
                token(l.after),
                line,
            ));
        };
        let (vtext, rest) = split_token(after_space);
        if vtext.is_empty() {
            return Err(error(
                self.line,
                "expected value after exemplar labels",
                token(after_space),
                line,
            ));
        }
        let value = self.number(vtext, line)?;
        let mut timestamp = None;
        if let Some(tail) = rest.strip_prefix(' ') {
            let (ttext, after) = split_token(tail);
            if ttext.is_empty() {
                return Err(error(
                    self.line,
                    "expected timestamp or comment",
                    token(tail),
                    line,
                ));
            }
            let ts = self.number(ttext, line)?;
            if !ts.is_finite() {
                return Err(ParseError::new(
                    self.line,
                    format!("invalid exemplar timestamp {ts}"),
                ));
            }
            timestamp = Some(seconds_to_ms(ts));
            if !after.is_empty() {
                return Err(error(
                    self.line,
                    "expected next entry after exemplar timestamp",
                    token(after),
                    line,
                ));
            }
        } else if !rest.is_empty() {
            return Err(error(
                self.line,
                "expected timestamp or comment",
                token(rest),
                line,
            ));
        }
        Ok(Exemplar {
            labels_raw: l.inner,
            value,
            timestamp,
        })
    }

    fn step(&mut self) -> Result<Option<Entry<'a>>, ParseError> {
        loop {
            let Some(line) = self.next_line() else {
                return Err(ParseError::new(self.line.max(1), "data does not end with # EOF"));
            };
            if line == "# EOF" {
                if self.pos < self.src.len() {
                    return Err(ParseError::new(self.line, "unexpected data after # EOF"));
                }
                let r = self.rules.finish();
                self.rule_result(r)?;
                return Ok(None);
            }
            if let Some(e) = self.parse_line(line)? {
                return Ok(Some(e));
            }
        }
    }
}

impl<'a> Iterator for OpenMetricsParser<'a> {
    type Item = Result<Entry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.step() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(p: OpenMetricsParser<'_>) -> Result<Vec<Sample<'_>>, ParseError> {
        let mut out = Vec::new();
        for e in p {
            if let Entry::Sample(s) = e? {
                out.push(s);
            }
        }
        Ok(out)
    }

    #[test]
    fn families_and_types_are_attributed() {
        let body = "# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 3\nh_created 10\nother 1\n# EOF\n";
        let s = samples(OpenMetricsParser::new(body)).unwrap();
        assert_eq!(s.len(), 6);
        assert!(
            s[..5]
                .iter()
                .all(|x| x.family == "h" && x.metric_type == MetricType::Histogram)
        );
        assert_eq!(s[0].suffix(), "_bucket");
        assert!(s[4].is_created());
        assert_eq!((s[5].family, s[5].metric_type), ("other", MetricType::Unknown));
        let s = samples(OpenMetricsParser::new(body).skip_created(true)).unwrap();
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn lenient_mode_keeps_types_after_rule_violations() {
        // A negative sum with positive buckets violates the specification, not the syntax.
        let body = "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum -2\n# EOF\n";
        let err = samples(OpenMetricsParser::new(body)).unwrap_err();
        assert_eq!(err.line, 4);
        let s = samples(OpenMetricsParser::new(body).validate_families(false)).unwrap();
        assert_eq!(s[2].metric_type, MetricType::Histogram);
        assert_eq!(s[2].value, -2.0);
        // Syntax is checked either way.
        let bad = "a 1\n";
        assert!(samples(OpenMetricsParser::new(bad).validate_families(false)).is_err());
    }

    #[test]
    fn timestamps_are_seconds_and_become_milliseconds() {
        let body = "a 1 1.5\nb 1 -1\nc 1 1e3\n# EOF";
        let s = samples(OpenMetricsParser::new(body)).unwrap();
        assert_eq!(
            s.iter().map(|x| x.timestamp).collect::<Vec<_>>(),
            vec![Some(1500), Some(-1000), Some(1_000_000)]
        );
    }

    #[test]
    fn label_values_decode_escapes() {
        let body = "a{x=\"q\\\"\\n\\\\\",y=\"\"} 1\n# EOF\n";
        let s = samples(OpenMetricsParser::new(body)).unwrap();
        let l = s[0].labels();
        assert_eq!(l.get("x"), Some("q\"\n\\"));
        assert_eq!(l.get("y"), None, "an empty value is an absent label");
        let err = samples(OpenMetricsParser::new("a{__name__=\"b\"} 1\n# EOF\n")).unwrap_err();
        assert!(err.message.contains("not unique"), "{}", err.message);
    }

    #[test]
    fn eof_rules() {
        assert!(samples(OpenMetricsParser::new("# EOF")).unwrap().is_empty());
        assert!(samples(OpenMetricsParser::new("# EOF\n")).unwrap().is_empty());
        assert_eq!(
            samples(OpenMetricsParser::new("# EOF\n\n")).unwrap_err().message,
            "unexpected data after # EOF"
        );
        assert_eq!(
            samples(OpenMetricsParser::new("")).unwrap_err().message,
            "data does not end with # EOF"
        );
    }
}
