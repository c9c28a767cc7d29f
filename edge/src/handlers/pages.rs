//! The widget's files, from the `ASSETS` binding: `/embed` (the iframe page, given the tenant's settings and
//! a CSP whose `frame-ancestors` are the tenant's sites), `/legit.js` and `/widget/*`.

use legit_core::Lang;
use legit_core::tenant::Tenant;
use serde::Serialize;
use worker::{Env, Request, Response};

use crate::config::{ASSETS, Config};
use crate::error::ApiError;
use crate::http;

/// In `embed.html`, replaced by the tenant's settings.
const CONFIG_PLACEHOLDER: &str = r#"<meta name="legit-config" content="">"#;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PageConfig<'a> {
    tenant: &'a str,
    display_name: &'a str,
    locale: &'a str,
    /// Where the widget may post its results: the tenant's sites, no others.
    parent_origins: &'a [String],
    /// On a verification link's page (`/v/{token}`): what the customer mode starts or follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<&'a LinkPage>,
}

/// The link part of a customer page's config: the token to start with (`POST /v/{token}/start`), or,
/// when this browser already started the link's order, that order to follow.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkPage {
    pub token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_token: Option<String>,
    /// The followed order's autostart token, while it runs: the phone's button opens the app with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_start_token: Option<String>,
    /// The language the link was sent in: the page's `locale` instead of the tenant's, so a customer whose
    /// browser prefers no language legit speaks reads the page in the SMS's or e-mail's language.
    #[serde(skip)]
    pub lang: Lang,
}

/// `GET /embed?tenant=…`.
pub async fn embed(req: &Request, env: &Env, config: &Config) -> Result<Response, ApiError> {
    let url = req.url()?;
    let tenant_id = url
        .query_pairs()
        .find(|(k, _)| k == "tenant")
        .map(|(_, v)| v.into_owned())
        .ok_or(ApiError::TenantRequired)?;
    let tenant = config
        .tenants
        .get(&tenant_id)
        .ok_or(ApiError::UnknownTenant)?;
    widget_page(req, env, tenant, None).await
}

/// The widget's page for `tenant`, with `link` for a verification link's customer page.
pub async fn widget_page(
    req: &Request,
    env: &Env,
    tenant: &Tenant,
    link: Option<&LinkPage>,
) -> Result<Response, ApiError> {
    let url = req.url()?;
    let asset = format!("{}/embed.html", url.origin().ascii_serialization());
    let mut file = env.assets(ASSETS)?.fetch(asset, None).await?;
    if file.status_code() != 200 {
        return Err(ApiError::Config(
            "embed.html is missing from the assets: build the widget (cargo xtask widget)".into(),
        ));
    }
    let html = render(&file.text().await?, tenant, link)?;
    let mut resp = Response::from_html(html)?;
    let h = resp.headers_mut();
    h.set(
        "Content-Security-Policy",
        &http::page_csp(&tenant.frame_ancestors()),
    )?;
    h.set("Cache-Control", "no-store")?;
    Ok(resp)
}

/// `embed.html` with the tenant's settings in its config tag.
fn render(template: &str, tenant: &Tenant, link: Option<&LinkPage>) -> Result<String, ApiError> {
    let settings = PageConfig {
        tenant: &tenant.id,
        display_name: &tenant.display_name,
        locale: link.map_or(tenant.locale, |l| l.lang).tag(),
        parent_origins: &tenant.allowed_origins,
        link,
    };
    let json = serde_json::to_string(&settings)?;
    if !template.contains(CONFIG_PLACEHOLDER) {
        return Err(ApiError::Config(
            "embed.html has no legit-config tag to fill".into(),
        ));
    }
    let tag = format!(
        r#"<meta name="legit-config" content="{}">"#,
        escape_attribute(&json)
    );
    Ok(template.replacen(CONFIG_PLACEHOLDER, &tag, 1))
}

fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /legit.js`, `GET /widget/*`: the file as built, with the binding's own caching headers (it
/// revalidates by ETag). Loaded cross-origin by tenants' pages: the router adds CORS for allowed sites.
pub async fn asset(req: &Request, env: &Env) -> Result<Response, ApiError> {
    let resp = env.assets(ASSETS)?.fetch_request(req.clone()?).await?;
    if resp.status_code() == 404 {
        return Err(ApiError::NotFound);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use legit_core::tenant::Tenants;

    #[test]
    fn the_page_gets_the_tenant_settings_escaped() {
        let tenants = Tenants::parse(
            r#"{"acme": {"displayName": "Acme \"Försäkring\" <AB>", "locale": "en",
                "allowedOrigins": ["https://crm.acme.se"]}}"#,
        )
        .unwrap();
        let html = render(
            r#"<head><meta name="legit-config" content=""></head>"#,
            tenants.get("acme").unwrap(),
            None,
        )
        .unwrap();
        assert!(
            html.contains("&quot;tenant&quot;:&quot;acme&quot;"),
            "{html}"
        );
        assert!(
            html.contains("Acme \\&quot;Försäkring\\&quot; &lt;AB&gt;"),
            "{html}"
        );
        assert!(html.contains("&quot;parentOrigins&quot;:[&quot;https://crm.acme.se&quot;]"));
        assert!(html.contains("&quot;locale&quot;:&quot;en&quot;"));
        assert!(!html.contains("<AB>"));
    }

    #[test]
    fn a_page_without_the_tag_is_a_build_error() {
        let tenants = Tenants::parse(r#"{"a": {"displayName": "A"}}"#).unwrap();
        assert!(render("<head></head>", tenants.get("a").unwrap(), None).is_err());
    }

    #[test]
    fn a_link_page_carries_its_token_or_its_order() {
        let tenants = Tenants::parse(r#"{"a": {"displayName": "A"}}"#).unwrap();
        let link = LinkPage {
            token: "AAAAAAAAAAAAAAAAAAAAAA".into(),
            order_id: None,
            order_token: None,
            auto_start_token: None,
            lang: Lang::Nb,
        };
        let tag = r#"<meta name="legit-config" content="">"#;
        let html = render(tag, tenants.get("a").unwrap(), Some(&link)).unwrap();
        assert!(
            html.contains(
                "&quot;link&quot;:{&quot;token&quot;:&quot;AAAAAAAAAAAAAAAAAAAAAA&quot;}"
            ),
            "{html}"
        );
        // The link's language, not the tenant's (Swedish by default).
        assert!(html.contains("&quot;locale&quot;:&quot;nb&quot;"), "{html}");
        let html = render(tag, tenants.get("a").unwrap(), None).unwrap();
        assert!(!html.contains("link"), "{html}");
        assert!(html.contains("&quot;locale&quot;:&quot;sv&quot;"), "{html}");
    }
}
