//! `OrderObject`: one Durable Object per order, named by the edge's order id.
//!
//! It owns the order's BankID secrets (orderRef, QR token and secret), runs the collect loop from its
//! alarm and pushes every change to the order's viewers over SSE. Whatever the number of viewers, BankID
//! sees one collect per 2 s, because only the alarm collects. The whole state is one storage record, so
//! after eviction or a runtime restart the next (overdue) alarm carries on from storage; only the open
//! streams are lost, and viewers reconnect.
//!
//! Concurrency: the object handles one event at a time except while awaiting BankID, when a `cancel` or
//! a viewer can come in. After every BankID call the record is read again, so a concurrent cancel wins.

use std::cell::{Cell, RefCell};

use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_channel::oneshot;
use futures_util::StreamExt;
use legit_core::api::{FailReason, OrderEvent, OrderKind, OrderStatus};
use legit_core::audit::{AuditEntry, Channel};
use legit_core::ivr::IvrCall;
use legit_core::retry::{self, AfterFailure, CollectLoop};
use legit_core::session::SessionKey;
use legit_core::tenant::Disclosure;
use legit_core::token::ResultClaims;
use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Headers, Method, Request, RequestInit, Response, State, console_error,
    console_log, console_warn, durable_object,
};

// `#[durable_object]` expands to `#[wasm_bindgen]` code that names the crate unqualified.
#[allow(unused_imports)]
use worker::wasm_bindgen;

use crate::access::OrderAccess;
use crate::audit;
use crate::bankid::{BankId, QrSecrets};
use crate::config::{self, Config};
use crate::error::ApiError;
use crate::sse;

/// Storage key of the order's record. One key written whole, so a reader never sees half an update.
const RECORD: &str = "order";
/// A Worker-to-object request needs an absolute URL; the object only looks at the path.
const INTERNAL_ORIGIN: &str = "https://order.internal";
/// Worker-to-object header: the tenant whose agent or backend asks; the object answers only for its own.
const TENANT_HEADER: &str = "X-Legit-Tenant";

/// What the Worker hands the object once BankID accepted the order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartOrder {
    pub order_id: String,
    pub kind: OrderKind,
    pub order_ref: String,
    /// auth/sign only.
    pub qr: Option<QrSecrets>,
    /// The 12-digit number the order was started for; the completion must match it.
    pub personal_number: Option<String>,
    /// Unix ms when BankID's start answer arrived (qrTime 0).
    pub started_ms: u64,
    /// `iss` of the result token: where the order was started ([`Config::issuer`]).
    #[serde(default)]
    pub issuer: String,
    /// The tenant it was started for: the result token's `aud`.
    pub tenant: String,
    /// The tenant's policy when the order started, applied before anything about the user is stored.
    pub disclosure: Disclosure,
    /// How long the result is kept after the order ends.
    pub retention_ms: u64,
    /// The door it came in by, for the audit log; `None` in orders stored before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// The verification link (its reference, compact) that started this order: told when the order ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The IVR call that started this order: kept (with the number masked) for the long-poll's answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<IvrCall>,
}

/// Answer of the object's `/wait`: the order's state and, for an IVR order, its call.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Waited {
    pub event: OrderEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<IvrCall>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    order: StartOrder,
    schedule: CollectLoop,
    event: OrderEvent,
    /// Set when the order reached a final state; storage is erased `order.retention_ms` later.
    ended_ms: Option<u64>,
}

// ---------------------------------------------------------------- the Worker's side

/// Creates the object for a started order.
pub async fn start(env: &Env, order: &StartOrder) -> Result<(), ApiError> {
    let body = serde_json::to_string(order)?;
    call(
        env,
        &order.order_id,
        Method::Post,
        "/start",
        Some(body),
        None,
    )
    .await?;
    Ok(())
}

/// The order's SSE stream, as the object produces it.
pub async fn events(env: &Env, order_id: &str, access: &OrderAccess) -> Result<Response, ApiError> {
    call(env, order_id, Method::Get, "/events", None, Some(access)).await
}

/// The order's current event, for a caller that reads once (a link look-up): the user in it is already
/// what the tenant's disclosure allows.
pub async fn current(env: &Env, order_id: &str, tenant: &str) -> Result<OrderEvent, ApiError> {
    let access = OrderAccess::Tenant(tenant.to_owned());
    let mut resp = call(env, order_id, Method::Get, "/state", None, Some(&access)).await?;
    Ok(resp.json().await?)
}

/// Records an order BankID refused with `alreadyInProgress` as ended at once
/// ([`legit_core::ivr::already_in_progress_event`]), so its call keeps a stable answer. `order.order_ref`
/// is empty: BankID created nothing.
pub async fn refuse(env: &Env, order: &StartOrder) -> Result<(), ApiError> {
    let body = serde_json::to_string(order)?;
    call(
        env,
        &order.order_id,
        Method::Post,
        "/refused",
        Some(body),
        None,
    )
    .await?;
    Ok(())
}

/// The order's state once it changes or ends, or after `wait_ms` if it does not; at once when it already
/// ended or `wait_ms` is 0. Waiting adds no collect: the alarm's collects wake the waiters.
pub async fn wait(
    env: &Env,
    order_id: &str,
    tenant: &str,
    wait_ms: u64,
) -> Result<Waited, ApiError> {
    let access = OrderAccess::Tenant(tenant.to_owned());
    let path = format!("/wait?ms={wait_ms}");
    let mut resp = call(env, order_id, Method::Get, &path, None, Some(&access)).await?;
    Ok(resp.json().await?)
}

/// Cancels the order; answers the final event as JSON.
pub async fn cancel(env: &Env, order_id: &str, access: &OrderAccess) -> Result<Response, ApiError> {
    call(env, order_id, Method::Post, "/cancel", None, Some(access)).await
}

/// Cancels the order because the link it runs for was withdrawn: the same at BankID, but its viewers read
/// `link_withdrawn`, not `cancelled`.
pub async fn withdraw(
    env: &Env,
    order_id: &str,
    access: &OrderAccess,
) -> Result<Response, ApiError> {
    call(env, order_id, Method::Post, "/withdraw", None, Some(access)).await
}

async fn call(
    env: &Env,
    order_id: &str,
    method: Method,
    path: &str,
    body: Option<String>,
    access: Option<&OrderAccess>,
) -> Result<Response, ApiError> {
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(OrderAccess::Tenant(tenant)) = access {
        let headers = Headers::new();
        headers.set(TENANT_HEADER, tenant)?;
        init.with_headers(headers);
    }
    if let Some(body) = body {
        init.with_body(Some(body.into()));
    }
    let req = Request::new_with_init(&format!("{INTERNAL_ORIGIN}{path}"), &init)?;
    let stub = env.durable_object(config::ORDER)?.get_by_name(order_id)?;
    let resp = stub.fetch_with_request(req).await?;
    match resp.status_code() {
        200..=299 => Ok(resp),
        404 => Err(ApiError::UnknownOrder),
        status => Err(ApiError::Runtime(format!(
            "order object answered {status} to {path}"
        ))),
    }
}

// ---------------------------------------------------------------- the object

#[durable_object]
pub struct OrderObject {
    state: State,
    env: Env,
    /// Open SSE streams. Dropping a sender ends its stream.
    viewers: RefCell<Vec<UnboundedSender<Vec<u8>>>>,
    /// Long-polls waiting for the next change (`/wait`). Sending (or dropping) wakes one.
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
    /// Wake-ups that failed in a row, for the back-off; lost with the object, which only restarts it.
    failed_wakes: Cell<u32>,
}

impl DurableObject for OrderObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            viewers: RefCell::new(Vec::new()),
            waiters: RefCell::new(Vec::new()),
            failed_wakes: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = match (req.method(), req.path().as_str()) {
            (Method::Post, "/start") => match req.text().await {
                Ok(body) => self.on_start(&body).await,
                Err(e) => Err(e.into()),
            },
            (Method::Get, "/events") => self.on_events(asking_tenant(&req)).await,
            (Method::Get, "/state") => match self.load_for(asking_tenant(&req)).await {
                Ok(record) => {
                    Response::from_json(&self.served(&record, now_ms())).map_err(ApiError::from)
                }
                Err(e) => Err(e),
            },
            (Method::Post, "/cancel") => {
                self.on_cancel(asking_tenant(&req), FailReason::Cancelled)
                    .await
            }
            (Method::Post, "/withdraw") => {
                self.on_cancel(asking_tenant(&req), FailReason::LinkWithdrawn)
                    .await
            }
            (Method::Post, "/refused") => match req.text().await {
                Ok(body) => self.on_refused(&body).await,
                Err(e) => Err(e.into()),
            },
            (Method::Get, "/wait") => {
                let ms = req
                    .url()
                    .ok()
                    .and_then(|u| {
                        u.query_pairs()
                            .find(|(k, _)| k == "ms")
                            .and_then(|(_, v)| v.parse::<u64>().ok())
                    })
                    .unwrap_or(0);
                self.on_wait(asking_tenant(&req), ms).await
            }
            _ => Err(ApiError::NotFound),
        };
        result.or_else(ApiError::into_response)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        match self.tick().await {
            Ok(()) => {
                self.failed_wakes.set(0);
                Response::empty()
            }
            Err(e) => {
                // The runtime retries a failed alarm six times, then drops it: a pending order would never
                // end and an ended one never be erased. So the object sets its own next try, backing off.
                let failures = self.failed_wakes.get().saturating_add(1);
                self.failed_wakes.set(failures);
                let wait = retry::wake_retry_ms(failures);
                console_error!(
                    "order object: wake-up {failures} in a row failed ({e}); again in {wait} ms"
                );
                match self.arm(now_ms() + wait, now_ms()).await {
                    Ok(()) => Response::empty(),
                    // Not even the alarm can be set: leave it to the runtime's retries.
                    Err(_) => Err(worker::Error::RustError(e.to_string())),
                }
            }
        }
    }
}

impl OrderObject {
    async fn on_start(&self, body: &str) -> Result<Response, ApiError> {
        let order: StartOrder = serde_json::from_str(body)?;
        if self.load().await?.is_some() {
            return Err(ApiError::Runtime("order object started twice".into()));
        }
        let now = now_ms();
        let record = Record {
            schedule: CollectLoop::new(order.started_ms),
            event: OrderEvent::started(&order.order_id, order.kind),
            order,
            ended_ms: None,
        };
        self.save(&record).await?;
        let wake = record.schedule.next_wake_ms(now, record.event.shows_qr());
        if let Err(e) = self.arm(wake, now).await {
            // A record without an alarm would keep the orderRef and QR secret forever; the caller cancels
            // the order at BankID on this error.
            let _ = self.state.storage().delete_all().await;
            return Err(e);
        }
        Ok(Response::empty()?.with_status(201))
    }

    async fn on_refused(&self, body: &str) -> Result<Response, ApiError> {
        let order: StartOrder = serde_json::from_str(body)?;
        if self.load().await?.is_some() {
            return Err(ApiError::Runtime("order object started twice".into()));
        }
        let now = now_ms();
        let record = Record {
            schedule: CollectLoop::new(now),
            event: legit_core::ivr::already_in_progress_event(&order.order_id, order.kind),
            order,
            ended_ms: None,
        };
        self.finish(record, now).await?;
        Ok(Response::empty()?.with_status(201))
    }

    async fn on_wait(&self, tenant: Option<String>, wait_ms: u64) -> Result<Response, ApiError> {
        let record = self.load_for(tenant.clone()).await?;
        if record.ended_ms.is_none() && wait_ms > 0 {
            let (tx, rx) = oneshot::channel();
            {
                let mut waiters = self.waiters.borrow_mut();
                // Polls that timed out are gone; their senders need not wait for the next change.
                waiters.retain(|w| !w.is_canceled());
                waiters.push(tx);
            }
            let now = now_ms();
            // As for a viewer: a pending order must have an alarm, or the waiter would only ever time out.
            if self.state.storage().get_alarm().await?.is_none() {
                self.arm(now, now).await?;
            }
            let timeout = worker::Delay::from(std::time::Duration::from_millis(wait_ms));
            futures_util::future::select(rx, timeout).await;
        }
        let record = self.load_for(tenant).await?;
        Ok(Response::from_json(&Waited {
            event: record.event,
            call: record.order.call,
        })?)
    }

    /// Answers every long-poll waiting for a change.
    fn wake_waiters(&self) {
        for tx in self.waiters.borrow_mut().drain(..) {
            let _ = tx.send(());
        }
    }

    /// The stored order, if the asker may see it: another tenant's agent learns nothing, not even that the
    /// order exists.
    async fn load_for(&self, tenant: Option<String>) -> Result<Record, ApiError> {
        match self.load().await? {
            Some(record) if tenant.is_none_or(|t| t == record.order.tenant) => Ok(record),
            _ => Err(ApiError::UnknownOrder),
        }
    }

    async fn on_events(&self, tenant: Option<String>) -> Result<Response, ApiError> {
        let record = self.load_for(tenant).await?;
        let (tx, rx) = unbounded::<Vec<u8>>();
        // The stored state first, so a viewer that connects late (or reconnects) is at once up to date.
        let now = now_ms();
        let _ = tx.unbounded_send(sse::state_frame(&self.served(&record, now)));
        if record.ended_ms.is_none() {
            if let Some(frame) = qr_frame(&record, now) {
                let _ = tx.unbounded_send(frame);
            }
            self.viewers.borrow_mut().push(tx);
            // Belt and braces: a pending order must have an alarm, or its viewers would wait forever.
            if self.state.storage().get_alarm().await?.is_none() {
                self.arm(now, now).await?;
            }
        }
        let headers = Headers::new();
        headers.set("Content-Type", "text/event-stream")?;
        // It may carry who identified: kept by nothing on the way, not even for revalidation.
        headers.set("Cache-Control", "no-store")?;
        Ok(Response::from_stream(rx.map(Ok::<Vec<u8>, worker::Error>))?.with_headers(headers))
    }

    /// Ends the order at BankID and here, for `reason` (a cancel, or its link's withdrawal).
    async fn on_cancel(
        &self,
        tenant: Option<String>,
        reason: FailReason,
    ) -> Result<Response, ApiError> {
        let record = self.load_for(tenant).await?;
        if record.ended_ms.is_some() {
            return Ok(Response::from_json(&self.served(&record, now_ms()))?);
        }
        let config = Config::load(&self.env)?;
        match BankId::new(&self.env, &config)?
            .cancel(&record.order.order_ref)
            .await
        {
            // invalidParameters: the order already ended at BankID; ending it here is all that is left.
            Err(e) if !e.is_invalid_parameters() => {
                console_warn!(
                    "order {}: cancel at BankID failed: {e}",
                    self.log_name(&record.order.order_id)
                );
            }
            _ => {}
        }
        // The alarm may have finished the order while we waited; then its result stands.
        let Some(mut record) = self.load().await? else {
            return Err(ApiError::UnknownOrder);
        };
        if record.ended_ms.is_none() {
            let o = &record.order;
            record.event = OrderEvent::failed(&o.order_id, o.kind, reason, record.event.collects);
            record = self.finish(record, now_ms()).await?;
        }
        Ok(Response::from_json(&record.event)?)
    }

    /// One wake-up: a QR frame if one is showing, a collect if one is due, then the next alarm.
    async fn tick(&self) -> Result<(), ApiError> {
        let now = now_ms();
        let Some(mut record) = self.load().await? else {
            return Ok(());
        };
        if let Some(ended) = record.ended_ms {
            let erase_at = ended + record.order.retention_ms;
            if now >= erase_at {
                self.viewers.borrow_mut().clear();
                self.state.storage().delete_all().await?;
            } else {
                self.arm(erase_at, now).await?;
            }
            return Ok(());
        }
        if let Some(frame) = qr_frame(&record, now) {
            self.broadcast(&frame);
        }
        if record.schedule.collect_due(now) {
            record.schedule.mark_collected(now);
            let collects = record.event.collects + 1;
            let config = Config::load(&self.env)?;
            let bankid = BankId::new(&self.env, &config)?;
            let answer = bankid.collect(&record.order.order_ref).await;
            // A cancel may have ended the order while we waited for BankID; its result stands.
            match self.load().await? {
                Some(current) if current.ended_ms.is_none() => {}
                _ => return Ok(()),
            }
            let o = &record.order;
            let mut gave_up = false;
            let mut next = match answer {
                Ok(answer) => {
                    record.schedule.on_success();
                    OrderEvent::from_collect(
                        &o.order_id,
                        o.kind,
                        o.personal_number.as_deref(),
                        &answer,
                        collects,
                    )
                }
                Err(e) => {
                    console_warn!(
                        "order {}: collect failed: {e}",
                        self.log_name(&record.order.order_id)
                    );
                    match record.schedule.on_failure(e.collect_failure()) {
                        AfterFailure::Retry => OrderEvent {
                            collects,
                            ..record.event.clone()
                        },
                        AfterFailure::Fail(reason) => {
                            gave_up = true;
                            OrderEvent::failed(&o.order_id, o.kind, reason, collects)
                        }
                    }
                }
            };
            if gave_up {
                // BankID may still hold the order: without a cancel the person could finish it in the app
                // while every screen here says it failed. Best effort: BankID may be down.
                if let Err(e) = bankid.cancel(&record.order.order_ref).await {
                    console_warn!(
                        "order {}: cancel at BankID failed: {e}",
                        self.log_name(&record.order.order_id)
                    );
                }
                match self.load().await? {
                    Some(current) if current.ended_ms.is_none() => {}
                    _ => return Ok(()),
                }
            }
            if next.status == OrderStatus::Complete {
                // From here on only what the tenant may see exists: the event is stored and sent as is.
                let today = legit_core::api::swedish_date(i64::try_from(now).unwrap_or(i64::MAX));
                next.user = next.user.map(|u| o.disclosure.apply(&u, today));
                next.result_token = self.result_token(&record.order, &next, now);
            }
            let changed = !next.same_state(&record.event);
            record.event = next;
            if record.event.is_final() {
                self.finish(record, now).await?;
                return Ok(());
            }
            self.save(&record).await?;
            if changed {
                self.wake_waiters();
            }
            self.broadcast(&if changed {
                sse::state_frame(&record.event)
            } else {
                sse::keep_alive()
            });
        }
        let wake = record.schedule.next_wake_ms(now, record.event.shows_qr());
        self.arm(wake, now).await
    }

    /// Stores a final state, tells every viewer and ends their streams, and schedules erasure. The
    /// BankID secrets and the asked-for number are dropped now: nothing needs them any more.
    async fn finish(&self, mut record: Record, now: u64) -> Result<Record, ApiError> {
        record.ended_ms = Some(now);
        record.order.qr = None;
        record.order.personal_number = None;
        record.order.order_ref.clear();
        self.save(&record).await?;
        self.broadcast(&sse::state_frame(&record.event));
        self.viewers.borrow_mut().clear();
        self.wake_waiters();
        self.arm(now + record.order.retention_ms, now).await?;
        let name = self.log_name(&record.order.order_id);
        if let Some(reference) = &record.order.link {
            // Only the outcome: the person stays here. A lost notice leaves the link "opened", and the
            // agent still sees the result in the order itself.
            let ended = crate::objects::link::OrderEnded {
                order_id: record.order.order_id.clone(),
                complete: record.event.status == OrderStatus::Complete,
                rfa: record.event.rfa,
            };
            if let Err(e) = crate::objects::link::order_ended(&self.env, reference, &ended).await {
                console_warn!("order {name}: telling its link failed: {e}");
            }
        }
        let e = &record.event;
        console_log!(
            "order {} ({}) ended: {:?} hint={} error={} after {} collects",
            name,
            e.kind.as_str(),
            e.status,
            e.hint_code.as_deref().unwrap_or("-"),
            e.error_code.as_deref().unwrap_or("-"),
            e.collects
        );
        self.audit(&record, name, now);
        Ok(record)
    }

    /// How the console and the audit row name an order: the keyed hash of its id. Support can follow one
    /// order from a warning to its audit row, and neither lets anyone read order ids out of the logs.
    fn log_name(&self, order_id: &str) -> String {
        let key = config::session_key(&self.env).unwrap_or_else(|_| SessionKey::derive(b""));
        key.audit_hash(order_id)
    }

    /// The audit row of the ended order: its outcome and codes, the order id only as a keyed hash. Written
    /// after the answer goes out, not before: the row is for later, the viewers and the caller are waiting
    /// now. The object stays alive while the write is pending.
    fn audit(&self, record: &Record, hash: String, now: u64) {
        if let Some(entry) = AuditEntry::from_final_event(
            &record.event,
            &record.order.tenant,
            record.order.channel,
            hash,
            now,
        ) {
            let env = self.env.clone();
            worker::wasm_bindgen_futures::spawn_local(async move {
                audit::record(&env, &entry).await;
            });
        }
    }

    /// The stored state as a viewer gets it at `now`: a completed order's result token signed afresh, so
    /// whoever opens the order late (a link page resumed by its cookie, an agent's widget opened later, an
    /// IVR look-up) gets one that is still valid, for as long as the result is kept, while each token itself
    /// stays short-lived. Same claims and `jti`; only `iat` and `exp` move.
    fn served(&self, record: &Record, now: u64) -> OrderEvent {
        let mut event = record.event.clone();
        if event.result_token.is_some() {
            event.result_token = self.result_token(&record.order, &event, now);
        }
        event
    }

    /// The signed result of a completed order. With a key that is set but unusable (unset, no order would have
    /// started: order tokens are keyed from its text) the order still completes, without a token:
    /// healthz says `resultSigning: false` and the JWKS route answers `misconfigured`. The token itself is
    /// never logged.
    fn result_token(&self, order: &StartOrder, event: &OrderEvent, now: u64) -> Option<String> {
        let key = match config::result_signing_key(&self.env) {
            Ok(key) => key,
            Err(e) => {
                console_error!(
                    "order {}: completed without a result token: {e}",
                    self.log_name(&order.order_id)
                );
                return None;
            }
        };
        let claims = ResultClaims::for_completion(event, &order.issuer, &order.tenant, now / 1000)?;
        Some(key.sign(&claims))
    }

    fn broadcast(&self, frame: &[u8]) {
        // A failed send means the viewer went away; forget it.
        self.viewers
            .borrow_mut()
            .retain(|tx| tx.unbounded_send(frame.to_vec()).is_ok());
    }

    async fn load(&self) -> Result<Option<Record>, ApiError> {
        // Stored as a JSON string rather than a structured-clone object, so the format is serde's alone.
        match self.state.storage().get::<String>(RECORD).await? {
            Some(text) => Ok(Some(serde_json::from_str(&text)?)),
            None => Ok(None),
        }
    }

    async fn save(&self, record: &Record) -> Result<(), ApiError> {
        let text = serde_json::to_string(record)?;
        self.state.storage().put(RECORD, text).await?;
        Ok(())
    }

    async fn arm(&self, wake_ms: u64, now_ms: u64) -> Result<(), ApiError> {
        let offset = i64::try_from(wake_ms.saturating_sub(now_ms)).unwrap_or(i64::MAX);
        self.state.storage().set_alarm(offset).await?;
        Ok(())
    }
}

/// The QR frame for this second, while the order waits for a scan.
fn qr_frame(record: &Record, now: u64) -> Option<Vec<u8>> {
    let secrets = record
        .order
        .qr
        .as_ref()
        .filter(|_| record.event.shows_qr())?;
    let qr_time = record.schedule.qr_time(now);
    Some(sse::qr_frame(legit_core::qr::payload(
        &secrets.qr_start_token,
        &secrets.qr_start_secret,
        qr_time,
    )))
}

fn asking_tenant(req: &Request) -> Option<String> {
    req.headers().get(TENANT_HEADER).ok().flatten()
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}
