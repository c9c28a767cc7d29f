//! The fake providers over a real socket: what the edge's `fetch` will do, with an independent HTTP client.
//!
//! `reqwest` encodes the form and the basic credentials itself, so this also holds the fake gateway to
//! what any ordinary client sends, not only to `legit_core::provider`'s own encoding (the in-process tests
//! in `demo` cover that side).

use legit_core::email::Email;
use legit_core::message::{email_text, sms_text};
use legit_core::provider::{EmailApi, ProviderRequest, Secret, SmsGateway};
use legit_core::rfa::Lang;
use legit_demo::providers::{self, Credentials, Message};
use reqwest::StatusCode;
use serde_json::Value;

const USER: &str = "legit";
const PASSWORD: &str = "sms-pässword";
const KEY: &str = "email-key-0123456789";
const LINK: &str = "https://legit.example.com/v/-_-_ABCDEFGHIJKLMNOPQQ";

async fn start() -> providers::Running {
    providers::start(providers::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        credentials: Credentials {
            sms_user: USER.into(),
            sms_password: Secret::new(PASSWORD),
            email_key: Secret::new(KEY),
        },
    })
    .await
    .expect("the providers start on a free loopback port")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a plain HTTP client")
}

async fn inbox(url: &str, to: &str) -> Vec<Message> {
    let res = client()
        .get(format!("{url}/inbox/messages"))
        .query(&[("to", to)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn send(req: &ProviderRequest) -> reqwest::Response {
    let mut builder = client().post(&req.url).body(req.body.clone());
    for (name, value) in &req.headers {
        builder = builder.header(*name, value);
    }
    builder.send().await.unwrap()
}

#[tokio::test]
async fn a_form_post_with_basic_auth_is_stored_and_read_back() {
    let running = start().await;
    let url = &running.url;
    let text = sms_text("Acme Försäkring AB", LINK, 15, Lang::Sv).text;

    let res = client()
        .post(format!("{url}/sms/send"))
        .basic_auth(USER, Some(PASSWORD))
        .form(&[
            ("from", "AcmeBank"),
            ("to", "+46701234567"),
            ("message", &text),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["status"], "created");
    assert_eq!(answer["parts"], 1);

    let messages = inbox(url, "+46701234567").await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    assert_eq!(m.text, text, "Unicode and line breaks arrive intact");
    assert_eq!(m.from, "AcmeBank");
    assert_eq!(m.links, [LINK]);
    assert_eq!(
        m.sms.as_ref().map(|s| (s.units, s.segments)),
        Some((149, 1))
    );

    // Wrong password: refused, nothing stored.
    let res = client()
        .post(format!("{url}/sms/send"))
        .basic_auth(USER, Some("wrong"))
        .form(&[
            ("from", "AcmeBank"),
            ("to", "+46701234568"),
            ("message", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(inbox(url, "+46701234568").await.is_empty());
}

#[tokio::test]
async fn requests_built_by_core_go_through_over_the_network() {
    let running = start().await;
    let url = &running.url;

    let gateway = SmsGateway::new(
        &format!("{url}/sms/send"),
        USER,
        Secret::new(PASSWORD),
        "AcmeBank",
    )
    .unwrap();
    let to = legit_core::PhoneNumber::parse("076-686 10 04").unwrap();
    let text = sms_text("Acme Försäkring AB", LINK, 15, Lang::En).text;
    let res = send(&gateway.request(&to, &text)).await;
    assert_eq!(res.status(), StatusCode::OK);

    let api = EmailApi::new(
        &format!("{url}/email/send"),
        Secret::new(KEY),
        "noreply@acme.se",
        "Acme Försäkring AB",
    )
    .unwrap();
    let address = Email::parse("åsa@example.se").unwrap();
    let mail = email_text("Acme Försäkring AB", LINK, 15, Lang::Sv);
    let res = send(&api.request(&address, &mail)).await;
    assert_eq!(res.status(), StatusCode::OK);

    let sms = inbox(url, "0766861004").await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].text, text);
    let mails = inbox(url, "åsa@example.se").await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject.as_deref(), Some(mail.subject.as_str()));
    assert_eq!(mails[0].html.as_deref(), Some(mail.html.as_str()));
    assert_eq!(mails[0].links, [LINK]);

    // The inbox page shows both, the link clickable.
    let page = client()
        .get(format!("{url}/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("<a href=\"{LINK}\"")));
    assert!(page.contains("Acme Försäkring AB: Identify yourself with BankID:"));
    assert!(page.contains("åsa@example.se"));
}
