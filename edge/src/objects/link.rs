//! `LinkObject`: one Durable Object per verification link, named by its reference number (compact,
//! `K7QXM4TR`).
//!
//! **Naming.** The reference is what an agent looks up and what the order tells when it ends, so the link
//! lives under it: look-ups, the agent's live stream and the order's notice each take one hop. Creating a
//! link *claims* its reference: `/create` on an object that already holds a link answers 409, and the
//! Worker draws a new reference, so two links never share one (an object handles one request at a time,
//! so the claim is atomic). The customer's URL carries the token, not the reference; the token's hash
//! leads to the reference through a tiny index object of its own
//! ([`crate::objects::link_token::LinkTokenObject`], named by the hash). 128 random bits never collide,
//! so that index needs no claim.
//!
//! **What it keeps.** The tenant, the channel and the destination *masked* (the number or address itself
//! was needed only to send the message), the token's hash (never the token), `LinkState`, the language, and
//! the order id once opened. No personal data: when the order completes, the person is read from the order
//! object each time a view is built ([`crate::objects::order::current`]), already as the tenant's disclosure
//! allows.
//!
//! **Life.** An alarm at expiry tells the agent's stream that an unopened link expired; once the link is
//! final, the record is erased after the tenant's retention.

use std::cell::RefCell;

use futures_channel::mpsc::{UnboundedSender, unbounded};
use futures_util::StreamExt;
use legit_core::Rfa;
use legit_core::api::OrderStatus;
use legit_core::link::{LinkRefusal, LinkState, LinkStatus, LinkTokenHash, ReferenceNumber};
use legit_core::links_api::{Channel, LinkView};
use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Headers, Method, Request, RequestInit, Response, State, console_warn,
    durable_object,
};

// `#[durable_object]` expands to `#[wasm_bindgen]` code that names the crate unqualified.
#[allow(unused_imports)]
use worker::wasm_bindgen;

use crate::access::OrderAccess;
use crate::config;
use crate::error::ApiError;
use crate::objects::order;
use crate::sse;

const RECORD: &str = "link";
const INTERNAL_ORIGIN: &str = "https://link.internal";
/// Worker-to-object header: the tenant asking; the object answers only for its own.
const TENANT_HEADER: &str = "X-Legit-Tenant";

/// What the Worker hands the object when a link is created.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLink {
    pub tenant: String,
    pub reference: ReferenceNumber,
    pub channel: Channel,
    /// The destination as the agent's screen shows it (`+46 ••• •• 67`).
    pub to_masked: String,
    pub token_hash: LinkTokenHash,
    pub state: LinkState,
    /// The language of the message, and of the customer page unless the browser asks for another.
    pub lang: String,
    pub retention_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    link: NewLink,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rfa: Option<Rfa>,
    /// When the order behind it ended: retention counts from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ended_ms: Option<u64>,
}

/// What the customer page needs to know about a link: whose it is, where it stands, which order it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Peek {
    pub tenant: String,
    pub status: LinkStatus,
    pub lang: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Milliseconds the link can still be opened (0 once it cannot).
    pub opens_for_ms: u64,
    /// How the link was sent, for the audit row of its order.
    pub channel: legit_core::links_api::Channel,
}

/// Body of `/open`: the customer's token (as its hash) and the order started for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Open {
    token_hash: LinkTokenHash,
    order_id: String,
}

/// Body of `/switch`: the browser that opened the link starts over (this device ↔ QR).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Switch {
    token_hash: LinkTokenHash,
    from: String,
    to: String,
}

/// The order's notice that it ended. Only the outcome: no person, no number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEnded {
    pub order_id: String,
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfa: Option<Rfa>,
}

// ---------------------------------------------------------------- the Worker's side

/// Claims `link.reference` and stores the link. `Ok(false)`: the reference is taken, draw another.
pub async fn create(env: &Env, link: &NewLink) -> Result<bool, ApiError> {
    let body = serde_json::to_string(link)?;
    let resp = call(
        env,
        link.reference.compact(),
        Method::Post,
        "/create",
        Some(body),
        None,
    )
    .await;
    match resp {
        Ok(_) => Ok(true),
        Err(Taken) => Ok(false),
        Err(Failed(e)) => Err(e),
    }
}

/// Erases a link that was never sent (the provider refused the message).
pub async fn erase_unsent(env: &Env, reference: &ReferenceNumber) -> Result<(), ApiError> {
    call(
        env,
        reference.compact(),
        Method::Post,
        "/erase-unsent",
        None,
        None,
    )
    .await
    .map_err(CallError::into_api)?;
    Ok(())
}

/// The agent's view of the link (the person in it once complete).
pub async fn view(
    env: &Env,
    reference: &ReferenceNumber,
    tenant: &str,
) -> Result<Response, ApiError> {
    for_agent(env, reference, tenant, Method::Get, "/view").await
}

/// The agent withdraws the link ([`LinkState::withdraw`]); answers its view.
pub async fn cancel(
    env: &Env,
    reference: &ReferenceNumber,
    tenant: &str,
) -> Result<Response, ApiError> {
    for_agent(env, reference, tenant, Method::Post, "/cancel").await
}

/// The agent's live stream: a `link` event with the view at each change.
pub async fn events(
    env: &Env,
    reference: &ReferenceNumber,
    tenant: &str,
) -> Result<Response, ApiError> {
    for_agent(env, reference, tenant, Method::Get, "/events").await
}

/// A call on behalf of `tenant`'s agent: the object answers only for a link of that tenant.
async fn for_agent(
    env: &Env,
    reference: &ReferenceNumber,
    tenant: &str,
    method: Method,
    path: &str,
) -> Result<Response, ApiError> {
    call(env, reference.compact(), method, path, None, Some(tenant))
        .await
        .map_err(CallError::into_api)
}

/// Where the link behind `token_hash` stands, for the customer page.
pub async fn peek(
    env: &Env,
    reference: &str,
    token_hash: &LinkTokenHash,
) -> Result<Peek, ApiError> {
    let body = serde_json::to_string(token_hash)?;
    let mut resp = call(env, reference, Method::Post, "/peek", Some(body), None)
        .await
        .map_err(|e| match e {
            CallError::Failed(ApiError::UnknownReference) => {
                ApiError::LinkRefused(LinkRefusal::Unknown)
            }
            other => other.into_api(),
        })?;
    Ok(resp.json().await?)
}

/// Consumes the link for `order_id`. Refused (used, expired) when someone was first.
pub async fn open(
    env: &Env,
    reference: &str,
    token_hash: &LinkTokenHash,
    order_id: &str,
) -> Result<(), ApiError> {
    let body = serde_json::to_string(&Open {
        token_hash: *token_hash,
        order_id: order_id.to_owned(),
    })?;
    let mut resp = call(env, reference, Method::Post, "/open", Some(body), None)
        .await
        .map_err(|e| match e {
            CallError::Failed(ApiError::UnknownReference) => {
                ApiError::LinkRefused(LinkRefusal::Unknown)
            }
            other => other.into_api(),
        })?;
    match resp.json::<Result<(), String>>().await? {
        Ok(()) => Ok(()),
        Err(code) => Err(ApiError::LinkRefused(refusal_of(&code))),
    }
}

/// Moves an opened link from its running order `from` to the new `to`, for the browser that opened it (it
/// holds `from`'s order token). Refused once the link is final or runs another order.
pub async fn switch(
    env: &Env,
    reference: &str,
    token_hash: &LinkTokenHash,
    from: &str,
    to: &str,
) -> Result<(), ApiError> {
    let body = serde_json::to_string(&Switch {
        token_hash: *token_hash,
        from: from.to_owned(),
        to: to.to_owned(),
    })?;
    let mut resp = call(env, reference, Method::Post, "/switch", Some(body), None)
        .await
        .map_err(CallError::into_api)?;
    match resp.json::<Result<(), String>>().await? {
        Ok(()) => Ok(()),
        Err(code) => Err(ApiError::LinkRefused(refusal_of(&code))),
    }
}

/// The order behind a link ended (called by the order object).
pub async fn order_ended(env: &Env, reference: &str, ended: &OrderEnded) -> Result<(), ApiError> {
    let body = serde_json::to_string(ended)?;
    call(
        env,
        reference,
        Method::Post,
        "/order-ended",
        Some(body),
        None,
    )
    .await
    .map_err(CallError::into_api)?;
    Ok(())
}

/// The refusal the object answered, so a browser that lost a race (the link withdrawn, expired or used just
/// before it) is told which.
fn refusal_of(code: &str) -> LinkRefusal {
    LinkRefusal::from_code(code).unwrap_or(LinkRefusal::Unknown)
}

enum CallError {
    /// 409: the reference is already a link's.
    Taken,
    Failed(ApiError),
}
use CallError::{Failed, Taken};

impl CallError {
    fn into_api(self) -> ApiError {
        match self {
            Taken => ApiError::Runtime("link object: reference taken".into()),
            Failed(e) => e,
        }
    }
}

async fn call(
    env: &Env,
    reference: &str,
    method: Method,
    path: &str,
    body: Option<String>,
    tenant: Option<&str>,
) -> Result<Response, CallError> {
    let inner = async {
        let mut init = RequestInit::new();
        init.with_method(method);
        if let Some(tenant) = tenant {
            let headers = Headers::new();
            headers.set(TENANT_HEADER, tenant)?;
            init.with_headers(headers);
        }
        if let Some(body) = body {
            init.with_body(Some(body.into()));
        }
        let req = Request::new_with_init(&format!("{INTERNAL_ORIGIN}{path}"), &init)?;
        let stub = env.durable_object(config::LINK)?.get_by_name(reference)?;
        Ok::<Response, ApiError>(stub.fetch_with_request(req).await?)
    };
    let resp = inner.await.map_err(Failed)?;
    match resp.status_code() {
        200..=299 => Ok(resp),
        409 => Err(Taken),
        404 => Err(Failed(ApiError::UnknownReference)),
        status => Err(Failed(ApiError::Runtime(format!(
            "link object answered {status} to {path}"
        )))),
    }
}

// ---------------------------------------------------------------- the object

#[durable_object]
pub struct LinkObject {
    state: State,
    env: Env,
    /// The agent's open streams. Dropping a sender ends its stream.
    viewers: RefCell<Vec<UnboundedSender<Vec<u8>>>>,
}

impl DurableObject for LinkObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            viewers: RefCell::new(Vec::new()),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let tenant = req.headers().get(TENANT_HEADER).ok().flatten();
        let body = if req.method() == Method::Post {
            req.text().await.unwrap_or_default()
        } else {
            String::new()
        };
        let result = match (req.method(), req.path().as_str()) {
            (Method::Post, "/create") => self.on_create(&body).await,
            (Method::Post, "/erase-unsent") => self.on_erase_unsent().await,
            (Method::Get, "/view") => match self.load_for(tenant.as_deref()).await {
                Ok(record) => match self.view(&record, now_ms()).await {
                    Ok(view) => Response::from_json(&view).map_err(ApiError::from),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
            (Method::Get, "/events") => self.on_events(tenant.as_deref()).await,
            (Method::Post, "/cancel") => self.on_cancel(tenant.as_deref()).await,
            (Method::Post, "/peek") => self.on_peek(&body).await,
            (Method::Post, "/open") => self.on_open(&body).await,
            (Method::Post, "/switch") => self.on_switch(&body).await,
            (Method::Post, "/order-ended") => self.on_order_ended(&body).await,
            _ => Err(ApiError::NotFound),
        };
        result.or_else(ApiError::into_response)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        match self.tick().await {
            Ok(()) => Response::empty(),
            Err(e) => Err(worker::Error::RustError(e.to_string())),
        }
    }
}

impl LinkObject {
    async fn on_create(&self, body: &str) -> Result<Response, ApiError> {
        let link: NewLink = serde_json::from_str(body)?;
        if self.load().await?.is_some() {
            return Ok(Response::empty()?.with_status(409));
        }
        let record = Record {
            link,
            order_id: None,
            rfa: None,
            ended_ms: None,
        };
        self.save(&record).await?;
        self.arm(&record, now_ms()).await?;
        Ok(Response::empty()?.with_status(201))
    }

    async fn on_erase_unsent(&self) -> Result<Response, ApiError> {
        if let Some(record) = self.load().await?
            && record.order_id.is_none()
        {
            self.viewers.borrow_mut().clear();
            self.state.storage().delete_all().await?;
        }
        Ok(Response::empty()?)
    }

    /// The stored link, if the asker may see it: another tenant learns nothing, not even that it exists.
    async fn load_for(&self, tenant: Option<&str>) -> Result<Record, ApiError> {
        match self.load().await? {
            Some(record) if tenant == Some(record.link.tenant.as_str()) => Ok(record),
            _ => Err(ApiError::UnknownReference),
        }
    }

    /// The record whose token hash is `hash`; anything else is unknown.
    async fn load_by_token(&self, hash: &LinkTokenHash) -> Result<Record, ApiError> {
        match self.load().await? {
            Some(record)
                if legit_core::link::constant_time_eq(
                    record.link.token_hash.to_hex().as_bytes(),
                    hash.to_hex().as_bytes(),
                ) =>
            {
                Ok(record)
            }
            _ => Err(ApiError::UnknownReference),
        }
    }

    async fn on_peek(&self, body: &str) -> Result<Response, ApiError> {
        let hash: LinkTokenHash = serde_json::from_str(body)?;
        let record = self.load_by_token(&hash).await?;
        let now = now_ms();
        let status = record.link.state.status(now);
        let peek = Peek {
            tenant: record.link.tenant.clone(),
            status,
            lang: record.link.lang.clone(),
            channel: record.link.channel,
            order_id: record.order_id.clone(),
            opens_for_ms: if status == LinkStatus::Pending {
                record.link.state.expires_ms.saturating_sub(now)
            } else {
                0
            },
        };
        Ok(Response::from_json(&peek)?)
    }

    async fn on_open(&self, body: &str) -> Result<Response, ApiError> {
        let open: Open = serde_json::from_str(body)?;
        let mut record = self.load_by_token(&open.token_hash).await?;
        let now = now_ms();
        let answer: Result<(), String> = match record.link.state.open(now) {
            Ok(()) => {
                record.order_id = Some(open.order_id);
                self.save(&record).await?;
                self.broadcast_view(&record, now).await;
                Ok(())
            }
            Err(refusal) => Err(refusal.code().to_owned()),
        };
        Ok(Response::from_json(&answer)?)
    }

    async fn on_switch(&self, body: &str) -> Result<Response, ApiError> {
        let switch: Switch = serde_json::from_str(body)?;
        let mut record = self.load_by_token(&switch.token_hash).await?;
        let now = now_ms();
        let answer: Result<(), String> = match record.link.state.may_switch(now) {
            Ok(()) if record.order_id.as_deref() == Some(switch.from.as_str()) => {
                record.order_id = Some(switch.to);
                self.save(&record).await?;
                self.broadcast_view(&record, now).await;
                Ok(())
            }
            // Another browser's order runs the link.
            Ok(()) => Err(LinkRefusal::Used.code().to_owned()),
            Err(refusal) => Err(refusal.code().to_owned()),
        };
        Ok(Response::from_json(&answer)?)
    }

    async fn on_order_ended(&self, body: &str) -> Result<Response, ApiError> {
        let ended: OrderEnded = serde_json::from_str(body)?;
        let Some(mut record) = self.load().await? else {
            return Ok(Response::empty()?);
        };
        if record.order_id.as_deref() != Some(ended.order_id.as_str()) {
            // An order the link no longer runs (its browser started over): its end changes nothing.
            return Ok(Response::empty()?);
        }
        let now = now_ms();
        let before = record.link.state.status(now);
        record.link.state.finish(ended.complete);
        record.rfa = ended.rfa;
        record.ended_ms.get_or_insert(now);
        self.save(&record).await?;
        if record.link.state.status(now) != before {
            self.broadcast_view(&record, now).await;
        }
        self.arm(&record, now).await?;
        Ok(Response::empty()?)
    }

    /// The agent takes the link back: nobody can open it any more, and the order it runs is cancelled at
    /// BankID. A link that is already final stays as it was. Answers the view as it is then.
    async fn on_cancel(&self, tenant: Option<&str>) -> Result<Response, ApiError> {
        let mut record = self.load_for(tenant).await?;
        let now = now_ms();
        if let Ok(running) = record.link.state.withdraw(now) {
            record.ended_ms.get_or_insert(now);
            // Saved before the order is cancelled: its notice that it ended arrives while this waits
            // and must find the link withdrawn (and a browser starting over finds it closed).
            self.save(&record).await?;
            self.broadcast_view(&record, now).await;
            self.arm(&record, now).await?;
            if running && let Some(order_id) = &record.order_id {
                let access = OrderAccess::Tenant(record.link.tenant.clone());
                if let Err(e) = order::withdraw(&self.env, order_id, &access).await {
                    console_warn!("link: cancelling the withdrawn link's order failed: {e}");
                }
            }
        }
        // Read again: the order's end may have come in meanwhile.
        let record = self.load_for(tenant).await?;
        Ok(Response::from_json(&self.view(&record, now_ms()).await?)?)
    }

    async fn on_events(&self, tenant: Option<&str>) -> Result<Response, ApiError> {
        let record = self.load_for(tenant).await?;
        let now = now_ms();
        let view = self.view(&record, now).await?;
        let (tx, rx) = unbounded::<Vec<u8>>();
        let _ = tx.unbounded_send(sse::link_frame(&view));
        if !view.status.is_final() {
            self.viewers.borrow_mut().push(tx);
        }
        let headers = Headers::new();
        headers.set("Content-Type", "text/event-stream")?;
        // It may carry who identified: kept by nothing on the way, not even for revalidation.
        headers.set("Cache-Control", "no-store")?;
        Ok(Response::from_stream(rx.map(Ok::<Vec<u8>, worker::Error>))?.with_headers(headers))
    }

    /// Expiry (tell the viewers) or the end of retention (erase).
    async fn tick(&self) -> Result<(), ApiError> {
        let Some(record) = self.load().await? else {
            return Ok(());
        };
        let now = now_ms();
        if now >= erase_at(&record) {
            self.viewers.borrow_mut().clear();
            self.state.storage().delete_all().await?;
            return Ok(());
        }
        if record.link.state.status(now).is_final() && !self.viewers.borrow().is_empty() {
            self.broadcast_view(&record, now).await;
        }
        self.arm(&record, now).await
    }

    /// The view at `now`; once complete, the person as the order object holds them (already disclosed
    /// as the tenant allows).
    async fn view(&self, record: &Record, now: u64) -> Result<LinkView, ApiError> {
        let status = record.link.state.status(now);
        let mut user = None;
        if status == LinkStatus::Complete
            && let Some(order_id) = &record.order_id
        {
            match order::current(&self.env, order_id, &record.link.tenant).await {
                Ok(event) if event.status == OrderStatus::Complete => user = event.user,
                Ok(_) => {}
                // Erased at the end of its retention: the link says complete, without the person.
                Err(ApiError::UnknownOrder) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(LinkView::of_masked(
            record.link.reference.clone(),
            record.link.channel,
            record.link.to_masked.clone(),
            &record.link.state,
            now,
            record.order_id.clone(),
            record.rfa,
            user,
        ))
    }

    /// Sends the current view to every viewer; a final view ends their streams.
    async fn broadcast_view(&self, record: &Record, now: u64) {
        if self.viewers.borrow().is_empty() {
            return;
        }
        let view = match self.view(record, now).await {
            Ok(view) => view,
            Err(e) => {
                console_warn!("link: building the view failed: {e}");
                return;
            }
        };
        let frame = sse::link_frame(&view);
        let mut viewers = self.viewers.borrow_mut();
        viewers.retain(|tx| tx.unbounded_send(frame.clone()).is_ok());
        if view.status.is_final() {
            viewers.clear();
        }
    }

    /// The next wake-up: expiry while unopened, erasure once final. An opened link waits for its order.
    async fn arm(&self, record: &Record, now: u64) -> Result<(), ApiError> {
        let wake = match record.link.state.status(now) {
            LinkStatus::Pending => record.link.state.expires_ms,
            _ => erase_at(record),
        };
        let offset = i64::try_from(wake.saturating_sub(now)).unwrap_or(i64::MAX);
        self.state.storage().set_alarm(offset).await?;
        Ok(())
    }

    async fn load(&self) -> Result<Option<Record>, ApiError> {
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
}

/// When the record goes: the tenant's retention after the link can no longer change (it expired, its order
/// ended, or it was withdrawn). An opened link whose order never reported (a lost notice) goes a day after
/// it was opened.
fn erase_at(record: &Record) -> u64 {
    let state = &record.link.state;
    let retention = record.link.retention_ms;
    match (state.opened_ms, record.ended_ms) {
        (_, Some(ended)) => ended.saturating_add(retention),
        (None, None) => state.expires_ms.saturating_add(retention),
        (Some(opened), None) => opened.saturating_add(DAY_MS).saturating_add(retention),
    }
}

const DAY_MS: u64 = 24 * 60 * 60 * 1_000;

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(opened: Option<u64>, ended: Option<u64>) -> Record {
        let mut state = LinkState::new(1_000, 900_000);
        state.opened_ms = opened;
        Record {
            link: NewLink {
                tenant: "demo".into(),
                reference: ReferenceNumber::from_random([7; 8]),
                channel: Channel::Sms,
                to_masked: "+46 ••• •• 67".into(),
                token_hash: legit_core::link::LinkToken::from_random([1; 16]).hash(),
                state,
                lang: "sv".into(),
                retention_ms: 600_000,
            },
            order_id: None,
            rfa: None,
            ended_ms: ended,
        }
    }

    #[test]
    fn a_link_is_kept_a_retention_after_it_can_no_longer_change() {
        // Never opened: a retention after expiry, so the agent still sees "expired".
        assert_eq!(erase_at(&record(None, None)), 901_000 + 600_000);
        // Opened and ended: a retention after the order ended.
        assert_eq!(
            erase_at(&record(Some(2_000), Some(50_000))),
            50_000 + 600_000
        );
        // Withdrawn before anyone opened it: a retention after the withdrawal.
        assert_eq!(erase_at(&record(None, Some(5_000))), 5_000 + 600_000);
        // Opened, its order never reported: a day, then the retention.
        assert_eq!(
            erase_at(&record(Some(2_000), None)),
            2_000 + DAY_MS + 600_000
        );
    }

    #[test]
    fn the_stored_record_holds_no_destination_in_clear() {
        let json = serde_json::to_string(&record(None, None)).unwrap();
        assert!(json.contains("+46 ••• •• 67"));
        assert!(!json.contains("701234567"));
        assert!(json.contains("tokenHash"));
    }
}
