//! Pieces of the obslab-vs-Prometheus benchmark: the generated series and their remote-write
//! bodies, the concurrent senders, timed range queries, and process/disk measurements.

use anyhow::{Context, Result};
use obslab_api::prompb::{Label, Sample, TimeSeries, snappy_encode};
use prost::Message;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Simulated scrape interval between two samples of one series.
pub const STEP_MS: i64 = 5_000;

/// The generated series set. Every series gets one sample per round; round `r` has timestamp
/// `t0 + r * STEP_MS`, so each series' timestamps only increase.
pub struct Workload {
    /// Each series' labels, already encoded as the label fields of a `TimeSeries` message.
    labels_enc: Vec<Vec<u8>>,
    pub t0: i64,
    pub max_rounds: usize,
}

impl Workload {
    /// `series` series over `max_rounds` rounds ending a minute before `now_ms`, so that no sample
    /// lies in the future and the whole span stays below 3h (no Prometheus head compaction).
    pub fn new(series: usize, max_rounds: usize, now_ms: i64) -> Self {
        let labels_enc = (0..series)
            .map(|i| {
                let metric = if i.is_multiple_of(2) {
                    "bench_requests_total"
                } else {
                    "bench_temperature"
                };
                let pairs = [
                    ("__name__", metric.to_string()),
                    ("instance", format!("inst-{}", (i / 10) % 100)),
                    ("job", format!("job-{}", i % 10)),
                    ("series", i.to_string()),
                ];
                TimeSeries {
                    labels: pairs
                        .into_iter()
                        .map(|(n, v)| Label {
                            name: n.into(),
                            value: v,
                        })
                        .collect(),
                    samples: Vec::new(),
                    exemplars: Vec::new(),
                }
                .encode_to_vec()
            })
            .collect();
        let span = max_rounds as i64 * STEP_MS;
        let t0 = (now_ms - 60_000 - span).div_euclid(STEP_MS) * STEP_MS;
        Self {
            labels_enc,
            t0,
            max_rounds,
        }
    }

    pub fn series(&self) -> usize {
        self.labels_enc.len()
    }

    pub fn timestamp(&self, round: usize) -> i64 {
        self.t0 + round as i64 * STEP_MS
    }

    /// Counters grow by a per-series increment; gauges wander over a small range.
    pub fn value(series: usize, round: usize) -> f64 {
        if series.is_multiple_of(2) {
            ((round + 1) * (series % 7 + 1)) as f64
        } else {
            20.0 + ((series * 7 + round) % 50) as f64 / 2.0
        }
    }

    /// The snappy-compressed `WriteRequest` for (series, round) pairs; pairs of one series must
    /// come in increasing round order.
    pub fn request_body(&self, items: &[(usize, usize)]) -> Vec<u8> {
        let mut order: Vec<usize> = Vec::new();
        let mut samples: std::collections::HashMap<usize, Vec<Sample>> = Default::default();
        for &(s, r) in items {
            let e = samples.entry(s).or_insert_with(|| {
                order.push(s);
                Vec::new()
            });
            e.push(Sample {
                value: Self::value(s, r),
                timestamp: self.timestamp(r),
            });
        }
        let mut out = Vec::with_capacity(items.len() * 96);
        for s in order {
            let samples_enc = TimeSeries {
                labels: Vec::new(),
                samples: samples.remove(&s).unwrap_or_default(),
                exemplars: Vec::new(),
            }
            .encode_to_vec();
            // Two encodings of one message type concatenated form one message with both parts.
            let ts_len = self.labels_enc[s].len() + samples_enc.len();
            out.push(0x0a); // WriteRequest.timeseries: field 1, length-delimited.
            put_varint(&mut out, ts_len as u64);
            out.extend_from_slice(&self.labels_enc[s]);
            out.extend_from_slice(&samples_enc);
        }
        snappy_encode(&out)
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// What the senders achieved against one system.
#[derive(Debug, Default)]
pub struct IngestResult {
    pub acked_samples: u64,
    pub ok_requests: u64,
    pub failed_requests: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// The last round every sender had acknowledged in full (the end of the common data).
    pub last_common_round: usize,
}

impl IngestResult {
    pub fn samples_per_sec(&self) -> f64 {
        self.acked_samples as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Default)]
struct Counters {
    acked: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
}

/// Posts the workload to `url` from `senders` concurrent tasks, each owning every
/// `senders`-th series, in requests of `batch` samples, until `duration` passes or the rounds
/// run out.
pub async fn ingest(
    client: &reqwest::Client,
    url: &str,
    wl: Arc<Workload>,
    senders: usize,
    batch: usize,
    duration: Duration,
) -> IngestResult {
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for k in 0..senders {
        let (client, url, wl, counters) = (client.clone(), url.to_string(), wl.clone(), counters.clone());
        tasks.push(tokio::spawn(async move {
            send_loop(&client, &url, &wl, k, senders, batch, deadline, &counters).await
        }));
    }
    let mut res = IngestResult {
        last_common_round: usize::MAX,
        ..Default::default()
    };
    for t in tasks {
        match t.await {
            Ok((last_round, err)) => {
                res.last_common_round = res.last_common_round.min(last_round);
                if res.first_error.is_none() {
                    res.first_error = err;
                }
            }
            Err(e) => res.first_error = Some(format!("sender task failed: {e}")),
        }
    }
    if res.last_common_round == usize::MAX {
        res.last_common_round = 0;
    }
    res.elapsed = started.elapsed();
    res.acked_samples = counters.acked.load(Ordering::Relaxed);
    res.ok_requests = counters.ok.load(Ordering::Relaxed);
    res.failed_requests = counters.failed.load(Ordering::Relaxed);
    res
}

/// One sender; returns the last round it wrote in full and the first error it saw.
#[allow(clippy::too_many_arguments)]
async fn send_loop(
    client: &reqwest::Client,
    url: &str,
    wl: &Workload,
    k: usize,
    senders: usize,
    batch: usize,
    deadline: Instant,
    counters: &Counters,
) -> (usize, Option<String>) {
    let owned: Vec<usize> = (k..wl.series()).step_by(senders).collect();
    if owned.is_empty() {
        return (usize::MAX, None);
    }
    let total = owned.len() * wl.max_rounds;
    let mut pos = 0;
    let mut first_error = None;
    while pos < total && Instant::now() < deadline {
        let end = (pos + batch).min(total);
        let items: Vec<(usize, usize)> = (pos..end)
            .map(|j| (owned[j % owned.len()], j / owned.len()))
            .collect();
        let body = wl.request_body(&items);
        let resp = client
            .post(url)
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .body(body)
            .send()
            .await;
        match resp {
            Ok(r) if r.status().is_success() => {
                counters.acked.fetch_add((end - pos) as u64, Ordering::Relaxed);
                counters.ok.fetch_add(1, Ordering::Relaxed);
            }
            Ok(r) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                if first_error.is_none() {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    first_error = Some(format!("{status}: {}", text.trim()));
                }
            }
            Err(e) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                first_error.get_or_insert_with(|| format!("request error: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        pos = end;
    }
    // Rounds below pos / owned are complete for this sender.
    ((pos / owned.len()).saturating_sub(1), first_error)
}

/// Latency summary of one range query repeated against one system.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    pub median: Duration,
    pub runs: usize,
    pub result_series: usize,
    pub points: usize,
}

/// Runs `query_range` up to `runs` times (after one warm-up), stopping early once `budget` is
/// spent; the result shape is reported so both systems can be seen to agree.
pub async fn time_range_query(
    client: &reqwest::Client,
    port: u16,
    query: &str,
    (start, end, step): (f64, f64, f64),
    runs: usize,
    budget: Duration,
) -> Result<QueryTiming> {
    let url = url::Url::parse_with_params(
        &format!("http://127.0.0.1:{port}/api/v1/query_range"),
        &[
            ("query", query.to_string()),
            ("start", format!("{start:.3}")),
            ("end", format!("{end:.3}")),
            ("step", format!("{step}")),
        ],
    )?;
    let mut times = Vec::new();
    let mut shape = (0, 0);
    let began = Instant::now();
    for i in 0..=runs {
        let t = Instant::now();
        let r = client
            .get(url.clone())
            .send()
            .await
            .context("query_range request")?;
        let status = r.status();
        let v: serde_json::Value = r.json().await.context("query_range body")?;
        let took = t.elapsed();
        anyhow::ensure!(status.is_success(), "query {query} failed with {status}: {v}");
        let result = v["data"]["result"].as_array().cloned().unwrap_or_default();
        shape = (
            result.len(),
            result
                .iter()
                .map(|s| s["values"].as_array().map_or(0, |a| a.len()))
                .sum(),
        );
        if i > 0 {
            times.push(took);
        }
        if i > 0 && began.elapsed() > budget {
            break;
        }
    }
    times.sort();
    Ok(QueryTiming {
        median: times.get(times.len() / 2).copied().unwrap_or_default(),
        runs: times.len(),
        result_series: shape.0,
        points: shape.1,
    })
}

/// `headStats.numSeries` from `/api/v1/status/tsdb`, which both systems serve.
pub async fn head_series(client: &reqwest::Client, port: u16) -> Result<u64> {
    let v: serde_json::Value = client
        .get(format!("http://127.0.0.1:{port}/api/v1/status/tsdb"))
        .send()
        .await?
        .json()
        .await?;
    v["data"]["headStats"]["numSeries"]
        .as_u64()
        .with_context(|| format!("no headStats.numSeries in {v}"))
}

/// VmRSS of a process in bytes.
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS line")?;
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .context("bad VmRSS line")?;
    Ok(kb * 1024)
}

/// Total size of the regular files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Polls `GET /-/ready` until it answers 200 or `timeout` passes.
pub async fn wait_ready(client: &reqwest::Client, port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let r = client
            .get(format!("http://127.0.0.1:{port}/-/ready"))
            .send()
            .await;
        if r.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
