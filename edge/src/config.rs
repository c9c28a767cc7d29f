//! The Worker's configuration, read from its bindings once per request (or alarm) into a typed struct, so
//! no handler reads `env.var` itself and a missing setting fails in one place with one message.

use std::net::IpAddr;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// No trailing slash, e.g. `https://appapi2.test.bankid.com/rp/v6.0`.
    pub bankid_base: String,
    pub end_user_ip_fallback: String,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Config, ApiError> {
        let var = |name: &str| env.var(name).ok().map(|v| v.to_string());
        Config::parse(var(BANKID_BASE), var(END_USER_IP_FALLBACK))
    }

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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
