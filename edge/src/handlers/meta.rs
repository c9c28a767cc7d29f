//! Operational and integrator routes.

use serde::Serialize;
use worker::{Env, Response};

use legit_core::certificate::{Expiry, days_left, utc_text};

use crate::config::{self, Config, RpCertificate};
use crate::error::ApiError;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Health<'a> {
    ok: bool,
    bankid_base: &'a str,
    /// How many tenants are configured. Not their ids: anyone may ask, and who our customers are is not
    /// theirs to know.
    tenants: usize,
    /// Whether the result signing key is set and signs. Unset, no order, session or link works (they are
    /// keyed from its text); set but unusable, completed orders carry no `resultToken` and
    /// `/.well-known/jwks.json` answers 500 `misconfigured`.
    result_signing: bool,
    /// Link providers: `off`, `misconfigured` or `on` for `sms` and `email` (never their settings).
    links: LinkProviders,
    /// Whether every rate-limit binding exists (`crate::rate_limit`).
    rate_limits: bool,
    /// When BankID will stop accepting the RP certificate, for the operator's monitoring.
    rp_certificate: CertificateHealth,
    version: &'static str,
}

/// `{"state": "ok" | "expiring" | "expired", "notAfter", "daysLeft"}`, or `{"state": "unset" | "unreadable"}`
/// (with the reason) when `BANKID_CLIENT_CERT` does not tell.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CertificateHealth {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days_left: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl CertificateHealth {
    fn of(certificate: &RpCertificate, now_secs: i64) -> CertificateHealth {
        let (state, not_after, days, error) = match certificate {
            RpCertificate::Unset => ("unset", None, None, None),
            RpCertificate::Unreadable(why) => ("unreadable", None, None, Some(why.clone())),
            &RpCertificate::NotAfter(secs) => (
                Expiry::at(secs, now_secs).as_str(),
                Some(utc_text(secs)),
                Some(days_left(secs, now_secs)),
                None,
            ),
        };
        CertificateHealth {
            state,
            not_after,
            days_left: days,
            error,
        }
    }
}

#[derive(Debug, Serialize)]
struct LinkProviders {
    sms: &'static str,
    email: &'static str,
}

/// `GET /healthz`: liveness and a configuration summary. [`Config`] holds provider keys (as `Secret`s):
/// only a word per provider is told here, as of the signing key only whether it works.
pub fn health(env: &Env, config: &Config, now_ms: u64) -> Result<Response, ApiError> {
    Ok(Response::from_json(&Health {
        ok: true,
        bankid_base: &config.bankid_base,
        tenants: config.tenants.iter().count(),
        result_signing: config::result_signing_key(env).is_ok(),
        links: {
            let (sms, email) = config.providers.summary();
            LinkProviders { sms, email }
        },
        rate_limits: crate::rate_limit::configured(env),
        rp_certificate: CertificateHealth::of(
            &config.rp_certificate,
            i64::try_from(now_ms / 1_000).unwrap_or(i64::MAX),
        ),
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
