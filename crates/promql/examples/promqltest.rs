//! Runs promqltest scripts: `cargo run -p obslab-promql --example promqltest -- [-v] FILE...`.
//! Exits non-zero when any statement fails.

use obslab_promql::promqltest::{format_reports, run_file};

fn main() {
    let mut verbose = false;
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "-v" || a == "--verbose" {
            verbose = true;
        } else {
            files.push(a);
        }
    }
    let reports: Vec<_> = files
        .iter()
        .map(|f| run_file(std::path::Path::new(f), verbose))
        .collect();
    print!("{}", format_reports(&reports, verbose));
    if reports.iter().any(|r| r.failed() > 0) {
        std::process::exit(1);
    }
}
