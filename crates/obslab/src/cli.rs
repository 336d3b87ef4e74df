//! The command line of `obslab`: one binary, one subcommand per part of the lab.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

/// Where the lab keeps its data when neither `--data` nor lab.yaml's `data_dir` says.
pub const DEFAULT_DATA_DIR: &str = "./obslab-data";

#[derive(Debug, Parser)]
#[command(name = "obslab", version, about = "The whole observability lab in one binary")]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Clone, clap::Args)]
pub struct Globals {
    /// Directory that holds all of the lab's data [default: lab.yaml's data_dir, else ./obslab-data].
    #[arg(long, global = true, env = "OBSLAB_DATA")]
    pub data: Option<PathBuf>,
}

impl Globals {
    /// The data directory: `--data`, else lab.yaml's `data_dir`, else ./obslab-data.
    pub fn data_dir(&self, from_config: Option<&Path>) -> PathBuf {
        self.data
            .clone()
            .or_else(|| from_config.map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Starts the lab: demo services, traffic, and every backend component, supervised.
    Up(crate::commands::up::UpArgs),
    /// Shows the components of a running lab and probes their health.
    Status(crate::commands::status::StatusArgs),
    /// Validates configuration files.
    Check {
        #[command(subcommand)]
        command: CheckCommand,
    },
    /// Injects a fault scenario into the demo services, or shows / resets their faults.
    Chaos(crate::commands::chaos::ChaosCommandArgs),
    /// Runs unit tests: PromQL scripts in Prometheus's promqltest format.
    Test {
        #[command(subcommand)]
        command: TestCommand,
    },
    /// Demo shop services.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Sends a mix of shop traffic to the demo gateway.
    Traffic(obslab_traffic::cli::TrafficArgs),
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Validates a lab.yaml and prints every problem with its key path.
    Lab(crate::commands::check::CheckLabArgs),
    /// Validates prometheus.yml files (the same checks as `promtool check config`).
    Config(crate::commands::check::CheckConfigArgs),
    /// Validates Prometheus rule files (the same checks and output as `promtool check rules`).
    Rules(crate::commands::check::CheckRulesArgs),
}

#[derive(Debug, Subcommand)]
pub enum TestCommand {
    /// Runs PromQL test scripts (`load`, `eval`, `expect`), printing `N passed, N failed`.
    Promql(crate::commands::test::TestPromqlArgs),
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Runs one demo service in the foreground (the supervisor of `obslab up` starts these).
    Run(obslab_demo::cli::RunArgs),
}
