//! The shop's SQLite database, shared by api, inventory and worker. Every query runs on the
//! blocking pool inside a client span (`db.system`, `db.operation`, `db.statement`), is timed
//! into `db_query_duration_seconds{operation}`, and first sleeps the db-slow fault's delay.

pub mod schema;
pub mod seed;

use crate::chaos::ChaosState;
use anyhow::Context as _;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::Instrument as _;

/// How long a query waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

fn db_histogram() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    ])
}

/// A handle to the database (cheap to clone).
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    chaos: Arc<ChaosState>,
    duration: Family<OperationLabels, Histogram, fn() -> Histogram>,
}

/// Opens the file with the settings three processes need: WAL and a busy timeout.
pub fn open_connection(path: &Path) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Switching a new file to WAL can answer SQLITE_BUSY without consulting the busy handler when
    // several processes open it at once (as `obslab up` starts them), so retry it here, bounded.
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => break,
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e).context("switching the database to WAL mode"),
        }
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL;")?;
    Ok(conn)
}

/// Creates the schema and seeds an empty database.
pub fn prepare(conn: &mut Connection) -> anyhow::Result<()> {
    conn.execute_batch(schema::SCHEMA)
        .context("creating the schema")?;
    if seed::seed(conn).context("seeding the database")? {
        tracing::info!("database seeded");
    }
    Ok(())
}

/// The SQL verb and the table a statement works on, for span names and labels.
pub fn describe(sql: &str) -> (String, String) {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let verb = words.first().map_or("QUERY".to_string(), |w| w.to_uppercase());
    let after = |kw: &str| {
        words
            .iter()
            .position(|w| w.eq_ignore_ascii_case(kw))
            .and_then(|i| words.get(i + 1))
    };
    let table = match verb.as_str() {
        "INSERT" => after("INTO"),
        "UPDATE" => words.get(1),
        _ => after("FROM"),
    }
    .map(|t| {
        t.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
            .to_string()
    })
    .unwrap_or_default();
    (verb, table)
}

impl Db {
    /// Opens, migrates and seeds the database, and registers the query histogram.
    pub fn open(path: &Path, chaos: Arc<ChaosState>, registry: &mut Registry) -> anyhow::Result<Db> {
        let mut conn = open_connection(path)?;
        prepare(&mut conn)?;
        let duration: Family<OperationLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(db_histogram);
        registry.register(
            "db_query_duration_seconds",
            "Database query latency by operation",
            duration.clone(),
        );
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            chaos,
            duration,
        })
    }

    /// Runs `f` (which executes `sql`) as one traced, timed query.
    pub async fn query<T, F>(&self, sql: &'static str, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (verb, table) = describe(sql);
        let span = tracing::info_span!(
            "db.query",
            otel.name = %format!("{verb} {table}"),
            otel.kind = "client",
            db.system = "sqlite",
            db.operation = %verb,
            db.statement = sql,
            db.sql.table = %table,
            otel.status_code = tracing::field::Empty,
        );
        let start = Instant::now();
        let conn = self.conn.clone();
        let delay = self.chaos.db_delay();
        let result = async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            tokio::task::spawn_blocking(move || {
                let mut conn = conn.lock().unwrap_or_else(|p| p.into_inner());
                f(&mut conn)
            })
            .await
            .map_err(|e| DbError::Task(e.to_string()))?
            .map_err(DbError::from)
        }
        .instrument(span.clone())
        .await;
        if result.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        self.duration
            .get_or_create(&OperationLabels {
                operation: verb.to_lowercase(),
            })
            .observe(start.elapsed().as_secs_f64());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chaos::InitialFaults;

    #[test]
    fn describes_statements() {
        assert_eq!(
            describe("SELECT id FROM products WHERE id = ?1"),
            ("SELECT".into(), "products".into())
        );
        assert_eq!(
            describe("insert into tasks (title) values (?1)"),
            ("INSERT".into(), "tasks".into())
        );
        assert_eq!(
            describe("UPDATE jobs SET status = 'done'"),
            ("UPDATE".into(), "jobs".into())
        );
        assert_eq!(
            describe("DELETE FROM tasks WHERE id = ?1"),
            ("DELETE".into(), "tasks".into())
        );
        assert_eq!(describe(""), ("QUERY".into(), "".into()));
    }

    #[test]
    fn schema_and_seed_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/shop.db");
        for _ in 0..2 {
            let mut conn = open_connection(&path).unwrap();
            prepare(&mut conn).unwrap();
        }
        let conn = open_connection(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, seed::PRODUCTS.len() as i64);
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let low: i64 = conn
            .query_row("SELECT COUNT(*) FROM low_stock_products", [], |r| r.get(0))
            .unwrap();
        let expected = seed::PRODUCTS
            .iter()
            .filter(|p| p.3 < schema::LOW_STOCK_THRESHOLD)
            .count();
        assert_eq!(low, expected as i64);
        for table in ["customers", "login_attempts", "tasks"] {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap();
            assert!(n > 0, "{table} empty");
        }
        let hours: i64 = conn
            .query_row("SELECT COUNT(*) FROM order_stats_hourly", [], |r| r.get(0))
            .unwrap();
        assert_eq!(hours, 0);
    }

    #[test]
    fn concurrent_first_starts_seed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut conn = open_connection(&path).unwrap();
                    prepare(&mut conn).unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let conn = open_connection(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 50);
    }

    #[tokio::test]
    async fn queries_sleep_under_the_db_slow_fault_and_are_timed() {
        let dir = tempfile::tempdir().unwrap();
        let chaos = Arc::new(ChaosState::new(
            "api",
            InitialFaults::parse(r#"{"db_slow":{"delay_ms":150}}"#).unwrap(),
        ));
        let mut registry = Registry::default();
        let db = Db::open(&dir.path().join("shop.db"), chaos.clone(), &mut registry).unwrap();
        let start = Instant::now();
        let n: i64 = db
            .query("SELECT COUNT(*) FROM products", |c| {
                c.query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))
            })
            .await
            .unwrap();
        assert_eq!(n, seed::PRODUCTS.len() as i64);
        assert!(start.elapsed() >= Duration::from_millis(150));
        chaos.reset();
        let err = db
            .query("SELECT nope FROM products", |c| {
                c.query_row("SELECT nope FROM products", [], |r| r.get::<_, i64>(0))
            })
            .await;
        assert!(err.is_err());
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains("db_query_duration_seconds_count{operation=\"select\"} 2"),
            "{text}"
        );
    }
}
