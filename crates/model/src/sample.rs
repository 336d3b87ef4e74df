//! A float sample: a millisecond timestamp and a value, as Prometheus stores it.

/// One float sample. Timestamps are milliseconds since the Unix epoch, like Prometheus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub t: i64,
    pub v: f64,
}

impl Sample {
    pub fn new(t: i64, v: f64) -> Self {
        Self { t, v }
    }
}

/// The bit pattern Prometheus writes as a staleness marker (a signalling NaN).
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The staleness-marker value.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// True when `v` is exactly the staleness marker (an ordinary NaN is not stale).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}
