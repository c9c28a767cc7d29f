//! Operational routes.

use serde::Serialize;
use worker::Response;

use crate::config::Config;
use crate::error::ApiError;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Health<'a> {
    ok: bool,
    bankid_base: &'a str,
    version: &'static str,
}

/// `GET /healthz`: liveness and a configuration summary. Nothing secret lives in [`Config`] today; keep it
/// that way or leave new fields out of here.
pub fn health(config: &Config) -> Result<Response, ApiError> {
    Ok(Response::from_json(&Health {
        ok: true,
        bankid_base: &config.bankid_base,
        version: env!("CARGO_PKG_VERSION"),
    })?)
}
