//! Process metrics read from /proc/self, named as the Prometheus client libraries name them.

use std::fmt::Write as _;

/// The fields of /proc/self/stat used here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub utime_ticks: u64,
    pub stime_ticks: u64,
    pub start_ticks: u64,
    pub vsize_bytes: u64,
    pub rss_pages: u64,
}

/// Parses /proc/self/stat. The command name may hold spaces and parentheses, so fields are
/// counted from the last `)`.
pub fn parse_stat(stat: &str) -> Option<Stat> {
    let after = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state); field n is f[n - 3].
    let get = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        utime_ticks: get(14)?,
        stime_ticks: get(15)?,
        start_ticks: get(22)?,
        vsize_bytes: get(23)?,
        rss_pages: get(24)?,
    })
}

/// The boot time (`btime`) from /proc/stat, in seconds since the epoch.
pub fn parse_btime(proc_stat: &str) -> Option<u64> {
    proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

fn sysconf(name: libc::c_int, fallback: u64) -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(name) };
    if v > 0 { v as u64 } else { fallback }
}

fn max_fds() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    (rc == 0).then_some(lim.rlim_cur)
}

fn family(out: &mut String, name: &str, kind: &str, help: &str, value: f64) {
    let _ = write!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
    );
}

/// The process metrics in Prometheus text format; empty where /proc is missing.
pub fn render() -> String {
    let mut out = String::new();
    let Some(stat) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .as_deref()
        .and_then(parse_stat)
    else {
        return out;
    };
    let ticks = sysconf(libc::_SC_CLK_TCK, 100) as f64;
    let page = sysconf(libc::_SC_PAGESIZE, 4096);
    let cpu = (stat.utime_ticks + stat.stime_ticks) as f64 / ticks;
    family(
        &mut out,
        "process_cpu_seconds_total",
        "counter",
        "Total user and system CPU time spent in seconds.",
        cpu,
    );
    family(
        &mut out,
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory size in bytes.",
        (stat.rss_pages * page) as f64,
    );
    family(
        &mut out,
        "process_virtual_memory_bytes",
        "gauge",
        "Virtual memory size in bytes.",
        stat.vsize_bytes as f64,
    );
    if let Some(btime) = std::fs::read_to_string("/proc/stat")
        .ok()
        .as_deref()
        .and_then(parse_btime)
    {
        let start = btime as f64 + stat.start_ticks as f64 / ticks;
        family(
            &mut out,
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            start,
        );
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        family(
            &mut out,
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            dir.count() as f64,
        );
    }
    if let Some(max) = max_fds() {
        family(
            &mut out,
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            max as f64,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_names() {
        let line = "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 1000 0 0 0 150 50 0 0 20 0 4 0 \
                    98765 123456789 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        let s = parse_stat(line).unwrap();
        assert_eq!(
            s,
            Stat {
                utime_ticks: 150,
                stime_ticks: 50,
                start_ticks: 98765,
                vsize_bytes: 123456789,
                rss_pages: 2500
            }
        );
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn parses_btime() {
        assert_eq!(
            parse_btime("cpu 1 2 3\nbtime 1700000000\nprocesses 5\n"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_btime("cpu 1\n"), None);
    }

    #[test]
    fn renders_live_values() {
        let text = render();
        let rss = text
            .lines()
            .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
            .unwrap();
        assert!(rss.parse::<f64>().unwrap() > 1e6, "{text}");
        let start: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("process_start_time_seconds "))
            .unwrap()
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(start <= now + 1.0 && start > now - 86_400.0 * 365.0, "{start}");
    }
}
