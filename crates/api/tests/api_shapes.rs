//! Every Prometheus API endpoint answers with Prometheus's JSON shapes, status codes and errors.

mod common;

use common::{TestServer, enc};
use serde_json::json;

const T0: i64 = 1_700_000_000_000;

fn seeded() -> TestServer {
    let s = TestServer::start(|_| {});
    for (job, base) in [("api", 1.0), ("web", 10.0)] {
        let samples: Vec<(i64, f64)> = (0..10).map(|i| (T0 + i * 15_000, base + i as f64)).collect();
        s.append(
            &[("__name__", "up_total"), ("job", job), ("instance", "a:1")],
            &samples,
        );
    }
    s.append(&[("__name__", "temp"), ("room", "x")], &[(T0, 21.5)]);
    s
}

#[test]
fn instant_query_vector_scalar_and_string() {
    let s = seeded();
    let t = (T0 + 30_000) as f64 / 1000.0;
    let r = s.get(&format!(
        "/api/v1/query?query={}&time={t}",
        enc("up_total{job=\"api\"}")
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    // Whole seconds are written as integers, like Prometheus does.
    assert!(r.text().contains(r#""value":[1700000030,"3"]"#), "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "success");
    assert_eq!(v["data"]["resultType"], "vector");
    let res = &v["data"]["result"][0];
    assert_eq!(
        res["metric"],
        json!({"__name__": "up_total", "job": "api", "instance": "a:1"})
    );
    assert_eq!(res["value"], json!([1_700_000_030i64, "3"]));

    let r = s.get("/api/v1/query?query=1%2B1&time=100.5");
    assert_eq!(
        r.json()["data"],
        json!({"resultType": "scalar", "result": [100.5, "2"]})
    );
    let r = s.get("/api/v1/query?query=%22hi%22&time=2015-07-01T20:10:51.781Z");
    assert_eq!(
        r.json()["data"],
        json!({"resultType": "string", "result": [1435781451.781, "hi"]})
    );
}

#[test]
fn instant_query_by_form_post_with_stats() {
    let s = seeded();
    let t = (T0 + 30_000) / 1000;
    let r = s.post_form(
        "/api/v1/query",
        &format!("query={}&time={t}&stats=all", enc("sum(up_total)")),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["result"][0]["value"][1], "15");
    assert!(v["data"]["stats"]["timings"]["evalTotalTime"].is_number());
    assert!(v["data"]["stats"]["samples"]["totalQueryableSamples"].is_number());
}

#[test]
fn range_query_matrix() {
    let s = seeded();
    let start = T0 / 1000;
    let r = s.get(&format!(
        "/api/v1/query_range?query={}&start={start}&end={}&step=15s",
        enc("up_total{job=\"web\"}"),
        start + 45
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"]["resultType"], "matrix");
    let vals = &v["data"]["result"][0]["values"];
    assert_eq!(vals.as_array().unwrap().len(), 4);
    assert_eq!(vals[0], json!([1_700_000_000i64, "10"]));
    assert_eq!(vals[3], json!([1_700_000_045i64, "13"]));
    // Float seconds are accepted as the step too.
    let r = s.post_form(
        "/api/v1/query_range",
        &format!("query=temp&start={start}&end={}&step=7.5", start + 15),
    );
    assert_eq!(
        r.json()["data"]["result"][0]["values"].as_array().unwrap().len(),
        3
    );
}

fn assert_error(r: &obslab_testkit::http::Response, code: u16, kind: &str, msg: &str) {
    assert_eq!(r.status, code, "{}", r.text());
    let v = r.json();
    assert_eq!(v["status"], "error");
    assert_eq!(v["errorType"], kind);
    let e = v["error"].as_str().unwrap();
    assert!(e.contains(msg), "error {e:?} lacks {msg:?}");
}

#[test]
fn bad_query_parameters_are_bad_data() {
    let s = seeded();
    assert_error(
        &s.get("/api/v1/query?query=up&time=yesterday"),
        400,
        "bad_data",
        "invalid parameter \"time\": cannot parse \"yesterday\" to a valid timestamp",
    );
    assert_error(
        &s.get(&format!("/api/v1/query?query={}", enc("up{"))),
        400,
        "bad_data",
        "invalid parameter \"query\"",
    );
    assert_error(
        &s.get("/api/v1/query?query=up&timeout=soon"),
        400,
        "bad_data",
        "invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration",
    );
    assert_error(
        &s.get("/api/v1/query_range?query=up&start=10&end=5&step=1"),
        400,
        "bad_data",
        "invalid parameter \"end\": end timestamp must not be before start time",
    );
    assert_error(
        &s.get("/api/v1/query_range?query=up&start=0&end=5&step=x"),
        400,
        "bad_data",
        "invalid parameter \"step\": cannot parse \"x\" to a valid duration",
    );
    assert_error(
        &s.get("/api/v1/query_range?query=up&start=0&end=5&step=0"),
        400,
        "bad_data",
        "zero or negative query resolution step widths are not accepted",
    );
    assert_error(
        &s.get("/api/v1/query_range?query=up&start=0&end=100000&step=1"),
        400,
        "bad_data",
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
}

#[test]
fn execution_errors_are_422() {
    let s = seeded();
    // Two series collapse onto the same label set.
    let q = enc("label_replace(up_total, \"job\", \"x\", \"job\", \".*\")");
    let r = s.get(&format!("/api/v1/query?query={q}&time={}", (T0 + 30_000) / 1000));
    assert_error(
        &r,
        422,
        "execution",
        "vector cannot contain metrics with the same labelset",
    );
}

#[test]
fn series_labels_and_values() {
    let s = seeded();
    let r = s.get(&format!("/api/v1/series?match[]={}", enc("up_total")));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        v["data"][0],
        json!({"__name__": "up_total", "instance": "a:1", "job": "api"})
    );
    // Two selectors whose results overlap are merged without duplicates.
    let r = s.get(&format!(
        "/api/v1/series?match[]={}&match[]={}",
        enc("up_total"),
        enc("{job=\"api\"}")
    ));
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
    // limit truncates with a warning.
    let r = s.get(&format!("/api/v1/series?match[]={}&limit=1", enc("up_total")));
    let v = r.json();
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["warnings"], json!(["results truncated due to limit"]));

    let v = s.get("/api/v1/labels").json();
    assert_eq!(v["data"], json!(["__name__", "instance", "job", "room"]));
    let v = s.get(&format!("/api/v1/labels?match[]={}", enc("temp"))).json();
    assert_eq!(v["data"], json!(["__name__", "room"]));
    let v = s.get("/api/v1/label/job/values").json();
    assert_eq!(v["data"], json!(["api", "web"]));
    let v = s.get("/api/v1/label/__name__/values?limit=1").json();
    assert_eq!(v["data"], json!(["temp"]));
    let v = s
        .get(&format!(
            "/api/v1/label/job/values?match[]={}",
            enc("up_total{instance=\"a:1\",job=\"web\"}")
        ))
        .json();
    assert_eq!(v["data"], json!(["web"]));
}

#[test]
fn series_errors() {
    let s = seeded();
    assert_error(
        &s.get("/api/v1/series"),
        400,
        "bad_data",
        "no match[] parameter provided",
    );
    assert_error(
        &s.get(&format!("/api/v1/series?match[]={}", enc("up{"))),
        400,
        "bad_data",
        "invalid parameter \"match[]\"",
    );
    assert_error(
        &s.get(&format!("/api/v1/series?match[]={}", enc("{job=~\".*\"}"))),
        400,
        "bad_data",
        "at least one non-empty matcher",
    );
    assert_error(
        &s.get("/api/v1/series?match[]=up&start=abc"),
        400,
        "bad_data",
        "invalid parameter \"start\"",
    );
    assert_error(
        &s.get("/api/v1/label/a-b/values"),
        400,
        "bad_data",
        "invalid label name: \"a-b\"",
    );
    assert_error(
        &s.get(&format!("/api/v1/labels?match[]={}", enc("{a=~\"(\"}"))),
        400,
        "bad_data",
        "",
    );
}

#[test]
fn metadata_targets_exemplars_and_status() {
    let s = seeded();
    s.state.metadata.record("up_total", "counter", "Whether up.", "");
    s.state
        .metadata
        .record("temp", "gauge", "Temperature.", "celsius");
    let v = s.get("/api/v1/metadata").json();
    assert_eq!(
        v["data"]["temp"],
        json!([{"type": "gauge", "help": "Temperature.", "unit": "celsius"}])
    );
    assert_eq!(
        s.get("/api/v1/metadata?limit=1").json()["data"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.get("/api/v1/metadata?metric=up_total").json()["data"]
            .as_object()
            .unwrap()
            .len(),
        1
    );

    let v = s.get("/api/v1/targets").json();
    assert_eq!(
        v["data"],
        json!({"activeTargets": [], "droppedTargets": [], "droppedTargetCounts": {}})
    );
    let v = s
        .get("/api/v1/query_exemplars?query=up_total&start=0&end=10")
        .json();
    assert_eq!(v, json!({"status": "success", "data": []}));

    let v = s.get("/api/v1/status/tsdb").json();
    assert_eq!(v["data"]["headStats"]["numSeries"], 3);
    assert_eq!(
        v["data"]["seriesCountByMetricName"][0],
        json!({"name": "up_total", "value": 2})
    );
    assert!(v["data"]["labelValueCountByLabelName"].is_array());
    let v = s.get("/api/v1/status/buildinfo").json();
    assert!(v["data"]["version"].is_string());
    let v = s.get("/api/v1/status/runtimeinfo").json();
    assert!(v["data"]["startTime"].is_string());
    assert_eq!(v["data"]["reloadConfigSuccess"], true);
    assert_eq!(s.get("/api/v1/status/config").json()["data"], json!({"yaml": ""}));
    assert!(s.get("/api/v1/status/flags").json()["data"].is_object());

    let v = s
        .get(&format!(
            "/api/v1/format_query?query={}",
            enc("sum(rate(x[5m]))by(job)")
        ))
        .json();
    assert_eq!(v["status"], "success");
    assert!(v["data"].as_str().unwrap().contains("rate(x[5m])"));
}

#[test]
fn admin_apis_disabled_by_default() {
    let s = seeded();
    let r = s.post_form("/api/v1/admin/tsdb/snapshot", "");
    assert_error(&r, 503, "unavailable", "admin APIs disabled");
    let r = s.post_form("/api/v1/admin/tsdb/delete_series", "match[]=up_total");
    assert_error(&r, 503, "unavailable", "admin APIs disabled");
}

#[test]
fn admin_delete_clean_and_snapshot() {
    let s = TestServer::start(|st| {
        let mut o = (*st.options).clone();
        o.enable_admin_api = true;
        st.options = std::sync::Arc::new(o);
    });
    s.append(&[("__name__", "a"), ("k", "1")], &[(T0, 1.0), (T0 + 1000, 2.0)]);
    s.append(&[("__name__", "b")], &[(T0, 5.0)]);
    assert_error(
        &s.post_form("/api/v1/admin/tsdb/delete_series", ""),
        400,
        "bad_data",
        "no match[] parameter provided",
    );
    let r = s.post_form(
        "/api/v1/admin/tsdb/delete_series",
        &format!("match[]={}", enc("a")),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let v = s
        .get(&format!("/api/v1/query?query=a&time={}", T0 / 1000 + 2))
        .json();
    assert_eq!(v["data"]["result"], json!([]));
    assert_eq!(s.post_form("/api/v1/admin/tsdb/clean_tombstones", "").status, 204);
    let r = s.post_form("/api/v1/admin/tsdb/snapshot", "");
    assert_eq!(r.status, 200, "{}", r.text());
    let name = r.json()["data"]["name"].as_str().unwrap().to_string();
    let snap = s.state.db.dir().join("snapshots").join(&name);
    let blocks: Vec<_> = std::fs::read_dir(&snap).unwrap().flatten().collect();
    assert_eq!(blocks.len(), 1, "one block in {}", snap.display());
    assert!(blocks[0].path().join("meta.json").exists());
}

#[test]
fn federate_lifecycle_and_metrics() {
    let s = TestServer::start(|_| {});
    let now = common::now_ms();
    s.append(
        &[("__name__", "fed_metric"), ("job", "j")],
        &[(now - 2000, 1.0), (now - 1000, 7.0)],
    );
    let r = s.get(&format!("/federate?match[]={}", enc("{job=\"j\"}")));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        format!(
            "# TYPE fed_metric untyped\nfed_metric{{job=\"j\"}} 7 {}\n",
            now - 1000
        )
    );
    assert_eq!(s.get(&format!("/federate?match[]={}", enc("{"))).status, 400);

    let r = s.get("/-/healthy");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "Prometheus Server is Healthy.\n")
    );
    let r = s.get("/-/ready");
    assert_eq!(
        (r.status, r.text().as_str()),
        (200, "Prometheus Server is Ready.\n")
    );
    let r = s.post_form("/-/reload", "");
    assert_eq!(r.status, 403);

    let m = s.get("/metrics").text();
    assert!(m.contains("prometheus_tsdb_head_series 1\n"), "{m}");
    assert!(
        m.contains("prometheus_http_requests_total{code=\"200\",handler=\"/-/healthy\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("prometheus_http_requests_total{code=\"400\",handler=\"/federate\"} 1"),
        "{m}"
    );
    assert!(m.contains("process_resident_memory_bytes "), "{m}");
}

#[test]
fn reload_calls_the_hook() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = calls.clone();
    let s = TestServer::start(move |st| {
        st.reload = Some(std::sync::Arc::new(move || {
            if c.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                Ok(())
            } else {
                Err("bad yaml".to_string())
            }
        }));
    });
    assert_eq!(s.post_form("/-/reload", "").status, 200);
    let r = s.post_form("/-/reload", "");
    assert_eq!(r.status, 500);
    assert!(r.text().contains("failed to reload config: bad yaml"));
    assert_eq!(
        s.get("/api/v1/status/runtimeinfo").json()["data"]["reloadConfigSuccess"],
        false
    );
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn engine_timeout_is_503_timeout() {
    let s = seeded();
    let q = enc("sum_over_time(vector(1)[1h:1ms])");
    let r = s.get(&format!(
        "/api/v1/query?query={q}&time={}&timeout=0.001",
        T0 / 1000
    ));
    assert_error(&r, 503, "timeout", "query timed out");
}
