//! The Prometheus relabeling engine (`relabel_configs`, `metric_relabel_configs`,
//! `write_relabel_configs`, alert relabeling): the same actions, defaults and results.

mod config;
mod md5;

pub use config::{
    Action, DEFAULT_REGEX, DEFAULT_REPLACEMENT, DEFAULT_SEPARATOR, RawRelabelConfig, Regexp, RelabelConfig,
    RelabelError, is_relabel_template,
};
pub use md5::md5;

use obslab_model::{Labels, LabelsBuilder};

use crate::exposition::lexer::is_valid_label_name;

/// Applies `cfgs` in order; `None` when a step drops the label set.
pub fn process(labels: &Labels, cfgs: &[RelabelConfig]) -> Option<Labels> {
    let mut lb = labels.to_builder();
    process_builder(&mut lb, cfgs).then(|| lb.build())
}

/// Like [`process`], on a builder the caller keeps (the scrape path reuses one).
pub fn process_builder(lb: &mut LabelsBuilder, cfgs: &[RelabelConfig]) -> bool {
    cfgs.iter().all(|c| relabel(c, lb))
}

/// The value of `hashmod`: the last 8 bytes of the MD5 of `value`, big-endian, modulo `modulus`.
pub fn hashmod(value: &str, modulus: u64) -> u64 {
    let d = md5(value.as_bytes());
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&d[8..]);
    u64::from_be_bytes(tail) % modulus.max(1)
}

fn relabel(cfg: &RelabelConfig, lb: &mut LabelsBuilder) -> bool {
    let val = cfg
        .source_labels
        .iter()
        .map(|n| lb.get(n).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(&cfg.separator);
    match cfg.action {
        Action::Drop => {
            if cfg.regex.is_match(&val) {
                return false;
            }
        }
        Action::Keep => {
            if !cfg.regex.is_match(&val) {
                return false;
            }
        }
        Action::DropEqual => {
            if lb.get(&cfg.target_label).unwrap_or("") == val {
                return false;
            }
        }
        Action::KeepEqual => {
            if lb.get(&cfg.target_label).unwrap_or("") != val {
                return false;
            }
        }
        Action::Replace => replace(cfg, lb, &val),
        Action::Lowercase => {
            lb.set(cfg.target_label.clone(), val.to_lowercase());
        }
        Action::Uppercase => {
            lb.set(cfg.target_label.clone(), val.to_uppercase());
        }
        Action::HashMod => {
            lb.set(cfg.target_label.clone(), hashmod(&val, cfg.modulus).to_string());
        }
        Action::LabelMap => {
            for l in lb.build().iter() {
                if cfg.regex.is_match(&l.name) {
                    let name = cfg.regex.regex().replace_all(&l.name, cfg.replacement.as_str());
                    lb.set(name.into_owned(), l.value.clone());
                }
            }
        }
        Action::LabelDrop => {
            for l in lb.build().iter() {
                if cfg.regex.is_match(&l.name) {
                    lb.del(&l.name);
                }
            }
        }
        Action::LabelKeep => {
            for l in lb.build().iter() {
                if !cfg.regex.is_match(&l.name) {
                    lb.del(&l.name);
                }
            }
        }
    }
    true
}

fn replace(cfg: &RelabelConfig, lb: &mut LabelsBuilder, val: &str) {
    // Fast path: an empty source with the default regex sets the label to a literal replacement.
    if val.is_empty()
        && cfg.regex.as_str() == DEFAULT_REGEX
        && !cfg.target_label.contains('$')
        && !cfg.replacement.contains('$')
    {
        lb.set(cfg.target_label.clone(), cfg.replacement.clone());
        return;
    }
    let Some(caps) = cfg.regex.regex().captures(val) else {
        return;
    };
    let mut target = String::new();
    caps.expand(&cfg.target_label, &mut target);
    if !is_valid_label_name(&target) {
        return;
    }
    let mut res = String::new();
    caps.expand(&cfg.replacement, &mut res);
    if res.is_empty() {
        lb.del(&target);
    } else {
        lb.set(target, res);
    }
}

#[cfg(test)]
mod tests;
