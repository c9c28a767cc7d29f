//! Talking to the edge: JSON over `fetch`, the live stream over `EventSource`. Every call carries
//! `X-Legit-Tenant`; phone orders and links carry the agent's session as a bearer token.
//!
//! The start answer and the link views are read leniently with the widget's own [`crate::json`] reader rather
//! than core's serde types (serde_json's error formatting would cost the wasm ~30 KB); see
//! `flow::StartAnswer` and [`LinkView`].

use legit_core::api::{EventUser, StartOrderRequest};
use legit_core::bankid::CallInitiator;
use legit_core::{Lang, Rfa};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::flow::{Order, StartAnswer};
use crate::json::{Json, Object};

/// Where the edge is and who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Api {
    /// The edge's origin, e.g. `https://id.example.se`; empty for the page's own origin (`/embed`).
    pub base: String,
    pub tenant: Option<String>,
    /// The agent's session (agent mode).
    pub session: Option<String>,
    /// On a verification link's page: the link's token; an `auth` start goes through the link.
    pub link_token: Option<String>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No answer: network down, CORS refused, the edge unreachable.
    Unreachable,
    /// An answer other than 2xx, with the edge's error body when it had one.
    Status {
        status: u16,
        code: String,
        rfa: Option<Rfa>,
    },
}

impl ApiError {
    /// Reads an error answer; a body that is not the edge's error format keeps only the status.
    pub fn from_answer(status: u16, body: &str) -> ApiError {
        let error = Json::parse(body).and_then(|j| j.get("error").cloned());
        ApiError::Status {
            status,
            code: error
                .as_ref()
                .and_then(|e| e.string("code"))
                .unwrap_or_default(),
            rfa: error
                .as_ref()
                .and_then(|e| e.str("rfa"))
                .and_then(Rfa::from_code),
        }
    }

    /// An answer that is not what the contract says.
    fn unexpected(rfa: Option<Rfa>) -> ApiError {
        ApiError::Status {
            status: 200,
            code: "unexpected_answer".into(),
            rfa,
        }
    }

    /// A 404 for the route itself (`not_found`), as opposed to a 404 for a thing the route looked up:
    /// the edge does not offer this API yet.
    pub fn is_missing_route(&self) -> bool {
        matches!(self, ApiError::Status { status: 404, code, .. } if code == "not_found" || code.is_empty())
    }
}

/// `POST /api/v1/links`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateLink {
    /// `"sms"` or `"email"`.
    pub channel: &'static str,
    /// E.164 (`+46701234567`) or the normalised address.
    pub to: String,
    /// The SMS's or e-mail's language.
    pub locale: Lang,
}

impl CreateLink {
    pub fn to_json(&self) -> String {
        Object::new()
            .str("channel", self.channel)
            .str("to", &self.to)
            .str("locale", self.locale.tag())
            .finish()
    }
}

/// The answer to creating a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCreated {
    pub reference: String,
    pub expires_at: Option<String>,
    /// Opens this link's stream, and nothing else: no session in a URL.
    pub stream_token: String,
}

impl LinkCreated {
    pub fn parse(text: &str) -> Option<LinkCreated> {
        let j = Json::parse(text)?;
        Some(LinkCreated {
            reference: j.string("reference")?,
            expires_at: j.string("expiresAt"),
            stream_token: j.string("streamToken")?,
        })
    }
}

/// `GET /api/v1/links/{reference}`: where a link stands (`pending`, `opened`, `complete`, `failed`,
/// `expired`), with the result the tenant's policy allows once complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    pub reference: String,
    pub status: String,
    pub to: Option<String>,
    pub expires_at: Option<String>,
    pub rfa: Option<Rfa>,
    pub user: Option<EventUser>,
}

impl LinkView {
    pub fn parse(text: &str) -> Option<LinkView> {
        let j = Json::parse(text)?;
        Some(LinkView {
            reference: j.string("reference")?,
            status: j.string("status")?,
            to: j.string("to"),
            expires_at: j.string("expiresAt"),
            rfa: j.str("rfa").and_then(Rfa::from_code),
            user: j.get("user").map(|u| EventUser {
                personal_number: u.string("personalNumber"),
                name: u.string("name"),
                given_name: u.string("givenName"),
                surname: u.string("surname"),
            }),
        })
    }

    /// Nothing more will happen to the link (`legit_core::link::LinkStatus::is_final`).
    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "complete" | "failed" | "expired" | "withdrawn"
        )
    }
}

/// `GET /api/v1/ivr/calls/{callId}` (`legit_core::ivr::CallOrder`): the order the IVR started for a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFound {
    pub order_id: String,
    pub order_token: String,
    /// `YYMMDD-XXXX`.
    pub personal_number: String,
}

impl CallFound {
    pub fn parse(text: &str) -> Option<CallFound> {
        let j = Json::parse(text)?;
        Some(CallFound {
            order_id: j.string("orderId")?,
            order_token: j.string("orderToken")?,
            personal_number: j.string("personalNumber").unwrap_or_default(),
        })
    }
}

/// The body of `POST /api/v1/orders` (`legit_core::api::StartOrderRequest`, camelCase, absent fields left out).
pub fn start_request_json(request: &StartOrderRequest) -> String {
    Object::new()
        .str("kind", request.kind.as_str())
        .opt("personalNumber", request.personal_number.as_deref())
        .opt(
            "callInitiator",
            request.call_initiator.map(|c| match c {
                CallInitiator::User => "user",
                CallInitiator::Rp => "RP",
            }),
        )
        .opt("userVisibleData", request.user_visible_data.as_deref())
        .opt("returnUrl", request.return_url.as_deref())
        .finish()
}

impl Api {
    pub async fn start_order(&self, request: &StartOrderRequest) -> Result<StartAnswer, ApiError> {
        let bearer = if request.kind.is_phone() {
            self.session.as_deref()
        } else {
            None
        };
        // A link's page starts through the link: that consumes it (single use) and starts the order for
        // the link's tenant, answering as `/api/v1/orders` does.
        // The link's path, so the cookie of the browser that opened it comes along (starting over).
        let (path, body) = match &self.link_token {
            Some(token) if request.kind == legit_core::api::OrderKind::Auth => {
                let body = Object::new()
                    .opt("returnUrl", request.return_url.as_deref())
                    .finish();
                (format!("/v/{token}/start"), body)
            }
            _ => ("/api/v1/orders".to_owned(), start_request_json(request)),
        };
        let text = self.call("POST", &path, Some(&body), bearer).await?;
        StartAnswer::parse(&text).ok_or(ApiError::unexpected(Some(Rfa::Rfa22)))
    }

    pub async fn cancel(&self, order: &Order) -> Result<(), ApiError> {
        let bearer = order.token.as_deref().or(self.session.as_deref());
        let path = format!("/api/v1/orders/{}/cancel", order.id);
        self.call("POST", &path, Some("{}"), bearer).await.map(drop)
    }

    pub async fn create_link(&self, request: &CreateLink) -> Result<LinkCreated, ApiError> {
        let body = request.to_json();
        let text = self
            .call(
                "POST",
                "/api/v1/links",
                Some(&body),
                self.session.as_deref(),
            )
            .await?;
        LinkCreated::parse(&text).ok_or(ApiError::unexpected(None))
    }

    pub async fn link(&self, reference: &str) -> Result<LinkView, ApiError> {
        self.link_call("GET", &format!("/api/v1/links/{reference}"))
            .await
    }

    /// Takes a sent link back: nobody can open it any more, and the order it started is cancelled.
    /// Answers the link's view then.
    pub async fn withdraw_link(&self, reference: &str) -> Result<LinkView, ApiError> {
        self.link_call("POST", &format!("/api/v1/links/{reference}/cancel"))
            .await
    }

    async fn link_call(&self, method: &str, path: &str) -> Result<LinkView, ApiError> {
        let text = self
            .call(method, path, None, self.session.as_deref())
            .await?;
        LinkView::parse(&text).ok_or(ApiError::unexpected(None))
    }

    /// The order of the IVR call `call_id`, with the agent's session.
    pub async fn call_order(&self, call_id: &str) -> Result<CallFound, ApiError> {
        let escaped = String::from(js_sys::encode_uri_component(call_id));
        let path = format!("/api/v1/ivr/calls/{escaped}");
        let text = self
            .call("GET", &path, None, self.session.as_deref())
            .await?;
        CallFound::parse(&text).ok_or(ApiError::unexpected(None))
    }

    /// The URL of a link's live stream. `EventSource` sends no headers, so a token rides as `?token=`: the
    /// link's own stream token, never the agent's session, which a URL would leave in request logs.
    pub fn link_events_url(&self, reference: &str, stream_token: &str) -> String {
        format!(
            "{}/api/v1/links/{reference}/events?token={}",
            self.base,
            String::from(js_sys::encode_uri_component(stream_token))
        )
    }

    /// The URL of an order's live stream.
    pub fn events_url(&self, order: &Order) -> String {
        let mut url = format!("{}/api/v1/orders/{}/events", self.base, order.id);
        if let Some(token) = &order.token {
            url.push_str("?token=");
            url.push_str(&String::from(js_sys::encode_uri_component(token)));
        }
        url
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        bearer: Option<&str>,
    ) -> Result<String, ApiError> {
        let (status, text) = self
            .fetch(method, path, body, bearer)
            .await
            .map_err(|_| ApiError::Unreachable)?;
        if (200..300).contains(&status) {
            Ok(text)
        } else {
            Err(ApiError::from_answer(status, &text))
        }
    }

    async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        bearer: Option<&str>,
    ) -> Result<(u16, String), JsValue> {
        let headers = web_sys::Headers::new()?;
        headers.set("Accept", "application/json")?;
        if body.is_some() {
            headers.set("Content-Type", "application/json")?;
        }
        if let Some(tenant) = &self.tenant {
            headers.set("X-Legit-Tenant", tenant)?;
        }
        if let Some(bearer) = bearer {
            headers.set("Authorization", &format!("Bearer {bearer}"))?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        init.set_headers(&headers);
        if let Some(body) = body {
            init.set_body(&JsValue::from_str(body));
        }
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let url = format!("{}{path}", self.base);
        let response: web_sys::Response =
            JsFuture::from(window.fetch_with_str_and_init(&url, &init))
                .await?
                .dyn_into()?;
        let text = JsFuture::from(response.text()?).await?;
        Ok((response.status(), text.as_string().unwrap_or_default()))
    }
}

/// An open `EventSource` with its listeners; dropping it closes the stream.
pub struct Stream {
    source: web_sys::EventSource,
    _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

/// What the stream delivers.
pub enum StreamEvent {
    Opened,
    State(String),
    Qr(String),
    /// A verification link's view (`GET /api/v1/links/{reference}/events`).
    Link(String),
    Lost,
}

impl Stream {
    pub fn open(url: &str, mut on_event: impl FnMut(StreamEvent) + 'static) -> Option<Stream> {
        let source = web_sys::EventSource::new(url).ok()?;
        let handler = std::rc::Rc::new(std::cell::RefCell::new(move |e: StreamEvent| on_event(e)));
        let mut listeners = Vec::new();
        for name in ["open", "state", "qr", "link", "error"] {
            let handler = handler.clone();
            let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
                let data = || {
                    e.dyn_ref::<web_sys::MessageEvent>()
                        .and_then(|m| m.data().as_string())
                        .unwrap_or_default()
                };
                let event = match name {
                    "open" => StreamEvent::Opened,
                    "state" => StreamEvent::State(data()),
                    "qr" => StreamEvent::Qr(data()),
                    "link" => StreamEvent::Link(data()),
                    _ => StreamEvent::Lost,
                };
                if let Ok(mut h) = handler.try_borrow_mut() {
                    h(event);
                }
            });
            source
                .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref())
                .ok()?;
            listeners.push(listener);
        }
        Some(Stream {
            source,
            _listeners: listeners,
        })
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.source.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run natively and, under `cargo xtask test`, in Chromium.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_edges_call_look_up_is_read() {
        let edge = legit_core::ivr::CallOrder {
            call_id: "call-1".into(),
            order_id: "0123456789abcdef0123456789abcdef".into(),
            order_token: "t0k".into(),
            personal_number: "811228-XXXX".into(),
        };
        let text = serde_json::to_string(&edge).unwrap();
        assert_eq!(
            CallFound::parse(&text),
            Some(CallFound {
                order_id: edge.order_id,
                order_token: "t0k".into(),
                personal_number: "811228-XXXX".into(),
            })
        );
        assert_eq!(CallFound::parse(r#"{"orderId":"x"}"#), None);
    }

    #[test]
    fn error_bodies_are_read_and_missing_routes_told_apart() {
        let e = ApiError::from_answer(
            409,
            r#"{"error":{"code":"already_in_progress","message":"…","rfa":"RFA4"}}"#,
        );
        assert_eq!(
            e,
            ApiError::Status {
                status: 409,
                code: "already_in_progress".into(),
                rfa: Some(Rfa::Rfa4)
            }
        );
        assert!(
            ApiError::from_answer(404, r#"{"error":{"code":"not_found","message":"x"}}"#)
                .is_missing_route()
        );
        assert!(ApiError::from_answer(404, "<html>").is_missing_route());
        assert!(
            !ApiError::from_answer(404, r#"{"error":{"code":"unknown_link","message":"x"}}"#)
                .is_missing_route()
        );
        assert!(!ApiError::Unreachable.is_missing_route());
    }

    #[test]
    fn link_answers_are_read_leniently() {
        let v = LinkView::parse(
            r#"{"reference":"K7QX-M4TR","channel":"sms","to":"+46 ••• •• 67","status":"complete",
                "createdAt":"2026-11-23T10:00:00Z","expiresAt":"2026-11-23T10:15:00Z",
                "user":{"name":"Åsa Ørnulf Ämström-Lindé","personalNumber":"811228-XXXX"}}"#,
        );
        assert_eq!(v.as_ref().map(|v| v.status.as_str()), Some("complete"));
        assert_eq!(
            v.and_then(|v| v.user)
                .and_then(|u| u.personal_number)
                .as_deref(),
            Some("811228-XXXX")
        );
        for locale in Lang::ALL {
            let sent = CreateLink {
                channel: "sms",
                to: "+46701234567".into(),
                locale,
            }
            .to_json();
            let read = legit_core::links_api::parse_create_link_request(sent.as_bytes())
                .and_then(|request| request.validate(Lang::Sv));
            assert_eq!(read.map(|valid| valid.lang), Ok(locale), "{sent}");
        }
        let created = LinkCreated::parse(
            r#"{"reference":"K7QX-M4TR","expiresAt":"2026-11-23T10:15:00Z","streamToken":"ls1.acme.x"}"#,
        );
        assert_eq!(
            created.map(|c| (c.reference, c.stream_token)),
            Some(("K7QX-M4TR".into(), "ls1.acme.x".into()))
        );
    }

    #[test]
    fn start_requests_are_what_core_reads() {
        for request in [
            StartOrderRequest {
                kind: legit_core::api::OrderKind::PhoneAuth,
                personal_number: Some("198112289874".into()),
                call_initiator: Some(CallInitiator::Rp),
                user_visible_data: None,
                end_user_ip: None,
                return_url: None,
            },
            StartOrderRequest {
                kind: legit_core::api::OrderKind::Sign,
                personal_number: None,
                call_initiator: Some(CallInitiator::User),
                user_visible_data: Some("Jag godkänner \"avtalet\"\n".into()),
                end_user_ip: None,
                return_url: Some("https://shop.example/köp?steg=2&x=\"y\"".into()),
            },
        ] {
            let wire = start_request_json(&request);
            assert_eq!(
                legit_core::api::parse_start_request(wire.as_bytes()).ok(),
                Some(request),
                "{wire}"
            );
        }
    }
}
