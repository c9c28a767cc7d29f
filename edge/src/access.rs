//! Who is calling, from where, and for which tenant (DESIGN.md §5). Plain functions over header values, so
//! every rule is tested natively; the router feeds them the request's headers.
//!
//! - **Origin**: a browser request from another site must come from an origin some tenant allows, else 403,
//!   before anything else happens. The edge's own pages (`/embed`) are same-origin.
//! - **Caller**: an API key (the tenant's backend, the IVR), an agent session (minted by that backend), or
//!   nobody in particular (a customer in a browser), in which case the tenant comes from the origin or the
//!   `X-Legit-Tenant` header.
//! - **Orders**: following or cancelling an order takes its order token, or an agent session or API key of
//!   the order's tenant.

use legit_core::session::{self, SessionError, SessionKey};
use legit_core::tenant::{Tenant, Tenants};

use crate::error::{ApiError, Credential};

/// Where a request came from, once allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOrigin {
    /// No `Origin` header: a same-origin GET, a navigation, or not a browser.
    Absent,
    /// The edge's own origin (its `/embed` page).
    Own,
    /// Another site that at least one tenant allows; it gets CORS headers.
    Allowed(String),
}

impl RequestOrigin {
    /// The origin to answer CORS headers to.
    pub fn cross_origin(&self) -> Option<&str> {
        match self {
            RequestOrigin::Allowed(o) => Some(o),
            _ => None,
        }
    }
}

/// Refuses any other site's page. `own` is this edge's origin as the request URL gives it.
pub fn check_origin(
    origin: Option<&str>,
    own: &str,
    tenants: &Tenants,
) -> Result<RequestOrigin, ApiError> {
    match origin {
        None => Ok(RequestOrigin::Absent),
        Some(o) if o.eq_ignore_ascii_case(own) => Ok(RequestOrigin::Own),
        Some(o) if tenants.allows_origin(o) => Ok(RequestOrigin::Allowed(o.to_owned())),
        Some(_) => Err(ApiError::OriginNotAllowed),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A person identifying themselves: self-service, a link, a customer-mode widget.
    Customer,
    /// A contact-centre agent's widget, with a session its tenant's backend minted.
    Agent,
    /// The tenant's own backend or IVR, with an API key.
    Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'c> {
    pub tenant: &'c Tenant,
    pub role: Role,
}

impl Caller<'_> {
    /// Agents and backends may act for a person (phone orders, links, look-ups); customers only for
    /// themselves.
    pub fn require_agent(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Agent | Role::Backend => Ok(()),
            Role::Customer => Err(ApiError::AgentOnly),
        }
    }

    /// What only the tenant's own server may say, with its API key: an agent's widget and a page speak for
    /// their browser alone.
    pub fn require_backend(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Backend => Ok(()),
            Role::Agent | Role::Customer => Err(ApiError::ApiKeyOnly),
        }
    }
}

/// What a request carries to say who it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Credentials<'a> {
    /// `Authorization: Bearer <…>`.
    pub bearer: Option<&'a str>,
    /// `X-Legit-Tenant`.
    pub tenant: Option<&'a str>,
}

/// The bearer credential of an `Authorization` header value.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The password of an HTTP Basic `Authorization` header (RFC 7617): the admin page's API key, which a
/// browser asks for and sends itself, so no script of the page ever holds it. The user name is not used.
pub fn basic_password(authorization: Option<&str>) -> Option<String> {
    use base64::Engine as _;
    let (scheme, encoded) = authorization?.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

/// The tenant whose API key the admin page was opened with. Only as a navigation (no `Origin`): a script on
/// another site that rides on the browser's remembered credentials is refused, as for the API.
pub fn admin_tenant<'c>(
    tenants: &'c Tenants,
    origin: &RequestOrigin,
    authorization: Option<&str>,
) -> Result<&'c Tenant, ApiError> {
    api_key_tenant(tenants, origin, basic_password(authorization).as_deref())
}

/// Who is calling.
pub fn caller<'c>(
    tenants: &'c Tenants,
    origin: &RequestOrigin,
    creds: Credentials<'_>,
    key: &SessionKey,
    now_ms: u64,
) -> Result<Caller<'c>, ApiError> {
    let caller = match creds.bearer {
        Some(token) => authenticated(tenants, token, key, now_ms)?,
        None => customer(tenants, origin, creds.tenant)?,
    };
    // The API key is a server's: from a browser it would be anyone's who opened the page.
    if caller.role == Role::Backend && *origin != RequestOrigin::Absent {
        return Err(ApiError::ApiKeyFromBrowser);
    }
    // A credential does not carry its holder to a site its tenant does not allow.
    if let RequestOrigin::Allowed(o) = origin
        && !caller.tenant.allows_origin(o)
    {
        return Err(ApiError::OriginNotAllowed);
    }
    if let Some(named) = creds.tenant
        && named != caller.tenant.id
    {
        return Err(ApiError::UnknownTenant);
    }
    Ok(caller)
}

fn authenticated<'c>(
    tenants: &'c Tenants,
    token: &str,
    key: &SessionKey,
    now_ms: u64,
) -> Result<Caller<'c>, ApiError> {
    if session::is_agent_session(token) {
        let s = key
            .verify_agent_session(token, now_ms)
            .map_err(|e| match e {
                SessionError::Expired => ApiError::Unauthenticated(Credential::SessionExpired),
                SessionError::Invalid => ApiError::Unauthenticated(Credential::InvalidSession),
            })?;
        let tenant = tenants
            .get(&s.tenant)
            .ok_or(ApiError::Unauthenticated(Credential::InvalidSession))?;
        // Withdrawn by the tenant's configuration: for the agent it is over, as if it had expired.
        if !tenant.takes_session(&s) {
            return Err(ApiError::Unauthenticated(Credential::SessionExpired));
        }
        return Ok(Caller {
            tenant,
            role: Role::Agent,
        });
    }
    let tenant = tenants
        .for_api_key(token)
        .ok_or(ApiError::Unauthenticated(Credential::InvalidApiKey))?;
    Ok(Caller {
        tenant,
        role: Role::Backend,
    })
}

fn customer<'c>(
    tenants: &'c Tenants,
    origin: &RequestOrigin,
    named: Option<&str>,
) -> Result<Caller<'c>, ApiError> {
    let tenant = match (origin, named) {
        (_, Some(id)) => tenants.get(id).ok_or(ApiError::UnknownTenant)?,
        (RequestOrigin::Allowed(o), None) => {
            let mut owners = tenants.iter().filter(|t| t.allows_origin(o));
            match (owners.next(), owners.next()) {
                (Some(only), None) => only,
                // Several tenants share this site: it must say which.
                _ => return Err(ApiError::TenantRequired),
            }
        }
        (_, None) => return Err(ApiError::TenantRequired),
    };
    Ok(Caller {
        tenant,
        role: Role::Customer,
    })
}

/// The tenant whose API key calls the IVR API. The key is a server's credential: a request from a browser
/// (it carries `Origin`) or with an agent session is refused, whatever it holds.
pub fn api_key_tenant<'c>(
    tenants: &'c Tenants,
    origin: &RequestOrigin,
    bearer: Option<&str>,
) -> Result<&'c Tenant, ApiError> {
    if *origin != RequestOrigin::Absent {
        return Err(ApiError::ApiKeyOnly);
    }
    let token = bearer.ok_or(ApiError::Unauthenticated(Credential::Missing))?;
    if session::is_agent_session(token) {
        return Err(ApiError::ApiKeyOnly);
    }
    tenants
        .for_api_key(token)
        .ok_or(ApiError::Unauthenticated(Credential::InvalidApiKey))
}

/// How a caller may see an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAccess {
    /// The order's own token: whoever started it.
    Token,
    /// An agent or backend of this tenant: the order object checks the order is that tenant's.
    Tenant(String),
}

/// Checks the credential for following or cancelling `order_id`: its order token (header or `?token=`, since
/// `EventSource` cannot send headers), or an agent session or API key.
pub fn order_access(
    tenants: &Tenants,
    origin: &RequestOrigin,
    credential: Option<&str>,
    order_id: &str,
    key: &SessionKey,
    now_ms: u64,
) -> Result<OrderAccess, ApiError> {
    let token = credential.ok_or(ApiError::Unauthenticated(Credential::Missing))?;
    if key.verifies_order_token(order_id, token) {
        return Ok(OrderAccess::Token);
    }
    if session::is_agent_session(token) || tenants.for_api_key(token).is_some() {
        let who = caller(
            tenants,
            origin,
            Credentials {
                bearer: Some(token),
                tenant: None,
            },
            key,
            now_ms,
        )?;
        who.require_agent()?;
        return Ok(OrderAccess::Tenant(who.tenant.id.clone()));
    }
    Err(ApiError::Unauthenticated(Credential::InvalidOrderToken))
}

#[cfg(test)]
mod tests {
    use super::*;
    use legit_core::session::AgentSession;
    use legit_core::tenant::api_key_hash;

    const OWN: &str = "https://id.legit.example";
    const KEY_A: &str = "acme-backend-key-0123456789abcdef012345678";
    const KEY_B: &str = "bank-backend-key-0123456789abcdef012345678";
    const ORDER: &str = "0123456789abcdef0123456789abcdef";

    fn tenants() -> Tenants {
        Tenants::parse(&format!(
            r#"{{
            "acme": {{"displayName": "Acme", "allowedOrigins": ["https://crm.acme.se", "https://shared.example"],
                      "apiKeyHashes": ["{}"]}},
            "bank": {{"displayName": "Bank", "allowedOrigins": ["https://shared.example"],
                      "apiKeyHashes": ["{}"]}}
        }}"#,
            api_key_hash(KEY_A),
            api_key_hash(KEY_B)
        ))
        .unwrap()
    }

    fn key() -> SessionKey {
        SessionKey::derive(b"test")
    }

    fn session(tenant: &str, expires_ms: u64) -> String {
        key().agent_session(&AgentSession {
            tenant: tenant.into(),
            expires_ms,
        })
    }

    fn allowed(o: &str) -> RequestOrigin {
        RequestOrigin::Allowed(o.into())
    }

    fn who(
        origin: &RequestOrigin,
        bearer: Option<&str>,
        tenant: Option<&str>,
    ) -> Result<(String, Role), String> {
        let t = tenants();
        caller(&t, origin, Credentials { bearer, tenant }, &key(), 1_000)
            .map(|c| (c.tenant.id.clone(), c.role))
            .map_err(|e| e.code().to_owned())
    }

    #[test]
    fn only_allowed_origins_pass() {
        let t = tenants();
        assert_eq!(check_origin(None, OWN, &t).unwrap(), RequestOrigin::Absent);
        assert_eq!(
            check_origin(Some(OWN), OWN, &t).unwrap(),
            RequestOrigin::Own
        );
        assert_eq!(
            check_origin(Some("https://crm.acme.se"), OWN, &t).unwrap(),
            allowed("https://crm.acme.se")
        );
        for refused in [
            "https://evil.example",
            "null",
            "https://crm.acme.se.evil.example",
        ] {
            assert_eq!(
                check_origin(Some(refused), OWN, &t).unwrap_err().code(),
                "origin_not_allowed"
            );
        }
    }

    #[test]
    fn a_customer_gets_the_tenant_of_the_site_or_the_header() {
        assert_eq!(
            who(&allowed("https://crm.acme.se"), None, None),
            Ok(("acme".into(), Role::Customer))
        );
        assert_eq!(
            who(&RequestOrigin::Own, None, Some("bank")),
            Ok(("bank".into(), Role::Customer))
        );
        assert_eq!(
            who(&RequestOrigin::Own, None, None),
            Err("tenant_required".into())
        );
        assert_eq!(
            who(&allowed("https://shared.example"), None, None),
            Err("tenant_required".into())
        );
        assert_eq!(
            who(&allowed("https://shared.example"), None, Some("bank")),
            Ok(("bank".into(), Role::Customer))
        );
        // A site may not borrow another tenant by naming it.
        assert_eq!(
            who(&allowed("https://crm.acme.se"), None, Some("bank")),
            Err("origin_not_allowed".into())
        );
        assert_eq!(
            who(&RequestOrigin::Own, None, Some("nobody")),
            Err("unknown_tenant".into())
        );
    }

    #[test]
    fn a_tenant_withdraws_the_sessions_it_issued_until_a_moment() {
        let t = Tenants::parse(
            r#"{"acme": {"displayName": "Acme", "sessionsIssuedAfter": "2026-12-08T09:00:00Z"}}"#,
        )
        .unwrap();
        let cutoff = 1_796_720_400_000; // 2026-12-08T09:00:00Z
        let ttl = legit_core::session::AGENT_SESSION_TTL_MS;
        let who = |issued_ms: u64| {
            let token = key().agent_session(&AgentSession {
                tenant: "acme".into(),
                expires_ms: issued_ms + ttl,
            });
            let creds = Credentials {
                bearer: Some(&token),
                tenant: None,
            };
            caller(&t, &RequestOrigin::Absent, creds, &key(), cutoff + 1_000)
                .map(|c| c.role)
                .map_err(|e| e.code().to_owned())
        };
        assert_eq!(who(cutoff - 3_600_000), Err("session_expired".into()));
        assert_eq!(who(cutoff + 500), Ok(Role::Agent));
    }

    #[test]
    fn keys_and_sessions_name_their_tenant() {
        assert_eq!(
            who(&RequestOrigin::Absent, Some(KEY_B), None),
            Ok(("bank".into(), Role::Backend))
        );
        let s = session("acme", 5_000);
        assert_eq!(
            who(&allowed("https://crm.acme.se"), Some(&s), None),
            Ok(("acme".into(), Role::Agent))
        );
        assert_eq!(
            who(&RequestOrigin::Own, Some(&s), Some("bank")),
            Err("unknown_tenant".into())
        );
        assert_eq!(
            who(&RequestOrigin::Absent, Some("acme-backend-key-wrong"), None),
            Err("invalid_api_key".into())
        );
        assert_eq!(
            who(&RequestOrigin::Absent, Some(&session("acme", 1_000)), None),
            Err("session_expired".into())
        );
        assert_eq!(
            who(&RequestOrigin::Absent, Some(&session("gone", 5_000)), None),
            Err("invalid_session".into())
        );
        // A key is a server's: from any page it is refused, even one its own tenant allows.
        assert_eq!(
            who(&allowed("https://crm.acme.se"), Some(KEY_B), None),
            Err("api_key_in_browser".into())
        );
        assert_eq!(
            who(&RequestOrigin::Own, Some(KEY_B), None),
            Err("api_key_in_browser".into())
        );
        // Bank's agent session used from a page only acme allows.
        assert_eq!(
            who(
                &allowed("https://crm.acme.se"),
                Some(&session("bank", 5_000)),
                None
            ),
            Err("origin_not_allowed".into())
        );
    }

    #[test]
    fn customers_may_not_act_for_others() {
        let t = tenants();
        let c = caller(
            &t,
            &RequestOrigin::Own,
            Credentials {
                bearer: None,
                tenant: Some("acme"),
            },
            &key(),
            0,
        )
        .unwrap();
        assert_eq!(c.require_agent().unwrap_err().code(), "agents_only");
    }

    #[test]
    fn the_ivr_api_takes_only_an_api_key_from_a_server() {
        let t = tenants();
        let ivr = |origin: &RequestOrigin, bearer: Option<&str>| {
            api_key_tenant(&t, origin, bearer)
                .map(|tenant| tenant.id.clone())
                .map_err(|e| e.code().to_owned())
        };
        assert_eq!(ivr(&RequestOrigin::Absent, Some(KEY_B)), Ok("bank".into()));
        assert_eq!(
            ivr(&RequestOrigin::Absent, Some("bank-backend-key-wrong")),
            Err("invalid_api_key".into())
        );
        assert_eq!(
            ivr(&RequestOrigin::Absent, None),
            Err("missing_credentials".into())
        );
        assert_eq!(
            ivr(&RequestOrigin::Absent, Some(&session("acme", 5_000))),
            Err("api_key_required".into())
        );
        assert_eq!(
            ivr(&allowed("https://crm.acme.se"), Some(KEY_A)),
            Err("api_key_required".into())
        );
        assert_eq!(
            ivr(&RequestOrigin::Own, Some(KEY_A)),
            Err("api_key_required".into())
        );
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn an_order_opens_to_its_token_or_its_tenants_agents() {
        let t = tenants();
        let access = |cred: Option<&str>| {
            order_access(&t, &RequestOrigin::Absent, cred, ORDER, &key(), 1_000)
                .map_err(|e| e.code().to_owned())
        };
        assert_eq!(
            access(Some(&key().order_token(ORDER))),
            Ok(OrderAccess::Token)
        );
        assert_eq!(
            access(Some(&key().order_token("ffffffffffffffffffffffffffffffff"))),
            Err("invalid_order_token".into())
        );
        assert_eq!(access(None), Err("missing_credentials".into()));
        assert_eq!(
            access(Some(&session("acme", 5_000))),
            Ok(OrderAccess::Tenant("acme".into()))
        );
        assert_eq!(access(Some(KEY_A)), Ok(OrderAccess::Tenant("acme".into())));
        assert_eq!(access(Some("short")), Err("invalid_order_token".into()));
    }

    #[test]
    fn the_admin_page_takes_the_api_key_as_a_basic_password() {
        use base64::Engine as _;
        let basic = |s: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(s)
            )
        };
        assert_eq!(
            basic_password(Some(&basic("admin:k3y:with:colons"))).as_deref(),
            Some("k3y:with:colons")
        );
        assert_eq!(basic_password(Some(&basic(":k3y"))).as_deref(), Some("k3y"));
        assert_eq!(basic_password(Some(&basic("admin:"))), None);
        assert_eq!(basic_password(Some(&basic("no colon"))), None);
        assert_eq!(basic_password(Some("Bearer k3y")), None);
        assert_eq!(basic_password(Some("Basic !!!")), None);
        assert_eq!(basic_password(None), None);
    }
}
