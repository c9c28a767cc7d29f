//! The only code that talks to BankID: every call is a POST through the `BANKID` fetcher binding, which
//! carries the RP client certificate (mutual TLS). Nothing here logs request bodies or answers, as they
//! hold personal numbers, names and order secrets.

use std::pin::pin;
use std::time::Duration;

use futures_util::future::{Either, select};
use legit_core::api::{PreparedStart, StartBody};
use legit_core::bankid::{
    self, CollectResponse, Endpoint, ErrorCode, OrderRefRequest, OrderResponse, PhoneOrderResponse,
};
use legit_core::retry;
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Delay, Env, Fetcher, Headers, Method, RequestInit};

use crate::config::{self, Config};
use crate::error::ApiError;

pub struct BankId {
    fetcher: Fetcher,
    base: String,
}

/// What a successful start gives the order object. The QR pair exists for auth/sign only.
#[derive(Debug, Clone)]
pub struct Started {
    pub order_ref: String,
    pub auto_start_token: Option<String>,
    pub qr: Option<QrSecrets>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrSecrets {
    pub qr_start_token: String,
    pub qr_start_secret: String,
}

impl BankId {
    pub fn new(env: &Env, config: &Config) -> Result<BankId, ApiError> {
        Ok(BankId {
            fetcher: env.service(config::BANKID)?,
            base: config.bankid_base.clone(),
        })
    }

    /// Starts an order. Never repeated on failure: BankID forbids automatic restarts (BANKID.md §3).
    pub async fn start(&self, prepared: &PreparedStart) -> Result<Started, ApiError> {
        match &prepared.body {
            StartBody::Order(body) => {
                let r: OrderResponse = self.call(prepared.endpoint, body).await?;
                Ok(Started {
                    order_ref: r.order_ref,
                    auto_start_token: Some(r.auto_start_token),
                    qr: Some(QrSecrets {
                        qr_start_token: r.qr_start_token,
                        qr_start_secret: r.qr_start_secret,
                    }),
                })
            }
            StartBody::Phone(body) => {
                let r: PhoneOrderResponse = self.call(prepared.endpoint, body).await?;
                Ok(Started {
                    order_ref: r.order_ref,
                    auto_start_token: None,
                    qr: None,
                })
            }
        }
    }

    pub async fn collect(&self, order_ref: &str) -> Result<CollectResponse, ApiError> {
        self.call(Endpoint::Collect, &order_ref_body(order_ref))
            .await
    }

    /// Cancels an order, sending it once more if no answer came. A pooled connection that BankID has
    /// closed (as after a 503) is found dead only when used, and a cancel that never arrived leaves the
    /// person able to finish in the app an order every screen here shows as ended. Sending it twice is
    /// harmless: BankID ends an order once.
    pub async fn cancel(&self, order_ref: &str) -> Result<(), ApiError> {
        let body = order_ref_body(order_ref);
        let send = || self.call::<_, serde_json::Value>(Endpoint::Cancel, &body);
        match send().await {
            Err(ApiError::BankIdUnreachable(_)) => send().await.map(drop),
            other => other.map(drop),
        }
    }

    async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        body: &B,
    ) -> Result<R, ApiError> {
        let headers = Headers::new();
        // Exactly this: BankID answers 415 to a charset parameter (BANKID.md §1).
        headers.set("Content-Type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(serde_json::to_string(body)?.into()));
        let url = format!("{}/{}", self.base, endpoint.path());
        let exchange = async {
            let mut resp = self
                .fetcher
                .fetch(url, Some(init))
                .await
                .map_err(|e| ApiError::BankIdUnreachable(e.to_string()))?;
            let status = resp.status_code();
            let text = resp
                .text()
                .await
                .map_err(|e| ApiError::BankIdUnreachable(e.to_string()))?;
            Ok::<_, ApiError>((status, text))
        };
        // A hung connection must not hold an order (its QR frames and collects wait on this call) or a
        // caller: past the limit it counts as no answer, which collect retries and a start reports as RFA5.
        // The abandoned request is dropped, not aborted: workers-rs 0.8's RequestInit has no signal.
        let timeout = Delay::from(Duration::from_millis(retry::CALL_TIMEOUT_MS));
        let (status, text) = match select(pin!(exchange), timeout).await {
            Either::Left((answer, _)) => answer?,
            Either::Right(_) => {
                return Err(ApiError::BankIdUnreachable(format!(
                    "no answer within {} ms",
                    retry::CALL_TIMEOUT_MS
                )));
            }
        };
        read_answer(status, &text)
    }
}

fn order_ref_body(order_ref: &str) -> OrderRefRequest {
    OrderRefRequest {
        order_ref: order_ref.to_owned(),
    }
}

/// Turns BankID's status and body into a typed answer or error. The body is never copied into the error:
/// it may hold personal data.
fn read_answer<R: DeserializeOwned>(status: u16, text: &str) -> Result<R, ApiError> {
    if status == 200 {
        return serde_json::from_str(text).map_err(|e| ApiError::BankIdAnswer {
            status,
            reason: format!("not the expected JSON ({})", e.classify_name()),
        });
    }
    let code = serde_json::from_str::<bankid::ErrorBody>(text)
        .map(|b| b.error_code)
        // A proxy's HTML error page or an empty 502 still tells us the status; keep that.
        .unwrap_or_else(|_| ErrorCode::Unknown(format!("http_{status}")));
    Err(ApiError::BankId { status, code })
}

/// serde_json's error category without its text, which can quote the input.
trait Classify {
    fn classify_name(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_answers_parse_and_unknown_fields_are_ignored() {
        let r: CollectResponse = read_answer(
            200,
            r#"{"orderRef":"a","status":"pending","hintCode":"noClient","new":1}"#,
        )
        .unwrap();
        assert_eq!(r.hint_code.unwrap().as_str(), "noClient");
    }

    #[test]
    fn error_bodies_become_typed_codes() {
        let e = read_answer::<CollectResponse>(
            503,
            r#"{"errorCode":"maintenance","details":"try later"}"#,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            ApiError::BankId {
                status: 503,
                code: ErrorCode::Maintenance
            }
        ));
        assert_eq!(
            e.collect_failure(),
            legit_core::retry::CollectFailure::Transient
        );
    }

    #[test]
    fn a_non_json_error_page_keeps_its_status() {
        let e = read_answer::<CollectResponse>(502, "<html>bad gateway</html>").unwrap_err();
        assert!(matches!(e, ApiError::BankId { status: 502, .. }), "{e:?}");
        // A gateway's trouble, not a refusal: our caller hears "unavailable, try again" (RFA5).
        assert_eq!((e.status(), e.code()), (503, "bankid_unavailable"));
        assert_eq!(
            e.collect_failure(),
            legit_core::retry::CollectFailure::Transient
        );
    }

    #[test]
    fn a_garbled_ok_answer_does_not_echo_the_body() {
        let e = read_answer::<CollectResponse>(200, r#"{"personalNumber":"198112289874"}"#)
            .unwrap_err();
        assert!(!e.to_string().contains("1981"), "{e}");
        assert_eq!(e.code(), "bankid_rejected");
    }
}
