//! The edge's one error type, and the one place that maps an error to an HTTP status, a stable code, a
//! message and the BankID message (RFA) to show.

use legit_core::Rfa;
use legit_core::api::{ErrorBody, StartError};
use legit_core::bankid::ErrorCode;
use legit_core::retry;
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
    #[error("configuration: {0}")]
    Config(String),
    /// Anything the runtime refused (storage, bindings, streams).
    #[error("runtime: {0}")]
    Runtime(String),
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
            | ApiError::BankIdUnreachable(_) => BankIdOutcome::Unavailable,
            ApiError::BankId { .. } | ApiError::BankIdAnswer { .. } => BankIdOutcome::Rejected,
            _ => return None,
        })
    }

    /// Whether a failed collect may be repeated at the next slot (never used for starts).
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::BankIdUnreachable(_) => true,
            ApiError::BankId { status, code } => retry::is_transient(Some(*status), Some(code)),
            ApiError::BankIdAnswer { status, .. } => retry::is_transient(Some(*status), None),
            _ => false,
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
            ApiError::InvalidStart(_) => 400,
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
            ApiError::NotJson => "unsupported_media_type",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::UnknownOrder => "unknown_order",
            ApiError::NotFound => "not_found",
            ApiError::Config(_) => "misconfigured",
            _ => "internal_error",
        }
    }

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
            ApiError::UnknownOrder => {
                "This order does not exist or its result is no longer kept.".into()
            }
            ApiError::NotFound => "There is nothing at this address.".into(),
            ApiError::NotJson => "Send the request body as application/json.".into(),
            ApiError::BodyTooLarge { limit } => {
                format!("The request body must be at most {limit} bytes.")
            }
            _ => "Something went wrong on our side.".into(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.message(), self.rfa())
    }

    /// Server-side faults are logged (by code and our own description, which never holds personal data);
    /// the caller's own mistakes are not.
    pub fn into_response(self) -> worker::Result<Response> {
        if self.status() >= 500 {
            worker::console_error!("{}: {self}", self.code());
        }
        Ok(Response::from_json(&self.body())?.with_status(self.status()))
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
                bankid(500, ErrorCode::Unknown("x".into())),
                502,
                "bankid_rejected",
                Rfa::Rfa22,
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
    fn routing_errors_are_404s() {
        assert_eq!(
            (ApiError::NotFound.status(), ApiError::NotFound.code()),
            (404, "not_found")
        );
        assert_eq!(ApiError::UnknownOrder.code(), "unknown_order");
    }

    #[test]
    fn collect_failures_are_transient_only_when_waiting_can_help() {
        assert!(bankid(503, ErrorCode::Maintenance).is_transient());
        assert!(ApiError::BankIdUnreachable("x".into()).is_transient());
        assert!(
            ApiError::BankIdAnswer {
                status: 502,
                reason: "html".into()
            }
            .is_transient()
        );
        assert!(!bankid(400, ErrorCode::InvalidParameters).is_transient());
        assert!(bankid(400, ErrorCode::InvalidParameters).is_invalid_parameters());
    }
}
