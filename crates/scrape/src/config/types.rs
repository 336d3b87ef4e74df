//! Small value types of prometheus.yml: durations, label maps, target groups.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A Prometheus duration (`30s`, `1m30s`, `1d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct PromDuration(pub Duration);

impl PromDuration {
    pub const ZERO: PromDuration = PromDuration(Duration::ZERO);

    pub fn from_secs(s: u64) -> Self {
        PromDuration(Duration::from_secs(s))
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl fmt::Display for PromDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&obslab_model::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        obslab_model::parse_duration(&s)
            .map(PromDuration)
            .map_err(|_| serde::de::Error::custom(format!("not a valid duration string: {s:?}")))
    }
}

/// A label name to value map, as in `labels:` and `external_labels:`.
pub type LabelMap = BTreeMap<String, String>;

/// One group of targets sharing labels (`static_configs` entries and file_sd entries).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetGroup {
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub labels: LabelMap,
    /// Where the group came from (file name and index for file_sd); not part of the YAML.
    #[serde(skip)]
    pub source: String,
}

/// A secret value: read like a string, printed as `<secret>` so configs can be logged.
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// Parses a Prometheus byte size (`body_size_limit`): a number with `B`, `KB`/`KiB`, `MB`/`MiB`,
/// `GB`/`GiB`, `TB`/`TiB`, `PB`/`PiB` or `EB`/`EiB`, all powers of 1024; `0` alone means none.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let bad = || format!("invalid byte size {s:?}");
    if s == "0" {
        return Ok(0);
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad());
    }
    let n: u64 = s[..digits].parse().map_err(|_| bad())?;
    let shift = match &s[digits..] {
        "B" => 0,
        "KB" | "KiB" => 10,
        "MB" | "MiB" => 20,
        "GB" | "GiB" => 30,
        "TB" | "TiB" => 40,
        "PB" | "PiB" => 50,
        "EB" | "EiB" => 60,
        _ => return Err(bad()),
    };
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn byte_sizes_are_base_two() {
        assert_eq!(parse_bytes("0"), Ok(0));
        assert_eq!(parse_bytes("512B"), Ok(512));
        assert_eq!(parse_bytes("10MB"), Ok(10 << 20));
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert!(parse_bytes("10").is_err());
        assert!(parse_bytes("MB").is_err());
        assert!(parse_bytes("1.5MB").is_err());
        assert!(parse_bytes("99999999999EB").is_err());
    }
}
