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
/// How long the edge waits for any BankID call before treating it as no answer. BankID answers in well under
/// a second; an order's QR frames and collects wait on the call, so a hung connection must not hold them.
pub const CALL_TIMEOUT_MS: u64 = 5_000;
/// The first wait after a wake-up that failed (storage, config); it doubles with each failure in a row.
pub const WAKE_RETRY_FIRST_MS: u64 = 2_000;
/// The longest wait between retries of a failing wake-up.
pub const WAKE_RETRY_MAX_MS: u64 = 60_000;

/// How long to wait after the `failures`-th failed wake-up in a row (1, 2, …): 2 s, 4 s, 8 s … up to a
/// minute, for as long as it takes. The runtime's own retry of a failed alarm gives up after six tries, and
/// an order whose alarm is gone never ends, never tells its viewers, and is never erased.
pub fn wake_retry_ms(failures: u32) -> u64 {
    let doublings = failures.saturating_sub(1).min(16);
    WAKE_RETRY_FIRST_MS
        .saturating_mul(1 << doublings)
        .min(WAKE_RETRY_MAX_MS)
}

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
    /// Slots added to the wait before the next collect while BankID says `tooManyRequests`, so the wait
    /// doubles with each such answer in a row (BANKID.md §3: "back off"); 0 otherwise. Absent in records
    /// stored before it.
    #[serde(default)]
    pub pause_slots: u64,
}

/// What kind of failure a collect met, which decides whether waiting can help (BANKID.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectFailure {
    /// No answer, a gateway error or `maintenance`: retry at the next collect slot.
    Transient,
    /// `tooManyRequests` (429): retry, later each time ([`CollectLoop::pause_slots`]).
    Throttled,
    /// BankID answered `internalError` or `requestTimeout`: "do not retry automatically; show RFA5".
    Unavailable,
    /// Anything else is an RP-side problem that repeating cannot fix (RFA22).
    Rejected,
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
            pause_slots: 0,
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
        self.slot(now_ms) >= self.next_collect_slot()
    }

    fn next_collect_slot(&self) -> u64 {
        self.last_collect_slot + COLLECT_EVERY_SLOTS + self.pause_slots
    }

    /// Records a collect made at `now_ms`, whatever its outcome.
    pub fn mark_collected(&mut self, now_ms: u64) {
        self.last_collect_slot = self.slot(now_ms);
    }

    pub fn on_success(&mut self) {
        self.failures = 0;
        self.pause_slots = 0;
    }

    /// Transient failures are retried at the next collect slot until [`MAX_CONSECUTIVE_FAILURES`]; the
    /// others end the order at once.
    pub fn on_failure(&mut self, failure: CollectFailure) -> AfterFailure {
        match failure {
            CollectFailure::Transient => self.pause_slots = 0,
            // 2 s, then 4, 8, 16 s between collects: the order gives up after half a minute of refusals
            // rather than eight seconds, and asks BankID less often meanwhile.
            CollectFailure::Throttled => {
                self.pause_slots = COLLECT_EVERY_SLOTS * ((1 << self.failures.min(4)) - 1);
            }
            CollectFailure::Unavailable => {
                return AfterFailure::Fail(FailReason::BankIdUnavailable);
            }
            CollectFailure::Rejected => return AfterFailure::Fail(FailReason::BankIdRejected),
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
            self.next_collect_slot().max(self.slot(now_ms) + 1)
        };
        (self.started_ms + slot * SLOT_MS).max(now_ms)
    }
}

/// Sorts a failed collect by BankID's retry guidance (BANKID.md §3): "retry a transient failure (network,
/// 503) at the 2 s interval"; `tooManyRequests`: "back off"; `internalError` and `requestTimeout`: "do not
/// retry automatically; show RFA5".
/// `http_status` is `None` when no answer came; `code` is `None` when the answer carried no BankID error
/// body (a proxy's page), where the status alone decides: 502/503/504 are the network's, not BankID's.
pub fn classify(http_status: Option<u16>, code: Option<&ErrorCode>) -> CollectFailure {
    match (http_status, code) {
        (None, _) => CollectFailure::Transient,
        (Some(_), Some(ErrorCode::TooManyRequests))
        | (Some(429), None | Some(ErrorCode::Unknown(_))) => CollectFailure::Throttled,
        (Some(_), Some(code)) if code.is_transient() => CollectFailure::Transient,
        (Some(_), Some(ErrorCode::InternalError | ErrorCode::RequestTimeout)) => {
            CollectFailure::Unavailable
        }
        (Some(502..=504), None | Some(ErrorCode::Unknown(_))) => CollectFailure::Transient,
        // BANKID.md §3: a 500 is internalError, a 408 requestTimeout, whatever the body says (the edge reads
        // a body that is not BankID's JSON as `Unknown("http_500")`; a code newer than this version is
        // unknown too).
        (Some(500 | 408), None | Some(ErrorCode::Unknown(_))) => CollectFailure::Unavailable,
        (Some(_), _) => CollectFailure::Rejected,
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
            assert_eq!(l.on_failure(CollectFailure::Transient), AfterFailure::Retry);
        }
        l.on_success();
        for _ in 0..4 {
            assert_eq!(l.on_failure(CollectFailure::Transient), AfterFailure::Retry);
        }
        assert_eq!(
            l.on_failure(CollectFailure::Transient),
            AfterFailure::Fail(FailReason::BankIdUnavailable)
        );
        assert_eq!(
            CollectLoop::new(T0).on_failure(CollectFailure::Rejected),
            AfterFailure::Fail(FailReason::BankIdRejected)
        );
    }

    #[test]
    fn too_many_requests_backs_off_between_collects_until_an_answer_comes() {
        let mut l = CollectLoop::new(T0);
        let mut at = T0 + 2_000;
        let mut collects = Vec::new();
        // Each refused collect pushes the next one further; the fifth refusal in a row gives up.
        let given_up = loop {
            if l.collect_due(at) {
                collects.push((at - T0) / 1_000);
                l.mark_collected(at);
                assert!(l.next_wake_ms(at, false) > at);
                if let AfterFailure::Fail(reason) = l.on_failure(CollectFailure::Throttled) {
                    break reason;
                }
            }
            at += SLOT_MS;
        };
        assert_eq!(collects, [2, 4, 8, 16, 32], "2 s apart, then 4, 8, 16");
        assert_eq!(given_up, FailReason::BankIdUnavailable);
        // One answer and the pace is BankID's 2 s again.
        let mut l = CollectLoop::new(T0);
        l.mark_collected(T0 + 2_000);
        l.on_failure(CollectFailure::Throttled);
        l.on_failure(CollectFailure::Throttled);
        l.on_success();
        assert!(l.collect_due(T0 + 4_000));
        // A stored loop from before the pause existed reads as no pause.
        let old: CollectLoop =
            serde_json::from_str(r#"{"startedMs":1800000000000,"lastCollectSlot":2,"failures":0}"#)
                .unwrap();
        assert_eq!(old.pause_slots, 0);
    }

    #[test]
    fn a_failing_wake_up_is_retried_forever_backing_off_to_a_minute() {
        let waits: Vec<u64> = (1..=8).map(wake_retry_ms).collect();
        assert_eq!(
            waits,
            [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        );
        assert_eq!(wake_retry_ms(0), WAKE_RETRY_FIRST_MS);
        assert_eq!(wake_retry_ms(u32::MAX), WAKE_RETRY_MAX_MS);
    }

    #[test]
    fn internal_error_and_request_timeout_fail_at_once_with_rfa5() {
        for code in [ErrorCode::InternalError, ErrorCode::RequestTimeout] {
            let mut l = CollectLoop::new(T0);
            let failure = classify(Some(code.http_status()), Some(&code));
            assert_eq!(failure, CollectFailure::Unavailable, "{code:?}");
            let after = l.on_failure(failure);
            assert_eq!(after, AfterFailure::Fail(FailReason::BankIdUnavailable));
            assert_eq!(FailReason::BankIdUnavailable.rfa(), crate::rfa::Rfa::Rfa5);
        }
    }

    #[test]
    fn only_the_network_maintenance_and_rate_limits_are_retried() {
        use CollectFailure::{Rejected, Throttled, Transient, Unavailable};
        let cases = [
            (None, None, Transient),
            (Some(503), Some(ErrorCode::Maintenance), Transient),
            (Some(429), Some(ErrorCode::TooManyRequests), Throttled),
            (Some(429), None, Throttled),
            (Some(502), None, Transient),
            (Some(504), None, Transient),
            (
                Some(503),
                Some(ErrorCode::Unknown("newCode".into())),
                Transient,
            ),
            (Some(500), Some(ErrorCode::InternalError), Unavailable),
            (Some(408), Some(ErrorCode::RequestTimeout), Unavailable),
            (Some(500), None, Unavailable),
            (
                Some(500),
                Some(ErrorCode::Unknown("http_500".into())),
                Unavailable,
            ),
            (
                Some(408),
                Some(ErrorCode::Unknown("http_408".into())),
                Unavailable,
            ),
            (Some(400), Some(ErrorCode::InvalidParameters), Rejected),
            (Some(401), Some(ErrorCode::Unauthorized), Rejected),
            (Some(415), Some(ErrorCode::UnsupportedMediaType), Rejected),
            (
                Some(400),
                Some(ErrorCode::Unknown("newCode".into())),
                Rejected,
            ),
            (Some(404), None, Rejected),
        ];
        for (status, code, want) in cases {
            assert_eq!(classify(status, code.as_ref()), want, "{status:?} {code:?}");
        }
    }
}
