//! `obslab up` with its metrics backend, as a real process: every job scraped and `up`, the
//! demo services' metrics queryable, the targets API, the host collector, a generated
//! prometheus.yml that promtool accepts, reload, and samples that survive a restart.

mod up_support;

use obslab_testkit::{SIGTERM, free_port, wait_until};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use up_support::{Lab, LabDir, http};

const JOBS: [&str; 7] = [
    "gateway",
    "api",
    "payment",
    "inventory",
    "worker",
    "obslab",
    "node",
];

fn metrics_yaml(prom: u16, node: u16) -> String {
    format!("prometheus:\n  port: {prom}\n  scrape_interval: 1s\nnode:\n  port: {node}\n")
}

/// `GET path` on the API; the JSON body when it answered 200.
fn api(port: u16, path: &str) -> Option<Value> {
    match http("GET", port, path, None)? {
        (200, body) => serde_json::from_str(&body).ok(),
        _ => None,
    }
}

/// The value of every series of an instant query, keyed by `job`.
fn by_job(port: u16, query_path: &str) -> BTreeMap<String, f64> {
    let Some(v) = api(port, query_path) else {
        return BTreeMap::new();
    };
    v["data"]["result"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| {
                    let job = r["metric"]["job"].as_str()?.to_string();
                    let value = r["value"][1].as_str()?.parse().ok()?;
                    Some((job, value))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn stop(lab: &mut Lab) {
    lab.up.signal(SIGTERM);
    let exit = lab
        .up
        .wait_timeout(Duration::from_secs(15))
        .expect("obslab up exits after SIGTERM");
    assert!(exit.success(), "{exit:?}\n{}", lab.output());
}

fn promtool_check(path: &Path) {
    let promtool = Path::new("/usr/bin/promtool");
    if !promtool.exists() {
        println!("SKIPPED: /usr/bin/promtool is not installed; prometheus.yml not checked by promtool");
        return;
    }
    let out = Command::new(promtool)
        .args(["check", "config"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check config {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn up_scrapes_every_component_into_a_queryable_tsdb_that_survives_a_restart() {
    let (prom, node) = (free_port(), free_port());
    let mut lab = Lab::start(LabDir::new(&metrics_yaml(prom, node)), &["--no-traffic"]);
    let out = lab.output();
    for (name, port) in [("prometheus", prom), ("node", node)] {
        assert!(
            out.contains(&format!("http://127.0.0.1:{port}")),
            "table lists {name}: {out}"
        );
        let c = lab.component(name);
        assert_eq!(c["health"], "healthy", "{c}");
        assert_eq!(c["url"], format!("http://127.0.0.1:{port}"));
    }

    // Every job is scraped and up.
    let mut ups = BTreeMap::new();
    let all_up = wait_until(Duration::from_secs(15), || {
        ups = by_job(prom, "/api/v1/query?query=up");
        JOBS.iter().all(|j| ups.get(*j) == Some(&1.0))
    });
    assert!(all_up, "up per job: {ups:?}\n{}", lab.output());

    // The api service's request counter arrives through its scrapes.
    let api_port = lab.dir.port("api");
    for _ in 0..5 {
        assert_eq!(
            http("GET", api_port, "/api/products", None).map(|r| r.0),
            Some(200)
        );
    }
    let query = "/api/v1/query?query=sum%28http_requests_total%7Bjob%3D%22api%22%7D%29%20by%20%28job%29";
    let mut counted = BTreeMap::new();
    let seen = wait_until(Duration::from_secs(10), || {
        counted = by_job(prom, query);
        counted.get("api").is_some_and(|v| *v >= 5.0)
    });
    assert!(seen, "http_requests_total of api: {counted:?}");

    // The targets API lists every target as up.
    let targets = api(prom, "/api/v1/targets").expect("targets answer");
    let active = targets["data"]["activeTargets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for job in JOBS {
        let t = active
            .iter()
            .find(|t| t["labels"]["job"] == job)
            .unwrap_or_else(|| panic!("no target of job {job}: {targets}"));
        assert_eq!(t["health"], "up", "{t}");
    }
    let api_target = active.iter().find(|t| t["labels"]["job"] == "api").unwrap();
    assert_eq!(
        api_target["scrapeUrl"],
        format!("http://127.0.0.1:{api_port}/metrics")
    );

    // The host collector speaks node_exporter.
    let (code, body) = http("GET", node, "/metrics", None).expect("node answers");
    assert_eq!(code, 200);
    assert!(body.contains("node_cpu_seconds_total{"), "{body}");

    // Scraped metadata reaches the metadata API.
    let mut md = Value::Null;
    let typed = wait_until(Duration::from_secs(5), || {
        md = api(prom, "/api/v1/metadata?metric=node_load1").unwrap_or_default();
        md["data"]["node_load1"][0]["type"] == "gauge"
    });
    assert!(typed, "metadata of node_load1: {md}");

    // The generated prometheus.yml is a valid Prometheus config with one job per component.
    let generated = lab.dir.data().join("prometheus.yml");
    let text = std::fs::read_to_string(&generated).unwrap();
    for job in JOBS {
        assert!(text.contains(&format!("job_name: {job}")), "{text}");
    }
    promtool_check(&generated);
    let check = lab
        .dir
        .cmd()
        .args(["check", "config"])
        .arg(&generated)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Reload applies an edited file: the worker job goes away from the targets.
    let without_worker: String = text.replace("  - job_name: worker\n", "  - job_name: worker-renamed\n");
    std::fs::write(&generated, &without_worker).unwrap();
    assert_eq!(http("POST", prom, "/-/reload", None).map(|r| r.0), Some(200));
    let targets = api(prom, "/api/v1/targets").unwrap();
    let pools: Vec<String> = targets["data"]["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["scrapePool"].as_str().map(str::to_string))
        .collect();
    let reloaded = wait_until(Duration::from_secs(5), || {
        let t = api(prom, "/api/v1/targets").unwrap_or_default();
        let pools: Vec<&str> = t["data"]["activeTargets"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t["scrapePool"].as_str()).collect())
            .unwrap_or_default();
        pools.contains(&"worker-renamed") && !pools.contains(&"worker")
    });
    assert!(reloaded, "pools after reload: {pools:?}");
    // SIGHUP reloads too, as it does for Prometheus, and the lab keeps running.
    std::fs::write(
        &generated,
        text.replace("  - job_name: worker\n", "  - job_name: worker-hup\n"),
    )
    .unwrap();
    lab.up.signal(1);
    let hup_reloaded = wait_until(Duration::from_secs(5), || {
        let t = api(prom, "/api/v1/targets").unwrap_or_default();
        let pools: Vec<&str> = t["data"]["activeTargets"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t["scrapePool"].as_str()).collect())
            .unwrap_or_default();
        pools.contains(&"worker-hup") && !pools.contains(&"worker-renamed")
    });
    assert!(hup_reloaded, "SIGHUP did not reload:\n{}", lab.output());
    assert!(
        lab.up.child.try_wait().unwrap().is_none(),
        "SIGHUP stopped the lab"
    );
    // A broken file is refused and the running config stays.
    std::fs::write(&generated, "scrape_configs: [{job_name: }]\n").unwrap();
    let (code, body) = http("POST", prom, "/-/reload", None).unwrap();
    assert_eq!(code, 500, "{body}");
    assert!(by_job(prom, "/api/v1/query?query=up").contains_key("node"));

    // Samples written before a restart are read back from the WAL after it.
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    stop(&mut lab);
    let dir = lab.dir;
    drop(lab.up);
    let mut lab = Lab::start(dir, &["--no-demo", "--no-traffic"]);
    let query =
        format!("/api/v1/query?query=count_over_time%28up%7Bjob%3D%22node%22%7D%5B10m%5D%29&time={before}");
    let replayed = by_job(prom, &query);
    assert!(
        replayed.get("node").is_some_and(|v| *v >= 1.0),
        "samples from before the restart: {replayed:?}\n{}",
        lab.output()
    );
    stop(&mut lab);
}

#[test]
fn disabled_metrics_start_neither_component() {
    let yaml = "prometheus:\n  enabled: false\nnode:\n  enabled: false\n";
    let mut lab = Lab::start(LabDir::new(yaml), &["--no-traffic", "--no-demo"]);
    let names: Vec<String> = lab.status()["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    assert!(!lab.dir.data().join("metrics").exists());
    stop(&mut lab);
}

#[test]
fn a_prometheus_config_that_does_not_load_stops_up_with_its_error() {
    let dir = LabDir::new("");
    let bad = dir.dir.path().join("prometheus.yml");
    std::fs::write(
        &bad,
        "scrape_configs:\n  - job_name: a\n    scrape_interval: often\n",
    )
    .unwrap();
    let yaml = format!(
        "prometheus:\n  port: {}\n  config: {}\nnode:\n  enabled: false\n",
        free_port(),
        bad.display()
    );
    let dir = LabDir::new(&yaml);
    let out = dir.run(&[
        "up",
        "--no-demo",
        "--no-traffic",
        "--config",
        dir.config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("prometheus.config") && err.contains("prometheus.yml"),
        "{err}"
    );
    assert!(!dir.data().join("prometheus.yml").exists());
}
