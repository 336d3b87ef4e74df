//! Restart delays: exponential, so a service that crashes at once does not spin, and reset once a
//! child has stayed healthy for a while, so a service that crashes once a day restarts quickly.

use std::time::Duration;

/// Exponential restart delay with a cap and a reset after a healthy run.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    reset_after: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration, reset_after: Duration) -> Self {
        let initial = initial.min(max);
        Self {
            initial,
            max,
            reset_after,
            next: initial,
        }
    }

    /// The delay before the next restart of a child that was healthy for `healthy_for` before it
    /// exited. Each call without a long enough healthy run doubles the following delay.
    pub fn next_delay(&mut self, healthy_for: Duration) -> Duration {
        if healthy_for >= self.reset_after {
            self.next = self.initial;
        }
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn doubles_up_to_the_cap() {
        let mut b = Backoff::new(ms(250), Duration::from_secs(30), Duration::from_secs(10));
        let delays: Vec<u64> = (0..10).map(|_| b.next_delay(ms(0)).as_millis() as u64).collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
    }

    #[test]
    fn resets_after_a_long_healthy_run() {
        let mut b = Backoff::new(ms(250), Duration::from_secs(30), Duration::from_secs(10));
        for _ in 0..5 {
            b.next_delay(ms(0));
        }
        assert_eq!(b.next_delay(ms(9_999)), ms(8000));
        assert_eq!(b.next_delay(Duration::from_secs(10)), ms(250));
        assert_eq!(b.next_delay(ms(100)), ms(500));
    }

    #[test]
    fn initial_above_max_is_capped() {
        let mut b = Backoff::new(
            Duration::from_secs(60),
            Duration::from_secs(30),
            Duration::from_secs(10),
        );
        assert_eq!(b.next_delay(ms(0)), Duration::from_secs(30));
        assert_eq!(b.next_delay(ms(0)), Duration::from_secs(30));
    }
}
