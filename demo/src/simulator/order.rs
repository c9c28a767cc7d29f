//! One BankID order as the BankID server sees it: its hint-code progression, its deadlines and what `collect`
//! answers. Pure: every method takes the simulator clock's `now` (milliseconds) as an argument, so the timing
//! rules of BANKID.md §5 are tested without waiting.

use legit_core::bankid::{CallInitiator, CollectResponse, CompletionData, HintCode, Status};
use serde::Serialize;

use super::settings::Settings;
use super::users::TestUser;

/// Which endpoint created the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Auth,
    Sign,
    PhoneAuth,
    PhoneSign,
}

impl Kind {
    pub fn is_phone(self) -> bool {
        matches!(self, Kind::PhoneAuth | Kind::PhoneSign)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Pending {
        hint: HintCode,
    },
    Failed {
        hint: HintCode,
        at_ms: u64,
    },
    Complete {
        data: Box<CompletionData>,
        at_ms: u64,
    },
}

/// Secrets handed to the relying party when an auth or sign order starts.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub auto_start_token: String,
    pub qr_start_token: String,
    pub qr_start_secret: String,
}

#[derive(Debug, Clone)]
pub struct Order {
    pub order_ref: String,
    pub kind: Kind,
    /// CN of the relying-party certificate that created the order: orders are private to it.
    pub rp: String,
    pub created_ms: u64,
    /// Creation order among all orders: two can share a millisecond.
    pub seq: u64,
    pub tokens: Option<Tokens>,
    /// The person the order is bound to: a phone order's number or `requirement.personalNumber`.
    pub bound_to: Option<String>,
    pub call_initiator: Option<CallInitiator>,
    pub end_user_ip: Option<String>,
    /// Where the app would send the person back to (auth/sign `returnUrl`).
    pub return_url: Option<String>,
    /// `userVisibleData` decoded to text, for the phone page and the signature.
    pub visible_text: Option<String>,
    pub mrtd_required: bool,
    pub return_risk: bool,
    pub state: State,
    /// The person whose app picked the order up (opened or scanned it).
    pub picked_by: Option<TestUser>,
    pub collects: u64,
    /// Collects answered under `autoProgress`, which drive its scripted sequence.
    auto_step: usize,
    /// A final answer was already collected (matters when `repeatFinalResult` is off).
    final_collected: bool,
}

/// Why an action on an order was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The order is not in a state where this can happen.
    InvalidTransition(String),
}

impl Order {
    pub fn new(
        order_ref: String,
        kind: Kind,
        rp: String,
        created_ms: u64,
        tokens: Option<Tokens>,
    ) -> Order {
        Order {
            order_ref,
            kind,
            rp,
            created_ms,
            seq: 0,
            tokens,
            bound_to: None,
            call_initiator: None,
            end_user_ip: None,
            return_url: None,
            visible_text: None,
            mrtd_required: false,
            return_risk: false,
            state: State::Pending {
                hint: HintCode::OutstandingTransaction,
            },
            picked_by: None,
            collects: 0,
            auto_step: 0,
            final_collected: false,
        }
    }

    pub fn is_pending(&self) -> bool {
        matches!(self.state, State::Pending { .. })
    }

    pub fn hint(&self) -> Option<&HintCode> {
        match &self.state {
            State::Pending { hint } | State::Failed { hint, .. } => Some(hint),
            State::Complete { .. } => None,
        }
    }

    pub fn status(&self) -> Status {
        match self.state {
            State::Pending { .. } => Status::Pending,
            State::Failed { .. } => Status::Failed,
            State::Complete { .. } => Status::Complete,
        }
    }

    /// Whether a user's app has taken the order: after that, `startFailed` no longer applies.
    pub fn is_opened(&self) -> bool {
        self.picked_by.is_some()
    }

    /// The person this order concerns, if known yet.
    pub fn person(&self) -> Option<&str> {
        self.bound_to
            .as_deref()
            .or_else(|| self.picked_by.as_ref().map(|u| u.personal_number.as_str()))
    }

    /// Applies the deadlines that have passed by `now`: `startFailed` for an auth/sign order no app opened,
    /// `expiredTransaction` for any order still pending at the end of its lifetime.
    pub fn refresh(&mut self, now_ms: u64, s: &Settings) {
        if !self.is_pending() {
            return;
        }
        let start_failed_at = after(self.created_ms, s.start_failed_seconds);
        let expires_at = after(self.created_ms, s.order_lifetime_seconds);
        if !self.kind.is_phone()
            && !self.is_opened()
            && now_ms >= start_failed_at
            && start_failed_at < expires_at
        {
            self.fail(HintCode::StartFailed, start_failed_at);
        } else if now_ms >= expires_at {
            self.fail(HintCode::ExpiredTransaction, expires_at);
        }
    }

    /// Whether BankID has forgotten the order by `now`, after which `collect` answers `invalidParameters`.
    pub fn is_forgotten(&self, now_ms: u64, s: &Settings) -> bool {
        if !self.is_opened() && !matches!(self.state, State::Complete { .. }) {
            return now_ms >= after(self.created_ms, s.unopened_retention_seconds);
        }
        match &self.state {
            State::Pending { .. } => false,
            State::Failed { at_ms, .. } => now_ms >= after(*at_ms, s.failed_retention_seconds),
            State::Complete { at_ms, .. } => now_ms >= after(*at_ms, s.completed_retention_seconds),
        }
    }

    pub fn fail(&mut self, hint: HintCode, at_ms: u64) {
        self.state = State::Failed { hint, at_ms };
    }

    fn set_hint(&mut self, hint: HintCode) {
        self.state = State::Pending { hint };
    }

    fn require_pending(&self, what: &str) -> Result<(), Refusal> {
        if self.is_pending() {
            Ok(())
        } else {
            Err(Refusal::InvalidTransition(format!(
                "cannot {what}: the order has ended"
            )))
        }
    }

    /// The app takes the order: via the autostart token (`open`) or a QR scan (`scanned`).
    pub fn pick_up(&mut self, user: TestUser, scanned: bool) -> Result<(), Refusal> {
        self.require_pending("open the order")?;
        if self.is_opened() {
            return Err(Refusal::InvalidTransition(
                "the app has already opened this order".into(),
            ));
        }
        if scanned && self.tokens.is_none() {
            return Err(Refusal::InvalidTransition(
                "a phone order has no QR code".into(),
            ));
        }
        self.picked_by = Some(user);
        self.set_hint(match (self.kind.is_phone(), scanned) {
            (true, _) => HintCode::UserCallConfirm,
            (false, true) => HintCode::UserSign,
            (false, false) => HintCode::Started,
        });
        Ok(())
    }

    pub fn confirm_call(&mut self) -> Result<(), Refusal> {
        self.require_call_question("confirm the call")?;
        self.set_hint(HintCode::UserSign);
        Ok(())
    }

    pub fn decline_call(&mut self, now_ms: u64) -> Result<(), Refusal> {
        self.require_call_question("decline the call")?;
        self.fail(HintCode::UserDeclinedCall, now_ms);
        Ok(())
    }

    fn require_call_question(&self, what: &str) -> Result<(), Refusal> {
        self.require_pending(what)?;
        if self.hint() != Some(&HintCode::UserCallConfirm) {
            return Err(Refusal::InvalidTransition(format!(
                "cannot {what}: the app is not asking about a call (hint {})",
                self.hint().map(HintCode::as_str).unwrap_or("none")
            )));
        }
        Ok(())
    }

    /// The user approves with their security code. An order that requires an ID document check goes to
    /// `userMrtd` first; approving again completes it. `completion` builds the answer for the given user.
    pub fn approve(
        &mut self,
        now_ms: u64,
        completion: impl FnOnce(&Order) -> CompletionData,
    ) -> Result<(), Refusal> {
        self.require_pending("approve")?;
        match self.hint() {
            Some(HintCode::OutstandingTransaction | HintCode::NoClient) | None => {
                return Err(Refusal::InvalidTransition(
                    "cannot approve: no app has opened this order yet".into(),
                ));
            }
            Some(HintCode::UserCallConfirm) => {
                return Err(Refusal::InvalidTransition(
                    "cannot approve: the user must first confirm the call".into(),
                ));
            }
            Some(HintCode::UserMrtd) => {}
            Some(_) if self.mrtd_required => {
                self.set_hint(HintCode::UserMrtd);
                return Ok(());
            }
            Some(_) => {}
        }
        let data = completion(self);
        self.state = State::Complete {
            data: Box::new(data),
            at_ms: now_ms,
        };
        Ok(())
    }

    /// The user cancels in the app.
    pub fn user_cancel(&mut self, now_ms: u64) -> Result<(), Refusal> {
        self.require_pending("cancel")?;
        self.fail(HintCode::UserCancel, now_ms);
        Ok(())
    }

    /// Ends the order with any failure hint code, including ones BankID may add later.
    pub fn end(&mut self, hint: HintCode, now_ms: u64) -> Result<(), Refusal> {
        self.require_pending("fail the order")?;
        self.fail(hint, now_ms);
        Ok(())
    }

    /// Sets any pending hint code, including ones BankID may add later.
    pub fn force_hint(&mut self, hint: HintCode) -> Result<(), Refusal> {
        self.require_pending("change the hint code")?;
        self.set_hint(hint);
        Ok(())
    }

    /// The answer to `collect` now, or `None` if BankID would answer `invalidParameters`.
    pub fn collect(&mut self, s: &Settings) -> Option<CollectResponse> {
        if !self.is_pending() && self.final_collected && !s.repeat_final_result {
            return None;
        }
        self.collects += 1;
        if !self.is_pending() {
            self.final_collected = true;
        }
        Some(self.collect_answer())
    }

    /// The collect answer for the current state, without counting a collect.
    pub fn collect_answer(&self) -> CollectResponse {
        let (hint_code, completion_data) = match &self.state {
            State::Pending { hint } | State::Failed { hint, .. } => (Some(hint.clone()), None),
            State::Complete { data, .. } => (None, Some((**data).clone())),
        };
        CollectResponse {
            order_ref: self.order_ref.clone(),
            status: self.status(),
            hint_code,
            completion_data,
        }
    }

    /// One step of ActiveLogin's scripted sequence: auth/sign `outstandingTransaction` ×2 → `started` ×2 →
    /// `userSign` → complete; phone `outstandingTransaction` → `userCallConfirm` → `userSign` → complete.
    /// Returns the hint the coming collect should show, or `None` when the order should complete now.
    pub fn auto_progress_step(&mut self) -> Option<HintCode> {
        const AUTH: [Option<HintCode>; 6] = [
            Some(HintCode::OutstandingTransaction),
            Some(HintCode::OutstandingTransaction),
            Some(HintCode::Started),
            Some(HintCode::Started),
            Some(HintCode::UserSign),
            None,
        ];
        const PHONE: [Option<HintCode>; 4] = [
            Some(HintCode::OutstandingTransaction),
            Some(HintCode::UserCallConfirm),
            Some(HintCode::UserSign),
            None,
        ];
        let seq: &[Option<HintCode>] = if self.kind.is_phone() { &PHONE } else { &AUTH };
        let step = self.auto_step.min(seq.len() - 1);
        self.auto_step += 1;
        seq[step].clone()
    }

    /// Moves the order to `hint` as part of the scripted sequence, marking it opened once the app would have it.
    pub fn auto_set(&mut self, hint: HintCode, user: impl FnOnce() -> TestUser) {
        if !matches!(hint, HintCode::OutstandingTransaction | HintCode::NoClient)
            && self.picked_by.is_none()
        {
            self.picked_by = Some(user());
        }
        self.set_hint(hint);
    }
}

/// The clock reading `seconds` after `at_ms`. Saturates: `Settings::merged` bounds the durations, but an
/// overflow here would panic with the state mutex held and every later call would panic again.
fn after(at_ms: u64, seconds: u64) -> u64 {
    at_ms.saturating_add(seconds.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::default()
    }

    fn order(kind: Kind) -> Order {
        Order::new("ref".into(), kind, "legit-rp".into(), 1_000, None)
    }

    fn user() -> TestUser {
        TestUser::default_user()
    }

    #[test]
    fn an_unopened_auth_order_fails_with_start_failed_exactly_at_the_deadline() {
        let s = settings();
        let mut o = order(Kind::Auth);
        o.refresh(1_000 + 29_999, &s);
        assert!(o.is_pending());
        o.refresh(1_000 + 30_000, &s);
        assert_eq!(
            o.state,
            State::Failed {
                hint: HintCode::StartFailed,
                at_ms: 31_000
            }
        );
    }

    #[test]
    fn a_phone_order_never_fails_with_start_failed_but_expires() {
        let s = settings();
        let mut o = order(Kind::PhoneAuth);
        o.refresh(1_000 + 179_999, &s);
        assert!(o.is_pending());
        o.refresh(1_000 + 180_000, &s);
        assert_eq!(o.hint(), Some(&HintCode::ExpiredTransaction));
        assert!(!o.is_forgotten(1_000 + 189_999, &s));
        assert!(
            o.is_forgotten(1_000 + 190_000, &s),
            "never opened: forgotten 3 min 10 s after creation"
        );
    }

    #[test]
    fn an_opened_order_escapes_start_failed() {
        let s = settings();
        let mut o = order(Kind::Auth);
        o.pick_up(user(), false).unwrap();
        o.refresh(1_000 + 60_000, &s);
        assert_eq!(o.hint(), Some(&HintCode::Started));
    }

    #[test]
    fn huge_durations_mean_never_instead_of_overflowing() {
        let s = Settings {
            start_failed_seconds: u64::MAX,
            order_lifetime_seconds: u64::MAX,
            unopened_retention_seconds: u64::MAX,
            completed_retention_seconds: u64::MAX,
            failed_retention_seconds: u64::MAX,
            ..settings()
        };
        let late = u64::MAX - 1;
        let mut unopened = order(Kind::Auth);
        unopened.refresh(late, &s);
        assert!(unopened.is_pending());
        assert!(!unopened.is_forgotten(late, &s));

        let mut failed = order(Kind::Auth);
        failed.pick_up(user(), false).unwrap();
        failed.user_cancel(2_000).unwrap();
        failed.refresh(late, &s);
        assert!(!failed.is_forgotten(late, &s));

        let mut complete = order(Kind::Auth);
        complete.pick_up(user(), false).unwrap();
        complete
            .approve(2_000, |o| {
                super::super::completion::completion_data(o, &user())
            })
            .unwrap();
        assert!(!complete.is_forgotten(late, &s));
    }

    #[test]
    fn approving_before_the_app_opened_the_order_is_refused() {
        let mut o = order(Kind::Auth);
        assert!(o.approve(2_000, |_| unreachable!()).is_err());
    }

    #[test]
    fn the_scripted_sequences_match_activelogin() {
        let mut o = order(Kind::Auth);
        let steps: Vec<_> = (0..6).map(|_| o.auto_progress_step()).collect();
        assert_eq!(steps[0], Some(HintCode::OutstandingTransaction));
        assert_eq!(steps[2], Some(HintCode::Started));
        assert_eq!(steps[4], Some(HintCode::UserSign));
        assert_eq!(steps[5], None);
        let mut p = order(Kind::PhoneSign);
        let steps: Vec<_> = (0..4).map(|_| p.auto_progress_step()).collect();
        assert_eq!(steps[1], Some(HintCode::UserCallConfirm));
        assert_eq!(steps[3], None);
    }
}
