//! `obslab`: the whole observability lab in one binary.

mod cli;
mod commands;
mod config;
mod metrics;
mod supervisor;

use clap::Parser;
use cli::{CheckCommand, Cli, Command, DemoCommand, TestCommand};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Cli { globals, command } = cli;
    match command {
        Command::Up(args) => commands::up::run(&globals, &args),
        Command::Status(args) => commands::status::run(&globals, &args),
        Command::Check {
            command: CheckCommand::Lab(args),
        } => commands::check::run_lab(&args),
        Command::Check {
            command: CheckCommand::Config(args),
        } => commands::check::run_config(&args),
        Command::Check {
            command: CheckCommand::Rules(args),
        } => commands::check::run_rules(&args),
        Command::Test {
            command: TestCommand::Promql(args),
        } => commands::test::run_promql(&args),
        Command::Chaos(args) => commands::chaos::run(&globals, args),
        Command::Demo {
            command: DemoCommand::Run(args),
        } => obslab_demo::cli::run(args).map(|()| ExitCode::SUCCESS),
        Command::Traffic(args) => tokio::runtime::Runtime::new()?
            .block_on(obslab_traffic::cli::run(args))
            .map(|()| ExitCode::SUCCESS),
    }
}
