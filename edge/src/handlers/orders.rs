//! `/api/v1/orders`: start an order, follow it, cancel it.

use legit_core::api::{self, OrderKind, StartOrderRequest, StartOrderResponse};
use legit_core::audit::{AuditEntry, Channel};
use legit_core::ivr::IvrCall;
use legit_core::session::SessionKey;
use legit_core::tenant::Tenant;
use serde::{Deserialize, Serialize};
use worker::{Env, Request, Response};

use crate::access::{Caller, OrderAccess, Role};
use crate::audit;
use crate::bankid::BankId;
use crate::config::Config;
use crate::error::ApiError;
use crate::objects::order::{self, StartOrder};
use crate::rate_limit;

/// `POST /api/v1/orders`: validate, start at BankID (once: starts are never retried), hand the order to
/// its object, answer the edge's own id and the token that follows it. The body was read by the router.
pub async fn start(
    req: &Request,
    body: &[u8],
    env: &Env,
    config: &Config,
    caller: Caller<'_>,
    key: &SessionKey,
) -> Result<Response, ApiError> {
    check_json_body(req, body)?;
    let asked = api::parse_start_request(body)?;
    // Asking BankID to identify someone else is an agent's act, never a page's: the phone flow, and an order
    // bound to a personal number, which BankID answers by ending that person's order in progress
    // (alreadyInProgress, BANKID.md §3), so a page that could name anyone could keep breaking their logins.
    if asked.kind.is_phone() || asked.named_person().is_some() {
        caller.require_agent()?;
    }
    // BankID's risk checks trust endUserIp; a browser could name any address, a server only relays its user's.
    if asked.end_user_ip.is_some() {
        caller.require_backend()?;
    }
    if caller.role != Role::Backend {
        check_return_url(req, asked.return_url.as_deref())?;
    }
    let channel = match caller.role {
        Role::Customer => Channel::Page,
        Role::Agent => Channel::Agent,
        Role::Backend => Channel::Backend,
    };
    let answer = launch(req, env, config, caller.tenant, &asked, key, channel, None).await?;
    Ok(Response::from_json(&answer)?.with_status(201))
}

/// A page may only have the app send the person back to its own site, and a request without `Origin` that
/// is no tenant's server nowhere ([`api::return_url_allowed`]).
pub fn check_return_url(req: &Request, return_url: Option<&str>) -> Result<(), ApiError> {
    let Some(url) = return_url else {
        return Ok(());
    };
    let origin = req.headers().get("Origin")?;
    if api::return_url_allowed(url, origin.as_deref()) {
        Ok(())
    } else {
        Err(ApiError::InvalidStart(api::StartError::InvalidReturnUrl))
    }
}

/// A start request's body must be JSON of a sane size (the IVR's too).
pub fn check_json_body(req: &Request, body: &[u8]) -> Result<(), ApiError> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !api::is_json_media_type(&content_type) {
        return Err(ApiError::NotJson);
    }
    if body.len() > api::MAX_START_BODY {
        return Err(ApiError::BodyTooLarge {
            limit: api::MAX_START_BODY,
        });
    }
    Ok(())
}

/// Starts a checked request at BankID for `tenant` and hands it to its order object; `channel` is the door
/// it came in by (for the audit log), `link` the reference of the verification link it runs for, told when
/// the order ends.
#[allow(clippy::too_many_arguments)] // each is a separate fact about the start; a struct would only rename them
pub async fn launch(
    req: &Request,
    env: &Env,
    config: &Config,
    tenant: &Tenant,
    asked: &StartOrderRequest,
    key: &SessionKey,
    channel: Channel,
    link: Option<String>,
) -> Result<StartOrderResponse, ApiError> {
    let mut from = StartedFrom::of(req, config)?;
    // A tenant's server starting an order for its user names the user's address ([`start`] checked who).
    if let Some(ip) = &asked.end_user_ip {
        from.end_user_ip.clone_from(ip);
    }
    // A page's starts need no credential, so they also count against its address; agents and backends
    // share theirs and count against the tenant only.
    let limits = if channel == Channel::Page {
        rate_limit::orders_from(&caller_ip(req, config)?)
    } else {
        Vec::new()
    };
    let launch = Launch {
        from,
        tenant,
        asked,
        channel,
        link,
        call: None,
        limits,
    };
    let started = launch_order(env, config, key, launch).await;
    if let Err(e) = &started {
        audit_refused_start(env, key, &tenant.id, asked.kind, channel, e).await;
    }
    started
}

/// The audit row of a start that reached BankID and was refused (`alreadyInProgress`, maintenance, no
/// answer): the check was tried, so the log says so, though no order came of it and no object will write the
/// row. A start refused here (a bad number, a rate limit) never reached BankID and is not a check. The IVR's
/// `alreadyInProgress` is recorded by its call as an ended order instead, which writes its own row.
pub async fn audit_refused_start(
    env: &Env,
    key: &SessionKey,
    tenant: &str,
    kind: OrderKind,
    channel: Channel,
    error: &ApiError,
) {
    if !error.is_from_bankid() {
        return;
    }
    let Ok(unused_id) = new_order_id() else {
        return;
    };
    let hash = key.audit_hash(&unused_id);
    if let Some(entry) =
        AuditEntry::refused_start(kind, tenant, channel, error.code(), hash, now_ms())
    {
        audit::record(env, &entry).await;
    }
}

/// Where a start request came from, as the order needs it; taken from the request by the Worker, so an
/// object that starts an order for it (a call's) needs no request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedFrom {
    /// BankID's `endUserIp` (auth/sign).
    pub end_user_ip: String,
    /// `iss` of the result token ([`Config::issuer`]).
    pub issuer: String,
}

impl StartedFrom {
    pub fn of(req: &Request, config: &Config) -> Result<StartedFrom, ApiError> {
        Ok(StartedFrom {
            // Behind Cloudflare the caller's address, which BankID wants as endUserIp.
            end_user_ip: caller_ip(req, config)?,
            issuer: config.issuer(&req.url()?.origin().ascii_serialization()),
        })
    }
}

/// The caller's address: Cloudflare's `CF-Connecting-IP`, or the configured fallback (local runs).
pub fn caller_ip(req: &Request, config: &Config) -> Result<String, ApiError> {
    Ok(req
        .headers()
        .get("CF-Connecting-IP")?
        .unwrap_or_else(|| config.end_user_ip_fallback.clone()))
}

/// One order to start: for whom, what, and what it reports to when it ends.
pub struct Launch<'a> {
    pub from: StartedFrom,
    pub tenant: &'a Tenant,
    pub asked: &'a StartOrderRequest,
    /// The door it came in by, for the audit log.
    pub channel: Channel,
    /// The verification link it runs for.
    pub link: Option<String>,
    /// The IVR call it runs for.
    pub call: Option<IvrCall>,
    /// The caller's own counts (a page's address), made with the tenant's once the request is known to be
    /// good: a start refused as bad costs the caller none of its allowance.
    pub limits: Vec<rate_limit::Check>,
}

/// [`launch`] without the request: the one path every order (widget, link, IVR call) starts by.
pub async fn launch_order(
    env: &Env,
    config: &Config,
    key: &SessionKey,
    launch: Launch<'_>,
) -> Result<StartOrderResponse, ApiError> {
    let Launch {
        from,
        tenant,
        asked,
        channel,
        link,
        call,
        mut limits,
    } = launch;
    let today = api::swedish_date(i64::try_from(now_ms()).unwrap_or(i64::MAX));
    let prepared = asked.prepare(today, &from.end_user_ip)?;
    // Every new BankID order of the tenant, from any door (widget, agent, backend, link, IVR): one tenant
    // cannot spend the RP certificate's standing with BankID, which all tenants share. After the caller's
    // own: the narrower count refuses first, before it eats the tenant's allowance.
    limits.extend(rate_limit::orders_of(&tenant.id));
    rate_limit::enforce(env, &limits).await?;

    let bankid = BankId::new(env, config)?;
    let started = bankid.start(&prepared).await?;
    let order = StartOrder {
        order_id: new_order_id()?,
        kind: asked.kind,
        order_ref: started.order_ref,
        qr: started.qr,
        personal_number: prepared.personal_number.map(|p| p.as_str().to_owned()),
        started_ms: now_ms(),
        issuer: from.issuer,
        tenant: tenant.id.clone(),
        disclosure: tenant.disclosure,
        retention_ms: tenant.retention_secs * 1_000,
        channel: Some(channel),
        link,
        call,
    };
    if let Err(e) = order::start(env, &order).await {
        // The order exists at BankID but nobody would follow it: end it there too, so the person's app
        // does not wait for nothing (and a phone order does not block the next attempt).
        let _ = bankid.cancel(&order.order_ref).await;
        return Err(e);
    }
    Ok(StartOrderResponse {
        order_token: key.order_token(&order.order_id),
        order_id: order.order_id,
        auto_start_token: started.auto_start_token,
    })
}

/// `GET /api/v1/orders/{orderId}/events`: the object's SSE stream, passed through.
pub async fn events(env: &Env, order_id: &str, access: &OrderAccess) -> Result<Response, ApiError> {
    order::events(env, order_id, access).await
}

/// `POST /api/v1/orders/{orderId}/cancel`: answers the final event.
pub async fn cancel(env: &Env, order_id: &str, access: &OrderAccess) -> Result<Response, ApiError> {
    order::cancel(env, order_id, access).await
}

/// Anything not shaped like our ids is unknown without waking an object for it.
pub fn known(order_id: &str) -> Result<(), ApiError> {
    if api::is_order_id(order_id) {
        Ok(())
    } else {
        Err(ApiError::UnknownOrder)
    }
}

/// 128 random bits: unguessable, so the id is not worth enumerating (though it is not a capability: the
/// order token is, DESIGN.md §5).
pub fn new_order_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Runtime(e.to_string()))?;
    Ok(api::order_id_from_bytes(bytes))
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}
