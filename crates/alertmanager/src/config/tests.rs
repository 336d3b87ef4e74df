use super::*;
use std::time::Duration;

fn err(yaml: &str) -> String {
    load_str(yaml).unwrap_err().to_string()
}

#[test]
fn defaults_follow_alertmanager() {
    let cfg = load_str(
        "route: {receiver: r}\nreceivers:\n  - name: r\n    webhook_configs: [{url: 'http://127.0.0.1:9/'}]\n    inbox_configs: [{}]\n    slack_configs: [{api_url: 'http://127.0.0.1:9/s'}]\n",
    )
    .unwrap();
    let g = cfg.global();
    assert_eq!(g.resolve_timeout.0, Duration::from_secs(300));
    assert_eq!(g.smtp_hello, "localhost");
    assert!(g.smtp_require_tls);
    let r = cfg.receiver("r").unwrap();
    assert!(r.webhook_configs[0].send_resolved);
    assert_eq!(r.webhook_configs[0].max_alerts, 0);
    assert!(
        r.webhook_configs[0]
            .http_config
            .as_ref()
            .unwrap()
            .follow_redirects
    );
    assert!(r.inbox_configs[0].send_resolved);
    assert!(!r.slack_configs[0].send_resolved);
    let root = crate::route::Route::from_config(cfg.route.as_ref().unwrap()).unwrap();
    assert_eq!(root.group_wait, Duration::from_secs(30));
    assert_eq!(root.group_interval, Duration::from_secs(300));
    assert_eq!(root.repeat_interval, Duration::from_secs(4 * 3600));
}

#[test]
fn email_inherits_smtp_globals() {
    let cfg = load_str(
        "global: {smtp_smarthost: 'localhost:25', smtp_from: 'am@example.org', smtp_auth_username: u, smtp_auth_password: p}\nroute: {receiver: r}\nreceivers:\n  - name: r\n    email_configs: [{to: 'a@example.org', headers: {subject: hi}}]\n",
    )
    .unwrap();
    let ec = &cfg.receiver("r").unwrap().email_configs[0];
    assert_eq!(ec.smarthost.as_deref(), Some("localhost:25"));
    assert_eq!(ec.from.as_deref(), Some("am@example.org"));
    assert_eq!(ec.auth_password.as_deref(), Some("p"));
    assert_eq!(ec.require_tls, Some(true));
    assert_eq!(ec.headers.get("Subject").map(String::as_str), Some("hi"));
}

#[test]
fn validation_errors_use_alertmanager_wording() {
    let cases = [
        ("receivers: [{name: r}]", "no routes provided"),
        (
            "route: {group_by: [a]}\nreceivers: [{name: r}]",
            "root route must specify a default receiver",
        ),
        (
            "route: {receiver: x}\nreceivers: [{name: r}]",
            "undefined receiver \"x\" used in route",
        ),
        (
            "route: {receiver: r, routes: [{receiver: x}]}\nreceivers: [{name: r}]",
            "undefined receiver \"x\" used in route",
        ),
        (
            "route: {receiver: r, matchers: [a=b]}\nreceivers: [{name: r}]",
            "root route must not have any matchers",
        ),
        (
            "route: {receiver: r, match: {a: b}}\nreceivers: [{name: r}]",
            "root route must not have any matchers",
        ),
        (
            "route: {receiver: r, mute_time_intervals: [x]}\nreceivers: [{name: r}]",
            "root route must not have any mute time intervals",
        ),
        (
            "route: {receiver: r, routes: [{mute_time_intervals: [x]}]}\nreceivers: [{name: r}]",
            "undefined time interval \"x\" used in route",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}, {name: r}]",
            "notification config name \"r\" is not unique",
        ),
        (
            "route: {receiver: r}\nreceivers: [{webhook_configs: []}]",
            "missing name in receiver",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{}]}]",
            "one of url or url_file must be configured",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: 'http://a/', url_file: /f}]}]",
            "at most one of url & url_file must be configured",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, email_configs: [{to: a@b}]}]",
            "no global SMTP smarthost set",
        ),
        ("route: {receiver: r}\nreceivers: [{name: r}]\nbogus: 1", "bogus"),
        (
            "route: {receiver: r, group_wait: soon}\nreceivers: [{name: r}]",
            "duration",
        ),
        (
            "route: {receiver: r, routes: [{matchers: ['a=\"b']}]}\nreceivers: [{name: r}]",
            "unescaped double quote",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\ntracing: {client_type: udp}",
            "invalid tracing client type",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\ntime_intervals: [{name: t}, {name: t}]",
            "time interval \"t\" is not unique",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules: [{source_match: {'a-b': x}}]",
            "invalid label name \"a-b\"",
        ),
        (
            "route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: 'http://a/', http_config: {authorization: {type: Basic}}}]}]",
            "authorization type cannot be set to \"basic\"",
        ),
    ];
    for (yaml, want) in cases {
        let got = err(yaml);
        assert!(got.contains(want), "{yaml}\n  want {want:?}\n  got  {got:?}");
    }
}

#[test]
fn matchers_in_routes_and_time_intervals_load() {
    let cfg = load_str(
        r#"
route:
  receiver: r
  routes:
    - matchers: ['{a="b",c=~"d|e"}', 'f!=g']
      receiver: r
      active_time_intervals: [work]
time_intervals:
  - name: work
    time_intervals:
      - weekdays: ['monday:friday']
        times: [{start_time: '09:00', end_time: '17:00'}]
        location: Local
receivers: [{name: r}]
"#,
    )
    .unwrap();
    let child = &cfg.route.as_ref().unwrap().routes[0];
    assert_eq!(child.matchers.0.len(), 3);
    assert!(cfg.time_interval("work").is_some());
}
