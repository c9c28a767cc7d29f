//! The admin API and the phone page: loopback only, no client certificate. Decodes requests, calls
//! [`super::state::Sim`], encodes answers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use legit_core::bankid::HintCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::AdminError;
use super::faults::Fault;
use super::state::{Action, Sim};
use super::users::TestUser;

const PHONE_PAGE: &str = include_str!("phone.html");

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/", get(|| async { Html(PHONE_PAGE) }))
        .route("/admin/orders", get(orders))
        .route("/admin/orders/{order_ref}", get(order))
        .route("/admin/orders/{order_ref}/{action}", post(act))
        .route("/admin/open", post(open))
        .route("/admin/scan", post(scan))
        .route("/admin/user", get(user).put(set_user))
        .route(
            "/admin/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route("/admin/clock", get(clock))
        .route("/admin/clock/advance", post(advance))
        .route("/admin/settings", get(settings).put(update_settings))
        .route("/admin/agreements/{cn}", put(agreement))
        .route("/admin/stats", get(stats))
        .route("/admin/reset", post(reset))
        .fallback(|| async {
            AdminError {
                status: axum::http::StatusCode::NOT_FOUND,
                code: "not_found",
                message: "no such route".into(),
            }
        })
        .with_state(sim)
}

type Answer = Result<Response, AdminError>;

fn ok(v: impl serde::Serialize) -> Answer {
    Ok(axum::Json(v).into_response())
}

/// Parses a JSON body; an empty body reads as `{}` so that actions without options need none.
fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AdminError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    serde_json::from_slice(bytes)
        .map_err(|e| AdminError::bad_request(format!("invalid JSON body: {e}")))
}

async fn orders(State(sim): State<Arc<Sim>>) -> Answer {
    ok(sim.orders())
}

async fn order(State(sim): State<Arc<Sim>>, Path(order_ref): Path<String>) -> Answer {
    ok(sim.order(&order_ref)?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActionBody {
    #[serde(default)]
    user: Option<TestUser>,
    #[serde(default)]
    hint_code: Option<String>,
}

async fn act(
    State(sim): State<Arc<Sim>>,
    Path((order_ref, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let b: ActionBody = body(&bytes)?;
    let hint = || {
        b.hint_code
            .as_deref()
            .filter(|h| !h.is_empty())
            .map(HintCode::parse)
            .ok_or_else(|| AdminError::bad_request("hintCode is required"))
    };
    let action = match action.as_str() {
        "open" => Action::Open,
        "confirm-call" => Action::ConfirmCall,
        "decline-call" => Action::DeclineCall,
        "approve" => {
            if let Some(u) = &b.user {
                u.validate().map_err(AdminError::bad_request)?;
            }
            Action::Approve(b.user.clone())
        }
        "cancel" => Action::Cancel,
        "fail" => Action::Fail(hint()?),
        "hint" => Action::Hint(hint()?),
        "scan-current" => Action::ScanCurrent,
        other => return Err(AdminError::bad_request(format!("unknown action {other:?}"))),
    };
    ok(sim.act(&order_ref, action)?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OpenBody {
    auto_start_token: String,
}

async fn open(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Answer {
    let b: OpenBody = body(&bytes)?;
    ok(sim.open_by_token(&b.auto_start_token)?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScanBody {
    qr_data: String,
}

async fn scan(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Answer {
    let b: ScanBody = body(&bytes)?;
    ok(sim.scan(&b.qr_data)?)
}

async fn user(State(sim): State<Arc<Sim>>) -> Answer {
    ok(sim.user())
}

async fn set_user(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Answer {
    ok(sim.set_user(body(&bytes)?)?)
}

async fn faults(State(sim): State<Arc<Sim>>) -> Answer {
    ok(sim.faults())
}

async fn add_fault(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Answer {
    let f: Fault = body(&bytes)?;
    ok(sim.add_fault(f)?)
}

async fn clear_faults(State(sim): State<Arc<Sim>>) -> Answer {
    sim.clear_faults();
    ok(Vec::<Fault>::new())
}

fn now(sim: &Sim) -> Value {
    // Seconds with millisecond precision; exact below 2^53 ms.
    #[allow(clippy::cast_precision_loss)]
    let now = sim.clock.now_ms() as f64 / 1000.0;
    json!({ "now": now })
}

async fn clock(State(sim): State<Arc<Sim>>) -> Answer {
    ok(now(&sim))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    seconds: f64,
}

async fn advance(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Answer {
    let b: AdvanceBody = body(&bytes)?;
    if !(0.0..=86_400.0).contains(&b.seconds) {
        return Err(AdminError::bad_request(
            "seconds must be between 0 and 86400",
        ));
    }
    // In range by the check above, so the cast neither truncates meaningfully nor wraps.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    sim.clock.advance((b.seconds * 1000.0).round() as u64);
    ok(now(&sim))
}

async fn settings(State(sim): State<Arc<Sim>>) -> Answer {
    ok(sim.settings())
}

async fn update_settings(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Answer {
    ok(sim.update_settings(body(&bytes)?)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgreementBody {
    active: bool,
}

async fn agreement(State(sim): State<Arc<Sim>>, Path(cn): Path<String>, bytes: Bytes) -> Answer {
    let b: AgreementBody = body(&bytes)?;
    sim.set_agreement(&cn, b.active);
    ok(json!({ "cn": cn, "active": b.active }))
}

async fn stats(State(sim): State<Arc<Sim>>) -> Answer {
    ok(sim.stats())
}

async fn reset(State(sim): State<Arc<Sim>>) -> Answer {
    sim.reset();
    ok(json!({}))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode, header};
    use tower::ServiceExt as _;

    use super::super::rp::{self, RpIdentity};
    use super::super::settings::{MAX_DURATION_SECONDS, Settings};
    use super::*;

    async fn send(app: Router, req: Request<Body>) -> (StatusCode, Value) {
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn json_req(method: Method, uri: &str, body: &str) -> Request<Body> {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }

    async fn rp_call(sim: &Arc<Sim>, path: &str, body: Value) -> (StatusCode, Value) {
        let mut req = json_req(Method::POST, &format!("/rp/v6.0/{path}"), &body.to_string());
        req.extensions_mut().insert(RpIdentity("legit-rp".into()));
        send(rp::router(sim.clone()), req).await
    }

    async fn start_and_collect(sim: &Arc<Sim>) {
        let (status, started) = rp_call(sim, "auth", json!({"endUserIp": "127.0.0.1"})).await;
        assert_eq!(status, StatusCode::OK, "{started}");
        let order_ref = started["orderRef"].clone();
        let (status, collected) = rp_call(sim, "collect", json!({"orderRef": order_ref})).await;
        assert_eq!(status, StatusCode::OK, "{collected}");
        assert_eq!(collected["status"], "pending");
    }

    #[tokio::test]
    async fn an_out_of_range_duration_is_refused_and_the_simulator_keeps_working() {
        let sim = Arc::new(Sim::default());
        // An order already in the store is what every later call re-checks against the settings.
        start_and_collect(&sim).await;

        let (status, answer) = send(
            router(sim.clone()),
            json_req(
                Method::PUT,
                "/admin/settings",
                r#"{"orderLifetimeSeconds": 18446744073709551615}"#,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "bad_request");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("orderLifetimeSeconds"), "{message}");
        assert!(
            message.contains(&MAX_DURATION_SECONDS.to_string()),
            "{message}"
        );

        let (status, settings) = send(
            router(sim.clone()),
            Request::builder()
                .uri("/admin/settings")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(settings, serde_json::to_value(Settings::default()).unwrap());

        start_and_collect(&sim).await;
    }
}
