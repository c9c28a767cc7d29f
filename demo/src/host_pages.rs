//! The demo's host pages: where the widget lives in a contact centre and on a bank's site, served by the
//! same process as the IVR console, since both stand in for the tenant's own side (its backend holds the API
//! key and mints agent sessions; pages only ever see a session).
//!
//! | route | what |
//! |---|---|
//! | `GET /crm` | a CRM case page with the agent widget in an iframe pane |
//! | `GET /softphone?mobnr=N` | a softphone's incoming call, opening the agent widget as `...&mobnr=N` |
//! | `GET /self-service` | a bank's log-in page with the `<legit-bankid>` element |
//!
//! The console's origin must be in the tenant's `allowedOrigins` (`cargo xtask demo` puts it there), or the
//! edge's CSP keeps the iframe out and its CORS keeps the element from starting an order.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use legit_core::message::html_escape as escape;

use crate::ivr_console::Console;

/// The number a softphone rings with when none is given.
const DEFAULT_CALLER: &str = "070-123 45 67";

/// The pages' routes, merged into the console's router.
pub fn routes() -> Router<Arc<Console>> {
    Router::new()
        .route("/crm", get(crm))
        .route("/softphone", get(softphone))
        .route("/self-service", get(self_service))
}

/// A session and tenant minted for one page view, or the page that says why not.
async fn mint(console: &Console) -> Result<(String, String), Response> {
    let (status, minted) = console.mint_session().await;
    match (
        status.is_success(),
        minted["session"].as_str(),
        minted["tenant"].as_str(),
    ) {
        (true, Some(session), Some(tenant)) => Ok((session.to_owned(), tenant.to_owned())),
        _ => {
            let message = minted["error"]["message"]
                .as_str()
                .unwrap_or("The edge did not give a session.");
            Err(page(
                StatusCode::BAD_GATEWAY,
                "legit demo",
                &format!(
                    "<main><h1>No agent session</h1><p>{}</p></main>",
                    escape(message)
                ),
            ))
        }
    }
}

/// The agent widget's `/embed` address for `session`, which rides in the fragment: the browser never sends it,
/// so it is in no request log on the way to the edge.
fn agent_widget(console: &Console, tenant: &str, session: &str) -> String {
    format!(
        "{}/embed?tenant={}&mode=agent&lang=en#session={}",
        console.edge_url(),
        query_value(tenant),
        query_value(session)
    )
}

async fn crm(State(console): State<Arc<Console>>) -> Response {
    let (session, tenant) = match mint(&console).await {
        Ok(minted) => minted,
        Err(page) => return page,
    };
    let widget = agent_widget(&console, &tenant, &session);
    page(
        StatusCode::OK,
        "Demo CRM",
        &format!(
            r#"<header class="bar"><b>Demo CRM</b><span>Case 48213 · Incoming call · Queue: Cards</span></header>
<div class="crm">
  <main>
    <h1>Case 48213: lost card</h1>
    <p class="muted">Identify the caller before you talk about the account. The pane on the right is legit's
    agent widget in an iframe: identify by personal number, send a verification link, or look up a reference.</p>
    <dl><dt>Opened</dt><dd>today, by the IVR</dd><dt>Channel</dt><dd>phone</dd><dt>Customer</dt><dd id="customer">not identified yet</dd></dl>
  </main>
  <aside><iframe title="BankID identification" src="{}"></iframe></aside>
</div>
<script>
// The widget in the iframe tells this page by postMessage, to this page's origin only (the tenant allows it).
// A real CRM sends the result token to its server, which verifies it against the edge's JWKS; this demo
// only reads its claims to fill in the case.
const edgeOrigin = new URL(document.querySelector('aside iframe').src).origin;
window.addEventListener('message', (e) => {{
  if (e.origin !== edgeOrigin || !e.data || e.data.type !== 'legit:complete' || !e.data.resultToken) return;
  const part = e.data.resultToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  const claims = JSON.parse(new TextDecoder().decode(bytes));
  document.getElementById('customer').textContent = (claims.name || 'the caller') + ', identified with BankID';
}});
</script>"#,
            escape(&widget)
        ),
    )
}

#[derive(Debug, Deserialize)]
struct Call {
    #[serde(default)]
    mobnr: Option<String>,
}

async fn softphone(State(console): State<Arc<Console>>, Query(call): Query<Call>) -> Response {
    let caller = call
        .mobnr
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_CALLER.to_owned());
    let (session, tenant) = match mint(&console).await {
        Ok(minted) => minted,
        Err(page) => return page,
    };
    // As a softphone's webview URL template would: `...&mobnr=$CALLINGNUMBER`, the number as the switch
    // gives it (here in the fragment, after the session: a caller's number is personal data too); the widget
    // normalises it.
    let widget = format!(
        "{}&mobnr={}",
        agent_widget(&console, &tenant, &session),
        query_value(&caller)
    );
    page(
        StatusCode::OK,
        "Demo softphone",
        &format!(
            r#"<div class="phone">
  <header class="call"><span class="dot"></span><span>Incoming call</span><b id="caller">{}</b></header>
  <iframe title="BankID identification" src="{}"></iframe>
  <form class="ring" method="get"><label>Ring with another number
    <input name="mobnr" type="tel" value="{}"></label><button>Ring</button></form>
</div>"#,
            escape(&caller),
            escape(&widget),
            escape(&caller)
        ),
    )
}

async fn self_service(State(console): State<Arc<Console>>) -> Response {
    let (_, tenant) = match mint(&console).await {
        // A session is only how this page learns its tenant from the key; it is not put in the page.
        Ok(minted) => minted,
        Err(page) => return page,
    };
    page(
        StatusCode::OK,
        "Demo Bank: log in",
        &format!(
            r#"<header class="bar"><b>Demo Bank</b><span>Your accounts</span></header>
<main class="site">
  <h1>Log in to your accounts</h1>
  <legit-bankid tenant="{}" mode="customer" lang="en"></legit-bankid>
  <p id="welcome" role="status" hidden></p>
</main>
<script type="module" src="{}/legit.js"></script>
<script>
// A real site posts the token to its server and verifies it there against the edge's JWKS; this demo
// page only reads its claims to greet the customer.
document.addEventListener('legit:complete', (e) => {{
  const part = e.detail.resultToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
  const claims = JSON.parse(new TextDecoder().decode(bytes));
  const welcome = document.getElementById('welcome');
  welcome.textContent = 'Welcome, ' + (claims.givenName || claims.name || 'customer') + '.';
  welcome.hidden = false;
}});
</script>"#,
            escape(&tenant),
            escape(console.edge_url())
        ),
    )
}

const STYLE: &str = r#"
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1b1f24; background: #f4f5f7; }
.bar { display: flex; gap: 1.5rem; align-items: baseline; padding: .75rem 1.25rem; background: #1f2a44; color: #fff; }
.bar span { color: #c9d1e3; }
h1 { font-size: 1.5rem; line-height: 1.3; margin: 0 0 1rem; }
.muted { color: #555d6b; }
.crm { display: flex; gap: 1.25rem; padding: 1.25rem; align-items: flex-start; flex-wrap: wrap; }
.crm main { flex: 1 1 20rem; background: #fff; padding: 1.25rem; border-radius: 8px; }
.crm dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
.crm dt { color: #555d6b; } .crm dd { margin: 0; }
.crm aside, .phone { width: 320px; background: #fff; border-radius: 8px; overflow: hidden; }
iframe { display: block; width: 320px; height: 640px; border: 0; }
.phone { margin: 1.25rem auto; border: 1px solid #d0d5dd; }
.call { display: flex; gap: .5rem; align-items: center; padding: .75rem 1rem; background: #e8f5ec; }
.call b { margin-left: auto; }
.dot { width: .6rem; height: .6rem; border-radius: 50%; background: #1a7f37; }
.ring { display: flex; gap: .5rem; align-items: end; padding: .75rem 1rem; border-top: 1px solid #d0d5dd; font-size: .9rem; }
.ring input { display: block; width: 100%; font: inherit; padding: .35rem .5rem; }
#welcome { font-weight: 600; color: #1a7f37; }
.site { max-width: 26rem; margin: 2rem auto; background: #fff; padding: 1.5rem; border-radius: 8px; }
/* The widget pads itself; pulled out by that much, its text lines up with the page's. */
.site legit-bankid { margin: 0 -1rem; }
"#;

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    );
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        ],
        Html(html),
    )
        .into_response()
}

/// A value for a URL's query string.
fn query_value(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calling_number_cannot_break_out_of_the_page() {
        let hostile = r#""><script>alert(1)</script>"#;
        assert!(!escape(hostile).contains('<'));
        assert!(!escape(hostile).contains('"'));
        assert_eq!(query_value("070-123 45 67"), "070-123+45+67");
        assert_eq!(query_value("a&session=x"), "a%26session%3Dx");
    }
}
