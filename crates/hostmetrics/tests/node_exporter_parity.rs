//! The collector's output against the real node_exporter on this machine: every family we
//! render exists there with the same type and help, our series are theirs, and values agree.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use obslab_scrape::exposition::{Entry, Parser};

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.0 200")
        .then(|| body.to_string())
        .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_string()))
}

#[derive(Default)]
struct Parsed {
    types: BTreeMap<String, String>,
    help: BTreeMap<String, String>,
    samples: BTreeMap<String, f64>,
    label_names: BTreeMap<String, BTreeSet<Vec<String>>>,
}

fn parse(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for e in Parser::for_content_type(text, Some("text/plain; version=0.0.4")) {
        match e.unwrap() {
            Entry::Type { name, metric_type } => {
                p.types.insert(name.into(), metric_type.as_str().into());
            }
            Entry::Help { name, help } => {
                p.help.insert(name.into(), help.into());
            }
            Entry::Sample(s) => {
                let labels = s.labels();
                let names: Vec<String> = labels
                    .iter()
                    .filter(|l| l.name != "__name__")
                    .map(|l| l.name.clone())
                    .collect();
                p.label_names.entry(s.name.to_string()).or_default().insert(names);
                p.samples.insert(labels.to_string(), s.value);
            }
            _ => {}
        }
    }
    p
}

fn start_node_exporter() -> Option<(Kill, u16)> {
    if !std::path::Path::new(NODE_EXPORTER).exists() {
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(NODE_EXPORTER)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = Kill(child);
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((guard, port));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("node_exporter did not start listening on {port}");
}

#[test]
fn output_is_a_subset_of_node_exporter_and_values_agree() {
    let Some((_guard, port)) = start_node_exporter() else {
        eprintln!("SKIPPED: {NODE_EXPORTER} is not installed");
        return;
    };
    let theirs_text = http_get(port, "/metrics").expect("node_exporter /metrics");
    let ours_text = obslab_hostmetrics::render();
    let theirs = parse(&theirs_text);
    let ours = parse(&ours_text);

    for (name, ty) in &ours.types {
        if name == "obslab_hostmetrics_build_info" {
            continue;
        }
        assert_eq!(theirs.types.get(name), Some(ty), "type of {name}");
        assert_eq!(theirs.help.get(name), ours.help.get(name), "help of {name}");
        assert_eq!(
            theirs.label_names.get(name),
            ours.label_names.get(name),
            "label names of {name}"
        );
    }
    for required in [
        "node_cpu_seconds_total",
        "node_load1",
        "node_memory_MemTotal_bytes",
        "node_memory_SwapFree_bytes",
        "node_filesystem_size_bytes",
        "node_network_receive_bytes_total",
        "node_disk_io_time_seconds_total",
        "node_boot_time_seconds",
        "node_uname_info",
        "node_forks_total",
    ] {
        assert!(
            ours.types.contains_key(required),
            "{required} missing from our output"
        );
    }

    // Series: every labelled series of ours exists there (time-varying singletons aside).
    for series in ours.samples.keys() {
        if series.starts_with("obslab_hostmetrics_build_info") {
            continue;
        }
        assert!(
            theirs.samples.contains_key(series),
            "{series} not exposed by node_exporter"
        );
    }

    let v = |p: &Parsed, s: &str| *p.samples.get(s).unwrap_or_else(|| panic!("{s} missing"));
    assert_eq!(
        v(&ours, "node_memory_MemTotal_bytes"),
        v(&theirs, "node_memory_MemTotal_bytes")
    );
    assert_eq!(
        v(&ours, "node_boot_time_seconds"),
        v(&theirs, "node_boot_time_seconds")
    );
    assert!((v(&ours, "node_time_seconds") - v(&theirs, "node_time_seconds")).abs() < 30.0);
    for (s, x) in &ours.samples {
        if s.starts_with("node_cpu_seconds_total") {
            let y = v(&theirs, s);
            assert!((x - y).abs() < 5.0, "{s}: ours {x} theirs {y}");
        }
        if s.starts_with("node_filesystem_size_bytes") || s.starts_with("node_filesystem_files{") {
            assert_eq!(*x, v(&theirs, s), "{s}");
        }
        if s.starts_with("node_filesystem_readonly") {
            assert_eq!(*x, v(&theirs, s), "{s}");
        }
    }
    let root_fs = ours
        .samples
        .keys()
        .any(|s| s.starts_with("node_filesystem_size_bytes") && s.contains("mountpoint=\"/\""));
    assert!(root_fs, "the root filesystem is reported");
}
