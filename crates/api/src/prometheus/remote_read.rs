//! `POST /api/v1/read`: remote read with the samples response type (snappy-compressed
//! `ReadResponse`), one result per query.

use crate::prompb::{
    self, Label, ReadRequest, ReadResponse, Sample, TimeSeries, snappy_decode, snappy_encode,
};
use crate::state::ApiState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use obslab_model::{MatchOp, Matcher, SampleValue, SelectHints};
use prost::Message;

fn plain(code: StatusCode, msg: String) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg + "\n",
    )
        .into_response()
}

fn matchers(q: &prompb::Query) -> Result<Vec<Matcher>, String> {
    q.matchers
        .iter()
        .map(|m| {
            let op = match m.r#type {
                0 => MatchOp::Equal,
                1 => MatchOp::NotEqual,
                2 => MatchOp::Regex,
                3 => MatchOp::NotRegex,
                t => return Err(format!("invalid matcher type {t}")),
            };
            Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| e.to_string())
        })
        .collect()
}

fn answer(st: &ApiState, req: &ReadRequest) -> Result<ReadResponse, (StatusCode, String)> {
    let mut results = Vec::with_capacity(req.queries.len());
    for q in &req.queries {
        let ms = matchers(q).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
        let hints = SelectHints {
            start: q.start_timestamp_ms,
            end: q.end_timestamp_ms,
            ..Default::default()
        };
        let set = st
            .queryable
            .select(&ms, &hints)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let mut series = Vec::new();
        for s in set.series {
            let mut samples = Vec::new();
            let mut it = s.iterator();
            while let Some(smp) = it.next_sample() {
                if smp.t > q.end_timestamp_ms {
                    break;
                }
                if smp.t < q.start_timestamp_ms {
                    continue;
                }
                if let SampleValue::Float(v) = smp.value {
                    samples.push(Sample {
                        value: v,
                        timestamp: smp.t,
                    });
                }
            }
            let labels = s
                .labels()
                .iter()
                .chain(
                    st.options
                        .external_labels
                        .iter()
                        .filter(|e| s.labels().get(&e.name).is_none()),
                )
                .map(|l| Label {
                    name: l.name.clone(),
                    value: l.value.clone(),
                })
                .collect::<Vec<_>>();
            let mut labels = labels;
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            series.push(TimeSeries {
                labels,
                samples,
                exemplars: Vec::new(),
            });
        }
        results.push(prompb::QueryResult { timeseries: series });
    }
    Ok(ReadResponse { results })
}

/// `POST /api/v1/read`.
pub async fn read(State(st): State<ApiState>, body: Bytes) -> Response {
    let raw = match snappy_decode(&body, st.options.max_body_bytes) {
        Ok(r) => r,
        Err(crate::prompb::SnappyError::TooLarge { .. }) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "decompressed remote read request too large".into(),
            );
        }
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("decoding snappy body: {e}")),
    };
    let req = match ReadRequest::decode(raw.as_slice()) {
        Ok(r) => r,
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!("decoding ReadRequest protobuf: {e}"),
            );
        }
    };
    let st2 = st.clone();
    let res = tokio::task::spawn_blocking(move || answer(&st2, &req)).await;
    match res {
        Ok(Ok(resp)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/x-protobuf"),
                (header::CONTENT_ENCODING, "snappy"),
            ],
            snappy_encode(&resp.encode_to_vec()),
        )
            .into_response(),
        Ok(Err((code, msg))) => plain(code, msg),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
