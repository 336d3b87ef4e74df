//! `obslab up` as a real process: readiness, health, logs, shutdown on SIGTERM and no orphans
//! after SIGKILL.

mod up_support;

use obslab_testkit::{SIGKILL, SIGTERM, wait_until};
use std::time::{Duration, Instant};
use up_support::{Lab, LabDir, SERVICES, alive, healthy, json_lines};

#[test]
fn up_reports_ready_serves_health_writes_logs_and_stops_on_sigterm() {
    let mut lab = Lab::start(LabDir::new(""), &["--no-traffic"]);
    let out = lab.output();
    assert!(out.contains("obslab ready"), "{out}");
    assert!(out.contains("ready in "), "{out}");
    for s in SERVICES {
        assert!(out.contains(s), "table lists {s}: {out}");
        assert!(healthy(lab.dir.port(s)), "{s} answers /health");
    }
    let status = lab.status();
    assert_eq!(status["state"], "ready");
    assert_eq!(status["pid"].as_u64(), Some(lab.up.pid() as u64));
    assert!(status["ready_in_s"].as_f64().is_some());
    let pids = lab.child_pids();
    assert_eq!(pids.len(), 5, "{status}");
    for s in SERVICES {
        let c = lab.component(s);
        assert_eq!(c["health"], "healthy", "{c}");
        assert_eq!(c["restarts"], 0);
        assert_eq!(c["url"], format!("http://127.0.0.1:{}", lab.dir.port(s)));
    }

    // `obslab status` reads the file and probes health itself.
    let st = lab.dir.run(&["status"]);
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let text = String::from_utf8_lossy(&st.stdout);
    assert!(text.contains("gateway") && text.contains("healthy"), "{text}");
    let st = lab.dir.run(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(v["components"].as_array().unwrap().len(), 5);

    // A second lab on the same data directory is refused.
    let second = lab.dir.run(&["up", "--no-traffic", "--no-demo"]);
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another obslab up"));

    let started = Instant::now();
    lab.up.signal(SIGTERM);
    let exit = lab
        .up
        .wait_timeout(Duration::from_secs(10))
        .expect("obslab up exits after SIGTERM");
    assert!(exit.success(), "{exit:?}\n{}", lab.output());
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    for pid in &pids {
        assert!(!alive(*pid), "child {pid} survived the shutdown");
    }
    assert_eq!(lab.status()["state"], "stopped");
    assert!(!lab.ready_file.exists(), "the ready file is removed on shutdown");

    for s in SERVICES {
        let lines = json_lines(&lab.log_path(s));
        assert!(
            lines.iter().any(|l| l["message"] == "listening"),
            "{s}.log has the service's own JSON lines"
        );
    }
    let st = lab.dir.run(&["status"]);
    assert_eq!(st.status.code(), Some(1), "status of a stopped lab fails");
}

#[test]
fn sigkill_of_the_supervisor_leaves_no_orphans() {
    let mut lab = Lab::start(LabDir::new(""), &["--no-traffic"]);
    let pids = lab.child_pids();
    assert_eq!(pids.len(), 5);
    lab.up.signal(SIGKILL);
    lab.up.wait_timeout(Duration::from_secs(5)).expect("killed");
    let gone = wait_until(Duration::from_secs(8), || pids.iter().all(|p| !alive(*p)));
    assert!(
        gone,
        "children outlived their supervisor: {:?}",
        pids.iter().filter(|p| alive(**p)).collect::<Vec<_>>()
    );
}

#[test]
fn no_demo_starts_without_services() {
    let mut lab = Lab::start(LabDir::new(""), &["--no-demo", "--no-traffic"]);
    assert_eq!(lab.status()["components"].as_array().unwrap().len(), 0);
    assert!(!healthy(lab.dir.port("gateway")));
    lab.up.signal(SIGTERM);
    assert!(
        lab.up
            .wait_timeout(Duration::from_secs(5))
            .is_some_and(|s| s.success())
    );
}

#[test]
fn disabled_services_are_not_started() {
    let dir = LabDir::new("");
    let yaml = std::fs::read_to_string(&dir.config).unwrap().replace(
        &format!("  worker:\n    port: {}\n", dir.port("worker")),
        &format!(
            "  worker:\n    port: {}\n    enabled: false\n",
            dir.port("worker")
        ),
    );
    std::fs::write(&dir.config, yaml).unwrap();
    let mut lab = Lab::start(dir, &["--no-traffic"]);
    let names: Vec<String> = lab.status()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["gateway", "api", "payment", "inventory"]);
    assert!(!healthy(lab.dir.port("worker")));
    lab.up.signal(SIGTERM);
    assert!(lab.up.wait_timeout(Duration::from_secs(8)).is_some());
}

#[test]
fn ctrl_c_in_a_terminal_reaches_only_the_supervisor_which_stops_everything() {
    let mut lab = Lab::start(LabDir::new(""), &["--no-traffic"]);
    let pids = lab.child_pids();
    // A terminal's Ctrl-C signals the whole foreground process group of `obslab up`.
    up_support::kill_group(lab.up.pid(), obslab_testkit::SIGINT);
    let exit = lab
        .up
        .wait_timeout(Duration::from_secs(10))
        .expect("obslab up exits after Ctrl-C");
    assert!(exit.success(), "{exit:?}\n{}", lab.output());
    assert!(lab.output().contains("SIGINT received"), "{}", lab.output());
    for pid in &pids {
        assert!(!alive(*pid), "child {pid} survived");
    }
    // Each service was stopped by the supervisor (SIGTERM), none restarted by the signal.
    let status = lab.status();
    for c in status["components"].as_array().unwrap() {
        assert_eq!(c["restarts"], 0, "{c}");
        assert_eq!(c["health"], "stopped", "{c}");
    }
}

#[test]
fn the_bind_flag_reaches_every_service() {
    // 127.0.0.2 is loopback too, yet distinct from 127.0.0.1: a service that ignored the flag
    // would answer on 127.0.0.1.
    let mut lab = Lab::start(LabDir::new(""), &["--no-traffic", "--bind", "127.0.0.2"]);
    for s in SERVICES {
        let port = lab.dir.port(s);
        assert_eq!(lab.component(s)["url"], format!("http://127.0.0.2:{port}"));
        assert!(
            std::net::TcpStream::connect(("127.0.0.2", port)).is_ok(),
            "{s} on 127.0.0.2"
        );
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "{s} not on 127.0.0.1"
        );
    }
    lab.up.signal(SIGTERM);
    assert!(
        lab.up
            .wait_timeout(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
}
