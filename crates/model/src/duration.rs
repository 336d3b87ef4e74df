//! Prometheus duration syntax (`1h30m`, `5m`, `250ms`, `1d`, `1w`, `1y` = 365d), used by configs,
//! query parameters and the CLI so that values copied from Prometheus mean the same here.

use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DurationError {
    #[error("empty duration string")]
    Empty,
    #[error("not a valid duration string: {0:?}")]
    Invalid(String),
    #[error("duration out of range: {0:?}")]
    Overflow(String),
}

const UNITS: [(&str, u64); 8] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
    ("", 0),
];

/// Parses a Prometheus duration. Units must appear from largest to smallest, each at most once;
/// `0` alone is allowed.
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let bad = || DurationError::Invalid(s.to_string());
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut last_unit_rank = 0usize;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(bad());
        }
        let n: u64 = s[start..i]
            .parse()
            .map_err(|_| DurationError::Overflow(s.to_string()))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[ustart..i];
        let rank = UNITS[..7].iter().position(|(u, _)| *u == unit).ok_or_else(bad)? + 1;
        if rank <= last_unit_rank {
            return Err(bad());
        }
        last_unit_rank = rank;
        let ms = n
            .checked_mul(UNITS[rank - 1].1)
            .ok_or_else(|| DurationError::Overflow(s.to_string()))?;
        total = total
            .checked_add(ms)
            .ok_or_else(|| DurationError::Overflow(s.to_string()))?;
    }
    if total > i64::MAX as u64 {
        return Err(DurationError::Overflow(s.to_string()));
    }
    Ok(Duration::from_millis(total))
}

/// Formats a duration the way Prometheus prints one (`1h30m`, `0s`, `1d`).
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.as_millis() as u64;
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in UNITS[..7].iter() {
        if ms >= *size {
            let n = ms / size;
            ms %= size;
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_like_prometheus() {
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1y").unwrap(), Duration::from_secs(365 * 86400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("5m1h").is_err());
        assert!(parse_duration("1.5h").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(86400)), "1d");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
