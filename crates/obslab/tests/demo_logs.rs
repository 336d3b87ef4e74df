//! JSON logs on stdout, the "listening" line, trace context in log lines, and clean shutdown on
//! SIGTERM/SIGINT.

#[path = "demo_support.rs"]
mod support;

use std::time::Duration;

use obslab_testkit::{SIGINT, SIGTERM};
use serde_json::Value;
use support::*;

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || !(b[10] == b'T' || b[10] == b't')
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match &s[i..] {
        "Z" | "z" => true,
        off => {
            let o = off.as_bytes();
            o.len() == 6
                && (o[0] == b'+' || o[0] == b'-')
                && o[1..3].iter().all(u8::is_ascii_digit)
                && o[3] == b':'
                && o[4..6].iter().all(u8::is_ascii_digit)
        }
    }
}

#[test]
fn rfc3339_checker_works() {
    assert!(is_rfc3339("2026-11-22T00:10:00Z"));
    assert!(is_rfc3339("2026-11-22T00:10:00.123456Z"));
    assert!(is_rfc3339("2026-11-22T00:10:00+01:00"));
    assert!(!is_rfc3339("2026-11-22 00:10:00"));
    assert!(!is_rfc3339("1700000000"));
    assert!(!is_rfc3339("2026-11-22T00:10:00."));
}

/// Every stdout line is one JSON object with the common fields.
fn assert_json_lines(svc: &Svc) -> Vec<Value> {
    let lines = svc.stdout();
    assert!(!lines.is_empty(), "{} wrote nothing on stdout", svc.name);
    let mut out = Vec::new();
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{} stdout line is not JSON ({e}): {line}", svc.name));
        assert!(v.is_object(), "not an object: {line}");
        let ts = v["timestamp"].as_str().unwrap_or_default();
        assert!(is_rfc3339(ts), "timestamp {ts:?} is not RFC 3339: {line}");
        let level = v["level"].as_str().unwrap_or_default().to_ascii_uppercase();
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR"].contains(&level.as_str()),
            "level {level:?}: {line}"
        );
        assert_eq!(v["service"], svc.name, "{line}");
        assert!(v["message"].is_string(), "message: {line}");
        out.push(v);
    }
    out
}

#[test]
fn logs_one_json_object_per_line_with_a_listening_line() {
    let db = Db::new();
    let api = Svc::start("api", &Opts::db(&db));
    let listening = api.wait_log(Duration::from_secs(5), |v| v["message"] == "listening");
    let listening = listening.unwrap_or_else(|| panic!("no listening line: {:?}", api.stdout()));
    let addr = listening["addr"].as_str().unwrap_or_default();
    assert!(
        addr.ends_with(&format!(":{}", api.port)),
        "addr {addr:?} names the port {}",
        api.port
    );
    assert_eq!(api.get("/api/products").status, 200);
    assert_eq!(api.get("/api/simulate-error").status, 500);
    std::thread::sleep(Duration::from_millis(200));
    assert_json_lines(&api);
}

#[test]
fn request_logs_carry_the_propagated_trace_context() {
    let shop = Shop::start(None, false, true);
    let gw = shop.gateway();
    let (header, trace_id, parent) = traceparent(1);
    let r = gw
        .req("GET", "/api/products")
        .header("traceparent", &header)
        .send()
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let line = gw.wait_log(Duration::from_secs(5), |v| v["trace_id"] == trace_id.as_str());
    let line = line.unwrap_or_else(|| panic!("no gateway log with trace_id {trace_id}: {:?}", gw.stdout()));
    assert!(is_hex_id(&line["span_id"], 16), "span_id: {line}");
    assert_ne!(
        line["span_id"],
        parent.as_str(),
        "the gateway logs in its own span, a child of the caller's"
    );

    // The trace continues into api: its log lines of that request carry the same trace id.
    let pid = product_ids(&shop.api)[0];
    let (header, trace_id, _) = traceparent(2);
    let r = gw
        .req("POST", "/api/orders")
        .header("traceparent", &header)
        .json(&order(pid, 1))
        .send()
        .unwrap();
    assert!(r.status < 600);
    let line = shop
        .api
        .wait_log(Duration::from_secs(5), |v| v["trace_id"] == trace_id.as_str());
    assert!(
        line.is_some(),
        "no api log line in trace {trace_id}: {:?}",
        shop.api.stdout()
    );
    assert!(is_hex_id(&line.unwrap()["span_id"], 16));
    for svc in [&shop.api, &shop.payment, &shop.inventory, gw] {
        assert_json_lines(svc);
    }
}

#[test]
fn sigterm_and_sigint_stop_a_service_cleanly() {
    for (service, sig) in [("payment", SIGTERM), ("gateway", SIGINT), ("api", SIGTERM)] {
        let db = Db::new();
        let mut svc = Svc::start(service, &Opts::db(&db));
        assert_eq!(svc.get("/health").status, 200);
        svc.guard.signal(sig);
        let status = svc.guard.wait_timeout(Duration::from_secs(4));
        let status = status.unwrap_or_else(|| panic!("{service} still running 4 s after signal {sig}"));
        assert!(status.success(), "{service} exit after signal {sig}: {status:?}");
    }
}
