//! A tiny HTTP server on 127.0.0.1 that records every request and answers from a closure.

#![allow(dead_code)]

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub body: String,
    pub user_agent: String,
    pub content_type: String,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// How the server answers: status, body, and an optional delay.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub delay: Option<Duration>,
    pub location: Option<String>,
}

impl Answer {
    pub fn ok(body: impl Into<String>) -> Self {
        Self::status(200, body)
    }

    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            delay: None,
            location: None,
        }
    }
}

type Responder = dyn Fn(&Recorded) -> Answer + Send + Sync;

pub struct TestServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    /// Most requests the server was handling at once.
    pub peak: Arc<Gauge>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(respond: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let respond: Arc<Responder> = Arc::new(respond);
        let peak: Arc<Gauge> = Arc::default();
        let (reqs, resp, gauge) = (requests.clone(), respond.clone(), peak.clone());
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let (reqs, resp, gauge) = (reqs.clone(), resp.clone(), gauge.clone());
            async move {
                gauge.enter();
                let out = handle(req, reqs, resp).await;
                gauge.leave();
                out
            }
        });
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            addr,
            requests,
            peak,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(req: Request<Body>, reqs: Arc<Mutex<Vec<Recorded>>>, respond: Arc<Responder>) -> Response {
    let (user_agent, content_type) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        (header("user-agent"), header("content-type"))
    };
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let body = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let rec = Recorded {
        method,
        path,
        query,
        body: String::from_utf8_lossy(&body).into_owned(),
        user_agent,
        content_type,
    };
    reqs.lock().unwrap().push(rec.clone());
    let answer = respond(&rec);
    if let Some(d) = answer.delay {
        tokio::time::sleep(d).await;
    }
    let status = StatusCode::from_u16(answer.status).unwrap();
    let mut resp = (status, [("content-type", "application/json")], answer.body).into_response();
    if let Some(loc) = answer.location {
        resp.headers_mut().insert("location", loc.parse().unwrap());
    }
    resp
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Counts requests being handled and remembers the most at once.
#[derive(Default)]
pub struct Gauge {
    now: std::sync::atomic::AtomicUsize,
    max: std::sync::atomic::AtomicUsize,
}

impl Gauge {
    fn enter(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.now.fetch_add(1, SeqCst) + 1;
        self.max.fetch_max(n, SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn max(&self) -> usize {
        self.max.load(std::sync::atomic::Ordering::SeqCst)
    }
}
