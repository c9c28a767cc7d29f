//! The capabilities the edge hands out (DESIGN.md §5: an order id is not a capability).
//!
//! - An **order token** lets whoever started an order follow and cancel it: `HMAC(key, order id)`, so the
//!   edge stores nothing to check it.
//! - An **agent session** lets an agent's widget do what only agents may (phone orders, links, look-ups):
//!   the tenant's backend mints it with its API key (`POST /api/v1/sessions`) and hands it to the widget, so
//!   the API key never reaches a browser. `s1.<claims>.<mac>`, claims `{"t": tenant, "x": expiry ms}`.
//!
//! Both are HMAC-SHA256 under one 32-byte key the edge derives from its secret, and both compare in constant
//! time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::tenant::is_tenant_id;

/// A working day: an agent's console stays open through a shift without the CRM minting anew.
pub const AGENT_SESSION_TTL_MS: u64 = 8 * 60 * 60 * 1_000;

const SESSION_PREFIX: &str = "s1.";
/// How a link's stream token begins ([`SessionKey::link_stream_token`]).
const LINK_STREAM_PREFIX: &str = "ls1.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session is not one this edge issued")]
    Invalid,
    #[error("the session has expired; ask your system for a new one")]
    Expired,
}

impl SessionError {
    pub fn code(self) -> &'static str {
        match self {
            SessionError::Invalid => "invalid_session",
            SessionError::Expired => "session_expired",
        }
    }
}

/// What a valid agent session says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSession {
    #[serde(rename = "t")]
    pub tenant: String,
    /// Unix ms.
    #[serde(rename = "x")]
    pub expires_ms: u64,
}

impl AgentSession {
    /// When it was issued: every session lives [`AGENT_SESSION_TTL_MS`].
    pub fn issued_ms(&self) -> u64 {
        self.expires_ms.saturating_sub(AGENT_SESSION_TTL_MS)
    }
}

/// The MAC key. Its Debug output is redacted.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// Derives the key from a secret of the edge (its signing key's text), under a label of its own, so
    /// the derived key is useless for anything else.
    pub fn derive(secret: &[u8]) -> SessionKey {
        let mut h = Sha256::new();
        h.update(b"legit session key v1\0");
        h.update(secret);
        SessionKey(h.finalize().into())
    }

    fn mac(&self, label: &[u8], data: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(label);
        mac.update(data);
        mac
    }

    /// Whom an IVR call's order is for, as the call's record keeps it: enough to tell a second start for
    /// another person under the same call id, and nothing anyone without the edge's key can reverse.
    pub fn call_person_hash(&self, personal_number: &str) -> String {
        let digest = self
            .mac(b"call person\0", personal_number.as_bytes())
            .finalize()
            .into_bytes();
        B64.encode(&digest[..16])
    }

    /// The order id as the audit log keeps it ([`crate::audit::order_hash`]).
    pub fn audit_hash(&self, order_id: &str) -> String {
        crate::audit::order_hash(&self.0, order_id)
    }

    pub fn order_token(&self, order_id: &str) -> String {
        B64.encode(
            self.mac(b"order\0", order_id.as_bytes())
                .finalize()
                .into_bytes(),
        )
    }

    pub fn verifies_order_token(&self, order_id: &str, token: &str) -> bool {
        let Ok(tag) = B64.decode(token) else {
            return false;
        };
        self.mac(b"order\0", order_id.as_bytes())
            .verify_slice(&tag)
            .is_ok()
    }

    /// What follows one link's live status, and nothing else: the agent's widget opens the link's stream
    /// (an `EventSource`, which can send no header) with this in the URL instead of the 8-hour session, so
    /// the session stays out of every request log. `reference` in its compact form.
    pub fn link_stream_token(&self, tenant: &str, reference: &str) -> String {
        let tag = self
            .link_stream_mac(tenant, reference)
            .finalize()
            .into_bytes();
        format!("{LINK_STREAM_PREFIX}{tenant}.{}", B64.encode(tag))
    }

    /// The tenant whose link `reference` (compact) `token` follows, if it does.
    pub fn verify_link_stream_token(&self, token: &str, reference: &str) -> Option<String> {
        let (tenant, tag) = token.strip_prefix(LINK_STREAM_PREFIX)?.rsplit_once('.')?;
        let tag = B64.decode(tag).ok()?;
        (is_tenant_id(tenant)
            && self
                .link_stream_mac(tenant, reference)
                .verify_slice(&tag)
                .is_ok())
        .then(|| tenant.to_owned())
    }

    fn link_stream_mac(&self, tenant: &str, reference: &str) -> Hmac<Sha256> {
        let mut mac = self.mac(b"link stream\0", tenant.as_bytes());
        mac.update(b"\0");
        mac.update(reference.as_bytes());
        mac
    }

    pub fn agent_session(&self, session: &AgentSession) -> String {
        let claims = B64.encode(serde_json::to_vec(session).unwrap_or_default());
        let tag = B64.encode(
            self.mac(b"agent\0", claims.as_bytes())
                .finalize()
                .into_bytes(),
        );
        format!("{SESSION_PREFIX}{claims}.{tag}")
    }

    /// Checks the MAC before reading anything inside, then the expiry.
    pub fn verify_agent_session(
        &self,
        token: &str,
        now_ms: u64,
    ) -> Result<AgentSession, SessionError> {
        let rest = token
            .strip_prefix(SESSION_PREFIX)
            .ok_or(SessionError::Invalid)?;
        let (claims, tag) = rest.split_once('.').ok_or(SessionError::Invalid)?;
        let tag = B64.decode(tag).map_err(|_| SessionError::Invalid)?;
        self.mac(b"agent\0", claims.as_bytes())
            .verify_slice(&tag)
            .map_err(|_| SessionError::Invalid)?;
        let bytes = B64.decode(claims).map_err(|_| SessionError::Invalid)?;
        let session: AgentSession =
            serde_json::from_slice(&bytes).map_err(|_| SessionError::Invalid)?;
        if !is_tenant_id(&session.tenant) {
            return Err(SessionError::Invalid);
        }
        if now_ms >= session.expires_ms {
            return Err(SessionError::Expired);
        }
        Ok(session)
    }
}

/// Whether a `?token=` is shaped like a link's stream token (rather than an agent session or order token).
pub fn is_link_stream_token(token: &str) -> bool {
    token.starts_with(LINK_STREAM_PREFIX)
}

/// Whether a bearer credential is shaped like an agent session (rather than an API key or order token).
pub fn is_agent_session(token: &str) -> bool {
    token.starts_with(SESSION_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> SessionKey {
        SessionKey::derive(b"-----BEGIN PRIVATE KEY-----test")
    }

    fn session() -> AgentSession {
        AgentSession {
            tenant: "acme".into(),
            expires_ms: 2_000,
        }
    }

    #[test]
    fn an_order_token_opens_its_own_order_only() {
        let t = key().order_token("0123456789abcdef0123456789abcdef");
        assert_eq!(t.len(), 43);
        assert!(key().verifies_order_token("0123456789abcdef0123456789abcdef", &t));
        assert!(!key().verifies_order_token("0123456789abcdef0123456789abcdee", &t));
        assert!(
            !SessionKey::derive(b"other")
                .verifies_order_token("0123456789abcdef0123456789abcdef", &t)
        );
        assert!(!key().verifies_order_token("0123456789abcdef0123456789abcdef", ""));
    }

    #[test]
    fn a_calls_person_is_kept_as_a_keyed_hash_that_tells_two_people_apart() {
        let a = key().call_person_hash("198112289874");
        assert_eq!(a, key().call_person_hash("198112289874"));
        assert_ne!(a, key().call_person_hash("191212121212"));
        assert_ne!(
            a,
            SessionKey::derive(b"other").call_person_hash("198112289874")
        );
        assert!(!a.contains("8112289874"), "{a}");
        // Not the audit log's hash of the same text: one cannot be matched against the other.
        assert_ne!(a, key().audit_hash("198112289874"));
    }

    #[test]
    fn a_link_stream_token_follows_its_own_link_of_its_own_tenant_only() {
        let t = key().link_stream_token("acme", "K7QXM4TR");
        assert!(is_link_stream_token(&t) && !is_agent_session(&t), "{t}");
        assert_eq!(
            key().verify_link_stream_token(&t, "K7QXM4TR").as_deref(),
            Some("acme")
        );
        assert_eq!(key().verify_link_stream_token(&t, "K7QXM4TS"), None);
        assert_eq!(
            SessionKey::derive(b"other").verify_link_stream_token(&t, "K7QXM4TR"),
            None
        );
        // Another tenant's name put in front of acme's tag.
        let forged = t.replacen("acme", "bank", 1);
        assert_eq!(key().verify_link_stream_token(&forged, "K7QXM4TR"), None);
        for junk in ["", "ls1.", "ls1.acme", "ls1.acme.", "ls1..x", "s1.acme.x"] {
            assert_eq!(
                key().verify_link_stream_token(junk, "K7QXM4TR"),
                None,
                "{junk:?}"
            );
        }
    }

    #[test]
    fn an_agent_session_round_trips_until_it_expires() {
        let token = key().agent_session(&session());
        assert!(is_agent_session(&token));
        assert_eq!(key().verify_agent_session(&token, 1_999), Ok(session()));
        assert_eq!(
            key().verify_agent_session(&token, 2_000),
            Err(SessionError::Expired)
        );
        assert_eq!(
            SessionKey::derive(b"other").verify_agent_session(&token, 0),
            Err(SessionError::Invalid)
        );
    }

    #[test]
    fn a_forged_session_is_refused() {
        let token = key().agent_session(&session());
        let (claims, tag) = token["s1.".len()..].split_once('.').unwrap();
        let other = B64.encode(br#"{"t":"evil","x":99999999999999}"#);
        assert_eq!(
            key().verify_agent_session(&format!("s1.{other}.{tag}"), 0),
            Err(SessionError::Invalid)
        );
        assert_eq!(
            key().verify_agent_session(&format!("s1.{claims}."), 0),
            Err(SessionError::Invalid)
        );
    }

    #[test]
    fn key_debug_is_redacted() {
        assert_eq!(format!("{:?}", key()), "SessionKey(..)");
    }

    proptest! {
        #[test]
        fn any_text_is_refused_without_panicking(s in "\\PC{0,120}") {
            prop_assert!(key().verify_agent_session(&s, 0).is_err());
            prop_assert!(!key().verifies_order_token("x", &s));
        }
    }
}
