//! The RP API routes (`/rp/v6.0/*`): checks in BankID's order (path, method, media type, agreement), then faults,
//! then the body. Everything else is in [`super::state::Sim`].

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use legit_core::bankid::{Endpoint, ErrorCode};

use super::error::RpError;
use super::faults::FaultKind;
use super::state::Sim;

/// The CN of the client certificate the connection presented; set by the TLS layer.
#[derive(Debug, Clone)]
pub struct RpIdentity(pub String);

/// Marks a response that must not be sent: the connection is closed instead (the `drop` fault).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// Larger bodies are refused with `invalidParameters`, as BankID refuses oversized bodies.
const BODY_LIMIT: usize = 1 << 20;

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/rp/v6.0/{*path}", any(endpoint))
        .fallback(not_found)
        .with_state(sim)
}

async fn not_found() -> Response {
    RpError::new(ErrorCode::NotFound, "No such endpoint").into_response()
}

async fn endpoint(
    State(sim): State<Arc<Sim>>,
    Path(path): Path<String>,
    method: Method,
    headers: HeaderMap,
    rp: Option<axum::Extension<RpIdentity>>,
    body: Body,
) -> Response {
    let Some(endpoint) = Endpoint::from_path(&path) else {
        return not_found().await;
    };
    match answer(&sim, endpoint, &method, &headers, rp.map(|e| e.0.0), body).await {
        Ok(Some(json)) => axum::Json(json).into_response(),
        Ok(None) => {
            let mut res = ().into_response();
            res.extensions_mut().insert(DropConnection);
            res
        }
        Err(e) => e.into_response(),
    }
}

/// `Ok(None)` means: drop the connection.
async fn answer(
    sim: &Sim,
    endpoint: Endpoint,
    method: &Method,
    headers: &HeaderMap,
    rp: Option<String>,
    body: Body,
) -> Result<Option<serde_json::Value>, RpError> {
    if method != Method::POST {
        return Err(RpError::new(
            ErrorCode::MethodNotAllowed,
            format!("Method {method} not allowed; use POST"),
        ));
    }
    if !is_plain_json(headers) {
        return Err(RpError::new(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be exactly application/json, with no parameters",
        ));
    }
    let rp = rp.ok_or_else(|| {
        RpError::new(
            ErrorCode::Unauthorized,
            "Missing or unknown client certificate",
        )
    })?;
    if let Some(hit) = sim.admit(endpoint, &rp)? {
        match hit.kind {
            FaultKind::Latency => tokio::time::sleep(Duration::from_millis(hit.latency_ms)).await,
            FaultKind::Drop => return Ok(None),
            other => {
                if let Some(code) = other.error_code() {
                    return Err(RpError::new(code, "Injected fault"));
                }
            }
        }
    }
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| RpError::invalid("Request body too large or unreadable"))?;
    let json = match endpoint {
        Endpoint::Collect => sim.collect(&rp, &bytes)?,
        Endpoint::Cancel => sim.cancel(&rp, &bytes)?,
        starting => sim.start(starting, &rp, &bytes)?,
    };
    Ok(Some(json))
}

/// BankID accepts `application/json` and nothing else: a `charset` parameter is refused.
fn is_plain_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}
