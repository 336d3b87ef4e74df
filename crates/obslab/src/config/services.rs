//! The `services:` section: one entry per demo service with its port, whether it runs, and the
//! faults it starts with. Faults use the JSON shapes of the services' `POST /chaos/*` bodies and
//! reach each child process unchanged as `--chaos <json>`.

use super::Issues;
use obslab_demo::Service;
use serde::{Deserialize, Serialize};

/// Settings of every demo service, keyed by service name (an unknown name is an error).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicesConfig {
    pub gateway: ServiceConfig,
    pub api: ServiceConfig,
    pub payment: ServiceConfig,
    pub inventory: ServiceConfig,
    pub worker: ServiceConfig,
}

impl ServicesConfig {
    pub fn get(&self, service: Service) -> &ServiceConfig {
        match service {
            Service::Gateway => &self.gateway,
            Service::Api => &self.api,
            Service::Payment => &self.payment,
            Service::Inventory => &self.inventory,
            Service::Worker => &self.worker,
        }
    }

    /// The port a service listens on: lab.yaml's value or the service's default.
    pub fn port(&self, service: Service) -> u16 {
        self.get(service).port.unwrap_or_else(|| service.default_port())
    }

    pub(super) fn validate(&self, issues: &mut Issues) {
        for service in Service::ALL {
            let cfg = self.get(service);
            let path = format!("services.{service}");
            if cfg.port == Some(0) {
                issues.push(format!("{path}.port"), "port must be between 1 and 65535");
            }
            if let Some(instance) = &cfg.instance
                && instance.trim().is_empty()
            {
                issues.push(format!("{path}.instance"), "must not be empty");
            }
            cfg.chaos.validate(&format!("{path}.chaos"), issues);
        }
    }
}

/// One demo service.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// Port to listen on; the service's default (8080..8084) when absent.
    #[serde(deserialize_with = "deserialize_port")]
    pub port: Option<u16>,
    /// Whether `obslab up` starts this service.
    pub enabled: bool,
    /// `service.instance.id` of its telemetry; `<service>-<port>` when absent.
    pub instance: Option<String>,
    /// Faults switched on from the start.
    pub chaos: ChaosConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            port: None,
            enabled: true,
            instance: None,
            chaos: ChaosConfig::default(),
        }
    }
}

/// Initial faults of one service, in the shapes of the `/chaos` endpoints.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChaosConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow: Option<SlowFault>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorFault>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakFault>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_slow: Option<DbSlowFault>,
}

impl ChaosConfig {
    pub fn is_empty(&self) -> bool {
        self.slow.is_none() && self.error.is_none() && self.leak.is_none() && self.db_slow.is_none()
    }

    /// The `--chaos` argument for the service process, or `None` when no fault is set.
    pub fn to_arg(&self) -> Option<String> {
        if self.is_empty() {
            None
        } else {
            serde_json::to_string(self).ok()
        }
    }

    fn validate(&self, path: &str, issues: &mut Issues) {
        if let Some(slow) = &self.slow {
            check_fraction(issues, &format!("{path}.slow.probability"), slow.probability);
            check_duration_s(issues, &format!("{path}.slow.duration_s"), slow.duration_s);
        }
        if let Some(error) = &self.error {
            check_fraction(issues, &format!("{path}.error.rate"), error.rate);
            if !(400..=599).contains(&error.status) {
                issues.push(
                    format!("{path}.error.status"),
                    "must be an HTTP status between 400 and 599",
                );
            }
            check_duration_s(issues, &format!("{path}.error.duration_s"), error.duration_s);
        }
        if let Some(leak) = &self.leak {
            if !(leak.mb_per_min.is_finite() && leak.mb_per_min > 0.0) {
                issues.push(
                    format!("{path}.leak.mb_per_min"),
                    "must be a number greater than 0",
                );
            }
            check_duration_s(issues, &format!("{path}.leak.duration_s"), leak.duration_s);
        }
        if let Some(db) = &self.db_slow {
            check_duration_s(issues, &format!("{path}.db_slow.duration_s"), db.duration_s);
        }
    }
}

fn check_fraction(issues: &mut Issues, path: &str, v: f64) {
    if !(0.0..=1.0).contains(&v) {
        issues.push(path.to_string(), "must be between 0 and 1");
    }
}

fn check_duration_s(issues: &mut Issues, path: &str, v: Option<f64>) {
    if let Some(v) = v
        && !(v.is_finite() && v > 0.0)
    {
        issues.push(path.to_string(), "must be a number of seconds greater than 0");
    }
}

/// `POST /chaos/slow`: delays requests.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlowFault {
    pub delay_ms: u64,
    #[serde(default = "one")]
    pub probability: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
}

/// `POST /chaos/error`: fails a share of requests with a status.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorFault {
    pub rate: f64,
    #[serde(default = "status_500")]
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
}

/// `POST /chaos/leak`: allocates memory steadily.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LeakFault {
    pub mb_per_min: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
}

/// `POST /chaos/db-slow`: every database query sleeps.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DbSlowFault {
    pub delay_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
}

/// A TCP port, with an error that says what a port is rather than "invalid u16".
pub(super) fn deserialize_port<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<u16>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = Option<u16>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a port number between 1 and 65535")
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            match u16::try_from(n) {
                Ok(p) => Ok(Some(p)),
                Err(_) => Err(E::custom(format!(
                    "{n} is not a port number (expected 1 to 65535)"
                ))),
            }
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            match u64::try_from(n) {
                Ok(n) => self.visit_u64(n),
                Err(_) => Err(E::custom(format!(
                    "{n} is not a port number (expected 1 to 65535)"
                ))),
            }
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "{s:?} is not a port number (expected 1 to 65535)"
            )))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    de.deserialize_any(Visitor)
}

fn one() -> f64 {
    1.0
}

fn status_500() -> u16 {
    500
}
