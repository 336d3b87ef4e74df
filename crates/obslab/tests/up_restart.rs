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
