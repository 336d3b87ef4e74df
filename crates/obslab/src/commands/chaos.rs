//! `obslab chaos <scenario> [--service S] [--for D]`, `obslab chaos status`, `obslab chaos reset`:
//! switches the demo services' faults over their `/chaos` endpoints.
//!
//! The services' URLs come from lab.yaml when `--config` is given; otherwise from the status file
//! of a lab running on the data directory (so that `obslab up --config x` followed by a plain
//! `obslab chaos ...` reaches the right ports); otherwise from the default ports.

use crate::cli::Globals;
use crate::config::LabConfig;
use crate::supervisor::status::{ComponentKind, LabState, pid_alive, read_status, status_path};
use anyhow::Context;
use obslab_demo::Service;
use obslab_traffic::chaos::{ChaosArgs, ServiceUrls};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use url::Url;

#[derive(Debug, clap::Args)]
pub struct ChaosCommandArgs {
    /// The lab configuration that sets the services' ports.
    #[arg(long, env = "OBSLAB_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub chaos: ChaosArgs,
}

pub fn run(cli: &Globals, args: ChaosCommandArgs) -> anyhow::Result<ExitCode> {
    let urls = resolve_urls(cli, args.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(obslab_traffic::chaos::run_cli(args.chaos, &urls))?;
    Ok(ExitCode::SUCCESS)
}

fn resolve_urls(cli: &Globals, config_path: Option<&Path>) -> anyhow::Result<ServiceUrls> {
    if config_path.is_none()
        && let Some(urls) = running_lab_urls(&cli.data_dir(None))
    {
        return Ok(urls);
    }
    let config = LabConfig::load_or_default(config_path)?;
    from_config(&config)
}

/// The enabled services of a lab.yaml, reached over loopback when bound to a wildcard address.
pub fn from_config(config: &LabConfig) -> anyhow::Result<ServiceUrls> {
    let bind = config.bind_addr(None);
    let mut urls = BTreeMap::new();
    for service in Service::ALL
        .into_iter()
        .filter(|s| config.services.get(*s).enabled)
    {
        let url = config.service_url(service, bind);
        let parsed = Url::parse(&url).with_context(|| format!("bad URL {url} for {service}"))?;
        urls.insert(service.name().to_string(), parsed);
    }
    Ok(ServiceUrls(urls))
}

/// The services of the lab running on this data directory, if one is.
fn running_lab_urls(data_dir: &Path) -> Option<ServiceUrls> {
    let status = read_status(&status_path(data_dir)).ok()?;
    if status.state == LabState::Stopped || !pid_alive(status.pid) {
        return None;
    }
    let urls: BTreeMap<String, Url> = status
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::Process && c.name.parse::<Service>().is_ok())
        .filter_map(|c| Some((c.name.clone(), Url::parse(c.url.as_deref()?).ok()?)))
        .collect();
    (!urls.is_empty()).then_some(ServiceUrls(urls))
}
