//! `obslab demo run <service>`: the command line of one demo service process.

use crate::Service;
use crate::chaos::InitialFaults;
use crate::server::{Shell, cancel_on_signal};
use crate::telemetry::{self, Identity};
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The longest the final flush of traces and logs may take.
const FLUSH_TIMEOUT: Duration = Duration::from_millis(600);

/// Arguments of `obslab demo run`. The supervisor of `obslab up` passes every setting of lab.yaml
/// that concerns a service as one of these flags.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Which service to run.
    #[arg(value_enum)]
    pub service: Service,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to listen on (default: the service's own port, 8080-8084).
    #[arg(long)]
    pub port: Option<u16>,
    /// OTLP gRPC endpoint for traces and logs; `none` disables export.
    #[arg(long, default_value = "http://127.0.0.1:4317")]
    pub otlp_endpoint: String,
    /// SQLite file shared by api, inventory and worker.
    #[arg(long, default_value = "./obslab-data/demo/shop.db")]
    pub db: PathBuf,
    /// Where the gateway finds the api.
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    pub api_url: String,
    /// Where the api finds payment.
    #[arg(long, default_value = "http://127.0.0.1:8082")]
    pub payment_url: String,
    /// Where the api finds inventory.
    #[arg(long, default_value = "http://127.0.0.1:8083")]
    pub inventory_url: String,
    /// Initial faults as JSON, in the shapes of the POST /chaos/* bodies.
    #[arg(long)]
    pub chaos: Option<String>,
    /// service.instance.id for telemetry (default: <service>-<port>).
    #[arg(long)]
    pub instance: Option<String>,
}

impl RunArgs {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.service.default_port())
    }

    /// The OTLP endpoint, or None when export is off.
    pub fn otlp(&self) -> Option<&str> {
        let e = self.otlp_endpoint.trim();
        (!e.is_empty() && !e.eq_ignore_ascii_case("none")).then_some(e)
    }

    fn identity(&self) -> Identity {
        Identity {
            service: self.service.name(),
            instance: self
                .instance
                .clone()
                .unwrap_or_else(|| format!("{}-{}", self.service, self.port())),
        }
    }
}

/// Runs one service until SIGINT/SIGTERM.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let initial = match &args.chaos {
        Some(json) => InitialFaults::parse(json).map_err(anyhow::Error::msg)?,
        None => InitialFaults::default(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(format!("{}-rt", args.service))
        .enable_all()
        .build()?;
    let telemetry = {
        let _entered = rt.enter();
        telemetry::init(&args.identity(), args.otlp())?
    };
    let result = rt.block_on(async {
        let cancel = CancellationToken::new();
        tokio::spawn(cancel_on_signal(cancel.clone()));
        let shell = Shell::new(args.service, initial, cancel.clone());
        let result = crate::services::run(&args, shell).await;
        cancel.cancel();
        result
    });
    if let Err(e) = &result {
        tracing::error!(error = %format!("{e:#}"), "service failed");
    }
    telemetry.shutdown(FLUSH_TIMEOUT);
    rt.shutdown_timeout(Duration::from_millis(200));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    #[test]
    fn defaults_follow_the_contract() {
        let a = Cli::parse_from(["x", "api"]).run;
        assert_eq!(a.port(), 8081);
        assert_eq!(a.bind, "127.0.0.1");
        assert_eq!(a.otlp(), Some("http://127.0.0.1:4317"));
        assert_eq!(a.db, PathBuf::from("./obslab-data/demo/shop.db"));
        assert_eq!(a.identity().instance, "api-8081");
        let a = Cli::parse_from([
            "x",
            "gateway",
            "--port",
            "1",
            "--otlp-endpoint",
            "none",
            "--instance",
            "g1",
        ])
        .run;
        assert_eq!(a.port(), 1);
        assert_eq!(a.otlp(), None);
        assert_eq!(a.identity().instance, "g1");
    }
}
