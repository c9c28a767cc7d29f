//! The simulator's two error wire formats, each mapped to HTTP in exactly one place: BankID's own error body on
//! the RP API, and legit's `{"error": {code, message}}` on the admin API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use legit_core::bankid::{ErrorBody, ErrorCode};
use serde_json::json;

/// An answer of the RP API other than 200: BankID's `errorCode` with developer `details`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {details}")]
pub struct RpError {
    pub code: ErrorCode,
    pub details: String,
}

impl RpError {
    pub fn new(code: ErrorCode, details: impl Into<String>) -> RpError {
        RpError {
            code,
            details: details.into(),
        }
    }

    pub fn invalid(details: impl Into<String>) -> RpError {
        RpError::new(ErrorCode::InvalidParameters, details)
    }

    pub fn no_such_order() -> RpError {
        RpError::invalid("No such order")
    }
}

impl IntoResponse for RpError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let rate_limited = self.code == ErrorCode::TooManyRequests;
        let body = ErrorBody {
            error_code: self.code,
            details: self.details,
        };
        let mut res = (status, axum::Json(body)).into_response();
        if rate_limited {
            let h = res.headers_mut();
            h.insert("RateLimit-Limit", HeaderValue::from_static("100"));
            h.insert("RateLimit-Remaining", HeaderValue::from_static("0"));
            h.insert("RateLimit-Reset", HeaderValue::from_static("1"));
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

/// An admin API failure with a stable snake_case code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct AdminError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl AdminError {
    pub fn bad_request(message: impl Into<String>) -> AdminError {
        AdminError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }

    pub fn unknown_order() -> AdminError {
        AdminError {
            status: StatusCode::NOT_FOUND,
            code: "unknown_order",
            message: "no such order".into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> AdminError {
        AdminError {
            status: StatusCode::CONFLICT,
            code,
            message: message.into(),
        }
    }

    pub fn qr(code: &'static str, message: impl Into<String>) -> AdminError {
        AdminError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response()
    }
}
