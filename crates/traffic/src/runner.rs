//! The open-model generator loop: requests start when the shape says so, whether or not earlier
//! ones have answered; a semaphore caps requests in flight and a request that cannot start on time
//! is counted as dropped rather than sent late.

use crate::config::TrafficConfig;
use crate::mix::CompiledEndpoint;
use crate::shape::Schedule;
use crate::summary::{Outcome, Recorder, RunFacts, Summary};
use crate::target::{ResolvedTarget, check_target};
use anyhow::Context;
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

/// `User-Agent` of every generated request, so services and logs can tell generated traffic apart.
pub const USER_AGENT: &str = concat!("obslab-traffic/", env!("CARGO_PKG_VERSION"));

/// A request due longer ago than this is dropped instead of sent in a burst.
const MAX_LATENESS: Duration = Duration::from_secs(1);
/// After a stop, requests in flight get this long (at most the timeout) to finish.
const STOP_GRACE: Duration = Duration::from_secs(2);
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Runs the generator until the duration ends or `stop` is cancelled, then waits for the requests
/// in flight and returns the summary. `progress`, when given, shows elapsed seconds and counts.
pub async fn run(
    cfg: TrafficConfig,
    stop: CancellationToken,
    progress: Option<ProgressBar>,
) -> anyhow::Result<Summary> {
    let mix = cfg.validate()?;
    let target = check_target(&cfg.target, cfg.allow_non_loopback).await?;
    let client = build_client(&target, &cfg)?;
    let schedule = Schedule::new(cfg.shape, cfg.rate, cfg.period, cfg.duration);
    let recorder = Arc::new(Recorder::new(mix.labels.len())?);
    let permits = Arc::new(Semaphore::new(cfg.concurrency));
    let abort = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut rng = StdRng::from_os_rng();

    // Slot n runs when n < Λ(duration); without a duration, until stopped.
    let max_slots = cfg
        .duration
        .map(|d| (schedule.cumulative(d.as_secs_f64()) - 1e-9).ceil().max(0.0) as u64);
    let start = Instant::now();
    let (mut slot, mut prev_t, mut requests, mut dropped) = (0u64, 0.0f64, 0u64, 0u64);
    let mut stopped = false;
    let mut last_progress = start;

    while max_slots.is_none_or(|m| slot < m) {
        let t = schedule.start_of(slot, prev_t);
        let due = start + Duration::from_secs_f64(t);
        tokio::select! {
            biased;
            _ = stop.cancelled() => {
                stopped = true;
                break;
            }
            _ = tokio::time::sleep_until(due.into()) => {}
        }
        slot += 1;
        prev_t = t;
        while tasks.try_join_next().is_some() {}

        if Instant::now().saturating_duration_since(due) > MAX_LATENESS {
            dropped += 1;
        } else if let Ok(permit) = permits.clone().try_acquire_owned() {
            requests += 1;
            let endpoint = mix.choose(&mut rng);
            let request = build_request(&client, &target.url, endpoint, &mut rng);
            let job = Job {
                client: client.clone(),
                recorder: recorder.clone(),
                abort: abort.clone(),
                label: endpoint.label,
            };
            tasks.spawn(job.run(request, permit));
        } else {
            dropped += 1;
        }

        if let Some(pb) = &progress
            && last_progress.elapsed() >= PROGRESS_EVERY
        {
            last_progress = Instant::now();
            show_progress(pb, start, &recorder, requests, dropped);
        }
    }

    let elapsed_s = match (stopped, cfg.duration) {
        (false, Some(d)) => d.as_secs_f64(),
        _ => start.elapsed().as_secs_f64(),
    };
    let grace = if stopped {
        STOP_GRACE.min(cfg.timeout)
    } else {
        cfg.timeout + Duration::from_secs(1)
    };
    // After a stop the grace is short already; after a full run, a stop cuts the wait short.
    let interrupt = (!stopped).then_some(&stop);
    drain(&mut tasks, grace, interrupt, &abort).await;
    if let Some(pb) = &progress {
        show_progress(pb, start, &recorder, requests, dropped);
        pb.finish_and_clear();
    }

    Ok(recorder.finish(
        &mix.labels,
        RunFacts {
            target: cfg.target.to_string(),
            shape: cfg.shape.as_str().to_string(),
            rate: cfg.rate,
            elapsed_s,
            scheduled: slot,
            requests,
            dropped,
        },
    ))
}

/// What a request task needs besides the request itself.
struct Job {
    client: reqwest::Client,
    recorder: Arc<Recorder>,
    abort: CancellationToken,
    label: usize,
}

impl Job {
    /// Sends the request (unless it could not be built) and records how it ended; the permit is
    /// held until then, so it counts against the concurrency.
    async fn run(self, request: Result<reqwest::Request, &'static str>, _permit: OwnedSemaphorePermit) {
        let (outcome, latency) = match request {
            Err(kind) => (Outcome::Failed(kind), None),
            Ok(req) => tokio::select! {
                biased;
                _ = self.abort.cancelled() => (Outcome::Failed("cancelled"), None),
                res = send(&self.client, req) => res,
            },
        };
        self.recorder.record(self.label, outcome, latency);
    }
}

/// Waits for the requests in flight; after `grace` (or when `interrupt` is cancelled) cancels the
/// rest, which then record themselves as cancelled.
async fn drain(
    tasks: &mut JoinSet<()>,
    grace: Duration,
    interrupt: Option<&CancellationToken>,
    abort: &CancellationToken,
) {
    let all_done = async { while tasks.join_next().await.is_some() {} };
    let interrupted = async {
        match interrupt {
            Some(t) => t.cancelled().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = all_done => return,
        _ = tokio::time::sleep(grace) => {}
        _ = interrupted => {}
    }
    abort.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
}

fn show_progress(pb: &ProgressBar, start: Instant, recorder: &Recorder, requests: u64, dropped: u64) {
    let (_, errors) = recorder.progress();
    let elapsed = start.elapsed();
    pb.set_position(elapsed.as_secs());
    let rate = requests as f64 / elapsed.as_secs_f64().max(1e-3);
    pb.set_message(format!(
        "{requests} sent, {errors} errors, {dropped} dropped, {rate:.1} req/s"
    ));
}

fn build_client(target: &ResolvedTarget, cfg: &TrafficConfig) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        // Redirects are never followed: a response must not send traffic to another host.
        .redirect(reqwest::redirect::Policy::none())
        // Proxies from the environment would send the traffic somewhere other than the checked address.
        .no_proxy()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
        .pool_max_idle_per_host(cfg.concurrency)
        .user_agent(USER_AGENT);
    if let Some((host, addrs)) = &target.pinned {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder.build().context("building the HTTP client")
}

/// Expands the endpoint's templates into a request on the target; the path is always appended to
/// the target's own path, so the host and port cannot change.
fn build_request(
    client: &reqwest::Client,
    base: &Url,
    endpoint: &CompiledEndpoint,
    rng: &mut impl Rng,
) -> Result<reqwest::Request, &'static str> {
    let path = endpoint.path.expand(rng);
    let url = join_path(base, &path).ok_or("invalid_url")?;
    let mut req = client.request(endpoint.method.clone(), url);
    if let Some(body) = &endpoint.body {
        req = req.json(&body.expand(rng));
    }
    req.build().map_err(|_| "invalid_request")
}

/// `base` with `path` (which may carry a query) appended to its path; `None` if the result would
/// leave the base's host and port.
pub(crate) fn join_path(base: &Url, path: &str) -> Option<Url> {
    let (p, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), p);
    url.set_path(&joined);
    url.set_query(query);
    url.set_fragment(None);
    (url.host() == base.host() && url.port_or_known_default() == base.port_or_known_default()).then_some(url)
}

async fn send(client: &reqwest::Client, req: reqwest::Request) -> (Outcome, Option<Duration>) {
    let started = Instant::now();
    let result = async {
        let resp = client.execute(req).await?;
        let status = resp.status().as_u16();
        resp.bytes().await?;
        Ok::<u16, reqwest::Error>(status)
    }
    .await;
    match result {
        Ok(status) => (Outcome::Status(status), Some(started.elapsed())),
        Err(e) => (Outcome::Failed(failure_kind(&e)), None),
    }
}

fn failure_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "transport"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_onto_the_target() {
        let base = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join_path(&base, "/api/x?a=1").unwrap().as_str(),
            "http://127.0.0.1:8080/api/x?a=1"
        );
        let prefixed = Url::parse("http://127.0.0.1:8080/shop/").unwrap();
        assert_eq!(
            join_path(&prefixed, "/api").unwrap().as_str(),
            "http://127.0.0.1:8080/shop/api"
        );
        // Tricks that would change the authority stay inside the path.
        for p in ["//evil.example/x", "/@evil.example", "/../../x", "/x#frag"] {
            let u = join_path(&base, p).unwrap();
            assert_eq!(u.host_str(), Some("127.0.0.1"), "{p}");
            assert_eq!(u.port(), Some(8080), "{p}");
        }
    }
}
