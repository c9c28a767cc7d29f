//! The simulator against BANKID.md and SIMULATOR.md, over real mutual TLS.
//!
//! Each test starts its own simulator, so orders, faults and the admin clock never leak between tests.
//! Deterministic bodies are compared whole with `json!`; bodies with generated values are checked for their
//! exact key set and the format of each value.

use std::time::{Duration, Instant};

use legit_core::bankid::{Endpoint, OrderResponse, decode_base64, encode_base64};
use legit_core::qr;
use legit_demo::simulator::Settings;
use legit_tests::{
    DEFAULT_GIVEN_NAME, DEFAULT_NAME, DEFAULT_PNR, DEFAULT_SURNAME, Rp, Sim, StatusCode,
    assert_bankid_error, is_iso_date, is_uuid, keys,
};
use reqwest::Method;
use serde_json::{Value, json};

const OTHER_PNR: &str = "199001010025";
const UNKNOWN_REF: &str = "0c8d4f4e-7a4b-4f3c-9d2e-5b6a7c8d9e0f";

fn pending(order_ref: &str, hint: &str) -> Value {
    json!({"orderRef": order_ref, "status": "pending", "hintCode": hint})
}

fn failed(order_ref: &str, hint: &str) -> Value {
    json!({"orderRef": order_ref, "status": "failed", "hintCode": hint})
}

fn no_such_order() -> Value {
    json!({"errorCode": "invalidParameters", "details": "No such order"})
}

fn default_user() -> Value {
    json!({
        "personalNumber": DEFAULT_PNR,
        "name": DEFAULT_NAME,
        "givenName": DEFAULT_GIVEN_NAME,
        "surname": DEFAULT_SURNAME,
    })
}

fn b64(text: &str) -> String {
    encode_base64(text.as_bytes())
}

/// A body each endpoint accepts, for tests about everything but the body.
fn valid_body(endpoint: &str) -> Value {
    match endpoint {
        "auth" => json!({"endUserIp": "192.0.2.1"}),
        "sign" => json!({"endUserIp": "192.0.2.1", "userVisibleData": b64("Avtal")}),
        "phone/auth" => json!({"personalNumber": OTHER_PNR, "callInitiator": "user"}),
        "phone/sign" => {
            json!({"personalNumber": OTHER_PNR, "callInitiator": "RP", "userVisibleData": b64("Avtal")})
        }
        "collect" | "cancel" => json!({"orderRef": UNKNOWN_REF}),
        other => panic!("no such endpoint {other}"),
    }
}

#[track_caller]
fn assert_json_content_type(reply: &legit_tests::Reply) {
    let content_type = reply.content_type().unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{} answered Content-Type {content_type:?}",
        reply.status
    );
}

async fn assert_collect(sim: &Sim, order_ref: &str, want: Value) {
    let (status, body) = sim.collect(order_ref).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, want),
        "collect {order_ref}"
    );
}

async fn assert_forgotten(sim: &Sim, order_ref: &str) {
    let (status, body) = sim.collect(order_ref).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, no_such_order()),
        "collect {order_ref}"
    );
}

/// Asserts a `complete` collect answer field by field: the exact key sets, the user verbatim, and the
/// formats of the generated values (BANKID.md §2.4). Returns the decoded signature.
#[track_caller]
fn assert_complete(
    body: &Value,
    order_ref: &str,
    user: &Value,
    ip: &str,
    step_up: Option<Value>,
    risk: Option<&str>,
) -> String {
    assert_eq!(
        keys(body),
        ["completionData", "orderRef", "status"],
        "{body}"
    );
    assert_eq!(body["orderRef"], order_ref);
    assert_eq!(body["status"], "complete");
    let data = &body["completionData"];
    let mut want_keys = vec![
        "bankIdIssueDate",
        "device",
        "ocspResponse",
        "signature",
        "user",
    ];
    if risk.is_some() {
        want_keys.push("risk");
    }
    if step_up.is_some() {
        want_keys.push("stepUp");
    }
    want_keys.sort_unstable();
    assert_eq!(keys(data), want_keys, "completionData {data}");
    assert_eq!(&data["user"], user, "completionData.user");
    assert_eq!(keys(&data["device"]), ["ipAddress", "uhi"], "device {data}");
    assert_eq!(data["device"]["ipAddress"], ip);
    assert!(
        !data["device"]["uhi"]
            .as_str()
            .expect("uhi is a string")
            .is_empty()
    );
    assert!(
        is_iso_date(data["bankIdIssueDate"].as_str().expect("date")),
        "bankIdIssueDate {data}"
    );
    if let Some(step_up) = step_up {
        assert_eq!(data["stepUp"], step_up);
    }
    if let Some(risk) = risk {
        assert_eq!(data["risk"], risk);
    }
    let ocsp = decode_base64(data["ocspResponse"].as_str().expect("ocspResponse"))
        .expect("ocspResponse is base64");
    assert!(!ocsp.is_empty(), "ocspResponse is empty");
    let signature =
        decode_base64(data["signature"].as_str().expect("signature")).expect("signature is base64");
    let signature = String::from_utf8(signature).expect("the signature is an XML document");
    assert!(
        signature.trim_start().starts_with('<'),
        "signature is not XML: {signature}"
    );
    signature
}

/// Starts an auth order, opens it with the autostart token and approves it; returns the order.
async fn completed_auth(sim: &Sim) -> OrderResponse {
    let order = sim.start_auth().await;
    let (status, opened) = sim
        .admin_post(
            "/admin/open",
            json!({"autoStartToken": order.auto_start_token}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    sim.act_ok(&order.order_ref, "approve", None).await;
    order
}

/// The QR time the simulator expects now for `order_ref`: whole clock seconds since it was created.
async fn qr_time(sim: &Sim, order_ref: &str) -> i64 {
    let created = sim.order(order_ref).await["createdAt"]
        .as_f64()
        .expect("createdAt");
    let now = sim.now().await;
    // Both are milliseconds in disguise; subtract them as integers so 10.000 - 0.001 never floors to 9.
    let ms = |seconds: f64| (seconds * 1000.0).round() as i64;
    (ms(now) - ms(created)).div_euclid(1000)
}

fn frame(order: &OrderResponse, time: i64) -> String {
    qr::payload(
        &order.qr_start_token,
        &order.qr_start_secret,
        u64::try_from(time).expect("qrTime >= 0"),
    )
}

#[track_caller]
fn assert_admin_error(status: StatusCode, body: &Value, want_status: u16, want_codes: &[&str]) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(keys(body), ["error"], "{body}");
    assert_eq!(keys(&body["error"]), ["code", "message"], "{body}");
    let code = body["error"]["code"].as_str().unwrap_or_default();
    assert!(
        want_codes.contains(&code),
        "admin error code {code:?}, want one of {want_codes:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Starting orders

#[tokio::test]
async fn auth_answers_four_distinct_uuids_as_json() {
    let sim = Sim::start().await;
    let reply = sim
        .post_raw(
            "auth",
            Some("application/json"),
            r#"{"endUserIp":"192.0.2.1"}"#,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_json_content_type(&reply);
    let body = reply.json();
    assert_eq!(
        keys(&body),
        [
            "autoStartToken",
            "orderRef",
            "qrStartSecret",
            "qrStartToken"
        ],
        "{body}"
    );
    let mut values: Vec<&str> = [
        "orderRef",
        "autoStartToken",
        "qrStartToken",
        "qrStartSecret",
    ]
    .iter()
    .map(|k| body[*k].as_str().expect("string"))
    .collect();
    assert!(values.iter().all(|v| is_uuid(v)), "{body}");
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), 4, "tokens must differ: {body}");
    let second = sim.start_auth().await;
    assert_ne!(second.order_ref, body["orderRef"].as_str().unwrap());
}

#[tokio::test]
async fn phone_orders_answer_only_an_order_ref() {
    let sim = Sim::start().await;
    for (endpoint, body) in [
        (
            "phone/auth",
            json!({"personalNumber": DEFAULT_PNR, "callInitiator": "user"}),
        ),
        (
            "phone/sign",
            json!({"personalNumber": OTHER_PNR, "callInitiator": "RP", "userVisibleData": b64("Avtal")}),
        ),
    ] {
        let (status, answer) = sim.post_rp(endpoint, &body).await;
        assert_eq!(status, StatusCode::OK, "{endpoint}: {answer}");
        assert_eq!(keys(&answer), ["orderRef"], "{endpoint}: {answer}");
        assert!(is_uuid(answer["orderRef"].as_str().unwrap()), "{answer}");
    }
}

#[tokio::test]
async fn new_orders_collect_as_pending_outstanding_transaction() {
    let sim = Sim::start().await;
    let auth = sim.start_auth().await;
    let phone = sim.start_phone(DEFAULT_PNR, "RP").await;
    assert_collect(
        &sim,
        &auth.order_ref,
        pending(&auth.order_ref, "outstandingTransaction"),
    )
    .await;
    assert_collect(&sim, &phone, pending(&phone, "outstandingTransaction")).await;
}

#[tokio::test]
async fn admin_order_view_records_kind_rp_tokens_and_decoded_visible_data() {
    let sim = Sim::start().await;
    let text = "Överföring av 1 000 kr\r\ntill Ämström-Lindé";
    let sign = sim
        .start_order(
            "sign",
            &json!({"endUserIp": "192.0.2.1", "userVisibleData": b64(text)}),
        )
        .await;
    let order = sim.order(&sign.order_ref).await;
    assert_eq!(order["orderRef"], sign.order_ref.as_str());
    assert_eq!(order["kind"], "sign");
    assert_eq!(order["rp"], "legit-rp");
    assert_eq!(order["status"], "pending");
    assert_eq!(order["hintCode"], "outstandingTransaction");
    assert_eq!(order["userVisibleData"], text);
    assert_eq!(order["autoStartToken"], sign.auto_start_token.as_str());
    assert_eq!(order["qrStartToken"], sign.qr_start_token.as_str());
    assert_eq!(order["collects"], 0);
    assert!(order["createdAt"].is_number(), "{order}");
    assert!(
        order.get("qrStartSecret").is_none(),
        "the admin view need not expose the secret: {order}"
    );
    sim.collect(&sign.order_ref).await;
    assert_eq!(sim.order(&sign.order_ref).await["collects"], 1);

    sim.advance(1).await; // a later createdAt, so "newest first" is unambiguous
    let phone = sim.start_phone(OTHER_PNR, "RP").await;
    let order = sim.order(&phone).await;
    assert_eq!(order["kind"], "phoneAuth");
    assert_eq!(order["personalNumber"], OTHER_PNR);
    assert_eq!(order["callInitiator"], "RP");
    let orders = sim.orders().await;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["orderRef"], phone.as_str(), "newest first");
}

// ---------------------------------------------------------------------------------------------------------
// Happy paths and hint-code sequences

#[tokio::test]
async fn auth_open_approve_completes_with_unicode_user_and_exact_completion_data() {
    let sim = Sim::start().await;
    let order = sim
        .start_order("auth", &json!({"endUserIp": "2001:db8::1"}))
        .await;
    let r = &order.order_ref;
    assert_collect(&sim, r, pending(r, "outstandingTransaction")).await;
    let (status, opened) = sim
        .admin_post(
            "/admin/open",
            json!({"autoStartToken": order.auto_start_token}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    assert_eq!(opened["hintCode"], "started");
    assert_collect(&sim, r, pending(r, "started")).await;
    sim.act_ok(r, "approve", None).await;
    let (status, body) = sim.collect(r).await;
    assert_eq!(status, StatusCode::OK);
    assert_complete(&body, r, &default_user(), "2001:db8::1", None, None);
}

#[tokio::test]
async fn sign_by_qr_goes_scan_user_sign_complete_and_signs_the_visible_data() {
    let sim = Sim::start().await;
    let text = "# Avtal\nJag, Åsa, godkänner villkoren.";
    let order = sim
        .start_order(
            "sign",
            &json!({
                "endUserIp": "192.0.2.7",
                "userVisibleData": b64(text),
                "userVisibleDataFormat": "simpleMarkdownV1",
                "userNonVisibleData": b64("ref 42"),
            }),
        )
        .await;
    let r = &order.order_ref;
    assert_collect(&sim, r, pending(r, "outstandingTransaction")).await;
    let (status, scanned) = sim.scan(&frame(&order, qr_time(&sim, r).await)).await;
    assert_eq!(status, StatusCode::OK, "{scanned}");
    assert_collect(&sim, r, pending(r, "userSign")).await;
    sim.act_ok(r, "approve", None).await;
    let (_, body) = sim.collect(r).await;
    let signature = assert_complete(&body, r, &default_user(), "192.0.2.7", None, None);
    assert!(
        signature.contains(text) || signature.contains(&b64(text)),
        "the signature must carry the visible data: {signature}"
    );
}

#[tokio::test]
async fn phone_auth_goes_open_call_confirm_user_sign_complete() {
    let sim = Sim::start().await;
    let r = sim.start_phone(DEFAULT_PNR, "user").await;
    assert_collect(&sim, &r, pending(&r, "outstandingTransaction")).await;
    sim.act_ok(&r, "open", None).await;
    assert_collect(&sim, &r, pending(&r, "userCallConfirm")).await;
    sim.act_ok(&r, "confirm-call", None).await;
    assert_collect(&sim, &r, pending(&r, "userSign")).await;
    sim.act_ok(&r, "approve", None).await;
    let (_, body) = sim.collect(&r).await;
    assert_complete(&body, &r, &default_user(), "127.0.0.1", None, None);
}

#[tokio::test]
async fn phone_sign_completes_for_the_bound_person_and_signs_the_visible_data() {
    let sim = Sim::start().await;
    let text = "Jag godkänner flytten av mitt sparkonto.";
    let (status, answer) = sim
        .post_rp(
            "phone/sign",
            &json!({"personalNumber": OTHER_PNR, "callInitiator": "RP", "userVisibleData": b64(text)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let r = answer["orderRef"].as_str().unwrap().to_owned();
    sim.act_ok(&r, "open", None).await;
    sim.act_ok(&r, "confirm-call", None).await;
    sim.act_ok(&r, "approve", None).await;
    let (_, body) = sim.collect(&r).await;
    let user = &body["completionData"]["user"];
    assert_eq!(
        user["personalNumber"], OTHER_PNR,
        "the person the order is bound to: {body}"
    );
    let name = format!(
        "{} {}",
        user["givenName"].as_str().unwrap(),
        user["surname"].as_str().unwrap()
    );
    assert_eq!(user["name"], name.as_str());
    let signature = assert_complete(&body, &r, user, "127.0.0.1", None, None);
    assert!(
        signature.contains(text) || signature.contains(&b64(text)),
        "{signature}"
    );
}

#[tokio::test]
async fn mrtd_order_passes_user_mrtd_and_completes_with_step_up() {
    let sim = Sim::start().await;
    let order = sim
        .start_order(
            "auth",
            &json!({"endUserIp": "192.0.2.1", "requirement": {"mrtd": true}}),
        )
        .await;
    let r = &order.order_ref;
    sim.act_ok(r, "open", None).await;
    assert_collect(&sim, r, pending(r, "started")).await;
    let after_first = sim.act_ok(r, "approve", None).await;
    assert_eq!(after_first["hintCode"], "userMrtd");
    assert_collect(&sim, r, pending(r, "userMrtd")).await;
    sim.act_ok(r, "approve", None).await;
    let (_, body) = sim.collect(r).await;
    assert_complete(
        &body,
        r,
        &default_user(),
        "192.0.2.1",
        Some(json!({"mrtd": true})),
        None,
    );
}

#[tokio::test]
async fn return_risk_adds_low_risk_to_completion_data() {
    let sim = Sim::start().await;
    let order = sim
        .start_order(
            "auth",
            &json!({"endUserIp": "192.0.2.1", "returnRisk": true}),
        )
        .await;
    sim.act_ok(&order.order_ref, "open", None).await;
    sim.act_ok(&order.order_ref, "approve", None).await;
    let (_, body) = sim.collect(&order.order_ref).await;
    assert_complete(
        &body,
        &order.order_ref,
        &default_user(),
        "192.0.2.1",
        None,
        Some("low"),
    );
}

#[tokio::test]
async fn approve_with_a_user_completes_as_that_user() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.act_ok(&order.order_ref, "open", None).await;
    let bo =
        json!({"personalNumber": "191212121212", "givenName": "Bo Göran", "surname": "Ek-Öhman"});
    sim.act_ok(&order.order_ref, "approve", Some(json!({"user": bo})))
        .await;
    let (_, body) = sim.collect(&order.order_ref).await;
    let want = json!({"personalNumber": "191212121212", "name": "Bo Göran Ek-Öhman",
                      "givenName": "Bo Göran", "surname": "Ek-Öhman"});
    assert_complete(&body, &order.order_ref, &want, "192.0.2.1", None, None);
}

#[tokio::test]
async fn set_user_changes_who_completes_unbound_orders() {
    let sim = Sim::start().await;
    sim.set_user("191212121212", "Tolvan", "Tolvansson").await;
    let (status, user) = sim.admin_get("/admin/user").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        user,
        json!({"personalNumber": "191212121212", "givenName": "Tolvan", "surname": "Tolvansson"})
    );
    let order = completed_auth(&sim).await;
    let (_, body) = sim.collect(&order.order_ref).await;
    let want = json!({"personalNumber": "191212121212", "name": "Tolvan Tolvansson",
                      "givenName": "Tolvan", "surname": "Tolvansson"});
    assert_complete(&body, &order.order_ref, &want, "192.0.2.1", None, None);
}

#[tokio::test]
async fn declining_the_call_fails_with_user_declined_call() {
    let sim = Sim::start().await;
    let r = sim.start_phone(DEFAULT_PNR, "RP").await;
    sim.act_ok(&r, "open", None).await;
    assert_collect(&sim, &r, pending(&r, "userCallConfirm")).await;
    sim.act_ok(&r, "decline-call", None).await;
    assert_collect(&sim, &r, failed(&r, "userDeclinedCall")).await;
}

#[tokio::test]
async fn cancelling_in_the_app_fails_with_user_cancel() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.act_ok(&order.order_ref, "open", None).await;
    sim.act_ok(&order.order_ref, "cancel", None).await;
    assert_collect(
        &sim,
        &order.order_ref,
        failed(&order.order_ref, "userCancel"),
    )
    .await;
}

#[tokio::test]
async fn admin_fail_reports_certificate_err() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.act_ok(
        &order.order_ref,
        "fail",
        Some(json!({"hintCode": "certificateErr"})),
    )
    .await;
    assert_collect(
        &sim,
        &order.order_ref,
        failed(&order.order_ref, "certificateErr"),
    )
    .await;
}

#[tokio::test]
async fn unknown_hint_codes_pass_through_verbatim() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    sim.act_ok(r, "hint", Some(json!({"hintCode": "noClient"})))
        .await;
    assert_collect(&sim, r, pending(r, "noClient")).await;
    sim.act_ok(
        r,
        "hint",
        Some(json!({"hintCode": "faceRecognitionInProgress"})),
    )
    .await;
    assert_collect(&sim, r, pending(r, "faceRecognitionInProgress")).await;
    sim.act_ok(
        r,
        "fail",
        Some(json!({"hintCode": "mrtdVerificationFailed"})),
    )
    .await;
    assert_collect(&sim, r, failed(r, "mrtdVerificationFailed")).await;
}

#[tokio::test]
async fn collect_after_rp_cancel_reports_failed_cancelled() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let (status, body) = sim.cancel(&order.order_ref).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_collect(
        &sim,
        &order.order_ref,
        failed(&order.order_ref, "cancelled"),
    )
    .await;
}

#[tokio::test]
async fn phone_actions_on_auth_orders_and_early_approve_are_invalid_transitions() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    for action in ["approve", "confirm-call", "decline-call"] {
        let (status, body) = sim.act(r, action, None).await;
        assert_admin_error(status, &body, 409, &["invalid_transition"]);
    }
    assert_collect(&sim, r, pending(r, "outstandingTransaction")).await;
    let (status, body) = sim.act(UNKNOWN_REF, "open", None).await;
    assert_admin_error(status, &body, 404, &["unknown_order"]);
}

#[tokio::test]
async fn order_bound_to_a_personal_number_can_only_be_picked_up_by_that_person() {
    let sim = Sim::start().await;
    let order = sim
        .start_order(
            "auth",
            &json!({"endUserIp": "192.0.2.1", "requirement": {"personalNumber": OTHER_PNR}}),
        )
        .await;
    let r = &order.order_ref;
    let (status, body) = sim.act(r, "open", None).await;
    assert_admin_error(status, &body, 409, &["wrong_person"]);
    assert_collect(&sim, r, pending(r, "outstandingTransaction")).await;
    sim.set_user(OTHER_PNR, "Maja", "Ölund").await;
    sim.act_ok(r, "open", None).await;
    sim.act_ok(r, "approve", None).await;
    let (_, body) = sim.collect(r).await;
    let want = json!({"personalNumber": OTHER_PNR, "name": "Maja Ölund", "givenName": "Maja", "surname": "Ölund"});
    assert_complete(&body, r, &want, "192.0.2.1", None, None);
}

// ---------------------------------------------------------------------------------------------------------
// alreadyInProgress and replaced orders

#[tokio::test]
async fn second_phone_order_for_a_person_is_already_in_progress_and_cancels_the_first() {
    let sim = Sim::start().await;
    let first = sim.start_phone(DEFAULT_PNR, "user").await;
    let (status, body) = sim
        .post_rp(
            "phone/sign",
            &json!({"personalNumber": DEFAULT_PNR, "callInitiator": "RP", "userVisibleData": b64("Avtal")}),
        )
        .await;
    assert_bankid_error(status, &body, 400, "alreadyInProgress");
    assert_collect(&sim, &first, failed(&first, "cancelled")).await;
    assert_eq!(
        sim.orders().await.len(),
        1,
        "the refused request creates no order"
    );
    // Both attempts are dead; the next one starts afresh.
    sim.start_phone(DEFAULT_PNR, "user").await;
}

#[tokio::test]
async fn auth_with_required_personal_number_is_already_in_progress_for_a_pending_person() {
    let sim = Sim::start().await;
    let first = sim.start_phone(OTHER_PNR, "RP").await;
    let (status, body) = sim
        .post_rp(
            "auth",
            &json!({"endUserIp": "192.0.2.1", "requirement": {"personalNumber": OTHER_PNR}}),
        )
        .await;
    assert_bankid_error(status, &body, 400, "alreadyInProgress");
    assert_collect(&sim, &first, failed(&first, "cancelled")).await;
    // Someone else is not affected.
    let other = sim.start_phone(DEFAULT_PNR, "RP").await;
    assert_collect(&sim, &other, pending(&other, "outstandingTransaction")).await;
}

#[tokio::test]
async fn autostart_pickup_cancels_the_same_persons_older_order() {
    let sim = Sim::start().await;
    let older = sim.start_auth().await;
    sim.act_ok(&older.order_ref, "open", None).await;
    let newer = sim.start_auth().await;
    let (status, body) = sim
        .admin_post(
            "/admin/open",
            json!({"autoStartToken": newer.auto_start_token}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_collect(
        &sim,
        &older.order_ref,
        failed(&older.order_ref, "cancelled"),
    )
    .await;
    assert_collect(&sim, &newer.order_ref, pending(&newer.order_ref, "started")).await;
}

#[tokio::test]
async fn qr_pickup_cancels_the_same_persons_pending_phone_order() {
    let sim = Sim::start().await;
    let phone = sim.start_phone(DEFAULT_PNR, "user").await;
    let unrelated = sim.start_phone(OTHER_PNR, "user").await;
    let order = sim.start_auth().await;
    sim.act_ok(&order.order_ref, "scan-current", None).await;
    assert_collect(&sim, &phone, failed(&phone, "cancelled")).await;
    assert_collect(
        &sim,
        &unrelated,
        pending(&unrelated, "outstandingTransaction"),
    )
    .await;
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "userSign"),
    )
    .await;
}

#[tokio::test]
async fn picking_up_an_order_leaves_the_persons_newer_order_alone() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    // Started after the QR order, which names nobody until it is scanned: no alreadyInProgress.
    let newer_phone = sim.start_phone(DEFAULT_PNR, "user").await;
    sim.act_ok(&order.order_ref, "scan-current", None).await;
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "userSign"),
    )
    .await;
    assert_collect(
        &sim,
        &newer_phone,
        pending(&newer_phone, "outstandingTransaction"),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------------------
// invalidParameters

/// A request BankID refuses: the family it belongs to (one test each), the endpoint, the field that
/// `details` must name (SIMULATOR.md rule 5), and the body.
struct Refused {
    family: &'static str,
    endpoint: &'static str,
    field: &'static str,
    body: Value,
}

fn refused(
    family: &'static str,
    endpoint: &'static str,
    field: &'static str,
    body: Value,
) -> Refused {
    Refused {
        family,
        endpoint,
        field,
        body,
    }
}

/// Every refused request of the invalidParameters tests, by family.
fn refused_requests() -> Vec<Refused> {
    let ip = |ip: Value| json!({"endUserIp": ip});
    let visible = |data: Value| json!({"endUserIp": "192.0.2.1", "userVisibleData": data});
    let req = |r: Value| json!({"endUserIp": "192.0.2.1", "requirement": r});
    let phone = |pnr: Value| json!({"personalNumber": pnr, "callInitiator": "user"});
    let call = |who: Value| json!({"personalNumber": DEFAULT_PNR, "callInitiator": who});
    let too_long_for_auth = encode_base64(&[b'a'; 1_200]); // 1 600 base64 characters
    vec![
        refused("endUserIp", "auth", "endUserIp", json!({})),
        refused("endUserIp", "auth", "endUserIp", ip(json!(""))),
        refused("endUserIp", "auth", "endUserIp", ip(json!("localhost"))),
        refused("endUserIp", "auth", "endUserIp", ip(json!("192.0.2.256"))),
        refused(
            "endUserIp",
            "auth",
            "endUserIp",
            ip(json!("192.0.2.1:8080")),
        ),
        refused(
            "endUserIp",
            "auth",
            "endUserIp",
            ip(json!(3_221_225_985_u32)),
        ),
        refused("endUserIp", "auth", "endUserIp", ip(json!(null))),
        refused(
            "endUserIp",
            "sign",
            "endUserIp",
            json!({"endUserIp": "::g", "userVisibleData": b64("Avtal")}),
        ),
        refused(
            "visible",
            "auth",
            "userVisibleData",
            visible(json!("inte base64!")),
        ),
        refused("visible", "auth", "userVisibleData", visible(json!(""))),
        refused(
            "visible",
            "auth",
            "userVisibleData",
            visible(json!(too_long_for_auth)),
        ),
        refused(
            "visible",
            "auth",
            "userVisibleData",
            visible(json!(encode_base64(&[0xff, 0xfe]))),
        ),
        refused("visible", "auth", "userVisibleData", visible(json!(42))),
        refused(
            "visible",
            "auth",
            "userNonVisibleData",
            json!({"endUserIp": "192.0.2.1", "userNonVisibleData": "%%%"}),
        ),
        refused(
            "signVisible",
            "sign",
            "userVisibleData",
            json!({"endUserIp": "192.0.2.1"}),
        ),
        refused(
            "signVisible",
            "phone/sign",
            "userVisibleData",
            json!({"personalNumber": DEFAULT_PNR, "callInitiator": "user"}),
        ),
        refused(
            "format",
            "auth",
            "userVisibleDataFormat",
            json!({"endUserIp": "192.0.2.1", "userVisibleDataFormat": "simpleMarkdownV1"}),
        ),
        refused(
            "format",
            "auth",
            "userVisibleDataFormat",
            json!({"endUserIp": "192.0.2.1", "userVisibleData": b64("x"), "userVisibleDataFormat": "markdown"}),
        ),
        refused(
            "format",
            "phone/auth",
            "userVisibleDataFormat",
            json!({"personalNumber": DEFAULT_PNR, "callInitiator": "user", "userVisibleDataFormat": "simpleMarkdownV1"}),
        ),
        refused(
            "requirement",
            "auth",
            "cardReader",
            req(json!({"cardReader": "class3"})),
        ),
        refused(
            "requirement",
            "auth",
            "certificatePolicies",
            req(json!({"certificatePolicies": ["1.*"]})),
        ),
        refused(
            "requirement",
            "auth",
            "certificatePolicies",
            req(json!({"certificatePolicies": ["not an oid"]})),
        ),
        refused(
            "requirement",
            "auth",
            "certificatePolicies",
            req(json!({"certificatePolicies": "1.2.3.4.5"})),
        ),
        refused(
            "requirement",
            "auth",
            "personalNumber",
            req(json!({"personalNumber": "198112289875"})),
        ),
        refused(
            "requirement",
            "auth",
            "personalNumber",
            req(json!({"personalNumber": "8112289874"})),
        ),
        refused(
            "requirement",
            "auth",
            "pinCode",
            req(json!({"pinCode": "yes"})),
        ),
        refused("requirement", "auth", "mrtd", req(json!({"mrtd": 1}))),
        refused("requirement", "auth", "requirement", req(json!("pinCode"))),
        refused(
            "personalNumber",
            "phone/auth",
            "personalNumber",
            phone(json!("198112289875")),
        ),
        refused(
            "personalNumber",
            "phone/auth",
            "personalNumber",
            phone(json!("8112289874")),
        ),
        refused(
            "personalNumber",
            "phone/auth",
            "personalNumber",
            phone(json!("811228-9874")),
        ),
        refused(
            "personalNumber",
            "phone/auth",
            "personalNumber",
            phone(json!("19811228-9874")),
        ),
        refused(
            "personalNumber",
            "phone/auth",
            "personalNumber",
            phone(json!("19811228987")),
        ),
        refused(
            "personalNumber",
            "phone/auth",
            "personalNumber",
            phone(json!(198_112_289_874_u64)),
        ),
        refused(
            "personalNumber",
            "phone/sign",
            "personalNumber",
            json!({"callInitiator": "user", "userVisibleData": b64("x")}),
        ),
        refused(
            "callInitiator",
            "phone/auth",
            "callInitiator",
            call(json!("rp")),
        ),
        refused(
            "callInitiator",
            "phone/auth",
            "callInitiator",
            call(json!("User")),
        ),
        refused(
            "callInitiator",
            "phone/auth",
            "callInitiator",
            call(json!("USER")),
        ),
        refused(
            "callInitiator",
            "phone/auth",
            "callInitiator",
            call(json!("")),
        ),
        refused(
            "callInitiator",
            "phone/auth",
            "callInitiator",
            call(json!(true)),
        ),
        refused(
            "callInitiator",
            "phone/auth",
            "callInitiator",
            json!({"personalNumber": DEFAULT_PNR}),
        ),
    ]
}

/// Sends every request of `family` and expects `400 invalidParameters` and no order.
async fn assert_refused(sim: &Sim, family: &str) {
    for case in refused_requests()
        .into_iter()
        .filter(|c| c.family == family)
    {
        let (status, answer) = sim.post_rp(case.endpoint, &case.body).await;
        assert_bankid_error(status, &answer, 400, "invalidParameters");
    }
    assert!(
        sim.orders().await.is_empty(),
        "refused requests create no order"
    );
}

#[tokio::test]
async fn bad_end_user_ip_is_invalid_parameters() {
    let sim = Sim::start().await;
    assert_refused(&sim, "endUserIp").await;
    sim.start_order("auth", &json!({"endUserIp": "2001:db8::1"}))
        .await;
}

#[tokio::test]
async fn bad_user_visible_data_is_invalid_parameters_and_sign_allows_more() {
    let sim = Sim::start().await;
    assert_refused(&sim, "visible").await;
    // The 1 600 characters too many for auth are within sign's limit.
    let long = encode_base64(&[b'a'; 1_200]);
    sim.start_order(
        "sign",
        &json!({"endUserIp": "192.0.2.1", "userVisibleData": long}),
    )
    .await;
}

#[tokio::test]
async fn sign_without_user_visible_data_is_invalid_parameters() {
    let sim = Sim::start().await;
    assert_refused(&sim, "signVisible").await;
}

#[tokio::test]
async fn visible_data_format_needs_data_and_the_one_known_value() {
    let sim = Sim::start().await;
    assert_refused(&sim, "format").await;
}

#[tokio::test]
async fn bad_requirement_fields_are_invalid_parameters() {
    let sim = Sim::start().await;
    assert_refused(&sim, "requirement").await;
    let fine = json!({"pinCode": true, "cardReader": "class2",
                      "certificatePolicies": ["1.2.752.78.1.*", "1.2.3.4.25"]});
    sim.start_order(
        "auth",
        &json!({"endUserIp": "192.0.2.1", "requirement": fine}),
    )
    .await;
}

#[tokio::test]
async fn bad_personal_numbers_are_invalid_parameters() {
    let sim = Sim::start().await;
    assert_refused(&sim, "personalNumber").await;
}

#[tokio::test]
async fn call_initiator_must_be_user_or_rp_exactly() {
    let sim = Sim::start().await;
    assert_refused(&sim, "callInitiator").await;
    sim.start_phone(DEFAULT_PNR, "RP").await;
    sim.start_phone(OTHER_PNR, "user").await;
}

/// SIMULATOR.md rule 5: "a missing or mistyped field, or a value BankID refuses → 400 invalidParameters with
/// `details` naming the field". Lists every request whose details do not.
#[tokio::test]
async fn invalid_parameters_details_name_the_field() {
    let sim = Sim::start().await;
    let mut unnamed = Vec::new();
    for case in refused_requests() {
        let (_, answer) = sim.post_rp(case.endpoint, &case.body).await;
        let details = answer["details"].as_str().unwrap_or_default();
        if !details.contains(case.field) {
            unnamed.push(format!("{} {} -> {details:?}", case.endpoint, case.body));
        }
    }
    assert!(
        unnamed.is_empty(),
        "details do not name the field:\n{}",
        unnamed.join("\n")
    );
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_invalid_parameters_on_every_endpoint() {
    let sim = Sim::start().await;
    let bodies: [&[u8]; 8] = [
        b"",
        b"not json",
        b"[1,2,3]",
        b"[]",
        b"\"auth\"",
        b"42",
        b"null",
        b"\xff\xfe{}",
    ];
    for endpoint in Endpoint::ALL.map(Endpoint::path) {
        for body in bodies {
            let reply = sim.post_raw(endpoint, Some("application/json"), body).await;
            assert_json_content_type(&reply);
            assert_bankid_error(reply.status, &reply.json(), 400, "invalidParameters");
        }
    }
}

#[tokio::test]
async fn body_of_one_mebibyte_is_read_and_one_byte_more_is_invalid_parameters() {
    let sim = Sim::start().await;
    // Valid JSON padded with whitespace to exactly 1 MiB: within the limit.
    let mut body = br#"{"endUserIp": "192.0.2.1"}"#.to_vec();
    body.resize(1 << 20, b' ');
    let reply = sim
        .post_raw("auth", Some("application/json"), body.clone())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
    body.push(b' ');
    let reply = sim.post_raw("auth", Some("application/json"), body).await;
    assert_bankid_error(reply.status, &reply.json(), 400, "invalidParameters");
    assert_eq!(
        sim.orders().await.len(),
        1,
        "the oversized request creates no order"
    );
}

#[tokio::test]
async fn collect_and_cancel_of_an_unknown_order_ref_say_no_such_order_and_need_an_order_ref() {
    let sim = Sim::start().await;
    for endpoint in ["collect", "cancel"] {
        let (status, body) = sim
            .post_rp(endpoint, &json!({"orderRef": UNKNOWN_REF}))
            .await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, no_such_order()),
            "{endpoint}"
        );
    }
    let (status, body) = sim.collect("not-a-uuid").await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, no_such_order()));
    assert_refused(&sim, "orderRef").await;
}

#[tokio::test]
async fn another_rps_order_ref_is_no_such_order_and_the_order_is_untouched() {
    let sim = Sim::start().await;
    let (status, answer) = sim
        .post_rp_as(Rp::Other, "auth", &json!({"endUserIp": "192.0.2.1"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let r = answer["orderRef"].as_str().unwrap();
    assert_eq!(sim.order(r).await["rp"], "other-rp");
    for endpoint in ["collect", "cancel"] {
        let (status, body) = sim.post_rp(endpoint, &json!({"orderRef": r})).await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, no_such_order()),
            "{endpoint}"
        );
    }
    let (status, body) = sim
        .post_rp_as(Rp::Other, "collect", &json!({"orderRef": r}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, pending(r, "outstandingTransaction"))
    );
}

#[tokio::test]
async fn cancelling_twice_or_after_completion_is_invalid_parameters() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    assert_eq!(
        sim.cancel(&order.order_ref).await,
        (StatusCode::OK, json!({}))
    );
    let (status, body) = sim.cancel(&order.order_ref).await;
    assert_bankid_error(status, &body, 400, "invalidParameters");
    let done = completed_auth(&sim).await;
    let (status, body) = sim.cancel(&done.order_ref).await;
    assert_bankid_error(status, &body, 400, "invalidParameters");
    let (status, body) = sim.collect(&done.order_ref).await;
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("complete")),
        "cancel left it complete"
    );
}

// ---------------------------------------------------------------------------------------------------------
// 401, 404, 405, 415 and their order

#[tokio::test]
async fn switched_off_agreement_is_unauthorized_on_every_endpoint_until_switched_on() {
    let sim = Sim::start().await;
    let (status, body) = sim
        .admin_put("/admin/agreements/legit-rp", json!({"active": false}))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"cn": "legit-rp", "active": false}))
    );
    for endpoint in Endpoint::ALL.map(Endpoint::path) {
        let (status, body) = sim.post_rp(endpoint, &valid_body(endpoint)).await;
        assert_bankid_error(status, &body, 401, "unauthorized");
    }
    assert!(sim.orders().await.is_empty());
    // Another RP keeps its agreement.
    let (status, _) = sim.post_rp_as(Rp::Other, "auth", &valid_body("auth")).await;
    assert_eq!(status, StatusCode::OK);
    sim.admin_put("/admin/agreements/legit-rp", json!({"active": true}))
        .await;
    sim.start_auth().await;
}

#[tokio::test]
async fn method_and_content_type_are_checked_before_the_agreement() {
    let sim = Sim::start().await;
    sim.admin_put("/admin/agreements/legit-rp", json!({"active": false}))
        .await;
    let reply = sim
        .post_raw("auth", Some("text/plain"), r#"{"endUserIp":"192.0.2.1"}"#)
        .await;
    assert_bankid_error(reply.status, &reply.json(), 415, "unsupportedMediaType");
    let reply = sim
        .request(Method::GET, &sim.url("auth"), None, vec![])
        .await
        .unwrap();
    assert_bankid_error(reply.status, &reply.json(), 405, "methodNotAllowed");
    let reply = sim.post_raw("nope", Some("application/json"), "{}").await;
    assert_bankid_error(reply.status, &reply.json(), 404, "notFound");
}

#[tokio::test]
async fn unknown_paths_and_the_v5_api_are_not_found() {
    let sim = Sim::start().await;
    for path in [
        "/rp/v6.0/authenticate",
        "/rp/v6.0/",
        "/rp/v6.0/phone",
        "/rp/v6.0/phone/collect",
        "/rp/v5.1/auth",
        "/rp/v5/collect",
        "/",
    ] {
        let url = format!("{}{path}", sim.origin());
        for method in [Method::POST, Method::GET] {
            let reply = sim
                .request(
                    method.clone(),
                    &url,
                    Some("application/json"),
                    br#"{"endUserIp":"192.0.2.1"}"#.to_vec(),
                )
                .await
                .unwrap();
            assert_json_content_type(&reply);
            assert_bankid_error(reply.status, &reply.json(), 404, "notFound");
        }
    }
}

#[tokio::test]
async fn methods_other_than_post_are_not_allowed_on_every_endpoint() {
    let sim = Sim::start().await;
    for endpoint in Endpoint::ALL.map(Endpoint::path) {
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
            let body = if method == Method::GET {
                vec![]
            } else {
                serde_json::to_vec(&valid_body(endpoint)).unwrap()
            };
            let content_type = (method != Method::GET).then_some("application/json");
            let reply = sim
                .request(method.clone(), &sim.url(endpoint), content_type, body)
                .await
                .unwrap();
            assert_json_content_type(&reply);
            assert_bankid_error(reply.status, &reply.json(), 405, "methodNotAllowed");
        }
    }
    assert!(sim.orders().await.is_empty());
}

#[tokio::test]
async fn content_type_other_than_exactly_application_json_is_unsupported_on_every_endpoint() {
    let sim = Sim::start().await;
    for endpoint in Endpoint::ALL.map(Endpoint::path) {
        let body = serde_json::to_vec(&valid_body(endpoint)).unwrap();
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/json; charset=utf-8"),
            Some("application/xml"),
        ] {
            let reply = sim.post_raw(endpoint, content_type, body.clone()).await;
            assert_json_content_type(&reply);
            assert_bankid_error(reply.status, &reply.json(), 415, "unsupportedMediaType");
        }
    }
    assert!(sim.orders().await.is_empty());
}

// ---------------------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn error_faults_answer_the_bankid_error_body_once_and_create_no_order() {
    let sim = Sim::start().await;
    for (kind, status) in [
        ("requestTimeout", 408),
        ("tooManyRequests", 429),
        ("internalError", 500),
        ("maintenance", 503),
    ] {
        sim.add_fault(json!({"endpoint": "auth", "kind": kind}))
            .await;
        let reply = sim
            .post_raw(
                "auth",
                Some("application/json"),
                r#"{"endUserIp":"192.0.2.1"}"#,
            )
            .await;
        assert_json_content_type(&reply);
        assert_bankid_error(reply.status, &reply.json(), status, kind);
        if kind == "tooManyRequests" {
            for header in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
                assert!(
                    reply.headers.contains_key(header),
                    "429 without {header}: {:?}",
                    reply.headers
                );
            }
        }
        assert!(
            sim.orders().await.is_empty(),
            "a faulted request creates no order ({kind})"
        );
    }
    // Every fault is spent: the next request works.
    sim.start_auth().await;
    let (_, faults) = sim.admin_get("/admin/faults").await;
    assert_eq!(faults, json!([]));
}

#[tokio::test]
async fn fault_is_spent_after_count_requests_and_faulted_collects_do_not_count() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    sim.add_fault(json!({"endpoint": "collect", "kind": "maintenance", "count": 3}))
        .await;
    for _ in 0..3 {
        let (status, body) = sim.collect(r).await;
        assert_bankid_error(status, &body, 503, "maintenance");
    }
    assert_eq!(
        sim.order(r).await["collects"],
        0,
        "faulted collects have no effect"
    );
    assert_collect(&sim, r, pending(r, "outstandingTransaction")).await;
    assert_eq!(sim.order(r).await["collects"], 1);
}

#[tokio::test]
async fn fault_hits_only_its_endpoint_and_star_hits_all() {
    let sim = Sim::start().await;
    sim.add_fault(json!({"endpoint": "sign", "kind": "internalError"}))
        .await;
    let order = sim.start_auth().await;
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "outstandingTransaction"),
    )
    .await;
    let (status, body) = sim.post_rp("sign", &valid_body("sign")).await;
    assert_bankid_error(status, &body, 500, "internalError");

    sim.add_fault(json!({"endpoint": "*", "kind": "maintenance", "count": 2}))
        .await;
    let (status, body) = sim.collect(&order.order_ref).await;
    assert_bankid_error(status, &body, 503, "maintenance");
    let (status, body) = sim.post_rp("phone/auth", &valid_body("phone/auth")).await;
    assert_bankid_error(status, &body, 503, "maintenance");
    let (status, _) = sim.post_rp("phone/auth", &valid_body("phone/auth")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn fault_with_count_zero_lasts_until_cleared() {
    let sim = Sim::start().await;
    sim.add_fault(json!({"endpoint": "auth", "kind": "maintenance", "count": 0}))
        .await;
    let (_, faults) = sim.admin_get("/admin/faults").await;
    assert_eq!(faults.as_array().map(Vec::len), Some(1), "{faults}");
    for _ in 0..5 {
        let (status, body) = sim.post_rp("auth", &valid_body("auth")).await;
        assert_bankid_error(status, &body, 503, "maintenance");
    }
    let (status, _) = sim.admin_delete("/admin/faults").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sim.admin_get("/admin/faults").await.1, json!([]));
    sim.start_auth().await;
}

#[tokio::test]
async fn drop_fault_closes_the_connection_and_the_next_request_works() {
    let sim = Sim::start().await;
    sim.add_fault(json!({"endpoint": "auth", "kind": "drop"}))
        .await;
    let result = sim
        .request(
            Method::POST,
            &sim.url("auth"),
            Some("application/json"),
            br#"{"endUserIp":"192.0.2.1"}"#.to_vec(),
        )
        .await;
    let err = result.expect_err("a dropped connection gives the client no answer");
    assert!(err.status().is_none(), "{err:?}");
    assert!(
        sim.orders().await.is_empty(),
        "the dropped request creates no order"
    );
    sim.start_auth().await;
    assert_eq!(sim.orders().await.len(), 1);
}

#[tokio::test]
async fn latency_fault_delays_the_answer_and_then_answers_normally() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.add_fault(json!({"endpoint": "collect", "kind": "latency", "latencyMs": 400}))
        .await;
    let started = Instant::now();
    let answer = sim.collect(&order.order_ref).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400),
        "answered after {took:?}"
    );
    assert_eq!(
        answer,
        (
            StatusCode::OK,
            pending(&order.order_ref, "outstandingTransaction")
        )
    );
    assert_eq!(
        sim.order(&order.order_ref).await["collects"],
        1,
        "a delayed collect still counts"
    );
}

#[tokio::test]
async fn fault_comes_after_the_media_type_check_and_before_the_body_check() {
    let sim = Sim::start().await;
    sim.add_fault(json!({"endpoint": "auth", "kind": "maintenance"}))
        .await;
    let reply = sim.post_raw("auth", Some("text/plain"), "{}").await;
    assert_bankid_error(reply.status, &reply.json(), 415, "unsupportedMediaType");
    // The 415 did not reach the fault, so it is still there for a request with a bad body.
    let (status, body) = sim.post_rp("auth", &json!({"endUserIp": "nowhere"})).await;
    assert_bankid_error(status, &body, 503, "maintenance");
    let (status, body) = sim.post_rp("auth", &json!({"endUserIp": "nowhere"})).await;
    assert_bankid_error(status, &body, 400, "invalidParameters");
}

// ---------------------------------------------------------------------------------------------------------
// Timing (admin clock)

#[tokio::test]
async fn default_settings_are_bankid_timings() {
    let sim = Sim::start().await;
    let (status, settings) = sim.admin_get("/admin/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        settings,
        json!({
            "startFailedSeconds": 30,
            "orderLifetimeSeconds": 180,
            "unopenedRetentionSeconds": 190,
            "completedRetentionSeconds": 180,
            "failedRetentionSeconds": 300,
            "qrToleranceSeconds": 1,
            "repeatFinalResult": true,
            "autoProgress": false,
        })
    );
}

#[tokio::test]
async fn unopened_auth_order_fails_start_failed_at_30_seconds_not_29() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    sim.advance(29).await;
    assert_collect(&sim, r, pending(r, "outstandingTransaction")).await;
    sim.advance(1).await;
    assert_collect(&sim, r, failed(r, "startFailed")).await;
}

#[tokio::test]
async fn start_failed_limit_is_a_setting() {
    let sim = Sim::start().await;
    sim.put_settings(json!({"startFailedSeconds": 5})).await;
    let (_, settings) = sim.admin_get("/admin/settings").await;
    assert_eq!(settings["startFailedSeconds"], 5);
    assert_eq!(
        settings["orderLifetimeSeconds"], 180,
        "a partial PUT keeps the other settings"
    );
    let order = sim.start_auth().await;
    sim.advance(5).await;
    assert_collect(
        &sim,
        &order.order_ref,
        failed(&order.order_ref, "startFailed"),
    )
    .await;
}

#[tokio::test]
async fn opened_auth_order_expires_at_180_seconds_instead_of_start_failed() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    sim.advance(10).await;
    sim.act_ok(r, "open", None).await;
    sim.advance(50).await;
    assert_collect(&sim, r, pending(r, "started")).await;
    sim.advance(119).await;
    assert_collect(&sim, r, pending(r, "started")).await;
    sim.advance(1).await;
    assert_collect(&sim, r, failed(r, "expiredTransaction")).await;
}

#[tokio::test]
async fn phone_order_expires_at_180_seconds_and_never_start_fails() {
    let sim = Sim::start().await;
    let r = sim.start_phone(DEFAULT_PNR, "RP").await;
    sim.advance(31).await;
    assert_collect(&sim, &r, pending(&r, "outstandingTransaction")).await;
    sim.advance(148).await;
    assert_collect(&sim, &r, pending(&r, "outstandingTransaction")).await;
    sim.advance(1).await;
    assert_collect(&sim, &r, failed(&r, "expiredTransaction")).await;
}

#[tokio::test]
async fn never_opened_order_is_forgotten_190_seconds_after_creation() {
    let sim = Sim::start().await;
    let phone = sim.start_phone(DEFAULT_PNR, "RP").await;
    let auth = sim.start_auth().await;
    sim.advance(189).await;
    assert_collect(&sim, &phone, failed(&phone, "expiredTransaction")).await;
    assert_collect(
        &sim,
        &auth.order_ref,
        failed(&auth.order_ref, "startFailed"),
    )
    .await;
    sim.advance(2).await;
    assert_forgotten(&sim, &phone).await;
    assert_forgotten(&sim, &auth.order_ref).await;
}

#[tokio::test]
async fn completed_order_is_collectable_for_180_seconds_after_completion() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    sim.advance(20).await;
    sim.act_ok(r, "open", None).await;
    sim.act_ok(r, "approve", None).await;
    sim.advance(179).await;
    let (status, body) = sim.collect(r).await;
    assert_eq!(status, StatusCode::OK);
    assert_complete(&body, r, &default_user(), "192.0.2.1", None, None);
    sim.advance(2).await;
    assert_forgotten(&sim, r).await;
}

#[tokio::test]
async fn failed_order_is_collectable_for_300_seconds_after_failure() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    sim.act_ok(r, "open", None).await;
    sim.advance(60).await;
    sim.act_ok(r, "cancel", None).await;
    assert_collect(&sim, r, failed(r, "userCancel")).await;
    sim.advance(299).await;
    assert_collect(&sim, r, failed(r, "userCancel")).await;
    sim.advance(2).await;
    assert_forgotten(&sim, r).await;
}

#[tokio::test]
async fn final_result_repeats_by_default_and_once_only_without_repeat_final_result() {
    let sim = Sim::start().await;
    let order = completed_auth(&sim).await;
    let first = sim.collect(&order.order_ref).await;
    assert_eq!(first.1["status"], "complete");
    assert_eq!(
        sim.collect(&order.order_ref).await,
        first,
        "the same final answer again"
    );

    sim.put_settings(json!({"repeatFinalResult": false})).await;
    let order = completed_auth(&sim).await;
    let (status, body) = sim.collect(&order.order_ref).await;
    assert_eq!(
        (status, &body["status"]),
        (StatusCode::OK, &json!("complete"))
    );
    let (status, body) = sim.collect(&order.order_ref).await;
    assert_bankid_error(status, &body, 400, "invalidParameters");
}

#[tokio::test]
async fn clock_advance_answers_the_new_time() {
    let sim = Sim::start().await;
    let before = sim.now().await;
    let after = sim.advance(100).await;
    assert!(
        (after - before - 100.0).abs() < 2.0,
        "{before} + 100 -> {after}"
    );
    assert!(sim.now().await >= after);
}

#[tokio::test]
async fn opened_order_that_expired_is_collectable_for_300_seconds_after_expiry() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    sim.act_ok(r, "scan-current", None).await;
    sim.advance(180).await;
    assert_collect(&sim, r, failed(r, "expiredTransaction")).await;
    sim.advance(299).await;
    assert_collect(&sim, r, failed(r, "expiredTransaction")).await;
    sim.advance(2).await;
    assert_forgotten(&sim, r).await;
}

// ---------------------------------------------------------------------------------------------------------
// autoProgress

#[tokio::test]
async fn auto_progress_steps_auth_like_active_login() {
    let sim = Sim::start_with(Settings {
        auto_progress: true,
        ..Settings::default()
    })
    .await;
    let order = sim.start_auth().await;
    let r = &order.order_ref;
    for hint in [
        "outstandingTransaction",
        "outstandingTransaction",
        "started",
        "started",
        "userSign",
    ] {
        assert_collect(&sim, r, pending(r, hint)).await;
    }
    let (_, body) = sim.collect(r).await;
    assert_complete(&body, r, &default_user(), "192.0.2.1", None, None);
}

#[tokio::test]
async fn auto_progress_steps_phone_orders_through_call_confirm() {
    let sim = Sim::start().await;
    sim.put_settings(json!({"autoProgress": true})).await;
    let r = sim.start_phone(DEFAULT_PNR, "user").await;
    for hint in ["outstandingTransaction", "userCallConfirm", "userSign"] {
        assert_collect(&sim, &r, pending(&r, hint)).await;
    }
    let (_, body) = sim.collect(&r).await;
    assert_complete(&body, &r, &default_user(), "127.0.0.1", None, None);
}

// ---------------------------------------------------------------------------------------------------------
// QR codes

#[test]
fn qr_payload_matches_the_bankid_test_vector() {
    let token = "67df3917-fa0d-44e5-b327-edcc928297f8";
    let secret = "d28db9a7-4cde-429e-a983-359be676944c";
    assert_eq!(
        qr::payload(token, secret, 0),
        "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"
    );
    assert_eq!(
        qr::payload(token, secret, 10),
        "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.10.2822ca616ce1e64a1c171df69154ebc5adef4011244c867d6ad88a02db178962"
    );
}

#[tokio::test]
async fn qr_frame_for_the_current_second_is_accepted() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.advance(3).await;
    let (status, body) = sim
        .scan(&frame(&order, qr_time(&sim, &order.order_ref).await))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hintCode"], "userSign");
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "userSign"),
    )
    .await;
}

#[tokio::test]
async fn qr_frame_one_second_old_is_accepted() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.advance(3).await;
    // The real second may tick between reading the clock and scanning; only a refusal without a tick fails.
    for attempt in 0..3 {
        let t = qr_time(&sim, &order.order_ref).await;
        let (status, body) = sim.scan(&frame(&order, t - 1)).await;
        if status == StatusCode::OK {
            assert_collect(
                &sim,
                &order.order_ref,
                pending(&order.order_ref, "userSign"),
            )
            .await;
            return;
        }
        let ticked = qr_time(&sim, &order.order_ref).await != t;
        assert!(
            ticked && attempt < 2,
            "frame {} at qrTime {t} refused: {status} {body}",
            t - 1
        );
    }
}

#[tokio::test]
async fn qr_frame_five_seconds_old_is_refused_as_expired() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.advance(10).await;
    let t = qr_time(&sim, &order.order_ref).await;
    let (status, body) = sim.scan(&frame(&order, t - 5)).await;
    assert_admin_error(status, &body, 422, &["qr_expired"]);
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "outstandingTransaction"),
    )
    .await;
}

#[tokio::test]
async fn qr_frame_from_the_future_is_refused() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let t = qr_time(&sim, &order.order_ref).await;
    let (status, body) = sim.scan(&frame(&order, t + 5)).await;
    assert_admin_error(status, &body, 422, &["qr_expired", "qr_invalid"]);
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "outstandingTransaction"),
    )
    .await;
}

#[tokio::test]
async fn qr_frame_with_a_wrong_code_is_refused_as_invalid() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    let t = qr_time(&sim, &order.order_ref).await;
    let forged = qr::payload(
        &order.qr_start_token,
        &order.auto_start_token,
        u64::try_from(t).unwrap(),
    );
    let (status, body) = sim.scan(&forged).await;
    assert_admin_error(status, &body, 422, &["qr_invalid"]);
    let (status, body) = sim
        .scan(&format!("bankid.{}.{t}.nothex", order.qr_start_token))
        .await;
    assert_admin_error(status, &body, 422, &["qr_invalid"]);
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "outstandingTransaction"),
    )
    .await;
}

#[tokio::test]
async fn qr_frame_of_an_unknown_order_is_refused() {
    let sim = Sim::start().await;
    let (status, body) = sim.scan(&qr::payload(UNKNOWN_REF, "secret", 0)).await;
    assert_admin_error(status, &body, 422, &["qr_unknown_order"]);
}

#[tokio::test]
async fn qr_tolerance_is_a_setting() {
    let sim = Sim::start().await;
    sim.put_settings(json!({"qrToleranceSeconds": 0})).await;
    let order = sim.start_auth().await;
    sim.advance(5).await;
    // One second old is refused now; a tick in between only makes it older.
    let t = qr_time(&sim, &order.order_ref).await;
    let (status, body) = sim.scan(&frame(&order, t - 1)).await;
    assert_admin_error(status, &body, 422, &["qr_expired"]);
    sim.put_settings(json!({"qrToleranceSeconds": 10})).await;
    let (status, body) = sim.scan(&frame(&order, t - 4)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn qr_of_an_order_already_picked_up_is_refused() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.act_ok(&order.order_ref, "scan-current", None).await;
    let t = qr_time(&sim, &order.order_ref).await;
    let (status, body) = sim.scan(&frame(&order, t)).await;
    assert_admin_error(status, &body, 409, &["invalid_transition"]);
    let (status, body) = sim.act(&order.order_ref, "open", None).await;
    assert_admin_error(status, &body, 409, &["invalid_transition"]);
    assert_collect(
        &sim,
        &order.order_ref,
        pending(&order.order_ref, "userSign"),
    )
    .await;
}

// ---------------------------------------------------------------------------------------------------------
// TLS and transport

/// BANKID.md §1: a missing or unknown client certificate is answered `401 unauthorized`, and creates nothing.
#[tokio::test]
async fn a_client_without_a_certificate_or_with_a_foreign_one_is_unauthorized() {
    let sim = Sim::start().await;
    for rp in [Rp::NoCert, Rp::Foreign] {
        let (status, body) = sim
            .post_rp_as(rp, "auth", &json!({"endUserIp": "192.0.2.1"}))
            .await;
        assert_bankid_error(status, &body, 401, "unauthorized");
    }
    assert!(sim.orders().await.is_empty());
    let (status, _) = sim
        .post_rp("auth", &json!({"endUserIp": "192.0.2.1"}))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the RP's own certificate still works"
    );
}

#[tokio::test]
async fn every_answer_is_application_json() {
    let sim = Sim::start().await;
    let ok = sim
        .post_raw(
            "auth",
            Some("application/json"),
            r#"{"endUserIp":"192.0.2.1"}"#,
        )
        .await;
    let bad = sim.post_raw("auth", Some("application/json"), "{").await;
    let unsupported = sim.post_raw("auth", Some("text/plain"), "{}").await;
    let not_found = sim.post_raw("nope", Some("application/json"), "{}").await;
    let not_allowed = sim
        .request(Method::GET, &sim.url("collect"), None, vec![])
        .await
        .unwrap();
    sim.add_fault(json!({"endpoint": "collect", "kind": "maintenance"}))
        .await;
    let maintenance = sim
        .post_raw(
            "collect",
            Some("application/json"),
            format!(r#"{{"orderRef":"{UNKNOWN_REF}"}}"#),
        )
        .await;
    for (reply, status) in [
        (ok, 200),
        (bad, 400),
        (unsupported, 415),
        (not_found, 404),
        (not_allowed, 405),
        (maintenance, 503),
    ] {
        assert_eq!(reply.status.as_u16(), status);
        assert_eq!(
            reply.content_type(),
            Some("application/json"),
            "answer {status}"
        );
        reply.json();
    }
}

#[tokio::test]
async fn server_certificate_is_valid_for_localhost_too() {
    let sim = Sim::start().await;
    let url = sim.url("auth").replace("127.0.0.1", "localhost");
    let reply = sim
        .request(
            Method::POST,
            &url,
            Some("application/json"),
            br#"{"endUserIp":"192.0.2.1"}"#.to_vec(),
        )
        .await
        .expect("the server certificate names localhost");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json());
}

// ---------------------------------------------------------------------------------------------------------
// Admin API housekeeping

#[tokio::test]
async fn admin_stats_count_requests_per_endpoint_and_collects_per_order() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.start_auth().await;
    sim.collect(&order.order_ref).await;
    sim.collect(&order.order_ref).await;
    sim.cancel(&order.order_ref).await;
    let (status, stats) = sim.admin_get("/admin/stats").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stats["requests"],
        json!({"auth": 2, "collect": 2, "cancel": 1})
    );
    assert_eq!(stats["collects"][&order.order_ref], 2);
}

#[tokio::test]
async fn admin_reset_forgets_orders_faults_clock_settings_agreements_and_user() {
    let sim = Sim::start().await;
    let order = sim.start_auth().await;
    sim.add_fault(json!({"endpoint": "collect", "kind": "maintenance", "count": 0}))
        .await;
    sim.put_settings(json!({"autoProgress": true})).await;
    sim.set_user("191212121212", "Tolvan", "Tolvansson").await;
    sim.admin_put("/admin/agreements/legit-rp", json!({"active": false}))
        .await;
    let advanced = sim.advance(1000).await;
    let (status, _) = sim.admin_post("/admin/reset", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sim.orders().await.is_empty());
    assert!(
        sim.now().await < advanced - 900.0,
        "the clock offset is gone"
    );
    assert_eq!(sim.admin_get("/admin/faults").await.1, json!([]));
    assert_eq!(
        sim.admin_get("/admin/settings").await.1["autoProgress"],
        false
    );
    assert_eq!(
        sim.admin_get("/admin/user").await.1["personalNumber"],
        DEFAULT_PNR
    );
    assert_forgotten(&sim, &order.order_ref).await;
    let (status, body) = sim
        .admin_get(&format!("/admin/orders/{}", order.order_ref))
        .await;
    assert_admin_error(status, &body, 404, &["unknown_order"]);
}

#[tokio::test]
async fn stats_count_each_mutual_tls_connection_once_however_many_calls_it_carries() {
    let sim = Sim::start().await;
    let connections = || async { sim.admin_get("/admin/stats").await.1["tlsConnections"].as_u64() };
    let before = connections().await.expect("tlsConnections in the stats");
    // The harness's client keeps one connection for all its calls.
    for _ in 0..3 {
        sim.start_auth().await;
    }
    let kept = connections().await.unwrap_or(0) - before;
    assert!(
        kept <= 1,
        "three calls on one kept-alive client opened {kept} connections"
    );
    // A new client is a new handshake.
    let fresh = sim.rp_client(Rp::Legit);
    let reply = fresh
        .post(sim.url("auth"))
        .header("Content-Type", "application/json")
        .body(r#"{"endUserIp":"192.0.2.1"}"#)
        .send()
        .await
        .expect("auth on a new connection");
    assert_eq!(reply.status(), StatusCode::OK);
    assert_eq!(connections().await.unwrap_or(0) - before, kept + 1);
}
