//! The command line of `obslab chaos <scenario>|status|reset`.

use super::{Scenario, ServiceUrls, apply, describe_faults, render_status_table, reset, status};
use crate::duration::parse_duration;
use clap::ValueEnum;
use clap::builder::PossibleValue;
use std::time::Duration;

/// What `obslab chaos` does: inject a scenario, show the faults, or turn them all off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChaosAction {
    Apply(Scenario),
    Status,
    Reset,
}

const ACTIONS: [ChaosAction; 8] = [
    ChaosAction::Apply(Scenario::SlowDatabase),
    ChaosAction::Apply(Scenario::ServiceCrash),
    ChaosAction::Apply(Scenario::MemoryLeak),
    ChaosAction::Apply(Scenario::NetworkLatency),
    ChaosAction::Apply(Scenario::ErrorBurst),
    ChaosAction::Apply(Scenario::PaymentOutage),
    ChaosAction::Status,
    ChaosAction::Reset,
];

impl ValueEnum for ChaosAction {
    fn value_variants<'a>() -> &'a [Self] {
        &ACTIONS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ChaosAction::Apply(s) => s.to_possible_value()?,
            ChaosAction::Status => PossibleValue::new("status").help("Shows every service's faults"),
            ChaosAction::Reset => PossibleValue::new("reset").help("Turns every fault off on every service"),
        })
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
}

/// Arguments of `obslab chaos`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChaosArgs {
    /// A scenario to inject, or `status` / `reset`.
    #[arg(value_enum, value_name = "SCENARIO")]
    pub action: ChaosAction,
    /// Target service instead of the scenario's default (repeatable); for status/reset, only these.
    #[arg(long = "service", value_name = "SERVICE")]
    pub services: Vec<String>,
    /// The fault reverts by itself after this long (e.g. 30s, 5m).
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub for_: Option<Duration>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// Runs `obslab chaos` against the services in `urls` and prints the result on stdout.
pub async fn run_cli(args: ChaosArgs, urls: &ServiceUrls) -> anyhow::Result<()> {
    match args.action {
        ChaosAction::Apply(scenario) => {
            let outcomes = apply(scenario, urls, &args.services, args.for_).await?;
            match args.output {
                Output::Json => println!("{}", serde_json::to_string(&outcomes)?),
                Output::Table => {
                    for o in &outcomes {
                        let faults = describe_faults(&o.response);
                        let what = if faults.is_empty() {
                            o.response.to_string()
                        } else {
                            faults.join(", ")
                        };
                        println!("{scenario}: {} ({}) → {what}", o.service, o.url);
                    }
                }
            }
        }
        ChaosAction::Status | ChaosAction::Reset => {
            if args.for_.is_some() {
                anyhow::bail!("--for applies only to scenarios, not to status or reset");
            }
            let picked = urls.only(&args.services)?;
            let rows = if args.action == ChaosAction::Status {
                status(&picked).await
            } else {
                reset(&picked).await
            };
            match args.output {
                Output::Json => println!("{}", serde_json::to_string(&rows)?),
                Output::Table => println!("{}", render_status_table(&rows)),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ChaosArgs,
    }

    fn parse(args: &[&str]) -> Result<ChaosArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("chaos").chain(args.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn parses_scenarios_status_and_reset() {
        let a = parse(&[
            "network-latency",
            "--service",
            "api",
            "--service",
            "worker",
            "--for",
            "2m",
        ])
        .unwrap();
        assert_eq!(a.action, ChaosAction::Apply(Scenario::NetworkLatency));
        assert_eq!(a.services, ["api", "worker"]);
        assert_eq!(a.for_, Some(Duration::from_secs(120)));
        assert_eq!(parse(&["status"]).unwrap().action, ChaosAction::Status);
        assert_eq!(
            parse(&["reset", "--output", "json"]).unwrap().output,
            Output::Json
        );
        for s in Scenario::ALL {
            assert_eq!(parse(&[s.name()]).unwrap().action, ChaosAction::Apply(s));
        }
    }

    #[test]
    fn rejects_unknown_scenarios_and_bad_durations() {
        let err = parse(&["meteor-strike"]).err().unwrap().to_string();
        assert!(err.contains("slow-database") && err.contains("reset"), "{err}");
        assert!(parse(&["error-burst", "--for", "a while"]).is_err());
        assert!(parse(&[]).is_err());
    }
}
