//! The requests each chaos action sends, checked against recording servers on loopback.

mod support;

use obslab_traffic::chaos::{self, Scenario, ServiceUrls};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use support::{Answer, TestServer, closed_port};
use url::Url;

/// A fake demo service that answers like the chaos API: the state for GET /chaos, the posted
/// body echoed inside a state for POSTs.
async fn fake_service(name: &'static str) -> TestServer {
    TestServer::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/chaos") => Answer::ok(
            json!({"service": name, "slow": null, "error": {"rate": 0.5, "status": 500}, "leak": null, "db_slow": null})
                .to_string(),
        ),
        ("POST", "/chaos/crash") => Answer::status(202, r#"{"crashing":true}"#),
        ("POST", "/chaos/reset") => Answer::ok(
            json!({"service": name, "slow": null, "error": null, "leak": null, "db_slow": null}).to_string(),
        ),
        ("POST", p) if p.starts_with("/chaos/") => {
            let posted: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
            let key = p.trim_start_matches("/chaos/").replace('-', "_");
            Answer::ok(json!({"service": name, key: posted}).to_string())
        }
        _ => Answer::status(404, r#"{"error":"not found"}"#),
    })
    .await
}

struct Lab {
    servers: BTreeMap<&'static str, TestServer>,
    urls: ServiceUrls,
}

async fn lab() -> Lab {
    let mut servers = BTreeMap::new();
    let mut urls = BTreeMap::new();
    for name in ["gateway", "api", "payment", "inventory", "worker"] {
        let s = fake_service(name).await;
        urls.insert(name.to_string(), Url::parse(&s.url()).unwrap());
        servers.insert(name, s);
    }
    Lab {
        servers,
        urls: ServiceUrls(urls),
    }
}

impl Lab {
    /// (service, method, path, body) of every request, by service name.
    fn seen(&self) -> Vec<(&'static str, String, String, Value)> {
        let mut out = Vec::new();
        for (name, s) in &self.servers {
            for r in s.recorded() {
                let body = serde_json::from_str(&r.body).unwrap_or(Value::Null);
                out.push((*name, r.method.clone(), r.path.clone(), body));
            }
        }
        out
    }
}

#[tokio::test]
async fn each_scenario_posts_its_fault_to_its_default_services() {
    let cases: [(Scenario, &[&str], &str, Value); 6] = [
        (
            Scenario::SlowDatabase,
            &["api"],
            "/chaos/db-slow",
            json!({"delay_ms": 500}),
        ),
        (Scenario::ServiceCrash, &["payment"], "/chaos/crash", json!({})),
        (
            Scenario::MemoryLeak,
            &["api"],
            "/chaos/leak",
            json!({"mb_per_min": 50}),
        ),
        (
            Scenario::NetworkLatency,
            &["inventory", "payment"],
            "/chaos/slow",
            json!({"delay_ms": 400, "probability": 1.0}),
        ),
        (
            Scenario::ErrorBurst,
            &["api"],
            "/chaos/error",
            json!({"rate": 0.5, "status": 500}),
        ),
        (
            Scenario::PaymentOutage,
            &["payment"],
            "/chaos/error",
            json!({"rate": 1.0, "status": 503}),
        ),
    ];
    for (scenario, services, path, body) in cases {
        let lab = lab().await;
        let outcomes = chaos::apply(scenario, &lab.urls, &[], None).await.unwrap();
        let seen = lab.seen();
        let expected: Vec<_> = services
            .iter()
            .map(|s| (*s, "POST".to_string(), path.to_string(), body.clone()))
            .collect();
        assert_eq!(seen, expected, "{scenario}");
        let mut got: Vec<&str> = outcomes.iter().map(|o| o.service.as_str()).collect();
        got.sort();
        assert_eq!(got, services, "{scenario}");
        assert!(
            outcomes
                .iter()
                .all(|o| o.scenario == scenario && o.url.starts_with("http://127.0.0.1:"))
        );
    }
}

#[tokio::test]
async fn requests_are_json_with_the_chaos_user_agent() {
    let lab = lab().await;
    chaos::apply(Scenario::ErrorBurst, &lab.urls, &[], None)
        .await
        .unwrap();
    let r = &lab.servers["api"].recorded()[0];
    assert_eq!(r.content_type, "application/json");
    assert!(r.user_agent.starts_with("obslab-chaos/"), "{}", r.user_agent);
}

#[tokio::test]
async fn service_override_and_duration() {
    let lab = lab().await;
    let outcomes = chaos::apply(
        Scenario::NetworkLatency,
        &lab.urls,
        &["worker".to_string()],
        Some(Duration::from_secs(30)),
    )
    .await
    .unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].response["slow"]["duration_s"], 30.0);
    let seen = lab.seen();
    assert_eq!(
        seen,
        vec![(
            "worker",
            "POST".to_string(),
            "/chaos/slow".to_string(),
            json!({"delay_ms": 400, "probability": 1.0, "duration_s": 30.0})
        )]
    );
}

#[tokio::test]
async fn unknown_service_and_crash_duration_are_refused_before_sending() {
    let lab = lab().await;
    let err = chaos::apply(Scenario::ErrorBurst, &lab.urls, &["db".to_string()], None)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("\"db\"") && msg.contains("payment"), "{msg}");
    let err = chaos::apply(
        Scenario::ServiceCrash,
        &lab.urls,
        &[],
        Some(Duration::from_secs(5)),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("--for"), "{err}");
    assert!(lab.seen().is_empty());
}

#[tokio::test]
async fn errors_name_the_service_and_url() {
    let rejecting = TestServer::start(|_| Answer::status(400, r#"{"error":"unknown field `delay`"}"#)).await;
    let port = closed_port();
    let urls = ServiceUrls(BTreeMap::from([
        ("api".to_string(), Url::parse(&rejecting.url()).unwrap()),
        (
            "payment".to_string(),
            Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        ),
    ]));
    let err = chaos::apply(Scenario::ErrorBurst, &urls, &[], None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("service api"), "{err}");
    assert!(err.contains(&rejecting.url()), "{err}");
    assert!(err.contains("400") && err.contains("unknown field"), "{err}");

    let err = chaos::apply(Scenario::PaymentOutage, &urls, &[], None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("service payment"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");

    // One service applied, one failed: the error says which one got the fault.
    let inventory = fake_service("inventory").await;
    let mixed = ServiceUrls(BTreeMap::from([
        ("inventory".to_string(), Url::parse(&inventory.url()).unwrap()),
        (
            "payment".to_string(),
            Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        ),
    ]));
    let err = chaos::apply(Scenario::NetworkLatency, &mixed, &[], None)
        .await
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("applied only to inventory") && text.contains("service payment"),
        "{text}"
    );
}

#[tokio::test]
async fn status_reads_every_service_and_shows_down_ones() {
    let lab = lab().await;
    let mut urls = lab.urls.clone();
    let port = closed_port();
    urls.0.insert(
        "ghost".into(),
        Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
    );
    let rows = chaos::status(&urls).await;
    let names: Vec<&str> = rows.iter().map(|r| r.service.as_str()).collect();
    assert_eq!(
        names,
        ["api", "gateway", "ghost", "inventory", "payment", "worker"]
    );
    let ghost = rows.iter().find(|r| r.service == "ghost").unwrap();
    assert_eq!(ghost.status, "down");
    assert!(!ghost.is_up());
    assert!(ghost.url.contains(&port.to_string()));
    let reason = ghost.error.as_deref().unwrap();
    assert!(reason.to_lowercase().contains("refused"), "{reason}");
    let api = rows.iter().find(|r| r.service == "api").unwrap();
    assert_eq!(api.status, "up");
    assert_eq!(api.state.as_ref().unwrap()["error"]["status"], 500);
    for (name, s) in &lab.servers {
        let r = s.recorded();
        assert_eq!(r.len(), 1, "{name}");
        assert_eq!((r[0].method.as_str(), r[0].path.as_str()), ("GET", "/chaos"));
    }
    let table = chaos::render_status_table(&rows);
    assert!(
        table.contains("errors 50% → 500") && table.contains("down"),
        "{table}"
    );
}

#[tokio::test]
async fn reset_posts_to_every_service() {
    let lab = lab().await;
    let rows = chaos::reset(&lab.urls).await;
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.is_up()));
    let seen = lab.seen();
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|(_, m, p, _)| m == "POST" && p == "/chaos/reset"));
    let table = chaos::render_status_table(&rows);
    assert_eq!(table.matches("none").count(), 5, "{table}");
}

#[tokio::test]
async fn base_urls_with_a_path_keep_it() {
    let s = fake_service("api").await;
    let urls = ServiceUrls(BTreeMap::from([(
        "api".to_string(),
        Url::parse(&format!("{}/svc/", s.url())).unwrap(),
    )]));
    chaos::apply(Scenario::SlowDatabase, &urls, &[], None)
        .await
        .unwrap_err();
    assert_eq!(s.recorded()[0].path, "/svc/chaos/db-slow");
}

fn args(action: chaos::ChaosAction, services: &[&str], for_: Option<Duration>) -> chaos::ChaosArgs {
    chaos::ChaosArgs {
        action,
        services: services.iter().map(|s| s.to_string()).collect(),
        for_,
        output: chaos::Output::Json,
    }
}

#[tokio::test]
async fn run_cli_applies_shows_and_resets() {
    use chaos::ChaosAction::{Apply, Reset, Status};
    let lab = lab().await;
    chaos::run_cli(
        args(
            Apply(Scenario::MemoryLeak),
            &["worker"],
            Some(Duration::from_secs(60)),
        ),
        &lab.urls,
    )
    .await
    .unwrap();
    chaos::run_cli(args(Status, &["api", "payment"], None), &lab.urls)
        .await
        .unwrap();
    chaos::run_cli(args(Reset, &[], None), &lab.urls).await.unwrap();
    let mut seen: Vec<(&str, String, String)> =
        lab.seen().into_iter().map(|(s, m, p, _)| (s, m, p)).collect();
    seen.sort();
    let mut expected = vec![
        ("worker", "POST".to_string(), "/chaos/leak".to_string()),
        ("api", "GET".to_string(), "/chaos".to_string()),
        ("payment", "GET".to_string(), "/chaos".to_string()),
    ];
    for s in ["gateway", "api", "payment", "inventory", "worker"] {
        expected.push((s, "POST".to_string(), "/chaos/reset".to_string()));
    }
    expected.sort();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn run_cli_rejects_misused_flags() {
    use chaos::ChaosAction::Status;
    let lab = lab().await;
    let err = chaos::run_cli(args(Status, &[], Some(Duration::from_secs(1))), &lab.urls)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--for"), "{err}");
    let err = chaos::run_cli(args(Status, &["nope"], None), &lab.urls)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown service \"nope\""), "{err}");
    assert!(lab.seen().is_empty());
}
