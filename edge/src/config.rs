//! The Worker's configuration, read from its bindings into a typed struct once per isolate ([`Config::load`]),
//! so no handler reads `env.var` itself, a missing setting fails in one place with one message, and no request
//! pays for parsing the tenants document (which grows with every tenant).

use std::net::IpAddr;

use legit_core::session::SessionKey;
use legit_core::tenant::Tenants;
use legit_core::token::SigningKey;
use worker::Env;

use crate::error::ApiError;

/// Fetcher binding carrying the RP client certificate: `[[mtls_certificates]]` in production, a Miniflare
/// network service with the certificate locally.
pub const BANKID: &str = "BANKID";
/// Durable Object namespace of [`crate::objects::order::OrderObject`].
pub const ORDER: &str = "ORDER";
/// Var: BankID's base URL up to and including `/rp/v6.0`.
pub const BANKID_BASE: &str = "BANKID_BASE";
/// Var: the `endUserIp` to send when the request has no `CF-Connecting-IP` header (local runs).
pub const END_USER_IP_FALLBACK: &str = "END_USER_IP_FALLBACK";
/// Secret (a plain var locally): PKCS#8 PEM of the P-256 key that signs result tokens (`legit_core::token`).
/// Production: `wrangler secret put RESULT_SIGNING_KEY`. Never logged, never in [`Config`].
pub const RESULT_SIGNING_KEY: &str = "RESULT_SIGNING_KEY";
/// Var: the tenants, one JSON document (`legit_core::tenant`): allowed origins, API-key hashes, disclosure
/// policy, retention, display name, locale.
pub const TENANTS: &str = "TENANTS";
/// Static-assets binding: the widget's built files (`[assets]` in wrangler.toml).
pub const ASSETS: &str = "ASSETS";
/// Var, optional: the edge's public origin, the `iss` of result tokens. Without it, the origin the order was
/// started at.
pub const PUBLIC_URL: &str = "PUBLIC_URL";
/// Durable Object namespace of [`crate::objects::call::CallObject`], one per IVR call, named by tenant and
/// call id.
pub const CALL: &str = "CALL";
/// Durable Object namespace of [`crate::objects::link::LinkObject`], one per link, named by reference.
pub const LINK: &str = "LINK";
/// Durable Object namespace of [`crate::objects::link_token::LinkTokenObject`], named by token hash.
pub const LINK_TOKEN: &str = "LINK_TOKEN";
/// Var or secret, optional: the RP certificate's public PEM (the `--cert` file given to `wrangler
/// mtls-certificate upload`). The binding never shows the certificate, and `/healthz` reports its days to
/// expiry from this. Not a secret; a secret is only the easy way to pass a file (`wrangler secret put
/// BANKID_CLIENT_CERT < rp.pem`).
pub const BANKID_CLIENT_CERT: &str = "BANKID_CLIENT_CERT";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// No trailing slash, e.g. `https://appapi2.test.bankid.com/rp/v6.0`.
    pub bankid_base: String,
    pub end_user_ip_fallback: String,
    pub tenants: Tenants,
    /// `iss` of result tokens when set; no trailing slash.
    pub public_url: Option<String>,
    /// The SMS and e-mail providers that send links ([`crate::providers`]).
    pub providers: crate::providers::Providers,
    pub rp_certificate: RpCertificate,
}

/// What [`BANKID_CLIENT_CERT`] says of the RP certificate. Unreadable is reported by `/healthz`, not refused:
/// orders do not depend on it, and a monitoring setting must not take the service down.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RpCertificate {
    #[default]
    Unset,
    Unreadable(String),
    /// Valid until this unix time (seconds).
    NotAfter(i64),
}

impl RpCertificate {
    pub fn from_pem(pem: Option<String>) -> RpCertificate {
        match pem.filter(|p| !p.trim().is_empty()) {
            None => RpCertificate::Unset,
            Some(pem) => match legit_core::certificate::not_after(&pem) {
                Ok(secs) => RpCertificate::NotAfter(secs),
                Err(e) => RpCertificate::Unreadable(format!("{BANKID_CLIENT_CERT}: {e}")),
            },
        }
    }
}

thread_local! {
    /// The isolate's parsed configuration. Vars and secrets are fixed for an isolate's life (a new deployment or
    /// secret starts new isolates), so each isolate parses them once rather than on every request and wake-up.
    static CACHED: std::cell::RefCell<Option<std::rc::Rc<Config>>> = const { std::cell::RefCell::new(None) };
}

impl Config {
    /// The configuration, parsed on first use in this isolate. A failed parse is not kept: every request
    /// reports it until the deployment is fixed.
    pub fn load(env: &Env) -> Result<std::rc::Rc<Config>, ApiError> {
        if let Some(config) = CACHED.with(|c| c.borrow().clone()) {
            return Ok(config);
        }
        let config = std::rc::Rc::new(Config::from_env(env)?);
        CACHED.with(|c| *c.borrow_mut() = Some(config.clone()));
        Ok(config)
    }

    fn from_env(env: &Env) -> Result<Config, ApiError> {
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
        // A JSON string (local runs, `wrangler secret`), or a table in wrangler.toml (`[vars.TENANTS.demo]`),
        // which arrives as an object.
        let tenants = var(TENANTS).or_else(|| {
            env.object_var::<serde_json::Value>(TENANTS)
                .ok()
                .map(|v| v.to_string())
        });
        let mut config = Config::parse(var(BANKID_BASE), var(END_USER_IP_FALLBACK))?
            .with_tenants(tenants)?
            .with_public_url(var(PUBLIC_URL))?;
        // Keys are secrets in production, plain bindings locally.
        let secret_or_var = |name: &str| {
            env.secret(name)
                .map(|v| v.to_string())
                .ok()
                .or_else(|| var(name))
        };
        config.providers = crate::providers::Providers::from_settings(secret_or_var);
        config.rp_certificate = RpCertificate::from_pem(secret_or_var(BANKID_CLIENT_CERT));
        Ok(config)
    }

    pub fn with_tenants(mut self, tenants: Option<String>) -> Result<Config, ApiError> {
        let json = tenants.ok_or_else(|| ApiError::Config(format!("{TENANTS} is not set")))?;
        self.tenants = Tenants::parse(&json).map_err(|e| ApiError::Config(e.to_string()))?;
        Ok(self)
    }

    /// The result token's issuer setting.
    pub fn with_public_url(mut self, public_url: Option<String>) -> Result<Config, ApiError> {
        let public_url = public_url
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &public_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(ApiError::Config(format!(
                "{PUBLIC_URL} must be an http(s) URL"
            )));
        }
        self.public_url = public_url;
        Ok(self)
    }

    /// `iss` of result tokens: [`PUBLIC_URL`], else the origin the request came to.
    pub fn issuer(&self, request_origin: &str) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| request_origin.trim_end_matches('/').to_owned())
    }
}

/// The signing key's PEM text: a secret in production, a plain binding locally.
fn signing_key_pem(env: &Env) -> Result<String, ApiError> {
    env.secret(RESULT_SIGNING_KEY)
        .or_else(|_| env.var(RESULT_SIGNING_KEY))
        .map(|v| v.to_string())
        .map_err(|_| ApiError::Config(format!("{RESULT_SIGNING_KEY} is not set")))
}

/// The result signing key: a secret in production, a plain binding locally. A missing or unreadable key is a
/// configuration error; its message never holds key material.
pub fn result_signing_key(env: &Env) -> Result<SigningKey, ApiError> {
    let pem = signing_key_pem(env)?;
    SigningKey::from_pkcs8_pem(&pem)
        .map_err(|e| ApiError::Config(format!("{RESULT_SIGNING_KEY}: {e}")))
}

/// The key of order tokens and agent sessions (`legit_core::session`), derived from the result signing key's
/// text so a deployment has one secret to manage, and rotating it ends every session. The text is not parsed
/// as a key here: that costs milliseconds in wasm on every request, and `/healthz` already says whether the
/// key signs.
pub fn session_key(env: &Env) -> Result<SessionKey, ApiError> {
    let pem = signing_key_pem(env)?;
    let pem = pem.trim();
    if !pem.starts_with("-----BEGIN") {
        return Err(ApiError::Config(format!(
            "{RESULT_SIGNING_KEY} is not a PEM key"
        )));
    }
    Ok(SessionKey::derive(pem.as_bytes()))
}

impl Config {
    /// The checks, apart from the runtime so they run in native tests.
    pub fn parse(
        bankid_base: Option<String>,
        end_user_ip_fallback: Option<String>,
    ) -> Result<Config, ApiError> {
        let base =
            bankid_base.ok_or_else(|| ApiError::Config(format!("{BANKID_BASE} is not set")))?;
        let base = base.trim().trim_end_matches('/').to_owned();
        // BankID speaks only mutual TLS; a plain-http base would send nothing useful (and no certificate).
        if !base.starts_with("https://") {
            return Err(ApiError::Config(format!(
                "{BANKID_BASE} must be an https URL"
            )));
        }
        let fallback = end_user_ip_fallback
            .ok_or_else(|| ApiError::Config(format!("{END_USER_IP_FALLBACK} is not set")))?;
        if fallback.parse::<IpAddr>().is_err() {
            return Err(ApiError::Config(format!(
                "{END_USER_IP_FALLBACK} must be an IP address"
            )));
        }
        Ok(Config {
            bankid_base: base,
            end_user_ip_fallback: fallback,
            tenants: Tenants::default(),
            public_url: None,
            providers: crate::providers::Providers::default(),
            rp_certificate: RpCertificate::Unset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rp_certificate_is_read_for_its_expiry_and_a_bad_one_is_reported_not_fatal() {
        assert_eq!(RpCertificate::from_pem(None), RpCertificate::Unset);
        assert_eq!(
            RpCertificate::from_pem(Some(" \n".into())),
            RpCertificate::Unset
        );
        let pem = include_str!("../../core/testdata/utc-time.pem");
        let RpCertificate::NotAfter(secs) = RpCertificate::from_pem(Some(pem.into())) else {
            panic!("a certificate's expiry is read");
        };
        assert_eq!(
            legit_core::links_api::rfc3339_utc(u64::try_from(secs).unwrap() * 1000),
            "2028-12-07T12:34:56Z"
        );
        let RpCertificate::Unreadable(why) = RpCertificate::from_pem(Some("rp.key".into())) else {
            panic!("a file name is not a certificate");
        };
        assert!(
            why.starts_with("BANKID_CLIENT_CERT: not a PEM certificate"),
            "{why}"
        );
    }

    #[test]
    fn base_url_loses_a_trailing_slash() {
        let c = Config::parse(
            Some("https://127.0.0.1:38443/rp/v6.0/".into()),
            Some("127.0.0.1".into()),
        )
        .unwrap();
        assert_eq!(c.bankid_base, "https://127.0.0.1:38443/rp/v6.0");
    }

    #[test]
    fn missing_or_wrong_settings_are_refused() {
        let ip = || Some("127.0.0.1".to_owned());
        assert!(Config::parse(None, ip()).is_err());
        assert!(Config::parse(Some("http://bankid/rp/v6.0".into()), ip()).is_err());
        assert!(Config::parse(Some("https://x/rp/v6.0".into()), None).is_err());
        assert!(Config::parse(Some("https://x/rp/v6.0".into()), Some("localhost".into())).is_err());
    }

    #[test]
    fn issuer_defaults_to_the_request_origin() {
        let base =
            || Config::parse(Some("https://x/rp/v6.0".into()), Some("127.0.0.1".into())).unwrap();
        let c = base().with_public_url(None).unwrap();
        assert_eq!(c.issuer("http://127.0.0.1:8787"), "http://127.0.0.1:8787");
        let c = base()
            .with_public_url(Some("https://id.example.com/".into()))
            .unwrap();
        assert_eq!(c.issuer("http://127.0.0.1:8787"), "https://id.example.com");
        assert!(
            base()
                .with_public_url(Some("id.example.com".into()))
                .is_err()
        );
    }

    #[test]
    fn tenants_are_required_and_checked() {
        let base =
            || Config::parse(Some("https://x/rp/v6.0".into()), Some("127.0.0.1".into())).unwrap();
        assert!(base().with_tenants(None).is_err());
        let err = base()
            .with_tenants(Some(
                r#"{"demo": {"displayName": "D", "allowedOrigins": ["*"]}}"#.into(),
            ))
            .unwrap_err();
        assert!(err.to_string().contains("allowedOrigins"), "{err}");
        let c = base()
            .with_tenants(Some(r#"{"demo": {"displayName": "Demo"}}"#.into()))
            .unwrap();
        assert_eq!(c.tenants.get("demo").unwrap().display_name, "Demo");
    }
}
