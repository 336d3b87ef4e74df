//! One target's scrape loop: wait for the target's offset in the interval, then fetch, hand the
//! response to [`ScrapeState`] and record the outcome for the targets view.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::AppenderFactory;
use super::fetch::{RequestSettings, fetch};
use super::metadata::families;
use super::view::{Health, MetricMetadata};
use crate::target::{ScrapeResult, ScrapeSettings, ScrapeState, Target};

/// What the targets view shows of a loop, updated after every scrape.
#[derive(Debug, Clone, Default)]
pub struct TargetStatus {
    pub health: Health,
    pub last_error: String,
    pub last_scrape: Option<DateTime<Utc>>,
    pub last_duration: Duration,
    /// Metric families of the last successful scrape.
    pub metadata: BTreeMap<String, MetricMetadata>,
}

/// Everything a loop needs, fixed for its lifetime.
pub(crate) struct LoopSpec {
    pub target: Target,
    pub url: String,
    pub interval: Duration,
    pub offset: Duration,
    pub settings: ScrapeSettings,
    pub request: Arc<RequestSettings>,
    pub client: reqwest::Client,
    pub factory: AppenderFactory,
    pub status: Arc<Mutex<TargetStatus>>,
}

/// A running loop.
pub(crate) struct LoopHandle {
    pub target: Target,
    pub url: String,
    pub status: Arc<Mutex<TargetStatus>>,
    pub interval: Duration,
    pub timeout: Duration,
    cancel: CancellationToken,
    stale_on_stop: Arc<AtomicBool>,
    join: JoinHandle<()>,
}

impl LoopHandle {
    pub fn start(spec: LoopSpec, timeout: Duration) -> Self {
        let cancel = CancellationToken::new();
        let stale_on_stop = Arc::new(AtomicBool::new(true));
        LoopHandle {
            target: spec.target.clone(),
            url: spec.url.clone(),
            status: spec.status.clone(),
            interval: spec.interval,
            timeout,
            cancel: cancel.clone(),
            stale_on_stop: stale_on_stop.clone(),
            join: tokio::spawn(run(spec, cancel, stale_on_stop)),
        }
    }

    /// Stops the loop; with `stale` its series get staleness markers (the target is gone).
    /// Returns once the loop has ended.
    pub async fn stop(self, stale: bool) {
        self.stale_on_stop.store(stale, Ordering::SeqCst);
        self.cancel.cancel();
        let _ = self.join.await;
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Where in the interval a target is scraped: its hash spreads targets over the interval, and
/// the phase stays the same across restarts, as in Prometheus.
pub fn scrape_offset(hash: u64, interval: Duration, now: SystemTime) -> Duration {
    let iv = interval.as_nanos().max(1);
    let now_ns = now.duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let base = iv - now_ns % iv;
    let mut next = base + u128::from(hash) % iv;
    if next > iv {
        next -= iv;
    }
    Duration::from_nanos(u64::try_from(next).unwrap_or(u64::MAX))
}

async fn run(spec: LoopSpec, cancel: CancellationToken, stale_on_stop: Arc<AtomicBool>) {
    let mut state = ScrapeState::new(spec.target.public_labels(), spec.settings.clone());
    tokio::select! {
        _ = cancel.cancelled() => return,
        _ = tokio::time::sleep(spec.offset) => {}
    }
    let mut ticker = tokio::time::interval(spec.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let started = Instant::now();
        let t = now_ms();
        let wall = Utc::now();
        let result = tokio::select! {
            _ = cancel.cancelled() => break,
            r = fetch(&spec.client, &spec.url, &spec.request) => r,
        };
        let duration = started.elapsed();
        let mut app = (spec.factory)();
        let (report, meta) = match &result {
            Ok(f) => {
                let ct = f.content_type.as_deref();
                let rep = state.process(
                    app.as_mut(),
                    ScrapeResult::Body {
                        body: &f.body,
                        content_type: ct,
                    },
                    t,
                    duration,
                );
                let meta = if rep.up { Some(families(&f.body, ct)) } else { None };
                (rep, meta)
            }
            Err(e) => (
                state.process(app.as_mut(), ScrapeResult::Failed(e), t, duration),
                None,
            ),
        };
        if let Ok(mut st) = spec.status.lock() {
            st.health = if report.up { Health::Up } else { Health::Down };
            st.last_error = report.error.unwrap_or_default();
            st.last_scrape = Some(wall);
            st.last_duration = duration;
            if let Some(m) = meta {
                st.metadata = m;
            }
        }
    }
    if stale_on_stop.load(Ordering::SeqCst) {
        let mut app = (spec.factory)();
        let _ = state.mark_all_stale(app.as_mut(), now_ms());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_stay_inside_the_interval_and_depend_on_the_hash() {
        let iv = Duration::from_secs(10);
        let now = UNIX_EPOCH + Duration::from_millis(1_234_567);
        let a = scrape_offset(1, iv, now);
        let b = scrape_offset(5_000_000_000, iv, now);
        assert!(a <= iv && b <= iv);
        assert_ne!(a, b);
        // The phase (now + offset) mod interval is the hash mod interval.
        let phase = |o: Duration| ((now.duration_since(UNIX_EPOCH).unwrap() + o).as_nanos()) % iv.as_nanos();
        assert_eq!(phase(b), 5_000_000_000 % iv.as_nanos());
    }
}
