//! The small HTTP client that talks to the services' `/chaos` API and turns failures into errors
//! that name the service and its URL.

use super::ChaosError;
use serde_json::Value;
use std::time::Duration;
use url::Url;

const USER_AGENT: &str = concat!("obslab-chaos/", env!("CARGO_PKG_VERSION"));
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(crate) struct ChaosClient {
    http: reqwest::Client,
}

impl ChaosClient {
    pub(crate) fn new() -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Self { http })
    }

    pub(crate) async fn get(&self, service: &str, base: &Url, path: &str) -> Result<Value, ChaosError> {
        let url = endpoint(base, path);
        self.send(service, base, "GET", path, self.http.get(url)).await
    }

    pub(crate) async fn post(
        &self,
        service: &str,
        base: &Url,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ChaosError> {
        let mut req = self.http.post(endpoint(base, path));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(service, base, "POST", path, req).await
    }

    async fn send(
        &self,
        service: &str,
        base: &Url,
        method: &str,
        path: &str,
        req: reqwest::RequestBuilder,
    ) -> Result<Value, ChaosError> {
        let fail = |reason: String| ChaosError::Service {
            service: service.to_string(),
            url: base.to_string(),
            reason,
        };
        let resp = req
            .send()
            .await
            .map_err(|e| fail(format!("{method} {path} failed: {}", describe(&e))))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| {
            fail(format!(
                "{method} {path}: reading the answer failed: {}",
                describe(&e)
            ))
        })?;
        let json: Option<Value> = serde_json::from_str(&text).ok();
        if !status.is_success() {
            let detail = json
                .as_ref()
                .and_then(|v| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| text.chars().take(200).collect());
            return Err(fail(format!("{method} {path} answered {status}: {detail}")));
        }
        Ok(json.unwrap_or(Value::String(text)))
    }
}

/// `base` with `path` appended to its own path.
fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{}", base.path().trim_end_matches('/'), path));
    url.set_query(None);
    url
}

/// A short reason for a failed request: the innermost cause ("Connection refused (os error 111)")
/// is what a person needs, not reqwest's wrapping.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {}s", TIMEOUT.as_secs());
    }
    let mut innermost: &dyn std::error::Error = e;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    innermost.to_string()
}
