//! The configuration types, field for field as `alertmanager.yml` spells them. Unknown fields are
//! errors, as in Alertmanager's strict YAML loading.

use super::duration::PromDuration;
use super::integrations::Integration;
use super::matchers::MatcherList;
use super::time_interval::TimeIntervalSet;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole `alertmanager.yml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub global: Option<GlobalConfig>,
    #[serde(default)]
    pub route: Option<RouteConfig>,
    #[serde(default)]
    pub inhibit_rules: Vec<InhibitRule>,
    #[serde(default)]
    pub receivers: Vec<Receiver>,
    #[serde(default)]
    pub templates: Vec<String>,
    /// Deprecated spelling of `time_intervals`, still accepted.
    #[serde(default)]
    pub mute_time_intervals: Vec<TimeIntervalSet>,
    #[serde(default)]
    pub time_intervals: Vec<TimeIntervalSet>,
    /// Where Alertmanager exports its own traces (OTLP).
    #[serde(default)]
    pub tracing: Option<TracingConfig>,
}

/// The `tracing` section, as in Prometheus.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracingConfig {
    pub client_type: Option<String>,
    pub endpoint: Option<String>,
    pub sampling_fraction: Option<f64>,
    #[serde(default)]
    pub insecure: bool,
    pub tls_config: Option<TlsConfig>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub compression: Option<String>,
    pub timeout: Option<PromDuration>,
}

impl Config {
    /// The global section (filled with defaults by validation).
    pub fn global(&self) -> GlobalConfig {
        self.global.clone().unwrap_or_default()
    }

    /// The resolved routing tree (inheritance applied). Loaded configs always have a route.
    pub fn root_route(&self) -> Result<crate::route::Route, String> {
        let root = self.route.as_ref().ok_or("no routes provided")?;
        crate::route::Route::from_config(root)
    }

    pub fn receiver(&self, name: &str) -> Option<&Receiver> {
        self.receivers.iter().find(|r| r.name == name)
    }

    /// A named time interval from `time_intervals` or the deprecated `mute_time_intervals`.
    pub fn time_interval(&self, name: &str) -> Option<&TimeIntervalSet> {
        self.time_intervals
            .iter()
            .chain(self.mute_time_intervals.iter())
            .find(|t| t.name == name)
    }
}

fn default_resolve_timeout() -> PromDuration {
    PromDuration::from_secs(300)
}
fn default_true() -> bool {
    true
}
fn default_smtp_hello() -> String {
    "localhost".into()
}
fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// The `global` section: defaults that receivers inherit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalConfig {
    #[serde(default = "default_resolve_timeout")]
    pub resolve_timeout: PromDuration,
    #[serde(default)]
    pub http_config: Option<HttpConfig>,
    pub smtp_from: Option<String>,
    #[serde(default = "default_smtp_hello")]
    pub smtp_hello: String,
    pub smtp_smarthost: Option<String>,
    pub smtp_auth_username: Option<String>,
    pub smtp_auth_password: Option<String>,
    pub smtp_auth_password_file: Option<String>,
    pub smtp_auth_secret: Option<String>,
    pub smtp_auth_secret_file: Option<String>,
    pub smtp_auth_identity: Option<String>,
    #[serde(default = "default_true")]
    pub smtp_require_tls: bool,
    pub smtp_tls_config: Option<TlsConfig>,
    pub smtp_force_implicit_tls: Option<bool>,
    pub slack_api_url: Option<String>,
    pub slack_api_url_file: Option<String>,
    pub slack_app_token: Option<String>,
    pub slack_app_token_file: Option<String>,
    pub slack_app_url: Option<String>,
    pub pagerduty_url: Option<String>,
    pub opsgenie_api_url: Option<String>,
    pub opsgenie_api_key: Option<String>,
    pub opsgenie_api_key_file: Option<String>,
    pub wechat_api_url: Option<String>,
    pub wechat_api_secret: Option<String>,
    pub wechat_api_secret_file: Option<String>,
    pub wechat_api_corp_id: Option<String>,
    pub victorops_api_url: Option<String>,
    pub victorops_api_key: Option<String>,
    pub victorops_api_key_file: Option<String>,
    pub telegram_api_url: Option<String>,
    pub telegram_bot_token: Option<String>,
    pub telegram_bot_token_file: Option<String>,
    pub webex_api_url: Option<String>,
    pub rocketchat_api_url: Option<String>,
    pub rocketchat_token: Option<String>,
    pub rocketchat_token_file: Option<String>,
    pub rocketchat_token_id: Option<String>,
    pub rocketchat_token_id_file: Option<String>,
    pub mattermost_webhook_url: Option<String>,
    pub mattermost_webhook_url_file: Option<String>,
    pub jira_api_url: Option<String>,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            resolve_timeout: default_resolve_timeout(),
            http_config: None,
            smtp_from: None,
            smtp_hello: default_smtp_hello(),
            smtp_smarthost: None,
            smtp_auth_username: None,
            smtp_auth_password: None,
            smtp_auth_password_file: None,
            smtp_auth_secret: None,
            smtp_auth_secret_file: None,
            smtp_auth_identity: None,
            smtp_require_tls: true,
            smtp_tls_config: None,
            smtp_force_implicit_tls: None,
            slack_api_url: None,
            slack_api_url_file: None,
            slack_app_token: None,
            slack_app_token_file: None,
            slack_app_url: None,
            pagerduty_url: s("https://events.pagerduty.com/v2/enqueue"),
            opsgenie_api_url: s("https://api.opsgenie.com/"),
            opsgenie_api_key: None,
            opsgenie_api_key_file: None,
            wechat_api_url: s("https://qyapi.weixin.qq.com/cgi-bin/"),
            wechat_api_secret: None,
            wechat_api_secret_file: None,
            wechat_api_corp_id: None,
            victorops_api_url: s("https://alert.victorops.com/integrations/generic/20131114/alert/"),
            victorops_api_key: None,
            victorops_api_key_file: None,
            telegram_api_url: s("https://api.telegram.org"),
            telegram_bot_token: None,
            telegram_bot_token_file: None,
            webex_api_url: s("https://webexapis.com/v1/messages"),
            rocketchat_api_url: s("https://open.rocket.chat/"),
            rocketchat_token: None,
            rocketchat_token_file: None,
            rocketchat_token_id: None,
            rocketchat_token_id_file: None,
            mattermost_webhook_url: None,
            mattermost_webhook_url_file: None,
            jira_api_url: None,
        }
    }
}

/// HTTP client settings shared by every notifier (Prometheus common `http_config`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub basic_auth: Option<BasicAuth>,
    pub authorization: Option<Authorization>,
    /// OAuth2 client credentials; kept as written.
    pub oauth2: Option<serde_json::Value>,
    pub bearer_token: Option<String>,
    pub bearer_token_file: Option<String>,
    pub tls_config: Option<TlsConfig>,
    pub proxy_url: Option<String>,
    pub no_proxy: Option<String>,
    #[serde(default)]
    pub proxy_from_environment: bool,
    pub proxy_connect_header: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default = "default_true")]
    pub follow_redirects: bool,
    #[serde(default = "default_true")]
    pub enable_http2: bool,
    pub http_headers: Option<serde_json::Value>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            basic_auth: None,
            authorization: None,
            oauth2: None,
            bearer_token: None,
            bearer_token_file: None,
            tls_config: None,
            proxy_url: None,
            no_proxy: None,
            proxy_from_environment: false,
            proxy_connect_header: None,
            follow_redirects: true,
            enable_http2: true,
            http_headers: None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: Option<String>,
    pub username_file: Option<String>,
    pub password: Option<String>,
    pub password_file: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub credentials: Option<String>,
    pub credentials_file: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub server_name: Option<String>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
    pub min_version: Option<String>,
    pub max_version: Option<String>,
}

/// A node of the routing tree as written; see [`crate::route::Route`] for the resolved tree.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    pub receiver: Option<String>,
    pub group_by: Option<Vec<String>>,
    /// Deprecated equality matchers.
    #[serde(default, rename = "match")]
    pub match_eq: BTreeMap<String, String>,
    /// Deprecated regex matchers; a null value is an error reported by validation.
    #[serde(default)]
    pub match_re: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub matchers: MatcherList,
    #[serde(default, rename = "continue")]
    pub continue_matching: bool,
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    pub group_wait: Option<PromDuration>,
    pub group_interval: Option<PromDuration>,
    pub repeat_interval: Option<PromDuration>,
    #[serde(default)]
    pub mute_time_intervals: Vec<String>,
    #[serde(default)]
    pub active_time_intervals: Vec<String>,
    /// Template-valued labels attached to the route's groups; children inherit and may override
    /// them one by one.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// Mutes target alerts while a matching source alert fires.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InhibitRule {
    #[serde(default)]
    pub source_match: BTreeMap<String, String>,
    #[serde(default)]
    pub source_match_re: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub source_matchers: MatcherList,
    #[serde(default)]
    pub target_match: BTreeMap<String, String>,
    #[serde(default)]
    pub target_match_re: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub target_matchers: MatcherList,
    #[serde(default)]
    pub equal: Vec<String>,
}

/// A named notification destination with one or more integrations.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub webhook_configs: Vec<WebhookConfig>,
    #[serde(default)]
    pub slack_configs: Vec<SlackConfig>,
    #[serde(default)]
    pub email_configs: Vec<EmailConfig>,
    /// obslab's own receiver: keeps notifications in memory for the API and UI to show.
    #[serde(default)]
    pub inbox_configs: Vec<InboxConfig>,
    #[serde(default)]
    pub pagerduty_configs: Vec<Integration>,
    #[serde(default)]
    pub opsgenie_configs: Vec<Integration>,
    #[serde(default)]
    pub wechat_configs: Vec<Integration>,
    #[serde(default)]
    pub pushover_configs: Vec<Integration>,
    #[serde(default)]
    pub victorops_configs: Vec<Integration>,
    #[serde(default)]
    pub sns_configs: Vec<Integration>,
    #[serde(default)]
    pub telegram_configs: Vec<Integration>,
    #[serde(default)]
    pub discord_configs: Vec<Integration>,
    #[serde(default)]
    pub webex_configs: Vec<Integration>,
    #[serde(default)]
    pub msteams_configs: Vec<Integration>,
    #[serde(default)]
    pub msteamsv2_configs: Vec<Integration>,
    #[serde(default)]
    pub jira_configs: Vec<Integration>,
    #[serde(default)]
    pub rocketchat_configs: Vec<Integration>,
    #[serde(default)]
    pub mattermost_configs: Vec<Integration>,
    #[serde(default)]
    pub incidentio_configs: Vec<Integration>,
}

impl Receiver {
    /// The integrations kept as written (not delivered by obslab), by their config key.
    pub fn other_integrations(&self) -> [(&'static str, &[Integration]); 15] {
        [
            ("pagerduty", &self.pagerduty_configs),
            ("opsgenie", &self.opsgenie_configs),
            ("wechat", &self.wechat_configs),
            ("pushover", &self.pushover_configs),
            ("victorops", &self.victorops_configs),
            ("sns", &self.sns_configs),
            ("telegram", &self.telegram_configs),
            ("discord", &self.discord_configs),
            ("webex", &self.webex_configs),
            ("msteams", &self.msteams_configs),
            ("msteamsv2", &self.msteamsv2_configs),
            ("jira", &self.jira_configs),
            ("rocketchat", &self.rocketchat_configs),
            ("mattermost", &self.mattermost_configs),
            ("incidentio", &self.incidentio_configs),
        ]
    }
}

/// `webhook_configs`: POSTs Alertmanager's webhook JSON to `url` (or the URL read from `url_file`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    #[serde(default = "default_true")]
    pub send_resolved: bool,
    pub http_config: Option<HttpConfig>,
    pub url: Option<String>,
    pub url_file: Option<String>,
    /// Largest number of alerts in one message; 0 means all.
    #[serde(default)]
    pub max_alerts: u64,
    pub timeout: Option<PromDuration>,
}

/// `slack_configs`: a Slack incoming webhook or `chat.postMessage` with an app token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    #[serde(default)]
    pub send_resolved: bool,
    pub http_config: Option<HttpConfig>,
    pub api_url: Option<String>,
    pub api_url_file: Option<String>,
    pub app_token: Option<String>,
    pub app_token_file: Option<String>,
    pub app_url: Option<String>,
    pub channel: Option<String>,
    pub username: Option<String>,
    pub color: Option<String>,
    pub title: Option<String>,
    pub title_link: Option<String>,
    pub pretext: Option<String>,
    pub text: Option<String>,
    pub fields: Option<serde_json::Value>,
    #[serde(default)]
    pub short_fields: bool,
    pub footer: Option<String>,
    pub fallback: Option<String>,
    pub callback_id: Option<String>,
    pub icon_emoji: Option<String>,
    pub icon_url: Option<String>,
    pub image_url: Option<String>,
    pub thumb_url: Option<String>,
    #[serde(default)]
    pub link_names: bool,
    pub mrkdwn_in: Option<Vec<String>>,
    pub actions: Option<serde_json::Value>,
    #[serde(default)]
    pub update_message: bool,
    pub timeout: Option<PromDuration>,
}

/// `email_configs`: SMTP delivery; unset fields come from the `smtp_*` globals.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    #[serde(default)]
    pub send_resolved: bool,
    pub to: Option<String>,
    pub from: Option<String>,
    pub hello: Option<String>,
    pub smarthost: Option<String>,
    pub auth_username: Option<String>,
    pub auth_password: Option<String>,
    pub auth_password_file: Option<String>,
    pub auth_secret: Option<String>,
    pub auth_secret_file: Option<String>,
    pub auth_identity: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub html: Option<String>,
    pub text: Option<String>,
    pub require_tls: Option<bool>,
    pub tls_config: Option<TlsConfig>,
    pub force_implicit_tls: Option<bool>,
    pub threading: Option<serde_json::Value>,
}

/// `inbox_configs` (obslab only): notifications are kept in an in-memory inbox that the API and
/// UI list, so alerting can be tried without any external service. `inbox_configs: [{}]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxConfig {
    #[serde(default = "default_true")]
    pub send_resolved: bool,
    /// Largest number of alerts kept per notification; 0 means all.
    #[serde(default)]
    pub max_alerts: u64,
}

impl Default for InboxConfig {
    fn default() -> Self {
        Self {
            send_resolved: true,
            max_alerts: 0,
        }
    }
}
