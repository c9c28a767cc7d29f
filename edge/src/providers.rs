//! Sending a verification link: an SMS gateway and a transactional e-mail API behind one trait
//! ([`Messenger`]). `legit_core::provider` builds each request as data; this module picks the provider for
//! the destination, reads their settings from the Worker's vars and secrets, and hands the request to
//! `fetch`.
//!
//! Settings (vars, keys as secrets):
//!
//! | name | what |
//! |---|---|
//! | `SMS_GATEWAY_URL` | the gateway's send endpoint, e.g. `https://api.46elks.com/a1/sms` |
//! | `SMS_USERNAME` | the gateway's API user name (basic auth) |
//! | `SMS_PASSWORD` | secret: the gateway's API password |
//! | `SMS_SENDER` | the sender id: 3–11 letters and digits, or a `+46…` number; a tenant's `smsSender` overrides it |
//! | `EMAIL_API_URL` | the e-mail API's send endpoint, e.g. `https://api.resend.com/emails` |
//! | `EMAIL_API_KEY` | secret: its bearer key |
//! | `EMAIL_FROM` | the sender address, shown with the tenant's display name; a tenant's `emailFrom` overrides it |
//!
//! A channel with none of its settings is off; a channel with some but not all, or a wrong one, is
//! misconfigured. Either way `POST /api/v1/links` for it answers 503 `links_not_configured`, and the rest
//! of the edge works on.

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{Either, select};
use legit_core::Lang;
use legit_core::email::Email;
use legit_core::links_api::Destination;
use legit_core::message::{email_text, sms_text};
use legit_core::provider::{
    EmailApi, ProviderConfigError, ProviderOutcome, ProviderRequest, SEND_TIMEOUT_MS, Secret,
    SenderId, SmsGateway,
};
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

use crate::error::ApiError;

pub const SMS_GATEWAY_URL: &str = "SMS_GATEWAY_URL";
pub const SMS_USERNAME: &str = "SMS_USERNAME";
/// Secret.
pub const SMS_PASSWORD: &str = "SMS_PASSWORD";
pub const SMS_SENDER: &str = "SMS_SENDER";
pub const EMAIL_API_URL: &str = "EMAIL_API_URL";
/// Secret.
pub const EMAIL_API_KEY: &str = "EMAIL_API_KEY";
pub const EMAIL_FROM: &str = "EMAIL_FROM";

/// One channel's state after reading the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting<T> {
    Off,
    Misconfigured(String),
    On(T),
}

/// The e-mail API settings; the sender's name is the tenant's, so the [`EmailApi`] is built per message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSender {
    url: String,
    key: Secret,
    from: String,
}

/// Both channels, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Providers {
    pub sms: Setting<SmsGateway>,
    pub email: Setting<EmailSender>,
}

impl Default for Providers {
    fn default() -> Self {
        Providers {
            sms: Setting::Off,
            email: Setting::Off,
        }
    }
}

/// What a link message says.
#[derive(Debug, Clone, Copy)]
pub struct LinkMessage<'a> {
    pub display_name: &'a str,
    pub url: &'a str,
    pub ttl_minutes: u64,
    pub lang: Lang,
    /// The tenant's own SMS sender, if it has one.
    pub sms_sender: Option<&'a SenderId>,
    /// The tenant's own e-mail address, if it has one.
    pub email_from: Option<&'a Email>,
}

/// A provider that turns a link message for a destination into the HTTP request that sends it. `None`
/// when the destination is not of this provider's channel.
pub trait Messenger {
    fn request(
        &self,
        to: &Destination,
        message: &LinkMessage<'_>,
    ) -> Result<Option<ProviderRequest>, ApiError>;
}

impl Messenger for SmsGateway {
    fn request(
        &self,
        to: &Destination,
        message: &LinkMessage<'_>,
    ) -> Result<Option<ProviderRequest>, ApiError> {
        let Destination::Sms(number) = to else {
            return Ok(None);
        };
        let text = sms_text(
            message.display_name,
            message.url,
            message.ttl_minutes,
            message.lang,
        );
        let sender = message.sms_sender.unwrap_or(self.sender());
        Ok(Some(self.request_as(sender, number, &text.text)))
    }
}

impl Messenger for EmailSender {
    fn request(
        &self,
        to: &Destination,
        message: &LinkMessage<'_>,
    ) -> Result<Option<ProviderRequest>, ApiError> {
        let Destination::Email(address) = to else {
            return Ok(None);
        };
        let from = message.email_from.map_or(self.from.as_str(), Email::as_str);
        let api = EmailApi::new(&self.url, self.key.clone(), from, message.display_name)
            .map_err(|e| ApiError::LinksNotConfigured(e.to_string()))?;
        let mail = email_text(
            message.display_name,
            message.url,
            message.ttl_minutes,
            message.lang,
        );
        Ok(Some(api.request(address, &mail)))
    }
}

impl Providers {
    /// Reads both channels; `get` answers a var or secret by name.
    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Providers {
        let read = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let sms = [SMS_GATEWAY_URL, SMS_USERNAME, SMS_PASSWORD, SMS_SENDER].map(read);
        let sms = match sms {
            [None, None, None, None] => Setting::Off,
            [Some(url), Some(user), Some(password), Some(sender)] => {
                match SmsGateway::new(&url, &user, Secret::new(password), &sender) {
                    Ok(g) => Setting::On(g),
                    Err(e) => Setting::Misconfigured(describe(e)),
                }
            }
            _ => Setting::Misconfigured(format!(
                "set all of {SMS_GATEWAY_URL}, {SMS_USERNAME}, {SMS_PASSWORD} and {SMS_SENDER}"
            )),
        };
        let email = match [EMAIL_API_URL, EMAIL_API_KEY, EMAIL_FROM].map(read) {
            [None, None, None] => Setting::Off,
            [Some(url), Some(key), Some(from)] => {
                // Checked once here with no name; the tenant's name is added per message.
                match EmailApi::new(&url, Secret::new(key.clone()), &from, "") {
                    Ok(_) => Setting::On(EmailSender {
                        url,
                        key: Secret::new(key),
                        from,
                    }),
                    Err(e) => Setting::Misconfigured(describe(e)),
                }
            }
            _ => Setting::Misconfigured(format!(
                "set all of {EMAIL_API_URL}, {EMAIL_API_KEY} and {EMAIL_FROM}"
            )),
        };
        Providers { sms, email }
    }

    /// The request that sends `message` to `to`, through the provider of its channel.
    pub fn request(
        &self,
        to: &Destination,
        message: &LinkMessage<'_>,
    ) -> Result<ProviderRequest, ApiError> {
        let (setting, channel): (Setting<&dyn Messenger>, &str) = match to {
            Destination::Sms(_) => (as_messenger(&self.sms), "SMS"),
            Destination::Email(_) => (as_messenger(&self.email), "e-mail"),
        };
        match setting {
            Setting::On(m) => m.request(to, message)?.ok_or_else(|| {
                ApiError::Runtime(format!("the {channel} provider took another channel"))
            }),
            Setting::Off => Err(ApiError::LinksNotConfigured(format!(
                "no {channel} provider is configured"
            ))),
            Setting::Misconfigured(why) => Err(ApiError::LinksNotConfigured(format!(
                "the {channel} provider is misconfigured: {why}"
            ))),
        }
    }

    /// For `/healthz`: `off`, `misconfigured` or `on` per channel.
    pub fn summary(&self) -> (&'static str, &'static str) {
        fn word<T>(s: &Setting<T>) -> &'static str {
            match s {
                Setting::Off => "off",
                Setting::Misconfigured(_) => "misconfigured",
                Setting::On(_) => "on",
            }
        }
        (word(&self.sms), word(&self.email))
    }
}

fn as_messenger<T: Messenger>(s: &Setting<T>) -> Setting<&dyn Messenger> {
    match s {
        Setting::Off => Setting::Off,
        Setting::Misconfigured(why) => Setting::Misconfigured(why.clone()),
        Setting::On(m) => Setting::On(m),
    }
}

/// The setting's complaint with its stable code; it never holds a key.
fn describe(e: ProviderConfigError) -> String {
    format!("{} ({})", e, e.code())
}

/// Sends the request. The answer body is not read into any message: a provider may echo the number.
pub async fn send(request: &ProviderRequest) -> Result<(), ApiError> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(request.method.to_owned()))
        .with_headers(headers)
        .with_body(Some(
            worker::js_sys::Uint8Array::from(request.body.as_slice()).into(),
        ));
    let req = Request::new_with_init(&request.url, &init)?;
    // Past the limit the message counts as not sent (the caller erases the link), though the provider may
    // still deliver it: a dead link in an SMS is better than an agent left waiting with no reference. The
    // abandoned request is dropped, not aborted, as in `bankid.rs`.
    let fetch = Fetch::Request(req);
    let exchange = fetch.send();
    let timeout = Delay::from(Duration::from_millis(SEND_TIMEOUT_MS));
    let resp = match select(pin!(exchange), timeout).await {
        Either::Left((answer, _)) => answer
            .map_err(|e| ApiError::Provider(ProviderOutcome::Retry, format!("no answer: {e}")))?,
        Either::Right(_) => {
            return Err(ApiError::Provider(
                ProviderOutcome::Retry,
                format!("no answer within {SEND_TIMEOUT_MS} ms"),
            ));
        }
    };
    match ProviderOutcome::from_status(resp.status_code()) {
        ProviderOutcome::Sent => Ok(()),
        outcome => Err(ApiError::Provider(
            outcome,
            format!("answered {}", resp.status_code()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use legit_core::PhoneNumber;
    use legit_core::email::Email;
    use std::collections::HashMap;

    fn providers(vars: &[(&str, &str)]) -> Providers {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Providers::from_settings(|name| map.get(name).cloned())
    }

    const ALL: [(&str, &str); 7] = [
        (SMS_GATEWAY_URL, "http://127.0.0.1:9/sms/send"),
        (SMS_USERNAME, "legit"),
        (SMS_PASSWORD, "pw-secret"),
        (SMS_SENDER, "Legit"),
        (EMAIL_API_URL, "http://127.0.0.1:9/email/send"),
        (EMAIL_API_KEY, "key-secret"),
        (EMAIL_FROM, "noreply@legit.example"),
    ];

    fn message() -> LinkMessage<'static> {
        LinkMessage {
            display_name: "Demo Försäkring",
            url: "https://id.example/v/AAAAAAAAAAAAAAAAAAAAAA",
            ttl_minutes: 15,
            lang: Lang::Sv,
            sms_sender: None,
            email_from: None,
        }
    }

    #[test]
    fn a_tenant_with_its_own_sender_sends_as_itself() {
        let p = providers(&ALL);
        let sender = SenderId::parse("AcmeBank").unwrap();
        let address = Email::parse("kundtjanst@acme.se").unwrap();
        let own = LinkMessage {
            sms_sender: Some(&sender),
            email_from: Some(&address),
            ..message()
        };
        let from = |to: Destination, message: &LinkMessage<'_>| {
            let req = p.request(&to, message).unwrap();
            let body = String::from_utf8(req.body).unwrap();
            match to {
                Destination::Sms(_) => body.split('&').next().unwrap().to_owned(),
                Destination::Email(_) => serde_json::from_str::<serde_json::Value>(&body).unwrap()
                    ["from"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            }
        };
        let sms = || Destination::Sms(PhoneNumber::parse("0701234567").unwrap());
        let mail = || Destination::Email(Email::parse("anna@example.com").unwrap());
        assert_eq!(from(sms(), &own), "from=AcmeBank");
        assert_eq!(
            from(mail(), &own),
            "\"Demo Försäkring\" <kundtjanst@acme.se>"
        );
        // Without its own, the deployment's.
        assert_eq!(from(sms(), &message()), "from=Legit");
        assert_eq!(
            from(mail(), &message()),
            "\"Demo Försäkring\" <noreply@legit.example>"
        );
    }

    #[test]
    fn each_destination_goes_to_its_own_provider() {
        let p = providers(&ALL);
        assert_eq!(p.summary(), ("on", "on"));
        let sms = p
            .request(
                &Destination::Sms(PhoneNumber::parse("0701234567").unwrap()),
                &message(),
            )
            .unwrap();
        assert_eq!(sms.url, "http://127.0.0.1:9/sms/send");
        assert!(sms.header("authorization").unwrap().starts_with("Basic "));
        let body = String::from_utf8(sms.body).unwrap();
        assert!(body.contains("to=%2B46701234567"), "{body}");
        let mail = p
            .request(
                &Destination::Email(Email::parse("anna@example.com").unwrap()),
                &message(),
            )
            .unwrap();
        assert_eq!(mail.url, "http://127.0.0.1:9/email/send");
        assert_eq!(mail.header("authorization"), Some("Bearer key-secret"));
        let body: serde_json::Value = serde_json::from_slice(&mail.body).unwrap();
        assert_eq!(body["from"], "\"Demo Försäkring\" <noreply@legit.example>");
        assert!(body["text"].as_str().unwrap().contains(message().url));
    }

    #[test]
    fn without_settings_links_are_not_configured() {
        let p = providers(&[]);
        assert_eq!(p.summary(), ("off", "off"));
        let e = p
            .request(
                &Destination::Sms(PhoneNumber::parse("0701234567").unwrap()),
                &message(),
            )
            .unwrap_err();
        assert_eq!((e.status(), e.code()), (503, "links_not_configured"));
    }

    #[test]
    fn half_a_configuration_is_misconfigured_and_names_what_is_missing() {
        let p = providers(&ALL[..3]);
        assert_eq!(p.summary(), ("misconfigured", "off"));
        let Setting::Misconfigured(why) = &p.sms else {
            panic!("{p:?}")
        };
        assert!(why.contains(SMS_SENDER), "{why}");
        let p = providers(&[
            (SMS_GATEWAY_URL, "http://sms.example/send"),
            (SMS_USERNAME, "u"),
            (SMS_PASSWORD, "pw-secret"),
            (SMS_SENDER, "Legit"),
        ]);
        let Setting::Misconfigured(why) = &p.sms else {
            panic!("{p:?}")
        };
        assert!(why.contains("invalid_provider_url"), "{why}");
        assert!(!format!("{p:?}").contains("pw-secret"));
    }
}
