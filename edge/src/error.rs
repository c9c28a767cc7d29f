//! The edge's one error type, and the one place that maps an error to an HTTP status, a stable code, a
//! message and the BankID message (RFA) to show.

use legit_core::Rfa;
use legit_core::api::{ErrorBody, StartError};
use legit_core::audit::AuditQueryError;
use legit_core::bankid::ErrorCode;
use legit_core::ivr::IvrRequestError;
use legit_core::link::ReferenceError;
use legit_core::links_api::LinkRequestError;
use legit_core::provider::ProviderOutcome;
use legit_core::retry::{self, CollectFailure};
use worker::Response;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The start request was refused before anything was sent to BankID.
    #[error("invalid start request: {}", .0.code())]
    InvalidStart(#[from] StartError),
    /// Only JSON is taken: a browser must send a CORS preflight for it, so no plain HTML form on another
    /// site can start an order.
    #[error("request body is not application/json")]
    NotJson,
    #[error("request body larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("unknown order")]
    UnknownOrder,
    #[error("no such route")]
    NotFound,
    /// BankID answered with an error body (or at least an error status).
    #[error("BankID answered {status} {code}")]
    BankId { status: u16, code: ErrorCode },
    /// No answer from BankID at all: network, TLS, timeout.
    #[error("no answer from BankID: {0}")]
    BankIdUnreachable(String),
    /// An answer BankID's API does not define.
    #[error("unreadable answer from BankID ({status}): {reason}")]
    BankIdAnswer { status: u16, reason: String },
    /// The request came from a page whose origin no tenant allows.
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// A browser request from the edge's own pages (or without an origin) must say which tenant it is for.
    #[error("no tenant named")]
    TenantRequired,
    #[error("unknown tenant")]
    UnknownTenant,
    /// No usable credential: an API key, an agent session or the order's token.
    #[error("unauthenticated: {0}")]
    Unauthenticated(Credential),
    /// Authenticated, but this is for agents (or the tenant's backend) only.
    #[error("agents only")]
    AgentOnly,
    #[error("configuration: {0}")]
    Config(String),
    /// Anything the runtime refused (storage, bindings, streams).
    #[error("runtime: {0}")]
    Runtime(String),
    /// A create-link request refused before anything was sent.
    #[error("invalid link request: {}", .0.code())]
    InvalidLink(#[from] LinkRequestError),
    /// A reference number that cannot be one (typo); `Display` of the inner error is for the agent.
    #[error("invalid reference: {}", .0.code())]
    InvalidReference(#[from] ReferenceError),
    /// No link of the caller's tenant has this reference (or its result is no longer kept). Not
    /// `not_found`: the widget reads that as "this edge has no links API".
    #[error("unknown reference")]
    UnknownReference,
    /// The token of `POST /v/{token}/start` opens no usable link.
    #[error("link refused: {}", .0.code())]
    LinkRefused(legit_core::link::LinkRefusal),
    /// No (working) SMS or e-mail provider for the channel asked; the reason is for the logs.
    #[error("links not configured: {0}")]
    LinksNotConfigured(String),
    /// The provider did not take the message; the link was erased.
    #[error("provider: {} ({})", .0.code(), .1)]
    Provider(ProviderOutcome, String),
    /// An IVR request refused before anything was sent.
    #[error("invalid IVR request: {}", .0.code())]
    InvalidIvr(#[from] IvrRequestError),
    /// The IVR API, and naming the end user's address on a start, take the tenant's API key from a server:
    /// not an agent session, not a browser.
    #[error("API key required")]
    ApiKeyOnly,
    /// An API key in a URL (`?token=`): URLs end up in logs and browser histories. Refused, so an
    /// integration that does it fails on its first try rather than leaking the key for months.
    #[error("API key in a URL")]
    ApiKeyInUrl,
    /// An agent session in a URL (`?token=`): it lives 8 hours, and a URL ends up in logs. A stream takes
    /// its own token (the order's `orderToken`, the link's `streamToken`).
    #[error("agent session in a URL")]
    SessionInUrl,
    /// An API key sent by a browser (the request carries `Origin`): a page that holds it gives it to every
    /// visitor. Refused, so the mistake shows on the first try.
    #[error("API key from a browser")]
    ApiKeyFromBrowser,
    /// No order of the caller's tenant was started for this call id (or it is no longer kept).
    #[error("unknown call")]
    UnknownCall,
    /// An IVR start for a call id whose order is for another person.
    #[error("call id reused for another person")]
    CallIdReused,
    /// An audit-log query refused before the database was asked.
    #[error("invalid audit query: {}", .0.code())]
    InvalidAudit(#[from] AuditQueryError),
    /// Too many requests for one of the limits (tenant, destination, address).
    #[error("rate limited ({scope})")]
    RateLimited {
        scope: &'static str,
        retry_after_secs: u32,
    },
}

/// Why a credential was refused; each has its own stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Missing,
    InvalidApiKey,
    InvalidSession,
    SessionExpired,
    InvalidOrderToken,
    InvalidStreamToken,
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Credential {
    pub fn code(self) -> &'static str {
        match self {
            Credential::Missing => "missing_credentials",
            Credential::InvalidApiKey => "invalid_api_key",
            Credential::InvalidSession => "invalid_session",
            Credential::SessionExpired => "session_expired",
            Credential::InvalidOrderToken => "invalid_order_token",
            Credential::InvalidStreamToken => "invalid_stream_token",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Credential::Missing => {
                "Send a credential: Authorization: Bearer <API key, agent session or order token>."
            }
            Credential::InvalidApiKey => "The API key is not valid.",
            Credential::InvalidSession => "The agent session is not valid.",
            Credential::SessionExpired => {
                "The agent session has expired; reload the page to get a new one."
            }
            Credential::InvalidOrderToken => "The order token does not belong to this order.",
            Credential::InvalidStreamToken => "The stream token does not belong to this link.",
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::Runtime(e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Runtime(e.to_string())
    }
}

/// How a failed BankID call looks to our callers (BANKID.md §3, §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BankIdOutcome {
    AlreadyInProgress,
    Unavailable,
    Rejected,
}

impl ApiError {
    fn bankid_outcome(&self) -> Option<BankIdOutcome> {
        Some(match self {
            ApiError::BankId {
                code: ErrorCode::AlreadyInProgress,
                ..
            } => BankIdOutcome::AlreadyInProgress,
            ApiError::BankId {
                code:
                    ErrorCode::Maintenance
                    | ErrorCode::InternalError
                    | ErrorCode::RequestTimeout
                    | ErrorCode::TooManyRequests,
                ..
            }
            | ApiError::BankIdUnreachable(_)
            // A gateway's page, not BankID's answer: the network's trouble, as with no answer at all; a 500 or
            // 408 with a body that is not BankID's, or a code this version does not know, is still
            // internalError or requestTimeout (BANKID.md §3: RFA5).
            | ApiError::BankId {
                status: 500 | 408 | 502..=504,
                code: ErrorCode::Unknown(_),
            } => BankIdOutcome::Unavailable,
            ApiError::BankId { .. } | ApiError::BankIdAnswer { .. } => BankIdOutcome::Rejected,
            _ => return None,
        })
    }

    /// Whether BankID answered with a refusal or could not be reached: a check was tried at BankID (for the
    /// audit log), as opposed to one refused here before it went out.
    pub fn is_from_bankid(&self) -> bool {
        self.bankid_outcome().is_some()
    }

    /// How a failed collect is handled: retried at the next slot, or the order ends (never used for starts).
    pub fn collect_failure(&self) -> CollectFailure {
        match self {
            ApiError::BankIdUnreachable(_) => retry::classify(None, None),
            ApiError::BankId { status, code } => retry::classify(Some(*status), Some(code)),
            ApiError::BankIdAnswer { status, .. } => retry::classify(Some(*status), None),
            _ => CollectFailure::Rejected,
        }
    }

    /// Whether BankID said the order no longer exists (or never did): `invalidParameters`.
    pub fn is_invalid_parameters(&self) -> bool {
        matches!(
            self,
            ApiError::BankId {
                code: ErrorCode::InvalidParameters,
                ..
            }
        )
    }

    pub fn status(&self) -> u16 {
        if let Some(outcome) = self.bankid_outcome() {
            return match outcome {
                BankIdOutcome::AlreadyInProgress => 409,
                BankIdOutcome::Unavailable => 503,
                BankIdOutcome::Rejected => 502,
            };
        }
        match self {
            ApiError::InvalidStart(_)
            | ApiError::TenantRequired
            | ApiError::InvalidLink(_)
            | ApiError::InvalidReference(_)
            | ApiError::InvalidIvr(_)
            | ApiError::InvalidAudit(_)
            | ApiError::ApiKeyInUrl
            | ApiError::SessionInUrl => 400,
            ApiError::ApiKeyOnly | ApiError::ApiKeyFromBrowser => 403,
            ApiError::UnknownCall => 404,
            ApiError::CallIdReused => 409,
            ApiError::UnknownReference => 404,
            ApiError::LinkRefused(r) => r.http_status(),
            ApiError::RateLimited { .. } => 429,
            ApiError::Provider(..) => 502,
            ApiError::LinksNotConfigured(_) => 503,
            ApiError::Unauthenticated(_) => 401,
            ApiError::OriginNotAllowed | ApiError::UnknownTenant | ApiError::AgentOnly => 403,
            ApiError::UnknownOrder | ApiError::NotFound => 404,
            ApiError::BodyTooLarge { .. } => 413,
            ApiError::NotJson => 415,
            _ => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        if let Some(outcome) = self.bankid_outcome() {
            return match outcome {
                BankIdOutcome::AlreadyInProgress => "already_in_progress",
                BankIdOutcome::Unavailable => "bankid_unavailable",
                BankIdOutcome::Rejected => "bankid_rejected",
            };
        }
        match self {
            ApiError::InvalidStart(e) => e.code(),
            ApiError::InvalidLink(e) => e.code(),
            ApiError::InvalidReference(_) => "invalid_reference",
            ApiError::InvalidIvr(e) => e.code(),
            ApiError::InvalidAudit(e) => e.code(),
            ApiError::ApiKeyOnly => "api_key_required",
            ApiError::ApiKeyInUrl => "api_key_in_url",
            ApiError::SessionInUrl => "session_in_url",
            ApiError::ApiKeyFromBrowser => "api_key_in_browser",
            ApiError::UnknownCall => "unknown_call",
            ApiError::CallIdReused => "call_id_reused",
            ApiError::UnknownReference => "unknown_reference",
            ApiError::LinkRefused(r) => r.code(),
            ApiError::LinksNotConfigured(_) => "links_not_configured",
            ApiError::Provider(outcome, _) => outcome.code(),
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NotJson => "unsupported_media_type",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::UnknownOrder => "unknown_order",
            ApiError::NotFound => "not_found",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::TenantRequired => "tenant_required",
            ApiError::UnknownTenant => "unknown_tenant",
            ApiError::Unauthenticated(c) => c.code(),
            ApiError::AgentOnly => "agents_only",
            ApiError::Config(_) => "misconfigured",
            _ => "internal_error",
        }
    }

    /// BankID's message for an `errorCode` (BANKID.md §3, §8.1): RFA4 for an order already in progress,
    /// RFA5 ("try again") only where trying again can help, RFA22 for our own mistakes. `methodNotAllowed`
    /// is one of those: ActiveLogin shows RFA5, but BANKID.md §3 says not to repeat the call.
    pub fn rfa(&self) -> Option<Rfa> {
        Some(match self.bankid_outcome()? {
            BankIdOutcome::AlreadyInProgress => Rfa::Rfa4,
            BankIdOutcome::Unavailable => Rfa::Rfa5,
            BankIdOutcome::Rejected => Rfa::Rfa22,
        })
    }

    /// What the caller reads. BankID's `details` and our internal reasons stay in the logs: they are for
    /// developers and may name fields of the request.
    pub fn message(&self) -> String {
        if let Some(rfa) = self.rfa() {
            return rfa.text(legit_core::Lang::En).to_owned();
        }
        match self {
            ApiError::InvalidStart(e) => e.to_string(),
            ApiError::InvalidLink(e) => e.to_string(),
            ApiError::InvalidReference(e) => e.to_string(),
            ApiError::InvalidIvr(e) => e.to_string(),
            ApiError::InvalidAudit(e) => e.to_string(),
            ApiError::ApiKeyOnly => {
                "This takes the tenant's API key (Authorization: Bearer), sent from a server: the IVR API, and a start that names the end user's address (endUserIp).".into()
            }
            ApiError::ApiKeyFromBrowser => {
                "The API key is your server's credential: send it from your server, never from a page (this \
                 request came from a browser). Replace this key if a page ever held it."
                    .into()
            }
            ApiError::SessionInUrl => {
                "Send the agent session in the Authorization header (Bearer), never in a URL: URLs are logged. \
                 A stream takes its own token: the order's orderToken, the link's streamToken."
                    .into()
            }
            ApiError::ApiKeyInUrl => {
                "Send the API key in the Authorization header (Bearer), never in a URL: URLs are logged. \
                 Replace this key, as it may already be in a log."
                    .into()
            }
            ApiError::UnknownCall => {
                "No identification was started for this call, or its result is no longer kept.".into()
            }
            ApiError::CallIdReused => {
                "This call id already has an identification for another personal number; send a new call id."
                    .into()
            }
            ApiError::UnknownReference => {
                "No link has this reference number, or its result is no longer kept.".into()
            }
            ApiError::LinkRefused(r) => r.advice(legit_core::Lang::En).into(),
            ApiError::LinksNotConfigured(_) => {
                "Sending links is not set up for this channel; ask your administrator.".into()
            }
            ApiError::Provider(ProviderOutcome::Rejected, _) => {
                "The message could not be sent to this destination; check it or use the other channel.".into()
            }
            ApiError::Provider(..) => {
                "The message could not be sent right now, so no link was made. Try again shortly.".into()
            }
            ApiError::RateLimited { .. } => {
                "Too many attempts from here; wait a minute and try again.".into()
            }
            ApiError::UnknownOrder => {
                "This order does not exist or its result is no longer kept.".into()
            }
            ApiError::NotFound => "There is nothing at this address.".into(),
            ApiError::OriginNotAllowed => {
                "This page's origin is not allowed to use this service; add it to the tenant's allowedOrigins.".into()
            }
            ApiError::TenantRequired => "Name the tenant in the X-Legit-Tenant header.".into(),
            ApiError::UnknownTenant => "There is no such tenant here.".into(),
            ApiError::Unauthenticated(c) => c.message().into(),
            ApiError::AgentOnly => {
                "This is for the tenant's agents and systems (a named person's BankID, links, look-ups): send an agent \
                 session or the API key as Authorization: Bearer."
                    .into()
            }
            ApiError::NotJson => "Send the request body as application/json.".into(),
            ApiError::BodyTooLarge { limit } => {
                format!("The request body must be at most {limit} bytes.")
            }
            _ => "Something went wrong on our side.".into(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let body = ErrorBody::new(self.code(), self.message(), self.rfa());
        match self {
            ApiError::InvalidLink(e) => body.about(e.field(), e.detail_code()),
            ApiError::InvalidReference(e) => body.about(Some("reference"), Some(e.code())),
            ApiError::InvalidIvr(e) => body.about(e.field(), None),
            _ => body,
        }
    }

    /// Server-side faults are logged (by code and our own description, which never holds personal data);
    /// the caller's own mistakes are not.
    pub fn into_response(self) -> worker::Result<Response> {
        if self.status() >= 500 {
            worker::console_error!("{}: {self}", self.code());
        }
        let mut resp = Response::from_json(&self.body())?.with_status(self.status());
        if let ApiError::Unauthenticated(_) = self {
            resp.headers_mut().set("WWW-Authenticate", "Bearer")?;
        }
        if let ApiError::RateLimited {
            retry_after_secs, ..
        } = self
        {
            resp.headers_mut()
                .set("Retry-After", &retry_after_secs.to_string())?;
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use legit_core::personal_number::PersonalNumberError;

    fn bankid(status: u16, code: ErrorCode) -> ApiError {
        ApiError::BankId { status, code }
    }

    #[test]
    fn start_errors_from_bankid_map_to_the_contract() {
        let cases = [
            (
                bankid(400, ErrorCode::AlreadyInProgress),
                409,
                "already_in_progress",
                Rfa::Rfa4,
            ),
            (
                bankid(503, ErrorCode::Maintenance),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
            (
                bankid(500, ErrorCode::InternalError),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
            (
                bankid(408, ErrorCode::RequestTimeout),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
            (
                bankid(429, ErrorCode::TooManyRequests),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
            (
                ApiError::BankIdUnreachable("reset".into()),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
            (
                bankid(400, ErrorCode::InvalidParameters),
                502,
                "bankid_rejected",
                Rfa::Rfa22,
            ),
            (
                bankid(401, ErrorCode::Unauthorized),
                502,
                "bankid_rejected",
                Rfa::Rfa22,
            ),
            (
                // Our own mistake: repeating it cannot help (BANKID.md §3).
                bankid(405, ErrorCode::MethodNotAllowed),
                502,
                "bankid_rejected",
                Rfa::Rfa22,
            ),
            (
                // A code this version does not know: with a 400 BankID refused something of ours…
                bankid(400, ErrorCode::Unknown("x".into())),
                502,
                "bankid_rejected",
                Rfa::Rfa22,
            ),
            (
                // …with a 500 it is BankID's own failure, whatever the code (BANKID.md §3: internalError).
                bankid(500, ErrorCode::Unknown("x".into())),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
            (
                ApiError::BankIdAnswer {
                    status: 200,
                    reason: "eof".into(),
                },
                502,
                "bankid_rejected",
                Rfa::Rfa22,
            ),
            (
                // What `bankid::read_answer` makes of a proxy's HTML page.
                bankid(504, ErrorCode::Unknown("http_504".into())),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
            (
                // …and of a 500 with an empty or HTML body.
                bankid(500, ErrorCode::Unknown("http_500".into())),
                503,
                "bankid_unavailable",
                Rfa::Rfa5,
            ),
        ];
        for (err, status, code, rfa) in cases {
            assert_eq!(
                (err.status(), err.code(), err.rfa()),
                (status, code, Some(rfa)),
                "{err}"
            );
        }
    }

    #[test]
    fn bad_input_is_a_400_with_the_users_sentence() {
        let e = ApiError::from(StartError::InvalidPersonalNumber(
            PersonalNumberError::WrongCheckDigit,
        ));
        assert_eq!(e.status(), 400);
        let body = serde_json::to_value(e.body()).unwrap();
        assert_eq!(body["error"]["code"], "invalid_personal_number");
        assert_eq!(
            body["error"]["message"],
            PersonalNumberError::WrongCheckDigit.to_string()
        );
        assert!(body["error"].get("rfa").is_none());
    }

    #[test]
    fn internal_details_never_reach_the_caller() {
        let e = ApiError::Runtime("storage failed for key order".into());
        assert_eq!((e.status(), e.code()), (500, "internal_error"));
        assert!(!e.message().contains("storage"));
        let e = bankid(400, ErrorCode::InvalidParameters);
        assert_eq!(e.message(), Rfa::Rfa22.text(legit_core::Lang::En));
    }

    #[test]
    fn link_errors_have_their_own_codes() {
        let e = ApiError::from(LinkRequestError::InvalidPhoneNumber(
            legit_core::PhoneNumberError::TooShort,
        ));
        let body = serde_json::to_value(e.body()).unwrap();
        assert_eq!(e.status(), 400);
        assert_eq!(body["error"]["code"], "invalid_phone_number");
        assert_eq!(body["error"]["field"], "to");
        assert_eq!(body["error"]["detail"], "too_short");
        // Not `not_found`: the widget reads that one as "no links API here".
        assert_eq!(
            (
                ApiError::UnknownReference.status(),
                ApiError::UnknownReference.code()
            ),
            (404, "unknown_reference")
        );
        let e = ApiError::Provider(ProviderOutcome::Retry, "answered 503".into());
        assert_eq!((e.status(), e.code()), (502, "provider_unavailable"));
        assert!(!e.message().contains("503"));
        let e = ApiError::LinksNotConfigured("no SMS provider".into());
        assert_eq!((e.status(), e.code()), (503, "links_not_configured"));
        let e = ApiError::RateLimited {
            scope: "destination",
            retry_after_secs: 60,
        };
        assert_eq!((e.status(), e.code()), (429, "rate_limited"));
        let e = ApiError::LinkRefused(legit_core::link::LinkRefusal::Used);
        assert_eq!((e.status(), e.code()), (410, "link_used"));
    }

    #[test]
    fn ivr_errors_have_their_own_codes() {
        let e = ApiError::from(IvrRequestError::MissingCallId);
        let body = serde_json::to_value(e.body()).unwrap();
        assert_eq!(e.status(), 400);
        assert_eq!(body["error"]["code"], "missing_call_id");
        assert_eq!(body["error"]["field"], "callId");
        assert_eq!(
            (ApiError::ApiKeyOnly.status(), ApiError::ApiKeyOnly.code()),
            (403, "api_key_required")
        );
        assert_eq!(
            (ApiError::UnknownCall.status(), ApiError::UnknownCall.code()),
            (404, "unknown_call")
        );
        assert_eq!(
            (
                ApiError::CallIdReused.status(),
                ApiError::CallIdReused.code()
            ),
            (409, "call_id_reused")
        );
    }

    #[test]
    fn routing_errors_are_404s() {
        assert_eq!(
            (ApiError::NotFound.status(), ApiError::NotFound.code()),
            (404, "not_found")
        );
        assert_eq!(ApiError::UnknownOrder.code(), "unknown_order");
    }

    #[test]
    fn collect_failures_are_retried_only_when_waiting_can_help() {
        use CollectFailure::{Rejected, Throttled, Transient, Unavailable};
        let cases = [
            (bankid(503, ErrorCode::Maintenance), Transient),
            (bankid(429, ErrorCode::TooManyRequests), Throttled),
            (ApiError::BankIdUnreachable("x".into()), Transient),
            (
                bankid(502, ErrorCode::Unknown("http_502".into())),
                Transient,
            ),
            (
                ApiError::BankIdAnswer {
                    status: 200,
                    reason: "not the expected JSON".into(),
                },
                Rejected,
            ),
            (bankid(500, ErrorCode::InternalError), Unavailable),
            (bankid(408, ErrorCode::RequestTimeout), Unavailable),
            (
                bankid(500, ErrorCode::Unknown("http_500".into())),
                Unavailable,
            ),
            (bankid(400, ErrorCode::InvalidParameters), Rejected),
        ];
        for (error, want) in cases {
            assert_eq!(error.collect_failure(), want, "{error:?}");
        }
        assert!(bankid(400, ErrorCode::InvalidParameters).is_invalid_parameters());
    }
}
