//! End to end over HTTP: the real edge Worker in Miniflare (`legit_tests::edge::Edge`), its mTLS binding talking
//! to a real simulator (`legit_tests::Sim`), driven as the widget drives it (`POST /api/v1/orders`, the SSE
//! stream, cancel) while the simulator's admin API plays the person with the phone.
//!
//! Each test has its own simulator and its own Worker runtime, so tests run in parallel and never share an
//! order. Every test ends with [`finish`], which checks that nothing the edge answered or printed carried a
//! secret (qrStartSecret, orderRef, the RP key) and that its logs carried no personal data.

use std::time::{Duration, Instant};

use legit_core::personal_number::PersonalNumberError;
use legit_tests::edge::{EVENT_TIMEOUT, Edge, Events};
use legit_tests::{
    DEFAULT_GIVEN_NAME, DEFAULT_NAME, DEFAULT_PNR, DEFAULT_SURNAME, Sim, StatusCode,
};
use serde_json::{Value, json};

/// A built-in test person of the simulator other than the default user.
const OTHER_PNR: &str = "191212121212";
const OTHER_NAME: &str = "Tolvan Tolvansson";

/// A simulator and a Worker pointed at it.
async fn stack() -> (Sim, Edge) {
    let sim = Sim::start().await;
    let edge = Edge::start(&sim).await;
    (sim, edge)
}

/// The simulator's only order: the one the edge started.
async fn only_order_ref(sim: &Sim) -> String {
    let orders = sim.orders().await;
    assert_eq!(
        orders.len(),
        1,
        "the edge must have started exactly one BankID order: {orders:#?}"
    );
    orders[0]["orderRef"].as_str().expect("orderRef").to_owned()
}

/// The final checks every scenario shares: no secret in anything the edge answered or printed.
async fn finish(sim: &Sim, edge: &Edge) {
    edge.assert_no_secrets(sim).await;
}

/// Asserts the fields a viewer acts on.
#[track_caller]
fn assert_state(state: &Value, status: &str, hint: Option<&str>, rfa: Option<&str>) {
    assert_eq!(state["status"], status, "status of {state}");
    assert_eq!(state["hintCode"].as_str(), hint, "hintCode of {state}");
    assert_eq!(state["rfa"].as_str(), rfa, "rfa of {state}");
}

/// Asserts a `complete` state for the simulator's default user, names intact.
#[track_caller]
fn assert_complete_as_default_user(state: &Value) {
    assert_eq!(state["status"], "complete", "{state}");
    let user = &state["user"];
    assert_eq!(user["personalNumber"], DEFAULT_PNR, "{state}");
    assert_eq!(
        user["name"], DEFAULT_NAME,
        "the name must survive intact: {state}"
    );
    assert_eq!(user["givenName"], DEFAULT_GIVEN_NAME, "{state}");
    assert_eq!(user["surname"], DEFAULT_SURNAME, "{state}");
}

/// Opens the app with the autoStartToken the edge handed out and approves: what a person on the same device
/// does.
async fn open_with_token_and_approve(sim: &Sim, order_ref: &str, auto_start_token: &str) {
    let (status, order) = sim
        .admin_post("/admin/open", json!({"autoStartToken": auto_start_token}))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the edge's autoStartToken must open the order: {order}"
    );
    assert_eq!(order["orderRef"], order_ref);
    sim.act_ok(order_ref, "approve", None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_completes_with_the_users_unicode_name_intact() {
    let (sim, edge) = stack().await;
    let started = edge.start_order(json!({"kind": "auth"})).await;
    let order_id = started["orderId"].as_str().unwrap();
    let token = started["autoStartToken"]
        .as_str()
        .expect("auth answers an autoStartToken");
    let order_ref = only_order_ref(&sim).await;

    let mut events = edge.events(order_id).await;
    let first = events.next_state_where("any", |_| true).await;
    assert_eq!(first["orderId"], order_id);
    assert_eq!(first["kind"], "auth");
    assert_state(
        &first,
        "pending",
        Some("outstandingTransaction"),
        Some("RFA1"),
    );

    open_with_token_and_approve(&sim, &order_ref, token).await;
    let done = events.final_state().await;
    assert_complete_as_default_user(&done);
    assert_eq!(done["orderId"], order_id);
    events.assert_ends_within(Duration::from_secs(5)).await;
    drop(events);

    // A viewer who comes back later (a reload) sees the outcome at once.
    let mut late = edge.events(order_id).await;
    let again = late.next_state_where("any", |_| true).await;
    assert_complete_as_default_user(&again);
    late.assert_ends_within(Duration::from_secs(5)).await;
    drop(late);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_shows_the_text_to_sign_and_completes() {
    let (sim, edge) = stack().await;
    let text = "Överföring till Ærø: 1 000 kr";
    let started = edge
        .start_order(json!({"kind": "sign", "userVisibleData": text}))
        .await;
    let order_ref = only_order_ref(&sim).await;
    let order = sim.order(&order_ref).await;
    assert_eq!(order["kind"], "sign");
    assert_eq!(
        order["userVisibleData"], text,
        "the phone must show the text exactly"
    );

    let mut events = edge.events(started["orderId"].as_str().unwrap()).await;
    open_with_token_and_approve(
        &sim,
        &order_ref,
        started["autoStartToken"].as_str().unwrap(),
    )
    .await;
    let done = events.final_state().await;
    assert_complete_as_default_user(&done);
    assert_eq!(done["kind"], "sign");
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_auth_when_the_customer_called_in() {
    let (sim, edge) = stack().await;
    // Typed as a person would, with the short form and a dash.
    let order_id = edge
        .start_order_id(json!({
            "kind": "phoneAuth",
            "personalNumber": "811228-9874",
            "callInitiator": "user",
        }))
        .await;
    let order_ref = only_order_ref(&sim).await;
    let order = sim.order(&order_ref).await;
    assert_eq!(order["kind"], "phoneAuth");
    assert_eq!(
        order["personalNumber"], DEFAULT_PNR,
        "normalised to 12 digits"
    );
    assert_eq!(order["callInitiator"], "user");

    let mut events = edge.events(&order_id).await;
    let first = events.next_state_where("any", |_| true).await;
    assert_eq!(first["kind"], "phoneAuth");
    assert_eq!(first["status"], "pending", "{first}");
    assert_eq!(first["hintCode"], "outstandingTransaction", "{first}");
    assert!(
        first["rfa"].is_string(),
        "a pending phone order has a message: {first}"
    );

    sim.act_ok(&order_ref, "open", None).await;
    events
        .next_state_where("hintCode is userCallConfirm", |s| {
            s["hintCode"] == "userCallConfirm"
        })
        .await;
    sim.act_ok(&order_ref, "confirm-call", None).await;
    events
        .next_state_where("hintCode is userSign", |s| s["hintCode"] == "userSign")
        .await;
    sim.act_ok(&order_ref, "approve", None).await;
    let done = events.final_state().await;
    assert_complete_as_default_user(&done);
    events.assert_ends_within(Duration::from_secs(5)).await;
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_sign_when_we_called_the_customer() {
    let (sim, edge) = stack().await;
    let text = "Jag godkänner villkoren för Ærø-kontot";
    let order_id = edge
        .start_order_id(json!({
            "kind": "phoneSign",
            "personalNumber": OTHER_PNR,
            "callInitiator": "RP",
            "userVisibleData": text,
        }))
        .await;
    let order_ref = only_order_ref(&sim).await;
    let order = sim.order(&order_ref).await;
    assert_eq!(order["kind"], "phoneSign");
    assert_eq!(order["callInitiator"], "RP");
    assert_eq!(order["userVisibleData"], text);

    let mut events = edge.events(&order_id).await;
    sim.act_ok(&order_ref, "open", None).await;
    sim.act_ok(&order_ref, "confirm-call", None).await;
    sim.act_ok(&order_ref, "approve", None).await;
    let done = events.final_state().await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(done["kind"], "phoneSign");
    assert_eq!(done["user"]["personalNumber"], OTHER_PNR);
    assert_eq!(done["user"]["name"], OTHER_NAME);
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_ends_the_order_for_every_viewer_and_at_bankid() {
    let (sim, edge) = stack().await;
    let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
    let order_ref = only_order_ref(&sim).await;
    let mut events = edge.events(&order_id).await;
    events.next_state_where("any", |_| true).await;

    let answer = edge.cancel(&order_id).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_state(&answer.body, "failed", Some("cancelled"), Some("RFA3"));
    assert_eq!(answer.body["orderId"], order_id);

    let seen = events.final_state().await;
    assert_state(&seen, "failed", Some("cancelled"), Some("RFA3"));
    events.assert_ends_within(Duration::from_secs(5)).await;

    let order = sim.order(&order_ref).await;
    assert_eq!(order["status"], "failed", "BankID must know: {order}");
    assert_eq!(order["hintCode"], "cancelled", "{order}");
    drop(events);
    finish(&sim, &edge).await;
}

/// A cancel whose connection BankID drops is sent again, so the order ends at BankID too and the person
/// cannot finish in the app what every screen shows as cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_whose_connection_drops_is_sent_again_and_reaches_bankid() {
    let (sim, edge) = stack().await;
    let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
    let order_ref = only_order_ref(&sim).await;
    sim.add_fault(json!({"endpoint": "cancel", "kind": "drop", "count": 1}))
        .await;

    let answer = edge.cancel(&order_id).await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_state(&answer.body, "failed", Some("cancelled"), Some("RFA3"));
    let order = sim.order(&order_ref).await;
    assert_eq!(order["status"], "failed", "BankID must know: {order}");
    assert_eq!(order["hintCode"], "cancelled", "{order}");
    let (_, faults) = sim.admin_get("/admin/faults").await;
    assert_eq!(faults, json!([]), "the dropped cancel was the first of two");
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_phone_order_for_the_same_person_is_refused_with_rfa4() {
    let (sim, edge) = stack().await;
    let body = json!({"kind": "phoneAuth", "personalNumber": DEFAULT_PNR, "callInitiator": "RP"});
    let first = edge.start_order_id(body.clone()).await;
    let mut events = edge.events(&first).await;
    events.next_state_where("any", |_| true).await;

    let second = edge.post_as_agent("/api/v1/orders", &body).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{second:?}");
    assert_eq!(
        second.body["error"]["code"], "already_in_progress",
        "{second:?}"
    );
    assert_eq!(second.body["error"]["rfa"], "RFA4", "{second:?}");
    assert!(
        second.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{second:?}"
    );

    // BankID cancels the pending order when a second one is tried: its viewers learn it ended.
    let ended = events.final_state().await;
    assert_state(&ended, "failed", Some("cancelled"), Some("RFA3"));
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_maintenance_answers_on_collect_are_ridden_out() {
    let (sim, edge) = stack().await;
    let started = edge.start_order(json!({"kind": "auth"})).await;
    let order_ref = only_order_ref(&sim).await;
    sim.add_fault(json!({"endpoint": "collect", "kind": "maintenance", "count": 2}))
        .await;
    let mut events = edge.events(started["orderId"].as_str().unwrap()).await;
    open_with_token_and_approve(
        &sim,
        &order_ref,
        started["autoStartToken"].as_str().unwrap(),
    )
    .await;
    let done = events
        .state_where_within(Duration::from_secs(30), "status is final", |s| {
            s["status"] != "pending"
        })
        .await;
    assert_complete_as_default_user(&done);
    let (_, faults) = sim.admin_get("/admin/faults").await;
    assert_eq!(faults, json!([]), "both faults must have been spent");
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bankid_unavailable_for_good_fails_with_rfa5() {
    let (sim, edge) = stack().await;
    let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
    sim.add_fault(json!({"endpoint": "collect", "kind": "maintenance", "count": 0}))
        .await;
    let mut events = edge.events(&order_id).await;
    // Five failed collects, 2 s apart.
    let failed = events
        .state_where_within(Duration::from_secs(30), "status is final", |s| {
            s["status"] != "pending"
        })
        .await;
    assert_state(&failed, "failed", None, Some("RFA5"));
    assert_eq!(failed["errorCode"], "bankid_unavailable", "{failed}");
    events.assert_ends_within(Duration::from_secs(5)).await;
    // Giving up here must end it at BankID too, or the person could still finish it in the app.
    let order = sim.order(&only_order_ref(&sim).await).await;
    assert_eq!(order["status"], "failed", "BankID must know: {order}");
    assert_eq!(order["hintCode"], "cancelled", "{order}");
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_error_on_collect_is_not_retried_and_shows_rfa5() {
    // BANKID.md §3: internalError and requestTimeout, "do not retry automatically; show RFA5".
    for kind in ["internalError", "requestTimeout"] {
        let (sim, edge) = stack().await;
        let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
        let order_ref = only_order_ref(&sim).await;
        sim.add_fault(json!({"endpoint": "collect", "kind": kind, "count": 1}))
            .await;
        let mut events = edge.events(&order_id).await;
        let failed = events
            .state_where_within(Duration::from_secs(10), "status is final", |s| {
                s["status"] != "pending"
            })
            .await;
        assert_state(&failed, "failed", None, Some("RFA5"));
        assert_eq!(
            failed["errorCode"], "bankid_unavailable",
            "{kind}: {failed}"
        );
        assert_eq!(failed["collects"], 1, "{kind}: no second collect: {failed}");
        let order = sim.order(&order_ref).await;
        assert_eq!(
            order["hintCode"], "cancelled",
            "{kind}: ended at BankID: {order}"
        );
        drop(events);
        finish(&sim, &edge).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_hint_code_passes_through_with_rfa21() {
    let (sim, edge) = stack().await;
    let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
    let order_ref = only_order_ref(&sim).await;
    let mut events = edge.events(&order_id).await;
    sim.act_ok(&order_ref, "open", None).await;
    sim.act_ok(
        &order_ref,
        "hint",
        Some(json!({"hintCode": "brandNewHint2027"})),
    )
    .await;
    let state = events
        .next_state_where("hintCode is brandNewHint2027", |s| {
            s["hintCode"] == "brandNewHint2027"
        })
        .await;
    assert_state(&state, "pending", Some("brandNewHint2027"), Some("RFA21"));
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_error_shows_rfa16() {
    let (sim, edge) = stack().await;
    let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
    let order_ref = only_order_ref(&sim).await;
    let mut events = edge.events(&order_id).await;
    sim.act_ok(&order_ref, "open", None).await;
    sim.act_ok(
        &order_ref,
        "fail",
        Some(json!({"hintCode": "certificateErr"})),
    )
    .await;
    let state = events.final_state().await;
    assert_state(&state, "failed", Some("certificateErr"), Some("RFA16"));
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_cancelling_in_the_app_shows_rfa6() {
    let (sim, edge) = stack().await;
    let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
    let order_ref = only_order_ref(&sim).await;
    let mut events = edge.events(&order_id).await;
    sim.act_ok(&order_ref, "open", None).await;
    sim.act_ok(&order_ref, "cancel", None).await;
    let state = events.final_state().await;
    assert_state(&state, "failed", Some("userCancel"), Some("RFA6"));
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_order_completed_by_someone_else_fails_and_discloses_nobody() {
    let (sim, edge) = stack().await;
    let order_id = edge
        .start_order_id(json!({
            "kind": "phoneAuth",
            "personalNumber": DEFAULT_PNR,
            "callInitiator": "user",
        }))
        .await;
    let order_ref = only_order_ref(&sim).await;
    let mut events = edge.events(&order_id).await;
    sim.act_ok(&order_ref, "open", None).await;
    sim.act_ok(&order_ref, "confirm-call", None).await;
    let someone_else =
        json!({"personalNumber": OTHER_PNR, "givenName": "Tolvan", "surname": "Tolvansson"});
    sim.act_ok(&order_ref, "approve", Some(json!({"user": someone_else})))
        .await;
    let state = events.final_state().await;
    assert_eq!(state["status"], "failed", "{state}");
    assert_eq!(state["errorCode"], "identity_mismatch", "{state}");
    assert!(
        state.get("user").is_none(),
        "who completed it must not be shown: {state}"
    );
    let text = state.to_string();
    assert!(
        !text.contains(OTHER_PNR) && !text.contains("Tolvan"),
        "{state}"
    );
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_frames_change_every_second_and_the_latest_scans() {
    let (sim, edge) = stack().await;
    let order_id = edge.start_order_id(json!({"kind": "auth"})).await;
    let order_ref = only_order_ref(&sim).await;
    let mut events = edge.events(&order_id).await;
    let first = events.next_qr().await;
    let second = events.next_qr().await;
    for qr in [&first, &second] {
        let parts: Vec<&str> = qr.split('.').collect();
        assert!(
            parts.len() == 4 && parts[0] == "bankid" && parts[2].parse::<u64>().is_ok(),
            "a QR payload is bankid.<token>.<time>.<code>: {qr}"
        );
    }
    assert_ne!(first, second, "consecutive QR frames must differ");

    let (status, order) = sim.scan(&second).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the phone must accept the latest frame: {order}"
    );
    assert_eq!(order["orderRef"], order_ref);
    assert_eq!(order["hintCode"], "userSign", "{order}");
    events
        .next_state_where("hintCode is userSign", |s| s["hintCode"] == "userSign")
        .await;
    // Once scanned, the QR code goes away.
    let quiet_until = Instant::now() + Duration::from_millis(2500);
    while let Some(left) = quiet_until.checked_duration_since(Instant::now()) {
        match events.next_within(left).await {
            Ok(Some(event)) => assert_ne!(
                event.event, "qr",
                "no QR frame may follow a scan: {:#?}",
                events.seen
            ),
            Ok(None) | Err(()) => break,
        }
    }
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_viewers_see_the_same_states_from_one_collect_every_two_seconds() {
    const VIEWERS: usize = 20;
    let (sim, edge) = stack().await;
    let started = edge.start_order(json!({"kind": "auth"})).await;
    let created = Instant::now();
    let order_id = started["orderId"].as_str().unwrap().to_owned();
    let order_ref = only_order_ref(&sim).await;

    let mut viewers: Vec<Events> = Vec::new();
    for _ in 0..VIEWERS {
        let mut events = edge.events(&order_id).await;
        events.next_state_where("any", |_| true).await;
        viewers.push(events);
    }
    let readers: Vec<_> = viewers
        .into_iter()
        .map(|mut events| {
            tokio::spawn(async move {
                events
                    .state_where_within(Duration::from_secs(30), "status is final", |s| {
                        s["status"] != "pending"
                    })
                    .await;
                events
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(3)).await;
    sim.act_ok(&order_ref, "open", None).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    sim.act_ok(&order_ref, "approve", None).await;

    let mut seen_by_each = Vec::new();
    for reader in readers {
        let events = reader.await.expect("viewer task");
        // What a viewer shows: everything but the collect counter.
        let states: Vec<Value> = events
            .states()
            .into_iter()
            .map(|s| {
                let mut s = s.clone();
                s.as_object_mut().map(|o| o.remove("collects"));
                s
            })
            .collect();
        seen_by_each.push(states);
    }
    let elapsed = created.elapsed();
    let first = &seen_by_each[0];
    assert_complete_as_default_user(first.last().unwrap());
    assert!(
        first.iter().any(|s| s["hintCode"] == "started"),
        "the viewers must have seen the app open: {first:#?}"
    );
    for (i, states) in seen_by_each.iter().enumerate() {
        assert_eq!(states, first, "viewer {i} saw other states than viewer 0");
    }

    let (_, stats) = sim.admin_get("/admin/stats").await;
    let collects = stats["collects"][&order_ref].as_u64().unwrap_or(0);
    eprintln!("{VIEWERS} viewers over {elapsed:.1?}: {collects} collects");
    assert!(
        (3..=5).contains(&collects),
        "one collect per 2 s whatever the number of viewers: {collects} collects in {elapsed:.1?} with \
         {VIEWERS} viewers ({stats})"
    );
    assert!(
        collects <= elapsed.as_secs() / 2 + 1,
        "{collects} collects in {elapsed:.1?}"
    );
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_survives_a_runtime_restart() {
    let (sim, mut edge) = stack().await;
    let started = edge.start_order(json!({"kind": "auth"})).await;
    let order_id = started["orderId"].as_str().unwrap().to_owned();
    let order_ref = only_order_ref(&sim).await;
    {
        let mut events = edge.events(&order_id).await;
        events.next_state_where("any", |_| true).await;
    }

    edge.restart().await;
    let collects_before = sim.order(&order_ref).await["collects"]
        .as_u64()
        .unwrap_or(0);
    open_with_token_and_approve(
        &sim,
        &order_ref,
        started["autoStartToken"].as_str().unwrap(),
    )
    .await;
    // Nobody watches now: the Durable Object's alarm alone must carry on collecting.
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        let collects = sim.order(&order_ref).await["collects"]
            .as_u64()
            .unwrap_or(0);
        if collects > collects_before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no collect within {EVENT_TIMEOUT:?} of the restart with no viewer: the alarm did not resume"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut events = edge.events(&order_id).await;
    let done = events.final_state().await;
    assert_complete_as_default_user(&done);
    drop(events);
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_where_bankid_is_and_when_the_rp_certificate_expires() {
    let (sim, edge) = stack().await;
    let answer = edge.get("/healthz").await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert!(
        answer.content_type.starts_with("application/json"),
        "{answer:?}"
    );
    assert_eq!(answer.body["ok"], true, "{answer:?}");
    // Anyone may ask: a count, not the list of who uses the service.
    assert!(
        answer.body["tenants"].as_u64().is_some_and(|n| n >= 1),
        "{answer:?}"
    );
    assert!(
        !answer.body.to_string().contains(legit_tests::edge::TENANT),
        "{answer:?}"
    );
    assert_eq!(
        answer.body["bankidBase"],
        sim.running.rp_url.trim_end_matches('/'),
        "{answer:?}"
    );
    assert!(
        answer.body["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{answer:?}"
    );
    // The demo's client certificate, read here by an X.509 library, not by the edge's own reader.
    let pem = x509_parser::pem::parse_x509_pem(sim.certs.rp.cert.as_bytes())
        .expect("the RP certificate is PEM")
        .1;
    let not_after = pem
        .parse_x509()
        .expect("the RP certificate is X.509")
        .validity()
        .not_after
        .timestamp();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let days = (not_after - i64::try_from(now).expect("a sane clock")) / 86_400;
    let certificate = &answer.body["rpCertificate"];
    assert_eq!(certificate["state"], "ok", "{answer:?}");
    assert_eq!(
        certificate["notAfter"],
        legit_core::links_api::rfc3339_utc(u64::try_from(not_after).expect("after 1970") * 1_000),
        "{answer:?}"
    );
    // A day may turn between the two readings of the clock.
    assert!(
        certificate["daysLeft"]
            .as_i64()
            .is_some_and(|d| d == days || d == days - 1),
        "{days} days: {answer:?}"
    );
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_personal_number_is_refused_before_bankid() {
    let (sim, edge) = stack().await;
    let answer = edge
        .post_as_agent(
            "/api/v1/orders",
            &json!({"kind": "phoneAuth", "personalNumber": "198112289875", "callInitiator": "user"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert!(
        answer.content_type.starts_with("application/json"),
        "{answer:?}"
    );
    assert_eq!(
        answer.body["error"]["code"], "invalid_personal_number",
        "{answer:?}"
    );
    assert_eq!(
        answer.body["error"]["message"],
        PersonalNumberError::WrongCheckDigit.to_string(),
        "the message a person reads comes from core: {answer:?}"
    );
    assert!(sim.orders().await.is_empty(), "nothing may reach BankID");
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_json_bodies_of_sane_size_start_orders() {
    let (sim, edge) = stack().await;
    // What an HTML form on any other site could send without a CORS preflight.
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain;charset=UTF-8",
    ] {
        let answer = edge
            .post_raw(
                "/api/v1/orders",
                content_type,
                br#"{"kind":"auth"}"#.to_vec(),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{answer:?}"
        );
        assert_eq!(
            answer.body["error"]["code"], "unsupported_media_type",
            "{answer:?}"
        );
    }
    let huge = json!({"kind": "sign", "userVisibleData": "Å".repeat(70_000)});
    let answer = edge
        .post_raw(
            "/api/v1/orders",
            "application/json",
            serde_json::to_vec(&huge).unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "body_too_large", "{answer:?}");
    // Far past any body of ours: refused without waiting for the rest, which here never comes. Reading it
    // all first would hold the request (and fill the isolate's memory) for as long as the sender likes.
    let declared = "Content-Length: 104857600\r\n\r\n".to_owned();
    let mut chunked = "Transfer-Encoding: chunked\r\n\r\n".to_owned();
    for _ in 0..24 {
        chunked.push_str(&format!("10000\r\n{}\r\n", "x".repeat(0x10000)));
    }
    for (how, rest) in [("declared", declared), ("chunked", chunked)] {
        let status = stalled_upload_status(&edge.base_url, &rest).await;
        assert_eq!(status, 413, "{how} upload past the limit");
    }
    assert!(sim.orders().await.is_empty(), "nothing may reach BankID");
    // A charset parameter is fine: the widget's fetch may add one.
    let answer = edge
        .post_raw(
            "/api/v1/orders",
            "application/json; charset=utf-8",
            br#"{"kind":"auth"}"#.to_vec(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    finish(&sim, &edge).await;
}

/// Sends a start request whose upload then stalls (`rest` is the header block's end and whatever body
/// goes out), and returns the status line's code, or fails if no answer comes within 10 s.
async fn stalled_upload_status(base_url: &str, rest: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base_url.trim_start_matches("http://").trim_end_matches('/');
    let socket = tokio::net::TcpStream::connect(host).await.expect("connect");
    let (mut reader, mut writer) = socket.into_split();
    let head = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: {host}\r\nX-Legit-Tenant: {}\r\n\
         Content-Type: application/json\r\n{rest}",
        legit_tests::edge::TENANT
    );
    // Written beside the reading: the edge may answer before taking all of it. Then the upload stalls,
    // with the connection open (closing it would end the body).
    let writing = tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(writer);
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    writing.abort();
    assert!(
        read.is_ok(),
        "no answer within 10 s while the upload stalls"
    );
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bankid_that_hangs_is_given_up_after_the_call_timeout() {
    let (sim, edge) = stack().await;
    let limit = Duration::from_millis(legit_core::retry::CALL_TIMEOUT_MS);
    sim.add_fault(json!({"endpoint": "auth", "kind": "latency", "latencyMs": 12_000}))
        .await;
    let t = Instant::now();
    let answer = edge.post("/api/v1/orders", &json!({"kind": "auth"})).await;
    let waited = t.elapsed();
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(
        answer.body["error"]["code"], "bankid_unavailable",
        "{answer:?}"
    );
    assert_eq!(answer.body["error"]["rfa"], "RFA5", "{answer:?}");
    assert!(
        waited >= limit && waited < limit + Duration::from_secs(3),
        "the caller waited {waited:?}, the limit is {limit:?}"
    );
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_while_bankid_is_down_or_refuses_us_says_so() {
    let (sim, edge) = stack().await;
    for (kind, status, code, rfa) in [
        (
            "maintenance",
            StatusCode::SERVICE_UNAVAILABLE,
            "bankid_unavailable",
            "RFA5",
        ),
        (
            "drop",
            StatusCode::SERVICE_UNAVAILABLE,
            "bankid_unavailable",
            "RFA5",
        ),
    ] {
        sim.add_fault(json!({"endpoint": "auth", "kind": kind}))
            .await;
        let answer = edge.post("/api/v1/orders", &json!({"kind": "auth"})).await;
        assert_eq!(answer.status, status, "auth fault {kind}: {answer:?}");
        assert_eq!(
            answer.body["error"]["code"], code,
            "auth fault {kind}: {answer:?}"
        );
        assert_eq!(
            answer.body["error"]["rfa"], rfa,
            "auth fault {kind}: {answer:?}"
        );
    }
    // BankID refusing our certificate is our problem, not the user's: RFA22, and no retry will help.
    let (status, body) = sim
        .admin_put("/admin/agreements/legit-rp", json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = edge.post("/api/v1/orders", &json!({"kind": "auth"})).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{answer:?}");
    assert_eq!(
        answer.body["error"]["code"], "bankid_rejected",
        "{answer:?}"
    );
    assert_eq!(answer.body["error"]["rfa"], "RFA22", "{answer:?}");
    assert!(sim.orders().await.is_empty());
    finish(&sim, &edge).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_order_is_not_found() {
    let (sim, edge) = stack().await;
    let id = "0123456789abcdef0123456789abcdef";
    // An agent of the tenant asks: the order does not exist.
    let request = edge
        .request(reqwest::Method::GET, &format!("/api/v1/orders/{id}/events"))
        .bearer_auth(&edge.api_key);
    let answer = edge.send(request, "events of an unknown order").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "unknown_order", "{answer:?}");
    let answer = edge
        .post_as_agent(&format!("/api/v1/orders/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{answer:?}");
    assert_eq!(answer.body["error"]["code"], "unknown_order", "{answer:?}");
    // Something to scan besides the errors.
    edge.start_order_id(json!({"kind": "auth"})).await;
    finish(&sim, &edge).await;
}
