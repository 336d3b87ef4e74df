//! `POST /api/v1/write`: the remote-write receiver for protocol 1.0 (`prometheus.WriteRequest`)
//! and 2.0 (`io.prometheus.write.v2.Request`), snappy-compressed protobuf.
//!
//! Samples go through one tsdb appender and the request is acknowledged (204) only after the
//! commit made them durable. As in Prometheus, a 1.0 request with an out-of-order, duplicate or
//! too-old sample is rejected whole with 400 (so senders do not retry it); a 2.0 request keeps
//! the samples that could be appended, reports the others with 400 and says in the
//! `X-Prometheus-Remote-Write-*-Written` headers how much was written.

use crate::prompb::{RequestV2, WriteRequest, metric_type_name, snappy_decode};
use crate::state::ApiState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use obslab_model::{Labels, LabelsBuilder};
use obslab_tsdb::Error as TsdbError;
use prost::Message;

const V1_PROTO: &str = "prometheus.WriteRequest";
const V2_PROTO: &str = "io.prometheus.write.v2.Request";
const SAMPLES_WRITTEN: &str = "X-Prometheus-Remote-Write-Samples-Written";
const HISTOGRAMS_WRITTEN: &str = "X-Prometheus-Remote-Write-Histograms-Written";
const EXEMPLARS_WRITTEN: &str = "X-Prometheus-Remote-Write-Exemplars-Written";

fn plain(code: StatusCode, msg: impl Into<String>) -> Response {
    let mut m = msg.into();
    m.push('\n');
    (code, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], m).into_response()
}

/// Which message a request carries, from its `Content-Type` (`proto=` parameter).
fn negotiate(headers: &HeaderMap) -> Result<bool, String> {
    let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return Ok(false);
    };
    let mut parts = ct.trim().split(';').map(str::trim);
    let media = parts.next().unwrap_or("");
    if media != "application/x-protobuf" {
        return Err(format!(
            "expected application/x-protobuf as the first (media) part, got {ct} content-type"
        ));
    }
    for p in parts {
        if let Some(proto) = p.strip_prefix("proto=") {
            return match proto.trim_matches('"') {
                V1_PROTO => Ok(false),
                V2_PROTO => Ok(true),
                other => Err(format!("unknown remote write protobuf message {other:?}")),
            };
        }
    }
    Ok(false)
}

/// Why appending a batch failed.
enum WriteError {
    /// Out of order, duplicate or too old: the sender must not retry.
    BadSample(String),
    Internal(String),
}

fn classify(e: TsdbError, labels: &Labels, t: i64) -> WriteError {
    match e {
        TsdbError::OutOfOrderSample | TsdbError::DuplicateSample | TsdbError::OutOfBounds => {
            WriteError::BadSample(format!("{e} for series {labels} at timestamp {t}"))
        }
        TsdbError::InvalidSeries(_) | TsdbError::Limit(_) => WriteError::BadSample(e.to_string()),
        other => WriteError::Internal(other.to_string()),
    }
}

/// Label sets need a metric name and no duplicate or empty names (Prometheus's validity check).
fn build_labels<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Result<Labels, String> {
    let mut b = LabelsBuilder::default();
    let mut seen = std::collections::HashSet::new();
    for (n, v) in pairs {
        if n.is_empty() {
            return Err("label name is empty".into());
        }
        if !seen.insert(n) {
            return Err(format!("duplicate label name {n:?}"));
        }
        b.set(n, v);
    }
    let l = b.build();
    if l.metric_name().is_none() {
        return Err(format!("invalid metric name or labels, got {l}"));
    }
    Ok(l)
}

/// Decoded series: labels (or why they are invalid) and samples.
type Batch = Vec<(Result<Labels, String>, Vec<(i64, f64)>)>;

/// Samples further ahead than this are out of bounds, as in Prometheus's receiver.
const MAX_AHEAD_MS: i64 = 10 * 60 * 1000;

/// Appends all samples then commits. With `partial` (2.0), bad samples and invalid series are
/// skipped and reported; otherwise (1.0) invalid series are skipped silently and the first bad
/// sample discards the whole batch.
fn append(st: &ApiState, batch: &Batch, partial: bool) -> (usize, Vec<String>, Result<(), WriteError>) {
    let max_t = crate::params::now_ms() + MAX_AHEAD_MS;
    let mut app = st.db.appender();
    let mut written = Vec::new();
    let mut bad = Vec::new();
    for (labels, samples) in batch {
        let labels = match labels {
            Ok(l) => l,
            Err(e) => {
                if partial {
                    bad.push(e.clone());
                }
                continue;
            }
        };
        let mut r: Option<u64> = None;
        for &(t, v) in samples {
            let res = if t > max_t {
                Err(TsdbError::OutOfBounds)
            } else {
                match r {
                    Some(id) => app.append_ref(id, t, v),
                    None => app.append(labels, t, v).map(|id| {
                        r = Some(id);
                    }),
                }
            };
            match res {
                Ok(()) => written.push((labels.clone(), t, v)),
                Err(e) => match classify(e, labels, t) {
                    WriteError::BadSample(m) if partial => bad.push(m),
                    err => return (0, bad, Err(err)),
                },
            }
        }
    }
    if let Err(e) = app.commit() {
        return (0, bad, Err(WriteError::Internal(format!("commit: {e}"))));
    }
    if !written.is_empty() {
        for h in &st.append_hooks {
            h.appended(&written);
        }
    }
    (written.len(), bad, Ok(()))
}

/// `POST /api/v1/write`.
pub async fn write(State(st): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    if !st.options.enable_remote_write_receiver {
        return plain(StatusCode::NOT_FOUND, "remote write receiver needs to be enabled");
    }
    let v2 = match negotiate(&headers) {
        Ok(v2) => v2,
        Err(e) => return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, e),
    };
    if let Some(enc) = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        && !enc.eq_ignore_ascii_case("snappy")
    {
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported Content-Encoding {enc:?}: only snappy is accepted"),
        );
    }
    let raw = match snappy_decode(&body, st.options.max_body_bytes) {
        Ok(r) => r,
        Err(crate::prompb::SnappyError::TooLarge { .. }) => {
            return plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "decompressed remote write request too large",
            );
        }
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("decoding snappy body: {e}")),
    };
    let decoded = if v2 {
        decode_v2(&st, &raw)
    } else {
        decode_v1(&st, &raw)
    };
    let batch = match decoded {
        Ok(b) => b,
        Err(e) => return plain(StatusCode::BAD_REQUEST, e),
    };
    let st2 = st.clone();
    let res = tokio::task::spawn_blocking(move || append(&st2, &batch, v2)).await;
    let (written, bad, res) = match res {
        Ok(r) => r,
        Err(e) => return plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let mut resp = match res {
        Ok(()) if bad.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Ok(()) => plain(StatusCode::BAD_REQUEST, bad.join("; ")),
        Err(WriteError::BadSample(m)) => plain(StatusCode::BAD_REQUEST, m),
        Err(WriteError::Internal(m)) => plain(StatusCode::INTERNAL_SERVER_ERROR, m),
    };
    if v2 {
        let h = resp.headers_mut();
        h.insert(SAMPLES_WRITTEN, HeaderValue::from(written));
        h.insert(HISTOGRAMS_WRITTEN, HeaderValue::from(0));
        // Exemplars are not stored.
        h.insert(EXEMPLARS_WRITTEN, HeaderValue::from(0));
    }
    resp
}

fn decode_v1(st: &ApiState, raw: &[u8]) -> Result<Batch, String> {
    let req = WriteRequest::decode(raw).map_err(|e| format!("decoding WriteRequest protobuf: {e}"))?;
    for md in &req.metadata {
        st.metadata.record(
            &md.metric_family_name,
            metric_type_name(md.r#type),
            &md.help,
            &md.unit,
        );
    }
    let mut batch = Vec::with_capacity(req.timeseries.len());
    for ts in req.timeseries {
        let labels = build_labels(ts.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())));
        batch.push((
            labels,
            ts.samples.iter().map(|s| (s.timestamp, s.value)).collect(),
        ));
    }
    Ok(batch)
}

fn decode_v2(st: &ApiState, raw: &[u8]) -> Result<Batch, String> {
    let req = RequestV2::decode(raw).map_err(|e| format!("decoding v2 Request protobuf: {e}"))?;
    let sym = |i: u32| -> Result<&str, String> {
        req.symbols
            .get(i as usize)
            .map(String::as_str)
            .ok_or_else(|| format!("symbol reference {i} out of range (have {})", req.symbols.len()))
    };
    let mut batch = Vec::with_capacity(req.timeseries.len());
    for ts in &req.timeseries {
        if ts.labels_refs.len() % 2 != 0 {
            return Err("labels_refs must hold name/value pairs".into());
        }
        let pairs: Vec<(&str, &str)> = ts
            .labels_refs
            .chunks(2)
            .map(|p| Ok((sym(p[0])?, sym(p[1])?)))
            .collect::<Result<_, String>>()?;
        let labels = build_labels(pairs.into_iter());
        if let Some(md) = &ts.metadata
            && let Ok(l) = &labels
            && let Some(name) = l.metric_name()
        {
            st.metadata.record(
                name,
                metric_type_name(md.r#type),
                sym(md.help_ref)?,
                sym(md.unit_ref)?,
            );
        }
        batch.push((
            labels,
            ts.samples.iter().map(|s| (s.timestamp, s.value)).collect(),
        ));
    }
    Ok(batch)
}
