//! The IVR API (DESIGN.md §3, §4): the JSON a call-flow platform sends and receives, the call id rules, and
//! the sentences it reads to the caller with text-to-speech, in Swedish, English and bokmål.
//!
//! `POST /api/v1/ivr/orders` `{personalNumber, callId, callInitiator?}` starts a phone order;
//! `GET /api/v1/ivr/orders/{id}?wait=25` long-polls and answers [`IvrAnswer`]:
//! `{orderId, callId, status, sentence: {sv, en, nb}, personalNumber}` with the masked personal number.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::api::{FailReason, OrderEvent, OrderKind, OrderStatus};
use crate::bankid::{CallInitiator, HintCode};
use crate::date::Date;
use crate::personal_number::{PersonalNumber, PersonalNumberError};
use crate::rfa::Lang;

/// The longest call id accepted. Call-flow platforms use UUIDs (36) or SIP Call-IDs (often 30–50).
pub const MAX_CALL_ID_LEN: usize = 64;

/// The longest long-poll the edge holds (`?wait=`); larger values are capped, so an IVR written for
/// another limit still works. Below the usual 30 s HTTP timeouts of call-flow platforms.
pub const MAX_WAIT_SECS: u64 = 25;

/// Why a call id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallIdError {
    #[error("\"callId\" must not be empty.")]
    Empty,
    #[error("\"callId\" has at most 64 characters; this one has {chars}.")]
    TooLong { chars: usize },
    #[error(
        "\"callId\" may only contain printable ASCII characters (no spaces); '{}' is not allowed.",
        .0.escape_debug()
    )]
    InvalidCharacter(char),
}

impl CallIdError {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong { .. } => "too_long",
            Self::InvalidCharacter(_) => "invalid_character",
        }
    }
}

/// The IVR's own id for the phone call: 1–64 printable ASCII characters (`!`–`~`), compared exactly.
///
/// The same call id twice starts nothing new (the edge answers with the first order), so it must be
/// stable for one call and distinct between calls; its content is the platform's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CallId(String);

impl CallId {
    pub fn parse(input: &str) -> Result<CallId, CallIdError> {
        if input.is_empty() {
            return Err(CallIdError::Empty);
        }
        if let Some(bad) = input.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(CallIdError::InvalidCharacter(bad));
        }
        if input.len() > MAX_CALL_ID_LEN {
            return Err(CallIdError::TooLong { chars: input.len() });
        }
        Ok(CallId(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Body of `POST /api/v1/ivr/orders`, as received. [`parse_ivr_order_request`] reads it and
/// [`IvrOrderRequest::validate`] checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IvrOrderRequest {
    /// As the caller typed it on the keypad: any form [`PersonalNumber::parse`] accepts.
    pub personal_number: String,
    pub call_id: String,
    /// Who placed the call; the customer calling in (`"user"`) unless the IVR says otherwise.
    #[serde(default = "customer_called")]
    pub call_initiator: CallInitiator,
}

fn customer_called() -> CallInitiator {
    CallInitiator::User
}

/// Why an IVR start request was refused (400). `Display` is an English sentence for the IVR developer;
/// [`IvrRequestError::code`] is the stable key and [`IvrRequestError::field`] names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IvrRequestError {
    #[error("The request body must be a JSON object: {0}")]
    InvalidBody(String),
    #[error("\"personalNumber\" is missing.")]
    MissingPersonalNumber,
    #[error("\"callId\" is missing.")]
    MissingCallId,
    #[error("\"callInitiator\" must be \"user\" (the customer called) or \"RP\" (we called).")]
    InvalidCallInitiator,
    #[error("{0}")]
    InvalidPersonalNumber(PersonalNumberError),
    #[error("{0}")]
    InvalidCallId(CallIdError),
    #[error("\"wait\" must be a whole number of seconds, like wait=25.")]
    InvalidWait,
}

impl IvrRequestError {
    /// Stable snake_case identifier.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidBody(_) => "invalid_body",
            Self::MissingPersonalNumber => "missing_personal_number",
            Self::MissingCallId => "missing_call_id",
            Self::InvalidCallInitiator => "invalid_call_initiator",
            Self::InvalidPersonalNumber(_) => "invalid_personal_number",
            Self::InvalidCallId(_) => "invalid_call_id",
            Self::InvalidWait => "invalid_wait",
        }
    }

    /// The request field the error is about, if one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::InvalidBody(_) => None,
            Self::MissingPersonalNumber | Self::InvalidPersonalNumber(_) => Some("personalNumber"),
            Self::MissingCallId | Self::InvalidCallId(_) => Some("callId"),
            Self::InvalidCallInitiator => Some("callInitiator"),
            Self::InvalidWait => Some("wait"),
        }
    }
}

/// Reads the body of `POST /api/v1/ivr/orders`. Missing fields and a wrong `callInitiator` get their own
/// codes before serde sees the body, so that the IVR developer reads what is wrong.
pub fn parse_ivr_order_request(body: &[u8]) -> Result<IvrOrderRequest, IvrRequestError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| IvrRequestError::InvalidBody(e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| IvrRequestError::InvalidBody("not an object".into()))?;
    match obj.get("personalNumber") {
        None | Some(serde_json::Value::Null) => {
            return Err(IvrRequestError::MissingPersonalNumber);
        }
        Some(serde_json::Value::String(_)) => {}
        Some(_) => {
            return Err(IvrRequestError::InvalidBody(
                "\"personalNumber\" must be a string".into(),
            ));
        }
    }
    match obj.get("callId") {
        None | Some(serde_json::Value::Null) => return Err(IvrRequestError::MissingCallId),
        Some(serde_json::Value::String(_)) => {}
        Some(_) => {
            return Err(IvrRequestError::InvalidBody(
                "\"callId\" must be a string".into(),
            ));
        }
    }
    let mut value = value;
    if let Some(obj) = value.as_object_mut() {
        match obj.get("callInitiator") {
            Some(serde_json::Value::Null) => {
                obj.remove("callInitiator");
            }
            None => {}
            Some(serde_json::Value::String(s)) if s == "user" || s == "RP" => {}
            Some(_) => return Err(IvrRequestError::InvalidCallInitiator),
        }
    }
    serde_json::from_value(value).map_err(|e| IvrRequestError::InvalidBody(e.to_string()))
}

/// A checked IVR start request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidIvrOrder {
    pub personal_number: PersonalNumber,
    pub call_id: CallId,
    pub call_initiator: CallInitiator,
}

impl IvrOrderRequest {
    /// Checks the personal number (`today` is Sweden's date, for 10-digit numbers) and the call id.
    pub fn validate(&self, today: Date) -> Result<ValidIvrOrder, IvrRequestError> {
        let personal_number = PersonalNumber::parse(&self.personal_number, today)
            .map_err(IvrRequestError::InvalidPersonalNumber)?;
        let call_id = CallId::parse(&self.call_id).map_err(IvrRequestError::InvalidCallId)?;
        Ok(ValidIvrOrder {
            personal_number,
            call_id,
            call_initiator: self.call_initiator,
        })
    }
}

/// Reads `?wait=` of the long-poll: absent means answer at once, larger than [`MAX_WAIT_SECS`] is capped.
pub fn parse_wait(value: Option<&str>) -> Result<u64, IvrRequestError> {
    match value {
        None => Ok(0),
        Some(text) => {
            let text = text.trim();
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(IvrRequestError::InvalidWait);
            }
            // Only digits: an overflow is a huge number, which is capped like any other.
            Ok(text.parse::<u64>().unwrap_or(u64::MAX).min(MAX_WAIT_SECS))
        }
    }
}

/// `status` of an IVR answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IvrStatus {
    Pending,
    Complete,
    Failed,
}

/// Why an IVR order failed, as far as the caller needs to hear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IvrFailure {
    /// The caller cancelled in the BankID app (`userCancel`).
    UserCancelled,
    /// The caller answered in the app that they are not on a call with us (`userDeclinedCall`).
    UserDeclinedCall,
    /// Not done in time (`expiredTransaction`).
    TimedOut,
    /// The app did not start (`startFailed`).
    StartFailed,
    /// Another order for the same personal number was going on (`alreadyInProgress`), or a newer one
    /// replaced this one (`cancelled`).
    AlreadyInProgress,
    /// The order was cancelled by us or the agent.
    Cancelled,
    /// The caller's BankID is blocked or too old (`certificateErr`): trying again cannot help, another
    /// BankID can (BANKID.md §8, RFA16).
    Blocked,
    /// Anything else: an edge or BankID fault, an unknown code.
    Other,
}

impl IvrFailure {
    /// From what ended the order: BankID's hint code on a failed collect, else the error code (BankID's
    /// start `errorCode`, or the edge's own [`crate::api::FailReason`] code).
    pub fn from_codes(hint_code: Option<&str>, error_code: Option<&str>) -> IvrFailure {
        // Our own cancel carries BankID's `cancelled` hint as well (`OrderEvent::failed`); only the error
        // code tells it from a newer order replacing this one.
        if error_code == Some(FailReason::Cancelled.code()) {
            return IvrFailure::Cancelled;
        }
        if let Some(hint) = hint_code {
            return match HintCode::parse(hint) {
                HintCode::UserCancel => IvrFailure::UserCancelled,
                HintCode::UserDeclinedCall => IvrFailure::UserDeclinedCall,
                HintCode::ExpiredTransaction => IvrFailure::TimedOut,
                HintCode::StartFailed => IvrFailure::StartFailed,
                HintCode::Cancelled => IvrFailure::AlreadyInProgress,
                HintCode::CertificateErr => IvrFailure::Blocked,
                _ => IvrFailure::Other,
            };
        }
        match error_code {
            Some("alreadyInProgress" | ALREADY_IN_PROGRESS) => IvrFailure::AlreadyInProgress,
            _ => IvrFailure::Other,
        }
    }

    /// Stable snake_case identifier.
    pub fn code(self) -> &'static str {
        match self {
            IvrFailure::UserCancelled => "user_cancelled",
            IvrFailure::UserDeclinedCall => "user_declined_call",
            IvrFailure::TimedOut => "timed_out",
            IvrFailure::StartFailed => "start_failed",
            IvrFailure::AlreadyInProgress => "already_in_progress",
            IvrFailure::Cancelled => "cancelled",
            IvrFailure::Blocked => "blocked",
            IvrFailure::Other => "failed",
        }
    }

    fn sentence(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (IvrFailure::UserCancelled, Lang::Sv) => {
                "Identifieringen misslyckades eftersom den avbröts i BankID-appen."
            }
            (IvrFailure::UserCancelled, Lang::En) => {
                "Identification failed because it was cancelled in the BankID app."
            }
            (IvrFailure::UserDeclinedCall, Lang::Sv) => {
                "Identifieringen misslyckades eftersom du svarade i BankID-appen att du inte pratar med oss."
            }
            (IvrFailure::UserDeclinedCall, Lang::En) => {
                "Identification failed because you answered in the BankID app that you are not talking to us."
            }
            (IvrFailure::TimedOut, Lang::Sv) => {
                "Identifieringen misslyckades eftersom tiden gick ut. Försök igen."
            }
            (IvrFailure::TimedOut, Lang::En) => {
                "Identification failed because the time ran out. Please try again."
            }
            (IvrFailure::StartFailed, Lang::Sv) => {
                "Identifieringen misslyckades eftersom BankID-appen inte startade. Försök igen."
            }
            (IvrFailure::StartFailed, Lang::En) => {
                "Identification failed because the BankID app did not start. Please try again."
            }
            (IvrFailure::AlreadyInProgress, Lang::Sv) => {
                "Identifieringen misslyckades eftersom en annan identifiering pågick för samma \
                 personnummer. Försök igen."
            }
            (IvrFailure::AlreadyInProgress, Lang::En) => {
                "Identification failed because another identification was in progress for the same \
                 personal identity number. Please try again."
            }
            (IvrFailure::Cancelled, Lang::Sv) => "Identifieringen avbröts.",
            (IvrFailure::Cancelled, Lang::En) => "Identification was cancelled.",
            (IvrFailure::Blocked, Lang::Sv) => {
                "Identifieringen misslyckades eftersom ditt BankID är spärrat eller för gammalt. Använd ett \
                 annat BankID eller skaffa ett nytt hos din bank."
            }
            (IvrFailure::Blocked, Lang::En) => {
                "Identification failed because your BankID is blocked or too old. Please use another \
                 BankID or get a new one from your bank."
            }
            (IvrFailure::Other, Lang::Sv) => "Identifieringen misslyckades. Försök igen.",
            (IvrFailure::Other, Lang::En) => "Identification failed. Please try again.",
            (IvrFailure::UserCancelled, Lang::Nb) => {
                "Identifiseringen mislyktes fordi den ble avbrutt i BankID-appen."
            }
            (IvrFailure::UserDeclinedCall, Lang::Nb) => {
                "Identifiseringen mislyktes fordi du svarte i BankID-appen at du ikke snakker med oss."
            }
            (IvrFailure::TimedOut, Lang::Nb) => {
                "Identifiseringen mislyktes fordi tiden gikk ut. Prøv igjen."
            }
            (IvrFailure::StartFailed, Lang::Nb) => {
                "Identifiseringen mislyktes fordi BankID-appen ikke startet. Prøv igjen."
            }
            (IvrFailure::AlreadyInProgress, Lang::Nb) => {
                "Identifiseringen mislyktes fordi en annen identifisering pågikk for det samme \
                 personnummeret. Prøv igjen."
            }
            (IvrFailure::Cancelled, Lang::Nb) => "Identifiseringen ble avbrutt.",
            (IvrFailure::Blocked, Lang::Nb) => {
                "Identifiseringen mislyktes fordi BankID-en din er sperret eller for gammel. Bruk en \
                 annen BankID eller skaff deg en ny hos banken din."
            }
            (IvrFailure::Other, Lang::Nb) => "Identifiseringen mislyktes. Prøv igjen.",
        }
    }
}

/// Where an IVR order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IvrOutcome {
    Pending,
    Complete,
    Failed(IvrFailure),
}

impl IvrOutcome {
    /// The outcome an order event stands for.
    pub fn from_event(event: &OrderEvent) -> IvrOutcome {
        match event.status {
            OrderStatus::Pending => IvrOutcome::Pending,
            OrderStatus::Complete => IvrOutcome::Complete,
            OrderStatus::Failed => IvrOutcome::Failed(IvrFailure::from_codes(
                event.hint_code.as_deref(),
                event.error_code.as_deref(),
            )),
        }
    }

    pub fn status(self) -> IvrStatus {
        match self {
            IvrOutcome::Pending => IvrStatus::Pending,
            IvrOutcome::Complete => IvrStatus::Complete,
            IvrOutcome::Failed(_) => IvrStatus::Failed,
        }
    }

    /// The sentence to read to the caller. `masked` is the personal number as
    /// [`PersonalNumber::masked`] shows it (`YYMMDD-XXXX`); only the complete sentence uses it.
    pub fn sentence(self, lang: Lang, masked: &str) -> String {
        match (self, lang) {
            (IvrOutcome::Pending, Lang::Sv) => {
                "Identifieringen pågår. Öppna BankID-appen och följ anvisningarna.".to_owned()
            }
            (IvrOutcome::Pending, Lang::En) => {
                "Identification in progress. Open the BankID app and follow the instructions."
                    .to_owned()
            }
            (IvrOutcome::Complete, Lang::Sv) => {
                format!("Identifieringen lyckades för personnummer {masked}.")
            }
            (IvrOutcome::Complete, Lang::En) => {
                format!("Identification successful for personal identity number {masked}.")
            }
            (IvrOutcome::Pending, Lang::Nb) => {
                "Identifiseringen pågår. Åpne BankID-appen og følg instruksjonene.".to_owned()
            }
            (IvrOutcome::Complete, Lang::Nb) => {
                format!("Identifiseringen lyktes for personnummer {masked}.")
            }
            (IvrOutcome::Failed(why), lang) => why.sentence(lang).to_owned(),
        }
    }
}

/// `errorCode` of an order the edge recorded as refused by BankID with `alreadyInProgress`.
pub const ALREADY_IN_PROGRESS: &str = "already_in_progress";

/// The final state of an IVR order that BankID refused with `alreadyInProgress` (BANKID.md §3: "No order is
/// created", and the person's other order is ended). Recording it as an order of its own lets the call's
/// answer stay the same on every retry, so nobody restarts an order by repeating the request.
pub fn already_in_progress_event(order_id: &str, kind: OrderKind) -> OrderEvent {
    OrderEvent {
        order_id: order_id.to_owned(),
        kind,
        status: OrderStatus::Failed,
        hint_code: None,
        rfa: Some(crate::rfa::Rfa::Rfa4),
        error_code: Some(ALREADY_IN_PROGRESS.to_owned()),
        user: None,
        collects: 0,
        result_token: None,
    }
}

/// What an order started by the IVR remembers about its call, for the long-poll's answers: the call id and
/// the personal number already masked, so the full number is not kept for this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IvrCall {
    pub call_id: String,
    /// `YYMMDD-XXXX`.
    pub masked_personal_number: String,
}

impl IvrCall {
    pub fn new(call_id: &CallId, personal_number: &PersonalNumber, today: Date) -> IvrCall {
        IvrCall {
            call_id: call_id.as_str().to_owned(),
            masked_personal_number: personal_number.masked(today),
        }
    }
}

/// Answer to the agent's `GET /api/v1/ivr/calls/{callId}`: the call's order, and the token that follows it
/// like an order the widget started itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallOrder {
    pub call_id: String,
    pub order_id: String,
    pub order_token: String,
    /// `YYMMDD-XXXX`: what the agent's sentence names.
    pub personal_number: String,
}

/// The same sentence in both languages; the IVR picks the one of its call flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub sv: String,
    pub en: String,
    pub nb: String,
}

/// Answer to both IVR routes (201 on start, 200 on the long-poll).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IvrAnswer {
    pub order_id: String,
    pub call_id: String,
    pub status: IvrStatus,
    /// [`IvrFailure::code`] when failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub sentence: Sentence,
    /// Masked: `YYMMDD-XXXX`. The caller typed the number, so this discloses nothing new; it lets the IVR
    /// read back what it asked about.
    pub personal_number: String,
}

impl IvrAnswer {
    /// The answer for an order. `today` is Sweden's date, for the `+` of people aged 100 or more.
    pub fn new(
        order_id: &str,
        call_id: &CallId,
        personal_number: &PersonalNumber,
        outcome: IvrOutcome,
        today: Date,
    ) -> IvrAnswer {
        IvrAnswer::for_call(
            order_id,
            &IvrCall::new(call_id, personal_number, today),
            outcome,
        )
    }

    /// The answer for an order whose call data was kept ([`IvrCall`]).
    pub fn for_call(order_id: &str, call: &IvrCall, outcome: IvrOutcome) -> IvrAnswer {
        let masked = call.masked_personal_number.clone();
        IvrAnswer {
            order_id: order_id.to_owned(),
            call_id: call.call_id.clone(),
            status: outcome.status(),
            reason: match outcome {
                IvrOutcome::Failed(why) => Some(why.code().to_owned()),
                _ => None,
            },
            sentence: Sentence {
                sv: outcome.sentence(Lang::Sv, &masked),
                en: outcome.sentence(Lang::En, &masked),
                nb: outcome.sentence(Lang::Nb, &masked),
            },
            personal_number: masked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::OrderKind;
    use proptest::prelude::*;
    use serde_json::json;

    const TODAY: Date = Date {
        year: 2026,
        month: 3,
        day: 1,
    };

    fn request(body: serde_json::Value) -> Result<IvrOrderRequest, IvrRequestError> {
        parse_ivr_order_request(body.to_string().as_bytes())
    }

    #[test]
    fn call_ids() {
        assert_eq!(CallId::parse("abc-123").unwrap().as_str(), "abc-123");
        let sip = "a84b4c76e66710@pc33.atlanta.example.com";
        assert_eq!(CallId::parse(sip).unwrap().to_string(), sip);
        assert!(CallId::parse(&"x".repeat(64)).is_ok());
        assert_eq!(CallId::parse(""), Err(CallIdError::Empty));
        assert_eq!(
            CallId::parse(&"x".repeat(65)),
            Err(CallIdError::TooLong { chars: 65 })
        );
        for bad in [' ', '\n', '\0', 'å', '\u{7f}'] {
            assert_eq!(
                CallId::parse(&format!("ab{bad}c")),
                Err(CallIdError::InvalidCharacter(bad))
            );
        }
        for (e, code) in [
            (CallIdError::Empty, "empty"),
            (CallIdError::TooLong { chars: 65 }, "too_long"),
            (CallIdError::InvalidCharacter(' '), "invalid_character"),
        ] {
            assert_eq!(e.code(), code);
            assert!(e.to_string().ends_with('.'), "{e}");
        }
    }

    #[test]
    fn call_initiator_defaults_to_the_customer() {
        let r = request(json!({"personalNumber": "198112289874", "callId": "c1"})).unwrap();
        assert_eq!(r.call_initiator, CallInitiator::User);
        let r = request(
            json!({"personalNumber": "198112289874", "callId": "c1", "callInitiator": null}),
        )
        .unwrap();
        assert_eq!(r.call_initiator, CallInitiator::User);
        let r = request(
            json!({"personalNumber": "198112289874", "callId": "c1", "callInitiator": "RP"}),
        )
        .unwrap();
        assert_eq!(r.call_initiator, CallInitiator::Rp);
    }

    #[test]
    fn bad_bodies_get_their_own_codes() {
        let code = |body: &[u8]| {
            parse_ivr_order_request(body)
                .map(|_| ())
                .map_err(|e| e.code())
        };
        assert_eq!(code(b""), Err("invalid_body"));
        assert_eq!(code(b"[]"), Err("invalid_body"));
        assert_eq!(code(b"{\"callId\": \"c\"}"), Err("missing_personal_number"));
        assert_eq!(
            code(b"{\"personalNumber\": 198112289874, \"callId\": \"c\"}"),
            Err("invalid_body")
        );
        assert_eq!(code(b"{\"personalNumber\": \"x\"}"), Err("missing_call_id"));
        assert_eq!(
            code(b"{\"personalNumber\": \"x\", \"callId\": 7}"),
            Err("invalid_body")
        );
        assert_eq!(
            code(b"{\"personalNumber\": \"x\", \"callId\": \"c\", \"callInitiator\": \"rp\"}"),
            Err("invalid_call_initiator")
        );
        assert_eq!(
            IvrRequestError::InvalidCallInitiator.field(),
            Some("callInitiator")
        );
        assert_eq!(IvrRequestError::MissingCallId.field(), Some("callId"));
        assert_eq!(IvrRequestError::InvalidBody(String::new()).field(), None);
    }

    #[test]
    fn validate_checks_number_and_call_id() {
        let r = request(json!({"personalNumber": "811228-9874", "callId": "call-1"})).unwrap();
        let valid = r.validate(TODAY).unwrap();
        assert_eq!(valid.personal_number.as_str(), "198112289874");
        assert_eq!(valid.call_id.as_str(), "call-1");
        assert_eq!(valid.call_initiator, CallInitiator::User);

        let r = request(json!({"personalNumber": "811228-9875", "callId": "call-1"})).unwrap();
        let err = r.validate(TODAY).unwrap_err();
        assert_eq!(err.code(), "invalid_personal_number");
        assert_eq!(err.field(), Some("personalNumber"));
        assert_eq!(
            err.to_string(),
            PersonalNumberError::WrongCheckDigit.to_string()
        );

        let r = request(json!({"personalNumber": "811228-9874", "callId": "call 1"})).unwrap();
        let err = r.validate(TODAY).unwrap_err();
        assert_eq!(err.code(), "invalid_call_id");
        assert_eq!(err.field(), Some("callId"));
    }

    #[test]
    fn wait_is_capped_and_checked() {
        assert_eq!(parse_wait(None), Ok(0));
        assert_eq!(parse_wait(Some("0")), Ok(0));
        assert_eq!(parse_wait(Some("25")), Ok(25));
        assert_eq!(parse_wait(Some("60")), Ok(25));
        assert_eq!(parse_wait(Some("99999999999999999999999")), Ok(25));
        for bad in ["", "-1", "2.5", "abc", "1e3"] {
            assert_eq!(
                parse_wait(Some(bad)),
                Err(IvrRequestError::InvalidWait),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn failures_map_from_bankid_and_edge_codes() {
        let f = IvrFailure::from_codes;
        assert_eq!(f(Some("userCancel"), None), IvrFailure::UserCancelled);
        assert_eq!(
            f(Some("userDeclinedCall"), None),
            IvrFailure::UserDeclinedCall
        );
        assert_eq!(f(Some("expiredTransaction"), None), IvrFailure::TimedOut);
        assert_eq!(f(Some("startFailed"), None), IvrFailure::StartFailed);
        assert_eq!(f(Some("cancelled"), None), IvrFailure::AlreadyInProgress);
        assert_eq!(f(Some("certificateErr"), None), IvrFailure::Blocked);
        assert_eq!(f(Some("somethingNew"), None), IvrFailure::Other);
        assert_eq!(
            f(None, Some("alreadyInProgress")),
            IvrFailure::AlreadyInProgress
        );
        assert_eq!(f(None, Some("cancelled")), IvrFailure::Cancelled);
        assert_eq!(f(None, Some("bankid_unavailable")), IvrFailure::Other);
        assert_eq!(f(None, None), IvrFailure::Other);
    }

    #[test]
    fn complete_answer_carries_the_masked_number() {
        let pnr = PersonalNumber::parse_api("198112289874").unwrap();
        let call = CallId::parse("call-1").unwrap();
        let answer = IvrAnswer::new("0123", &call, &pnr, IvrOutcome::Complete, TODAY);
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            json!({
                "orderId": "0123",
                "callId": "call-1",
                "status": "complete",
                "sentence": {
                    "sv": "Identifieringen lyckades för personnummer 811228-XXXX.",
                    "en": "Identification successful for personal identity number 811228-XXXX.",
                    "nb": "Identifiseringen lyktes for personnummer 811228-XXXX."
                },
                "personalNumber": "811228-XXXX"
            })
        );
        let back: IvrAnswer =
            serde_json::from_value(serde_json::to_value(&answer).unwrap()).unwrap();
        assert_eq!(back, answer);
    }

    #[test]
    fn failed_and_pending_answers() {
        let pnr = PersonalNumber::parse_api("198112289874").unwrap();
        let call = CallId::parse("call-1").unwrap();
        let failed = IvrAnswer::new(
            "0123",
            &call,
            &pnr,
            IvrOutcome::Failed(IvrFailure::UserCancelled),
            TODAY,
        );
        assert_eq!(failed.status, IvrStatus::Failed);
        assert_eq!(failed.reason.as_deref(), Some("user_cancelled"));
        assert_eq!(
            failed.sentence.en,
            "Identification failed because it was cancelled in the BankID app."
        );
        assert!(!failed.sentence.sv.contains("XXXX"));
        assert_eq!(failed.personal_number, "811228-XXXX");

        let pending = IvrAnswer::new("0123", &call, &pnr, IvrOutcome::Pending, TODAY);
        assert_eq!(serde_json::to_value(pending.status).unwrap(), "pending");
        assert_eq!(pending.reason, None);
        assert!(pending.sentence.sv.starts_with("Identifieringen pågår"));
    }

    #[test]
    fn every_sentence_is_a_plain_sentence_in_both_languages() {
        let failures = [
            IvrFailure::UserCancelled,
            IvrFailure::UserDeclinedCall,
            IvrFailure::TimedOut,
            IvrFailure::StartFailed,
            IvrFailure::AlreadyInProgress,
            IvrFailure::Cancelled,
            IvrFailure::Blocked,
            IvrFailure::Other,
        ];
        let mut outcomes = vec![IvrOutcome::Pending, IvrOutcome::Complete];
        outcomes.extend(failures.map(IvrOutcome::Failed));
        let mut seen = std::collections::HashSet::new();
        for o in outcomes {
            let [sv, en, nb] = Lang::ALL.map(|lang| o.sentence(lang, "811228-XXXX"));
            for s in [&sv, &en, &nb] {
                assert!(s.ends_with('.'), "{o:?}: {s}");
                // Nothing a speech engine would read out as markup.
                assert!(!s.contains(['<', '>', '&', '"', '\n']), "{o:?}: {s}");
            }
            assert_ne!(sv, en);
            assert_ne!(nb, sv);
            assert_ne!(nb, en);
            assert!(seen.insert(en), "{o:?} repeats a sentence");
        }
        for f in failures {
            assert!(f.code().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }

    #[test]
    fn outcome_follows_the_order_event() {
        let mut e = OrderEvent::started("o", OrderKind::PhoneAuth);
        assert_eq!(IvrOutcome::from_event(&e), IvrOutcome::Pending);
        e.status = OrderStatus::Failed;
        e.hint_code = Some("userDeclinedCall".into());
        assert_eq!(
            IvrOutcome::from_event(&e),
            IvrOutcome::Failed(IvrFailure::UserDeclinedCall)
        );
        // An agent's or our own cancel, exactly as the edge records it: hint `cancelled` and error `cancelled`.
        let mut e = OrderEvent::failed("o", OrderKind::PhoneAuth, FailReason::Cancelled, 3);
        assert_eq!(
            IvrOutcome::from_event(&e),
            IvrOutcome::Failed(IvrFailure::Cancelled)
        );
        e.status = OrderStatus::Complete;
        assert_eq!(IvrOutcome::from_event(&e), IvrOutcome::Complete);
    }

    #[test]
    fn a_refused_start_reads_as_already_in_progress_with_rfa4() {
        let e = already_in_progress_event("o", OrderKind::PhoneAuth);
        assert!(e.is_final());
        assert_eq!(e.rfa, Some(crate::rfa::Rfa::Rfa4));
        assert_eq!(
            IvrOutcome::from_event(&e),
            IvrOutcome::Failed(IvrFailure::AlreadyInProgress)
        );
        // The other call's order, ended by BankID, tells the same story.
        let mut other = OrderEvent::started("p", OrderKind::PhoneAuth);
        other.status = OrderStatus::Failed;
        other.hint_code = Some("cancelled".into());
        assert_eq!(IvrOutcome::from_event(&other), IvrOutcome::from_event(&e));
    }

    #[test]
    fn the_kept_call_data_answers_like_the_full_number() {
        let pnr = PersonalNumber::parse_api("198112289874").unwrap();
        let call = CallId::parse("call-1").unwrap();
        let kept = IvrCall::new(&call, &pnr, TODAY);
        assert_eq!(kept.masked_personal_number, "811228-XXXX");
        assert!(!serde_json::to_string(&kept).unwrap().contains("9874"));
        assert_eq!(
            IvrAnswer::for_call("0123", &kept, IvrOutcome::Complete),
            IvrAnswer::new("0123", &call, &pnr, IvrOutcome::Complete, TODAY)
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(body in any::<Vec<u8>>(), s in any::<String>()) {
            let _ = parse_ivr_order_request(&body);
            let _ = parse_wait(Some(&s));
            if let Ok(id) = CallId::parse(&s) {
                prop_assert!(id.as_str().len() <= MAX_CALL_ID_LEN);
            }
        }

        #[test]
        fn json_like_bodies_never_panic(pnr in any::<String>(), call in any::<String>(), init in any::<Option<String>>()) {
            let body = json!({"personalNumber": pnr, "callId": call, "callInitiator": init});
            if let Ok(r) = parse_ivr_order_request(body.to_string().as_bytes()) {
                let _ = r.validate(TODAY);
            }
        }
    }
}
