//! What the fake providers received: the store, the inbox page a person reads, and the JSON a test reads.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use legit_core::email::Email;
use legit_core::links_api::Channel;
use legit_core::message::html_escape;
use legit_core::phone::PhoneNumber;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Providers;

/// The inbox keeps this many messages; older ones make room (a demo left running for days stays small).
pub const MAX_MESSAGES: usize = 1_000;

/// How an SMS would travel: the GSM-7 arithmetic of `legit_core::message::sms_count`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsInfo {
    /// `"gsm7"` or `"ucs2"`.
    pub encoding: String,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

/// One received message: an SMS, or an e-mail to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Increasing from 1 in the order of arrival.
    pub id: u64,
    pub channel: Channel,
    pub from: String,
    /// E.164 with `+` for SMS, the address for e-mail, as the provider received it.
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The SMS text, or the plain-text part of an e-mail (empty if it had only HTML).
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Every `http(s)://` URL in the text (or, without text, the HTML), in order.
    pub links: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsInfo>,
    /// RFC 3339, UTC.
    pub received_at: String,
}

/// The messages, oldest first.
#[derive(Debug, Default)]
pub struct Inbox {
    inner: Mutex<InboxInner>,
}

#[derive(Debug, Default)]
struct InboxInner {
    messages: VecDeque<Message>,
    last_id: u64,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, InboxInner> {
        // A panicking test thread must not take the inbox down with it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a message, giving it the next id and the current time; returns the stored message.
    pub fn push(&self, mut message: Message) -> Message {
        message.received_at = now_rfc3339();
        let mut inner = self.lock();
        inner.last_id += 1;
        message.id = inner.last_id;
        if inner.messages.len() == MAX_MESSAGES {
            inner.messages.pop_front();
        }
        inner.messages.push_back(message.clone());
        message
    }

    /// Newest first; with `to`, only the messages to that destination (see [`same_destination`]).
    pub fn list(&self, to: Option<&str>) -> Vec<Message> {
        let inner = self.lock();
        inner
            .messages
            .iter()
            .rev()
            .filter(|m| to.is_none_or(|to| same_destination(&m.to, to)))
            .cloned()
            .collect()
    }

    /// Deletes every message; returns how many there were. Ids keep counting up.
    pub fn clear(&self) -> usize {
        let mut inner = self.lock();
        let n = inner.messages.len();
        inner.messages.clear();
        n
    }
}

/// The current time in whole seconds, e.g. `2026-03-01T12:00:00Z`.
fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Whether a `?to=` filter names the destination `stored`: phone numbers compare in E.164 (so
/// `0701234567`, `+46701234567` and `46701234567` — a `+` in a query string arrives as a space — all
/// match), addresses with the domain's case ignored, anything else exactly.
pub fn same_destination(stored: &str, filter: &str) -> bool {
    if let (Ok(a), Ok(b)) = (PhoneNumber::parse(stored), PhoneNumber::parse(filter)) {
        return a == b;
    }
    if let (Ok(a), Ok(b)) = (Email::parse(stored), Email::parse(filter)) {
        return a == b;
    }
    stored == filter.trim()
}

/// Every `http://` or `https://` URL in `text`, up to whitespace, a quote or an angle bracket, without the
/// sentence punctuation that usually follows a link.
pub fn find_links(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = text;
    // One search for "http" and a look at what follows, never a second search from the same place: searching
    // for "http://" and "https://" separately rescans the whole remaining text for each link, which is
    // quadratic in a text with many links.
    while let Some(at) = rest.find("http") {
        let tail = &rest[at..];
        let after = &tail["http".len()..];
        let scheme = if after.starts_with("://") {
            "http://".len()
        } else if after.starts_with("s://") {
            "https://".len()
        } else {
            // "http" cannot overlap itself, so no link starts inside it.
            rest = after;
            continue;
        };
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
            .unwrap_or(tail.len());
        let link = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        if link.len() > scheme {
            links.push(link.to_owned());
        }
        rest = &tail[end..];
    }
    links
}

// ---------------------------------------------------------------------------------------------------------
// Routes

#[derive(Debug, Deserialize)]
pub struct Filter {
    to: Option<String>,
}

/// `GET /inbox/messages[?to=]`
pub async fn messages(State(p): State<Arc<Providers>>, Query(filter): Query<Filter>) -> Response {
    axum::Json(p.inbox.list(filter.to.as_deref())).into_response()
}

/// `DELETE /inbox/messages`
pub async fn clear(State(p): State<Arc<Providers>>) -> Response {
    axum::Json(json!({"deleted": p.inbox.clear()})).into_response()
}

/// `GET /inbox`
pub async fn page(State(p): State<Arc<Providers>>) -> Response {
    let html = render(&p.inbox.list(None));
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
            ),
        ],
        html,
    )
        .into_response()
}

/// The page: every message newest first, links clickable. A small script asks `/inbox/messages` every
/// 2 s and reloads the page only when something changed, so reading is not disturbed.
pub fn render(messages: &[Message]) -> String {
    let newest = messages.first().map_or(0, |m| m.id);
    let mut body = String::new();
    if messages.is_empty() {
        body.push_str(
            "<p class=\"empty\">No messages yet. Send a link from the agent's widget.</p>\n",
        );
    }
    for m in messages {
        let (badge, kind) = match m.channel {
            Channel::Sms => ("SMS", "sms"),
            Channel::Email => ("E-mail", "email"),
        };
        let _ = write!(
            body,
            "<article class=\"{kind}\" data-id=\"{id}\">\n<header><span class=\"badge\">{badge}</span> \
             <b>to</b> {to} <b>from</b> {from} <time>{at}</time></header>\n",
            id = m.id,
            to = html_escape(&m.to),
            from = html_escape(&m.from),
            at = html_escape(&m.received_at),
        );
        if let Some(subject) = &m.subject {
            let _ = writeln!(body, "<h2>{}</h2>", html_escape(subject));
        }
        if !m.text.is_empty() {
            let _ = writeln!(body, "<pre>{}</pre>", linkify(&m.text));
        }
        if let Some(sms) = &m.sms {
            let _ = writeln!(
                body,
                "<p class=\"meta\">{}, {} {}, {} segment{}</p>",
                if sms.encoding == "gsm7" {
                    "GSM-7"
                } else {
                    "UCS-2"
                },
                sms.units,
                if sms.encoding == "gsm7" {
                    "septets"
                } else {
                    "UTF-16 units"
                },
                sms.segments,
                if sms.segments == 1 { "" } else { "s" },
            );
        }
        if let Some(html) = &m.html {
            // Rendered without scripts; links open in a new tab.
            let doc = format!("<base target=\"_blank\">{html}");
            let _ = writeln!(
                body,
                "<details><summary>HTML part</summary><iframe sandbox=\"allow-popups \
                 allow-popups-to-escape-sandbox\" srcdoc=\"{}\" title=\"HTML part\"></iframe></details>",
                html_escape(&doc)
            );
        }
        body.push_str("</article>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>legit demo inbox ({count})</title>\n<style>{STYLE}</style></head>\n\
         <body data-newest=\"{newest}\" data-count=\"{count}\">\n<h1>legit demo inbox</h1>\n\
         <p class=\"tools\"><a href=\"/inbox\">Refresh</a> <button id=\"clear\" type=\"button\">Delete all</button> \
         <label><input id=\"auto\" type=\"checkbox\" checked> refresh every 2 s</label> \
         <span>{count} message{plural}</span></p>\n{body}<script>{SCRIPT}</script>\n</body></html>\n",
        count = messages.len(),
        plural = if messages.len() == 1 { "" } else { "s" },
    )
}

/// HTML-escapes `text` and turns its URLs into links.
fn linkify(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    for link in find_links(text) {
        let Some(at) = rest.find(&link) else { continue };
        out.push_str(&html_escape(&rest[..at]));
        let href = html_escape(&link);
        let _ = write!(out, "<a href=\"{href}\" target=\"_blank\">{href}</a>");
        rest = &rest[at + link.len()..];
    }
    out.push_str(&html_escape(rest));
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:46rem;padding:0 1rem;\
color:#1b1b1b;background:#f6f6f4}h1{font-size:1.4rem}h2{font-size:1.05rem;margin:.4rem 0}\
article{background:#fff;border:1px solid #ccc;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}\
article.sms{border-left:4px solid #2e7d32}article.email{border-left:4px solid #1565c0}\
.badge{font-weight:bold}time{color:#555;float:right}pre{white-space:pre-wrap;word-break:break-all;\
font-family:inherit;margin:.4rem 0}.meta{color:#555;font-size:.85rem;margin:0}\
iframe{width:100%;height:22rem;border:1px solid #ddd;background:#fff}.tools{display:flex;gap:1rem;\
align-items:center;flex-wrap:wrap}.empty{color:#555}";

const SCRIPT: &str = "\
const auto=document.getElementById('auto');\
document.getElementById('clear').addEventListener('click',async()=>{\
await fetch('/inbox/messages',{method:'DELETE'});location.reload();});\
setInterval(async()=>{if(!auto.checked)return;try{\
const r=await fetch('/inbox/messages',{cache:'no-store'});const list=await r.json();\
const newest=list.length?list[0].id:0;\
if(String(newest)!==document.body.dataset.newest||String(list.length)!==document.body.dataset.count)\
location.reload();}catch(e){}},2000);";

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(to: &str, text: &str) -> Message {
        Message {
            id: 0,
            channel: Channel::Sms,
            from: "AcmeBank".into(),
            to: to.into(),
            subject: None,
            text: text.into(),
            html: None,
            links: find_links(text),
            sms: None,
            received_at: String::new(),
        }
    }

    #[test]
    fn links_are_found_without_trailing_punctuation() {
        assert_eq!(
            find_links(
                "Öppna https://legit.example.com/v/ab_c-D. Sen: (http://x.example/a?b=1&c=2), klart"
            ),
            vec![
                "https://legit.example.com/v/ab_c-D",
                "http://x.example/a?b=1&c=2"
            ]
        );
        assert_eq!(
            find_links("<a href=\"https://a.example/v/x\">https://a.example/v/x</a>"),
            vec!["https://a.example/v/x", "https://a.example/v/x"]
        );
        assert!(find_links("no link, just https:// and http").is_empty());
        assert!(find_links("").is_empty());
        assert_eq!(
            find_links("httphttps://a.se/x http://b https:/c"),
            vec!["https://a.se/x", "http://b"]
        );
    }

    #[test]
    fn many_links_are_found_in_one_pass() {
        let text = "http://a ".repeat(200_000);
        let started = std::time::Instant::now();
        let links = find_links(&text);
        let took = started.elapsed();
        assert_eq!(links.len(), 200_000);
        assert!(links.iter().all(|l| l == "http://a"));
        // Generous: the linear pass takes milliseconds, the quadratic one minutes.
        assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
    }

    #[test]
    fn destinations_compare_in_normal_form() {
        assert!(same_destination("+46701234567", "0701234567"));
        assert!(same_destination("+46701234567", " 46701234567"));
        assert!(same_destination("+46701234567", "+46 70 123 45 67"));
        assert!(!same_destination("+46701234567", "+46701234568"));
        assert!(same_destination("Anna@example.com", "Anna@EXAMPLE.com"));
        assert!(!same_destination("anna@example.com", "bob@example.com"));
        assert!(same_destination("weird", " weird "));
    }

    #[test]
    fn the_inbox_is_newest_first_and_bounded() {
        let inbox = Inbox::default();
        let a = inbox.push(sms("+46701234567", "a"));
        let b = inbox.push(sms("+46701234568", "b"));
        assert_eq!((a.id, b.id), (1, 2));
        assert_eq!(
            a.received_at.len(),
            "2026-03-01T12:00:00Z".len(),
            "{}",
            a.received_at
        );
        assert!(a.received_at.ends_with('Z'), "{}", a.received_at);
        let ids: Vec<u64> = inbox.list(None).iter().map(|m| m.id).collect();
        assert_eq!(ids, [2, 1]);
        assert_eq!(inbox.list(Some("070-123 45 67")).len(), 1);
        assert_eq!(inbox.clear(), 2);
        assert!(inbox.list(None).is_empty());
        assert_eq!(inbox.push(sms("+46701234567", "c")).id, 3);
        for i in 0..MAX_MESSAGES {
            inbox.push(sms("+46701234567", &i.to_string()));
        }
        let all = inbox.list(None);
        assert_eq!(all.len(), MAX_MESSAGES);
        assert_eq!(all.last().map(|m| m.text.as_str()), Some("0"));
    }

    #[test]
    fn the_page_escapes_and_links() {
        let mut m = sms(
            "+46701234567",
            "Acme <Försäkring> & Co: Identifiera dig:\nhttps://legit.example.com/v/abc?x=1&y=2\nÅÄÖ åäö ✓",
        );
        m.id = 7;
        let mut mail = m.clone();
        mail.id = 8;
        mail.channel = Channel::Email;
        mail.subject = Some("Hej <b>".into());
        mail.html = Some("<p onclick=\"x\">\"Hi\"</p>".into());
        let page = render(&[mail, m]);
        assert!(page.contains("Acme &lt;Försäkring&gt; &amp; Co"));
        assert!(page.contains(
            "<a href=\"https://legit.example.com/v/abc?x=1&amp;y=2\" target=\"_blank\">"
        ));
        assert!(page.contains("ÅÄÖ åäö ✓"));
        assert!(page.contains("<h2>Hej &lt;b&gt;</h2>"));
        assert!(page.contains("srcdoc=\"&lt;base target=&quot;_blank&quot;&gt;&lt;p onclick="));
        assert!(!page.contains("<p onclick"));
        assert!(page.contains("data-newest=\"8\""));
        assert!(page.find("data-id=\"8\"") < page.find("data-id=\"7\""));
        // No external assets: nothing is loaded from another address.
        assert!(!page.contains("src=\"http") && !page.contains("href=\"//"));
        assert!(render(&[]).contains("No messages yet"));
    }
}
