//! `/api/v1/orders`: start an order, follow it, cancel it.

use legit_core::api::{self, StartOrderResponse};
use legit_core::session::SessionKey;
use worker::{Env, Request, Response};

use crate::access::{Caller, OrderAccess};
use crate::bankid::BankId;
use crate::config::Config;
use crate::error::ApiError;
use crate::objects::order::{self, StartOrder};

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
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !api::is_json_media_type(&content_type) {
        return Err(ApiError::NotJson);
    }
    if body.len() > api::MAX_START_BODY {
        return Err(ApiError::BodyTooLarge {
            limit: api::MAX_START_BODY,
        });
    }
    let asked = api::parse_start_request(body)?;
    // Asking BankID to identify someone else is an agent's act (the phone flow), never a page's.
    if asked.kind.is_phone() {
        caller.require_agent()?;
    }
    let today = api::swedish_date(i64::try_from(now_ms()).unwrap_or(i64::MAX));
    // Behind Cloudflare this header is the caller's address, which BankID wants as endUserIp.
    let end_user_ip = req
        .headers()
        .get("CF-Connecting-IP")?
        .unwrap_or_else(|| config.end_user_ip_fallback.clone());
    let prepared = asked.prepare(today, &end_user_ip)?;

    let bankid = BankId::new(env, config)?;
    let started = bankid.start(&prepared).await?;
    let order = StartOrder {
        order_id: new_order_id()?,
        kind: asked.kind,
        order_ref: started.order_ref,
        qr: started.qr,
        personal_number: prepared.personal_number.map(|p| p.as_str().to_owned()),
        started_ms: now_ms(),
        issuer: config.issuer(&req.url()?.origin().ascii_serialization()),
        tenant: caller.tenant.id.clone(),
        disclosure: caller.tenant.disclosure,
        retention_ms: caller.tenant.retention_secs * 1_000,
    };
    if let Err(e) = order::start(env, &order).await {
        // The order exists at BankID but nobody would follow it: end it there too, so the person's app
        // does not wait for nothing (and a phone order does not block the next attempt).
        let _ = bankid.cancel(&order.order_ref).await;
        return Err(e);
    }
    let answer = StartOrderResponse {
        order_token: key.order_token(&order.order_id),
        order_id: order.order_id,
        auto_start_token: started.auto_start_token,
    };
    Ok(Response::from_json(&answer)?.with_status(201))
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
fn new_order_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Runtime(e.to_string()))?;
    Ok(api::order_id_from_bytes(bytes))
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}
