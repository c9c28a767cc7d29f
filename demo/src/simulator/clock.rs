//! The simulator's clock: real time plus an offset that the admin API moves forward, so that BankID's 30 s and
//! 3 min rules are exercised in milliseconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug)]
pub struct Clock {
    start: Instant,
    offset_ms: AtomicU64,
}

impl Clock {
    pub fn new() -> Clock {
        Clock {
            start: Instant::now(),
            offset_ms: AtomicU64::new(0),
        }
    }

    /// Milliseconds since the simulator started, including every advance.
    pub fn now_ms(&self) -> u64 {
        let real = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        real.saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    pub fn advance(&self, ms: u64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_by_exactly_that_much() {
        let c = Clock::new();
        let before = c.now_ms();
        c.advance(31_000);
        let after = c.now_ms();
        assert!(after >= before + 31_000 && after < before + 32_000);
        c.reset();
        assert!(c.now_ms() < before + 1_000);
    }
}
