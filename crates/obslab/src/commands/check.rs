//! `obslab check lab FILE`: validates a lab.yaml without starting anything.

use crate::config::{ConfigError, LabConfig};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct CheckLabArgs {
    /// The lab.yaml to check.
    pub file: PathBuf,
}

/// Prints `FILE: ok`, or every problem with its key path and exits 1.
pub fn run_lab(args: &CheckLabArgs) -> anyhow::Result<ExitCode> {
    match LabConfig::load(&args.file) {
        Ok(_) => {
            println!("{}: ok", args.file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ ConfigError::Read { .. }) => Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
