//! Defaults and semantic checks applied after parsing, with Alertmanager's error texts.

use super::integrations;
use super::matchers::is_valid_label_name;
use super::model::{Config, GlobalConfig, HttpConfig, InhibitRule, RouteConfig};
use crate::route::Route;
use std::collections::{BTreeMap, HashSet};

const SLACK_POST_MESSAGE: &str = "https://slack.com/api/chat.postMessage";

fn set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

fn at_most_one(a: &Option<String>, b: &Option<String>, an: &str, bn: &str) -> Result<(), String> {
    if set(a) && set(b) {
        return Err(format!("at most one of {an} & {bn} must be configured"));
    }
    Ok(())
}

fn check_http(h: &HttpConfig) -> Result<(), String> {
    at_most_one(
        &h.bearer_token,
        &h.bearer_token_file,
        "bearer_token",
        "bearer_token_file",
    )?;
    let schemes = [
        h.basic_auth.is_some(),
        h.authorization.is_some(),
        h.oauth2.is_some(),
        set(&h.bearer_token) || set(&h.bearer_token_file),
    ];
    if schemes.iter().filter(|b| **b).count() > 1 {
        return Err(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured".into(),
        );
    }
    if let Some(a) = &h.authorization {
        if a.kind.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("basic")) {
            return Err(r#"authorization type cannot be set to "basic", use "basic_auth" instead"#.into());
        }
        at_most_one(
            &a.credentials,
            &a.credentials_file,
            "credentials",
            "credentials_file",
        )?;
    }
    if let Some(b) = &h.basic_auth {
        at_most_one(&b.password, &b.password_file, "password", "password_file")?;
    }
    Ok(())
}

fn check_global(g: &GlobalConfig) -> Result<(), String> {
    if let Some(h) = &g.http_config {
        check_http(h)?;
    }
    let pairs: [(&Option<String>, &Option<String>, &str, &str); 10] = [
        (
            &g.smtp_auth_password,
            &g.smtp_auth_password_file,
            "smtp_auth_password",
            "smtp_auth_password_file",
        ),
        (
            &g.smtp_auth_secret,
            &g.smtp_auth_secret_file,
            "smtp_auth_secret",
            "smtp_auth_secret_file",
        ),
        (
            &g.slack_api_url,
            &g.slack_api_url_file,
            "slack_api_url",
            "slack_api_url_file",
        ),
        (
            &g.slack_app_token,
            &g.slack_app_token_file,
            "slack_app_token",
            "slack_app_token_file",
        ),
        (
            &g.opsgenie_api_key,
            &g.opsgenie_api_key_file,
            "opsgenie_api_key",
            "opsgenie_api_key_file",
        ),
        (
            &g.victorops_api_key,
            &g.victorops_api_key_file,
            "victorops_api_key",
            "victorops_api_key_file",
        ),
        (
            &g.telegram_bot_token,
            &g.telegram_bot_token_file,
            "telegram_bot_token",
            "telegram_bot_token_file",
        ),
        (
            &g.wechat_api_secret,
            &g.wechat_api_secret_file,
            "wechat_api_secret",
            "wechat_api_secret_file",
        ),
        (
            &g.rocketchat_token,
            &g.rocketchat_token_file,
            "rocketchat_token",
            "rocketchat_token_file",
        ),
        (
            &g.rocketchat_token_id,
            &g.rocketchat_token_id_file,
            "rocketchat_token_id",
            "rocketchat_token_id_file",
        ),
    ];
    for (a, b, an, bn) in pairs {
        at_most_one(a, b, an, bn)?;
    }
    at_most_one(
        &g.mattermost_webhook_url,
        &g.mattermost_webhook_url_file,
        "mattermost_webhook_url",
        "mattermost_webhook_url_file",
    )?;
    let token = set(&g.slack_app_token) || set(&g.slack_app_token_file);
    let url = set(&g.slack_api_url) || set(&g.slack_api_url_file);
    if token && url && g.slack_api_url.as_deref() != Some(SLACK_POST_MESSAGE) {
        return Err("at most one of slack_app_token/slack_app_token_file & slack_api_url/slack_api_url_file must be configured".into());
    }
    Ok(())
}

/// Fills defaults from `global` into receivers and checks the whole configuration.
pub fn validate(cfg: &mut Config) -> Result<(), String> {
    let g = cfg.global.get_or_insert_with(GlobalConfig::default).clone();
    check_global(&g)?;
    let global_http = g.http_config.clone().unwrap_or_default();

    let mut names = HashSet::new();
    for rcv in &mut cfg.receivers {
        if rcv.name.is_empty() {
            return Err("missing name in receiver".into());
        }
        if !names.insert(rcv.name.clone()) {
            return Err(format!("notification config name {:?} is not unique", rcv.name));
        }
        for wh in &mut rcv.webhook_configs {
            let h = wh.http_config.get_or_insert_with(|| global_http.clone());
            check_http(h)?;
            match (set(&wh.url), set(&wh.url_file)) {
                (true, true) => return Err("at most one of url & url_file must be configured".into()),
                (false, false) => return Err("one of url or url_file must be configured".into()),
                _ => {}
            }
            if let Some(u) = &wh.url {
                check_url(u)?;
            }
        }
        for sc in &mut rcv.slack_configs {
            let h = sc.http_config.get_or_insert_with(|| global_http.clone());
            check_http(h)?;
            at_most_one(&sc.api_url, &sc.api_url_file, "api_url", "api_url_file")?;
            at_most_one(&sc.app_token, &sc.app_token_file, "app_token", "app_token_file")?;
            let own_url = set(&sc.api_url) || set(&sc.api_url_file);
            let own_token = set(&sc.app_token) || set(&sc.app_token_file);
            if !own_url && !own_token {
                sc.api_url = g.slack_api_url.clone();
                sc.api_url_file = g.slack_api_url_file.clone();
                sc.app_token = g.slack_app_token.clone();
                sc.app_token_file = g.slack_app_token_file.clone();
            } else if own_token && !own_url {
                sc.api_url = g.slack_api_url.clone().filter(|u| u == SLACK_POST_MESSAGE);
            }
            if sc.app_url.is_none() {
                sc.app_url = g.slack_app_url.clone();
            }
            let url = set(&sc.api_url) || set(&sc.api_url_file);
            let token = set(&sc.app_token) || set(&sc.app_token_file);
            let bearer = sc.http_config.as_ref().is_some_and(|h| h.authorization.is_some());
            if !url && !token {
                return Err("no Slack API URL nor App token set either inline or in a file".into());
            }
            if sc.update_message
                && !(sc.api_url.as_deref() == Some(SLACK_POST_MESSAGE) && (token || bearer))
                && (!token || url)
            {
                return Err("update_message can only be used with bot tokens. api_url must be set to https://slack.com/api/chat.postMessage".into());
            }
        }
        for ec in &mut rcv.email_configs {
            if !set(&ec.to) {
                return Err("missing to address in email config".into());
            }
            if !set(&ec.smarthost) {
                ec.smarthost = g.smtp_smarthost.clone();
                if !set(&ec.smarthost) {
                    return Err("no global SMTP smarthost set".into());
                }
            }
            if !set(&ec.from) {
                ec.from = g.smtp_from.clone();
                if !set(&ec.from) {
                    return Err("no global SMTP from set".into());
                }
            }
            at_most_one(
                &ec.auth_password,
                &ec.auth_password_file,
                "auth_password",
                "auth_password_file",
            )?;
            at_most_one(
                &ec.auth_secret,
                &ec.auth_secret_file,
                "auth_secret",
                "auth_secret_file",
            )?;
            if ec.hello.is_none() {
                ec.hello = Some(g.smtp_hello.clone());
            }
            if !set(&ec.auth_username) {
                ec.auth_username = g.smtp_auth_username.clone();
            }
            if !set(&ec.auth_password) && !set(&ec.auth_password_file) {
                ec.auth_password = g.smtp_auth_password.clone();
                ec.auth_password_file = g.smtp_auth_password_file.clone();
            }
            if !set(&ec.auth_secret) && !set(&ec.auth_secret_file) {
                ec.auth_secret = g.smtp_auth_secret.clone();
                ec.auth_secret_file = g.smtp_auth_secret_file.clone();
            }
            if !set(&ec.auth_identity) {
                ec.auth_identity = g.smtp_auth_identity.clone();
            }
            if ec.require_tls.is_none() {
                ec.require_tls = Some(g.smtp_require_tls);
            }
            if ec.force_implicit_tls.is_none() {
                ec.force_implicit_tls = g.smtp_force_implicit_tls;
            }
            if ec.tls_config.is_none() {
                ec.tls_config = g.smtp_tls_config.clone();
            }
            if ec.html.is_none() {
                ec.html = Some(r#"{{ template "email.default.html" . }}"#.into());
            }
            let headers: BTreeMap<String, String> = ec
                .headers
                .iter()
                .map(|(k, v)| (title_case(k), v.clone()))
                .collect();
            if headers.len() != ec.headers.len() {
                return Err("duplicate header in email config".into());
            }
            ec.headers = headers;
        }
        for (kind, list) in rcv.other_integrations() {
            for it in list {
                integrations::validate(kind, it, &g)?;
            }
        }
    }

    let mut intervals = HashSet::new();
    for ti in cfg.time_intervals.iter().chain(cfg.mute_time_intervals.iter()) {
        if ti.name.is_empty() {
            return Err("missing name in time interval".into());
        }
        if !intervals.insert(ti.name.clone()) {
            return Err(format!("time interval {:?} is not unique", ti.name));
        }
    }

    for rule in &cfg.inhibit_rules {
        check_inhibit_rule(rule)?;
    }

    if let Some(t) = &cfg.tracing {
        if let Some(c) = t
            .client_type
            .as_deref()
            .filter(|c| !matches!(*c, "grpc" | "http"))
        {
            return Err(format!("invalid tracing client type {c:?}"));
        }
        if t.sampling_fraction.is_some_and(|f| !(0.0..=1.0).contains(&f)) {
            return Err("tracing sampling_fraction must be between 0 and 1".into());
        }
    }

    let root = cfg.route.as_ref().ok_or("no routes provided")?;
    if !set(&root.receiver) {
        return Err("root route must specify a default receiver".into());
    }
    if !root.match_eq.is_empty() || !root.match_re.is_empty() || !root.matchers.0.is_empty() {
        return Err("root route must not have any matchers".into());
    }
    if !root.mute_time_intervals.is_empty() {
        return Err("root route must not have any mute time intervals".into());
    }
    if !root.active_time_intervals.is_empty() {
        return Err("root route must not have any active time intervals".into());
    }
    check_route_refs(root, &names, &intervals)?;
    Route::from_config(root)?;
    Ok(())
}

fn check_url(u: &str) -> Result<(), String> {
    let ok = ["http://", "https://"]
        .iter()
        .any(|p| u.len() > p.len() && u.starts_with(p));
    if !ok {
        return Err(format!("unsupported scheme or missing host in URL {u:?}"));
    }
    Ok(())
}

/// `content-type` → `Content-Type`, as Go canonicalizes MIME header keys.
fn title_case(k: &str) -> String {
    k.split('-')
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn check_route_refs(
    r: &RouteConfig,
    receivers: &HashSet<String>,
    intervals: &HashSet<String>,
) -> Result<(), String> {
    if let Some(name) = r.receiver.as_deref().filter(|n| !n.is_empty())
        && !receivers.contains(name)
    {
        return Err(format!("undefined receiver {name:?} used in route"));
    }
    for name in r.mute_time_intervals.iter().chain(r.active_time_intervals.iter()) {
        if !intervals.contains(name) {
            return Err(format!("undefined time interval {name:?} used in route"));
        }
    }
    for child in &r.routes {
        check_route_refs(child, receivers, intervals)?;
    }
    Ok(())
}

fn check_inhibit_rule(rule: &InhibitRule) -> Result<(), String> {
    for (side, eq, re) in [
        ("source", &rule.source_match, &rule.source_match_re),
        ("target", &rule.target_match, &rule.target_match_re),
    ] {
        for name in eq.keys().chain(re.keys()) {
            if !is_valid_label_name(name) {
                return Err(format!("invalid label name {name:?}"));
            }
        }
        for (name, v) in re {
            let v = v.as_deref().ok_or_else(|| {
                format!("invalid regular expression for label {name:?} in {side}_match_re: null")
            })?;
            regex::Regex::new(&format!("^(?:{v})$"))
                .map_err(|e| format!("invalid {side}_match_re for label {name:?}: {e}"))?;
        }
    }
    for name in &rule.equal {
        if !is_valid_label_name(name) {
            return Err(format!("invalid label name {name:?} in equal list"));
        }
    }
    Ok(())
}
