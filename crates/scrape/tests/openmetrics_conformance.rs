//! Runs the upstream OpenMetrics parser cases and guards the committed score: a case listed in
//! `openmetrics_score.txt` must keep passing.

use std::collections::BTreeSet;
use std::path::Path;

use obslab_scrape::exposition::{Entry, OpenMetricsParser, ParseError};

fn parses(body: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(body) else {
        return false;
    };
    OpenMetricsParser::new(s)
        .collect::<Result<Vec<Entry<'_>>, ParseError>>()
        .is_ok()
}

#[test]
fn openmetrics_parser_cases() {
    let dir = obslab_testkit::conformance_dir().join("openmetrics/parsers");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut passing = BTreeSet::new();
    let mut failing = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("test.json")).unwrap()).unwrap();
        assert_eq!(spec["type"], "text", "{name}");
        let should = spec["shouldParse"].as_bool().unwrap();
        let body = std::fs::read(case.join(spec["file"].as_str().unwrap())).unwrap();
        if parses(&body) == should {
            passing.insert(name);
        } else {
            failing.push(format!("{name} (shouldParse={should})"));
        }
    }
    println!("openmetrics: {}/{} cases pass", passing.len(), cases.len());
    for f in &failing {
        println!("  failing: {f}");
    }
    let score_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openmetrics_score.txt");
    if std::env::var_os("OBSLAB_UPDATE_SCORE").is_some() {
        let text: String = passing.iter().map(|n| format!("{n}\n")).collect();
        std::fs::write(&score_file, text).unwrap();
    }
    let committed = std::fs::read_to_string(&score_file).unwrap_or_default();
    let regressed: Vec<&str> = committed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !passing.contains(*l))
        .collect();
    assert!(
        regressed.is_empty(),
        "cases that used to pass now fail: {regressed:?}"
    );
}
