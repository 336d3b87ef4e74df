//! Rule-file errors, printed the way Prometheus prints them so that output can be compared with
//! `promtool check rules`.

use std::fmt;

/// Where in a rule file an error belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorContext {
    /// The file as a whole (I/O, YAML syntax, group-level checks).
    File,
    /// One rule: its group, 1-based index in the group and its record or alert name.
    Rule {
        group: String,
        index: usize,
        name: String,
    },
}

/// One error found in a rule file: `<file>: [<line>:<col>: ]group "<g>", rule <n>, "<name>": <message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    pub file: String,
    /// YAML positions (1-based line and column) that Prometheus prints before the message.
    pub positions: Vec<(u64, u64)>,
    pub context: ErrorContext,
    pub message: String,
}

impl RuleError {
    pub(crate) fn file(file: &str, positions: Vec<(u64, u64)>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            positions,
            context: ErrorContext::File,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file)?;
        for (line, col) in &self.positions {
            write!(f, "{line}:{col}: ")?;
        }
        if let ErrorContext::Rule { group, index, name } = &self.context {
            write!(f, "group {}, rule {index}, {}: ", go_quote(group), go_quote(name))?;
        }
        f.write_str(&self.message)
    }
}

/// Quotes a string like Go's `%q`, which Prometheus uses for group and rule names.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rule_errors_like_prometheus() {
        let e = RuleError {
            file: "r.yml".into(),
            positions: vec![(4, 17)],
            context: ErrorContext::Rule {
                group: "yolo".into(),
                index: 1,
                name: "a{b=\"c\"}".into(),
            },
            message: "boom".into(),
        };
        assert_eq!(
            e.to_string(),
            "r.yml: 4:17: group \"yolo\", rule 1, \"a{b=\\\"c\\\"}\": boom"
        );
        let e = RuleError::file("r.yml", vec![], "yaml: bad");
        assert_eq!(e.to_string(), "r.yml: yaml: bad");
    }
}
