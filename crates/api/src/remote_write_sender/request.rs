//! One remote-write endpoint: URL, headers and credentials, and how a batch is encoded and posted.

use super::{Item, SenderError};
use crate::prompb::{Label, Sample, TimeSeries, WriteRequest, snappy_encode};
use obslab_model::Labels;
use obslab_scrape::config::RemoteWriteConfig;
use prost::Message;
use std::collections::BTreeMap;
use std::time::Duration;

pub(crate) struct Endpoint {
    pub name: String,
    url: String,
    client: reqwest::Client,
    headers: Vec<(String, String)>,
    basic_auth: Option<(String, Option<String>)>,
    bearer: Option<String>,
}

/// What an attempt to send one batch came to.
pub(crate) enum Outcome {
    Sent {
        bytes: u64,
    },
    /// Worth retrying (5xx, 429 when allowed, network errors), with an optional `Retry-After`.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// Rejected for good (other 4xx).
    Failed {
        reason: String,
    },
}

fn read_secret_file(name: &str, path: &str) -> Result<String, SenderError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|source| SenderError::File {
            name: name.to_string(),
            path: path.to_string(),
            source,
        })
}

impl Endpoint {
    pub fn new(cfg: &RemoteWriteConfig) -> Result<Self, SenderError> {
        let parsed = url::Url::parse(&cfg.url).map_err(|e| SenderError::Url {
            url: cfg.url.clone(),
            reason: e.to_string(),
        })?;
        if parsed.scheme() != "http" {
            return Err(SenderError::Url {
                url: cfg.url.clone(),
                reason: "only http:// endpoints are supported".into(),
            });
        }
        let name = if cfg.name.is_empty() {
            parsed
                .host_str()
                .map(|h| format!("{h}:{}", parsed.port_or_known_default().unwrap_or(80)))
                .unwrap_or_default()
        } else {
            cfg.name.clone()
        };
        let client = reqwest::Client::builder()
            .timeout(cfg.remote_timeout.0.max(Duration::from_millis(100)))
            .build()
            .map_err(|e| SenderError::Client {
                name: name.clone(),
                reason: e.to_string(),
            })?;
        let http = cfg.http_client();
        let basic_auth = match http.basic_auth {
            None => None,
            Some(b) => {
                let user = match &b.username_file {
                    Some(p) => read_secret_file(&name, p)?,
                    None => b.username.clone(),
                };
                let pass = match (&b.password, &b.password_file) {
                    (Some(p), _) => Some(p.0.clone()),
                    (None, Some(f)) => Some(read_secret_file(&name, f)?),
                    (None, None) => None,
                };
                Some((user, pass))
            }
        };
        let bearer = match (http.bearer_token, http.bearer_token_file, http.authorization) {
            (Some(t), _, _) => Some(format!("Bearer {}", t.0)),
            (None, Some(f), _) => Some(format!("Bearer {}", read_secret_file(&name, f)?)),
            (None, None, Some(a)) => {
                let kind = a.kind.clone().unwrap_or_else(|| "Bearer".into());
                let cred = match (&a.credentials, &a.credentials_file) {
                    (Some(c), _) => Some(c.0.clone()),
                    (None, Some(f)) => Some(read_secret_file(&name, f)?),
                    (None, None) => None,
                };
                cred.map(|c| format!("{kind} {c}"))
            }
            _ => None,
        };
        Ok(Self {
            name,
            url: cfg.url.clone(),
            client,
            headers: cfg.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            basic_auth,
            bearer,
        })
    }

    /// Posts one batch and classifies the answer.
    pub async fn send(&self, body: Vec<u8>, retry_on_429: bool) -> Outcome {
        let bytes = body.len() as u64;
        let mut req = self
            .client
            .post(&self.url)
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("User-Agent", concat!("obslab/", env!("CARGO_PKG_VERSION")))
            .header("X-Prometheus-Remote-Write-Version", "0.1.0");
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some((u, p)) = &self.basic_auth {
            req = req.basic_auth(u, p.as_ref());
        } else if let Some(b) = &self.bearer {
            req = req.header("Authorization", b.as_str());
        }
        let resp = match req.body(body).send().await {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Retry {
                    reason: e.to_string(),
                    after: None,
                };
            }
        };
        let status = resp.status();
        if status.is_success() {
            return Outcome::Sent { bytes };
        }
        let after = resp
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp.text().await.unwrap_or_default();
        let reason = format!("server returned HTTP status {status}: {}", text.trim());
        if status.is_server_error() || (status.as_u16() == 429 && retry_on_429) {
            Outcome::Retry { reason, after }
        } else {
            Outcome::Failed { reason }
        }
    }
}

/// Groups samples by series (keeping their order) into a snappy-compressed `WriteRequest`.
pub(crate) fn encode_batch(items: &[Item]) -> Vec<u8> {
    let mut by_series: BTreeMap<&Labels, Vec<Sample>> = BTreeMap::new();
    for (l, t, v) in items {
        by_series.entry(l).or_default().push(Sample {
            value: *v,
            timestamp: *t,
        });
    }
    let timeseries = by_series
        .into_iter()
        .map(|(l, samples)| TimeSeries {
            labels: l
                .iter()
                .map(|x| Label {
                    name: x.name.clone(),
                    value: x.value.clone(),
                })
                .collect(),
            samples,
            exemplars: Vec::new(),
        })
        .collect();
    let req = WriteRequest {
        timeseries,
        metadata: Vec::new(),
    };
    snappy_encode(&req.encode_to_vec())
}
