//! Harness for cross-crate scenarios: a fresh BankID simulator per test, reached over real mutual TLS.
//!
//! Every test gets its own simulator on free `127.0.0.1` ports, so tests run in parallel without sharing
//! orders, faults or the admin clock. The demo certificates are generated once per process: generating is
//! cheap, but a suite of fifty simulators should not redo it fifty times.
//!
//! The helpers speak the wire format (JSON values) rather than typed structs on purpose: a conformance suite
//! must see exactly what the simulator sent, including fields a typed parser would drop.

pub mod browser;
pub mod edge;
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use legit_core::bankid::OrderResponse;
use legit_demo::certs::DemoCerts;
use legit_demo::simulator::{self, Config, Running, Settings};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{Certificate, Identity, Method};
use serde_json::{Value, json};

pub use reqwest::StatusCode;

/// The default test user of the simulator (SIMULATOR.md), whose Unicode name must survive the round trip.
pub const DEFAULT_PNR: &str = "198112289874";
pub const DEFAULT_GIVEN_NAME: &str = "Åsa Ørnulf";
pub const DEFAULT_SURNAME: &str = "Ämström-Lindé";
pub const DEFAULT_NAME: &str = "Åsa Ørnulf Ämström-Lindé";

/// A client certificate to present, or none. The simulator trusts `Legit` and `Other` (two RPs whose orders
/// are private to each other); `Foreign` is signed by a CA it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rp {
    Legit,
    Other,
    Foreign,
    NoCert,
}

/// One generated certificate set for the whole test binary.
static CERTS: LazyLock<DemoCerts> =
    LazyLock::new(|| DemoCerts::generate().expect("generate the demo certificates"));

/// A running simulator and the certificates it was started with. Dropping it stops the simulator.
pub struct Sim {
    pub running: Running,
    pub certs: DemoCerts,
    /// The `legit-rp` client, kept so that consecutive calls reuse one connection as a real RP would.
    legit: reqwest::Client,
    admin: reqwest::Client,
}

/// An RP API answer with its headers, for tests that look past the JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The `Content-Type` header, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON; panics with the raw text if it is not JSON, since every BankID answer is.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "answer {} is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            )
        })
    }
}

impl Sim {
    /// A simulator with default settings (BANKID.md §5 timings, manual progress).
    pub async fn start() -> Sim {
        Sim::start_with(Settings::default()).await
    }

    /// A simulator with the given settings.
    pub async fn start_with(settings: Settings) -> Sim {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let certs = CERTS.clone();
        let running = simulator::start(Config {
            certs: certs.clone(),
            rp_addr: any_port,
            admin_addr: any_port,
            settings,
        })
        .await
        .expect("start the simulator");
        let legit = client_for(&certs, Rp::Legit);
        let admin = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("admin client");
        Sim {
            running,
            certs,
            legit,
            admin,
        }
    }

    /// A fresh RP client presenting `which` certificate. It pins the simulator's CA and ignores the system
    /// trust store, as BANKID.md §1 requires of a real client.
    pub fn rp_client(&self, which: Rp) -> reqwest::Client {
        client_for(&self.certs, which)
    }

    /// The full URL of an RP endpoint, e.g. `url("phone/auth")`.
    pub fn url(&self, endpoint: &str) -> String {
        format!("{}{endpoint}", self.running.rp_url)
    }

    /// `https://127.0.0.1:PORT`, for paths outside `/rp/v6.0/`.
    pub fn origin(&self) -> &str {
        let url = &self.running.rp_url;
        let path = url.find("/rp/").expect("rp_url ends in /rp/v6.0/");
        &url[..path]
    }

    /// POSTs `body` as `application/json` with the `legit-rp` certificate. Asserts the answer is JSON with
    /// `Content-Type: application/json`, as every simulator answer must be.
    pub async fn post_rp(&self, endpoint: &str, body: &Value) -> (StatusCode, Value) {
        self.post_rp_as(Rp::Legit, endpoint, body).await
    }

    /// [`Sim::post_rp`] with another client certificate.
    pub async fn post_rp_as(&self, rp: Rp, endpoint: &str, body: &Value) -> (StatusCode, Value) {
        let client = if rp == Rp::Legit {
            self.legit.clone()
        } else {
            self.rp_client(rp)
        };
        let bytes = serde_json::to_vec(body).expect("serialise");
        let reply = send(
            &client,
            Method::POST,
            &self.url(endpoint),
            Some("application/json"),
            bytes,
        )
        .await
        .unwrap_or_else(|e| panic!("POST {endpoint}: {e:?}"));
        json_reply(reply)
    }

    /// POSTs raw bytes with the given `Content-Type` (or none) with the `legit-rp` certificate.
    pub async fn post_raw(
        &self,
        endpoint: &str,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        send(
            &self.legit,
            Method::POST,
            &self.url(endpoint),
            content_type,
            body.into(),
        )
        .await
        .unwrap_or_else(|e| panic!("POST {endpoint}: {e:?}"))
    }

    /// Any method to any URL with the `legit-rp` certificate; the error is returned, not unwrapped, for the
    /// tests that expect the connection to fail.
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Reply, reqwest::Error> {
        send(&self.legit, method, url, content_type, body).await
    }

    /// Starts an `auth` order for `192.0.2.1` and returns BankID's answer.
    pub async fn start_auth(&self) -> OrderResponse {
        self.start_order("auth", &json!({"endUserIp": "192.0.2.1"}))
            .await
    }

    /// Starts an `auth` or `sign` order with `body`, asserting 200 and the answer's exact shape.
    pub async fn start_order(&self, endpoint: &str, body: &Value) -> OrderResponse {
        let (status, answer) = self.post_rp(endpoint, body).await;
        assert_eq!(status, StatusCode::OK, "{endpoint} {body}: {answer}");
        serde_json::from_value(answer).expect("auth/sign answer")
    }

    /// Starts a `phone/auth` order and returns its `orderRef`.
    pub async fn start_phone(&self, personal_number: &str, call_initiator: &str) -> String {
        let body = json!({"personalNumber": personal_number, "callInitiator": call_initiator});
        let (status, answer) = self.post_rp("phone/auth", &body).await;
        assert_eq!(status, StatusCode::OK, "phone/auth {body}: {answer}");
        answer["orderRef"].as_str().expect("orderRef").to_owned()
    }

    /// `collect` as `legit-rp`.
    pub async fn collect(&self, order_ref: &str) -> (StatusCode, Value) {
        self.post_rp("collect", &json!({"orderRef": order_ref}))
            .await
    }

    /// `cancel` as `legit-rp`.
    pub async fn cancel(&self, order_ref: &str) -> (StatusCode, Value) {
        self.post_rp("cancel", &json!({"orderRef": order_ref}))
            .await
    }

    /// `GET` on the admin API.
    pub async fn admin_get(&self, path: &str) -> (StatusCode, Value) {
        self.admin_call(Method::GET, path, None).await
    }

    /// `POST` on the admin API with a JSON body.
    pub async fn admin_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.admin_call(Method::POST, path, Some(body)).await
    }

    /// `PUT` on the admin API with a JSON body.
    pub async fn admin_put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.admin_call(Method::PUT, path, Some(body)).await
    }

    /// `DELETE` on the admin API.
    pub async fn admin_delete(&self, path: &str) -> (StatusCode, Value) {
        self.admin_call(Method::DELETE, path, None).await
    }

    async fn admin_call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.running.admin_url);
        let mut request = self.admin.request(method.clone(), &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
        let status = response.status();
        let bytes = response.bytes().await.expect("admin body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{method} {path} answered non-JSON ({e}): {:?}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        (status, value)
    }

    /// Moves the simulator's clock forward and returns the new `now` (clock seconds).
    pub async fn advance(&self, seconds: u64) -> f64 {
        let (status, body) = self
            .admin_post("/admin/clock/advance", json!({"seconds": seconds}))
            .await;
        assert_eq!(status, StatusCode::OK, "advance: {body}");
        body["now"].as_f64().expect("now")
    }

    /// The simulator's clock (seconds).
    pub async fn now(&self) -> f64 {
        let (status, body) = self.admin_get("/admin/clock").await;
        assert_eq!(status, StatusCode::OK, "clock: {body}");
        body["now"].as_f64().expect("now")
    }

    /// Makes the person who picks up unbound orders (and completes them) someone else.
    pub async fn set_user(&self, personal_number: &str, given_name: &str, surname: &str) {
        let user =
            json!({"personalNumber": personal_number, "givenName": given_name, "surname": surname});
        let (status, body) = self.admin_put("/admin/user", user).await;
        assert_eq!(status, StatusCode::OK, "set user: {body}");
    }

    /// Adds a fault (SIMULATOR.md `Fault`), e.g. `{"endpoint": "auth", "kind": "maintenance"}`.
    pub async fn add_fault(&self, fault: Value) {
        let (status, body) = self.admin_post("/admin/faults", fault).await;
        assert_eq!(status, StatusCode::OK, "add fault: {body}");
    }

    /// Changes settings at run time (partial JSON `Settings`).
    pub async fn put_settings(&self, settings: Value) {
        let (status, body) = self.admin_put("/admin/settings", settings).await;
        assert_eq!(status, StatusCode::OK, "settings: {body}");
    }

    /// The admin view of an order.
    pub async fn order(&self, order_ref: &str) -> Value {
        let (status, body) = self.admin_get(&format!("/admin/orders/{order_ref}")).await;
        assert_eq!(status, StatusCode::OK, "order {order_ref}: {body}");
        body
    }

    /// Every order the simulator remembers.
    pub async fn orders(&self) -> Vec<Value> {
        let (status, body) = self.admin_get("/admin/orders").await;
        assert_eq!(status, StatusCode::OK, "orders: {body}");
        body.as_array().expect("array of orders").clone()
    }

    /// What "the phone" does to an order: `open`, `approve`, `cancel`, `fail`, … (SIMULATOR.md admin API).
    pub async fn act(
        &self,
        order_ref: &str,
        action: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let path = format!("/admin/orders/{order_ref}/{action}");
        self.admin_call(Method::POST, &path, body).await
    }

    /// [`Sim::act`] that must succeed; returns the order.
    pub async fn act_ok(&self, order_ref: &str, action: &str, body: Option<Value>) -> Value {
        let (status, order) = self.act(order_ref, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action} {order_ref}: {order}");
        order
    }

    /// Scans a QR string with the phone; returns the admin status and body (the order or an error).
    pub async fn scan(&self, qr_data: &str) -> (StatusCode, Value) {
        self.admin_post("/admin/scan", json!({"qrData": qr_data}))
            .await
    }
}

fn client_for(certs: &DemoCerts, which: Rp) -> reqwest::Client {
    let ca = Certificate::from_pem(certs.ca.cert.as_bytes()).expect("CA certificate");
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(10));
    let pem = match which {
        Rp::Legit => Some(&certs.rp),
        Rp::Other => Some(&certs.other_rp),
        Rp::Foreign => Some(&certs.foreign_rp),
        Rp::NoCert => None,
    };
    if let Some(pem) = pem {
        let both = format!("{}\n{}", pem.cert, pem.key);
        builder = builder.identity(Identity::from_pem(both.as_bytes()).expect("client identity"));
    }
    builder.build().expect("RP client")
}

async fn send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Reply, reqwest::Error> {
    let mut request = client.request(method, url);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    if !body.is_empty() {
        request = request.body(body);
    }
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?.to_vec();
    Ok(Reply {
        status,
        headers,
        bytes,
    })
}

fn json_reply(reply: Reply) -> (StatusCode, Value) {
    let content_type = reply.content_type().unwrap_or_default().to_owned();
    let body = reply.json();
    assert!(
        content_type.starts_with("application/json"),
        "answer {} has Content-Type {content_type:?}: {body}",
        reply.status
    );
    (reply.status, body)
}

/// Whether `s` is a lowercase hyphenated UUID, the form BankID uses for orderRef and tokens.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
pub fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse(), m.parse(), d.parse()) else {
        return false;
    };
    legit_core::Date::new(y, m, d).is_some()
}

/// The sorted keys of a JSON object, for asserting an exact key set.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// Asserts a BankID error answer: the status, exactly the keys `errorCode` and `details`, the code, and a
/// non-empty `details` text (free text for developers, so its wording is not asserted).
#[track_caller]
pub fn assert_bankid_error(status: StatusCode, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status.as_u16(), want_status, "status of {body}");
    assert_eq!(keys(body), ["details", "errorCode"], "error body {body}");
    assert_eq!(body["errorCode"], want_code, "error body {body}");
    let details = body["details"].as_str().unwrap_or_default();
    assert!(
        !details.is_empty(),
        "details must be a non-empty string: {body}"
    );
}
