//! Shared helpers of the `obslab traffic` tests: a recording HTTP server on 127.0.0.1 run in a
//! background thread, and running the binary with a time limit.
//! Included by each `traffic_*.rs` test file with `#[path = "traffic_support.rs"] mod support;`.
#![allow(dead_code)]

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use obslab_testkit::ChildGuard;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: String,
    pub user_agent: String,
}

/// Status, body and optional `Location` of an answer.
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            location: None,
        }
    }
}

type Responder = dyn Fn(&Seen) -> Answer + Send + Sync;

/// A server on 127.0.0.1:0 that records every request; it stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(respond: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let respond: Arc<Responder> = Arc::new(respond);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let log = seen.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(move |req: Request<Body>| {
                    let (log, respond) = (log.clone(), respond.clone());
                    async move { handle(req, log, respond).await }
                });
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Self {
            addr,
            seen,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// A server that answers 200 to everything.
    pub fn ok() -> Self {
        Self::start(|_| Answer::status(200))
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Request counts by path.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for s in self.seen() {
            *out.entry(s.path).or_default() += 1;
        }
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn handle(req: Request<Body>, log: Arc<Mutex<Vec<Seen>>>, respond: Arc<Responder>) -> Response {
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let seen = Seen {
        method,
        path,
        body: String::from_utf8_lossy(&body).into_owned(),
        user_agent,
    };
    log.lock().unwrap().push(seen.clone());
    let answer = respond(&seen);
    let mut resp = (StatusCode::from_u16(answer.status).unwrap(), "{}").into_response();
    if let Some(loc) = answer.location {
        resp.headers_mut().insert("location", loc.parse().unwrap());
    }
    resp
}

/// What a finished `obslab` run printed.
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The `--output json` summary.
    pub fn summary(&self) -> serde_json::Value {
        assert!(
            self.status.success(),
            "obslab failed: {}\n{}",
            self.status,
            self.stderr
        );
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{}", self.stdout))
    }
}

/// Starts `obslab <args>` with its output captured.
pub fn spawn(
    args: &[&str],
) -> (
    ChildGuard,
    std::thread::JoinHandle<String>,
    std::thread::JoinHandle<String>,
) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obslab"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut guard = ChildGuard::spawn_cmd(&mut cmd).unwrap();
    let mut out = guard.child.stdout.take().unwrap();
    let mut err = guard.child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    (guard, out, err)
}

/// Runs `obslab <args>` to completion, failing the test if it takes longer than `limit`.
pub fn obslab(args: &[&str], limit: Duration) -> Run {
    let (mut guard, out, err) = spawn(args);
    let status = guard
        .wait_timeout(limit)
        .unwrap_or_else(|| panic!("obslab {args:?} ran longer than {limit:?}"));
    finish(status, out, err)
}

pub fn finish(
    status: ExitStatus,
    out: std::thread::JoinHandle<String>,
    err: std::thread::JoinHandle<String>,
) -> Run {
    Run {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}
