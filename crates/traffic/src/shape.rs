//! Load shapes and open-model pacing: request start times come from the shape's cumulative
//! request count Λ(t), the n-th request (from 0) starting when Λ(t) = n, whatever the responses do.

use serde::{Deserialize, Serialize};
use std::f64::consts::TAU;
use std::time::Duration;

/// How the request rate changes over time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// The same rate throughout.
    #[default]
    Steady,
    /// From 0 up to the rate over the period (or the duration, or 60 s), then steady.
    Ramp,
    /// The base rate with 5× the rate in the middle fifth of every period (default: of the duration).
    Spike,
    /// A sine between 0.2× and 1.8× the rate, one cycle per period (default 60 s).
    Wave,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Steady => "steady",
            Shape::Ramp => "ramp",
            Shape::Spike => "spike",
            Shape::Wave => "wave",
        }
    }
}

/// Multiplier of the rate inside a spike.
pub const SPIKE_FACTOR: f64 = 5.0;
/// Amplitude of the wave, as a fraction of the rate.
pub const WAVE_AMPLITUDE: f64 = 0.8;
const DEFAULT_PERIOD: Duration = Duration::from_secs(60);

/// A shape with its numbers resolved: the rate function and its integral.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    shape: Shape,
    rate: f64,
    /// Ramp length, spike period or wave period, in seconds.
    period: f64,
}

impl Schedule {
    /// `period` is the ramp length / spike or wave period; absent, the ramp and spike use the
    /// duration and everything else 60 s.
    pub fn new(shape: Shape, rate: f64, period: Option<Duration>, duration: Option<Duration>) -> Self {
        let period = match (shape, period, duration) {
            (_, Some(p), _) if !p.is_zero() => p,
            (Shape::Ramp | Shape::Spike, _, Some(d)) if !d.is_zero() => d,
            _ => DEFAULT_PERIOD,
        };
        Self {
            shape,
            rate,
            period: period.as_secs_f64(),
        }
    }

    /// The instantaneous rate at `t` seconds, in requests per second.
    pub fn rate_at(&self, t: f64) -> f64 {
        let (r, p) = (self.rate, self.period);
        match self.shape {
            Shape::Steady => r,
            Shape::Ramp => r * (t / p).clamp(0.0, 1.0),
            Shape::Spike => {
                let phase = t.rem_euclid(p);
                if (0.4 * p..0.6 * p).contains(&phase) {
                    r * SPIKE_FACTOR
                } else {
                    r
                }
            }
            Shape::Wave => r * (1.0 + WAVE_AMPLITUDE * (TAU * t / p).sin()),
        }
    }

    /// Λ(t): how many requests should have started by `t` seconds (the integral of the rate).
    pub fn cumulative(&self, t: f64) -> f64 {
        let (r, p) = (self.rate, self.period);
        let t = t.max(0.0);
        match self.shape {
            Shape::Steady => r * t,
            Shape::Ramp if t < p => r * t * t / (2.0 * p),
            Shape::Ramp => r * p / 2.0 + r * (t - p),
            Shape::Spike => {
                let cycles = (t / p).floor();
                let phase = t - cycles * p;
                let extra = (phase - 0.4 * p).clamp(0.0, 0.2 * p) * (SPIKE_FACTOR - 1.0);
                r * (cycles * p * (1.0 + 0.2 * (SPIKE_FACTOR - 1.0)) + phase + extra)
            }
            Shape::Wave => r * (t + WAVE_AMPLITUDE * p / TAU * (1.0 - (TAU * t / p).cos())),
        }
    }

    /// The start time (seconds) of request `n`, the first t ≥ `after` with Λ(t) ≥ n. `after` is a
    /// lower bound (the previous request's time) that keeps the search short.
    pub fn start_of(&self, n: u64, after: f64) -> f64 {
        let goal = n as f64;
        let mut lo = after.max(0.0);
        if self.cumulative(lo) >= goal {
            return lo;
        }
        // The rate is at least 0.2× the base everywhere except the ramp's start, so doubling the
        // step finds an upper bound in a few iterations.
        let mut step = 1.0 / self.rate.max(f64::MIN_POSITIVE);
        let mut hi = lo + step;
        let mut guard = 0;
        while self.cumulative(hi) < goal && guard < 200 {
            lo = hi;
            step *= 2.0;
            hi = lo + step;
            guard += 1;
        }
        for _ in 0..64 {
            let mid = 0.5 * (lo + hi);
            if self.cumulative(mid) >= goal {
                hi = mid;
            } else {
                lo = mid;
            }
            if hi - lo < 1e-7 {
                break;
            }
        }
        hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn steady_is_evenly_spaced() {
        let s = Schedule::new(Shape::Steady, 50.0, None, secs(4));
        let mut prev = 0.0;
        for n in 0..200 {
            let t = s.start_of(n, prev);
            assert!(close(t, n as f64 / 50.0, 1e-6), "n={n} t={t}");
            prev = t;
        }
        assert_eq!(s.cumulative(4.0), 200.0);
    }

    #[test]
    fn ramp_grows_linearly_then_holds() {
        let s = Schedule::new(Shape::Ramp, 10.0, None, secs(20));
        assert_eq!(s.rate_at(0.0), 0.0);
        assert!(close(s.rate_at(10.0), 5.0, 1e-9));
        assert_eq!(s.rate_at(25.0), 10.0);
        assert!(close(s.cumulative(20.0), 100.0, 1e-9));
        let no_duration = Schedule::new(Shape::Ramp, 10.0, None, None);
        assert!(close(no_duration.rate_at(30.0), 5.0, 1e-9));
        let explicit = Schedule::new(Shape::Ramp, 10.0, secs(10), secs(100));
        assert_eq!(explicit.rate_at(10.0), 10.0);
        assert!(close(explicit.cumulative(20.0), 50.0 + 100.0, 1e-9));
    }

    #[test]
    fn spike_is_five_times_in_the_middle_fifth() {
        let s = Schedule::new(Shape::Spike, 10.0, None, secs(100));
        assert_eq!(s.rate_at(10.0), 10.0);
        assert_eq!(s.rate_at(39.9), 10.0);
        assert_eq!(s.rate_at(40.0), 50.0);
        assert_eq!(s.rate_at(59.9), 50.0);
        assert_eq!(s.rate_at(60.0), 10.0);
        // 80 s at 10/s plus 20 s at 50/s.
        assert!(close(s.cumulative(100.0), 1800.0, 1e-6));
        assert!(close(s.cumulative(50.0), 400.0 + 500.0, 1e-6));
        let every = Schedule::new(Shape::Spike, 10.0, secs(10), None);
        assert_eq!(every.rate_at(14.5), 50.0);
        assert!(close(every.cumulative(30.0), 3.0 * 180.0, 1e-6));
    }

    #[test]
    fn wave_swings_between_bounds() {
        let s = Schedule::new(Shape::Wave, 10.0, secs(40), None);
        assert!(close(s.rate_at(10.0), 18.0, 1e-9));
        assert!(close(s.rate_at(30.0), 2.0, 1e-9));
        let (mut min, mut max) = (f64::MAX, f64::MIN);
        for i in 0..4000 {
            let r = s.rate_at(i as f64 * 0.01);
            min = min.min(r);
            max = max.max(r);
        }
        assert!(min >= 2.0 - 1e-9 && max <= 18.0 + 1e-9);
        // Over whole periods the average is the base rate.
        assert!(close(s.cumulative(80.0), 800.0, 1e-6));
        assert_eq!(Schedule::new(Shape::Wave, 1.0, None, secs(5)).period, 60.0);
    }

    #[test]
    fn cumulative_matches_the_integral_of_the_rate() {
        for shape in [Shape::Steady, Shape::Ramp, Shape::Spike, Shape::Wave] {
            let s = Schedule::new(shape, 7.0, secs(13), secs(30));
            let dt = 0.0005;
            let mut acc = 0.0;
            let mut t = 0.0;
            while t < 30.0 {
                acc += s.rate_at(t + dt / 2.0) * dt;
                t += dt;
            }
            assert!(
                close(acc, s.cumulative(30.0), 0.05),
                "{shape:?}: {acc} vs {}",
                s.cumulative(30.0)
            );
        }
    }

    #[test]
    fn start_times_invert_the_cumulative_count() {
        for shape in [Shape::Steady, Shape::Ramp, Shape::Spike, Shape::Wave] {
            let s = Schedule::new(shape, 20.0, None, secs(10));
            let mut prev = 0.0;
            let mut count = 0u64;
            loop {
                let t = s.start_of(count, prev);
                assert!(t >= prev, "{shape:?}: times must not go back");
                if t >= 10.0 {
                    break;
                }
                assert!(close(s.cumulative(t), count as f64, 1e-3), "{shape:?} n={count}");
                prev = t;
                count += 1;
                assert!(count < 10_000);
            }
            let expected = s.cumulative(10.0);
            assert!(
                (count as f64 - expected).abs() <= 1.0,
                "{shape:?}: {count} vs {expected}"
            );
        }
    }
}
