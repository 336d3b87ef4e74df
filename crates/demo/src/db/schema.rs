//! The shop's tables and views, created on first start. Every statement is idempotent, so the
//! three processes sharing the file may all run it.

/// Stock below this counts as low (the `low_stock_products` view and inventory's warnings).
pub const LOW_STOCK_THRESHOLD: i64 = 10;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS products (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    category    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price       REAL NOT NULL CHECK (price >= 0),
    stock       INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS customers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL,
    status         TEXT NOT NULL,
    total          REAL NOT NULL,
    payment_method TEXT NOT NULL,
    payment_id     TEXT,
    items          TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_created_at ON orders (created_at);
CREATE TABLE IF NOT EXISTS login_attempts (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL,
    ip         TEXT NOT NULL,
    success    INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    done       INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    traceparent TEXT,
    worker      TEXT,
    error       TEXT,
    created_at  TEXT NOT NULL,
    claimed_at  TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, id);
CREATE VIEW IF NOT EXISTS low_stock_products AS
    SELECT id, name, category, stock FROM products WHERE stock < 10 ORDER BY stock, id;
CREATE VIEW IF NOT EXISTS order_stats_hourly AS
    SELECT substr(created_at, 1, 13) || ':00:00Z' AS hour,
           COUNT(*) AS orders,
           SUM(CASE WHEN status IN ('confirmed', 'fulfilled') THEN 1 ELSE 0 END) AS succeeded,
           SUM(CASE WHEN status IN ('confirmed', 'fulfilled') THEN 0 ELSE 1 END) AS failed,
           ROUND(SUM(CASE WHEN status IN ('confirmed', 'fulfilled') THEN total ELSE 0 END), 2) AS revenue
    FROM orders GROUP BY hour ORDER BY hour;
";
