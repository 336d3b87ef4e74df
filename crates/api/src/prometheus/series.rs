//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/<name>/values`.

use crate::error::{ApiError, ApiResult, success_with};
use crate::json::labels_json;
use crate::params::{MAX_TIME_MS, MIN_TIME_MS, Params, parse_match_params};
use crate::state::ApiState;
use axum::extract::{Path, State};
use obslab_model::{Labels, Matcher, SelectHints, StorageError};
use serde_json::Value;
use std::collections::BTreeSet;

const TRUNCATED: &str = "results truncated due to limit";

fn exec(e: StorageError) -> ApiError {
    ApiError::new(crate::error::ApiErrorKind::Execution, e.to_string())
}

fn hints(start: i64, end: i64) -> SelectHints {
    SelectHints {
        start,
        end,
        func: Some("series".into()),
        ..Default::default()
    }
}

/// Series labels matching any of `sets` within `[start, end]`, deduplicated and sorted.
fn select_labels(
    st: &ApiState,
    sets: &[Vec<Matcher>],
    start: i64,
    end: i64,
) -> Result<BTreeSet<Labels>, ApiError> {
    let mut out = BTreeSet::new();
    for set in sets {
        let ss = st.queryable.select(set, &hints(start, end)).map_err(exec)?;
        for s in ss.series {
            out.insert(s.labels().clone());
        }
    }
    Ok(out)
}

fn truncate<T>(v: &mut Vec<T>, limit: usize, warnings: &mut Vec<String>) {
    if limit > 0 && v.len() > limit {
        v.truncate(limit);
        warnings.push(TRUNCATED.into());
    }
}

/// `GET|POST /api/v1/series`.
pub async fn series(State(st): State<ApiState>, p: Params) -> ApiResult {
    let matches = p.all("match[]");
    if matches.is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let start = p.time_or("start", MIN_TIME_MS)?;
    let end = p.time_or("end", MAX_TIME_MS)?;
    let limit = p.limit()?;
    let sets = parse_match_params(&matches).map_err(|e| ApiError::invalid_param("match[]", e.message))?;
    let found = tokio::task::spawn_blocking(move || select_labels(&st, &sets, start, end))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let mut list: Vec<Value> = found.iter().map(labels_json).collect();
    let mut warnings = Vec::new();
    truncate(&mut list, limit, &mut warnings);
    Ok(success_with(Value::Array(list), warnings, Vec::new()))
}

/// `GET|POST /api/v1/labels`.
pub async fn label_names(State(st): State<ApiState>, p: Params) -> ApiResult {
    let start = p.time_or("start", MIN_TIME_MS)?;
    let end = p.time_or("end", MAX_TIME_MS)?;
    let limit = p.limit()?;
    let sets = parse_match_params(&p.all("match[]"))?;
    let mut names: Vec<String> = tokio::task::spawn_blocking(move || -> Result<Vec<String>, ApiError> {
        if sets.is_empty() {
            return st.queryable.label_names(&[]).map_err(exec);
        }
        let mut names = BTreeSet::new();
        for l in select_labels(&st, &sets, start, end)? {
            names.extend(l.iter().map(|l| l.name.clone()));
        }
        Ok(names.into_iter().collect())
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let mut warnings = Vec::new();
    truncate(&mut names, limit, &mut warnings);
    Ok(success_with(names.into(), warnings, Vec::new()))
}

fn valid_label_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// `GET /api/v1/label/<name>/values`.
pub async fn label_values(State(st): State<ApiState>, Path(name): Path<String>, p: Params) -> ApiResult {
    if !valid_label_name(&name) {
        return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
    }
    let start = p.time_or("start", MIN_TIME_MS)?;
    let end = p.time_or("end", MAX_TIME_MS)?;
    let limit = p.limit()?;
    let sets = parse_match_params(&p.all("match[]"))?;
    let mut values: Vec<String> = tokio::task::spawn_blocking(move || -> Result<Vec<String>, ApiError> {
        if sets.is_empty() {
            return st.queryable.label_values(&name, &[]).map_err(exec);
        }
        let mut vals = BTreeSet::new();
        for l in select_labels(&st, &sets, start, end)? {
            if let Some(v) = l.get(&name) {
                vals.insert(v.to_string());
            }
        }
        Ok(vals.into_iter().collect())
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let mut warnings = Vec::new();
    truncate(&mut values, limit, &mut warnings);
    Ok(success_with(values.into(), warnings, Vec::new()))
}
