//! The `traffic:` section: whether `obslab up` runs the traffic generator, and its settings.

use super::Issues;
use serde::{Deserialize, Serialize};

/// The traffic generator of `obslab up`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficSection {
    /// Whether `obslab up` runs the generator (`--no-traffic` turns it off too).
    pub enabled: bool,
}

impl Default for TrafficSection {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl TrafficSection {
    pub(super) fn validate(&self, _issues: &mut Issues) {}
}
