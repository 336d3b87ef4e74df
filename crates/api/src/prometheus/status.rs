//! `/api/v1/status/*`, `/api/v1/metadata`, `/api/v1/targets` and `/api/v1/query_exemplars`.

use crate::error::{ApiError, ApiResult, success};
use crate::params::{MAX_TIME_MS, MIN_TIME_MS, Params};
use crate::state::ApiState;
use axum::extract::State;
use obslab_tsdb::head::StatEntry;
use serde_json::{Map, Value, json};
use std::sync::atomic::Ordering;

/// `GET /api/v1/status/config`.
pub async fn config(State(st): State<ApiState>) -> ApiResult {
    Ok(success(json!({"yaml": st.config_yaml.read().clone()})))
}

/// `GET /api/v1/status/flags`.
pub async fn flags(State(st): State<ApiState>) -> ApiResult {
    let m: Map<String, Value> = st
        .options
        .flags
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Ok(success(Value::Object(m)))
}

/// `GET /api/v1/status/buildinfo`.
pub async fn buildinfo() -> ApiResult {
    Ok(success(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "revision": "",
        "branch": "",
        "buildUser": "",
        "buildDate": "",
        "goVersion": "",
    })))
}

/// `GET /api/v1/status/runtimeinfo`.
pub async fn runtimeinfo(State(st): State<ApiState>) -> ApiResult {
    let (ok, at) = *st.runtime.last_reload.read();
    let cwd = std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    Ok(success(json!({
        "startTime": st.runtime.start_time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "CWD": cwd,
        "reloadConfigSuccess": ok,
        "lastConfigTime": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "corruptionCount": 0,
        "goroutineCount": 0,
        "GOMAXPROCS": threads,
        "GOMEMLIMIT": i64::MAX,
        "GOGC": "",
        "GODEBUG": "",
        "storageRetention": st.options.storage_retention,
    })))
}

fn entries(v: &[StatEntry]) -> Value {
    Value::Array(
        v.iter()
            .map(|e| json!({"name": e.name, "value": e.value}))
            .collect(),
    )
}

/// `GET /api/v1/status/tsdb`: head cardinality statistics (`limit` entries per list, 10 by default).
pub async fn tsdb(State(st): State<ApiState>, p: Params) -> ApiResult {
    let limit = match p.get_nonempty("limit") {
        None => 10,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return Err(ApiError::bad_data("limit must be a positive number")),
        },
    };
    let db = st.db.clone();
    let s = tokio::task::spawn_blocking(move || db.head().status(limit))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(success(json!({
        "headStats": {
            "numSeries": s.num_series,
            "numLabelPairs": s.num_label_pairs,
            "chunkCount": s.chunk_count,
            "minTime": s.min_time,
            "maxTime": s.max_time,
        },
        "seriesCountByMetricName": entries(&s.series_count_by_metric_name),
        "labelValueCountByLabelName": entries(&s.label_value_count_by_label_name),
        "memoryInBytesByLabelName": entries(&s.memory_in_bytes_by_label_name),
        "seriesCountByLabelValuePair": entries(&s.series_count_by_label_value_pair),
    })))
}

/// `GET /api/v1/status/walreplay`: replay is finished before the API starts.
pub async fn walreplay(State(st): State<ApiState>) -> ApiResult {
    let done = st.ready.load(Ordering::Relaxed);
    Ok(success(
        json!({"min": 0, "max": 0, "current": if done { 0 } else { -1 }}),
    ))
}

/// `GET /api/v1/metadata` with `limit`, `limit_per_metric` and `metric`.
pub async fn metadata(State(st): State<ApiState>, p: Params) -> ApiResult {
    let num = |name: &str| -> Result<Option<usize>, ApiError> {
        match p.get_nonempty(name) {
            None => Ok(None),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n < 0 => Ok(None),
                Ok(n) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
                Err(_) => Err(ApiError::bad_data(format!("{name} must be a number"))),
            },
        }
    };
    let limit = num("limit")?;
    let per_metric = num("limit_per_metric")?;
    let metric = p.get_nonempty("metric");
    let mut out = Map::new();
    for (name, list) in st.metadata.snapshot() {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        if metric.is_some_and(|m| m != name) {
            continue;
        }
        let take = per_metric.unwrap_or(usize::MAX);
        let items: Vec<Value> = list
            .iter()
            .take(take)
            .map(|m| json!({"type": m.metric_type, "help": m.help, "unit": m.unit}))
            .collect();
        out.insert(name, Value::Array(items));
    }
    Ok(success(Value::Object(out)))
}

/// `GET /api/v1/targets` with `state=active|dropped|any` and `scrapePool`.
pub async fn targets(State(st): State<ApiState>, p: Params) -> ApiResult {
    let state = p.get("state").unwrap_or("").to_ascii_lowercase();
    let pool = p.get_nonempty("scrapePool");
    let show_active = matches!(state.as_str(), "" | "any" | "active");
    let show_dropped = matches!(state.as_str(), "" | "any" | "dropped");
    let active: Vec<Value> = if show_active {
        let mut t = st.targets.active_targets();
        t.sort_by(|a, b| a.scrape_pool.cmp(&b.scrape_pool));
        t.into_iter()
            .filter(|t| pool.is_none_or(|p| p == t.scrape_pool))
            .map(|t| {
                json!({
                    "discoveredLabels": t.discovered_labels,
                    "labels": t.labels,
                    "scrapePool": t.scrape_pool,
                    "scrapeUrl": t.scrape_url,
                    "globalUrl": t.global_url,
                    "lastError": t.last_error,
                    "lastScrape": t.last_scrape,
                    "lastScrapeDuration": t.last_scrape_duration_seconds,
                    "health": t.health,
                    "scrapeInterval": t.scrape_interval,
                    "scrapeTimeout": t.scrape_timeout,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let dropped: Vec<Value> = if show_dropped {
        st.targets
            .dropped_targets()
            .into_iter()
            .map(|t| json!({"discoveredLabels": t.discovered_labels}))
            .collect()
    } else {
        Vec::new()
    };
    let counts: Map<String, Value> = st
        .targets
        .scrape_pools()
        .into_iter()
        .map(|p| (p, Value::from(0)))
        .collect();
    Ok(success(json!({
        "activeTargets": active,
        "droppedTargets": dropped,
        "droppedTargetCounts": counts,
    })))
}

/// `GET|POST /api/v1/query_exemplars`: parameters are checked; no exemplars are stored yet, so
/// the answer is an empty list.
pub async fn query_exemplars(p: Params) -> ApiResult {
    let start = p.time_or("start", MIN_TIME_MS)?;
    let end = p.time_or("end", MAX_TIME_MS)?;
    if end < start {
        return Err(ApiError::bad_data(
            "end timestamp must not be before start timestamp",
        ));
    }
    obslab_promql::engine::parse_expr(p.get("query").unwrap_or(""))
        .map_err(|e| ApiError::bad_data(e.to_string()))?;
    Ok(success(Value::Array(Vec::new())))
}
