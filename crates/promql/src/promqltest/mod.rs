//! A runner for Prometheus's `promqltest` scripts (the format of the upstream PromQL test
//! corpus), used by `obslab test promql` and by this crate's conformance test.

mod compare;
mod nhcb;
pub mod parser;
mod runner;

pub use runner::{FileReport, StatementResult, run_file, run_script, test_engine};

/// Renders reports as a per-file table, failures (with `verbose`) and the final
/// `N passed, N failed` line.
pub fn format_reports(reports: &[FileReport], verbose: bool) -> String {
    let mut out = String::new();
    let width = reports.iter().map(|r| r.file.len()).max().unwrap_or(4).max(4);
    out.push_str(&format!(
        "{:<width$}  {:>6}  {:>6}  {:>6}\n",
        "file", "passed", "failed", "score"
    ));
    let (mut p, mut f) = (0, 0);
    for r in reports {
        let total = r.statements.len().max(1);
        out.push_str(&format!(
            "{:<width$}  {:>6}  {:>6}  {:>5.1}%\n",
            r.file,
            r.passed(),
            r.failed(),
            100.0 * r.passed() as f64 / total as f64
        ));
        p += r.passed();
        f += r.failed();
    }
    if verbose {
        for r in reports {
            for e in &r.errors {
                out.push_str(&format!("ERROR {}: {e}\n", r.file));
            }
            for s in &r.statements {
                if let Some(why) = &s.failure {
                    out.push_str(&format!("FAIL {}:{} {}\n    {}\n", r.file, s.line, s.expr, why));
                }
            }
        }
    }
    out.push_str(&format!("{p} passed, {f} failed\n"));
    out
}
