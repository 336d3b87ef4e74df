//! The `obslab chaos status` table: one row per service with its faults in words.

use super::ServiceChaos;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;

/// Renders the services' chaos states as a table.
pub fn render_status_table(rows: &[ServiceChaos]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(["service", "url", "status", "faults"]);
    for row in rows {
        let faults = match (&row.state, &row.error) {
            (Some(state), _) => {
                let f = describe_faults(state);
                if f.is_empty() {
                    "none".to_string()
                } else {
                    f.join("\n")
                }
            }
            (None, Some(err)) => err.clone(),
            (None, None) => String::new(),
        };
        table.add_row([row.service.clone(), row.url.clone(), row.status.clone(), faults]);
    }
    table.to_string()
}

/// The active faults of a `/chaos` state in words, e.g. `slow 400 ms (p=1)`.
pub fn describe_faults(state: &Value) -> Vec<String> {
    let num = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    let mut out = Vec::new();
    let active = |k: &str| state.get(k).filter(|v| !v.is_null());
    if let Some(v) = active("slow") {
        let mut s = format!("slow {} ms", fmt(num(v, "delay_ms")));
        if let Some(p) = num(v, "probability") {
            s.push_str(&format!(" (p={})", fmt(Some(p))));
        }
        out.push(with_expiry(s, v));
    }
    if let Some(v) = active("error") {
        let rate = num(v, "rate")
            .map(|r| format!("{}%", fmt(Some(r * 100.0))))
            .unwrap_or("?".into());
        let s = format!("errors {rate} → {}", fmt(num(v, "status")));
        out.push(with_expiry(s, v));
    }
    if let Some(v) = active("leak") {
        let mut s = format!("leak {} MB/min", fmt(num(v, "mb_per_min")));
        if let Some(b) = num(v, "leaked_bytes") {
            s.push_str(&format!(" ({:.1} MB leaked)", b / 1_048_576.0));
        }
        out.push(with_expiry(s, v));
    }
    if let Some(v) = active("db_slow") {
        out.push(with_expiry(format!("db-slow {} ms", fmt(num(v, "delay_ms"))), v));
    }
    out
}

fn with_expiry(mut s: String, fault: &Value) -> String {
    if let Some(left) = fault.get("expires_in_s").and_then(Value::as_f64) {
        s.push_str(&format!(", {left:.0}s left"));
    }
    s
}

fn fmt(x: Option<f64>) -> String {
    match x {
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v}"),
        None => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn describes_every_fault() {
        let state = json!({
            "service": "api",
            "slow": {"delay_ms": 400, "probability": 1.0, "expires_in_s": 29.6},
            "error": {"rate": 0.5, "status": 500},
            "leak": {"mb_per_min": 50.0, "leaked_bytes": 10_485_760},
            "db_slow": {"delay_ms": 500}
        });
        assert_eq!(
            describe_faults(&state),
            vec![
                "slow 400 ms (p=1), 30s left",
                "errors 50% → 500",
                "leak 50 MB/min (10.0 MB leaked)",
                "db-slow 500 ms"
            ]
        );
        let calm = json!({"service": "api", "slow": null, "error": null, "leak": null, "db_slow": null});
        assert!(describe_faults(&calm).is_empty());
    }

    #[test]
    fn table_shows_up_and_down() {
        let rows = vec![
            ServiceChaos {
                service: "api".into(),
                url: "http://127.0.0.1:8081/".into(),
                status: "up".into(),
                state: Some(json!({"db_slow": {"delay_ms": 500}})),
                error: None,
            },
            ServiceChaos {
                service: "payment".into(),
                url: "http://127.0.0.1:8082/".into(),
                status: "down".into(),
                state: None,
                error: Some("connection refused".into()),
            },
        ];
        let t = render_status_table(&rows);
        for needle in [
            "api",
            "db-slow 500 ms",
            "payment",
            "down",
            "connection refused",
            "8082",
        ] {
            assert!(t.contains(needle), "missing {needle}:\n{t}");
        }
    }
}
