//! `obslab test promql FILE...`: runs PromQL unit-test scripts in Prometheus's promqltest format,
//! so users can test their own queries the way Prometheus tests its engine.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct TestPromqlArgs {
    /// Script files (`load`, `clear`, `eval instant|range`, `expect ...`).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print every failing statement with its expected and actual result.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Prints a per-file table and `N passed, N failed`; exits 1 when any statement fails or a file
/// cannot be read or parsed.
pub fn run_promql(args: &TestPromqlArgs) -> anyhow::Result<ExitCode> {
    let reports: Vec<_> = args
        .files
        .iter()
        .map(|f| obslab_promql::promqltest::run_file(f, args.verbose))
        .collect();
    print!(
        "{}",
        obslab_promql::promqltest::format_reports(&reports, args.verbose)
    );
    let bad = reports.iter().any(|r| r.failed() > 0 || !r.errors.is_empty());
    Ok(if bad { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
