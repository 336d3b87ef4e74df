//! A real API server on 127.0.0.1 (its own tokio runtime on a thread) over a fresh database, plus
//! helpers to call it.
#![allow(dead_code)]

use obslab_api::prompb::{Label, Sample, TimeSeries, WriteRequest, snappy_encode};
use obslab_api::{ApiState, serve_listener};
use obslab_model::Labels;
use obslab_promql::Engine;
use obslab_testkit::http::{Request, Response};
use obslab_tsdb::{Db, Options};
use prost::Message;
use std::time::Duration;

pub struct TestServer {
    pub port: u16,
    pub state: ApiState,
    pub rt: tokio::runtime::Runtime,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server; `configure` may change the state (options, hooks) before it serves.
    pub fn start(configure: impl FnOnce(&mut ApiState)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            dir.path(),
            Options {
                background_compaction: false,
                ..Options::default()
            },
        )
        .unwrap();
        let mut state = ApiState::new(db, Engine::default());
        configure(&mut state);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        rt.spawn(async move {
            let _ = serve_listener(listener, st, async {
                let _ = rx.await;
            })
            .await;
        });
        TestServer {
            port,
            state,
            rt,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        Request::new("GET", self.port, path).send().unwrap()
    }

    pub fn post_form(&self, path: &str, form: &str) -> Response {
        Request::new("POST", self.port, path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.as_bytes().to_vec())
            .send()
            .unwrap()
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
        let mut r = Request::new("POST", self.port, path).timeout(Duration::from_secs(30));
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.body(body).send().unwrap()
    }

    /// Appends samples directly through the database.
    pub fn append(&self, labels: &[(&str, &str)], samples: &[(i64, f64)]) {
        let l = Labels::from_pairs(labels.iter().copied());
        let mut app = self.state.db.appender();
        for (t, v) in samples {
            app.append(&l, *t, *v).unwrap();
        }
        app.commit().unwrap();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// One series for [`write_request`]: label pairs and (timestamp, value) samples.
pub type TestSeries<'a> = (&'a [(&'a str, &'a str)], &'a [(i64, f64)]);

/// A remote-write 1.0 body for series given as (labels, samples).
pub fn write_request(series: &[TestSeries]) -> Vec<u8> {
    let req = WriteRequest {
        timeseries: series
            .iter()
            .map(|(l, s)| TimeSeries {
                labels: l
                    .iter()
                    .map(|(n, v)| Label {
                        name: n.to_string(),
                        value: v.to_string(),
                    })
                    .collect(),
                samples: s
                    .iter()
                    .map(|(t, v)| Sample {
                        value: *v,
                        timestamp: *t,
                    })
                    .collect(),
                exemplars: Vec::new(),
            })
            .collect(),
        metadata: Vec::new(),
    };
    snappy_encode(&req.encode_to_vec())
}

pub const RW_HEADERS: &[(&str, &str)] = &[
    ("Content-Type", "application/x-protobuf"),
    ("Content-Encoding", "snappy"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];

/// Milliseconds since the epoch, rounded down to a whole second.
pub fn now_ms() -> i64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    ms - ms % 1000
}

/// URL-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
