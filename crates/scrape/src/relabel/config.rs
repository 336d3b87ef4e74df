//! One `relabel_configs` entry as written in YAML, with Prometheus's defaults and validation.

use std::fmt;

use regex::Regex;
use serde::Deserialize;

use crate::exposition::lexer::is_valid_label_name;

/// A relabeling action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    #[default]
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    /// Parses an action name, case-insensitively as Prometheus does.
    pub fn parse(s: &str) -> Result<Self, RelabelError> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "replace" => Action::Replace,
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "keepequal" => Action::KeepEqual,
            "dropequal" => Action::DropEqual,
            "hashmod" => Action::HashMod,
            "labelmap" => Action::LabelMap,
            "labeldrop" => Action::LabelDrop,
            "labelkeep" => Action::LabelKeep,
            "lowercase" => Action::Lowercase,
            "uppercase" => Action::Uppercase,
            _ => return Err(RelabelError(format!("unknown relabel action {s:?}"))),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A relabel configuration error, worded as Prometheus words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RelabelError(pub String);

/// A fully anchored regular expression that remembers how it was written.
#[derive(Debug, Clone)]
pub struct Regexp {
    source: String,
    re: Regex,
}

impl Regexp {
    /// Compiles `^(?:s)$`, as Prometheus anchors every relabel regex.
    pub fn new(s: &str) -> Result<Self, RelabelError> {
        let re = Regex::new(&format!("^(?:{s})$"))
            .map_err(|e| RelabelError(format!("error parsing regexp: {e}")))?;
        Ok(Self {
            source: s.to_string(),
            re,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn regex(&self) -> &Regex {
        &self.re
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.re.is_match(s)
    }
}

impl PartialEq for Regexp {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

pub const DEFAULT_SEPARATOR: &str = ";";
pub const DEFAULT_REGEX: &str = "(.*)";
pub const DEFAULT_REPLACEMENT: &str = "$1";

/// One relabeling step. Built from YAML (`RawRelabelConfig`) or with [`RelabelConfig::new`]
/// plus field updates followed by [`RelabelConfig::validate`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawRelabelConfig")]
pub struct RelabelConfig {
    pub source_labels: Vec<String>,
    pub separator: String,
    pub regex: Regexp,
    pub modulus: u64,
    pub target_label: String,
    pub replacement: String,
    pub action: Action,
    /// Whether `regex` / `source_labels` were written explicitly (some actions forbid them).
    pub regex_set: bool,
    pub source_labels_set: bool,
}

impl RelabelConfig {
    /// A config with Prometheus's defaults for `action`.
    pub fn new(action: Action) -> Self {
        Self {
            source_labels: Vec::new(),
            separator: DEFAULT_SEPARATOR.to_string(),
            regex: default_regex(),
            modulus: 0,
            target_label: String::new(),
            replacement: DEFAULT_REPLACEMENT.to_string(),
            action,
            regex_set: false,
            source_labels_set: false,
        }
    }

    /// Checks the combination of fields as Prometheus does when loading a config.
    pub fn validate(&self) -> Result<(), RelabelError> {
        let a = self.action;
        let err = |m: String| Err(RelabelError(m));
        if self.modulus == 0 && a == Action::HashMod {
            return err("relabel configuration for hashmod requires non-zero modulus".into());
        }
        let needs_target = matches!(
            a,
            Action::Replace
                | Action::HashMod
                | Action::Lowercase
                | Action::Uppercase
                | Action::KeepEqual
                | Action::DropEqual
        );
        if needs_target && self.target_label.is_empty() {
            return err(format!(
                "relabel configuration for {a} action requires 'target_label' value"
            ));
        }
        let invalid_target = || format!("{:?} is invalid 'target_label' for {a} action", self.target_label);
        if a == Action::Replace {
            let ok = if self.target_label.contains('$') {
                is_relabel_template(&self.target_label)
            } else {
                is_valid_label_name(&self.target_label)
            };
            if !ok {
                return err(invalid_target());
            }
        }
        let equal_or_case = matches!(
            a,
            Action::Lowercase | Action::Uppercase | Action::KeepEqual | Action::DropEqual
        );
        if equal_or_case && !is_valid_label_name(&self.target_label) {
            return err(invalid_target());
        }
        if equal_or_case && self.replacement != DEFAULT_REPLACEMENT {
            return err(format!("'replacement' can not be set for {a} action"));
        }
        if a == Action::LabelMap && !is_relabel_template(&self.replacement) {
            return err(format!(
                "{:?} is invalid 'replacement' for {a} action",
                self.replacement
            ));
        }
        if a == Action::HashMod && !is_valid_label_name(&self.target_label) {
            return err(invalid_target());
        }
        if matches!(a, Action::DropEqual | Action::KeepEqual)
            && (self.regex_set
                || self.modulus != 0
                || self.separator != DEFAULT_SEPARATOR
                || self.replacement != DEFAULT_REPLACEMENT)
        {
            return err(format!(
                "{a} action requires only 'source_labels' and `target_label`, and no other fields"
            ));
        }
        if matches!(a, Action::LabelDrop | Action::LabelKeep)
            && (self.source_labels_set
                || !self.target_label.is_empty()
                || self.modulus != 0
                || self.separator != DEFAULT_SEPARATOR
                || self.replacement != DEFAULT_REPLACEMENT)
        {
            return err(format!("{a} action requires only 'regex', and no other fields"));
        }
        Ok(())
    }
}

fn default_regex() -> Regexp {
    static RE: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| Regex::new("^(?:(.*))$").expect("constant regex compiles"));
    Regexp {
        source: DEFAULT_REGEX.to_string(),
        re: RE.clone(),
    }
}

/// Prometheus's check for templated target labels: names built from letters, `_`, digits and
/// `$var` / `${var}` references.
pub fn is_relabel_template(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    // The first unit must be a letter, `_` or a reference; after that word characters are free.
    let mut first = true;
    while i < b.len() {
        if b[i] == b'$' {
            i += 1;
            if i < b.len() && b[i] == b'{' {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && word(b[j]) {
                    j += 1;
                }
                if j == start || j >= b.len() || b[j] != b'}' {
                    return false;
                }
                i = j + 1;
            } else {
                let start = i;
                while i < b.len() && word(b[i]) {
                    i += 1;
                }
                if i == start {
                    return false;
                }
            }
        } else if !word(b[i]) || (first && b[i].is_ascii_digit()) {
            return false;
        } else {
            i += 1;
        }
        first = false;
    }
    true
}

/// The YAML shape of a relabel config, before defaults and validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelabelConfig {
    source_labels: Option<Vec<String>>,
    separator: Option<String>,
    regex: Option<String>,
    modulus: Option<u64>,
    target_label: Option<String>,
    replacement: Option<String>,
    action: Option<String>,
}

impl TryFrom<RawRelabelConfig> for RelabelConfig {
    type Error = RelabelError;

    fn try_from(r: RawRelabelConfig) -> Result<Self, Self::Error> {
        let action = match r.action.as_deref() {
            None => Action::Replace,
            Some(a) => Action::parse(a)?,
        };
        let mut c = RelabelConfig::new(action);
        if let Some(sl) = r.source_labels {
            c.source_labels = sl;
            c.source_labels_set = true;
        }
        if let Some(s) = r.separator {
            c.separator = s;
        }
        if let Some(re) = r.regex {
            c.regex = Regexp::new(&re)?;
            c.regex_set = true;
        }
        c.modulus = r.modulus.unwrap_or(0);
        c.target_label = r.target_label.unwrap_or_default();
        if let Some(rep) = r.replacement {
            c.replacement = rep;
        }
        c.validate()?;
        Ok(c)
    }
}
