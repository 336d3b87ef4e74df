//! Health checks: an HTTP `GET` that must answer 200, or simply "the task is still running" for
//! in-process components without an HTTP surface (the traffic generator).

use std::time::Duration;

/// How the supervisor decides that a component is healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthCheck {
    /// `GET url` answers 200.
    Http(String),
    /// Healthy while its task runs.
    Running,
}

/// An HTTP client for health probes: short timeouts, no proxy (every probe is on this machine).
pub fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(1))
        .connect_timeout(Duration::from_millis(500))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// True when `url` answers 200.
pub async fn probe(client: &reqwest::Client, url: &str) -> bool {
    match client.get(url).send().await {
        Ok(resp) => resp.status() == reqwest::StatusCode::OK,
        Err(_) => false,
    }
}
