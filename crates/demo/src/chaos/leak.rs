//! The memory-leak fault: really allocated, touched memory, so resident memory grows the way a real
//! leak makes it grow.

use super::state::ChaosState;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The most memory the leak fault ever holds.
pub const MAX_LEAK_BYTES: u64 = 2 << 30;
const MIB: f64 = 1024.0 * 1024.0;
const CHUNK: usize = 1 << 20;
const TICK: Duration = Duration::from_millis(500);

/// The memory held by the leak fault.
#[derive(Debug, Default)]
pub struct LeakedMemory {
    chunks: Mutex<Vec<Box<[u8]>>>,
    bytes: AtomicU64,
}

impl LeakedMemory {
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Allocates up to `want` more bytes, never holding more than `cap`; returns the bytes added.
    pub fn grow(&self, want: u64, cap: u64) -> u64 {
        let mut chunks = self.chunks.lock().unwrap_or_else(|p| p.into_inner());
        let held = self.bytes.load(Ordering::Relaxed);
        let mut left = want.min(cap.saturating_sub(held));
        let added = left;
        while left > 0 {
            let n = (left as usize).min(CHUNK);
            // A non-zero fill writes every page, so the kernel really backs them.
            chunks.push(vec![0xA5u8; n].into_boxed_slice());
            left -= n as u64;
        }
        self.bytes.fetch_add(added, Ordering::Relaxed);
        added
    }

    /// Frees everything and hands the pages back to the OS.
    pub fn free(&self) {
        let old = std::mem::take(&mut *self.chunks.lock().unwrap_or_else(|p| p.into_inner()));
        let had = !old.is_empty();
        drop(old);
        self.bytes.store(0, Ordering::Relaxed);
        if had {
            trim_heap();
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_heap() {
    // SAFETY: malloc_trim only releases free heap pages; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_heap() {}

/// Grows the leak at the configured rate while the fault is on.
pub async fn run(state: Arc<ChaosState>, cancel: CancellationToken) {
    let mut carry = 0.0f64;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let Some(rate) = state.leak_rate() else {
            carry = 0.0;
            continue;
        };
        carry += rate * MIB / 60.0 * TICK.as_secs_f64();
        let want = carry.floor() as u64;
        carry -= want as f64;
        let leaked = state.leaked();
        if want > 0 && leaked.bytes() < MAX_LEAK_BYTES {
            leaked.grow(want, MAX_LEAK_BYTES);
            if leaked.bytes() >= MAX_LEAK_BYTES {
                tracing::warn!(leaked_bytes = leaked.bytes(), "memory leak reached its cap");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_respects_the_cap_and_free_releases() {
        let m = LeakedMemory::default();
        assert_eq!(m.grow(3 * CHUNK as u64 + 10, 10 << 20), 3 * CHUNK as u64 + 10);
        assert_eq!(m.bytes(), 3 * CHUNK as u64 + 10);
        assert_eq!(m.grow(20 << 20, 10 << 20), (10 << 20) - (3 * CHUNK as u64 + 10));
        assert_eq!(m.bytes(), 10 << 20);
        assert_eq!(m.grow(1, 10 << 20), 0);
        m.free();
        assert_eq!(m.bytes(), 0);
    }
}
