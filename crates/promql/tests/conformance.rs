//! Runs the upstream PromQL test scripts and fails when a statement listed in
//! `promql_passing.txt` (one `file:line` per line) no longer passes.

use obslab_promql::promqltest::{format_reports, run_file};
use std::collections::BTreeSet;

#[test]
fn upstream_scripts_do_not_regress() {
    let dir = obslab_testkit::conformance_dir().join("promql");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scripts in {}", dir.display());
    let reports: Vec<_> = files.iter().map(|f| run_file(f, false)).collect();
    println!("{}", format_reports(&reports, false));
    let passing_now: BTreeSet<String> = reports
        .iter()
        .flat_map(|r| {
            r.statements
                .iter()
                .filter(|s| s.failure.is_none())
                .map(|s| format!("{}:{}", r.file, s.line))
                .collect::<Vec<_>>()
        })
        .collect();
    let listed = include_str!("promql_passing.txt");
    let regressions: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !passing_now.contains(*l))
        .collect();
    if std::env::var("PROMQL_WRITE_PASSING").is_ok() {
        let text: String = passing_now.iter().map(|s| format!("{s}\n")).collect();
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/promql_passing.txt"),
            text,
        )
        .unwrap();
    }
    assert!(
        regressions.is_empty(),
        "statements that passed before fail now: {regressions:?}"
    );
}
