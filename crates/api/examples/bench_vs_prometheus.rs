//! Feeds one generated remote-write workload to obslab and to a real Prometheus 2.42 in the same
//! run and prints measured figures side by side with their ratio obslab/Prometheus.
//!
//! ```text
//! cargo run --release -p obslab-api --example bench_vs_prometheus -- \
//!     [--series N] [--seconds S] [--senders K] [--batch B]
//! ```
//!
//! obslab serves from a child process (this same binary started with `--serve-obslab DIR`), so
//! its resident memory is measured from /proc exactly as Prometheus's is. All traffic stays on
//! 127.0.0.1; both servers are stopped at the end.

mod bench_support;

use anyhow::{Context, Result, bail};
use bench_support::{IngestResult, QueryTiming, STEP_MS, Workload};
use obslab_testkit::{ChildGuard, SIGTERM, free_port};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// The dashboard queries timed on both systems.
const QUERIES: [&str; 3] = [
    "sum by (job) (rate(bench_requests_total[1m]))",
    "max by (instance) (bench_temperature{job=\"job-3\"})",
    "topk(5, sum by (instance) (rate(bench_requests_total[5m])))",
];
const QUERY_RUNS: usize = 10;
/// Time allowed per query and system, so a slow engine cannot stretch the run unbounded.
const QUERY_BUDGET: Duration = Duration::from_secs(8);
/// Rounds of the workload at most: 2,000 rounds at 5 s stay below Prometheus's 3h head span.
const MAX_ROUNDS: usize = 2_000;

struct Args {
    series: usize,
    seconds: u64,
    senders: usize,
    batch: usize,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args> {
    let mut a = Args {
        series: 10_000,
        seconds: 20,
        senders: 4,
        batch: 2_000,
    };
    while let Some(flag) = it.next() {
        let val = it.next().with_context(|| format!("{flag} needs a value"))?;
        let n: u64 = val
            .parse()
            .with_context(|| format!("{flag}: not a number: {val}"))?;
        match flag.as_str() {
            "--series" => a.series = n as usize,
            "--seconds" => a.seconds = n,
            "--senders" => a.senders = n as usize,
            "--batch" => a.batch = n as usize,
            _ => bail!("unknown flag {flag} (known: --series --seconds --senders --batch)"),
        }
    }
    anyhow::ensure!(
        a.series > 0 && a.seconds > 0 && a.senders > 0 && a.batch > 0,
        "all values must be positive"
    );
    Ok(a)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("--serve-obslab") {
        let dir = argv.nth(1).context("--serve-obslab needs a directory")?;
        return serve_obslab(Path::new(&dir)).await;
    }
    let args = parse_args(argv)?;
    if !Path::new(PROMETHEUS).exists() {
        bail!("{PROMETHEUS} is not installed; the benchmark needs a real Prometheus");
    }
    run(args).await
}

/// Child mode: the API server over a database in `dir` on an ephemeral loopback port, which it
/// prints as `PORT <n>`; SIGTERM shuts it down and closes the database.
async fn serve_obslab(dir: &Path) -> Result<()> {
    let db = obslab_tsdb::Db::open(dir, obslab_tsdb::Options::default())
        .with_context(|| format!("opening {}", dir.display()))?;
    let state = obslab_api::ApiState::new(db.clone(), obslab_promql::Engine::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("PORT {}", listener.local_addr()?.port());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    obslab_api::serve_listener(listener, state, async move {
        term.recv().await;
    })
    .await?;
    db.close()?;
    Ok(())
}

/// One system under test: its process, port and data directory.
struct Server {
    child: ChildGuard,
    port: u16,
    data: PathBuf,
}

fn start_obslab(dir: &Path) -> Result<Server> {
    let data = dir.join("obslab-data");
    let exe = std::env::current_exe()?;
    let mut child = ChildGuard::spawn_cmd(
        Command::new(exe)
            .arg("--serve-obslab")
            .arg(&data)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )?;
    let out = child
        .child
        .stdout
        .take()
        .context("no stdout from the obslab child")?;
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .with_context(|| format!("obslab child did not report its port: {line:?}"))?;
    Ok(Server { child, port, data })
}

fn start_prometheus(dir: &Path) -> Result<Server> {
    let port = free_port();
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, "global:\n  scrape_interval: 15s\n")?;
    let data = dir.join("prometheus-data");
    let log = std::fs::File::create(dir.join("prometheus.log"))?;
    let child = ChildGuard::spawn_cmd(
        Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-remote-write-receiver")
            .arg("--log.level=warn")
            .stdout(log.try_clone()?)
            .stderr(log),
    )?;
    Ok(Server { child, port, data })
}

/// Everything measured on one system.
struct Measured {
    ingest: IngestResult,
    head_series: u64,
    rss_before: u64,
    rss_after: u64,
    wal_bytes: u64,
    queries: Vec<QueryTiming>,
}

async fn ingest_and_measure(
    client: &reqwest::Client,
    server: &Server,
    wl: &Arc<Workload>,
    args: &Args,
) -> Result<Measured> {
    let rss_before = bench_support::rss_bytes(server.child.pid())?;
    let url = format!("http://127.0.0.1:{}/api/v1/write", server.port);
    let ingest = bench_support::ingest(
        client,
        &url,
        wl.clone(),
        args.senders,
        args.batch,
        Duration::from_secs(args.seconds),
    )
    .await;
    // Let in-flight work settle before reading memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(Measured {
        head_series: bench_support::head_series(client, server.port).await?,
        rss_before,
        rss_after: bench_support::rss_bytes(server.child.pid())?,
        wal_bytes: bench_support::dir_size(&server.data.join("wal")),
        ingest,
        queries: Vec::new(),
    })
}

async fn run(args: Args) -> Result<()> {
    let version = Command::new(PROMETHEUS).arg("--version").output()?;
    let version = String::from_utf8_lossy(&version.stdout)
        .lines()
        .next()
        .unwrap_or("prometheus (unknown version)")
        .to_string();
    let dir = tempfile::tempdir()?;
    let now_ms = unix_now_ms();
    let wl = Arc::new(Workload::new(args.series, MAX_ROUNDS, now_ms));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.senders * 2)
        .build()?;
    let began = Instant::now();

    // obslab first, alone on the machine while it ingests.
    let mut obslab = start_obslab(dir.path())?;
    if !bench_support::wait_ready(&client, obslab.port, Duration::from_secs(30)).await {
        bail!("obslab did not become ready");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut om = ingest_and_measure(&client, &obslab, &wl, &args).await?;

    let prom = start_prometheus(dir.path())?;
    if !bench_support::wait_ready(&client, prom.port, Duration::from_secs(30)).await {
        let log = std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default();
        bail!("prometheus did not become ready: {log}");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut pm = ingest_and_measure(&client, &prom, &wl, &args).await?;

    // Queries over the span both systems hold in full.
    let last_round = om.ingest.last_common_round.min(pm.ingest.last_common_round);
    let (start, end) = (wl.t0 as f64 / 1000.0, wl.timestamp(last_round) as f64 / 1000.0);
    let step = ((end - start) / 200.0).ceil().max(STEP_MS as f64 / 1000.0);
    for q in QUERIES {
        let range = (start, end, step);
        om.queries.push(
            bench_support::time_range_query(&client, obslab.port, q, range, QUERY_RUNS, QUERY_BUDGET).await?,
        );
        pm.queries.push(
            bench_support::time_range_query(&client, prom.port, q, range, QUERY_RUNS, QUERY_BUDGET).await?,
        );
    }
    drop(prom);

    // obslab's blocks: stop the server, reopen its data with a block range that fits the
    // ingested span and compact the head into blocks.
    obslab.child.signal(SIGTERM);
    if obslab.child.wait_timeout(Duration::from_secs(15)).is_none() {
        bail!("obslab child did not stop after SIGTERM");
    }
    let span = wl.timestamp(om.ingest.last_common_round) - wl.t0;
    let blocks = compact_obslab(&obslab.data, span)?;
    drop(obslab);

    print_table(&args, &version, &om, &pm, &blocks, (start, end, step));
    println!("total wall time: {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}

fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Size and samples of the blocks obslab cut from its head.
struct Blocks {
    block_range_ms: i64,
    count: usize,
    bytes: u64,
    samples: u64,
}

fn compact_obslab(data: &Path, span_ms: i64) -> Result<Blocks> {
    // Compaction cuts a block once the head spans more than 1.5 block ranges.
    let block_range = (span_ms / 3 / 60_000 * 60_000).max(60_000);
    let db = obslab_tsdb::Db::open(
        data,
        obslab_tsdb::Options {
            block_range,
            background_compaction: false,
            ..Default::default()
        },
    )
    .context("reopening obslab's data")?;
    db.compact().context("compacting obslab's head")?;
    let blocks = db.blocks();
    let res = Blocks {
        block_range_ms: block_range,
        count: blocks.len(),
        bytes: blocks.iter().map(|b| b.size_bytes()).sum(),
        samples: blocks.iter().map(|b| b.meta().stats.num_samples).sum(),
    };
    db.close()?;
    Ok(res)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}", a / b)
    } else {
        "n/a".into()
    }
}

fn row(name: &str, o: f64, p: f64, fmt: impl Fn(f64) -> String) {
    println!("{name:<46} {:>14} {:>14} {:>8}", fmt(o), fmt(p), ratio(o, p));
}

fn per(n: u64, d: u64) -> f64 {
    if d == 0 { f64::NAN } else { n as f64 / d as f64 }
}

fn print_table(
    args: &Args,
    version: &str,
    o: &Measured,
    p: &Measured,
    b: &Blocks,
    (start, end, step): (f64, f64, f64),
) {
    let mib = |x: f64| format!("{:.1}", x / 1048576.0);
    let int = |x: f64| format!("{x:.0}");
    let f2 = |x: f64| format!("{x:.2}");
    let ms = |x: f64| format!("{x:.1}");
    println!();
    println!(
        "obslab vs {version}: {} series, {} senders x {} samples/request, {} s of ingestion each, \
         sample step {} s",
        args.series,
        args.senders,
        args.batch,
        args.seconds,
        STEP_MS / 1000
    );
    println!(
        "{:<46} {:>14} {:>14} {:>8}",
        "figure", "obslab", "prometheus", "o/p"
    );
    println!("{}", "-".repeat(85));
    row(
        "ingest: samples/s acknowledged (2xx)",
        o.ingest.samples_per_sec(),
        p.ingest.samples_per_sec(),
        int,
    );
    row(
        "ingest: samples acknowledged",
        o.ingest.acked_samples as f64,
        p.ingest.acked_samples as f64,
        int,
    );
    row(
        "ingest: requests ok",
        o.ingest.ok_requests as f64,
        p.ingest.ok_requests as f64,
        int,
    );
    row(
        "ingest: requests failed",
        o.ingest.failed_requests as f64,
        p.ingest.failed_requests as f64,
        int,
    );
    row(
        "ingest: wall seconds",
        o.ingest.elapsed.as_secs_f64(),
        p.ingest.elapsed.as_secs_f64(),
        f2,
    );
    row(
        "head series (status/tsdb)",
        o.head_series as f64,
        p.head_series as f64,
        int,
    );
    row(
        "RSS before ingestion, MiB",
        o.rss_before as f64,
        p.rss_before as f64,
        mib,
    );
    row(
        "RSS after ingestion, MiB",
        o.rss_after as f64,
        p.rss_after as f64,
        mib,
    );
    row(
        "RSS after / head series, bytes",
        per(o.rss_after, o.head_series),
        per(p.rss_after, p.head_series),
        int,
    );
    row(
        "(RSS after - before) / head series, bytes",
        per(o.rss_after.saturating_sub(o.rss_before), o.head_series),
        per(p.rss_after.saturating_sub(p.rss_before), p.head_series),
        int,
    );
    row("WAL dir bytes, MiB", o.wal_bytes as f64, p.wal_bytes as f64, mib);
    row(
        "WAL bytes / acknowledged sample",
        per(o.wal_bytes, o.ingest.acked_samples),
        per(p.wal_bytes, p.ingest.acked_samples),
        f2,
    );
    println!(
        "{:<46} {:>14} {:>14} {:>8}",
        "block bytes / sample (after compaction)",
        if b.samples > 0 {
            f2(per(b.bytes, b.samples))
        } else {
            "none".into()
        },
        "n/a",
        "n/a"
    );
    for (i, q) in QUERIES.iter().enumerate() {
        let (oq, pq) = (&o.queries[i], &p.queries[i]);
        row(
            &format!("query {} median ms (n={}/{})", i + 1, oq.runs, pq.runs),
            oq.median.as_secs_f64() * 1000.0,
            pq.median.as_secs_f64() * 1000.0,
            ms,
        );
        println!(
            "  {q}\n  result series/points: obslab {}/{}, prometheus {}/{}",
            oq.result_series, oq.points, pq.result_series, pq.points
        );
    }
    println!();
    println!("Notes:");
    println!(
        "- obslab runs as a child process of the benchmark (its API server over a fresh Db); RSS is \
         VmRSS from /proc/<pid>/status for both."
    );
    println!(
        "- Systems ingest one after the other (obslab first), each from the same 2-core machine that \
         also runs the senders; other builds may be running too."
    );
    println!(
        "- WAL bytes/sample: size of each system's wal/ directory after ingestion divided by the \
         samples acknowledged (includes series records; both compress the WAL with snappy)."
    );
    println!(
        "- Block bytes/sample (obslab only): the data reopened with a {} min block range and \
         compacted: {} block(s), {} bytes, {} samples. Prometheus cuts 2h blocks only once its head \
         spans 3h, which this run does not reach.",
        b.block_range_ms / 60_000,
        b.count,
        b.bytes,
        b.samples
    );
    println!(
        "- Queries: range {start:.0}..{end:.0} ({:.0} s, step {step} s), the span both systems hold; \
         median of up to {QUERY_RUNS} runs after one warm-up, at most {} s per query and system.",
        end - start,
        QUERY_BUDGET.as_secs()
    );
    for (name, m) in [("obslab", o), ("prometheus", p)] {
        if let Some(e) = &m.ingest.first_error {
            println!("- first ingest error from {name}: {e}");
        }
    }
}
