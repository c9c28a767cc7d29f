//! The signed result token end to end (DESIGN.md §5): a completed order's final state carries `resultToken`, a
//! JWT (ES256) that an integrator verifies with nothing but `/.well-known/jwks.json` and an independent JWT
//! library (`jsonwebtoken`, not our signer). Same harness as `edge_orders.rs`: a real simulator and the real
//! Worker in Miniflare, whose signing key is the demo set's `result-signing.key`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use legit_tests::edge::Edge;
use legit_tests::{
    DEFAULT_GIVEN_NAME, DEFAULT_NAME, DEFAULT_PNR, DEFAULT_SURNAME, Sim, StatusCode,
};
use serde_json::{Value, json};

async fn stack() -> (Sim, Edge) {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    (sim, edge)
}

/// Starts an auth order, approves it in the simulated app as the default user and returns the order id and
/// the final state.
async fn complete_an_auth_order(sim: &Sim, edge: &Edge) -> (String, Value) {
    let started = edge.start_order(json!({"kind": "auth"})).await;
    let order_id = started["orderId"].as_str().unwrap().to_owned();
    let auto_start_token = started["autoStartToken"].as_str().unwrap();
    let orders = sim.orders().await;
    let order_ref = orders
        .last()
        .and_then(|o| o["orderRef"].as_str())
        .expect("the order at BankID")
        .to_owned();

    let mut events = edge.events(&order_id).await;
    let first = events.next_state_where("any", |_| true).await;
    assert_eq!(first["status"], "pending", "{first}");
    let (status, opened) = sim
        .admin_post("/admin/open", json!({"autoStartToken": auto_start_token}))
        .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    sim.act_ok(&order_ref, "approve", None).await;
    let done = events.final_state().await;
    events.assert_ends_within(Duration::from_secs(5)).await;
    for state in events.states() {
        if state["status"] == "pending" {
            assert!(
                state.get("resultToken").is_none(),
                "only a completed order carries a token: {state}"
            );
        }
    }
    drop(events);
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["orderId"], order_id.as_str());
    (order_id, done)
}

fn validation(audience: &str) -> Validation {
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[audience]);
    v.leeway = 0;
    v
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_order_carries_a_result_token_that_verifies_against_the_jwks() {
    let (sim, edge) = stack().await;

    let health = edge.get("/healthz").await;
    assert_eq!(health.body["resultSigning"], true, "{health:?}");
    assert_eq!(health.body["tenants"], serde_json::json!(1), "{health:?}");

    let (order_id, done) = complete_an_auth_order(&sim, &edge).await;
    let token = done["resultToken"]
        .as_str()
        .unwrap_or_else(|| panic!("the complete state must carry resultToken: {done}"))
        .to_owned();

    // What an integrator's backend does: fetch the JWKS, pick the key by kid, verify.
    let answer = edge.get("/.well-known/jwks.json").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(
        answer.content_type.starts_with("application/json"),
        "{answer:?}"
    );
    assert_eq!(answer.cache_control, "public, max-age=300", "{answer:?}");
    let keys = answer.body["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "{answer:?}");
    assert!(keys[0].get("d").is_none(), "no private part in the JWKS");
    let jwks: JwkSet = serde_json::from_value(answer.body.clone()).expect("a JWK set");
    let header = decode_header(&token).expect("a JWT header");
    assert_eq!(header.alg, Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let kid = header.kid.expect("kid in the header");
    let jwk = jwks.find(&kid).expect("the token's kid is in the JWKS");
    let key = DecodingKey::from_jwk(jwk).expect("an EC key");

    let claims = decode::<Value>(&token, &key, &validation("demo"))
        .expect("the token verifies")
        .claims;
    assert_eq!(claims["jti"], order_id.as_str(), "{claims}");
    assert_eq!(claims["aud"], "demo", "{claims}");
    assert_eq!(claims["iss"], edge.base_url.as_str(), "{claims}");
    assert_eq!(claims["status"], "complete", "{claims}");
    assert_eq!(
        claims["kind"], "auth",
        "a log-in, not a signature: {claims}"
    );
    assert_eq!(claims["personalNumber"], DEFAULT_PNR, "{claims}");
    assert_eq!(claims["name"], DEFAULT_NAME, "Unicode intact: {claims}");
    assert_eq!(claims["givenName"], DEFAULT_GIVEN_NAME, "{claims}");
    assert_eq!(claims["surname"], DEFAULT_SURNAME, "{claims}");
    let iat = claims["iat"].as_u64().expect("iat");
    let exp = claims["exp"].as_u64().expect("exp");
    assert_eq!(exp - iat, 300, "{claims}");
    assert!(iat.abs_diff(now_secs()) < 120, "iat is now: {claims}");

    // One character of the payload flipped: refused.
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let mut payload = parts[1].to_owned().into_bytes();
    let i = payload.len() / 2;
    payload[i] = if payload[i] == b'A' { b'B' } else { b'A' };
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        String::from_utf8(payload).unwrap(),
        parts[2]
    );
    assert!(
        decode::<Value>(&tampered, &key, &validation("demo")).is_err(),
        "a tampered payload must not verify"
    );
    // Another tenant's backend refuses it.
    let err = decode::<Value>(&token, &key, &validation("other-tenant")).unwrap_err();
    assert_eq!(
        err.kind(),
        &jsonwebtoken::errors::ErrorKind::InvalidAudience,
        "{err}"
    );

    // A viewer who comes later (a link page resumed, an agent's widget opened after the fact) gets the same
    // result in a token signed when it asks, so it is never handed one that has already expired.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let mut late = edge.events(&order_id).await;
    let again = late.next_state_where("any", |_| true).await;
    late.assert_ends_within(Duration::from_secs(5)).await;
    drop(late);
    let late_token = again["resultToken"]
        .as_str()
        .expect("a late viewer's token");
    let late_claims = decode::<Value>(late_token, &key, &validation("demo"))
        .expect("the late token verifies")
        .claims;
    assert!(
        late_claims["iat"].as_u64() > Some(iat),
        "signed anew: {late_claims}"
    );
    assert_eq!(
        late_claims["exp"].as_u64(),
        late_claims["iat"].as_u64().map(|i| i + 300)
    );
    for claim in [
        "jti",
        "aud",
        "iss",
        "status",
        "kind",
        "personalNumber",
        "name",
        "givenName",
        "surname",
    ] {
        assert_eq!(late_claims[claim], claims[claim], "{claim}");
    }

    // The tokens go to the viewer only, never into the logs.
    let output = edge.launcher_output();
    for t in [token.as_str(), late_token] {
        let parts: Vec<&str> = t.split('.').collect();
        assert!(
            !output.contains(t) && !output.contains(parts[2]) && !output.contains(parts[1]),
            "the edge's output carries a result token:\n{output}"
        );
    }
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_usable_signing_key_the_edge_says_so_and_completes_without_a_token() {
    let (sim, mut edge) = stack().await;
    std::fs::write(
        edge.certs_dir().join("result-signing.key"),
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    edge.restart().await;

    let health = edge.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK, "{health:?}");
    assert_eq!(health.body["resultSigning"], false, "{health:?}");

    let answer = edge.get("/.well-known/jwks.json").await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{answer:?}"
    );
    assert_eq!(answer.body["error"]["code"], "misconfigured", "{answer:?}");

    let (_, done) = complete_an_auth_order(&sim, &edge).await;
    assert_eq!(done["user"]["personalNumber"], DEFAULT_PNR, "{done}");
    assert!(done.get("resultToken").is_none(), "{done}");
    let output = edge
        .output_once_it_has("completed without a result token", Duration::from_secs(5))
        .await;
    assert!(
        output.contains("completed without a result token"),
        "the missing token must be logged:\n{output}"
    );
    edge.assert_no_secrets(&sim).await;
}
