//! A small blocking HTTP/1.1 client for tests, over a plain loopback TCP stream: one request per
//! connection, raw bodies allowed (malformed JSON, oversized bodies), and a response is still read
//! when the server answers before taking the whole body.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// A complete response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names in lowercase, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Time from sending the request to having read the whole response.
    pub elapsed: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body in the message when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response ({}) is not JSON ({e}): {:?}", self.status, self.text()))
    }

    /// True for `{"error": "<non-empty text>"}`-shaped bodies.
    pub fn is_json_error(&self) -> bool {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(|s| !s.is_empty()))
            .unwrap_or(false)
    }
}

/// A request to `127.0.0.1:port`.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub port: u16,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout: Duration,
}

impl Request {
    pub fn new(method: &str, port: u16, path: &str) -> Self {
        Self {
            method: method.to_string(),
            port,
            path: path.to_string(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(20),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A raw body, sent with `Content-Type: application/json` unless another type was set.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn json(self, v: &serde_json::Value) -> Self {
        self.body(v.to_string())
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Sends the request and reads the whole response (the connection is closed after it).
    pub fn send(&self) -> anyhow::Result<Response> {
        let started = Instant::now();
        let deadline = started + self.timeout;
        let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], self.port).into(), self.timeout)
            .with_context(|| format!("connect to 127.0.0.1:{}", self.port))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .context("set read timeout")?;
        stream
            .set_write_timeout(Some(self.timeout))
            .context("set write timeout")?;
        stream.set_nodelay(true).context("set nodelay")?;

        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n",
            self.method, self.path, self.port
        );
        let has = |n: &str| self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        if !has("connection") {
            head.push_str("Connection: close\r\n");
        }
        if let Some(b) = &self.body {
            if !has("content-type") {
                head.push_str("Content-Type: application/json\r\n");
            }
            if !has("content-length") && !has("transfer-encoding") {
                head.push_str(&format!("Content-Length: {}\r\n", b.len()));
            }
        } else if matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") && !has("content-length") {
            head.push_str("Content-Length: 0\r\n");
        }
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).context("send request head")?;
        // The body is written from another thread while the response is read here: a server may
        // answer (413) and stop reading early, and a failed write is then not an error.
        let writer = match &self.body {
            Some(b) if !b.is_empty() => {
                let mut w = stream.try_clone().context("clone the request stream")?;
                let b = b.clone();
                Some(std::thread::spawn(move || {
                    let _ = w.write_all(&b);
                    let _ = w.flush();
                }))
            }
            _ => None,
        };

        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            if Instant::now() > deadline {
                bail!(
                    "response from 127.0.0.1:{}{} took over {:?}",
                    self.port,
                    self.path,
                    self.timeout
                );
            }
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    raw.extend_from_slice(&buf[..n]);
                    if let Some(done) = complete_response(&raw, &self.method) {
                        raw.truncate(done);
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if !raw.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => {
                    return Err(e).with_context(|| format!("read response from {}{}", self.port, self.path));
                }
            }
        }
        // Unblock a writer the server stopped reading from, then let it finish.
        let _ = stream.shutdown(std::net::Shutdown::Both);
        if let Some(w) = writer {
            let _ = w.join();
        }
        let mut resp = parse_response(&raw, &self.method)
            .with_context(|| format!("parse response from 127.0.0.1:{}{}", self.port, self.path))?;
        resp.elapsed = started.elapsed();
        Ok(resp)
    }
}

/// Length of the first complete response in `raw`, if it is complete.
fn complete_response(raw: &[u8], method: &str) -> Option<usize> {
    let head_end = find(raw, b"\r\n\r\n")? + 4;
    let (status, headers) = parse_head(&raw[..head_end]).ok()?;
    let rest = &raw[head_end..];
    if method == "HEAD" || status == 204 || status == 304 || (100..200).contains(&status) {
        return Some(head_end);
    }
    if header_is(&headers, "transfer-encoding", "chunked") {
        return decode_chunked(rest).map(|(_, used)| head_end + used);
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")?
        .1
        .trim()
        .parse()
        .ok()?;
    (rest.len() >= len).then_some(head_end + len)
}

fn parse_response(raw: &[u8], method: &str) -> anyhow::Result<Response> {
    let head_end = find(raw, b"\r\n\r\n").context("no end of response head")? + 4;
    let (status, headers) = parse_head(&raw[..head_end])?;
    let rest = &raw[head_end..];
    let body = if method == "HEAD" || status == 204 || status == 304 {
        Vec::new()
    } else if header_is(&headers, "transfer-encoding", "chunked") {
        decode_chunked(rest).context("truncated chunked body")?.0
    } else if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length") {
        let len: usize = len.trim().parse().context("bad content-length")?;
        if rest.len() < len {
            bail!("body truncated: {} of {len} bytes", rest.len());
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        headers,
        body,
        elapsed: Duration::ZERO,
    })
}

type Headers = Vec<(String, String)>;

fn parse_head(head: &[u8]) -> anyhow::Result<(u16, Headers)> {
    let text = std::str::from_utf8(head).context("response head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().context("empty response")?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1 response: {status_line:?}");
    }
    let status: u16 = parts
        .next()
        .unwrap_or_default()
        .parse()
        .context("bad status code")?;
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok((status, headers))
}

fn header_is(headers: &Headers, name: &str, value: &str) -> bool {
    headers
        .iter()
        .any(|(k, v)| k == name && v.to_ascii_lowercase().contains(value))
}

/// Decodes a chunked body; returns it and the bytes used, or None when incomplete.
fn decode_chunked(mut data: &[u8]) -> Option<(Vec<u8>, usize)> {
    let total = data.len();
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            // Optional trailers end with an empty line.
            let end = find(data, b"\r\n\r\n")
                .map(|p| p + 4)
                .or_else(|| data.starts_with(b"\r\n").then_some(2))?;
            data = &data[end..];
            return Some((out, total - data.len()));
        }
        if data.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `GET 127.0.0.1:port/path`.
pub fn get(port: u16, path: &str) -> anyhow::Result<Response> {
    Request::new("GET", port, path).send()
}

/// `POST` a JSON value.
pub fn post_json(port: u16, path: &str, body: &serde_json::Value) -> anyhow::Result<Response> {
    Request::new("POST", port, path).json(body).send()
}

/// `PUT` a JSON value.
pub fn put_json(port: u16, path: &str, body: &serde_json::Value) -> anyhow::Result<Response> {
    Request::new("PUT", port, path).json(body).send()
}

/// `DELETE` a path.
pub fn delete(port: u16, path: &str) -> anyhow::Result<Response> {
    Request::new("DELETE", port, path).send()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_chunked_bodies() {
        let raw = b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n";
        let (body, used) = decode_chunked(raw).unwrap();
        assert_eq!(body, b"Wikipedia");
        assert_eq!(used, raw.len());
        assert!(decode_chunked(b"4\r\nWik").is_none());
    }

    #[test]
    fn knows_when_a_response_is_complete() {
        let r = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        assert_eq!(complete_response(r, "GET"), Some(r.len()));
        assert_eq!(complete_response(&r[..r.len() - 1], "GET"), None);
        let resp = parse_response(r, "GET").unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.text(), "ok");
        assert_eq!(resp.header("Content-Length"), Some("2"));
    }

    #[test]
    fn talks_to_a_real_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while find(&got, b"{}").is_none() {
                let n = s.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
                .unwrap();
            String::from_utf8(got).unwrap()
        });
        let resp = post_json(port, "/x", &serde_json::json!({})).unwrap();
        let req = server.join().unwrap();
        assert!(req.starts_with("POST /x HTTP/1.1\r\n"));
        assert!(req.contains("Content-Length: 2\r\n"));
        assert_eq!(resp.status, 201);
        assert_eq!(resp.json(), serde_json::json!({}));
    }
}
