//! The edge's JSON API (DESIGN.md §4): the types the widget and the edge exchange, and the pure rules that
//! turn a start request into a BankID request and a BankID answer into the event a viewer sees.
//!
//! The edge hands out its own random `orderId`; BankID's `orderRef` and QR secrets never appear in any type
//! here, so nothing built from these types can leak them to a browser.

use serde::{Deserialize, Serialize};

use crate::bankid::{
    self, CallInitiator, CollectResponse, Endpoint, InvalidParameters, OrderRequest,
    PhoneOrderRequest, Requirement, Status,
};
use crate::date::Date;
use crate::personal_number::{PersonalNumber, PersonalNumberError};
use crate::rfa::{self, Flow, Rfa};

/// What a viewer asked the edge to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrderKind {
    Auth,
    Sign,
    PhoneAuth,
    PhoneSign,
}

impl OrderKind {
    pub const ALL: [OrderKind; 4] = [
        OrderKind::Auth,
        OrderKind::Sign,
        OrderKind::PhoneAuth,
        OrderKind::PhoneSign,
    ];

    /// The wire spelling, e.g. `"phoneAuth"`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Auth => "auth",
            OrderKind::Sign => "sign",
            OrderKind::PhoneAuth => "phoneAuth",
            OrderKind::PhoneSign => "phoneSign",
        }
    }

    pub fn parse(s: &str) -> Option<OrderKind> {
        OrderKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The BankID endpoint that starts this kind of order.
    pub fn endpoint(self) -> Endpoint {
        match self {
            OrderKind::Auth => Endpoint::Auth,
            OrderKind::Sign => Endpoint::Sign,
            OrderKind::PhoneAuth => Endpoint::PhoneAuth,
            OrderKind::PhoneSign => Endpoint::PhoneSign,
        }
    }

    pub fn is_phone(self) -> bool {
        matches!(self, OrderKind::PhoneAuth | OrderKind::PhoneSign)
    }

    pub fn is_sign(self) -> bool {
        matches!(self, OrderKind::Sign | OrderKind::PhoneSign)
    }

    /// The flow the edge picks messages for. The edge cannot know whether an auth/sign order is opened on
    /// the same device or by QR; it says `OtherDevice` and the widget, which knows, refines the message.
    pub fn flow(self) -> Flow {
        if self.is_phone() {
            Flow::Phone
        } else {
            Flow::OtherDevice
        }
    }
}

/// `status` of an [`OrderEvent`]: BankID's three, nothing else (an unknown BankID status ends the order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrderStatus {
    Pending,
    Failed,
    Complete,
}

/// Body of `POST /api/v1/orders`.
///
/// `personal_number` is taken in any form a person types (BANKID.md §9); `user_visible_data` is plain
/// text, which the edge base64-encodes for BankID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartOrderRequest {
    pub kind: OrderKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_initiator: Option<CallInitiator>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    /// auth/sign started by a tenant's server for its own user: that user's address. BankID's `endUserIp`
    /// must be the person's, never a server's or a proxy's (BANKID.md §2.1), and only the server knows it.
    /// The edge takes it from an API-key caller only; everyone else's is the connection's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_user_ip: Option<String>,
    /// auth/sign: where the BankID app sends the person back to when an order started on their device ends
    /// (BANKID.md §7: in v6 the order's `returnUrl`, which wins over the launch URL's `redirect`). iOS Safari
    /// needs it, as the app cannot know which browser to return to. From a page, only an address on that
    /// page's own site ([`return_url_allowed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

/// Whether `url` may be the `returnUrl` of an order a page at `origin` (its `Origin` header) starts: the app
/// sends the person back to the site that started the order, never elsewhere, so no page can use the edge
/// to send people to another site. Without an `Origin` nothing says which site that is, so nowhere: only a
/// server with the tenant's API key names its user's page freely, and the edge does not ask this for it.
pub fn return_url_allowed(url: &str, origin: Option<&str>) -> bool {
    origin.is_some_and(|origin| {
        url.strip_prefix(origin)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
    })
}

/// Answer to `POST /api/v1/orders` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartOrderResponse {
    /// The edge's own id: 32 lowercase hex digits (128 random bits), not BankID's orderRef.
    pub order_id: String,
    /// auth/sign only: lets the widget open the app on the same device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_start_token: Option<String>,
    /// Follows and cancels this order: `?token=` on the events stream, `Authorization: Bearer` on cancel.
    /// Whoever holds it sees the result, so it stays in the page that started the order.
    pub order_token: String,
}

/// Every error answer of the edge: `{"error": {"code", "message", "rfa"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable snake_case; the widget maps it to its own words.
    pub code: String,
    /// An English sentence for developers and as a fallback for users.
    pub message: String,
    /// The BankID message to show, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfa: Option<Rfa>,
    /// For a refused request body: the field the message is about, so the widget shows it there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A finer stable code under `code` (e.g. `too_short` under `invalid_phone_number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>, rfa: Option<Rfa>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                rfa,
                field: None,
                detail: None,
            },
        }
    }

    /// The same error, about `field` of the request, with a finer `detail` code when there is one.
    pub fn about(mut self, field: Option<&str>, detail: Option<&str>) -> Self {
        self.error.field = field.map(str::to_owned);
        self.error.detail = detail.map(str::to_owned);
        self
    }
}

/// The person who completed an order, as far as the tenant's disclosure policy
/// ([`crate::tenant::Disclosure`]) lets them out: a field the policy withholds is absent, and
/// `personalNumber` may be masked (`YYMMDD-XXXX`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
}

/// One state of an order, as pushed to every viewer (`event: state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEvent {
    pub order_id: String,
    pub kind: OrderKind,
    pub status: OrderStatus,
    /// BankID's hint code verbatim, unknown ones too, so the widget can refine the message itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_code: Option<String>,
    /// The message to show; absent on `complete` (the widget shows its own success view).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfa: Option<Rfa>,
    /// Why the edge ended the order itself ([`FailReason::code`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Only on `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<EventUser>,
    /// How many collects the edge made for this order so far.
    pub collects: u32,
    /// Only on `complete`, when the edge has a signing key: the signed result (`crate::token`), a JWT the
    /// integrator's backend verifies against `/.well-known/jwks.json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_token: Option<String>,
}

/// `event: qr`: the animated QR content for the current second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrFrame {
    pub qr: String,
}

/// Why the edge, not BankID's collect answer, ended an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailReason {
    /// The viewer (or the RP) cancelled.
    Cancelled,
    /// BankID kept failing transiently (network, maintenance, rate limit), or answered `internalError` or
    /// `requestTimeout`, which are not retried automatically (BANKID.md §3).
    BankIdUnavailable,
    /// BankID refused our request: an RP-side bug, not the user's fault.
    BankIdRejected,
    /// BankID answered something the API does not define (unknown status, complete without data).
    UnexpectedAnswer,
    /// The order was completed by someone other than the person asked for.
    IdentityMismatch,
    /// The verification link it ran for was withdrawn by whoever sent it: an RP cancel, which the person on
    /// the link's page must not read as their link being used up.
    LinkWithdrawn,
}

impl FailReason {
    pub const ALL: [FailReason; 6] = [
        FailReason::Cancelled,
        FailReason::BankIdUnavailable,
        FailReason::BankIdRejected,
        FailReason::UnexpectedAnswer,
        FailReason::IdentityMismatch,
        FailReason::LinkWithdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FailReason::Cancelled => "cancelled",
            FailReason::BankIdUnavailable => "bankid_unavailable",
            FailReason::BankIdRejected => "bankid_rejected",
            FailReason::UnexpectedAnswer => "unexpected_answer",
            FailReason::IdentityMismatch => "identity_mismatch",
            FailReason::LinkWithdrawn => "link_withdrawn",
        }
    }

    /// BANKID.md §8.1: RFA3 for our own cancel, RFA5 where trying again can help, RFA22 otherwise.
    pub fn rfa(self) -> Rfa {
        match self {
            FailReason::Cancelled | FailReason::LinkWithdrawn => rfa::CANCELLED_BY_US,
            FailReason::BankIdUnavailable => Rfa::Rfa5,
            FailReason::BankIdRejected
            | FailReason::UnexpectedAnswer
            | FailReason::IdentityMismatch => Rfa::Rfa22,
        }
    }
}

impl OrderEvent {
    /// The state right after BankID accepted the order: every new order starts as
    /// `pending / outstandingTransaction` (BANKID.md §4).
    pub fn started(order_id: &str, kind: OrderKind) -> OrderEvent {
        let hint = bankid::HintCode::OutstandingTransaction;
        OrderEvent {
            order_id: order_id.to_owned(),
            kind,
            status: OrderStatus::Pending,
            rfa: rfa::for_collect(kind.flow(), "pending", Some(hint.as_str())),
            hint_code: Some(hint.as_str().to_owned()),
            error_code: None,
            user: None,
            collects: 0,
            result_token: None,
        }
    }

    /// The event for a collect answer.
    ///
    /// `asked_for` is the personal number the order was started for, if any: a completion by anyone else
    /// fails with `identity_mismatch` and discloses nothing about who it was.
    pub fn from_collect(
        order_id: &str,
        kind: OrderKind,
        asked_for: Option<&str>,
        answer: &CollectResponse,
        collects: u32,
    ) -> OrderEvent {
        let hint = answer.hint_code.as_ref().map(|h| h.as_str().to_owned());
        let status = match &answer.status {
            Status::Pending => OrderStatus::Pending,
            Status::Failed => OrderStatus::Failed,
            Status::Complete => OrderStatus::Complete,
            Status::Unknown(_) => {
                return OrderEvent::failed(order_id, kind, FailReason::UnexpectedAnswer, collects);
            }
        };
        if status == OrderStatus::Complete {
            let Some(data) = &answer.completion_data else {
                return OrderEvent::failed(order_id, kind, FailReason::UnexpectedAnswer, collects);
            };
            if asked_for.is_some_and(|asked| asked != data.user.personal_number) {
                return OrderEvent::failed(order_id, kind, FailReason::IdentityMismatch, collects);
            }
            let u = &data.user;
            return OrderEvent {
                order_id: order_id.to_owned(),
                kind,
                status,
                hint_code: None,
                rfa: None,
                error_code: None,
                user: Some(EventUser {
                    personal_number: Some(u.personal_number.clone()),
                    name: Some(u.name.clone()),
                    given_name: Some(u.given_name.clone()),
                    surname: Some(u.surname.clone()),
                }),
                collects,
                result_token: None,
            };
        }
        OrderEvent {
            order_id: order_id.to_owned(),
            kind,
            status,
            rfa: rfa::for_collect(kind.flow(), answer.status.as_str(), hint.as_deref()),
            hint_code: hint,
            error_code: None,
            user: None,
            collects,
            result_token: None,
        }
    }

    /// The edge ends the order itself.
    pub fn failed(
        order_id: &str,
        kind: OrderKind,
        reason: FailReason,
        collects: u32,
    ) -> OrderEvent {
        OrderEvent {
            order_id: order_id.to_owned(),
            kind,
            status: OrderStatus::Failed,
            // Mirrors what BankID's collect says after an RP cancel, so the widget needs one rule for both.
            hint_code: matches!(reason, FailReason::Cancelled | FailReason::LinkWithdrawn)
                .then(|| bankid::HintCode::Cancelled.as_str().to_owned()),
            rfa: Some(reason.rfa()),
            error_code: Some(reason.code().to_owned()),
            user: None,
            collects,
            result_token: None,
        }
    }

    pub fn is_final(&self) -> bool {
        self.status != OrderStatus::Pending
    }

    /// Whether viewers would see a difference; the collect counter alone is not news worth a push.
    pub fn same_state(&self, other: &OrderEvent) -> bool {
        OrderEvent {
            collects: other.collects,
            ..self.clone()
        } == *other
    }

    /// Whether the order is waiting for a QR scan, so the edge sends a QR frame each second: no app has
    /// picked it up yet, `outstandingTransaction` or `noClient` (BANKID.md §4, §6).
    pub fn shows_qr(&self) -> bool {
        !self.kind.is_phone()
            && self.status == OrderStatus::Pending
            && self.hint_code.as_deref().is_some_and(bankid::waits_for_app)
    }
}

/// Why a start request was refused before anything was sent to BankID (400).
///
/// `Display` is the user-facing sentence; [`StartError::code`] is the stable key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("The request body must be a JSON object: {0}")]
    InvalidBody(String),
    #[error("\"kind\" must be one of auth, sign, phoneAuth, phoneSign.")]
    InvalidKind,
    #[error("\"callInitiator\" must be \"user\" (the customer called) or \"RP\" (we called).")]
    InvalidCallInitiator,
    #[error("Say whether the customer called us or we called the customer.")]
    MissingCallInitiator,
    #[error("Enter the personal identity number of the person on the phone.")]
    MissingPersonalNumber,
    #[error("{0}")]
    InvalidPersonalNumber(PersonalNumberError),
    #[error("Enter the text the person is asked to sign.")]
    MissingUserVisibleData,
    #[error("{0}")]
    InvalidRequest(InvalidParameters),
    #[error(
        "\"endUserIp\" must be the end user's IPv4 or IPv6 address, and is for auth and sign only."
    )]
    InvalidEndUserIp,
    #[error(
        "\"returnUrl\" must be an http(s) address of at most 2048 characters on the site that starts the \
         order, and is for auth and sign only."
    )]
    InvalidReturnUrl,
}

impl StartError {
    pub fn code(&self) -> &'static str {
        match self {
            StartError::InvalidBody(_) => "invalid_body",
            StartError::InvalidKind => "invalid_kind",
            StartError::InvalidCallInitiator => "invalid_call_initiator",
            StartError::MissingCallInitiator => "missing_call_initiator",
            StartError::MissingPersonalNumber => "missing_personal_number",
            StartError::InvalidPersonalNumber(_) => "invalid_personal_number",
            StartError::MissingUserVisibleData => "missing_user_visible_data",
            StartError::InvalidRequest(_) => "invalid_request",
            StartError::InvalidEndUserIp => "invalid_end_user_ip",
            StartError::InvalidReturnUrl => "invalid_return_url",
        }
    }
}

/// The largest start request the edge reads. `userVisibleData` for signing may be 40 000 base64 characters
/// (BANKID.md §2.1), about 30 000 bytes of text; with JSON escaping, 64 KiB leaves room and no more.
pub const MAX_START_BODY: usize = 64 * 1024;

/// Whether a `Content-Type` names JSON (parameters such as `charset` allowed). The edge takes nothing else:
/// a browser needs a CORS preflight to send JSON across origins, which a plain HTML form cannot do.
pub fn is_json_media_type(content_type: &str) -> bool {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("application/json")
}

/// Reads the body of `POST /api/v1/orders`.
///
/// `kind` and `callInitiator` are checked before serde sees the body, so that a wrong value gets its own
/// code rather than a generic parse error.
pub fn parse_start_request(body: &[u8]) -> Result<StartOrderRequest, StartError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| StartError::InvalidBody(e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| StartError::InvalidBody("not an object".into()))?;
    let kind = match obj
        .get("kind")
        .and_then(|k| k.as_str())
        .and_then(OrderKind::parse)
    {
        Some(kind) => kind,
        None => return Err(StartError::InvalidKind),
    };
    match obj.get("endUserIp") {
        None | Some(serde_json::Value::Null) => {}
        // BankID's phone endpoints take no address: the person is on the phone, not on a page.
        Some(serde_json::Value::String(ip))
            if !kind.is_phone() && ip.parse::<std::net::IpAddr>().is_ok() => {}
        Some(_) => return Err(StartError::InvalidEndUserIp),
    }
    match obj.get("callInitiator") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(s)) if s == "user" || s == "RP" => {}
        Some(_) => return Err(StartError::InvalidCallInitiator),
    }
    // Phone orders have no return: the person opens the app themselves.
    if kind.is_phone() && obj.get("returnUrl").is_some_and(|u| !u.is_null()) {
        return Err(StartError::InvalidReturnUrl);
    }
    read_return_url(obj)?;
    serde_json::from_value(value).map_err(|e| StartError::InvalidBody(e.to_string()))
}

/// Reads the body of `POST /v/{token}/start`: empty, `{}`, or `{"returnUrl": "…"}` (the link's page on iOS
/// Safari, [`StartOrderRequest::return_url`]).
pub fn parse_link_start(body: &[u8]) -> Result<Option<String>, StartError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| StartError::InvalidBody(e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| StartError::InvalidBody("not an object".into()))?;
    read_return_url(obj)
}

/// `returnUrl` as BankID takes it (`validate_order`): absolute http(s), at most 2048 characters, no spaces.
fn read_return_url(
    obj: &serde_json::Map<String, serde_json::Value>,
) -> Result<Option<String>, StartError> {
    match obj.get("returnUrl") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(url))
            if (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() <= bankid::limits::RETURN_URL
                && !url.chars().any(char::is_whitespace) =>
        {
            Ok(Some(url.clone()))
        }
        Some(_) => Err(StartError::InvalidReturnUrl),
    }
}

/// The body of the BankID start call; serialises as the body itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StartBody {
    Order(Box<OrderRequest>),
    Phone(PhoneOrderRequest),
}

/// A start request checked and translated into BankID's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedStart {
    pub endpoint: Endpoint,
    pub body: StartBody,
    /// The person the order is for, if the caller named one: the completion must match it.
    pub personal_number: Option<PersonalNumber>,
}

impl StartOrderRequest {
    /// The personal number the order is for, if any: a blank one (an empty form field) names nobody.
    pub fn named_person(&self) -> Option<&str> {
        self.personal_number
            .as_deref()
            .filter(|p| !p.trim().is_empty())
    }

    /// Checks the request with the same rules BankID applies (`validate_order`, `validate_phone_order`), so
    /// nothing BankID would refuse is sent.
    ///
    /// `today` is Sweden's date (for 10-digit personal numbers); `end_user_ip` the caller's address, used
    /// by auth/sign only. A personal number on auth/sign binds the order to that person
    /// (`requirement.personalNumber`).
    pub fn prepare(&self, today: Date, end_user_ip: &str) -> Result<PreparedStart, StartError> {
        let personal_number = match self.named_person() {
            Some(p) => {
                Some(PersonalNumber::parse(p, today).map_err(StartError::InvalidPersonalNumber)?)
            }
            None => None,
        };
        let visible = match self.user_visible_data.as_deref() {
            Some(text) if !text.is_empty() => Some(bankid::encode_base64(text.as_bytes())),
            _ if self.kind.is_sign() => return Err(StartError::MissingUserVisibleData),
            _ => None,
        };
        let sign = self.kind.is_sign();
        let body = if self.kind.is_phone() {
            let pnr = personal_number
                .as_ref()
                .ok_or(StartError::MissingPersonalNumber)?;
            let call_initiator = self
                .call_initiator
                .ok_or(StartError::MissingCallInitiator)?;
            let req = PhoneOrderRequest {
                personal_number: pnr.as_str().to_owned(),
                call_initiator,
                requirement: None,
                user_visible_data: visible,
                user_non_visible_data: None,
                user_visible_data_format: None,
            };
            bankid::validate_phone_order(&req, sign).map_err(StartError::InvalidRequest)?;
            StartBody::Phone(req)
        } else {
            let req = OrderRequest {
                end_user_ip: end_user_ip.to_owned(),
                requirement: personal_number.as_ref().map(|p| Requirement {
                    personal_number: Some(p.as_str().to_owned()),
                    ..Requirement::default()
                }),
                user_visible_data: visible,
                return_url: self.return_url.clone(),
                ..OrderRequest::default()
            };
            bankid::validate_order(&req, sign).map_err(StartError::InvalidRequest)?;
            StartBody::Order(Box::new(req))
        };
        Ok(PreparedStart {
            endpoint: self.kind.endpoint(),
            body,
            personal_number,
        })
    }
}

/// Whether `s` has the shape of an edge order id (32 lowercase hex digits); anything else is unknown
/// without asking storage.
pub fn is_order_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Formats 16 random bytes as an order id.
pub fn order_id_from_bytes(bytes: [u8; 16]) -> String {
    hex::encode(bytes)
}

const MS_PER_DAY: i64 = 86_400_000;
const MS_PER_HOUR: i64 = 3_600_000;

/// Sweden's calendar date at a unix time in milliseconds: CET (UTC+1), CEST (UTC+2) from 01:00 UTC on the
/// last Sunday of March to 01:00 UTC on the last Sunday of October (EU rule). Personal numbers are Swedish,
/// so "born in the future" is judged by the Swedish date.
pub fn swedish_date(unix_ms: i64) -> Date {
    let utc_day = unix_ms.div_euclid(MS_PER_DAY);
    let year = Date::from_unix_days(utc_day).year;
    let last_sunday = |month: u8| {
        let d31 = Date {
            year,
            month,
            day: 31,
        }
        .to_unix_days();
        // 1970-01-01 was a Thursday: +4 makes Sunday 0.
        d31 - (d31 + 4).rem_euclid(7)
    };
    let summer_start = last_sunday(3) * MS_PER_DAY + MS_PER_HOUR;
    let summer_end = last_sunday(10) * MS_PER_DAY + MS_PER_HOUR;
    let offset = if (summer_start..summer_end).contains(&unix_ms) {
        2 * MS_PER_HOUR
    } else {
        MS_PER_HOUR
    };
    Date::from_unix_days((unix_ms + offset).div_euclid(MS_PER_DAY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bankid::{CompletionData, DeviceInfo, HintCode, User};
    use serde_json::json;

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 23,
    };
    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn collect(status: Status, hint: Option<&str>) -> CollectResponse {
        CollectResponse {
            order_ref: "ref".into(),
            status,
            hint_code: hint.map(HintCode::parse),
            completion_data: None,
        }
    }

    fn complete(pnr: &str) -> CollectResponse {
        CollectResponse {
            completion_data: Some(CompletionData {
                user: User {
                    personal_number: pnr.into(),
                    name: "Åsa Ørnulf Ämström-Lindé".into(),
                    given_name: "Åsa Ørnulf".into(),
                    surname: "Ämström-Lindé".into(),
                },
                device: DeviceInfo {
                    ip_address: "192.0.2.1".into(),
                    uhi: "u".into(),
                },
                bank_id_issue_date: "2020-01-01".into(),
                step_up: None,
                signature: "PD94".into(),
                ocsp_response: "MII=".into(),
                risk: None,
            }),
            ..collect(Status::Complete, None)
        }
    }

    #[test]
    fn a_blank_personal_number_names_nobody() {
        let asking = |pnr: Option<&str>| StartOrderRequest {
            kind: OrderKind::Auth,
            personal_number: pnr.map(str::to_owned),
            call_initiator: None,
            user_visible_data: None,
            end_user_ip: None,
            return_url: None,
        };
        assert_eq!(asking(None).named_person(), None);
        assert_eq!(asking(Some("")).named_person(), None);
        assert_eq!(asking(Some(" \t")).named_person(), None);
        assert_eq!(
            asking(Some("19811228-9874")).named_person(),
            Some("19811228-9874")
        );
    }

    #[test]
    fn order_event_serialises_in_camel_case_without_empty_fields() {
        let e = OrderEvent::started(ID, OrderKind::PhoneAuth);
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"orderId": ID, "kind": "phoneAuth", "status": "pending",
                   "hintCode": "outstandingTransaction", "rfa": "RFA1", "collects": 0})
        );
        let back: OrderEvent = serde_json::from_value(serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn pending_collects_map_to_messages_for_the_orders_flow() {
        let qr = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Pending, Some("started")),
            3,
        );
        assert_eq!(qr.rfa, Some(Rfa::Rfa15B));
        assert_eq!(qr.collects, 3);
        let phone = OrderEvent::from_collect(
            ID,
            OrderKind::PhoneSign,
            None,
            &collect(Status::Pending, Some("userCallConfirm")),
            1,
        );
        assert_eq!(phone.rfa, Some(Rfa::Rfa21));
        assert_eq!(phone.hint_code.as_deref(), Some("userCallConfirm"));
        let sign = OrderEvent::from_collect(
            ID,
            OrderKind::Sign,
            None,
            &collect(Status::Pending, Some("userSign")),
            1,
        );
        assert_eq!(
            (sign.status, sign.rfa),
            (OrderStatus::Pending, Some(Rfa::Rfa9))
        );
    }

    #[test]
    fn unknown_hint_codes_are_passed_on_verbatim_with_the_generic_message() {
        let pending = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Pending, Some("faceRecognition")),
            1,
        );
        assert_eq!(pending.hint_code.as_deref(), Some("faceRecognition"));
        assert_eq!(pending.rfa, Some(Rfa::Rfa21));
        let failed = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Failed, Some("mrtdVerificationFailed")),
            1,
        );
        assert_eq!(failed.status, OrderStatus::Failed);
        assert_eq!(failed.rfa, Some(Rfa::Rfa22));
        assert!(failed.is_final());
    }

    #[test]
    fn failed_collects_map_per_bankid_table() {
        let cases = [
            ("userCancel", Rfa::Rfa6),
            ("cancelled", Rfa::Rfa3),
            ("expiredTransaction", Rfa::Rfa8),
            ("certificateErr", Rfa::Rfa16),
            ("startFailed", Rfa::Rfa17B),
        ];
        for (hint, want) in cases {
            let e = OrderEvent::from_collect(
                ID,
                OrderKind::Auth,
                None,
                &collect(Status::Failed, Some(hint)),
                1,
            );
            assert_eq!(e.rfa, Some(want), "{hint}");
            assert_eq!(e.error_code, None, "BankID ended it, not us");
        }
    }

    #[test]
    fn complete_carries_the_user_and_no_message() {
        let e = OrderEvent::from_collect(ID, OrderKind::Auth, None, &complete("198112289874"), 4);
        assert_eq!(e.status, OrderStatus::Complete);
        assert_eq!(e.rfa, None);
        let user = e.user.unwrap();
        assert_eq!(user.name.as_deref(), Some("Åsa Ørnulf Ämström-Lindé"));
        assert_eq!(user.personal_number.as_deref(), Some("198112289874"));
    }

    #[test]
    fn completion_by_another_person_fails_without_disclosing_them() {
        let ok = OrderEvent::from_collect(
            ID,
            OrderKind::PhoneAuth,
            Some("198112289874"),
            &complete("198112289874"),
            2,
        );
        assert_eq!(ok.status, OrderStatus::Complete);
        let bad = OrderEvent::from_collect(
            ID,
            OrderKind::PhoneAuth,
            Some("199001010025"),
            &complete("198112289874"),
            2,
        );
        assert_eq!(bad.status, OrderStatus::Failed);
        assert_eq!(bad.error_code.as_deref(), Some("identity_mismatch"));
        assert_eq!(bad.rfa, Some(Rfa::Rfa22));
        assert_eq!(bad.user, None);
        assert!(!serde_json::to_string(&bad).unwrap().contains("1981"));
    }

    #[test]
    fn malformed_answers_end_the_order() {
        let no_data = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Complete, None),
            1,
        );
        assert_eq!(no_data.error_code.as_deref(), Some("unexpected_answer"));
        let odd = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Unknown("paused".into()), None),
            1,
        );
        assert_eq!(odd.status, OrderStatus::Failed);
    }

    #[test]
    fn failures_by_the_edge_carry_a_code_and_message() {
        let cancelled = OrderEvent::failed(ID, OrderKind::Auth, FailReason::Cancelled, 2);
        assert_eq!(cancelled.hint_code.as_deref(), Some("cancelled"));
        assert_eq!(cancelled.rfa, Some(Rfa::Rfa3));
        let down = OrderEvent::failed(ID, OrderKind::Auth, FailReason::BankIdUnavailable, 7);
        assert_eq!(
            serde_json::to_value(&down).unwrap(),
            json!({"orderId": ID, "kind": "auth", "status": "failed", "rfa": "RFA5",
                   "errorCode": "bankid_unavailable", "collects": 7})
        );
        assert_eq!(FailReason::BankIdRejected.rfa(), Rfa::Rfa22);
    }

    #[test]
    fn same_state_ignores_the_collect_counter_only() {
        let a = OrderEvent::started(ID, OrderKind::Auth);
        let b = OrderEvent {
            collects: 5,
            ..a.clone()
        };
        assert!(a.same_state(&b));
        let c = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Pending, Some("started")),
            5,
        );
        assert!(!a.same_state(&c));
    }

    #[test]
    fn only_unscanned_auth_and_sign_orders_show_a_qr() {
        assert!(OrderEvent::started(ID, OrderKind::Auth).shows_qr());
        assert!(OrderEvent::started(ID, OrderKind::Sign).shows_qr());
        assert!(!OrderEvent::started(ID, OrderKind::PhoneAuth).shows_qr());
        let scanned = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Pending, Some("userSign")),
            1,
        );
        assert!(!scanned.shows_qr());
        // noClient: the app has not received the order either (BANKID.md §4), so it is still to be scanned.
        let not_received = OrderEvent::from_collect(
            ID,
            OrderKind::Auth,
            None,
            &collect(Status::Pending, Some("noClient")),
            1,
        );
        assert!(not_received.shows_qr());
    }

    #[test]
    fn start_request_errors_have_their_own_codes() {
        let code = |body: &str| parse_start_request(body.as_bytes()).unwrap_err().code();
        assert_eq!(code("[]"), "invalid_body");
        assert_eq!(code("{"), "invalid_body");
        assert_eq!(code(r#"{"kind":"payment"}"#), "invalid_kind");
        assert_eq!(code(r#"{}"#), "invalid_kind");
        assert_eq!(
            code(r#"{"kind":"phoneAuth","callInitiator":"rp"}"#),
            "invalid_call_initiator"
        );
        assert_eq!(
            code(r#"{"kind":"auth","personalNumber":1981}"#),
            "invalid_body"
        );
        let ok = parse_start_request(
            br#"{"kind":"phoneAuth","personalNumber":"811228-9874","callInitiator":"RP","x":1}"#,
        )
        .unwrap();
        assert_eq!(ok.call_initiator, Some(CallInitiator::Rp));
    }

    fn req(kind: OrderKind) -> StartOrderRequest {
        StartOrderRequest {
            kind,
            personal_number: None,
            call_initiator: None,
            user_visible_data: None,
            end_user_ip: None,
            return_url: None,
        }
    }

    #[test]
    fn a_return_url_is_an_http_address_for_auth_and_sign_and_reaches_bankid() {
        let parsed = parse_start_request(
            br#"{"kind":"auth","returnUrl":"https://bank.example/login?step=2#bankid"}"#,
        )
        .unwrap();
        let prepared = parsed
            .prepare(Date::new(2026, 12, 7).unwrap(), "203.0.113.7")
            .unwrap();
        let StartBody::Order(order) = prepared.body else {
            panic!("auth is an order request");
        };
        assert_eq!(
            order.return_url.as_deref(),
            Some("https://bank.example/login?step=2#bankid")
        );
        let long = format!(
            r#"{{"kind":"auth","returnUrl":"https://x.example/{}"}}"#,
            "a".repeat(2_048)
        );
        for body in [
            r#"{"kind":"auth","returnUrl":"javascript:alert(1)"}"#,
            r#"{"kind":"auth","returnUrl":"googlechrome://"}"#,
            r#"{"kind":"auth","returnUrl":"https://x.example/a b"}"#,
            r#"{"kind":"auth","returnUrl":7}"#,
            r#"{"kind":"phoneAuth","personalNumber":"198112289874","callInitiator":"user","returnUrl":"https://x.example/"}"#,
            long.as_str(),
        ] {
            assert_eq!(
                parse_start_request(body.as_bytes()),
                Err(StartError::InvalidReturnUrl),
                "{body}"
            );
        }
        assert_eq!(StartError::InvalidReturnUrl.code(), "invalid_return_url");
    }

    #[test]
    fn a_page_may_only_be_sent_back_to_its_own_site() {
        let page = Some("https://bank.example");
        assert!(return_url_allowed("https://bank.example/login", page));
        assert!(return_url_allowed("https://bank.example", page));
        assert!(return_url_allowed("https://bank.example?x=1", page));
        assert!(!return_url_allowed("https://bank.example.evil.test/", page));
        assert!(!return_url_allowed("https://bank.example:8443/", page));
        assert!(!return_url_allowed("http://bank.example/", page));
        assert!(!return_url_allowed(
            "https://evil.test/?https://bank.example",
            page
        ));
        // No `Origin` and no API key (curl, say): a request that could name anywhere names nowhere.
        assert!(!return_url_allowed("https://bank.example/", None));
    }

    #[test]
    fn a_link_start_takes_nothing_or_a_return_url() {
        assert_eq!(parse_link_start(b""), Ok(None));
        assert_eq!(parse_link_start(b"{}"), Ok(None));
        assert_eq!(
            parse_link_start(br#"{"returnUrl":"https://edge.example/v/abc"}"#),
            Ok(Some("https://edge.example/v/abc".to_owned()))
        );
        assert_eq!(
            parse_link_start(br#"{"returnUrl":"ftp://x"}"#),
            Err(StartError::InvalidReturnUrl)
        );
        assert!(matches!(
            parse_link_start(b"[]"),
            Err(StartError::InvalidBody(_))
        ));
    }

    #[test]
    fn only_an_ip_address_is_taken_as_the_end_users_and_only_for_auth_and_sign() {
        for (body, ip) in [
            (
                r#"{"kind":"auth","endUserIp":"203.0.113.7"}"#,
                Some("203.0.113.7"),
            ),
            (
                r#"{"kind":"sign","endUserIp":"2001:db8::7","userVisibleData":"x"}"#,
                Some("2001:db8::7"),
            ),
            (r#"{"kind":"auth","endUserIp":null}"#, None),
            (r#"{"kind":"auth"}"#, None),
        ] {
            let asked = parse_start_request(body.as_bytes()).unwrap();
            assert_eq!(asked.end_user_ip.as_deref(), ip, "{body}");
        }
        for body in [
            r#"{"kind":"auth","endUserIp":""}"#,
            r#"{"kind":"auth","endUserIp":"203.0.113.7:443"}"#,
            r#"{"kind":"auth","endUserIp":"999.0.113.7"}"#,
            r#"{"kind":"auth","endUserIp":"localhost"}"#,
            r#"{"kind":"auth","endUserIp":2130706433}"#,
            r#"{"kind":"phoneAuth","personalNumber":"811228-9874","callInitiator":"RP","endUserIp":"203.0.113.7"}"#,
        ] {
            let err = parse_start_request(body.as_bytes()).unwrap_err();
            assert_eq!(err, StartError::InvalidEndUserIp, "{body}");
            assert_eq!(err.code(), "invalid_end_user_ip");
        }
    }

    #[test]
    fn phone_orders_need_a_valid_person_and_who_called() {
        let mut r = req(OrderKind::PhoneAuth);
        let err = |r: &StartOrderRequest| r.prepare(TODAY, "192.0.2.1").unwrap_err();
        assert_eq!(err(&r), StartError::MissingPersonalNumber);
        r.personal_number = Some("811228-9875".into());
        let bad = err(&r);
        assert_eq!(bad.code(), "invalid_personal_number");
        assert_eq!(
            bad.to_string(),
            PersonalNumberError::WrongCheckDigit.to_string()
        );
        r.personal_number = Some("811228-9874".into());
        assert_eq!(err(&r), StartError::MissingCallInitiator);
        r.call_initiator = Some(CallInitiator::User);
        let ok = r.prepare(TODAY, "192.0.2.1").unwrap();
        assert_eq!(ok.endpoint, Endpoint::PhoneAuth);
        assert_eq!(
            serde_json::to_value(&ok.body).unwrap(),
            json!({"personalNumber": "198112289874", "callInitiator": "user"}),
            "sent to BankID as 12 digits"
        );
        assert_eq!(ok.personal_number.unwrap().as_str(), "198112289874");
    }

    #[test]
    fn sign_needs_text_which_is_sent_as_base64() {
        let mut r = req(OrderKind::Sign);
        assert_eq!(
            r.prepare(TODAY, "192.0.2.1").unwrap_err(),
            StartError::MissingUserVisibleData
        );
        r.user_visible_data = Some("Jag godkänner överföringen".into());
        let ok = r.prepare(TODAY, "192.0.2.1").unwrap();
        let body = serde_json::to_value(&ok.body).unwrap();
        assert_eq!(body["endUserIp"], "192.0.2.1");
        let decoded = bankid::decode_base64(body["userVisibleData"].as_str().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "Jag godkänner överföringen"
        );
        r.user_visible_data = Some("x".repeat(40_000));
        assert_eq!(
            r.prepare(TODAY, "192.0.2.1").unwrap_err().code(),
            "invalid_request"
        );
    }

    #[test]
    fn auth_with_a_personal_number_binds_the_order_to_that_person() {
        let mut r = req(OrderKind::Auth);
        let plain = r.prepare(TODAY, "2001:db8::1").unwrap();
        assert_eq!(
            serde_json::to_value(&plain.body).unwrap(),
            json!({"endUserIp": "2001:db8::1"})
        );
        r.personal_number = Some("19811228-9874".into());
        let bound = r.prepare(TODAY, "192.0.2.1").unwrap();
        assert_eq!(
            serde_json::to_value(&bound.body).unwrap()["requirement"]["personalNumber"],
            "198112289874"
        );
        assert_eq!(
            r.prepare(TODAY, "not-an-ip").unwrap_err().code(),
            "invalid_request"
        );
    }

    #[test]
    fn order_ids_are_32_lowercase_hex_digits() {
        assert!(is_order_id(ID));
        assert!(is_order_id(&order_id_from_bytes([0xab; 16])));
        assert!(!is_order_id(&ID.to_uppercase()));
        assert!(!is_order_id(&ID[1..]));
        assert!(!is_order_id("../../../../../../../../../etc/pa"));
    }

    #[test]
    fn swedish_date_follows_cet_and_cest() {
        let ms = |y, m, d, h: i64| {
            Date::new(y, m, d).unwrap().to_unix_days() * MS_PER_DAY + h * MS_PER_HOUR
        };
        // Winter: 23:30 UTC is already tomorrow in Stockholm (UTC+1).
        assert_eq!(
            swedish_date(ms(2026, 1, 10, 23) + 1_800_000),
            Date::new(2026, 1, 11).unwrap()
        );
        assert_eq!(
            swedish_date(ms(2026, 1, 10, 22)),
            Date::new(2026, 1, 10).unwrap()
        );
        // Summer: 22:30 UTC is tomorrow (UTC+2), 21:30 UTC is not.
        assert_eq!(
            swedish_date(ms(2026, 7, 1, 22) + 1_800_000),
            Date::new(2026, 7, 2).unwrap()
        );
        assert_eq!(
            swedish_date(ms(2026, 7, 1, 21) + 1_800_000),
            Date::new(2026, 7, 1).unwrap()
        );
        // 2026's switches: 29 March and 25 October, both at 01:00 UTC.
        assert_eq!(
            swedish_date(ms(2026, 3, 28, 22) + 1_800_000),
            Date::new(2026, 3, 28).unwrap()
        );
        assert_eq!(
            swedish_date(ms(2026, 3, 29, 22) + 1_800_000),
            Date::new(2026, 3, 30).unwrap()
        );
        assert_eq!(
            swedish_date(ms(2026, 10, 25, 22) + 1_800_000),
            Date::new(2026, 10, 25).unwrap()
        );
    }

    #[test]
    fn only_json_media_types_are_taken() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_media_type("application/x-www-form-urlencoded"));
        assert!(!is_json_media_type("text/plain;charset=UTF-8"));
        assert!(!is_json_media_type(""));
        assert!(!is_json_media_type("application/jsonp"));
    }

    proptest::proptest! {
        // ARCHITECTURE.md: no parser panics. Arbitrary bytes, then bodies that get past the JSON parser.
        #[test]
        fn parse_start_request_never_panics(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = parse_start_request(&body);
        }

        #[test]
        fn start_requests_never_panic_when_prepared(
            kind in "(auth|sign|phoneAuth|phoneSign|other)",
            personal_number in "[0-9+ -]{0,14}",
            initiator in "(user|RP|x)",
            text in proptest::prelude::any::<String>(),
        ) {
            let body = json!({
                "kind": kind,
                "personalNumber": personal_number,
                "callInitiator": initiator,
                "userVisibleData": text,
            })
            .to_string();
            if let Ok(asked) = parse_start_request(body.as_bytes()) {
                let _ = asked.prepare(TODAY, "192.0.2.1");
            }
        }
    }
}
