//! Per-service JSON-lines log files. A service writes one JSON object per line on stdout, which
//! is kept as it is; anything else (a panic message on stderr, a stray print) is wrapped into a
//! JSON object, so that every line of `<data>/logs/<service>.log` parses as JSON and log tailers
//! never need a second format.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Which output of the child a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    /// stderr carries panics and fatal errors; stdout ordinary output.
    fn level(self) -> &'static str {
        match self {
            Stream::Stdout => "info",
            Stream::Stderr => "error",
        }
    }
}

/// Lines longer than this are cut, so that a child printing without newlines cannot grow the
/// supervisor's memory without bound.
pub const MAX_LINE: usize = 256 * 1024;

/// Turns one raw output line into one JSON line (without the newline), or `None` for a blank
/// line. A JSON object is kept byte for byte; anything else is wrapped.
pub fn normalize_line(service: &str, stream: Stream, raw: &[u8], now: DateTime<Utc>) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\n', '\r']);
    if text.trim().is_empty() {
        return None;
    }
    if text.trim_start().starts_with('{') && serde_json::from_str::<Map<String, Value>>(text).is_ok() {
        return Some(text.to_string());
    }
    let wrapped = json!({
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "level": stream.level(),
        "service": service,
        "stream": stream.name(),
        "message": text,
    });
    Some(wrapped.to_string())
}

/// A line the supervisor itself writes into a service's log (restarts, exits).
pub fn supervisor_line(service: &str, level: &str, message: &str, fields: Map<String, Value>) -> String {
    let mut obj = Map::new();
    obj.insert(
        "timestamp".into(),
        Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true).into(),
    );
    obj.insert("level".into(), level.into());
    obj.insert("service".into(), service.into());
    obj.insert("stream".into(), "supervisor".into());
    obj.insert("message".into(), message.into());
    obj.extend(fields);
    Value::Object(obj).to_string()
}

/// An append-only log file shared by the stdout and stderr readers of one service, and kept
/// across its restarts.
#[derive(Clone)]
pub struct LogFile {
    file: Arc<Mutex<File>>,
}

impl LogFile {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// Appends one line; a full disk must not stop the service, so errors are reported once per
    /// line on the supervisor's stderr and otherwise ignored.
    pub fn write_line(&self, line: &str) {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        let result = match self.file.lock() {
            Ok(mut f) => f.write_all(&buf),
            Err(poisoned) => poisoned.into_inner().write_all(&buf),
        };
        if let Err(e) = result {
            eprintln!("obslab: cannot write log line: {e}");
        }
    }
}

/// Copies a child's output into its log file, line by line, until the pipe closes.
pub async fn pump<R: AsyncBufRead + Unpin>(mut reader: R, service: String, stream: Stream, log: LogFile) {
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line_capped(&mut reader, &mut line).await {
            Ok(0) => return,
            Ok(_) => {
                if let Some(out) = normalize_line(&service, stream, &line, Utc::now()) {
                    log.write_line(&out);
                }
            }
            Err(e) => {
                log.write_line(&supervisor_line(
                    &service,
                    "error",
                    &format!("cannot read {}: {e}", stream.name()),
                    Map::new(),
                ));
                return;
            }
        }
    }
}

/// Reads up to and including the next newline, or [`MAX_LINE`] bytes, whichever comes first.
async fn read_line_capped<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    out: &mut Vec<u8>,
) -> std::io::Result<usize> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(out.len());
        }
        let room = MAX_LINE.saturating_sub(out.len());
        let (take, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) if i < room => (i + 1, true),
            _ if available.len() >= room => (room, true),
            _ => (available.len(), false),
        };
        out.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            return Ok(out.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().unwrap()
    }

    #[test]
    fn json_object_lines_are_kept_as_they_are() {
        let raw = br#"{"level":"info","message":"listening",  "addr":"127.0.0.1:8080"}"#;
        let out = normalize_line("api", Stream::Stdout, raw, now()).unwrap();
        assert_eq!(out.as_bytes(), raw);
        let crlf = b"{\"a\":1}\r\n";
        assert_eq!(
            normalize_line("api", Stream::Stdout, crlf, now()).unwrap(),
            "{\"a\":1}"
        );
    }

    #[test]
    fn stderr_text_is_wrapped_as_an_error() {
        let raw = b"thread 'main' panicked at src/main.rs:3:5:\n";
        let out = normalize_line("payment", Stream::Stderr, raw, now()).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["level"], "error");
        assert_eq!(v["service"], "payment");
        assert_eq!(v["stream"], "stderr");
        assert_eq!(v["message"], "thread 'main' panicked at src/main.rs:3:5:");
        assert_eq!(v["timestamp"], "2026-01-02T03:04:05.000Z");
    }

    #[test]
    fn stdout_text_and_non_object_json_are_wrapped_as_info() {
        for raw in [&b"plain words"[..], b"[1,2,3]", b"42", b"{not json"] {
            let out = normalize_line("api", Stream::Stdout, raw, now()).unwrap();
            let v: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(v["level"], "info");
            assert_eq!(v["stream"], "stdout");
            assert_eq!(v["message"], String::from_utf8_lossy(raw).as_ref());
        }
    }

    #[test]
    fn blank_lines_are_dropped_and_bad_utf8_is_kept_readable() {
        assert_eq!(normalize_line("api", Stream::Stdout, b"  \n", now()), None);
        let out = normalize_line("api", Stream::Stderr, b"bad \xff byte", now()).unwrap();
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["message"], "bad \u{fffd} byte");
    }

    #[test]
    fn supervisor_lines_carry_their_fields() {
        let mut fields = Map::new();
        fields.insert("restarts".into(), 3.into());
        let v: Value = serde_json::from_str(&supervisor_line("api", "warn", "restarting", fields)).unwrap();
        assert_eq!(v["stream"], "supervisor");
        assert_eq!(v["restarts"], 3);
        assert_eq!(v["message"], "restarting");
    }

    #[tokio::test]
    async fn pump_caps_long_lines_and_writes_valid_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let log = LogFile::open(&path).unwrap();
        let mut input = vec![b'a'; MAX_LINE + 10];
        input.extend_from_slice(b"\n{\"ok\":true}\nlast line without newline");
        pump(&input[..], "x".into(), Stream::Stdout, log).await;
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        for l in &lines {
            serde_json::from_str::<Map<String, Value>>(l).unwrap();
        }
        assert_eq!(lines[2], "{\"ok\":true}");
        assert!(lines[3].contains("last line without newline"));
    }
}
