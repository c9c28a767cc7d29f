//! The signed result token (DESIGN.md §5): a JWT, ES256, that the edge hands the embedding page when an order
//! completes, so the integrator's backend can verify who identified without trusting the browser.
//!
//! `aud` is the tenant, `jti` the order id, `kind` what was done (log-in or signature), expiry
//! [`RESULT_TOKEN_TTL_SECS`] after issue; identity claims as the
//! tenant's disclosure policy allows (the event's user, already filtered by [`crate::tenant::Disclosure`]). The public key is served as a
//! JWKS under `kid` = the key's RFC 7638 thumbprint.
//!
//! Signatures are ECDSA P-256 with RFC 6979 deterministic nonces, so nothing here needs randomness: the
//! same claims and key always give the same token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::api::{OrderEvent, OrderKind, OrderStatus};

/// How long a result token is valid after it was issued: long enough to reach the integrator's backend,
/// short enough that a leaked one is soon worthless.
pub const RESULT_TOKEN_TTL_SECS: u64 = 300;

/// The claims of a result token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultClaims {
    /// The edge's public origin, e.g. `https://id.example.com`.
    pub iss: String,
    /// The tenant the order was made for.
    pub aud: String,
    /// Not set yet: what identifies the user to a tenant depends on its disclosure policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The edge's order id.
    pub jti: String,
    /// Unix seconds.
    pub iat: u64,
    /// Unix seconds, [`RESULT_TOKEN_TTL_SECS`] after `iat`.
    pub exp: u64,
    /// Always `complete`: only completed orders get a token.
    pub status: OrderStatus,
    /// What the person did (`auth`, `sign`, `phoneAuth`, `phoneSign`), so a backend can refuse a signature's
    /// token where it expects a log-in, and the other way round.
    pub kind: OrderKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
}

impl ResultClaims {
    /// The claims for a completed order, carrying what its (already disclosed) user holds; `None` for any
    /// other event.
    pub fn for_completion(
        event: &OrderEvent,
        issuer: &str,
        audience: &str,
        now_secs: u64,
    ) -> Option<ResultClaims> {
        let user = event
            .user
            .as_ref()
            .filter(|_| event.status == OrderStatus::Complete)?;
        Some(ResultClaims {
            iss: issuer.to_owned(),
            aud: audience.to_owned(),
            sub: None,
            jti: event.order_id.clone(),
            iat: now_secs,
            exp: now_secs + RESULT_TOKEN_TTL_SECS,
            status: OrderStatus::Complete,
            kind: event.kind,
            personal_number: user.personal_number.clone(),
            name: user.name.clone(),
            given_name: user.given_name.clone(),
            surname: user.surname.clone(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Never carries key material: only what the PKCS#8 parser said was wrong.
    #[error("the result signing key is not a PKCS#8 PEM P-256 private key: {0}")]
    InvalidKey(String),
}

/// The edge's result signing key with its public half precomputed.
#[derive(Clone)]
pub struct SigningKey {
    key: p256::ecdsa::SigningKey,
    /// Base64url affine coordinates of the public key.
    x: String,
    y: String,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    // The private scalar never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a `-----BEGIN PRIVATE KEY-----` (PKCS#8) P-256 key, as `openssl genpkey -algorithm EC -pkeyopt
    /// ec_paramgen_curve:P-256` or rcgen write it.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, TokenError> {
        let key = p256::ecdsa::SigningKey::from_pkcs8_pem(pem.trim())
            .map_err(|e| TokenError::InvalidKey(e.to_string()))?;
        Ok(SigningKey::new(key))
    }

    fn new(key: p256::ecdsa::SigningKey) -> SigningKey {
        let point = key.verifying_key().to_encoded_point(false);
        // An uncompressed point of a valid key always has both coordinates.
        let coordinate =
            |c: Option<&p256::FieldBytes>| c.map(|c| B64.encode(c)).unwrap_or_default();
        let x = coordinate(point.x());
        let y = coordinate(point.y());
        // RFC 7638: the required members only, in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = B64.encode(Sha256::digest(canonical.as_bytes()));
        SigningKey { key, x, y, kid }
    }

    /// The key id: the RFC 7638 JWK thumbprint (SHA-256, base64url), stable for the key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key for verifiers.
    pub fn verifying_key(&self) -> &p256::ecdsa::VerifyingKey {
        self.key.verifying_key()
    }

    /// The compact JWS of `claims`: `header.payload.signature`, the signature raw `r||s` (64 bytes).
    pub fn sign(&self, claims: &ResultClaims) -> String {
        let header = serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": self.kid});
        // Serializing plain strings and numbers cannot fail.
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(payload));
        let signature: p256::ecdsa::Signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(signature.to_bytes()))
    }

    /// `GET /.well-known/jwks.json`: the public key set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "EC",
                "crv": "P-256",
                "x": self.x,
                "y": self.y,
                "kid": self.kid,
                "alg": "ES256",
                "use": "sig",
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Verifier as _;
    use p256::ecdsa::{Signature, VerifyingKey};
    use p256::pkcs8::{EncodePrivateKey as _, LineEnding};

    use super::*;
    use crate::api::EventUser;

    /// A PKCS#8 PEM made from a fixed scalar, so the tests need no randomness.
    fn pem(seed: u8) -> String {
        let key = p256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).unwrap();
        key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
    }

    fn claims() -> ResultClaims {
        let mut event = OrderEvent::started("0123456789abcdef0123456789abcdef", OrderKind::Auth);
        event.status = OrderStatus::Complete;
        event.hint_code = None;
        event.rfa = None;
        event.user = Some(EventUser {
            personal_number: Some("198112289874".into()),
            name: Some("Åsa Ørnulf Ämström-Lindé".into()),
            given_name: Some("Åsa Ørnulf".into()),
            surname: Some("Ämström-Lindé".into()),
        });
        ResultClaims::for_completion(&event, "https://edge.example", "demo", 1_700_000_000).unwrap()
    }

    fn split(token: &str) -> (&str, &str, &str) {
        let mut parts = token.split('.');
        let parts = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert_eq!(token.matches('.').count(), 2);
        parts
    }

    fn verify(key: &VerifyingKey, token: &str) -> bool {
        let (h, p, s) = split(token);
        let Ok(sig) = B64.decode(s) else { return false };
        let Ok(sig) = Signature::from_slice(&sig) else {
            return false;
        };
        key.verify(format!("{h}.{p}").as_bytes(), &sig).is_ok()
    }

    #[test]
    fn sign_then_verify_round_trips() {
        let key = SigningKey::from_pkcs8_pem(&pem(7)).unwrap();
        let token = key.sign(&claims());
        assert!(verify(key.verifying_key(), &token));

        let (h, p, s) = split(&token);
        let header: serde_json::Value = serde_json::from_slice(&B64.decode(h).unwrap()).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "ES256", "typ": "JWT", "kid": key.kid()})
        );
        assert_eq!(B64.decode(s).unwrap().len(), 64);
        let payload: serde_json::Value = serde_json::from_slice(&B64.decode(p).unwrap()).unwrap();
        assert_eq!(payload["jti"], "0123456789abcdef0123456789abcdef");
        assert_eq!(payload["aud"], "demo");
        assert_eq!(payload["iss"], "https://edge.example");
        assert_eq!(payload["status"], "complete");
        assert_eq!(payload["kind"], "auth");
        assert_eq!(payload["personalNumber"], "198112289874");
        assert_eq!(payload["name"], "Åsa Ørnulf Ämström-Lindé");
        assert_eq!(payload["givenName"], "Åsa Ørnulf");
        assert_eq!(payload["surname"], "Ämström-Lindé");
        assert_eq!(
            payload["exp"].as_u64().unwrap() - payload["iat"].as_u64().unwrap(),
            300
        );
        assert!(payload.get("sub").is_none());
        let back: ResultClaims = serde_json::from_value(payload).unwrap();
        assert_eq!(back, claims());
    }

    #[test]
    fn signatures_are_deterministic() {
        let key = SigningKey::from_pkcs8_pem(&pem(7)).unwrap();
        assert_eq!(key.sign(&claims()), key.sign(&claims()));
    }

    #[test]
    fn tampered_tokens_fail_verification() {
        let key = SigningKey::from_pkcs8_pem(&pem(7)).unwrap();
        let token = key.sign(&claims());
        let (h, p, s) = split(&token);

        let mut forged = claims();
        forged.personal_number = Some("199001011234".into());
        let forged_payload = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert!(!verify(
            key.verifying_key(),
            &format!("{h}.{forged_payload}.{s}")
        ));

        // One character of the payload segment flipped.
        let mut flipped = p.to_owned().into_bytes();
        flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert!(!verify(key.verifying_key(), &format!("{h}.{flipped}.{s}")));

        // Another key's signature.
        let other = SigningKey::from_pkcs8_pem(&pem(9)).unwrap();
        assert!(!verify(other.verifying_key(), &token));
    }

    #[test]
    fn kid_is_a_stable_thumbprint() {
        let a = SigningKey::from_pkcs8_pem(&pem(7)).unwrap();
        let b = SigningKey::from_pkcs8_pem(&pem(7)).unwrap();
        let c = SigningKey::from_pkcs8_pem(&pem(9)).unwrap();
        assert_eq!(a.kid(), b.kid());
        assert_ne!(a.kid(), c.kid());
        // SHA-256, base64url without padding.
        assert_eq!(a.kid().len(), 43);
        assert!(
            a.kid()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn jwks_carries_the_public_key() {
        let key = SigningKey::from_pkcs8_pem(&pem(7)).unwrap();
        let jwks = key.jwks();
        let jwk = &jwks["keys"][0];
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["alg"], "ES256");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], key.kid());
        // x and y rebuild the verifying key.
        let mut sec1 = vec![4u8];
        sec1.extend(B64.decode(jwk["x"].as_str().unwrap()).unwrap());
        sec1.extend(B64.decode(jwk["y"].as_str().unwrap()).unwrap());
        let rebuilt = VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        assert_eq!(&rebuilt, key.verifying_key());
        assert!(verify(&rebuilt, &key.sign(&claims())));
        // Nothing private in it.
        assert!(jwk.get("d").is_none());
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        for bad in [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let err = SigningKey::from_pkcs8_pem(bad).unwrap_err();
            assert!(!err.to_string().contains("AAAA"), "{err}");
        }
        let debug = format!("{:?}", SigningKey::from_pkcs8_pem(&pem(7)).unwrap());
        assert!(debug.starts_with("SigningKey { kid:"), "{debug}");
    }

    #[test]
    fn only_completed_orders_get_claims() {
        let pending = OrderEvent::started("0123456789abcdef0123456789abcdef", OrderKind::Auth);
        assert!(ResultClaims::for_completion(&pending, "https://e", "demo", 0).is_none());
    }
}
