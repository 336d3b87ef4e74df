//! `obslab check rules`, `obslab check config` and `obslab test promql` as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

fn obslab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_obslab"))
        .args(args)
        .output()
        .expect("run obslab")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p.display().to_string()
}

#[test]
fn check_rules_accepts_good_files_and_names_errors_in_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.yml",
        "groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n  - alert: Down\n    expr: up == 0\n    for: 1m\n",
    );
    let out = obslab(&["check", "rules", &good]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("SUCCESS: 2 rules found"), "{stdout}");

    let bad = write(
        dir.path(),
        "bad.yml",
        "groups:\n- name: g\n  rules:\n  - record: x\n    alert: y\n    expr: up\n",
    );
    let out = obslab(&["check", "rules", &bad]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("FAILED"), "{all}");
    assert!(
        all.contains("only one of 'record' and 'alert' must be set"),
        "{all}"
    );
}

#[test]
fn check_config_answers_like_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "prometheus.yml",
        "global:\n  scrape_interval: 15s\nscrape_configs:\n- job_name: demo\n  static_configs:\n  - targets: ['127.0.0.1:8081']\n",
    );
    let out = obslab(&["check", "config", &good]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("SUCCESS"), "{stdout}");

    let bad = write(
        dir.path(),
        "bad.yml",
        "global:\n  scrape_interval: 5s\n  scrape_timeout: 10s\nscrape_configs:\n- job_name: a\n",
    );
    let out = obslab(&["check", "config", &bad]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn test_promql_reports_passes_and_failures() {
    let dir = tempfile::tempdir().unwrap();
    let passing = write(
        dir.path(),
        "ok.test",
        "load 1m\n  http_requests_total{job=\"api\"} 0+60x10\n\neval instant at 5m rate(http_requests_total[5m])\n  {job=\"api\"} 1\n",
    );
    let out = obslab(&["test", "promql", &passing]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.trim() == "1 passed, 0 failed"),
        "{stdout}"
    );

    let failing = write(
        dir.path(),
        "bad.test",
        "load 1m\n  x 1+1x5\n\neval instant at 1m x\n  x 5\n",
    );
    let out = obslab(&["test", "promql", "-v", &failing]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.trim() == "0 passed, 1 failed"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL"), "{stdout}");
}
