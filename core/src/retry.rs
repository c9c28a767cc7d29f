//! When to collect an order and how to react when collect fails (BANKID.md §3, §5).
//!
//! The edge's order object wakes on a timer; everything it decides on a wake-up is here, as arithmetic on
//! times passed in, so the schedule is testable without a runtime. Time runs on a grid of one-second slots
//! counted from the moment BankID's start answer arrived: QR frames go out on every slot, collects on every
//! second slot at most. Anchoring to the grid (rather than "now + 1 s") keeps wake-ups from drifting, so the
//! collect rate stays exactly one per 2 s over an order's life.

use crate::api::FailReason;
use crate::bankid::ErrorCode;

/// One QR frame per second (BANKID.md §6).
pub const SLOT_MS: u64 = 1_000;
/// BankID's collect interval, in slots: one collect per 2 s (BANKID.md §5).
pub const COLLECT_EVERY_SLOTS: u64 = 2;
/// Consecutive transient collect failures before the order is given up as `bankid_unavailable`.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;
/// How long a finished order's result stays readable before its storage is erased (DESIGN.md §5).
pub const RESULT_RETENTION_MS: u64 = 10 * 60 * 1_000;

/// The collect schedule and failure count of one order; stored with the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectLoop {
    /// Unix ms when BankID's start answer arrived: slot 0, and qrTime 0.
    pub started_ms: u64,
    /// The slot of the last collect; 0 before the first, so the first collect is at slot 2.
    pub last_collect_slot: u64,
    /// Transient failures since the last successful collect.
    pub failures: u32,
}

/// What to do after a failed collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at the next collect slot.
    Retry,
    /// End the order with this reason.
    Fail(FailReason),
}

impl CollectLoop {
    pub fn new(started_ms: u64) -> CollectLoop {
        CollectLoop {
            started_ms,
            last_collect_slot: 0,
            failures: 0,
        }
    }

    /// The slot `now_ms` falls in, rounded to the nearest, so a timer that fires a few milliseconds early or
    /// late still counts as the slot it was set for.
    pub fn slot(&self, now_ms: u64) -> u64 {
        (now_ms.saturating_sub(self.started_ms) + SLOT_MS / 2) / SLOT_MS
    }

    /// BankID's `qrTime`: whole seconds since the start answer arrived.
    pub fn qr_time(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.started_ms) / SLOT_MS
    }

    /// Whether a collect is due now: at least two slots after the last one, however many wake-ups there
    /// are (viewers connecting, restarts), so BankID sees at most one collect per 2 s.
    pub fn collect_due(&self, now_ms: u64) -> bool {
        self.slot(now_ms) >= self.last_collect_slot + COLLECT_EVERY_SLOTS
    }

    /// Records a collect made at `now_ms`, whatever its outcome.
    pub fn mark_collected(&mut self, now_ms: u64) {
        self.last_collect_slot = self.slot(now_ms);
    }

    pub fn on_success(&mut self) {
        self.failures = 0;
    }

    /// Transient failures (network, 5xx, maintenance, rate limit) are retried at the next collect slot
    /// until [`MAX_CONSECUTIVE_FAILURES`]; anything else is an RP-side problem that repeating cannot fix.
    pub fn on_failure(&mut self, transient: bool) -> AfterFailure {
        if !transient {
            return AfterFailure::Fail(FailReason::BankIdRejected);
        }
        self.failures += 1;
        if self.failures >= MAX_CONSECUTIVE_FAILURES {
            AfterFailure::Fail(FailReason::BankIdUnavailable)
        } else {
            AfterFailure::Retry
        }
    }

    /// The unix ms of the next wake-up: the next slot while QR frames are shown, else the next collect
    /// slot. Never in the past, so an overdue order wakes at once.
    pub fn next_wake_ms(&self, now_ms: u64, every_slot: bool) -> u64 {
        let slot = if every_slot {
            self.slot(now_ms) + 1
        } else {
            (self.last_collect_slot + COLLECT_EVERY_SLOTS).max(self.slot(now_ms) + 1)
        };
        (self.started_ms + slot * SLOT_MS).max(now_ms)
    }
}

/// Whether a failed BankID call may be repeated later: no answer at all (`http_status` `None`), any 5xx,
/// `requestTimeout` (408) and `tooManyRequests` (429). Only used for collect; starts are never repeated.
pub fn is_transient(http_status: Option<u16>, code: Option<&ErrorCode>) -> bool {
    match http_status {
        None => true,
        Some(status) if status >= 500 => true,
        Some(_) => matches!(
            code,
            Some(ErrorCode::RequestTimeout | ErrorCode::TooManyRequests | ErrorCode::Maintenance)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000_000;

    #[test]
    fn collects_happen_every_second_slot_and_qr_every_slot() {
        let mut l = CollectLoop::new(T0);
        let mut collects = 0;
        let mut now = T0;
        let mut wakes = 0;
        while now < T0 + 60_000 {
            // A runtime fires timers a little late; the schedule must not drift.
            now = l.next_wake_ms(now, true) + 37;
            wakes += 1;
            if l.collect_due(now) {
                l.mark_collected(now);
                collects += 1;
            }
        }
        assert_eq!(wakes, 60);
        assert_eq!(collects, 30, "one collect per 2 s over a minute");
    }

    #[test]
    fn without_qr_the_loop_wakes_only_for_collects() {
        let mut l = CollectLoop::new(T0);
        assert_eq!(l.next_wake_ms(T0, false), T0 + 2_000);
        l.mark_collected(T0 + 2_010);
        assert_eq!(l.next_wake_ms(T0 + 2_050, false), T0 + 4_000);
    }

    #[test]
    fn extra_wake_ups_do_not_add_collects() {
        let mut l = CollectLoop::new(T0);
        assert!(!l.collect_due(T0 + 1_000));
        assert!(l.collect_due(T0 + 2_000));
        l.mark_collected(T0 + 2_000);
        assert!(!l.collect_due(T0 + 2_900));
        assert!(!l.collect_due(T0 + 3_400));
        assert!(
            l.collect_due(T0 + 3_990),
            "a timer a few ms early still counts"
        );
    }

    #[test]
    fn an_overdue_order_wakes_at_once() {
        let l = CollectLoop::new(T0);
        let now = T0 + 3_600_000;
        assert!(l.collect_due(now));
        assert!(l.next_wake_ms(now, false) <= now + SLOT_MS);
        assert!(l.next_wake_ms(now, false) >= now);
    }

    #[test]
    fn qr_time_is_whole_seconds_since_start() {
        let l = CollectLoop::new(T0);
        assert_eq!(l.qr_time(T0), 0);
        assert_eq!(l.qr_time(T0 + 999), 0);
        assert_eq!(l.qr_time(T0 + 1_000), 1);
        assert_eq!(l.qr_time(T0 - 5), 0);
    }

    #[test]
    fn five_transient_failures_in_a_row_give_up() {
        let mut l = CollectLoop::new(T0);
        for _ in 0..4 {
            assert_eq!(l.on_failure(true), AfterFailure::Retry);
        }
        l.on_success();
        for _ in 0..4 {
            assert_eq!(l.on_failure(true), AfterFailure::Retry);
        }
        assert_eq!(
            l.on_failure(true),
            AfterFailure::Fail(FailReason::BankIdUnavailable)
        );
        assert_eq!(
            CollectLoop::new(T0).on_failure(false),
            AfterFailure::Fail(FailReason::BankIdRejected)
        );
    }

    #[test]
    fn transient_means_no_answer_5xx_timeout_or_rate_limit() {
        assert!(is_transient(None, None));
        assert!(is_transient(Some(503), Some(&ErrorCode::Maintenance)));
        assert!(is_transient(Some(500), Some(&ErrorCode::InternalError)));
        assert!(is_transient(Some(502), None));
        assert!(is_transient(Some(429), Some(&ErrorCode::TooManyRequests)));
        assert!(is_transient(Some(408), Some(&ErrorCode::RequestTimeout)));
        assert!(!is_transient(
            Some(400),
            Some(&ErrorCode::InvalidParameters)
        ));
        assert!(!is_transient(Some(401), Some(&ErrorCode::Unauthorized)));
        assert!(!is_transient(
            Some(415),
            Some(&ErrorCode::UnsupportedMediaType)
        ));
    }
}
