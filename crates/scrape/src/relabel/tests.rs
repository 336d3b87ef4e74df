use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn yaml(s: &str) -> Result<Vec<RelabelConfig>, String> {
    serde_saphyr::from_str::<Vec<RelabelConfig>>(s).map_err(|e| e.to_string())
}

fn run(input: &[(&str, &str)], cfg: &str) -> Option<Labels> {
    process(&labels(input), &yaml(cfg).unwrap())
}

#[test]
fn defaults_match_prometheus() {
    let c = &yaml("- target_label: x").unwrap()[0];
    assert_eq!(c.action, Action::Replace);
    assert_eq!(c.separator, ";");
    assert_eq!(c.regex.as_str(), "(.*)");
    assert_eq!(c.replacement, "$1");
    assert_eq!(c.modulus, 0);
}

#[test]
fn replace_with_capture_groups_and_templates() {
    let out = run(
        &[("a", "foo"), ("b", "bar")],
        "- source_labels: [a, b]\n  regex: 'f(.*);(.*)r'\n  target_label: c\n  replacement: 'ch${1}-ch${2}'",
    )
    .unwrap();
    assert_eq!(out.get("c"), Some("choo-chba"));
    // A target label built from the match.
    let out = run(
        &[("a", "some-name-value")],
        "- source_labels: [a]\n  regex: 'some-([^-]+)-([^,]+)'\n  target_label: '${1}'\n  replacement: '${2}'",
    )
    .unwrap();
    assert_eq!(out.get("name"), Some("value"));
    // No match: nothing changes.
    let out = run(
        &[("a", "foo")],
        "- source_labels: [a]\n  regex: 'nomatch(.*)'\n  target_label: b",
    )
    .unwrap();
    assert_eq!(out, labels(&[("a", "foo")]));
}

#[test]
fn regex_is_fully_anchored() {
    let out = run(
        &[("a", "foo")],
        "- source_labels: [a]\n  regex: 'o'\n  target_label: b",
    )
    .unwrap();
    assert_eq!(out.get("b"), None);
    let out = run(
        &[("a", "foo")],
        "- source_labels: [a]\n  regex: '(f.o)'\n  target_label: b",
    )
    .unwrap();
    assert_eq!(out.get("b"), Some("foo"));
}

#[test]
fn replace_with_empty_result_deletes_and_fast_path_sets_literal() {
    let out = run(
        &[("a", "foo"), ("b", "x")],
        "- source_labels: [a]\n  regex: '(f).*'\n  target_label: b\n  replacement: '$2'",
    )
    .unwrap();
    assert_eq!(out.get("b"), None);
    let out = run(&[("a", "foo")], "- target_label: job\n  replacement: static").unwrap();
    assert_eq!(out.get("job"), Some("static"));
    // `$1` of an empty source removes the target.
    let out = run(
        &[("a", "foo"), ("b", "x")],
        "- source_labels: [missing]\n  target_label: b",
    )
    .unwrap();
    assert_eq!(out.get("b"), None);
}

#[test]
fn invalid_expanded_target_is_skipped() {
    let out = run(
        &[("a", "1bad")],
        "- source_labels: [a]\n  regex: '(.*)'\n  target_label: '${1}'\n  replacement: 'v'",
    )
    .unwrap();
    assert_eq!(out, labels(&[("a", "1bad")]));
}

#[test]
fn keep_and_drop() {
    let cfg = "- source_labels: [a]\n  regex: 'f.*'\n  action: keep";
    assert!(run(&[("a", "foo")], cfg).is_some());
    assert!(run(&[("a", "bar")], cfg).is_none());
    let cfg = "- source_labels: [a]\n  regex: 'f.*'\n  action: drop";
    assert!(run(&[("a", "foo")], cfg).is_none());
    assert!(run(&[("a", "bar")], cfg).is_some());
    // Missing labels are empty strings.
    assert!(run(&[], "- source_labels: [a]\n  regex: ''\n  action: drop").is_none());
    // Action names are case-insensitive.
    assert!(
        run(
            &[("a", "foo")],
            "- source_labels: [a]\n  regex: 'x'\n  action: KEEP"
        )
        .is_none()
    );
}

#[test]
fn keepequal_and_dropequal() {
    let keep = "- source_labels: [a]\n  target_label: b\n  action: keepequal";
    assert!(run(&[("a", "x"), ("b", "x")], keep).is_some());
    assert!(run(&[("a", "x"), ("b", "y")], keep).is_none());
    let drop = "- source_labels: [a]\n  target_label: b\n  action: dropequal";
    assert!(run(&[("a", "x"), ("b", "x")], drop).is_none());
    assert!(run(&[("a", "x"), ("b", "y")], drop).is_some());
}

#[test]
fn hashmod_uses_md5_like_prometheus() {
    let out = run(
        &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        "- source_labels: [c]\n  target_label: d\n  action: hashmod\n  modulus: 1000",
    )
    .unwrap();
    assert_eq!(out.get("d"), Some("976"));
    assert_eq!(hashmod("foo", 1000), 696);
}

#[test]
fn labelmap_labeldrop_labelkeep() {
    let out = run(
        &[("__meta_my_foo", "aaa"), ("__meta_my_bar", "bbb"), ("x", "1")],
        "- regex: '__meta_my_(.+)'\n  action: labelmap",
    )
    .unwrap();
    assert_eq!(out.get("foo"), Some("aaa"));
    assert_eq!(out.get("bar"), Some("bbb"));
    assert_eq!(out.get("__meta_my_foo"), Some("aaa"));
    let out = run(
        &[("a", "foo"), ("b", "bar"), ("c", "baz")],
        "- regex: '(b.*)'\n  action: labelmap\n  replacement: 'x_$1'",
    )
    .unwrap();
    assert_eq!(out.get("x_b"), Some("bar"));
    let out = run(
        &[("a", "1"), ("b", "2"), ("bb", "3")],
        "- regex: 'b.*'\n  action: labeldrop",
    )
    .unwrap();
    assert_eq!(out, labels(&[("a", "1")]));
    let out = run(
        &[("a", "1"), ("b", "2"), ("bb", "3")],
        "- regex: 'b.*'\n  action: labelkeep",
    )
    .unwrap();
    assert_eq!(out, labels(&[("b", "2"), ("bb", "3")]));
}

#[test]
fn lowercase_and_uppercase() {
    let out = run(
        &[("foo", "BAR"), ("x", "quux")],
        "- source_labels: [foo]\n  target_label: foo\n  action: lowercase\n- source_labels: [x]\n  target_label: y\n  action: uppercase",
    )
    .unwrap();
    assert_eq!(out.get("foo"), Some("bar"));
    assert_eq!(out.get("y"), Some("QUUX"));
}

#[test]
fn steps_run_in_order_and_stop_at_drop() {
    let cfg = "- source_labels: [a]\n  target_label: b\n- source_labels: [b]\n  regex: foo\n  action: drop\n- target_label: never\n  replacement: x";
    assert!(run(&[("a", "foo")], cfg).is_none());
    let out = run(&[("a", "bar")], cfg).unwrap();
    assert_eq!(out.get("b"), Some("bar"));
    assert_eq!(out.get("never"), Some("x"));
}

#[test]
fn validation_errors_are_worded_like_prometheus() {
    let cases = [
        (
            "- action: hashmod\n  target_label: x",
            "relabel configuration for hashmod requires non-zero modulus",
        ),
        (
            "- action: replace",
            "relabel configuration for replace action requires 'target_label' value",
        ),
        (
            "- action: uppercase",
            "relabel configuration for uppercase action requires 'target_label' value",
        ),
        (
            "- target_label: '1x'",
            "\"1x\" is invalid 'target_label' for replace action",
        ),
        (
            "- target_label: '$1-x'",
            "\"$1-x\" is invalid 'target_label' for replace action",
        ),
        (
            "- action: lowercase\n  target_label: x\n  replacement: y",
            "'replacement' can not be set for lowercase action",
        ),
        (
            "- action: labelmap\n  replacement: 'a-b'",
            "\"a-b\" is invalid 'replacement' for labelmap action",
        ),
        (
            "- action: keepequal\n  target_label: x\n  regex: y",
            "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
        ),
        (
            "- action: labeldrop\n  source_labels: [a]",
            "labeldrop action requires only 'regex', and no other fields",
        ),
        ("- action: bogus", "unknown relabel action \"bogus\""),
        ("- action: ''", "unknown relabel action \"\""),
        ("- target_label: x\n  regex: '('", "error parsing regexp"),
        ("- target_label: x\n  unknown_field: 1", "unknown field"),
    ];
    for (cfg, want) in cases {
        let err = yaml(cfg).unwrap_err();
        assert!(err.contains(want), "{cfg}: got {err}, want {want}");
    }
    assert!(yaml("- target_label: '${1}_x'\n  regex: '(a)'").is_ok());
}

#[test]
fn relabel_templates() {
    assert!(is_relabel_template("abc"));
    assert!(is_relabel_template("$1"));
    assert!(is_relabel_template("${1}_x"));
    assert!(is_relabel_template("a${foo}b$2"));
    assert!(!is_relabel_template("1a"));
    assert!(!is_relabel_template("a-b"));
    assert!(!is_relabel_template("$"));
    assert!(!is_relabel_template("${}"));
    assert!(!is_relabel_template(""));
}
