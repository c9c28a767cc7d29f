//! The IVR API end to end: the real edge Worker in Miniflare talking mTLS to a real simulator, driven as a
//! call-flow platform drives it (`POST /api/v1/ivr/orders` with the tenant's API key, then the long-poll
//! `GET /api/v1/ivr/orders/{id}?wait=N`), while the simulator's admin API plays the caller's phone. The
//! agent's side (`GET /api/v1/ivr/calls/{callId}` with a session, then the order's live stream) is here too.
//!
//! Each test has its own simulator and Worker. Lines starting `measured:` on stderr are the timings the
//! README quotes (run with `--nocapture` to see them).

use std::time::{Duration, Instant};

use legit_tests::edge::{Answer, Edge, default_tenants, new_api_key};
use legit_tests::{DEFAULT_PNR, Sim, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

/// The simulator's default user typed as a caller would on the keypad: the short form.
const TYPED_PNR: &str = "8112289874";
const MASKED: &str = "811228-XXXX";
/// A built-in test person of the simulator other than the default user.
const OTHER_PNR: &str = "191212121212";

async fn stack() -> (Sim, Edge) {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    (sim, edge)
}

/// `POST /api/v1/ivr/orders` with the tenant's API key, as the IVR's server sends it.
async fn start(edge: &Edge, personal_number: &str, call_id: &str) -> Answer {
    let body = json!({"personalNumber": personal_number, "callId": call_id});
    edge.send(
        edge.request(Method::POST, "/api/v1/ivr/orders")
            .bearer_auth(&edge.api_key)
            .json(&body),
        "POST /api/v1/ivr/orders",
    )
    .await
}

/// `GET /api/v1/ivr/orders/{id}?wait=N` with the API key; also how long it took.
async fn poll(edge: &Edge, order_id: &str, wait: u64) -> (Answer, Duration) {
    let path = format!("/api/v1/ivr/orders/{order_id}?wait={wait}");
    let asked = Instant::now();
    let answer = edge
        .send(
            edge.request(Method::GET, &path).bearer_auth(&edge.api_key),
            &format!("GET {path}"),
        )
        .await;
    (answer, asked.elapsed())
}

/// Long-polls until the answer is not pending, within `limit`.
async fn poll_until_final(edge: &Edge, order_id: &str, limit: Duration) -> Answer {
    let deadline = Instant::now() + limit;
    loop {
        let (answer, _) = poll(edge, order_id, 5).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        if answer.body["status"] != "pending" || Instant::now() > deadline {
            return answer;
        }
    }
}

fn order_id(answer: &Answer) -> String {
    answer.body["orderId"]
        .as_str()
        .unwrap_or_else(|| panic!("no orderId: {answer:?}"))
        .to_owned()
}

/// The only BankID order of the simulator.
async fn only_order_ref(sim: &Sim) -> String {
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 1, "exactly one BankID order: {orders:#?}");
    orders[0]["orderRef"].as_str().expect("orderRef").to_owned()
}

/// Asserts an answer's outcome and that it never carries the full personal number.
#[track_caller]
/// An IVR answer as text, without its order id: the id is random hex, which holds "9874" (the test
/// number's last four) in about one order in 2 000, so it is checked apart.
fn without_order_id(body: &Value) -> String {
    let mut rest = body.clone();
    if let Some(fields) = rest.as_object_mut() {
        fields.remove("orderId");
    }
    rest.to_string()
}

fn assert_answer(answer: &Answer, status: &str, reason: Option<&str>) {
    let body = &answer.body;
    assert_eq!(body["status"], status, "{answer:?}");
    assert_eq!(body["reason"].as_str(), reason, "{answer:?}");
    assert_eq!(body["personalNumber"], MASKED, "{answer:?}");
    for lang in ["sv", "en", "nb"] {
        let sentence = body["sentence"][lang].as_str().unwrap_or_default();
        assert!(sentence.ends_with('.'), "a sentence in {lang}: {answer:?}");
    }
    let text = without_order_id(body);
    assert!(
        !text.contains(DEFAULT_PNR) && !text.contains(TYPED_PNR) && !text.contains("9874"),
        "the full personal number must never be in an IVR answer: {text}"
    );
    let id = body["orderId"].as_str().unwrap_or_default();
    assert!(
        !id.contains(DEFAULT_PNR) && !id.contains(TYPED_PNR),
        "{answer:?}"
    );
}

/// The caller opens BankID, confirms the call and approves.
async fn caller_approves(sim: &Sim, order_ref: &str) {
    sim.act_ok(order_ref, "open", None).await;
    sim.act_ok(order_ref, "confirm-call", None).await;
    sim.act_ok(order_ref, "approve", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_is_identified_and_the_ivr_hears_the_masked_number() {
    let (sim, edge) = stack().await;
    let began = Instant::now();
    let started = start(&edge, TYPED_PNR, "call-ok-1").await;
    let start_took = began.elapsed();
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    assert_answer(&started, "pending", None);
    assert_eq!(started.body["callId"], "call-ok-1");
    assert_eq!(
        started.body["sentence"]["en"],
        "Identification in progress. Open the BankID app and follow the instructions."
    );
    let id = order_id(&started);
    let order_ref = only_order_ref(&sim).await;
    let order = sim.order(&order_ref).await;
    assert_eq!(order["kind"], "phoneAuth", "{order}");
    assert_eq!(order["personalNumber"], DEFAULT_PNR, "{order}");
    assert_eq!(order["callInitiator"], "user", "the default: {order}");

    // The IVR long-polls while the caller approves; the answer comes as soon as the order ends.
    let waiting = {
        let edge_url = edge.url(&format!("/api/v1/ivr/orders/{id}?wait=25"));
        let key = edge.api_key.clone();
        tokio::spawn(async move {
            let asked = Instant::now();
            let answer = reqwest::Client::new()
                .get(edge_url)
                .bearer_auth(key)
                .send()
                .await
                .expect("long-poll");
            let status = answer.status();
            let body: Value = answer.json().await.expect("JSON");
            (status, body, asked.elapsed(), Instant::now())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    caller_approves(&sim, &order_ref).await;
    let approved = Instant::now();
    let (status, body, held, answered) = waiting.await.expect("the long-poll task");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "complete", "{body}");
    assert_eq!(
        body["sentence"]["en"],
        format!("Identification successful for personal identity number {MASKED}.")
    );
    assert_eq!(
        body["sentence"]["sv"],
        format!("Identifieringen lyckades för personnummer {MASKED}.")
    );
    assert_eq!(
        body["sentence"]["nb"],
        format!("Identifiseringen lyktes for personnummer {MASKED}.")
    );
    assert_eq!(body["personalNumber"], MASKED);
    assert!(!without_order_id(&body).contains("9874"), "{body}");
    let after_approval = answered.saturating_duration_since(approved);
    assert!(
        held < Duration::from_secs(10),
        "the long-poll must answer when the order ends, not after wait=25: {held:?}"
    );
    // Later polls answer at once with the same outcome.
    let (again, took) = poll(&edge, &id, 25).await;
    assert_eq!(again.body, body, "{again:?}");
    assert!(
        took < Duration::from_secs(2),
        "a final order answers at once: {took:?}"
    );
    eprintln!(
        "measured: IVR success: start answered in {start_took:?}; long-poll (wait=25) answered {after_approval:?} \
         after the approval, {held:?} after it was sent; whole flow {:?}",
        began.elapsed()
    );
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_cancelling_in_the_app_fails_with_a_sentence_saying_so() {
    let (sim, edge) = stack().await;
    let began = Instant::now();
    let started = start(&edge, TYPED_PNR, "call-cancel").await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let id = order_id(&started);
    let order_ref = only_order_ref(&sim).await;
    sim.act_ok(&order_ref, "open", None).await;
    sim.act_ok(&order_ref, "cancel", None).await;
    let done = poll_until_final(&edge, &id, Duration::from_secs(20)).await;
    assert_answer(&done, "failed", Some("user_cancelled"));
    assert_eq!(
        done.body["sentence"]["en"],
        "Identification failed because it was cancelled in the BankID app."
    );
    eprintln!(
        "measured: IVR user cancel: whole flow {:?}",
        began.elapsed()
    );
    edge.assert_no_secrets(&sim).await;
}

/// A blocked BankID (`certificateErr`): the caller hears that another BankID is needed, not "try again",
/// which could never work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_bankid_tells_the_caller_to_use_another_not_to_try_again() {
    let (sim, edge) = stack().await;
    let started = start(&edge, TYPED_PNR, "call-blocked").await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let id = order_id(&started);
    let order_ref = only_order_ref(&sim).await;
    sim.act_ok(
        &order_ref,
        "fail",
        Some(json!({"hintCode": "certificateErr"})),
    )
    .await;
    let done = poll_until_final(&edge, &id, Duration::from_secs(20)).await;
    assert_answer(&done, "failed", Some("blocked"));
    assert_eq!(
        done.body["sentence"]["en"],
        "Identification failed because your BankID is blocked or too old. Please use another BankID or \
         get a new one from your bank."
    );
    assert!(
        done.body["sentence"]["sv"]
            .as_str()
            .is_some_and(|s| s.contains("spärrat") && !s.contains("Försök igen")),
        "{done:?}"
    );
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_nobody_approves_times_out_and_the_ivr_hears_it() {
    let (sim, edge) = stack().await;
    let began = Instant::now();
    let started = start(&edge, TYPED_PNR, "call-timeout").await;
    let id = order_id(&started);
    only_order_ref(&sim).await;
    // BankID's three minutes, on the simulator's clock.
    sim.advance(181).await;
    let done = poll_until_final(&edge, &id, Duration::from_secs(20)).await;
    assert_answer(&done, "failed", Some("timed_out"));
    assert_eq!(
        done.body["sentence"]["en"],
        "Identification failed because the time ran out. Please try again."
    );
    eprintln!(
        "measured: IVR timeout (clock moved 181 s): whole flow {:?}",
        began.elapsed()
    );
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_tenants_api_key_from_a_server_may_use_the_ivr_api() {
    let (sim, edge) = stack().await;
    let body = json!({"personalNumber": TYPED_PNR, "callId": "call-auth"});
    let wrong = edge
        .send(
            edge.request(Method::POST, "/api/v1/ivr/orders")
                .bearer_auth(new_api_key())
                .json(&body),
            "a wrong key",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
    assert_eq!(wrong.header("WWW-Authenticate"), "Bearer", "{wrong:?}");
    assert_eq!(wrong.body["error"]["code"], "invalid_api_key", "{wrong:?}");

    let none = edge
        .send(
            edge.request(Method::POST, "/api/v1/ivr/orders").json(&body),
            "no key",
        )
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{none:?}");
    assert_eq!(none.header("WWW-Authenticate"), "Bearer", "{none:?}");

    // An agent's session is for the widget, and a browser never holds the key.
    let session = edge.agent_session().await;
    let as_agent = edge
        .send(
            edge.request(Method::POST, "/api/v1/ivr/orders")
                .bearer_auth(&session)
                .json(&body),
            "an agent session",
        )
        .await;
    assert_eq!(as_agent.status, StatusCode::FORBIDDEN, "{as_agent:?}");
    assert_eq!(as_agent.body["error"]["code"], "api_key_required");
    let from_a_page = edge
        .send(
            edge.request(Method::POST, "/api/v1/ivr/orders")
                .header("Origin", legit_tests::edge::ALLOWED_ORIGIN)
                .bearer_auth(&edge.api_key)
                .json(&body),
            "a browser on the tenant's site",
        )
        .await;
    assert_eq!(from_a_page.status, StatusCode::FORBIDDEN, "{from_a_page:?}");
    assert_eq!(from_a_page.body["error"]["code"], "api_key_required");

    // Bad input: a clear 400 naming the field, nothing sent to BankID.
    let typo = start(&edge, "811228-9875", "call-auth").await;
    assert_eq!(typo.status, StatusCode::BAD_REQUEST, "{typo:?}");
    assert_eq!(typo.body["error"]["code"], "invalid_personal_number");
    assert_eq!(typo.body["error"]["field"], "personalNumber");
    let no_call = edge
        .send(
            edge.request(Method::POST, "/api/v1/ivr/orders")
                .bearer_auth(&edge.api_key)
                .json(&json!({"personalNumber": TYPED_PNR})),
            "no callId",
        )
        .await;
    assert_eq!(no_call.status, StatusCode::BAD_REQUEST, "{no_call:?}");
    assert_eq!(no_call.body["error"]["code"], "missing_call_id");
    assert_eq!(no_call.body["error"]["field"], "callId");
    assert!(
        sim.orders().await.is_empty(),
        "nothing may reach BankID without the key and a valid request"
    );

    // The long-poll takes the key too.
    let started = start(&edge, TYPED_PNR, "call-auth").await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let path = format!("/api/v1/ivr/orders/{}?wait=1", order_id(&started));
    let wrong = edge
        .send(
            edge.request(Method::GET, &path).bearer_auth(new_api_key()),
            "poll with a wrong key",
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
    assert_eq!(wrong.header("WWW-Authenticate"), "Bearer", "{wrong:?}");
    let bad_wait = edge
        .send(
            edge.request(Method::GET, &path.replace("wait=1", "wait=soon"))
                .bearer_auth(&edge.api_key),
            "poll with a bad wait",
        )
        .await;
    assert_eq!(bad_wait.status, StatusCode::BAD_REQUEST, "{bad_wait:?}");
    assert_eq!(bad_wait.body["error"]["code"], "invalid_wait");
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_call_id_twice_gets_the_same_order_and_one_bankid_order() {
    let (sim, edge) = stack().await;
    let first = start(&edge, TYPED_PNR, "call-twice").await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let again = start(&edge, TYPED_PNR, "call-twice").await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "a repeat creates nothing: {again:?}"
    );
    assert_eq!(order_id(&again), order_id(&first));
    only_order_ref(&sim).await;
    // The same call id for another person (an IVR that restarted its counter) does not hear the first
    // person's outcome: it is refused, and nothing starts.
    let other = start(&edge, OTHER_PNR, "call-twice").await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{other:?}");
    assert_eq!(other.body["error"]["code"], "call_id_reused", "{other:?}");
    only_order_ref(&sim).await;

    // Two requests for a new call at the same moment (an IVR retrying on a timeout): still one order.
    let (a, b) = tokio::join!(
        start(&edge, OTHER_PNR, "call-race"),
        start(&edge, OTHER_PNR, "call-race")
    );
    assert_eq!(order_id(&a), order_id(&b), "{a:?} {b:?}");
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201], "one created, one found: {a:?} {b:?}");
    assert_eq!(sim.orders().await.len(), 2, "one BankID order per call");
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_calls_for_the_same_person_at_once_both_hear_already_in_progress() {
    let (sim, edge) = stack().await;
    let began = Instant::now();
    let (a, b) = tokio::join!(
        start(&edge, TYPED_PNR, "call-a"),
        start(&edge, TYPED_PNR, "call-b")
    );
    assert_eq!(a.status, StatusCode::CREATED, "{a:?}");
    assert_eq!(b.status, StatusCode::CREATED, "{b:?}");
    // BankID created one order; the second start was refused with alreadyInProgress and ended the first.
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 1, "{orders:#?}");
    let mut finals = Vec::new();
    for answer in [&a, &b] {
        let done = poll_until_final(&edge, &order_id(answer), Duration::from_secs(20)).await;
        assert_answer(&done, "failed", Some("already_in_progress"));
        assert_eq!(
            done.body["sentence"]["en"],
            "Identification failed because another identification was in progress for the same \
             personal identity number. Please try again."
        );
        finals.push(done.body);
    }
    let order = sim.order(orders[0]["orderRef"].as_str().unwrap()).await;
    assert_eq!(order["status"], "failed", "BankID ended it: {order}");
    // Asking again for either call starts nothing and answers the same.
    for (call, done) in [("call-a", &finals[0]), ("call-b", &finals[1])] {
        let again = start(&edge, TYPED_PNR, call).await;
        assert_eq!(again.status, StatusCode::OK, "{again:?}");
        assert_eq!(&again.body, done, "a stable answer for {call}");
    }
    assert_eq!(sim.orders().await.len(), 1, "no retry may start an order");
    eprintln!(
        "measured: IVR alreadyInProgress: both calls final after {:?}",
        began.elapsed()
    );
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_long_poll_holds_for_wait_seconds_then_answers_pending() {
    let (sim, edge) = stack().await;
    let created = Instant::now();
    let started = start(&edge, TYPED_PNR, "call-wait").await;
    let id = order_id(&started);
    let order_ref = only_order_ref(&sim).await;
    let (now, took) = poll(&edge, &id, 0).await;
    assert_answer(&now, "pending", None);
    assert!(
        took < Duration::from_secs(2),
        "wait=0 answers at once: {took:?}"
    );
    let (held, took) = poll(&edge, &id, 3).await;
    assert_answer(&held, "pending", None);
    assert!(
        took >= Duration::from_millis(2_800) && took < Duration::from_secs(6),
        "wait=3 holds about 3 s: {took:?}"
    );
    // A hint change (the caller opens the app) is no news to the IVR: the poll keeps waiting.
    sim.act_ok(&order_ref, "open", None).await;
    let (still, took_open) = poll(&edge, &id, 4).await;
    assert_answer(&still, "pending", None);
    assert!(took_open >= Duration::from_millis(3_800), "{took_open:?}");
    // Five IVR workers polling at once add no collect: BankID still sees one each 2 s.
    let (a, b, c, d, e) = tokio::join!(
        poll(&edge, &id, 3),
        poll(&edge, &id, 3),
        poll(&edge, &id, 3),
        poll(&edge, &id, 3),
        poll(&edge, &id, 3)
    );
    for (answer, _) in [a, b, c, d, e] {
        assert_answer(&answer, "pending", None);
    }
    let elapsed = created.elapsed();
    let (_, stats) = sim.admin_get("/admin/stats").await;
    let collects = stats["collects"][&order_ref].as_u64().unwrap_or(0);
    assert!(
        collects >= 3 && collects <= elapsed.as_secs() / 2 + 1,
        "one collect per 2 s whatever the long-polls: {collects} collects in {elapsed:?}"
    );
    eprintln!(
        "measured: IVR long-poll with nothing to tell: wait=3 held {took:?}, wait=4 held {took_open:?}; \
         {collects} collects in {elapsed:.1?}"
    );
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_of_the_same_tenant_finds_the_calls_order_and_follows_it_live() {
    let sim = Sim::start().await;
    let api_key = new_api_key();
    let other_key = new_api_key();
    let mut tenants = default_tenants(&api_key, &[]);
    tenants["bank"] = json!({
        "displayName": "Other Bank",
        "apiKeyHashes": [legit_core::tenant::api_key_hash(&other_key)]
    });
    let edge = Edge::start_with(&sim, api_key, tenants, None).await;
    // A SIP Call-ID: the agent's widget sends it escaped in the path.
    let call_id = "a84b4c76e66710@pc33.example/1";
    let started = start(&edge, TYPED_PNR, call_id).await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let id = order_id(&started);

    let ours = edge.agent_session().await;
    let theirs = edge.agent_session_with(&other_key).await;
    let path = "/api/v1/ivr/calls/a84b4c76e66710%40pc33.example%2F1";
    let found = edge
        .send(
            edge.request(Method::GET, path).bearer_auth(&ours),
            "the agent's look-up",
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{found:?}");
    assert_eq!(found.body["orderId"], id.as_str());
    assert_eq!(found.body["callId"], call_id);
    assert_eq!(found.body["personalNumber"], MASKED);
    let token = found.body["orderToken"].as_str().expect("orderToken");

    let other = edge
        .send(
            edge.request(Method::GET, path).bearer_auth(&theirs),
            "another tenant's agent",
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{other:?}");
    assert_eq!(other.body["error"]["code"], "unknown_call");
    // Nor may the other tenant's IVR poll the order.
    let theirs_poll = edge
        .send(
            edge.request(Method::GET, &format!("/api/v1/ivr/orders/{id}"))
                .bearer_auth(&other_key),
            "another tenant's IVR",
        )
        .await;
    assert_eq!(theirs_poll.status, StatusCode::NOT_FOUND, "{theirs_poll:?}");
    assert_eq!(theirs_poll.body["error"]["code"], "unknown_order");
    let unknown = edge
        .send(
            edge.request(Method::GET, "/api/v1/ivr/calls/no-such-call")
                .bearer_auth(&ours),
            "an unknown call",
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
    let nobody = edge
        .send(
            edge.request(Method::GET, path)
                .header("X-Legit-Tenant", "demo"),
            "a customer page",
        )
        .await;
    assert_eq!(nobody.status, StatusCode::FORBIDDEN, "{nobody:?}");

    // The agent's widget follows the call's order with the token it got, and sees the outcome.
    let mut events = edge.events_with(&id, &format!("?token={token}")).await;
    events.next_state_where("any", |_| true).await;
    let order_ref = only_order_ref(&sim).await;
    caller_approves(&sim, &order_ref).await;
    let done = events.final_state().await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["kind"], "phoneAuth", "{done}");
    drop(events);
    edge.assert_no_secrets(&sim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_ivr_console_plays_the_caller_and_keeps_the_key_to_itself() {
    use legit_core::provider::Secret;
    use legit_demo::ivr_console;

    let (sim, edge) = stack().await;
    let console = ivr_console::start(ivr_console::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        edge_url: edge.base_url.clone(),
        api_key: Secret::new(edge.api_key.as_str()),
    })
    .await
    .expect("start the IVR console");
    let client = reqwest::Client::new();
    let page = client
        .get(&console.url)
        .send()
        .await
        .expect("the console page")
        .text()
        .await
        .expect("text");
    assert!(page.contains("keypad"), "{page}");
    assert!(
        !page.contains(&edge.api_key),
        "the page must not carry the API key"
    );

    // The caller types the digits and presses #: the page posts them to the console's server.
    let started: Value = client
        .post(format!("{}/calls", console.url))
        .json(&json!({"personalNumber": TYPED_PNR}))
        .send()
        .await
        .expect("POST /calls")
        .json()
        .await
        .expect("JSON");
    let answer = &started["answer"];
    assert_eq!(answer["status"], "pending", "{started}");
    assert_eq!(
        answer["sentence"]["sv"],
        "Identifieringen pågår. Öppna BankID-appen och följ anvisningarna.",
        "{started}"
    );
    let call_id = started["callId"].as_str().expect("callId");
    let agent_url = started["agentUrl"].as_str().expect("agentUrl");
    assert!(
        agent_url.contains(&format!("callid={call_id}")) && agent_url.contains("mode=agent"),
        "{agent_url}"
    );
    assert!(!started.to_string().contains(&edge.api_key), "{started}");

    let order_id = answer["orderId"].as_str().expect("orderId").to_owned();
    let waiting = {
        let url = format!("{}/calls/{order_id}?wait=25", console.url);
        let client = client.clone();
        tokio::spawn(async move {
            client
                .get(url)
                .send()
                .await
                .expect("the console's long-poll")
                .json::<Value>()
                .await
                .expect("JSON")
        })
    };
    caller_approves(&sim, &only_order_ref(&sim).await).await;
    let done = waiting.await.expect("poll task");
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(
        done["sentence"]["en"],
        format!("Identification successful for personal identity number {MASKED}.")
    );
    // The IVR API itself says the same to anyone holding the key.
    let (direct, _) = poll(&edge, &order_id, 0).await;
    assert_eq!(direct.body, done);
    drop(console);
    edge.assert_no_secrets(&sim).await;
}

/// The agent's widget opened on a call (`?callid=`) in headless Chromium, before and after the IVR starts
/// the call's order. Needs the built widget (`cargo xtask widget`); leaves `widget-agent-call-*.png` in
/// `target/screenshots/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_widget_on_the_call_shows_the_outcome_live_in_three_languages()
-> Result<(), Box<dyn std::error::Error>> {
    const WAIT: Duration = Duration::from_secs(20);

    let (sim, edge) = stack().await;
    let session = edge.agent_session().await;
    // The softphone opens the widget as the call comes in, before the caller has typed anything.
    let browser = edge
        .agent_widget(&session, "lang=en&callid=call-agent%40pbx")
        .await?;
    browser
        .wait_for_text(
            ".call [role=status]",
            "Waiting for the caller to enter their personal number",
            WAIT,
        )
        .await?;
    let started = start(&edge, TYPED_PNR, "call-agent@pbx").await;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    browser
        .wait_for_text(
            ".call [role=status]",
            "Waiting for the customer to open BankID",
            WAIT,
        )
        .await?;
    browser
        .screenshot("widget-agent-call-waiting-320.png")
        .await?;
    let banner = ".call [role=status]";
    let waiting_height = browser
        .client()
        .execute(
            "return document.querySelector(arguments[0]).getBoundingClientRect().height;",
            vec![json!(banner)],
        )
        .await?;
    let order_ref = only_order_ref(&sim).await;
    sim.act_ok(&order_ref, "open", None).await;
    browser
        .wait_for_text(
            ".call [role=status]",
            "The customer is confirming the call in BankID",
            WAIT,
        )
        .await?;
    sim.act_ok(&order_ref, "confirm-call", None).await;
    sim.act_ok(&order_ref, "approve", None).await;
    let approved = Instant::now();
    browser
        .wait_for_text(
            ".call [role=status]",
            &format!("Identification successful for personal identity number {MASKED}."),
            WAIT,
        )
        .await?;
    eprintln!(
        "measured: the agent's call view showed the outcome {:?} after the approval",
        approved.elapsed()
    );
    browser.screenshot("widget-agent-call-done-320.png").await?;
    // The banner keeps its height as the call moves on (nothing under it jumps), and the masked number is
    // one word: it does not break at its hyphen.
    let done = browser
        .client()
        .execute(
            "const banner = document.querySelector(arguments[0]);
             const number = banner.querySelector('.nowrap');
             return [banner.getBoundingClientRect().height,
                     number ? number.getClientRects().length : 0];",
            vec![json!(banner)],
        )
        .await?;
    assert_eq!(
        done[0], waiting_height,
        "the banner's height changed from waiting to done at 320 px"
    );
    assert_eq!(done[1], json!(1), "the masked number breaks across lines");
    assert_eq!(
        browser.axe_violations().await?,
        json!([]),
        "axe-core on the call view"
    );
    for (language, sentence) in [
        ("Svenska", "Identifieringen lyckades för personnummer"),
        ("Norsk", "Identifiseringen lyktes for personnummer"),
    ] {
        browser.click_text("button", language, WAIT).await?;
        browser
            .wait_for_text(
                ".call [role=status]",
                &format!("{sentence} {MASKED}."),
                WAIT,
            )
            .await?;
    }
    let text = browser.text(".call").await?;
    assert!(!text.contains("9874"), "only the masked number: {text}");
    // The tabs stay usable under the call.
    browser.wait_for("#legit-pnr", WAIT).await?;
    browser.close().await?;
    edge.assert_no_secrets(&sim).await;
    Ok(())
}

/// The IVR console's page in headless Chromium: the caller presses the keypad and `#`, hears the IVR in
/// English, switches to Norsk and approves on the phone; the outcome is read in bokmål. Leaves
/// `ivr-console-*.png` in `target/screenshots/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_on_the_console_page_types_the_number_and_reads_the_outcome()
-> Result<(), Box<dyn std::error::Error>> {
    use legit_core::provider::Secret;
    use legit_demo::ivr_console;
    use legit_tests::browser::Browser;
    const WAIT: Duration = Duration::from_secs(20);

    let (sim, edge) = stack().await;
    let console = ivr_console::start(ivr_console::Config {
        addr: "127.0.0.1:0".parse()?,
        edge_url: edge.base_url.clone(),
        api_key: Secret::new(edge.api_key.as_str()),
    })
    .await?;
    let browser = Browser::start().await?;
    browser.set_window_size(480, 900).await?;
    // In English until the caller picks another language, as every other demo page.
    browser.goto(&console.url).await?;
    for digit in TYPED_PNR.chars() {
        browser
            .click(&format!(".keypad button[data-key=\"{digit}\"]"), WAIT)
            .await?;
    }
    browser.wait_for_text("#display", TYPED_PNR, WAIT).await?;
    browser.click(".keypad button.call", WAIT).await?;
    browser
        .wait_for_text(
            "#transcript",
            "Identification in progress. Open the BankID app and follow the instructions.",
            WAIT,
        )
        .await?;
    let link = browser.find("#agent-link").await?;
    let agent_url = link.attr("href").await?.unwrap_or_default();
    assert!(agent_url.contains("callid=demo-"), "{agent_url}");
    // A caller who switches language mid-call hears the outcome in the new one: the console reads the
    // answer's sentence in the language chosen when it arrives.
    browser.click_text("label", "Norsk", WAIT).await?;
    caller_approves(&sim, &only_order_ref(&sim).await).await;
    browser
        .wait_for_text(
            "#transcript",
            &format!("Identifiseringen lyktes for personnummer {MASKED}."),
            WAIT,
        )
        .await?;
    browser.screenshot("ivr-console-done-480.png").await?;
    let page = browser.client().source().await?;
    assert!(
        !page.contains(&edge.api_key),
        "the page never holds the key"
    );
    browser.close().await?;
    drop(console);
    Ok(())
}
