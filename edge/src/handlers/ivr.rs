//! `/api/v1/ivr`: the IVR starts a phone order for a call and long-polls it (API key); an agent finds the
//! order of a call to follow it live (agent session or API key).

use legit_core::api::{self, OrderKind, StartOrderRequest};
use legit_core::ivr::{self, CallId, CallOrder, IvrAnswer, IvrCall, IvrOutcome, IvrRequestError};
use legit_core::session::SessionKey;
use worker::{Env, Request, Response};

use crate::access::{self, Caller, RequestOrigin};
use crate::config::Config;
use crate::error::ApiError;
use crate::handlers::orders::{self, StartedFrom};
use crate::objects::call::{self, StartCall};
use crate::objects::order;

/// A long-poll woken with less than this left answers rather than waiting again.
const MIN_WAIT_MS: u64 = 100;

/// `POST /api/v1/ivr/orders`: 201 with the new order's [`IvrAnswer`], or 200 with the call's existing one.
pub async fn start(
    req: &Request,
    body: &[u8],
    env: &Env,
    config: &Config,
    origin: &RequestOrigin,
    bearer: Option<&str>,
) -> Result<Response, ApiError> {
    let tenant = access::api_key_tenant(&config.tenants, origin, bearer)?;
    orders::check_json_body(req, body)?;
    let today = api::swedish_date(i64::try_from(now_ms()).unwrap_or(i64::MAX));
    let valid = ivr::parse_ivr_order_request(body)?.validate(today)?;
    let start = StartCall {
        tenant: tenant.id.clone(),
        asked: StartOrderRequest {
            kind: OrderKind::PhoneAuth,
            personal_number: Some(valid.personal_number.as_str().to_owned()),
            call_initiator: Some(valid.call_initiator),
            user_visible_data: None,
            end_user_ip: None,
            return_url: None,
        },
        call: IvrCall::new(&valid.call_id, &valid.personal_number, today),
        from: StartedFrom::of(req, config)?,
    };
    let started = match call::start(env, &start).await? {
        Ok(started) => started,
        Err(refusal) => return Ok(refusal),
    };
    let answer = answer(env, &started.order_id, &tenant.id, 0).await?;
    let status = if started.created { 201 } else { 200 };
    Ok(Response::from_json(&answer)?.with_status(status))
}

/// `GET /api/v1/ivr/orders/{id}?wait=N`: at once when the order has ended, as soon as it ends within `N`
/// seconds, else `pending` after `N` seconds.
pub async fn poll(
    req: &Request,
    env: &Env,
    config: &Config,
    origin: &RequestOrigin,
    bearer: Option<&str>,
    order_id: &str,
) -> Result<Response, ApiError> {
    let tenant = access::api_key_tenant(&config.tenants, origin, bearer)?;
    orders::known(order_id)?;
    let url = req.url()?;
    let wait = url
        .query_pairs()
        .find(|(k, _)| k == "wait")
        .map(|(_, v)| v.into_owned());
    let wait_secs = ivr::parse_wait(wait.as_deref())?;
    let answer = answer(env, order_id, &tenant.id, wait_secs * 1_000).await?;
    Ok(Response::from_json(&answer)?)
}

/// The order's IVR answer once its outcome is known, or `pending` after `wait_ms`. The object wakes the
/// wait on every change it pushes; a change the IVR would not hear (a new hint while pending) waits again.
async fn answer(
    env: &Env,
    order_id: &str,
    tenant: &str,
    wait_ms: u64,
) -> Result<IvrAnswer, ApiError> {
    let deadline = now_ms() + wait_ms;
    loop {
        let left = deadline.saturating_sub(now_ms());
        let waited = order::wait(env, order_id, tenant, left).await?;
        // An order the IVR did not start has no call and no IVR answer.
        let call = waited.call.ok_or(ApiError::UnknownOrder)?;
        let outcome = IvrOutcome::from_event(&waited.event);
        if outcome != IvrOutcome::Pending || deadline.saturating_sub(now_ms()) < MIN_WAIT_MS {
            return Ok(IvrAnswer::for_call(order_id, &call, outcome));
        }
    }
}

/// `GET /api/v1/ivr/calls/{callId}`: the call's order for an agent (or backend) of the same tenant, with the
/// token the widget follows it by.
pub async fn call_order(
    env: &Env,
    caller: Caller<'_>,
    raw_call_id: &str,
    key: &SessionKey,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let decoded = percent_decode(raw_call_id).ok_or(ApiError::UnknownCall)?;
    let call_id = CallId::parse(&decoded).map_err(IvrRequestError::InvalidCallId)?;
    let order_id = call::order_of(env, &caller.tenant.id, &call_id).await?;
    let waited = match order::wait(env, &order_id, &caller.tenant.id, 0).await {
        Err(ApiError::UnknownOrder) => return Err(ApiError::UnknownCall),
        other => other?,
    };
    let call = waited.call.ok_or(ApiError::UnknownCall)?;
    Ok(Response::from_json(&CallOrder {
        call_id: call.call_id,
        order_token: key.order_token(&order_id),
        order_id,
        personal_number: call.masked_personal_number,
    })?)
}

/// A path segment as sent: a call id may hold characters a URL must escape (`/`, `%`, `?`). `None` for a
/// broken escape or text that is not UTF-8.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_arrive_escaped_in_the_path() {
        assert_eq!(percent_decode("call-1").as_deref(), Some("call-1"));
        assert_eq!(
            percent_decode("a84b%40pc33.example%2Fx").as_deref(),
            Some("a84b@pc33.example/x")
        );
        assert_eq!(percent_decode("100%25").as_deref(), Some("100%"));
        for broken in ["%", "%4", "%zz", "%C3", "a%e5"] {
            assert_eq!(percent_decode(broken), None, "{broken}");
        }
    }
}
