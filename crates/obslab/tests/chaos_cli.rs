//! `obslab chaos` against a running lab, with URLs from lab.yaml.

mod up_support;

use obslab_testkit::{SIGTERM, wait_until};
use serde_json::Value;
use std::time::Duration;
use up_support::{Lab, LabDir};

fn chaos(lab: &Lab, args: &[&str]) -> Value {
    let mut full = vec!["chaos", "--config", lab.dir.config.to_str().unwrap()];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--output", "json"]);
    let out = lab.dir.run(&full);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn service_state(rows: &Value, service: &str) -> Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["service"] == service)
        .map(|r| r["state"].clone())
        .unwrap_or_else(|| panic!("no {service} in {rows}"))
}

#[test]
fn error_burst_shows_in_status_and_reset_clears_it_and_for_reverts() {
    let dir = LabDir::new("");
    let mut lab = Lab::start(dir, &["--no-traffic"]);

    let applied = chaos(&lab, &["error-burst"]);
    assert_eq!(applied[0]["service"], "api");
    let status = chaos(&lab, &["status"]);
    assert_eq!(status.as_array().unwrap().len(), 5, "{status}");
    let api = service_state(&status, "api");
    assert_eq!(api["error"]["rate"], 0.5, "{api}");
    assert_eq!(api["error"]["status"], 500);
    assert!(service_state(&status, "payment")["error"].is_null());

    chaos(&lab, &["reset"]);
    let status = chaos(&lab, &["status"]);
    assert!(service_state(&status, "api")["error"].is_null(), "{status}");

    chaos(&lab, &["payment-outage", "--for", "1s"]);
    let payment = service_state(&chaos(&lab, &["status", "--service", "payment"]), "payment");
    assert_eq!(payment["error"]["status"], 503, "{payment}");
    let reverted = wait_until(Duration::from_secs(6), || {
        service_state(&chaos(&lab, &["status", "--service", "payment"]), "payment")["error"].is_null()
    });
    assert!(reverted, "the fault did not revert by itself");

    // Without --config, a running lab on the data directory is found through its status file.
    let out = lab.dir.run(&["chaos", "status", "--output", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.as_array().unwrap().iter().all(|r| r["status"] == "up"),
        "{rows}"
    );

    lab.up.signal(SIGTERM);
    assert!(lab.up.wait_timeout(Duration::from_secs(10)).is_some());
}

#[test]
fn lab_yaml_faults_reach_the_services_at_start() {
    let extra = "";
    let dir = LabDir::new(extra);
    let api_port = dir.port("api");
    let yaml = std::fs::read_to_string(&dir.config).unwrap().replace(
        &format!("  api:\n    port: {api_port}\n"),
        &format!(
            "  api:\n    port: {api_port}\n    chaos:\n      slow: {{delay_ms: 50, probability: 0.25}}\n      \
             error: {{rate: 0.1, status: 502}}\n"
        ),
    );
    std::fs::write(&dir.config, yaml).unwrap();
    let mut lab = Lab::start(dir, &["--no-traffic"]);
    let api = service_state(&chaos(&lab, &["status", "--service", "api"]), "api");
    assert_eq!(api["slow"]["delay_ms"], 50, "{api}");
    assert_eq!(api["slow"]["probability"], 0.25);
    assert_eq!(api["error"]["status"], 502);
    lab.up.signal(SIGTERM);
    assert!(lab.up.wait_timeout(Duration::from_secs(10)).is_some());
}
