//! The fake providers' one error type, mapped to HTTP in exactly one place: legit's
//! `{"error": {"code", "message"}}` with the status, and a `WWW-Authenticate` challenge on 401.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which credential a 401 asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Basic,
    Bearer,
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProviderError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub challenge: Option<Scheme>,
}

impl ProviderError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ProviderError {
        ProviderError {
            status,
            code,
            message: message.into(),
            challenge: None,
        }
    }

    pub fn unauthorized(scheme: Scheme, message: impl Into<String>) -> ProviderError {
        ProviderError {
            challenge: Some(scheme),
            ..ProviderError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ProviderError {
        ProviderError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unsupported_media_type(expected: &str) -> ProviderError {
        ProviderError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the body must be {expected}"),
        )
    }

    pub fn payload_too_large(limit: usize) -> ProviderError {
        ProviderError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body must be at most {limit} bytes"),
        )
    }

    pub fn not_found() -> ProviderError {
        ProviderError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
    }
}

impl IntoResponse for ProviderError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            axum::Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response();
        let challenge = match self.challenge {
            Some(Scheme::Basic) => {
                Some("Basic realm=\"legit-demo SMS gateway\", charset=\"UTF-8\"")
            }
            Some(Scheme::Bearer) => Some("Bearer realm=\"legit-demo e-mail API\""),
            None => None,
        };
        if let Some(value) = challenge {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        res
    }
}
