//! `obslab up` runs the traffic generator in process against the lab's own gateway port.

mod up_support;

use obslab_testkit::{SIGTERM, wait_until};
use std::time::Duration;
use up_support::{Lab, LabDir, json_lines};

#[test]
fn traffic_reaches_the_configured_gateway_port() {
    let mut lab = Lab::start(LabDir::new("traffic:\n  rate: 20\n  concurrency: 4\n"), &[]);
    let traffic = lab.component("traffic");
    assert_eq!(traffic["kind"], "in-process");
    assert_eq!(traffic["health"], "healthy");
    let gateway_log = lab.log_path("gateway");
    let got_requests = wait_until(Duration::from_secs(15), || {
        json_lines(&gateway_log)
            .iter()
            .filter(|l| l["message"] == "request")
            .count()
            >= 5
    });
    assert!(
        got_requests,
        "the gateway saw no generated requests\n{}",
        lab.output()
    );
    lab.up.signal(SIGTERM);
    assert!(
        lab.up
            .wait_timeout(Duration::from_secs(10))
            .is_some_and(|s| s.success())
    );
    assert!(lab.output().contains("traffic summary"), "{}", lab.output());
}
