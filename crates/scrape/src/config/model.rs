//! The prometheus.yml structure. Field names, nesting and defaults follow Prometheus; sections of
//! Prometheus that obslab does not act on (cloud service discovery, storage, tracing, ...) are
//! accepted so that a real prometheus.yml loads, but their content is not interpreted.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::http::with_http_client;
use super::types::{LabelMap, PromDuration, TargetGroup};
use crate::relabel::RelabelConfig;

/// A whole prometheus.yml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub global: GlobalConfig,
    #[serde(default)]
    pub runtime: Option<IgnoredAny>,
    #[serde(default)]
    pub alerting: AlertingConfig,
    #[serde(default)]
    pub rule_files: Vec<String>,
    #[serde(default)]
    pub scrape_config_files: Vec<String>,
    #[serde(default)]
    pub scrape_configs: Vec<ScrapeConfig>,
    #[serde(default)]
    pub storage: Option<IgnoredAny>,
    #[serde(default)]
    pub tracing: Option<IgnoredAny>,
    #[serde(default)]
    pub remote_write: Vec<RemoteWriteConfig>,
    #[serde(default)]
    pub remote_read: Vec<RemoteReadConfig>,
    #[serde(default)]
    pub otlp: Option<IgnoredAny>,
}

/// The `global:` block.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalConfig {
    /// Defaults to 1m.
    #[serde(default)]
    pub scrape_interval: PromDuration,
    /// Defaults to 10s (or the interval when that is shorter).
    #[serde(default)]
    pub scrape_timeout: PromDuration,
    #[serde(default)]
    pub scrape_protocols: Vec<String>,
    /// Defaults to 1m.
    #[serde(default)]
    pub evaluation_interval: PromDuration,
    #[serde(default)]
    pub rule_query_offset: PromDuration,
    #[serde(default)]
    pub external_labels: LabelMap,
    #[serde(default)]
    pub query_log_file: String,
    #[serde(default)]
    pub scrape_failure_log_file: String,
    #[serde(default)]
    pub body_size_limit: Option<String>,
    #[serde(default)]
    pub sample_limit: u64,
    #[serde(default)]
    pub target_limit: u64,
    #[serde(default)]
    pub label_limit: u64,
    #[serde(default)]
    pub label_name_length_limit: u64,
    #[serde(default)]
    pub label_value_length_limit: u64,
    #[serde(default)]
    pub keep_dropped_targets: u64,
    #[serde(default)]
    pub metric_name_validation_scheme: Option<String>,
    #[serde(default)]
    pub metric_name_escaping_scheme: Option<String>,
    #[serde(default)]
    pub always_scrape_classic_histograms: Option<bool>,
    #[serde(default)]
    pub convert_classic_histograms_to_nhcb: Option<bool>,
    #[serde(default)]
    pub scrape_native_histograms: Option<bool>,
    #[serde(default)]
    pub extra_scrape_metrics: Option<bool>,
}

/// A `file_sd_configs` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSdConfig {
    pub files: Vec<String>,
    /// Defaults to 5m.
    #[serde(default = "default_file_sd_refresh")]
    pub refresh_interval: PromDuration,
}

fn default_file_sd_refresh() -> PromDuration {
    PromDuration::from_secs(300)
}

fn default_metrics_path() -> String {
    "/metrics".to_string()
}

fn default_scheme() -> String {
    "http".to_string()
}

/// Service discovery mechanisms of Prometheus that obslab accepts in a config but does not run.
pub const UNSUPPORTED_SD_KEYS: &[&str] = &[
    "azure_sd_configs",
    "consul_sd_configs",
    "digitalocean_sd_configs",
    "docker_sd_configs",
    "dockerswarm_sd_configs",
    "dns_sd_configs",
    "ec2_sd_configs",
    "ecs_sd_configs",
    "elasticache_sd_configs",
    "eureka_sd_configs",
    "gce_sd_configs",
    "hetzner_sd_configs",
    "http_sd_configs",
    "ionos_sd_configs",
    "kubernetes_sd_configs",
    "kuma_sd_configs",
    "lightsail_sd_configs",
    "linode_sd_configs",
    "marathon_sd_configs",
    "msk_sd_configs",
    "nerve_sd_configs",
    "nomad_sd_configs",
    "openstack_sd_configs",
    "ovhcloud_sd_configs",
    "puppetdb_sd_configs",
    "rds_sd_configs",
    "scaleway_sd_configs",
    "serverset_sd_configs",
    "triton_sd_configs",
    "uyuni_sd_configs",
    "vultr_sd_configs",
    "stackit_sd_configs",
];

/// Declares the service-discovery fields shared by scrape configs and alertmanager configs.
macro_rules! with_service_discovery {
    ($(#[$m:meta])* pub struct $name:ident { $($body:tt)* }) => {
        with_http_client! {
            $(#[$m])*
            pub struct $name {
                $($body)*
                #[serde(default)]
                pub static_configs: Vec<TargetGroup>,
                #[serde(default)]
                pub file_sd_configs: Vec<FileSdConfig>,
                #[serde(default)]
                pub relabel_configs: Vec<RelabelConfig>,
                #[serde(default)] pub azure_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub consul_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub digitalocean_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub docker_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub dockerswarm_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub dns_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub ec2_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub ecs_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub elasticache_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub eureka_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub gce_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub hetzner_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub http_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub ionos_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub kubernetes_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub kuma_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub lightsail_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub linode_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub marathon_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub msk_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub nerve_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub nomad_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub openstack_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub ovhcloud_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub puppetdb_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub rds_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub scaleway_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub serverset_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub triton_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub uyuni_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub vultr_sd_configs: Option<IgnoredAny>,
                #[serde(default)] pub stackit_sd_configs: Option<IgnoredAny>,
            }
        }
    };
}

with_service_discovery! {
    /// A `scrape_configs` entry. Fields left unset inherit from `global` when the config is loaded.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ScrapeConfig {
        pub job_name: String,
        #[serde(default)]
        pub honor_labels: bool,
        #[serde(default = "crate::config::http::default_true")]
        pub honor_timestamps: bool,
        #[serde(default)]
        pub track_timestamps_staleness: bool,
        #[serde(default)]
        pub params: BTreeMap<String, Vec<String>>,
        #[serde(default)]
        pub scrape_interval: PromDuration,
        #[serde(default)]
        pub scrape_timeout: PromDuration,
        #[serde(default)]
        pub scrape_protocols: Vec<String>,
        #[serde(default)]
        pub scrape_fallback_protocol: Option<String>,
        #[serde(default)]
        pub scrape_classic_histograms: Option<bool>,
        #[serde(default)]
        pub always_scrape_classic_histograms: Option<bool>,
        #[serde(default)]
        pub convert_classic_histograms_to_nhcb: Option<bool>,
        #[serde(default)]
        pub scrape_native_histograms: Option<bool>,
        #[serde(default = "default_metrics_path")]
        pub metrics_path: String,
        #[serde(default = "default_scheme")]
        pub scheme: String,
        #[serde(default = "crate::config::http::default_true")]
        pub enable_compression: bool,
        #[serde(default)]
        pub body_size_limit: Option<String>,
        #[serde(default)]
        pub sample_limit: Option<u64>,
        #[serde(default)]
        pub target_limit: Option<u64>,
        #[serde(default)]
        pub label_limit: Option<u64>,
        #[serde(default)]
        pub label_name_length_limit: Option<u64>,
        #[serde(default)]
        pub label_value_length_limit: Option<u64>,
        #[serde(default)]
        pub native_histogram_bucket_limit: Option<u64>,
        #[serde(default)]
        pub native_histogram_min_bucket_factor: Option<f64>,
        #[serde(default)]
        pub keep_dropped_targets: Option<u64>,
        #[serde(default)]
        pub metric_name_validation_scheme: Option<String>,
        #[serde(default)]
        pub metric_name_escaping_scheme: Option<String>,
        #[serde(default)]
        pub scrape_failure_log_file: Option<String>,
        #[serde(default)]
        pub extra_scrape_metrics: Option<bool>,
        #[serde(default)]
        pub metric_relabel_configs: Vec<RelabelConfig>,
    }
}

impl ScrapeConfig {
    /// Names of the service-discovery mechanisms this job configures that obslab does not run.
    pub fn unsupported_sd(&self) -> Vec<&'static str> {
        let set = [
            self.azure_sd_configs.is_some(),
            self.consul_sd_configs.is_some(),
            self.digitalocean_sd_configs.is_some(),
            self.docker_sd_configs.is_some(),
            self.dockerswarm_sd_configs.is_some(),
            self.dns_sd_configs.is_some(),
            self.ec2_sd_configs.is_some(),
            self.ecs_sd_configs.is_some(),
            self.elasticache_sd_configs.is_some(),
            self.eureka_sd_configs.is_some(),
            self.gce_sd_configs.is_some(),
            self.hetzner_sd_configs.is_some(),
            self.http_sd_configs.is_some(),
            self.ionos_sd_configs.is_some(),
            self.kubernetes_sd_configs.is_some(),
            self.kuma_sd_configs.is_some(),
            self.lightsail_sd_configs.is_some(),
            self.linode_sd_configs.is_some(),
            self.marathon_sd_configs.is_some(),
            self.msk_sd_configs.is_some(),
            self.nerve_sd_configs.is_some(),
            self.nomad_sd_configs.is_some(),
            self.openstack_sd_configs.is_some(),
            self.ovhcloud_sd_configs.is_some(),
            self.puppetdb_sd_configs.is_some(),
            self.rds_sd_configs.is_some(),
            self.scaleway_sd_configs.is_some(),
            self.serverset_sd_configs.is_some(),
            self.triton_sd_configs.is_some(),
            self.uyuni_sd_configs.is_some(),
            self.vultr_sd_configs.is_some(),
            self.stackit_sd_configs.is_some(),
        ];
        UNSUPPORTED_SD_KEYS
            .iter()
            .zip(set)
            .filter(|(_, on)| *on)
            .map(|(k, _)| *k)
            .collect()
    }

    /// `body_size_limit` in bytes after inheritance (0 = no limit).
    pub fn body_size_limit_bytes(&self) -> u64 {
        self.body_size_limit
            .as_deref()
            .and_then(|s| super::types::parse_bytes(s).ok())
            .unwrap_or(0)
    }

    /// `sample_limit` after inheritance (0 = no limit).
    pub fn sample_limit(&self) -> u64 {
        self.sample_limit.unwrap_or(0)
    }

    /// `label_limit` after inheritance (0 = no limit).
    pub fn label_limit(&self) -> u64 {
        self.label_limit.unwrap_or(0)
    }

    pub fn label_name_length_limit(&self) -> u64 {
        self.label_name_length_limit.unwrap_or(0)
    }

    pub fn label_value_length_limit(&self) -> u64 {
        self.label_value_length_limit.unwrap_or(0)
    }
}

/// The `alerting:` block.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertingConfig {
    #[serde(default)]
    pub alert_relabel_configs: Vec<RelabelConfig>,
    #[serde(default)]
    pub alertmanagers: Vec<AlertmanagerConfig>,
}

fn default_am_timeout() -> PromDuration {
    PromDuration::from_secs(10)
}

fn default_api_version() -> String {
    "v2".to_string()
}

with_service_discovery! {
    /// One `alertmanagers` entry.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct AlertmanagerConfig {
        #[serde(default = "default_scheme")]
        pub scheme: String,
        #[serde(default)]
        pub path_prefix: String,
        #[serde(default = "default_am_timeout")]
        pub timeout: PromDuration,
        #[serde(default = "default_api_version")]
        pub api_version: String,
        #[serde(default)]
        pub alert_relabel_configs: Vec<RelabelConfig>,
        #[serde(default)]
        pub sigv4: Option<IgnoredAny>,
    }
}

/// `queue_config` of a remote write endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    pub capacity: u64,
    pub max_shards: u64,
    pub min_shards: u64,
    pub max_samples_per_send: u64,
    pub batch_send_deadline: PromDuration,
    pub min_backoff: PromDuration,
    pub max_backoff: PromDuration,
    pub retry_on_http_429: bool,
    pub sample_age_limit: PromDuration,
}

impl Default for QueueConfig {
    /// Prometheus's defaults.
    fn default() -> Self {
        Self {
            capacity: 10_000,
            max_shards: 50,
            min_shards: 1,
            max_samples_per_send: 2_000,
            batch_send_deadline: PromDuration::from_secs(5),
            min_backoff: PromDuration(std::time::Duration::from_millis(30)),
            max_backoff: PromDuration::from_secs(5),
            retry_on_http_429: true,
            sample_age_limit: PromDuration::ZERO,
        }
    }
}

/// `metadata_config` of a remote write endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetadataConfig {
    pub send: bool,
    pub send_interval: PromDuration,
    pub max_samples_per_send: u64,
}

impl Default for MetadataConfig {
    fn default() -> Self {
        Self {
            send: true,
            send_interval: PromDuration::from_secs(60),
            max_samples_per_send: 500,
        }
    }
}

fn default_remote_write_timeout() -> PromDuration {
    PromDuration::from_secs(30)
}

fn default_remote_read_timeout() -> PromDuration {
    PromDuration::from_secs(60)
}

with_http_client! {
    /// A `remote_write` entry.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RemoteWriteConfig {
        pub url: String,
        #[serde(default = "default_remote_write_timeout")]
        pub remote_timeout: PromDuration,
        #[serde(default)]
        pub headers: BTreeMap<String, String>,
        #[serde(default)]
        pub write_relabel_configs: Vec<RelabelConfig>,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub send_exemplars: bool,
        #[serde(default)]
        pub send_native_histograms: bool,
        #[serde(default)]
        pub round_robin_dns: bool,
        #[serde(default)]
        pub protobuf_message: Option<String>,
        #[serde(default)]
        pub queue_config: QueueConfig,
        #[serde(default)]
        pub metadata_config: MetadataConfig,
        #[serde(default)]
        pub sigv4: Option<IgnoredAny>,
        #[serde(default)]
        pub azuread: Option<IgnoredAny>,
        #[serde(default)]
        pub google_iam: Option<IgnoredAny>,
    }
}

with_http_client! {
    /// A `remote_read` entry.
    #[derive(Debug, Clone, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RemoteReadConfig {
        pub url: String,
        #[serde(default = "default_remote_read_timeout")]
        pub remote_timeout: PromDuration,
        #[serde(default)]
        pub headers: BTreeMap<String, String>,
        #[serde(default)]
        pub read_recent: bool,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub required_matchers: BTreeMap<String, String>,
        #[serde(default = "crate::config::http::default_true")]
        pub filter_external_labels: bool,
    }
}
