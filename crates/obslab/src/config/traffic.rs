//! The `traffic:` section: `enabled` plus every setting of the traffic generator
//! (`obslab_traffic::TrafficConfig`: rate, concurrency, shape, mix, ...).
//!
//! The section is read as a plain map first and turned into a `TrafficConfig` in a second step,
//! so that errors inside it still name their full key (`traffic.rate`), and so that the lab can
//! tell whether `target` was given: without it, traffic goes to the lab's own gateway port.

use super::Issue;
use obslab_traffic::TrafficConfig;
use obslab_traffic::config::ConfigError as TrafficError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The traffic generator's section of lab.yaml, as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct TrafficSection {
    raw: Map<String, Value>,
}

impl TrafficSection {
    /// Whether `obslab up` runs the generator (`--no-traffic` turns it off too).
    pub fn enabled(&self) -> bool {
        self.raw.get("enabled").and_then(Value::as_bool).unwrap_or(true)
    }

    /// The generator settings; `gateway_url` is the target unless the section sets `target`.
    pub fn resolve(&self, gateway_url: &str) -> Result<TrafficConfig, Issue> {
        let issue = |key: &str, message: String| Issue {
            path: if key.is_empty() {
                "traffic".to_string()
            } else {
                format!("traffic.{key}")
            },
            message,
        };
        let mut raw = self.raw.clone();
        match raw.remove("enabled") {
            None | Some(Value::Bool(_)) => {}
            Some(other) => return Err(issue("enabled", format!("expected true or false, got {other}"))),
        }
        if !raw.contains_key("target") {
            raw.insert("target".into(), Value::from(gateway_url));
        }
        let config: TrafficConfig = serde_path_to_error::deserialize(Value::Object(raw)).map_err(|e| {
            let path = e.path().to_string();
            let key = if path == "." { String::new() } else { path };
            issue(&key, e.into_inner().to_string())
        })?;
        config.validate().map_err(|e| {
            let key = match e {
                TrafficError::Rate(_) => "rate",
                TrafficError::Concurrency => "concurrency",
                TrafficError::Timeout => "timeout",
                TrafficError::Duration => "duration",
                TrafficError::Mix(_) => "mix",
            };
            issue(key, e.to_string())
        })?;
        Ok(config)
    }

    pub(super) fn validate(&self, issues: &mut super::Issues) {
        if let Err(issue) = self.resolve(obslab_traffic::config::DEFAULT_TARGET) {
            issues.push(issue.path, issue.message);
        }
    }
}
