//! `obslab chaos`: switches the demo services' faults on and off over their `/chaos` endpoints.

mod args;
mod client;
mod scenario;
mod table;

pub use args::{ChaosAction, ChaosArgs, Output, run_cli};
pub use scenario::Scenario;
pub use table::{describe_faults, render_status_table};

use client::ChaosClient;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

/// Service name → base URL of that service (`http://127.0.0.1:8081`), as configured in lab.yaml.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceUrls(pub BTreeMap<String, Url>);

impl ServiceUrls {
    /// The demo services on their default loopback ports.
    pub fn default_lab() -> Self {
        let ports = [
            ("gateway", 8080),
            ("api", 8081),
            ("payment", 8082),
            ("inventory", 8083),
            ("worker", 8084),
        ];
        Self(
            ports
                .into_iter()
                .filter_map(|(name, port)| {
                    Url::parse(&format!("http://127.0.0.1:{port}"))
                        .ok()
                        .map(|u| (name.to_string(), u))
                })
                .collect(),
        )
    }

    /// The URL of `service`, or an error listing the known names.
    pub fn get(&self, service: &str) -> Result<&Url, ChaosError> {
        self.0.get(service).ok_or_else(|| ChaosError::UnknownService {
            service: service.to_string(),
            known: self.names(),
        })
    }

    /// Only the named services (all of them when `names` is empty).
    pub fn only(&self, names: &[String]) -> Result<ServiceUrls, ChaosError> {
        if names.is_empty() {
            return Ok(self.clone());
        }
        let mut picked = BTreeMap::new();
        for n in names {
            picked.insert(n.clone(), self.get(n)?.clone());
        }
        Ok(ServiceUrls(picked))
    }

    fn names(&self) -> String {
        self.0.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// A chaos request that failed.
#[derive(Debug, thiserror::Error)]
pub enum ChaosError {
    #[error("unknown service {service:?} (known: {known})")]
    UnknownService { service: String, known: String },
    #[error("{scenario} cannot take --for: it cannot revert by itself (use `obslab chaos reset` or restart)")]
    NoDuration { scenario: Scenario },
    #[error("service {service} ({url}): {reason}")]
    Service {
        service: String,
        url: String,
        reason: String,
    },
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Several(Vec<ChaosError>),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// A fault that was switched on.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChaosOutcome {
    pub scenario: Scenario,
    pub service: String,
    pub url: String,
    /// The service's answer: its new chaos state (or `{"crashing":true}`).
    pub response: Value,
}

/// One service's chaos state, or why it could not be read.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceChaos {
    pub service: String,
    pub url: String,
    /// `"up"` or `"down"` (did not answer).
    pub status: String,
    /// The service's `/chaos` state when it answered.
    pub state: Option<Value>,
    /// Why the service is shown as down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ServiceChaos {
    fn from_result(service: &str, url: &Url, result: Result<Value, ChaosError>) -> Self {
        match result {
            Ok(state) => Self {
                service: service.to_string(),
                url: url.to_string(),
                status: "up".into(),
                state: Some(state),
                error: None,
            },
            Err(e) => Self {
                service: service.to_string(),
                url: url.to_string(),
                status: "down".into(),
                state: None,
                // The row already names the service and URL.
                error: Some(match e {
                    ChaosError::Service { reason, .. } => reason,
                    other => other.to_string(),
                }),
            },
        }
    }

    pub fn is_up(&self) -> bool {
        self.status == "up"
    }
}

/// Switches `scenario` on for `services` (the scenario's defaults when empty). `for_` makes the
/// services revert by themselves. Every service is tried; failures are reported together.
pub async fn apply(
    scenario: Scenario,
    urls: &ServiceUrls,
    services: &[String],
    for_: Option<Duration>,
) -> anyhow::Result<Vec<ChaosOutcome>> {
    if for_.is_some() && !scenario.supports_duration() {
        return Err(ChaosError::NoDuration { scenario }.into());
    }
    let names: Vec<String> = if services.is_empty() {
        scenario
            .default_services()
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        services.to_vec()
    };
    let targets = names
        .iter()
        .map(|n| urls.get(n).map(|u| (n.clone(), u.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let client = ChaosClient::new().map_err(|e| ChaosError::Client(e.to_string()))?;
    let (path, body) = scenario.request(for_);
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    for (service, url) in targets {
        match client.post(&service, &url, path, Some(&body)).await {
            Ok(response) => outcomes.push(ChaosOutcome {
                scenario,
                service,
                url: url.to_string(),
                response,
            }),
            Err(e) => failures.push(e),
        }
    }
    match failures.len() {
        0 => Ok(outcomes),
        _ => {
            let applied: Vec<&str> = outcomes.iter().map(|o| o.service.as_str()).collect();
            let err = if failures.len() == 1 {
                failures.remove(0)
            } else {
                ChaosError::Several(failures)
            };
            if applied.is_empty() {
                Err(err.into())
            } else {
                Err(anyhow::Error::new(err)
                    .context(format!("{scenario} was applied only to {}", applied.join(", "))))
            }
        }
    }
}

/// Every service's chaos state (`GET /chaos`); a service that does not answer shows as down.
pub async fn status(urls: &ServiceUrls) -> Vec<ServiceChaos> {
    for_each_service(urls, |client, service, url| async move {
        client.get(&service, &url, "/chaos").await
    })
    .await
}

/// Turns every fault off on every service (`POST /chaos/reset`); returns each one's new state.
pub async fn reset(urls: &ServiceUrls) -> Vec<ServiceChaos> {
    for_each_service(urls, |client, service, url| async move {
        client.post(&service, &url, "/chaos/reset", None).await
    })
    .await
}

/// Runs one request per service concurrently and collects the results in name order.
async fn for_each_service<F, Fut>(urls: &ServiceUrls, call: F) -> Vec<ServiceChaos>
where
    F: Fn(ChaosClient, String, Url) -> Fut,
    Fut: std::future::Future<Output = Result<Value, ChaosError>> + Send + 'static,
{
    let client = match ChaosClient::new() {
        Ok(c) => c,
        Err(e) => {
            let reason = e.to_string();
            return urls
                .0
                .iter()
                .map(|(s, u)| ServiceChaos::from_result(s, u, Err(ChaosError::Client(reason.clone()))))
                .collect();
        }
    };
    let mut set = tokio::task::JoinSet::new();
    for (service, url) in &urls.0 {
        let fut = call(client.clone(), service.clone(), url.clone());
        let (service, url) = (service.clone(), url.clone());
        set.spawn(async move {
            let result = fut.await;
            ServiceChaos::from_result(&service, &url, result)
        });
    }
    let mut out = Vec::with_capacity(urls.0.len());
    while let Some(joined) = set.join_next().await {
        if let Ok(row) = joined {
            out.push(row);
        }
    }
    out.sort_by(|a, b| a.service.cmp(&b.service));
    out
}
