//! Prometheus rule files: loading and validating them with the same error texts as Prometheus,
//! `promtool check rules` semantics, and the alert state machine that drives alerting rules.

pub mod alert;
pub mod check;
pub mod error;
pub mod rulefmt;
mod validate;
mod yaml;

pub use alert::{ActiveAlert, AlertRule, AlertState};
pub use check::{CheckReport, CheckedRules, DuplicateRule, LintMode, check_rules, check_rules_files};
pub use error::RuleError;
pub use rulefmt::{NameValidation, Rule, RuleGroup, RuleGroups, RuleKind, parse_file, parse_str};
