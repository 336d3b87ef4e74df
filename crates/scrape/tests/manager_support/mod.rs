//! Helpers for the scrape manager tests: an exposition server on 127.0.0.1, a shared appender,
//! and bounded waiting.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use obslab_model::Labels;
use obslab_model::sample::is_stale_nan;
use obslab_scrape::manager::{AppenderFactory, ManagerOptions, ScrapeManager};
use obslab_scrape::target::{AppendError, Appender};

/// What the server answers and what it saw.
pub struct ServerState {
    pub body: String,
    pub content_type: String,
    pub status: u16,
    /// Path and query plus headers of every request, per path (without query).
    pub requests: Vec<(String, HashMap<String, String>)>,
}

#[derive(Clone)]
pub struct ExpoServer {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<ServerState>>,
}

impl ExpoServer {
    pub fn set_body(&self, body: &str) {
        self.state.lock().unwrap().body = body.to_string();
    }
    pub fn set_status(&self, s: u16) {
        self.state.lock().unwrap().status = s;
    }
    pub fn requests(&self) -> Vec<(String, HashMap<String, String>)> {
        self.state.lock().unwrap().requests.clone()
    }
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

async fn handle(State(st): State<Arc<Mutex<ServerState>>>, req: Request) -> Response {
    let mut st = st.lock().unwrap();
    let pq = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    st.requests.push((pq, headers));
    let status = StatusCode::from_u16(st.status).unwrap();
    (
        status,
        [(header::CONTENT_TYPE, st.content_type.clone())],
        st.body.clone(),
    )
        .into_response()
}

/// Starts an exposition server answering `body` as text format 0.0.4.
pub async fn serve(body: &str) -> ExpoServer {
    let state = Arc::new(Mutex::new(ServerState {
        body: body.to_string(),
        content_type: "text/plain; version=0.0.4; charset=utf-8".to_string(),
        status: 200,
        requests: Vec::new(),
    }));
    let app = axum::Router::new().fallback(handle).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    ExpoServer { addr, state }
}

/// Committed samples of every scrape, shared by all appenders of a factory.
#[derive(Clone, Default)]
pub struct Store(pub Arc<Mutex<Vec<(Labels, i64, f64)>>>);

struct StoreAppender {
    store: Store,
    pending: Vec<(Labels, i64, f64)>,
}

impl Appender for StoreAppender {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), AppendError> {
        self.pending.push((labels.clone(), t, v));
        Ok(())
    }
    fn commit(&mut self) -> Result<(), AppendError> {
        self.store.0.lock().unwrap().append(&mut self.pending);
        Ok(())
    }
    fn rollback(&mut self) {
        self.pending.clear();
    }
}

impl Store {
    pub fn factory(&self) -> AppenderFactory {
        let s = self.clone();
        Arc::new(move || {
            Box::new(StoreAppender {
                store: s.clone(),
                pending: Vec::new(),
            }) as Box<dyn Appender + Send>
        })
    }

    /// Values of the series whose text form is `series`, in commit order.
    pub fn values(&self, series: &str) -> Vec<f64> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(l, _, _)| l.to_string() == series)
            .map(|(_, _, v)| *v)
            .collect()
    }

    pub fn has_stale(&self, series: &str) -> bool {
        self.values(series).iter().any(|v| is_stale_nan(*v))
    }

    pub fn series(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(l, _, _)| l.to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

pub fn manager(store: &Store) -> ScrapeManager {
    ScrapeManager::with_options(
        store.factory(),
        ManagerOptions {
            file_sd_poll: Duration::from_millis(100),
            hostname: Some("labhost".into()),
        },
    )
}

/// Polls `cond` every 50 ms for at most `secs` seconds.
pub async fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// A one-job config scraping `host` every 200 ms; `extra` is YAML spliced into the job.
pub fn job_config(job: &str, host: &str, extra: &str) -> String {
    format!(
        "scrape_configs:\n  - job_name: {job}\n    scrape_interval: 200ms\n    scrape_timeout: 150ms\n{extra}    static_configs:\n      - targets: ['{host}']\n"
    )
}

pub fn load(yaml: &str) -> obslab_scrape::Config {
    obslab_scrape::config::load_str(yaml).unwrap()
}
