//! `LinkTokenObject`: the index from a link token to its link. One tiny Durable Object per link, named by
//! the token's hash (64 hex digits), holding only the reference of the [`crate::objects::link::LinkObject`]
//! and when to forget it. The customer's URL carries the token; the hash is computed by the Worker, so the
//! token itself is stored nowhere.

use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, Method, Request, RequestInit, Response, State, durable_object};

// `#[durable_object]` expands to `#[wasm_bindgen]` code that names the crate unqualified.
#[allow(unused_imports)]
use worker::wasm_bindgen;

use crate::config;
use crate::error::ApiError;
use legit_core::link::LinkTokenHash;

const RECORD: &str = "index";
const INTERNAL_ORIGIN: &str = "https://link-token.internal";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The link's reference, compact (`K7QXM4TR`).
    pub reference: String,
    /// Unix ms after which the entry is erased (the link's own erasure is later or the same).
    pub erase_at_ms: u64,
}

/// Points `hash` at its link.
pub async fn put(env: &Env, hash: &LinkTokenHash, entry: &Entry) -> Result<(), ApiError> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(serde_json::to_string(entry)?.into()));
    call(env, hash, "/put", &init).await?;
    Ok(())
}

/// The reference of the link behind `hash`, if there is one.
pub async fn get(env: &Env, hash: &LinkTokenHash) -> Result<Option<String>, ApiError> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let mut resp = call(env, hash, "/get", &init).await?;
    if resp.status_code() == 404 {
        return Ok(None);
    }
    let entry: Entry = resp.json().await?;
    Ok(Some(entry.reference))
}

/// Forgets `hash` (the link was never sent).
pub async fn delete(env: &Env, hash: &LinkTokenHash) -> Result<(), ApiError> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    call(env, hash, "/delete", &init).await?;
    Ok(())
}

async fn call(
    env: &Env,
    hash: &LinkTokenHash,
    path: &str,
    init: &RequestInit,
) -> Result<Response, ApiError> {
    let req = Request::new_with_init(&format!("{INTERNAL_ORIGIN}{path}"), init)?;
    let stub = env
        .durable_object(config::LINK_TOKEN)?
        .get_by_name(&hash.to_hex())?;
    let resp = stub.fetch_with_request(req).await?;
    match resp.status_code() {
        200..=299 | 404 => Ok(resp),
        status => Err(ApiError::Runtime(format!(
            "link token object answered {status} to {path}"
        ))),
    }
}

#[durable_object]
pub struct LinkTokenObject {
    state: State,
}

impl DurableObject for LinkTokenObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let storage = self.state.storage();
        match (req.method(), req.path().as_str()) {
            (Method::Post, "/put") => {
                let text = req.text().await?;
                let entry: Entry = serde_json::from_str(&text)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                storage.put(RECORD, text).await?;
                let offset =
                    i64::try_from(entry.erase_at_ms.saturating_sub(now_ms())).unwrap_or(i64::MAX);
                storage.set_alarm(offset).await?;
                Response::empty().map(|r| r.with_status(201))
            }
            (Method::Get, "/get") => match storage.get::<String>(RECORD).await? {
                Some(text) => Response::ok(text),
                None => Response::empty().map(|r| r.with_status(404)),
            },
            (Method::Post, "/delete") => {
                storage.delete_all().await?;
                Response::empty()
            }
            _ => Response::empty().map(|r| r.with_status(404)),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}
