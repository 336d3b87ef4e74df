//! Upstream rule files (model/rulefmt/testdata and rules/fixtures) must load or fail with the
//! error substrings the upstream tests expect. Files listed in rulefmt_passing.txt must keep
//! passing so the score only goes up.

use std::path::PathBuf;

use obslab_rules::{NameValidation, parse_file};

/// (folder, file, name validation, expected error substring; `None` = must load).
const CASES: &[(&str, &str, NameValidation, Option<&str>)] = &[
    ("model/rulefmt/testdata", "test.yaml", NameValidation::Utf8, None),
    (
        "model/rulefmt/testdata",
        "test_aliases.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "model/rulefmt/testdata",
        "utf-8_lname.good.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "model/rulefmt/testdata",
        "utf-8_annotation.good.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "model/rulefmt/testdata",
        "legacy_validation_annotation.good.yaml",
        NameValidation::Legacy,
        None,
    ),
    (
        "model/rulefmt/testdata",
        "duplicate_grp.bad.yaml",
        NameValidation::Utf8,
        Some("groupname: \"yolo\" is repeated in the same file"),
    ),
    (
        "model/rulefmt/testdata",
        "bad_expr.bad.yaml",
        NameValidation::Utf8,
        Some("parse error"),
    ),
    (
        "model/rulefmt/testdata",
        "record_and_alert.bad.yaml",
        NameValidation::Utf8,
        Some("only one of 'record' and 'alert' must be set"),
    ),
    (
        "model/rulefmt/testdata",
        "no_rec_alert.bad.yaml",
        NameValidation::Utf8,
        Some("one of 'record' or 'alert' must be set"),
    ),
    (
        "model/rulefmt/testdata",
        "noexpr.bad.yaml",
        NameValidation::Utf8,
        Some("field 'expr' must be set in rule"),
    ),
    (
        "model/rulefmt/testdata",
        "invalid_record_name.bad.yaml",
        NameValidation::Utf8,
        Some(
            "braces present in the recording rule name; should it be in expr?: strawberry{flavor=\"sweet\"}",
        ),
    ),
    (
        "model/rulefmt/testdata",
        "bad_field.bad.yaml",
        NameValidation::Utf8,
        Some("field annotation not found"),
    ),
    (
        "model/rulefmt/testdata",
        "invalid_label_name.bad.yaml",
        NameValidation::Utf8,
        Some("invalid label name"),
    ),
    (
        "model/rulefmt/testdata",
        "record_and_for.bad.yaml",
        NameValidation::Utf8,
        Some("invalid field 'for' in recording rule"),
    ),
    (
        "model/rulefmt/testdata",
        "record_and_keep_firing_for.bad.yaml",
        NameValidation::Utf8,
        Some("invalid field 'keep_firing_for' in recording rule"),
    ),
    (
        "model/rulefmt/testdata",
        "legacy_validation_annotation.bad.yaml",
        NameValidation::Legacy,
        Some("invalid annotation name: ins-tance"),
    ),
    ("rules/fixtures", "alert_rule.yaml", NameValidation::Utf8, None),
    ("rules/fixtures", "alert_rule1.yaml", NameValidation::Utf8, None),
    ("rules/fixtures", "rules.yaml", NameValidation::Utf8, None),
    ("rules/fixtures", "rules1.yaml", NameValidation::Utf8, None),
    ("rules/fixtures", "rules2.yaml", NameValidation::Utf8, None),
    ("rules/fixtures", "rules2_copy.yaml", NameValidation::Utf8, None),
    ("rules/fixtures", "rules_chain.yaml", NameValidation::Utf8, None),
    (
        "rules/fixtures",
        "rules_dependencies.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "rules/fixtures",
        "rules_indeterminates.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "rules/fixtures",
        "rules_multi_doc.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "rules/fixtures",
        "rules_multiple.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "rules/fixtures",
        "rules_multiple_dependents_on_base.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "rules/fixtures",
        "rules_multiple_groups.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "rules/fixtures",
        "rules_multiple_independent.yaml",
        NameValidation::Utf8,
        None,
    ),
    (
        "rules/fixtures",
        "invalid_rules.yaml",
        NameValidation::Utf8,
        Some("field unexpected_field not found in type rulefmt.RuleNode"),
    ),
];

fn base() -> PathBuf {
    obslab_testkit::conformance_dir().join("prometheus-misc")
}

/// Runs one case; `Err` explains the mismatch.
fn run(dir: &str, file: &str, names: NameValidation, want: Option<&str>) -> Result<(), String> {
    let got = parse_file(&base().join(dir).join(file), names);
    match (got, want) {
        (Ok(_), None) => Ok(()),
        (Ok(_), Some(w)) => Err(format!("loaded, want error containing {w:?}")),
        (Err(e), None) => Err(format!("want success, got {e:?}")),
        (Err(errs), Some(w)) => {
            let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            if text.iter().any(|t| t.contains(w)) {
                Ok(())
            } else {
                Err(format!("want error containing {w:?}, got {text:?}"))
            }
        }
    }
}

#[test]
fn rulefmt_conformance() {
    let passing_list = include_str!("rulefmt_passing.txt");
    let must_pass: Vec<&str> = passing_list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut passed = 0;
    let mut regressions = Vec::new();
    for (dir, file, names, want) in CASES {
        let key = format!("{dir}/{file}");
        match run(dir, file, *names, *want) {
            Ok(()) => passed += 1,
            Err(why) => {
                eprintln!("FAIL {key}: {why}");
                if must_pass.contains(&key.as_str()) {
                    regressions.push(key);
                }
            }
        }
    }
    println!("rulefmt: {passed}/{}", CASES.len());
    for key in &must_pass {
        assert!(
            CASES.iter().any(|(d, f, ..)| format!("{d}/{f}") == *key),
            "unknown case in passing list: {key}"
        );
    }
    assert!(
        regressions.is_empty(),
        "cases in rulefmt_passing.txt fail now: {regressions:?}"
    );
}
