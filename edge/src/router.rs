//! Routes. A plain `match` rather than `worker::Router`, because the latter answers unknown paths and
//! wrong methods itself in plain text, and every answer of the edge must use the one error format.

use futures_util::StreamExt;
use worker::{Env, Method, Request, Response};

use legit_core::audit::AuditQuery;
use legit_core::session;

use crate::access::{self, Credentials, RequestOrigin};
use crate::audit;
use crate::config::{self, Config};
use crate::error::ApiError;
use crate::handlers::{admin_page, ivr, links, meta, orders, pages, sessions};
use crate::http;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    StartOrder,
    OrderEvents(&'a str),
    CancelOrder(&'a str),
    CreateSession,
    /// `POST /api/v1/ivr/orders`.
    IvrStart,
    /// `GET /api/v1/ivr/orders/{id}`: the long-poll.
    IvrPoll(&'a str),
    /// `GET /api/v1/ivr/calls/{callId}`: the agent's look-up.
    IvrCall(&'a str),
    CreateLink,
    /// `POST /v/{token}/start`: the link page's start (under the link's path, so its cookie comes along).
    StartLink(&'a str),
    LinkView(&'a str),
    LinkEvents(&'a str),
    /// `POST /api/v1/links/{reference}/cancel`: the agent withdraws the link.
    CancelLink(&'a str),
    /// `/v/{token}`: a verification link's customer page.
    LinkPage(&'a str),
    /// `GET /admin/audit`: the tenant's audit log, for its backend.
    AuditLog,
    /// `GET /admin`: the same log as a page for the tenant's administrator.
    AdminPage,
    Embed,
    Asset,
    Health,
    Jwks,
    /// A CORS preflight, for any path.
    Preflight,
    NotFound,
}

/// Which route a request is for. A known path with another method is `NotFound` too: there is nothing
/// there for that method.
pub fn route<'a>(method: &Method, path: &'a str) -> Route<'a> {
    if *method == Method::Options {
        return Route::Preflight;
    }
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    match (method, segments.as_slice()) {
        (Method::Post, ["api", "v1", "orders"]) => Route::StartOrder,
        (Method::Get, ["api", "v1", "orders", id, "events"]) => Route::OrderEvents(id),
        (Method::Post, ["api", "v1", "orders", id, "cancel"]) => Route::CancelOrder(id),
        (Method::Post, ["api", "v1", "sessions"]) => Route::CreateSession,
        (Method::Post, ["api", "v1", "ivr", "orders"]) => Route::IvrStart,
        (Method::Get, ["api", "v1", "ivr", "orders", id]) => Route::IvrPoll(id),
        (Method::Get, ["api", "v1", "ivr", "calls", call_id]) if !call_id.is_empty() => {
            Route::IvrCall(call_id)
        }
        (Method::Post, ["api", "v1", "links"]) => Route::CreateLink,
        (Method::Get, ["api", "v1", "links", reference]) => Route::LinkView(reference),
        (Method::Get, ["api", "v1", "links", reference, "events"]) => Route::LinkEvents(reference),
        (Method::Post, ["api", "v1", "links", reference, "cancel"]) => Route::CancelLink(reference),
        (Method::Get, ["v", token]) => Route::LinkPage(token),
        (Method::Post, ["v", token, "start"]) => Route::StartLink(token),
        (Method::Get, ["admin", "audit"]) => Route::AuditLog,
        (Method::Get, ["admin"]) => Route::AdminPage,
        (Method::Get, ["embed"]) => Route::Embed,
        (Method::Get, ["legit.js"]) => Route::Asset,
        (Method::Get, ["widget", rest @ ..])
            if !rest.is_empty() && rest.iter().all(|s| is_file_name(s)) =>
        {
            Route::Asset
        }
        (Method::Get, ["healthz"]) => Route::Health,
        (Method::Get, [".well-known", "jwks.json"]) => Route::Jwks,
        _ => Route::NotFound,
    }
}

/// A plain file or folder name: no `..`, nothing hidden.
fn is_file_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// Every request: the origin check first (an unknown site gets 403 whatever it asks), then the route, and
/// on the way out the security headers and, for an allowed site, CORS.
pub async fn handle(mut req: Request, env: Env) -> worker::Result<Response> {
    // Read the body before anything can refuse the request: answering before it is consumed makes the
    // runtime reset a kept-alive connection, and the caller's next request fails.
    let body = if req.method() == Method::Post {
        read_body(&mut req).await
    } else {
        Ok(Vec::new())
    };
    let mut cors = None;
    let result = match Config::load(&env) {
        Err(e) => Err(e),
        Ok(config) => {
            let own = req.url()?.origin().ascii_serialization();
            let origin = req.headers().get("Origin")?;
            match access::check_origin(origin.as_deref(), &own, &config.tenants) {
                Err(e) => Err(e),
                Ok(origin) => {
                    cors = origin.cross_origin().map(str::to_owned);
                    let path = req.path();
                    let route = route(&req.method(), &path);
                    match body {
                        Ok(body) => dispatch(route, &req, &body, &env, &config, &origin).await,
                        Err(e) => Err(e),
                    }
                }
            }
        }
    };
    let resp = result.or_else(ApiError::into_response)?;
    http::finish(resp, cors.as_deref())
}

/// More than any request of ours needs (a start is refused past 64 KiB, with the body read, so the
/// connection stays usable). Past this the rest is not read at all: a huge upload must not fill the
/// isolate's 128 MB and take every request it serves down with it.
const MAX_READ_BODY: usize = 1024 * 1024;

async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let too_large = ApiError::BodyTooLarge {
        limit: MAX_READ_BODY,
    };
    let declared = req.headers().get("Content-Length").ok().flatten();
    if declared
        .and_then(|n| n.trim().parse::<u64>().ok())
        .is_some_and(|n| n > MAX_READ_BODY as u64)
    {
        return Err(too_large);
    }
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new()); // no body at all
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        // A broken upload reads as what arrived; the handler's parser then refuses it.
        let Ok(chunk) = chunk else { break };
        if body.len() + chunk.len() > MAX_READ_BODY {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn dispatch(
    route: Route<'_>,
    req: &Request,
    body: &[u8],
    env: &Env,
    config: &Config,
    origin: &RequestOrigin,
) -> Result<Response, ApiError> {
    let now = now_ms();
    let authorization = req.headers().get("Authorization")?;
    let named_tenant = req.headers().get("X-Legit-Tenant")?;
    let creds = Credentials {
        bearer: access::bearer(authorization.as_deref()),
        tenant: named_tenant.as_deref(),
    };
    match route {
        Route::Preflight => Ok(http::preflight()?),
        Route::StartOrder => {
            let key = config::session_key(env)?;
            let caller = access::caller(&config.tenants, origin, creds, &key, now)?;
            orders::start(req, body, env, config, caller, &key).await
        }
        Route::OrderEvents(id) | Route::CancelOrder(id) => {
            orders::known(id)?;
            let key = config::session_key(env)?;
            let query_token = url_token(req, config)?;
            let credential = creds.bearer.or(query_token.as_deref());
            let grant = access::order_access(&config.tenants, origin, credential, id, &key, now)?;
            if matches!(route, Route::OrderEvents(_)) {
                orders::events(env, id, &grant).await
            } else {
                orders::cancel(env, id, &grant).await
            }
        }
        Route::CreateSession => {
            let key = config::session_key(env)?;
            let caller = access::caller(&config.tenants, origin, creds, &key, now)?;
            sessions::create(caller, &key, now)
        }
        Route::IvrStart => ivr::start(req, body, env, config, origin, creds.bearer).await,
        Route::IvrPoll(id) => ivr::poll(req, env, config, origin, creds.bearer, id).await,
        Route::IvrCall(call_id) => {
            let key = config::session_key(env)?;
            let caller = access::caller(&config.tenants, origin, creds, &key, now)?;
            ivr::call_order(env, caller, call_id, &key).await
        }
        Route::CreateLink => {
            let key = config::session_key(env)?;
            let caller = access::caller(&config.tenants, origin, creds, &key, now)?;
            links::create(req, body, env, config, caller, &key, now).await
        }
        Route::LinkView(reference) | Route::LinkEvents(reference) => {
            let key = config::session_key(env)?;
            // `EventSource` cannot send headers: the stream takes the link's own stream token as `?token=`;
            // anything else authenticates with `Authorization`.
            let query_token = url_token(req, config)?;
            if let (Route::LinkEvents(reference), Some(token)) = (
                &route,
                query_token
                    .as_deref()
                    .filter(|t| creds.bearer.is_none() && session::is_link_stream_token(t)),
            ) {
                return links::events_by_token(env, config, origin, &key, token, reference).await;
            }
            let creds = Credentials {
                bearer: creds.bearer.or(query_token.as_deref()),
                ..creds
            };
            if creds.bearer.is_none() {
                return Err(ApiError::Unauthenticated(crate::error::Credential::Missing));
            }
            let caller = access::caller(&config.tenants, origin, creds, &key, now)?;
            if matches!(route, Route::LinkEvents(_)) {
                links::events(env, caller, reference).await
            } else {
                links::view(env, caller, reference).await
            }
        }
        Route::CancelLink(reference) => {
            let key = config::session_key(env)?;
            let caller = access::caller(&config.tenants, origin, creds, &key, now)?;
            links::cancel(env, caller, reference).await
        }
        Route::StartLink(token) => {
            let key = config::session_key(env)?;
            links::start(req, body, env, config, &key, token).await
        }
        Route::LinkPage(token) => {
            let key = config::session_key(env)?;
            links::customer_page(req, env, config, &key, token).await
        }
        Route::AdminPage => admin_page::serve(req, env, config, origin, now).await,
        Route::AuditLog => {
            // The log is the tenant's own business: its API key, from a server.
            let tenant = access::api_key_tenant(&config.tenants, origin, creds.bearer)?;
            let url = req.url()?;
            let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let query = AuditQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            let key = config::session_key(env)?;
            audit::answer(env, &tenant.id, &query, &key).await
        }
        Route::Embed => pages::embed(req, env, config).await,
        Route::Asset => pages::asset(req, env).await,
        Route::Health => meta::health(env, config, now),
        Route::Jwks => meta::jwks(env),
        Route::NotFound => Err(ApiError::NotFound),
    }
}

/// The `?token=` a browser's `EventSource` sends for want of headers: an order token or a link's stream
/// token, each good for one stream. Never an API key or an agent session: a URL is logged by proxies and kept
/// in histories.
fn url_token(req: &Request, config: &Config) -> Result<Option<String>, ApiError> {
    let token = req
        .url()?
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned());
    match token {
        Some(t) if config.tenants.for_api_key(&t).is_some() => Err(ApiError::ApiKeyInUrl),
        Some(t) if session::is_agent_session(&t) => Err(ApiError::SessionInUrl),
        token => Ok(token),
    }
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_of_the_contract() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(route(&Method::Post, "/api/v1/orders"), Route::StartOrder);
        assert_eq!(
            route(&Method::Get, &format!("/api/v1/orders/{id}/events")),
            Route::OrderEvents(id)
        );
        assert_eq!(
            route(&Method::Post, &format!("/api/v1/orders/{id}/cancel")),
            Route::CancelOrder(id)
        );
        assert_eq!(route(&Method::Get, "/healthz"), Route::Health);
        assert_eq!(route(&Method::Get, "/.well-known/jwks.json"), Route::Jwks);
        assert_eq!(
            route(&Method::Post, "/api/v1/sessions"),
            Route::CreateSession
        );
        assert_eq!(route(&Method::Post, "/api/v1/ivr/orders"), Route::IvrStart);
        assert_eq!(
            route(&Method::Get, &format!("/api/v1/ivr/orders/{id}")),
            Route::IvrPoll(id)
        );
        assert_eq!(
            route(&Method::Get, "/api/v1/ivr/calls/call-1"),
            Route::IvrCall("call-1")
        );
        assert_eq!(route(&Method::Get, "/api/v1/ivr/calls/"), Route::NotFound);
        assert_eq!(route(&Method::Get, "/admin/audit"), Route::AuditLog);
        assert_eq!(route(&Method::Post, "/admin/audit"), Route::NotFound);
        assert_eq!(route(&Method::Get, "/admin"), Route::AdminPage);
        assert_eq!(route(&Method::Post, "/admin"), Route::NotFound);
        assert_eq!(route(&Method::Get, "/embed"), Route::Embed);
        assert_eq!(route(&Method::Post, "/api/v1/links"), Route::CreateLink);
        assert_eq!(
            route(&Method::Post, "/v/AAAAAAAAAAAAAAAAAAAAAA/start"),
            Route::StartLink("AAAAAAAAAAAAAAAAAAAAAA")
        );
        assert_eq!(
            route(&Method::Get, "/api/v1/links/K7QX-M4TR"),
            Route::LinkView("K7QX-M4TR")
        );
        assert_eq!(
            route(&Method::Get, "/api/v1/links/K7QX-M4TR/events"),
            Route::LinkEvents("K7QX-M4TR")
        );
        assert_eq!(
            route(&Method::Post, "/api/v1/links/K7QX-M4TR/cancel"),
            Route::CancelLink("K7QX-M4TR")
        );
        assert_eq!(
            route(&Method::Get, "/api/v1/links/K7QX-M4TR/cancel"),
            Route::NotFound
        );
        assert_eq!(
            route(&Method::Get, "/v/AAAAAAAAAAAAAAAAAAAAAA"),
            Route::LinkPage("AAAAAAAAAAAAAAAAAAAAAA")
        );
        assert_eq!(route(&Method::Get, "/legit.js"), Route::Asset);
        assert_eq!(
            route(&Method::Get, "/widget/legit_widget_bg.wasm"),
            Route::Asset
        );
        assert_eq!(route(&Method::Options, "/api/v1/orders"), Route::Preflight);
    }

    #[test]
    fn only_widget_files_are_served_as_assets() {
        for path in [
            "/widget/",
            "/widget/../wrangler.toml",
            "/widget/.env",
            "/widget/a%2F..%2Fb",
            "/embed.html",
        ] {
            assert_eq!(route(&Method::Get, path), Route::NotFound, "{path}");
        }
    }

    #[test]
    fn everything_else_is_not_found() {
        for (method, path) in [
            (Method::Get, "/api/v1/orders"),
            (Method::Post, "/healthz"),
            (Method::Post, "/.well-known/jwks.json"),
            (Method::Get, "/"),
            (Method::Get, "/api/v1/orders/x/events/extra"),
            (Method::Get, "/api/v2/orders/x/events"),
            (Method::Delete, "/api/v1/orders/x/cancel"),
            (Method::Post, "/api/v1/orders/"),
        ] {
            assert_eq!(route(&method, path), Route::NotFound, "{method:?} {path}");
        }
    }
}
