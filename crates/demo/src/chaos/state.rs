//! The live fault state of one service, shared by the middleware, the DB layer and the chaos routes.

use super::config::{DbSlowConfig, ErrorConfig, InitialFaults, LeakConfig, SlowConfig};
use super::leak::LeakedMemory;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A fault and the instant it reverts by itself, if any.
#[derive(Debug, Clone, Copy)]
struct Timed<T> {
    fault: T,
    expires: Option<Instant>,
}

impl<T> Timed<T> {
    fn new(fault: T, duration_s: Option<f64>, now: Instant) -> Self {
        Timed {
            fault,
            expires: duration_s.map(|d| now + Duration::from_secs_f64(d)),
        }
    }

    fn expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }

    fn expires_in_s(&self, now: Instant) -> Option<f64> {
        self.expires.map(|e| {
            let left = e.saturating_duration_since(now).as_secs_f64();
            (left * 10.0).round() / 10.0
        })
    }
}

#[derive(Debug, Default)]
struct Faults {
    slow: Option<Timed<SlowConfig>>,
    error: Option<Timed<ErrorConfig>>,
    leak: Option<Timed<LeakConfig>>,
    db_slow: Option<Timed<DbSlowConfig>>,
}

impl Faults {
    /// Drops expired faults; returns true when the leak fault went away (its memory is freed).
    fn expire(&mut self, now: Instant) -> bool {
        if self.slow.is_some_and(|f| f.expired(now)) {
            self.slow = None;
        }
        if self.error.is_some_and(|f| f.expired(now)) {
            self.error = None;
        }
        if self.db_slow.is_some_and(|f| f.expired(now)) {
            self.db_slow = None;
        }
        if self.leak.is_some_and(|f| f.expired(now)) {
            self.leak = None;
            return true;
        }
        false
    }
}

/// What the fault middleware must do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Decision {
    pub delay: Option<Duration>,
    pub error_status: Option<u16>,
}

/// The faults of one service.
#[derive(Debug)]
pub struct ChaosState {
    service: &'static str,
    faults: Mutex<Faults>,
    leaked: LeakedMemory,
}

impl ChaosState {
    pub fn new(service: &'static str, initial: InitialFaults) -> Self {
        let state = ChaosState {
            service,
            faults: Mutex::new(Faults::default()),
            leaked: LeakedMemory::default(),
        };
        if let Some(c) = initial.slow {
            state.set_slow(c);
        }
        if let Some(c) = initial.error {
            state.set_error(c);
        }
        if let Some(c) = initial.leak {
            state.set_leak(c);
        }
        if let Some(c) = initial.db_slow {
            state.set_db_slow(c);
        }
        state
    }

    /// Runs `f` on the faults after dropping the expired ones.
    fn with_faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
        let now = Instant::now();
        let (result, leak_ended) = {
            let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
            let leak_ended = faults.expire(now);
            (f(&mut faults), leak_ended)
        };
        if leak_ended {
            self.leaked.free();
        }
        result
    }

    pub fn set_slow(&self, c: SlowConfig) {
        self.with_faults(|f| f.slow = Some(Timed::new(c, c.duration_s, Instant::now())));
    }

    pub fn set_error(&self, c: ErrorConfig) {
        self.with_faults(|f| f.error = Some(Timed::new(c, c.duration_s, Instant::now())));
    }

    pub fn set_leak(&self, c: LeakConfig) {
        self.with_faults(|f| f.leak = Some(Timed::new(c, c.duration_s, Instant::now())));
    }

    pub fn set_db_slow(&self, c: DbSlowConfig) {
        self.with_faults(|f| f.db_slow = Some(Timed::new(c, c.duration_s, Instant::now())));
    }

    /// Turns every fault off and frees the leaked memory.
    pub fn reset(&self) {
        self.with_faults(|f| *f = Faults::default());
        self.leaked.free();
    }

    /// Draws the fate of one application request: `slow` and `error` are independent.
    pub fn decide(&self, roll_slow: f64, roll_error: f64) -> Decision {
        self.with_faults(|f| Decision {
            delay: f
                .slow
                .filter(|s| roll_slow < s.fault.probability)
                .map(|s| Duration::from_millis(s.fault.delay_ms)),
            error_status: f
                .error
                .filter(|e| roll_error < e.fault.rate)
                .map(|e| e.fault.status),
        })
    }

    /// The delay every DB query sleeps, if the db-slow fault is on.
    pub fn db_delay(&self) -> Option<Duration> {
        self.with_faults(|f| f.db_slow.map(|d| Duration::from_millis(d.fault.delay_ms)))
    }

    /// The current leak rate in MiB per minute, if the leak fault is on.
    pub fn leak_rate(&self) -> Option<f64> {
        self.with_faults(|f| f.leak.map(|l| l.fault.mb_per_min))
    }

    pub fn leaked(&self) -> &LeakedMemory {
        &self.leaked
    }

    /// The `GET /chaos` document.
    pub fn view(&self) -> Value {
        let now = Instant::now();
        let leaked_bytes = self.leaked.bytes();
        self.with_faults(|f| {
            json!({
                "service": self.service,
                "slow": f.slow.map(|s| with_expiry(
                    json!({"delay_ms": s.fault.delay_ms, "probability": s.fault.probability}), &s, now)),
                "error": f.error.map(|e| with_expiry(
                    json!({"rate": e.fault.rate, "status": e.fault.status}), &e, now)),
                "leak": f.leak.map(|l| with_expiry(
                    json!({"mb_per_min": l.fault.mb_per_min, "leaked_bytes": leaked_bytes}), &l, now)),
                "db_slow": f.db_slow.map(|d| with_expiry(json!({"delay_ms": d.fault.delay_ms}), &d, now)),
            })
        })
    }
}

fn with_expiry<T>(mut v: Value, t: &Timed<T>, now: Instant) -> Value {
    if let (Some(left), Some(obj)) = (t.expires_in_s(now), v.as_object_mut()) {
        obj.insert("expires_in_s".into(), json!(left));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ChaosState {
        ChaosState::new("api", InitialFaults::default())
    }

    #[test]
    fn clean_state_view() {
        let v = state().view();
        assert_eq!(
            v,
            json!({"service":"api","slow":null,"error":null,"leak":null,"db_slow":null})
        );
    }

    #[test]
    fn decide_follows_probability_and_rate() {
        let s = state();
        assert_eq!(s.decide(0.0, 0.0), Decision::default());
        s.set_slow(SlowConfig {
            delay_ms: 200,
            probability: 0.5,
            duration_s: None,
        });
        s.set_error(ErrorConfig {
            rate: 0.25,
            status: 503,
            duration_s: None,
        });
        let d = s.decide(0.4, 0.2);
        assert_eq!(d.delay, Some(Duration::from_millis(200)));
        assert_eq!(d.error_status, Some(503));
        let d = s.decide(0.6, 0.3);
        assert_eq!(d, Decision::default());
    }

    #[test]
    fn faults_with_duration_expire_and_show_expiry() {
        let s = state();
        s.set_db_slow(DbSlowConfig {
            delay_ms: 100,
            duration_s: Some(30.0),
        });
        let v = s.view();
        let left = v["db_slow"]["expires_in_s"].as_f64().unwrap();
        assert!(left > 29.0 && left <= 30.0, "{left}");
        assert_eq!(s.db_delay(), Some(Duration::from_millis(100)));
        s.set_error(ErrorConfig {
            rate: 1.0,
            status: 500,
            duration_s: Some(0.05),
        });
        assert!(s.view()["error"].is_object());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.view()["error"].is_null());
        assert_eq!(s.decide(0.0, 0.0).error_status, None);
    }

    #[test]
    fn reset_clears_everything() {
        let s = ChaosState::new(
            "payment",
            InitialFaults::parse(r#"{"error":{"rate":1},"leak":{"mb_per_min":5},"db_slow":{"delay_ms":1}}"#)
                .unwrap(),
        );
        assert_eq!(s.leak_rate(), Some(5.0));
        s.leaked().grow(1 << 20, 1 << 30);
        assert_eq!(s.view()["leak"]["leaked_bytes"], 1 << 20);
        s.reset();
        assert_eq!(s.leaked().bytes(), 0);
        assert_eq!(
            s.view(),
            json!({"service":"payment","slow":null,"error":null,"leak":null,"db_slow":null})
        );
    }
}
