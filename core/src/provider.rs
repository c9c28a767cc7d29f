//! The HTTP requests that send a link: to an SMS gateway and to a transactional e-mail API, built here as
//! plain data so the edge only has to hand them to `fetch`, and tests can look at every byte.
//!
//! - **SMS**: a form POST (`application/x-www-form-urlencoded`) with HTTP basic auth and the fields `from`,
//!   `to` (E.164 with `+`) and `message`: how 46elks and the Swedish gateways modelled on it take it.
//! - **E-mail**: a JSON POST with `Authorization: Bearer <key>` and `{from, to, subject, text, html}`, the
//!   common shape of transactional e-mail APIs (Resend and similar).
//!
//! Keys arrive as [`Secret`]s, whose `Debug` is redacted, and [`ProviderRequest`]'s `Debug` redacts the
//! `Authorization` header, so neither a log line nor a test failure message can show a key.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64_STANDARD;
use serde_json::json;

use crate::email::{Email, EmailError};
use crate::message::EmailText;
use crate::phone::{PhoneNumber, PhoneNumberError};

/// A provider key or password. `Debug` shows `Secret(..)`; there is no `Display` and no `Serialize`, so
/// the only way to the text is [`Secret::expose`], which is easy to find in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret text, for building a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why a provider configuration was refused. These are operator errors, found when the edge reads its
/// configuration; the message names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderConfigError {
    #[error(
        "The provider URL {0:?} is not valid: it must be https://host/… (http:// only to 127.0.0.1, \
         localhost or [::1])."
    )]
    InvalidUrl(String),
    #[error("The SMS gateway user name must not be empty or contain ':' or control characters.")]
    InvalidUsername,
    #[error("The {0} is empty.")]
    EmptySecret(&'static str),
    #[error("{0}")]
    InvalidSender(SenderIdError),
    #[error("The e-mail sender address is not valid: {0}")]
    InvalidFromAddress(EmailError),
}

impl ProviderConfigError {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidUrl(_) => "invalid_provider_url",
            Self::InvalidUsername => "invalid_provider_username",
            Self::EmptySecret(_) => "empty_provider_secret",
            Self::InvalidSender(_) => "invalid_sender_id",
            Self::InvalidFromAddress(_) => "invalid_from_address",
        }
    }
}

/// Why an SMS sender id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SenderIdError {
    #[error("A text sender id has 3 to 11 characters; this one has {chars}.")]
    WrongLength { chars: usize },
    #[error(
        "A text sender id has only the letters A–Z, a–z and the digits 0–9 (no spaces, no å ä ö); \
         '{}' is not allowed.",
        .0.escape_debug()
    )]
    InvalidCharacter(char),
    #[error("A text sender id must start with a letter.")]
    StartsWithDigit,
    #[error("A sender phone number is not valid: {0}")]
    InvalidNumber(PhoneNumberError),
}

impl SenderIdError {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "wrong_length",
            Self::InvalidCharacter(_) => "invalid_character",
            Self::StartsWithDigit => "starts_with_digit",
            Self::InvalidNumber(_) => "invalid_number",
        }
    }
}

/// Who an SMS appears to come from: a text sender id (`AcmeBank`) or a phone number in E.164 form.
///
/// Text ids follow the rule handsets and operators actually honour (46elks' documentation): 3–11 characters
/// of `A–Z a–z 0–9`, starting with a letter. The GSM protocol would carry spaces and `åäö`, but operators
/// filter them and some handsets drop such messages, so they are refused here rather than lost there.
/// A text sender cannot receive replies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SenderId(String);

impl SenderId {
    /// Reads a sender id; text starting with `+` is a phone number.
    pub fn parse(input: &str) -> Result<SenderId, SenderIdError> {
        let input = input.trim();
        if input.starts_with('+') {
            let number = PhoneNumber::parse(input).map_err(SenderIdError::InvalidNumber)?;
            return Ok(SenderId(number.e164()));
        }
        if let Some(bad) = input.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(SenderIdError::InvalidCharacter(bad));
        }
        if !(3..=11).contains(&input.len()) {
            return Err(SenderIdError::WrongLength { chars: input.len() });
        }
        if input.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(SenderIdError::StartsWithDigit);
        }
        Ok(SenderId(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An HTTP request to a provider, ready for `fetch`. Header names are lowercase.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl ProviderRequest {
    /// The value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Shows everything except the value of `authorization`.
impl fmt::Debug for ProviderRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                if n.eq_ignore_ascii_case("authorization") {
                    (*n, "<redacted>")
                } else {
                    (*n, v.as_str())
                }
            })
            .collect();
        f.debug_struct("ProviderRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// Checks a provider endpoint: `https://` and a host, or `http://` to a loopback host for the local stack
/// (a key sent over plain HTTP anywhere else would be readable on the way).
pub fn check_provider_url(url: &str) -> Result<(), ProviderConfigError> {
    let invalid = || ProviderConfigError::InvalidUrl(url.to_owned());
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(invalid());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(invalid());
    }
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().map(|h| format!("[{h}]"))
    } else {
        authority.split(':').next().map(str::to_owned)
    }
    .unwrap_or_default();
    if host.is_empty() || host == "[]" {
        return Err(invalid());
    }
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    if secure || loopback {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// `application/x-www-form-urlencoded` serialisation (WHATWG URL standard): `A–Z a–z 0–9 * - . _` stay,
/// a space becomes `+`, every other byte of the UTF-8 text becomes `%XX`.
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    fn encode(out: &mut String, text: &str) {
        for &b in text.as_bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    out.push(char::from(b));
                }
                b' ' => out.push('+'),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    out.push('%');
                    out.push(char::from(HEX[usize::from(b >> 4)]));
                    out.push(char::from(HEX[usize::from(b & 0xF)]));
                }
            }
        }
    }
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(&mut out, name);
        out.push('=');
        encode(&mut out, value);
    }
    out
}

/// `Basic <base64(user:password)>` (RFC 7617, UTF-8).
pub fn basic_auth(username: &str, password: &Secret) -> String {
    format!(
        "Basic {}",
        B64_STANDARD.encode(format!("{username}:{}", password.expose()))
    )
}

/// An SMS gateway account, checked once when the configuration is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsGateway {
    url: String,
    username: String,
    password: Secret,
    sender: SenderId,
}

impl SmsGateway {
    /// `url` is the send endpoint, e.g. `https://api.46elks.com/a1/sms`.
    pub fn new(
        url: &str,
        username: &str,
        password: Secret,
        sender: &str,
    ) -> Result<SmsGateway, ProviderConfigError> {
        check_provider_url(url)?;
        if username.is_empty() || username.contains(':') || username.chars().any(char::is_control) {
            return Err(ProviderConfigError::InvalidUsername);
        }
        if password.is_empty() {
            return Err(ProviderConfigError::EmptySecret("SMS gateway password"));
        }
        let sender = SenderId::parse(sender).map_err(ProviderConfigError::InvalidSender)?;
        Ok(SmsGateway {
            url: url.to_owned(),
            username: username.to_owned(),
            password,
            sender,
        })
    }

    pub fn sender(&self) -> &SenderId {
        &self.sender
    }

    /// The request that sends `message` to `to` from the account's sender.
    pub fn request(&self, to: &PhoneNumber, message: &str) -> ProviderRequest {
        self.request_as(&self.sender, to, message)
    }

    /// The request that sends `message` to `to` from `sender` (a tenant's own, on the shared account).
    pub fn request_as(
        &self,
        sender: &SenderId,
        to: &PhoneNumber,
        message: &str,
    ) -> ProviderRequest {
        let body = form_urlencode(&[
            ("from", sender.as_str()),
            ("to", &to.e164()),
            ("message", message),
        ]);
        ProviderRequest {
            method: "POST",
            url: self.url.clone(),
            headers: vec![
                ("authorization", basic_auth(&self.username, &self.password)),
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("accept", "application/json".to_owned()),
            ],
            body: body.into_bytes(),
        }
    }
}

/// A transactional e-mail API account, checked once when the configuration is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailApi {
    url: String,
    key: Secret,
    from: String,
}

impl EmailApi {
    /// `url` is the send endpoint (e.g. `https://api.resend.com/emails`); `from_address` the sender address
    /// and `from_name` the name shown with it (the tenant's display name; may be empty).
    pub fn new(
        url: &str,
        key: Secret,
        from_address: &str,
        from_name: &str,
    ) -> Result<EmailApi, ProviderConfigError> {
        check_provider_url(url)?;
        if key.is_empty() {
            return Err(ProviderConfigError::EmptySecret("e-mail API key"));
        }
        let address =
            Email::parse(from_address).map_err(ProviderConfigError::InvalidFromAddress)?;
        Ok(EmailApi {
            url: url.to_owned(),
            key,
            from: mailbox(from_name, &address),
        })
    }

    /// The `from` value: `"Name" <address>` or the bare address.
    pub fn from(&self) -> &str {
        &self.from
    }

    /// The request that sends `mail` to `to`.
    pub fn request(&self, to: &Email, mail: &EmailText) -> ProviderRequest {
        let body = json!({
            "from": self.from,
            "to": to.as_str(),
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
        });
        ProviderRequest {
            method: "POST",
            url: self.url.clone(),
            headers: vec![
                ("authorization", format!("Bearer {}", self.key.expose())),
                ("content-type", "application/json".to_owned()),
                ("accept", "application/json".to_owned()),
            ],
            body: body.to_string().into_bytes(),
        }
    }
}

/// An RFC 5322 mailbox: the name in quotes (without the characters that would end the quote or the line),
/// or the bare address when there is no name.
fn mailbox(name: &str, address: &Email) -> String {
    let name: String = crate::message::clean_display_name(name)
        .chars()
        .filter(|c| !matches!(c, '"' | '\\'))
        .collect();
    let name = name.trim();
    if name.is_empty() {
        address.as_str().to_owned()
    } else {
        format!("\"{name}\" <{address}>")
    }
}

/// How long the edge waits for a provider to take a message. Gateways answer in well under a second; the
/// agent's "Send" waits on this call, and a link the provider never confirmed is erased, so a hung
/// connection ends as "try again" instead of holding the agent.
pub const SEND_TIMEOUT_MS: u64 = 10_000;

/// What a provider's HTTP status means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderOutcome {
    /// 2xx: accepted for delivery.
    Sent,
    /// 408, 429, 5xx: may succeed later; try again with back-off.
    Retry,
    /// 401, 403: our key or account is wrong; retrying will not help, an operator must act.
    Misconfigured,
    /// Any other status: the provider refused this message (e.g. a number it cannot reach).
    Rejected,
}

impl ProviderOutcome {
    pub fn from_status(status: u16) -> ProviderOutcome {
        match status {
            200..=299 => ProviderOutcome::Sent,
            408 | 429 | 500..=599 => ProviderOutcome::Retry,
            401 | 403 => ProviderOutcome::Misconfigured,
            _ => ProviderOutcome::Rejected,
        }
    }

    /// Stable snake_case identifier.
    pub fn code(self) -> &'static str {
        match self {
            ProviderOutcome::Sent => "sent",
            ProviderOutcome::Retry => "provider_unavailable",
            ProviderOutcome::Misconfigured => "provider_misconfigured",
            ProviderOutcome::Rejected => "provider_rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::email_text;
    use crate::rfa::Lang;
    use proptest::prelude::*;

    const KEY: &str = "sk_live_0123456789abcdef";
    const PASSWORD: &str = "p4ss:w0rd/ÅÄÖ";

    fn gateway() -> SmsGateway {
        SmsGateway::new(
            "https://api.46elks.com/a1/sms",
            "u0123456789abcdef",
            Secret::new(PASSWORD),
            "AcmeBank",
        )
        .unwrap()
    }

    fn mail_api() -> EmailApi {
        EmailApi::new(
            "https://api.resend.com/emails",
            Secret::new(KEY),
            "noreply@acme.se",
            "Acme Försäkring AB",
        )
        .unwrap()
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = Secret::new(KEY);
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert_eq!(s.expose(), KEY);
        let debug = format!("{:?} {:?}", gateway(), mail_api());
        assert!(!debug.contains(PASSWORD) && !debug.contains(KEY), "{debug}");
        let to = PhoneNumber::parse("070-123 45 67").unwrap();
        let req = gateway().request(&to, "hej");
        let debug = format!("{req:?}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(!debug.contains(&basic_auth("u0123456789abcdef", &Secret::new(PASSWORD))));
        let mail = email_text("Acme", "https://x.example/v/a", 15, Lang::Sv);
        let req = mail_api().request(&Email::parse("anna@example.com").unwrap(), &mail);
        let debug = format!("{req:?}");
        assert!(!debug.contains(KEY), "{debug}");
        assert!(debug.contains("anna@example.com"));
    }

    #[test]
    fn sms_request_is_a_form_post_with_basic_auth() {
        let to = PhoneNumber::parse("070-123 45 67").unwrap();
        let req = gateway().request(&to, "Hej Åsa! 100% & ok? https://x.example/v/a_b-c");
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://api.46elks.com/a1/sms");
        assert_eq!(
            req.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        // base64("u0123456789abcdef:p4ss:w0rd/ÅÄÖ") with Python.
        assert_eq!(
            req.header("authorization"),
            Some("Basic dTAxMjM0NTY3ODlhYmNkZWY6cDRzczp3MHJkL8OFw4TDlg==")
        );
        assert_eq!(
            String::from_utf8(req.body).unwrap(),
            "from=AcmeBank&to=%2B46701234567&message=Hej+%C3%85sa%21+100%25+%26+ok%3F+\
             https%3A%2F%2Fx.example%2Fv%2Fa_b-c"
        );
    }

    #[test]
    fn email_request_is_json_with_a_bearer_key() {
        let mail = email_text(
            "Acme Försäkring AB",
            "https://x.example/v/abc",
            15,
            Lang::Sv,
        );
        let req = mail_api().request(&Email::parse("Anna@Example.com").unwrap(), &mail);
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://api.resend.com/emails");
        assert_eq!(req.header("authorization"), Some(&*format!("Bearer {KEY}")));
        assert_eq!(req.header("content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["from"], "\"Acme Försäkring AB\" <noreply@acme.se>");
        assert_eq!(body["to"], "Anna@example.com");
        assert_eq!(body["subject"], mail.subject);
        assert_eq!(body["text"], mail.text);
        assert_eq!(body["html"], mail.html);
        assert_eq!(body.as_object().unwrap().len(), 5);
    }

    #[test]
    fn from_names_cannot_break_the_mailbox() {
        let api = |name: &str| {
            EmailApi::new("https://m.example/send", Secret::new("k"), "a@b.se", name)
                .unwrap()
                .from()
                .to_owned()
        };
        assert_eq!(api(""), "a@b.se");
        assert_eq!(api(" \" "), "a@b.se");
        assert_eq!(
            api("Evil\" <x@evil.example>\r\nBcc: y"),
            "\"Evil <x@evil.example> Bcc: y\" <a@b.se>"
        );
    }

    #[test]
    fn sender_ids() {
        for ok in ["Acme", "AcmeBank123", "abc", "A1b2C3d4E5f"] {
            assert_eq!(SenderId::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            SenderId::parse("+46 70 123 45 67").unwrap().as_str(),
            "+46701234567"
        );
        assert_eq!(
            SenderId::parse("AcmeBank1234"),
            Err(SenderIdError::WrongLength { chars: 12 })
        );
        assert_eq!(
            SenderId::parse("AB"),
            Err(SenderIdError::WrongLength { chars: 2 })
        );
        assert_eq!(
            SenderId::parse(""),
            Err(SenderIdError::WrongLength { chars: 0 })
        );
        assert_eq!(
            SenderId::parse("Acme Bank"),
            Err(SenderIdError::InvalidCharacter(' '))
        );
        assert_eq!(
            SenderId::parse("Försäkring"),
            Err(SenderIdError::InvalidCharacter('ö'))
        );
        assert_eq!(
            SenderId::parse("1Acme"),
            Err(SenderIdError::StartsWithDigit)
        );
        assert_eq!(
            SenderId::parse("+12"),
            Err(SenderIdError::InvalidNumber(PhoneNumberError::TooShort))
        );
        for (e, code) in [
            (SenderIdError::WrongLength { chars: 1 }, "wrong_length"),
            (SenderIdError::InvalidCharacter(' '), "invalid_character"),
            (SenderIdError::StartsWithDigit, "starts_with_digit"),
            (
                SenderIdError::InvalidNumber(PhoneNumberError::TooShort),
                "invalid_number",
            ),
        ] {
            assert_eq!(e.code(), code);
            assert!(e.to_string().ends_with('.'), "{e}");
        }
    }

    #[test]
    fn configs_are_checked() {
        let sms = |url: &str, user: &str, password: &str, sender: &str| {
            SmsGateway::new(url, user, Secret::new(password), sender).map(|_| ())
        };
        assert_eq!(sms("https://gw.example/sms", "u", "p", "Acme"), Ok(()));
        assert_eq!(
            sms("http://127.0.0.1:8790/sms/send", "u", "p", "Acme"),
            Ok(())
        );
        assert_eq!(sms("http://localhost/sms/send", "u", "p", "Acme"), Ok(()));
        assert_eq!(sms("http://[::1]:9/sms/send", "u", "p", "Acme"), Ok(()));
        for bad in [
            "http://gw.example/sms",
            "http://127.0.0.1.evil.example/sms",
            "http://localhost@evil.example/",
            "ftp://gw.example",
            "https://",
            "https:///sms",
            "https://gw.example/ sms",
            "gw.example/sms",
            "",
        ] {
            assert_eq!(
                sms(bad, "u", "p", "Acme").map_err(|e| e.code()),
                Err("invalid_provider_url"),
                "{bad:?}"
            );
        }
        assert_eq!(
            sms("https://gw.example", "", "p", "Acme"),
            Err(ProviderConfigError::InvalidUsername)
        );
        assert_eq!(
            sms("https://gw.example", "a:b", "p", "Acme"),
            Err(ProviderConfigError::InvalidUsername)
        );
        assert_eq!(
            sms("https://gw.example", "u", "", "Acme").map_err(|e| e.code()),
            Err("empty_provider_secret")
        );
        assert_eq!(
            sms("https://gw.example", "u", "p", "Acme Bank").map_err(|e| e.code()),
            Err("invalid_sender_id")
        );
        let mail = |key: &str, from: &str| {
            EmailApi::new("https://m.example/send", Secret::new(key), from, "Acme").map(|_| ())
        };
        assert_eq!(mail("k", "noreply@acme.se"), Ok(()));
        assert_eq!(
            mail("", "noreply@acme.se").map_err(|e| e.code()),
            Err("empty_provider_secret")
        );
        assert_eq!(
            mail("k", "noreply").map_err(|e| e.code()),
            Err("invalid_from_address")
        );
        for e in [
            ProviderConfigError::InvalidUrl("x".into()),
            ProviderConfigError::InvalidUsername,
            ProviderConfigError::EmptySecret("e-mail API key"),
        ] {
            assert!(e.to_string().ends_with('.'), "{e}");
        }
    }

    #[test]
    fn form_encoding_follows_whatwg() {
        assert_eq!(form_urlencode(&[]), "");
        assert_eq!(form_urlencode(&[("a", "")]), "a=");
        assert_eq!(form_urlencode(&[("a b", "c+d")]), "a+b=c%2Bd");
        assert_eq!(form_urlencode(&[("x", "*-._~")]), "x=*-._%7E");
        assert_eq!(form_urlencode(&[("x", "€\n")]), "x=%E2%82%AC%0A");
        assert_eq!(form_urlencode(&[("a", "1"), ("b", "2")]), "a=1&b=2");
    }

    #[test]
    fn statuses_are_classified() {
        for (status, outcome) in [
            (200, ProviderOutcome::Sent),
            (202, ProviderOutcome::Sent),
            (400, ProviderOutcome::Rejected),
            (404, ProviderOutcome::Rejected),
            (401, ProviderOutcome::Misconfigured),
            (403, ProviderOutcome::Misconfigured),
            (408, ProviderOutcome::Retry),
            (429, ProviderOutcome::Retry),
            (500, ProviderOutcome::Retry),
            (503, ProviderOutcome::Retry),
            (0, ProviderOutcome::Rejected),
            (301, ProviderOutcome::Rejected),
        ] {
            assert_eq!(ProviderOutcome::from_status(status), outcome, "{status}");
        }
        assert_eq!(ProviderOutcome::Retry.code(), "provider_unavailable");
    }

    /// The inverse of [`form_urlencode`], only for the round-trip property.
    fn form_decode(s: &str) -> Vec<(String, String)> {
        fn decode(part: &str) -> String {
            let bytes = part.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'+' => out.push(b' '),
                    b'%' => {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                        out.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 2;
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            String::from_utf8(out).unwrap()
        }
        if s.is_empty() {
            return vec![];
        }
        s.split('&')
            .map(|pair| {
                let (n, v) = pair.split_once('=').unwrap();
                (decode(n), decode(v))
            })
            .collect()
    }

    proptest! {
        #[test]
        fn form_encoding_round_trips(pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..4)) {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let encoded = form_urlencode(&borrowed);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_graphic()));
            prop_assert_eq!(form_decode(&encoded), pairs);
        }

        #[test]
        fn config_checks_never_panic(url in any::<String>(), sender in any::<String>(), user in any::<String>()) {
            let _ = check_provider_url(&url);
            let _ = SenderId::parse(&sender);
            let _ = SmsGateway::new(&url, &user, Secret::new("p"), &sender);
            let _ = EmailApi::new(&url, Secret::new("k"), &sender, &user);
        }

        #[test]
        fn sender_ids_that_parse_are_short_and_plain(s in "[ -~]{0,14}") {
            if let Ok(id) = SenderId::parse(&s) {
                let id = id.as_str();
                prop_assert!(id.starts_with('+') || (3..=11).contains(&id.len()));
                prop_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'));
            }
        }
    }
}
