//! Verification links end to end (issue #6): the real edge Worker in Miniflare, a real simulator behind its
//! mTLS binding, and the fake SMS and e-mail providers (`legit_demo::providers`) it sends through.
//!
//! The agent creates a link as the widget does (`POST /api/v1/links` with an agent session), the fake inbox
//! receives it, the customer's browser is plain HTTP here (`GET /v/{token}`, then the page's
//! `POST /v/{token}/start`), and the simulator's admin API plays the phone.

use std::time::{Duration, Instant};

use legit_tests::browser::Browser;
use legit_tests::edge::{
    ALLOWED_ORIGIN, Answer, EMAIL_FROM, Edge, Events, SMS_SENDER, TENANT, TENANT_HEADER,
    new_api_key,
};
use legit_tests::{DEFAULT_NAME, DEFAULT_PNR, Sim, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

const PHONE: &str = "070-123 45 67";
const PHONE_E164: &str = "+46701234567";
const EMAIL: &str = "åsa.lindé@example.se";
/// What a phone's browser sends; the flow must not depend on it, but a scanner's and a phone's differ.
const MOBILE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 \
                         (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

/// How long a browser step may take.
const WAIT: Duration = Duration::from_secs(20);
/// The live region of the agent widget's link panel.
const LINK_STATUS: &str = "#legit-panel-link [role=status]";

async fn stack() -> (Sim, Edge) {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    (sim, edge)
}

async fn create_link(edge: &Edge, session: &str, body: Value) -> Answer {
    let request = edge
        .request(Method::POST, "/api/v1/links")
        .bearer_auth(session)
        .json(&body);
    edge.send(request, "POST /api/v1/links").await
}

async fn withdraw(edge: &Edge, credential: &str, reference: &str) -> Answer {
    let path = format!("/api/v1/links/{reference}/cancel");
    let request = edge.request(Method::POST, &path).bearer_auth(credential);
    edge.send(request, &format!("POST {path}")).await
}

/// The agent's live stream of the link `created` answers for, as the widget opens it (`EventSource`: the
/// link's own stream token as `?token=`).
async fn link_events(edge: &Edge, created: &Answer) -> Events {
    let reference = created.body["reference"].as_str().expect("a reference");
    let token = created.body["streamToken"]
        .as_str()
        .expect("a stream token");
    edge.stream(
        &format!("/api/v1/links/{reference}/events"),
        &format!("?token={token}"),
    )
    .await
}

async fn look_up(edge: &Edge, credential: &str, reference: &str) -> Answer {
    let path = format!("/api/v1/links/{reference}");
    let request = edge.request(Method::GET, &path).bearer_auth(credential);
    edge.send(request, &format!("GET {path}")).await
}

/// The customer's browser opening the link: a navigation, no tenant header, maybe a cookie.
async fn open_page(edge: &Edge, url: &str, cookie: Option<&str>, lang: &str) -> Answer {
    let path = url
        .strip_prefix(&edge.base_url)
        .unwrap_or_else(|| panic!("the link {url} must point at this edge {}", edge.base_url));
    let mut request = edge
        .request(Method::GET, path)
        .header("User-Agent", MOBILE_UA)
        .header("Accept", "text/html")
        .header("Accept-Language", lang);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    edge.send(request, &format!("GET {path}")).await
}

/// The page's start call, as the widget's customer mode makes it: under the link's path, with the
/// browser's cookie for that path if it has one.
async fn start_link(edge: &Edge, token: &str, cookie: Option<&str>) -> Answer {
    let path = format!("/v/{token}/start");
    let mut request = edge
        .request(Method::POST, &path)
        .header("Origin", &edge.base_url)
        .header("User-Agent", MOBILE_UA)
        .json(&json!({}));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    edge.send(request, &format!("POST {path}")).await
}

/// The customer opening `url` gets 410 and a page that says why, in Swedish, English or bokmål as the
/// browser asks, and what to do: ask for a new link.
async fn assert_gone_page(edge: &Edge, url: &str, [swedish, english, norwegian]: [&str; 3]) {
    for (lang, title, advice) in [
        ("sv-SE", swedish, "Be den du pratar med om en ny länk"),
        (
            "en-GB",
            english,
            "Ask the person you are talking to for a new link",
        ),
        (
            "nb-NO,nb;q=0.9,en;q=0.5",
            norwegian,
            "Be den du snakker med om en ny lenke",
        ),
    ] {
        let page = open_page(edge, url, None, lang).await;
        assert_eq!(page.status, StatusCode::GONE, "{page:?}");
        let html = page.body.as_str().unwrap_or_default();
        assert!(
            html.contains(title) && html.contains(advice),
            "{lang}: {html}"
        );
    }
}

/// The token at the end of a link URL.
/// The channel of each audit row, once the first is written (just after the order's final event).
async fn audit_channels(edge: &Edge) -> Vec<String> {
    audit_rows(edge)
        .await
        .iter()
        .map(|e| e["channel"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The audit log's rows, once there are any (an ended order writes its row just after it answers).
async fn audit_rows(edge: &Edge) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let request = edge
            .request(Method::GET, "/admin/audit")
            .bearer_auth(&edge.api_key);
        let answer = edge.send(request, "GET /admin/audit").await;
        let rows = answer.body["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !rows.is_empty() || Instant::now() > deadline {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn token_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}

/// The `legit-config` JSON the edge wrote into a widget page.
fn page_config(html: &str) -> Value {
    let start = html
        .find(r#"<meta name="legit-config" content=""#)
        .unwrap_or_else(|| panic!("no legit-config tag in {html}"));
    let rest = &html[start + r#"<meta name="legit-config" content=""#.len()..];
    let raw = &rest[..rest.find('"').expect("end of the content attribute")];
    let text = raw
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("legit-config {text:?}: {e}"))
}

/// The `name=value` part of the answer's `Set-Cookie`.
fn cookie_of(answer: &Answer) -> String {
    let set = answer.header("set-cookie");
    assert!(!set.is_empty(), "no Set-Cookie on {answer:?}");
    set.split(';').next().unwrap_or_default().to_owned()
}

/// The simulator's only order.
async fn only_order_ref(sim: &Sim) -> String {
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 1, "exactly one BankID order: {orders:#?}");
    orders[0]["orderRef"].as_str().expect("orderRef").to_owned()
}

async fn approve_on_this_device(sim: &Sim, auto_start_token: &str) {
    let order_ref = only_order_ref(sim).await;
    let (status, order) = sim
        .admin_post("/admin/open", json!({"autoStartToken": auto_start_token}))
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    sim.act_ok(&order_ref, "approve", None).await;
}

/// A view of a complete link for the simulator's default user, name intact.
#[track_caller]
fn assert_complete(view: &Value, reference: &str) {
    assert_eq!(view["reference"], reference, "{view}");
    assert_eq!(view["status"], "complete", "{view}");
    assert_eq!(view["user"]["personalNumber"], DEFAULT_PNR, "{view}");
    assert_eq!(view["user"]["name"], DEFAULT_NAME, "{view}");
}

/// The whole SMS flow and what follows it: second use, reload with the cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_link_identifies_the_customer_once_and_the_agent_sees_it_live() {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let began = Instant::now();

    let created = create_link(
        &edge,
        &session,
        json!({"channel": "sms", "to": PHONE, "locale": "sv"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let reference = created.body["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    assert_eq!(reference.len(), 9, "K7QX-M4TR: {reference}");
    assert!(
        created.body["expiresAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let sent_after = began.elapsed();

    let mut live = link_events(&edge, &created).await;
    let first = live
        .event_where_within("link", Duration::from_secs(10), "any", |_| true)
        .await;
    assert_eq!(first["status"], "pending", "{first}");
    assert_eq!(first["channel"], "sms");
    assert_eq!(
        first["to"], "+46 ••• •• 67",
        "only the masked number: {first}"
    );

    let inbox = edge.inbox(PHONE_E164);
    assert_eq!(inbox.len(), 1, "exactly one SMS: {inbox:#?}");
    let sms = &inbox[0];
    assert_eq!(sms.from, SMS_SENDER);
    assert_eq!(sms.links.len(), 1, "{sms:?}");
    assert!(
        sms.text
            .starts_with("Demo Försäkring: Identifiera dig med BankID:"),
        "{}",
        sms.text
    );
    assert_eq!(
        sms.sms.as_ref().map(|s| s.segments),
        Some(1),
        "one segment: {sms:?}"
    );
    let url = sms.links[0].clone();
    assert!(url.starts_with(&format!("{}/v/", edge.base_url)), "{url}");

    // The customer's phone opens it: the widget's page, carrying the token, nothing started yet.
    let page = open_page(&edge, &url, None, "sv-SE,sv;q=0.9").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    let html = page.body.as_str().expect("an HTML page");
    let config = page_config(html);
    assert_eq!(config["tenant"], TENANT);
    assert_eq!(config["link"]["token"], token_of(&url));
    assert!(config["link"].get("orderId").is_none(), "{config}");
    assert!(sim.orders().await.is_empty(), "a GET must not start BankID");
    let embed = edge.get(&format!("/embed?tenant={TENANT}")).await;
    assert_eq!(
        page.header("content-security-policy"),
        embed.header("content-security-policy"),
        "the link page has the CSP of /embed"
    );
    // Opening it twice (a link previewer, then the person) changes nothing.
    let again = open_page(&edge, &url, None, "sv").await;
    assert_eq!(again.status, StatusCode::OK);

    let started = start_link(&edge, token_of(&url), None).await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let order_id = started.body["orderId"]
        .as_str()
        .expect("orderId")
        .to_owned();
    let auto_start = started.body["autoStartToken"]
        .as_str()
        .expect("autoStartToken")
        .to_owned();
    assert!(started.body["orderToken"].is_string());
    let set_cookie = started.header("set-cookie").to_owned();
    for part in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        &format!("Path=/v/{}", token_of(&url)),
    ] {
        assert!(set_cookie.contains(part), "{part} in {set_cookie}");
    }
    let cookie = cookie_of(&started);

    let opened = live
        .event_where_within("link", Duration::from_secs(10), "opened", |v| {
            v["status"] == "opened"
        })
        .await;
    assert_eq!(opened["orderId"], order_id.as_str());
    // The same phone back in another tab while the order runs (the SMS link tapped again): the page names
    // the order and its autostart token, so the app can still be opened for it; nothing new starts.
    let again = open_page(&edge, &url, Some(&cookie), "sv").await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    let config = page_config(again.body.as_str().unwrap_or_default());
    assert_eq!(config["link"]["orderId"], order_id.as_str(), "{config}");
    assert_eq!(
        config["link"]["autoStartToken"],
        auto_start.as_str(),
        "{config}"
    );
    assert_eq!(sim.orders().await.len(), 1, "no second BankID order");

    approve_on_this_device(&sim, &auto_start).await;
    let done = live
        .event_where_within("link", Duration::from_secs(20), "complete", |v| {
            v["status"] == "complete"
        })
        .await;
    let took = began.elapsed();
    assert_complete(&done, &reference);
    live.assert_ends_within(Duration::from_secs(5)).await;
    drop(live);
    eprintln!(
        "SMS link flow: created and sent in {sent_after:.2?}, complete for the agent after {took:.2?} \
         (the simulator approves at once; BankID's 2 s collect interval sets the pace)"
    );

    let looked = look_up(&edge, &session, &reference).await;
    assert_eq!(looked.status, StatusCode::OK, "{looked:?}");
    assert_complete(&looked.body, &reference);
    // The backend's API key sees the same.
    let by_key = look_up(&edge, &edge.api_key, &reference.to_lowercase()).await;
    assert_complete(&by_key.body, &reference);

    // Another browser (no cookie) with the same link: used.
    let second = open_page(&edge, &url, None, "en-GB,en;q=0.8").await;
    assert_eq!(second.status, StatusCode::GONE, "{second:?}");
    let text = second.body.as_str().unwrap_or_default();
    assert!(text.contains("This link has already been used"), "{text}");
    assert!(
        text.contains("ask the person you are talking to for a new link"),
        "{text}"
    );
    let restart = start_link(&edge, token_of(&url), None).await;
    assert_eq!(restart.status, StatusCode::GONE, "{restart:?}");
    assert_eq!(restart.body["error"]["code"], "link_used");
    assert_eq!(sim.orders().await.len(), 1, "no second BankID order");

    // The same browser coming back (iOS reloads the tab after the BankID app): the same order.
    let reload = open_page(&edge, &url, Some(&cookie), "sv").await;
    assert_eq!(reload.status, StatusCode::OK, "{reload:?}");
    let config = page_config(reload.body.as_str().unwrap_or_default());
    assert_eq!(config["link"]["orderId"], order_id.as_str(), "{config}");
    assert!(
        config["link"].get("autoStartToken").is_none(),
        "an ended order's page has nothing to start: {config}"
    );
    let order_token = config["link"]["orderToken"].as_str().expect("orderToken");
    let mut follow = edge
        .events_with(&order_id, &format!("?token={order_token}"))
        .await;
    let state = follow.next_state_where("any", |_| true).await;
    assert_eq!(state["status"], "complete", "{state}");
    assert_eq!(state["user"]["name"], DEFAULT_NAME);
    drop(follow);
    // The audit log tells an SMS link's check from an e-mailed one's.
    assert_eq!(audit_channels(&edge).await, ["linkSms"]);

    edge.assert_no_secrets(&sim).await;
    let output = edge.launcher_output();
    for personal in ["701234567", "70-123", "+46 70"] {
        assert!(
            !output.contains(personal),
            "the phone number in the edge's output:\n{output}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_link_works_the_same_and_its_customer_follows_the_order() {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let began = Instant::now();
    let created = create_link(
        &edge,
        &session,
        json!({"channel": "email", "to": EMAIL, "locale": "en"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let reference = created.body["reference"].as_str().unwrap().to_owned();

    let inbox = edge.inbox(EMAIL);
    assert_eq!(inbox.len(), 1, "exactly one e-mail: {inbox:#?}");
    let mail = &inbox[0];
    assert_eq!(mail.from, format!("\"Demo Försäkring\" <{EMAIL_FROM}>"));
    assert_eq!(
        mail.subject.as_deref(),
        Some("Identify yourself with BankID – Demo Försäkring")
    );
    let url = mail.links[0].clone();
    assert!(mail.html.as_deref().unwrap_or_default().contains(&url));

    let view = look_up(&edge, &session, &reference).await;
    assert_eq!(view.body["status"], "pending", "{view:?}");
    assert_eq!(view.body["channel"], "email");
    assert!(!view.body.to_string().contains("lindé"), "masked: {view:?}");

    let page = open_page(&edge, &url, None, "en").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    let started = start_link(&edge, token_of(&url), None).await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let order_id = started.body["orderId"].as_str().unwrap();
    let order_token = started.body["orderToken"].as_str().unwrap();
    let mut customer = edge
        .events_with(order_id, &format!("?token={order_token}"))
        .await;
    approve_on_this_device(&sim, started.body["autoStartToken"].as_str().unwrap()).await;
    let done = customer.final_state().await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["user"]["name"], DEFAULT_NAME);
    drop(customer);

    // The order tells the link when it ends; the look-up reads the person from the order.
    let deadline = Instant::now() + Duration::from_secs(10);
    let view = loop {
        let view = look_up(&edge, &session, &reference).await;
        if view.body["status"] == "complete" || Instant::now() > deadline {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_complete(&view.body, &reference);
    eprintln!("e-mail link flow: complete after {:.2?}", began.elapsed());
    assert_eq!(audit_channels(&edge).await, ["linkEmail"]);
    edge.assert_no_secrets(&sim).await;
    assert!(!edge.launcher_output().contains("example.se"));
}

/// An agent speaking bokmål with the customer sends the link in bokmål: the SMS, and the page it opens when
/// the customer's browser prefers no language legit speaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_sent_in_bokmal_speaks_bokmal_to_the_customer() {
    let (_sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let created = create_link(
        &edge,
        &session,
        json!({"channel": "sms", "to": PHONE, "locale": "nb"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let inbox = edge.inbox(PHONE);
    assert_eq!(inbox.len(), 1, "{inbox:#?}");
    let text = &inbox[0].text;
    assert!(
        text.starts_with("Demo Försäkring: Identifiser deg med BankID:\n")
            && text.contains("Åpne bare hvis du snakker med oss nå."),
        "{text}"
    );
    let url = inbox[0].links[0].clone();

    let page = open_page(&edge, &url, None, "de-DE,fr;q=0.8").await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    let config = page_config(page.body.as_str().unwrap_or_default());
    assert_eq!(config["locale"], "nb", "{config}");

    // A language legit does not speak is refused at the field, and nothing is sent.
    let refused = create_link(
        &edge,
        &session,
        json!({"channel": "sms", "to": "070-765 43 21", "locale": "da"}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    assert_eq!(refused.body["error"]["field"], "locale", "{refused:?}");
    assert!(edge.inbox("+46707654321").is_empty());
}

/// DESIGN.md §5: a tenant's customers get its links from its own sender, though every tenant shares the
/// deployment's provider accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_its_own_sender_sends_its_links_as_itself() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let mut tenants = legit_tests::edge::default_tenants(&api_key, &[]);
    tenants[TENANT]["smsSender"] = json!("DemoFors");
    tenants[TENANT]["emailFrom"] = json!("kundtjanst@demo-forsakring.test");
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let session = edge.agent_session().await;
    for (channel, to) in [("sms", PHONE), ("email", EMAIL)] {
        let created = create_link(&edge, &session, json!({"channel": channel, "to": to})).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    }
    let sms = edge.inbox(PHONE_E164);
    assert_eq!(sms.len(), 1, "{sms:#?}");
    assert_eq!(sms[0].from, "DemoFors", "not the deployment's {SMS_SENDER}");
    let mail = edge.inbox(EMAIL);
    assert_eq!(mail.len(), 1, "{mail:#?}");
    assert_eq!(
        mail[0].from, "\"Demo Försäkring\" <kundtjanst@demo-forsakring.test>",
        "not the deployment's {EMAIL_FROM}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unopened_link_expires_and_says_so_in_the_customers_language() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let mut tenants = legit_tests::edge::default_tenants(&api_key, &[]);
    tenants[TENANT]["linkTtlSeconds"] = json!(5);
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let session = edge.agent_session().await;
    let created = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    let url = edge.inbox(PHONE)[0].links[0].clone();
    assert!(
        edge.inbox(PHONE)[0].text.contains("Gäller 1 min"),
        "the tenant's TTL, rounded up"
    );

    let mut live = link_events(&edge, &created).await;
    let expired = live
        .event_where_within("link", Duration::from_secs(15), "expired", |v| {
            v["status"] == "expired"
        })
        .await;
    assert_eq!(expired["reference"], reference.as_str());
    live.assert_ends_within(Duration::from_secs(5)).await;
    drop(live);

    assert_gone_page(
        &edge,
        &url,
        [
            "Länken har gått ut",
            "This link has expired",
            "Lenken har gått ut",
        ],
    )
    .await;
    let start = start_link(&edge, token_of(&url), None).await;
    assert_eq!(start.status, StatusCode::GONE);
    assert_eq!(start.body["error"]["code"], "link_expired");
    assert!(
        sim.orders().await.is_empty(),
        "an expired link starts nothing"
    );
    let view = look_up(&edge, &session, &reference).await;
    assert_eq!(view.body["status"], "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_references_tokens_and_other_tenants_learn_nothing() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let other_key = new_api_key();
    let mut tenants = legit_tests::edge::default_tenants(&api_key, &[]);
    tenants["other"] = json!({
        "displayName": "Other AB",
        "allowedOrigins": ["https://other.test.example"],
        "apiKeyHashes": [legit_core::tenant::api_key_hash(&other_key)],
    });
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let session = edge.agent_session().await;
    let created = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    let reference = created.body["reference"].as_str().unwrap().to_owned();

    let unknown = look_up(&edge, &session, "K7QX-M4TR").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
    assert_eq!(unknown.body["error"]["code"], "unknown_reference");
    let typo = look_up(&edge, &session, "K7QX-M4T0").await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST, "{typo:?}");
    assert_eq!(typo.body["error"]["code"], "invalid_reference");
    assert_eq!(typo.body["error"]["detail"], "excluded_character");

    let theirs = look_up(&edge, &other_key, &reference).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs:?}");
    assert_eq!(theirs.body["error"]["code"], "unknown_reference");
    let request = edge
        .request(Method::GET, &format!("/api/v1/links/{reference}/events"))
        .bearer_auth(&other_key);
    let theirs = edge.send(request, "GET events as another tenant").await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs:?}");
    let theirs = withdraw(&edge, &other_key, &reference).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs:?}");

    // The link's own stream token (what the agent's widget follows it with, so no session rides in a URL)
    // opens that link's stream and no other, and cannot be moved to another tenant.
    let stream_token = created.body["streamToken"]
        .as_str()
        .expect("a stream token");
    assert!(stream_token.starts_with("ls1.demo."), "{stream_token}");
    let mut own = edge
        .stream(
            &format!("/api/v1/links/{reference}/events"),
            &format!("?token={stream_token}"),
        )
        .await;
    own.event_where_within("link", WAIT, "pending", |v| v["status"] == "pending")
        .await;
    let second = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    let second_ref = second.body["reference"].as_str().unwrap().to_owned();
    for (token, why) in [
        (stream_token.to_owned(), "another link's token"),
        (
            stream_token.replacen("ls1.demo.", "ls1.other.", 1),
            "moved to another tenant",
        ),
        (format!("{stream_token}x"), "tampered"),
    ] {
        let path = format!("/api/v1/links/{second_ref}/events?token={token}");
        let refused = edge.send(edge.request(Method::GET, &path), why).await;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{why}: {refused:?}"
        );
        assert_eq!(
            refused.body["error"]["code"], "invalid_stream_token",
            "{why}"
        );
    }
    assert_eq!(
        look_up(&edge, &session, &reference).await.body["status"],
        "pending",
        "another tenant cannot take a link back"
    );
    // An API key or an agent session never goes in a URL (logs keep URLs), not even a valid one: a stream
    // takes the order's or the link's own token.
    for (path, code) in [
        (
            format!("/api/v1/links/{reference}/events?token={other_key}"),
            "api_key_in_url",
        ),
        (
            format!("/api/v1/links/{reference}?token={}", edge.api_key),
            "api_key_in_url",
        ),
        (
            format!("/api/v1/links/{reference}/events?token={session}"),
            "session_in_url",
        ),
    ] {
        let in_url = edge
            .send(edge.request(Method::GET, &path), "a credential in a URL")
            .await;
        assert_eq!(in_url.status, StatusCode::BAD_REQUEST, "{in_url:?}");
        assert_eq!(in_url.body["error"]["code"], code, "{in_url:?}");
    }

    // A customer page cannot look links up.
    let anonymous = edge.get(&format!("/api/v1/links/{reference}")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{anonymous:?}");

    for token in ["AAAAAAAAAAAAAAAAAAAAAA", "nonsense", "%3Cscript%3E"] {
        let page = open_page(&edge, &format!("{}/v/{token}", edge.base_url), None, "en").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{token}: {page:?}");
        assert!(
            page.body
                .as_str()
                .unwrap_or_default()
                .contains("This link does not work")
        );
        assert!(!page.body.as_str().unwrap_or_default().contains("<script>"));
    }
    let start = start_link(&edge, "AAAAAAAAAAAAAAAAAAAAAA", None).await;
    assert_eq!(start.status, StatusCode::NOT_FOUND);
    assert_eq!(start.body["error"]["code"], "link_unknown");
    edge.assert_no_secrets(&sim).await;
}

/// An agent who sent a link to the wrong number takes it back: nobody can open it after that, an order it had
/// already started is cancelled at BankID, and the agent's screen says so live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_withdraws_a_link_and_nobody_can_use_it_after_that() {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;

    // Not opened yet.
    let created = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    let url = edge.inbox(PHONE)[0].links[0].clone();
    let mut live = link_events(&edge, &created).await;
    live.event_where_within("link", WAIT, "pending", |v| v["status"] == "pending")
        .await;
    // A page (the tenant named, no agent) cannot take a link back.
    let anonymous = edge
        .send(
            edge.request(Method::POST, &format!("/api/v1/links/{reference}/cancel"))
                .header(TENANT_HEADER, TENANT),
            "withdraw without a credential",
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN, "{anonymous:?}");
    assert_eq!(anonymous.body["error"]["code"], "agents_only");
    let withdrawn = withdraw(&edge, &session, &reference).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{withdrawn:?}");
    assert_eq!(withdrawn.body["status"], "withdrawn", "{withdrawn:?}");
    assert_eq!(withdrawn.body["reference"], reference.as_str());
    live.event_where_within("link", WAIT, "withdrawn", |v| v["status"] == "withdrawn")
        .await;
    live.assert_ends_within(Duration::from_secs(5)).await;
    drop(live);

    assert_gone_page(
        &edge,
        &url,
        [
            "Länken har dragits tillbaka",
            "This link has been withdrawn",
            "Lenken er trukket tilbake",
        ],
    )
    .await;
    let start = start_link(&edge, token_of(&url), None).await;
    assert_eq!(start.status, StatusCode::GONE, "{start:?}");
    assert_eq!(start.body["error"]["code"], "link_withdrawn");
    assert!(
        sim.orders().await.is_empty(),
        "a withdrawn link starts nothing"
    );
    // Asking again changes nothing; the API key (the CRM's backend) may ask too.
    let again = withdraw(&edge, &edge.api_key, &reference).await;
    assert_eq!(again.status, StatusCode::OK, "{again:?}");
    assert_eq!(again.body["status"], "withdrawn");

    // Opened: the order it started is cancelled at BankID, and the customer's browser is turned away.
    let created = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    let url = edge.inbox(PHONE)[0].links[0].clone(); // the newest
    let started = start_link(&edge, token_of(&url), None).await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let cookie = cookie_of(&started);
    let order_id = started.body["orderId"].as_str().unwrap().to_owned();
    let order_token = started.body["orderToken"].as_str().unwrap().to_owned();
    let order_ref = only_order_ref(&sim).await;
    assert_eq!(
        look_up(&edge, &session, &reference).await.body["status"],
        "opened"
    );
    let mut customer = edge
        .stream(
            &format!("/api/v1/orders/{order_id}/events"),
            &format!("?token={order_token}"),
        )
        .await;
    let withdrawn = withdraw(&edge, &session, &reference).await;
    assert_eq!(withdrawn.body["status"], "withdrawn", "{withdrawn:?}");
    let ended = customer.final_state().await;
    assert_eq!(ended["status"], "failed", "{ended}");
    assert_eq!(ended["hintCode"], "cancelled", "{ended}");
    assert_eq!(
        ended["errorCode"], "link_withdrawn",
        "the customer's page must not read it as a link used up: {ended}"
    );
    let order = sim.order(&order_ref).await;
    assert_eq!(order["status"], "failed", "BankID must know: {order}");
    assert_eq!(order["hintCode"], "cancelled", "{order}");
    assert_eq!(
        look_up(&edge, &session, &reference).await.body["status"],
        "withdrawn",
        "the cancelled order's end reads as the withdrawal"
    );
    let page = open_page(&edge, &url, Some(&cookie), "en-GB").await;
    assert_eq!(
        page.status,
        StatusCode::GONE,
        "even for the browser that opened it: {page:?}"
    );
    let start = start_link(&edge, token_of(&url), Some(&cookie)).await;
    assert_eq!(start.body["error"]["code"], "link_withdrawn", "{start:?}");
    assert_eq!(sim.orders().await.len(), 1, "no new order");
    let rows = audit_rows(&edge).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (&rows[0]["channel"], &rows[0]["outcome"], &rows[0]["code"]),
        (
            &json!("linkSms"),
            &json!("cancelled"),
            &json!("link_withdrawn")
        )
    );
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_destinations_are_refused_at_the_field_and_nothing_is_sent() {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    for (body, code, detail) in [
        (
            json!({"channel": "sms", "to": "070-123"}),
            "invalid_phone_number",
            Some("too_short"),
        ),
        (
            json!({"channel": "sms", "to": "08-123 456 78"}),
            "not_a_mobile_number",
            None,
        ),
        (
            json!({"channel": "email", "to": "anna.example.com"}),
            "invalid_email",
            Some("missing_at"),
        ),
        (
            json!({"channel": "fax", "to": PHONE}),
            "invalid_channel",
            None,
        ),
    ] {
        let answer = create_link(&edge, &session, body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}: {answer:?}");
        assert_eq!(answer.body["error"]["code"], code, "{body}: {answer:?}");
        assert_eq!(
            answer.body["error"]["detail"].as_str(),
            detail,
            "{answer:?}"
        );
        let field = if code == "invalid_channel" {
            "channel"
        } else {
            "to"
        };
        assert_eq!(answer.body["error"]["field"], field, "{answer:?}");
    }
    // A page without an agent's credential may not send links.
    let page = edge
        .request(Method::POST, "/api/v1/links")
        .header("X-Legit-Tenant", TENANT)
        .header("Origin", ALLOWED_ORIGIN)
        .json(&json!({"channel": "sms", "to": PHONE}));
    let answer = edge.send(page, "POST /api/v1/links as a page").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "agents_only");
    assert!(
        edge.inbox_all().is_empty(),
        "nothing was sent: {:#?}",
        edge.inbox_all()
    );
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_providers_links_are_not_configured_and_a_failing_provider_leaves_no_link() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let tenants = legit_tests::edge::default_tenants(&api_key, &[]);
    let bare =
        Edge::start_with_providers(&sim, api_key.clone(), tenants.clone(), None, false).await;
    let session = bare.agent_session().await;
    let answer = create_link(&bare, &session, json!({"channel": "sms", "to": PHONE})).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "links_not_configured");
    let health = bare.get("/healthz").await;
    assert_eq!(health.body["links"], json!({"sms": "off", "email": "off"}));
    drop(bare);

    let mut edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let session = edge.agent_session().await;
    // The providers go away: the message cannot be sent.
    drop(edge.providers.take());
    let answer = create_link(&edge, &session, json!({"channel": "email", "to": EMAIL})).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "provider_unavailable");
    assert!(answer.body.get("reference").is_none());
    edge.assert_no_secrets(&sim).await;
}

/// A gateway that takes the connection and never answers must not hold the agent: after
/// `SEND_TIMEOUT_MS` the send is "try again", and nothing of the link is left to be opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_never_answers_lets_the_agent_go_and_leaves_no_link() {
    let (sim, mut edge) = stack().await;
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = hole.local_addr().expect("address");
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = hole.accept().await {
            open.push(socket);
        }
    });
    edge.restart_with_var(&format!("SMS_GATEWAY_URL=http://{addr}/sms/send"))
        .await;
    let session = edge.agent_session().await;
    let answer = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "provider_unavailable");
    assert!(answer.body.get("reference").is_none(), "{answer:?}");
    held.abort();
    // E-mail, through the working provider, is untouched.
    let email = create_link(&edge, &session, json!({"channel": "email", "to": EMAIL})).await;
    assert_eq!(email.status, StatusCode::CREATED, "{email:?}");
    assert_eq!(edge.inbox(EMAIL).len(), 1);
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_gets_three_links_a_minute_then_429_with_retry_after() {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let health = edge.get("/healthz").await;
    assert_eq!(health.body["rateLimits"], true, "{health:?}");
    assert_eq!(health.body["links"], json!({"sms": "on", "email": "on"}));
    for i in 0..3 {
        let answer = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
        assert_eq!(answer.status, StatusCode::CREATED, "link #{i}: {answer:?}");
    }
    // The same number typed another way is the same destination.
    let refused = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE_E164})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{refused:?}");
    assert_eq!(refused.body["error"]["code"], "rate_limited");
    assert_eq!(refused.header("retry-after"), "60");
    assert_eq!(edge.inbox(PHONE).len(), 3, "the refused link was not sent");
    // Another destination is not held up by this one.
    let other = create_link(
        &edge,
        &session,
        json!({"channel": "sms", "to": "076-686 10 04"}),
    )
    .await;
    assert_eq!(other.status, StatusCode::CREATED, "{other:?}");
    edge.assert_no_secrets(&sim).await;
}

/// A desktop customer picks "this computer", has no BankID there and switches to the QR code: the same
/// browser starts over on the same link; the first order ends at BankID and the link follows the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_that_opened_a_link_may_start_over_and_nobody_else_may() {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let created = create_link(&edge, &session, json!({"channel": "email", "to": EMAIL})).await;
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    let url = edge.inbox(EMAIL)[0].links[0].clone();
    let token = token_of(&url);

    let first = start_link(&edge, token, None).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let first_id = first.body["orderId"].as_str().unwrap().to_owned();
    let cookie = cookie_of(&first);
    let first_ref = only_order_ref(&sim).await;

    // Without the cookie: used. With it: a new order, the first one cancelled at BankID.
    let stranger = start_link(&edge, token, None).await;
    assert_eq!(stranger.status, StatusCode::GONE, "{stranger:?}");
    let again = start_link(&edge, token, Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::CREATED, "{again:?}");
    let second_id = again.body["orderId"].as_str().unwrap().to_owned();
    assert_ne!(second_id, first_id);
    let old = sim.order(&first_ref).await;
    assert_eq!(
        old["status"], "failed",
        "the first order ends at BankID: {old}"
    );
    let view = look_up(&edge, &session, &reference).await;
    assert_eq!(view.body["status"], "opened", "{view:?}");
    assert_eq!(view.body["orderId"], second_id.as_str());

    // The new order completes by QR: scanned on another device, approved.
    let mut customer = edge
        .events_with(
            &second_id,
            &format!("?token={}", again.body["orderToken"].as_str().unwrap()),
        )
        .await;
    let qr = customer.next_qr().await;
    let (status, scanned) = sim.scan(&qr).await;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    let second_ref = scanned["orderRef"].as_str().expect("orderRef").to_owned();
    sim.act_ok(&second_ref, "approve", None).await;
    let done = customer.final_state().await;
    assert_eq!(done["status"], "complete", "{done}");
    drop(customer);
    let deadline = Instant::now() + Duration::from_secs(10);
    let view = loop {
        let view = look_up(&edge, &session, &reference).await;
        if view.body["status"] != "opened" || Instant::now() > deadline {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_complete(&view.body, &reference);
    // The new cookie names the new order; starting over once complete is refused.
    let cookie = cookie_of(&again);
    let late = start_link(&edge, token, Some(&cookie)).await;
    assert_eq!(late.status, StatusCode::GONE, "{late:?}");
    edge.assert_no_secrets(&sim).await;
}

/// The customer's real browser (headless Chromium, English) on the link page: the widget starts through the
/// link only when the person chooses, the QR code scans, and coming back to the page without the tab's
/// storage (the cookie alone) shows the same order's outcome; without the cookie the link is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_link_page_starts_on_a_click_and_a_return_follows_the_same_order()
-> Result<(), Box<dyn std::error::Error>> {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let created = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    let url = edge.inbox(PHONE)[0].links[0].clone();

    let browser = Browser::start().await?;
    browser.set_window_size(320, 800).await?;
    let began = Instant::now();
    browser.goto(&url).await?;
    browser
        .wait_for_text(
            ".lead",
            "Would you like to use BankID on this computer",
            WAIT,
        )
        .await?;
    // Whose link it is, as the edge's tenant settings say (not the URL), name intact.
    assert_eq!(
        browser.text(".customer .sender").await?,
        "Sent by Demo Försäkring"
    );
    browser.screenshot("links-customer-choose-320.png").await?;
    assert!(
        sim.orders().await.is_empty(),
        "opening the page starts nothing"
    );
    assert_eq!(
        look_up(&edge, &session, &reference).await.body["status"],
        "pending"
    );

    browser.click_text("button", "Mobile BankID", WAIT).await?;
    browser.wait_for(".qr svg", WAIT).await?;
    let view = look_up(&edge, &session, &reference).await;
    assert_eq!(view.body["status"], "opened", "{view:?}");
    let order_ref = only_order_ref(&sim).await;
    let shown = browser
        .find(".qr")
        .await?
        .attr("data-payload")
        .await?
        .unwrap_or_default();
    let (status, scanned) = sim.scan(&shown).await;
    assert!(status.is_success(), "the shown frame scans: {scanned}");
    sim.act_ok(&order_ref, "approve", None).await;
    browser
        .wait_for_text("[role=status]", "You are identified.", WAIT)
        .await?;
    // Nothing is left to do on a link's page, and the customer is told so.
    browser
        .wait_for_text(".customer .lead", "You can close this page now.", WAIT)
        .await?;
    eprintln!(
        "link page in Chromium: opened to identified in {:.2?}",
        began.elapsed()
    );
    browser.screenshot("links-customer-done-320.png").await?;
    assert_complete(&look_up(&edge, &session, &reference).await.body, &reference);

    // Back to the page with the tab's storage gone: only the cookie says who this is.
    browser
        .client()
        .execute("sessionStorage.clear(); return true;", vec![])
        .await?;
    browser.goto(&url).await?;
    browser
        .wait_for_text("[role=status]", "You are identified.", WAIT)
        .await?;
    assert_eq!(sim.orders().await.len(), 1, "no second order");
    // Without the cookie the same page is refused.
    browser.client().delete_all_cookies().await?;
    browser.goto(&url).await?;
    browser
        .wait_for_text("h1", "This link has already been used", WAIT)
        .await?;
    // Not a dead end: BankID's help and the language switch, as on every other screen of the link.
    let help = browser
        .find("footer a[href='https://support.bankid.com']")
        .await?;
    assert_eq!(help.text().await?, "Need help? support.bankid.com");
    assert_eq!(
        browser.axe_violations().await?,
        json!([]),
        "axe-core on a used link's page"
    );
    browser.screenshot("links-customer-used-320.png").await?;
    browser.click_text("a", "Norsk", WAIT).await?;
    browser
        .wait_for_text("h1", "Lenken er allerede brukt", WAIT)
        .await?;
    assert_eq!(browser.text("footer a[aria-current=true]").await?, "Norsk");
    browser.close().await?;
    edge.assert_no_secrets(&sim).await;
    Ok(())
}

/// The agent's widget as a softphone opens it for a call from [`PHONE`]: the number prefilled, normalised.
async fn softphone_agent(
    edge: &Edge,
    session: &str,
) -> Result<Browser, Box<dyn std::error::Error>> {
    let agent = edge
        .agent_widget(session, "lang=en&mobnr=070-123%2045%2067")
        .await?;
    agent
        .wait_for_text(
            "#legit-to-note",
            &format!("Will be sent as {PHONE_E164}"),
            WAIT,
        )
        .await?;
    Ok(agent)
}

/// Someone opens the link at 320 px and picks the QR code; returns their browser once the agent's widget
/// shows the link opened, and BankID's order.
async fn open_with_qr(
    sim: &Sim,
    agent: &Browser,
    url: &str,
) -> Result<(Browser, String), Box<dyn std::error::Error>> {
    let browser = Browser::start().await?;
    browser.set_window_size(320, 800).await?;
    browser.goto(url).await?;
    browser.click_text("button", "Mobile BankID", WAIT).await?;
    browser.wait_for(".qr svg", WAIT).await?;
    agent
        .wait_for_text(LINK_STATUS, "The customer has opened the link", WAIT)
        .await?;
    Ok((browser, only_order_ref(sim).await))
}

/// The agent switches the widget to bokmål for a Norwegian-speaking caller; the link goes out in bokmål.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_an_agent_who_switches_to_bokmal_sends_the_link_in_bokmal()
-> Result<(), Box<dyn std::error::Error>> {
    let (_sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let agent = softphone_agent(&edge, &session).await?;
    agent.click_text("button", "Norsk", WAIT).await?;
    agent
        .wait_for_text("#legit-to-note", &format!("Sendes som {PHONE_E164}"), WAIT)
        .await?;
    agent
        .click("#legit-panel-link button[type=submit]", WAIT)
        .await?;
    agent
        .wait_for_text(LINK_STATUS, "Lenken er sendt", WAIT)
        .await?;
    agent.screenshot("links-agent-sent-nb-320.png").await?;
    let inbox = edge.inbox(PHONE_E164);
    assert_eq!(inbox.len(), 1, "{inbox:#?}");
    assert!(
        inbox[0].text.contains("Identifiser deg med BankID:"),
        "{}",
        inbox[0].text
    );
    agent.close().await?;
    Ok(())
}

/// Presses "Send link" in the agent's widget and returns the reference number it shows once sent.
async fn send_from_widget(agent: &Browser) -> Result<String, Box<dyn std::error::Error>> {
    agent
        .click("#legit-panel-link button[type=submit]", WAIT)
        .await?;
    agent
        .wait_for_text(LINK_STATUS, "The link has been sent", WAIT)
        .await?;
    Ok(agent
        .text(&format!("{LINK_STATUS} .reference .mono"))
        .await?)
}

/// Waits, pressing nothing, until the agent's widget shows the link's customer identified; returns what it
/// shows.
async fn widget_shows_identified(agent: &Browser) -> Result<String, Box<dyn std::error::Error>> {
    Ok(agent
        .wait_for_text(LINK_STATUS, "The customer is identified", WAIT)
        .await?)
}

/// The agent sent the link to the wrong number, and whoever got it is already looking at the QR code: one
/// press takes it back. The agent's widget says so and offers only "Send another"; the stranger's page (320 px)
/// says at once that the sender withdrew the link, not that it was used up, with nothing to press; BankID's
/// order is cancelled; opened again, the link is a page saying it was withdrawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_an_agent_withdraws_a_link_sent_to_the_wrong_number()
-> Result<(), Box<dyn std::error::Error>> {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let agent = softphone_agent(&edge, &session).await?;
    let reference = send_from_widget(&agent).await?;
    let url = edge.inbox(PHONE_E164)[0].links[0].clone();
    let (stranger, order_ref) = open_with_qr(&sim, &agent, &url).await?;

    let actions = "#legit-panel-link .actions button";
    assert_eq!(
        agent.find_all(actions).await?.len(),
        2,
        "send another, withdraw"
    );
    agent.click_text(actions, "Withdraw the link", WAIT).await?;
    let seen = agent
        .wait_for_text(LINK_STATUS, "The link has been withdrawn", WAIT)
        .await?;
    assert!(seen.contains(&reference), "{seen}");
    // The pressed button is gone: the keyboard is on what comes next.
    let deadline = Instant::now() + WAIT;
    loop {
        let focused = agent
            .client()
            .execute("return document.activeElement.textContent.trim();", vec![])
            .await?;
        if focused == json!("Send another link") {
            break;
        }
        assert!(Instant::now() < deadline, "focus is on {focused}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        agent.find_all(actions).await?.len(),
        1,
        "nothing left to withdraw"
    );
    assert_eq!(
        agent.axe_violations().await?,
        json!([]),
        "axe-core on the withdrawn link"
    );
    agent.screenshot("links-agent-withdrawn-320.png").await?;
    assert_eq!(
        look_up(&edge, &session, &reference).await.body["status"],
        "withdrawn"
    );

    const WITHDRAWN: &str = "Whoever sent this link has withdrawn it.";
    stranger
        .wait_for_text(".customer .lead", WITHDRAWN, WAIT)
        .await?;
    let text = stranger.text(".customer").await?;
    assert!(!text.contains("can only be used once"), "{text}");
    // Nothing to try again: BankID's "Please try again" for the sender's cancel would contradict the page.
    assert_eq!(
        stranger.text(".customer .status").await?,
        "This link can no longer be used."
    );
    assert!(
        stranger.find_all(".customer button").await?.is_empty(),
        "nothing to press that the edge would refuse"
    );
    let focused = stranger
        .client()
        .execute("return document.activeElement.textContent", vec![])
        .await?;
    assert!(
        focused.as_str().is_some_and(|t| t.starts_with(WITHDRAWN)),
        "focus: {focused}"
    );
    assert_eq!(
        stranger.axe_violations().await?,
        json!([]),
        "axe-core on a withdrawn link's page"
    );
    stranger
        .screenshot("links-customer-withdrawn-320.png")
        .await?;
    let order = sim.order(&order_ref).await;
    assert_eq!(
        (&order["status"], &order["hintCode"]),
        (&json!("failed"), &json!("cancelled")),
        "BankID's order ended too: {order}"
    );
    stranger.client().refresh().await?;
    stranger
        .wait_for_text("h1", "This link has been withdrawn", WAIT)
        .await?;
    assert_eq!(sim.orders().await.len(), 1, "no second order");
    stranger.close().await?;
    agent.close().await?;
    edge.assert_no_secrets(&sim).await;
    Ok(())
}

/// The identified view names the link and carries the result card with the name intact.
async fn assert_widget_identified(
    agent: &Browser,
    seen: &str,
    reference: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    assert!(seen.contains(reference), "{seen}");
    let card = agent.text(&format!("{LINK_STATUS} .result")).await?;
    assert!(card.contains(DEFAULT_NAME), "{card}");
    Ok(())
}

/// The whole SMS flow as its two people see it, each in a real Chromium: the agent sends the link from the
/// widget a softphone opened with the caller's number; the customer's phone (a phone's user agent) opens the
/// text's link and starts BankID on the same device; the simulator approves; the agent's widget follows the
/// link live, with no button pressed, from sent to opened to identified with the name intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_agents_widget_follows_a_sent_link_live_to_the_identified_customer()
-> Result<(), Box<dyn std::error::Error>> {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let agent = softphone_agent(&edge, &session).await?;
    let began = Instant::now();
    let reference = send_from_widget(&agent).await?;
    assert_eq!(
        look_up(&edge, &session, &reference).await.body["status"],
        "pending"
    );
    let inbox = edge.inbox(PHONE_E164);
    assert_eq!(inbox.len(), 1, "exactly one text: {inbox:#?}");
    assert_eq!(inbox[0].links.len(), 1, "with one link: {inbox:#?}");
    let url = inbox[0].links[0].clone();
    agent.screenshot("links-agent-sent-320.png").await?;

    let phone = Browser::start_as(MOBILE_UA).await?;
    phone.set_window_size(390, 844).await?;
    phone.goto(&url).await?;
    phone
        .click_text("button", "BankID on this device", WAIT)
        .await?;
    // A phone opens the app only from a tap: the button is there at once, carrying the order's token.
    let launch = phone.wait_for(".launch-slot a", WAIT).await?;
    let href = launch.attr("href").await?.unwrap_or_default();
    assert!(
        href.starts_with("https://app.bankid.com/?autostarttoken="),
        "{href}"
    );
    let token = href
        .split("autostarttoken=")
        .nth(1)
        .and_then(|t| t.split('&').next())
        .unwrap_or_default()
        .to_owned();
    // iOS Safari: the app cannot know which browser to go back to. The order names this page as its
    // `returnUrl`, and the launch URL then says `redirect=null` (BANKID.md §7).
    assert!(href.ends_with("&redirect=null"), "{href}");
    let order = sim.orders().await;
    assert_eq!(order[0]["returnUrl"], url.as_str(), "{:?}", order[0]);
    // The SMS link tapped again: a new tab, without the first one's storage. It follows the same order and
    // still offers the app, with the same token; the first tab's order is not replaced.
    phone
        .client()
        .execute("sessionStorage.clear(); return true;", vec![])
        .await?;
    phone.goto(&url).await?;
    let again = phone.wait_for(".launch-slot a", WAIT).await?;
    let href_again = again.attr("href").await?.unwrap_or_default();
    assert!(
        href_again.starts_with(&format!("https://app.bankid.com/?autostarttoken={token}")),
        "the same token in the new tab: {href_again}"
    );
    assert_eq!(sim.orders().await.len(), 1, "no second BankID order");
    phone
        .screenshot("links-customer-reopened-phone.png")
        .await?;
    agent
        .wait_for_text(LINK_STATUS, "The customer has opened the link", WAIT)
        .await?;
    approve_on_this_device(&sim, &token).await;
    let seen = widget_shows_identified(&agent).await?;
    eprintln!(
        "SMS link in Chromium: sent to identified on the agent's screen in {:.2?}",
        began.elapsed()
    );
    assert_widget_identified(&agent, &seen, &reference).await?;
    assert!(
        agent
            .find_all("#legit-panel-link .actions button")
            .await?
            .len()
            == 1,
        "only \"Send another\": nothing to press to see the outcome"
    );
    agent.screenshot("links-agent-identified-320.png").await?;
    phone
        .wait_for_text("[role=status]", "You are identified.", WAIT)
        .await?;
    assert_complete(&look_up(&edge, &session, &reference).await.body, &reference);
    phone.close().await?;
    agent.close().await?;
    edge.assert_no_secrets(&sim).await;
    Ok(())
}

/// The customer cancels in the BankID app: the agent's widget says so in its own words ("The customer
/// cancelled in BankID"), not the customer's RFA text, and offers only to send another link. The customer's
/// page (Chromium, 320 px) tells them the link is spent and who can send a new one, with no "Try again" that
/// could only be refused, and says the same after a reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_link_the_customer_cancels_shows_the_agent_what_happened()
-> Result<(), Box<dyn std::error::Error>> {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let agent = softphone_agent(&edge, &session).await?;
    let reference = send_from_widget(&agent).await?;
    let url = edge.inbox(PHONE_E164)[0].links[0].clone();
    let (customer, order_ref) = open_with_qr(&sim, &agent, &url).await?;
    sim.act_ok(&order_ref, "cancel", None).await;
    let seen = agent
        .wait_for_text(LINK_STATUS, "The customer cancelled in BankID", WAIT)
        .await?;
    assert!(seen.contains(&reference), "{seen}");
    assert!(
        !seen.contains("The action was cancelled"),
        "the customer's RFA6 text is not the agent's: {seen}"
    );
    // An ended link reads as a failure, not as neutral news.
    agent
        .find(&format!("{LINK_STATUS} .status-line.failed"))
        .await?;
    assert_eq!(
        look_up(&edge, &session, &reference).await.body["status"],
        "failed"
    );
    let actions = agent.find_all("#legit-panel-link .actions button").await?;
    assert_eq!(actions.len(), 1, "only \"Send another\"");
    agent.screenshot("links-agent-cancelled-320.png").await?;
    agent.close().await?;

    const SPENT: &str =
        "A link can only be used once. Ask the person you are talking to for a new link";
    for visit in ["after the cancel", "after a reload"] {
        customer
            .wait_for_text("[role=status]", "The action was cancelled.", WAIT)
            .await?;
        customer
            .wait_for_text(".customer .lead", SPENT, WAIT)
            .await?;
        let buttons = customer.find_all(".customer button").await?;
        assert!(
            buttons.is_empty(),
            "{visit}: nothing to press that the edge would refuse"
        );
        if visit == "after the cancel" {
            // Focus lands on what to do next, so a screen reader reads it and the keyboard starts there.
            let focused = customer
                .client()
                .execute("return document.activeElement.textContent", vec![])
                .await?;
            assert!(
                focused.as_str().is_some_and(|t| t.starts_with(SPENT)),
                "focus: {focused}"
            );
            customer.screenshot("links-customer-spent-320.png").await?;
            assert_eq!(
                customer.axe_violations().await?,
                json!([]),
                "axe-core on a spent link"
            );
            customer.client().refresh().await?;
        }
    }
    assert_eq!(sim.orders().await.len(), 1, "no second order");
    customer.close().await?;
    Ok(())
}

/// The same with e-mail and a computer: the agent switches the widget to e-mail and types the address, the
/// customer opens the mail's link in a desktop Chromium and scans the animated QR code; the agent's widget
/// follows it to the identified customer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_an_e_mailed_link_scanned_on_a_computer_reaches_the_agents_widget()
-> Result<(), Box<dyn std::error::Error>> {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let agent = edge.agent_widget(&session, "lang=en").await?;
    agent.click("#legit-tab-link", WAIT).await?;
    agent
        .click_text("#legit-panel-link label", "E-mail", WAIT)
        .await?;
    agent.fill("#legit-to", &format!(" {EMAIL} ")).await?;
    agent
        .wait_for_text("#legit-to-note", &format!("Will be sent as {EMAIL}"), WAIT)
        .await?;
    let began = Instant::now();
    let reference = send_from_widget(&agent).await?;
    assert!(edge.inbox(PHONE_E164).is_empty(), "no text message");
    let inbox = edge.inbox(EMAIL);
    assert_eq!(inbox.len(), 1, "exactly one e-mail: {inbox:#?}");
    assert_eq!(inbox[0].links.len(), 1, "with one link: {inbox:#?}");
    let url = inbox[0].links[0].clone();

    let computer = Browser::start().await?;
    computer.set_window_size(1024, 768).await?;
    computer.goto(&url).await?;
    computer.click_text("button", "Mobile BankID", WAIT).await?;
    computer.wait_for(".qr svg", WAIT).await?;
    agent
        .wait_for_text(LINK_STATUS, "The customer has opened the link", WAIT)
        .await?;
    let order_ref = only_order_ref(&sim).await;
    let shown = computer
        .find(".qr")
        .await?
        .attr("data-payload")
        .await?
        .unwrap_or_default();
    let (scan, scanned) = sim.scan(&shown).await;
    assert!(scan.is_success(), "the shown frame scans: {scanned}");
    sim.act_ok(&order_ref, "approve", None).await;
    let seen = widget_shows_identified(&agent).await?;
    eprintln!(
        "e-mail link in Chromium (QR): sent to identified on the agent's screen in {:.2?}",
        began.elapsed()
    );
    assert_widget_identified(&agent, &seen, &reference).await?;
    computer
        .wait_for_text("[role=status]", "You are identified.", WAIT)
        .await?;
    assert_complete(&look_up(&edge, &session, &reference).await.body, &reference);
    computer.close().await?;
    agent.close().await?;
    edge.assert_no_secrets(&sim).await;
    Ok(())
}

/// The look-up shows the person only as the tenant's disclosure policy allows: here the personal number
/// masked and no names. The link object holds none of it; it reads the order's disclosed result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_look_up_discloses_only_what_the_tenant_allows() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let mut tenants = legit_tests::edge::default_tenants(&api_key, &[]);
    tenants[TENANT]["disclosure"] = json!({"personalNumber": "masked", "names": false});
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    let session = edge.agent_session().await;
    let created = create_link(&edge, &session, json!({"channel": "sms", "to": PHONE})).await;
    let reference = created.body["reference"].as_str().unwrap().to_owned();
    let url = edge.inbox(PHONE)[0].links[0].clone();
    let mut live = link_events(&edge, &created).await;
    let started = start_link(&edge, token_of(&url), None).await;
    approve_on_this_device(&sim, started.body["autoStartToken"].as_str().unwrap()).await;
    let done = live
        .event_where_within("link", Duration::from_secs(20), "complete", |v| {
            v["status"] == "complete"
        })
        .await;
    let masked = format!("{}-XXXX", &DEFAULT_PNR[2..8]);
    assert_eq!(done["user"], json!({"personalNumber": masked}), "{done}");
    drop(live);
    let view = look_up(&edge, &session, &reference).await;
    assert_eq!(
        view.body["user"],
        json!({"personalNumber": masked}),
        "{view:?}"
    );
    for answer in edge.captured_bodies() {
        assert!(
            !answer.contains(DEFAULT_PNR),
            "the full number left the edge: {answer}"
        );
        assert!(
            !answer.contains("Ämström"),
            "a name left the edge: {answer}"
        );
    }
}

/// Whether the field matching `css` is marked `aria-invalid`, as a screen reader announces it.
async fn flagged_invalid(browser: &Browser, css: &str) -> Result<bool, Box<dyn std::error::Error>> {
    let value = browser.find(css).await?.attr("aria-invalid").await?;
    Ok(value.as_deref() == Some("true"))
}

/// An agent fetches a check's status by its reference number, as a colleague reads it out: a misread
/// character is named as typed and nothing is asked; the reference typed in lower case with a space finds
/// the link; once the customer is identified, looking again shows the name intact. The answer stands clear
/// of the button that asked for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_an_agent_looks_a_check_up_by_its_reference_as_read_out()
-> Result<(), Box<dyn std::error::Error>> {
    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    let sender = softphone_agent(&edge, &session).await?;
    let reference = send_from_widget(&sender).await?;
    sender.close().await?;
    let url = edge.inbox(PHONE_E164)[0].links[0].clone();

    let agent = edge.agent_widget(&session, "lang=en").await?;
    agent.click_text("button", "Look up", WAIT).await?;
    const FIELD: &str = "#legit-reference";
    const NOTE: &str = "#legit-reference-hint";
    const FOUND: &str = ".lookup [role=status]";
    // "O" for "0" is the classic misread; the alphabet has neither, and the field says so as it is typed.
    agent.fill(FIELD, &format!("{}O", &reference[..3])).await?;
    agent
        .wait_for_text(NOTE, "never contain 0, 1, I, L, O or U", WAIT)
        .await?;
    assert!(flagged_invalid(&agent, FIELD).await?);
    agent.click(".lookup button[type=submit]", WAIT).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(agent.text(FOUND).await?, "", "nothing looked up");
    assert_eq!(
        agent.axe_violations().await?,
        json!([]),
        "axe-core on a refused reference"
    );
    assert!(
        agent
            .find(FIELD)
            .await?
            .prop("value")
            .await?
            .unwrap_or_default()
            .ends_with('O'),
        "what was typed stays to be corrected"
    );

    let heard = reference.to_lowercase().replace('-', " ");
    agent.fill(FIELD, &heard).await?;
    agent.wait_for_text(NOTE, "8 characters", WAIT).await?;
    assert!(!flagged_invalid(&agent, FIELD).await?);
    agent.click(".lookup button[type=submit]", WAIT).await?;
    let seen = agent
        .wait_for_text(FOUND, "Waiting for the customer", WAIT)
        .await?;
    assert!(seen.contains(&reference), "shown as {reference}: {seen}");
    let gap: f64 = serde_json::from_value(
        agent
            .client()
            .execute(
                "return document.querySelector('.lookup .found').getBoundingClientRect().top
                      - document.querySelector('.lookup button[type=submit]').getBoundingClientRect().bottom;",
                vec![],
            )
            .await?,
    )?;
    assert!(gap >= 12.0, "the answer sits {gap} px under the button");

    let started = start_link(&edge, token_of(&url), None).await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    approve_on_this_device(
        &sim,
        started.body["autoStartToken"].as_str().unwrap_or_default(),
    )
    .await;
    let mut identified = String::new();
    for _ in 0..40 {
        agent.click(".lookup button[type=submit]", WAIT).await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
        identified = agent.text(FOUND).await?;
        if identified.contains("The customer is identified") {
            break;
        }
    }
    assert!(
        identified.contains("The customer is identified"),
        "{identified}"
    );
    assert!(identified.contains(DEFAULT_NAME), "{identified}");
    let reference_lines: u64 = serde_json::from_value(
        agent
            .client()
            .execute(
                "return document.querySelector('.lookup .reference .mono').getClientRects().length;",
                vec![],
            )
            .await?,
    )?;
    assert_eq!(
        reference_lines, 1,
        "the reference is never broken at its dash"
    );
    agent.screenshot("widget-agent-lookup-320.png").await?;
    assert_eq!(
        agent.axe_violations().await?,
        json!([]),
        "axe-core on the look-up's answer"
    );

    let unknown = if reference == "K7QX-M4TR" {
        "K7QX-M4TS"
    } else {
        "K7QX-M4TR"
    };
    agent.fill(FIELD, unknown).await?;
    agent.click(".lookup button[type=submit]", WAIT).await?;
    agent
        .wait_for_text(FOUND, "No check with that reference number", WAIT)
        .await?;
    agent.close().await?;
    edge.assert_no_secrets(&sim).await;
    Ok(())
}
