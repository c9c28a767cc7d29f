//! The two fake provider endpoints. Each checks what the real service would check, in the same order
//! (credentials, media type, fields), refuses with a JSON error, and stores what it accepted.
//!
//! - `POST /sms/send`: 46elks-style form POST with basic auth: `from` (text sender id or E.164), `to`
//!   (E.164 with `+`), `message`.
//! - `POST /email/send`: JSON with a bearer key: `{from, to, subject, text?, html?}`; `to` is one address or
//!   a list.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use legit_core::email::Email;
use legit_core::link::constant_time_eq;
use legit_core::links_api::Channel;
use legit_core::message::{SmsEncoding, sms_count};
use legit_core::phone::PhoneNumber;
use legit_core::provider::SenderId;
use serde::Deserialize;
use serde_json::json;

use super::Providers;
use super::error::{ProviderError, Scheme};
use super::inbox::{Message, SmsInfo, find_links};

/// The longest SMS text accepted: ten concatenated GSM-7 parts, about what gateways allow.
pub const MAX_SMS_CHARS: usize = 1_530;
/// Recipients of one e-mail.
pub const MAX_RECIPIENTS: usize = 50;
/// The largest request body either endpoint reads. The inbox bounds how many messages it keeps, not their size,
/// and an e-mail is stored once per recipient, so axum's 2 MB default would let one request hold about 100 MB.
/// A real SMS is at most a few kilobytes and a transactional e-mail rarely passes 100 KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

type Answer = Result<Response, ProviderError>;

/// `POST /sms/send`
pub async fn send_sms(
    State(p): State<Arc<Providers>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    check_basic(&headers, &p.sms_user, p.sms_password.expose())?;
    require_media_type(&headers, "application/x-www-form-urlencoded")?;
    let body = read_body(body)?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        ProviderError::bad_request("invalid_body", "the form body is not valid UTF-8")
    })?;
    let mut from = None;
    let mut to = None;
    let mut message = None;
    for (name, value) in form_urlencoded::parse(text.as_bytes()) {
        let slot = match name.as_ref() {
            "from" => &mut from,
            "to" => &mut to,
            "message" => &mut message,
            // 46elks takes more options (dryrun, whendelivered, flashsms); they change nothing here.
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(ProviderError::bad_request(
                "duplicate_field",
                format!("\"{name}\" is given twice"),
            ));
        }
    }
    let missing = |field: &str| {
        ProviderError::bad_request("missing_field", format!("\"{field}\" is missing"))
    };
    let from = from.ok_or_else(|| missing("from"))?;
    let to = to.ok_or_else(|| missing("to"))?;
    let message = message.ok_or_else(|| missing("message"))?;

    let sender = SenderId::parse(&from).map_err(|e| {
        ProviderError::bad_request("invalid_from", format!("\"from\" is not valid: {e}"))
    })?;
    if sender.as_str() != from {
        return Err(ProviderError::bad_request(
            "invalid_from",
            "\"from\" must be written without spaces, e.g. AcmeBank or +46701234567",
        ));
    }
    let e164_ok =
        to.starts_with('+') && PhoneNumber::parse(&to).is_ok_and(|number| number.e164() == to);
    if !e164_ok {
        return Err(ProviderError::bad_request(
            "invalid_to",
            format!(
                "\"to\" must be a phone number in E.164 form with a +, like +46701234567, not {to:?}"
            ),
        ));
    }
    if message.is_empty() {
        return Err(ProviderError::bad_request(
            "invalid_message",
            "\"message\" is empty",
        ));
    }
    let chars = message.chars().count();
    if chars > MAX_SMS_CHARS {
        return Err(ProviderError::bad_request(
            "invalid_message",
            format!("\"message\" has {chars} characters; at most {MAX_SMS_CHARS} are sent"),
        ));
    }

    let count = sms_count(&message);
    let stored = p.inbox.push(Message {
        id: 0,
        channel: Channel::Sms,
        from,
        to,
        subject: None,
        links: find_links(&message),
        text: message,
        html: None,
        sms: Some(SmsInfo {
            encoding: match count.encoding {
                SmsEncoding::Gsm7 => "gsm7",
                SmsEncoding::Ucs2 => "ucs2",
            }
            .to_owned(),
            units: count.units,
            segments: count.segments,
        }),
        received_at: String::new(),
    });
    // The fields 46elks answers with.
    Ok(axum::Json(json!({
        "status": "created",
        "direction": "outgoing",
        "id": format!("s{}", stored.id),
        "from": stored.from,
        "to": stored.to,
        "message": stored.text,
        "parts": count.segments,
        "created": stored.received_at,
    }))
    .into_response())
}

/// `to` of an e-mail: one address or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Recipients {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    from: String,
    to: Recipients,
    subject: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    html: Option<String>,
}

/// `POST /email/send`
pub async fn send_email(
    State(p): State<Arc<Providers>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    check_bearer(&headers, p.email_key.expose())?;
    require_media_type(&headers, "application/json")?;
    let body = read_body(body)?;
    let mail: EmailBody = serde_json::from_slice(&body).map_err(|e| {
        ProviderError::bad_request("invalid_body", format!("the JSON body is not valid: {e}"))
    })?;
    let from_address = mailbox_address(&mail.from);
    if let Err(e) = Email::parse(from_address) {
        return Err(ProviderError::bad_request(
            "invalid_from",
            format!("\"from\" must be an address or \"Name <address>\": {e}"),
        ));
    }
    let recipients = match mail.to {
        Recipients::One(one) => vec![one],
        Recipients::Many(many) => many,
    };
    if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
        return Err(ProviderError::bad_request(
            "invalid_to",
            format!("\"to\" must name 1 to {MAX_RECIPIENTS} addresses"),
        ));
    }
    let mut addresses = Vec::with_capacity(recipients.len());
    for to in &recipients {
        let address = Email::parse(to).map_err(|e| {
            ProviderError::bad_request("invalid_to", format!("{to:?} is not an address: {e}"))
        })?;
        addresses.push(address);
    }
    if mail.subject.trim().is_empty() || mail.subject.contains(['\r', '\n']) {
        return Err(ProviderError::bad_request(
            "invalid_subject",
            "\"subject\" must be one non-empty line",
        ));
    }
    let text = mail.text.unwrap_or_default();
    let html = mail.html.filter(|h| !h.is_empty());
    if text.is_empty() && html.is_none() {
        return Err(ProviderError::bad_request(
            "missing_body",
            "give \"text\", \"html\" or both",
        ));
    }
    let links = if text.is_empty() {
        find_links(html.as_deref().unwrap_or(""))
    } else {
        find_links(&text)
    };
    let mut ids = Vec::with_capacity(addresses.len());
    for address in addresses {
        let stored = p.inbox.push(Message {
            id: 0,
            channel: Channel::Email,
            from: mail.from.clone(),
            to: address.as_str().to_owned(),
            subject: Some(mail.subject.clone()),
            text: text.clone(),
            html: html.clone(),
            links: links.clone(),
            sms: None,
            received_at: String::new(),
        });
        ids.push(stored.id);
    }
    let id = ids
        .iter()
        .map(|id| format!("e{id}"))
        .collect::<Vec<_>>()
        .join(",");
    Ok(axum::Json(json!({ "id": id })).into_response())
}

/// The body as read under the route's [`MAX_BODY_BYTES`] limit. Taken as a `Result` so that credentials and
/// media type are checked first and a refusal has the providers' JSON error format rather than axum's text.
fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ProviderError> {
    body.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ProviderError::payload_too_large(MAX_BODY_BYTES)
        } else {
            ProviderError::bad_request(
                "invalid_body",
                format!("the body could not be read: {}", rejection.body_text()),
            )
        }
    })
}

/// The address of `Name <address>`, `"Name" <address>` or a bare address.
fn mailbox_address(mailbox: &str) -> &str {
    let trimmed = mailbox.trim();
    match (trimmed.rfind('<'), trimmed.strip_suffix('>')) {
        (Some(open), Some(inner)) => inner.get(open + 1..).unwrap_or(""),
        _ => trimmed,
    }
}

/// Basic auth with exactly these credentials, or 401 with a challenge.
fn check_basic(headers: &HeaderMap, user: &str, password: &str) -> Result<(), ProviderError> {
    let refuse = |why: &str| ProviderError::unauthorized(Scheme::Basic, why);
    let value = authorization(headers).ok_or_else(|| refuse("basic authentication is required"))?;
    let encoded = strip_scheme(value, "Basic")
        .ok_or_else(|| refuse("the Authorization header must use the Basic scheme"))?;
    let decoded = B64
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| refuse("the Basic credentials are not valid base64 of UTF-8"))?;
    let (given_user, given_password) = decoded
        .split_once(':')
        .ok_or_else(|| refuse("the Basic credentials must be user:password"))?;
    // Both compared, whatever the first says, so the answer time does not tell which one was wrong.
    let user_ok = constant_time_eq(given_user.as_bytes(), user.as_bytes());
    let password_ok = constant_time_eq(given_password.as_bytes(), password.as_bytes());
    if user_ok && password_ok {
        Ok(())
    } else {
        Err(refuse("wrong user name or password"))
    }
}

/// A bearer key equal to `key`, or 401 with a challenge.
fn check_bearer(headers: &HeaderMap, key: &str) -> Result<(), ProviderError> {
    let refuse = |why: &str| ProviderError::unauthorized(Scheme::Bearer, why);
    let value = authorization(headers).ok_or_else(|| refuse("an API key is required"))?;
    let given = strip_scheme(value, "Bearer")
        .ok_or_else(|| refuse("the Authorization header must use the Bearer scheme"))?;
    if constant_time_eq(given.trim().as_bytes(), key.as_bytes()) {
        Ok(())
    } else {
        Err(refuse("wrong API key"))
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// The credentials after `scheme ` (the scheme name is case-insensitive).
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = value.trim_start().split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// The `Content-Type` must name `expected` (parameters such as `charset` allowed), or 415.
fn require_media_type(headers: &HeaderMap, expected: &str) -> Result<(), ProviderError> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = given.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ProviderError::unsupported_media_type(expected))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_addresses() {
        assert_eq!(mailbox_address("a@b.se"), "a@b.se");
        assert_eq!(
            mailbox_address(" \"Acme AB\" <noreply@acme.se> "),
            "noreply@acme.se"
        );
        assert_eq!(mailbox_address("Acme <x@y.se>"), "x@y.se");
        assert_eq!(mailbox_address("<>"), "");
        assert_eq!(mailbox_address("x>"), "x>");
    }

    #[test]
    fn schemes_are_case_insensitive() {
        assert_eq!(strip_scheme("Basic abc", "Basic"), Some("abc"));
        assert_eq!(strip_scheme("basic abc", "Basic"), Some("abc"));
        assert_eq!(strip_scheme("Bearer abc", "Basic"), None);
        assert_eq!(strip_scheme("Basic", "Basic"), None);
    }
}
