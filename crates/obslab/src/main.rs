//! `obslab`: the whole observability lab in one binary.

mod cli;
mod commands;
mod config;
mod supervisor;

use clap::Parser;
use cli::{CheckCommand, Cli, Command, DemoCommand};
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
    match cli.command {
        Command::Up(ref args) => commands::up::run(&cli, args),
        Command::Status(ref args) => commands::status::run(&cli, args),
        Command::Check {
            command: CheckCommand::Lab(ref args),
        } => commands::check::run_lab(args),
        Command::Demo {
            command: DemoCommand::Run(args),
        } => obslab_demo::cli::run(args).map(|()| ExitCode::SUCCESS),
        Command::Traffic(args) => tokio::runtime::Runtime::new()?
            .block_on(obslab_traffic::cli::run(args))
            .map(|()| ExitCode::SUCCESS),
    }
}
