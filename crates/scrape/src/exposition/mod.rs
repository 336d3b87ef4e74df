//! Exposition formats: the Prometheus text format 0.0.4 and OpenMetrics 1.0 text, parsed into a
//! stream of [`Entry`] values that borrow from the scraped body.
//!
//! Both parsers are hand-written state machines over `&str`: a sample keeps its raw series text
//! (usable as a cache key, as Prometheus's scrape cache does) and decodes its labels only when asked.

pub mod lexer;
pub mod negotiate;
mod om_rules;
pub mod openmetrics;
pub mod text;

use std::borrow::Cow;
use std::fmt;

use obslab_model::{Labels, LabelsBuilder, METRIC_NAME};

pub use lexer::LabelIter;
pub use negotiate::{DEFAULT_ACCEPT, ExpositionFormat};
pub use openmetrics::OpenMetricsParser;
pub use text::TextParser;

/// A metric family type as written in `# TYPE` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    #[default]
    Unknown,
}

impl MetricType {
    /// The OpenMetrics spelling (`unknown` for untyped).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Parses an OpenMetrics type word (`untyped` is not one).
    pub fn from_openmetrics(s: &str) -> Option<Self> {
        Some(match s {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" => MetricType::Unknown,
            _ => return None,
        })
    }

    /// Parses a text-format 0.0.4 type word.
    pub fn from_text(s: &str) -> Option<Self> {
        Some(match s {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "summary" => MetricType::Summary,
            "untyped" => MetricType::Unknown,
            _ => return None,
        })
    }

    /// The sample-name suffixes a family of this type may use (OpenMetrics rules).
    pub fn suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["_total", "_created"],
            MetricType::Summary => &["", "_count", "_sum", "_created"],
            MetricType::Histogram => &["_count", "_sum", "_bucket", "_created"],
            MetricType::GaugeHistogram => &["_gcount", "_gsum", "_bucket"],
            MetricType::Info => &["_info"],
            _ => &[""],
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parse failure: the 1-based line where it happened and a Prometheus-style message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

/// One item of an exposition.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'a> {
    Help {
        name: &'a str,
        help: Cow<'a, str>,
    },
    Type {
        name: &'a str,
        metric_type: MetricType,
    },
    Unit {
        name: &'a str,
        unit: &'a str,
    },
    /// A free comment (text format only).
    Comment(&'a str),
    Sample(Sample<'a>),
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// The series exactly as written (`name{labels}`): stable across scrapes, so it can key caches.
    pub series: &'a str,
    pub name: &'a str,
    /// The text between the braces (empty without labels); escapes are still encoded.
    pub labels_raw: &'a str,
    pub value: f64,
    /// Milliseconds since the epoch, when the exposition gives one.
    pub timestamp: Option<i64>,
    pub exemplar: Option<Exemplar<'a>>,
    /// The family this sample belongs to and its type (`Unknown` when no TYPE covers it).
    pub family: &'a str,
    pub metric_type: MetricType,
}

impl<'a> Sample<'a> {
    /// Label pairs other than the name, decoded lazily.
    pub fn label_pairs(&self) -> LabelIter<'a> {
        LabelIter::new(self.labels_raw)
    }

    /// The full label set, `__name__` included.
    pub fn labels(&self) -> Labels {
        let mut b = LabelsBuilder::default();
        b.set(METRIC_NAME, self.name);
        for (n, v) in self.label_pairs() {
            b.set(n, v.into_owned());
        }
        b.build()
    }

    /// The part of the name after the family name (`_total`, `_bucket`, ...; empty for a plain one).
    pub fn suffix(&self) -> &'a str {
        self.name.strip_prefix(self.family).unwrap_or("")
    }

    /// True for an OpenMetrics `_created` sample of a counter, histogram or summary: it carries the
    /// creation time of its series rather than a measurement.
    pub fn is_created(&self) -> bool {
        matches!(
            self.metric_type,
            MetricType::Counter | MetricType::Histogram | MetricType::Summary
        ) && self.suffix() == "_created"
    }
}

/// An OpenMetrics exemplar attached to a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'a> {
    pub labels_raw: &'a str,
    pub value: f64,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
}

impl<'a> Exemplar<'a> {
    pub fn label_pairs(&self) -> LabelIter<'a> {
        LabelIter::new(self.labels_raw)
    }

    pub fn labels(&self) -> Labels {
        Labels::from_pairs(self.label_pairs().map(|(n, v)| (n, v.into_owned())))
    }
}

/// A parser of either format, chosen by content type.
pub enum Parser<'a> {
    Text(TextParser<'a>),
    OpenMetrics(Box<OpenMetricsParser<'a>>),
}

impl<'a> Parser<'a> {
    /// The parser for a response's `Content-Type` (text format when it is missing or unknown).
    /// OpenMetrics bodies are read as Prometheus reads them when scraping: strict syntax and
    /// `# EOF`, without enforcing the specification's family rules.
    pub fn for_content_type(body: &'a str, content_type: Option<&str>) -> Self {
        match negotiate::format_for_content_type(content_type) {
            ExpositionFormat::OpenMetrics => {
                Parser::OpenMetrics(Box::new(OpenMetricsParser::new(body).validate_families(false)))
            }
            ExpositionFormat::Text => Parser::Text(TextParser::new(body)),
        }
    }
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Entry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Parser::Text(p) => p.next(),
            Parser::OpenMetrics(p) => p.next(),
        }
    }
}

/// Checks that a body is UTF-8, reporting the line of the first bad byte, so parsers can work on
/// `&str`.
pub fn body_as_str(body: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        ParseError::new(line, "invalid UTF-8 in exposition")
    })
}

/// Parses a whole body into owned entries; convenient for tests and tools, not for the scrape path.
pub fn parse_all<'a>(
    parser: impl Iterator<Item = Result<Entry<'a>, ParseError>>,
) -> Result<Vec<Entry<'a>>, ParseError> {
    parser.collect()
}
