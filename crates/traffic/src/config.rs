//! The generator's settings, shared by `obslab traffic` and the `traffic:` section of lab.yaml.

use crate::duration::{serde_duration, serde_opt_duration};
use crate::mix::{CompiledMix, Endpoint, MixError, default_shop_mix};
use crate::shape::Shape;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// Where, how fast, how long and what to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrafficConfig {
    /// Base URL of the target (the demo gateway by default).
    pub target: Url,
    /// Base request rate, requests per second.
    pub rate: f64,
    /// How long to run; `None` runs until stopped.
    #[serde(with = "serde_opt_duration")]
    pub duration: Option<Duration>,
    /// Most requests in flight at once; a request due while all are busy is dropped.
    pub concurrency: usize,
    pub shape: Shape,
    /// Ramp length, spike period or wave period (see [`Shape`]).
    #[serde(with = "serde_opt_duration")]
    pub period: Option<Duration>,
    /// The weighted endpoints; the shop mix by default.
    pub mix: Vec<Endpoint>,
    /// Per-request timeout, including reading the body.
    #[serde(with = "serde_duration")]
    pub timeout: Duration,
    /// Permits a target that resolves to a non-loopback address.
    pub allow_non_loopback: bool,
}

/// The demo gateway's address.
pub const DEFAULT_TARGET: &str = "http://127.0.0.1:8080";

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            target: default_target(),
            rate: 10.0,
            duration: None,
            concurrency: 32,
            shape: Shape::Steady,
            period: None,
            mix: default_shop_mix(),
            timeout: Duration::from_secs(10),
            allow_non_loopback: false,
        }
    }
}

fn default_target() -> Url {
    // A constant, not input: it always parses.
    Url::parse(DEFAULT_TARGET).expect("the default target is a valid URL")
}

/// Highest accepted base rate: far beyond what one machine serves, low enough that the scheduler
/// never spins through billions of slots.
pub const MAX_RATE: f64 = 100_000.0;
/// Highest accepted concurrency.
pub const MAX_CONCURRENCY: usize = 100_000;

/// A configuration that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("rate must be a number of requests per second above 0 and at most {MAX_RATE}, got {0}")]
    Rate(f64),
    #[error("concurrency must be between 1 and {MAX_CONCURRENCY}")]
    Concurrency,
    #[error("timeout must be longer than zero")]
    Timeout,
    #[error("duration must be longer than zero")]
    Duration,
    #[error(transparent)]
    Mix(#[from] MixError),
}

impl TrafficConfig {
    /// Checks the numbers and the mix, so lab.yaml problems show before anything starts.
    pub fn validate(&self) -> Result<CompiledMix, ConfigError> {
        if !(self.rate.is_finite() && self.rate > 0.0 && self.rate <= MAX_RATE) {
            return Err(ConfigError::Rate(self.rate));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(ConfigError::Concurrency);
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::Timeout);
        }
        if self.duration.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError::Duration);
        }
        Ok(CompiledMix::compile(&self.mix)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = TrafficConfig::default();
        assert_eq!(c.target.as_str(), "http://127.0.0.1:8080/");
        assert_eq!((c.rate, c.concurrency, c.duration), (10.0, 32, None));
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert!(!c.allow_non_loopback);
        c.validate().unwrap();
    }

    #[test]
    fn yaml_with_partial_fields_keeps_defaults() {
        let c: TrafficConfig =
            serde_saphyr::from_str("rate: 5\nduration: 1m\nshape: wave\nperiod: 30s\ntimeout: 2").unwrap();
        assert_eq!(c.rate, 5.0);
        assert_eq!(c.duration, Some(Duration::from_secs(60)));
        assert_eq!(c.shape, Shape::Wave);
        assert_eq!(c.period, Some(Duration::from_secs(30)));
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!(c.mix, default_shop_mix());
        let c: TrafficConfig =
            serde_saphyr::from_str("mix:\n  - {path: /x, weight: 2}\ntarget: http://localhost:9000").unwrap();
        assert_eq!(c.mix.len(), 1);
        assert_eq!(c.target.port(), Some(9000));
    }

    #[test]
    fn yaml_errors_are_reported() {
        assert!(serde_saphyr::from_str::<TrafficConfig>("rate: 5\nrat: 6").is_err());
        assert!(serde_saphyr::from_str::<TrafficConfig>("duration: soon").is_err());
        assert!(serde_saphyr::from_str::<TrafficConfig>("shape: square").is_err());
    }

    #[test]
    fn round_trips_through_json() {
        let c = TrafficConfig {
            duration: Some(Duration::from_secs(90)),
            ..TrafficConfig::default()
        };
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains("\"1m30s\""), "{text}");
        let back: TrafficConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn validation() {
        let bad = |edit: &dyn Fn(&mut TrafficConfig)| {
            let mut c = TrafficConfig::default();
            edit(&mut c);
            c.validate().unwrap_err().to_string()
        };
        assert!(bad(&|c| c.rate = 0.0).contains("rate"));
        assert!(bad(&|c| c.rate = f64::NAN).contains("rate"));
        assert!(bad(&|c| c.rate = 1e9).contains("rate"));
        assert!(bad(&|c| c.concurrency = 0).contains("concurrency"));
        assert!(bad(&|c| c.concurrency = usize::MAX).contains("concurrency"));
        assert!(bad(&|c| c.timeout = Duration::ZERO).contains("timeout"));
        assert!(bad(&|c| c.duration = Some(Duration::ZERO)).contains("duration"));
        assert!(bad(&|c| c.mix.clear()).contains("empty"));
    }
}
