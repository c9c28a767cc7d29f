//! The demo IVR console (DESIGN.md §7): a page that plays a call-flow platform and its caller. The caller
//! types the personal number on a keypad; this server, standing in for the IVR's backend, calls the edge's
//! IVR API with the tenant's API key and the page shows ("reads") the sentences that come back, and speaks
//! them when the browser can.
//!
//! The API key stays in this process: the page talks only to this server, which adds the key. It also mints
//! an agent session, so the page can open the agent's widget on the same call (`?callid=`).
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the console page |
//! | `POST /calls` `{personalNumber, callInitiator?}` | a new call: `POST /api/v1/ivr/orders` with a fresh call id |
//! | `GET /calls/{orderId}?wait=N` | `GET /api/v1/ivr/orders/{orderId}?wait=N` |
//! | `GET /crm`, `/softphone`, `/self-service` | the pages with the widget in them ([`crate::host_pages`]) |
//!
//! Loopback only, like the rest of the demo stack.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, http::header};
use legit_core::provider::Secret;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::host_pages;

const PAGE: &str = include_str!("ivr_console.html");
/// Longer than the edge's longest long-poll (25 s), so a held poll is never cut here.
const EDGE_TIMEOUT: Duration = Duration::from_secs(40);

/// What to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Must be a loopback address; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The edge's origin, e.g. `http://127.0.0.1:8787`.
    pub edge_url: String,
    /// The tenant's API key, as an IVR's backend holds it.
    pub api_key: Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the console holds an API key, so it only listens on loopback, not {0}")]
    NotLoopback(SocketAddr),
    #[error("the API key must not be empty")]
    EmptyKey,
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// The console's state: where the edge is and the key it calls it with.
#[derive(Debug)]
pub struct Console {
    edge_url: String,
    api_key: Secret,
    client: reqwest::Client,
}

impl Console {
    pub fn new(edge_url: &str, api_key: Secret) -> Result<Console, ConsoleError> {
        let client = reqwest::Client::builder()
            .timeout(EDGE_TIMEOUT)
            .build()
            .map_err(|e| ConsoleError::Client(e.to_string()))?;
        Ok(Console {
            edge_url: edge_url.trim_end_matches('/').to_owned(),
            api_key,
            client,
        })
    }

    /// The edge's origin, e.g. `http://127.0.0.1:8787`.
    pub fn edge_url(&self) -> &str {
        &self.edge_url
    }

    /// `POST /api/v1/sessions` with the key, as the tenant's backend mints an agent's session:
    /// `{session, tenant, ...}` or the edge's error.
    pub async fn mint_session(&self) -> (StatusCode, Value) {
        let url = format!("{}/api/v1/sessions", self.edge_url);
        self.send(self.client.post(url)).await
    }

    /// Sends `request` with the API key; the edge's status and JSON body, or a 502 in the edge's error format.
    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let answer = request.bearer_auth(self.api_key.expose()).send().await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => return unreachable(&e),
        };
        let status =
            StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        match answer.json::<Value>().await {
            Ok(body) => (status, body),
            Err(e) => unreachable(&e),
        }
    }
}

fn unreachable(e: &reqwest::Error) -> (StatusCode, Value) {
    let message = if e.is_timeout() {
        "The edge did not answer in time."
    } else {
        "The edge cannot be reached: is `cargo xtask demo` running?"
    };
    (
        StatusCode::BAD_GATEWAY,
        json!({"error": {"code": "edge_unreachable", "message": message}}),
    )
}

/// Started console. Dropping it stops the listener.
#[derive(Debug)]
pub struct Running {
    /// e.g. `http://127.0.0.1:8446`
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Every route, for in-process tests and for [`start`].
pub fn app(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/calls", post(start_call))
        .route("/calls/{order_id}", get(poll_call))
        .merge(host_pages::routes())
        .with_state(console)
}

/// Checks the configuration, binds and serves in a background task.
pub async fn start(config: Config) -> Result<Running, ConsoleError> {
    let bind = |source| ConsoleError::Bind {
        addr: config.addr,
        source,
    };
    if !config.addr.ip().is_loopback() {
        return Err(ConsoleError::NotLoopback(config.addr));
    }
    let listener = std::net::TcpListener::bind(config.addr).map_err(bind)?;
    start_on(listener, &config.edge_url, config.api_key)
}

/// [`start`] on a listener already bound, so that its origin can be allowed by the edge's tenant before
/// the console exists (the host pages need it there).
pub fn start_on(
    listener: std::net::TcpListener,
    edge_url: &str,
    api_key: Secret,
) -> Result<Running, ConsoleError> {
    let addr = listener.local_addr().map_err(|source| ConsoleError::Bind {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        source,
    })?;
    if !addr.ip().is_loopback() {
        return Err(ConsoleError::NotLoopback(addr));
    }
    if api_key.is_empty() {
        return Err(ConsoleError::EmptyKey);
    }
    let console = Arc::new(Console::new(edge_url, api_key)?);
    let bind = |source| ConsoleError::Bind { addr, source };
    listener.set_nonblocking(true).map_err(bind)?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(bind)?;
    let router = app(console);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(Running {
        url: format!("http://{addr}"),
        task,
    })
}

async fn page() -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        Html(PAGE),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewCall {
    #[serde(default)]
    personal_number: String,
    #[serde(default)]
    call_initiator: Option<String>,
}

/// A new call: a fresh call id, the IVR API's answer, and the agent widget's address for this call.
async fn start_call(
    State(console): State<Arc<Console>>,
    Json(call): Json<NewCall>,
) -> (StatusCode, Json<Value>) {
    let call_id = format!("demo-{}", uuid::Uuid::new_v4().simple());
    let mut body = json!({"personalNumber": call.personal_number, "callId": call_id});
    if let Some(initiator) = call.call_initiator {
        body["callInitiator"] = json!(initiator);
    }
    let url = format!("{}/api/v1/ivr/orders", console.edge_url);
    let (status, answer) = console.send(console.client.post(url).json(&body)).await;
    let agent_url = if status.is_success() {
        agent_url(&console, &call_id).await
    } else {
        None
    };
    (
        status,
        Json(json!({"callId": call_id, "answer": answer, "agentUrl": agent_url})),
    )
}

/// The agent widget on this call, with a session the console mints as the tenant's backend would.
async fn agent_url(console: &Console, call_id: &str) -> Option<String> {
    let (status, minted) = console.mint_session().await;
    if !status.is_success() {
        return None;
    }
    let session = minted["session"].as_str()?;
    let tenant = minted["tenant"].as_str()?;
    Some(format!(
        "{}/embed?tenant={tenant}&mode=agent&lang=en&callid={call_id}#session={session}",
        console.edge_url
    ))
}

#[derive(Debug, Deserialize)]
struct Wait {
    #[serde(default)]
    wait: Option<u64>,
}

async fn poll_call(
    State(console): State<Arc<Console>>,
    Path(order_id): Path<String>,
    Query(wait): Query<Wait>,
) -> (StatusCode, Json<Value>) {
    // Only an order id goes into the edge's path.
    if order_id.len() != 32 || !order_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": "invalid_order_id", "message": "Not an order id."}})),
        );
    }
    let url = format!(
        "{}/api/v1/ivr/orders/{order_id}?wait={}",
        console.edge_url,
        wait.wait.unwrap_or(0)
    );
    let (status, answer) = console.send(console.client.get(url)).await;
    (status, Json(answer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt as _;

    fn console() -> Arc<Console> {
        // Port 9 (discard) refuses at once: the edge is "down".
        Arc::new(
            Console::new(
                "http://127.0.0.1:9",
                Secret::new("not-in-the-page-0123456789"),
            )
            .unwrap(),
        )
    }

    async fn call(request: axum::http::Request<axum::body::Body>) -> (StatusCode, String) {
        let answer = app(console()).oneshot(request).await.unwrap();
        let status = answer.status();
        let bytes = axum::body::to_bytes(answer.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn the_page_never_carries_the_key() {
        let (status, page) = call(
            axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("IVR"), "{page}");
        assert!(!page.contains("not-in-the-page"));
    }

    #[tokio::test]
    async fn host_pages_without_an_edge_say_so_and_never_carry_the_key() {
        for path in ["/crm", "/softphone?mobnr=0701234567", "/self-service"] {
            let (status, page) = call(
                axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_GATEWAY, "{path}: {page}");
            assert!(page.contains("cannot be reached"), "{path}: {page}");
            assert!(!page.contains("not-in-the-page"), "{path}");
        }
    }

    #[tokio::test]
    async fn an_edge_that_is_down_is_a_clear_502() {
        let (status, body) = call(
            axum::http::Request::post("/calls")
                .header("Content-Type", "application/json")
                .body(axum::body::Body::from(r#"{"personalNumber":"8112289874"}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
        assert!(body.contains("edge_unreachable"), "{body}");
        assert!(!body.contains("not-in-the-page"));
    }

    #[tokio::test]
    async fn only_order_ids_reach_the_edges_path() {
        let (status, body) = call(
            axum::http::Request::get("/calls/..%2F..%2Fadmin?wait=1")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("invalid_order_id"), "{body}");
    }

    #[tokio::test]
    async fn only_loopback_and_a_key() {
        let config = |addr: &str, key: &str| Config {
            addr: addr.parse().unwrap(),
            edge_url: "http://127.0.0.1:9".into(),
            api_key: Secret::new(key),
        };
        assert!(matches!(
            start(config("0.0.0.0:0", "k")).await,
            Err(ConsoleError::NotLoopback(_))
        ));
        assert!(matches!(
            start(config("127.0.0.1:0", "")).await,
            Err(ConsoleError::EmptyKey)
        ));
    }
}
