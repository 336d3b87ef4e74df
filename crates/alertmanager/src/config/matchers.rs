//! Alertmanager's matcher syntax: `foo="bar"`, `foo=~"a|b"`, `foo!=x`, lists such as
//! `{a="b", c=~"d"}`. Values may be quoted (with `\"`, `\n`, `\\` escapes) or bare; a leading `{`
//! and trailing `}` and a trailing comma are optional. Label names follow Prometheus's rules, or
//! are double-quoted to use any UTF-8 text.

use obslab_model::{MatchOp, Matcher};
use serde::{Deserialize, Deserializer};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatcherParseError {
    #[error("bad matcher format: {0}")]
    Format(String),
    #[error("matcher value contains unescaped double quote: {0}")]
    UnescapedQuote(String),
    #[error("invalid regular expression in matcher {matcher}: {message}")]
    Regex { matcher: String, message: String },
}

/// Parses a comma-separated list of matchers; commas inside double quotes do not separate.
pub fn parse_matchers(s: &str) -> Result<Vec<Matcher>, MatcherParseError> {
    let s = s.trim();
    let s = s.strip_prefix('{').unwrap_or(s);
    let s = s.strip_suffix('}').unwrap_or(s);
    let mut tokens = Vec::new();
    let mut token = String::new();
    let (mut in_quotes, mut escaped) = (false, false);
    for c in s.chars() {
        match c {
            ',' if !in_quotes => {
                tokens.push(std::mem::take(&mut token));
                continue;
            }
            ',' => {}
            '"' => {
                if escaped {
                    escaped = false;
                } else {
                    in_quotes = !in_quotes;
                }
            }
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
        token.push(c);
    }
    if !token.trim().is_empty() {
        tokens.push(token);
    }
    tokens.iter().map(|t| parse_matcher(t)).collect()
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

/// Parses one matcher: name, operator, then a value that may be empty.
pub fn parse_matcher(input: &str) -> Result<Matcher, MatcherParseError> {
    let bad = || MatcherParseError::Format(input.to_string());
    let s = input.trim_start();
    let (name, rest) = if let Some(q) = s.strip_prefix('"') {
        let end = closing_quote(q).ok_or_else(bad)?;
        (unescape(&q[..end]), &q[end + 1..])
    } else {
        let end = s
            .char_indices()
            .find(|&(i, c)| !(is_name_start(c) || (i > 0 && c.is_ascii_digit())))
            .map_or(s.len(), |(i, _)| i);
        (s[..end].to_string(), &s[end..])
    };
    if name.is_empty() {
        return Err(bad());
    }
    let rest = rest.trim_start();
    let (op, rest) = [
        ("=~", MatchOp::Regex),
        ("=", MatchOp::Equal),
        ("!=", MatchOp::NotEqual),
        ("!~", MatchOp::NotRegex),
    ]
    .iter()
    .find_map(|(t, op)| rest.strip_prefix(t).map(|r| (*op, r)))
    .ok_or_else(bad)?;
    let raw = rest.trim();
    let value = parse_value(raw)?;
    Matcher::new(op, name, value).map_err(|e| MatcherParseError::Regex {
        matcher: input.trim().to_string(),
        message: e.to_string(),
    })
}

fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' => escaped = !escaped,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('n') => out.push('\n'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                _ => {
                    out.push('\\');
                    continue;
                }
            }
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

/// Unescapes a value: an optional surrounding pair of quotes, `\n`, `\"`, `\\`; other backslashes
/// stay literal and an unescaped inner quote is an error.
fn parse_value(raw: &str) -> Result<String, MatcherParseError> {
    let (body, mut expect_quote) = match raw.strip_prefix('"') {
        Some(b) => (b, true),
        None => (raw, false),
    };
    let mut out = String::with_capacity(body.len());
    let mut escaped = false;
    let last = body.char_indices().last().map(|(i, _)| i);
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
            match c {
                'n' => out.push('\n'),
                '"' | '\\' => out.push(c),
                _ => {
                    out.push('\\');
                    out.push(c);
                }
            }
            continue;
        }
        match c {
            '\\' if Some(i) != last => escaped = true,
            '"' => {
                if !expect_quote || Some(i) != last {
                    return Err(MatcherParseError::UnescapedQuote(raw.to_string()));
                }
                expect_quote = false;
            }
            _ => out.push(c),
        }
    }
    if expect_quote {
        return Err(MatcherParseError::UnescapedQuote(raw.to_string()));
    }
    Ok(out)
}

/// Renders a matcher as Alertmanager prints it: `name="value"` with OpenMetrics escaping, the
/// name quoted when it is not a plain label name.
pub fn matcher_string(m: &Matcher) -> String {
    let plain = m.name.chars().next().is_some_and(is_name_start)
        && m.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    let name = if plain {
        m.name.clone()
    } else {
        format!("\"{}\"", escape(&m.name))
    };
    format!("{name}{}\"{}\"", m.op, escape(&m.value))
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n").replace('"', "\\\"")
}

/// Renders a sorted matcher list as `{a="b",c=~"d"}`.
pub fn matchers_string(ms: &[Matcher]) -> String {
    let parts: Vec<String> = ms.iter().map(matcher_string).collect();
    format!("{{{}}}", parts.join(","))
}

/// True when `name` is a valid Prometheus label name.
pub fn is_valid_label_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A `matchers:` list in YAML: each string may hold one or more matchers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatcherList(pub Vec<Matcher>);

impl<'de> Deserialize<'de> for MatcherList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let lines = Vec::<String>::deserialize(d)?;
        let mut out = Vec::new();
        for line in &lines {
            out.extend(parse_matchers(line).map_err(serde::de::Error::custom)?);
        }
        Ok(MatcherList(out))
    }
}

impl fmt::Display for MatcherList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&matchers_string(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> (String, MatchOp, String) {
        let m = parse_matcher(s).unwrap();
        (m.name, m.op, m.value)
    }

    #[test]
    fn operators_and_quoting() {
        assert_eq!(one(r#"foo="bar""#), ("foo".into(), MatchOp::Equal, "bar".into()));
        assert_eq!(one("foo=~a|b"), ("foo".into(), MatchOp::Regex, "a|b".into()));
        assert_eq!(
            one(r#" foo != "x" "#),
            ("foo".into(), MatchOp::NotEqual, "x".into())
        );
        assert_eq!(one("foo!~x.*"), ("foo".into(), MatchOp::NotRegex, "x.*".into()));
        assert_eq!(one("foo="), ("foo".into(), MatchOp::Equal, "".into()));
        assert_eq!(one(r#"foo="ünïcödé ☃""#).2, "ünïcödé ☃");
        assert_eq!(one(r#"foo="a\"b\nc\\d\x""#).2, "a\"b\nc\\d\\x");
        assert_eq!(one(r#""host name"="x""#).0, "host name");
    }

    #[test]
    fn lists_with_braces_and_commas_in_quotes() {
        let ms = parse_matchers(r#"{a="b", c=~"d|e", q="x,y",}"#).unwrap();
        assert_eq!(ms.len(), 3);
        assert_eq!(ms[2].value, "x,y");
        assert_eq!(parse_matchers("a=b,c!=d").unwrap().len(), 2);
        assert!(parse_matchers("{}").unwrap().is_empty());
    }

    #[test]
    fn errors() {
        assert!(matches!(parse_matcher("=x"), Err(MatcherParseError::Format(_))));
        assert!(matches!(parse_matcher("foo"), Err(MatcherParseError::Format(_))));
        assert!(matches!(
            parse_matcher("1foo=x"),
            Err(MatcherParseError::Format(_))
        ));
        assert!(matches!(
            parse_matcher(r#"foo="a"b""#),
            Err(MatcherParseError::UnescapedQuote(_))
        ));
        assert!(matches!(
            parse_matcher(r#"foo="ab"#),
            Err(MatcherParseError::UnescapedQuote(_))
        ));
        assert!(matches!(
            parse_matcher("foo=~(x"),
            Err(MatcherParseError::Regex { .. })
        ));
    }

    #[test]
    fn printing_round_trips() {
        let m = parse_matcher(r#"foo=~"a\"b""#).unwrap();
        assert_eq!(matcher_string(&m), r#"foo=~"a\"b""#);
        let m = parse_matcher(r#""a b"="c""#).unwrap();
        assert_eq!(matcher_string(&m), r#""a b"="c""#);
        let ms = parse_matchers("{b=1,a!=2}").unwrap();
        assert_eq!(matchers_string(&ms), r#"{b="1",a!="2"}"#);
    }
}
