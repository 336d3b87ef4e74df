//! A built-in host collector: the node_exporter metrics a lab needs (CPU, load, memory,
//! filesystems, network, disks, boot time, context switches, forks, uname), read from `/proc`
//! and `statfs`, rendered in the Prometheus text format with node_exporter's names, labels,
//! types and help strings, so dashboards and rules written for node_exporter work unchanged.
//!
//! ```
//! let text = obslab_hostmetrics::render();
//! assert!(text.contains("# TYPE node_load1 gauge"));
//! ```

mod collect;
mod render;

pub use collect::{ProcRoot, collect};
pub use render::{Family, MetricKind, render_families};

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Collects from the running host and renders the text exposition.
pub fn render() -> String {
    render_families(&collect(&ProcRoot::default()))
}
