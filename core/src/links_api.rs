//! The JSON of the link routes (DESIGN.md §4) and the checks on a create request.
//!
//! - `POST /api/v1/links` `{channel: "sms"|"email", to, locale?}` → 201 [`CreateLinkResponse`]
//!   `{reference, expiresAt}`.
//! - `GET /api/v1/links/{reference}` → [`LinkView`]: status and, once complete, the person as the tenant's
//!   disclosure policy lets them out.

use serde::{Deserialize, Serialize};

use crate::api::EventUser;
use crate::date::Date;
use crate::email::{Email, EmailError};
use crate::link::{LinkState, LinkStatus, ReferenceNumber};
use crate::phone::{PhoneNumber, PhoneNumberError};
use crate::rfa::{Lang, Rfa};

/// How the link is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

/// Body of `POST /api/v1/links`, as received. [`parse_create_link_request`] reads it,
/// [`CreateLinkRequest::validate`] checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLinkRequest {
    pub channel: Channel,
    /// A phone number (any form [`PhoneNumber::parse`] takes) for `sms`, an e-mail address for `email`.
    pub to: String,
    /// `"sv"`, `"en"` or a tag such as `"sv-SE"`; absent means the tenant's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// Where a link goes, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Sms(PhoneNumber),
    Email(Email),
}

impl Destination {
    pub fn channel(&self) -> Channel {
        match self {
            Destination::Sms(_) => Channel::Sms,
            Destination::Email(_) => Channel::Email,
        }
    }

    /// For the agent's screen and look-ups: `+46 ••• •• 67` or `a•••@example.com`.
    pub fn masked(&self) -> String {
        match self {
            Destination::Sms(p) => p.masked(),
            Destination::Email(e) => e.masked(),
        }
    }

    /// The key for per-destination rate limits (SMS pumping): E.164 digits, or the mailbox the address
    /// reaches. Mail providers ignore the local part's case and deliver `anna+anything@` to `anna@`, so
    /// neither may buy a fresh allowance for the same inbox. Never logged: it is personal data.
    pub fn rate_limit_key(&self) -> String {
        match self {
            Destination::Sms(p) => format!("sms:{}", p.digits()),
            Destination::Email(e) => {
                let (local, domain) = e.as_str().rsplit_once('@').unwrap_or(("", e.as_str()));
                let mailbox = local.split('+').next().unwrap_or(local);
                // ASCII case only: Unicode's case tables would cost the Worker 7 KB (gzip) for the rare
                // non-ASCII mailbox name.
                format!("email:{}@{domain}", mailbox.to_ascii_lowercase())
            }
        }
    }
}

/// A create request that passed every check: nothing is sent before this exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLinkRequest {
    pub destination: Destination,
    pub lang: Lang,
}

/// Why a create request was refused (400). `Display` is the sentence the widget shows next to
/// [`LinkRequestError::field`]; [`LinkRequestError::code`] is the stable key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRequestError {
    #[error("The request body must be a JSON object: {0}")]
    InvalidBody(String),
    #[error("\"channel\" must be \"sms\" or \"email\".")]
    InvalidChannel,
    #[error("{0}")]
    InvalidPhoneNumber(PhoneNumberError),
    #[error(
        "This is a Swedish number that cannot receive text messages: enter a mobile number (07…)."
    )]
    NotAMobileNumber,
    #[error("{0}")]
    InvalidEmail(EmailError),
    #[error("\"locale\" must be Swedish (\"sv\") or English (\"en\").")]
    UnsupportedLocale,
}

impl LinkRequestError {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidBody(_) => "invalid_body",
            Self::InvalidChannel => "invalid_channel",
            Self::InvalidPhoneNumber(_) => "invalid_phone_number",
            Self::NotAMobileNumber => "not_a_mobile_number",
            Self::InvalidEmail(_) => "invalid_email",
            Self::UnsupportedLocale => "unsupported_locale",
        }
    }

    /// The code of the inner parse error (`too_short`, `missing_at`, …), for a finer widget message.
    pub fn detail_code(&self) -> Option<&'static str> {
        match self {
            Self::InvalidPhoneNumber(e) => Some(e.code()),
            Self::InvalidEmail(e) => Some(e.code()),
            _ => None,
        }
    }

    /// The request field the error is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidBody(_) => None,
            Self::InvalidChannel => Some("channel"),
            Self::InvalidPhoneNumber(_) | Self::NotAMobileNumber | Self::InvalidEmail(_) => {
                Some("to")
            }
            Self::UnsupportedLocale => Some("locale"),
        }
    }
}

/// Reads the body of `POST /api/v1/links`; a wrong `channel` gets its own code.
pub fn parse_create_link_request(body: &[u8]) -> Result<CreateLinkRequest, LinkRequestError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| LinkRequestError::InvalidBody(e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| LinkRequestError::InvalidBody("not an object".into()))?;
    match obj.get("channel").and_then(|c| c.as_str()) {
        Some("sms" | "email") => {}
        _ => return Err(LinkRequestError::InvalidChannel),
    }
    serde_json::from_value(value).map_err(|e| LinkRequestError::InvalidBody(e.to_string()))
}

impl CreateLinkRequest {
    /// Checks the destination for the channel and picks the language (`tenant_lang` when none is given).
    ///
    /// A Swedish number must be a mobile one (070, 072, 073, 076, 079): a landline takes no SMS, and refusing
    /// it early also closes the cheapest SMS-pumping targets. Numbers abroad are taken as they are.
    pub fn validate(&self, tenant_lang: Lang) -> Result<ValidLinkRequest, LinkRequestError> {
        let lang = match self.locale.as_deref() {
            None => tenant_lang,
            Some(tag) if tag.trim().is_empty() => tenant_lang,
            Some(tag) => Lang::from_tag(tag).ok_or(LinkRequestError::UnsupportedLocale)?,
        };
        let destination = match self.channel {
            Channel::Sms => {
                let number =
                    PhoneNumber::parse(&self.to).map_err(LinkRequestError::InvalidPhoneNumber)?;
                if number.is_swedish() && !number.is_swedish_mobile() {
                    return Err(LinkRequestError::NotAMobileNumber);
                }
                Destination::Sms(number)
            }
            Channel::Email => {
                Destination::Email(Email::parse(&self.to).map_err(LinkRequestError::InvalidEmail)?)
            }
        };
        Ok(ValidLinkRequest { destination, lang })
    }
}

/// Answer to `POST /api/v1/links` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLinkResponse {
    pub reference: ReferenceNumber,
    /// When the link stops opening, RFC 3339 UTC (`2026-03-01T12:15:00Z`).
    pub expires_at: String,
    /// `?token=` for this link's live stream ([`crate::session::SessionKey::link_stream_token`]): it opens
    /// that stream and nothing else, so the agent's session never rides in a URL.
    pub stream_token: String,
}

impl CreateLinkResponse {
    pub fn new(
        reference: ReferenceNumber,
        expires_ms: u64,
        stream_token: String,
    ) -> CreateLinkResponse {
        CreateLinkResponse {
            reference,
            expires_at: rfc3339_utc(expires_ms),
            stream_token,
        }
    }
}

/// Answer to `GET /api/v1/links/{reference}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    pub reference: ReferenceNumber,
    pub channel: Channel,
    /// The destination, masked ([`Destination::masked`]).
    pub to: String,
    pub status: LinkStatus,
    pub created_at: String,
    pub expires_at: String,
    /// The order the link started, once opened; the widget follows it live with this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The message for a failed order (or a pending one, for the agent's information).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfa: Option<Rfa>,
    /// Only when complete, and only what the disclosure policy allows
    /// ([`crate::tenant::Disclosure::apply`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<EventUser>,
}

impl LinkView {
    /// The view of a link at `now_ms`. `user` is dropped unless the link is complete, so a caller cannot
    /// leak it by passing it too early.
    pub fn new(
        reference: ReferenceNumber,
        destination: &Destination,
        state: &LinkState,
        now_ms: u64,
        order_id: Option<String>,
        rfa: Option<Rfa>,
        user: Option<EventUser>,
    ) -> LinkView {
        LinkView::of_masked(
            reference,
            destination.channel(),
            destination.masked(),
            state,
            now_ms,
            order_id,
            rfa,
            user,
        )
    }

    /// [`LinkView::new`] for a store that kept only the masked destination (the edge's link object: the
    /// number or address itself is needed only to send the message).
    #[allow(clippy::too_many_arguments)]
    pub fn of_masked(
        reference: ReferenceNumber,
        channel: Channel,
        masked_to: String,
        state: &LinkState,
        now_ms: u64,
        order_id: Option<String>,
        rfa: Option<Rfa>,
        user: Option<EventUser>,
    ) -> LinkView {
        let status = state.status(now_ms);
        LinkView {
            reference,
            channel,
            to: masked_to,
            status,
            created_at: rfc3339_utc(state.created_ms),
            expires_at: rfc3339_utc(state.expires_ms),
            order_id,
            rfa: if status == LinkStatus::Complete {
                None
            } else {
                rfa
            },
            user: if status == LinkStatus::Complete {
                user
            } else {
                None
            },
        }
    }
}

/// A unix time in milliseconds as RFC 3339 UTC with whole seconds, e.g. `2026-03-01T12:15:00Z`.
pub fn rfc3339_utc(unix_ms: u64) -> String {
    let secs = unix_ms / 1_000;
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX);
    let date = Date::from_unix_days(days);
    let rem = secs % 86_400;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        date.year,
        date.month,
        date.day,
        rem / 3_600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::DEFAULT_LINK_TTL_MS;
    use proptest::prelude::*;
    use serde_json::json;

    fn req(body: serde_json::Value) -> Result<ValidLinkRequest, LinkRequestError> {
        parse_create_link_request(body.to_string().as_bytes())?.validate(Lang::Sv)
    }

    #[test]
    fn sms_requests() {
        let ok = req(json!({"channel": "sms", "to": "070-123 45 67", "locale": "en-GB"})).unwrap();
        assert_eq!(
            ok.destination,
            Destination::Sms(PhoneNumber::parse("+46701234567").unwrap())
        );
        assert_eq!(ok.lang, Lang::En);
        assert_eq!(ok.destination.masked(), "+46 ••• •• 67");
        assert_eq!(ok.destination.rate_limit_key(), "sms:46701234567");
        assert_eq!(ok.destination.channel(), Channel::Sms);

        let abroad = req(json!({"channel": "sms", "to": "+44 7700 900123"})).unwrap();
        assert_eq!(abroad.lang, Lang::Sv);

        let err = req(json!({"channel": "sms", "to": "08-123 456 78"})).unwrap_err();
        assert_eq!(err, LinkRequestError::NotAMobileNumber);
        assert_eq!(err.field(), Some("to"));

        let err = req(json!({"channel": "sms", "to": "070-123"})).unwrap_err();
        assert_eq!(err.code(), "invalid_phone_number");
        assert_eq!(err.detail_code(), Some("too_short"));
        assert_eq!(err.to_string(), PhoneNumberError::TooShort.to_string());
        assert_eq!(err.field(), Some("to"));
    }

    #[test]
    fn email_requests() {
        let ok =
            req(json!({"channel": "email", "to": " Anna@Example.COM ", "locale": ""})).unwrap();
        assert_eq!(
            ok.destination,
            Destination::Email(Email::parse("Anna@example.com").unwrap())
        );
        assert_eq!(ok.lang, Lang::Sv);
        assert_eq!(ok.destination.masked(), "A•••@example.com");
        assert_eq!(ok.destination.rate_limit_key(), "email:anna@example.com");
        for same_inbox in [
            "ANNA@example.com",
            "anna+bank@Example.com",
            "Anna+1+2@example.com",
        ] {
            let other = req(json!({"channel": "email", "to": same_inbox})).unwrap();
            assert_eq!(
                other.destination.rate_limit_key(),
                "email:anna@example.com",
                "{same_inbox}"
            );
        }
        let other = req(json!({"channel": "email", "to": "annb@example.com"})).unwrap();
        assert_ne!(other.destination.rate_limit_key(), "email:anna@example.com");

        let err = req(json!({"channel": "email", "to": "anna.example.com"})).unwrap_err();
        assert_eq!(err.code(), "invalid_email");
        assert_eq!(err.detail_code(), Some("missing_at"));
        // A phone number is not an address, and the other way round.
        assert_eq!(
            req(json!({"channel": "email", "to": "0701234567"}))
                .unwrap_err()
                .code(),
            "invalid_email"
        );
        assert_eq!(
            req(json!({"channel": "sms", "to": "anna@example.com"}))
                .unwrap_err()
                .code(),
            "invalid_phone_number"
        );
    }

    #[test]
    fn bad_bodies() {
        let code = |body: &str| {
            parse_create_link_request(body.as_bytes())
                .and_then(|r| r.validate(Lang::En))
                .map(|_| ())
                .map_err(|e| (e.code(), e.field()))
        };
        assert_eq!(code("nope"), Err(("invalid_body", None)));
        assert_eq!(code("[]"), Err(("invalid_body", None)));
        assert_eq!(code("{}"), Err(("invalid_channel", Some("channel"))));
        assert_eq!(
            code(r#"{"channel": "fax", "to": "x"}"#),
            Err(("invalid_channel", Some("channel")))
        );
        assert_eq!(code(r#"{"channel": "sms"}"#), Err(("invalid_body", None)));
        assert_eq!(
            code(r#"{"channel": "sms", "to": "0701234567", "locale": "de"}"#),
            Err(("unsupported_locale", Some("locale")))
        );
        for e in [
            LinkRequestError::InvalidChannel,
            LinkRequestError::NotAMobileNumber,
            LinkRequestError::UnsupportedLocale,
        ] {
            assert!(e.to_string().ends_with('.'), "{e}");
            assert_eq!(e.detail_code(), None);
        }
    }

    #[test]
    fn create_response_json() {
        let reference = ReferenceNumber::parse("K7QX-M4TR").unwrap();
        let r = CreateLinkResponse::new(reference, 1_772_367_300_000, "ls1.acme.x".into());
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"reference": "K7QX-M4TR", "expiresAt": "2026-03-01T12:15:00Z",
                   "streamToken": "ls1.acme.x"})
        );
    }

    #[test]
    fn rfc3339_formatting() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400_999), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_772_367_299_999), "2026-03-01T12:14:59Z");
        assert_eq!(rfc3339_utc(253_402_300_799_000), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn the_view_only_shows_the_person_when_complete() {
        let reference = ReferenceNumber::parse("K7QX-M4TR").unwrap();
        let to = Destination::Sms(PhoneNumber::parse("0701234567").unwrap());
        let t0 = 1_772_366_400_000;
        let mut state = LinkState::new(t0, DEFAULT_LINK_TTL_MS);
        let user = EventUser {
            personal_number: Some("811228-XXXX".into()),
            name: Some("Åsa Öberg".into()),
            ..EventUser::default()
        };
        let view = |state: &LinkState, now| {
            LinkView::new(
                reference.clone(),
                &to,
                state,
                now,
                Some("ab".repeat(16)),
                Some(Rfa::Rfa22),
                Some(user.clone()),
            )
        };
        let pending = view(&state, t0 + 1);
        assert_eq!(pending.status, LinkStatus::Pending);
        assert_eq!(pending.user, None);
        assert_eq!(pending.rfa, Some(Rfa::Rfa22));

        state.open(t0 + 2).unwrap();
        state.finish(true);
        let done = view(&state, t0 + 3);
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!({
                "reference": "K7QX-M4TR",
                "channel": "sms",
                "to": "+46 ••• •• 67",
                "status": "complete",
                "createdAt": "2026-03-01T12:00:00Z",
                "expiresAt": "2026-03-01T12:15:00Z",
                "orderId": "ab".repeat(16),
                "user": {"personalNumber": "811228-XXXX", "name": "Åsa Öberg"}
            })
        );
        let back: LinkView = serde_json::from_value(serde_json::to_value(&done).unwrap()).unwrap();
        assert_eq!(back, done);
        assert_eq!(Channel::Email.as_str(), "email");
    }

    proptest! {
        #[test]
        fn parsing_never_panics(body in any::<Vec<u8>>()) {
            if let Ok(r) = parse_create_link_request(&body) {
                let _ = r.validate(Lang::Sv);
            }
        }

        #[test]
        fn json_like_bodies_never_panic(sms in any::<bool>(), to in any::<String>(), locale in any::<Option<String>>()) {
            let channel = if sms { "sms" } else { "email" };
            let body = json!({"channel": channel, "to": to, "locale": locale});
            let r = parse_create_link_request(body.to_string().as_bytes());
            prop_assert!(r.is_ok());
            if let Ok(valid) = r.unwrap().validate(Lang::En) {
                prop_assert_eq!(valid.destination.channel().as_str(), channel);
            }
        }

        #[test]
        fn rfc3339_never_panics(ms in any::<u64>()) {
            let s = rfc3339_utc(ms);
            prop_assert!(s.ends_with('Z'));
        }
    }
}
