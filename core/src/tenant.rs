//! Tenants (DESIGN.md §5): who may use the edge, from where, and what they are told.
//!
//! The edge reads one JSON document (the `TENANTS` var) into [`Tenants`] once per isolate. Parsing is strict:
//! an unknown field, a malformed origin or key hash fails the whole document with a message that names the
//! tenant and the field, because a typo in an allow-list must not silently open or close the door.
//!
//! ```json
//! { "demo": { "displayName": "Demo Bank", "locale": "sv",
//!             "allowedOrigins": ["https://crm.example.com"],
//!             "apiKeyHashes": ["sha256:<64 hex>"],
//!             "disclosure": { "personalNumber": "masked", "names": true },
//!             "retentionSeconds": 600, "linkTtlSeconds": 900,
//!             "smsSender": "DemoBank", "emailFrom": "noreply@demo.example",
//!             "sessionsIssuedAfter": "2026-12-08T09:00:00Z" } }
//! ```
//!
//! `sessionsIssuedAfter` withdraws every agent session of the tenant issued until then (one that leaked, an
//! agent who left) without touching any other tenant's or the edge's keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::Lang;
use crate::api::EventUser;
use crate::date::Date;
use crate::email::Email;
use crate::link::constant_time_eq;
use crate::personal_number::PersonalNumber;
use crate::provider::SenderId;
use crate::session::AgentSession;

/// How long a result is kept when the tenant does not say (DESIGN.md §5).
pub const DEFAULT_RETENTION_SECS: u64 = 600;
/// Shorter than a viewer's reconnect plus a look-up would be useless; longer than a day is storage of
/// personal data nobody asked for.
pub const RETENTION_SECS_RANGE: std::ops::RangeInclusive<u64> = 60..=86_400;
/// How long a verification link may be opened: from seconds (end-to-end tests of expiry) to a day. The
/// default is [`crate::link::DEFAULT_LINK_TTL_MS`].
pub const LINK_TTL_SECS_RANGE: std::ops::RangeInclusive<u64> = 5..=86_400;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant configuration: {0}")]
pub struct TenantError(pub String);

/// What of the identity leaves the edge (events, result token, look-ups, IVR answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PersonalNumberDisclosure {
    #[default]
    Full,
    /// `YYMMDD-XXXX`: enough for the agent to compare with what the caller says.
    Masked,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Disclosure {
    #[serde(default)]
    pub personal_number: PersonalNumberDisclosure,
    #[serde(default = "yes")]
    pub names: bool,
}

fn yes() -> bool {
    true
}

impl Default for Disclosure {
    fn default() -> Self {
        Disclosure {
            personal_number: PersonalNumberDisclosure::Full,
            names: true,
        }
    }
}

impl Disclosure {
    /// The user as this policy lets them out. `today` decides the masked form's `-`/`+` (centenarians).
    pub fn apply(&self, user: &EventUser, today: Date) -> EventUser {
        let personal_number = match self.personal_number {
            PersonalNumberDisclosure::Full => user.personal_number.clone(),
            PersonalNumberDisclosure::Masked => user
                .personal_number
                .as_deref()
                .and_then(|p| PersonalNumber::parse_api(p).ok())
                .map(|p| p.masked(today)),
            PersonalNumberDisclosure::None => None,
        };
        let names = |v: &Option<String>| if self.names { v.clone() } else { None };
        EventUser {
            personal_number,
            name: names(&user.name),
            given_name: names(&user.given_name),
            surname: names(&user.surname),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTenant {
    display_name: String,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    #[serde(default)]
    api_key_hashes: Vec<String>,
    #[serde(default)]
    disclosure: Disclosure,
    #[serde(default)]
    retention_seconds: Option<u64>,
    #[serde(default)]
    link_ttl_seconds: Option<u64>,
    #[serde(default)]
    sms_sender: Option<String>,
    #[serde(default)]
    email_from: Option<String>,
    #[serde(default)]
    sessions_issued_after: Option<String>,
}

/// One tenant, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: String,
    pub display_name: String,
    pub locale: Lang,
    /// Serialised origins (`https://crm.example.com`, `http://127.0.0.1:8790`), lower-case, no path.
    pub allowed_origins: Vec<String>,
    /// SHA-256 of each API key, 32 bytes each.
    api_key_hashes: Vec<[u8; 32]>,
    pub disclosure: Disclosure,
    pub retention_secs: u64,
    /// How long a link this tenant's agents send can be opened (`linkTtlSeconds`).
    pub link_ttl_secs: u64,
    /// Who this tenant's text messages come from (`smsSender`); the deployment's `SMS_SENDER` when unset.
    pub sms_sender: Option<SenderId>,
    /// The address this tenant's e-mails come from (`emailFrom`), on a domain the e-mail provider has verified
    /// for it; the deployment's `EMAIL_FROM` when unset.
    pub email_from: Option<Email>,
    /// Unix ms (`sessionsIssuedAfter`): agent sessions issued until then are no longer taken.
    pub sessions_issued_after_ms: Option<u64>,
}

impl Tenant {
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }

    /// Whether `key` is one of this tenant's API keys. Compares hashes in constant time, all of them.
    pub fn accepts_api_key(&self, key: &str) -> bool {
        let hash = api_key_digest(key);
        self.api_key_hashes
            .iter()
            .fold(false, |found, h| found | constant_time_eq(h, &hash))
    }

    /// Whether an agent session of this tenant is still taken: issued after `sessionsIssuedAfter`, if set.
    pub fn takes_session(&self, session: &AgentSession) -> bool {
        self.sessions_issued_after_ms
            .is_none_or(|after| session.issued_ms() > after)
    }

    /// `frame-ancestors` sources: the tenant's origins, or `'none'` when it allows none.
    pub fn frame_ancestors(&self) -> String {
        if self.allowed_origins.is_empty() {
            "'none'".to_owned()
        } else {
            self.allowed_origins.join(" ")
        }
    }
}

/// Every tenant, by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tenants {
    by_id: BTreeMap<String, Tenant>,
}

impl Tenants {
    pub fn parse(json: &str) -> Result<Tenants, TenantError> {
        let raw: BTreeMap<String, RawTenant> = serde_json::from_str(json)
            .map_err(|e| TenantError(format!("not a valid TENANTS document: {e}")))?;
        if raw.is_empty() {
            return Err(TenantError("no tenant is configured".into()));
        }
        let mut by_id = BTreeMap::new();
        for (id, raw) in raw {
            let tenant = check(&id, raw)?;
            by_id.insert(id, tenant);
        }
        Ok(Tenants { by_id })
    }

    pub fn get(&self, id: &str) -> Option<&Tenant> {
        self.by_id.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tenant> {
        self.by_id.values()
    }

    /// The tenants that allow `origin` (normally one; several tenants may share a CRM).
    pub fn for_origin<'a>(&'a self, origin: &'a str) -> impl Iterator<Item = &'a Tenant> + 'a {
        self.iter().filter(move |t| t.allows_origin(origin))
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        self.for_origin(origin).next().is_some()
    }

    /// The tenant owning this API key. Every tenant's every hash is compared, so the time taken does not
    /// tell which tenant (or whether any) matched.
    pub fn for_api_key(&self, key: &str) -> Option<&Tenant> {
        let mut found = None;
        for tenant in self.iter() {
            if tenant.accepts_api_key(key) && found.is_none() {
                found = Some(tenant);
            }
        }
        found
    }
}

fn check(id: &str, raw: RawTenant) -> Result<Tenant, TenantError> {
    let bad = |what: String| TenantError(format!("tenant {id:?}: {what}"));
    if !is_tenant_id(id) {
        return Err(bad(
            "the id must be 1 to 32 characters of a-z, 0-9 and '-'".into()
        ));
    }
    let display_name = raw.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 64 {
        return Err(bad("displayName must be 1 to 64 characters".into()));
    }
    let locale = match raw.locale.as_deref() {
        None | Some("sv") => Lang::Sv,
        Some("en") => Lang::En,
        Some("nb") => Lang::Nb,
        Some(other) => return Err(bad(format!("locale {other:?} is not sv, en or nb"))),
    };
    let mut allowed_origins = Vec::new();
    for origin in &raw.allowed_origins {
        let normal = normalise_origin(origin)
            .ok_or_else(|| bad(format!("allowedOrigins: {origin:?} is not an origin like https://crm.example.com (scheme and host, optional port, no path, no wildcard)")))?;
        if !allowed_origins.contains(&normal) {
            allowed_origins.push(normal);
        }
    }
    let mut api_key_hashes = Vec::new();
    for hash in &raw.api_key_hashes {
        let digest = parse_key_hash(hash).ok_or_else(|| {
            bad(format!(
                "apiKeyHashes: {hash:?} is not \"sha256:\" followed by 64 hex digits"
            ))
        })?;
        api_key_hashes.push(digest);
    }
    let retention_secs = raw.retention_seconds.unwrap_or(DEFAULT_RETENTION_SECS);
    if !RETENTION_SECS_RANGE.contains(&retention_secs) {
        return Err(bad(format!(
            "retentionSeconds must be between {} and {}",
            RETENTION_SECS_RANGE.start(),
            RETENTION_SECS_RANGE.end()
        )));
    }
    let link_ttl_secs = raw
        .link_ttl_seconds
        .unwrap_or(crate::link::DEFAULT_LINK_TTL_MS / 1_000);
    if !LINK_TTL_SECS_RANGE.contains(&link_ttl_secs) {
        return Err(bad(format!(
            "linkTtlSeconds must be between {} and {}",
            LINK_TTL_SECS_RANGE.start(),
            LINK_TTL_SECS_RANGE.end()
        )));
    }
    // A customer must recognise who is asking them to identify themselves: the sender is part of that, so a
    // bad one fails the configuration rather than falling back to the deployment's.
    let sms_sender = raw
        .sms_sender
        .as_deref()
        .map(SenderId::parse)
        .transpose()
        .map_err(|e| bad(format!("smsSender: {e}")))?;
    let email_from = raw
        .email_from
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| bad(format!("emailFrom: {e}")))?;
    let sessions_issued_after_ms = raw
        .sessions_issued_after
        .as_deref()
        .map(|t| {
            crate::date::parse_utc_ms(t.trim(), false).ok_or_else(|| {
                bad(format!(
                    "sessionsIssuedAfter: {t:?} is not a UTC time like 2026-12-08T09:00:00Z"
                ))
            })
        })
        .transpose()?;
    Ok(Tenant {
        id: id.to_owned(),
        display_name,
        locale,
        allowed_origins,
        api_key_hashes,
        disclosure: raw.disclosure,
        retention_secs,
        link_ttl_secs,
        sms_sender,
        email_from,
        sessions_issued_after_ms,
    })
}

/// Tenant ids travel in headers, URLs and token audiences: keep them plain.
pub fn is_tenant_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `scheme://host[:port]` as browsers serialise it in the `Origin` header, or `None`.
pub fn normalise_origin(origin: &str) -> Option<String> {
    let lower = origin.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        let (addr, after) = inner.split_once(']')?;
        (&rest[..addr.len() + 2], after)
    } else {
        match rest.split_once(':') {
            Some((host, _)) => (host, &rest[host.len()..]),
            None => (rest, ""),
        }
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        None => return None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    if !host_ok {
        return None;
    }
    let default_port = if scheme == "https" { 443 } else { 80 };
    Some(match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// A new API key from 32 random bytes: 64 lowercase hex digits, 256 bits, so that a stolen hash list
/// cannot be searched for the keys behind it. The caller draws the bytes; core has no randomness.
pub fn api_key_from_random(bytes: [u8; 32]) -> String {
    hex::encode(bytes)
}

/// The value to put in `apiKeyHashes` for an API key: `sha256:<hex>`.
pub fn api_key_hash(key: &str) -> String {
    format!("sha256:{}", hex::encode(api_key_digest(key)))
}

fn api_key_digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn parse_key_hash(text: &str) -> Option<[u8; 32]> {
    let hex_part = text.strip_prefix("sha256:")?;
    let bytes = hex::decode(hex_part).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "legit-test-key-0123456789abcdef0123456789";

    fn doc(extra: &str) -> String {
        format!(
            r#"{{"acme": {{"displayName": "Acme Försäkring", "allowedOrigins": ["https://CRM.acme.se:443", "http://127.0.0.1:8790"],
                 "apiKeyHashes": ["{}"]{extra}}}}}"#,
            api_key_hash(KEY)
        )
    }

    #[test]
    fn a_new_key_is_accepted_through_its_hash_line_and_no_other_key_is() {
        let key = api_key_from_random([0xa5; 32]);
        assert_eq!(key.len(), 64);
        let doc = format!(
            r#"{{"acme": {{"displayName": "Acme", "allowedOrigins": ["https://crm.acme.se"], "apiKeyHashes": ["{}"]}}}}"#,
            api_key_hash(&key)
        );
        let tenants = Tenants::parse(&doc).unwrap();
        let acme = tenants.get("acme").unwrap();
        assert!(acme.accepts_api_key(&key));
        assert!(!acme.accepts_api_key(&api_key_from_random([0xa4; 32])));
        assert!(!acme.accepts_api_key(&api_key_hash(&key)));
    }

    fn user() -> EventUser {
        EventUser {
            personal_number: Some("198112289874".into()),
            name: Some("Åsa Ørnulf".into()),
            given_name: Some("Åsa".into()),
            surname: Some("Ørnulf".into()),
        }
    }

    #[test]
    fn a_tenant_is_read_with_its_defaults() {
        let tenants = Tenants::parse(&doc("")).unwrap();
        let t = tenants.get("acme").unwrap();
        assert_eq!(t.display_name, "Acme Försäkring");
        assert_eq!(t.locale, Lang::Sv);
        assert_eq!(
            t.allowed_origins,
            ["https://crm.acme.se", "http://127.0.0.1:8790"]
        );
        assert_eq!(t.retention_secs, DEFAULT_RETENTION_SECS);
        assert_eq!(t.link_ttl_secs, 900);
        assert_eq!(t.disclosure, Disclosure::default());
        assert_eq!((&t.sms_sender, &t.email_from), (&None, &None));
        assert_eq!(
            t.frame_ancestors(),
            "https://crm.acme.se http://127.0.0.1:8790"
        );
    }

    #[test]
    fn a_tenant_may_send_links_as_itself() {
        let tenants = Tenants::parse(&doc(
            r#", "smsSender": " AcmeBank ", "emailFrom": "Kund@Acme.se""#,
        ))
        .unwrap();
        let t = tenants.get("acme").unwrap();
        assert_eq!(
            t.sms_sender.as_ref().map(SenderId::as_str),
            Some("AcmeBank")
        );
        assert_eq!(
            t.email_from.as_ref().map(Email::as_str),
            Some("Kund@acme.se")
        );
        let number = Tenants::parse(&doc(r#", "smsSender": "+46 70-123 45 67""#)).unwrap();
        assert_eq!(
            number
                .get("acme")
                .unwrap()
                .sms_sender
                .as_ref()
                .map(SenderId::as_str),
            Some("+46701234567")
        );
    }

    #[test]
    fn sessions_issued_until_a_moment_are_withdrawn_and_later_ones_taken() {
        let tenants =
            Tenants::parse(&doc(r#", "sessionsIssuedAfter": "2026-12-08T09:00:00Z""#)).unwrap();
        let t = tenants.get("acme").unwrap();
        let cutoff = 1_796_720_400_000; // 2026-12-08T09:00:00Z
        assert_eq!(t.sessions_issued_after_ms, Some(cutoff));
        let issued_at = |ms: u64| AgentSession {
            tenant: "acme".into(),
            expires_ms: ms + crate::session::AGENT_SESSION_TTL_MS,
        };
        assert!(!t.takes_session(&issued_at(cutoff - 60_000)), "before");
        assert!(!t.takes_session(&issued_at(cutoff)), "at the moment itself");
        assert!(t.takes_session(&issued_at(cutoff + 1)), "after");
        let unset = Tenants::parse(&doc("")).unwrap();
        assert!(unset.get("acme").unwrap().takes_session(&issued_at(0)));
        let err = Tenants::parse(&doc(r#", "sessionsIssuedAfter": "yesterday""#)).unwrap_err();
        assert!(err.to_string().contains("sessionsIssuedAfter"), "{err}");
    }

    #[test]
    fn origins_match_exactly_after_normalising() {
        let tenants = Tenants::parse(&doc("")).unwrap();
        assert!(tenants.allows_origin("https://crm.acme.se"));
        assert!(tenants.allows_origin("http://127.0.0.1:8790"));
        for other in [
            "https://crm.acme.se.evil.com",
            "http://crm.acme.se",
            "https://crm.acme.se:8443",
            "http://127.0.0.1:8791",
            "null",
            "",
        ] {
            assert!(!tenants.allows_origin(other), "{other}");
        }
    }

    #[test]
    fn api_keys_are_recognised_by_hash_only() {
        let tenants = Tenants::parse(&doc("")).unwrap();
        assert_eq!(
            tenants.for_api_key(KEY).map(|t| t.id.as_str()),
            Some("acme")
        );
        assert!(
            tenants
                .for_api_key("legit-test-key-0123456789abcdef0123456788")
                .is_none()
        );
        assert!(tenants.for_api_key("").is_none());
    }

    #[test]
    fn mistakes_name_the_tenant_and_the_field() {
        let cases = [
            (r#"{}"#, "no tenant"),
            (r#"{"Acme": {"displayName": "A"}}"#, "the id must be"),
            (r#"{"a": {"displayName": " "}}"#, "displayName"),
            (r#"{"a": {"displayName": "A", "locale": "de"}}"#, "locale"),
            (
                r#"{"a": {"displayName": "A", "allowedOrigins": ["*"]}}"#,
                "allowedOrigins",
            ),
            (
                r#"{"a": {"displayName": "A", "allowedOrigins": ["https://x.se/path"]}}"#,
                "allowedOrigins",
            ),
            (
                r#"{"a": {"displayName": "A", "allowedOrigins": ["ftp://x.se"]}}"#,
                "allowedOrigins",
            ),
            (
                r#"{"a": {"displayName": "A", "apiKeyHashes": ["deadbeef"]}}"#,
                "apiKeyHashes",
            ),
            (
                r#"{"a": {"displayName": "A", "linkTtlSeconds": 2}}"#,
                "linkTtlSeconds",
            ),
            (
                r#"{"a": {"displayName": "A", "retentionSeconds": 5}}"#,
                "retentionSeconds",
            ),
            (
                r#"{"a": {"displayName": "A", "smsSender": "Acme Bank"}}"#,
                "smsSender: A text sender id has only",
            ),
            (
                r#"{"a": {"displayName": "A", "smsSender": "AcmeFörsäkring"}}"#,
                "smsSender",
            ),
            (
                r#"{"a": {"displayName": "A", "emailFrom": "noreply"}}"#,
                "emailFrom",
            ),
            (
                r#"{"a": {"displayName": "A", "alowedOrigins": []}}"#,
                "unknown field",
            ),
            (
                r#"{"a": {"displayName": "A", "disclosure": {"personalNumber": "half"}}}"#,
                "unknown variant",
            ),
        ];
        for (json, expected) in cases {
            let err = Tenants::parse(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn disclosure_full_masked_none() {
        let today = Date::new(2026, 11, 23).unwrap();
        let full = Disclosure::default().apply(&user(), today);
        assert_eq!(full, user());
        let masked = Disclosure {
            personal_number: PersonalNumberDisclosure::Masked,
            names: true,
        }
        .apply(&user(), today);
        assert_eq!(masked.personal_number.as_deref(), Some("811228-XXXX"));
        assert_eq!(masked.given_name.as_deref(), Some("Åsa"));
        let none = Disclosure {
            personal_number: PersonalNumberDisclosure::None,
            names: false,
        }
        .apply(&user(), today);
        assert_eq!(none, EventUser::default());
    }

    #[test]
    fn disclosure_reads_from_json() {
        let tenants = Tenants::parse(&doc(
            r#", "disclosure": {"personalNumber": "masked", "names": false}, "retentionSeconds": 120, "locale": "en""#,
        ))
        .unwrap();
        let t = tenants.get("acme").unwrap();
        assert_eq!(
            t.disclosure.personal_number,
            PersonalNumberDisclosure::Masked
        );
        assert!(!t.disclosure.names);
        assert_eq!(t.retention_secs, 120);
        assert_eq!(t.locale, Lang::En);
    }

    #[test]
    fn every_language_legit_speaks_is_a_locale() {
        for lang in Lang::ALL {
            let doc = format!(
                r#"{{"a": {{"displayName": "A", "locale": "{}"}}}}"#,
                lang.tag()
            );
            let tenants = Tenants::parse(&doc).unwrap();
            assert_eq!(tenants.get("a").unwrap().locale, lang);
        }
    }

    proptest! {
        #[test]
        fn any_document_parses_or_errs(s in "\\PC{0,200}") {
            let _ = Tenants::parse(&s);
        }

        #[test]
        fn any_origin_normalises_or_not(s in "\\PC{0,80}") {
            if let Some(o) = normalise_origin(&s) {
                prop_assert_eq!(normalise_origin(&o), Some(o.clone()));
            }
        }
    }
}
