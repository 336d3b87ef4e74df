//! The supervisor restarts a service that is killed or crashes, and logs the restart.

mod up_support;

use obslab_testkit::{SIGKILL, SIGTERM, wait_until};
use std::time::Duration;
use up_support::{Lab, LabDir, healthy, http, json_lines, kill};

/// Waits until `service` runs with a pid other than `old` and is healthy again.
fn wait_restarted(lab: &Lab, service: &str, old: u32) -> u32 {
    let ok = wait_until(Duration::from_secs(20), || {
        let c = lab.component(service);
        c["health"] == "healthy" && c["pid"].as_u64().is_some_and(|p| p as u32 != old)
    });
    assert!(
        ok,
        "{service} was not restarted: {}\n{}",
        lab.component(service),
        lab.output()
    );
    assert!(healthy(lab.dir.port(service)));
    lab.pid(service).unwrap()
}

#[test]
fn killed_and_crashed_services_are_restarted_and_logged() {
    let mut lab = Lab::start(LabDir::new(""), &["--no-traffic"]);

    let api = lab.pid("api").unwrap();
    kill(api, SIGKILL);
    let new_api = wait_restarted(&lab, "api", api);
    let c = lab.component("api");
    assert_eq!(c["restarts"], 1);
    assert!(c["last_exit"].as_str().unwrap().contains("SIGKILL"), "{c}");

    let payment = lab.pid("payment").unwrap();
    let (code, body) = http("POST", lab.dir.port("payment"), "/chaos/crash", Some("{}")).unwrap();
    assert_eq!(code, 202, "{body}");
    wait_restarted(&lab, "payment", payment);
    let c = lab.component("payment");
    assert_eq!(c["restarts"], 1);
    assert_eq!(c["last_exit"], "exit status: 1");

    // The restarts are logged in the service's own file, which stays valid JSON lines and keeps
    // the lines of the earlier run.
    for (service, exit) in [("api", "SIGKILL"), ("payment", "exit status: 1")] {
        let lines = json_lines(&lab.log_path(service));
        let restart = lines
            .iter()
            .find(|l| l["stream"] == "supervisor")
            .unwrap_or_else(|| panic!("no restart line in {service}.log"));
        assert!(
            restart["exit_status"].as_str().unwrap().contains(exit),
            "{restart}"
        );
        assert_eq!(restart["restarts"], 1);
        let listening = lines.iter().filter(|l| l["message"] == "listening").count();
        assert!(
            listening >= 2,
            "{service}.log keeps both runs ({listening} listening lines)"
        );
    }
    assert!(lab.output().contains("api exited"), "{}", lab.output());

    // Others were untouched.
    assert_eq!(lab.component("gateway")["restarts"], 0);
    let pids = lab.child_pids();
    assert!(pids.contains(&new_api));
    lab.up.signal(SIGTERM);
    assert!(lab.up.wait_timeout(Duration::from_secs(10)).is_some());
    for pid in pids {
        assert!(!up_support::alive(pid), "child {pid} survived");
    }
}

#[test]
fn a_crash_looping_service_backs_off_and_its_stderr_is_logged_as_json() {
    // A directory as the database file: the services that open it fail at start, every time.
    let dir = LabDir::new("");
    let db_dir = dir.dir.path().join("not-a-file");
    std::fs::create_dir_all(&db_dir).unwrap();
    let yaml = std::fs::read_to_string(&dir.config).unwrap();
    std::fs::write(&dir.config, format!("demo_db: {}\n{yaml}", db_dir.display())).unwrap();
    let mut lab = up_support::Lab::spawn(dir, &["--no-traffic"]);
    let looped = wait_until(Duration::from_secs(20), || {
        lab.dir.data().join("run/status.json").exists()
            && lab.component("api")["restarts"].as_u64() >= Some(3)
    });
    assert!(looped, "api was not restarted three times\n{}", lab.output());
    assert!(
        !lab.ready_file.exists(),
        "a lab with a crash-looping service is not ready"
    );
    // The services that do not need the database keep running.
    assert!(healthy(lab.dir.port("gateway")));

    let lines = json_lines(&lab.log_path("api"));
    let stderr = lines
        .iter()
        .find(|l| l["stream"] == "stderr")
        .unwrap_or_else(|| panic!("no wrapped stderr line in {lines:?}"));
    assert_eq!(stderr["level"], "error");
    assert_eq!(stderr["service"], "api");
    assert!(stderr["timestamp"].is_string() && stderr["message"].is_string());
    let delays: Vec<u64> = lines
        .iter()
        .filter(|l| l["stream"] == "supervisor")
        .filter_map(|l| l["backoff_ms"].as_u64())
        .collect();
    assert!(delays.len() >= 3, "{delays:?}");
    assert_eq!(&delays[..3], &[100, 200, 400], "the delay doubles");

    lab.up.signal(SIGTERM);
    assert!(
        lab.up
            .wait_timeout(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
}
