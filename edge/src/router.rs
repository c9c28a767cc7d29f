//! Routes. A plain `match` rather than `worker::Router`, because the latter answers unknown paths and
//! wrong methods itself in plain text, and every answer of the edge must use the one error format.

use worker::{Env, Method, Request, Response};

use crate::config::Config;
use crate::error::ApiError;
use crate::handlers::{meta, orders};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    StartOrder,
    OrderEvents(&'a str),
    CancelOrder(&'a str),
    Health,
    Jwks,
    NotFound,
}

/// Which route a request is for. A known path with another method is `NotFound` too: there is nothing
/// there for that method.
pub fn route<'a>(method: &Method, path: &'a str) -> Route<'a> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    match (method, segments.as_slice()) {
        (Method::Post, ["api", "v1", "orders"]) => Route::StartOrder,
        (Method::Get, ["api", "v1", "orders", id, "events"]) => Route::OrderEvents(id),
        (Method::Post, ["api", "v1", "orders", id, "cancel"]) => Route::CancelOrder(id),
        (Method::Get, ["healthz"]) => Route::Health,
        (Method::Get, [".well-known", "jwks.json"]) => Route::Jwks,
        _ => Route::NotFound,
    }
}

pub async fn handle(req: Request, env: Env) -> worker::Result<Response> {
    let path = req.path();
    let result = match route(&req.method(), &path) {
        Route::NotFound => Err(ApiError::NotFound),
        found => match Config::from_env(&env) {
            Ok(config) => dispatch(found, req, &env, &config).await,
            Err(e) => Err(e),
        },
    };
    result.or_else(ApiError::into_response)
}

async fn dispatch(
    route: Route<'_>,
    req: Request,
    env: &Env,
    config: &Config,
) -> Result<Response, ApiError> {
    match route {
        Route::StartOrder => orders::start(req, env, config).await,
        Route::OrderEvents(id) => orders::events(env, id).await,
        Route::CancelOrder(id) => orders::cancel(env, id).await,
        Route::Health => meta::health(env, config),
        Route::Jwks => meta::jwks(env),
        Route::NotFound => Err(ApiError::NotFound),
    }
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
