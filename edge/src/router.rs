//! Routes. A plain `match` rather than `worker::Router`, because the latter answers unknown paths and
//! wrong methods itself in plain text, and every answer of the edge must use the one error format.

use worker::{Env, Method, Request, Response};

use crate::access::{self, Credentials, RequestOrigin};
use crate::config::{self, Config};
use crate::error::ApiError;
use crate::handlers::{meta, orders, pages, sessions};
use crate::http;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    StartOrder,
    OrderEvents(&'a str),
    CancelOrder(&'a str),
    CreateSession,
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
        req.bytes().await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut cors = None;
    let result = match Config::from_env(&env) {
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
                    dispatch(route, &req, &body, &env, &config, &origin).await
                }
            }
        }
    };
    let resp = result.or_else(ApiError::into_response)?;
    http::finish(resp, cors.as_deref())
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
            let query_token = req
                .url()?
                .query_pairs()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned());
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
        Route::Embed => pages::embed(req, env, config).await,
        Route::Asset => pages::asset(req, env).await,
        Route::Health => meta::health(env, config),
        Route::Jwks => meta::jwks(env),
        Route::NotFound => Err(ApiError::NotFound),
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
        assert_eq!(route(&Method::Get, "/embed"), Route::Embed);
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
