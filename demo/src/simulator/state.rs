//! The simulator's shared state and every operation on it. HTTP handlers only decode and encode; the rules live
//! here and in [`super::order`]. One mutex guards everything and is never held across an `.await`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use legit_core::bankid::{
    self, Endpoint, ErrorCode, HintCode, OrderRefRequest, OrderRequest, OrderResponse,
    PhoneOrderRequest, PhoneOrderResponse,
};
use legit_core::qr;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::clock::Clock;
use super::completion::completion_data;
use super::error::{AdminError, RpError};
use super::faults::{Fault, Faults, Hit};
use super::order::{Kind, Order, Refusal, Tokens};
use super::settings::Settings;
use super::users::{self, TestUser};

#[derive(Debug)]
pub struct Sim {
    pub clock: Clock,
    /// Mutual-TLS connections accepted on the RP API since start (not reset): tells whether a client keeps
    /// its connection to BankID or pays a handshake per call.
    pub tls_connections: std::sync::atomic::AtomicU64,
    /// What `reset` returns to.
    initial_settings: Settings,
    inner: Mutex<Inner>,
}

impl Default for Sim {
    fn default() -> Sim {
        Sim::new(Settings::default())
    }
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    orders: HashMap<String, Order>,
    user: TestUser,
    faults: Faults,
    requests: BTreeMap<&'static str, u64>,
    disabled_rps: HashSet<String>,
    /// The last [`Order::seq`] given.
    last_seq: u64,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            settings: Settings::default(),
            orders: HashMap::new(),
            user: TestUser::default_user(),
            faults: Faults::default(),
            requests: BTreeMap::new(),
            disabled_rps: HashSet::new(),
            last_seq: 0,
        }
    }
}

/// An order as the admin API and the phone page show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub order_ref: String,
    pub kind: Kind,
    pub status: bankid::Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint_code: Option<HintCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_initiator: Option<bankid::CallInitiator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    pub created_at: f64,
    pub rp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_start_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_start_token: Option<String>,
    /// What the RP sent as `endUserIp` (auth/sign).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_user_ip: Option<String>,
    /// What the RP sent as `returnUrl` (auth/sign).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    pub mrtd_required: bool,
    pub collects: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion_data: Option<bankid::CompletionData>,
    /// While a phone order is pending: the name the app answers with (the person the order names, not
    /// necessarily the phone's user), so the phone page does not suggest the wrong one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers_as: Option<String>,
}

impl OrderView {
    fn of(o: &Order, current: &TestUser) -> OrderView {
        let answer = o.collect_answer();
        let answers_as = (o.kind.is_phone() && o.is_pending()).then(|| picker(o, current).name());
        OrderView {
            order_ref: o.order_ref.clone(),
            kind: o.kind,
            status: answer.status,
            hint_code: answer.hint_code,
            personal_number: o.person().map(str::to_owned),
            call_initiator: o.call_initiator,
            user_visible_data: o.visible_text.clone(),
            created_at: seconds(o.created_ms),
            rp: o.rp.clone(),
            auto_start_token: o.tokens.as_ref().map(|t| t.auto_start_token.clone()),
            qr_start_token: o.tokens.as_ref().map(|t| t.qr_start_token.clone()),
            end_user_ip: o.end_user_ip.clone(),
            return_url: o.return_url.clone(),
            mrtd_required: o.mrtd_required,
            collects: o.collects,
            completion_data: answer.completion_data,
            answers_as,
        }
    }
}

fn seconds(ms: u64) -> f64 {
    // Exact for any realistic simulator uptime (below 2^53 ms).
    #[allow(clippy::cast_precision_loss)]
    let s = ms as f64 / 1000.0;
    s
}

/// An admin action on one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Open,
    ConfirmCall,
    DeclineCall,
    Approve(Option<TestUser>),
    Cancel,
    Fail(HintCode),
    Hint(HintCode),
    ScanCurrent,
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, RpError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| RpError::invalid(format!("Invalid JSON in request body: {e}")))?;
    if !value.is_object() {
        return Err(RpError::invalid(
            "Invalid request body: must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if field == "." {
            RpError::invalid(format!("Invalid parameters: {inner}"))
        } else {
            RpError::invalid(format!("Invalid {field}: {inner}"))
        }
    })
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Sim {
    pub fn new(settings: Settings) -> Sim {
        let inner = Inner {
            settings: settings.clone(),
            ..Inner::default()
        };
        Sim {
            clock: Clock::new(),
            tls_connections: std::sync::atomic::AtomicU64::new(0),
            initial_settings: settings,
            inner: Mutex::new(inner),
        }
    }

    /// Locks the state after applying every deadline that has passed and forgetting expired orders.
    fn lock(&self) -> (MutexGuard<'_, Inner>, u64) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now_ms();
        let settings = inner.settings.clone();
        inner.orders.retain(|_, o| {
            o.refresh(now, &settings);
            !o.is_forgotten(now, &settings)
        });
        (inner, now)
    }

    // ---- RP API -------------------------------------------------------------------------------------------

    /// Counts the request and returns the fault it must suffer, if any. Refuses RPs whose agreement is off.
    pub fn admit(&self, endpoint: Endpoint, rp: &str) -> Result<Option<Hit>, RpError> {
        let (mut inner, _) = self.lock();
        *inner.requests.entry(endpoint.path()).or_default() += 1;
        if inner.disabled_rps.contains(rp) {
            return Err(RpError::new(
                ErrorCode::Unauthorized,
                "RP does not have access to the service (agreement switched off)",
            ));
        }
        Ok(inner.faults.take(endpoint))
    }

    /// `auth`, `sign`, `phone/auth`, `phone/sign`.
    pub fn start(&self, endpoint: Endpoint, rp: &str, body: &[u8]) -> Result<Value, RpError> {
        let (kind, sign) = match endpoint {
            Endpoint::Auth => (Kind::Auth, false),
            Endpoint::Sign => (Kind::Sign, true),
            Endpoint::PhoneAuth => (Kind::PhoneAuth, false),
            Endpoint::PhoneSign => (Kind::PhoneSign, true),
            Endpoint::Collect | Endpoint::Cancel => {
                return Err(RpError::invalid("not an order endpoint"));
            }
        };
        let order_ref = new_uuid();
        let mut order;
        if kind.is_phone() {
            let req: PhoneOrderRequest = parse_body(body)?;
            let pnr =
                bankid::validate_phone_order(&req, sign).map_err(|e| RpError::invalid(e.0))?;
            order = Order::new(order_ref.clone(), kind, rp.to_owned(), 0, None);
            order.bound_to = Some(pnr.as_str().to_owned());
            order.call_initiator = Some(req.call_initiator);
            order.visible_text = decode_text(req.user_visible_data.as_deref());
        } else {
            let req: OrderRequest = parse_body(body)?;
            bankid::validate_order(&req, sign).map_err(|e| RpError::invalid(e.0))?;
            let tokens = Tokens {
                auto_start_token: new_uuid(),
                qr_start_token: new_uuid(),
                qr_start_secret: new_uuid(),
            };
            order = Order::new(order_ref.clone(), kind, rp.to_owned(), 0, Some(tokens));
            let requirement = req.requirement.unwrap_or_default();
            order.bound_to = requirement.personal_number;
            order.mrtd_required = requirement.mrtd == Some(true);
            order.return_risk = req.return_risk == Some(true);
            order.end_user_ip = Some(req.end_user_ip);
            order.return_url = req.return_url;
            order.visible_text = decode_text(req.user_visible_data.as_deref());
        }

        let (mut inner, now) = self.lock();
        if let Some(person) = order.bound_to.clone() {
            let clashes: Vec<String> = inner
                .orders
                .values()
                .filter(|o| o.is_pending() && o.person() == Some(person.as_str()))
                .map(|o| o.order_ref.clone())
                .collect();
            if !clashes.is_empty() {
                for r in clashes {
                    if let Some(o) = inner.orders.get_mut(&r) {
                        o.fail(HintCode::Cancelled, now);
                    }
                }
                return Err(RpError::new(
                    ErrorCode::AlreadyInProgress,
                    "Order already in progress for personalNumber",
                ));
            }
        }
        order.created_ms = now;
        inner.last_seq += 1;
        order.seq = inner.last_seq;
        let answer = match &order.tokens {
            Some(t) => serde_json::to_value(OrderResponse {
                order_ref: order_ref.clone(),
                auto_start_token: t.auto_start_token.clone(),
                qr_start_token: t.qr_start_token.clone(),
                qr_start_secret: t.qr_start_secret.clone(),
            }),
            None => serde_json::to_value(PhoneOrderResponse {
                order_ref: order_ref.clone(),
            }),
        }
        .map_err(|e| RpError::new(ErrorCode::InternalError, e.to_string()))?;
        inner.orders.insert(order_ref, order);
        Ok(answer)
    }

    pub fn collect(&self, rp: &str, body: &[u8]) -> Result<Value, RpError> {
        let req: OrderRefRequest = parse_body(body)?;
        let (mut inner, now) = self.lock();
        let inner = &mut *inner;
        let auto = inner.settings.auto_progress;
        let current_user = inner.user.clone();
        let order = inner
            .orders
            .get_mut(&req.order_ref)
            .filter(|o| o.rp == rp)
            .ok_or_else(RpError::no_such_order)?;
        // Auto mode picks orders up without ending the person's older ones, as a real pick-up would
        // (BANKID.md §3, `pick_up`): it stands in for many people at once, and the bench's 1,000 concurrent
        // orders all complete as the one current user.
        if auto && order.is_pending() {
            match order.auto_progress_step() {
                Some(hint) => {
                    let person = picker(order, &current_user);
                    order.auto_set(hint, || person);
                }
                None => {
                    let person = picker(order, &current_user);
                    if order.picked_by.is_none() {
                        order.picked_by = Some(person.clone());
                    }
                    order.state = super::order::State::Complete {
                        data: Box::new(completion_data(order, &person)),
                        at_ms: now,
                    };
                }
            }
        }
        let answer = order
            .collect(&inner.settings)
            .ok_or_else(RpError::no_such_order)?;
        serde_json::to_value(answer)
            .map_err(|e| RpError::new(ErrorCode::InternalError, e.to_string()))
    }

    pub fn cancel(&self, rp: &str, body: &[u8]) -> Result<Value, RpError> {
        let req: OrderRefRequest = parse_body(body)?;
        let (mut inner, now) = self.lock();
        let order = inner
            .orders
            .get_mut(&req.order_ref)
            .filter(|o| o.rp == rp)
            .ok_or_else(RpError::no_such_order)?;
        if !order.is_pending() {
            return Err(RpError::invalid("Order already ended"));
        }
        order.fail(HintCode::Cancelled, now);
        Ok(serde_json::json!({}))
    }

    // ---- admin API ----------------------------------------------------------------------------------------

    pub fn orders(&self) -> Vec<OrderView> {
        let (inner, _) = self.lock();
        let mut list: Vec<&Order> = inner.orders.values().collect();
        list.sort_by(|a, b| {
            b.created_ms
                .cmp(&a.created_ms)
                .then_with(|| a.order_ref.cmp(&b.order_ref))
        });
        list.into_iter()
            .map(|o| OrderView::of(o, &inner.user))
            .collect()
    }

    pub fn order(&self, order_ref: &str) -> Result<OrderView, AdminError> {
        let (inner, _) = self.lock();
        inner
            .orders
            .get(order_ref)
            .map(|o| OrderView::of(o, &inner.user))
            .ok_or_else(AdminError::unknown_order)
    }

    pub fn act(&self, order_ref: &str, action: Action) -> Result<OrderView, AdminError> {
        let (mut inner, now) = self.lock();
        let inner = &mut *inner;
        let current = inner.user.clone();
        let order = inner
            .orders
            .get(order_ref)
            .ok_or_else(AdminError::unknown_order)?;
        match action {
            Action::Open => pick_up(inner, order_ref, &current, false, now)?,
            Action::ScanCurrent => {
                let Some(tokens) = order.tokens.clone() else {
                    return Err(AdminError::conflict(
                        "invalid_transition",
                        "a phone order has no QR code",
                    ));
                };
                let t = now.saturating_sub(order.created_ms) / 1000;
                let data = qr::payload(&tokens.qr_start_token, &tokens.qr_start_secret, t);
                return scan_locked(inner, now, &data);
            }
            other => {
                let order = inner
                    .orders
                    .get_mut(order_ref)
                    .ok_or_else(AdminError::unknown_order)?;
                let result = match other {
                    Action::ConfirmCall => order.confirm_call(),
                    Action::DeclineCall => order.decline_call(now),
                    Action::Cancel => order.user_cancel(now),
                    Action::Approve(user) => {
                        let person = user.unwrap_or_else(|| picker(order, &current));
                        order.approve(now, |o| completion_data(o, &person))
                    }
                    Action::Fail(hint) if hint.is_pending() => {
                        return Err(AdminError::bad_request(format!(
                            "{hint} is a pending hint code; use hint"
                        )));
                    }
                    Action::Fail(hint) => order.end(hint, now),
                    Action::Hint(hint)
                        if !hint.is_pending() && !matches!(hint, HintCode::Unknown(_)) =>
                    {
                        return Err(AdminError::bad_request(format!(
                            "{hint} ends an order; use fail"
                        )));
                    }
                    Action::Hint(hint) => {
                        let opens =
                            !matches!(hint, HintCode::OutstandingTransaction | HintCode::NoClient);
                        if opens && order.picked_by.is_none() {
                            order.picked_by = Some(picker(order, &current));
                        }
                        order.force_hint(hint)
                    }
                    Action::Open | Action::ScanCurrent => Ok(()),
                };
                result.map_err(refusal)?;
            }
        }
        inner
            .orders
            .get(order_ref)
            .map(|o| OrderView::of(o, &inner.user))
            .ok_or_else(AdminError::unknown_order)
    }

    /// The app was started with an autostart token.
    pub fn open_by_token(&self, token: &str) -> Result<OrderView, AdminError> {
        let (mut inner, now) = self.lock();
        let inner = &mut *inner;
        let order_ref = inner
            .orders
            .values()
            .find(|o| {
                o.tokens
                    .as_ref()
                    .is_some_and(|t| t.auto_start_token == token)
            })
            .map(|o| o.order_ref.clone())
            .ok_or_else(AdminError::unknown_order)?;
        let current = inner.user.clone();
        pick_up(inner, &order_ref, &current, false, now)?;
        inner
            .orders
            .get(&order_ref)
            .map(|o| OrderView::of(o, &inner.user))
            .ok_or_else(AdminError::unknown_order)
    }

    /// The app scanned a QR code.
    pub fn scan(&self, data: &str) -> Result<OrderView, AdminError> {
        let (mut inner, now) = self.lock();
        scan_locked(&mut inner, now, data)
    }

    pub fn user(&self) -> TestUser {
        self.lock().0.user.clone()
    }

    pub fn set_user(&self, user: TestUser) -> Result<TestUser, AdminError> {
        user.validate().map_err(AdminError::bad_request)?;
        self.lock().0.user = user.clone();
        Ok(user)
    }

    pub fn faults(&self) -> Vec<Fault> {
        self.lock().0.faults.list().to_vec()
    }

    pub fn add_fault(&self, fault: Fault) -> Result<Vec<Fault>, AdminError> {
        fault.validate().map_err(AdminError::bad_request)?;
        let (mut inner, _) = self.lock();
        inner.faults.add(fault);
        Ok(inner.faults.list().to_vec())
    }

    pub fn clear_faults(&self) {
        self.lock().0.faults.clear();
    }

    pub fn settings(&self) -> Settings {
        self.lock().0.settings.clone()
    }

    pub fn update_settings(&self, patch: Value) -> Result<Settings, AdminError> {
        let (mut inner, _) = self.lock();
        inner.settings = inner
            .settings
            .merged(patch)
            .map_err(AdminError::bad_request)?;
        Ok(inner.settings.clone())
    }

    pub fn set_agreement(&self, cn: &str, active: bool) {
        let (mut inner, _) = self.lock();
        if active {
            inner.disabled_rps.remove(cn);
        } else {
            inner.disabled_rps.insert(cn.to_owned());
        }
    }

    pub fn stats(&self) -> Value {
        let (inner, _) = self.lock();
        let collects: BTreeMap<&str, u64> = inner
            .orders
            .values()
            .map(|o| (o.order_ref.as_str(), o.collects))
            .collect();
        let tls_connections = self
            .tls_connections
            .load(std::sync::atomic::Ordering::Relaxed);
        serde_json::json!({"requests": inner.requests, "collects": collects, "tlsConnections": tls_connections})
    }

    pub fn reset(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner = Inner {
            settings: self.initial_settings.clone(),
            ..Inner::default()
        };
        self.clock.reset();
    }
}

/// The person who would pick up `order` now: the person it is bound to, or whoever holds the phone.
fn picker(order: &Order, current: &TestUser) -> TestUser {
    match (&order.picked_by, &order.bound_to) {
        (Some(u), _) => u.clone(),
        (None, Some(pnr)) => users::lookup(pnr, current),
        (None, None) => current.clone(),
    }
}

/// The current user's app takes the order. Another pending order of the same person is cancelled, as BankID
/// does when a newer order is picked up.
fn pick_up(
    inner: &mut Inner,
    order_ref: &str,
    current: &TestUser,
    scanned: bool,
    now: u64,
) -> Result<(), AdminError> {
    let now_order = inner
        .orders
        .get(order_ref)
        .ok_or_else(AdminError::unknown_order)?;
    let person = if now_order.kind.is_phone() {
        picker(now_order, current)
    } else {
        if let Some(bound) = &now_order.bound_to
            && bound != &current.personal_number
        {
            return Err(AdminError::conflict(
                "wrong_person",
                format!(
                    "this order is for personal number {bound}; the phone's user is {}",
                    current.personal_number
                ),
            ));
        }
        current.clone()
    };
    let order = inner
        .orders
        .get_mut(order_ref)
        .ok_or_else(AdminError::unknown_order)?;
    order.pick_up(person.clone(), scanned).map_err(refusal)?;
    let picked_seq = order.seq;
    // BANKID.md §3: the person's *older* order ends; one started after this one is left alone.
    let others: Vec<String> = inner
        .orders
        .values()
        .filter(|o| {
            o.order_ref != order_ref
                && o.seq < picked_seq
                && o.is_pending()
                && o.person() == Some(person.personal_number.as_str())
        })
        .map(|o| o.order_ref.clone())
        .collect();
    for r in others {
        if let Some(o) = inner.orders.get_mut(&r) {
            o.fail(HintCode::Cancelled, now);
        }
    }
    Ok(())
}

/// The app scanned `data`: accepted only for a frame that verifies and is current (BANKID.md §6).
fn scan_locked(inner: &mut Inner, now: u64, data: &str) -> Result<OrderView, AdminError> {
    let payload = qr::parse_payload(data)
        .map_err(|e| AdminError::qr("qr_invalid", format!("not a BankID QR code: {e}")))?;
    let order = inner
        .orders
        .values()
        .find(|o| {
            o.tokens
                .as_ref()
                .is_some_and(|t| t.qr_start_token == payload.qr_start_token)
        })
        .ok_or_else(|| AdminError::qr("qr_unknown_order", "no order has this qrStartToken"))?;
    let Some(tokens) = &order.tokens else {
        return Err(AdminError::qr(
            "qr_unknown_order",
            "no order has this qrStartToken",
        ));
    };
    if !qr::verify(&payload, &tokens.qr_start_secret) {
        return Err(AdminError::qr(
            "qr_invalid",
            "the qrAuthCode does not match",
        ));
    }
    let current_second = now.saturating_sub(order.created_ms) / 1000;
    if payload.qr_time > current_second {
        return Err(AdminError::qr(
            "qr_invalid",
            "the QR frame is from the future",
        ));
    }
    if current_second - payload.qr_time > inner.settings.qr_tolerance_seconds {
        return Err(AdminError::qr(
            "qr_expired",
            format!("the QR frame is {} s old", current_second - payload.qr_time),
        ));
    }
    let order_ref = order.order_ref.clone();
    let current = inner.user.clone();
    pick_up(inner, &order_ref, &current, true, now)?;
    inner
        .orders
        .get(&order_ref)
        .map(|o| OrderView::of(o, &inner.user))
        .ok_or_else(AdminError::unknown_order)
}

fn refusal(r: Refusal) -> AdminError {
    match r {
        Refusal::InvalidTransition(m) => AdminError::conflict("invalid_transition", m),
    }
}

fn decode_text(b64: Option<&str>) -> Option<String> {
    b64.and_then(bankid::decode_base64)
        .and_then(|b| String::from_utf8(b).ok())
}
