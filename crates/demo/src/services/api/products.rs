//! Products, read through a small in-process cache (`cache_hits_total{result}`).

use super::{ApiState, ResultLabels};
use crate::db::DbError;
use crate::http_util::{ApiError, parse_id};
use axum::Json;
use axum::extract::{Path, Query, State};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a cached product stays fresh.
const CACHE_TTL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub description: String,
    pub price: f64,
    pub stock: i64,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: r.get(0)?,
        name: r.get(1)?,
        category: r.get(2)?,
        description: r.get(3)?,
        price: r.get(4)?,
        stock: r.get(5)?,
    })
}

/// Products by id, each fresh for [`CACHE_TTL`].
#[derive(Debug, Default)]
pub struct ProductCache {
    entries: Mutex<HashMap<i64, (Product, Instant)>>,
}

impl ProductCache {
    pub fn get(&self, id: i64, now: Instant) -> Option<Product> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&id)
            .filter(|(_, at)| now.duration_since(*at) < CACHE_TTL)
            .map(|(p, _)| p.clone())
    }

    pub fn put(&self, p: Product, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (_, at)| now.duration_since(*at) < CACHE_TTL);
        entries.insert(p.id, (p, now));
    }
}

/// One product, from the cache or the database.
pub async fn find(s: &ApiState, id: i64) -> Result<Option<Product>, DbError> {
    let now = Instant::now();
    let count = |result: &str| {
        s.metrics
            .cache
            .get_or_create(&ResultLabels {
                result: result.into(),
            })
            .inc();
    };
    if let Some(p) = s.cache.get(id, now) {
        count("hit");
        return Ok(Some(p));
    }
    count("miss");
    const SQL: &str = "SELECT id, name, category, description, price, stock FROM products WHERE id = ?1";
    let found =
        s.db.query(SQL, move |c| {
            c.prepare_cached(SQL)?.query_row([id], from_row).optional()
        })
        .await?;
    if let Some(p) = &found {
        s.cache.put(p.clone(), now);
    }
    Ok(found)
}

/// GET /api/products[?category=]
pub async fn list(
    State(s): State<ApiState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Product>>, ApiError> {
    const SQL: &str = "SELECT id, name, category, description, price, stock FROM products ORDER BY id";
    let all =
        s.db.query(SQL, |c| {
            let mut stmt = c.prepare_cached(SQL)?;
            let rows = stmt.query_map([], from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    let wanted = q.get("category");
    Ok(Json(
        all.into_iter()
            .filter(|p| wanted.is_none_or(|c| &p.category == c))
            .collect(),
    ))
}

/// GET /api/products/{id}
pub async fn one(State(s): State<ApiState>, Path(raw): Path<String>) -> Result<Json<Product>, ApiError> {
    let id = parse_id(&raw)?;
    find(&s, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("product {id} not found")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: i64) -> Product {
        Product {
            id,
            name: "Mug".into(),
            category: "kitchen".into(),
            description: String::new(),
            price: 12.0,
            stock: 3,
        }
    }

    #[test]
    fn cache_entries_expire() {
        let c = ProductCache::default();
        let t0 = Instant::now();
        assert!(c.get(1, t0).is_none());
        c.put(product(1), t0);
        assert_eq!(c.get(1, t0 + Duration::from_secs(1)), Some(product(1)));
        assert!(c.get(1, t0 + CACHE_TTL).is_none());
        assert!(c.get(2, t0).is_none());
    }
}
