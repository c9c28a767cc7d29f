//! What the widget is told by the page that embeds it: the query string and fragment of `/embed`, the attributes of
//! `<legit-bankid>`, and the `legit-config` meta tag the edge fills in. Pure parsing, tested natively.

use crate::json::Json;

/// Who the widget is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// A contact-centre agent: identify a caller, send a link, look a check up.
    Agent,
    /// The person identifying themselves.
    #[default]
    Customer,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "agent" => Some(Mode::Agent),
            "customer" => Some(Mode::Customer),
            _ => None,
        }
    }
}

/// The settings of one embedded widget, from `/embed?…` or the element's attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params {
    /// The tenant id, sent as `X-Legit-Tenant` on every API call.
    pub tenant: Option<String>,
    pub mode: Mode,
    /// `lang=`: a BCP 47 tag; [`crate::i18n::pick`] decides.
    pub lang: Option<String>,
    /// `mobnr=`: the caller's number as the softphone has it, to prefill the link form.
    pub mobnr: Option<String>,
    /// `session=`: the agent's session, sent as a bearer token for phone orders and links.
    pub session: Option<String>,
    /// `callid=`: the IVR's id of the call the agent is on; the agent view follows that call's order.
    pub callid: Option<String>,
}

impl Params {
    /// Reads a query string (with or without its leading `?`). Unknown keys are ignored; for a key given
    /// twice the first wins; empty values count as absent.
    pub fn from_query(query: &str) -> Params {
        let mut params = Params::default();
        let mut mode = None;
        for pair in query.trim_start_matches('?').split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            params.set(&percent_decode(key), value, &mut mode);
        }
        params.mode = mode.unwrap_or_default();
        params
    }

    /// Reads `/embed`'s address: the query, then the fragment (`#session=…&mobnr=…`), which the browser never
    /// sends to a server, so an agent's session and a caller's number stay out of every request log on the
    /// way. A setting in both is the query's.
    pub fn from_location(search: &str, hash: &str) -> Params {
        Params::from_query(&format!(
            "{}&{}",
            search.trim_start_matches('?'),
            hash.trim_start_matches('#')
        ))
    }

    /// Builds the settings from `(name, value)` pairs such as an element's attributes.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<String>)>) -> Params {
        let mut params = Params::default();
        let mut mode = None;
        for (key, value) in pairs {
            if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                params.set(key, value, &mut mode);
            }
        }
        params.mode = mode.unwrap_or_default();
        params
    }

    fn set(&mut self, key: &str, value: &str, mode: &mut Option<Mode>) {
        let slot = match key {
            "tenant" => &mut self.tenant,
            "lang" => &mut self.lang,
            "mobnr" => &mut self.mobnr,
            "session" => &mut self.session,
            "callid" => &mut self.callid,
            "mode" => {
                if mode.is_none() {
                    *mode = Mode::parse(value);
                }
                return;
            }
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(value.to_owned());
        }
    }
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte. Escapes that are malformed or
/// do not spell UTF-8 leave the value as typed, so no input is refused (and no lossy decoder is shipped).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// The JSON the edge writes into `<meta name="legit-config" content="…">` of `/embed`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmbedConfig {
    pub tenant: Option<String>,
    pub display_name: Option<String>,
    pub locale: Option<String>,
    /// The origins allowed to frame the widget: the only ones it posts messages to.
    pub parent_origins: Vec<String>,
    /// On a verification link's page (`/v/{token}`): what to start or follow.
    pub link: Option<LinkConfig>,
}

/// A verification link's page: its token, which the start sends to `POST /api/v1/links/start` (the page's
/// GET never starts anything), and, when this browser already started the link's order, that order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkConfig {
    pub token: String,
    pub order_id: Option<String>,
    pub order_token: Option<String>,
    /// The order's autostart token while it runs, so a phone back in another tab can still open the app.
    pub auto_start_token: Option<String>,
}

impl EmbedConfig {
    /// Reads the meta tag's content; an empty or unreadable one (the file served as built, before the edge
    /// fills it in) is an empty config.
    pub fn parse(content: &str) -> EmbedConfig {
        let Some(j) = Json::parse(content) else {
            return EmbedConfig::default();
        };
        EmbedConfig {
            tenant: j.string("tenant"),
            display_name: j.string("displayName"),
            locale: j.string("locale"),
            parent_origins: j.strings("parentOrigins"),
            link: j.get("link").and_then(|l| {
                Some(LinkConfig {
                    token: l.string("token")?,
                    order_id: l.string("orderId"),
                    order_token: l.string("orderToken"),
                    auto_start_token: l.string("autoStartToken"),
                })
            }),
        }
    }
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL, lowercased; `None` for anything else.
pub fn origin_of(url: &str) -> Option<String> {
    let at = legit_core::text::find(url, "://")?;
    let (scheme, rest) = (&url[..at], &url[at + 3..]);
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // userinfo is not part of the origin
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// The origin to post results to from an iframe: the parent's origin (Chromium's `location.ancestorOrigins`,
/// else the referrer's origin), and only if the tenant allows it. Never `*`: no allowed parent, no message.
pub fn post_target(
    ancestor_origin: Option<&str>,
    referrer: Option<&str>,
    allowed: &[String],
) -> Option<String> {
    let parent = ancestor_origin
        .and_then(|o| origin_of(&format!("{o}/")))
        .or_else(|| referrer.and_then(origin_of))?;
    allowed
        .iter()
        .any(|a| origin_of(&format!("{}/", a.trim_end_matches('/'))).as_deref() == Some(&parent))
        .then_some(parent)
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run natively and, under `cargo xtask test`, in Chromium.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn softphone_query_is_read_and_decoded() {
        let p = Params::from_query(
            "?tenant=acme&mode=agent&mobnr=%2B46%2070-123%2045%2067&lang=en&session=s3cr3t&x=1",
        );
        assert_eq!(p.tenant.as_deref(), Some("acme"));
        assert_eq!(p.mode, Mode::Agent);
        assert_eq!(p.mobnr.as_deref(), Some("+46 70-123 45 67"));
        assert_eq!(p.lang.as_deref(), Some("en"));
        assert_eq!(p.session.as_deref(), Some("s3cr3t"));
    }

    #[test]
    fn the_session_and_the_callers_number_may_ride_in_the_fragment() {
        let p = Params::from_location(
            "?tenant=acme&mode=agent",
            "#session=s1.abc%2Bdef&mobnr=%2B46701234567",
        );
        assert_eq!(p.tenant.as_deref(), Some("acme"));
        assert_eq!(p.mode, Mode::Agent);
        assert_eq!(p.session.as_deref(), Some("s1.abc+def"));
        assert_eq!(p.mobnr.as_deref(), Some("+46701234567"));
        assert_eq!(
            Params::from_location("", "").tenant,
            None,
            "nothing is nothing"
        );
        let both = Params::from_location("?tenant=acme&lang=sv", "#lang=en");
        assert_eq!(both.lang.as_deref(), Some("sv"), "the query wins");
    }

    #[test]
    fn an_ivr_call_id_is_read_and_decoded() {
        let p = Params::from_query("mode=agent&tenant=acme&callid=a84b%40pc33.example%2F1");
        assert_eq!(p.callid.as_deref(), Some("a84b@pc33.example/1"));
        assert_eq!(Params::from_query("mode=agent&callid=").callid, None);
    }

    #[test]
    fn mobnr_with_plus_as_space_and_odd_input_never_fails() {
        let p = Params::from_query("mobnr=070+123+45+67&mode=AGENT");
        assert_eq!(p.mobnr.as_deref(), Some("070 123 45 67"));
        assert_eq!(p.mode, Mode::Agent);
        let odd = Params::from_query("mobnr=%zz%4&tenant=&&=&mode=boss&tenant=b%C3%A5t&tenant=x");
        assert_eq!(odd.mobnr.as_deref(), Some("%zz%4"));
        assert_eq!(
            odd.tenant.as_deref(),
            Some("båt"),
            "empty is absent, first value wins"
        );
        assert_eq!(odd.mode, Mode::Customer, "unknown mode is the default");
        assert_eq!(percent_decode("%FF%41"), "%FF%41");
        assert_eq!(Params::from_query(""), Params::default());
    }

    #[test]
    fn attributes_give_the_same_settings() {
        let p = Params::from_pairs([
            ("tenant", Some("acme".to_owned())),
            ("mode", Some("agent".to_owned())),
            ("mobnr", Some("  ".to_owned())),
            ("lang", None),
        ]);
        assert_eq!(p.tenant.as_deref(), Some("acme"));
        assert_eq!(p.mode, Mode::Agent);
        assert_eq!(p.mobnr, None);
    }

    #[test]
    fn embed_config_tolerates_the_unfilled_placeholder() {
        assert_eq!(EmbedConfig::parse(""), EmbedConfig::default());
        let c = EmbedConfig::parse(
            r#"{"tenant":"acme","displayName":"Acme AB","locale":"sv","parentOrigins":["https://crm.example"],"new":1}"#,
        );
        assert_eq!(c.display_name.as_deref(), Some("Acme AB"));
        assert_eq!(c.parent_origins, vec!["https://crm.example".to_owned()]);
        assert_eq!(c.link, None);
    }

    #[test]
    fn a_link_page_config_carries_the_token_and_maybe_its_order() {
        let c =
            EmbedConfig::parse(r#"{"tenant":"acme","link":{"token":"AAAAAAAAAAAAAAAAAAAAAA"}}"#);
        assert_eq!(
            c.link,
            Some(LinkConfig {
                token: "AAAAAAAAAAAAAAAAAAAAAA".into(),
                order_id: None,
                order_token: None,
                auto_start_token: None,
            })
        );
        let c = EmbedConfig::parse(
            r#"{"link":{"token":"AAAAAAAAAAAAAAAAAAAAAA","orderId":"ab","orderToken":"t","autoStartToken":"a-1"}}"#,
        );
        let link = c.link.unwrap();
        assert_eq!(
            (
                link.order_id.as_deref(),
                link.order_token.as_deref(),
                link.auto_start_token.as_deref()
            ),
            (Some("ab"), Some("t"), Some("a-1"))
        );
        assert_eq!(EmbedConfig::parse(r#"{"link":{}}"#).link, None);
    }

    #[test]
    fn results_are_posted_only_to_an_allowed_parent() {
        let allowed = vec![
            "https://crm.example".to_owned(),
            "http://127.0.0.1:9000/".to_owned(),
        ];
        assert_eq!(
            post_target(Some("https://crm.example"), None, &allowed).as_deref(),
            Some("https://crm.example")
        );
        assert_eq!(
            post_target(None, Some("http://127.0.0.1:9000/page?x=1"), &allowed).as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(
            post_target(Some("https://evil.example"), None, &allowed),
            None
        );
        assert_eq!(
            post_target(None, Some("https://crm.example.evil.example/"), &allowed),
            None
        );
        assert_eq!(post_target(None, None, &allowed), None);
        assert_eq!(post_target(Some("null"), Some(""), &allowed), None);
        assert_eq!(post_target(Some("https://crm.example"), None, &[]), None);
    }

    #[test]
    fn origins_drop_path_and_userinfo() {
        assert_eq!(
            origin_of("HTTPS://User@CRM.Example:8443/a/b#c").as_deref(),
            Some("https://crm.example:8443")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https:///x"), None);
    }
}
