//! One HTTP scrape: the request Prometheus sends (Accept, timeout header, auth) and a body read
//! that stops at `body_size_limit`.

use std::time::Duration;

use reqwest::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};

use crate::config::ScrapeConfig;
use crate::exposition::DEFAULT_ACCEPT;
use crate::exposition::negotiate::accept_header;

/// The `User-Agent` of obslab's scrapes.
pub const SCRAPE_USER_AGENT: &str = concat!("obslab/", env!("CARGO_PKG_VERSION"));

/// How a job's requests are built: fixed per scrape config.
#[derive(Debug, Clone)]
pub struct RequestSettings {
    pub accept: String,
    pub timeout: Duration,
    /// 0 = no limit.
    pub body_size_limit: u64,
    /// The `Authorization` header value, when the job has one.
    pub authorization: Option<String>,
    /// Why the auth settings could not be read (a missing credentials file); every scrape fails with it.
    pub auth_error: Option<String>,
}

impl RequestSettings {
    pub fn from_config(cfg: &ScrapeConfig) -> Self {
        let accept = if cfg.scrape_protocols.is_empty() {
            DEFAULT_ACCEPT.to_string()
        } else {
            accept_header(&cfg.scrape_protocols)
        };
        let (authorization, auth_error) = match authorization_header(cfg) {
            Ok(a) => (a, None),
            Err(e) => (None, Some(e)),
        };
        Self {
            accept,
            timeout: cfg.scrape_timeout.0,
            body_size_limit: cfg.body_size_limit_bytes(),
            authorization,
            auth_error,
        }
    }
}

fn read_secret_file(path: &str, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("unable to read {what} file {path}: {e}"))
}

/// The `Authorization` header of `basic_auth`, `authorization` or the legacy `bearer_token`.
fn authorization_header(cfg: &ScrapeConfig) -> Result<Option<String>, String> {
    if let Some(b) = &cfg.basic_auth {
        let user = match b.username_file.as_deref().filter(|s| !s.is_empty()) {
            Some(f) => read_secret_file(f, "basic auth username")?,
            None => b.username.clone(),
        };
        let pass = match b.password_file.as_deref().filter(|s| !s.is_empty()) {
            Some(f) => read_secret_file(f, "basic auth password")?,
            None => b.password.as_ref().map(|s| s.0.clone()).unwrap_or_default(),
        };
        return Ok(Some(format!(
            "Basic {}",
            base64(format!("{user}:{pass}").as_bytes())
        )));
    }
    if let Some(a) = &cfg.authorization {
        let kind = a.kind.as_deref().filter(|k| !k.is_empty()).unwrap_or("Bearer");
        let cred = match a.credentials_file.as_deref().filter(|s| !s.is_empty()) {
            Some(f) => read_secret_file(f, "authorization credentials")?,
            None => a.credentials.as_ref().map(|s| s.0.clone()).unwrap_or_default(),
        };
        return Ok(Some(format!("{kind} {cred}")));
    }
    if let Some(f) = cfg.bearer_token_file.as_deref().filter(|s| !s.is_empty()) {
        return Ok(Some(format!("Bearer {}", read_secret_file(f, "bearer token")?)));
    }
    if let Some(t) = cfg.bearer_token.as_ref().filter(|s| !s.0.is_empty()) {
        return Ok(Some(format!("Bearer {}", t.0)));
    }
    Ok(None)
}

/// Standard base64 with padding (for basic auth).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A fetched body and its content type.
#[derive(Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// Scrapes `url` once; the error text is what the targets API shows as `lastError`.
pub async fn fetch(client: &reqwest::Client, url: &str, s: &RequestSettings) -> Result<Fetched, String> {
    if let Some(e) = &s.auth_error {
        return Err(e.clone());
    }
    let mut req = client
        .get(url)
        .timeout(s.timeout)
        .header(ACCEPT, s.accept.as_str())
        .header(ACCEPT_ENCODING, "identity")
        .header(USER_AGENT, SCRAPE_USER_AGENT)
        .header(
            "X-Prometheus-Scrape-Timeout-Seconds",
            format!("{}", s.timeout.as_secs_f64()),
        );
    if let Some(a) = &s.authorization {
        let v = HeaderValue::from_str(a).map_err(|e| format!("invalid authorization header: {e}"))?;
        req = req.header(AUTHORIZATION, v);
    }
    let fut = async {
        let mut resp = req.send().await.map_err(describe)?;
        let status = resp.status();
        if status != reqwest::StatusCode::OK {
            return Err(format!("server returned HTTP status {status}"));
        }
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(describe)? {
            body.extend_from_slice(&chunk);
            if s.body_size_limit > 0 && body.len() as u64 > s.body_size_limit {
                return Err(format!(
                    "body size limit exceeded (limit: {} bytes)",
                    s.body_size_limit
                ));
            }
        }
        Ok(Fetched { body, content_type })
    };
    match tokio::time::timeout(s.timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "Get \"{url}\": context deadline exceeded (timeout {:?})",
            s.timeout
        )),
    }
}

/// An error with its causes, as one line.
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return format!(
            "Get \"{}\": context deadline exceeded",
            e.url().map(|u| u.as_str()).unwrap_or("")
        );
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::base64;

    #[test]
    fn base64_pads_like_rfc4648() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
    }
}
