//! Notification integrations that obslab accepts in `alertmanager.yml` (so existing configs load)
//! but does not deliver to: their fields are checked against Alertmanager's field lists and the
//! secrets they need are checked as Alertmanager checks them.

use super::model::GlobalConfig;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One entry of e.g. `pagerduty_configs`, kept as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Integration(pub BTreeMap<String, serde_json::Value>);

impl Integration {
    fn has(&self, key: &str) -> bool {
        self.0
            .get(key)
            .is_some_and(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.is_empty()))
    }

    /// Alertmanager's `send_resolved` default for this kind.
    pub fn send_resolved(&self, kind: &str) -> bool {
        match self.0.get("send_resolved").and_then(|v| v.as_bool()) {
            Some(b) => b,
            None => !matches!(kind, "wechat" | "rocketchat"),
        }
    }
}

const COMMON: &[&str] = &["send_resolved", "http_config"];

/// The fields each kind accepts besides `send_resolved` and `http_config`.
fn fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "pagerduty" => &[
            "routing_key",
            "routing_key_file",
            "service_key",
            "service_key_file",
            "url",
            "client",
            "client_url",
            "description",
            "details",
            "images",
            "links",
            "source",
            "severity",
            "class",
            "component",
            "group",
            "timeout",
        ],
        "opsgenie" => &[
            "api_key",
            "api_key_file",
            "api_url",
            "message",
            "description",
            "source",
            "details",
            "entity",
            "responders",
            "actions",
            "tags",
            "note",
            "priority",
            "update_alerts",
        ],
        "wechat" => &[
            "api_secret",
            "api_secret_file",
            "corp_id",
            "message",
            "api_url",
            "to_user",
            "to_party",
            "to_tag",
            "agent_id",
            "message_type",
        ],
        "pushover" => &[
            "user_key",
            "user_key_file",
            "token",
            "token_file",
            "title",
            "message",
            "url",
            "url_title",
            "device",
            "sound",
            "priority",
            "retry",
            "expire",
            "ttl",
            "html",
            "monospace",
        ],
        "victorops" => &[
            "api_key",
            "api_key_file",
            "api_url",
            "routing_key",
            "message_type",
            "entity_display_name",
            "state_message",
            "monitoring_tool",
            "custom_fields",
        ],
        "sns" => &[
            "api_url",
            "sigv4",
            "topic_arn",
            "phone_number",
            "target_arn",
            "subject",
            "message",
            "attributes",
        ],
        "telegram" => &[
            "api_url",
            "bot_token",
            "bot_token_file",
            "chat_id",
            "chat_id_file",
            "message_thread_id",
            "message",
            "disable_notifications",
            "parse_mode",
        ],
        "discord" => &[
            "webhook_url",
            "webhook_url_file",
            "title",
            "message",
            "content",
            "username",
            "avatar_url",
        ],
        "webex" => &["api_url", "room_id", "message"],
        "msteams" => &["webhook_url", "webhook_url_file", "title", "summary", "text"],
        "msteamsv2" => &["webhook_url", "webhook_url_file", "title", "text"],
        "jira" => &[
            "api_url",
            "project",
            "summary",
            "description",
            "labels",
            "priority",
            "issue_type",
            "reopen_transition",
            "resolve_transition",
            "wont_fix_resolution",
            "reopen_duration",
            "fields",
            "api_type",
        ],
        "rocketchat" => &[
            "api_url",
            "channel",
            "token",
            "token_file",
            "token_id",
            "token_id_file",
            "color",
            "emoji",
            "icon_url",
            "text",
            "title",
            "title_link",
            "fields",
            "short_fields",
            "image_url",
            "thumb_url",
            "link_names",
            "actions",
        ],
        "mattermost" => &[
            "webhook_url",
            "webhook_url_file",
            "channel",
            "username",
            "text",
            "icon_url",
            "icon_emoji",
            "attachments",
            "props",
            "priority",
        ],
        "incidentio" => &[
            "url",
            "url_file",
            "alert_source_token",
            "alert_source_token_file",
            "max_alerts",
            "timeout",
        ],
        _ => &[],
    }
}

fn at_most_one(it: &Integration, a: &str, b: &str) -> Result<(), String> {
    if it.has(a) && it.has(b) {
        return Err(format!("at most one of {a} & {b} must be configured"));
    }
    Ok(())
}

fn set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

/// Checks one integration of `kind` (`opsgenie`, `sns`, ...) against the globals it inherits from.
pub fn validate(kind: &str, it: &Integration, g: &GlobalConfig) -> Result<(), String> {
    let allowed = fields(kind);
    for key in it.0.keys() {
        if !COMMON.contains(&key.as_str()) && !allowed.contains(&key.as_str()) {
            return Err(format!("field {key} not found in type {kind}.plain"));
        }
    }
    if let Some(h) = it.0.get("http_config") {
        serde_json::from_value::<super::model::HttpConfig>(h.clone())
            .map_err(|e| format!("{kind} http_config: {e}"))?;
    }
    match kind {
        "pagerduty"
            if ![
                "routing_key",
                "routing_key_file",
                "service_key",
                "service_key_file",
            ]
            .iter()
            .any(|k| it.has(k)) =>
        {
            return Err("missing service or routing key in PagerDuty config".into());
        }
        "opsgenie" => {
            at_most_one(it, "api_key", "api_key_file")?;
            if !it.has("api_key")
                && !it.has("api_key_file")
                && !set(&g.opsgenie_api_key)
                && !set(&g.opsgenie_api_key_file)
            {
                return Err("no global OpsGenie API Key set either inline or in a file".into());
            }
        }
        "victorops" => {
            at_most_one(it, "api_key", "api_key_file")?;
            if !it.has("api_key")
                && !it.has("api_key_file")
                && !set(&g.victorops_api_key)
                && !set(&g.victorops_api_key_file)
            {
                return Err("no global VictorOps API Key set".into());
            }
            if !it.has("routing_key") {
                return Err("missing Routing key in VictorOps config".into());
            }
        }
        "wechat" => {
            at_most_one(it, "api_secret", "api_secret_file")?;
            if !it.has("api_secret")
                && !it.has("api_secret_file")
                && !set(&g.wechat_api_secret)
                && !set(&g.wechat_api_secret_file)
            {
                return Err("no global Wechat Api Secret set either inline or in a file".into());
            }
            if !it.has("corp_id") && !set(&g.wechat_api_corp_id) {
                return Err("no global Wechat CorpID set".into());
            }
        }
        "telegram" => {
            at_most_one(it, "bot_token", "bot_token_file")?;
            if !it.has("bot_token")
                && !it.has("bot_token_file")
                && !set(&g.telegram_bot_token)
                && !set(&g.telegram_bot_token_file)
            {
                return Err("missing bot_token or bot_token_file on telegram_config".into());
            }
        }
        "rocketchat" => {
            at_most_one(it, "token", "token_file")?;
            at_most_one(it, "token_id", "token_id_file")?;
            if !it.has("token")
                && !it.has("token_file")
                && !set(&g.rocketchat_token)
                && !set(&g.rocketchat_token_file)
            {
                return Err("no global Rocketchat Token set either inline or in a file".into());
            }
            if !it.has("token_id")
                && !it.has("token_id_file")
                && !set(&g.rocketchat_token_id)
                && !set(&g.rocketchat_token_id_file)
            {
                return Err("no global Rocketchat Token ID set either inline or in a file".into());
            }
        }
        "mattermost" => {
            at_most_one(it, "webhook_url", "webhook_url_file")?;
            if !it.has("webhook_url")
                && !it.has("webhook_url_file")
                && !set(&g.mattermost_webhook_url)
                && !set(&g.mattermost_webhook_url_file)
            {
                return Err("missing webhook_url or webhook_url_file on mattermost_config".into());
            }
        }
        "sns" if !it.has("target_arn") && !it.has("topic_arn") && !it.has("phone_number") => {
            return Err("must provide either a Target ARN, Topic ARN, or Phone Number for SNS config".into());
        }
        "pushover" => {
            at_most_one(it, "user_key", "user_key_file")?;
            at_most_one(it, "token", "token_file")?;
            if !it.has("user_key") && !it.has("user_key_file") {
                return Err("one of user_key or user_key_file must be configured".into());
            }
            if !it.has("token") && !it.has("token_file") {
                return Err("one of token or token_file must be configured".into());
            }
        }
        "discord" | "msteams" | "msteamsv2" => {
            at_most_one(it, "webhook_url", "webhook_url_file")?;
            if !it.has("webhook_url") && !it.has("webhook_url_file") {
                return Err("one of webhook_url or webhook_url_file must be configured".into());
            }
        }
        "webex" if !it.has("room_id") => {
            return Err("missing room_id on webex_config".into());
        }
        "incidentio" => {
            at_most_one(it, "url", "url_file")?;
            if !it.has("url") && !it.has("url_file") {
                return Err("one of url or url_file must be configured".into());
            }
        }
        _ => {}
    }
    Ok(())
}
