//! The named fault scenarios and the request each one sends to a service's `/chaos` API.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// A fault scenario of `obslab chaos <scenario>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Every database query of the api sleeps 500 ms.
    SlowDatabase,
    /// The payment service exits with status 1.
    ServiceCrash,
    /// The api allocates 50 MB more memory per minute.
    MemoryLeak,
    /// Payment and inventory answer 400 ms later.
    NetworkLatency,
    /// Half of the api's requests fail with 500.
    ErrorBurst,
    /// Every payment request fails with 503.
    PaymentOutage,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::SlowDatabase,
        Scenario::ServiceCrash,
        Scenario::MemoryLeak,
        Scenario::NetworkLatency,
        Scenario::ErrorBurst,
        Scenario::PaymentOutage,
    ];

    /// The kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::SlowDatabase => "slow-database",
            Scenario::ServiceCrash => "service-crash",
            Scenario::MemoryLeak => "memory-leak",
            Scenario::NetworkLatency => "network-latency",
            Scenario::ErrorBurst => "error-burst",
            Scenario::PaymentOutage => "payment-outage",
        }
    }

    /// The services the scenario targets when no `--service` is given.
    pub fn default_services(self) -> &'static [&'static str] {
        match self {
            Scenario::SlowDatabase | Scenario::MemoryLeak | Scenario::ErrorBurst => &["api"],
            Scenario::ServiceCrash | Scenario::PaymentOutage => &["payment"],
            Scenario::NetworkLatency => &["payment", "inventory"],
        }
    }

    /// Whether the fault can revert by itself after `--for` (a crash cannot).
    pub fn supports_duration(self) -> bool {
        self != Scenario::ServiceCrash
    }

    /// The `/chaos/...` path and JSON body to POST; `for_` becomes `duration_s`.
    pub fn request(self, for_: Option<Duration>) -> (&'static str, Value) {
        let (path, mut body) = match self {
            Scenario::SlowDatabase => ("/chaos/db-slow", json!({"delay_ms": 500})),
            Scenario::ServiceCrash => ("/chaos/crash", json!({})),
            Scenario::MemoryLeak => ("/chaos/leak", json!({"mb_per_min": 50})),
            Scenario::NetworkLatency => ("/chaos/slow", json!({"delay_ms": 400, "probability": 1.0})),
            Scenario::ErrorBurst => ("/chaos/error", json!({"rate": 0.5, "status": 500})),
            Scenario::PaymentOutage => ("/chaos/error", json!({"rate": 1.0, "status": 503})),
        };
        if let (Some(d), true, Some(obj)) = (for_, self.supports_duration(), body.as_object_mut()) {
            obj.insert("duration_s".into(), json!(d.as_secs_f64()));
        }
        (path, body)
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn names_match_the_command_line() {
        for s in Scenario::ALL {
            let pv = s.to_possible_value().unwrap();
            assert_eq!(pv.get_name(), s.name());
            assert_eq!(Scenario::from_str(s.name(), false).unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
    }

    #[test]
    fn requests_follow_the_contract() {
        assert_eq!(
            Scenario::SlowDatabase.request(None),
            ("/chaos/db-slow", json!({"delay_ms": 500}))
        );
        assert_eq!(Scenario::ServiceCrash.request(None), ("/chaos/crash", json!({})));
        assert_eq!(
            Scenario::MemoryLeak.request(None),
            ("/chaos/leak", json!({"mb_per_min": 50}))
        );
        assert_eq!(
            Scenario::NetworkLatency.request(None),
            ("/chaos/slow", json!({"delay_ms": 400, "probability": 1.0}))
        );
        assert_eq!(
            Scenario::ErrorBurst.request(None),
            ("/chaos/error", json!({"rate": 0.5, "status": 500}))
        );
        assert_eq!(
            Scenario::PaymentOutage.request(None),
            ("/chaos/error", json!({"rate": 1.0, "status": 503}))
        );
        let (_, body) = Scenario::ErrorBurst.request(Some(Duration::from_secs(90)));
        assert_eq!(body["duration_s"], 90.0);
        let (_, body) = Scenario::ServiceCrash.request(Some(Duration::from_secs(90)));
        assert_eq!(body, json!({}));
    }

    #[test]
    fn default_services() {
        assert_eq!(
            Scenario::NetworkLatency.default_services(),
            ["payment", "inventory"]
        );
        assert_eq!(Scenario::SlowDatabase.default_services(), ["api"]);
        assert_eq!(Scenario::ServiceCrash.default_services(), ["payment"]);
    }
}
