//! Reading the host: `/proc/stat`, `/proc/loadavg`, `/proc/meminfo`, mounts with `statfs`,
//! `/proc/net/dev`, `/proc/diskstats` and `uname`. A source that cannot be read is left out
//! (node_exporter does the same per collector), so a partial host still renders.

use std::ffi::CStr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::render::{Family, MetricKind};

/// Where `/proc` lives (a different root lets tests read fixtures).
#[derive(Debug, Clone)]
pub struct ProcRoot(pub PathBuf);

impl Default for ProcRoot {
    fn default() -> Self {
        ProcRoot(PathBuf::from("/proc"))
    }
}

impl ProcRoot {
    fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.0.join(rel)).ok()
    }
}

/// The kernel's clock ticks per second for `/proc/stat` (USER_HZ).
fn user_hz() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// The metric families of the host.
pub fn collect(root: &ProcRoot) -> Vec<Family> {
    let mut out = Vec::new();
    if let Some(s) = root.read("stat") {
        out.extend(stat(&s, user_hz()));
    }
    if let Some(s) = root.read("loadavg") {
        out.extend(loadavg(&s));
    }
    if let Some(s) = root.read("meminfo") {
        out.extend(meminfo(&s));
    }
    let mounts = root.read("1/mounts").or_else(|| root.read("mounts"));
    if let Some(s) = mounts {
        out.extend(filesystems(&s));
    }
    if let Some(s) = root.read("net/dev") {
        out.extend(netdev(&s));
    }
    if let Some(s) = root.read("diskstats") {
        out.extend(diskstats(&s));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    out.push(Family::single(
        "node_time_seconds",
        "System time in seconds since epoch (1970).",
        MetricKind::Gauge,
        now,
    ));
    out.extend(uname());
    let mut b = Family::new(
        "obslab_hostmetrics_build_info",
        "A metric with a constant '1' value labeled by version and target architecture and OS of the obslab host collector.",
        MetricKind::Gauge,
    );
    b.push(
        &[
            ("goarch", std::env::consts::ARCH),
            ("goos", std::env::consts::OS),
            ("version", env!("CARGO_PKG_VERSION")),
        ],
        1.0,
    );
    out.push(b);
    out
}

/// CPU modes in `/proc/stat` column order (guest time is counted inside user/nice and has its
/// own metric in node_exporter, so it is not a mode here).
const CPU_MODES: [&str; 8] = [
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
];

/// `/proc/stat`: per-CPU seconds by mode, boot time, context switches, forks, running procs.
pub(crate) fn stat(text: &str, hz: f64) -> Vec<Family> {
    let mut cpu = Family::new(
        "node_cpu_seconds_total",
        "Seconds the CPUs spent in each mode.",
        MetricKind::Counter,
    );
    let mut out = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some(key) = f.next() else { continue };
        let vals: Vec<f64> = f.filter_map(|v| v.parse().ok()).collect();
        let first = vals.first().copied();
        match key {
            "btime" => out.push(Family::single(
                "node_boot_time_seconds",
                "Node boot time, in unixtime.",
                MetricKind::Gauge,
                first.unwrap_or(0.0),
            )),
            "ctxt" => out.push(Family::single(
                "node_context_switches_total",
                "Total number of context switches.",
                MetricKind::Counter,
                first.unwrap_or(0.0),
            )),
            "processes" => out.push(Family::single(
                "node_forks_total",
                "Total number of forks.",
                MetricKind::Counter,
                first.unwrap_or(0.0),
            )),
            "procs_running" => out.push(Family::single(
                "node_procs_running",
                "Number of processes in runnable state.",
                MetricKind::Gauge,
                first.unwrap_or(0.0),
            )),
            k if k.starts_with("cpu") && k.len() > 3 => {
                let n = &k[3..];
                for (mode, v) in CPU_MODES.iter().zip(&vals) {
                    cpu.push(&[("cpu", n), ("mode", mode)], v / hz);
                }
            }
            _ => {}
        }
    }
    out.push(cpu);
    out
}

pub(crate) fn loadavg(text: &str) -> Vec<Family> {
    let v: Vec<f64> = text
        .split_whitespace()
        .take(3)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 3 {
        return Vec::new();
    }
    vec![
        Family::single("node_load1", "1m load average.", MetricKind::Gauge, v[0]),
        Family::single("node_load5", "5m load average.", MetricKind::Gauge, v[1]),
        Family::single("node_load15", "15m load average.", MetricKind::Gauge, v[2]),
    ]
}

/// `/proc/meminfo` as `node_memory_<field>_bytes` (kB values times 1024; `(anon)` style names
/// become `_anon`), as node_exporter names them.
pub(crate) fn meminfo(text: &str) -> Vec<Family> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let Some(v) = parts.next().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        let key = key.replace('(', "_").replace(')', "");
        let (name, value) = match parts.next() {
            Some("kB") => (format!("{key}_bytes"), v * 1024.0),
            _ => (key.clone(), v),
        };
        out.push(Family::single(
            &format!("node_memory_{name}"),
            &format!("Memory information field {name}."),
            MetricKind::Gauge,
            value,
        ));
    }
    out
}

/// node_exporter's default `--collector.filesystem.mount-points-exclude` as Debian ships it:
/// `^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`.
fn excluded_mountpoint(mp: &str) -> bool {
    let under = |p: &str| mp == p || mp.starts_with(&format!("{p}/"));
    ["/dev", "/proc", "/run", "/sys", "/mnt", "/media"]
        .into_iter()
        .any(under)
        || mp.starts_with("/var/lib/docker/")
        || mp.starts_with("/var/lib/containers/storage/")
}

/// node_exporter's default `--collector.filesystem.fs-types-exclude`.
const EXCLUDED_FS_TYPES: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "fusectl",
    "hugetlbfs",
    "iso9660",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "procfs",
    "pstore",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tracefs",
];

/// `/proc/mounts` escapes spaces and the like as octal (`\040`).
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            let oct = &b[i + 1..i + 4];
            if oct.iter().all(|c| (b'0'..=b'7').contains(c)) {
                let v = oct.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct FsStats {
    size: f64,
    free: f64,
    avail: f64,
    files: f64,
    files_free: f64,
}

fn statfs(path: &str) -> Option<FsStats> {
    let c = std::ffi::CString::new(path).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `buf` a properly sized out parameter.
    let mut buf: libc::statfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut buf) };
    if rc != 0 {
        return None;
    }
    let bsize = buf.f_bsize as f64;
    Some(FsStats {
        size: buf.f_blocks as f64 * bsize,
        free: buf.f_bfree as f64 * bsize,
        avail: buf.f_bavail as f64 * bsize,
        files: buf.f_files as f64,
        files_free: buf.f_ffree as f64,
    })
}

/// Filesystem sizes for the mounts node_exporter reports by default (one entry per
/// device/mountpoint pair).
pub(crate) fn filesystems(mounts: &str) -> Vec<Family> {
    let g = MetricKind::Gauge;
    let mut fams = [
        Family::new("node_filesystem_size_bytes", "Filesystem size in bytes.", g),
        Family::new("node_filesystem_free_bytes", "Filesystem free space in bytes.", g),
        Family::new(
            "node_filesystem_avail_bytes",
            "Filesystem space available to non-root users in bytes.",
            g,
        ),
        Family::new("node_filesystem_files", "Filesystem total file nodes.", g),
        Family::new(
            "node_filesystem_files_free",
            "Filesystem total free file nodes.",
            g,
        ),
        Family::new("node_filesystem_readonly", "Filesystem read-only status.", g),
    ];
    let mut seen = std::collections::HashSet::new();
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let (device, mp, fstype) = (unescape_mount(f[0]), unescape_mount(f[1]), f[2]);
        if excluded_mountpoint(&mp) || EXCLUDED_FS_TYPES.contains(&fstype) {
            continue;
        }
        if !seen.insert((device.clone(), mp.clone())) {
            continue;
        }
        let Some(s) = statfs(&mp) else { continue };
        let ro = f[3].split(',').any(|o| o == "ro");
        let labels = [
            ("device", device.as_str()),
            ("fstype", fstype),
            ("mountpoint", mp.as_str()),
        ];
        let values = [
            s.size,
            s.free,
            s.avail,
            s.files,
            s.files_free,
            if ro { 1.0 } else { 0.0 },
        ];
        for (fam, v) in fams.iter_mut().zip(values) {
            fam.push(&labels, v);
        }
    }
    fams.into_iter().collect()
}

/// `/proc/net/dev`: byte, packet and error counters per interface (loopback left out).
pub(crate) fn netdev(text: &str) -> Vec<Family> {
    let c = MetricKind::Counter;
    // (metric suffix, column index after the interface name)
    let cols = [
        ("receive_bytes", 0),
        ("receive_packets", 1),
        ("receive_errs", 2),
        ("transmit_bytes", 8),
        ("transmit_packets", 9),
        ("transmit_errs", 10),
    ];
    let mut fams: Vec<Family> = cols
        .iter()
        .map(|(n, _)| {
            Family::new(
                format!("node_network_{n}_total"),
                format!("Network device statistic {n}."),
                c,
            )
        })
        .collect();
    for line in text.lines().skip(2) {
        let Some((dev, rest)) = line.split_once(':') else {
            continue;
        };
        let vals: Vec<f64> = rest.split_whitespace().filter_map(|v| v.parse().ok()).collect();
        if vals.len() < 16 {
            continue;
        }
        let dev = dev.trim();
        // node_exporter's default `--collector.netdev.device-exclude="^lo$"` (Debian).
        if dev == "lo" {
            continue;
        }
        for (fam, (_, i)) in fams.iter_mut().zip(cols) {
            fam.push(&[("device", dev)], vals[i]);
        }
    }
    fams
}

/// node_exporter's default `--collector.diskstats.device-exclude`:
/// `^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`.
fn excluded_disk(dev: &str) -> bool {
    let digits_tail = dev.trim_end_matches(|c: char| c.is_ascii_digit());
    if digits_tail.len() == dev.len() || digits_tail.is_empty() {
        return false;
    }
    let p = digits_tail;
    if matches!(p, "ram" | "loop" | "fd") {
        return true;
    }
    let b = p.as_bytes();
    let letter_last = b.last().is_some_and(u8::is_ascii_lowercase);
    if letter_last {
        let head = &p[..p.len() - 1];
        if matches!(head, "hd" | "sd" | "vd" | "xvd") {
            return true;
        }
    }
    // nvme<N>n<N>p
    if let Some(rest) = p.strip_prefix("nvme").and_then(|r| r.strip_suffix('p'))
        && let Some((a, b)) = rest.split_once('n')
    {
        let num = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        return num(a) && num(b);
    }
    false
}

/// `/proc/diskstats`: bytes read and written (512-byte sectors) and time spent doing I/O.
pub(crate) fn diskstats(text: &str) -> Vec<Family> {
    let c = MetricKind::Counter;
    let mut read = Family::new(
        "node_disk_read_bytes_total",
        "The total number of bytes read successfully.",
        c,
    );
    let mut written = Family::new(
        "node_disk_written_bytes_total",
        "The total number of bytes written successfully.",
        c,
    );
    let mut io = Family::new(
        "node_disk_io_time_seconds_total",
        "Total seconds spent doing I/Os.",
        c,
    );
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 14 {
            continue;
        }
        let dev = f[2];
        if excluded_disk(dev) {
            continue;
        }
        let num = |i: usize| f[i].parse::<f64>().unwrap_or(0.0);
        read.push(&[("device", dev)], num(5) * 512.0);
        written.push(&[("device", dev)], num(9) * 512.0);
        io.push(&[("device", dev)], num(12) / 1000.0);
    }
    vec![read, written, io]
}

fn field(b: &[libc::c_char]) -> String {
    // SAFETY: uname fills each field with a NUL-terminated string within the array.
    let s = unsafe { CStr::from_ptr(b.as_ptr()) };
    s.to_string_lossy().into_owned()
}

/// `node_uname_info` from the uname system call.
fn uname() -> Option<Family> {
    // SAFETY: `u` is a properly sized out parameter.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let mut f = Family::new(
        "node_uname_info",
        "Labeled system information as provided by the uname system call.",
        MetricKind::Gauge,
    );
    let (domain, machine, node) = (field(&u.domainname), field(&u.machine), field(&u.nodename));
    let (release, sys, version) = (field(&u.release), field(&u.sysname), field(&u.version));
    f.push(
        &[
            ("domainname", &domain),
            ("machine", &machine),
            ("nodename", &node),
            ("release", &release),
            ("sysname", &sys),
            ("version", &version),
        ],
        1.0,
    );
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_converts_ticks_to_seconds() {
        let text = "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 100 0 50 1000 0 0 0 0 0 0\nctxt 42\nbtime 1700000000\nprocesses 7\nprocs_running 3\n";
        let fams = stat(text, 100.0);
        let cpu = fams.iter().find(|f| f.name == "node_cpu_seconds_total").unwrap();
        assert_eq!(cpu.samples.len(), 8);
        assert_eq!(cpu.samples[0].0[0], ("cpu".to_string(), "0".to_string()));
        assert_eq!(cpu.samples[0].1, 1.0);
        assert_eq!(cpu.samples[3].1, 10.0);
        let boot = fams.iter().find(|f| f.name == "node_boot_time_seconds").unwrap();
        assert_eq!(boot.samples[0].1, 1.7e9);
        assert!(
            fams.iter()
                .any(|f| f.name == "node_forks_total" && f.samples[0].1 == 7.0)
        );
    }

    #[test]
    fn meminfo_names_follow_node_exporter() {
        let fams = meminfo("MemTotal:       1000 kB\nActive(anon):  5 kB\nHugePages_Total:  0\n");
        let names: Vec<&str> = fams.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "node_memory_MemTotal_bytes",
                "node_memory_Active_anon_bytes",
                "node_memory_HugePages_Total"
            ]
        );
        assert_eq!(fams[0].samples[0].1, 1_024_000.0);
    }

    #[test]
    fn disk_partitions_are_excluded_like_node_exporter() {
        for d in ["sda1", "vda2", "xvdb3", "nvme0n1p1", "loop0", "ram1", "fd0"] {
            assert!(excluded_disk(d), "{d}");
        }
        for d in ["sda", "vda", "nvme0n1", "dm-0", "zram0", "md0", "sr0"] {
            assert!(!excluded_disk(d), "{d}");
        }
    }

    #[test]
    fn mount_escapes_are_decoded() {
        assert_eq!(unescape_mount("/mnt/a\\040b"), "/mnt/a b");
        assert_eq!(unescape_mount("/plain"), "/plain");
    }

    #[test]
    fn netdev_reads_columns() {
        let text = "Inter-|   Receive\n face |bytes\n  eth0: 10 2 1 0 0 0 0 0 20 3 4 0 0 0 0 0\n";
        let fams = netdev(text);
        assert_eq!(fams[0].name, "node_network_receive_bytes_total");
        assert_eq!(fams[0].samples[0].1, 10.0);
        assert_eq!(fams[3].samples[0].1, 20.0);
        assert_eq!(fams[5].samples[0].1, 4.0);
    }
}
