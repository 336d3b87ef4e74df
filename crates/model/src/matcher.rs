//! Label matchers (`=`, `!=`, `=~`, `!~`) with Prometheus's fully-anchored regex semantics.

use regex::Regex;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("invalid regular expression {pattern:?}: {source}")]
    Regex {
        pattern: String,
        #[source]
        source: regex::Error,
    },
}

/// Matches one label of a series. A missing label matches as the empty string, as in Prometheus.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: MatchOp,
    pub value: String,
    re: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Matcher {
    pub fn new(op: MatchOp, name: impl Into<String>, value: impl Into<String>) -> Result<Self, MatcherError> {
        let value = value.into();
        let re = match op {
            MatchOp::Regex | MatchOp::NotRegex => Some(Regex::new(&format!("^(?s:{value})$")).map_err(
                |source| MatcherError::Regex {
                    pattern: value.clone(),
                    source,
                },
            )?),
            _ => None,
        };
        Ok(Self {
            name: name.into(),
            op,
            value,
            re,
        })
    }

    /// Does a label value (empty when the label is absent) satisfy this matcher?
    pub fn matches(&self, v: &str) -> bool {
        match self.op {
            MatchOp::Equal => v == self.value,
            MatchOp::NotEqual => v != self.value,
            MatchOp::Regex => self.re.as_ref().is_some_and(|r| r.is_match(v)),
            MatchOp::NotRegex => !self.re.as_ref().is_some_and(|r| r.is_match(v)),
        }
    }

    /// True when the matcher also selects series that lack the label.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:?}", self.name, self.op, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_anchored_and_empty_matches_absent() {
        let m = Matcher::new(MatchOp::Regex, "job", "api|web").unwrap();
        assert!(m.matches("api"));
        assert!(!m.matches("xapi"));
        let n = Matcher::new(MatchOp::NotEqual, "job", "").unwrap();
        assert!(!n.matches_empty());
        assert!(Matcher::new(MatchOp::Regex, "x", "(").is_err());
    }
}
