//! `obslab check lab FILE`: validates a lab.yaml without starting anything.

use crate::config::{ConfigError, LabConfig};
use std::path::PathBuf;

/// Arguments of `obslab check rules`.
#[derive(Debug, clap::Args)]
pub struct CheckRulesArgs {
    /// Prometheus rule files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Lint for duplicate rules (`duplicate-rules`, the default) or not at all (`none`).
    #[arg(long, default_value = "duplicate-rules", value_parser = ["duplicate-rules", "none"])]
    pub lint: String,
    /// Exit with status 3 when linting finds something.
    #[arg(long)]
    pub lint_fatal: bool,
}

/// Checks rule files as `promtool check rules` does, with its output and exit codes.
pub fn run_rules(args: &CheckRulesArgs) -> anyhow::Result<ExitCode> {
    let lint = match args.lint.as_str() {
        "none" => obslab_rules::LintMode::None,
        _ => obslab_rules::LintMode::Duplicates,
    };
    let report = obslab_rules::check_rules_files(&args.files, lint, args.lint_fatal);
    print!("{}", report.stdout);
    eprint!("{}", report.stderr);
    Ok(ExitCode::from(u8::try_from(report.exit_code).unwrap_or(1)))
}

/// Arguments of `obslab check config`.
#[derive(Debug, clap::Args)]
pub struct CheckConfigArgs {
    /// prometheus.yml files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Checks prometheus.yml files as `promtool check config` does and answers in its words.
pub fn run_config(args: &CheckConfigArgs) -> anyhow::Result<ExitCode> {
    let mut ok = true;
    for f in &args.files {
        println!("Checking {}", f.display());
        match obslab_scrape::config::check_config_report(f) {
            Ok((_, report)) => {
                for w in &report.warnings {
                    println!("  WARNING: {w}");
                }
                println!(" SUCCESS: {} is valid prometheus config file syntax", f.display());
                for r in &report.rule_files {
                    println!("  rule file: {}", r.display());
                }
            }
            Err(e) => {
                ok = false;
                println!("  FAILED: {e}");
            }
        }
        println!();
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
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
