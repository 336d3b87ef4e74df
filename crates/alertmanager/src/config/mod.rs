//! The `alertmanager.yml` configuration: parsing (strict, like Alertmanager), defaults and
//! validation.

pub mod duration;
pub mod integrations;
pub mod matchers;
pub mod model;
pub mod time_interval;
pub mod validate;

pub use duration::PromDuration;
pub use matchers::{MatcherParseError, parse_matchers};
pub use model::*;
pub use time_interval::{TimeInterval, TimeIntervalSet};

use std::path::Path;

/// Why a configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Syntax or type errors, including unknown fields.
    #[error("yaml: {0}")]
    Yaml(String),
    /// Semantic errors, worded as Alertmanager words them.
    #[error("{0}")]
    Invalid(String),
}

/// Parses, fills defaults into and validates a configuration held in memory.
pub fn load_str(text: &str) -> Result<Config, ConfigError> {
    let mut cfg: Config = if text.trim().is_empty()
        || text.lines().all(|l| {
            let t = l.trim();
            t.is_empty() || t.starts_with('#')
        }) {
        Config::default()
    } else {
        from_yaml(text)?
    };
    validate::validate(&mut cfg).map_err(ConfigError::Invalid)?;
    Ok(cfg)
}

/// Reads and loads a configuration file.
pub fn load_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    load_str(&text)
}

/// Deserializes YAML with one-line errors (`line L column C: ...`).
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    let opts = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options(text, opts).map_err(|e| ConfigError::Yaml(e.to_string()))
}

#[cfg(test)]
mod tests;
