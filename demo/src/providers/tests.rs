//! The providers in process (`tower::ServiceExt::oneshot`), fed with the requests `legit_core::provider`
//! builds, so the real request builders and the fakes are held to each other.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use legit_core::email::Email;
use legit_core::message::{email_text, sms_text};
use legit_core::phone::PhoneNumber;
use legit_core::provider::{EmailApi, ProviderRequest, Secret, SmsGateway};
use legit_core::rfa::Lang;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use super::*;

const USER: &str = "legit";
const PASSWORD: &str = "sms-pässword";
const KEY: &str = "email-key-0123456789";
const URL: &str = "https://legit.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ";

fn providers() -> Arc<Providers> {
    Arc::new(Providers::new(Credentials {
        sms_user: USER.into(),
        sms_password: Secret::new(PASSWORD),
        email_key: Secret::new(KEY),
    }))
}

fn gateway(user: &str, password: &str) -> SmsGateway {
    SmsGateway::new(
        "http://127.0.0.1/sms/send",
        user,
        Secret::new(password),
        "AcmeBank",
    )
    .unwrap()
}

fn mail_api(key: &str) -> EmailApi {
    EmailApi::new(
        "http://127.0.0.1/email/send",
        Secret::new(key),
        "noreply@acme.se",
        "Acme Försäkring AB",
    )
    .unwrap()
}

/// A core-built request as an in-process request (only the path of the URL matters).
fn from_core(req: &ProviderRequest) -> Request<Body> {
    let path = req.url.trim_start_matches("http://127.0.0.1");
    let mut builder = Request::builder().method(req.method).uri(path);
    for (name, value) in &req.headers {
        builder = builder.header(*name, value);
    }
    builder.body(Body::from(req.body.clone())).unwrap()
}

async fn call(
    p: &Arc<Providers>,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let res = app(p.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

async fn json_call(p: &Arc<Providers>, req: Request<Body>) -> (StatusCode, Value) {
    let (status, _, body) = call(p, req).await;
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, value)
}

fn get(path: &str) -> Request<Body> {
    Request::builder().uri(path).body(Body::empty()).unwrap()
}

fn form(auth: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/sms/send")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(auth) = auth {
        b = b.header(header::AUTHORIZATION, auth);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

fn mail(auth: Option<&str>, body: Value) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri("/email/send")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(auth) = auth {
        b = b.header(header::AUTHORIZATION, auth);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn basic() -> String {
    legit_core::provider::basic_auth(USER, &Secret::new(PASSWORD))
}

fn bearer() -> String {
    format!("Bearer {KEY}")
}

async fn inbox(p: &Arc<Providers>, query: &str) -> Vec<Value> {
    let (status, value) = json_call(p, get(&format!("/inbox/messages{query}"))).await;
    assert_eq!(status, StatusCode::OK);
    value.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn an_sms_from_the_core_request_builder_lands_in_the_inbox() {
    let p = providers();
    let to = PhoneNumber::parse("070-123 45 67").unwrap();
    let sms = sms_text("Acme Försäkring AB", URL, 15, Lang::Sv);
    let req = gateway(USER, PASSWORD).request(&to, &sms.text);
    let (status, answer) = json_call(&p, from_core(&req)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], "created");
    assert_eq!(answer["to"], "+46701234567");
    assert_eq!(answer["parts"], 1);

    let messages = inbox(&p, "").await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["channel"], "sms");
    assert_eq!(m["from"], "AcmeBank");
    assert_eq!(m["to"], "+46701234567");
    assert_eq!(m["text"], sms.text.as_str());
    assert_eq!(m["links"], json!([URL]));
    assert_eq!(
        m["sms"],
        json!({"encoding": "gsm7", "units": 149, "segments": 1})
    );
    assert!(m.get("subject").is_none());
}

#[tokio::test]
async fn an_email_from_the_core_request_builder_lands_in_the_inbox() {
    let p = providers();
    let to = Email::parse("Åsa.Öberg@Example.com").unwrap();
    let content = email_text("Acme Försäkring AB", URL, 15, Lang::En);
    let req = mail_api(KEY).request(&to, &content);
    let (status, answer) = json_call(&p, from_core(&req)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["id"], "e1");

    let messages = inbox(&p, "?to=%C3%85sa.%C3%96berg%40example.com").await;
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m["channel"], "email");
    assert_eq!(m["from"], "\"Acme Försäkring AB\" <noreply@acme.se>");
    assert_eq!(m["to"], "Åsa.Öberg@example.com");
    assert_eq!(m["subject"], content.subject.as_str());
    assert_eq!(m["text"], content.text.as_str());
    assert_eq!(m["html"], content.html.as_str());
    assert_eq!(m["links"], json!([URL]));
    assert!(m.get("sms").is_none());
}

#[tokio::test]
async fn the_sms_gateway_wants_the_right_basic_credentials() {
    let p = providers();
    let to = PhoneNumber::parse("0701234567").unwrap();
    for (user, password) in [(USER, "wrong"), ("other", PASSWORD), (USER, "sms-passwörd")] {
        let req = gateway(user, password).request(&to, "hej");
        let (status, headers, body) = call(&p, from_core(&req)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{user}:{password}");
        assert!(
            headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic realm=")
        );
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    for auth in [
        None,
        Some(bearer()),
        Some("Basic !!!".to_owned()),
        Some(format!("Basic {}", "bm9jb2xvbg==")), // "nocolon"
    ] {
        let (status, body) = json_call(
            &p,
            form(auth.as_deref(), "from=Acme&to=%2B46701234567&message=x"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    assert!(inbox(&p, "").await.is_empty());
}

#[tokio::test]
async fn the_sms_gateway_checks_every_field() {
    let p = providers();
    let auth = basic();
    for (body, code) in [
        ("to=%2B46701234567&message=x", "missing_field"),
        ("from=Acme&message=x", "missing_field"),
        ("from=Acme&to=%2B46701234567", "missing_field"),
        (
            "from=Acme&from=Acme&to=%2B46701234567&message=x",
            "duplicate_field",
        ),
        ("from=Acme+Bank&to=%2B46701234567&message=x", "invalid_from"),
        (
            "from=AcmeBank12345&to=%2B46701234567&message=x",
            "invalid_from",
        ),
        ("from=1Acme&to=%2B46701234567&message=x", "invalid_from"),
        ("from=Acme&to=0701234567&message=x", "invalid_to"),
        ("from=Acme&to=%2B46+70+123+45+67&message=x", "invalid_to"),
        ("from=Acme&to=+46701234567&message=x", "invalid_to"),
        ("from=Acme&to=%2B46123&message=x", "invalid_to"),
        ("from=Acme&to=%2B46701234567&message=", "invalid_message"),
    ] {
        let (status, answer) = json_call(&p, form(Some(&auth), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}");
    }
    let long = format!(
        "from=Acme&to=%2B46701234567&message={}",
        "a".repeat(MAX_SMS_CHARS + 1)
    );
    let (status, answer) = json_call(&p, form(Some(&auth), &long)).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_message"))
    );

    let bad_utf8 = Request::builder()
        .method(Method::POST)
        .uri("/sms/send")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, &auth)
        .body(Body::from(vec![b'm', b'=', 0xff]))
        .unwrap();
    let (status, answer) = json_call(&p, bad_utf8).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_body"))
    );

    let json_body = Request::builder()
        .method(Method::POST)
        .uri("/sms/send")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, &auth)
        .body(Body::from("{}"))
        .unwrap();
    let (status, answer) = json_call(&p, json_body).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(answer["error"]["code"], "unsupported_media_type");

    assert!(inbox(&p, "").await.is_empty(), "nothing refused is stored");

    // A phone number as sender, Unicode and extra 46elks options are fine.
    let ok = "from=%2B46766861004&to=%2B46701234567&message=%C3%85sa+%E2%9C%93&dryrun=no";
    let (status, answer) = json_call(&p, form(Some(&auth), ok)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let m = &inbox(&p, "").await[0];
    assert_eq!(m["text"], "Åsa ✓");
    assert_eq!(
        m["sms"],
        json!({"encoding": "ucs2", "units": 5, "segments": 1})
    );
}

#[tokio::test]
async fn the_email_api_wants_the_bearer_key() {
    let p = providers();
    let body = json!({"from": "a@b.se", "to": "c@d.se", "subject": "s", "text": "t"});
    for auth in [
        None,
        Some("Bearer wrong".to_owned()),
        Some(format!("Bearer {KEY}x")),
        Some(format!("Basic {KEY}")),
        Some(KEY.to_owned()),
    ] {
        let (status, headers, _) = call(&p, mail(auth.as_deref(), body.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(
            headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
    let (status, _) = json_call(&p, mail(Some(&format!("bearer {KEY}")), body)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_email_api_checks_every_field() {
    let p = providers();
    let auth = bearer();
    let ok = json!({"from": "Acme <a@b.se>", "to": "c@d.se", "subject": "s", "text": "t"});
    let with = |key: &str, value: Value| {
        let mut v = ok.clone();
        v[key] = value;
        v
    };
    let without = |key: &str| {
        let mut v = ok.clone();
        v.as_object_mut().unwrap().remove(key);
        v
    };
    for (body, code) in [
        (json!([]), "invalid_body"),
        (without("from"), "invalid_body"),
        (without("to"), "invalid_body"),
        (without("subject"), "invalid_body"),
        (with("cc", json!("x@y.se")), "invalid_body"),
        (with("to", json!(7)), "invalid_body"),
        (with("from", json!("Acme <nope>")), "invalid_from"),
        (with("to", json!("nope")), "invalid_to"),
        (with("to", json!([])), "invalid_to"),
        (with("to", json!(["c@d.se", "bad"])), "invalid_to"),
        (with("subject", json!("  ")), "invalid_subject"),
        (
            with("subject", json!("a\r\nBcc: x@y.se")),
            "invalid_subject",
        ),
        (with("text", json!("")), "missing_body"),
        (without("text"), "missing_body"),
    ] {
        let (status, answer) = json_call(&p, mail(Some(&auth), body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}");
    }
    let too_many: Vec<String> = (0..=MAX_RECIPIENTS).map(|i| format!("u{i}@d.se")).collect();
    let (status, answer) = json_call(&p, mail(Some(&auth), with("to", json!(too_many)))).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_to"))
    );
    assert!(inbox(&p, "").await.is_empty());

    // Two recipients make two messages; HTML only is fine, and its links are found.
    let html_only = json!({
        "from": "a@b.se", "to": ["c@d.se", "e@f.se"], "subject": "s",
        "html": "<a href=\"https://x.example/v/1\">open</a>"
    });
    let (status, answer) = json_call(&p, mail(Some(&auth), html_only)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["id"], "e1,e2");
    let all = inbox(&p, "").await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["to"], "e@f.se");
    assert_eq!(all[1]["links"], json!(["https://x.example/v/1"]));
    assert_eq!(inbox(&p, "?to=c@d.se").await.len(), 1);
}

#[tokio::test]
async fn an_oversized_body_gets_413_and_stores_nothing() {
    let p = providers();
    let big = "x".repeat(MAX_BODY_BYTES);
    let oversized_mail = json!({
        "from": "a@b.se", "to": ["c@d.se", "e@f.se"], "subject": "s", "text": big
    });
    let oversized_sms = format!("from=Acme&to=%2B46701234567&message={big}");
    for req in [
        mail(Some(&bearer()), oversized_mail.clone()),
        form(Some(&basic()), &oversized_sms),
    ] {
        let uri = req.uri().clone();
        let (status, answer) = json_call(&p, req).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}: {answer}");
        assert_eq!(answer["error"]["code"], "payload_too_large", "{uri}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&MAX_BODY_BYTES.to_string()), "{message}");
    }
    assert!(inbox(&p, "").await.is_empty());

    // Credentials are still checked first, so the size of a body tells nothing to a stranger.
    let (status, _) = json_call(&p, mail(Some("Bearer wrong"), oversized_mail)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A large but allowed e-mail still arrives, once per recipient.
    let fits = json!({
        "from": "a@b.se", "to": ["c@d.se", "e@f.se"], "subject": "s",
        "text": "x".repeat(MAX_BODY_BYTES - 1_000)
    });
    let (status, answer) = json_call(&p, mail(Some(&bearer()), fits)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(inbox(&p, "").await.len(), 2);
}

#[tokio::test]
async fn the_inbox_page_lists_newest_first_with_clickable_links() {
    let p = providers();
    let to = PhoneNumber::parse("0701234567").unwrap();
    let first = sms_text("Acme Försäkring AB", URL, 15, Lang::Sv);
    let second = sms_text(
        "Acme Försäkring AB",
        "https://legit.example.com/v/second",
        15,
        Lang::En,
    );
    for text in [&first.text, &second.text] {
        let (status, _) =
            json_call(&p, from_core(&gateway(USER, PASSWORD).request(&to, text))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, body) = call(&p, get("/inbox")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("Acme Försäkring AB: Identifiera dig med BankID:"));
    assert!(page.contains(&format!("<a href=\"{URL}\" target=\"_blank\">{URL}</a>")));
    let newer = page.find("/v/second").unwrap();
    let older = page.find(URL).unwrap();
    assert!(newer < older, "newest first");
    assert!(page.contains("setInterval") && page.contains("2000"));
    assert!(page.contains("GSM-7, 149 septets, 1 segment"));

    let (status, headers, _) = call(&p, get("/")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/inbox");
}

#[tokio::test]
async fn the_inbox_filters_and_empties() {
    let p = providers();
    for to in ["0701234567", "0701234568", "0701234567"] {
        let to = PhoneNumber::parse(to).unwrap();
        let (status, _) =
            json_call(&p, from_core(&gateway(USER, PASSWORD).request(&to, "x"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let ids = |list: Vec<Value>| {
        list.iter()
            .map(|m| m["id"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(inbox(&p, "").await), [3, 2, 1]);
    assert_eq!(ids(inbox(&p, "?to=%2B46701234567").await), [3, 1]);
    // A bare + in a query string is a space; it still matches.
    assert_eq!(ids(inbox(&p, "?to=+46701234568").await), [2]);
    assert_eq!(ids(inbox(&p, "?to=070-123%2045%2067").await), [3, 1]);
    assert!(inbox(&p, "?to=%2B46709999999").await.is_empty());

    let delete = Request::builder()
        .method(Method::DELETE)
        .uri("/inbox/messages")
        .body(Body::empty())
        .unwrap();
    let (status, answer) = json_call(&p, delete).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"deleted": 3})));
    assert!(inbox(&p, "").await.is_empty());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_refused() {
    let p = providers();
    let (status, answer) = json_call(&p, get("/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"]["code"], "not_found");
    let (status, _, _) = call(&p, get("/sms/send")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn start_listens_on_loopback_only_and_needs_credentials() {
    let credentials = Credentials {
        sms_user: USER.into(),
        sms_password: Secret::new(PASSWORD),
        email_key: Secret::new(KEY),
    };
    let config = |addr: &str, credentials: &Credentials| Config {
        addr: addr.parse().unwrap(),
        credentials: credentials.clone(),
    };
    assert!(matches!(
        start(config("0.0.0.0:0", &credentials)).await,
        Err(ProvidersError::NotLoopback(_))
    ));
    let mut bad = credentials.clone();
    bad.sms_user = "a:b".into();
    assert!(matches!(
        start(config("127.0.0.1:0", &bad)).await,
        Err(ProvidersError::InvalidSmsUser)
    ));
    let mut bad = credentials.clone();
    bad.email_key = Secret::new("");
    assert!(matches!(
        start(config("127.0.0.1:0", &bad)).await,
        Err(ProvidersError::EmptySecret(_))
    ));
    let running = start(config("127.0.0.1:0", &credentials)).await.unwrap();
    assert!(running.url.starts_with("http://127.0.0.1:"));
    assert_ne!(running.addr.port(), 0);
    // The credentials never show in Debug output.
    let debug = format!("{running:?}");
    assert!(!debug.contains(PASSWORD) && !debug.contains(KEY), "{debug}");
}
