//! The remote-write receiver (1.0 and 2.0) and remote read, over real HTTP.

mod common;

use common::{RW_HEADERS, TestServer, enc, now_ms, write_request};
use obslab_api::prompb::{
    LabelMatcher, MetadataV2, Query, ReadRequest, ReadResponse, RequestV2, Sample, TimeSeriesV2,
    snappy_decode, snappy_encode,
};
use prost::Message;
use serde_json::json;

#[test]
fn v1_round_trip_then_query() {
    let s = TestServer::start(|_| {});
    let t = now_ms() - 60_000;
    let body = write_request(&[
        (
            &[("__name__", "rw_metric"), ("job", "a")],
            &[(t, 1.0), (t + 15_000, 2.5)],
        ),
        (&[("__name__", "rw_metric"), ("job", "b")], &[(t, 4.0)]),
    ]);
    let r = s.post("/api/v1/write", RW_HEADERS, body);
    assert_eq!(r.status, 204, "{}", r.text());
    let v = s
        .get(&format!(
            "/api/v1/query?query={}&time={}",
            enc("rw_metric{job=\"a\"}"),
            (t + 15_000) / 1000
        ))
        .json();
    assert_eq!(v["data"]["result"][0]["value"][1], "2.5");
    let v = s
        .get(&format!("/api/v1/series?match[]={}", enc("rw_metric")))
        .json();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
}

#[test]
fn malformed_bodies_are_400() {
    let s = TestServer::start(|_| {});
    let r = s.post("/api/v1/write", RW_HEADERS, b"not snappy at all".to_vec());
    assert_eq!(r.status, 400);
    assert!(r.text().contains("snappy"), "{}", r.text());
    let r = s.post(
        "/api/v1/write",
        RW_HEADERS,
        snappy_encode(&[0xff, 0xff, 0xff, 0x01, 0x02]),
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("protobuf"), "{}", r.text());
    let r = s.post("/api/v1/read", &[], b"garbage".to_vec());
    assert_eq!(r.status, 400);
    // Unknown content types and encodings are refused as Prometheus does.
    let r = s.post(
        "/api/v1/write",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "snappy"),
        ],
        write_request(&[]),
    );
    assert_eq!(r.status, 415);
    let r = s.post(
        "/api/v1/write",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "gzip"),
        ],
        write_request(&[]),
    );
    assert_eq!(r.status, 415);
}

#[test]
fn oversized_bodies_are_413() {
    let s = TestServer::start(|st| {
        let mut o = (*st.options).clone();
        o.max_body_bytes = 1024;
        st.options = std::sync::Arc::new(o);
    });
    let r = s.post("/api/v1/write", RW_HEADERS, vec![0u8; 4096]);
    assert_eq!(r.status, 413, "{}", r.text());
    // A small body that decompresses beyond the limit.
    let r = s.post("/api/v1/write", RW_HEADERS, snappy_encode(&vec![0u8; 8192]));
    assert_eq!(r.status, 413, "{}", r.text());
}

#[test]
fn v1_out_of_order_rejects_the_whole_request() {
    let s = TestServer::start(|_| {});
    let t = now_ms() - 60_000;
    let ok = write_request(&[(&[("__name__", "ooo")], &[(t, 1.0)])]);
    assert_eq!(s.post("/api/v1/write", RW_HEADERS, ok).status, 204);
    let bad = write_request(&[
        (&[("__name__", "other")], &[(t, 9.0)]),
        (&[("__name__", "ooo")], &[(t - 10_000, 2.0)]),
    ]);
    let r = s.post("/api/v1/write", RW_HEADERS, bad);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("out of order sample"), "{}", r.text());
    // Nothing of the rejected request was stored.
    let v = s.get("/api/v1/series?match[]=other").json();
    assert_eq!(v["data"], json!([]));
    // Samples too far in the future are out of bounds.
    let future = write_request(&[(&[("__name__", "ooo")], &[(now_ms() + 3_600_000, 1.0)])]);
    let r = s.post("/api/v1/write", RW_HEADERS, future);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("out of bounds"), "{}", r.text());
}

fn v2_body(t: i64) -> Vec<u8> {
    let symbols: Vec<String> = [
        "",
        "__name__",
        "v2_metric",
        "job",
        "a",
        "b",
        "A counter.",
        "seconds",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let req = RequestV2 {
        symbols,
        timeseries: vec![
            TimeSeriesV2 {
                labels_refs: vec![1, 2, 3, 4],
                samples: vec![Sample {
                    value: 3.0,
                    timestamp: t,
                }],
                exemplars: Vec::new(),
                metadata: Some(MetadataV2 {
                    r#type: 1,
                    help_ref: 6,
                    unit_ref: 7,
                }),
                created_timestamp: 0,
            },
            TimeSeriesV2 {
                labels_refs: vec![1, 2, 3, 5],
                // The second sample is out of order and is the only one refused.
                samples: vec![
                    Sample {
                        value: 1.0,
                        timestamp: t,
                    },
                    Sample {
                        value: 2.0,
                        timestamp: t - 5000,
                    },
                ],
                exemplars: Vec::new(),
                metadata: None,
                created_timestamp: 0,
            },
        ],
    };
    snappy_encode(&req.encode_to_vec())
}

const V2_HEADERS: &[(&str, &str)] = &[
    (
        "Content-Type",
        "application/x-protobuf;proto=io.prometheus.write.v2.Request",
    ),
    ("Content-Encoding", "snappy"),
    ("X-Prometheus-Remote-Write-Version", "2.0.0"),
];

#[test]
fn v2_partial_acceptance_with_written_headers() {
    let s = TestServer::start(|_| {});
    let t = now_ms() - 30_000;
    let r = s.post("/api/v1/write", V2_HEADERS, v2_body(t));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("out of order sample"));
    assert_eq!(r.header("X-Prometheus-Remote-Write-Samples-Written"), Some("2"));
    assert_eq!(
        r.header("X-Prometheus-Remote-Write-Histograms-Written"),
        Some("0")
    );
    let v = s
        .get(&format!("/api/v1/query?query=v2_metric&time={}", t / 1000))
        .json();
    assert_eq!(v["data"]["result"].as_array().unwrap().len(), 2);
    let v = s.get("/api/v1/metadata?metric=v2_metric").json();
    assert_eq!(
        v["data"]["v2_metric"],
        json!([{"type": "counter", "help": "A counter.", "unit": "seconds"}])
    );
    // Symbol references out of range are malformed.
    let bad = RequestV2 {
        symbols: vec![String::new()],
        timeseries: vec![TimeSeriesV2 {
            labels_refs: vec![1, 2],
            ..Default::default()
        }],
    };
    let r = s.post("/api/v1/write", V2_HEADERS, snappy_encode(&bad.encode_to_vec()));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("symbol reference"));
    let r = s.post(
        "/api/v1/write",
        &[(
            "Content-Type",
            "application/x-protobuf;proto=io.prometheus.write.v9.Request",
        )],
        v2_body(t),
    );
    assert_eq!(r.status, 415);
}

#[test]
fn remote_read_samples() {
    let s = TestServer::start(|_| {});
    let t = now_ms() - 60_000;
    s.append(
        &[("__name__", "rr"), ("job", "x")],
        &[(t, 1.0), (t + 1000, 2.0), (t + 2000, 3.0)],
    );
    s.append(&[("__name__", "rr"), ("job", "y")], &[(t, 5.0)]);
    let req = ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: t + 500,
            end_timestamp_ms: t + 2000,
            matchers: vec![
                LabelMatcher {
                    r#type: 0,
                    name: "__name__".into(),
                    value: "rr".into(),
                },
                LabelMatcher {
                    r#type: 2,
                    name: "job".into(),
                    value: "x|y".into(),
                },
            ],
        }],
        accepted_response_types: vec![0],
    };
    let r = s.post(
        "/api/v1/read",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "snappy"),
        ],
        snappy_encode(&req.encode_to_vec()),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-encoding"), Some("snappy"));
    let resp = ReadResponse::decode(snappy_decode(&r.body, 1 << 20).unwrap().as_slice()).unwrap();
    let ts = &resp.results[0].timeseries;
    assert_eq!(ts.len(), 1, "job=y has no sample in range");
    let vals: Vec<f64> = ts[0].samples.iter().map(|s| s.value).collect();
    assert_eq!(vals, vec![2.0, 3.0]);
    assert_eq!(ts[0].labels[1].value, "x");
}

#[test]
fn receiver_can_be_disabled() {
    let s = TestServer::start(|st| {
        let mut o = (*st.options).clone();
        o.enable_remote_write_receiver = false;
        st.options = std::sync::Arc::new(o);
    });
    assert_eq!(
        s.post("/api/v1/write", RW_HEADERS, write_request(&[])).status,
        404
    );
}
