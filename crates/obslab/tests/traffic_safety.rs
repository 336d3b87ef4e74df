//! `obslab traffic` stays on this machine, never follows redirects, stops cleanly on Ctrl-C, and
//! answers bad input with clear errors.

#[path = "traffic_support.rs"]
mod support;

use obslab_testkit::SIGINT;
use std::time::{Duration, Instant};
use support::{Answer, Server, finish, obslab, spawn};

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn non_loopback_target_is_refused_without_explicit_permission() {
    let started = Instant::now();
    // 192.0.2.1 is TEST-NET-1: never routed, so nothing could be reached even by mistake.
    let run = obslab(
        &["traffic", "--target", "http://192.0.2.1:8080", "--duration", "2s"],
        LIMIT,
    );
    assert!(!run.status.success());
    assert!(run.stderr.contains("not a loopback address"), "{}", run.stderr);
    assert!(run.stderr.contains("--allow-non-loopback"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn localhost_by_name_is_loopback() {
    let server = Server::ok();
    let url = format!("http://localhost:{}", server.addr.port());
    let run = obslab(
        &[
            "traffic",
            "--target",
            &url,
            "--rate",
            "10",
            "--duration",
            "1s",
            "--output",
            "json",
        ],
        LIMIT,
    );
    assert_eq!(run.summary()["requests"], 10);
    assert_eq!(server.seen().len(), 10);
}

#[test]
fn redirects_are_not_followed() {
    let elsewhere = Server::ok();
    let location = format!("{}/landed", elsewhere.url());
    let server = Server::start(move |_| Answer {
        status: 302,
        location: Some(location.clone()),
    });
    let url = server.url();
    let run = obslab(
        &[
            "traffic",
            "--target",
            &url,
            "--rate",
            "20",
            "--duration",
            "1s",
            "--output",
            "json",
        ],
        LIMIT,
    );
    let summary = run.summary();
    assert_eq!(summary["requests"], 20);
    assert_eq!(summary["ok"], 20);
    assert_eq!(server.seen().len(), 20);
    assert!(elsewhere.seen().is_empty(), "a redirect was followed");
}

#[test]
fn ctrl_c_stops_an_endless_run_and_prints_the_summary() {
    let server = Server::ok();
    let url = server.url();
    let (mut child, out, err) = spawn(&["traffic", "--target", &url, "--rate", "20", "--output", "json"]);
    let seen_some = obslab_testkit::wait_until(Duration::from_secs(20), || server.seen().len() >= 10);
    assert!(seen_some, "no traffic arrived");
    child.signal(SIGINT);
    let status = child
        .wait_timeout(Duration::from_secs(10))
        .expect("exits within 10 s of Ctrl-C");
    let run = finish(status, out, err);
    let summary = run.summary();
    let n = summary["requests"].as_u64().unwrap();
    assert!(n >= 10, "{summary}");
    // Requests in flight at the stop were allowed to finish.
    assert_eq!(summary["errors"], 0, "{summary}");
    assert_eq!(server.seen().len() as u64, n);
}

#[test]
fn bad_input_gets_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "- {path: /x, wieght: 3}\n").unwrap();
    let missing = dir.path().join("missing.yaml");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--rate".into(), "0".into()], "rate"),
        (vec!["--rate".into(), "fast".into()], "--rate"),
        (vec!["--duration".into(), "forever".into()], "invalid duration"),
        (vec!["--concurrency".into(), "0".into()], "concurrency"),
        (vec!["--shape".into(), "square".into()], "square"),
        (vec!["--endpoint".into(), "GET api/x".into()], "must start with /"),
        (vec!["--endpoint".into(), "GET /x=1 {oops".into()], "not JSON"),
        (
            vec!["--mix".into(), missing.display().to_string()],
            "cannot read mix file",
        ),
        (
            vec!["--mix".into(), broken.display().to_string()],
            "invalid mix file",
        ),
        (vec!["--target".into(), "not a url".into()], "--target"),
        (
            vec!["--target".into(), "https://127.0.0.1:1".into()],
            "only http://",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["traffic".to_string()];
        if !args.iter().any(|a| a == "--duration") {
            all.extend(["--duration".to_string(), "1s".to_string()]);
        }
        all.extend(args.clone());
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let run = obslab(&refs, LIMIT);
        assert!(!run.status.success(), "{args:?} was accepted");
        assert!(
            run.stderr.contains(needle),
            "{args:?}: expected {needle:?} in\n{}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{args:?}:\n{}", run.stderr);
    }
}
