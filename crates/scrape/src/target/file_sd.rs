//! File-based service discovery: JSON or YAML files of target groups, matched by globs and
//! re-read every `refresh_interval` by the caller.

use std::path::{Path, PathBuf};

use crate::config::{FileSdConfig, TargetGroup};
use crate::exposition::lexer::is_valid_label_name;

/// The label file SD adds to every target: the file it came from.
pub const FILEPATH_LABEL: &str = "__meta_filepath";

/// Why a file SD file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum FileSdError {
    #[error("error reading file {path:?}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("error parsing file {path:?}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("unhandled file extension {0:?}")]
    Extension(String),
}

/// Reads one file of target groups. Each group gets `__meta_filepath` and a source `path:index`.
pub fn read_file(path: &Path) -> Result<Vec<TargetGroup>, FileSdError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileSdError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let parse_err = |message: String| FileSdError::Parse {
        path: path.to_path_buf(),
        message,
    };
    let mut groups: Vec<TargetGroup> = match ext.as_str() {
        "json" => serde_json::from_str(&text).map_err(|e| parse_err(e.to_string()))?,
        "yml" | "yaml" => {
            if text.trim().is_empty() {
                Vec::new()
            } else {
                crate::config::from_yaml::<Vec<TargetGroup>>(&text).map_err(parse_err)?
            }
        }
        other => return Err(FileSdError::Extension(format!(".{other}"))),
    };
    let p = path.to_string_lossy().into_owned();
    for (i, g) in groups.iter_mut().enumerate() {
        for name in g.labels.keys() {
            if !is_valid_label_name(name) {
                return Err(parse_err(format!("{name:?} is not a valid label name")));
            }
        }
        if g.targets.iter().any(String::is_empty) {
            return Err(parse_err("empty target address".into()));
        }
        g.labels.insert(FILEPATH_LABEL.to_string(), p.clone());
        g.source = format!("{p}:{i}");
    }
    Ok(groups)
}

/// The outcome of one pass over a file SD config: groups from the files that loaded, errors for
/// the others (a bad file does not hide the good ones, as in Prometheus).
#[derive(Debug, Default)]
pub struct Discovered {
    pub groups: Vec<TargetGroup>,
    pub errors: Vec<FileSdError>,
}

/// Expands the globs of a `file_sd_configs` entry and reads every matching file.
pub fn discover(cfg: &FileSdConfig) -> Discovered {
    let mut out = Discovered::default();
    let mut files: Vec<PathBuf> = Vec::new();
    for pat in &cfg.files {
        if let Ok(paths) = glob::glob(pat) {
            files.extend(paths.filter_map(Result::ok));
        }
    }
    files.sort();
    files.dedup();
    for f in files {
        match read_file(&f) {
            Ok(g) => out.groups.extend(g),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// File SD over time: re-reads the files each `refresh` and keeps, per file, the groups of its
/// last good read, so a file being rewritten does not drop its targets while a removed file does.
#[derive(Debug)]
pub struct FileDiscovery {
    cfg: FileSdConfig,
    last: std::collections::BTreeMap<PathBuf, Vec<TargetGroup>>,
}

/// The result of one refresh.
#[derive(Debug, Default)]
pub struct Refresh {
    /// All current groups, in file order.
    pub groups: Vec<TargetGroup>,
    pub errors: Vec<FileSdError>,
    /// Whether the groups differ from the previous refresh.
    pub changed: bool,
}

impl FileDiscovery {
    pub fn new(cfg: FileSdConfig) -> Self {
        Self {
            cfg,
            last: Default::default(),
        }
    }

    /// How often the caller should call [`FileDiscovery::refresh`].
    pub fn refresh_interval(&self) -> std::time::Duration {
        self.cfg.refresh_interval.0
    }

    pub fn refresh(&mut self) -> Refresh {
        let mut files: Vec<PathBuf> = Vec::new();
        for pat in &self.cfg.files {
            if let Ok(paths) = glob::glob(pat) {
                files.extend(paths.filter_map(Result::ok));
            }
        }
        files.sort();
        files.dedup();
        let mut next = std::collections::BTreeMap::new();
        let mut errors = Vec::new();
        for f in files {
            match read_file(&f) {
                Ok(g) => {
                    next.insert(f, g);
                }
                Err(e) => {
                    errors.push(e);
                    if let Some(prev) = self.last.get(&f) {
                        next.insert(f, prev.clone());
                    }
                }
            }
        }
        let changed = next != self.last;
        self.last = next;
        Refresh {
            groups: self.last.values().flatten().cloned().collect(),
            errors,
            changed,
        }
    }
}
