//! Durations as people write them on the command line and in lab.yaml: Prometheus style
//! (`1h30m`, `5m`, `500ms`, `1d`) or humantime (`30 sec`, `2min 5s`).

use std::time::Duration;

/// A duration that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("invalid duration {input:?}: expected e.g. 30s, 5m, 1h30m or 500ms")]
pub struct DurationError {
    input: String,
}

/// Parses `30s`, `5m`, `1h30m`, `500ms`, `1d`, `1w` (Prometheus units) or any humantime duration.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let s = input.trim();
    parse_prometheus(s)
        .or_else(|| humantime::parse_duration(s).ok())
        .ok_or_else(|| DurationError {
            input: input.to_string(),
        })
}

/// Prometheus' grammar: one or more `<integer><unit>` groups, units in decreasing order.
fn parse_prometheus(s: &str) -> Option<Duration> {
    // (suffix, milliseconds, order of magnitude); `ms` comes before `m` so that it matches first.
    const UNITS: [(&str, u64, u8); 7] = [
        ("y", 365 * 86_400_000, 0),
        ("w", 7 * 86_400_000, 1),
        ("d", 86_400_000, 2),
        ("h", 3_600_000, 3),
        ("ms", 1, 6),
        ("m", 60_000, 4),
        ("s", 1_000, 5),
    ];
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut total_ms: u64 = 0;
    let mut last: Option<u8> = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, ms, magnitude) = UNITS.iter().find(|(u, _, _)| rest.starts_with(u))?;
        if last.is_some_and(|l| *magnitude <= l) {
            return None;
        }
        last = Some(*magnitude);
        total_ms = total_ms.checked_add(n.checked_mul(*ms)?)?;
        rest = &rest[unit.len()..];
    }
    Some(Duration::from_millis(total_ms))
}

/// Formats a duration compactly (`1m30s`, `500ms`) for tables and serialized configs.
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64))
        .to_string()
        .replace(' ', "")
}

/// Serde support for `Duration` fields written as `"30s"` or as a number of seconds.
pub mod serde_duration {
    use super::{format_duration, parse_duration};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::time::Duration;

    #[derive(Deserialize)]
    #[serde(untagged)]
    pub(crate) enum Raw {
        Seconds(f64),
        Text(String),
    }

    pub(crate) fn from_raw<E: Error>(raw: Raw) -> Result<Duration, E> {
        match raw {
            Raw::Seconds(s) => Duration::try_from_secs_f64(s)
                .map_err(|_| E::custom(format!("invalid duration {s}: expected a non-negative number"))),
            Raw::Text(t) => parse_duration(&t).map_err(E::custom),
        }
    }

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        from_raw(Raw::deserialize(d)?)
    }
}

/// Serde support for `Option<Duration>` fields (`null`/absent means none).
pub mod serde_opt_duration {
    use super::serde_duration::{Raw, from_raw};
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::serde_duration::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<Raw>::deserialize(d)?.map(from_raw).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_units() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(
            parse_duration("1m5s250ms").unwrap(),
            Duration::from_millis(65_250)
        );
    }

    #[test]
    fn humantime_forms() {
        assert_eq!(parse_duration("2min 5s").unwrap(), Duration::from_secs(125));
        assert_eq!(parse_duration("30 sec").unwrap(), Duration::from_secs(30));
    }

    #[test]
    fn rejects_garbage_and_disordered_units() {
        for bad in ["", "abc", "5", "-5s", "s", "1.5.5s", "5 parsecs"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be rejected");
        }
        let err = parse_duration("soon").unwrap_err().to_string();
        assert!(err.contains("\"soon\""), "{err}");
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_millis(500)), "500ms");
    }
}
