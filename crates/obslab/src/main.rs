//! `obslab`: the whole observability lab in one binary.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "obslab", version, about = "The whole observability lab in one binary")]
struct Cli {
    /// Directory that holds all of the lab's data.
    #[arg(long, global = true, default_value = "./obslab-data", env = "OBSLAB_DATA")]
    data: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Demo shop services.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Sends a mix of shop traffic to the demo gateway.
    Traffic(obslab_traffic::cli::TrafficArgs),
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Runs one demo service in the foreground (the supervisor of `obslab up` starts these).
    Run(obslab_demo::cli::RunArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo {
            command: DemoCommand::Run(args),
        } => obslab_demo::cli::run(args),
        Command::Traffic(args) => tokio::runtime::Runtime::new()?.block_on(obslab_traffic::cli::run(args)),
    }
}
