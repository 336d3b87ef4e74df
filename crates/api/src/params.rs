//! Request parameters as Prometheus reads them: the URL query merged with a form-encoded POST body,
//! times as RFC 3339 or Unix seconds, durations as Prometheus durations or float seconds.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use obslab_model::{MatchOp, Matcher};
use promql_parser::parser::Expr;

/// Prometheus's `MinTime` (the API's lower bound for `start`), in milliseconds.
pub const MIN_TIME_MS: i64 = -9_223_309_901_257_974_000;
/// Prometheus's `MaxTime`, in milliseconds.
pub const MAX_TIME_MS: i64 = 9_223_309_901_257_974_999;
const MIN_TIME_TEXT: &str = "-292273086-05-16T16:47:06Z";
const MAX_TIME_TEXT: &str = "292277025-08-18T07:12:54.999999999Z";

/// All `name=value` pairs of a request, in order (repeated names such as `match[]` kept).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>, form: Option<&[u8]>) -> Self {
        let mut v: Vec<(String, String)> = Vec::new();
        if let Some(body) = form {
            v.extend(url::form_urlencoded::parse(body).into_owned());
        }
        if let Some(q) = query {
            v.extend(url::form_urlencoded::parse(q.as_bytes()).into_owned());
        }
        Params(v)
    }

    /// The first value of `name` (Go's `FormValue`: body values before URL ones).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of `name`.
    pub fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A time parameter, or `default` when absent or empty.
    pub fn time_or(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.get_nonempty(name) {
            None => Ok(default),
            Some(s) => parse_time(s).map_err(|e| ApiError::invalid_param(name, e)),
        }
    }

    /// The `limit` parameter: 0 (no limit) when absent; negative or unparsable is bad data.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.get_nonempty("limit") {
            None => Ok(0),
            Some(s) => s
                .parse::<usize>()
                .map_err(|_| ApiError::bad_data("limit must be a number")),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = req.uri().query().map(str::to_string);
        let is_form = req.method() == Method::POST
            && req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let form = if is_form {
            let body = Bytes::from_request(req, state)
                .await
                .map_err(|e| ApiError::bad_data(format!("error parsing form body: {e}")))?;
            Some(body)
        } else {
            None
        };
        Ok(Params::parse(query.as_deref(), form.as_deref()))
    }
}

/// Milliseconds since the epoch from Unix seconds (decimals allowed) or RFC 3339.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
    {
        let secs = f.trunc();
        let ms = ((f - secs) * 1000.0).round();
        let total = secs * 1000.0 + ms;
        if total >= MIN_TIME_MS as f64 && total <= MAX_TIME_MS as f64 {
            return Ok(total as i64);
        }
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    match s {
        MIN_TIME_TEXT => Ok(MIN_TIME_MS),
        MAX_TIME_TEXT => Ok(MAX_TIME_MS),
        _ => Err(format!("cannot parse {s:?} to a valid timestamp")),
    }
}

/// Milliseconds from float seconds or a Prometheus duration (`5m`, `1h30m`).
pub fn parse_duration_ms(s: &str) -> Result<i64, String> {
    if let Ok(f) = s.parse::<f64>() {
        let ms = f * 1000.0;
        // Go's time.Duration is int64 nanoseconds.
        if !ms.is_finite() || ms.abs() * 1e6 > i64::MAX as f64 {
            return Err(format!(
                "cannot parse {s:?} to a valid duration. It overflows int64"
            ));
        }
        return Ok(ms.round() as i64);
    }
    match obslab_model::parse_duration(s) {
        Ok(d) => i64::try_from(d.as_millis()).map_err(|_| format!("cannot parse {s:?} to a valid duration")),
        Err(_) => Err(format!("cannot parse {s:?} to a valid duration")),
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Parses one series selector (`up{job="api"}`) into matcher alternatives (one conjunction per
/// `or` branch), with Prometheus's errors.
pub fn parse_selector(s: &str) -> Result<Vec<Vec<Matcher>>, String> {
    let expr = obslab_promql::engine::parse_expr(s).map_err(|e| e.to_string())?;
    let Expr::VectorSelector(vs) = expr else {
        return Err(format!(
            "1:1: parse error: unexpected expression, expected a series selector: {s}"
        ));
    };
    let conv = |m: &promql_parser::label::Matcher| -> Result<Matcher, String> {
        use promql_parser::label::MatchOp as P;
        let op = match m.op {
            P::Equal => MatchOp::Equal,
            P::NotEqual => MatchOp::NotEqual,
            P::Re(_) => MatchOp::Regex,
            P::NotRe(_) => MatchOp::NotRegex,
        };
        Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| e.to_string())
    };
    let base: Vec<Matcher> = vs.matchers.matchers.iter().map(conv).collect::<Result<_, _>>()?;
    let mut alts = Vec::new();
    if vs.matchers.or_matchers.is_empty() {
        alts.push(base);
    } else {
        for g in &vs.matchers.or_matchers {
            let mut v = base.clone();
            for m in g {
                v.push(conv(m)?);
            }
            alts.push(v);
        }
    }
    if let Some(name) = &vs.name {
        for g in &mut alts {
            g.push(
                Matcher::new(MatchOp::Equal, obslab_model::METRIC_NAME, name.clone())
                    .map_err(|e| e.to_string())?,
            );
        }
    }
    Ok(alts)
}

/// Parses every `match[]` value; each set must hold a matcher that rejects the empty string, as
/// Prometheus requires.
pub fn parse_match_params(values: &[&str]) -> Result<Vec<Vec<Matcher>>, ApiError> {
    let mut sets = Vec::new();
    for v in values {
        let alts = parse_selector(v).map_err(ApiError::bad_data)?;
        for set in alts {
            if !set.iter().any(|m| !m.matches_empty()) {
                return Err(ApiError::bad_data(
                    "match[] must contain at least one non-empty matcher",
                ));
            }
            sets.push(set);
        }
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_parse_like_prometheus() {
        assert_eq!(parse_time("1.5").unwrap(), 1500);
        assert_eq!(parse_time("1700000000.123").unwrap(), 1_700_000_000_123);
        assert_eq!(parse_time("2015-07-01T20:10:51.781Z").unwrap(), 1_435_781_451_781);
        assert_eq!(parse_time(MIN_TIME_TEXT).unwrap(), MIN_TIME_MS);
        assert_eq!(
            parse_time("x").unwrap_err(),
            "cannot parse \"x\" to a valid timestamp"
        );
        assert_eq!(parse_duration_ms("15s").unwrap(), 15_000);
        assert_eq!(parse_duration_ms("0.5").unwrap(), 500);
        assert!(parse_duration_ms("1e30").unwrap_err().contains("overflows"));
        assert_eq!(
            parse_duration_ms("abc").unwrap_err(),
            "cannot parse \"abc\" to a valid duration"
        );
    }

    #[test]
    fn selectors_need_a_non_empty_matcher() {
        assert_eq!(parse_match_params(&["up{job=\"a\"}"]).unwrap()[0].len(), 2);
        assert!(parse_match_params(&["{job=~\".*\"}"]).is_err());
        assert!(parse_match_params(&["up +"]).is_err());
        assert!(parse_match_params(&["rate(up[5m])"]).is_err());
    }
}
