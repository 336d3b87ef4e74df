//! `obslab status`: reads `<data>/run/status.json` of a running lab, probes every component's
//! health live and prints the table. Exits 1 when no lab is running or a component is unhealthy.

use crate::cli::Globals;
use crate::commands::table;
use crate::supervisor::health::{probe, probe_client};
use crate::supervisor::status::{Health, LabState, pid_alive, read_status, status_path};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The lab configuration, for its `data_dir` (the global `--data` flag wins).
    #[arg(long, env = "OBSLAB_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Print the status as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Globals, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let config = crate::config::LabConfig::load_or_default(args.config.as_deref())?;
    let data_dir = cli.data_dir(config.data_dir.as_deref());
    let path = status_path(&data_dir);
    if !path.exists() {
        eprintln!(
            "no lab has run with data directory {} (no {})",
            data_dir.display(),
            path.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let mut status = read_status(&path)?;
    let running = status.state != LabState::Stopped && pid_alive(status.pid);
    if running {
        let client = probe_client();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let probes = status.components.iter().map(|c| {
                let url = c.health_url.clone();
                let client = &client;
                async move {
                    match url {
                        Some(u) => Some(probe(client, &u).await),
                        None => None,
                    }
                }
            });
            let results = futures::future::join_all(probes).await;
            for (c, ok) in status.components.iter_mut().zip(results) {
                match ok {
                    Some(true) => c.health = Health::Healthy,
                    Some(false) if c.health == Health::Healthy => c.health = Health::Unhealthy,
                    _ => {}
                }
            }
        });
    } else {
        status.state = LabState::Stopped;
        for c in &mut status.components {
            c.pid = None;
            c.health = Health::Stopped;
        }
    }
    let all_healthy = status.components.iter().all(|c| c.health == Health::Healthy);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else if running {
        println!("obslab up (pid {}) since {}", status.pid, status.started_at);
        println!("{}", table::components(&status.components));
    } else {
        println!("the lab is not running (data directory {})", data_dir.display());
    }
    Ok(if running && all_healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
