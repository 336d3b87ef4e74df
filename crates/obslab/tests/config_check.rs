//! `obslab check lab` and `obslab up --config` on good and bad lab.yaml files.

mod up_support;

use std::path::Path;
use up_support::obslab;

fn check(yaml: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = obslab().args(["check", "lab"]).arg(&path).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_rejected(yaml: &str, expected: &[&str]) {
    let (code, _, err) = check(yaml);
    assert_eq!(code, 1, "{yaml:?} should be rejected");
    for e in expected {
        assert!(err.contains(e), "{yaml:?}: {e:?} not in\n{err}");
    }
}

#[test]
fn the_example_and_an_empty_file_are_valid() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lab.yaml");
    let out = obslab().args(["check", "lab"]).arg(&example).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
    assert_eq!(check("").0, 0);
    assert_eq!(check("# only a comment\n").0, 0);
}

#[test]
fn unknown_keys_are_named_with_their_path() {
    assert_rejected("bogus: 1\n", &["bogus", "unknown field"]);
    assert_rejected(
        "services:\n  api:\n    prot: 9000\n",
        &["services.api.prot", "unknown field"],
    );
    assert_rejected("services:\n  shop: {}\n", &["services.shop"]);
    assert_rejected(
        "supervisor:\n  restart_delay: 1s\n",
        &["supervisor.restart_delay"],
    );
    assert_rejected(
        "services:\n  api:\n    chaos:\n      eror: {rate: 1}\n",
        &["services.api.chaos.eror"],
    );
    assert_rejected("traffic:\n  rat: 5\n", &["traffic.rat", "unknown field"]);
}

#[test]
fn bad_durations_are_named() {
    assert_rejected(
        "supervisor:\n  shutdown_timeout: 3x\n",
        &["supervisor.shutdown_timeout", "3x"],
    );
    assert_rejected(
        "supervisor:\n  restart_backoff_max: 30\n",
        &["supervisor.restart_backoff_max", "unit"],
    );
    assert_rejected("traffic:\n  duration: soon\n", &["traffic.duration"]);
    assert_rejected(
        "supervisor:\n  restart_backoff_initial: 1m\n  restart_backoff_max: 30s\n",
        &["supervisor.restart_backoff_initial"],
    );
}

#[test]
fn bad_ports_and_values_are_named() {
    assert_rejected(
        "services:\n  api:\n    port: 70000\n",
        &["services.api.port", "70000"],
    );
    assert_rejected("services:\n  api:\n    port: 0\n", &["services.api.port"]);
    assert_rejected("services:\n  api:\n    port: http\n", &["services.api.port"]);
    assert_rejected(
        "services:\n  gateway: {port: 9001}\n  payment: {port: 9001}\n",
        &["services.payment.port", "gateway"],
    );
    assert_rejected("bind: localhost\n", &["bind"]);
    assert_rejected("otlp_endpoint: 127.0.0.1:4317\n", &["otlp_endpoint"]);
    assert_rejected(
        "services:\n  api:\n    chaos:\n      error: {rate: 2}\n",
        &["services.api.chaos.error.rate"],
    );
    assert_rejected(
        "services:\n  api:\n    chaos:\n      error: {rate: 0.5, status: 200}\n",
        &["services.api.chaos.error.status"],
    );
    assert_rejected("traffic:\n  rate: -1\n", &["traffic.rate"]);
    assert_rejected("traffic:\n  enabled: maybe\n", &["traffic.enabled"]);
    assert_rejected("- just\n- a list\n", &["mapping"]);
}

#[test]
fn every_problem_found_after_parsing_is_reported() {
    let (code, _, err) =
        check("bind: nowhere\nservices:\n  api: {port: 0}\nsupervisor: {health_interval: 0}\n");
    assert_eq!(code, 1);
    for key in ["bind", "services.api.port", "supervisor.health_interval"] {
        assert!(err.contains(key), "{key} not in {err}");
    }
}

#[test]
fn a_missing_file_is_an_error() {
    let out = obslab()
        .args(["check", "lab", "/nonexistent/lab.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/lab.yaml"));
}
