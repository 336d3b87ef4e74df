//! promtool's checks beyond syntax: referenced files exist and static targets survive relabeling.

use std::path::{Path, PathBuf};

use super::{Config, ConfigError, http, load_file};
use crate::target;

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
        if !matches!(sc.scheme.as_str(), "http" | "https") {
            report.warnings.push(format!(
                "WARNING: scheme {:?} of scrape job {:?} is neither http nor https",
                sc.scheme, sc.job_name
            ));
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
