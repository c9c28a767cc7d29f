//! Verification links (DESIGN.md §3, §4): an agent sends one, follows it and looks it up; the customer
//! opens it and starts BankID from its page.
//!
//! - `POST /api/v1/links` (agent session or API key): checks the destination, stores the link
//!   ([`crate::objects::link`]), sends the message; if the provider fails the link is erased.
//! - `GET /api/v1/links/{reference}` and `…/events` (the same tenant's agents): the view, once or live.
//! - `GET /v/{token}` (the customer): the widget's page carrying the token, or a refusal page. A GET never
//!   consumes the link or starts BankID: SMS and mail scanners fetch URLs.
//! - `POST /v/{token}/start` (the customer's page): consumes the link and starts an `auth` order, answering
//!   as `POST /api/v1/orders` does, plus a cookie bound to that order and scoped to the link's path, so the
//!   same browser coming back to the page (iOS Safari reloads it after the BankID app) follows the same
//!   order, and may start over (this device ↔ QR) while it runs; any other browser finds the link used.

use legit_core::Lang;
use legit_core::api::{self, OrderKind, StartOrderRequest};
use legit_core::audit::Channel;
use legit_core::link::{LinkRefusal, LinkState, LinkStatus, LinkToken, ReferenceNumber};
use legit_core::links_api::{CreateLinkResponse, parse_create_link_request};
use legit_core::session::SessionKey;
use legit_core::tenant::Tenant;
use worker::{Env, Request, Response, console_log};

use crate::access::{Caller, OrderAccess, RequestOrigin};
use crate::config::Config;
use crate::error::{ApiError, Credential};
use crate::handlers::link_page::{pick_lang, refusal_html};
use crate::handlers::orders;
use crate::handlers::pages::{self, LinkPage};
use crate::http;
use crate::objects::link::{self, NewLink};
use crate::objects::{link_token, order};
use crate::providers::{self, LinkMessage};
use crate::rate_limit;

/// The cookie that lets the browser which started a link's order come back to it.
pub const RESUME_COOKIE: &str = "legit_link";
/// Draws of a new reference before giving up: one collision in 650 000 with a million live links, so a
/// fifth draw never happens in practice.
const REFERENCE_DRAWS: usize = 5;
/// Largest body of a create or start request.
const MAX_LINK_BODY: usize = 4 * 1024;

/// `POST /api/v1/links`.
pub async fn create(
    req: &Request,
    body: &[u8],
    env: &Env,
    config: &Config,
    caller: Caller<'_>,
    key: &SessionKey,
    now: u64,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    json_body(req, body)?;
    let valid = parse_create_link_request(body)?.validate(caller.tenant.locale)?;
    let tenant = caller.tenant;
    rate_limit::enforce(env, &rate_limit::for_create(&tenant.id, &valid.destination)).await?;

    let token = LinkToken::from_random(random()?);
    let ttl_ms = tenant.link_ttl_secs * 1_000;
    let origin = req.url()?.origin().ascii_serialization();
    let url = token.url(config.public_url.as_deref().unwrap_or(&origin));
    // Built before anything is stored: an unconfigured channel leaves nothing behind.
    let request = config.providers.request(
        &valid.destination,
        &LinkMessage {
            display_name: &tenant.display_name,
            url: &url,
            ttl_minutes: tenant.link_ttl_secs.div_ceil(60).max(1),
            lang: valid.lang,
            sms_sender: tenant.sms_sender.as_ref(),
            email_from: tenant.email_from.as_ref(),
        },
    )?;

    let state = LinkState::new(now, ttl_ms);
    let retention_ms = tenant.retention_secs * 1_000;
    let mut new = NewLink {
        tenant: tenant.id.clone(),
        reference: ReferenceNumber::from_random(random()?),
        channel: valid.destination.channel(),
        to_masked: valid.destination.masked(),
        token_hash: token.hash(),
        state,
        lang: valid.lang.tag().to_owned(),
        retention_ms,
    };
    let mut claimed = false;
    for _ in 0..REFERENCE_DRAWS {
        if link::create(env, &new).await? {
            claimed = true;
            break;
        }
        console_log!("link reference collision: drawing another");
        new.reference = ReferenceNumber::from_random(random()?);
    }
    if !claimed {
        return Err(ApiError::Runtime(
            "no free reference number in five draws".into(),
        ));
    }
    let index = link_token::Entry {
        reference: new.reference.compact().to_owned(),
        erase_at_ms: state.expires_ms.saturating_add(retention_ms),
    };
    if let Err(e) = link_token::put(env, &new.token_hash, &index).await {
        let _ = link::erase_unsent(env, &new.reference).await;
        return Err(e);
    }
    if let Err(e) = providers::send(&request).await {
        // Never sent, so never usable: neither the token nor the reference leads anywhere any more.
        let _ = link_token::delete(env, &new.token_hash).await;
        let _ = link::erase_unsent(env, &new.reference).await;
        return Err(e);
    }
    console_log!(
        "link {} sent by {} for tenant {}",
        new.reference,
        new.channel.as_str(),
        tenant.id
    );
    let stream_token = key.link_stream_token(&tenant.id, new.reference.compact());
    let answer = CreateLinkResponse::new(new.reference, state.expires_ms, stream_token);
    Ok(Response::from_json(&answer)?.with_status(201))
}

/// `GET /api/v1/links/{reference}`.
pub async fn view(env: &Env, caller: Caller<'_>, reference: &str) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let reference = ReferenceNumber::parse(reference)?;
    link::view(env, &reference, &caller.tenant.id).await
}

/// `POST /api/v1/links/{reference}/cancel`: the agent withdraws a link (sent to the wrong number, say): it can
/// no longer be opened, and the order it started is cancelled at BankID. Answers the link's view; one that
/// already ended stays as it was, so asking twice is harmless.
pub async fn cancel(env: &Env, caller: Caller<'_>, reference: &str) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let reference = ReferenceNumber::parse(reference)?;
    link::cancel(env, &reference, &caller.tenant.id).await
}

/// `GET /api/v1/links/{reference}/events`: SSE, one `event: link` per change; ends when the link is final.
pub async fn events(env: &Env, caller: Caller<'_>, reference: &str) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let reference = ReferenceNumber::parse(reference)?;
    link::events(env, &reference, &caller.tenant.id).await
}

/// The same stream opened with the link's own stream token (`?token=ls1.…`, from its creation), which names
/// its tenant and opens this link's stream only. From a browser, only on a site that tenant allows.
pub async fn events_by_token(
    env: &Env,
    config: &Config,
    origin: &RequestOrigin,
    key: &SessionKey,
    token: &str,
    reference: &str,
) -> Result<Response, ApiError> {
    let reference = ReferenceNumber::parse(reference)?;
    let refused = ApiError::Unauthenticated(Credential::InvalidStreamToken);
    let tenant = key
        .verify_link_stream_token(token, reference.compact())
        .and_then(|id| config.tenants.get(&id))
        .ok_or(refused)?;
    if let RequestOrigin::Allowed(o) = origin
        && !tenant.allows_origin(o)
    {
        return Err(ApiError::OriginNotAllowed);
    }
    link::events(env, &reference, &tenant.id).await
}

/// `POST /v/{token}/start`, with an empty body or `{"returnUrl"}` (iOS Safari: the link's own page). The token
/// in the path is the capability, and the cookie of the browser that opened the link rides along because
/// the path is the link's.
pub async fn start(
    req: &Request,
    body: &[u8],
    env: &Env,
    config: &Config,
    key: &SessionKey,
    token_text: &str,
) -> Result<Response, ApiError> {
    if body.len() > MAX_LINK_BODY {
        return Err(ApiError::BodyTooLarge {
            limit: MAX_LINK_BODY,
        });
    }
    // What can be checked without the link's storage costs the caller nothing; the look-up itself is counted,
    // as each one reaches a Durable Object.
    let return_url = api::parse_link_start(body)?;
    orders::check_return_url(req, return_url.as_deref())?;
    let token =
        LinkToken::parse(token_text).map_err(|_| ApiError::LinkRefused(LinkRefusal::Unknown))?;
    rate_limit::enforce(
        env,
        &rate_limit::for_start(&orders::caller_ip(req, config)?),
    )
    .await?;
    let hash = token.hash();
    let reference = link_token::get(env, &hash)
        .await?
        .ok_or(ApiError::LinkRefused(LinkRefusal::Unknown))?;
    let peek = link::peek(env, &reference, &hash).await?;
    // The browser that opened the link may start over while its order runs (switching between this
    // device and a QR code); anyone else finds it used.
    let cookie = req.headers().get("Cookie")?;
    let restart = match peek.status {
        LinkStatus::Pending => None,
        LinkStatus::Expired => return Err(ApiError::LinkRefused(LinkRefusal::Expired)),
        LinkStatus::Withdrawn => return Err(ApiError::LinkRefused(LinkRefusal::Withdrawn)),
        LinkStatus::Opened => Some(
            resumed_order(cookie.as_deref(), peek.order_id.as_deref(), key)
                .ok_or(ApiError::LinkRefused(LinkRefusal::Used))?,
        ),
        _ => return Err(ApiError::LinkRefused(LinkRefusal::Used)),
    };
    let tenant = config
        .tenants
        .get(&peek.tenant)
        .ok_or(ApiError::LinkRefused(LinkRefusal::Unknown))?;
    let auth = StartOrderRequest {
        kind: OrderKind::Auth,
        personal_number: None,
        call_initiator: None,
        user_visible_data: None,
        end_user_ip: None,
        return_url,
    };
    let started = orders::launch(
        req,
        env,
        config,
        tenant,
        &auth,
        key,
        Channel::of_link(peek.channel),
        Some(reference.clone()),
    )
    .await?;
    let access = OrderAccess::Tenant(tenant.id.clone());
    let taken = match &restart {
        None => link::open(env, &reference, &hash, &started.order_id).await,
        Some(old) => link::switch(env, &reference, &hash, &old.order_id, &started.order_id).await,
    };
    if let Err(e) = taken {
        // Someone opened it while BankID answered us (or the old order ended): theirs stands, ours
        // ends at once.
        let _ = order::cancel(env, &started.order_id, &access).await;
        return Err(e);
    }
    if let Some(old) = &restart {
        // The link no longer runs the old order, so its end does not touch the link.
        let _ = order::cancel(env, &old.order_id, &access).await;
    }
    let cookie = resume_cookie(
        token.as_str(),
        &Resumed {
            order_id: started.order_id.clone(),
            order_token: started.order_token.clone(),
            auto_start_token: started.auto_start_token.clone(),
        },
        tenant.retention_secs + tenant.link_ttl_secs,
    );
    let mut resp = Response::from_json(&started)?.with_status(201);
    resp.headers_mut().set("Set-Cookie", &cookie)?;
    Ok(resp)
}

/// `GET /v/{token}`: the widget's customer page for a pending link, the same order for the browser that
/// started it, else a refusal page in the customer's language.
pub async fn customer_page(
    req: &Request,
    env: &Env,
    config: &Config,
    key: &SessionKey,
    token_text: &str,
) -> Result<Response, ApiError> {
    let accept = req.headers().get("Accept-Language")?;
    // The page's own language switch (`?lang=`) wins over the browser's preference, as in the widget.
    let chosen = req
        .url()?
        .query_pairs()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::from_tag(&v));
    let refuse = |refusal: LinkRefusal, tenant: Option<&Tenant>, fallback: Lang| {
        let lang = chosen.unwrap_or_else(|| pick_lang(accept.as_deref(), fallback));
        refusal_page(refusal, tenant, lang)
    };
    let Ok(token) = LinkToken::parse(token_text) else {
        return refuse(LinkRefusal::Unknown, None, Lang::Sv);
    };
    let hash = token.hash();
    let Some(reference) = link_token::get(env, &hash).await? else {
        return refuse(LinkRefusal::Unknown, None, Lang::Sv);
    };
    let peek = match link::peek(env, &reference, &hash).await {
        Ok(peek) => peek,
        Err(ApiError::LinkRefused(r)) => return refuse(r, None, Lang::Sv),
        Err(e) => return Err(e),
    };
    let link_lang = Lang::from_tag(&peek.lang).unwrap_or_default();
    let Some(tenant) = config.tenants.get(&peek.tenant) else {
        return refuse(LinkRefusal::Unknown, None, link_lang);
    };
    let page = match peek.status {
        LinkStatus::Pending => LinkPage {
            token: token.as_str().to_owned(),
            order_id: None,
            order_token: None,
            auto_start_token: None,
            lang: link_lang,
        },
        LinkStatus::Expired => return refuse(LinkRefusal::Expired, Some(tenant), link_lang),
        LinkStatus::Withdrawn => return refuse(LinkRefusal::Withdrawn, Some(tenant), link_lang),
        LinkStatus::Opened | LinkStatus::Complete | LinkStatus::Failed => {
            let cookie = req.headers().get("Cookie")?;
            match resumed_order(cookie.as_deref(), peek.order_id.as_deref(), key) {
                Some(resumed) => LinkPage {
                    token: token.as_str().to_owned(),
                    order_id: Some(resumed.order_id),
                    order_token: Some(resumed.order_token),
                    // Only while the order may still need the app: an ended one is shown, not started.
                    auto_start_token: resumed
                        .auto_start_token
                        .filter(|_| peek.status == LinkStatus::Opened),
                    lang: link_lang,
                },
                None => return refuse(LinkRefusal::Used, Some(tenant), link_lang),
            }
        }
    };
    pages::widget_page(req, env, tenant, Some(&page)).await
}

fn refusal_page(
    refusal: LinkRefusal,
    tenant: Option<&Tenant>,
    lang: Lang,
) -> Result<Response, ApiError> {
    let ancestors = tenant.map_or_else(|| "'none'".to_owned(), Tenant::frame_ancestors);
    let mut resp =
        Response::from_html(refusal_html(refusal, lang))?.with_status(refusal.http_status());
    let h = resp.headers_mut();
    h.set("Content-Security-Policy", &http::page_csp(&ancestors))?;
    h.set("Cache-Control", "no-store")?;
    h.set("Content-Language", lang.tag())?;
    Ok(resp)
}

/// `legit_link=<orderId>.<orderToken>[.<autoStartToken>]`, only sent back to this link's page, never to
/// scripts. The autostart token rides along so the same phone coming back in another tab (the SMS link
/// tapped again, a browser that reopens pages in a new tab) can still open the BankID app for the order it
/// already started: BankID wants the same token for the same order, and nothing else in that tab holds it.
pub fn resume_cookie(token: &str, resumed: &Resumed, max_age_secs: u64) -> String {
    let Resumed {
        order_id,
        order_token,
        auto_start_token,
    } = resumed;
    let auto_start = auto_start_token
        .as_deref()
        .map(|t| format!(".{t}"))
        .unwrap_or_default();
    format!(
        "{RESUME_COOKIE}={order_id}.{order_token}{auto_start}; Path=/v/{token}; Max-Age={max_age_secs}; \
         HttpOnly; Secure; SameSite=Lax"
    )
}

/// The order a link's browser started, as its cookie keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    pub order_id: String,
    pub order_token: String,
    pub auto_start_token: Option<String>,
}

/// The order the cookie names, if it is the link's order and the token in it is that order's. An autostart
/// token that is not the shape BankID gives (a UUID: hex digits and dashes) is dropped, not passed on.
pub fn resumed_order(
    cookie_header: Option<&str>,
    link_order: Option<&str>,
    key: &SessionKey,
) -> Option<Resumed> {
    let link_order = link_order?;
    let value = cookie_header?
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == RESUME_COOKIE)
        .map(|(_, v)| v.trim())?;
    let mut parts = value.splitn(3, '.');
    let (order_id, order_token) = (parts.next()?, parts.next()?);
    let auto_start_token = parts
        .next()
        .filter(|t| {
            (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        })
        .map(str::to_owned);
    (order_id == link_order && key.verifies_order_token(order_id, order_token)).then(|| Resumed {
        order_id: order_id.to_owned(),
        order_token: order_token.to_owned(),
        auto_start_token,
    })
}

/// Only JSON of a sane size, as for orders.
fn json_body(req: &Request, body: &[u8]) -> Result<(), ApiError> {
    let content_type = req.headers().get("Content-Type")?.unwrap_or_default();
    if !api::is_json_media_type(&content_type) {
        return Err(ApiError::NotJson);
    }
    if body.len() > MAX_LINK_BODY {
        return Err(ApiError::BodyTooLarge {
            limit: MAX_LINK_BODY,
        });
    }
    Ok(())
}

fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Runtime(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_bound_to_the_links_page_and_order() {
        let key = SessionKey::derive(b"test");
        let id = "0123456789abcdef0123456789abcdef";
        let token = key.order_token(id);
        let ast = "131daac9-16c6-4618-beb0-365768f37288";
        let resumed = Resumed {
            order_id: id.to_owned(),
            order_token: token.clone(),
            auto_start_token: Some(ast.to_owned()),
        };
        let cookie = resume_cookie("AAAAAAAAAAAAAAAAAAAAAA", &resumed, 900);
        for part in [
            "Path=/v/AAAAAAAAAAAAAAAAAAAAAA",
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Max-Age=900",
        ] {
            assert!(cookie.contains(part), "{cookie}");
        }
        let sent = format!("other=1; {}", cookie.split(';').next().unwrap());
        assert_eq!(resumed_order(Some(&sent), Some(id), &key), Some(resumed));
        // A cookie set before the token rode along still resumes, without one.
        let old = format!("{RESUME_COOKIE}={id}.{token}");
        assert_eq!(
            resumed_order(Some(&old), Some(id), &key).map(|r| r.auto_start_token),
            Some(None)
        );
        // A token that is not a UUID's shape is dropped; the order still resumes.
        let odd = format!("{RESUME_COOKIE}={id}.{token}.<script>");
        assert_eq!(
            resumed_order(Some(&odd), Some(id), &key).map(|r| r.auto_start_token),
            Some(None)
        );
        // Another order's link, a forged token, no cookie: no resume.
        let other = "ffffffffffffffffffffffffffffffff";
        assert_eq!(resumed_order(Some(&sent), Some(other), &key), None);
        let forged = format!("{RESUME_COOKIE}={id}.{}.{ast}", key.order_token(other));
        assert_eq!(resumed_order(Some(&forged), Some(id), &key), None);
        assert_eq!(resumed_order(None, Some(id), &key), None);
        assert_eq!(resumed_order(Some(&sent), None, &key), None);
        assert_eq!(
            resumed_order(Some("legit_link=garbage"), Some(id), &key),
            None
        );
    }
}
