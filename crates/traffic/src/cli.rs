//! `obslab traffic`: the command line of the traffic generator.

/// Arguments of `obslab traffic`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrafficArgs {
    /// Requests per second.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
}

/// Runs the generator and prints its summary.
pub async fn run(_args: TrafficArgs) -> anyhow::Result<()> {
    anyhow::bail!("the traffic generator is not built yet")
}
