//! `obslab up`: starts the whole lab in the foreground and keeps it running until Ctrl-C or
//! SIGTERM.
//!
//! Every demo service runs as its own child process (`obslab demo run <service>` of this same
//! binary), supervised and restarted on exit; the metrics backend (`prometheus`), the host
//! collector (`node`) and the traffic generator run inside this process. Once
//! every component answers its health check, `obslab up` prints the component table, `ready in
//! ...`, the line `obslab ready`, and writes the `--ready-file` if one was asked for.

use crate::cli::Globals;
use crate::config::{LabConfig, url_for};
use crate::supervisor::health::{probe, probe_client};
use crate::supervisor::status::{LabState, pid_alive, read_status, status_path};
use crate::supervisor::{HealthCheck, InProcessSpec, ProcessSpec, RunFn, Running, Supervisor, Timing};
use anyhow::Context;
use obslab_demo::Service;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The lab configuration (every port, rate, fault and path); built-in defaults when absent.
    #[arg(long, env = "OBSLAB_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address every component listens on [default: lab.yaml's bind, else 127.0.0.1].
    #[arg(long)]
    pub bind: Option<IpAddr>,
    /// Do not start the demo services.
    #[arg(long)]
    pub no_demo: bool,
    /// Do not run the traffic generator.
    #[arg(long)]
    pub no_traffic: bool,
    /// Write this file (containing the status file's path) once every component is healthy.
    #[arg(long)]
    pub ready_file: Option<PathBuf>,
}

/// Everything `up` resolved from flags and lab.yaml.
struct Plan {
    config: LabConfig,
    data_dir: PathBuf,
    bind: IpAddr,
}

pub fn run(cli: &Globals, args: &UpArgs) -> anyhow::Result<ExitCode> {
    let config = LabConfig::load_or_default(args.config.as_deref())?;
    let data_dir = cli.data_dir(config.data_dir.as_deref());
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let data_dir = std::path::absolute(&data_dir)
        .with_context(|| format!("cannot resolve data directory {}", data_dir.display()))?;
    refuse_second_lab(&data_dir)?;
    let plan = Plan {
        bind: config.bind_addr(args.bind),
        config,
        data_dir,
    };
    let mut sup = Supervisor::new(&plan.data_dir, Timing::from(&plan.config.supervisor));
    if !args.no_demo {
        add_demo_services(&mut sup, &plan)?;
    }
    let reload = crate::metrics::add(&mut sup, &plan.config, &plan.data_dir, plan.bind, !args.no_demo)?;
    if !args.no_traffic && plan.config.traffic.enabled() {
        add_traffic(&mut sup, &plan)?;
    }
    sup.check_ports()?;
    if let Some(f) = &args.ready_file {
        let _ = std::fs::remove_file(f);
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run_lab(sup, &plan, args, reload))?;
    // Tasks still blocked (e.g. a probe in flight) must not hold up the exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    Ok(ExitCode::SUCCESS)
}

/// Two labs on one data directory would fight over its files and ports.
fn refuse_second_lab(data_dir: &Path) -> anyhow::Result<()> {
    if let Ok(status) = read_status(&status_path(data_dir))
        && status.state != LabState::Stopped
        && status.pid != std::process::id()
        && pid_alive(status.pid)
    {
        anyhow::bail!(
            "another obslab up (pid {}) is running with data directory {}",
            status.pid,
            data_dir.display()
        );
    }
    Ok(())
}

fn add_demo_services(sup: &mut Supervisor, plan: &Plan) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find the obslab executable")?;
    let cfg = &plan.config;
    let db = cfg
        .demo_db
        .clone()
        .unwrap_or_else(|| plan.data_dir.join("demo").join("shop.db"));
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let otlp = cfg
        .otlp_endpoint
        .clone()
        .unwrap_or_else(|| crate::config::DEFAULT_OTLP_ENDPOINT.to_string());
    let url = |s: Service| cfg.service_url(s, plan.bind);
    for service in Service::ALL {
        let svc = cfg.services.get(service);
        if !svc.enabled {
            continue;
        }
        let port = cfg.services.port(service);
        let mut args: Vec<String> = vec!["demo".into(), "run".into(), service.name().into()];
        let mut flag = |k: &str, v: String| {
            args.push(format!("--{k}"));
            args.push(v);
        };
        flag("bind", plan.bind.to_string());
        flag("port", port.to_string());
        flag("otlp-endpoint", otlp.clone());
        flag("db", db.display().to_string());
        match service {
            Service::Gateway => flag("api-url", url(Service::Api)),
            Service::Api => {
                flag("payment-url", url(Service::Payment));
                flag("inventory-url", url(Service::Inventory));
            }
            Service::Payment | Service::Inventory | Service::Worker => {}
        }
        if let Some(instance) = &svc.instance {
            flag("instance", instance.clone());
        }
        if let Some(chaos) = svc.chaos.to_arg() {
            flag("chaos", chaos);
        }
        let base = url_for(plan.bind, port);
        sup.add_process(ProcessSpec {
            name: service.name().to_string(),
            program: exe.clone(),
            args,
            health: HealthCheck::Http(format!("{base}/health")),
            url: Some(base),
            listen: Some(SocketAddr::new(plan.bind, port)),
        });
    }
    Ok(())
}

/// The traffic generator, in process. It waits for the gateway to answer before sending, so the
/// first seconds of a lab do not show as a burst of connection errors.
fn add_traffic(sup: &mut Supervisor, plan: &Plan) -> anyhow::Result<()> {
    let gateway = url_for(
        IpAddr::from([127, 0, 0, 1]),
        plan.config.services.port(Service::Gateway),
    );
    let config = plan
        .config
        .traffic
        .resolve(&gateway)
        .map_err(|issue| anyhow::anyhow!("lab.yaml: {issue}"))?;
    let health = format!("{}/health", config.target.as_str().trim_end_matches('/'));
    let run: RunFn = Box::new(move |stop: CancellationToken| {
        Box::pin(async move {
            let client = probe_client();
            while !probe(&client, &health).await {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    _ = stop.cancelled() => return Ok(()),
                }
            }
            let summary = obslab_traffic::run(config, stop, None).await?;
            say(&format!("traffic summary:\n{}", summary.render_table()));
            Ok(())
        })
    });
    sup.add_in_process(InProcessSpec {
        name: "traffic".to_string(),
        url: None,
        health: HealthCheck::Running,
        listen: None,
        run,
    });
    Ok(())
}

async fn run_lab(
    sup: Supervisor,
    plan: &Plan,
    args: &UpArgs,
    reload: Option<obslab_api::ReloadHook>,
) -> anyhow::Result<()> {
    let mut sigterm = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    let mut sigint = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
    let mut sighup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let empty = sup.is_empty();
    let lab = sup.start()?;
    say(&format!(
        "obslab: starting {} component(s); data in {}",
        lab.status().components.len(),
        plan.data_dir.display()
    ));
    if empty {
        say("obslab: nothing to run (every component is disabled)");
    }
    // SIGHUP reloads the scrape configuration, as it does for Prometheus; without a `prometheus`
    // component there is nothing to reload and the lab stops, as a terminal hang-up asks.
    let stop = async {
        loop {
            tokio::select! {
                _ = sigterm.recv() => return "SIGTERM",
                _ = sigint.recv() => return "SIGINT",
                _ = sighup.recv() => match &reload {
                    Some(hook) => reload_on_sighup(hook.clone()).await,
                    None => return "SIGHUP",
                },
            }
        }
    };
    tokio::pin!(stop);
    let timeout = plan.config.supervisor.ready_timeout.get();
    let signal_name = tokio::select! {
        name = &mut stop => Some(name),
        () = announce_ready(&lab, timeout, args.ready_file.as_deref()) => None,
    };
    let signal_name = match signal_name {
        Some(name) => name,
        None => stop.await,
    };
    say(&format!("obslab: {signal_name} received, stopping"));
    if let Some(f) = &args.ready_file {
        let _ = std::fs::remove_file(f);
    }
    lab.shutdown().await;
    say("obslab: stopped");
    Ok(())
}

/// Runs the reload hook on a runtime worker (it may block one while the scrape loops change).
async fn reload_on_sighup(hook: obslab_api::ReloadHook) {
    match tokio::spawn(async move { hook() }).await {
        Ok(Ok(())) => say("obslab: SIGHUP: prometheus configuration reloaded"),
        Ok(Err(e)) => eprintln!("obslab: SIGHUP: reload failed, the running configuration stays: {e}"),
        Err(e) => eprintln!("obslab: SIGHUP: reload failed: {e}"),
    }
}

/// Waits until every component is healthy (warning once if that takes longer than `timeout`),
/// then prints the table and the ready lines.
async fn announce_ready(lab: &Running, timeout: Duration, ready_file: Option<&Path>) {
    let took = match tokio::time::timeout(timeout, lab.wait_ready()).await {
        Ok(took) => took,
        Err(_) => {
            let waiting: Vec<String> = lab
                .status()
                .components
                .iter()
                .filter(|c| c.health != crate::supervisor::status::Health::Healthy)
                .map(|c| format!("{} ({})", c.name, c.health.name()))
                .collect();
            eprintln!(
                "obslab: not ready after {}; still waiting for {}; see the logs in the data directory",
                obslab_model::format_duration(timeout),
                waiting.join(", ")
            );
            say(&crate::commands::table::components(&lab.status().components).to_string());
            lab.wait_ready().await
        }
    };
    say(&crate::commands::table::components(&lab.status().components).to_string());
    say(&format!("ready in {:.2}s", took.as_secs_f64()));
    if let Some(path) = ready_file {
        let body = format!("{}\n", status_path(&lab.status().data_dir).display());
        if let Err(e) = std::fs::write(path, body) {
            eprintln!("obslab: cannot write ready file {}: {e}", path.display());
        }
    }
    say("obslab ready");
    std::future::pending::<()>().await;
}

/// Prints a line on stdout; a closed stdout must not bring the lab down.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
