//! `obslab traffic`: the command line of the traffic generator.

use crate::config::{DEFAULT_TARGET, TrafficConfig};
use crate::duration::parse_duration;
use crate::mix::{Endpoint, default_shop_mix, load_mix_file, parse_endpoint_spec};
use crate::runner;
use crate::shape::Shape;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

/// How the summary is printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Tables for people.
    #[default]
    Table,
    /// One JSON object on one line, for scripts.
    Json,
}

/// Arguments of `obslab traffic`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrafficArgs {
    /// Base URL to send to. Only loopback addresses are accepted unless --allow-non-loopback is given.
    #[arg(long, default_value = DEFAULT_TARGET)]
    pub target: Url,
    /// Permits a --target that resolves to an address outside this machine.
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// Base request rate, requests per second.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// How long to run (30s, 5m, 1h30m); until Ctrl-C when absent.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Most requests in flight; requests due while all are busy are counted as dropped.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// How the rate changes over time.
    #[arg(long, value_enum, default_value_t = Shape::Steady)]
    pub shape: Shape,
    /// Ramp length, spike period or wave period (defaults: the duration for ramp and spike, 60s).
    #[arg(long, value_parser = parse_duration)]
    pub period: Option<Duration>,
    /// YAML or JSON list of {method, path, weight, body} to send instead of the shop mix.
    #[arg(long, value_name = "FILE")]
    pub mix: Option<PathBuf>,
    /// An endpoint of the mix, 'METHOD PATH[=WEIGHT] [JSON-BODY]', e.g. 'GET /api/products=50'
    /// (repeatable; added to --mix). Paths and bodies may use {rand:1..20} and {pick:a|b}.
    #[arg(long = "endpoint", value_name = "SPEC")]
    pub endpoints: Vec<String>,
    /// Per-request timeout.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub timeout: Duration,
    /// Hides the progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

impl TrafficArgs {
    /// The run's configuration from the flags.
    pub fn to_config(&self) -> anyhow::Result<TrafficConfig> {
        let mut mix: Vec<Endpoint> = match &self.mix {
            Some(path) => load_mix_file(path)?,
            None => Vec::new(),
        };
        for spec in &self.endpoints {
            mix.push(parse_endpoint_spec(spec)?);
        }
        if mix.is_empty() {
            mix = default_shop_mix();
        }
        let cfg = TrafficConfig {
            target: self.target.clone(),
            rate: self.rate,
            duration: self.duration,
            concurrency: self.concurrency,
            shape: self.shape,
            period: self.period,
            mix,
            timeout: self.timeout,
            allow_non_loopback: self.allow_non_loopback,
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

/// Runs the generator and prints its summary on stdout; Ctrl-C (or SIGTERM) ends it early.
pub async fn run(args: TrafficArgs) -> anyhow::Result<()> {
    let cfg = args.to_config()?;
    let stop = CancellationToken::new();
    tokio::spawn(cancel_on_signal(stop.clone()));
    let progress = (!args.no_progress && std::io::stderr().is_terminal()).then(|| progress_bar(cfg.duration));
    let summary = runner::run(cfg, stop, progress).await?;
    match args.output {
        Output::Table => println!("{}", summary.render_table()),
        Output::Json => println!("{}", serde_json::to_string(&summary)?),
    }
    Ok(())
}

async fn cancel_on_signal(stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            stop.cancel();
            return;
        }
    }
    if tokio::signal::ctrl_c().await.is_ok() {
        stop.cancel();
    }
}

fn progress_bar(duration: Option<Duration>) -> ProgressBar {
    match duration {
        Some(d) => {
            let pb = ProgressBar::new(d.as_secs().max(1));
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len}s {msg}") {
                pb.set_style(style);
            }
            pb
        }
        None => {
            let pb = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {pos}s {msg} (Ctrl-C to stop)") {
                pb.set_style(style);
            }
            pb.enable_steady_tick(Duration::from_millis(200));
            pb
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TrafficArgs,
    }

    fn parse(args: &[&str]) -> Result<TrafficArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("traffic").chain(args.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn defaults_give_the_shop_mix_on_the_gateway() {
        let cfg = parse(&[]).unwrap().to_config().unwrap();
        assert_eq!(cfg, TrafficConfig::default());
    }

    #[test]
    fn flags_reach_the_config() {
        let a = parse(&[
            "--target",
            "http://127.0.0.1:9999",
            "--rate",
            "50",
            "--duration",
            "4s",
            "--concurrency",
            "8",
            "--shape",
            "wave",
            "--period",
            "1m",
            "--endpoint",
            "GET /a=3",
            "--endpoint",
            "POST /b {\"x\":1}",
            "--timeout",
            "500ms",
            "--output",
            "json",
            "--no-progress",
        ])
        .unwrap();
        assert_eq!(a.output, Output::Json);
        let cfg = a.to_config().unwrap();
        assert_eq!(cfg.target.port(), Some(9999));
        assert_eq!((cfg.rate, cfg.concurrency, cfg.shape), (50.0, 8, Shape::Wave));
        assert_eq!(cfg.duration, Some(Duration::from_secs(4)));
        assert_eq!(cfg.period, Some(Duration::from_secs(60)));
        assert_eq!(cfg.timeout, Duration::from_millis(500));
        assert_eq!(cfg.mix.len(), 2);
        assert_eq!(cfg.mix[0].weight, 3.0);
    }

    #[test]
    fn bad_flags_are_clear_errors() {
        assert!(parse(&["--duration", "forever"]).is_err());
        assert!(parse(&["--shape", "square"]).is_err());
        let err = parse(&["--rate", "0"])
            .unwrap()
            .to_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("rate"), "{err}");
        let err = parse(&["--endpoint", "GET nope"])
            .unwrap()
            .to_config()
            .unwrap_err()
            .to_string();
        assert!(err.contains("must start with /"), "{err}");
    }
}
