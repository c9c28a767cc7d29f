//! Fake SMS and e-mail providers for the local stack: they take what the edge sends the way the real
//! services do, keep it, and show it in an inbox page (DESIGN.md §7).
//!
//! | route | what |
//! |---|---|
//! | `POST /sms/send` | SMS gateway, 46elks style: form body, basic auth, `from`/`to`/`message` |
//! | `POST /email/send` | transactional e-mail API: JSON, `Authorization: Bearer`, `{from, to, subject, text, html}` |
//! | `GET /inbox` | the inbox page: newest first, links clickable, refreshes by itself |
//! | `GET /inbox/messages[?to=]` | the same as JSON, for tests |
//! | `DELETE /inbox/messages` | empties the inbox |
//!
//! Both send routes refuse a body above [`MAX_BODY_BYTES`] with 413.
//!
//! Loopback only: the inbox has no authentication, and holds phone numbers and addresses.

mod error;
mod gateways;
mod inbox;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{get, post};
use legit_core::provider::Secret;

pub use error::{ProviderError, Scheme};
pub use gateways::{MAX_BODY_BYTES, MAX_RECIPIENTS, MAX_SMS_CHARS};
pub use inbox::{Inbox, MAX_MESSAGES, Message, SmsInfo, find_links, render, same_destination};

/// The credentials the fake providers accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub sms_user: String,
    pub sms_password: Secret,
    pub email_key: Secret,
}

/// The shared state: the accepted credentials and the inbox.
#[derive(Debug)]
pub struct Providers {
    sms_user: String,
    sms_password: Secret,
    email_key: Secret,
    pub inbox: Inbox,
}

impl Providers {
    pub fn new(credentials: Credentials) -> Providers {
        Providers {
            sms_user: credentials.sms_user,
            sms_password: credentials.sms_password,
            email_key: credentials.email_key,
            inbox: Inbox::default(),
        }
    }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Must be a loopback address; port 0 picks a free port.
    pub addr: SocketAddr,
    pub credentials: Credentials,
}

#[derive(Debug, thiserror::Error)]
pub enum ProvidersError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the inbox has no authentication, so the providers only listen on loopback, not {0}")]
    NotLoopback(SocketAddr),
    #[error("the SMS user name must not be empty or contain ':'")]
    InvalidSmsUser,
    #[error("the {0} must not be empty")]
    EmptySecret(&'static str),
}

/// Started providers. Dropping it stops the listener.
#[derive(Debug)]
pub struct Running {
    /// e.g. `http://127.0.0.1:8445`
    pub url: String,
    pub addr: SocketAddr,
    pub providers: Arc<Providers>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Every route, for in-process tests and for [`start`].
pub fn app(providers: Arc<Providers>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route(
            "/sms/send",
            post(gateways::send_sms).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route(
            "/email/send",
            post(gateways::send_email).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .route("/inbox", get(inbox::page))
        .route("/inbox/messages", get(inbox::messages).delete(inbox::clear))
        .fallback(|| async { ProviderError::not_found() })
        .with_state(providers)
}

/// Checks the configuration, binds and serves in a background task.
pub async fn start(config: Config) -> Result<Running, ProvidersError> {
    if !config.addr.ip().is_loopback() {
        return Err(ProvidersError::NotLoopback(config.addr));
    }
    let c = &config.credentials;
    if c.sms_user.is_empty() || c.sms_user.contains(':') {
        return Err(ProvidersError::InvalidSmsUser);
    }
    if c.sms_password.is_empty() {
        return Err(ProvidersError::EmptySecret("SMS password"));
    }
    if c.email_key.is_empty() {
        return Err(ProvidersError::EmptySecret("e-mail key"));
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| ProvidersError::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ProvidersError::Bind {
            addr: config.addr,
            source,
        })?;
    let providers = Arc::new(Providers::new(config.credentials));
    let router = app(providers.clone());
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(Running {
        url: format!("http://{addr}"),
        addr,
        providers,
        task,
    })
}

#[cfg(test)]
mod tests;
