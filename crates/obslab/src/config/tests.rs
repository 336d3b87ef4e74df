use super::*;
use std::time::Duration;

fn parse(yaml: &str) -> Result<LabConfig, ConfigError> {
    LabConfig::parse(yaml, "lab.yaml")
}

fn first_issue(yaml: &str) -> Issue {
    match parse(yaml) {
        Err(ConfigError::Invalid { issues, .. }) => issues[0].clone(),
        other => panic!("expected an invalid config, got {other:?}"),
    }
}

#[test]
fn defaults_follow_the_services_ports() {
    let c = parse("").unwrap();
    assert_eq!(c, LabConfig::default());
    let ports: Vec<u16> = Service::ALL.iter().map(|s| c.services.port(*s)).collect();
    assert_eq!(ports, [8080, 8081, 8082, 8083, 8084]);
    assert!(Service::ALL.iter().all(|s| c.services.get(*s).enabled));
    assert_eq!(c.bind_addr(None), IpAddr::from([127, 0, 0, 1]));
    assert!(c.traffic.enabled());
    assert_eq!(
        c.supervisor.restart_backoff_initial.get(),
        Duration::from_millis(250)
    );
    assert_eq!(c.supervisor.restart_backoff_max.get(), Duration::from_secs(30));
    assert_eq!(c.supervisor.shutdown_timeout.get(), Duration::from_secs(3));
}

#[test]
fn every_section_is_read() {
    let c = parse(
        "bind: 0.0.0.0\ndata_dir: /tmp/lab\notlp_endpoint: none\ndemo_db: /tmp/shop.db\n\
         services:\n  api: {port: 9001, instance: api-a}\n  worker: {enabled: false}\n\
         traffic: {enabled: false, rate: 3, shape: wave}\n\
         supervisor: {restart_backoff_initial: 1s, restart_backoff_max: 1m, shutdown_timeout: 500ms}\n",
    )
    .unwrap();
    assert_eq!(c.bind_addr(None), IpAddr::from([0, 0, 0, 0]));
    assert_eq!(
        c.bind_addr(Some(IpAddr::from([127, 0, 0, 2]))),
        IpAddr::from([127, 0, 0, 2])
    );
    assert_eq!(c.data_dir.as_deref(), Some(Path::new("/tmp/lab")));
    assert_eq!(c.services.port(Service::Api), 9001);
    assert_eq!(c.services.api.instance.as_deref(), Some("api-a"));
    assert!(!c.services.worker.enabled);
    assert!(!c.traffic.enabled());
    assert_eq!(c.supervisor.restart_backoff_max.get(), Duration::from_secs(60));
    assert_eq!(c.supervisor.shutdown_timeout.get(), Duration::from_millis(500));
    // A wildcard bind is reached over loopback.
    assert_eq!(
        c.service_url(Service::Api, c.bind_addr(None)),
        "http://127.0.0.1:9001"
    );
}

#[test]
fn traffic_targets_the_lab_gateway_unless_set() {
    let c = parse("traffic: {rate: 4, concurrency: 2}\n").unwrap();
    let t = c.traffic.resolve("http://127.0.0.1:18080").unwrap();
    assert_eq!(t.target.as_str(), "http://127.0.0.1:18080/");
    assert_eq!((t.rate, t.concurrency), (4.0, 2));
    let c = parse("traffic: {target: 'http://127.0.0.1:9999'}\n").unwrap();
    assert_eq!(
        c.traffic.resolve("http://127.0.0.1:18080").unwrap().target.port(),
        Some(9999)
    );
}

#[test]
fn chaos_becomes_the_children_json_argument() {
    let c = parse(
        "services:\n  api:\n    chaos:\n      slow: {delay_ms: 200}\n      error: {rate: 0.1}\n      \
         db_slow: {delay_ms: 5, duration_s: 30}\n",
    )
    .unwrap();
    let arg = c.services.api.chaos.to_arg().unwrap();
    let v: serde_json::Value = serde_json::from_str(&arg).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "slow": {"delay_ms": 200, "probability": 1.0},
            "error": {"rate": 0.1, "status": 500},
            "db_slow": {"delay_ms": 5, "duration_s": 30.0},
        })
    );
    assert_eq!(c.services.gateway.chaos.to_arg(), None);
}

#[test]
fn errors_carry_the_key_path() {
    assert_eq!(
        first_issue("services:\n  api:\n    prot: 1\n").path,
        "services.api.prot"
    );
    assert_eq!(
        first_issue("supervisor:\n  shutdown_timeout: soon\n").path,
        "supervisor.shutdown_timeout"
    );
    assert_eq!(
        first_issue("services:\n  api: {port: 65536}\n").path,
        "services.api.port"
    );
    assert_eq!(
        first_issue("traffic:\n  mix: [{path: /x, wieght: 1}]\n").path,
        "traffic.mix[0].wieght"
    );
    assert_eq!(
        first_issue("services:\n  api: {chaos: {leak: {mb_per_min: 0}}}\n").path,
        "services.api.chaos.leak.mb_per_min"
    );
    let issue = first_issue("services:\n  api: {port: 65536}\n");
    assert!(
        issue.message.contains("65536") && issue.message.contains("port"),
        "{issue}"
    );
    assert!(!issue.message.contains("<input>"), "{issue}");
}

#[test]
fn url_for_brackets_ipv6_and_maps_wildcards_to_loopback() {
    assert_eq!(url_for("::".parse().unwrap(), 80), "http://[::1]:80");
    assert_eq!(url_for("::1".parse().unwrap(), 81), "http://[::1]:81");
    assert_eq!(url_for("10.1.2.3".parse().unwrap(), 82), "http://10.1.2.3:82");
}

#[test]
fn metrics_sections_default_to_prometheus_and_node_exporter_ports() {
    let c = parse("").unwrap();
    assert!(c.prometheus.enabled && c.node.enabled);
    assert_eq!(c.prometheus.port(), 9090);
    assert_eq!(c.node.port(), 9100);
    assert_eq!(c.prometheus.scrape_interval.get(), Duration::from_secs(5));
    assert_eq!(
        c.prometheus.retention_time.get(),
        Duration::from_secs(15 * 86_400)
    );
    assert!(!c.prometheus.admin_api);
    assert_eq!(c.prometheus.config, None);
}

#[test]
fn metrics_sections_are_read() {
    let c = parse(
        "prometheus: {enabled: true, port: 19090, config: /tmp/p.yml, scrape_interval: 1s, \
         retention_time: 2d, admin_api: true}\nnode: {enabled: false, port: 19100}\n",
    )
    .unwrap();
    assert_eq!(c.prometheus.port(), 19090);
    assert_eq!(
        c.prometheus.config.as_deref(),
        Some(std::path::Path::new("/tmp/p.yml"))
    );
    assert_eq!(c.prometheus.scrape_interval.get(), Duration::from_secs(1));
    assert_eq!(c.prometheus.retention_time.get(), Duration::from_secs(2 * 86_400));
    assert!(c.prometheus.admin_api);
    assert!(!c.node.enabled);
    assert_eq!(c.node.port(), 19100);
}

#[test]
fn metrics_section_errors_name_the_key() {
    let i = first_issue("prometheus:\n  scrape_intervall: 5s\n");
    assert_eq!(i.path, "prometheus.scrape_intervall");
    let i = first_issue("prometheus:\n  scrape_interval: 0\n");
    assert_eq!(i.path, "prometheus.scrape_interval");
    let i = first_issue("node:\n  port: 70000\n");
    assert_eq!(i.path, "node.port");
    let i = first_issue("prometheus:\n  port: 8081\n");
    assert_eq!(i.path, "prometheus.port");
    assert!(i.message.contains("also used by api"), "{i}");
    let i = first_issue("node:\n  port: 9090\n");
    assert_eq!(i.path, "node.port");
    assert!(i.message.contains("prometheus"), "{i}");
    // A disabled component's port may be shared.
    parse("prometheus: {enabled: false}\nnode: {port: 9090}\n").unwrap();
}
