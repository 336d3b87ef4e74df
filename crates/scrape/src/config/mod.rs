//! prometheus.yml: the configuration model, loading with strict unknown-field errors, Prometheus's
//! defaults and validation, and `check_config` with promtool's file checks.

mod check;
pub mod http;
mod model;
mod types;
mod validate;

use std::path::{Path, PathBuf};

pub use check::{CheckReport, check_config, check_config_report};
pub use model::{
    AlertingConfig, AlertmanagerConfig, Config, FileSdConfig, GlobalConfig, MetadataConfig, QueueConfig,
    RemoteReadConfig, RemoteWriteConfig, ScrapeConfig, UNSUPPORTED_SD_KEYS,
};
pub use types::{LabelMap, PromDuration, Secret, TargetGroup, parse_bytes};
pub use validate::valid_file_sd_name;

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("couldn't load configuration (--config.file={path:?}): {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing YAML file {path}: {message}")]
    Yaml { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    /// A referenced file is missing (promtool's checks beyond syntax).
    #[error("{0}")]
    File(String),
}

/// Deserializes YAML with one-line errors (`line L column C: ...`), fit for logs and API answers.
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let opts = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options(text, opts).map_err(|e| e.to_string())
}

/// Parses and validates a config held in memory; relative paths stay as written.
pub fn load_str(yaml: &str) -> Result<Config, ConfigError> {
    load_named(yaml, "<string>")
}

fn load_named(yaml: &str, name: &str) -> Result<Config, ConfigError> {
    let mut cfg: Config = if is_blank_yaml(yaml) {
        Config::default()
    } else {
        from_yaml(yaml).map_err(|message| ConfigError::Yaml {
            path: name.to_string(),
            message,
        })?
    };
    validate::validate(&mut cfg).map_err(ConfigError::Invalid)?;
    Ok(cfg)
}

/// True for a document with nothing but comments and whitespace (an empty prometheus.yml is valid).
fn is_blank_yaml(s: &str) -> bool {
    s.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---" || t == "..."
    })
}

/// Loads a config file: parses, validates, and resolves relative file names against the file's
/// folder, as Prometheus does.
pub fn load_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut cfg = load_named(&text, &path.to_string_lossy())?;
    let dir = path.parent().unwrap_or(Path::new("."));
    resolve_paths(&mut cfg, dir);
    Ok(cfg)
}

fn resolve_paths(cfg: &mut Config, dir: &Path) {
    let join = |s: &mut String| {
        if !s.is_empty() && Path::new(s.as_str()).is_relative() {
            *s = dir.join(s.as_str()).to_string_lossy().into_owned();
        }
    };
    cfg.rule_files.iter_mut().for_each(join);
    cfg.scrape_config_files.iter_mut().for_each(join);
    for sc in &mut cfg.scrape_configs {
        sc.resolve_http_paths(dir);
        for f in &mut sc.file_sd_configs {
            f.files.iter_mut().for_each(join);
        }
    }
    for am in &mut cfg.alerting.alertmanagers {
        am.resolve_http_paths(dir);
        for f in &mut am.file_sd_configs {
            f.files.iter_mut().for_each(join);
        }
    }
    for rw in &mut cfg.remote_write {
        rw.resolve_http_paths(dir);
    }
    for rr in &mut cfg.remote_read {
        rr.resolve_http_paths(dir);
    }
}

/// The file shape of `scrape_config_files`: only `scrape_configs`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ScrapeConfigsFile {
    #[serde(default)]
    scrape_configs: Vec<ScrapeConfig>,
}

impl Config {
    /// The scrape configs of the main file followed by those of `scrape_config_files`, each
    /// validated against `global`, with job names unique across all files.
    pub fn all_scrape_configs(&self) -> Result<Vec<ScrapeConfig>, ConfigError> {
        let mut out = self.scrape_configs.clone();
        let mut seen: std::collections::HashMap<String, String> = out
            .iter()
            .map(|s| (s.job_name.clone(), "main config file".to_string()))
            .collect();
        for pat in &self.scrape_config_files {
            let mut files: Vec<PathBuf> = glob::glob(pat)
                .map_err(|e| {
                    ConfigError::Invalid(format!("error retrieving scrape config files for {pat:?}: {e}"))
                })?
                .filter_map(Result::ok)
                .collect();
            files.sort();
            for file in files {
                let name = file.to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
                    path: file.clone(),
                    source,
                })?;
                let parsed: ScrapeConfigsFile = if is_blank_yaml(&text) {
                    ScrapeConfigsFile {
                        scrape_configs: Vec::new(),
                    }
                } else {
                    from_yaml(&text).map_err(|message| ConfigError::Yaml {
                        path: name.clone(),
                        message,
                    })?
                };
                let dir = file.parent().unwrap_or(Path::new("."));
                for mut sc in parsed.scrape_configs {
                    validate::validate_scrape(&mut sc, &self.global)
                        .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
                    if let Some(first) = seen.get(&sc.job_name) {
                        return Err(ConfigError::Invalid(format!(
                            "{name}: found multiple scrape configs with job name {:?}, first found in {first}",
                            sc.job_name
                        )));
                    }
                    seen.insert(sc.job_name.clone(), format!("{name:?}"));
                    sc.resolve_http_paths(dir);
                    for f in &mut sc.file_sd_configs {
                        for p in &mut f.files {
                            if Path::new(p.as_str()).is_relative() {
                                *p = dir.join(p.as_str()).to_string_lossy().into_owned();
                            }
                        }
                    }
                    out.push(sc);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
