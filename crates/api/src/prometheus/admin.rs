//! `/api/v1/admin/tsdb/*`: delete series, clean tombstones, snapshot. Answered only when the admin
//! API is enabled, otherwise with Prometheus's "admin APIs disabled".

use crate::error::{ApiError, ApiErrorKind, ApiResult, success};
use crate::params::{MAX_TIME_MS, MIN_TIME_MS, Params, parse_match_params};
use crate::state::ApiState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use obslab_tsdb::block::{BlockSeries, write_block};
use obslab_tsdb::series::block_chunks;
use serde_json::json;

fn enabled(st: &ApiState) -> Result<(), ApiError> {
    if st.options.enable_admin_api {
        Ok(())
    } else {
        Err(ApiError::new(ApiErrorKind::Unavailable, "admin APIs disabled"))
    }
}

fn blocking_err(e: tokio::task::JoinError) -> ApiError {
    ApiError::internal(e.to_string())
}

/// `POST|PUT /api/v1/admin/tsdb/delete_series`: tombstones for matching series in `[start, end]`.
pub async fn delete_series(State(st): State<ApiState>, p: Params) -> ApiResult {
    enabled(&st)?;
    let matches = p.all("match[]");
    if matches.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let start = p.time_or("start", MIN_TIME_MS)?;
    let end = p.time_or("end", MAX_TIME_MS)?;
    let sets = parse_match_params(&matches)?;
    let db = st.db.clone();
    tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        for set in &sets {
            db.delete(set, start, end)
                .map_err(|e| ApiError::internal(format!("delete series: {e}")))?;
        }
        Ok(())
    })
    .await
    .map_err(blocking_err)??;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST|PUT /api/v1/admin/tsdb/clean_tombstones`: a compaction pass, which rewrites blocks that
/// carry tombstones.
pub async fn clean_tombstones(State(st): State<ApiState>) -> ApiResult {
    enabled(&st)?;
    let db = st.db.clone();
    tokio::task::spawn_blocking(move || db.compact())
        .await
        .map_err(blocking_err)?
        .map_err(|e| ApiError::internal(format!("clean tombstones: {e}")))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST|PUT /api/v1/admin/tsdb/snapshot`: writes everything (or, with `skip_head=true`, the
/// persisted blocks only) as one block under `<data dir>/snapshots/<name>/`.
pub async fn snapshot(State(st): State<ApiState>, p: Params) -> ApiResult {
    enabled(&st)?;
    let skip_head = match p.get_nonempty("skip_head") {
        None => false,
        Some(s) => s
            .parse::<bool>()
            .map_err(|e| ApiError::bad_data(format!("unable to parse boolean 'skip_head' argument: {e}")))?,
    };
    let db = st.db.clone();
    let name = tokio::task::spawn_blocking(move || write_snapshot(&db, skip_head))
        .await
        .map_err(blocking_err)??;
    Ok(success(json!({"name": name})))
}

fn write_snapshot(db: &obslab_tsdb::Db, skip_head: bool) -> Result<String, ApiError> {
    let name = format!(
        "{}-{:016x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        rand_u64()
    );
    let dir = db.dir().join("snapshots").join(&name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApiError::internal(format!("create snapshot directory {}: {e}", dir.display())))?;
    let (mint, maxt) = if skip_head {
        let blocks = db.blocks();
        let lo = blocks.iter().map(|b| b.meta().min_time).min();
        let hi = blocks.iter().map(|b| b.meta().max_time).max();
        match (lo, hi) {
            (Some(lo), Some(hi)) => (lo, hi - 1),
            _ => return Ok(name),
        }
    } else {
        (i64::MIN / 2, i64::MAX / 2)
    };
    let series = db
        .querier(mint, maxt)
        .select(&[])
        .map_err(|e| ApiError::internal(format!("snapshot: {e}")))?;
    let block_series: Vec<BlockSeries> = series
        .iter()
        .map(|s| BlockSeries {
            labels: s.labels.clone(),
            chunks: block_chunks(s),
        })
        .filter(|s| !s.chunks.is_empty())
        .collect();
    if block_series.is_empty() {
        return Ok(name);
    }
    let lo = block_series
        .iter()
        .flat_map(|s| s.chunks.iter().map(|c| c.mint))
        .min()
        .unwrap_or(0);
    let hi = block_series
        .iter()
        .flat_map(|s| s.chunks.iter().map(|c| c.maxt))
        .max()
        .unwrap_or(0);
    write_block(&dir, lo, hi + 1, &block_series, None)
        .map_err(|e| ApiError::internal(format!("snapshot: {e}")))?;
    Ok(name)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}
