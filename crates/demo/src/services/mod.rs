//! The five services of the shop. Each builds its application router (and background tasks) on
//! top of the shared [`Shell`].

pub mod api;
pub mod gateway;
pub mod inventory;
pub mod payment;
pub mod worker;

use crate::Service;
use crate::cli::RunArgs;
use crate::server::Shell;
use std::time::Duration;

/// Runs the service named in `args` until its shell is cancelled.
pub async fn run(args: &RunArgs, mut shell: Shell) -> anyhow::Result<()> {
    let app = match args.service {
        Service::Gateway => gateway::app(args, &mut shell)?,
        Service::Api => api::app(args, &mut shell)?,
        Service::Payment => payment::app(&mut shell),
        Service::Inventory => inventory::app(args, &mut shell)?,
        Service::Worker => worker::app(args, &mut shell)?,
    };
    shell.serve(&args.bind, args.port(), app).await
}

/// The HTTP client for calls between services.
pub fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(2))
        .pool_idle_timeout(Duration::from_secs(30))
        .build()?)
}

/// A random duration in `[min_ms, max_ms]`.
pub fn random_ms(min_ms: u64, max_ms: u64) -> Duration {
    Duration::from_millis(rand::random_range(min_ms..=max_ms))
}

/// The current time as RFC 3339 (seconds, UTC), the format of every timestamp in the database.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
