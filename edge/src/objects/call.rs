//! `CallObject`: one Durable Object per IVR call, named by tenant and call id ([`object_name`]).
//!
//! It makes `POST /api/v1/ivr/orders` idempotent: the first request for a call starts the phone order and
//! records its id; every later one, even one that arrives while BankID is still answering the first, gets
//! that same order and starts nothing. An object per call (rather than one per tenant) keeps calls from
//! queueing behind each other, and its name is the look-up key, so no index is needed.
//!
//! BankID's `alreadyInProgress` (the same person has another order going: BankID ends that one and creates
//! nothing, BANKID.md §3) is recorded like an order that ended at once, so the call's answer stays the same
//! however often the IVR asks, and no retry starts an order again.
//!
//! Only the order id is kept here, and a keyed hash of whom it is for (a second start under the same call id
//! for someone else is refused, 409 `call_id_reused`); the person's number stays in the order's own object.
//! The record is erased after the tenant's retention, and some margin beyond the longest order life.

use std::cell::RefCell;

use futures_channel::oneshot;
use legit_core::api::StartOrderRequest;
use legit_core::audit::Channel;
use legit_core::bankid::ErrorCode;
use legit_core::ivr::{CallId, IvrCall};
use legit_core::session::SessionKey;
use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, Method, Request, RequestInit, Response, State, durable_object};

// `#[durable_object]` expands to `#[wasm_bindgen]` code that names the crate unqualified.
#[allow(unused_imports)]
use worker::wasm_bindgen;

use crate::config::{self, Config};
use crate::error::ApiError;
use crate::handlers::orders::{self, Launch, StartedFrom};
use crate::objects::order::{self, StartOrder};

const RECORD: &str = "call";
/// A Worker-to-object request needs an absolute URL; the object only looks at the path.
const INTERNAL_ORIGIN: &str = "https://call.internal";
/// How long a call's record outlives the order's retention: more than any order lives before it ends (about
/// 3 min at BankID, plus the failed collects the loop rides out), so the order goes before its call does.
const MARGIN_MS: u64 = 15 * 60 * 1_000;

/// What the Worker hands the object to start the call's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartCall {
    pub tenant: String,
    /// The phone order, already checked.
    pub asked: StartOrderRequest,
    pub call: IvrCall,
    pub from: StartedFrom,
}

/// The object's answer to `/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallStarted {
    pub order_id: String,
    /// False when the call already had its order.
    pub created: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallRecord {
    order_id: String,
    /// Whom the order is for ([`SessionKey::call_person_hash`]), so the call id reused
    /// for someone else is refused rather than answered with the first person's outcome. Absent in records
    /// written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    person: Option<String>,
}

/// The object of `call_id` of `tenant`. A call id has no spaces, so the last space splits the name one way
/// only, whatever the tenant's id holds.
pub fn object_name(tenant: &str, call_id: &str) -> String {
    format!("{tenant} {call_id}")
}

// ---------------------------------------------------------------- the Worker's side

/// Starts the call's order, or finds the one it has. `Err(response)` is the object's refusal in the one
/// error format (BankID unavailable, a bad request), passed on as is.
pub async fn start(
    env: &Env,
    start: &StartCall,
) -> Result<Result<CallStarted, Response>, ApiError> {
    let name = object_name(&start.tenant, &start.call.call_id);
    let mut resp = fetch(
        env,
        &name,
        Method::Post,
        "/start",
        Some(serde_json::to_string(start)?),
    )
    .await?;
    if (200..300).contains(&resp.status_code()) {
        Ok(Ok(resp.json().await?))
    } else {
        Ok(Err(resp))
    }
}

/// The order id of the call, if the tenant started one for it.
pub async fn order_of(env: &Env, tenant: &str, call_id: &CallId) -> Result<String, ApiError> {
    let name = object_name(tenant, call_id.as_str());
    let mut resp = fetch(env, &name, Method::Get, "/order", None).await?;
    match resp.status_code() {
        200 => Ok(resp.json::<CallRecord>().await?.order_id),
        404 => Err(ApiError::UnknownCall),
        status => Err(ApiError::Runtime(format!("call object answered {status}"))),
    }
}

async fn fetch(
    env: &Env,
    name: &str,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Response, ApiError> {
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        init.with_body(Some(body.into()));
    }
    let req = Request::new_with_init(&format!("{INTERNAL_ORIGIN}{path}"), &init)?;
    let stub = env.durable_object(config::CALL)?.get_by_name(name)?;
    Ok(stub.fetch_with_request(req).await?)
}

// ---------------------------------------------------------------- the object

#[durable_object]
pub struct CallObject {
    state: State,
    env: Env,
    /// While the first request waits for BankID: the later requests, woken when it is done. `None` when no
    /// start is under way.
    starting: RefCell<Option<Vec<oneshot::Sender<()>>>>,
}

impl DurableObject for CallObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            starting: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = match (req.method(), req.path().as_str()) {
            (Method::Post, "/start") => match req.text().await {
                Ok(body) => self.on_start(&body).await,
                Err(e) => Err(e.into()),
            },
            (Method::Get, "/order") => match self.load().await {
                Ok(Some(record)) => Response::from_json(&record).map_err(ApiError::from),
                Ok(None) => Err(ApiError::UnknownCall),
                Err(e) => Err(e),
            },
            _ => Err(ApiError::NotFound),
        };
        result.or_else(ApiError::into_response)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

impl CallObject {
    async fn on_start(&self, body: &str) -> Result<Response, ApiError> {
        let start: StartCall = serde_json::from_str(body)?;
        let key = config::session_key(&self.env)?;
        let person = start
            .asked
            .personal_number
            .as_deref()
            .map(|n| key.call_person_hash(n));
        loop {
            if let Some(record) = self.load().await? {
                // An IVR that reuses a call id (a platform restarting its counter) must not hear the first
                // person's outcome as the second's.
                if record.person.is_some() && record.person != person {
                    return Err(ApiError::CallIdReused);
                }
                return Ok(Response::from_json(&CallStarted {
                    order_id: record.order_id,
                    created: false,
                })?);
            }
            let waiting = {
                let mut starting = self.starting.borrow_mut();
                match starting.as_mut() {
                    Some(waiters) => {
                        let (tx, rx) = oneshot::channel();
                        waiters.push(tx);
                        Some(rx)
                    }
                    None => {
                        *starting = Some(Vec::new());
                        None
                    }
                }
            };
            if let Some(rx) = waiting {
                // The first request is done, either way: look again. If it failed (BankID unavailable),
                // nothing was created and this request tries once itself.
                let _ = rx.await;
                continue;
            }
            let done = Starting(&self.starting);
            let result = self.start_order(&start, &key, person.clone()).await;
            drop(done);
            let order_id = result?;
            return Ok(Response::from_json(&CallStarted {
                order_id,
                created: true,
            })?
            .with_status(201));
        }
    }

    /// Starts the phone order through the same path as every order, and records it.
    async fn start_order(
        &self,
        start: &StartCall,
        key: &SessionKey,
        person: Option<String>,
    ) -> Result<String, ApiError> {
        let config = Config::load(&self.env)?;
        let tenant = config
            .tenants
            .get(&start.tenant)
            .ok_or(ApiError::UnknownTenant)?;
        let launch = Launch {
            from: start.from.clone(),
            tenant,
            asked: &start.asked,
            channel: Channel::Ivr,
            link: None,
            call: Some(start.call.clone()),
            limits: Vec::new(),
        };
        let order_id = match orders::launch_order(&self.env, &config, key, launch).await {
            Ok(started) => started.order_id,
            Err(ApiError::BankId {
                code: ErrorCode::AlreadyInProgress,
                ..
            }) => {
                let refused = StartOrder {
                    order_id: orders::new_order_id()?,
                    kind: start.asked.kind,
                    order_ref: String::new(),
                    qr: None,
                    personal_number: None,
                    started_ms: now_ms(),
                    issuer: start.from.issuer.clone(),
                    tenant: tenant.id.clone(),
                    disclosure: tenant.disclosure,
                    retention_ms: tenant.retention_secs * 1_000,
                    channel: Some(Channel::Ivr),
                    link: None,
                    call: Some(start.call.clone()),
                };
                order::refuse(&self.env, &refused).await?;
                refused.order_id
            }
            Err(e) => {
                let kind = start.asked.kind;
                orders::audit_refused_start(&self.env, key, &tenant.id, kind, Channel::Ivr, &e)
                    .await;
                return Err(e);
            }
        };
        self.state
            .storage()
            .put(
                RECORD,
                serde_json::to_string(&CallRecord {
                    order_id: order_id.clone(),
                    person,
                })?,
            )
            .await?;
        let keep_ms = tenant.retention_secs * 1_000 + MARGIN_MS;
        self.state
            .storage()
            .set_alarm(i64::try_from(keep_ms).unwrap_or(i64::MAX))
            .await?;
        Ok(order_id)
    }

    async fn load(&self) -> Result<Option<CallRecord>, ApiError> {
        match self.state.storage().get::<String>(RECORD).await? {
            Some(text) => Ok(Some(serde_json::from_str(&text)?)),
            None => Ok(None),
        }
    }
}

/// Ends a start under way however it ends (even if its request goes away mid-way): the requests waiting for
/// it look again, and the next one may start.
struct Starting<'a>(&'a RefCell<Option<Vec<oneshot::Sender<()>>>>);

impl Drop for Starting<'_> {
    fn drop(&mut self) {
        for tx in self.0.borrow_mut().take().unwrap_or_default() {
            let _ = tx.send(());
        }
    }
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_object_per_tenant_and_call() {
        assert_eq!(object_name("demo", "call-1"), "demo call-1");
        assert_ne!(object_name("demo", "call-1"), object_name("bank", "call-1"));
        assert_ne!(object_name("demo", "call-1"), object_name("demo", "call-2"));
    }
}
