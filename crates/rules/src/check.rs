//! `promtool check rules`: validation plus the duplicate-rule lint, with promtool's output text
//! and exit codes (0 ok, 1 errors, 3 lint findings with `--lint-fatal`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::error::RuleError;
use crate::rulefmt::{NameValidation, RuleGroups, parse_file};

/// Which lint checks run after validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LintMode {
    None,
    #[default]
    Duplicates,
}

/// A rule name and label set that occurs more than once in a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DuplicateRule {
    pub metric: String,
    pub labels: BTreeMap<String, String>,
}

/// A rule file that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRules {
    pub groups: RuleGroups,
    pub rule_count: usize,
    /// Each duplicated (name, labels) pair once, sorted.
    pub duplicates: Vec<DuplicateRule>,
}

impl CheckedRules {
    /// promtool's lint message for the duplicates, or `None` when there are none.
    pub fn lint_message(&self) -> Option<String> {
        if self.duplicates.is_empty() {
            return None;
        }
        let mut s = format!("lint error {} duplicate rule(s) found.\n", self.duplicates.len());
        for d in &self.duplicates {
            let _ = writeln!(s, "Metric: {}\nLabel(s):", d.metric);
            for (k, v) in &d.labels {
                let _ = writeln!(s, "\t{k}: {v}");
            }
        }
        s.push_str("Might cause inconsistency while recording expressions");
        Some(s)
    }
}

/// Validates one rule file (UTF-8 name validation) and finds duplicate rules.
pub fn check_rules(path: &Path) -> Result<CheckedRules, Vec<RuleError>> {
    let groups = parse_file(path, NameValidation::Utf8)?;
    let duplicates = find_duplicates(&groups);
    Ok(CheckedRules {
        rule_count: groups.rule_count(),
        groups,
        duplicates,
    })
}

fn find_duplicates(groups: &RuleGroups) -> Vec<DuplicateRule> {
    let mut all: Vec<DuplicateRule> = groups
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .map(|r| DuplicateRule {
            metric: r.name().to_string(),
            labels: r.labels.clone(),
        })
        .collect();
    all.sort();
    let mut dups: Vec<DuplicateRule> = Vec::new();
    for w in all.windows(2) {
        if w[0] == w[1] && dups.last() != Some(&w[1]) {
            dups.push(w[1].clone());
        }
    }
    dups
}

/// What `promtool check rules` prints and returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckReport {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// Checks several files the way `promtool check rules [--lint=...] [--lint-fatal] FILE...` does.
pub fn check_rules_files<P: AsRef<Path>>(paths: &[P], lint: LintMode, lint_fatal: bool) -> CheckReport {
    let mut rep = CheckReport::default();
    let (mut failed, mut has_errors) = (false, false);
    for p in paths {
        let p = p.as_ref();
        let _ = writeln!(rep.stdout, "Checking {}", p.display());
        let outcome = match check_rules(p) {
            Err(errs) => Err(Ok(errs)),
            Ok(c) => match (lint, c.lint_message()) {
                (LintMode::Duplicates, Some(msg)) => Err(Err(msg)),
                _ => Ok(c),
            },
        };
        match outcome {
            Ok(c) => {
                let _ = writeln!(rep.stdout, "  SUCCESS: {} rules found", c.rule_count);
            }
            Err(e) => {
                failed = true;
                rep.stderr.push_str("  FAILED:\n");
                match e {
                    Ok(errs) => {
                        has_errors = true;
                        for e in errs {
                            let _ = writeln!(rep.stderr, "{e}");
                        }
                    }
                    Err(lint_msg) => {
                        let _ = writeln!(rep.stderr, "{lint_msg}");
                    }
                }
            }
        }
        rep.stdout.push('\n');
    }
    rep.exit_code = match (failed, has_errors, lint_fatal) {
        (true, true, _) => 1,
        (true, false, true) => 3,
        _ => 0,
    };
    rep
}
