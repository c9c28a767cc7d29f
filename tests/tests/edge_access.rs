//! End to end over HTTP: who may use the edge, from where, and what leaves it (DESIGN.md §5). Tenants' origins
//! (CORS, 403 for other sites, CSP `frame-ancestors` on the widget's page), credentials (API key, agent session,
//! order token), security headers on every answer, and the disclosure policy.

use std::path::PathBuf;

use legit_core::links_api::rfc3339_utc;
use legit_tests::edge::{
    ALLOWED_ORIGIN, Answer, Edge, TENANT, TENANT_HEADER, default_tenants, new_api_key,
};
use legit_tests::{DEFAULT_GIVEN_NAME, DEFAULT_PNR, Sim, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

const OTHER_SITE: &str = "https://evil.test.example";

/// Widget files standing in for `widget/dist`, so these tests do not depend on the widget's build.
fn fake_widget_files() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("legit-assets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("widget")).unwrap();
    std::fs::write(
        dir.join("embed.html"),
        "<!doctype html><html><head><meta name=\"legit-config\" content=\"\">\
         <script type=\"module\" src=\"/widget/boot.js\"></script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(dir.join("legit.js"), "export {};\n").unwrap();
    std::fs::write(dir.join("widget/boot.js"), "export {};\n").unwrap();
    dir
}

/// Asserts the headers every answer of the edge carries.
#[track_caller]
fn assert_security_headers(answer: &Answer, what: &str) {
    assert!(
        answer
            .header("strict-transport-security")
            .contains("max-age="),
        "{what}: HSTS: {:?}",
        answer.headers
    );
    assert_eq!(answer.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(answer.header("referrer-policy"), "no-referrer", "{what}");
    assert!(
        answer
            .header("content-security-policy")
            .contains("frame-ancestors"),
        "{what}: CSP: {:?}",
        answer.headers
    );
}

async fn send(
    edge: &Edge,
    method: Method,
    path: &str,
    origin: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = edge
        .request(method.clone(), path)
        .header(TENANT_HEADER, TENANT);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    edge.send(request, &format!("{method} {path} from {origin:?}"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_tenants_sites_get_in_and_every_answer_is_hardened() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let edge = Edge::start_with(
        &sim,
        api_key.clone(),
        default_tenants(&api_key, &[]),
        Some(fake_widget_files()),
    )
    .await;

    // An allowed site: CORS for itself, never `*`.
    let started = send(
        &edge,
        Method::POST,
        "/api/v1/orders",
        Some(ALLOWED_ORIGIN),
        Some(json!({"kind": "auth"})),
    )
    .await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    assert_eq!(
        started.header("access-control-allow-origin"),
        ALLOWED_ORIGIN
    );
    assert!(started.header("vary").contains("Origin"), "{started:?}");
    assert_security_headers(&started, "start from an allowed site");
    let preflight = send(
        &edge,
        Method::OPTIONS,
        "/api/v1/orders",
        Some(ALLOWED_ORIGIN),
        None,
    )
    .await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT, "{preflight:?}");
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        ALLOWED_ORIGIN
    );
    for needed in ["Authorization", "X-Legit-Tenant", "Content-Type"] {
        assert!(
            preflight
                .header("access-control-allow-headers")
                .contains(needed),
            "{preflight:?}"
        );
    }
    let script = send(&edge, Method::GET, "/legit.js", Some(ALLOWED_ORIGIN), None).await;
    assert_eq!(script.status, StatusCode::OK, "{script:?}");
    assert_eq!(script.header("access-control-allow-origin"), ALLOWED_ORIGIN);
    assert!(script.content_type.contains("javascript"), "{script:?}");
    assert_security_headers(&script, "legit.js");

    // Any other site: 403 for everything, no CORS, and BankID never hears of it.
    let orders_before = sim.orders().await.len();
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/orders",
            Some(json!({"kind": "auth"})),
        ),
        (Method::OPTIONS, "/api/v1/orders", None),
        (Method::GET, "/legit.js", None),
        (Method::GET, "/healthz", None),
    ] {
        let answer = send(&edge, method.clone(), path, Some(OTHER_SITE), body).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {answer:?}"
        );
        assert_eq!(
            answer.body["error"]["code"], "origin_not_allowed",
            "{answer:?}"
        );
        assert_eq!(
            answer.header("access-control-allow-origin"),
            "",
            "{answer:?}"
        );
        assert_security_headers(&answer, "a refused site");
    }
    assert_eq!(
        sim.orders().await.len(),
        orders_before,
        "a refused request reached BankID"
    );

    // The widget's page: framed only by the tenant's sites, and told where it may post its result.
    let page = send(
        &edge,
        Method::GET,
        "/embed?tenant=demo&mode=customer",
        None,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(page.content_type.starts_with("text/html"), "{page:?}");
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains(&format!("frame-ancestors {ALLOWED_ORIGIN};")),
        "{csp}"
    );
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    let html = page.body.as_str().unwrap_or_default();
    assert!(
        html.contains("&quot;parentOrigins&quot;:[&quot;https://crm.test.example&quot;]"),
        "{html}"
    );
    assert!(
        html.contains("Demo Försäkring"),
        "the display name must arrive intact: {html}"
    );
    assert_security_headers(&page, "/embed");
    let unknown = send(&edge, Method::GET, "/embed?tenant=nobody", None, None).await;
    assert_eq!(unknown.status, StatusCode::FORBIDDEN, "{unknown:?}");
    assert_eq!(unknown.body["error"]["code"], "unknown_tenant");

    // Errors, health, keys and streams carry the headers too.
    for path in ["/healthz", "/.well-known/jwks.json", "/nothing-here"] {
        let answer = send(&edge, Method::GET, path, None, None).await;
        assert_security_headers(&answer, path);
        assert_eq!(answer.header("access-control-allow-origin"), "", "{path}");
    }
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifying_someone_else_takes_an_agent_and_orders_take_their_token() {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    let phone =
        json!({"kind": "phoneAuth", "personalNumber": DEFAULT_PNR, "callInitiator": "user"});

    // A page may identify its own visitor, not push a BankID request to someone else's phone.
    let refused = send(
        &edge,
        Method::POST,
        "/api/v1/orders",
        Some(ALLOWED_ORIGIN),
        Some(phone.clone()),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    assert_eq!(refused.body["error"]["code"], "agents_only");
    // Nor bind an order to someone's personal number: BankID would end that person's order in progress.
    let bound = json!({"kind": "auth", "personalNumber": DEFAULT_PNR});
    for origin in [Some(ALLOWED_ORIGIN), None] {
        let refused = send(
            &edge,
            Method::POST,
            "/api/v1/orders",
            origin,
            Some(bound.clone()),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{origin:?}: {refused:?}"
        );
        assert_eq!(refused.body["error"]["code"], "agents_only", "{origin:?}");
    }
    let wrong_key = edge
        .send(
            edge.request(Method::POST, "/api/v1/orders")
                .bearer_auth("not-the-key-0123456789abcdef0123456789")
                .json(&phone),
            "phone order with a wrong key",
        )
        .await;
    assert_eq!(wrong_key.status, StatusCode::UNAUTHORIZED, "{wrong_key:?}");
    assert_eq!(wrong_key.body["error"]["code"], "invalid_api_key");
    assert_eq!(wrong_key.header("www-authenticate"), "Bearer");
    assert!(
        sim.orders().await.is_empty(),
        "nothing may reach BankID without an agent"
    );

    // The tenant's backend mints an agent session; the agent's widget uses it from the CRM.
    let minted = edge
        .send(
            edge.request(Method::POST, "/api/v1/sessions")
                .bearer_auth(&edge.api_key),
            "mint a session",
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED, "{minted:?}");
    assert_eq!(minted.body["tenant"], TENANT);
    // The same key from a page (it carries `Origin`, even an allowed one) is refused: a page that holds the
    // key hands it to every visitor.
    let from_page = edge
        .send(
            edge.request(Method::POST, "/api/v1/sessions")
                .header("Origin", ALLOWED_ORIGIN)
                .bearer_auth(&edge.api_key),
            "mint a session from a page",
        )
        .await;
    assert_eq!(from_page.status, StatusCode::FORBIDDEN, "{from_page:?}");
    assert_eq!(from_page.body["error"]["code"], "api_key_in_browser");
    // Eight hours from now, written like every other time the API answers (RFC 3339, UTC), so it compares
    // as text with times written the same way.
    let now_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let expires = minted.body["expiresAt"].as_str().expect("expiresAt");
    let eight_hours = 8 * 3_600_000;
    assert!(
        (rfc3339_utc(now_ms + eight_hours - 60_000)..=rfc3339_utc(now_ms + eight_hours + 60_000))
            .contains(&expires.to_owned()),
        "{minted:?}"
    );
    let session = minted.body["session"].as_str().unwrap().to_owned();
    let again = edge
        .send(
            edge.request(Method::POST, "/api/v1/sessions")
                .bearer_auth(&session),
            "a session minting a session",
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "a session must not renew itself: {again:?}"
    );
    let started = edge
        .send(
            edge.request(Method::POST, "/api/v1/orders")
                .header("Origin", ALLOWED_ORIGIN)
                .bearer_auth(&session)
                .json(&phone),
            "phone order by an agent",
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let id = started.body["orderId"].as_str().unwrap().to_owned();
    let token = started.body["orderToken"].as_str().unwrap().to_owned();

    // The order id alone opens nothing; another order's token neither.
    let other = edge.start_order(json!({"kind": "auth"})).await;
    let other_token = other["orderToken"].as_str().unwrap();
    let events = format!("/api/v1/orders/{id}/events");
    let bare = send(&edge, Method::GET, &events, None, None).await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED, "{bare:?}");
    assert_eq!(bare.body["error"]["code"], "missing_credentials");
    let borrowed = send(
        &edge,
        Method::GET,
        &format!("{events}?token={other_token}"),
        None,
        None,
    )
    .await;
    assert_eq!(borrowed.status, StatusCode::UNAUTHORIZED, "{borrowed:?}");
    assert_eq!(borrowed.body["error"]["code"], "invalid_order_token");
    let cancel = format!("/api/v1/orders/{id}/cancel");
    let refused = edge
        .send(
            edge.request(Method::POST, &cancel).bearer_auth(other_token),
            "cancel with another token",
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:?}");
    assert_eq!(
        sim.order(&only_phone_ref(&sim).await).await["status"],
        "pending"
    );

    // Its own token follows it, the agent's session too; the token cancels it.
    let mut by_token = edge.events_with(&id, &format!("?token={token}")).await;
    assert_eq!(
        by_token.next_state_where("first state", |_| true).await["orderId"],
        id.as_str()
    );
    let by_agent = edge
        .send(
            edge.request(Method::POST, &cancel).bearer_auth(&token),
            "cancel with the order's token",
        )
        .await;
    assert_eq!(by_agent.status, StatusCode::OK, "{by_agent:?}");
    assert_eq!(by_agent.body["errorCode"], "cancelled", "{by_agent:?}");
    assert_eq!(by_token.final_state().await["errorCode"], "cancelled");
    // A blank personal number (a form's empty field) names nobody: the page's own visitor is identified.
    let blank = json!({"kind": "auth", "personalNumber": " "});
    let own = send(
        &edge,
        Method::POST,
        "/api/v1/orders",
        Some(ALLOWED_ORIGIN),
        Some(blank),
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{own:?}");
    edge.assert_no_secrets(&sim).await;
}

/// The simulator's phone order (there is one auth order beside it).
async fn only_phone_ref(sim: &Sim) -> String {
    sim.orders()
        .await
        .into_iter()
        .find(|o| o["personalNumber"].is_string())
        .and_then(|o| o["orderRef"].as_str().map(str::to_owned))
        .expect("a phone order at the simulator")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_agent_cannot_see_the_order() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let other_key = new_api_key();
    let mut tenants = default_tenants(&api_key, &[]);
    tenants["bank"] = json!({
        "displayName": "Other Bank",
        "apiKeyHashes": [legit_core::tenant::api_key_hash(&other_key)]
    });
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let id = edge.start_order_id(json!({"kind": "auth"})).await;
    let events = format!("/api/v1/orders/{id}/events");
    let theirs = edge
        .send(
            edge.request(Method::GET, &events).bearer_auth(&other_key),
            "another tenant",
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs:?}");
    assert_eq!(theirs.body["error"]["code"], "unknown_order");
    let cancel = format!("/api/v1/orders/{id}/cancel");
    let theirs = edge
        .send(
            edge.request(Method::POST, &cancel).bearer_auth(&other_key),
            "another tenant cancels",
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs:?}");
    let ours = edge
        .send(
            edge.request(Method::POST, &cancel)
                .bearer_auth(&edge.api_key),
            "our backend cancels",
        )
        .await;
    assert_eq!(ours.status, StatusCode::OK, "{ours:?}");
    assert_eq!(ours.body["errorCode"], "cancelled", "{ours:?}");
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_disclosure_policy_shapes_the_event_and_the_token() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let mut tenants = default_tenants(&api_key, &[]);
    tenants[TENANT]["disclosure"] = json!({"personalNumber": "masked", "names": false});
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let started = edge.start_order(json!({"kind": "auth"})).await;
    let id = started["orderId"].as_str().unwrap();
    let mut events = edge.events(id).await;
    let order_ref = sim.orders().await[0]["orderRef"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = sim
        .admin_post(
            "/admin/open",
            json!({"autoStartToken": started["autoStartToken"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    sim.act_ok(&order_ref, "approve", None).await;
    let done = events.final_state().await;
    assert_eq!(done["status"], "complete", "{done}");
    let masked = format!("{}-XXXX", &DEFAULT_PNR[2..8]);
    assert_eq!(done["user"]["personalNumber"], masked.as_str(), "{done}");
    assert!(
        done["user"].get("givenName").is_none(),
        "names are withheld: {done}"
    );
    let token = done["resultToken"].as_str().expect("a result token");
    let claims = token_claims(token);
    assert_eq!(claims["personalNumber"], masked.as_str(), "{claims}");
    assert!(claims.get("givenName").is_none(), "{claims}");
    assert_eq!(claims["aud"], TENANT);
    let everything = edge.captured_bodies().join("\n");
    assert!(
        !everything.contains(DEFAULT_PNR),
        "the full number left the edge"
    );
    assert!(
        !everything.contains(DEFAULT_GIVEN_NAME),
        "a withheld name left the edge"
    );
    edge.assert_no_secrets(&sim).await;
}

/// The JWT's payload (its signature is verified in edge_token.rs).
fn token_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_is_erased_when_the_tenants_retention_ends() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let mut tenants = default_tenants(&api_key, &[]);
    tenants[TENANT]["retentionSeconds"] = json!(60);
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let id = edge.start_order_id(json!({"kind": "auth"})).await;
    let ended = std::time::Instant::now();
    let cancelled = edge.cancel(&id).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");

    // Within the retention the result is there for whoever holds the token…
    let mut events = edge.events(&id).await;
    assert_eq!(events.final_state().await["errorCode"], "cancelled");
    // …and a little after it, nothing is: the order object erased itself from its alarm.
    let deadline = ended + std::time::Duration::from_secs(75);
    loop {
        let path = format!("/api/v1/orders/{id}/events?token={}", edge.order_token(&id));
        let request = edge.request(Method::GET, &path);
        let answer = edge.send(request, "events after retention").await;
        if answer.status == StatusCode::NOT_FOUND {
            assert_eq!(answer.body["error"]["code"], "unknown_order");
            let after = ended.elapsed();
            assert!(after.as_secs() >= 59, "erased too early, after {after:?}");
            break;
        }
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        assert!(
            std::time::Instant::now() < deadline,
            "still kept {:?} after it ended",
            ended.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    }
    edge.assert_no_secrets(&sim).await;
}

/// BankID's risk checks read `endUserIp` as the person's address (BANKID.md §2.1). A tenant's server that
/// starts an order for its user knows that address and names it; a page or an agent's widget may not, or
/// anyone could feed BankID any address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_tenants_server_names_the_end_users_address() {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    let named = json!({"kind": "auth", "endUserIp": "203.0.113.7"});

    let from_server = edge.post_as_agent("/api/v1/orders", &named).await;
    assert_eq!(from_server.status, StatusCode::CREATED, "{from_server:?}");
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["endUserIp"], "203.0.113.7", "{:?}", orders[0]);
    let named_ref = orders[0]["orderRef"].clone();

    // Unnamed, it is the connection's address (locally the configured stand-in).
    edge.start_order(json!({"kind": "auth"})).await;
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 2);
    let unnamed = orders.iter().find(|o| o["orderRef"] != named_ref).unwrap();
    assert_eq!(unnamed["endUserIp"], "127.0.0.1", "{unnamed:?}");

    let from_page = send(
        &edge,
        Method::POST,
        "/api/v1/orders",
        Some(ALLOWED_ORIGIN),
        Some(named.clone()),
    )
    .await;
    assert_eq!(from_page.status, StatusCode::FORBIDDEN, "{from_page:?}");
    assert_eq!(from_page.body["error"]["code"], "api_key_required");
    let session = edge.agent_session().await;
    let from_agent = edge
        .send(
            edge.request(Method::POST, "/api/v1/orders")
                .header("Origin", ALLOWED_ORIGIN)
                .bearer_auth(&session)
                .json(&named),
            "an agent naming an address",
        )
        .await;
    assert_eq!(from_agent.status, StatusCode::FORBIDDEN, "{from_agent:?}");
    assert_eq!(from_agent.body["error"]["code"], "api_key_required");

    for bad in [
        json!({"kind": "auth", "endUserIp": "203.0.113.7, 10.0.0.1"}),
        json!({"kind": "phoneAuth", "personalNumber": DEFAULT_PNR, "callInitiator": "RP",
               "endUserIp": "203.0.113.7"}),
    ] {
        let refused = edge.post_as_agent("/api/v1/orders", &bad).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {refused:?}"
        );
        assert_eq!(
            refused.body["error"]["code"], "invalid_end_user_ip",
            "{bad}"
        );
    }
    assert_eq!(
        sim.orders().await.len(),
        2,
        "nothing refused reached BankID"
    );
}

/// BANKID.md §7: the return address goes in the order (`returnUrl`). A page may only have the app send the
/// person back to its own site: anything else would let any page use the edge to send people elsewhere
/// after identifying; a request with no `Origin` and no key, nowhere. A tenant's server (API key) names its
/// user's page itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_sends_people_back_only_to_the_site_that_started_the_order() {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    let back_home = format!("{ALLOWED_ORIGIN}/kundservice?steg=2");
    let from_page = send(
        &edge,
        Method::POST,
        "/api/v1/orders",
        Some(ALLOWED_ORIGIN),
        Some(json!({"kind": "auth", "returnUrl": back_home})),
    )
    .await;
    assert_eq!(from_page.status, StatusCode::CREATED, "{from_page:?}");
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(
        orders[0]["returnUrl"],
        back_home.as_str(),
        "{:?}",
        orders[0]
    );

    for elsewhere in [
        "https://evil.test/login",
        "https://crm.test.example.evil.test/",
        "http://crm.test.example/",
        "javascript:alert(1)",
    ] {
        let refused = send(
            &edge,
            Method::POST,
            "/api/v1/orders",
            Some(ALLOWED_ORIGIN),
            Some(json!({"kind": "auth", "returnUrl": elsewhere})),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{elsewhere}: {refused:?}"
        );
        assert_eq!(
            refused.body["error"]["code"], "invalid_return_url",
            "{elsewhere}"
        );
    }
    // Without `Origin` (curl, a script's server) and without the API key nothing says which site is home:
    // the edge would otherwise send whoever taps the order's link to any site after they identified.
    let no_origin = send(
        &edge,
        Method::POST,
        "/api/v1/orders",
        None,
        Some(json!({"kind": "auth", "returnUrl": "https://evil.test/login"})),
    )
    .await;
    assert_eq!(no_origin.status, StatusCode::BAD_REQUEST, "{no_origin:?}");
    assert_eq!(no_origin.body["error"]["code"], "invalid_return_url");
    let from_server = edge
        .post_as_agent(
            "/api/v1/orders",
            &json!({"kind": "auth", "returnUrl": "https://app.example.org/done"}),
        )
        .await;
    assert_eq!(from_server.status, StatusCode::CREATED, "{from_server:?}");
    // Phone orders have no way back: the person opens the app themselves.
    let phone = edge
        .post_as_agent(
            "/api/v1/orders",
            &json!({"kind": "phoneAuth", "personalNumber": DEFAULT_PNR, "callInitiator": "RP",
                    "returnUrl": "https://app.example.org/done"}),
        )
        .await;
    assert_eq!(phone.status, StatusCode::BAD_REQUEST, "{phone:?}");
    assert_eq!(phone.body["error"]["code"], "invalid_return_url");
    assert_eq!(
        sim.orders().await.len(),
        2,
        "nothing refused reached BankID"
    );
    edge.assert_no_secrets(&sim).await;
}

/// DESIGN.md §5: a page's starts need no credential, so a script could spend BankID orders (and the RP
/// certificate's standing, which every tenant shares) as fast as it can send; they count against its address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_starts_too_many_orders_is_told_to_wait() {
    const PER_MINUTE: usize = 60; // wrangler.toml's ORDERS_PER_IP
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    // A start refused as bad (a signature with nothing to sign) costs the page none of its allowance.
    for _ in 0..5 {
        let bad = send(
            &edge,
            Method::POST,
            "/api/v1/orders",
            Some(ALLOWED_ORIGIN),
            Some(json!({"kind": "sign"})),
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    for i in 0..PER_MINUTE {
        let answer = send(
            &edge,
            Method::POST,
            "/api/v1/orders",
            Some(ALLOWED_ORIGIN),
            Some(json!({"kind": "auth"})),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED, "start #{i}: {answer:?}");
    }
    let refused = send(
        &edge,
        Method::POST,
        "/api/v1/orders",
        Some(ALLOWED_ORIGIN),
        Some(json!({"kind": "auth"})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{refused:?}");
    assert_eq!(refused.body["error"]["code"], "rate_limited");
    assert_eq!(refused.header("retry-after"), "60");
    assert_security_headers(&refused, "a refused start");
    assert_eq!(
        sim.orders().await.len(),
        PER_MINUTE,
        "the refused start never reached BankID"
    );
    // The tenant's server and its agents share addresses with many others: counted per tenant only.
    let from_server = edge
        .post_as_agent("/api/v1/orders", &json!({"kind": "auth"}))
        .await;
    assert_eq!(from_server.status, StatusCode::CREATED, "{from_server:?}");
}
