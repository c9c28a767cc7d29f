//! `POST /api/v1/sessions`: the tenant's backend trades its API key for an agent session to hand to the
//! agent's widget, so the key itself never reaches a browser.

use legit_core::links_api::rfc3339_utc;
use legit_core::session::{AGENT_SESSION_TTL_MS, AgentSession};
use serde::Serialize;
use worker::Response;

use crate::access::{Caller, Role};
use crate::error::{ApiError, Credential};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionAnswer<'a> {
    session: String,
    tenant: &'a str,
    /// RFC 3339 UTC, as every time the API answers.
    expires_at: String,
}

pub fn create(
    caller: Caller<'_>,
    key: &legit_core::session::SessionKey,
    now_ms: u64,
) -> Result<Response, ApiError> {
    // A session must not mint another, or one stolen session would live for ever.
    if caller.role != Role::Backend {
        return Err(ApiError::Unauthenticated(Credential::InvalidApiKey));
    }
    let session = AgentSession {
        tenant: caller.tenant.id.clone(),
        expires_ms: now_ms + AGENT_SESSION_TTL_MS,
    };
    let answer = SessionAnswer {
        session: key.agent_session(&session),
        tenant: &caller.tenant.id,
        expires_at: rfc3339_utc(session.expires_ms),
    };
    Ok(Response::from_json(&answer)?.with_status(201))
}
