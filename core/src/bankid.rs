//! BankID Relying Party API v6.0: the wire types and the request rules (BANKID.md §2–§4).
//!
//! Field names are camelCase as on the wire. Every response type tolerates unknown fields, because BankID
//! adds fields in minor versions. Codes that BankID may extend (`hintCode`, `errorCode`, `status`) parse into
//! enums with an `Unknown(String)` variant, so a new code never breaks parsing and the original text survives
//! a round trip. Request validation lives here so that the edge never sends, and the simulator never accepts,
//! a request BankID would refuse.

use std::fmt;
use std::net::IpAddr;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::personal_number::PersonalNumber;

/// The path prefix of every endpoint, relative to the host.
pub const API_PREFIX: &str = "/rp/v6.0/";

/// BankID's endpoints, named by their path below [`API_PREFIX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Auth,
    Sign,
    PhoneAuth,
    PhoneSign,
    Collect,
    Cancel,
}

impl Endpoint {
    pub const ALL: [Endpoint; 6] = [
        Endpoint::Auth,
        Endpoint::Sign,
        Endpoint::PhoneAuth,
        Endpoint::PhoneSign,
        Endpoint::Collect,
        Endpoint::Cancel,
    ];

    /// The path below [`API_PREFIX`], e.g. `phone/auth`.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Auth => "auth",
            Endpoint::Sign => "sign",
            Endpoint::PhoneAuth => "phone/auth",
            Endpoint::PhoneSign => "phone/sign",
            Endpoint::Collect => "collect",
            Endpoint::Cancel => "cancel",
        }
    }

    pub fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }

    /// Whether the endpoint starts an order (and so may trigger `alreadyInProgress`).
    pub fn starts_order(self) -> bool {
        !matches!(self, Endpoint::Collect | Endpoint::Cancel)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// Declares a string enum with an `Unknown(String)` fallback that (de)serialises as its wire text.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A code this version does not know; the wire text is kept.
            Unknown(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(s) => s,
                }
            }

            pub fn parse(s: &str) -> $name {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}

open_enum! {
    /// `status` of a collect answer.
    Status {
        Pending => "pending",
        Failed => "failed",
        Complete => "complete",
    }
}

open_enum! {
    /// `hintCode` of a pending or failed collect answer (BANKID.md §4).
    HintCode {
        OutstandingTransaction => "outstandingTransaction",
        NoClient => "noClient",
        Started => "started",
        UserMrtd => "userMrtd",
        UserCallConfirm => "userCallConfirm",
        UserSign => "userSign",
        ExpiredTransaction => "expiredTransaction",
        CertificateErr => "certificateErr",
        UserCancel => "userCancel",
        Cancelled => "cancelled",
        StartFailed => "startFailed",
        UserDeclinedCall => "userDeclinedCall",
        NotSupportedByUserApp => "notSupportedByUserApp",
        TransactionRiskBlocked => "transactionRiskBlocked",
    }
}

open_enum! {
    /// `errorCode` of an error answer (BANKID.md §3).
    ErrorCode {
        AlreadyInProgress => "alreadyInProgress",
        InvalidParameters => "invalidParameters",
        Unauthorized => "unauthorized",
        NotFound => "notFound",
        MethodNotAllowed => "methodNotAllowed",
        RequestTimeout => "requestTimeout",
        UnsupportedMediaType => "unsupportedMediaType",
        TooManyRequests => "tooManyRequests",
        InternalError => "internalError",
        Maintenance => "maintenance",
    }
}

impl HintCode {
    /// Hint codes that may accompany `pending`; the rest accompany `failed`.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            HintCode::OutstandingTransaction
                | HintCode::NoClient
                | HintCode::Started
                | HintCode::UserMrtd
                | HintCode::UserCallConfirm
                | HintCode::UserSign
        )
    }
}

/// Whether a pending order's `hint` says no app has picked it up yet (`outstandingTransaction`, `noClient`:
/// BANKID.md §4): the QR code is still there to scan and a start button could still open the app. Takes the
/// wire text, so the widget need not parse hint codes to ask.
pub fn waits_for_app(hint: &str) -> bool {
    hint == HintCode::OutstandingTransaction.as_str() || hint == HintCode::NoClient.as_str()
}

impl ErrorCode {
    /// The HTTP status BankID answers with for this code.
    pub fn http_status(&self) -> u16 {
        match self {
            ErrorCode::AlreadyInProgress | ErrorCode::InvalidParameters => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::InternalError | ErrorCode::Unknown(_) => 500,
            ErrorCode::Maintenance => 503,
        }
    }

    /// Whether a client may repeat the same call later without a person deciding to (BANKID.md §3, retry
    /// guidance): only maintenance and rate limiting. `internalError` and `requestTimeout` must not be retried
    /// automatically when starting an order.
    pub fn is_transient(&self) -> bool {
        matches!(self, ErrorCode::Maintenance | ErrorCode::TooManyRequests)
    }
}

/// The error body of any 4xx/5xx answer. `details` is for developers' logs, never for users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_code: ErrorCode,
    #[serde(default)]
    pub details: String,
}

/// `requirement` of an auth or sign order (BANKID.md §2.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_code: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mrtd: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_reader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_policies: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
}

/// `web` device information for web-based relying parties.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referring_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// `app` device information for native apps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_model_name: Option<String>,
}

/// Body of `auth` and `sign` (BANKID.md §2.1). `sign` requires `user_visible_data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub end_user_ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_risk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<WebInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppInfo>,
}

/// Who placed the phone call of a phone order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CallInitiator {
    /// The user called the relying party.
    #[serde(rename = "user")]
    User,
    /// The relying party called the user.
    #[serde(rename = "RP")]
    Rp,
}

/// `requirement` of a phone order: only `pinCode` and `certificatePolicies` apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneRequirement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_code: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_policies: Option<Vec<String>>,
}

/// Body of `phone/auth` and `phone/sign` (BANKID.md §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneOrderRequest {
    pub personal_number: String,
    pub call_initiator: CallInitiator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<PhoneRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
}

/// Answer to `auth` and `sign`. `qr_start_secret` must never leave the relying party's backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    pub order_ref: String,
    pub auto_start_token: String,
    pub qr_start_token: String,
    pub qr_start_secret: String,
}

/// Answer to `phone/auth` and `phone/sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneOrderResponse {
    pub order_ref: String,
}

/// Body of `collect` and `cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefRequest {
    pub order_ref: String,
}

/// Answer to `collect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectResponse {
    pub order_ref: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_code: Option<HintCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_data: Option<CompletionData>,
}

/// What BankID tells about a completed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionData {
    pub user: User,
    pub device: DeviceInfo,
    pub bank_id_issue_date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_up: Option<StepUp>,
    pub signature: String,
    pub ocsp_response: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
}

/// The person who completed the order. Names are any Unicode text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub personal_number: String,
    pub name: String,
    pub given_name: String,
    pub surname: String,
}

/// The device the user's app ran on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub ip_address: String,
    #[serde(default)]
    pub uhi: String,
}

/// Outcome of a requested step-up. One client library types `stepUp` as a bare boolean, so both forms parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepUp {
    pub mrtd: bool,
}

impl<'de> Deserialize<'de> for StepUp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Object {
                #[serde(default)]
                mrtd: bool,
            },
            Bool(bool),
        }
        Ok(match Wire::deserialize(d)? {
            Wire::Object { mrtd } | Wire::Bool(mrtd) => StepUp { mrtd },
        })
    }
}

/// Length limits of the free-text fields, counted in base64 characters (BANKID.md §2.1).
pub mod limits {
    pub const AUTH_USER_VISIBLE_DATA: usize = 1_500;
    pub const SIGN_USER_VISIBLE_DATA: usize = 40_000;
    pub const USER_NON_VISIBLE_DATA: usize = 200_000;
    pub const WEB_USER_AGENT: usize = 256;
    pub const RETURN_URL: usize = 2_048;
}

/// The only value `userVisibleDataFormat` may take.
pub const SIMPLE_MARKDOWN_V1: &str = "simpleMarkdownV1";

/// Why BankID would refuse a request: the text becomes the `details` of an `invalidParameters` answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidParameters(pub String);

fn invalid(msg: impl Into<String>) -> InvalidParameters {
    InvalidParameters(msg.into())
}

/// Checks an `auth` (`sign == false`) or `sign` request as BankID does.
pub fn validate_order(req: &OrderRequest, sign: bool) -> Result<(), InvalidParameters> {
    if req.end_user_ip.parse::<IpAddr>().is_err() {
        return Err(invalid("Invalid endUserIp: not an IPv4 or IPv6 address"));
    }
    let visible_limit = if sign {
        limits::SIGN_USER_VISIBLE_DATA
    } else {
        limits::AUTH_USER_VISIBLE_DATA
    };
    validate_texts(
        req.user_visible_data.as_deref(),
        req.user_non_visible_data.as_deref(),
        req.user_visible_data_format.as_deref(),
        sign,
        visible_limit,
    )?;
    if let Some(r) = &req.requirement {
        validate_requirement(r)?;
    }
    if let Some(url) = &req.return_url {
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.len() > limits::RETURN_URL || url.chars().any(char::is_whitespace) {
            return Err(invalid(
                "Invalid returnUrl: must be an absolute http(s) URL",
            ));
        }
    }
    if req.web.is_some() && req.app.is_some() {
        return Err(invalid(
            "Invalid parameters: use either web or app, not both",
        ));
    }
    if let Some(ua) = req.web.as_ref().and_then(|w| w.user_agent.as_deref())
        && ua.chars().count() > limits::WEB_USER_AGENT
    {
        return Err(invalid("Invalid web.userAgent: longer than 256 characters"));
    }
    Ok(())
}

/// Checks a `phone/auth` (`sign == false`) or `phone/sign` request as BankID does.
pub fn validate_phone_order(
    req: &PhoneOrderRequest,
    sign: bool,
) -> Result<PersonalNumber, InvalidParameters> {
    let pnr = PersonalNumber::parse_api(&req.personal_number)
        .map_err(|e| invalid(format!("Invalid personalNumber: {e}")))?;
    validate_texts(
        req.user_visible_data.as_deref(),
        req.user_non_visible_data.as_deref(),
        req.user_visible_data_format.as_deref(),
        sign,
        if sign {
            limits::SIGN_USER_VISIBLE_DATA
        } else {
            limits::AUTH_USER_VISIBLE_DATA
        },
    )?;
    if let Some(policies) = req
        .requirement
        .as_ref()
        .and_then(|r| r.certificate_policies.as_ref())
    {
        validate_policies(policies)?;
    }
    Ok(pnr)
}

fn validate_texts(
    visible: Option<&str>,
    non_visible: Option<&str>,
    format: Option<&str>,
    sign: bool,
    visible_limit: usize,
) -> Result<(), InvalidParameters> {
    match visible {
        None if sign => return Err(invalid("Missing userVisibleData: required to sign")),
        None => {}
        Some(v) => {
            if v.is_empty() || v.len() > visible_limit {
                return Err(invalid(format!(
                    "Invalid userVisibleData: must be 1 to {visible_limit} base64 characters"
                )));
            }
            let bytes =
                decode_base64(v).ok_or_else(|| invalid("Invalid userVisibleData: not base64"))?;
            if std::str::from_utf8(&bytes).is_err() {
                return Err(invalid("Invalid userVisibleData: not UTF-8 text"));
            }
        }
    }
    if let Some(nv) = non_visible {
        if nv.is_empty() || nv.len() > limits::USER_NON_VISIBLE_DATA {
            return Err(invalid(
                "Invalid userNonVisibleData: must be 1 to 200000 base64 characters",
            ));
        }
        if decode_base64(nv).is_none() {
            return Err(invalid("Invalid userNonVisibleData: not base64"));
        }
    }
    if let Some(f) = format {
        if f != SIMPLE_MARKDOWN_V1 {
            return Err(invalid(
                "Invalid userVisibleDataFormat: the only value is simpleMarkdownV1",
            ));
        }
        if visible.is_none() {
            return Err(invalid(
                "Invalid userVisibleDataFormat: needs userVisibleData",
            ));
        }
    }
    Ok(())
}

fn validate_requirement(r: &Requirement) -> Result<(), InvalidParameters> {
    if let Some(reader) = &r.card_reader
        && reader != "class1"
        && reader != "class2"
    {
        return Err(invalid("Invalid requirement.cardReader: class1 or class2"));
    }
    if let Some(policies) = &r.certificate_policies {
        validate_policies(policies)?;
    }
    if let Some(pnr) = &r.personal_number {
        PersonalNumber::parse_api(pnr)
            .map_err(|e| invalid(format!("Invalid requirement.personalNumber: {e}")))?;
    }
    if let Some(risk) = &r.risk
        && !["low", "moderate"].contains(&risk.to_ascii_lowercase().as_str())
    {
        return Err(invalid("Invalid requirement.risk: low or moderate"));
    }
    Ok(())
}

/// An OID of digits and dots, with at most one `*` wildcard standing for a whole arc from the fifth on.
fn validate_policies(policies: &[String]) -> Result<(), InvalidParameters> {
    for p in policies {
        let arcs: Vec<&str> = p.split('.').collect();
        let stars = arcs.iter().filter(|a| **a == "*").count();
        let well_formed = arcs.len() >= 2
            && arcs.iter().enumerate().all(|(i, a)| {
                (*a == "*" && i >= 4) || (!a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
            });
        if !well_formed || stars > 1 {
            return Err(invalid(format!(
                "Invalid requirement.certificatePolicies: {p:?} is not an OID"
            )));
        }
    }
    Ok(())
}

/// Decodes standard base64 with padding, the form BankID documents.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Encodes text as BankID expects `userVisibleData`: base64 of its UTF-8 bytes.
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_codes_survive_a_round_trip() {
        let body: CollectResponse = serde_json::from_value(json!({
            "orderRef": "a", "status": "pending", "hintCode": "faceRecognition", "futureField": 1
        }))
        .unwrap();
        assert_eq!(
            body.hint_code,
            Some(HintCode::Unknown("faceRecognition".into()))
        );
        assert_eq!(
            serde_json::to_value(&body).unwrap()["hintCode"],
            "faceRecognition"
        );
        let err: ErrorBody = serde_json::from_value(json!({"errorCode": "quotaExceeded"})).unwrap();
        assert_eq!(err.error_code, ErrorCode::Unknown("quotaExceeded".into()));
        assert_eq!(err.error_code.http_status(), 500);
    }

    #[test]
    fn completion_data_parses_with_unicode_names_and_both_step_up_forms() {
        let data = json!({
            "user": {"personalNumber": "198112289874", "name": "Åsa Ørnulf Ämström-Lindé",
                     "givenName": "Åsa Ørnulf", "surname": "Ämström-Lindé"},
            "device": {"ipAddress": "192.0.2.1", "uhi": "x"},
            "bankIdIssueDate": "2020-01-01", "stepUp": true, "signature": "PD94", "ocspResponse": "MII="
        });
        let parsed: CompletionData = serde_json::from_value(data).unwrap();
        assert_eq!(parsed.user.surname, "Ämström-Lindé");
        assert_eq!(parsed.step_up, Some(StepUp { mrtd: true }));
        let obj: StepUp = serde_json::from_value(json!({"mrtd": false})).unwrap();
        assert!(!obj.mrtd);
    }

    #[test]
    fn call_initiator_uses_the_wire_spelling() {
        assert_eq!(serde_json::to_value(CallInitiator::Rp).unwrap(), "RP");
        assert_eq!(serde_json::to_value(CallInitiator::User).unwrap(), "user");
        assert!(serde_json::from_value::<CallInitiator>(json!("rp")).is_err());
    }

    fn auth(ip: &str) -> OrderRequest {
        OrderRequest {
            end_user_ip: ip.into(),
            ..Default::default()
        }
    }

    #[test]
    fn order_validation_accepts_ipv4_and_ipv6_and_rejects_other_text() {
        assert!(validate_order(&auth("192.0.2.1"), false).is_ok());
        assert!(validate_order(&auth("2001:db8::1"), false).is_ok());
        let err = validate_order(&auth("localhost"), false).unwrap_err();
        assert!(err.0.contains("endUserIp"));
    }

    #[test]
    fn sign_requires_user_visible_data_and_auth_does_not() {
        assert!(validate_order(&auth("192.0.2.1"), false).is_ok());
        assert!(
            validate_order(&auth("192.0.2.1"), true)
                .unwrap_err()
                .0
                .contains("userVisibleData")
        );
    }

    #[test]
    fn user_visible_data_must_be_base64_within_limits() {
        let mut r = auth("192.0.2.1");
        r.user_visible_data = Some("not base64!".into());
        assert!(validate_order(&r, false).is_err());
        r.user_visible_data = Some(encode_base64("Logga in hos Åkessons".as_bytes()));
        assert!(validate_order(&r, false).is_ok());
        r.user_visible_data = Some(encode_base64(&vec![b'a'; 1_200]));
        assert!(
            validate_order(&r, false).is_err(),
            "1 600 base64 characters exceed auth's 1 500"
        );
        assert!(validate_order(&r, true).is_ok(), "sign allows 40 000");
        r.user_visible_data_format = Some("markdown".into());
        assert!(validate_order(&r, true).is_err());
        r.user_visible_data_format = Some(SIMPLE_MARKDOWN_V1.into());
        assert!(validate_order(&r, true).is_ok());
        r.user_visible_data = None;
        assert!(
            validate_order(&r, false)
                .unwrap_err()
                .0
                .contains("needs userVisibleData")
        );
    }

    #[test]
    fn requirement_fields_are_checked() {
        let mut r = auth("192.0.2.1");
        r.requirement = Some(Requirement {
            card_reader: Some("class3".into()),
            ..Default::default()
        });
        assert!(validate_order(&r, false).is_err());
        r.requirement = Some(Requirement {
            personal_number: Some("198112289875".into()),
            ..Default::default()
        });
        assert!(
            validate_order(&r, false)
                .unwrap_err()
                .0
                .contains("personalNumber")
        );
        r.requirement = Some(Requirement {
            certificate_policies: Some(vec!["1.2.752.78.1.*".into()]),
            ..Default::default()
        });
        assert!(validate_order(&r, false).is_ok());
        r.requirement = Some(Requirement {
            certificate_policies: Some(vec!["1.*".into()]),
            ..Default::default()
        });
        assert!(
            validate_order(&r, false).is_err(),
            "a wildcard before the fifth arc"
        );
    }

    #[test]
    fn web_and_app_are_mutually_exclusive() {
        let mut r = auth("192.0.2.1");
        r.web = Some(WebInfo::default());
        r.app = Some(AppInfo::default());
        assert!(validate_order(&r, false).is_err());
    }

    #[test]
    fn phone_orders_need_a_valid_twelve_digit_personal_number() {
        let mut r = PhoneOrderRequest {
            personal_number: "198112289874".into(),
            call_initiator: CallInitiator::User,
            requirement: None,
            user_visible_data: None,
            user_non_visible_data: None,
            user_visible_data_format: None,
        };
        assert_eq!(
            validate_phone_order(&r, false).unwrap().as_str(),
            "198112289874"
        );
        assert!(
            validate_phone_order(&r, true).is_err(),
            "phone/sign needs userVisibleData"
        );
        r.personal_number = "8112289874".into();
        assert!(
            validate_phone_order(&r, false).is_err(),
            "the API takes 12 digits only"
        );
    }

    #[test]
    fn endpoints_map_to_their_paths_and_back() {
        for e in Endpoint::ALL {
            assert_eq!(Endpoint::from_path(e.path()), Some(e));
        }
        assert_eq!(Endpoint::from_path("payment"), None);
    }
}
