//! One shard's loop: batch, send, back off and retry.

use super::metrics::SenderMetrics;
use super::request::{Endpoint, Outcome, encode_batch};
use super::{Item, QueueSettings};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

pub(crate) async fn run(
    mut rx: mpsc::Receiver<Item>,
    endpoint: Arc<Endpoint>,
    settings: QueueSettings,
    metrics: Arc<SenderMetrics>,
    stopping: Arc<AtomicBool>,
) {
    let mut batch: Vec<Item> = Vec::with_capacity(settings.max_samples_per_send);
    let mut closed = false;
    while !closed || !batch.is_empty() {
        // Fill the batch until it is full, its deadline passes, or the queue closes.
        let deadline = Instant::now() + settings.batch_send_deadline;
        while !closed && batch.len() < settings.max_samples_per_send {
            tokio::select! {
                item = rx.recv() => match item {
                    Some(i) => batch.push(i),
                    None => closed = true,
                },
                _ = sleep_until(deadline), if !batch.is_empty() => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        let n = batch.len() as u64;
        metrics.sub_pending(n);
        send_with_retries(&endpoint, &settings, &metrics, &stopping, encode_batch(&batch), n).await;
        batch.clear();
    }
}

async fn send_with_retries(
    endpoint: &Endpoint,
    settings: &QueueSettings,
    metrics: &SenderMetrics,
    stopping: &AtomicBool,
    body: Vec<u8>,
    n: u64,
) {
    let mut backoff = settings.min_backoff;
    loop {
        match endpoint.send(body.clone(), settings.retry_on_429).await {
            Outcome::Sent { bytes } => {
                metrics.add_sent(n, bytes);
                return;
            }
            Outcome::Failed { reason } => {
                tracing::warn!(remote = %endpoint.name, %reason, samples = n, "remote write batch rejected; dropping it");
                metrics.add_failed(n);
                return;
            }
            Outcome::Retry { reason, after } => {
                if stopping.load(Ordering::Relaxed) {
                    metrics.add_failed(n);
                    return;
                }
                tracing::debug!(remote = %endpoint.name, %reason, "remote write batch failed; retrying");
                metrics.add_retried(n);
                let wait = after.unwrap_or(backoff).min(settings.max_backoff.max(backoff));
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(settings.max_backoff);
            }
        }
    }
}
