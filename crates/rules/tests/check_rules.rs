//! `promtool check rules` behaviour: summary text, error lines with positions, the duplicate
//! lint and exit codes, compared with what promtool prints for the same upstream files.

use std::path::PathBuf;

use obslab_rules::{LintMode, check_rules, check_rules_files};

fn misc(rel: &str) -> PathBuf {
    obslab_testkit::conformance_dir()
        .join("prometheus-misc")
        .join(rel)
}

#[test]
fn good_file_reports_rule_count() {
    let p = misc("cmd/promtool/testdata/rules.yml");
    let checked = check_rules(&p).unwrap();
    assert_eq!(checked.rule_count, 5);
    assert!(checked.duplicates.is_empty());
    let rep = check_rules_files(&[&p], LintMode::Duplicates, false);
    assert_eq!(
        rep.stdout,
        format!("Checking {}\n  SUCCESS: 5 rules found\n\n", p.display())
    );
    assert_eq!(rep.stderr, "");
    assert_eq!(rep.exit_code, 0);
}

#[test]
fn duplicate_rules_are_a_lint_finding() {
    let p = misc("cmd/promtool/testdata/rules_duplicates.yml");
    let checked = check_rules(&p).unwrap();
    assert_eq!(checked.duplicates.len(), 1);
    assert_eq!(checked.duplicates[0].metric, "job:test:count_over_time1m");
    let rep = check_rules_files(&[&p], LintMode::Duplicates, false);
    assert_eq!(rep.stdout, format!("Checking {}\n\n", p.display()));
    assert_eq!(
        rep.stderr,
        "  FAILED:\nlint error 1 duplicate rule(s) found.\nMetric: job:test:count_over_time1m\nLabel(s):\n\
         Might cause inconsistency while recording expressions\n"
    );
    assert_eq!(rep.exit_code, 0);
    assert_eq!(check_rules_files(&[&p], LintMode::Duplicates, true).exit_code, 3);
    let rep = check_rules_files(&[&p], LintMode::None, true);
    assert!(rep.stdout.contains("SUCCESS: 5 rules found"));
    assert_eq!(rep.exit_code, 0);
}

#[test]
fn duplicate_labels_are_listed() {
    let p = misc("model/rulefmt/testdata/test.yaml");
    let msg = check_rules(&p).unwrap().lint_message().unwrap();
    assert_eq!(
        msg,
        "lint error 1 duplicate rule(s) found.\nMetric: HighErrors\nLabel(s):\n\tseverity: critical\n\
         Might cause inconsistency while recording expressions"
    );
}

/// Error lines as promtool prints them (positions included) for files where the message text
/// is the same in every Prometheus version.
#[test]
fn error_lines_match_promtool() {
    let cases = [
        (
            "duplicate_grp.bad.yaml",
            "3:5: groupname: \"yolo\" is repeated in the same file",
        ),
        (
            "invalid_label_name.bad.yaml",
            "group \"yolo\", rule 1, \"hola\": invalid label name: __name__",
        ),
        (
            "no_rec_alert.bad.yaml",
            "0:0: group \"yolo\", rule 1, \"\": one of 'record' or 'alert' must be set",
        ),
        (
            "noexpr.bad.yaml",
            "0:0: group \"yolo\", rule 1, \"ylo\": field 'expr' must be set in rule",
        ),
        (
            "record_and_alert.bad.yaml",
            "4:17: 5:16: group \"yolo\", rule 1, \"Hello\": only one of 'record' and 'alert' must be set",
        ),
        (
            "record_and_for.bad.yaml",
            "4:17: group \"yolo\", rule 1, \"Hello\": invalid field 'for' in recording rule",
        ),
        (
            "bad_field.bad.yaml",
            "yaml: unmarshal errors:\n  line 8: field annotation not found in type rulefmt.RuleNode",
        ),
    ];
    for (file, want) in cases {
        let p = misc(&format!("model/rulefmt/testdata/{file}"));
        let rep = check_rules_files(&[&p], LintMode::Duplicates, false);
        assert_eq!(
            rep.stderr,
            format!("  FAILED:\n{}: {want}\n", p.display()),
            "{file}"
        );
        assert_eq!(rep.exit_code, 1, "{file}");
    }
}

#[test]
fn expression_errors_carry_the_expr_position() {
    let p = misc("model/rulefmt/testdata/bad_expr.bad.yaml");
    let errs = check_rules(&p).unwrap_err();
    let line = errs[0].to_string();
    let prefix = format!(
        "{}: 5:15: group \"yolo\", rule 1, \"yolo\": could not parse expression: ",
        p.display()
    );
    assert!(line.starts_with(&prefix), "{line}");
    assert!(line.contains("parse error"), "{line}");
}

#[test]
fn several_files_and_missing_ones() {
    let good = misc("rules/fixtures/rules.yaml");
    let missing = misc("rules/fixtures/does-not-exist.yaml");
    let rep = check_rules_files(&[&good, &missing], LintMode::Duplicates, false);
    assert!(rep.stdout.contains("SUCCESS: 1 rules found"));
    assert!(rep.stderr.contains(&format!("{}: ", missing.display())));
    assert_eq!(rep.exit_code, 1);
}

#[test]
fn promtool_testdata_outcomes() {
    let large = check_rules(&misc("cmd/promtool/testdata/rules_large.yml")).unwrap();
    assert_eq!(large.rule_count, 10002);
    assert_eq!(large.duplicates.len(), 2);
    assert_eq!(large.duplicates[0].metric, "job:http_inprogress_requests:sum:1");

    let extra = misc("cmd/promtool/testdata/rules_extrafields.yml");
    let errs = check_rules(&extra).unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        format!(
            "{}: yaml: unmarshal errors:\n  line 7: field namespace not found in type rulefmt.RuleGroup",
            extra.display()
        )
    );

    let syntax = misc("cmd/promtool/testdata/bad-rules-syntax.yml");
    let errs = check_rules(&syntax).unwrap_err();
    let line = errs[0].to_string();
    assert!(
        line.starts_with(&format!(
            "{}: 7:15: group \"bad-syntax\", rule 1, \"x\": could not parse",
            syntax.display()
        )),
        "{line}"
    );
}
