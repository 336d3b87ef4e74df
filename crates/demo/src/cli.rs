//! `obslab demo run <service>`: the command line of one demo service process.

use crate::Service;

/// Arguments of `obslab demo run`. The supervisor of `obslab up` passes every setting of lab.yaml
/// that concerns a service as one of these flags.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Which service to run.
    #[arg(value_enum)]
    pub service: Service,
}

/// Runs one service until SIGINT/SIGTERM.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    anyhow::bail!("service {} is not built yet", args.service)
}
