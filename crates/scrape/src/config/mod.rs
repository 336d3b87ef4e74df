//! prometheus.yml: the configuration model, loading with strict unknown-field errors, Prometheus's
//! defaults and validation, and `check_config` with promtool's file checks.

pub mod http;
mod model;
mod types;
mod validate;

use std::path::{Path, PathBuf};

pub use model::{
    AlertingConfig, AlertmanagerConfig, Config, FileSdConfig, GlobalConfig, MetadataConfig, QueueConfig,
    RemoteReadConfig, RemoteWriteConfig, ScrapeConfig, UNSUPPORTED_SD_KEYS,
};
pub use types::{LabelMap, PromDuration, Secret, TargetGroup};
pub use validate::valid_file_sd_name;

use crate::target;

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

/// Parses and validates a config held in memory; relative paths stay as written.
pub fn load_str(yaml: &str) -> Result<Config, ConfigError> {
    load_named(yaml, "<string>")
}

fn load_named(yaml: &str, name: &str) -> Result<Config, ConfigError> {
    let mut cfg: Config = if is_blank_yaml(yaml) {
        Config::default()
    } else {
        serde_saphyr::from_str(yaml).map_err(|e| ConfigError::Yaml {
            path: name.to_string(),
            message: e.to_string(),
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
                    serde_saphyr::from_str(&text).map_err(|e| ConfigError::Yaml {
                        path: name.clone(),
                        message: e.to_string(),
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

/// What `check_config` found besides errors (e.g. file SD files that do not exist yet).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckReport {
    pub warnings: Vec<String>,
    pub rule_files: Vec<PathBuf>,
}

fn file_exists(path: &str) -> Result<(), String> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| format!("stat {path}: {}", io_message(&e)))
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => e.to_string(),
    }
}

/// `promtool check config`: loads the file, then checks that the rule files, credential files and
/// TLS files it names exist and that every static target survives relabeling with a valid address.
pub fn check_config(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
    check_config_report(path).map(|(c, _)| c)
}

/// Like [`check_config`], also returning warnings and the rule files found.
pub fn check_config_report(path: impl AsRef<Path>) -> Result<(Config, CheckReport), ConfigError> {
    let cfg = load_file(path)?;
    let mut report = CheckReport::default();
    for rf in &cfg.rule_files {
        let matches: Vec<PathBuf> = glob::glob(rf)
            .map_err(|e| ConfigError::Invalid(format!("invalid rule file path {rf:?}: {e}")))?
            .filter_map(Result::ok)
            .collect();
        if !rf.contains('*') {
            let Some(first) = matches.first() else {
                return Err(ConfigError::File(format!(
                    "{rf:?} does not point to an existing file"
                )));
            };
            file_exists(&first.to_string_lossy())
                .map_err(|e| ConfigError::File(format!("error checking rule file {first:?}: {e}")))?;
        }
        report.rule_files.extend(matches);
    }
    for sc in &cfg.all_scrape_configs()? {
        check_http_files(sc.http_client())?;
        for fsd in &sc.file_sd_configs {
            for f in &fsd.files {
                let found = glob::glob(f)
                    .map(|g| g.filter_map(Result::ok).count())
                    .unwrap_or(0);
                if found == 0 {
                    report.warnings.push(format!(
                        "WARNING: file {f:?} for file_sd in scrape job {:?} does not exist",
                        sc.job_name
                    ));
                }
            }
        }
        for (i, tg) in sc.static_configs.iter().enumerate() {
            target::targets_from_group(tg, sc)
                .map_err(|e| ConfigError::Invalid(format!("scrape job {:?}, group {i}: {e}", sc.job_name)))?;
        }
        for name in sc.unsupported_sd() {
            report.warnings.push(format!(
                "WARNING: {name} in scrape job {:?} is accepted but not run by obslab",
                sc.job_name
            ));
        }
    }
    for am in &cfg.alerting.alertmanagers {
        check_http_files(am.http_client())?;
        for (i, tg) in am.static_configs.iter().enumerate() {
            target::alertmanagers_from_group(tg, am)
                .map_err(|e| ConfigError::Invalid(format!("alertmanager group {i}: {e}")))?;
        }
    }
    Ok((cfg, report))
}

fn check_http_files(h: http::HttpClientView<'_>) -> Result<(), ConfigError> {
    let cred = h
        .authorization
        .and_then(|a| a.credentials_file.as_deref())
        .or(h.bearer_token_file);
    if let Some(f) = cred.filter(|f| !f.is_empty()) {
        file_exists(f).map_err(|e| {
            ConfigError::File(format!(
                "error checking authorization credentials or bearer token file {f:?}: {e}"
            ))
        })?;
    }
    if let Some(t) = h.tls_config {
        let cert = t.cert_file.as_deref().filter(|s| !s.is_empty());
        let key = t.key_file.as_deref().filter(|s| !s.is_empty());
        if let Some(f) = cert {
            file_exists(f)
                .map_err(|e| ConfigError::File(format!("error checking client cert file {f:?}: {e}")))?;
        }
        if let Some(f) = key {
            file_exists(f)
                .map_err(|e| ConfigError::File(format!("error checking client key file {f:?}: {e}")))?;
        }
        if cert.is_some() && key.is_none() {
            return Err(ConfigError::File(format!(
                "client cert file {:?} specified without client key file",
                cert.unwrap_or_default()
            )));
        }
        if key.is_some() && cert.is_none() {
            return Err(ConfigError::File(format!(
                "client key file {:?} specified without client cert file",
                key.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
