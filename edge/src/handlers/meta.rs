//! Operational and integrator routes.

use serde::Serialize;
use worker::{Env, Response};

use crate::config::{self, Config};
use crate::error::ApiError;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Health<'a> {
    ok: bool,
    bankid_base: &'a str,
    /// The configured tenants' ids (their settings are not shown).
    tenants: Vec<&'a str>,
    /// Whether the result signing key is set and readable: without it completed orders carry no
    /// `resultToken` and `/.well-known/jwks.json` answers 500 `misconfigured`.
    result_signing: bool,
    version: &'static str,
}

/// `GET /healthz`: liveness and a configuration summary. Nothing secret lives in [`Config`] today; keep it
/// that way or leave new fields out of here. Of the signing key only whether it works is told.
pub fn health(env: &Env, config: &Config) -> Result<Response, ApiError> {
    Ok(Response::from_json(&Health {
        ok: true,
        bankid_base: &config.bankid_base,
        tenants: config.tenants.iter().map(|t| t.id.as_str()).collect(),
        result_signing: config::result_signing_key(env).is_ok(),
        version: env!("CARGO_PKG_VERSION"),
    })?)
}

/// `GET /.well-known/jwks.json`: the public key that verifies result tokens. A missing or broken key answers
/// 500 `misconfigured`, loudly, rather than an empty set.
pub fn jwks(env: &Env) -> Result<Response, ApiError> {
    let key = config::result_signing_key(env)?;
    let mut resp = Response::from_json(&key.jwks())?;
    resp.headers_mut()
        .set("Cache-Control", "public, max-age=300")?;
    Ok(resp)
}
