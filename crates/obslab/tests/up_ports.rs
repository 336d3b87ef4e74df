//! Startup failures are fast and clear: a taken port names the component and the port.

mod up_support;

use std::net::TcpListener;
use std::time::{Duration, Instant};
use up_support::LabDir;

#[test]
fn a_taken_port_fails_fast_naming_component_and_port() {
    let dir = LabDir::new("");
    let port = dir.port("payment");
    let _holder = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let started = Instant::now();
    let out = dir.run(&["up", "--no-traffic", "--config", dir.config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(10));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("payment") && err.contains(&port.to_string()),
        "{err}"
    );
    // Nothing was started: the other services' ports stay free.
    assert!(TcpListener::bind(("127.0.0.1", dir.port("gateway"))).is_ok());
}

#[test]
fn a_bad_config_stops_up_before_anything_starts() {
    let dir = LabDir::new("traffic:\n  rate: fast\n");
    let out = dir.run(&["up", "--config", dir.config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("traffic.rate"), "{err}");
}
