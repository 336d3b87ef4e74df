//! The fault settings, in the JSON shapes of the `POST /chaos/*` bodies (and of `--chaos`).

use serde::Deserialize;

/// Longest delay a fault may add, so a typo cannot hang a service for hours.
pub const MAX_DELAY_MS: u64 = 120_000;
/// Fastest leak allowed (MiB per minute).
pub const MAX_LEAK_MB_PER_MIN: f64 = 4096.0;

fn one() -> f64 {
    1.0
}

fn status_500() -> u16 {
    500
}

/// `POST /chaos/slow`: delays a fraction of the requests.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlowConfig {
    pub delay_ms: u64,
    #[serde(default = "one")]
    pub probability: f64,
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// `POST /chaos/error`: fails a fraction of the requests with a status.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorConfig {
    pub rate: f64,
    #[serde(default = "status_500")]
    pub status: u16,
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// `POST /chaos/leak`: allocates and keeps memory at a steady rate.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakConfig {
    pub mb_per_min: f64,
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// `POST /chaos/db-slow`: every database query sleeps first.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbSlowConfig {
    pub delay_ms: u64,
    #[serde(default)]
    pub duration_s: Option<f64>,
}

/// `POST /chaos/crash` takes an empty object.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashConfig {}

/// The initial faults of `--chaos` (and of lab.yaml): any subset of the four faults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialFaults {
    #[serde(default)]
    pub slow: Option<SlowConfig>,
    #[serde(default)]
    pub error: Option<ErrorConfig>,
    #[serde(default)]
    pub leak: Option<LeakConfig>,
    #[serde(default, alias = "db-slow")]
    pub db_slow: Option<DbSlowConfig>,
}

impl InitialFaults {
    /// Parses and validates the `--chaos` JSON.
    pub fn parse(json: &str) -> Result<Self, String> {
        let f: InitialFaults =
            serde_json::from_str(json).map_err(|e| format!("invalid --chaos JSON: {e}"))?;
        f.slow.as_ref().map(SlowConfig::validate).transpose()?;
        f.error.as_ref().map(ErrorConfig::validate).transpose()?;
        f.leak.as_ref().map(LeakConfig::validate).transpose()?;
        f.db_slow.as_ref().map(DbSlowConfig::validate).transpose()?;
        Ok(f)
    }
}

fn validate_duration(d: Option<f64>) -> Result<(), String> {
    match d {
        Some(d) if !(d.is_finite() && d > 0.0 && d <= 30.0 * 86_400.0) => Err(format!(
            "duration_s must be a positive number of seconds (at most 30 days), got {d}"
        )),
        _ => Ok(()),
    }
}

fn validate_delay(delay_ms: u64) -> Result<(), String> {
    if delay_ms > MAX_DELAY_MS {
        return Err(format!("delay_ms must be at most {MAX_DELAY_MS}, got {delay_ms}"));
    }
    Ok(())
}

fn validate_fraction(name: &str, v: f64) -> Result<(), String> {
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("{name} must be between 0 and 1, got {v}"));
    }
    Ok(())
}

impl SlowConfig {
    pub fn validate(&self) -> Result<(), String> {
        validate_delay(self.delay_ms)?;
        validate_fraction("probability", self.probability)?;
        validate_duration(self.duration_s)
    }
}

impl ErrorConfig {
    pub fn validate(&self) -> Result<(), String> {
        validate_fraction("rate", self.rate)?;
        if !(400..=599).contains(&self.status) {
            return Err(format!("status must be between 400 and 599, got {}", self.status));
        }
        validate_duration(self.duration_s)
    }
}

impl LeakConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.mb_per_min.is_finite() && self.mb_per_min > 0.0 && self.mb_per_min <= MAX_LEAK_MB_PER_MIN) {
            return Err(format!(
                "mb_per_min must be greater than 0 and at most {MAX_LEAK_MB_PER_MIN}, got {}",
                self.mb_per_min
            ));
        }
        validate_duration(self.duration_s)
    }
}

impl DbSlowConfig {
    pub fn validate(&self) -> Result<(), String> {
        validate_delay(self.delay_ms)?;
        validate_duration(self.duration_s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_faults_parse_with_defaults() {
        let f = InitialFaults::parse(r#"{"error":{"rate":0.1},"slow":{"delay_ms":200,"probability":0.5}}"#)
            .unwrap();
        assert_eq!(f.error.unwrap().status, 500);
        assert_eq!(f.slow.unwrap().probability, 0.5);
        assert!(f.leak.is_none() && f.db_slow.is_none());
        let f = InitialFaults::parse(r#"{"slow":{"delay_ms":10}}"#).unwrap();
        assert_eq!(f.slow.unwrap().probability, 1.0);
    }

    #[test]
    fn invalid_faults_are_rejected() {
        for bad in [
            r#"{"error":{"rate":1.5}}"#,
            r#"{"error":{"rate":0.5,"status":200}}"#,
            r#"{"slow":{"delay_ms":10,"probability":-0.1}}"#,
            r#"{"slow":{"delay_ms":10,"extra":1}}"#,
            r#"{"leak":{"mb_per_min":0}}"#,
            r#"{"db_slow":{"delay_ms":10,"duration_s":-1}}"#,
            r#"{"unknown":{}}"#,
            r#"[1]"#,
        ] {
            assert!(InitialFaults::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
