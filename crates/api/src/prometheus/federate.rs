//! `/federate`: the newest sample of every series matching `match[]` (within the lookback delta)
//! in the text exposition format, with external labels added, as Prometheus federation serves it.

use crate::error::ApiError;
use crate::json::format_float;
use crate::params::{Params, now_ms, parse_selector};
use crate::state::ApiState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use obslab_model::{Labels, SampleValue, SelectHints};
use std::collections::BTreeMap;
use std::fmt::Write;

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n").replace('"', "\\\"")
}

fn plain_error(code: StatusCode, msg: String) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg + "\n",
    )
        .into_response()
}

/// `GET|POST /federate`.
pub async fn federate(State(st): State<ApiState>, p: Params) -> Response {
    let mut sets = Vec::new();
    for m in p.all("match[]") {
        match parse_selector(m) {
            Ok(alts) => sets.extend(alts),
            Err(e) => return plain_error(StatusCode::BAD_REQUEST, e),
        }
    }
    let now = now_ms();
    let lookback = i64::try_from(st.engine.options().lookback_delta.as_millis()).unwrap_or(300_000);
    let external = st.options.external_labels.clone();
    let q = st.queryable.clone();
    let res = tokio::task::spawn_blocking(move || -> Result<String, ApiError> {
        let hints = SelectHints {
            start: now - lookback,
            end: now,
            ..Default::default()
        };
        let mut latest: BTreeMap<Labels, (i64, f64)> = BTreeMap::new();
        for set in &sets {
            let ss = q
                .select(set, &hints)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            for s in ss.series {
                let mut it = s.iterator();
                let mut last = None;
                while let Some(smp) = it.next_sample() {
                    if smp.t > now {
                        break;
                    }
                    if let SampleValue::Float(v) = smp.value {
                        last = Some((smp.t, v));
                    }
                }
                if let Some((t, v)) = last
                    && !obslab_model::sample::is_stale_nan(v)
                {
                    latest.insert(s.labels().clone(), (t, v));
                }
            }
        }
        Ok(render(&latest, &external))
    })
    .await;
    match res {
        Ok(Ok(body)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            body,
        )
            .into_response(),
        Ok(Err(e)) => plain_error(StatusCode::INTERNAL_SERVER_ERROR, e.message),
        Err(e) => plain_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn render(latest: &BTreeMap<Labels, (i64, f64)>, external: &Labels) -> String {
    // Group by metric name so each family gets one TYPE line.
    let mut by_name: BTreeMap<String, Vec<(Labels, i64, f64)>> = BTreeMap::new();
    for (l, (t, v)) in latest {
        let mut b = l.to_builder();
        for e in external {
            if l.get(&e.name).is_none() {
                b.set(e.name.clone(), e.value.clone());
            }
        }
        let name = l.metric_name().unwrap_or("").to_string();
        by_name.entry(name).or_default().push((b.build(), *t, *v));
    }
    let mut out = String::new();
    for (name, samples) in by_name {
        let _ = writeln!(out, "# TYPE {name} untyped");
        for (l, t, v) in samples {
            out.push_str(&name);
            let rest: Vec<String> = l
                .iter()
                .filter(|x| x.name != obslab_model::METRIC_NAME)
                .map(|x| format!("{}=\"{}\"", x.name, escape(&x.value)))
                .collect();
            if !rest.is_empty() {
                let _ = write!(out, "{{{}}}", rest.join(","));
            }
            let _ = writeln!(out, " {} {t}", format_float(v));
        }
    }
    out
}
