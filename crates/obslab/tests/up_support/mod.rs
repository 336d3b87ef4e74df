//! Shared helpers of the `obslab up` tests: a lab in a temporary directory, on free ports, started
//! as a real process of the obslab binary.

#![allow(dead_code)]

use obslab_testkit::{ChildGuard, free_port, wait_until};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub const SERVICES: [&str; 5] = ["gateway", "api", "payment", "inventory", "worker"];

pub fn obslab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_obslab"))
}

/// A lab configuration in a temporary directory, with every service on a free port.
pub struct LabDir {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub ports: Vec<(String, u16)>,
}

impl LabDir {
    /// Writes lab.yaml: free ports, no OTLP export, fast restarts, no metrics backend unless
    /// `extra` has a `prometheus:` or `node:` section; `extra` is appended.
    pub fn new(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<(String, u16)> = SERVICES.iter().map(|s| (s.to_string(), free_port())).collect();
        let mut yaml = String::from("otlp_endpoint: none\nservices:\n");
        for (name, port) in &ports {
            yaml.push_str(&format!("  {name}:\n    port: {port}\n"));
        }
        yaml.push_str("supervisor:\n  restart_backoff_initial: 100ms\n  shutdown_timeout: 3s\n");
        // The metrics backend would claim the fixed ports 9090 and 9100; tests that want it say so.
        if !extra.contains("prometheus:") {
            yaml.push_str("prometheus:\n  enabled: false\n");
        }
        if !extra.contains("node:") {
            yaml.push_str("node:\n  enabled: false\n");
        }
        yaml.push_str(extra);
        let config = dir.path().join("lab.yaml");
        std::fs::write(&config, yaml).unwrap();
        Self { dir, config, ports }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn port(&self, service: &str) -> u16 {
        self.ports
            .iter()
            .find(|(n, _)| n == service)
            .map(|(_, p)| *p)
            .unwrap()
    }

    /// `obslab --data <data> ...`.
    pub fn cmd(&self) -> Command {
        let mut c = obslab();
        c.arg("--data").arg(self.data());
        c
    }

    /// Runs `obslab --data <data> <args>` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).stdin(Stdio::null()).output().unwrap()
    }
}

/// A running `obslab up`.
pub struct Lab {
    pub dir: LabDir,
    pub up: ChildGuard,
    pub ready_file: PathBuf,
}

impl Lab {
    /// Starts `obslab up --config lab.yaml <args>` and waits until it reports ready.
    pub fn start(dir: LabDir, args: &[&str]) -> Lab {
        let lab = Self::spawn(dir, args);
        let ready = wait_until(Duration::from_secs(60), || lab.ready_file.exists());
        assert!(ready, "obslab up did not become ready:\n{}", lab.output());
        lab
    }

    /// Starts `obslab up` without waiting.
    pub fn spawn(dir: LabDir, args: &[&str]) -> Lab {
        let ready_file = dir.dir.path().join("ready");
        let out = std::fs::File::create(dir.dir.path().join("up.out")).unwrap();
        let err = std::fs::File::create(dir.dir.path().join("up.err")).unwrap();
        let mut cmd = dir.cmd();
        cmd.arg("up")
            .arg("--config")
            .arg(&dir.config)
            .arg("--ready-file")
            .arg(&ready_file)
            .args(args)
            .stdout(out)
            .stderr(err);
        let up = ChildGuard::spawn_cmd(&mut cmd).unwrap();
        Lab { dir, up, ready_file }
    }

    /// What `obslab up` printed so far.
    pub fn output(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.dir.path().join(f)).unwrap_or_default();
        format!("--- stdout\n{}--- stderr\n{}", read("up.out"), read("up.err"))
    }

    pub fn status(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.data().join("run/status.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    pub fn component(&self, name: &str) -> Value {
        self.status()["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no component {name}"))
    }

    pub fn pid(&self, name: &str) -> Option<u32> {
        self.component(name)["pid"].as_u64().map(|p| p as u32)
    }

    /// Pids of every running child process.
    pub fn child_pids(&self) -> Vec<u32> {
        let status = self.status();
        status["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["pid"].as_u64().map(|p| p as u32))
            .collect()
    }

    pub fn log_path(&self, service: &str) -> PathBuf {
        self.dir.data().join("logs").join(format!("{service}.log"))
    }
}

/// True while `pid` is a live process (a zombie waiting for its reaper counts as gone).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

pub fn kill(pid: u32, sig: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

/// A minimal HTTP/1.1 request to 127.0.0.1:`port`; returns status and body.
pub fn http(method: &str, port: u16, path: &str, body: Option<&str>) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split_whitespace().nth(1)?.parse().ok()?;
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

pub fn healthy(port: u16) -> bool {
    matches!(http("GET", port, "/health", None), Some((200, _)))
}

/// Every line of a JSON-lines file, parsed; panics on a line that is not a JSON object.
pub fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: bad line {l:?}: {e}", path.display()));
            assert!(v.is_object(), "{}: not an object: {l}", path.display());
            v
        })
        .collect()
}

/// Signals every process of the group `pgid`.
pub fn kill_group(pgid: u32, sig: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions; a negative pid addresses a group.
    unsafe {
        libc::kill(-(pgid as i32), sig);
    }
}
