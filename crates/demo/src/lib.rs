//! The obslab demo shop: gateway, api, payment, inventory and worker services, instrumented with
//! public crates only (axum, rusqlite, prometheus-client, the OpenTelemetry SDK), exactly as a
//! user's own service would be.

pub mod chaos;
pub mod cli;
pub mod db;
pub mod http_util;
pub mod server;
pub mod services;
pub mod telemetry;

use std::fmt;
use std::str::FromStr;

/// The services of the demo shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Gateway,
    Api,
    Payment,
    Inventory,
    Worker,
}

impl Service {
    pub const ALL: [Service; 5] = [
        Service::Gateway,
        Service::Api,
        Service::Payment,
        Service::Inventory,
        Service::Worker,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Gateway => "gateway",
            Service::Api => "api",
            Service::Payment => "payment",
            Service::Inventory => "inventory",
            Service::Worker => "worker",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Service::Gateway => 8080,
            Service::Api => 8081,
            Service::Payment => 8082,
            Service::Inventory => 8083,
            Service::Worker => 8084,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Service {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Service::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| {
            format!("unknown service {s:?} (expected one of gateway, api, payment, inventory, worker)")
        })
    }
}
