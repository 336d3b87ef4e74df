//! worker: fulfils orders from the jobs table. Jobs are claimed with one atomic UPDATE, so
//! several workers never take the same job; a job left running by a dead worker goes back to the
//! queue after a while. The worker continues the trace of the order that enqueued the job.

use crate::cli::RunArgs;
use crate::db::{Db, DbError};
use crate::server::Shell;
use crate::telemetry::propagation;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use rusqlite::{OptionalExtension, params};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Pause between polls of an empty queue.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// A job running longer than this belonged to a worker that died; it is queued again.
const STALE_AFTER_S: i64 = 60;
/// Jobs processed at the same time.
const CONCURRENCY: usize = 4;
/// Share of jobs that fail.
const FAILURE_RATE: f64 = 0.05;

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub traceparent: Option<String>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone)]
struct WorkerMetrics {
    depth: Gauge,
    processed: Family<StatusLabels, Counter>,
    duration: Histogram,
}

/// The worker has no application routes; it starts the job loop.
pub fn app(args: &RunArgs, shell: &mut Shell) -> anyhow::Result<Router> {
    let db = Db::open(&args.db, shell.chaos.clone(), &mut shell.registry)?;
    let metrics = WorkerMetrics {
        depth: Gauge::default(),
        processed: Family::default(),
        duration: Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
    };
    let r = &mut shell.registry;
    r.register(
        "worker_queue_depth",
        "Jobs waiting in the queue",
        metrics.depth.clone(),
    );
    r.register(
        "worker_jobs_processed",
        "Jobs processed by outcome",
        metrics.processed.clone(),
    );
    r.register(
        "worker_job_duration_seconds",
        "Time to process one job",
        metrics.duration.clone(),
    );
    let name = format!("worker-{}", std::process::id());
    tokio::spawn(run_loop(db, metrics, name, shell.cancel.clone()));
    Ok(Router::new())
}

/// Claims the oldest pending job, atomically.
pub async fn claim(db: &Db, worker: &str) -> Result<Option<Job>, DbError> {
    const SQL: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, worker = ?1, claimed_at = ?2 \
        WHERE id = (SELECT id FROM jobs WHERE status = 'pending' ORDER BY id LIMIT 1) \
        RETURNING id, kind, payload, traceparent";
    let (worker, now) = (worker.to_string(), super::now_rfc3339());
    db.query(SQL, move |c| {
        c.prepare_cached(SQL)?
            .query_row(params![worker, now], |r| {
                Ok(Job {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    payload: r.get(2)?,
                    traceparent: r.get(3)?,
                })
            })
            .optional()
    })
    .await
}

/// Records the end of a job (and marks a fulfilled order).
pub async fn finish(db: &Db, job: &Job, error: Option<String>) -> Result<(), DbError> {
    const SQL: &str = "UPDATE jobs SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1";
    let (id, now) = (job.id, super::now_rfc3339());
    let order_id = serde_json::from_str::<serde_json::Value>(&job.payload)
        .ok()
        .and_then(|v| v["order_id"].as_i64());
    db.query(SQL, move |c| {
        let tx = c.transaction()?;
        let status = if error.is_some() { "failed" } else { "done" };
        tx.execute(SQL, params![id, status, error, now])?;
        if let (None, Some(order_id)) = (&error, order_id) {
            tx.execute(
                "UPDATE orders SET status = 'fulfilled', updated_at = ?2 WHERE id = ?1 AND status = 'confirmed'",
                params![order_id, now],
            )?;
        }
        tx.commit()
    })
    .await
}

async fn queue_depth(db: &Db) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COUNT(*) FROM jobs WHERE status = 'pending'";
    db.query(SQL, |c| c.query_row(SQL, [], |r| r.get(0))).await
}

async fn requeue_stale(db: &Db) -> Result<usize, DbError> {
    const SQL: &str = "UPDATE jobs SET status = 'pending', worker = NULL \
        WHERE status = 'running' AND claimed_at < ?1";
    let cutoff = (chrono::Utc::now() - chrono::Duration::seconds(STALE_AFTER_S))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    db.query(SQL, move |c| c.execute(SQL, [cutoff])).await
}

async fn process(db: &Db, m: &WorkerMetrics, job: Job) {
    let span = tracing::info_span!(
        "job",
        otel.name = %format!("process {}", job.kind),
        otel.kind = "consumer",
        job.id = job.id,
        job.kind = %job.kind,
        otel.status_code = tracing::field::Empty,
    );
    if let Some(tp) = &job.traceparent {
        let _ = span.set_parent(propagation::from_traceparent(tp));
    }
    async {
        let start = Instant::now();
        tokio::time::sleep(super::random_ms(50, 500)).await;
        let error = (rand::random::<f64>() < FAILURE_RATE).then(|| {
            let reasons = [
                "carrier rejected the shipment",
                "address validation failed",
                "label printer offline",
            ];
            reasons[rand::random_range(0..reasons.len())].to_string()
        });
        let status = if error.is_some() { "failed" } else { "done" };
        if let Err(e) = finish(db, &job, error.clone()).await {
            tracing::error!(job_id = job.id, error = %e, "recording the job result failed");
        }
        let secs = start.elapsed().as_secs_f64();
        m.duration.observe(secs);
        m.processed
            .get_or_create(&StatusLabels {
                status: status.into(),
            })
            .inc();
        let duration_ms = (secs * 1000.0).round();
        match error {
            Some(reason) => {
                tracing::Span::current().record("otel.status_code", "ERROR");
                tracing::error!(
                    job_id = job.id,
                    kind = job.kind,
                    duration_ms,
                    reason,
                    "job failed"
                );
            }
            None => tracing::info!(job_id = job.id, kind = job.kind, duration_ms, "job done"),
        }
    }
    .instrument(span)
    .await
}

async fn run_loop(db: Db, m: WorkerMetrics, name: String, cancel: CancellationToken) {
    let mut last_requeue: Option<Instant> = None;
    let mut jobs = tokio::task::JoinSet::new();
    while !cancel.is_cancelled() {
        if last_requeue.is_none_or(|t| t.elapsed() > Duration::from_secs(30)) {
            last_requeue = Some(Instant::now());
            match requeue_stale(&db).await {
                Ok(n) if n > 0 => tracing::warn!(jobs = n, "requeued stale jobs"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "requeueing stale jobs failed"),
            }
        }
        match queue_depth(&db).await {
            Ok(n) => {
                m.depth.set(n);
            }
            Err(e) => tracing::error!(error = %e, "reading the queue depth failed"),
        }
        // Finished jobs leave the set; a full set waits for one before claiming more.
        while jobs.try_join_next().is_some() {}
        if jobs.len() >= CONCURRENCY {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = jobs.join_next() => {}
            }
            continue;
        }
        let claimed = match claim(&db, &name).await {
            Ok(job) => job,
            Err(e) => {
                tracing::error!(error = %e, "claiming a job failed");
                None
            }
        };
        match claimed {
            Some(job) => {
                let (db, m) = (db.clone(), m.clone());
                jobs.spawn(async move { process(&db, &m, job).await });
            }
            None => {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(POLL_EVERY) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::{ChaosState, InitialFaults};
    use prometheus_client::registry::Registry;
    use std::sync::Arc;

    async fn db(dir: &tempfile::TempDir) -> Db {
        let chaos = Arc::new(ChaosState::new("worker", InitialFaults::default()));
        Db::open(&dir.path().join("shop.db"), chaos, &mut Registry::default()).unwrap()
    }

    #[tokio::test]
    async fn jobs_are_claimed_once_and_finished() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(&dir).await;
        db.query("INSERT INTO jobs", |c| {
            c.execute(
                "INSERT INTO orders (customer_id, status, total, payment_method, items, created_at, updated_at) \
                 VALUES (1, 'confirmed', 5.0, 'card', '[]', 't', 't')",
                [],
            )?;
            for _ in 0..2 {
                c.execute(
                    "INSERT INTO jobs (kind, payload, created_at) VALUES ('fulfil_order', '{\"order_id\":1}', 't')",
                    [],
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(queue_depth(&db).await.unwrap(), 2);
        let a = claim(&db, "w1").await.unwrap().unwrap();
        let b = claim(&db, "w2").await.unwrap().unwrap();
        assert_ne!(a.id, b.id);
        assert!(claim(&db, "w3").await.unwrap().is_none());
        finish(&db, &a, None).await.unwrap();
        finish(&db, &b, Some("boom".into())).await.unwrap();
        let (order_status, done, failed): (String, i64, i64) = db
            .query("SELECT status FROM orders", |c| {
                c.query_row(
                    "SELECT (SELECT status FROM orders WHERE id = 1), \
                     (SELECT COUNT(*) FROM jobs WHERE status = 'done'), \
                     (SELECT COUNT(*) FROM jobs WHERE status = 'failed')",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
            })
            .await
            .unwrap();
        assert_eq!((order_status.as_str(), done, failed), ("fulfilled", 1, 1));
    }

    #[tokio::test]
    async fn stale_running_jobs_go_back_to_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let db = db(&dir).await;
        db.query("INSERT INTO jobs", |c| {
            c.execute(
                "INSERT INTO jobs (kind, payload, status, claimed_at, created_at) \
                 VALUES ('fulfil_order', '{}', 'running', '2000-01-01T00:00:00Z', 't')",
                [],
            )
        })
        .await
        .unwrap();
        assert_eq!(requeue_stale(&db).await.unwrap(), 1);
        assert_eq!(queue_depth(&db).await.unwrap(), 1);
    }
}
