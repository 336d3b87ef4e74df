//! lab.yaml: the one file that can set every port, rate, fault and path of the lab.
//!
//! Every section rejects unknown keys, so a typo fails with the key named instead of being
//! silently ignored. Parsing tracks the key path (`services.api.port`) so that every error, from
//! the YAML reader or from the checks after it, says where it is. Every key is documented in
//! docs/lab-config.md.

mod duration;
mod metrics;
mod services;
mod supervisor;
mod traffic;

pub use duration::ConfigDuration;
pub use metrics::{NodeSection, PrometheusSection};
pub use services::ServicesConfig;
pub use supervisor::SupervisorConfig;
pub use traffic::TrafficSection;

use obslab_demo::Service;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Default OTLP gRPC endpoint of the demo services.
pub const DEFAULT_OTLP_ENDPOINT: &str = "http://127.0.0.1:4317";

/// The whole lab configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LabConfig {
    /// Address every component listens on (default 127.0.0.1).
    pub bind: Option<String>,
    /// Directory of all the lab's data (default ./obslab-data; `--data` wins).
    pub data_dir: Option<PathBuf>,
    /// OTLP gRPC endpoint the demo services export to; `none` disables export.
    pub otlp_endpoint: Option<String>,
    /// SQLite file of the demo shop (default `<data>/demo/shop.db`).
    pub demo_db: Option<PathBuf>,
    pub services: ServicesConfig,
    pub traffic: TrafficSection,
    pub supervisor: SupervisorConfig,
    pub prometheus: PrometheusSection,
    pub node: NodeSection,
}

/// One problem found in a lab.yaml, with the key it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Dotted key path, e.g. `services.api.port`; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// The problems collected while checking a configuration.
#[derive(Debug, Default)]
pub struct Issues(Vec<Issue>);

impl Issues {
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Issue {
            path: path.into(),
            message: message.into(),
        });
    }
}

/// Why a lab.yaml could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_issues(source_name, issues))]
    Invalid { source_name: String, issues: Vec<Issue> },
}

fn render_issues(source_name: &str, issues: &[Issue]) -> String {
    let mut out = format!("invalid lab configuration {source_name}:");
    for issue in issues {
        out.push_str("\n  ");
        out.push_str(&issue.to_string().replace('\n', "\n    "));
    }
    out
}

impl LabConfig {
    /// Reads and checks a lab.yaml file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Reads the file named by `--config`, or the defaults when there is none.
    pub fn load_or_default(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            Some(p) => Self::load(p),
            None => Ok(Self::default()),
        }
    }

    /// Parses and checks lab.yaml text; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, ConfigError> {
        let invalid = |issues| ConfigError::Invalid {
            source_name: source_name.to_string(),
            issues,
        };
        let config = if text.trim().is_empty() {
            Self::default()
        } else {
            parse_tracked(text, source_name).map_err(|issue| invalid(vec![issue]))?
        };
        let mut issues = Issues::default();
        config.validate(&mut issues);
        if issues.0.is_empty() {
            Ok(config)
        } else {
            Err(invalid(issues.0))
        }
    }

    fn validate(&self, issues: &mut Issues) {
        if let Some(bind) = &self.bind
            && bind.parse::<IpAddr>().is_err()
        {
            issues.push(
                "bind",
                format!("{bind:?} is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)"),
            );
        }
        if let Some(ep) = &self.otlp_endpoint
            && ep != "none"
            && !(ep.starts_with("http://") || ep.starts_with("https://"))
        {
            issues.push(
                "otlp_endpoint",
                format!("{ep:?} must be an http:// or https:// URL, or none"),
            );
        }
        self.services.validate(issues);
        let mut seen: Vec<(u16, String)> = Vec::new();
        let mut listeners: Vec<(String, u16, String)> = Service::ALL
            .into_iter()
            .filter(|s| self.services.get(*s).enabled)
            .map(|s| (format!("services.{s}.port"), self.services.port(s), s.to_string()))
            .collect();
        if self.prometheus.enabled {
            listeners.push((
                "prometheus.port".into(),
                self.prometheus.port(),
                "prometheus".into(),
            ));
        }
        if self.node.enabled {
            listeners.push(("node.port".into(), self.node.port(), "node".into()));
        }
        for (key, port, name) in listeners {
            if let Some((_, other)) = seen.iter().find(|(p, _)| *p == port) {
                issues.push(key, format!("port {port} is also used by {other}"));
            }
            seen.push((port, name));
        }
        self.traffic.validate(issues);
        self.supervisor.validate(issues);
        self.prometheus.validate(issues);
        self.node.validate(issues);
    }

    /// The listen address of every component (`--bind` wins over lab.yaml).
    pub fn bind_addr(&self, flag: Option<IpAddr>) -> IpAddr {
        flag.or_else(|| self.bind.as_deref().and_then(|b| b.parse().ok()))
            .unwrap_or(IpAddr::from([127, 0, 0, 1]))
    }

    /// Base URL at which a service is reached from this machine. A wildcard bind address is
    /// reached over loopback.
    pub fn service_url(&self, service: Service, bind: IpAddr) -> String {
        url_for(bind, self.services.port(service))
    }
}

/// `http://host:port` for a listen address, with wildcard addresses reached over loopback.
pub fn url_for(bind: IpAddr, port: u16) -> String {
    let host = match bind {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    };
    match host {
        IpAddr::V4(v4) => format!("http://{v4}:{port}"),
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
    }
}

/// Deserializes while recording the key path, so that the error names the key.
fn parse_tracked(text: &str, source_name: &str) -> Result<LabConfig, Issue> {
    let mut failed_at: Option<String> = None;
    let result = serde_saphyr::with_deserializer_from_str(text, |de| {
        let mut track = serde_path_to_error::Track::new();
        let tracked = serde_path_to_error::Deserializer::new(de, &mut track);
        LabConfig::deserialize(tracked).inspect_err(|_| failed_at = Some(track.path().to_string()))
    });
    result.map_err(|e| Issue {
        path: failed_at.filter(|p| p != ".").unwrap_or_default(),
        message: tidy_yaml_error(&e.to_string(), source_name),
    })
}

/// The YAML reader's messages start with `error: ` and name the file `<input>`; the key path and
/// the file name are known here, so say them instead.
fn tidy_yaml_error(message: &str, source_name: &str) -> String {
    let message = message.strip_prefix("error: ").unwrap_or(message);
    message.replace("<input>", source_name)
}

#[cfg(test)]
mod tests;
