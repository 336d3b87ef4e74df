use super::*;
use crate::config::load_str;
use crate::silence::Silence;
use chrono::TimeZone;
use obslab_model::Labels;

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
}

fn alert(name: &str, instance: &str, at: i64) -> Alert {
    Alert::firing(
        Labels::from_pairs([("alertname", name), ("instance", instance)]),
        t(at),
    )
}

fn dispatcher(yaml: &str) -> (Config, Dispatcher) {
    let cfg = load_str(yaml).unwrap();
    let root = cfg.root_route().unwrap();
    (cfg, Dispatcher::new(root))
}

const BASIC: &str = "
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]
";

#[test]
fn group_wait_then_group_interval_then_repeat() {
    let (_, mut d) = dispatcher(BASIC);
    d.insert(alert("Down", "a", 0), t(0));
    assert_eq!(d.next_flush(), Some(t(30)));
    assert!(d.tick(t(29), &DefaultPolicy).is_empty());
    let n = d.tick(t(30), &DefaultPolicy);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].firing.len(), 1);
    assert_eq!(n[0].receiver, "hook");
    assert_eq!(n[0].group_key, r#"{}:{alertname="Down"}"#);

    // A new alert in the group waits for group_interval, not group_wait.
    d.insert(alert("Down", "b", 40), t(40));
    assert!(d.tick(t(100), &DefaultPolicy).is_empty());
    let n = d.tick(t(330), &DefaultPolicy);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].firing.len(), 2);

    // Nothing changed: no notification until repeat_interval has passed since the last one.
    let mut now = 330;
    let mut sent_at = Vec::new();
    for _ in 0..20 {
        now += 300;
        if !d.tick(t(now), &DefaultPolicy).is_empty() {
            sent_at.push(now);
        }
    }
    assert_eq!(sent_at.first(), Some(&(330 + 3600)));
    assert_eq!(sent_at.len(), 1);
}

#[test]
fn resolved_alerts_are_notified_once_then_the_group_goes() {
    let (_, mut d) = dispatcher(BASIC);
    d.insert(alert("Down", "a", 0), t(0));
    assert_eq!(d.tick(t(30), &DefaultPolicy).len(), 1);
    let mut done = alert("Down", "a", 0);
    done.ends_at = Some(t(100));
    d.insert(done, t(100));
    let n = d.tick(t(330), &DefaultPolicy);
    assert_eq!(n.len(), 1);
    assert!(n[0].firing.is_empty());
    assert_eq!(n[0].resolved.len(), 1);
    assert_eq!(d.groups().count(), 0);
}

#[test]
fn old_alerts_flush_immediately_and_groups_split_by_labels() {
    let (_, mut d) = dispatcher(BASIC);
    d.insert(alert("Down", "a", -600), t(0));
    d.insert(alert("Slow", "a", 0), t(0));
    let n = d.tick(t(0), &DefaultPolicy);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].group_labels.get("alertname"), Some("Down"));
    assert_eq!(d.groups().count(), 2);
}

#[test]
fn silenced_alerts_are_not_sent_and_send_resolved_follows_the_receiver() {
    let yaml = "
route:
  receiver: slack
  group_by: ['...']
receivers:
  - name: slack
    slack_configs: [{api_url: 'http://127.0.0.1:9/slack', channel: '#x'}]
";
    let (cfg, mut d) = dispatcher(yaml);
    let mut silences = Silences::default();
    silences
        .set(
            Silence {
                id: String::new(),
                matchers: crate::config::parse_matchers("instance=b").unwrap(),
                starts_at: t(0),
                ends_at: t(10_000),
                updated_at: t(0),
                created_by: "ops".into(),
                comment: String::new(),
            },
            t(0),
        )
        .unwrap();
    let inhibitor = Inhibitor::default();
    let policy = ConfigPolicy {
        config: &cfg,
        silences: &silences,
        inhibitor: &inhibitor,
        alerts: &[],
    };
    d.insert(alert("Down", "a", 0), t(0));
    d.insert(alert("Down", "b", 0), t(0));
    let n = d.tick(t(30), &policy);
    assert_eq!(
        n.len(),
        1,
        "group_by ... makes one group per alert; b is silenced"
    );
    assert_eq!(n[0].firing[0].labels.get("instance"), Some("a"));

    // Slack does not send resolved notifications by default.
    let mut done = alert("Down", "a", 0);
    done.ends_at = Some(t(40));
    d.insert(done, t(40));
    assert!(d.tick(t(330), &policy).is_empty());
}

#[test]
fn time_intervals_mute_and_activate_routes() {
    // 1_700_000_000 is Tuesday 2023-11-14 22:13:20 UTC.
    let yaml = "
route:
  receiver: hook
  routes:
    - matchers: [team=a]
      mute_time_intervals: [night]
    - matchers: [team=b]
      active_time_intervals: [night]
time_intervals:
  - name: night
    time_intervals: [{times: [{start_time: '22:00', end_time: '24:00'}]}]
receivers:
  - name: hook
    inbox_configs: [{}]
";
    let (cfg, mut d) = dispatcher(yaml);
    let silences = Silences::default();
    let inhibitor = Inhibitor::default();
    let policy = ConfigPolicy {
        config: &cfg,
        silences: &silences,
        inhibitor: &inhibitor,
        alerts: &[],
    };
    d.insert(Alert::firing(Labels::from_pairs([("team", "a")]), t(0)), t(0));
    d.insert(Alert::firing(Labels::from_pairs([("team", "b")]), t(0)), t(0));
    let n = d.tick(t(30), &policy);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].group_key, r#"{}/{team="b"}:{}"#);
}

#[test]
fn continue_routes_make_one_group_per_route() {
    let yaml = "
route:
  receiver: a
  routes:
    - {matchers: [x=1], receiver: a, continue: true}
    - {matchers: [x=1], receiver: b}
receivers: [{name: a}, {name: b}]
";
    let (_, mut d) = dispatcher(yaml);
    d.insert(Alert::firing(Labels::from_pairs([("x", "1")]), t(0)), t(0));
    let mut receivers: Vec<String> = d
        .tick(t(30), &DefaultPolicy)
        .into_iter()
        .map(|n| n.receiver)
        .collect();
    receivers.sort();
    assert_eq!(receivers, ["a", "b"]);
}
