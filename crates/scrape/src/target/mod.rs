//! Targets: discovery (static and file SD), target labels and relabeling, and the parts of a
//! scrape that do not need storage (label merging, limits, staleness, report series) behind the
//! [`Appender`] trait the storage implements.

mod appender;
pub mod file_sd;
mod labels;
mod mutate;
mod scrape_loop;

pub use appender::{AppendError, Appender, ExemplarSample, VecAppender};
pub use labels::{
    ADDRESS_LABEL, ALERTS_PATH_LABEL, INSTANCE_LABEL, JOB_LABEL, META_LABEL_PREFIX, METRICS_PATH_LABEL,
    PARAM_LABEL_PREFIX, SCHEME_LABEL, SCRAPE_INTERVAL_LABEL, SCRAPE_TIMEOUT_LABEL, Target, TargetError,
    alertmanagers_from_group, alerts_path, check_target_address, group_target_labels, populate_labels,
    targets_from_group,
};
pub use mutate::{
    EXPORTED_LABEL_PREFIX, LabelLimits, mutate_report_labels, mutate_sample_labels, verify_label_limits,
};
pub use scrape_loop::{REPORT_SERIES, ScrapeReport, ScrapeResult, ScrapeSettings, ScrapeState};
