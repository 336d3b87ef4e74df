//! The HTTP client settings every Prometheus component shares (scrape, remote write/read,
//! alertmanagers): auth, TLS, proxies, redirects.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::types::Secret;

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub username_file: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    #[serde(default)]
    pub password_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Defaults to `Bearer`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub credentials: Option<Secret>,
    #[serde(default)]
    pub credentials_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    #[serde(default)]
    pub ca: Option<String>,
    #[serde(default)]
    pub ca_file: Option<String>,
    #[serde(default)]
    pub cert: Option<String>,
    #[serde(default)]
    pub cert_file: Option<String>,
    #[serde(default)]
    pub key: Option<Secret>,
    #[serde(default)]
    pub key_file: Option<String>,
    #[serde(default)]
    pub server_name: Option<String>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
    #[serde(default)]
    pub min_version: Option<String>,
    #[serde(default)]
    pub max_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    #[serde(default)]
    pub client_secret_file: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub token_url: String,
    #[serde(default)]
    pub endpoint_params: BTreeMap<String, String>,
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    #[serde(default)]
    pub proxy_url: Option<String>,
}

/// Declares a config struct that also carries the shared HTTP client fields (serde cannot combine
/// `flatten` with `deny_unknown_fields`, so the fields are spliced in).
macro_rules! with_http_client {
    ($(#[$m:meta])* pub struct $name:ident { $($body:tt)* }) => {
        $(#[$m])*
        pub struct $name {
            $($body)*
            #[serde(default)]
            pub basic_auth: Option<$crate::config::http::BasicAuth>,
            #[serde(default)]
            pub authorization: Option<$crate::config::http::Authorization>,
            #[serde(default)]
            pub oauth2: Option<$crate::config::http::OAuth2>,
            #[serde(default)]
            pub bearer_token: Option<$crate::config::types::Secret>,
            #[serde(default)]
            pub bearer_token_file: Option<String>,
            #[serde(default)]
            pub tls_config: Option<$crate::config::http::TlsConfig>,
            #[serde(default)]
            pub proxy_url: Option<String>,
            #[serde(default)]
            pub no_proxy: Option<String>,
            #[serde(default)]
            pub proxy_from_environment: bool,
            #[serde(default)]
            pub proxy_connect_header: std::collections::BTreeMap<String, Vec<$crate::config::types::Secret>>,
            #[serde(default = "crate::config::http::default_true")]
            pub follow_redirects: bool,
            #[serde(default = "crate::config::http::default_true")]
            pub enable_http2: bool,
            #[serde(default)]
            pub http_headers: Option<serde::de::IgnoredAny>,
        }

        impl $name {
            /// The shared HTTP client settings of this block.
            pub fn http_client(&self) -> $crate::config::http::HttpClientView<'_> {
                $crate::config::http::HttpClientView {
                    basic_auth: self.basic_auth.as_ref(),
                    authorization: self.authorization.as_ref(),
                    oauth2: self.oauth2.as_ref(),
                    bearer_token: self.bearer_token.as_ref(),
                    bearer_token_file: self.bearer_token_file.as_deref(),
                    tls_config: self.tls_config.as_ref(),
                    proxy_url: self.proxy_url.as_deref(),
                }
            }

            /// Resolves relative file names against the config file's folder, as Prometheus does.
            pub(crate) fn resolve_http_paths(&mut self, dir: &std::path::Path) {
                let fix = |p: &mut Option<String>| $crate::config::http::resolve(p, dir);
                if let Some(b) = self.basic_auth.as_mut() {
                    fix(&mut b.password_file);
                    fix(&mut b.username_file);
                }
                if let Some(a) = self.authorization.as_mut() {
                    fix(&mut a.credentials_file);
                }
                if let Some(o) = self.oauth2.as_mut() {
                    fix(&mut o.client_secret_file);
                }
                fix(&mut self.bearer_token_file);
                if let Some(t) = self.tls_config.as_mut() {
                    fix(&mut t.ca_file);
                    fix(&mut t.cert_file);
                    fix(&mut t.key_file);
                }
            }
        }
    };
}

pub(crate) use with_http_client;

pub(crate) fn default_true() -> bool {
    true
}

pub(crate) fn resolve(p: &mut Option<String>, dir: &std::path::Path) {
    if let Some(s) = p.as_mut()
        && !s.is_empty()
        && std::path::Path::new(s.as_str()).is_relative()
    {
        *s = dir.join(s.as_str()).to_string_lossy().into_owned();
    }
}

/// A borrowed view of the shared HTTP client fields, for validation and for building clients.
#[derive(Debug, Clone, Copy)]
pub struct HttpClientView<'a> {
    pub basic_auth: Option<&'a BasicAuth>,
    pub authorization: Option<&'a Authorization>,
    pub oauth2: Option<&'a OAuth2>,
    pub bearer_token: Option<&'a Secret>,
    pub bearer_token_file: Option<&'a str>,
    pub tls_config: Option<&'a TlsConfig>,
    pub proxy_url: Option<&'a str>,
}

impl HttpClientView<'_> {
    /// Prometheus's `HTTPClientConfig.Validate`, with its wording.
    pub fn validate(&self) -> Result<(), String> {
        let bearer = self.bearer_token.is_some_and(|s| !s.0.is_empty())
            || self.bearer_token_file.is_some_and(|s| !s.is_empty());
        if self.bearer_token.is_some_and(|s| !s.0.is_empty())
            && self.bearer_token_file.is_some_and(|s| !s.is_empty())
        {
            return Err("at most one of bearer_token & bearer_token_file must be configured".into());
        }
        if let Some(b) = self.basic_auth {
            if bearer {
                return Err(
                    "at most one of basic_auth, bearer_token & bearer_token_file must be configured".into(),
                );
            }
            if !b.username.is_empty() && b.username_file.as_deref().is_some_and(|s| !s.is_empty()) {
                return Err("at most one of basic_auth username & username_file must be configured".into());
            }
            if b.password.as_ref().is_some_and(|s| !s.0.is_empty())
                && b.password_file.as_deref().is_some_and(|s| !s.is_empty())
            {
                return Err("at most one of basic_auth password & password_file must be configured".into());
            }
        }
        if let Some(a) = self.authorization {
            if bearer {
                return Err("authorization is not compatible with bearer_token & bearer_token_file".into());
            }
            if a.credentials.as_ref().is_some_and(|s| !s.0.is_empty())
                && a.credentials_file.as_deref().is_some_and(|s| !s.is_empty())
            {
                return Err(
                    "at most one of authorization credentials & credentials_file must be configured".into(),
                );
            }
            if a.kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("basic")) {
                return Err(
                    "authorization type cannot be set to \"basic\", use \"basic_auth\" instead".into(),
                );
            }
        }
        let auth_count = [
            self.basic_auth.is_some(),
            self.authorization.is_some(),
            self.oauth2.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if auth_count > 1 {
            return Err("at most one of basic_auth, oauth2 & authorization must be configured".into());
        }
        if let Some(o) = self.oauth2 {
            if bearer {
                return Err(
                    "at most one of oauth2 & bearer_token & bearer_token_file must be configured".into(),
                );
            }
            if o.client_id.is_empty() {
                return Err("oauth2 client_id must be configured".into());
            }
            if o.token_url.is_empty() {
                return Err("oauth2 token_url must be configured".into());
            }
        }
        if let Some(t) = self.tls_config {
            if t.ca.is_some() && t.ca_file.is_some() {
                return Err("at most one of ca and ca_file must be configured".into());
            }
            if t.cert.is_some() && t.cert_file.is_some() {
                return Err("at most one of cert and cert_file must be configured".into());
            }
            if t.key.is_some() && t.key_file.is_some() {
                return Err("at most one of key and key_file must be configured".into());
            }
        }
        if let Some(p) = self.proxy_url
            && url::Url::parse(p).is_err()
        {
            return Err(format!("invalid proxy_url {p:?}"));
        }
        Ok(())
    }
}
