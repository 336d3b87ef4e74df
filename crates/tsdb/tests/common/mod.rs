//! Helpers for tests that run the real `promtool`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The promtool binary, or None (with a message) when it is not installed.
pub fn promtool() -> Option<PathBuf> {
    for p in ["/usr/bin/promtool", "/usr/local/bin/promtool"] {
        if Path::new(p).exists() {
            return Some(PathBuf::from(p));
        }
    }
    eprintln!("SKIPPED: promtool is not installed (apt-get install -y prometheus)");
    None
}

/// Runs promtool with `args`, panicking with its output on failure.
pub fn run(promtool: &Path, args: &[&str]) -> String {
    let out = Command::new(promtool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "promtool {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Parses `promtool tsdb dump` lines `{labels} value timestamp` into sorted tuples.
pub fn parse_dump(s: &str) -> Vec<(String, i64, u64)> {
    let mut out = Vec::new();
    for line in s.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.rsplitn(3, ' ');
        let t: i64 = parts.next().unwrap().parse().unwrap();
        let v: f64 = parts.next().unwrap().parse().unwrap();
        let labels = parts.next().unwrap().to_string();
        out.push((labels, t, v.to_bits()));
    }
    out.sort();
    out
}

/// Prints labels the way Prometheus's `labels.String()` does: `{a="b", c="d"}`.
pub fn prom_labels(l: &obslab_model::Labels) -> String {
    let parts: Vec<String> = l.iter().map(|l| format!("{}={:?}", l.name, l.value)).collect();
    format!("{{{}}}", parts.join(", "))
}
