//! Rate limits (DESIGN.md §5), each answered with 429 `rate_limited` and `Retry-After`:
//! - links: sending per tenant and per destination (SMS pumping: many messages to premium numbers), starting
//!   per caller IP. Sending is not counted per IP: it takes an agent or the backend, and a contact centre's
//!   agents share one public address.
//! - orders: every new BankID order per tenant, whoever starts it (all tenants share one RP certificate and
//!   its standing with BankID), and a page's starts, which need no credential, per caller IP.
//!
//! The counting is Cloudflare's rate-limit binding (`[[ratelimits]]` in wrangler.toml, Miniflare's
//! `ratelimits` locally, read from the same file by `edge/local/run.mjs`), so the limits themselves are
//! configuration: one binding per scope, each with its `limit` per `period`. This module decides which
//! keys a request counts against and what a refusal says; [`enforce`] asks the bindings.
//!
//! Keys never carry personal data: the destination is hashed (with the tenant, so two tenants' counts stay
//! apart) before it leaves the Worker.

use std::net::IpAddr;

use legit_core::links_api::Destination;
use sha2::{Digest as _, Sha256};
use worker::Env;

use crate::error::ApiError;

/// Binding: links sent per tenant.
pub const LINKS_PER_TENANT: &str = "LINKS_PER_TENANT";
/// Binding: links sent per destination number or address.
pub const LINKS_PER_DESTINATION: &str = "LINKS_PER_DESTINATION";
/// Binding: links started per caller IP (the customer's side).
pub const LINKS_PER_IP: &str = "LINKS_PER_IP";
/// Binding: BankID orders started per tenant.
pub const ORDERS_PER_TENANT: &str = "ORDERS_PER_TENANT";
/// Binding: orders started by pages (no credential) per caller IP.
pub const ORDERS_PER_IP: &str = "ORDERS_PER_IP";
/// The `period` of every binding above. Cloudflare allows 10 or 60 s; a refused caller may try again
/// after at most one period.
pub const PERIOD_SECS: u32 = 60;

/// One count to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub binding: &'static str,
    /// What a refusal names (`tenant`, `destination`, `ip`).
    pub scope: &'static str,
    pub key: String,
}

/// The counts of `POST /api/v1/links`: the destination, then the tenant. Destination first: it is the
/// narrowest, so a pumping attempt is refused before it eats the tenant's allowance.
pub fn for_create(tenant: &str, destination: &Destination) -> Vec<Check> {
    let digest = Sha256::digest(format!("{tenant}\0{}", destination.rate_limit_key()));
    vec![
        Check {
            binding: LINKS_PER_DESTINATION,
            scope: "destination",
            key: format!("d:{}", hex(&digest[..16])),
        },
        per_tenant(LINKS_PER_TENANT, tenant),
    ]
}

/// The count of `POST /v/{token}/start`: the caller's address (each start is a BankID order).
pub fn for_start(ip: &str) -> Vec<Check> {
    vec![per_ip(LINKS_PER_IP, ip)]
}

/// The count of a page's `POST /api/v1/orders`: its address.
pub fn orders_from(ip: &str) -> Vec<Check> {
    vec![per_ip(ORDERS_PER_IP, ip)]
}

/// The count of every new order of `tenant`.
pub fn orders_of(tenant: &str) -> Vec<Check> {
    vec![per_tenant(ORDERS_PER_TENANT, tenant)]
}

fn per_ip(binding: &'static str, ip: &str) -> Check {
    Check {
        binding,
        scope: "ip",
        key: format!("ip:{}", address_key(ip)),
    }
}

/// The part of a caller's address that names one subscriber: an IPv4 address whole, an IPv6 address by its
/// /64, which a single home or server is given whole and could otherwise walk through for a fresh count
/// on every request. An IPv4-mapped address is its IPv4 one; text that is no address stays as it is.
fn address_key(ip: &str) -> String {
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.to_owned(),
    }
}

fn per_tenant(binding: &'static str, tenant: &str) -> Check {
    Check {
        binding,
        scope: "tenant",
        key: format!("t:{tenant}"),
    }
}

/// What the binding's answer means for the request.
pub fn verdict(check: &Check, allowed: bool) -> Result<(), ApiError> {
    if allowed {
        Ok(())
    } else {
        Err(ApiError::RateLimited {
            scope: check.scope,
            retry_after_secs: PERIOD_SECS,
        })
    }
}

/// Counts every check; the first refusal answers. A deployment without a binding does not limit that
/// scope (and `/healthz` says so).
pub async fn enforce(env: &Env, checks: &[Check]) -> Result<(), ApiError> {
    for check in checks {
        let Ok(limiter) = env.rate_limiter(check.binding) else {
            continue;
        };
        let outcome = limiter.limit(check.key.clone()).await?;
        verdict(check, outcome.success)?;
    }
    Ok(())
}

/// Which of the bindings exist, for `/healthz`.
pub fn configured(env: &Env) -> bool {
    [
        LINKS_PER_TENANT,
        LINKS_PER_DESTINATION,
        LINKS_PER_IP,
        ORDERS_PER_TENANT,
        ORDERS_PER_IP,
    ]
    .iter()
    .all(|b| env.rate_limiter(b).is_ok())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use legit_core::PhoneNumber;
    use legit_core::email::Email;

    #[test]
    fn a_sent_link_counts_against_its_destination_and_tenant_not_the_agents_address() {
        let to = Destination::Sms(PhoneNumber::parse("070-123 45 67").unwrap());
        let checks = for_create("demo", &to);
        let scopes: Vec<_> = checks.iter().map(|c| (c.binding, c.scope)).collect();
        assert_eq!(
            scopes,
            [
                (LINKS_PER_DESTINATION, "destination"),
                (LINKS_PER_TENANT, "tenant"),
            ]
        );
        assert_eq!(checks[1].key, "t:demo");
        assert_eq!(for_start("192.0.2.7")[0].key, "ip:192.0.2.7");
        // The same number typed another way is the same key; no digit of it is in the key.
        let same = Destination::Sms(PhoneNumber::parse("+46701234567").unwrap());
        assert_eq!(for_create("demo", &same)[0], checks[0]);
        assert!(!checks[0].key.contains("701234567"), "{}", checks[0].key);
        // Another tenant counts apart.
        assert_ne!(for_create("other", &to)[0].key, checks[0].key);
        let mail = Destination::Email(Email::parse("anna@example.com").unwrap());
        assert!(!for_create("demo", &mail)[0].key.contains("anna"));
    }

    #[test]
    fn orders_count_against_the_pages_address_and_the_tenant_apart() {
        let from = &orders_from("192.0.2.7")[0];
        assert_eq!((from.binding, from.scope), (ORDERS_PER_IP, "ip"));
        assert_eq!(from.key, "ip:192.0.2.7");
        let of = &orders_of("demo")[0];
        assert_eq!((of.binding, of.scope), (ORDERS_PER_TENANT, "tenant"));
        assert_ne!(of.key, orders_of("other")[0].key);
        // One IPv6 subscriber is one /64: walking through its addresses gives no fresh count.
        assert_eq!(
            orders_from("2001:db8:1:2:aaaa::1")[0].key,
            orders_from("2001:0db8:0001:0002:ffff:1:2:3")[0].key
        );
        assert_eq!(
            orders_from("2001:db8:1:2::9")[0].key,
            "ip:2001:db8:1:2::/64"
        );
        assert_ne!(
            orders_from("2001:db8:1:2::1")[0].key,
            orders_from("2001:db8:1:3::1")[0].key
        );
        assert_eq!(orders_from("::ffff:192.0.2.7")[0].key, from.key);
        // Separate bindings: a page's starts do not eat the links' allowance for the same address.
        assert_ne!(from.binding, for_start("192.0.2.7")[0].binding);
    }

    #[test]
    fn a_refusal_is_a_429_naming_its_scope_with_retry_after() {
        let check = &for_start("192.0.2.7")[0];
        assert!(verdict(check, true).is_ok());
        let e = verdict(check, false).unwrap_err();
        assert_eq!((e.status(), e.code()), (429, "rate_limited"));
        assert!(matches!(
            e,
            ApiError::RateLimited {
                scope: "ip",
                retry_after_secs: 60
            }
        ));
    }
}
