//! `/api/v1/query` and `/api/v1/query_range`: parameter checks in Prometheus's order and wording,
//! evaluation on a blocking thread under the request's timeout.

use crate::error::{ApiError, ApiErrorKind, ApiResult, success_with};
use crate::json::query_data;
use crate::params::{Params, now_ms, parse_duration_ms, parse_time};
use crate::state::ApiState;
use axum::extract::State;
use obslab_promql::{Engine, QueryError, QueryResult, QueryValue};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The most points per series a range query may ask for.
const MAX_POINTS: i64 = 11_000;

fn timeout_param(p: &Params, engine: &Engine) -> Result<Duration, ApiError> {
    let default = engine.options().timeout;
    match p.get_nonempty("timeout") {
        None => Ok(default),
        Some(s) => {
            let ms = parse_duration_ms(s).map_err(|e| ApiError::invalid_param("timeout", e))?;
            let d = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
            Ok(d.min(default))
        }
    }
}

/// Maps an engine error to the API: parse errors name the `query` parameter, as Prometheus does.
fn query_error(e: QueryError) -> ApiError {
    match e {
        QueryError::Parse(m) => ApiError::invalid_param("query", m),
        other => ApiError::from_query(other),
    }
}

async fn run(
    st: &ApiState,
    timeout: Duration,
    f: impl FnOnce(&Engine, &dyn obslab_model::Queryable) -> Result<QueryResult, QueryError> + Send + 'static,
) -> Result<(QueryResult, Duration), ApiError> {
    let mut opts = st.engine.options().clone();
    opts.timeout = timeout;
    let engine = Engine::new(opts);
    let q = st.queryable.clone();
    let started = Instant::now();
    let task = tokio::task::spawn_blocking(move || f(&engine, q.as_ref()));
    // The engine checks its own deadline; this bound covers a store that blocks.
    let joined = tokio::time::timeout(timeout + Duration::from_secs(1), task)
        .await
        .map_err(|_| ApiError::new(ApiErrorKind::Timeout, "query timed out in query execution"))?;
    let res = joined
        .map_err(|e| ApiError::internal(format!("query task failed: {e}")))?
        .map_err(query_error)?;
    Ok((res, started.elapsed()))
}

fn stats_json(res: &QueryResult, took: Duration, all: bool) -> Value {
    let secs = took.as_secs_f64();
    let samples: usize = match &res.value {
        QueryValue::Vector(v) => v.len(),
        QueryValue::Matrix(m) => m.iter().map(|s| s.points.len()).sum(),
        _ => 1,
    };
    let mut s = json!({
        "timings": {
            "evalTotalTime": secs,
            "resultSortTime": 0,
            "queryPreparationTime": 0,
            "innerEvalTime": secs,
            "execQueueTime": 0,
            "execTotalTime": secs,
        },
        "samples": {"totalQueryableSamples": samples, "peakSamples": samples},
    });
    if all {
        s["samples"]["totalQueryableSamplesPerStep"] = json!([]);
    }
    s
}

fn respond(p: &Params, res: QueryResult, took: Duration) -> ApiResult {
    let mut data = query_data(&res.value);
    if let Some(stats) = p.get_nonempty("stats") {
        data["stats"] = stats_json(&res, took, stats == "all");
    }
    Ok(success_with(data, res.warnings, res.infos))
}

/// `GET|POST /api/v1/query`.
pub async fn instant(State(st): State<ApiState>, p: Params) -> ApiResult {
    let ts = p.time_or("time", now_ms())?;
    let timeout = timeout_param(&p, &st.engine)?;
    let query = p.get("query").unwrap_or("").to_string();
    let (res, took) = run(&st, timeout, move |e, q| e.instant_query(q, &query, ts)).await?;
    respond(&p, res, took)
}

/// `GET|POST /api/v1/query_range`.
pub async fn range(State(st): State<ApiState>, p: Params) -> ApiResult {
    let start = parse_time(p.get("start").unwrap_or("")).map_err(|e| ApiError::invalid_param("start", e))?;
    let end = parse_time(p.get("end").unwrap_or("")).map_err(|e| ApiError::invalid_param("end", e))?;
    if end < start {
        return Err(ApiError::invalid_param(
            "end",
            "end timestamp must not be before start time",
        ));
    }
    let step =
        parse_duration_ms(p.get("step").unwrap_or("")).map_err(|e| ApiError::invalid_param("step", e))?;
    if step <= 0 {
        return Err(ApiError::invalid_param(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    if (end - start) / step > MAX_POINTS {
        return Err(ApiError::bad_data(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    let timeout = timeout_param(&p, &st.engine)?;
    let query = p.get("query").unwrap_or("").to_string();
    let (res, took) = run(&st, timeout, move |e, q| {
        e.range_query(q, &query, start, end, step)
    })
    .await?;
    respond(&p, res, took)
}

/// `GET|POST /api/v1/format_query`: the query pretty-printed.
pub async fn format(p: Params) -> ApiResult {
    let q = p.get("query").unwrap_or("");
    let expr = obslab_promql::engine::parse_expr(q).map_err(query_error)?;
    Ok(crate::error::success(Value::String(expr.prettify())))
}
